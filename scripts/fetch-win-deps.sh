#!/bin/bash
# fetch-win-deps.sh: the C libraries of `make cross-windows` that Debian ships no mingw build of,
# cross-built from Debian's own source tarballs (pinned in scripts/win-deps.lock).
#
#   bash scripts/fetch-win-deps.sh [DEPS_DIR] [CACHE_DIR]
#
# DEPS_DIR (default build/windows/deps) receives include/, lib/ and bin/:
#  - PCRE2 10.42: 8-bit, JIT on, static: lib/libpcre2-8.a, include/pcre2.h (define PCRE2_STATIC);
#  - LuaJIT 2.1 (Debian's 2.1.0~beta3+git20220320 snapshot): lib/libluajit-5.1.a, the Lua headers
#    in include/luajit-2.1/, bin/luajit.exe (BUILDMODE=static: no lua51.dll);
#  - lua-cjson 2.1.0: lib/libcjson.a (luaopen_cjson, luaopen_cjson_safe), compiled against those
#    LuaJIT headers, to be preloaded by a static host (mingw's C99 stdio: numbers print as on Linux).
# Idempotent: a library whose DEPS_DIR/.stamp-NAME holds its tarball's SHA256 is not rebuilt.
# Tarballs are cached in CACHE_DIR (default $VL_TARBALL_CACHE, else build/tgz-cache, shared with
# scripts/fetch-grammars.sh) so a rebuild works offline. The SHA256 of the lock decides: a
# TLS-intercepting proxy whose CA this system lacks only makes the transport unverified.
# Needs mingw-w64, make and curl (scripts/cross-windows.sh). VL_JOBS (default 2): make -j.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lock="$here/win-deps.lock"
# shellcheck source=scripts/fetch-url.sh
. "$here/fetch-url.sh"
deps=${1:-build/windows/deps}
cache=${2:-${VL_TARBALL_CACHE:-build/tgz-cache}}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
host=x86_64-w64-mingw32
jobs=${VL_JOBS:-2}
# a caller's make (the Makefile) must not pass its variables (CC, BUILD, CFLAGS) to these builds
unset MAKEFLAGS MFLAGS MAKELEVEL CFLAGS CPPFLAGS LDFLAGS
mkdir -p "$deps/include" "$deps/lib" "$deps/bin" "$deps/src" "$cache"
deps=$(cd "$deps" && pwd)

have_sum() { [ -f "$1" ] && echo "$2  $1" | sha256sum --quiet -c - >/dev/null 2>&1; }

# Unpack TARBALL into DIR (fresh); a single top-level directory is stripped.
unpack() {
  local tgz=$1 dir=$2
  rm -rf "$dir" "$dir.tmp"
  mkdir -p "$dir.tmp"
  tar -xzf "$tgz" -C "$dir.tmp"
  local top=("$dir.tmp"/*)
  if [ ${#top[@]} -eq 1 ] && [ -d "${top[0]}" ]; then
    mv "${top[0]}" "$dir"
    rmdir "$dir.tmp"
  else
    mv "$dir.tmp" "$dir"
  fi
}

# Run a build step quietly; on failure show the tail of its log.
logged() { # LOG CMD...
  local log=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    echo "fetch-win-deps: failed: $* (log: $log)" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}

build_pcre2() {
  local src=$1
  (cd "$src" && logged configure.log ./configure --host=$host --enable-jit --disable-shared --enable-static \
     --disable-pcre2grep-libz --disable-pcre2grep-libbz2 CFLAGS="-O2")
  (cd "$src" && logged make.log nice make -j"$jobs" libpcre2-8.la)
  cp "$src/.libs/libpcre2-8.a" "$deps/lib/"
  cp "$src/src/pcre2.h" "$deps/include/"
}

build_luajit() {
  local src=$1
  (cd "$src" && logged make.log nice make -j"$jobs" HOST_CC=gcc CROSS=$host- TARGET_SYS=Windows BUILDMODE=static)
  mkdir -p "$deps/include/luajit-2.1"
  cp "$src"/src/{lua.h,lualib.h,lauxlib.h,luaconf.h,lua.hpp,luajit.h} "$deps/include/luajit-2.1/"
  cp "$src/src/libluajit.a" "$deps/lib/libluajit-5.1.a"
  cp "$src/src/luajit.exe" "$deps/bin/"
}

build_lua-cjson() {
  local src=$1 f
  [ -f "$deps/include/luajit-2.1/lua.h" ] || { echo "fetch-win-deps: lua-cjson needs luajit first" >&2; exit 1; }
  # LuaJIT 2.1's lauxlib.h declares luaL_setfuncs, which lua_cjson.c (written for Lua 5.1)
  # defines as a static function of its own: include lauxlib.h first, then rename cjson's copy.
  printf '#include <lauxlib.h>\n#define luaL_setfuncs cjson_setfuncs\n' >"$src/vl_prelude.h"
  for f in lua_cjson strbuf fpconv; do
    logged "$src/$f.log" $host-gcc -O2 -Wall -DNDEBUG -D__USE_MINGW_ANSI_STDIO=1 \
      -I"$deps/include/luajit-2.1" -include "$src/vl_prelude.h" -c "$src/$f.c" -o "$src/$f.o"
  done
  rm -f "$deps/lib/libcjson.a"
  $host-ar rcs "$deps/lib/libcjson.a" "$src/lua_cjson.o" "$src/strbuf.o" "$src/fpconv.o"
}

while read -r name path sum; do
  case "$name" in '' | '#'*) continue ;; esac
  tgz="$cache/${path##*/}"
  if ! have_sum "$tgz" "$sum"; then
    vl_fetch "$mirror/pool/main/$path" "$tgz" || exit 1
    if ! have_sum "$tgz" "$sum"; then
      echo "fetch-win-deps: checksum mismatch for $name ($tgz)" >&2
      rm -f "$tgz"
      exit 1
    fi
  fi
  stamp="$deps/.stamp-$name"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then continue; fi
  echo "fetch-win-deps: building $name for $host" >&2
  rm -f "$stamp"
  unpack "$tgz" "$deps/src/$name"
  "build_$name" "$deps/src/$name"
  echo "$sum" >"$stamp"
done <"$lock"
touch "$deps/.stamp"
echo "fetch-win-deps: ok ($deps)" >&2
