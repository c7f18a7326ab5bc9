-- LuaRocks: the victor kernels as one C module (victor.so) plus the Lua modules, for a
-- stock LuaJIT or OpenResty. Build from a checkout (the C libraries come from Debian:
-- `make deps`, or the README's apt line):
--   luarocks make victor-lua-0.1.0-1.rockspec LUA_INCDIR=$(pkg-config --variable=includedir luajit)
-- (Debian's luarocks targets "5.1", which LuaJIT is; LUA_INCDIR points it at LuaJIT's
-- headers.) The build runs `make rock` in build/rock/ and installs with `make rock-install`.
rockspec_format = "3.0"
package = "victor-lua"
version = "0.1.0-1"
source = {
  url = "git+file://.",  -- built from a checkout with `luarocks make`; no published source yet
}
description = {
  summary = "Native text, vector and graph kernels for AI coding assistants, driven by LuaJIT",
  detailed = [[
Content dedup, tool-call signatures, a streaming thinking-tag filter, JSON repair, SIMD
cosine similarity with HNSW search, PageRank and a gitignore-aware file walker, as C kernels
with pure-Lua fallbacks. The CLI and the embedding library are built with the Makefile.]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1, < 5.2",
  "lua-cjson",
  "argparse",
}
build = {
  type = "make",
  build_target = "rock",
  build_variables = {
    LUA_INCDIR = "$(LUA_INCDIR)",
    ROCK_CFLAGS = "$(CFLAGS)",
  },
  install_target = "rock-install",
  install_variables = {
    ROCK_LIBDIR = "$(LIBDIR)",
    ROCK_LUADIR = "$(LUADIR)",
  },
}
