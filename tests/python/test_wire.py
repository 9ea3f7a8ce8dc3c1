"""The requests the Python module puts on the wire are the core's, byte for byte: compared
whole with the expectations of core/tests/wire.rs, as the emulator recorded them."""

from __future__ import annotations

import authgate
from conftest import Emulator, form_post

CUBA_TOKEN = "/app/rest/v2/oauth/token"
# base64("client:secret"), raw (PROVIDERS.md), as in core/tests/wire.rs.
CUBA_BASIC = "Basic Y2xpZW50OnNlY3JldA=="


def test_refresh_request_is_the_rust_one(emulator: Emulator, cuba: authgate.Client) -> None:
    tokens = cuba.password("admin", "admin")
    assert tokens.refresh_token is not None
    cuba.refresh(tokens)
    # core/tests/wire.rs: cuba_refresh_expected
    expected = form_post(
        emulator, CUBA_TOKEN, CUBA_BASIC, [("grant_type", "refresh_token"), ("refresh_token", tokens.refresh_token)]
    )
    assert emulator.last_request(CUBA_TOKEN) == expected


def test_password_request_with_params_is_the_rust_one(emulator: Emulator, cuba: authgate.Client) -> None:
    cuba.password("кассир", "p&s=w+o%rd 1 ё", scopes=["rest-api"], params={"x": "a b&c"})
    sent = emulator.last_request(CUBA_TOKEN)
    # The order of core/tests/wire.rs: the grant, scope, the client's, the request's.
    assert sent is not None and sent.form() == [
        ("grant_type", "password"),
        ("username", "кассир"),
        ("password", "p&s=w+o%rd 1 ё"),
        ("scope", "rest-api"),
        ("x", "a b&c"),
    ]
    assert sent == form_post(emulator, CUBA_TOKEN, CUBA_BASIC, sent.form())


def test_last_request_is_none_before_any(emulator: Emulator) -> None:
    assert emulator.last_request("/never/asked") is None
