"""OpenID Connect against the emulator's Kontur dialect: discovery, id_token validation,
UserInfo, revocation, introspection, the device flow and the loopback sign-in."""

from __future__ import annotations

import html
import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, List

import pytest

import authgate
from conftest import REDIRECT_URI, Emulator

K_TOKEN = "/connect/token"


def kontur(emulator: Emulator, **kwargs: Any) -> authgate.Client:
    return authgate.Client.discover(
        emulator.base_url, "kontur", client_id="kontur-service", client_secret="kontur-api-key",
        redirect_uri=REDIRECT_URI, timeout=10, **kwargs,
    )


def sign_in(emulator: Emulator, client: authgate.Client) -> "tuple[authgate.TokenSet, str]":
    req = client.authorization_url()
    assert req.nonce is not None
    tokens = client.exchange_code(req.parse_callback(emulator.authorize(req.url)), pkce_verifier=req.pkce_verifier)
    return tokens, req.nonce


def test_discovery_fills_the_endpoints(emulator: Emulator) -> None:
    client = kontur(emulator)
    assert client.token_endpoint == emulator.base_url + "/connect/token"
    assert client.authorization_endpoint == emulator.base_url + "/connect/authorize"
    assert client.provider == "kontur"
    with pytest.raises(TypeError, match=r"Client.discover\(\) got an unexpected keyword argument 'client_idd'"):
        authgate.Client.discover(emulator.base_url, client_idd="x")  # type: ignore[call-arg]


def test_discovery_of_a_wrong_issuer(emulator: Emulator) -> None:
    # The document names http://127.0.0.1:PORT: read through another name, it must be refused.
    other = emulator.base_url.replace("127.0.0.1", "localhost")
    with pytest.raises(authgate.ConfigError, match="issuer"):
        authgate.Client.discover(other, "kontur", client_id="c", client_secret="s")
    with pytest.raises(authgate.UnexpectedResponse) as info:
        authgate.Client.discover(emulator.base_url + "/elsewhere", "kontur", client_id="c", client_secret="s")
    assert info.value.status == 404


def test_validate_id_token(emulator: Emulator) -> None:
    client = kontur(emulator)
    tokens, nonce = sign_in(emulator, client)
    claims = client.validate_id_token(tokens, nonce=nonce)
    assert claims["sub"] == "user-1" and claims["iss"] == emulator.base_url
    assert claims["aud"] == "kontur-service" and claims["nonce"] == nonce
    assert tokens.id_token is not None
    assert client.validate_id_token(tokens.id_token)["email"] == "user1@example.test"
    # ES256 with the generated EC key, after a key rotation too.
    emulator.control("rotate_keys")
    tokens, nonce = sign_in(emulator, client)
    assert client.validate_id_token(tokens, nonce=nonce)["sub"] == "user-1"


@pytest.mark.parametrize(
    "fault,kind",
    [
        ("id_token_wrong_nonce", "nonce"),
        ("id_token_wrong_audience", "audience"),
        ("id_token_wrong_issuer", "issuer"),
        ("id_token_expired", "expired"),
        ("id_token_bad_signature", "signature"),
        ("id_token_alg_none", "algorithm"),
        ("id_token_hmac_confusion", "algorithm"),
        ("id_token_unknown_kid", "unknown_key"),
    ],
)
def test_id_token_faults(emulator: Emulator, fault: str, kind: str) -> None:
    client = kontur(emulator)
    emulator.fault(K_TOKEN, fault)
    tokens, nonce = sign_in(emulator, client)
    with pytest.raises(authgate.IdTokenError) as info:
        client.validate_id_token(tokens, nonce=nonce)
    e = info.value
    assert e.kind == kind
    assert e.code == getattr(authgate.ErrorCode, "ID_TOKEN_" + kind.upper())
    assert tokens.id_token is not None and tokens.id_token not in str(e)


def test_malformed_id_token(emulator: Emulator) -> None:
    with pytest.raises(authgate.IdTokenError) as info:
        kontur(emulator).validate_id_token("not-a-jwt")
    assert info.value.kind == "malformed" and info.value.code == authgate.ErrorCode.ID_TOKEN_MALFORMED
    with pytest.raises(ValueError, match="no id_token"):
        kontur(emulator).validate_id_token(authgate.TokenSet.from_json('{"access_token": "a"}'))


def test_userinfo_revoke_introspect(emulator: Emulator) -> None:
    client = kontur(emulator)
    tokens, _ = sign_in(emulator, client)
    assert client.userinfo(tokens) == client.userinfo(tokens.access_token)
    assert client.userinfo(tokens)["name"] == "Тестовый Пользователь"
    info = client.introspect(tokens.access_token)
    assert info.active and bool(info)
    assert info.subject == "user-1" and info.client_id == "kontur-service"
    assert info.scope == "openid extern.api"
    assert info.expires_at is not None and info.raw["active"] is True
    client.revoke(tokens.access_token, token_type_hint="access_token")
    client.revoke("never-issued")  # RFC 7009: no error
    gone = client.introspect(tokens.access_token)
    assert not gone.active and gone.subject is None and gone.expires_at is None
    with pytest.raises(authgate.OAuthError) as e:
        client.userinfo(tokens)
    assert e.value.status == 401
    with pytest.raises(authgate.InvalidArgument):
        client.introspect("")


def test_oidc_calls_without_the_endpoints(emulator: Emulator, gearcode: authgate.Client) -> None:
    with pytest.raises(authgate.ConfigError, match="userinfo_endpoint"):
        gearcode.userinfo("token")
    with pytest.raises(authgate.ConfigError, match="issuer"):
        gearcode.validate_id_token("a.b.c")
    with pytest.raises(authgate.ConfigError, match="device_authorization_endpoint"):
        gearcode.device_authorization()
    # The endpoints can be given by hand too.
    client = authgate.Client("kontur", base_url=emulator.base_url, client_id="kontur-service",
                             client_secret="kontur-api-key", introspection_endpoint=emulator.base_url + "/connect/introspect")
    assert not client.introspect("unknown").active


# --- the device flow ------------------------------------------------------------------

def approve_later(emulator: Emulator, user_code: str, approve: bool = True, after: float = 0.3) -> threading.Timer:
    t = threading.Timer(after, lambda: emulator.control("device/approve", {"user_code": user_code, "approve": approve}))
    t.start()
    return t


def test_device_flow_pending_then_approved(emulator: Emulator) -> None:
    client = kontur(emulator)
    auth = client.device_authorization()
    assert auth.verification_uri == emulator.base_url + "/device"
    assert auth.verification_uri_complete == f"{auth.verification_uri}?user_code={auth.user_code}"
    assert auth.interval == 1 and auth.expires_in == 300 and not auth.is_expired()
    assert "device_code='[redacted]'" in repr(auth)
    assert auth.qr_svg().startswith("<?xml") and "\u2580" in auth.qr_text() + "\u2580"
    assert client.poll_device_token(auth) is None  # pending
    approve_later(emulator, auth.user_code).join()
    emulator.control("clock", {"advance": auth.interval})  # instead of sleeping the interval
    tokens = client.poll_device_token(auth)
    assert tokens is not None and tokens.access_token and tokens.id_token


def test_device_poll_too_fast_slows_down(emulator: Emulator) -> None:
    client = kontur(emulator)
    auth = client.device_authorization()
    assert client.poll_device_token(auth) is None
    assert client.poll_device_token(auth) is None  # too soon: slow_down
    assert auth.interval == 6


def test_wait_for_device_token(emulator: Emulator) -> None:
    client = kontur(emulator)
    auth = client.device_authorization(scopes=["openid", "extern.api", "offline_access"])
    approve_later(emulator, auth.user_code)
    tokens = client.wait_for_device_token(auth)
    assert tokens.refresh_token and "offline_access" in (tokens.scope or "")


def test_device_flow_denied(emulator: Emulator) -> None:
    client = kontur(emulator)
    auth = client.device_authorization()
    approve_later(emulator, auth.user_code, approve=False)
    with pytest.raises(authgate.OAuthError) as info:
        client.wait_for_device_token(auth)
    assert info.value.error == "access_denied" and info.value.code == authgate.ErrorCode.ACCESS_DENIED


def test_device_flow_cancelled(emulator: Emulator) -> None:
    client = kontur(emulator)
    auth = client.device_authorization()
    cancel = authgate.CancelToken()
    threading.Timer(0.3, cancel.cancel).start()
    start = time.monotonic()
    with pytest.raises(authgate.Cancelled) as info:
        client.wait_for_device_token(auth, cancel=cancel)
    assert time.monotonic() - start < 2
    assert cancel.is_cancelled() and info.value.code == authgate.ErrorCode.CANCELLED


def test_device_flow_expired(emulator: Emulator) -> None:
    emulator.control("device", {"expires_in": 1, "interval": 1})
    client = kontur(emulator)
    auth = client.device_authorization()
    with pytest.raises(authgate.OAuthError) as info:
        client.wait_for_device_token(auth)
    assert info.value.error == "expired_token"


def test_ctrl_c_cancels_a_device_wait(emulator: Emulator) -> None:
    code = f"""
import os, signal, threading, time, authgate
client = authgate.Client.discover({emulator.base_url!r}, "kontur", client_id="kontur-service",
                                  client_secret="kontur-api-key")
auth = client.device_authorization()
cancel = authgate.CancelToken()
threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
start = time.monotonic()
try:
    client.wait_for_device_token(auth, cancel=cancel)
except KeyboardInterrupt:
    print("interrupted after", round(time.monotonic() - start, 2), cancel.is_cancelled())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    words = done.stdout.split()
    assert done.stdout.startswith("interrupted after") and words[-1] == "True", done.stdout
    assert float(words[-2]) < 2.0, done.stdout


# --- the loopback sign-in -------------------------------------------------------------

def play_browser(url: str, visited: List[str]) -> None:
    """Opens the URL as a browser would, in a thread (the sign-in reads the redirect only
    after the opener returns): the authorize answer's 302 goes to the loopback listener."""

    def run() -> None:
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        conn.request("GET", f"{parts.path}?{parts.query}")
        resp = conn.getresponse()
        resp.read()
        conn.close()
        location = resp.getheader("Location") or ""
        visited.append(location)
        with urllib.request.urlopen(location, timeout=10) as page:
            visited.append(page.read().decode())

    threading.Thread(target=run, daemon=True).start()


def test_loopback_sign_in(emulator: Emulator) -> None:
    client = kontur(emulator)
    visited: List[str] = []
    tokens = client.sign_in_loopback(open_browser=lambda url: play_browser(url, visited), timeout=10)
    assert tokens.access_token and tokens.id_token  # the id_token was validated too
    assert visited[0].startswith("http://127.0.0.1:") and "/callback?code=" in visited[0]
    assert "You are signed in" in visited[1]


def test_loopback_sign_in_gearcode_on_a_fixed_port(emulator: Emulator, gearcode: authgate.Client) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    visited: List[str] = []
    tokens = gearcode.sign_in_loopback(open_browser=lambda url: play_browser(url, visited), port=port)
    assert tokens.refresh_token
    assert visited[0].startswith(f"http://127.0.0.1:{port}/callback?")


def test_loopback_sign_in_on_another_path(gearcode: authgate.Client) -> None:
    # The emulator registers only /callback, so the browser comes back with an error, on
    # the path given; the default path is not listened on then.
    pages: List[int] = []

    def browser(url: str) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        redirect, state = query["redirect_uri"][0], query["state"][0]
        assert redirect.startswith("http://127.0.0.1:") and urllib.parse.urlsplit(redirect).path == "/oauth/done"

        def run() -> None:
            for target in (redirect.replace("/oauth/done", "/callback"), redirect):
                try:
                    with urllib.request.urlopen(f"{target}?error=access_denied&state={state}", timeout=10) as page:
                        pages.append(page.status)
                except urllib.error.HTTPError as e:
                    pages.append(e.code)

        threading.Thread(target=run, daemon=True).start()

    with pytest.raises(authgate.OAuthError) as info:
        gearcode.sign_in_loopback(open_browser=browser, path="/oauth/done", timeout=10)
    assert info.value.error == "access_denied"
    assert pages[0] == 404, pages
    with pytest.raises(authgate.InvalidArgument, match="must start with /"):
        gearcode.sign_in_loopback(open_browser=pages.append, path="done")
    with pytest.raises(TypeError, match="path must be a str, not int"):
        gearcode.sign_in_loopback(open_browser=pages.append, path=1)  # type: ignore[arg-type]


def test_loopback_timeout_and_cancel(emulator: Emulator) -> None:
    client = kontur(emulator)
    opened: List[str] = []
    start = time.monotonic()
    with pytest.raises(authgate.TimeoutError):
        client.sign_in_loopback(open_browser=opened.append, timeout=0.5)
    assert time.monotonic() - start < 3 and opened[0].startswith(emulator.base_url + "/connect/authorize?")
    cancel = authgate.CancelToken()
    threading.Timer(0.3, cancel.cancel).start()
    with pytest.raises(authgate.Cancelled):
        client.sign_in_loopback(open_browser=opened.append, cancel=cancel)


def test_loopback_opener_errors_are_raised_as_they_are(emulator: Emulator) -> None:
    def broken(url: str) -> None:
        raise RuntimeError("no browser here")

    with pytest.raises(RuntimeError, match="no browser here"):
        kontur(emulator).sign_in_loopback(open_browser=broken)
    with pytest.raises(ValueError, match="not both"):
        kontur(emulator).sign_in_loopback(open_browser=print, browser_command="firefox")
    with pytest.raises(TypeError, match="cancel must be an authgate.CancelToken"):
        kontur(emulator).sign_in_loopback(cancel=True)  # type: ignore[arg-type]


def test_loopback_denied_in_the_browser(emulator: Emulator) -> None:
    # Interactive mode: the browser gets the login form; deny it there.
    emulator.control("interactive", {"enabled": True})
    client = kontur(emulator)

    def deny(url: str) -> None:
        def run() -> None:
            with urllib.request.urlopen(url, timeout=10) as page:
                form = page.read().decode()
            fields = dict(
                (m.split('name="')[1].split('"')[0], html.unescape(m.split('value="')[1].split('"')[0]))
                for m in form.split("<input")[1:] if 'type="hidden"' in m
            )
            fields.update(username="user-1", password="correct horse", action="deny")
            req = urllib.request.Request(emulator.base_url + "/login", data=urllib.parse.urlencode(fields).encode())
            try:
                urllib.request.urlopen(req, timeout=10).read()
            except Exception:  # the loopback page after the redirect; not the point here
                pass

        threading.Thread(target=run, daemon=True).start()

    with pytest.raises(authgate.OAuthError) as info:
        client.sign_in_loopback(open_browser=deny, timeout=10)
    assert info.value.error == "access_denied"


def test_discovered_config_as_json_is_the_same(emulator: Emulator) -> None:
    base = emulator.base_url
    client = authgate.Client.from_json(json.dumps({
        "provider": "kontur", "base_url": base, "client_id": "kontur-service", "client_secret": "kontur-api-key",
        "issuer": base, "jwks_uri": base + "/.well-known/openid-configuration/jwks", "redirect_uri": REDIRECT_URI,
    }))
    tokens, nonce = sign_in(emulator, client)
    assert client.validate_id_token(tokens, nonce=nonce)["sub"] == "user-1"
