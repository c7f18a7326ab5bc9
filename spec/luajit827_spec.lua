-- luajit827_spec.lua: keep victor's Lua clear of LuaJIT issue #827.
--
-- Debian's LuaJIT 2.1.0-beta3 miscompiles nested `for k, v in pairs(t)` / `in next, t` loops
-- (a compiled loop can stop early or see a wrong key: fuzzing caught the pure-Lua signature
-- fallback signing a nested table as {} and the rule validator could skip fields). The parser
-- only specialises loops whose iterator is spelled `pairs(...)` or `next`, so victor's modules
-- iterate through a local alias (`each_next`). This spec fails if a loop of the bad shape
-- comes back.
local function lua_files()
  local p = io.popen("find lua examples -name '*.lua' | LC_ALL=C sort")
  local files = {}
  for f in p:lines() do files[#files + 1] = f end
  p:close()
  return files
end

describe("LuaJIT #827 workaround", function()
  it("finds the Lua sources", function()
    assert.truthy(#lua_files() >= 10)
  end)

  it("has no for-in loop over pairs() or next in lua/ and examples/", function()
    local bad = {}
    for _, f in ipairs(lua_files()) do
      local n = 0
      for line in io.lines(f) do
        n = n + 1
        local code = line:gsub("%-%-.*$", "")
        if code:find("%f[%w_]in%s+pairs%s*%(") or code:find("%f[%w_]in%s+next%s*,") then
          bad[#bad + 1] = f .. ":" .. n .. ": " .. line
        end
      end
    end
    assert.same({}, bad)
  end)
end)
