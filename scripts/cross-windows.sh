#!/bin/sh
# cross-windows.sh: install what `make cross-windows` and `make test-windows` need on Debian 12.
#
# Idempotent, like scripts/cross-arm64.sh: what is present is skipped. Run as root (or with sudo).
#  - mingw-w64: the x86_64-w64-mingw32 cross compiler and its Windows runtime;
#  - wine64: runs the cross-built test program (build/windows/test_kat.exe) on this machine.
# xxHash and SIMDe are header-only and come from the host's libxxhash-dev and libsimde-dev
# (scripts/install-deps.sh). Set VL_DEPS_DRY=1 to only print what is missing.
set -eu

PKGS="mingw-w64 wine64"

# shellcheck disable=SC2086
sh "$(dirname "$0")/install-deps.sh" $PKGS
echo "cross-windows: ready"
