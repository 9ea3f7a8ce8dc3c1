"""``python -m authgate``: the command-line tool from the installed package, no cargo needed."""

import json
import os
import pathlib
import subprocess
import sys

from conftest import Emulator

CLIENT_ID = "pos-terminal"
CLIENT_SECRET = "p@ss+word%"
USER = "кассир"
PASSWORD = "p&s=w+o%rd 1 ё"


def run(*args: str, env: dict = {}, cwd: str = "/") -> subprocess.CompletedProcess:
    # From "/", only the installed package can answer `-m authgate`.
    return subprocess.run(
        [sys.executable, "-m", "authgate", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, **env},
    )


def test_help_lists_the_subcommands() -> None:
    out = run("--help")
    assert out.returncode == 0, out.stderr
    for sub in ("token", "refresh", "doctor", "decode", "store"):
        assert sub in out.stdout
    assert run("token", "--help").returncode == 0


def test_password_flow_with_trace_saves_tokens_and_shows_no_secret(emulator: Emulator, tmp_path: pathlib.Path) -> None:
    store = tmp_path / "tokens.json"
    out = run(
        "--provider", "cuba", "--base-url", emulator.base_url, "--client-id", CLIENT_ID,
        "token", "--username", USER, "--trace", "--save", str(store),
        env={"AUTHGATE_CLIENT_SECRET": CLIENT_SECRET, "AUTHGATE_PASSWORD": PASSWORD},
    )
    both = out.stdout + out.stderr
    assert out.returncode == 0, both
    assert "authgate.wire" in out.stderr and "POST" in out.stderr, out.stderr
    saved = json.loads(store.read_text())
    for secret in (CLIENT_SECRET, PASSWORD, saved["access_token"], saved["refresh_token"]):
        assert secret not in both


def test_exit_codes_tell_configuration_from_sign_in() -> None:
    out = run("--provider", "cuba", "--base-url", "http://127.0.0.1:9", "token", "--username", "x",
              env={"AUTHGATE_PASSWORD": "x"})
    assert out.returncode == 3, out.stderr  # no client id: a configuration error
