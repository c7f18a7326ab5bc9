#!/bin/sh
# cross-arm64.sh: install what `make cross-arm64` and `make test-arm64` need on Debian 12 (amd64 host).
#
# Idempotent, like scripts/install-deps.sh: what is present is skipped. Run as root (or with sudo).
#  - the cross compilers (gcc/g++-aarch64-linux-gnu) and qemu-user (qemu-aarch64);
#  - arm64 libraries through multiarch (dpkg --add-architecture arm64): the -dev packages and the
#    Lua C modules the specs load (lua-cjson, lua-system, lua-filesystem are Multi-Arch: same, so
#    they co-install with the amd64 ones);
#  - luajit:arm64 and lua-term:arm64 cannot co-install with their amd64 builds (same file names), so
#    their .debs are fetched with `apt-get download` and unpacked into $1 (default build/arm64/sysroot).
# Set VL_DEPS_DRY=1 to only print what is missing.
set -eu
SYSROOT=${1:-build/arm64/sysroot}

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "cross-arm64: need root (or sudo)" >&2; exit 2; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive

PKGS="gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user libc6:arm64 libgomp1:arm64 libstdc++6:arm64
libluajit-5.1-dev:arm64 libpcre2-dev:arm64 libxxhash-dev:arm64 libtomlplusplus-dev:arm64
lua-cjson:arm64 lua-system:arm64 lua-filesystem:arm64"
UNPACK="luajit lua-term"

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "cross-arm64: dpkg --add-architecture arm64"
  [ "${VL_DEPS_DRY:-}" = 1 ] || { $SUDO dpkg --add-architecture arm64; $SUDO apt-get update -qq; }
fi

# shellcheck disable=SC2086
sh "$(dirname "$0")/install-deps.sh" $PKGS

mkdir -p "$SYSROOT"
for p in $UNPACK; do
  [ -f "$SYSROOT/.$p" ] && continue
  echo "cross-arm64: unpacking $p:arm64 into $SYSROOT"
  [ "${VL_DEPS_DRY:-}" = 1 ] && continue
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq "$p:arm64")
  dpkg -x "$tmp"/*.deb "$SYSROOT"
  rm -rf "$tmp"
  touch "$SYSROOT/.$p"
done
echo "cross-arm64: ready"
