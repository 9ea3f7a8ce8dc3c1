"""TokenManager when things break: a failed save, a raising callback, a refused refresh
token, settings that cannot work."""

from __future__ import annotations

import os
import pathlib
import threading
import time
from typing import List, Optional, Tuple

import pytest

import authgate
from conftest import Emulator
from test_manager import GC_TOKEN, signed_in


def count(emulator: Emulator, path: str) -> int:
    return emulator.counts().get(path, 0)


def test_a_failed_save_keeps_the_rotated_refresh_token(
    emulator: Emulator, gearcode: authgate.Client, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "tokens.json"
    store = authgate.FileStore(path)
    manager = authgate.TokenManager(gearcode, store=store)
    manager.set_tokens(signed_in(emulator, gearcode))
    rt1 = store.load().refresh_token  # type: ignore[union-attr]

    # The refresh is held at the server; meanwhile the store's path becomes a folder, so
    # that the rename of the new set (RT2; RT1 is dead now) onto it fails, even as root.
    emulator.fault(GC_TOKEN, "delay", ms=1500)
    before = count(emulator, GC_TOKEN)
    manager.invalidate()
    failure: List[BaseException] = []

    def refresh() -> None:
        try:
            manager.access_token()
        except authgate.Error as e:
            failure.append(e)

    worker = threading.Thread(target=refresh)
    worker.start()
    deadline = time.monotonic() + 6
    while count(emulator, GC_TOKEN) == before and time.monotonic() < deadline:
        time.sleep(0.01)
    os.unlink(path)
    path.mkdir()
    worker.join()
    assert len(failure) == 1 and isinstance(failure[0], authgate.StoreError), failure

    # The folder goes: the next call saves the newest set, without a request.
    path.rmdir()
    kept = manager.access_token()
    assert count(emulator, GC_TOKEN) == before + 1
    saved = store.load()
    assert saved is not None and saved.access_token == kept
    assert saved.refresh_token != rt1
    assert gearcode.refresh(saved).access_token, "the stored refresh token is the live one"


def test_a_raising_callback_frees_the_refresh_slot(emulator: Emulator, cuba: authgate.Client) -> None:
    calls: List[int] = []

    def credentials() -> Optional[Tuple[str, str]]:
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.3)
            raise RuntimeError("the till's prompt crashed")
        return ("admin", "admin")

    manager = authgate.TokenManager(cuba, password_credentials=credentials, wait_timeout=30)
    errors: List[BaseException] = []

    def first() -> None:
        try:
            manager.access_token()
        except RuntimeError as e:
            errors.append(e)

    threads = [threading.Thread(target=first) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors and all("prompt crashed" in str(e) for e in errors)
    start = time.monotonic()
    assert manager.access_token()
    assert time.monotonic() - start < 2, "the next call does not wait for the failed one"
    assert len(calls) == 2


def test_a_refused_refresh_token_is_not_sent_again(
    emulator: Emulator, gearcode: authgate.Client, tmp_path: pathlib.Path
) -> None:
    store = authgate.FileStore(tmp_path / "tokens.json")
    manager = authgate.TokenManager(gearcode, store=store)
    manager.set_tokens(signed_in(emulator, gearcode))
    emulator.control("revoke")
    manager.invalidate()
    before = count(emulator, GC_TOKEN)
    with pytest.raises(authgate.SignInRequired):
        manager.access_token()
    assert count(emulator, GC_TOKEN) == before + 1
    for _ in range(3):
        with pytest.raises(authgate.SignInRequired, match="refused"):
            manager.access_token()
    assert count(emulator, GC_TOKEN) == before + 1, "no request with the dead refresh token"
    stored = store.load()
    assert stored is not None and stored.refresh_token is None

    manager.set_tokens(signed_in(emulator, gearcode))
    manager.invalidate()
    assert manager.access_token()
    assert store.load().refresh_token is not None  # type: ignore[union-attr]


def test_settings_that_cannot_work_are_a_config_error(cuba: authgate.Client) -> None:
    with pytest.raises(authgate.ConfigError, match="max_attempts must be at least 1"):
        authgate.TokenManager(cuba, max_attempts=0)
    with pytest.raises(authgate.ConfigError, match="wait_timeout must be greater than zero"):
        authgate.TokenManager(cuba, wait_timeout=0)
    assert authgate.TokenManager(cuba, max_attempts=1, wait_timeout=0.5)


def test_tokens_living_less_than_the_leeway_are_handed_out(emulator: Emulator, gearcode: authgate.Client) -> None:
    emulator.control("expires_in", {"dialect": "gearcode", "seconds": 60})
    manager = authgate.TokenManager(gearcode)  # leeway 60 s: half the lifetime is used
    manager.set_tokens(signed_in(emulator, gearcode))
    for _ in range(20):
        assert manager.access_token()
    assert manager._peek() is not None
    assert manager.refresh_count == 0
    with pytest.raises(authgate.InvalidArgument):
        manager.access_token_valid_for(60)  # more than the server gives


def test_max_backoff_caps_a_servers_retry_after(emulator: Emulator, gearcode: authgate.Client) -> None:
    # The server asks for 5 s; the manager waits at most max_backoff (default 10 s) before
    # its second attempt.
    emulator.fault(GC_TOKEN, "status", status=503, retry_after=5)
    manager = authgate.TokenManager(gearcode, allow_client_credentials=True, max_backoff=0.1)
    before = count(emulator, GC_TOKEN)
    start = time.monotonic()
    assert manager.access_token()
    assert time.monotonic() - start < 3
    assert count(emulator, GC_TOKEN) == before + 2


def test_max_backoff_arguments(gearcode: authgate.Client) -> None:
    import datetime

    authgate.TokenManager(gearcode, max_backoff=datetime.timedelta(milliseconds=250))
    authgate.TokenManager(gearcode, max_backoff=0)
    with pytest.raises(TypeError, match="max_backoff must be a number of seconds or a datetime.timedelta, not str"):
        authgate.TokenManager(gearcode, max_backoff="1s")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_backoff must be a finite number of seconds"):
        authgate.TokenManager(gearcode, max_backoff=-1)
