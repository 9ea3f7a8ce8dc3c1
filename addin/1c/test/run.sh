#!/usr/bin/env bash
# The 1C add-in test command. Builds libauthgate.a (dev profile, shared with `cargo test`)
# and the provider emulator, builds the add-in (addin/1c/Makefile) and the test host,
# checks that the add-in exports only the Native API entry points and needs nothing but
# libc, starts the emulator, runs the host plainly, under valgrind memcheck (zero
# leaks, zero invalid accesses), with the add-in and host built with ASan + UBSan and
# with them built with ThreadSanitizer, checks the add-in archive, and ends with the line "N passed, M failed". Exits non-zero
# on any failure.
#
# usage: addin/1c/test/run.sh     (from anywhere; needs g++, make, valgrind, python3:
#                                  missing ones are installed with apt-get when root)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

need=()
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
command -v valgrind >/dev/null || need+=(valgrind)
command -v nm >/dev/null || need+=(binutils)
command -v python3 >/dev/null || need+=(python3)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing ${need[*]}" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
  else
    echo "missing tools: ${need[*]} (install them, or run as root)" >&2
    exit 1
  fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/authgate-1c.XXXXXX")"
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
# Only the last line carries the totals ("N passed, M failed"); scripts/test.sh reads it.
# shellcheck source=tests/harness.sh
. tests/harness.sh

echo "== building libauthgate.a and the emulator (debug)" >&2
cargo build -p authgate-ffi -p authgate-emulator >&2

build="$work/build"
echo "== building the add-in and the test host" >&2
if make -C addin/1c BUILD="$build" PROFILE=debug all >&2; then
  pass "add-in and host build"
else
  fail "add-in and host build"
  echo "$passed passed, $failed failed"
  exit 1
fi
so="$build/libAuthGate1C.so"
host="$build/authgate-1c-host"

exports="$(nm -D --defined-only "$so" | awk '{print $3}' | sort | tr '\n' ' ')"
if [ "$exports" = "DestroyObject GetAttachType GetClassNames GetClassObject SetPlatformCapabilities " ]; then
  pass "the add-in exports exactly the Native API entry points"
else
  fail "the add-in exports: $exports"
fi
needed="$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')"
case "$needed" in
  *authgate*|*stdc++*|*gcc_s*) fail "the add-in is not self-contained: needs $needed" ;;
  *) pass "the add-in needs only system libraries ($needed)" ;;
esac

# The add-in calls no function the header marks "Deprecated: use X".
deprecated="$(awk '/^ \* Deprecated: use/ {d=1} d && /^authgate_result [a-z_]*\(|^[a-z].* \*?authgate_[a-z_]*\(/ {
  match($0, /authgate_[a-z_]*\(/); print substr($0, RSTART, RLENGTH - 1); d=0 }' include/authgate.h)"
used_deprecated=""
for f in $deprecated; do
  grep -qw "$f" addin/1c/src/*.cpp && used_deprecated+="$f "
done
if [ -n "$deprecated" ] && [ -z "$used_deprecated" ]; then
  pass "the add-in calls no deprecated function ($(echo $deprecated | wc -w) in the header)"
else
  fail "the add-in calls deprecated functions: ${used_deprecated:-none found in the header}"
fi

start_emulator "$work" || exit 1


echo "== the test host, plain" >&2
run_counted "host" "$host" "$so"

echo "== the test host under valgrind memcheck" >&2
run_counted "host under valgrind" valgrind -q --leak-check=full --error-exitcode=1 \
  --suppressions="$here/valgrind.supp" "$host" "$so"

echo "== the add-in and the test host built with AddressSanitizer + UBSan" >&2
# Both sides of dlopen are instrumented (an instrumented add-in needs the ASan runtime
# loaded first, by the host); libauthgate.a inside is not, but LeakSanitizer sees its
# allocations through ASan's malloc.
if make -C addin/1c BUILD="$work/asan" PROFILE=debug CXXFLAGS="-g -O1 ${sanitize[*]}" \
     HOST_CXXFLAGS="-g -O1 ${sanitize[*]}" all >&2; then
  run_counted "host under asan+ubsan" env "${sanitizer_env[@]}" \
    "$work/asan/authgate-1c-host" "$work/asan/libAuthGate1C.so"
else
  fail "add-in and host build with sanitizers"
fi

echo "== the add-in and the test host built with ThreadSanitizer" >&2
# The log buffer is written by the library's callback on whichever thread logged, while
# another reads it (test_log_from_several_threads): a data race in the add-in is an error
# here. libauthgate.a inside is not instrumented; its own synchronisation is not checked.
if make -C addin/1c BUILD="$work/tsan" PROFILE=debug CXXFLAGS="-g -O1 -fsanitize=thread" \
     HOST_CXXFLAGS="-g -O1 -fsanitize=thread" all >&2; then
  # Without address randomisation (setarch -R): gcc 12's TSan aborts with "unexpected
  # memory mapping" on kernels that randomise mmap with more bits (vm.mmap_rnd_bits > 28).
  norandom=()
  if setarch "$(uname -m)" -R true 2>/dev/null; then norandom=(setarch "$(uname -m)" -R); fi
  run_counted "host under tsan" "${norandom[@]}" env TSAN_OPTIONS=halt_on_error=1 \
    "$work/tsan/authgate-1c-host" "$work/tsan/libAuthGate1C.so"
else
  fail "add-in and host build with ThreadSanitizer"
fi

echo "== the add-in archive" >&2
if AUTHGATE_1C_SO="$so" bash addin/1c/package.sh "$work/AuthGate.zip" >&2 &&
   python3 - "$work/AuthGate.zip" <<'EOF' >&2
import sys, zipfile, xml.etree.ElementTree as ET
z = zipfile.ZipFile(sys.argv[1])
names = set(z.namelist())
assert "MANIFEST.XML" in names, names
ns = {"b": "http://v8.1c.ru/8.2/addin/bundle"}
bundle = ET.fromstring(z.read("MANIFEST.XML"))
assert bundle.tag == "{http://v8.1c.ru/8.2/addin/bundle}bundle", bundle.tag
comps = bundle.findall("b:component", ns)
for c in comps:
    assert c.get("type") == "native", c.attrib
    assert c.get("os") in ("Windows", "Linux"), c.attrib
    assert c.get("arch") in ("i386", "x86_64"), c.attrib
    assert c.get("path") in names, ("listed but not in the archive", c.get("path"))
assert any(c.get("os") == "Linux" and c.get("arch") == "x86_64" for c in comps)
print("archive:", sorted(names))
EOF
then
  pass "the add-in archive holds MANIFEST.XML and every binary it lists"
else
  fail "the add-in archive"
fi

# Every method and property the example modules call on the add-in object exists, also
# through the asynchronous forms the platform derives from them (ИмяАсинх,
# ПолучитьИмяАсинх / УстановитьИмяАсинх for a property, НачатьВызовИмя,
# НачатьПолучениеИмя, НачатьУстановкуИмя).
if python3 - <<'EOF' >&2
import glob, re
source = open("addin/1c/src/addin.cpp", encoding="utf-8").read()
known = set(re.findall(r'u"([^"]+)"', source))
def exists(name):
    m = re.fullmatch(r"(?:НачатьВызов|НачатьПолучение|НачатьУстановку)(\w+)", name)
    if m:
        return m.group(1) in known
    m = re.fullmatch(r"(\w+)Асинх", name)
    if m:
        base = m.group(1)
        return base in known or re.sub(r"^(?:Получить|Установить)", "", base) in known
    return name in known
used = set()
for path in glob.glob("addin/1c/example/*.bsl"):
    used |= set(re.findall(r"Компонента\.(\w+)", open(path, encoding="utf-8-sig").read()))
missing = sorted(n for n in used if not exists(n))
print("examples use", len(used), "add-in names; unknown:", missing)
assert used and not missing
EOF
then pass "the example modules use only names the add-in has"; else fail "the example modules use unknown names"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
