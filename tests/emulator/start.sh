# Sourced by the shell test runners: start_emulator WORKDIR starts the built emulator
# (target/debug/authgate-emulator), waits for its first line, and sets emulator_pid and
# AUTHGATE_EMULATOR_URL. The caller kills $emulator_pid when done.
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
