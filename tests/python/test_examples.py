"""The examples run against the emulator and pass mypy --strict."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from conftest import Emulator

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "python").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(emulator: Emulator, path: pathlib.Path) -> None:
    if "requests" in path.name or "httpx" in path.name:
        pytest.importorskip("requests" if "requests" in path.name else "httpx")
    done = subprocess.run(
        [sys.executable, str(path), emulator.base_url], capture_output=True, text=True, timeout=60,
        cwd=pathlib.Path.home(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The examples print token sets: never a token.
    assert "[redacted]" in done.stdout or path.name not in ("quickstart.py", "token_manager.py", "device_flow.py")


def test_examples_and_package_pass_mypy_strict(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("mypy")
    env = dict(os.environ, MYPY_CACHE_DIR=str(tmp_path / "mypy-cache"))
    for target in (["-p", "authgate"], [str(p) for p in EXAMPLES]):
        done = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", *target], capture_output=True, text=True, timeout=300,
            env=env, cwd=tmp_path,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_stubs_match_the_extension(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("mypy")
    env = dict(os.environ, MYPY_CACHE_DIR=str(tmp_path / "mypy-cache"))
    done = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "authgate._native"], capture_output=True, text=True, timeout=300,
        env=env, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
