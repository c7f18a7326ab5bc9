-- redteam_spec.lua: hostile rule packs (victor.rules sandbox) and hostile job scripts under the
-- embedding API's sandbox mode (vl_config.sandbox, through examples/embed-host --sandbox): each
-- escape attempt is refused with a clear message and the host is unharmed (issue 11, item 5).
local rules = require "victor.rules"
local proc = require "support.proc"
local q = proc.q

local function pack_refused(src, code, msg)
  local p, m, c = rules.load_string(src, "p.lua")
  assert.is_nil(p)
  assert.equal(code, c, m)
  assert.equal(msg, m)
end

describe("red team: hostile rule packs", function()
  local cases = {
    { "string metatable, read", [[getmetatable("").__index = function() end return {}]],
      "ESANDBOX", "p.lua:1: rule pack may not use 'getmetatable' (sandboxed)" },
    { "string metatable, method dump", [[("x").dump(print) return {}]],
      "ESANDBOX", "p.lua:1: rule pack may not use 'string.dump' (sandboxed)" },
    { "setmetatable on a table", [[return setmetatable({}, {__index = function() return 1 end})]],
      "ESANDBOX", "p.lua:1: rule pack may not use 'setmetatable' (sandboxed)" },
    { "coroutines", [[return coroutine.wrap(function() while true do end end)()]],
      "ESANDBOX", "p.lua:1: rule pack may not use 'coroutine' (sandboxed)" },
    { "load with a custom env", [[return load("return os", "x", "t", {})()]],
      "ESANDBOX", "p.lua:1: rule pack may not use 'load' (sandboxed)" },
    { "loadstring", [[return loadstring("return 1")()]],
      "ESANDBOX", "p.lua:1: rule pack may not use 'loadstring' (sandboxed)" },
    { "bytecode", "\27LJ\2\0\0\0", "EPARSE", "p.lua: precompiled bytecode is not allowed" },
    { "string.dump", [[return string.dump(function() end)]],
      "ESANDBOX", "p.lua:1: rule pack may not use 'string.dump' (sandboxed)" },
    { "debug", [[return debug.getregistry()]], "ESANDBOX", "p.lua:1: rule pack may not use 'debug' (sandboxed)" },
    { "FFI through require", [[return require("ffi")]],
      "ESANDBOX", "p.lua:1: rule pack may not use 'require' (sandboxed)" },
    { "package.loaded", [[return package.loaded.io]],
      "ESANDBOX", "p.lua:1: rule pack may not use 'package' (sandboxed)" },
    { "getfenv", [[return getfenv(0).io]], "ESANDBOX", "p.lua:1: rule pack may not use 'getfenv' (sandboxed)" },
    { "rawget on _G", [[return rawget(_G, "io")]], "ESANDBOX", "p.lua:1: rule pack may not use 'rawget' (sandboxed)" },
    { "pcall to swallow a limit", [[pcall(error) return {}]],
      "ESANDBOX", "p.lua:1: rule pack may not use 'pcall' (sandboxed)" },
    { "jit", [[return jit.util]], "ESANDBOX", "p.lua:1: rule pack may not use 'jit' (sandboxed)" },
    { "newproxy", [[return newproxy(true)]], "ESANDBOX", "p.lua:1: rule pack may not use 'newproxy' (sandboxed)" },
    { "huge string.rep", [[local s = ("x"):rep(1e9) return {}]], "ELIMIT",
      "p.lua:1: string.rep: result too large (1000000000 bytes; memory limit 16777216 bytes)" },
    { "huge concatenation", [[local s = "x" for i = 1, 40 do s = s .. s end return {}]],
      "ELIMIT", "p.lua:1: memory limit exceeded (16777216 bytes)" },
    { "endless table", [[local t = {} for i = 1, 1e9 do t[i] = i end return {}]],
      "ELIMIT", "p.lua:1: instruction budget exceeded (1000000 instructions)" },
    { "endless loop", [[while true do end]], "ELIMIT", "p.lua:1: instruction budget exceeded (1000000 instructions)" },
    { "deep recursion", [[local function f(n) return f(n + 1) + 1 end return f(1)]],
      "ELIMIT", "p.lua: stack overflow" },
    { "gsub callbacks nested in C", [[local function f(s) return (s:gsub(".", f)) end return f(("x"):rep(300))]],
      "ELIMIT", "p.lua:1: callbacks nested too deeply (limit 50)" },
    { "catastrophic pattern", [[return ("a"):rep(3000):find(".-.-.-.-.-b")]], "ELIMIT",
      "p.lua: string.find: pattern too costly on a 3000-byte string (worst case above 1e+08 steps)" },
    { "a function in the returned pack",
      [[return {name = "x", version = "1", rules = {{id = "a", kind = "deny_tool", tool = print}}}]],
      "ESANDBOX", "p.lua:1: rule pack may not use 'print' (sandboxed)" },
  }
  for _, c in ipairs(cases) do
    it("refuses " .. c[1], function() pack_refused(c[2], c[3], c[4]) end)
  end

  it("leaves the host's string library and string metatable alone", function()
    local p = rules.load_string([[string.rep = nil string.upper = function() return "pwn" end
      return {name = "x", version = "1", rules = {}}]], "p.lua")
    assert.truthy(p)
    assert.equal(string, getmetatable("").__index)
    assert.equal("AB", ("ab"):upper())
    assert.equal("xx", ("x"):rep(2))
    assert.is_nil(rules.load_string([[error("boom")]], "p.lua"))
    assert.equal(string, getmetatable("").__index)
  end)
end)

describe("red team: hostile job scripts under sandbox mode", function()
  local host = proc.target(proc.build .. "/examples/embed-host")
  local dir

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. q(dir)))
  end)
  teardown(function() os.execute("rm -rf " .. q(dir)) end)

  -- job module `name` whose run(line) has `body`; returns out, err, status of a sandboxed call
  local function job(name, body, extra)
    local f = assert(io.open(dir .. "/" .. name .. ".lua", "wb"))
    f:write("local M = {}\nfunction M.run(line)\n", body, "\nend\nreturn M\n")
    f:close()
    local cmd = host .. " --sandbox " .. (extra or "") .. " --path " .. q(dir .. "/?.lua") .. " " .. name .. " run"
    return proc.run(cmd, "x\n")
  end

  local function raises(name, body, msg, extra)
    local out, err, st = job(name, body, extra)
    assert.equal(2, st, out .. err)
    assert.truthy(err:find(msg, 1, true), err)
  end

  it("has no io, os.execute, debug, load, loadstring, string.dump", function()
    raises("j_io", [[return io.open("/etc/passwd")]], "attempt to index global 'io' (a nil value)")
    raises("j_exec", [[return os.execute("true")]], "attempt to call field 'execute' (a nil value)")
    raises("j_debug", [[return debug.getinfo(1)]], "attempt to index global 'debug' (a nil value)")
    raises("j_load", [[return load("return 1", "x", "t", {})()]], "attempt to call global 'load' (a nil value)")
    raises("j_loadstring", [[return loadstring("return 1")()]], "attempt to call global 'loadstring' (a nil value)")
    raises("j_dump", [[return string.dump(print)]], "attempt to call field 'dump' (a nil value)")
  end)

  it("string metatable: no dump through it", function()
    raises("j_strmt", [[return getmetatable("").__index.dump(print)]], "attempt to call field 'dump' (a nil value)")
    raises("j_strmeth", [[return ("x").dump(print)]], "attempt to call field 'dump' (a nil value)")
  end)

  it("FFI, debug, io and C modules cannot be required; package.loaded holds none of them", function()
    raises("j_ffi", [[return require("ffi")]], "module 'ffi' not found")
    raises("j_rdebug", [[return require("debug")]], "module 'debug' not found")
    raises("j_jitutil", [[return require("jit.util")]], "module 'jit.util' not found")
    raises("j_cmod", [[package.cpath = "/usr/lib/x86_64-linux-gnu/lua/5.1/?.so" return require("cjson")]],
      "module 'cjson' not found")
    raises("j_loadlib", [[return package.loadlib("libc.so.6", "system")]],
      "attempt to call field 'loadlib' (a nil value)")
    local out, err, st = job("j_loaded", [[
      for _, n in ipairs({"ffi", "io", "os", "debug", "jit.util", "jit.profile"}) do
        if package.loaded[n] then return "found " .. n end
      end
      for k, v in next, package.loaded do
        if type(v) == "table" and (rawget(v, "popen") or rawget(v, "cdef") or rawget(v, "sethook")) then
          return "found " .. k
        end
      end
      return "clean " .. tostring(os.execute)]])
    assert.equal(0, st, err)
    assert.equal("clean nil\n", out)
  end)

  it("coroutines and getfenv run in the same locked-down globals", function()
    local out, err, st = job("j_co", [[
      local co = coroutine.wrap(function() return tostring(io) .. " " .. tostring(getfenv(0).io) end)
      return co() .. " " .. tostring(getfenv(require).io) .. " " .. tostring(rawget(_G, "debug"))]])
    assert.equal(0, st, err)
    assert.equal("nil nil nil nil\n", out)
  end)

  it("refuses a bytecode module found on package.path", function()
    local src = dir .. "/evil_src.lua"
    local f = assert(io.open(src, "wb"))
    f:write("return 'bytecode ran'\n")
    f:close()
    assert(os.execute("luajit -b " .. q(src) .. " " .. q(dir .. "/evilbc.bc") .. " && rm " .. q(src)))
    raises("j_bc", [[package.path = "]] .. dir .. [[/?.bc;" .. package.path return require("evilbc")]],
      "module 'evilbc': '" .. dir .. "/evilbc.bc' is bytecode, refused (sandboxed: source text only)")
    -- text modules still load from package.path
    local g = assert(io.open(dir .. "/plain.lua", "wb"))
    g:write("return 'text ran'\n")
    g:close()
    local out, err, st = job("j_txt", [[return require("plain")]])
    assert.equal(0, st, err)
    assert.equal("text ran\n", out)
  end)

  it("the kernels' own file access is refused (read, list, save)", function()
    local sim = [[local c = require("victor.core.similarity") local m = c.from_table({{1, 0}, {0, 1}}, 2) ]]
    raises("j_hsave", sim .. [[return c.hnsw_build(m, 16, 200, 1):save("]] .. dir .. [[/w.bin")]],
      "victor.similarity.HNSW:save: file access is not allowed in sandbox mode")
    raises("j_npysave", sim .. [[return m:save_npy("]] .. dir .. [[/w.npy")]],
      "victor.similarity.Matrix:save_npy: file access is not allowed in sandbox mode")
    raises("j_npyload", sim .. [[return c.load_npy("/etc/passwd", 0)]],
      "victor.core.similarity.load_npy: file access is not allowed in sandbox mode")
    raises("j_hload", sim .. [[return c.hnsw_load("/etc/passwd")]],
      "victor.core.similarity.hnsw_load: file access is not allowed in sandbox mode")
    raises("j_wread", [[return require("victor.core.walk").read("/etc/passwd", 4096)]],
      "victor.core.walk.read: file access is not allowed in sandbox mode")
    raises("j_wfiles", [[return require("victor.core.walk").files({"/etc"})]],
      "victor.core.walk.files: file access is not allowed in sandbox mode")
    local f = io.open(dir .. "/w.bin", "rb")
    assert.is_nil(f)
  end)

  it("a huge allocation is an out-of-memory error under --memory, not a crash", function()
    raises("j_huge", [[local t = {} for i = 1, 1e9 do t[i] = ("x"):rep(64) .. i end]], "out of memory",
      "--memory 33554432")
  end)

  it("deep recursion is a stack overflow error, not a crash", function()
    raises("j_rec", [[local function f(n) return f(n + 1) + 1 end return f(1)]], "stack overflow")
  end)
end)
