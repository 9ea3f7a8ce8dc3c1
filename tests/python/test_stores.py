"""Issue 16 in Python: stores written in Python (a TokenStore subclass, or any object with
load() and save()), one whose save fails once (no rotated refresh token lost), one that
raises (a StoreError, no hang), the tokens-changed hook, an encrypted FileStore, TokenSet
pickling and dicts, and the async twins."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
import pickle
import sys
import threading
import time
from typing import Any, Iterator, List, Optional

import pytest

import authgate
from conftest import Emulator
from test_manager import GC_TOKEN, signed_in

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"))
from sqlite_store import SqliteStore  # noqa: E402


class DictStore(authgate.TokenStore):
    """A store written in Python, with failures on demand and a counting lock."""

    def __init__(self) -> None:
        self.json: Optional[str] = None
        self.fail_saves = 0
        self.raise_on_load: Optional[BaseException] = None
        self.locks = 0
        self.unlocks = 0

    def load(self) -> Optional[str]:
        if self.raise_on_load is not None:
            raise self.raise_on_load
        return self.json

    def save(self, json: str) -> None:
        if self.fail_saves:
            self.fail_saves -= 1
            raise OSError("injected: disk full")
        self.json = json

    def clear(self) -> None:
        self.json = None

    @contextlib.contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        self.locks += 1
        try:
            yield
        finally:
            self.unlocks += 1


def stored_refresh_token(store: DictStore) -> Optional[str]:
    assert store.json is not None
    return authgate.TokenSet.from_json(store.json).refresh_token


def count(emulator: Emulator, path: str) -> int:
    return emulator.counts().get(path, 0)


# --- 16.1: stores of your own ---------------------------------------------------------------

def test_a_python_store_round_trips_under_its_lock(emulator: Emulator, gearcode: authgate.Client) -> None:
    store = DictStore()
    manager = authgate.TokenManager(gearcode, store=store)
    assert manager.store is store
    manager.set_tokens(signed_in(emulator, gearcode))
    assert store.json is not None and '"refresh_token"' in store.json
    assert store.locks == store.unlocks == 1
    token = manager.access_token()
    before = count(emulator, GC_TOKEN)
    again = authgate.TokenManager(gearcode, store=store)  # a restarted program
    assert again.access_token() == token
    assert count(emulator, GC_TOKEN) == before
    again.clear()
    assert store.json is None


def test_any_object_with_load_and_save_is_a_store(emulator: Emulator, gearcode: authgate.Client) -> None:
    class Plain:
        def __init__(self) -> None:
            self.saved: Any = None

        def load(self) -> Any:
            return None if self.saved is None else authgate.TokenSet.from_json(self.saved).to_dict()

        def save(self, json: str) -> None:
            self.saved = json

    store = Plain()
    manager = authgate.TokenManager(gearcode, store=store)
    manager.set_tokens(signed_in(emulator, gearcode))
    assert authgate.TokenManager(gearcode, store=store).access_token() == manager.access_token()
    with pytest.raises(TypeError, match="load\\(\\) and save"):
        authgate.TokenManager(gearcode, store=object())
    with pytest.raises(NotImplementedError):
        authgate.TokenStore().load()


def test_a_failed_save_keeps_the_rotated_refresh_token(emulator: Emulator, gearcode: authgate.Client) -> None:
    store = DictStore()
    seen: List[authgate.TokenSet] = []
    manager = authgate.TokenManager(gearcode, store=store, on_tokens_changed=seen.append)
    manager.set_tokens(signed_in(emulator, gearcode))
    rt1 = stored_refresh_token(store)

    store.fail_saves = 1
    manager.invalidate()
    before = count(emulator, GC_TOKEN)
    with pytest.raises(authgate.StoreError, match="save\\(\\) raised OSError: injected: disk full"):
        manager.access_token()
    assert stored_refresh_token(store) == rt1  # the save failed; RT1 is dead at the server
    assert len(seen) == 1 and seen[0].refresh_token != rt1  # the hook has RT2 all the same

    token = manager.access_token()  # saves RT2, without a request
    assert count(emulator, GC_TOKEN) == before + 1
    assert stored_refresh_token(store) == seen[0].refresh_token
    assert token == seen[0].access_token
    assert gearcode.refresh(authgate.TokenSet.from_json(store.json or "")).access_token  # live


def test_a_raising_store_is_a_store_error_and_releases_the_gil(
    emulator: Emulator, gearcode: authgate.Client
) -> None:
    store = DictStore()
    store.raise_on_load = RuntimeError("the database is offline")
    manager = authgate.TokenManager(gearcode, store=store, wait_timeout=5)
    ticks: List[float] = []
    stop = threading.Event()

    def ticker() -> None:  # runs only if the GIL is free
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        for _ in range(3):
            with pytest.raises(authgate.StoreError, match="load\\(\\) raised RuntimeError: the database is offline"):
                manager.access_token()
        store.raise_on_load = None
        manager.set_tokens(signed_in(emulator, gearcode))
        assert manager.access_token()
        n = len(ticks)
        time.sleep(0.05)
        assert len(ticks) > n, "the GIL is released again"
    finally:
        stop.set()
        t.join()


def test_a_store_lock_timeout_is_a_timeout_error(gearcode: authgate.Client) -> None:
    class Busy(authgate.TokenStore):
        def load(self) -> None:
            return None

        def save(self, json: str) -> None:
            pass

        def acquire(self, timeout: float) -> bool:
            return False

        def release(self) -> None:
            raise AssertionError("never taken")

    class BusyContext(DictStore):
        @contextlib.contextmanager
        def lock(self, timeout: float) -> Iterator[None]:
            raise TimeoutError("another till holds it")
            yield

    ts = authgate.TokenSet.from_json('{"access_token":"a","refresh_token":"r","expires_in":60}')
    for store in (Busy(), BusyContext()):
        with pytest.raises(authgate.TimeoutError):
            authgate.TokenManager(gearcode, store=store, wait_timeout=1).set_tokens(ts)


def test_the_sqlite_example_store(emulator: Emulator, gearcode: authgate.Client, tmp_path: pathlib.Path) -> None:
    store = SqliteStore(str(tmp_path / "tokens.sqlite"))
    manager = authgate.TokenManager(gearcode, store=store)
    manager.set_tokens(signed_in(emulator, gearcode))
    manager.invalidate()
    token = manager.access_token()
    other = authgate.TokenManager(gearcode, store=SqliteStore(str(tmp_path / "tokens.sqlite")))
    assert other.access_token() == token


# --- 16.2: the tokens-changed hook -----------------------------------------------------------

def test_the_hook_sees_each_rotated_refresh_token(emulator: Emulator, gearcode: authgate.Client) -> None:
    store = DictStore()
    seen: List[authgate.TokenSet] = []
    manager = authgate.TokenManager(gearcode, store=store, on_tokens_changed=seen.append)
    manager.set_tokens(signed_in(emulator, gearcode))
    assert seen == []
    for n in (1, 2):
        manager.invalidate()
        token = manager.access_token()
        assert len(seen) == n and seen[-1].access_token == token
        assert seen[-1].refresh_token == stored_refresh_token(store)  # saved before the hook
    with pytest.raises(TypeError, match="on_tokens_changed"):
        authgate.TokenManager(gearcode, on_tokens_changed=42)


def test_a_raising_hook_loses_nothing(emulator: Emulator, gearcode: authgate.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    unraisable: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    def hook(tokens: authgate.TokenSet) -> None:
        raise ValueError("the database is offline")

    store = DictStore()
    manager = authgate.TokenManager(gearcode, store=store, on_tokens_changed=hook)
    manager.set_tokens(signed_in(emulator, gearcode))
    manager.invalidate()
    token = manager.access_token()
    assert authgate.TokenSet.from_json(store.json or "").access_token == token
    assert len(unraisable) == 1 and isinstance(unraisable[0].exc_value, ValueError)
    manager.invalidate()
    assert manager.access_token() != token  # still works


# --- 16.3: encryption at rest ----------------------------------------------------------------

def test_an_encrypted_file_store(emulator: Emulator, gearcode: authgate.Client, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "tokens.json"
    key = bytes(range(32))
    store = authgate.FileStore(path, key=key)
    assert store.encrypted and "key=..." in repr(store) and "\\x00" not in repr(store)
    tokens = signed_in(emulator, gearcode)
    authgate.TokenManager(gearcode, store=store).set_tokens(tokens)
    text = path.read_text()
    assert "chacha20-poly1305" in text and (tokens.refresh_token or "-") not in text
    loaded = authgate.FileStore(path, key=key).load()
    assert loaded is not None and loaded.refresh_token == tokens.refresh_token
    copy = tmp_path / "copy.json"
    copy.write_text(text)
    with pytest.raises(authgate.StoreError, match="the key does not match"):
        authgate.FileStore(copy, key=bytes(32)).load()
    with pytest.raises(authgate.StoreError, match="encrypted"):
        authgate.FileStore(copy).load()
    with pytest.raises(authgate.InvalidArgument, match="32 bytes"):
        authgate.FileStore(path, key=b"short")
    with pytest.raises(TypeError):
        authgate.FileStore(path, key="a str")  # type: ignore[arg-type]


# --- 16.6: TokenSet pickling and dicts; the async twins ------------------------------------------

def test_a_token_set_pickles_and_converts_to_a_dict() -> None:
    ts = authgate.TokenSet.from_json(
        '{"access_token":"a","refresh_token":"r","expires_in":60,"scope":"x y","provider_field":1}'
    )
    back = pickle.loads(pickle.dumps(ts))
    assert isinstance(back, authgate.TokenSet)
    assert (back.access_token, back.refresh_token, back.expires_at) == (ts.access_token, ts.refresh_token, ts.expires_at)
    d = ts.to_dict()
    assert d["refresh_token"] == "r" and d["provider_field"] == 1 and isinstance(d["expires_at"], int)
    again = authgate.TokenSet.from_dict(d)
    assert again.expires_at == ts.expires_at and again.scope == "x y"
    with pytest.raises(TypeError):
        authgate.TokenSet.from_dict("{}")  # type: ignore[arg-type]


def test_access_token_async_runs_off_the_event_loop(emulator: Emulator, gearcode: authgate.Client) -> None:
    manager = authgate.TokenManager(gearcode)
    manager.set_tokens(signed_in(emulator, gearcode))
    emulator.fault(GC_TOKEN, "delay", ms=500)
    manager.invalidate()

    async def main() -> tuple[str, int, authgate.TokenSet]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.ensure_future(tick())
        token = await manager.access_token_async()
        ticker.cancel()
        return token, ticks, await manager.token_set_async()

    token, ticks, ts = asyncio.run(main())
    assert ts.access_token == token
    assert ticks >= 10, "the loop kept running during the refresh"
    assert asyncio.run(manager.access_token_valid_for_async(1)) == token


def test_a_cancelled_async_device_wait_stops(emulator: Emulator) -> None:
    from test_oidc import kontur

    client = kontur(emulator)
    auth = client.device_authorization()

    async def main() -> float:
        task = asyncio.ensure_future(client.wait_for_device_token_async(auth))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - started

    assert asyncio.run(main()) < 2, "the wait stopped when the task was cancelled"
