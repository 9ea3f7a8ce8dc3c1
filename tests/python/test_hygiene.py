"""Values and shared files that could crash or hang a till: a header value with a line break
(a ConfigError at construction, not a PanicException in the first request), a token store
whose lock another process holds (a transient TimeoutError, not a hang), and the leftover
temporary files of a writer that died mid-save."""

from __future__ import annotations

import fcntl
import os
import pathlib
import subprocess
import sys
import time

import pytest

import authgate
from conftest import Emulator, make_client


@pytest.mark.parametrize("option", ["user_agent", "client_secret", "client_id", "redirect_uri"])
def test_a_line_break_in_a_header_or_url_value_is_a_config_error(emulator: Emulator, option: str) -> None:
    with pytest.raises(authgate.ConfigError, match=option) as caught:
        make_client(emulator, "cuba", **{option: "value-xyz\r\nX-Evil 1"})
    assert isinstance(caught.value, ValueError)
    assert "value-xyz" not in str(caught.value)


def test_a_store_lock_held_by_another_process_is_a_transient_timeout(
    emulator: Emulator, cuba: authgate.Client, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "tokens.json"
    manager = authgate.TokenManager(cuba, store=authgate.FileStore(path), wait_timeout=0.3, max_attempts=1)
    # An expired token: the next access_token must refresh, under the store's lock.
    manager.set_tokens(authgate.TokenSet.from_json('{"access_token":"a","refresh_token":"r","expires_in":0}'))
    with open(f"{path}.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another holder (a process frozen mid-refresh, say)
        start = time.monotonic()
        with pytest.raises(authgate.TimeoutError, match="lock") as caught:
            manager.access_token()
        # Bounded by the wait timeout once the manager passes it on to the store (by the
        # store's own 30 s default otherwise).
        assert time.monotonic() - start < 40
    assert caught.value.is_transient
    assert isinstance(caught.value, TimeoutError)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the pid rule is Linux's")
def test_a_dead_writers_leftover_is_removed_by_the_next_save(tmp_path: pathlib.Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_file = tmp_path / f"tokens.json.tmp.{int(dead.stdout)}.AbCd1234"
    live_file = tmp_path / f"tokens.json.tmp.{os.getpid()}.EfGh5678"
    for f in (dead_file, live_file):
        f.write_text('{"access_token":"a","refresh_token":"old-secret"}')
    authgate.FileStore(tmp_path / "tokens.json").save(authgate.TokenSet.from_json('{"access_token":"b"}'))
    assert not dead_file.exists()
    assert live_file.exists()
