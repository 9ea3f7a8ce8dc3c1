#!/usr/bin/env bash
# Builds and installs the Python package from source into a venv, builds the provider
# emulator, and runs the Python test suite against it. The exit code is pytest's.
#
#   tests/python/run.sh [pytest arguments…]
#
# VENV (default: .venv at the repository root) and PYTHON (default: python3) choose the
# environment; AUTHGATE_EMULATOR points at a prebuilt emulator binary.
# AUTHGATE_PY_PROFILE (default: dev) is the Cargo profile of the extension: dev reuses the
# dependencies `cargo build` / `cargo test` already compiled (an install of about 10 s);
# release is what a plain `pip install ./python` builds (LTO; about 70 s from scratch on
# two cores).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${VENV:-$root/.venv}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet pytest pytest-timeout mypy requests httpx types-requests
# A real install (not editable) from the source tree: maturin is pulled by pip as the
# build backend, the wheel is the abi3 one users get.
"$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps "$root/python" \
    --config-settings=build-args="--profile ${AUTHGATE_PY_PROFILE:-dev}"

if [ -z "${AUTHGATE_EMULATOR:-}" ]; then
    cargo build --quiet -p authgate-emulator --manifest-path "$root/Cargo.toml"
fi

# From tests/python, python/ is not on sys.path: `import authgate` finds the installed package.
cd "$root/tests/python"
status=0
"$venv/bin/python" -m pytest -c "$root/tests/python/pytest.ini" --rootdir "$root/tests/python" "$@" || status=$?
exit "$status"
