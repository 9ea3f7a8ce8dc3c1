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


# What each example must print: a token set shows as [redacted]; the others show what
# they got. A new example without an entry here fails.
EXPECTED = {
    "quickstart.py": ["2. tokens: TokenSet(", "[redacted]", "4. CUBA: Bearer ", "scope rest-api"],
    "token_manager.py": [
        "API answers: [200, 200, 200, 200, 200, 200, 200, 200] - token requests so far: 0",
        "after invalidate: 200 - token requests: 1",
        "stored: TokenSet(",
        "[redacted]",
    ],
    "device_flow.py": ["tokens: TokenSet(", "[redacted]", "signed in as user-1 Тестовый Пользователь"],
    "httpx_async.py": ["[200, 200, 200, 200]"],
    "requests_adapter.py": ["signed in as admin on cuba"],
    "sqlite_store.py": [
        "rotations seen by the hook: 2",
        "the database holds the newest refresh token: True",
        "stored: TokenSet(",
        "[redacted]",
    ],
}
# Where the examples send tokens and codes: none of what they sent may be printed.
SECRET_FIELDS = ("refresh_token", "code", "code_verifier", "device_code")
PATHS = ("/oauth/token", "/connect/token", "/app/rest/v2/oauth/token", "/api/me", "/connect/userinfo")


def secrets_sent(emulator: Emulator) -> set[str]:
    """The tokens and codes of the last request on each path the examples use."""
    found = set()
    for path in PATHS:
        sent = emulator.last_request(path)
        if sent is None:
            continue
        found.update(value for name, value in sent.form() if name in SECRET_FIELDS)
        found.update(value[7:] for name, value in sent.headers if name == "authorization" and value.startswith("Bearer "))
    return found


def test_every_example_has_expectations() -> None:
    assert sorted(EXPECTED) == [p.name for p in EXAMPLES]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(emulator: Emulator, path: pathlib.Path) -> None:
    if "requests" in path.name or "httpx" in path.name:
        pytest.importorskip("requests" if "requests" in path.name else "httpx")
    done = subprocess.run(
        [sys.executable, str(path), emulator.base_url], capture_output=True, text=True, timeout=60,
        cwd=pathlib.Path.home(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for expected in EXPECTED[path.name]:
        assert expected in done.stdout, (expected, done.stdout)
    secrets = secrets_sent(emulator)
    assert secrets, "the example made no token request or API call"
    for secret in secrets:
        assert secret not in done.stdout + done.stderr, done.stdout


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
