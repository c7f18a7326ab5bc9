#!/bin/sh
# cross-windows.sh: install what `make cross-windows` and `make test-windows` need on Debian 12.
#
# Idempotent, like scripts/cross-arm64.sh: what is present is skipped. Run as root (or with sudo).
#  - mingw-w64: the x86_64-w64-mingw32 cross compiler and its Windows runtime;
#  - wine64: runs the cross-built test program (build/windows/test_kat.exe) on this machine.
# xxHash and SIMDe are header-only and come from the host's libxxhash-dev and libsimde-dev
# (scripts/install-deps.sh). Set VL_DEPS_DRY=1 to only print what is missing.
set -eu

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "cross-windows: need root (or sudo)" >&2; exit 2; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive

PKGS="mingw-w64 wine64"

missing=""
for p in $PKGS; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$st" in
    *" installed") ;;
    *) missing="$missing $p" ;;
  esac
done
if [ -n "$missing" ]; then
  echo "cross-windows: installing$missing"
  [ "${VL_DEPS_DRY:-}" = 1 ] && exit 0
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
  }
fi
echo "cross-windows: ready"
