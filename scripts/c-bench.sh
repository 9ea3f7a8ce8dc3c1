# Shared by scripts/bench.sh and scripts/hot-symbols.sh; source it from the repository root
# with a name for the temporary folder: `. scripts/c-bench.sh NAME`. Makes $work (removed on
# exit, the wire server stopped) and defines
#   c_bench LIB   examples/c/bench.c built as $work/bench against a copy of LIB (as
#                 libauthgate.so.0), and target/release/authgate-emulator --wire started:
#                 its URL in $url, its process in $wire_pid; and the emulator's HTTPS token
#                 server, for bench.c's TLS requests: AUTHGATE_BENCH_HTTPS_URL and
#                 AUTHGATE_BENCH_CA_FILE exported (the emulator's process in $emulator_pid).
work="$(mktemp -d "${TMPDIR:-/tmp}/authgate-$1.XXXXXX")"
wire_pid=""
emulator_pid=""
cleanup() {
  if [ -n "$wire_pid" ]; then kill "$wire_pid" 2>/dev/null || true; fi
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

c_bench() {
  mkdir -p "$work/lib"
  cp "$1" "$work/lib/libauthgate.so.0"
  ln -s libauthgate.so.0 "$work/lib/libauthgate.so"
  gcc -std=c11 -O2 -Wall -Wextra -Iinclude examples/c/bench.c -L"$work/lib" -lauthgate -lpthread \
      -Wl,-rpath,"$work/lib" -o "$work/bench"
  target/release/authgate-emulator --wire >"$work/wire.out" &
  wire_pid=$!
  for _ in $(seq 50); do [ -s "$work/wire.out" ] && break; sleep 0.1; done
  url="$(awk '{print $NF}' "$work/wire.out")"
  target/release/authgate-emulator >"$work/emulator.out" 2>"$work/emulator.err" &
  emulator_pid=$!
  for _ in $(seq 50); do [ -s "$work/emulator.out" ] && break; sleep 0.1; done
  local tls
  tls="$(python3 - "$(awk 'NR == 1 {print $NF}' "$work/emulator.out")" <<'EOF'
import json, sys, urllib.request
answer = urllib.request.urlopen(urllib.request.Request(
    sys.argv[1] + "/_emulator/tls", data=b'{"cert":"server"}', method="POST"), timeout=10)
tls = json.load(answer)
print(tls["url"], tls["dir"] + "/ca.pem")
EOF
)"
  export AUTHGATE_BENCH_HTTPS_URL="${tls% *}" AUTHGATE_BENCH_CA_FILE="${tls#* }"
}
