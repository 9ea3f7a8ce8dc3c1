"""Wrong Python arguments raise TypeError / ValueError with a clear message."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest

import authgate

BASE = dict(base_url="https://gc.example", client_id="id", client_secret="s3cr3t-value",
            redirect_uri="http://127.0.0.1/callback")


@pytest.fixture
def client() -> authgate.Client:
    return authgate.Client("gearcode", **BASE)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(client_id=5), "client_id must be a str, not int"),
        (dict(client_secret=b"x"), "client_secret must be a str, not bytes"),
        (dict(scopes=5), "scopes must be a str or an iterable of str, not int"),
        (dict(scopes=[1]), "each scope must be a str, not int"),
        (dict(pkce="yes"), "pkce must be a bool, not str"),
        (dict(timeout="10"), "timeout must be a number of seconds or a datetime.timedelta, not str"),
        (dict(timeout=True), "timeout must be a number of seconds"),
        (dict(token_params=["a"]), "token_params must be a mapping of str to str, not list"),
        (dict(token_params={"a": 1}), "token_params['a'] must be a str, not int"),
        (dict(max_response_bytes=1.5), "max_response_bytes must be an int, not float"),
        (dict(ca_file=3), "ca_file must be a str or an os.PathLike, not int"),
    ],
)
def test_client_type_errors(kwargs: Any, message: str) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        authgate.Client("gearcode", **{**BASE, **kwargs})


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(timeout=0), "must be greater than zero"),
        (dict(timeout=-1), "timeout must be a finite number of seconds"),
        (dict(connect_timeout=float("nan")), "connect_timeout must be a finite number"),
        (dict(max_response_bytes=-1), "max_response_bytes must be a positive int"),
        (dict(scopes=["a b"]), "each scope must be one non-empty word"),
        (dict(proxy=True), "proxy must be"),
    ],
)
def test_client_value_errors(kwargs: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        authgate.Client("gearcode", **{**BASE, **kwargs})


def test_positional_options_are_refused() -> None:
    with pytest.raises(TypeError):
        authgate.Client("gearcode", "https://gc.example")  # type: ignore[misc]
    with pytest.raises(TypeError, match="unexpected keyword"):
        authgate.Client("gearcode", client_idd="x")  # type: ignore[call-arg]


def test_timeouts_accept_numbers_and_timedeltas() -> None:
    authgate.Client("gearcode", **BASE, timeout=datetime.timedelta(seconds=3), connect_timeout=0.5)
    authgate.Client("gearcode", **BASE, timeout=1, ca_file=None, proxy=False)


def test_authorization_url_arguments(client: authgate.Client) -> None:
    with pytest.raises(TypeError, match="state must be a str, not int"):
        client.authorization_url(state=1)  # type: ignore[arg-type]
    with pytest.raises(authgate.InvalidArgument, match="PKCE verifier"):
        client.authorization_url(pkce_verifier="short")
    with pytest.raises(ValueError, match="state is empty"):
        client.authorization_url(state="")
    with pytest.raises(TypeError, match="params must be a mapping"):
        client.authorization_url(params="a=b")  # type: ignore[arg-type]
    req = client.authorization_url(state="st", nonce="n1", pkce_verifier="a" * 43, scopes="read write",
                                   params={"prompt": "login"})
    assert "state=st" in req.url and "nonce=n1" in req.url and "scope=read+write" in req.url
    assert "prompt=login" in req.url and req.pkce_verifier == "a" * 43


def test_grant_arguments(client: authgate.Client) -> None:
    with pytest.raises(TypeError, match="code must be a str, not NoneType"):
        client.exchange_code(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="refresh_token must be a str or a TokenSet, not int"):
        client.refresh(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="password must be a str, not bytes"):
        client.password("u", b"p")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="params must be a mapping"):
        client.client_credentials(params=[("a", "b")])  # type: ignore[arg-type]
    # Empty values are refused before anything is sent.
    with pytest.raises(authgate.InvalidArgument, match="refresh token is empty"):
        client.refresh("")
    with pytest.raises(authgate.InvalidArgument, match="code is empty"):
        client.exchange_code("")
    tokens = authgate.TokenSet.from_json('{"access_token": "a", "token_type": "bearer"}')
    with pytest.raises(ValueError, match="no refresh token"):
        client.refresh(tokens)


def test_parse_callback_arguments() -> None:
    with pytest.raises(TypeError, match="callback must be a str, not bytes"):
        authgate.parse_callback(b"code=1&state=s", "s")  # type: ignore[arg-type]
    with pytest.raises(authgate.InvalidArgument, match="expected_state is empty"):
        authgate.parse_callback("code=1&state=s", "")
    with pytest.raises(authgate.InvalidArgument, match="more than once"):
        authgate.parse_callback("code=1&code=2&state=s", "s")
    assert authgate.parse_callback("?code=c%2B1&state=s", "s") == "c+1"


def test_token_set_arguments() -> None:
    t = authgate.TokenSet.from_json('{"access_token": "a", "expires_in": 60}')
    with pytest.raises(TypeError, match="leeway must be a number of seconds"):
        t.is_expired("1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="leeway must be a finite number"):
        t.is_expired(-1)
    with pytest.raises(authgate.InvalidArgument):
        authgate.TokenSet.from_json("[]")
    with pytest.raises(authgate.UnexpectedResponse):
        authgate.TokenSet.from_json('{"token_type": "bearer"}')


def test_reprs_hide_secrets(client: authgate.Client) -> None:
    assert "s3cr3t-value" not in repr(client)
    req = client.authorization_url()
    assert req.pkce_verifier is not None and req.pkce_verifier not in repr(req)
    t = authgate.TokenSet.from_json(
        '{"access_token": "AT-secret", "refresh_token": "RT-secret", "id_token": "a.b.c", "token_type": "bearer"}'
    )
    text = repr(t)
    assert "AT-secret" not in text and "RT-secret" not in text and "a.b.c" not in text
    assert "[redacted]" in text


# Issue 13.3: each rule lives once, in the core, so a mistake reads the same in every
# language; tests/c/test_args.c::test_the_core_words_each_mistake asserts the same texts.
def test_the_core_words_each_mistake(client: authgate.Client) -> None:
    with pytest.raises(authgate.ConfigError) as e:
        authgate.Client("gearcode", **BASE, timeout=0)
    assert str(e.value) == ("configuration error: timeout must be greater than zero "
                            "(zero timeouts would end every call at once)")
    with pytest.raises(authgate.ConfigError) as e:
        authgate.Client("gearcode", **BASE, token_params={"grant_type": "x"})
    assert str(e.value) == ("configuration error: token_param `grant_type` is set by authgate "
                            "itself and cannot be overridden")
    # Checked before anything is sent (nothing listens at gc.example).
    with pytest.raises(authgate.InvalidArgument) as e:
        client.password("user", "pw", params={"grant_type": "x"})
    assert str(e.value) == ("invalid argument: param `grant_type` is set by authgate itself "
                            "and cannot be overridden")
    with pytest.raises(authgate.ConfigError) as e:
        authgate.TokenManager(client, wait_timeout=0)
    assert str(e.value) == ("configuration error: wait_timeout must be greater than zero "
                            "(zero timeouts would end every call at once)")
    with pytest.raises(authgate.InvalidArgument) as e:
        client.sign_in_loopback(timeout=0, open_browser=lambda url: None)
    assert str(e.value) == ("invalid argument: timeout must be greater than zero "
                            "(zero timeouts would end every call at once)")
