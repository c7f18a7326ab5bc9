#!/usr/bin/env bash
# fetch-nginx-lua.sh DIR: Debian 12's nginx with its Lua module, unpacked into DIR
# (not installed) for spec/nginx_spec.lua and examples/nginx/.
#
# Why not `apt-get install libnginx-mod-http-lua`: on Debian 12 that package depends
# on libluajit2-5.1-2 (OpenResty's LuaJIT fork), which conflicts with Debian's
# libluajit-5.1-2 that victor-lua builds against: installing it removes luajit and
# libluajit-5.1-dev. So the .debs are fetched with `apt-get download` and unpacked with
# `dpkg -x`; nginx runs from DIR with LD_LIBRARY_PATH pointing at the unpacked
# luajit2 (same C ABI: victor.so loads into it). Nothing on the system changes, and no
# package maintainer script runs (no service is started). Idempotent: prints DIR's
# layout when it is already there.
set -euo pipefail
dir=$(realpath -m "${1:?usage: fetch-nginx-lua.sh DIR}")
pkgs="nginx nginx-common libnginx-mod-http-ndk libnginx-mod-http-lua libluajit2-5.1-2 lua-resty-core lua-resty-lrucache"
if [ ! -x "$dir/root/usr/sbin/nginx" ] || [ ! -f "$dir/root/usr/lib/nginx/modules/ngx_http_lua_module.so" ]; then
  mkdir -p "$dir/debs"
  (cd "$dir/debs" && apt-get download $pkgs >/dev/null 2>"$dir/download.log") || {
    echo "fetch-nginx-lua.sh: apt-get download failed (see $dir/download.log)" >&2
    exit 1
  }
  rm -rf "$dir/root"
  for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$dir/root"; done
fi
echo "nginx=$dir/root/usr/sbin/nginx"
echo "modules=$dir/root/usr/lib/nginx/modules"
echo "libs=$dir/root/usr/lib/x86_64-linux-gnu"
echo "resty=$dir/root/usr/share/lua/5.1"
