#!/usr/bin/env bash
# The shipped artifacts, used as a user without Rust would: runs scripts/dist.sh, then
#   - installs the wheel from dist/ into a fresh venv with cargo and rustc hidden from PATH
#     (pip --no-index --only-binary: no build can happen) and runs flows against the emulator;
#   - unpacks the C SDK into a temporary prefix and builds and runs a C example with
#     pkg-config and the examples with CMake, against the emulator;
#   - runs the 1C test host against the add-in from the archive.
# Ends with the line "N passed, M failed"; exits non-zero on any failure.
#
# usage: tests/dist/run.sh        (AUTHGATE_DIST_REUSE=1 tests what dist/ already holds)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
work="$(mktemp -d "${TMPDIR:-/tmp}/authgate-dist.XXXXXX")"
emulator_pid=""
passed=0
failed=0
# shellcheck source=tests/harness.sh
. tests/harness.sh
trap stop_emulator_and_clean EXIT

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
if [ "${AUTHGATE_DIST_REUSE:-0}" != 1 ] || [ ! -d dist ]; then
  started=$SECONDS
  if bash scripts/dist.sh; then pass "scripts/dist.sh ($((SECONDS - started)) s)"; else
    fail "scripts/dist.sh"; echo "$passed passed, $failed failed"; exit 1
  fi
fi
cargo build -q -p authgate-emulator
start_emulator "$work" || exit 1

# PATH without any folder that holds cargo or rustc.
user_path=""
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  if [ -x "$d/cargo" ] || [ -x "$d/rustc" ]; then continue; fi
  user_path="${user_path:+$user_path:}$d"
done
without_rust() { env -u CARGO_HOME -u RUSTUP_HOME PATH="$user_path" "$@"; }

echo "== the wheel, in a fresh venv without Rust" >&2
if without_rust sh -c 'command -v cargo || command -v rustc' >/dev/null; then
  fail "cargo is still on the trimmed PATH"
fi
without_rust python3 -m venv "$work/venv"
started=$SECONDS
if without_rust "$work/venv/bin/pip" install --quiet --disable-pip-version-check --no-index \
     --only-binary :all: --find-links dist "authgate==$version" >&2; then
  pass "pip install --no-index --find-links dist authgate ($((SECONDS - started)) s, no Rust)"
else
  fail "pip install --no-index --find-links dist authgate"
fi
cat >"$work/flow.py" <<'PY'
"""Flows through the installed wheel against the emulator: CUBA's password grant and
GearCode's code flow (the browser played with urllib, redirects not followed) and its
rotating refresh."""
import os
import sys
import urllib.error
import urllib.request

import authgate

url = os.environ["AUTHGATE_EMULATOR_URL"]
assert "site-packages" in authgate.__file__, authgate.__file__
cuba = authgate.Client("cuba", base_url=url, client_id="client", client_secret="secret")
tokens = cuba.password("кассир", "p&s=w+o%rd 1 ё")
assert tokens.access_token and tokens.scope == "rest-api", tokens


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


gc = authgate.Client("gearcode", base_url=url, client_id="gearcode-client",
                     client_secret="gearcode-secret", redirect_uri="http://127.0.0.1/callback")
request = gc.authorization_url()
try:
    urllib.request.build_opener(NoRedirect).open(request.url)
    sys.exit("the authorization endpoint did not redirect")
except urllib.error.HTTPError as e:
    location = e.headers["Location"]
code = request.parse_callback(location)
tokens = gc.exchange_code(code, code_verifier=request.code_verifier)
fresh = gc.refresh(tokens)
assert fresh.refresh_token and fresh.refresh_token != tokens.refresh_token
try:
    cuba.password("кассир", "wrong")
    sys.exit("a wrong password was accepted")
except authgate.InvalidGrant:
    pass
print("authgate", authgate.__version__, "from the wheel: flows ok")
PY
run_flow() { without_rust "$work/venv/bin/python" "$work/flow.py"; }
if run_flow >&2; then pass "wheel: CUBA password and GearCode code + refresh flows"; else
  fail "wheel: flows against the emulator"
fi

echo "== the C SDK, unpacked into a temporary prefix" >&2
prefix="$work/opt"
mkdir -p "$prefix"
tar -xzf "dist/authgate-$version-linux-x86_64.tar.gz" -C "$prefix" --strip-components=1
sdk_libs="$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs authgate)"
pc_include="$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --variable=includedir authgate)"
if [ "$(realpath "$pc_include")" = "$(realpath "$prefix/include")" ]; then
  pass "pkg-config finds the unpacked (relocated) prefix: $sdk_libs"
else
  fail "pkg-config points elsewhere: $sdk_libs"
fi
# The command-line tool from the SDK, with no Rust on PATH: help, and a password sign-in.
if without_rust "$prefix/bin/authgate" token --help >/dev/null &&
   AUTHGATE_CLIENT_SECRET=secret AUTHGATE_PASSWORD=admin without_rust "$prefix/bin/authgate" \
     --provider cuba --base-url "$AUTHGATE_EMULATOR_URL" --client-id client \
     token --username admin >&2; then
  pass "SDK: bin/authgate runs a password sign-in"
else
  fail "SDK: bin/authgate runs a password sign-in"
fi
# shellcheck disable=SC2086
if gcc -std=c99 -Wall -Wextra -Werror -o "$work/cuba_password" \
     "$prefix/examples/c/cuba_password.c" $sdk_libs -Wl,-rpath,"$prefix/lib" >&2; then
  pass "SDK: examples/c/cuba_password.c builds with pkg-config"
  if "$work/cuba_password" "$AUTHGATE_EMULATOR_URL" >&2; then pass "SDK: pkg-config build runs"; else
    fail "SDK: pkg-config build runs"
  fi
else
  fail "SDK: examples/c/cuba_password.c builds with pkg-config"
fi
if cmake -S "$prefix/examples/c" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
     -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 &&
   cmake --build "$work/cmake" >>"$work/cmake.log" 2>&1; then
  pass "SDK: examples/c build with CMake find_package(authgate)"
  if "$work/cmake/token_manager" "$AUTHGATE_EMULATOR_URL" "$work/tokens.json" >&2; then
    pass "SDK: the CMake-built token manager example runs"
  else
    fail "SDK: the CMake-built token manager example runs"
  fi
else
  cat "$work/cmake.log" >&2
  fail "SDK: examples/c build with CMake find_package(authgate)"
fi
if command -v gdb >/dev/null; then
  if gdb -batch -ex "info functions authgate_client_new_from_json" "$prefix/lib/libauthgate.so.$version" 2>&1 |
     grep -c 'ffi/src/' >/dev/null; then
    pass "SDK: gdb reads the separate debug file (source file names)"
  else
    fail "SDK: gdb reads the separate debug file"
  fi
fi

echo "== the 1C add-in from the archive, in the test host" >&2
mkdir -p "$work/addin"
python3 -m zipfile -e "dist/AuthGate-$version.zip" "$work/addin"
if make -s -C addin/1c host BUILD="$work/host" >&2; then
  run_counted "1C test host with the shipped add-in" "$work/host/authgate-1c-host" \
    "$work/addin/AuthGate_Linux_x86_64.so"
else
  fail "the 1C test host builds"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
