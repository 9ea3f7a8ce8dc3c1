#!/usr/bin/env bash
# The C ABI test command. Builds libauthgate (dev profile by default: it shares the
# dependencies `cargo test` already built; AUTHGATE_PROFILE=release for the release one),
# installs it into a temporary prefix with scripts/install-c.sh, builds the C tests against
# the installed copy through pkg-config, starts the provider emulator, runs every test
# plainly, under valgrind memcheck and built with AddressSanitizer + UBSan, builds and runs the C++ example through CMake's
# find_package(authgate), the Pascal test and the class unit's programs (-Mdelphi and
# -Mobjfpc) through Free Pascal, checks that ffi/hot-symbols.txt still applies to the
# release library (scripts/hot-symbols.sh --check), and ends with the line
# "N passed, M failed". Exits non-zero on any failure.
#
# usage: tests/c/run.sh            (from anywhere; needs gcc, g++, pkg-config, valgrind,
#                                   cmake and fpc: missing ones are installed with apt-get
#                                   when running as root, as in CI)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
profile="${AUTHGATE_PROFILE:-debug}"

need=()
command -v gcc >/dev/null || need+=(gcc)
command -v g++ >/dev/null || need+=(g++)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v valgrind >/dev/null || need+=(valgrind)
command -v cmake >/dev/null || need+=(cmake)
command -v curl >/dev/null || need+=(curl)
command -v fpc >/dev/null || need+=(fp-compiler)
command -v redis-server >/dev/null || need+=(redis-server)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing ${need[*]}" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
  else
    echo "missing tools: ${need[*]} (install them, or run as root)" >&2
    exit 1
  fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/authgate-c.XXXXXX")"
emulator_pid=""
redis_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
# shellcheck source=tests/harness.sh
. tests/harness.sh

echo "== building libauthgate ($profile) and the emulator" >&2
cargo build -p authgate-emulator >&2
prefix="$work/prefix"
# With the Redis token store (authgate_store_new_redis; test_redis.c runs it against a
# redis-server started below). The shipped library (scripts/dist.sh) is the default build.
scripts/install-c.sh "$prefix" "--$profile" --features authgate-ffi/redis >&2
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cflags="$(pkg-config --cflags authgate)"
libs="$(pkg-config --libs authgate)"

echo "== compiling the C tests against the installed copy: $cflags $libs" >&2
mkdir -p "$work/bin"
tests=()
for src in tests/c/test_*.c; do
  name="$(basename "$src" .c)"
  # shellcheck disable=SC2086
  gcc -std=c11 -Wall -Wextra -Werror -g -O1 $cflags -o "$work/bin/$name" "$src" $libs \
      -Wl,-rpath,"$prefix/lib" >&2
  tests+=("$name")
done
# The same argument tests, linked statically (proves libauthgate.a and Libs.private).
static_libs="$(pkg-config --static --libs authgate | sed 's/-lauthgate//; s/-L[^ ]*//')"
# shellcheck disable=SC2086
gcc -std=c11 -Wall -Wextra -Werror -O1 $cflags -o "$work/bin/static_test_args" tests/c/test_args.c \
    "$prefix/lib/libauthgate.a" $static_libs >&2
if readelf -d "$work/bin/static_test_args" | grep -q 'libauthgate'; then
  fail "static link (libauthgate.so is still needed)"
fi

# The installed header is self-contained: first include, strict C89/C99/C11 and C++.
printf '#include <authgate.h>\nint main(void) { return authgate_version() == 0; }\n' >"$work/header_first.c"
for std in c89 c99 c11 c++98 c++11 c++17; do
  case "$std" in c++*) cc=g++; lang=c++ ;; *) cc=gcc; lang=c ;; esac
  # shellcheck disable=SC2086
  if "$cc" -x "$lang" -std="$std" -Wall -Wextra -Werror -pedantic $cflags -c -o /dev/null \
       "$work/header_first.c" >&2; then
    pass "authgate.h first-included as $std"
  else
    fail "authgate.h first-included as $std"
  fi
done

# The benchmark is not run here, only built (see examples/c/bench.c).
# shellcheck disable=SC2086
if gcc -std=c11 -Wall -Wextra -Werror -O2 $cflags -o "$work/bin/bench" examples/c/bench.c $libs >&2; then
  pass "examples/c/bench.c builds"
else
  fail "examples/c/bench.c builds"
fi
# The Pascal unit must declare every function of the header.
missing=""
for fn in $(grep -oE '\bauthgate_[a-z_0-9]+\(' include/authgate.h | tr -d '(' | sort -u); do
  grep -qiE "(function|procedure) $fn\b" examples/pascal/authgate.pas || missing="$missing $fn"
done
if [ -z "$missing" ]; then pass "authgate.pas declares the whole API"; else fail "authgate.pas lacks:$missing"; fi
# AuthGate.Classes binds its TApi record by position: each field must be named in ApiNames
# at the same place (the compiler checks only the count), and be a function of the header.
classes_unit=examples/pascal/AuthGate.Classes.pas
api_fields="$(awk '/^  TApi = record/ {on = 1; next} on && /^  end;/ {exit}
                   on && /^    [a-z]/ {line = $0; sub(/:.*/, "", line); gsub(/ /, "", line)
                                       n = split(line, a, ","); for (i = 1; i <= n; i++) if (a[i] != "") print a[i]}' \
                "$classes_unit")"
api_names="$(awk '/ApiNames: array/ {on = 1; next}
                  on {s = $0; while (match(s, /'"'"'[a-z_]+'"'"'/)) {print substr(s, RSTART + 1, RLENGTH - 2)
                                                                 s = substr(s, RSTART + RLENGTH)}}
                  on && /\);/ {exit}' "$classes_unit")"
if [ -n "$api_fields" ] && [ "$api_fields" = "$api_names" ]; then
  pass "AuthGate.Classes names each TApi field's C function in the same place"
else
  diff <(echo "$api_fields") <(echo "$api_names") >&2 || true
  fail "AuthGate.Classes: TApi and ApiNames differ"
fi
unknown=""
for fn in $api_names; do grep -q "\bauthgate_$fn(" include/authgate.h || unknown="$unknown authgate_$fn"; done
if [ -z "$unknown" ]; then pass "AuthGate.Classes binds only functions of the header"; else
  fail "AuthGate.Classes binds functions the header lacks:$unknown"
fi
# The install script puts the command-line tool beside the library.
if "$prefix/bin/authgate" --help >/dev/null; then pass "install-c.sh installs bin/authgate"; else
  fail "install-c.sh installs bin/authgate"
fi

start_emulator "$work" || exit 1
start_redis "$work" || exit 1


for t in "${tests[@]}"; do
  run_counted "$t" "$work/bin/$t"
done
run_counted "static_test_args" "$work/bin/static_test_args"

echo "== valgrind memcheck" >&2
for t in "${tests[@]}"; do
  run_counted "valgrind $t" valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --suppressions=tests/c/valgrind.supp --error-exitcode=1 \
    "$work/bin/$t"
done

echo "== the C examples (examples/c) and the README's C snippet, against the emulator" >&2
# A code-flow example prints the authorization URL and reads the redirect back from stdin:
# curl plays the person with the browser (the emulator's authorize endpoint approves).
run_example() {
  local label="$1"; shift
  local out="$work/example.out" rc=0 location=""
  rm -f "$work/example.in" "$out"; mkfifo "$work/example.in"; : >"$out"
  "$@" <"$work/example.in" >"$out" 2>"$work/example.err" &
  local pid=$!
  exec 4>"$work/example.in"
  for _ in $(seq 300); do
    [ "$(wc -l <"$out")" -ge 1 ] || ! kill -0 "$pid" 2>/dev/null && break
    sleep 0.1
  done
  if head -n1 "$out" | grep -q '^http'; then
    location="$(curl -s -o /dev/null -w '%{redirect_url}' "$(head -n1 "$out")")"
  fi
  # A program that reads nothing may be gone already: no SIGPIPE for this shell.
  (trap '' PIPE; echo "$location" >&4) 2>/dev/null || true
  exec 4>&-
  wait "$pid" || rc=$?
  if [ "$rc" -eq 0 ]; then pass "$label"; else cat "$out" "$work/example.err" >&2; fail "$label (exit $rc)"; fi
}
for src in examples/c/*.c; do
  name="$(basename "$src" .c)"
  [ "$name" = bench ] && continue
  # shellcheck disable=SC2086
  if ! gcc -std=c99 -Wall -Wextra -Werror -pedantic $cflags -o "$work/bin/ex_$name" "$src" $libs \
       -Wl,-rpath,"$prefix/lib" >&2; then
    fail "examples/c/$name.c builds"; continue
  fi
  case "$name" in
    token_manager)
      run_example "example $name (signs in)" "$work/bin/ex_$name" "$AUTHGATE_EMULATOR_URL" "$work/tokens.json"
      run_example "example $name (tokens from the file)" "$work/bin/ex_$name" "$AUTHGATE_EMULATOR_URL" "$work/tokens.json" ;;
    *) run_example "example $name" "$work/bin/ex_$name" "$AUTHGATE_EMULATOR_URL" ;;
  esac
done
# The README's C program (the first ```c block), as C and as C++, run against the emulator.
awk '/^```c$/ {on = 1; next} on && /^```$/ {exit} on' README.md >"$work/readme.c"
for lang in c c++; do
  case "$lang" in c) cc=gcc; std=c99 ;; *) cc=g++; std=c++11 ;; esac
  # shellcheck disable=SC2086
  if "$cc" -x "$lang" -std="$std" -Wall -Wextra -Werror -pedantic $cflags -o "$work/bin/readme_$lang" \
       "$work/readme.c" $libs -Wl,-rpath,"$prefix/lib" >&2; then
    run_example "README C snippet as $lang" "$work/bin/readme_$lang" "$AUTHGATE_EMULATOR_URL"
  else
    fail "README C snippet compiles as $lang"
  fi
done
# Where the OAuth error is absent (nothing listens), it says so instead of printing NULL.
if "$work/bin/readme_c" "http://127.0.0.1:9" 2>"$work/readme.err"; then
  fail "README C snippet reports a failure"
elif grep -q '(null)' "$work/readme.err"; then
  fail "README C snippet prints (null) for an absent OAuth error"
else
  pass "README C snippet reports a failure: $(head -n1 "$work/readme.err")"
fi

echo "== AddressSanitizer + UndefinedBehaviorSanitizer" >&2
# The C side is instrumented; libauthgate (stable Rust) is not, but its allocations go
# through ASan's malloc, so LeakSanitizer sees a leak on either side of the ABI.
mkdir -p "$work/asan"
for t in "${tests[@]}"; do
  # shellcheck disable=SC2086
  if gcc -std=c11 -Wall -Wextra -Werror -g -O1 "${sanitize[@]}" $cflags -o "$work/asan/$t" \
      "tests/c/$t.c" $libs -Wl,-rpath,"$prefix/lib" >&2; then
    run_counted "asan+ubsan $t" env "${sanitizer_env[@]}" "$work/asan/$t"
  else
    fail "asan+ubsan $t (build)"
  fi
done

echo "== C++ example through CMake find_package(authgate)" >&2
if cmake -S examples/cpp -B "$work/cpp" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug >&2 \
   && cmake --build "$work/cpp" >&2; then
  pass "C++ example builds with find_package(authgate)"
  if "$work/cpp/cuba_password" >&2; then pass "C++ example runs"; else fail "C++ example runs"; fi
else
  fail "C++ example builds with find_package(authgate)"
fi

echo "== Pascal unit and test program (Free Pascal, Delphi mode)" >&2
mkdir -p "$work/pas"
if fpc -Mdelphi -vew -Fu"examples/pascal" -FE"$work/pas" -Fl"$prefix/lib" \
      -k-rpath -k"$prefix/lib" examples/pascal/authgate_test.dpr >"$work/pas/build.log" 2>&1; then
  pass "Pascal test builds"
  run_counted "pascal" "$work/pas/authgate_test"
else
  cat "$work/pas/build.log" >&2
  fail "Pascal test builds"
fi

echo "== Pascal class unit (AuthGate.Classes, the library loaded at run time), -Mdelphi and -Mobjfpc" >&2
# A stand-in for an authgate too old for the unit: it must refuse it by its version.
printf 'const char *authgate_version(void) { return "0.0.9"; }\n' >"$work/old.c"
gcc -shared -fPIC -o "$work/libauthgate_old.so" "$work/old.c" >&2
# docs/delphi.md's first Pascal block (the token manager), as a unit of a program.
{ echo 'program docs_delphi;'; echo '{$H+}'
  awk '/^```pascal$/ {n++; if (n == 1) {on = 1; next}} on && /^```$/ {exit} on' docs/delphi.md
  echo 'begin end.'; } >"$work/docs_delphi.dpr"
for mode in delphi objfpc; do
  out="$work/pas-$mode"
  mkdir -p "$out"
  if fpc -M"$mode" -vew -Fu"examples/pascal" -FE"$out" "$work/docs_delphi.dpr" >"$out/docs.log" 2>&1; then
    pass "docs/delphi.md's example compiles with -M$mode"
  else
    cat "$out/docs.log" >&2
    fail "docs/delphi.md's example compiles with -M$mode"
  fi
  for program in authgate_classes_test authgate_timer_example; do
    if fpc -M"$mode" -vew -Fu"examples/pascal" -FE"$out" "examples/pascal/$program.dpr" \
         >"$out/$program.log" 2>&1; then
      pass "$program builds with -M$mode"
    else
      cat "$out/$program.log" >&2
      fail "$program builds with -M$mode"
      continue
    fi
    case "$program" in
      authgate_classes_test)
        run_counted "$program (-M$mode)" env AUTHGATE_LIBRARY="$prefix/lib/libauthgate.so" \
          AUTHGATE_OLD_LIBRARY="$work/libauthgate_old.so" "$out/$program" ;;
      *)
        # found by its system name, as a deployed program finds it
        if LD_LIBRARY_PATH="$prefix/lib" "$out/$program" >"$out/$program.out" 2>&1; then
          pass "$program runs (-M$mode)"
        else
          cat "$out/$program.out" >&2
          fail "$program runs (-M$mode)"
        fi ;;
    esac
  done
done

# Builds the release library (an LTO link): the list holds release names.
echo "== the release library's code order (ffi/hot-symbols.txt)" >&2
if [ "$(uname -sm)" = "Linux x86_64" ]; then
  if bash scripts/hot-symbols.sh --check; then
    pass "ffi/hot-symbols.txt matches the release library, its functions first in .text"
  else
    fail "ffi/hot-symbols.txt matches the release library, its functions first in .text"
  fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
