#!/usr/bin/env bash
# ffi/hot-symbols.txt: the functions of libauthgate.so that a C client runs (client from
# JSON, token set, authorization URL, a failing call, the manager's cached token, refreshes
# over keep-alive, and requests over HTTPS: examples/c/bench.c), hottest first. ffi/build.rs
# makes a linker script of it for release builds on x86_64 Linux (rust-lld; zig for
# scripts/dist.sh), which packs those functions at the start of .text: the kernel maps code
# in 64 KiB windows around each page a program uses, so packed code keeps about 1.2 MB less
# of the library resident.
#
#   bash scripts/hot-symbols.sh           remakes the list: runs bench.c (its calls / 1000)
#                                         under callgrind against an unstripped release
#                                         build, with SSL_CERT_FILE/SSL_CERT_DIR set (when
#                                         the system bundle exists) and unset; needs valgrind,
#                                         gcc, python3; about a minute of CPU plus two links
#   bash scripts/hot-symbols.sh --check   builds the release library and fails unless at
#                                         least 90% of the listed functions are in it and the
#                                         linker placed them first (tests/c/run.sh runs it)
#   bash scripts/hot-symbols.sh --check-library LIB
#                                         the same for a library built elsewhere, unstripped,
#                                         by its symbols (scripts/dist.sh: zig writes no map)
#
# The names are Rust's mangled ones: their hashes depend on the crates' versions and the
# release profile, not on the code, so the list stays valid across edits of the code and
# goes stale when a dependency, the toolchain or [profile.release] changes (--check says so).
# The linker script matches a legacy name's hash with any (17h????????????????E), so the
# dist profile's build, whose hashes differ, gets the same functions.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
list=ffi/hot-symbols.txt

if [ "${1:-}" = --check-library ]; then
  python3 - "$list" "$2" <<'EOF'
import re, subprocess, sys
# A legacy name's hash differs between profiles: compare the paths.
path = lambda name: re.sub(r"17h[0-9a-f]{16}E$", "", name)
listed = {path(l.strip()) for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")}
nm = subprocess.run(["nm", "-n", "--defined-only", sys.argv[2]], capture_output=True, text=True,
                    check=True).stdout.split("\n")
code = [(int(f[0], 16), path(f[2])) for f in (l.split() for l in nm) if len(f) == 3 and f[1] in "tT"]
start = code[0][0] if code else 0
head = [name for address, name in code if address - start < 600_000]
share = sum(name in listed for name in head) / max(len(head), 1)
print(f"hot-symbols: {share:.0%} of the functions in the first 600 kB of {sys.argv[2]}'s code "
      "are listed ones", file=sys.stderr)
if share < 0.8:
    print("hot-symbols: the library was not linked with ffi/hot-symbols.txt", file=sys.stderr)
    sys.exit(1)
EOF
  exit
fi

if [ "${1:-}" = --check ]; then
  out_dir="$(cargo build --quiet --release -p authgate-ffi --message-format=json |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "build-script-executed" and "/ffi#" in m["package_id"]:
        print(m["out_dir"])')"
  map="$out_dir/libauthgate.map"
  if [ ! -f "$map" ]; then
    echo "hot-symbols: no link map $map: the release build did not use $list" \
      "(not x86_64 Linux with rust-lld, or rustc older than 1.90)" >&2
    exit 1
  fi
  python3 - "$list" "$map" <<'EOF'
import re, sys
listed = [l.strip() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
wanted = set(listed)
# The .text input sections in link order, each with its size and the names it defines. A
# map line is "VMA LMA Size Align" and then, indented by 0, 8 or 16, an output section, an
# input section or a symbol. Rust functions have a section each (.text.NAME, mangled); the
# symbol lines show C and assembly names as they are (an assembly file's whole .text is
# one section, which the linker script cannot name: not counted).
sections, in_text = [], False
for line in open(sys.argv[2]):
    m = re.match(r"\s*[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+ ( *)(.*)$", line.rstrip("\n"))
    if not m:
        continue
    size, depth, what = int(m.group(1), 16), len(m.group(2)), m.group(3)
    if depth == 0:
        in_text = what == ".text"
    elif in_text and depth == 8:
        own = re.search(r":\(\.text(?:\.unlikely)?\.(.+)\)$", what)
        sections.append((size, own.group(1) if own else None))
hot = [name in wanted for _, name in sections]
last = max((i for i, h in enumerate(hot) if h), default=-1)
found = {name for _, name in sections[: last + 1]} & wanted
packed = sum(size for (size, _), h in zip(sections[: last + 1], hot) if h)
# Other sections among them come from the script matching a legacy name's hash with any
# (the other instances of a generic function), so that the dist profile's build gets the
# list too.
other = sum(size for (size, _), h in zip(sections[: last + 1], hot) if not h)
print(f"hot-symbols: {len(found)} of {len(listed)} listed functions ({packed} bytes) are "
      f"packed at the start of .text, with {other} bytes of other code among them", file=sys.stderr)
if len(found) < 0.9 * len(listed) or other > 0.5 * packed:
    print("hot-symbols: ffi/hot-symbols.txt no longer matches the build (a dependency, the "
          "toolchain or the release profile changed): run bash scripts/hot-symbols.sh",
          file=sys.stderr)
    sys.exit(1)
EOF
  exit
fi

for tool in valgrind gcc python3; do
  command -v "$tool" >/dev/null || { echo "hot-symbols: $tool is missing" >&2; exit 1; }
done
# shellcheck source=scripts/c-bench.sh
. scripts/c-bench.sh hot

echo "== building (release; the library once unstripped, same profile and names)" >&2
cargo build --quiet --release -p authgate-emulator
cargo rustc --quiet --release -p authgate-ffi --lib -- -C strip=none
c_bench target/release/libauthgate.so

echo "== bench.c under callgrind" >&2
# grind NAME [env arguments]: one run, into $work/NAME.cg.
grind() {
  local name="$1"
  shift
  env "$@" valgrind --tool=callgrind --demangle=no --compress-strings=no --compress-pos=no \
    --dump-instr=no --callgrind-out-file="$work/$name.cg" "$work/bench" "$url" 1000 >/dev/null 2>&1
}
grind plain -u SSL_CERT_FILE -u SSL_CERT_DIR
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  grind ssl SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt SSL_CERT_DIR=/etc/ssl/certs
fi

# Every function of libauthgate.so.0 that ran, by instructions run (summed over the runs),
# hottest first. Dropped: callgrind's recursion marks ('2) and unnamed PLT stubs.
python3 - "$work"/*.cg >"$list.new" <<'EOF'
import sys
cost = {}
for path in sys.argv[1:]:
    ours = after_call = False
    fn = None
    for line in open(path):
        if line.startswith("calls="):
            after_call = True  # the next cost line is the callee's, not this function's
        elif line.startswith("ob="):
            ours = line.rstrip().endswith("/libauthgate.so.0")
        elif line.startswith("fn="):
            fn = line[3:].strip().split("'")[0] if ours else None
            if fn is not None and fn.startswith("0x"):
                fn = None
            if fn is not None:
                cost.setdefault(fn, 0)
        elif line[:1].isdigit():
            fields = line.split()
            if fn is not None and not after_call and len(fields) == 2:
                cost[fn] += int(fields[1])
            after_call = False
print("# Made by scripts/hot-symbols.sh (callgrind of examples/c/bench.c); read by ffi/build.rs.")
print("# The functions a C client runs, hottest first; the linker places them first in .text.")
for name, _ in sorted(cost.items(), key=lambda kv: (-kv[1], kv[0])):
    print(name)
EOF
mv "$list.new" "$list"
echo "== the release library again: stripped, with the new list" >&2
cargo build --quiet --release -p authgate-ffi
echo "$list: $(grep -vc '^#' "$list") functions" >&2
