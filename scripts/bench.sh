#!/usr/bin/env bash
# Runs every benchmark on this machine and prints the ratios to the floors of the same run
# (never part of the tests: timings belong in benchmarks). Builds release binaries first:
#   Rust   benches/rust: refresh vs a raw socket, plain ureq 3, the oauth2 crate; cached
#          token vs Mutex+Instant+String; authorization URL vs the oauth2 crate; a manager's
#          refresh (refreshes/s) and cached token through FileStore and RedisStore (a
#          redis-server on loopback) vs MemoryStore;
#   C      examples/c/bench.c against the release libauthgate.so: the same floors in C,
#          and the C client's peak RSS;
#   Python benches/python/bench.py --wire-only in a venv with the release wheel;
#   size   the stripped libauthgate.so.
# usage: bash scripts/bench.sh [ITERATIONS]   (quiet the machine first: ratios, not seconds,
#        are what to compare, but a loaded machine still blurs them)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
n="${1:-2000}"
# shellcheck source=scripts/c-bench.sh
. scripts/c-bench.sh bench

echo "== building (release)" >&2
cargo build --quiet --release -p authgate-ffi -p authgate-emulator
cargo build --quiet --release --manifest-path benches/rust/Cargo.toml

echo "== machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
echo
echo "== Rust"
benches/rust/target/release/authgate-bench "$n" | tee "$work/rust.out"
# The Python authorization URL row is compared with this figure (µs -> ns).
rust_url_ns="$(awk '/^authorization URL: authgate/ {print $(NF-2) * 1000}' "$work/rust.out")"

echo
echo "== C ABI"
c_bench target/release/libauthgate.so
AUTHGATE_BENCH_RUST_URL_NS="$rust_url_ns" "$work/bench" "$url"
kill "$wire_pid"; wire_pid=""

echo
echo "== Python"
venv="$work/venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "$root/python" --config-settings=build-args="--profile release"
AUTHGATE_EMULATOR="$root/target/release/authgate-emulator" AUTHGATE_BENCH_RUST_URL_NS="$rust_url_ns" \
    "$venv/bin/python" benches/python/bench.py --wire-only --calls "$n"

echo
echo "== size"
echo "stripped libauthgate.so: $(stat -c %s target/release/libauthgate.so) bytes (budget 3 MiB = 3145728)"
