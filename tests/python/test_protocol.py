"""Protocol correctness through Python: the ``iss`` of RFC 9207, discovery that never
drops the client secret, strict token answers, and callback values that are not UTF-8."""

from __future__ import annotations

import os
import subprocess
from typing import Any, Iterator

import pytest

import authgate
from conftest import REDIRECT_URI, ROOT, Emulator, make_client

WRONG_ISS = "https%3A%2F%2Fissuer.invalid"


def kontur(emulator: Emulator, **kwargs: Any) -> authgate.Client:
    return authgate.Client.discover(
        emulator.base_url, "kontur", client_id="kontur-service", client_secret="kontur-api-key",
        redirect_uri=REDIRECT_URI, timeout=10, **kwargs,
    )


@pytest.fixture
def own_emulator() -> Iterator[Emulator]:
    """An emulator of its own, for a discovery document no other test has cached."""
    binary = os.environ.get("AUTHGATE_EMULATOR") or str(ROOT / "target" / "debug" / "authgate-emulator")
    proc = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        yield Emulator(proc.stdout.readline().strip().split(" on ", 1)[1])
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_a_wrong_or_missing_iss_is_refused(emulator: Emulator) -> None:
    client = kontur(emulator)
    req = client.authorization_url()
    assert req.issuer == emulator.base_url and req.issuer_required
    emulator.fault("/connect/authorize", "callback", name="iss", value=WRONG_ISS)
    callback = emulator.authorize(req.url)
    with pytest.raises(authgate.IssuerMismatch) as info:
        req.parse_callback(callback)
    e = info.value
    assert e.code == authgate.ErrorCode.ISSUER_MISMATCH == 321
    assert e.expected == emulator.base_url and e.received == "https://issuer.invalid"
    assert "mix-up" in str(e)
    # The free function checks it when given the issuer.
    with pytest.raises(authgate.IssuerMismatch):
        authgate.parse_callback(callback, req.state, issuer=emulator.base_url)

    emulator.fault("/connect/authorize", "callback", name="iss")
    req = client.authorization_url()
    callback = emulator.authorize(req.url)
    with pytest.raises(authgate.IssuerMismatch) as info:
        req.parse_callback(callback)
    assert info.value.received is None
    assert authgate.parse_callback(callback, req.state)  # no issuer given: not checked

    req = client.authorization_url()
    assert req.parse_callback(emulator.authorize(req.url))


def test_discovery_with_a_secret_never_falls_back_to_none(own_emulator: Emulator) -> None:
    own_emulator.fault(
        "/.well-known/openid-configuration", "answer_field",
        name="token_endpoint_auth_methods_supported", raw='["none"]',
    )
    with pytest.raises(authgate.ConfigError, match="none"):
        kontur(own_emulator)
    assert kontur(own_emulator, auth_method="client_secret_post")


def test_control_characters_and_unknown_token_types_are_refused(emulator: Emulator) -> None:
    cuba = make_client(emulator, "cuba")
    emulator.fault("/app/rest/v2/oauth/token", "answer_field", name="access_token", raw='"a\\r\\nX-Injected: 1"')
    with pytest.raises(authgate.UnexpectedResponse, match="access_token"):
        cuba.password("admin", "admin")
    emulator.fault("/app/rest/v2/oauth/token", "answer_field", name="token_type", raw='"mac"')
    with pytest.raises(authgate.UnexpectedResponse, match="mac"):
        cuba.password("admin", "admin")
    lenient = make_client(emulator, "cuba", accept_unknown_token_type=True)
    emulator.fault("/app/rest/v2/oauth/token", "answer_field", name="token_type", raw='"mac"')
    assert lenient.password("admin", "admin").token_type == "mac"


def test_a_bad_byte_elsewhere_keeps_the_rotated_refresh_token(emulator: Emulator) -> None:
    gearcode = make_client(emulator, "gearcode")
    req = gearcode.authorization_url()
    tokens = gearcode.exchange_code(req.parse_callback(emulator.authorize(req.url)), pkce_verifier=req.pkce_verifier)
    old = tokens.refresh_token
    assert old is not None
    emulator.fault("/oauth/token", "answer_field", name="user_name", raw_hex="22636166e922")  # "caf\xe9"
    fresh = gearcode.refresh(old)
    assert fresh.refresh_token not in (None, old)
    assert any("user_name" in w for w in fresh.warnings)


def test_a_code_that_is_not_utf8_is_refused(emulator: Emulator) -> None:
    gearcode = make_client(emulator, "gearcode")
    emulator.fault("/oauth/authorize", "callback", name="code", value="%FF%FE")
    req = gearcode.authorization_url()
    with pytest.raises(authgate.InvalidArgument, match="`code`"):
        req.parse_callback(emulator.authorize(req.url))
