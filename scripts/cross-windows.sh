#!/bin/sh
# cross-windows.sh: install what `make cross-windows` and `make test-windows` need on Debian 12.
#
# Idempotent, like scripts/cross-arm64.sh: what is present is skipped. Run as root (or with sudo).
#  - mingw-w64: the x86_64-w64-mingw32 cross compiler and its Windows runtime;
#  - wine64: runs the cross-built test program (build/windows/test_kat.exe) on this machine.
#  - gcc, make, curl, ca-certificates: scripts/fetch-win-deps.sh downloads Debian's source
#    tarballs of PCRE2, LuaJIT and lua-cjson and cross-builds them (LuaJIT's build runs host tools).
# xxHash and SIMDe are header-only and come from the host's libxxhash-dev and libsimde-dev
# (scripts/install-deps.sh). Set VL_DEPS_DRY=1 to only print what is missing.
set -eu

PKGS="mingw-w64 wine64 gcc make curl ca-certificates"

# shellcheck disable=SC2086
sh "$(dirname "$0")/install-deps.sh" $PKGS
echo "cross-windows: ready"
