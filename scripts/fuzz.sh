#!/usr/bin/env bash
# Fuzzes the core's parsers with cargo-fuzz (libFuzzer + AddressSanitizer, nightly Rust).
# The targets and their input formats: core/src/fuzzing.rs; the project: fuzz/.
#
# usage: scripts/fuzz.sh [TARGET|all] [SECONDS]
#   all targets for 20 s each by default (what scripts/test.sh runs); a long campaign on one:
#   scripts/fuzz.sh scrubber 3600
#
# Starts from the committed seeds (fuzz/corpus/TARGET) with the dictionary fuzz/dict/TARGET.dict;
# what the fuzzer finds new goes to a temporary folder (AUTHGATE_FUZZ_CORPUS=DIR keeps it in
# DIR/TARGET), so the committed corpus stays small. A crashing input is kept in
# fuzz/artifacts/TARGET/ (the log says how to reproduce and minimise it). Installs the nightly toolchain and cargo-fuzz when missing.
# Ends with the line "N passed, M failed" (one per target) and exits non-zero on a failure.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"
which="${1:-all}"
seconds="${2:-20}"
targets=(token_answer callback id_token discovery config store scrubber)
if [ "$which" != all ]; then
  case " ${targets[*]} " in
    *" $which "*) targets=("$which") ;;
    *) echo "unknown target $which (one of: ${targets[*]}, all)" >&2; exit 2 ;;
  esac
fi

if ! rustup toolchain list | grep -q '^nightly' &&
   ! rustup toolchain install nightly --profile minimal >&2; then
  # Not a failure of the code under test: this machine cannot have nightly Rust.
  echo "fuzz: skipped: no nightly Rust toolchain on this machine (cargo-fuzz needs one)"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked >&2 || { echo "0 passed, 1 failed (cargo-fuzz install)"; exit 1; }
fi

echo "== building the fuzz targets (nightly, AddressSanitizer)" >&2
if ! cargo +nightly fuzz build >&2; then
  echo "0 passed, 1 failed (fuzz build)"
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/authgate-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
for t in "${targets[@]}"; do
  corpus="${AUTHGATE_FUZZ_CORPUS:-$work}/$t"
  mkdir -p "$corpus" "artifacts/$t"
  log="$work/$t.log"
  dict=()
  [ -f "dict/$t.dict" ] && dict=(-dict="dict/$t.dict")
  # -timeout: one input running over 10 s is a hang, and a failure.
  cargo +nightly fuzz run "$t" "$corpus" "corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/" "${dict[@]}" >"$log" 2>&1
  rc=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    echo "PASS fuzz $t: ${runs:-?} executions in $seconds s, no crash" >&2
  else
    failed=$((failed + 1))
    grep -E "panicked|ERROR: |SUMMARY|Test unit written" "$log" | head -n 20 >&2
    echo "FAIL fuzz $t: crashed after ${runs:-?} executions (input in fuzz/artifacts/$t/;" \
      "reproduce: cargo +nightly fuzz run $t FILE; minimise: cargo +nightly fuzz tmin $t FILE)" >&2
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
