#!/usr/bin/env bash
# Builds the add-in archive that a 1C configuration stores as a common template
# (ОбщийМакет of type "Двоичные данные") and attaches with ПодключитьВнешнююКомпоненту:
# a zip holding MANIFEST.XML and one binary per operating system and bitness.
#
# usage: addin/1c/package.sh [OUT.zip]            (default: addin/1c/dist/AuthGate.zip)
#
# Linux x86_64 is built here: `cargo build --release -p authgate-ffi`, then the add-in
# against target/release/libauthgate.a, stripped. AUTHGATE_1C_SO=path/to/libAuthGate1C.so
# takes a ready binary instead (the test does this with its debug build). The other
# binaries are built on their own systems (README.md, "Building for Windows and 32-bit
# Linux") and picked up from addin/1c/dist/bin/ under the names MANIFEST.XML gives them.
# Entries without a file are left out of the archive's manifest, so the platform is never
# pointed at a missing file. The licences (LICENSE-MIT, LICENSE-APACHE) go in beside the
# manifest, and so does AUTHGATE_1C_NOTICES=path/to/THIRD-PARTY-NOTICES.txt when given
# (scripts/dist.sh generates it); the platform reads only what the manifest lists.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$here/dist/AuthGate.zip}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
bin="$here/dist/bin"
stage="$(mktemp -d "${TMPDIR:-/tmp}/authgate-1c-pkg.XXXXXX")"
trap 'rm -rf "$stage"' EXIT

so="${AUTHGATE_1C_SO:-}"
if [ -z "$so" ]; then
  (cd "$root" && cargo build --release -p authgate-ffi)
  make -C "$here" PROFILE=release addin
  strip --strip-unneeded -o "$stage/AuthGate_Linux_x86_64.so" "$here/build/release/libAuthGate1C.so"
else
  cp "$so" "$stage/AuthGate_Linux_x86_64.so"
fi
for f in AuthGate_Linux_x86.so AuthGate_Windows_x86_64.dll AuthGate_Windows_x86.dll; do
  if [ -f "$bin/$f" ]; then cp "$bin/$f" "$stage/$f"; fi
done

cp "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$stage/"
if [ -n "${AUTHGATE_1C_NOTICES:-}" ]; then cp "$AUTHGATE_1C_NOTICES" "$stage/THIRD-PARTY-NOTICES.txt"; fi

# The manifest: the template's lines, less the components whose file is absent.
while IFS= read -r line; do
  if [[ "$line" =~ path=\"([^\"]+)\" ]] && [ ! -f "$stage/${BASH_REMATCH[1]}" ]; then
    echo "package: no ${BASH_REMATCH[1]}: left out of the manifest" >&2
    continue
  fi
  printf '%s\n' "$line"
done <"$here/package/MANIFEST.XML" >"$stage/MANIFEST.XML"

mkdir -p "$(dirname "$out")"
rm -f "$out"
# A plain zip (deflate) with the manifest at its root, which is what the platform reads.
python3 - "$stage" "$out" <<'PY'
import os, sys, zipfile
stage, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(stage), key=lambda n: (n != "MANIFEST.XML", n)):
        z.write(os.path.join(stage, name), name)
PY
echo "package: $out" >&2
