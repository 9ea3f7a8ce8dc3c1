# Shared by the shell test runners (tests/c/run.sh, addin/1c/test/run.sh). Source it after
# defining $work (a temporary folder) and the counters $passed and $failed.

pass() { passed=$((passed + 1)); echo "PASS $1" >&2; }
fail() { failed=$((failed + 1)); echo "FAIL $1" >&2; }

# stop_emulator_and_clean: an EXIT trap for a runner that has $work and may have started
# the emulator (tests/dist/run.sh uses it).
stop_emulator_and_clean() {
  if [ -n "${emulator_pid:-}" ]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}

# The sanitizer build of a test program (gcc/g++ flags) and the environment to run it in:
# any error (leaks included) ends the run with a report on stderr and a non-zero exit.
sanitize=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
sanitizer_env=(
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
)

# start_emulator WORKDIR starts the built emulator (target/debug/authgate-emulator), waits
# for its first line, and sets emulator_pid and AUTHGATE_EMULATOR_URL. The caller kills
# $emulator_pid when done.
start_emulator() {
  local work="$1" first
  echo "== starting the emulator" >&2
  mkfifo "$work/emu.out"
  target/debug/authgate-emulator >"$work/emu.out" 2>"$work/emu.err" &
  emulator_pid=$!
  exec 3<"$work/emu.out"
  if ! IFS= read -r -t 30 first <&3; then
    echo "the emulator did not start:" >&2; cat "$work/emu.err" >&2; return 1
  fi
  export AUTHGATE_EMULATOR_URL="${first##* }"
  echo "emulator at $AUTHGATE_EMULATOR_URL" >&2
}

# start_redis WORKDIR starts redis-server on a free loopback port (data in WORKDIR/redis,
# append-only, fsync on every write) with a TLS port as well (the test certificate of
# tests/emulator/tls/, for 127.0.0.1, signed by its ca.pem), waits until it answers, and
# sets redis_pid, AUTHGATE_REDIS_URL, AUTHGATE_REDIS_TLS_URL (rediss://) and
# AUTHGATE_REDIS_CA_FILE. The caller kills $redis_pid when done.
start_redis() {
  local work="$1" port tls_port tls
  tls="$(pwd)/tests/emulator/tls" # absolute: redis-server changes to its --dir first
  echo "== starting redis-server" >&2
  read -r port tls_port < <(python3 -c 'import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))')
  mkdir -p "$work/redis"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$work/redis" --save "" \
    --tls-port "$tls_port" --tls-cert-file "$tls/server.pem" --tls-key-file "$tls/server.key" \
    --tls-ca-cert-file "$tls/ca.pem" --tls-auth-clients no \
    --appendonly yes --appendfsync always --daemonize no >"$work/redis/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do
    if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
      export AUTHGATE_REDIS_URL="redis://127.0.0.1:$port/0"
      export AUTHGATE_REDIS_TLS_URL="rediss://127.0.0.1:$tls_port/0"
      AUTHGATE_REDIS_CA_FILE="$tls/ca.pem"
      export AUTHGATE_REDIS_CA_FILE
      echo "redis-server at $AUTHGATE_REDIS_URL and $AUTHGATE_REDIS_TLS_URL" >&2
      return 0
    fi
    sleep 0.1
  done
  echo "redis-server did not start:" >&2; cat "$work/redis/redis.log" >&2; return 1
}

# run_counted LABEL COMMAND... runs a test program that ends with "N passed, M failed"
# and adds its counts to the totals; a program without that line, or one that exits
# non-zero, counts as a failure.
run_counted() {
  local label="$1"; shift
  local out rc=0
  out="$("$@" 2>"$work/stderr")" || rc=$?
  local line
  line="$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n1 || true)"
  if [ -z "$line" ]; then
    cat "$work/stderr" >&2
    fail "$label (no result line, exit $rc)"
    return
  fi
  local p f
  p="${line%% passed*}"; f="${line#*, }"; f="${f%% failed}"
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
    cat "$work/stderr" >&2
    [ "$f" -ne 0 ] || fail "$label (exit $rc)"
  fi
  echo "$label: $p of $((p + f)) tests ok, exit $rc" >&2
}
