"""The interactive sign-ins against the emulator's Kontur dialect: a device sign-in with a
server's absurd interval, one saved as JSON and resumed by a new client, and a loopback
sign-in that a stalled local peer or a wrong ``state`` cannot hold up or end."""

from __future__ import annotations

import datetime
import http.client
import json
import socket
import threading
import time
import urllib.parse
from typing import List

import pytest

import authgate
from conftest import REDIRECT_URI, Emulator

K_TOKEN = "/connect/token"


def kontur(emulator: Emulator) -> authgate.Client:
    return authgate.Client.discover(
        emulator.base_url, "kontur", client_id="kontur-service", client_secret="kontur-api-key",
        redirect_uri=REDIRECT_URI, timeout=10,
    )


def test_a_huge_device_interval_is_capped(emulator: Emulator) -> None:
    emulator.control("device", {"interval": 2**64 - 3})
    client = kontur(emulator)
    auth = client.device_authorization()
    assert auth.interval == 60
    for _ in range(3):
        assert client.poll_device_token(auth) is None  # pending, then slow_down
    assert auth.interval == 60


def test_a_device_sign_in_resumes_after_a_restart(emulator: Emulator) -> None:
    client = kontur(emulator)
    auth = client.device_authorization(scopes=["openid"])
    saved = auth.to_json()
    assert json.loads(saved)["scopes"] == ["openid"]
    assert json.loads(saved)["device_code"] not in repr(auth)
    user_code = auth.user_code
    del auth, client  # the till is switched off

    client = kontur(emulator)
    resumed = authgate.DeviceAuthorization.from_json(saved)
    assert resumed.user_code == user_code and resumed.scopes == ["openid"] and resumed.interval == 1
    left = resumed.expires_at - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(seconds=290) < left <= datetime.timedelta(seconds=301)
    emulator.control("device/approve", {"user_code": user_code, "approve": True})
    tokens = client.wait_for_device_token(resumed)
    assert tokens.scope == "openid" and tokens.warnings == []


def test_a_resumed_device_sign_in_past_its_expiry_fails_without_a_request(emulator: Emulator) -> None:
    client = kontur(emulator)
    saved = json.loads(client.device_authorization().to_json())
    saved["expires_at"] = int(time.time()) - 1
    resumed = authgate.DeviceAuthorization.from_json(json.dumps(saved))
    assert resumed.is_expired()
    before = emulator.counts().get(K_TOKEN, 0)
    with pytest.raises(authgate.OAuthError) as info:
        client.wait_for_device_token(resumed)
    assert info.value.error == "expired_token"
    assert emulator.counts().get(K_TOKEN, 0) == before
    with pytest.raises(authgate.InvalidArgument):  # also a ValueError
        authgate.DeviceAuthorization.from_json("{}")


def redirect_port(url: str) -> int:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    port = urllib.parse.urlsplit(query["redirect_uri"][0]).port
    assert port is not None
    return port


def stall(url: str, peers: List[socket.socket]) -> None:
    """Connects to the sign-in's listener and sends half a request head, never the rest."""
    s = socket.create_connection(("127.0.0.1", redirect_port(url)))
    s.sendall(b"GET /callback?code=x")
    peers.append(s)


def test_loopback_timeout_with_a_stalled_peer(emulator: Emulator) -> None:
    peers: List[socket.socket] = []
    start = time.monotonic()
    with pytest.raises(authgate.TimeoutError):
        kontur(emulator).sign_in_loopback(open_browser=lambda url: stall(url, peers), timeout=2)
    took = time.monotonic() - start
    for p in peers:
        p.close()
    assert took < 2.5, took


def test_loopback_cancel_with_a_stalled_peer(emulator: Emulator) -> None:
    peers: List[socket.socket] = []
    cancel = authgate.CancelToken()
    cancelled_at: List[float] = []

    def later() -> None:
        cancelled_at.append(time.monotonic())
        cancel.cancel()

    threading.Timer(0.5, later).start()
    with pytest.raises(authgate.Cancelled):
        kontur(emulator).sign_in_loopback(open_browser=lambda url: stall(url, peers), cancel=cancel, timeout=60)
    late = time.monotonic() - cancelled_at[0]
    for p in peers:
        p.close()
    assert late < 0.5, late


def test_loopback_wrong_state_then_the_right_one(emulator: Emulator) -> None:
    peers: List[socket.socket] = []
    statuses: List[int] = []
    threads: List[threading.Thread] = []

    def get(port: int, target: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", target)
        status = conn.getresponse().status
        conn.close()
        return status

    def browser(url: str) -> None:
        def run() -> None:
            port = redirect_port(url)
            stall(url, peers)
            statuses.append(get(port, "/favicon.ico"))
            statuses.append(get(port, "/callback?code=forged&state=wrong"))
            location = urllib.parse.urlsplit(emulator.authorize(url))
            statuses.append(get(port, f"{location.path}?{location.query}"))

        threads.append(threading.Thread(target=run, daemon=True))
        threads[0].start()

    tokens = kontur(emulator).sign_in_loopback(open_browser=browser, timeout=20)
    threads[0].join(10)
    for p in peers:
        p.close()
    assert tokens.access_token and tokens.id_token
    assert statuses == [404, 400, 200]
