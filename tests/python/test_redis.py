"""RedisStore against a real redis-server (started on a free loopback port for this module,
stopped by its PID): two managers (two machines of a fleet) share one rotating token set,
outages raise StoreError, and no URL password is ever shown."""

from __future__ import annotations

import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from typing import Iterator, List

import pytest

import authgate
from conftest import Emulator

GC_TOKEN = "/oauth/token"
TLS = pathlib.Path(__file__).resolve().parents[1] / "emulator" / "tls"


class Redis:
    """A redis-server on 127.0.0.1 with an append-only file synced on every write, and a TLS
    port (tests/emulator/tls/server.pem, for 127.0.0.1, signed by its ca.pem)."""

    def __init__(self) -> None:
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="authgate-py-redis-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.tls_port = s.getsockname()[1]
        self.proc: "subprocess.Popen[bytes] | None" = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def tls_url(self) -> str:
        return f"rediss://127.0.0.1:{self.tls_port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (Debian package redis-server; scripts/setup-machine.sh)")
        self.proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.dir),
             "--tls-port", str(self.tls_port), "--tls-cert-file", str(TLS / "server.pem"),
             "--tls-key-file", str(TLS / "server.key"), "--tls-ca-cert-file", str(TLS / "ca.pem"),
             "--tls-auth-clients", "no", "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture(scope="module")
def redis() -> Iterator[Redis]:
    server = Redis()
    try:
        yield server
    finally:
        server.kill()
        shutil.rmtree(server.dir, ignore_errors=True)


def signed_in(emulator: Emulator, client: authgate.Client) -> authgate.TokenSet:
    req = client.authorization_url()
    code = req.parse_callback(emulator.authorize(req.url))
    return client.exchange_code(code, pkce_verifier=req.pkce_verifier)


def test_two_machines_share_one_rotating_set_with_one_refresh_per_expiry(
    emulator: Emulator, gearcode: authgate.Client, redis: Redis
) -> None:
    emulator.control("expires_in", {"dialect": "gearcode", "seconds": 2})
    machines = [
        authgate.TokenManager(gearcode, store=authgate.RedisStore(redis.url, gearcode, lock_expiry=2), leeway=1)
        for _ in range(2)
    ]
    assert isinstance(machines[0].store, authgate.RedisStore)
    machines[0].set_tokens(signed_in(emulator, gearcode))
    before = emulator.counts().get(GC_TOKEN, 0)
    errors: List[BaseException] = []
    seen = set()
    lock = threading.Lock()

    def use(manager: authgate.TokenManager) -> None:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            try:
                token = manager.access_token()
                with lock:
                    seen.add(token)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)
                return
            time.sleep(0.005)

    threads = [threading.Thread(target=use, args=(m,)) for m in machines for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    refreshes = emulator.counts().get(GC_TOKEN, 0) - before
    # A refresh is due every second (2 s tokens, 1 s leeway): one for the fleet, not one
    # per machine.
    assert 3 <= refreshes <= 5, refreshes
    assert sum(m.refresh_count for m in machines) == refreshes
    assert len(seen) <= refreshes + 1
    # The stored refresh token is the live one.
    stored = machines[1].store.load()
    assert stored is not None and stored.refresh_token is not None
    gearcode.refresh(stored.refresh_token)
    machines[0].clear()
    assert machines[1].store.load() is None


def test_an_outage_raises_store_error_and_a_valid_cached_token_is_still_served(
    emulator: Emulator, gearcode: authgate.Client, redis: Redis
) -> None:
    store = authgate.RedisStore(redis.url, gearcode, timeout=0.5)
    manager = authgate.TokenManager(gearcode, store=store, wait_timeout=3)
    manager.set_tokens(signed_in(emulator, gearcode))
    token = manager.access_token()
    redis.kill()
    try:
        assert manager.access_token() == token  # from memory: no I/O
        with pytest.raises(authgate.StoreError, match="127.0.0.1") as info:
            store.load()
        assert info.value.code == authgate.ErrorCode.STORE
        assert info.value.is_transient  # an outage: try again later
    finally:
        redis.start()
    stored = store.load()  # the append-only file kept it; the store connects again
    assert stored is not None and stored.access_token == token


def test_arguments_and_no_password_anywhere(gearcode: authgate.Client) -> None:
    with pytest.raises(TypeError, match="url must be a str"):
        authgate.RedisStore(b"redis://x", gearcode)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="client must be an authgate.Client"):
        authgate.RedisStore("redis://127.0.0.1/0", "client")  # type: ignore[arg-type]
    with pytest.raises(authgate.ConfigError) as bad:
        authgate.RedisStore("http://:pa55w0rd@x/", gearcode)
    assert "pa55w0rd" not in str(bad.value)
    store = authgate.RedisStore("redis://:pa55w0rd@127.0.0.1:9/0", gearcode, timeout=0.5)
    assert "pa55w0rd" not in repr(store)
    assert store.key.endswith("gearcode-client:tokens")
    with pytest.raises(authgate.StoreError) as down:
        store.load()
    assert "pa55w0rd" not in str(down.value) and "127.0.0.1:9" in str(down.value)
    assert down.value.is_transient
    with pytest.raises(TypeError, match="key must be 32 bytes"):
        authgate.RedisStore("redis://127.0.0.1/0", gearcode, key="k" * 32)  # type: ignore[arg-type]
    with pytest.raises(authgate.InvalidArgument, match="32 bytes"):
        authgate.RedisStore("redis://127.0.0.1/0", gearcode, key=b"k" * 31)


def raw_value(redis: Redis, key: str) -> bytes:
    """The field ``set`` of the hash ``key``, read over RESP without a client library."""
    command = [b"HGET", key.encode(), b"set"]
    wire = b"*%d\r\n" % len(command) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in command)
    with socket.create_connection(("127.0.0.1", redis.port), timeout=2) as c:
        c.sendall(wire)
        data = b""
        while not data.endswith(b"\r\n") or data.count(b"\r\n") < 2:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def test_a_sealed_set_hides_the_tokens_and_needs_its_key(
    emulator: Emulator, gearcode: authgate.Client, redis: Redis
) -> None:
    sealed = authgate.RedisStore(redis.url, gearcode, key=b"\x07" * 32)
    assert sealed.encrypted and not authgate.RedisStore(redis.url, gearcode).encrypted
    manager = authgate.TokenManager(gearcode, store=sealed)
    tokens = signed_in(emulator, gearcode)
    manager.set_tokens(tokens)
    assert tokens.refresh_token is not None
    raw = raw_value(redis, sealed.key)
    assert b"chacha20-poly1305/1" in raw
    assert tokens.refresh_token.encode() not in raw and tokens.access_token.encode() not in raw
    stored = sealed.load()
    assert stored is not None and stored.refresh_token == tokens.refresh_token
    with pytest.raises(authgate.StoreError, match="the key does not match") as wrong:
        authgate.RedisStore(redis.url, gearcode, key=b"\x08" * 32).load()
    assert not wrong.value.is_transient
    manager.clear()


def test_rediss_round_trip_with_the_servers_ca(
    emulator: Emulator, gearcode: authgate.Client, redis: Redis
) -> None:
    store = authgate.RedisStore(redis.tls_url, gearcode, ca_file=TLS / "ca.pem")
    tokens = signed_in(emulator, gearcode)
    store.save(tokens)
    # The same set as over the plain port.
    stored = authgate.RedisStore(redis.url, gearcode).load()
    assert stored is not None and stored.refresh_token == tokens.refresh_token
    store.clear()
    # Another CA: a StoreError saying so, not an outage.
    untrusted = authgate.RedisStore(redis.tls_url, gearcode, ca_file=str(TLS / "expired-ca.pem"))
    with pytest.raises(authgate.StoreError, match="not signed by") as refused:
        untrusted.load()
    assert not refused.value.is_transient
