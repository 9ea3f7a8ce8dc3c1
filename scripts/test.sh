#!/usr/bin/env bash
# Runs every test of the project on this machine, installing what it needs first:
#   Rust: unit, integration (over loopback HTTP to the emulator) and doc tests, clippy;
#   C ABI: header drift, C tests (plain, under valgrind, built with ASan + UBSan), the C++
#   and Pascal consumers;
#   Python: the installed package's pytest suite;
#   1C: the Native API add-in loaded by a test host as the platform does (plain, valgrind,
#   ASan + UBSan);
#   dist: scripts/dist.sh's wheel, C SDK and 1C archive, installed and used without Rust;
#   fuzzing: every parser's cargo-fuzz target for 20 s (scripts/fuzz.sh; nightly Rust).
# Ends with one line "all: N passed, M failed" and a non-zero exit on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

bash scripts/setup-machine.sh || { echo "machine setup failed"; exit 1; }

passed=0
failed=0
status=0

# Adds a stage's counts to the totals: cargo's "test result:" lines are summed; any other
# runner's closing line (the last line with "N passed") is read once.
tally() {
  local lines p f
  if grep -q '^test result:' "$1"; then
    lines=$(grep '^test result:' "$1")
  else
    lines=$(grep -E '[0-9]+ passed' "$1" | tail -n 1)
  fi
  p=$(grep -Eo '[0-9]+ passed' <<<"$lines" | awk '{s+=$1} END {print s+0}')
  f=$(grep -Eo '[0-9]+ failed' <<<"$lines" | awk '{s+=$1} END {print s+0}')
  passed=$((passed + p))
  failed=$((failed + f))
}

stage() {
  local name=$1; shift
  echo "=== $name ==="
  local started=$SECONDS
  "$@" 2>&1 | tee "$logs/$name.log"
  local rc=${PIPESTATUS[0]}
  echo "=== $name: exit $rc in $((SECONDS - started)) s ==="
  tally "$logs/$name.log"
  if [ "$rc" -ne 0 ]; then
    status=1
    # A stage that died before printing its own count still counts as a failure.
    grep -Eq '[1-9][0-9]* failed' "$logs/$name.log" || failed=$((failed + 1))
  fi
}

rust_tests() {
  cargo fmt --all -- --check || { echo "1 failed: cargo fmt --check"; return 1; }
  cargo clippy --workspace --all-targets -- -D warnings || { echo "1 failed: clippy"; return 1; }
  # `test result: ok. N passed; M failed` lines are what tally() reads.
  cargo test --workspace
}

quickstart() {
  # The main job must keep working: every preset's flow against the emulator.
  if cargo run -q --example quickstart >/dev/null; then
    echo "quickstart: 1 passed, 0 failed"
  else
    echo "quickstart: 0 passed, 1 failed"
    return 1
  fi
}

stage rust rust_tests
stage quickstart quickstart
[ -f tests/c/run.sh ] && stage c bash tests/c/run.sh
[ -f tests/python/run.sh ] && stage python bash tests/python/run.sh
[ -f addin/1c/test/run.sh ] && stage addin-1c bash addin/1c/test/run.sh
# The shipped artifacts: scripts/dist.sh, then the wheel, the C SDK and the 1C archive used
# as a user without Rust would (tests/dist/run.sh).
[ -f tests/dist/run.sh ] && stage dist bash tests/dist/run.sh

# One "N passed, M failed" over the targets; AUTHGATE_FUZZ_SECONDS=0 skips the stage.
if [ "${AUTHGATE_FUZZ_SECONDS:-20}" -gt 0 ]; then
  stage fuzz bash scripts/fuzz.sh all "${AUTHGATE_FUZZ_SECONDS:-20}"
fi

echo "all: $passed passed, $failed failed"
exit $status
