#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: a C/C++ toolchain, pkg-config,
# CMake, valgrind, Free Pascal, Chromium with its WebDriver (the browser sign-in test),
# redis-server (the Redis token store's tests start their own, on a free port) and
# Python's venv, the sanitizer runtimes, and Rust nightly with cargo-fuzz (the fuzzing
# stage). Does nothing for what is already there.
set -euo pipefail
need=()
command -v gcc >/dev/null || need+=(gcc)
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v cmake >/dev/null || need+=(cmake)
command -v valgrind >/dev/null || need+=(valgrind)
command -v fpc >/dev/null || need+=(fp-compiler)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v redis-server >/dev/null || need+=(redis-server)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing: ${need[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup" >&2; exit 1; }
# ASan and UBSan runtimes (libasan, libubsan) come with gcc's own development package.
if ! echo 'int main(void){return 0;}' |
     gcc -x c -fsanitize=address,undefined -o /dev/null - 2>/dev/null; then
  [ "$(id -u)" -eq 0 ] || { echo "missing: the ASan/UBSan runtimes (libasan, libubsan)" >&2; exit 1; }
  apt-get install -y -qq --no-install-recommends "libgcc-$(gcc -dumpversion | cut -d. -f1)-dev" >/dev/null
fi
# Fuzzing needs nightly. Where no nightly can be had, the fuzz stage says it was skipped;
# every other stage runs on stable alone.
if rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal; then
  cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
else
  echo "warning: no nightly Rust toolchain: the fuzz stage will be skipped" >&2
fi
