"""TokenManager, MemoryStore and FileStore against the emulator."""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List, Set, Tuple

import pytest

import authgate
from conftest import Emulator, make_client

GC_TOKEN = "/oauth/token"
CUBA_TOKEN = "/app/rest/v2/oauth/token"


def signed_in(emulator: Emulator, client: authgate.Client) -> authgate.TokenSet:
    """GearCode's code flow: a token set with a (rotating) refresh token."""
    req = client.authorization_url()
    code = req.parse_callback(emulator.authorize(req.url))
    return client.exchange_code(code, pkce_verifier=req.pkce_verifier)


def test_64_threads_share_one_refresh_per_expiry(emulator: Emulator, gearcode: authgate.Client) -> None:
    emulator.control("expires_in", {"dialect": "gearcode", "seconds": 3})
    manager = authgate.TokenManager(gearcode, leeway=1)
    manager.set_tokens(signed_in(emulator, gearcode))
    assert manager.refresh_count == 0
    seen: Set[str] = set()
    lock = threading.Lock()
    barrier = threading.Barrier(64)
    deadline = time.monotonic() + 4.5  # tokens last 2 s here (3 s minus the leeway)

    def worker(_: int) -> int:
        barrier.wait()
        calls = 0
        mine: Set[str] = set()
        while time.monotonic() < deadline:
            mine.add(manager.access_token())
            calls += 1
            time.sleep(0.002)
        with lock:
            seen.update(mine)
        return calls

    with ThreadPoolExecutor(64) as pool:
        calls = sum(pool.map(worker, range(64)))
    counted = emulator.counts().get(GC_TOKEN, 0)
    # One code exchange, then one refresh per expiry, however many threads asked.
    assert manager.refresh_count >= 2, (manager.refresh_count, calls)
    assert len(seen) == manager.refresh_count + 1 == counted, (len(seen), manager.refresh_count, counted)
    assert calls > 1000


def test_cached_token_needs_no_request(emulator: Emulator, gearcode: authgate.Client) -> None:
    manager = authgate.TokenManager(gearcode)
    tokens = signed_in(emulator, gearcode)
    manager.set_tokens(tokens)
    assert manager.access_token() == tokens.access_token
    assert manager.token_set().refresh_token == tokens.refresh_token
    assert emulator.counts().get(GC_TOKEN) == 1 and manager.refresh_count == 0
    # GearCode tokens live 899 s: valid for 10 minutes, not for 20.
    assert manager.access_token_valid_for(600) == tokens.access_token
    fresh = manager.access_token_valid_for(datetime.timedelta(minutes=1))
    assert fresh == tokens.access_token
    with pytest.raises(authgate.InvalidArgument, match="not the 1200 s"):
        manager.access_token_valid_for(1200)


def test_invalidate_refreshes_and_rotation_is_kept(emulator: Emulator, gearcode: authgate.Client) -> None:
    store = authgate.MemoryStore()
    manager = authgate.TokenManager(gearcode, store=store)
    first = signed_in(emulator, gearcode)
    manager.set_tokens(first)
    manager.invalidate()
    second = manager.access_token()
    assert second != first.access_token and manager.refresh_count == 1
    saved = store.load()
    assert saved is not None and saved.access_token == second
    assert saved.refresh_token != first.refresh_token  # the rotated one was stored


def test_invalidate_token_only_the_current_one(emulator: Emulator, gearcode: authgate.Client) -> None:
    manager = authgate.TokenManager(gearcode)
    first = signed_in(emulator, gearcode)
    manager.set_tokens(first)
    assert manager._peek() == first.access_token
    assert manager.invalidate_token("some-other-token") is False
    assert manager._peek() == first.access_token and manager.refresh_count == 0
    assert manager.invalidate_token(first.access_token) is True
    assert manager._peek() is None
    second = manager.access_token()
    assert second != first.access_token and manager.refresh_count == 1
    # A late 401 for the old token changes nothing: no second refresh.
    assert manager.invalidate_token(first.access_token) is False
    assert manager.access_token() == second and manager.refresh_count == 1
    with pytest.raises(TypeError, match="rejected"):
        manager.invalidate_token(None)  # type: ignore[arg-type]


def test_invalid_grant_is_sign_in_required(emulator: Emulator, gearcode: authgate.Client) -> None:
    manager = authgate.TokenManager(gearcode)
    with pytest.raises(authgate.SignInRequired, match="sign in first") as info:
        manager.access_token()
    assert info.value.code == authgate.ErrorCode.SIGN_IN_REQUIRED and info.value.is_terminal
    tokens = signed_in(emulator, gearcode)
    manager.set_tokens(tokens)
    emulator.control("revoke")
    manager.invalidate()
    with pytest.raises(authgate.SignInRequired) as info:
        manager.access_token()
    e = info.value
    assert "invalid_grant" in str(e)
    assert tokens.refresh_token is not None and tokens.refresh_token not in str(e)
    assert tokens.access_token not in str(e)
    # After clear(), nothing is left.
    manager.clear()
    with pytest.raises(authgate.SignInRequired, match="sign in first"):
        manager.token_set()


def test_client_credentials_and_retries(emulator: Emulator, gearcode: authgate.Client) -> None:
    emulator.fault(GC_TOKEN, "status", status=503, retry_after=0)
    manager = authgate.TokenManager(gearcode, allow_client_credentials=True, max_attempts=2)
    assert manager.access_token()
    assert manager.refresh_count == 2 == emulator.counts().get(GC_TOKEN)


def test_password_credentials_callback(emulator: Emulator, cuba: authgate.Client) -> None:
    calls: List[int] = []

    def credentials() -> Tuple[str, str]:
        calls.append(threading.get_ident())
        return ("admin", "admin")

    manager = authgate.TokenManager(cuba, password_credentials=credentials)
    token = manager.access_token()
    assert token and len(calls) == 1
    assert emulator.request("GET", "/api/me", headers={"Authorization": "Bearer " + token}).status == 200

    def wrong() -> Tuple[str, str]:
        return ("admin", "not-the-password")

    with pytest.raises(authgate.SignInRequired) as info:
        authgate.TokenManager(cuba, password_credentials=wrong).access_token()
    assert "not-the-password" not in str(info.value)


def test_password_callback_errors_are_raised_as_they_are(cuba: authgate.Client) -> None:
    class Locked(Exception):
        pass

    def locked() -> Tuple[str, str]:
        raise Locked("the keychain is locked")

    with pytest.raises(Locked, match="keychain"):
        authgate.TokenManager(cuba, password_credentials=locked).access_token()
    with pytest.raises(TypeError, match=r"must return a \(username, password\) tuple of str or None, not list"):
        authgate.TokenManager(cuba, password_credentials=lambda: ["a", "b", "c"]).access_token()  # type: ignore[arg-type, return-value]
    # None: no credentials to offer, so a sign-in is needed.
    with pytest.raises(authgate.SignInRequired, match="sign in first"):
        authgate.TokenManager(cuba, password_credentials=lambda: None).access_token()


def test_file_store_round_trip_and_mode(tmp_path: pathlib.Path, cuba: authgate.Client) -> None:
    path = tmp_path / "tokens.json"
    store = authgate.FileStore(path)
    assert store.path == path and store.load() is None
    tokens = cuba.password("admin", "admin")
    store.save(tokens)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    back = store.load()
    assert back is not None
    assert back.access_token == tokens.access_token and back.refresh_token == tokens.refresh_token
    assert back.expires_at == tokens.expires_at
    assert json.loads(path.read_text())["expires_at"] == int(tokens.expires_at.timestamp())  # type: ignore[union-attr]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json"]  # no temporary left
    store.clear()
    assert store.load() is None and not path.exists()
    store.clear()  # nothing to clear: no error


def test_file_store_shared_by_two_managers(tmp_path: pathlib.Path, emulator: Emulator,
                                           gearcode: authgate.Client) -> None:
    path = str(tmp_path / "tokens.json")
    one = authgate.TokenManager(gearcode, store=authgate.FileStore(path))
    one.set_tokens(signed_in(emulator, gearcode))
    one.invalidate()
    rotated = one.access_token()
    # A second manager (another process, say) starts from the file: no request needed.
    two = authgate.TokenManager(gearcode, store=authgate.FileStore(path))
    assert two.access_token() == rotated and two.refresh_count == 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_store_errors(tmp_path: pathlib.Path, cuba: authgate.Client) -> None:
    missing = authgate.FileStore(tmp_path / "no-such-folder" / "tokens.json")
    with pytest.raises(authgate.StoreError) as info:
        missing.save(cuba.password("admin", "admin"))
    e = info.value
    assert isinstance(e, OSError) and e.code == authgate.ErrorCode.STORE
    garbage = tmp_path / "garbage.json"
    garbage.write_text("secret-looking garbage")
    with pytest.raises(authgate.StoreError) as info2:
        authgate.FileStore(garbage).load()
    assert "garbage" not in str(info2.value).replace(str(garbage), "")
    manager = authgate.TokenManager(cuba, store=authgate.FileStore(garbage))
    with pytest.raises(authgate.StoreError):
        manager.access_token()


def test_manager_arguments(cuba: authgate.Client) -> None:
    with pytest.raises(TypeError, match="client must be an authgate.Client, not str"):
        authgate.TokenManager("cuba")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="store must be an authgate.TokenStore or an object with load\\(\\) and save\\(json\\), not dict"):
        authgate.TokenManager(cuba, store={})
    with pytest.raises(TypeError, match="leeway must be a number of seconds"):
        authgate.TokenManager(cuba, leeway="60")  # type: ignore[arg-type]
    with pytest.raises(authgate.ConfigError, match="max_attempts must be at least 1"):
        authgate.TokenManager(cuba, max_attempts=0)
    with pytest.raises(ValueError, match="max_attempts must be an int from 1"):
        authgate.TokenManager(cuba, max_attempts=-1)
    with pytest.raises(TypeError, match="password_credentials must be a callable"):
        authgate.TokenManager(cuba, password_credentials=("admin", "admin"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tokens must be an authgate.TokenSet"):
        authgate.TokenManager(cuba).set_tokens("token")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        authgate.TokenManager(cuba, 60)  # type: ignore[misc]
    m = authgate.TokenManager(cuba, leeway=datetime.timedelta(seconds=90), wait_timeout=5)
    assert m.leeway == datetime.timedelta(seconds=90) and isinstance(m.store, authgate.MemoryStore)
    assert m.client is cuba
    assert "secret" not in repr(m)


def test_a_manager_without_leeway_uses_the_cores_default(cuba: authgate.Client) -> None:
    # No leeway given: the core's (60 s) applies, and the property shows it. A token set
    # that lives an hour (so the half-lifetime rule does not shrink the leeway) is handed
    # out from the cache with 90 s left and not with 30 s left.
    m = authgate.TokenManager(cuba, leeway=None, allow_client_credentials=None, max_attempts=None)
    assert m.leeway == datetime.timedelta(seconds=60)
    now = int(time.time())

    def left(seconds: int) -> authgate.TokenSet:
        answer = {"access_token": "at", "token_type": "Bearer", "expires_in": 3600}
        return authgate.TokenSet.from_json(json.dumps({**answer, "expires_at": now + seconds}))

    m.set_tokens(left(90))
    assert m._peek(None) == "at"
    m.set_tokens(left(30))
    assert m._peek(None) is None


def test_make_client_with_short_timeout_is_used_by_the_manager(emulator: Emulator) -> None:
    client = make_client(emulator, "gearcode", timeout=0.3)
    emulator.fault(GC_TOKEN, "delay", ms=2000)
    manager = authgate.TokenManager(client, allow_client_credentials=True, max_attempts=1)
    with pytest.raises(authgate.TimeoutError):
        manager.access_token()
