-- install_spec.lua: `make install` / `make uninstall` into a temporary prefix, then
-- everything used from the installed files only: the binary, the man page, the
-- embedding example built out of tree with pkg-config against the shared library,
-- and the Lua modules + C module from a stock luajit.
local proc = require "support.proc"
local q = proc.q

local function sh(cmd)
  local out, err, st = proc.run(cmd)
  assert(st == 0, cmd .. "\n" .. out .. err)
  return out
end

describe("make install", function()
  -- the sanitizer and valgrind passes reuse the plain build's files; nothing new there
  if os.getenv("VL_CROSS") then
    it("runs on the build host only", function()
      pending("VL_CROSS=" .. os.getenv("VL_CROSS") .. ": make install rebuilds for the build host (x86 toolchain)")
    end)
    return
  end
  if os.getenv("VL_SAN") or os.getenv("VL_VALGRIND") then return end
  local prefix
  setup(function()
    prefix = os.tmpname()
    os.remove(prefix)
    sh("make -s install PREFIX=" .. q(prefix) .. " BUILD=" .. q(proc.build))
  end)
  teardown(function()
    if prefix then os.execute("rm -rf " .. q(prefix)) end
  end)

  it("lays out the binary, libraries, headers, pkg-config file, modules, packs and man page", function()
    for _, f in ipairs({ "bin/victor-lua", "lib/libvictor_lua.a", "lib/libvictor_lua.so.0.1.0",
      "include/victor-lua/victor_lua.h", "include/victor-lua/vl_status.h", "lib/pkgconfig/victor-lua.pc",
      "share/lua/5.1/victor/similarity.lua", "share/lua/5.1/victor/cmd/graph.lua",
      "share/lua/5.1/victor/fallback/dedup.lua", "share/lua/5.1/victor/default_packs.lua",
      "lib/lua/5.1/victor.so", "share/victor-lua/rules/default.lua", "share/man/man1/victor-lua.1",
      "share/bash-completion/completions/victor-lua" }) do
      assert.truthy(io.open(prefix .. "/" .. f), f)
    end
    assert.equal("libvictor_lua.so.0.1.0\n", sh("readlink " .. q(prefix .. "/lib/libvictor_lua.so.0")))
    assert.truthy(sh("readelf -d " .. q(prefix .. "/lib/libvictor_lua.so.0.1.0"))
      :find("Library soname: [libvictor_lua.so.0]", 1, true))
    local out = sh(q(prefix .. "/bin/victor-lua") .. " --version")
    assert.truthy(out:find("^victor%-lua 0%.1%.0 "), out)
    local man = proc.read_file(prefix .. "/share/man/man1/victor-lua.1")
    assert.truthy(man:find('^%.TH VICTOR%-LUA 1 ""'), man:sub(1, 80))
    assert.truthy(man:find("\n.SS graph\n", 1, true))
    assert.truthy(man:find((sh(q(prefix .. "/bin/victor-lua") .. " graph --help"):match("[^\n]+")), 1, true))
  end)

  it("builds and runs the embedding example out of tree with pkg-config", function()
    local pc = "PKG_CONFIG_PATH=" .. q(prefix .. "/lib/pkgconfig") .. " pkg-config "
    local flags = sh(pc .. "--cflags --libs victor-lua"):gsub("\n", "")
    assert.truthy(flags:find("-I" .. prefix .. "/include/victor-lua", 1, true), flags)
    assert.truthy(flags:find("-L" .. prefix .. "/lib -lvictor_lua", 1, true), flags)
    local exe = prefix .. "/embed-host"
    sh("cc -o " .. q(exe) .. " examples/embed/embed_host.c " .. flags .. " -Wl,-rpath," .. q(prefix .. "/lib"))
    assert.truthy(sh("ldd " .. q(exe)):find(prefix .. "/lib/libvictor_lua.so.0", 1, true))
    local call = '{"name":"read_file","arguments":{"path":"/a"}}\n'
    local out, err, st = proc.run(q(exe) .. " --path " .. q("examples/embed/?.lua") .. " loopjob line", call:rep(3))
    assert.equal(0, st, err)
    assert.truthy(out:find(" LOOP repeat%-any x3\n$"), out)
  end)

  it("serves a stock luajit from the installed modules", function()
    local env = "LUA_PATH=" .. q(prefix .. "/share/lua/5.1/?.lua;;") .. " LUA_CPATH="
      .. q(prefix .. "/lib/lua/5.1/?.so;;")
    local out = sh(env .. " luajit -e " .. q("local n = require 'victor.native'; "
      .. "print(n.is_available(), require('victor.signature').of_json('ls', '{}') ~= nil)"))
    assert.equal("true\ttrue\n", out)
  end)

  it("uninstalls every file it installed", function()
    sh("make -s uninstall PREFIX=" .. q(prefix) .. " BUILD=" .. q(proc.build))
    os.remove(prefix .. "/embed-host")
    assert.equal("", sh("find " .. q(prefix) .. " -type f -o -type l"))
  end)
end)
