"""Every exception, from a real server answer where there is one."""

from __future__ import annotations

import builtins
import pickle
import socket

import pytest

import authgate
from conftest import Emulator, make_client

CUBA_TOKEN = "/app/rest/v2/oauth/token"
GC_TOKEN = "/oauth/token"


def assert_no_secret(err: BaseException, *secrets: str) -> None:
    text = f"{err!s} {err!r} {vars(err)!r}"
    for s in secrets:
        assert s not in text, text


def test_invalid_grant_wrong_password(cuba: authgate.Client) -> None:
    with pytest.raises(authgate.InvalidGrant) as info:
        cuba.password("admin", "not-the-password")
    e = info.value
    assert isinstance(e, authgate.OAuthError) and isinstance(e, authgate.Error)
    assert e.error == "invalid_grant" and e.status == 400
    assert e.code == authgate.ErrorCode.INVALID_GRANT == 301
    assert e.is_terminal and not e.is_transient
    assert_no_secret(e, "not-the-password")


def test_invalid_grant_revoked_refresh_token(emulator: Emulator, cuba: authgate.Client) -> None:
    tokens = cuba.password("admin", "admin")
    emulator.control("revoke")
    with pytest.raises(authgate.InvalidGrant) as info:
        cuba.refresh(tokens)
    assert_no_secret(info.value, tokens.refresh_token or "", tokens.access_token)


def test_revoked_refresh_token_in_gearcode_words(emulator: Emulator, gearcode: authgate.Client) -> None:
    req = gearcode.authorization_url()
    tokens = gearcode.exchange_code(req.parse_callback(emulator.authorize(req.url)), pkce_verifier=req.pkce_verifier)
    emulator.fault("/oauth/token", "revoked_refresh_token")
    with pytest.raises(authgate.InvalidGrant) as info:
        gearcode.refresh(tokens)
    assert info.value.is_terminal


def test_invalid_client_cuba_401_with_www_authenticate(emulator: Emulator) -> None:
    client = make_client(emulator, "cuba", client_secret="wrong-secret")
    with pytest.raises(authgate.InvalidClient) as info:
        client.password("admin", "admin")
    e = info.value
    assert e.status == 401
    assert e.www_authenticate is not None and e.www_authenticate.startswith("Basic")
    assert e.code == authgate.ErrorCode.INVALID_CLIENT and e.is_terminal
    assert_no_secret(e, "wrong-secret", "admin:")


def test_cuba_raw_secret_needs_raw_basic_encoding(emulator: Emulator) -> None:
    client = make_client(emulator, "cuba", client_id="pos-terminal", client_secret="p@ss+word%", basic_encoding="form")
    with pytest.raises(authgate.InvalidClient):
        client.password("admin", "admin")


def test_invalid_client_post(emulator: Emulator) -> None:
    client = make_client(emulator, "gearcode", client_secret="nope-nope")
    with pytest.raises(authgate.InvalidClient) as info:
        client.client_credentials()
    assert_no_secret(info.value, "nope-nope")


def test_503_with_retry_after(emulator: Emulator, cuba: authgate.Client) -> None:
    emulator.fault(CUBA_TOKEN, "status", status=503, retry_after=2)
    with pytest.raises(authgate.UnexpectedResponse) as info:
        cuba.password("admin", "admin")
    e = info.value
    assert e.status == 503 and e.retry_after == 2
    assert e.is_transient and not e.is_terminal
    assert e.code == authgate.ErrorCode.UNEXPECTED_RESPONSE
    # The next call goes through: the fault hit once.
    assert cuba.password("admin", "admin").access_token


def test_html_error_page(emulator: Emulator, cuba: authgate.Client) -> None:
    emulator.fault(CUBA_TOKEN, "html", status=502)
    with pytest.raises(authgate.UnexpectedResponse) as info:
        cuba.password("admin", "admin")
    e = info.value
    assert e.status == 502 and e.content_type is not None and "text/html" in e.content_type
    assert "<" not in e.excerpt and "HTML" in e.reason
    assert e.is_transient


def test_invalid_json(emulator: Emulator, cuba: authgate.Client) -> None:
    emulator.fault(CUBA_TOKEN, "invalid_json")
    with pytest.raises(authgate.UnexpectedResponse) as info:
        cuba.password("admin", "admin")
    e = info.value
    assert e.status == 200
    # The truncated body is `{"access_token": "abc",`: its value never reaches the message.
    assert "abc" not in str(e) and "abc" not in e.excerpt and "access_token" in e.excerpt


def test_ok_with_error_body_is_an_error(emulator: Emulator, gearcode: authgate.Client) -> None:
    emulator.fault(GC_TOKEN, "ok_with_error")
    with pytest.raises(authgate.InvalidGrant) as info:
        gearcode.client_credentials()
    assert info.value.status == 200


def test_oversized_body(emulator: Emulator) -> None:
    client = make_client(emulator, "cuba", max_response_bytes=4096)
    emulator.fault(CUBA_TOKEN, "oversized", bytes=100_000)
    with pytest.raises(authgate.BodyTooLarge) as info:
        client.password("admin", "admin")
    e = info.value
    assert isinstance(e, authgate.TransportError) and isinstance(e, OSError)
    assert e.limit == 4096 and e.code == authgate.ErrorCode.BODY_TOO_LARGE


def test_dropped_connection(emulator: Emulator, cuba: authgate.Client) -> None:
    emulator.fault(CUBA_TOKEN, "drop")
    with pytest.raises(authgate.TransportError) as info:
        cuba.password("admin", "admin")
    e = info.value
    assert isinstance(e, OSError)
    assert e.is_transient and e.kind == "io"


def test_truncated_answer(emulator: Emulator, cuba: authgate.Client) -> None:
    emulator.fault(CUBA_TOKEN, "truncated")
    with pytest.raises(authgate.TransportError):
        cuba.password("admin", "admin")


def test_redirect_is_not_followed(emulator: Emulator, cuba: authgate.Client) -> None:
    emulator.fault(CUBA_TOKEN, "redirect", location="https://evil.example/steal?x=1")
    with pytest.raises(authgate.UnexpectedResponse) as info:
        cuba.password("admin", "admin")
    e = info.value
    assert e.status == 302 and "redirect" in e.reason and "x=1" not in str(e)
    # Nothing was sent to the redirect target, and the token endpoint saw one request.
    assert emulator.counts().get(CUBA_TOKEN) == 1


def test_timeout(emulator: Emulator) -> None:
    client = make_client(emulator, "cuba", timeout=0.3)
    emulator.fault(CUBA_TOKEN, "delay", ms=2000)
    with pytest.raises(authgate.TimeoutError) as info:
        client.password("admin", "admin")
    e = info.value
    assert isinstance(e, builtins.TimeoutError) and isinstance(e, authgate.TransportError)
    assert e.code == authgate.ErrorCode.TIMEOUT and e.is_transient


def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = authgate.Client("cuba", base_url=f"http://127.0.0.1:{port}", client_id="c", client_secret="s")
    with pytest.raises(authgate.TransportError) as info:
        client.password("admin", "admin")
    assert info.value.kind == "connect" and info.value.code == authgate.ErrorCode.CONNECT


def test_state_mismatch(emulator: Emulator, gearcode: authgate.Client) -> None:
    req = gearcode.authorization_url()
    callback = emulator.authorize(req.url)
    with pytest.raises(authgate.StateMismatch) as info:
        authgate.parse_callback(callback, "another-state")
    assert info.value.code == authgate.ErrorCode.STATE_MISMATCH
    with pytest.raises(authgate.StateMismatch):
        req.parse_callback(callback.replace(req.state, "forged"))


def test_error_in_the_redirect() -> None:
    with pytest.raises(authgate.OAuthError) as info:
        authgate.parse_callback("http://127.0.0.1/callback?error=access_denied&error_description=no&state=s", "s")
    e = info.value
    assert e.error == "access_denied" and e.status is None and e.description == "no"
    assert e.code == authgate.ErrorCode.ACCESS_DENIED and e.is_terminal


def test_one_time_code_cannot_be_used_twice(emulator: Emulator, gearcode: authgate.Client) -> None:
    req = gearcode.authorization_url()
    code = req.parse_callback(emulator.authorize(req.url))
    gearcode.exchange_code(code, pkce_verifier=req.pkce_verifier)
    with pytest.raises(authgate.InvalidGrant) as info:
        gearcode.exchange_code(code, pkce_verifier=req.pkce_verifier)
    assert_no_secret(info.value, code)


@pytest.mark.parametrize(
    "kwargs,needle",
    [
        (dict(client_id="x"), "base_url"),
        (dict(base_url="https://a.example"), "client_id"),
        (dict(base_url="http://cuba.lan:8080", client_id="x", client_secret="s"), "allow_insecure_http"),
        (dict(base_url="ftp://a.example", client_id="x", client_secret="s"), "scheme"),
        (dict(base_url="https://a.example", client_id="x", client_secret="s", auth_method="magic"), "auth_method"),
        (dict(base_url="https://a.example", client_id="x", client_secret="s", token_params={"grant_type": "x"}),
         "grant_type"),
        (dict(base_url="https://a.example", client_id="x", client_secret="s", trust_roots="mine"), "trust_roots"),
        (dict(base_url="https://a.example", client_id="x", client_secret="s", ca_file="/nonexistent.pem"),
         "CA file"),
    ],
)
def test_config_errors(kwargs: dict, needle: str) -> None:
    with pytest.raises(authgate.ConfigError) as info:
        authgate.Client("cuba", **kwargs)
    e = info.value
    assert isinstance(e, ValueError)
    assert needle in str(e)
    assert e.code == authgate.ErrorCode.CONFIG and e.is_terminal and not e.is_transient


def test_config_error_hides_the_secret() -> None:
    with pytest.raises(authgate.ConfigError) as info:
        authgate.Client("generic", client_id="x", client_secret="hunter2-secret", base_url="http://a.lan")
    assert_no_secret(info.value, "hunter2-secret")
    with pytest.raises(authgate.ConfigError) as info2:
        authgate.Client.from_json('{"client_secret": 12345678, "client_id": "x"}')
    assert "12345678" not in str(info2.value)


def test_unknown_provider_and_bad_json() -> None:
    with pytest.raises(authgate.ConfigError, match="nope"):
        authgate.Client("nope", client_id="x")
    with pytest.raises(authgate.ConfigError, match="not valid JSON"):
        authgate.Client.from_json("{")
    with pytest.raises(authgate.ConfigError, match="client_idd"):
        authgate.Client.from_json('{"client_idd": "x"}')


def test_exceptions_pickle_and_keep_their_fields(cuba: authgate.Client) -> None:
    with pytest.raises(authgate.InvalidGrant) as info:
        cuba.password("admin", "wrong")
    back = pickle.loads(pickle.dumps(info.value))
    assert type(back) is authgate.InvalidGrant
    assert back.error == "invalid_grant" and back.code == 301 and str(back) == str(info.value)


def test_exception_tree() -> None:
    assert issubclass(authgate.ConfigError, ValueError)
    assert issubclass(authgate.InvalidArgument, ValueError)
    assert issubclass(authgate.TransportError, OSError)
    assert issubclass(authgate.TimeoutError, builtins.TimeoutError)
    assert issubclass(authgate.InvalidGrant, authgate.OAuthError)
    assert issubclass(authgate.InvalidClient, authgate.OAuthError)
    assert issubclass(authgate.StoreError, OSError)
    for name in ("ConfigError", "OAuthError", "StateMismatch", "UnexpectedResponse", "TransportError",
                 "TimeoutError", "InvalidArgument", "BodyTooLarge", "SignInRequired", "StoreError", "Cancelled",
                 "IdTokenError"):
        assert issubclass(getattr(authgate, name), authgate.Error)


def test_new_exceptions_have_typed_codes_and_pickle() -> None:
    for cls, code in [(authgate.SignInRequired, 330), (authgate.StoreError, 340), (authgate.Cancelled, 350)]:
        e = cls("x")
        assert e.code == code and isinstance(e.code, authgate.ErrorCode)
    assert authgate.SignInRequired("x").is_terminal
    e = authgate.IdTokenError("bad", kind="audience")
    assert e.code == authgate.ErrorCode.ID_TOKEN_AUDIENCE and e.kind == "audience"
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is authgate.IdTokenError and back.kind == "audience" and back.code == 505
