#!/usr/bin/env bash
# Installs the authgate C library under a prefix, the way C developers expect:
#   PREFIX/include/authgate.h
#   PREFIX/lib/libauthgate.so.X.Y.Z  (+ libauthgate.so.X, libauthgate.so symlinks; SONAME libauthgate.so.X)
#   PREFIX/lib/libauthgate.a
#   PREFIX/lib/pkgconfig/authgate.pc
#   PREFIX/lib/cmake/authgate/authgate-config.cmake (+ authgate-config-version.cmake)
#   PREFIX/bin/authgate              (the command-line tool: authgate --help)
#
# usage: scripts/install-c.sh PREFIX [--release|--debug] [--no-build] [--from DIR] [--relocatable]
#                                   [--features LIST]
#   --release (default) builds with the release profile; --debug with the dev profile;
#   --features LIST builds with these cargo features (authgate-ffi/redis: the Redis token
#   store, authgate_store_new_redis; the default build answers "no Redis support");
#   --no-build installs what target/ already holds; --from DIR installs libauthgate.so and
#   libauthgate.a from DIR (no build; scripts/dist.sh passes its glibc-baseline build);
#   --relocatable writes authgate.pc relative to its own place (${pcfiledir}), for a
#   prefix that is unpacked anywhere (the SDK tarball). The CMake package always is.
#
# Then point the build at the prefix, unless it is a system one:
#   export PKG_CONFIG_PATH=PREFIX/lib/pkgconfig     (pkg-config --cflags --libs authgate)
#   cmake -DCMAKE_PREFIX_PATH=PREFIX …              (find_package(authgate))
# and let programs find libauthgate.so.0 at run time: link with -Wl,-rpath,PREFIX/lib, or
# add PREFIX/lib to /etc/ld.so.conf.d/authgate.conf and run ldconfig (as root), or set
# LD_LIBRARY_PATH.
# Linux (and other ELF systems). On Windows, cargo build -p authgate-ffi --release gives
# authgate.dll, authgate.dll.lib and authgate.lib in target/release.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix=""
profile=release
build=1
from=""
relocatable=0
expect_from=0
features=()
expect_features=0
for arg in "$@"; do
  if [ "$expect_from" = 1 ]; then from="$arg"; expect_from=0; build=0; continue; fi
  if [ "$expect_features" = 1 ]; then features=(--features "$arg"); expect_features=0; continue; fi
  case "$arg" in
    --release) profile=release ;;
    --debug) profile=debug ;;
    --no-build) build=0 ;;
    --from) expect_from=1 ;;
    --relocatable) relocatable=1 ;;
    --features) expect_features=1 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    -*) echo "install-c.sh: unknown option $arg" >&2; exit 2 ;;
    *) prefix="$arg" ;;
  esac
done
if [ -z "$prefix" ]; then
  echo "usage: scripts/install-c.sh PREFIX [--release|--debug] [--no-build] [--from DIR] [--relocatable]" >&2
  exit 2
fi
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"

if [ "$build" = 1 ]; then
  if [ "$profile" = release ]; then
    cargo build --manifest-path "$root/Cargo.toml" -p authgate-ffi -p authgate-cli --release "${features[@]}"
  else
    cargo build --manifest-path "$root/Cargo.toml" -p authgate-ffi -p authgate-cli "${features[@]}"
  fi
fi

target_dir="${from:-${CARGO_TARGET_DIR:-$root/target}/$profile}"
version="$(sed -n 's/^#define AUTHGATE_VERSION_STRING "\(.*\)"$/\1/p' "$root/include/authgate.h")"
major="${version%%.*}"
minor="$(echo "$version" | cut -d. -f2)"
# What the static library needs besides itself, from
#   cargo rustc -p authgate-ffi --lib --crate-type staticlib -- --print native-static-libs
libs_private="-lpthread -ldl -lm -lrt -lutil -lgcc_s -lc"

install -d "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/authgate"
install -m 644 "$root/include/authgate.h" "$prefix/include/authgate.h"
install -m 755 "$target_dir/libauthgate.so" "$prefix/lib/libauthgate.so.$version"
ln -sf "libauthgate.so.$version" "$prefix/lib/libauthgate.so.$major"
ln -sf "libauthgate.so.$major" "$prefix/lib/libauthgate.so"
install -m 644 "$target_dir/libauthgate.a" "$prefix/lib/libauthgate.a"
if [ -f "$target_dir/authgate" ]; then
  install -d "$prefix/bin"
  install -m 755 "$target_dir/authgate" "$prefix/bin/authgate"
else
  echo "install-c.sh: no authgate binary in $target_dir; the command-line tool is not installed" >&2
fi

subst() {
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" -e "s|@MAJOR@|$major|g" \
      -e "s|@MINOR@|$minor|g" -e "s|@LIBS_PRIVATE@|$libs_private|g" \
      -e "s|@CMAKE_LIBS_PRIVATE@|$(echo "$libs_private" | sed 's/-l//g; s/ /;/g')|g" "$1"
}
subst "$root/ffi/install/authgate.pc.in" > "$prefix/lib/pkgconfig/authgate.pc"
if [ "$relocatable" = 1 ]; then
  sed -i "s|^prefix=.*|prefix=\${pcfiledir}/../..|" "$prefix/lib/pkgconfig/authgate.pc"
fi
subst "$root/ffi/install/authgate-config.cmake.in" > "$prefix/lib/cmake/authgate/authgate-config.cmake"
subst "$root/ffi/install/authgate-config-version.cmake.in" > "$prefix/lib/cmake/authgate/authgate-config-version.cmake"
echo "installed authgate $version (from ${from:-$profile}) under $prefix"
