-- luarocks_spec.lua: the rockspec builds with Debian's luarocks (`luarocks make`, build
-- type "make") into a temporary tree, and a stock luajit runs kernels from it.
local proc = require "support.proc"
local q = proc.q

describe("luarocks make", function()
  if os.getenv("VL_CROSS") then
    it("runs on the build host only", function()
      pending("VL_CROSS=" .. os.getenv("VL_CROSS") .. ": luarocks builds victor.so with the build host compiler")
    end)
    return
  end
  if os.getenv("VL_SAN") or os.getenv("VL_VALGRIND") then return end
  it("installs victor.so and the Lua modules that a stock luajit runs", function()
    local tree = os.tmpname()
    os.remove(tree)
    local inc = io.popen("pkg-config --variable=includedir luajit"):read("*l") or "/usr/include/luajit-2.1"
    local out, err, st = proc.run("luarocks make --tree=" .. q(tree) .. " --deps-mode=none "
      .. "victor-lua-0.1.0-1.rockspec LUA_INCDIR=" .. q(inc))
    assert.equal(0, st, out .. err)
    assert.truthy(out:find("victor-lua 0.1.0-1 is now installed in " .. tree, 1, true), out)
    local env = "LUA_PATH=" .. q(tree .. "/share/lua/5.1/?.lua;;") .. " LUA_CPATH=" .. q(tree .. "/lib/lua/5.1/?.so;;")
    out, err, st = proc.run(env .. " luajit -e " .. q("local n = require 'victor.native'; "
      .. "local g = require('victor.graph').from_edges({ { 'a', 'b' }, { 'b', 'a' } }); "
      .. "print(n.is_available(), require('victor.graph').backend, g:pagerank().a)"))
    os.execute("rm -rf " .. q(tree))
    assert.equal(0, st, err)
    assert.equal("true\tnative\t0.5\n", out)
  end)
end)
