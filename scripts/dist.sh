#!/usr/bin/env bash
# Builds every artifact a user installs without Rust into dist/:
#   authgate-VERSION-cp310-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl
#                                                           the Python package (any CPython >= 3.10)
#   authgate-VERSION.tar.gz                                 its sdist (builds with maturin + Rust)
#   authgate-VERSION-linux-x86_64.tar.gz                    the C SDK: header, C++ wrapper, Pascal
#       unit, libauthgate.so.0 (stripped; its debug file beside it), libauthgate.a, pkg-config
#       and CMake files, examples, licences
#   AuthGate-VERSION.zip                                    the 1C add-in archive (MANIFEST.XML)
# and checks them: every Linux binary needs no glibc symbol newer than the baseline (2.17,
# the manylinux2014 one: CentOS 7, Astra Linux 1.7, Ubuntu 20.04 and anything newer load
# them), none needs libstdc++ or libgcc_s, each is stripped, each artifact holds the
# licences and THIRD-PARTY-NOTICES.txt, and the wheel's tag says manylinux_2_17 and abi3.
#
# usage: bash scripts/dist.sh          (from a clean checkout; needs cargo, python3 >= 3.10,
#                                       binutils and make; installs the rest, see below)
#
# How the old glibc baseline is reached with a new system: zig (PyPI `ziglang`) links
# against glibc 2.17's symbol list, through cargo-zigbuild for the C library and
# `maturin --zig` for the wheel, and compiles the 1C add-in's C++ (with zig's own libc++,
# linked in statically). The tools are installed, pinned, into target/dist-tools (a venv:
# maturin, ziglang, cargo-zigbuild, all prebuilt wheels) and cargo-about, which writes
# THIRD-PARTY-NOTICES.txt from Cargo.lock, with `cargo install` into ~/.cargo/bin (once:
# about 2 min of CPU). Builds use the `dist` profile (release with line tables, stripped
# here). Staging is kept in target/dist-work for inspection.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
started=$SECONDS
step() { echo "== $* ($((SECONDS - started)) s)" >&2; }
die() { echo "dist.sh: $*" >&2; exit 1; }

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
[ -n "$version" ] || die "no workspace version in Cargo.toml"
baseline=2.17
triple=x86_64-unknown-linux-gnu
dist="$root/dist"
work="$root/target/dist-work"
tools="$root/target/dist-tools"
lib="$root/target/$triple/dist"

step "tools"
for tool in objdump objcopy strip readelf make; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install binutils make)"
done
if ! "$tools/bin/python" -c 'import ziglang' 2>/dev/null || [ ! -x "$tools/bin/cargo-zigbuild" ] ||
   [ ! -x "$tools/bin/maturin" ]; then
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check \
    "maturin==1.16.0" "ziglang==0.14.1" "cargo-zigbuild==0.24.1"
fi
export PATH="$tools/bin:$PATH"
zig="$tools/bin/python -m ziglang"
if ! cargo about --version 2>/dev/null | grep -q ' 0\.9\.3'; then
  cargo install --locked --features cli cargo-about@0.9.3
fi

rm -rf "$dist" "$work"
mkdir -p "$dist" "$work"

step "THIRD-PARTY-NOTICES.txt (cargo-about)"
notices="$work/THIRD-PARTY-NOTICES.txt"
cargo about generate --frozen --fail -c scripts/about/about.toml --workspace \
  -o "$notices" scripts/about/notices.hbs
licences=(LICENSE-MIT LICENSE-APACHE "$notices")

step "libauthgate for $triple, glibc $baseline (cargo-zigbuild)"
# AUTHGATE_HOT_TEXT=1: zig's linker takes ffi/build.rs's linker script, which packs the
# functions a C client runs in front of .text (see scripts/hot-symbols.sh).
AUTHGATE_HOT_TEXT=1 cargo zigbuild --profile dist -p authgate-ffi -p authgate-cli --target "$triple.$baseline"
bash scripts/hot-symbols.sh --check-library "$lib/libauthgate.so" ||
  die "$lib/libauthgate.so does not start with the hot functions (ffi/build.rs's linker script)"

step "C SDK"
sdk_name="authgate-$version-linux-x86_64"
sdk="$work/$sdk_name"
bash scripts/install-c.sh "$sdk" --from "$lib" --relocatable >&2
so="libauthgate.so.$version"
# A separate debug file, found by gdb and valgrind through the .gnu_debuglink in the same
# folder: names and lines when it is installed beside the library, a small .so when not.
(
  cd "$sdk/lib"
  objcopy --only-keep-debug "$so" "$so.debug"
  chmod 644 "$so.debug"
  strip --strip-unneeded "$so"
  objcopy --add-gnu-debuglink="$so.debug" "$so"
  strip --strip-debug libauthgate.a
  strip --strip-unneeded ../bin/authgate
)
install -m 644 examples/cpp/authgate.hpp "$sdk/include/authgate.hpp"
install -d "$sdk/share/authgate/pascal" "$sdk/examples"
install -m 644 examples/pascal/authgate.pas "$sdk/share/authgate/pascal/authgate.pas"
install -m 644 examples/pascal/AuthGate.Classes.pas "$sdk/share/authgate/pascal/AuthGate.Classes.pas"
cp -r examples/c examples/cpp examples/pascal "$sdk/examples/"
cp "${licences[@]}" "$sdk/"
cat >"$sdk/README.txt" <<EOF
authgate $version: the C SDK for Linux x86_64 (glibc $baseline or newer).

Unpack anywhere, e.g. /opt/authgate, then:
  pkg-config:  export PKG_CONFIG_PATH=/opt/authgate/lib/pkgconfig
               cc app.c \$(pkg-config --cflags --libs authgate) -Wl,-rpath,/opt/authgate/lib
  CMake:       cmake -DCMAKE_PREFIX_PATH=/opt/authgate ...
               find_package(authgate 0.1 REQUIRED)
               target_link_libraries(app PRIVATE authgate::authgate)   # or authgate::authgate_static
  run time:    libauthgate.so.0 is found through the rpath above, or system-wide with
               echo /opt/authgate/lib > /etc/ld.so.conf.d/authgate.conf && ldconfig
               (or LD_LIBRARY_PATH=/opt/authgate/lib for a quick try).
  static:      pkg-config --static --libs authgate (the system libraries libauthgate.a needs).
  debugging:   lib/$so.debug holds the symbols and line tables of the stripped
               library; gdb and valgrind read it when it stays beside the library.

include/authgate.h          the C API (every function's contract is in its comment)
include/authgate.hpp        a small C++17 RAII wrapper (exceptions carry the last error)
share/authgate/pascal/      the Delphi / Free Pascal units (flat import; classes)
examples/c/                 one program per provider flow and a token manager with a file
                            store: cmake -S examples/c -B build -DCMAKE_PREFIX_PATH=/opt/authgate
LICENSE-MIT, LICENSE-APACHE authgate's licence (MIT OR Apache-2.0)
THIRD-PARTY-NOTICES.txt     the licences of the Rust crates compiled into the library
EOF
tar -C "$work" --owner=0 --group=0 --sort=name -czf "$dist/$sdk_name.tar.gz" "$sdk_name"

step "Python wheel (maturin --zig, manylinux2014) and sdist"
cp "$notices" python/THIRD-PARTY-NOTICES.txt
maturin build -m python/Cargo.toml --profile dist --zig --compatibility manylinux2014 \
  --target "$triple" --strip -i python3 -o "$dist" >&2
maturin sdist -m python/Cargo.toml -o "$dist" >&2

step "1C add-in (zig c++, glibc $baseline)"
addin="$work/addin"
# zig's linker has no --exclude-libs; the version script alone keeps the exports to the
# five entry points. libc++ and the unwinder are zig's, linked in statically.
make -C addin/1c addin PROFILE=dist BUILD="$addin" AUTHGATE_LIB="$lib/libauthgate.a" \
  CXX="$zig c++ -target x86_64-linux-gnu.$baseline" CXXFLAGS="-O2 -g" \
  ADDIN_LDFLAGS="-shared -Wl,--version-script=$root/addin/1c/src/exports.map -Wl,--gc-sections -Wl,-z,defs -Wl,-z,now" >&2
objcopy --only-keep-debug "$addin/libAuthGate1C.so" "$addin/AuthGate_Linux_x86_64.so.debug"
strip --strip-unneeded -o "$addin/AuthGate_Linux_x86_64.so" "$addin/libAuthGate1C.so"
AUTHGATE_1C_SO="$addin/AuthGate_Linux_x86_64.so" AUTHGATE_1C_NOTICES="$notices" \
  bash addin/1c/package.sh "$dist/AuthGate-$version.zip"

step "checks"
problems=0
problem() { echo "dist.sh: FAIL $*" >&2; problems=$((problems + 1)); }
unpacked="$work/check"
mkdir -p "$unpacked/wheel" "$unpacked/addin"
wheel="$(ls "$dist"/authgate-"$version"-*.whl)"
python3 -m zipfile -e "$wheel" "$unpacked/wheel"
python3 -m zipfile -e "$dist/AuthGate-$version.zip" "$unpacked/addin"
binaries=("$sdk/lib/$so" "$sdk/bin/authgate" "$unpacked/addin/AuthGate_Linux_x86_64.so")
while IFS= read -r f; do binaries+=("$f"); done < <(find "$unpacked/wheel" -name '*.so')
[ "${#binaries[@]}" -eq 4 ] || problem "expected 4 binaries, found ${#binaries[@]}: ${binaries[*]}"
for f in "${binaries[@]}"; do
  name="${f#"$work"/}"
  newest="$(objdump -T "$f" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -n1)"
  if [ "$(printf '%s\n%s\n' "$newest" "$baseline" | sort -V | tail -n1)" != "$baseline" ]; then
    problem "$name needs GLIBC_$newest (baseline $baseline): $(objdump -T "$f" | grep "GLIBC_$newest" | head -n3 | tr -s ' ')"
  fi
  needed="$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
  for n in $needed; do
    case "$n" in
      libc.so.6|libm.so.6|libdl.so.2|libpthread.so.0|librt.so.1|ld-linux-x86-64.so.2) ;;
      *) problem "$name needs $n" ;;
    esac
  done
  if readelf -S "$f" | grep -cE '\.symtab|\.debug_info' >/dev/null; then problem "$name is not stripped"; fi
  echo "  $name: glibc >= $newest; needs $needed" >&2
done
if ! readelf -x .gnu_debuglink "$sdk/lib/$so" 2>/dev/null | grep -c 'libauthgate' >/dev/null; then
  problem "$so has no .gnu_debuglink"
fi
case "$(basename "$wheel")" in
  *-cp310-abi3-*manylinux_2_17_x86_64*.whl) ;;
  *) problem "the wheel's tag is not cp310-abi3-manylinux_2_17_x86_64: $(basename "$wheel")" ;;
esac
sdist_files="$(tar -tzf "$dist/authgate-$version.tar.gz")"
for l in LICENSE-MIT LICENSE-APACHE THIRD-PARTY-NOTICES.txt; do
  [ -f "$sdk/$l" ] || problem "the SDK has no $l"
  [ -f "$unpacked/addin/$l" ] || problem "the 1C archive has no $l"
  [ -n "$(find "$unpacked/wheel" -path '*.dist-info/licenses/*' -name "$l")" ] ||
    problem "the wheel has no $l"
  grep -q "^authgate-$version/$l\$" <<<"$sdist_files" || problem "the sdist has no $l"
done
grep -q '^MIT License' "$notices" || problem "THIRD-PARTY-NOTICES.txt lists no MIT crate"

step "done"
(cd "$dist" && ls -l --time-style=+ | awk 'NR > 1 {printf "  %-60s %10d bytes\n", $NF, $5}') >&2
echo "  debug file: target/dist-work/$sdk_name/lib/$so.debug ($(stat -c %s "$sdk/lib/$so.debug") bytes, also in the SDK)" >&2
echo "dist.sh: $((SECONDS - started)) s, $problems problem(s)" >&2
[ "$problems" -eq 0 ]
