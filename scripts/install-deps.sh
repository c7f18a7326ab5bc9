#!/bin/sh
# install-deps.sh: install victor-lua's build, test and lint dependencies from Debian's archive.
#
# Idempotent: packages already installed are skipped, so a re-run costs one dpkg query.
# Run as root (or with sudo available). Set VL_DEPS_DRY=1 to only print what is missing.
# With package names as arguments it installs those instead of the default list (the
# cross scripts, scripts/cross-arm64.sh and scripts/cross-windows.sh, use it that way).
set -eu

PKGS="$*"
[ -n "$PKGS" ] || PKGS="build-essential pkg-config luajit libluajit-5.1-dev libxxhash-dev xxhash
libpcre2-dev libtomlplusplus-dev libsimde-dev lua-busted lua-cjson lua-argparse lua-check
clang libclang-rt-dev llvm libomp-dev cppcheck valgrind luarocks curl ca-certificates neovim"

missing=""
for p in $PKGS; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$st" in
    *" installed") ;;
    *) missing="$missing $p" ;;
  esac
done

if [ -z "$missing" ]; then
  echo "deps: all present"
  exit 0
fi
echo "deps: installing$missing"
[ "${VL_DEPS_DRY:-}" = 1 ] && exit 0

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "deps: need root (or sudo) to install:$missing" >&2; exit 2; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
