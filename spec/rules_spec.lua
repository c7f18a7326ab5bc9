-- spec/rules_spec.lua: the rule-pack loader (victor.rules), its sandbox, the schema of
-- victor.rule_kinds, merging, the default pack and the `victor-lua rules` command.
-- Run: luajit /usr/bin/busted --lpath='./lua/?.lua' spec/rules_spec.lua

package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path

local rules = require("victor.rules")
local rule_kinds = require("victor.rule_kinds")
local cmd = require("victor.cmd.rules")

local DATA = "spec/data/rules/"

-- The host state every load must leave as it found it.
local real_string, real_rep, real_os, real_io = string, string.rep, os, io
local string_mt = getmetatable("")

local function snapshot_globals()
  local t = {}
  for k, v in pairs(_G) do t[k] = v end
  return t
end

local function load(src, opts)
  return rules.load_string(src, "p.lua", opts)
end

local function refused(src, code, msg, opts)
  local pack, m, c = load(src, opts)
  assert.is_nil(pack)
  assert.are.equal(msg, m)
  assert.are.equal(code, c)
end

local raises = require "support.raises"

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local function file_size(path)
  local f = assert(io.open(path, "rb"))
  local n = f:seek("end")
  f:close()
  return n
end

local function pack_src(rules_src, extra)
  return "return { name = 'n', version = '1', " .. (extra or "") .. "rules = { " .. rules_src .. " } }"
end

local function valid(rules_list, extra)
  local p = { name = "n", version = "1", rules = rules_list }
  for k, v in pairs(extra or {}) do p[k] = v end
  return rules.validate(p, "v")
end

local function schema_error(msg, rules_list, extra)
  local p, m, c = valid(rules_list, extra)
  assert.is_nil(p)
  assert.are.equal(msg, m)
  assert.are.equal("ESCHEMA", c)
end

describe("victor.rules", function()
  local globals_before

  before_each(function()
    globals_before = snapshot_globals()
  end)

  -- Every test, hostile or not, must leave the host untouched.
  after_each(function()
    assert.are.equal(real_string, string_mt.__index)
    assert.are.equal(real_rep, string.rep)
    assert.are.equal("xxx", ("x"):rep(3))
    assert.are.equal("xxx", string.rep("x", 3))
    assert.is_nil(debug.gethook())
    assert.is_true(collectgarbage("isrunning"))
    assert.are.equal(real_os, rawget(_G, "os"))
    assert.are.equal(real_io, rawget(_G, "io"))
    assert.is_function(os.execute)
    local now = snapshot_globals()
    for k, v in pairs(globals_before) do assert.are.equal(v, now[k], "global " .. tostring(k)) end
    for k in pairs(now) do assert.is_not_nil(globals_before[k], "new global " .. tostring(k)) end
  end)

  describe("sandbox", function()
    it("refuses os.execute and runs nothing", function()
      local marker = "/tmp/victor-rules-spec-pwned"
      os.remove(marker)
      refused('os.execute("touch ' .. marker .. '")', "ESANDBOX", "p.lua:1: rule pack may not use 'os' (sandboxed)")
      assert.is_false(exists(marker))
    end)

    it("refuses io, require, ffi and the metatable functions", function()
      refused('local f = io.open("/etc/passwd")', "ESANDBOX", "p.lua:1: rule pack may not use 'io' (sandboxed)")
      refused('local ffi = require "ffi"', "ESANDBOX", "p.lua:1: rule pack may not use 'require' (sandboxed)")
      refused('getmetatable("").__index = { rep = function() end }', "ESANDBOX",
        "p.lua:1: rule pack may not use 'getmetatable' (sandboxed)")
      refused('local x = 1\nreturn ffi.C', "ESANDBOX", "p.lua:2: rule pack may not use 'ffi' (sandboxed)")
    end)

    it("refuses every global outside the allow-list", function()
      for _, name in ipairs({ "load", "loadstring", "loadfile", "dofile", "setfenv", "getfenv", "setmetatable",
        "getmetatable", "rawget", "rawset", "rawequal", "collectgarbage", "coroutine", "pcall", "xpcall",
        "newproxy", "gcinfo", "print", "debug", "jit", "package", "module", "_G", "io", "os", "require" }) do
        refused("local x = " .. name, "ESANDBOX", "p.lua:1: rule pack may not use '" .. name .. "' (sandboxed)")
      end
    end)

    it("refuses load, setfenv, coroutine.wrap, string.dump and pcall when called", function()
      refused('return load("return 1")()', "ESANDBOX", "p.lua:1: rule pack may not use 'load' (sandboxed)")
      refused("setfenv(1, {})", "ESANDBOX", "p.lua:1: rule pack may not use 'setfenv' (sandboxed)")
      refused("local co = coroutine.wrap(function() while true do end end) co()", "ESANDBOX",
        "p.lua:1: rule pack may not use 'coroutine' (sandboxed)")
      refused("return string.dump(function() end)", "ESANDBOX",
        "p.lua:1: rule pack may not use 'string.dump' (sandboxed)")
      refused('local d = ("x").dump', "ESANDBOX", "p.lua:1: rule pack may not use 'string.dump' (sandboxed)")
      refused("pcall(function() while true do end end)", "ESANDBOX",
        "p.lua:1: rule pack may not use 'pcall' (sandboxed)")
      refused("return math.random()", "ESANDBOX", "p.lua:1: rule pack may not use 'math.random' (sandboxed)")
      refused("math.randomseed(1)", "ESANDBOX", "p.lua:1: rule pack may not use 'math.randomseed' (sandboxed)")
    end)

    it("reports an undefined global as a runtime error", function()
      refused(pack_src("{ id = 'a', kind = 'loop', action = warn }"), "ERUNTIME", "p.lua:1: undefined global 'warn'")
    end)

    it("refuses string.rep above the memory cap, as a function and as a method", function()
      local msg = "p.lua:1: string.rep: result too large (2147483648 bytes; memory limit 16777216 bytes)"
      refused('local s = string.rep("x", 2^31)', "ELIMIT", msg)
      refused('local s = ("x"):rep(2^31)', "ELIMIT", msg)
      refused('local s = ("x"):rep(2^30, ",")', "ELIMIT",
        "p.lua:1: string.rep: result too large (2147483647 bytes; memory limit 16777216 bytes)")
      refused('local s = ("x"):rep(2^20)', "ELIMIT",
        "p.lua:1: string.rep: result too large (1048576 bytes; memory limit 65536 bytes)", { memory = 65536 })
      -- counts given as numeric strings or fractions are checked as the C function will use them
      refused('local s = ("x"):rep("2147483647")', "ELIMIT",
        "p.lua:1: string.rep: result too large (2147483647 bytes; memory limit 16777216 bytes)")
      refused('local s = ("x"):rep(2^20) local t = {}\n'
        .. 'for i = 1, 20 do t[i] = s end local r = table.concat(t, "", 1.5, "20")',
        "ELIMIT", "p.lua:2: table.concat: result too large (20971520 bytes; memory limit 16777216 bytes)")
      -- within the cap it works
      local p = assert(load(pack_src("", "description = ('ab'):rep(3) .. string.rep('c', 2, '-'), ")))
      assert.are.equal("abababc-c", p.description)
    end)

    it("stops a string that doubles until memory runs out", function()
      refused('local s = "x" while true do s = s .. s end', "ELIMIT", "p.lua:1: memory limit exceeded (16777216 bytes)")
      refused('local t = {} for i = 1, 1e7 do t[i] = {} end', "ELIMIT",
        "p.lua:1: memory limit exceeded (1048576 bytes)", { memory = 2^20, budget = 1e8 })
    end)

    it("refuses results that would pass the memory cap in one C call", function()
      refused('local s = ("x"):rep(4096)\nlocal r = s:gsub(".", s)', "ELIMIT",
        "p.lua:2: string.gsub: result too large (16785408 bytes; memory limit 16777216 bytes)")
      refused('local s = ("x"):rep(2^20) local t = {} for i = 1, 100 do t[i] = s end\nlocal r = table.concat(t)',
        "ELIMIT", "p.lua:2: table.concat: result too large (104857600 bytes; memory limit 16777216 bytes)")
      refused('local s = ("x"):rep(2^20)\nlocal r = string.format(("%s"):rep(20), ' .. ("s, "):rep(19) .. "s)",
        "ELIMIT", "p.lua:2: string.format: result too large (20974120 bytes; memory limit 16777216 bytes)")
    end)

    it("stops an endless loop with the instruction budget", function()
      refused("while true do end", "ELIMIT", "p.lua:1: instruction budget exceeded (1000000 instructions)")
      refused("\nwhile true do end", "ELIMIT", "p.lua:2: instruction budget exceeded (1000 instructions)",
        { budget = 1000 })
    end)

    it("stops hot loops that the JIT would compile (the chunk is excluded from the JIT)", function()
      assert.is_true((jit.status()))
      refused("for i = 1, 1e9 do end", "ELIMIT", "p.lua:1: instruction budget exceeded (1000000 instructions)")
      refused("local function f() local n = 0 for i = 1, 1e9 do n = n + i end return n end\nreturn f()", "ELIMIT",
        "p.lua:1: instruction budget exceeded (1000000 instructions)")
      -- the same loop, hot in the host, still runs compiled and fast afterwards
      local n = 0
      for i = 1, 1e6 do n = n + i end
      assert.are.equal(500000500000, n)
    end)

    it("turns deep recursion into a limit error, not a crash", function()
      refused("local function f() return 1 + f() end return f()", "ELIMIT", "p.lua: stack overflow")
      refused("local function f() return f() end return f()", "ELIMIT",
        "p.lua:1: instruction budget exceeded (1000000 instructions)")
      -- LuaJIT segfaults on deep C recursion through gsub callbacks; the sandbox stops it first
      refused('local function f() local r = ("x"):gsub("x", f) return r end return f()', "ELIMIT",
        "p.lua:1: callbacks nested too deeply (limit 50)")
      refused("local function f(a, b) table.sort({ 3, 2, 1 }, f) return a < b end table.sort({ 2, 1 }, f)", "ELIMIT",
        "p.lua:1: callbacks nested too deeply (limit 50)")
    end)

    it("refuses patterns whose backtracking could run away inside C", function()
      refused('local r = ("a"):rep(30):find(("a*"):rep(30) .. "b")', "ELIMIT",
        "p.lua:1: string.find: pattern too costly on a 30-byte string (worst case above 1e+08 steps)")
      refused('local r = ("a"):rep(2^13):match("a-a-b")', "ELIMIT",
        "p.lua:1: string.match: pattern too costly on a 8192-byte string (worst case above 1e+08 steps)")
      -- ordinary patterns are fine
      local p = assert(load(pack_src("",
        [[description = ("  read_file, grep  "):match("^%s*(.-)%s*$"):gsub("%s*,%s*", "|"), ]])))
      assert.are.equal("read_file|grep", p.description)
    end)

    it("refuses table.insert/remove positions that would shift ~2^31 slots in one C call", function()
      refused("local t = {} table.insert(t, -2147483647, 1) return t", "ERUNTIME",
        "p.lua:1: bad argument #2 to 'insert' (position out of bounds)")
      refused("local t = {1} table.remove(t, -2147483647) return t", "ERUNTIME",
        "p.lua:1: bad argument #2 to 'remove' (position out of bounds)")
      -- ordinary use still works
      local p = assert(load(pack_src("", [[description = (function() local t = { "b" } table.insert(t, 1, "a")
        table.insert(t, "c") table.remove(t, 2) return table.concat(t) end)(), ]])))
      assert.are.equal("ac", p.description)
    end)

    it("has a CPU-time backstop for work done inside C functions", function()
      refused('local s = ("a"):rep(2^20) while true do local i = s:find("b", 1, true) end', "ELIMIT",
        "p.lua:1: cpu time limit exceeded (0.2 s)", { budget = 1e9, time = 0.2 })
    end)

    it("refuses precompiled bytecode, however it is dressed", function()
      local bc = string.dump(function() return { name = "n", version = "1", rules = {} } end)
      refused(bc, "EPARSE", "p.lua: precompiled bytecode is not allowed")
      for _, prefix in ipairs({ "#!/usr/bin/luajit\n", "\239\187\191" }) do
        local pack, msg, code = load(prefix .. bc)
        assert.is_nil(pack)
        assert.are.equal("EPARSE", code)
        assert.are.equal("p.lua: ", msg:sub(1, 7))
      end
    end)

    it("reports a syntax error with its line", function()
      refused("return {\n  name = }", "EPARSE", "p.lua:2: unexpected symbol near '}'")
    end)

    it("reports a chunk that raises or returns something else", function()
      refused('return "x"', "ERUNTIME", "p.lua: rule pack must return a table, got string")
      refused("local x = 1", "ERUNTIME", "p.lua: rule pack must return a table, got nil")
      refused('error("boom")', "ERUNTIME", "p.lua:1: boom")
      refused('error("boom", 0)', "ERUNTIME", "p.lua: boom")
      refused("error({})", "ERUNTIME", "p.lua: (error object is a table value)")
      refused("local x = nil + 1", "ERUNTIME", "p.lua:1: attempt to perform arithmetic on a nil value")
      local _, msg = load('error(("x"):rep(5000), 0)')
      assert.are.equal(1003, #msg)
      assert.are.equal("p.lua: xxx", msg:sub(1, 10))
    end)

    it("keeps the full chunk name when LuaJIT would shorten it", function()
      local cn = ("dir/"):rep(20) .. "pack.lua"
      local _, msg, code = rules.load_string("local x = 1 + {}", cn)
      assert.are.equal(cn .. ":1: attempt to perform arithmetic on a table value", msg)
      assert.are.equal("ERUNTIME", code)
      _, msg = rules.load_string("local x = os", cn)
      assert.are.equal(cn .. ":1: rule pack may not use 'os' (sandboxed)", msg)
    end)

    it("gives each load a fresh environment; global writes stay in it", function()
      assert(load("x = 1 string = nil os = 'mine' return { name = os, version = '1', rules = {} }"))
      assert.is_nil(rawget(_G, "x"))
      refused("return { name = x, version = '1', rules = {} }", "ERUNTIME", "p.lua:1: undefined global 'x'")
      assert(load("string.upper = nil table.insert = nil return { name = 'a', version = '1', rules = {} }"))
      local p = assert(load("return { name = string.upper('a') .. ('b'):upper(), version = '1', rules = {} }"))
      assert.are.equal("AB", p.name)
      assert.is_function(string.upper)
      assert.is_function(table.insert)
    end)

    it("allows the pure functions of the allow-list", function()
      local p = assert(load([[
        local t = {}
        for i, w in ipairs({ "b", "a", "c" }) do t[#t + 1] = w end
        table.sort(t)
        local n = 0
        for _ in pairs({ x = 1, y = 2 }) do n = n + 1 end
        assert(next({}) == nil and type(t) == "table" and select("#", 1, 2) == 2)
        local words = {}
        for w in ("x y"):gmatch("%a") do words[#words + 1] = w end
        return {
          name = table.concat(t, ",") .. ":" .. tostring(n) .. ":" .. table.concat(words),
          version = string.format("%d.%d", math.floor(1.5), bit.band(7, 2)),
          description = tostring(tonumber("0x10")) .. unpack({ "!" }),
          rules = {},
        }
      ]]))
      assert.are.same({ name = "a,b,c:2:xy", version = "1.2", description = "16!", rules = {}, source = "p.lua" }, p)
    end)

    it("restores a debug hook the host had set, and a stopped GC", function()
      local calls = 0
      local function h() calls = calls + 1 end
      debug.sethook(h, "r", 0)
      assert(load(pack_src("")))
      local fn, mask, count = debug.gethook()
      debug.sethook()
      assert.are.equal(h, fn)
      assert.are.equal("r", mask)
      assert.are.equal(0, count)
      debug.sethook(h, "", 1000)
      assert.is_nil((load("while true do end")))
      fn, mask, count = debug.gethook()
      debug.sethook()
      assert.are.same({ h, "", 1000 }, { fn, mask, count })
      collectgarbage("stop")
      assert.is_nil((load("while true do end")))
      local running = collectgarbage("isrunning")
      collectgarbage("restart")
      assert.is_false(running)
    end)
  end)

  describe("load_string / load_file", function()
    it("fills defaults and returns a fresh plain table", function()
      local p = assert(rules.load_file(DATA .. "good.lua"))
      assert.are.same({
        name = "good", version = "0.1", description = "Test pack for spec/rules_spec.lua",
        source = DATA .. "good.lua",
        rules = {
          { id = "any", kind = "loop", enabled = true, window = 12, threshold = 3, action = "warn" },
          { id = "reads", kind = "loop", enabled = true, window = 20, threshold = 4, action = "block",
            tools = { "read_file", "grep", "list_directory" }, description = "Reads" },
          { id = "off", kind = "loop", enabled = false, window = 12, threshold = 3, action = "warn" },
        },
      }, p)
      assert.is_nil(getmetatable(p))
      assert.is_nil(getmetatable(p.rules[2].tools))
    end)

    it("loads the default pack", function()
      local p = assert(rules.load_file("rules/default.lua"))
      assert.are.equal("default", p.name)
      assert.are.equal("1.0", p.version)
      assert.are.equal(2, #p.rules)
      local a, b = p.rules[1], p.rules[2]
      assert.are.same({ "repeat-any", "loop", nil, 12, 3, "warn", true },
        { a.id, a.kind, a.tools, a.window, a.threshold, a.action, a.enabled })
      assert.are.same({ "read-churn", "loop", { "read_file", "list_directory", "grep" }, 24, 4, "warn", true },
        { b.id, b.kind, b.tools, b.window, b.threshold, b.action, b.enabled })
      assert.is_string(a.description)
      assert.is_string(b.description)
    end)

    it("reports files it cannot read as EIO, with the path and the reason", function()
      local p, msg, code = rules.load_file(DATA .. "missing.lua")
      assert.is_nil(p)
      assert.are.equal(DATA .. "missing.lua: cannot open: No such file or directory", msg)
      assert.are.equal("EIO", code)
      p, msg, code = rules.load_file("spec/data/rules")
      assert.is_nil(p)
      assert.are.equal("spec/data/rules: cannot read: Is a directory", msg)
      assert.are.equal("EIO", code)
    end)

    it("reports bad files with their path", function()
      local cases = {
        { "bad.lua", "ESCHEMA", DATA .. "bad.lua: rule 'x' (#2): field 'window': expected integer in 2..1024, got 1" },
        { "syntax.lua", "EPARSE", DATA .. "syntax.lua:4: unexpected symbol near '='" },
        { "hostile.lua", "ESANDBOX", DATA .. "hostile.lua:2: rule pack may not use 'os' (sandboxed)" },
      }
      for _, c in ipairs(cases) do
        local p, msg, code = rules.load_file(DATA .. c[1])
        assert.is_nil(p)
        assert.are.equal(c[3], msg)
        assert.are.equal(c[2], code)
      end
      assert.is_false(exists("/tmp/victor-rules-hostile-pwned"))
    end)

    it("caps the source size at the memory limit", function()
      local n = file_size("rules/default.lua")
      local p, msg, code = rules.load_file("rules/default.lua", { memory = 100 })
      assert.is_nil(p)
      assert.are.equal(("rules/default.lua: file too large (%d bytes; memory limit 100 bytes)"):format(n), msg)
      assert.are.equal("ELIMIT", code)
      refused(("-"):rep(200), "ELIMIT", "p.lua: source too large (200 bytes; memory limit 100 bytes)", { memory = 100 })
    end)

    it("refuses a pack that sets the loader's `source` field", function()
      refused(pack_src("", "source = 'x', "), "ESCHEMA", "p.lua: field 'source': reserved (set by the loader)")
    end)

    it("raises on misuse", function()
      raises("bad argument #1 to 'load_string' (string expected, got number)", rules.load_string, 42, "x")
      raises("bad argument #2 to 'load_string' (string expected, got nil)", rules.load_string, "")
      raises("bad argument #3 to 'load_string' (table expected, got string)", rules.load_string, "", "x", "fast")
      raises("bad argument #3 to 'load_string' (unknown option 'foo')", rules.load_string, "", "x", { foo = 1 })
      raises("bad argument #3 to 'load_string' (option 'budget': number expected, got string)",
        rules.load_string, "", "x", { budget = "1" })
      raises("bad argument #3 to 'load_string' (option 'memory': positive number expected, got -1)",
        rules.load_string, "", "x", { memory = -1 })
      raises("bad argument #3 to 'load_string' (invalid kinds: kind 'k': field 'id' is common to all rules)",
        rules.load_string, "", "x", { kinds = { k = { fields = { id = { type = "string" } } } } })
      raises("bad argument #3 to 'load_string' (invalid kinds: kind 'k': field 'n': bad type \"int\")",
        rules.load_string, "", "x", { kinds = { k = { fields = { n = { type = "int" } } } } })
      raises("bad argument #3 to 'load_string' (invalid kinds: kind 'k': field 'n': bad default: "
        .. "expected integer in 1..3, got 9)",
        rules.load_string, "", "x", { kinds = { k = { fields = { n = { type = "integer", min = 1, max = 3,
          default = 9 } } } } })
      raises("bad argument #1 to 'load_file' (string expected, got nil)", rules.load_file)
      raises("bad argument #2 to 'load_file' (unknown option 'budgte')", rules.load_file, "x", { budgte = 1 })
      raises("bad argument #2 to 'validate' (string expected, got nil)", rules.validate, {})
      raises("bad argument #2 to 'merge' (table expected, got string)", rules.merge, {}, "x")
      raises("bad argument #1 to 'enabled' (table expected, got nil)", rules.enabled)
      raises("bad argument #1 to 'schema' (string expected, got number)", rules.schema, 1)
    end)
  end)

  describe("validate", function()
    it("reports schema errors exactly, naming the rule and the field", function()
      local loop = function(t)
        t.kind = t.kind or "loop"
        return t
      end
      schema_error("v: rule #3: field 'id': required", { loop { id = "a" }, loop { id = "b" }, loop {} })
      schema_error("v: rule #1: field 'id': expected string matching '^[%w][%w_.:-]*$', got \"a b\"",
        { loop { id = "a b" } })
      schema_error("v: rule #1: field 'id': expected string matching '^[%w][%w_.:-]*$', got 7", { loop { id = 7 } })
      schema_error("v: rule 'a' (#3): duplicate id (first used by rule #1)",
        { loop { id = "a" }, loop { id = "b" }, loop { id = "a" } })
      schema_error("v: rule 'a' (#1): field 'windw': unknown field for kind 'loop' "
        .. "(known: action, threshold, tools, window)", { loop { id = "a", windw = 3 } })
      schema_error("v: rule 'a' (#1): field [1]: unknown field for kind 'loop' "
        .. "(known: action, threshold, tools, window)", { loop { id = "a", "x" } })
      schema_error("v: rule 'x' (#2): field 'window': expected integer in 2..1024, got 1",
        { loop { id = "a" }, loop { id = "x", window = 1 } })
      schema_error("v: rule 'a' (#1): field 'window': expected integer in 2..1024, got \"12\"",
        { loop { id = "a", window = "12" } })
      schema_error("v: rule 'a' (#1): field 'window': expected integer in 2..1024, got 2.5",
        { loop { id = "a", window = 2.5 } })
      schema_error("v: rule 'a' (#1): field 'threshold': expected integer in 2..1000, got 1001",
        { loop { id = "a", threshold = 1001 } })
      schema_error("v: rule 'a' (#1): field 'threshold': expected integer in 2..1000, got nan",
        { loop { id = "a", threshold = 0 / 0 } })
      schema_error("v: rule 'a' (#1): field 'action': expected one of \"warn\", \"block\", got \"stop\"",
        { loop { id = "a", action = "stop" } })
      schema_error("v: rule 'a' (#1): field 'enabled': expected boolean, got \"no\"",
        { loop { id = "a", enabled = "no" } })
      schema_error("v: rule 'a' (#1): field 'description': expected string, got table",
        { loop { id = "a", description = {} } })
      schema_error("v: rule 'a' (#1): field 'tools': expected array of non-empty string, got \"grep\"",
        { loop { id = "a", tools = "grep" } })
      schema_error("v: rule 'a' (#1): field 'tools[2]': expected non-empty string, got \"\"",
        { loop { id = "a", tools = { "grep", "" } } })
      schema_error("v: rule 'a' (#1): field 'tools': expected array of non-empty string, got table with key 'x'",
        { loop { id = "a", tools = { "grep", x = "y" } } })
      schema_error("v: rule 'a' (#1): field 'tools': expected array of non-empty string, got table with a hole at [2]",
        { loop { id = "a", tools = { "grep", nil, "ls" } } })
      schema_error("v: rule 'a' (#1): field 'kind': unknown kind \"lop\" (known: circular_phrase, "
        .. "classifier_category, classifier_defaults, loop, response_pattern, secret, stall_phrase, thinking_defaults, "
        .. "thinking_tag)", { { id = "a", kind = "lop" } })
      schema_error("v: rule 'a' (#1): field 'kind': required", { { id = "a" } })
      schema_error("v: rule 'a' (#1): field 'kind': expected string, got true", { { id = "a", kind = true } })
      schema_error("v: rule #2: expected table, got \"x\"", { loop { id = "a" }, "x" })
    end)

    it("reports top-level errors exactly", function()
      schema_error("v: field 'foo': unknown top-level field (known: name, version, description, rules)", {},
        { foo = 1 })
      local p, msg = rules.validate({ version = "1", rules = {} }, "v")
      local _
      assert.is_nil(p)
      assert.are.equal("v: field 'name': required", msg)
      _, msg = rules.validate({ name = "n", version = 1, rules = {} }, "v")
      assert.are.equal("v: field 'version': expected non-empty string, got 1", msg)
      _, msg = rules.validate({ name = "n", version = "1" }, "v")
      assert.are.equal("v: field 'rules': required", msg)
      _, msg = rules.validate({ name = "n", version = "1", rules = { a = {} } }, "v")
      assert.are.equal("v: field 'rules': expected array, got table with key 'a'", msg)
      _, msg = rules.validate({ name = "n", version = "1", rules = "x" }, "v")
      assert.are.equal("v: field 'rules': expected array, got \"x\"", msg)
      local code
      _, msg, code = rules.validate("pack", "v")
      assert.are.equal("v: rule pack must be a table, got \"pack\"", msg)
      assert.are.equal("ESCHEMA", code)
      refused(pack_src("", "extra = true, "), "ESCHEMA",
        "p.lua: field 'extra': unknown top-level field (known: name, version, description, rules)")
    end)

    it("accepts an empty rule list and copies its input", function()
      local tools = { "grep" }
      local input = { name = "n", version = "1", rules = { { id = "a", kind = "loop", tools = tools } } }
      local p = assert(rules.validate(input, "v"))
      assert.are.same({ name = "n", version = "1", source = "v", rules = {
        { id = "a", kind = "loop", tools = { "grep" }, enabled = true, window = 12, threshold = 3, action = "warn" },
      } }, p)
      assert.are_not.equal(tools, p.rules[1].tools)
      assert.are_not.equal(input.rules[1], p.rules[1])
      tools[1] = "changed"
      assert.are.equal("grep", p.rules[1].tools[1])
      assert.is_nil(input.rules[1].window)
      assert.are.same({}, assert(rules.validate({ name = "n", version = "1", rules = {} }, "v")).rules)
      -- a loaded pack validates again (its `source` is accepted)
      assert.are.same(p, assert(rules.validate(p, "v")))
    end)

    it("never runs code attached to the tables it walks", function()
      local trap = { __index = function() error("ran pack code") end, __newindex = function() error("ran") end,
        __len = function() error("ran") end, __pairs = function() error("ran") end }
      local rule = setmetatable({ id = "a", kind = "loop" }, trap)
      local list = setmetatable({ rule }, trap)
      local p = assert(rules.validate(setmetatable({ name = "n", version = "1", rules = list }, trap), "v"))
      assert.are.equal(12, p.rules[1].window)
      assert.is_nil(getmetatable(p.rules[1]))
    end)

    it("validates with a custom kinds table", function()
      local kinds = { tag = { summary = "t", fields = {
        labels = { type = "array", of = { type = "string", enum = { "a", "b" } }, min = 1, max = 2 },
        weight = { type = "number", min = 0, default = 0.5 },
        name = { type = "string", required = true, max = 3, pattern = "^%l+$" },
        extra = { type = "table" },
      } } }
      local p = assert(rules.validate({ name = "n", version = "1", rules = {
        { id = "t", kind = "tag", name = "abc", labels = { "a" }, extra = { x = { 1, 2 } } } } }, "v", kinds))
      assert.are.same({ id = "t", kind = "tag", name = "abc", labels = { "a" }, extra = { x = { 1, 2 } },
        weight = 0.5, enabled = true }, p.rules[1])
      local function bad(rule, msg)
        local q, m = rules.validate({ name = "n", version = "1", rules = { rule } }, "v", kinds)
        assert.is_nil(q)
        assert.are.equal(msg, m)
      end
      bad({ id = "t", kind = "tag" }, "v: rule 't' (#1): field 'name': required")
      bad({ id = "t", kind = "tag", name = "abcd" },
        "v: rule 't' (#1): field 'name': expected string of length <= 3 matching '^%l+$', got \"abcd\"")
      bad({ id = "t", kind = "tag", name = "a", labels = {} },
        "v: rule 't' (#1): field 'labels': expected array of one of \"a\", \"b\" (1..2 elements), got 0 elements")
      bad({ id = "t", kind = "tag", name = "a", labels = { "c" } },
        "v: rule 't' (#1): field 'labels[1]': expected one of \"a\", \"b\", got \"c\"")
      bad({ id = "t", kind = "tag", name = "a", weight = -1 },
        "v: rule 't' (#1): field 'weight': expected number >= 0, got -1")
      bad({ id = "t", kind = "tag", name = "a", extra = { f = print } },
        "v: rule 't' (#1): field 'extra[\"f\"]': expected plain data, got function")
      local cyc = {}
      cyc.self = cyc
      bad({ id = "t", kind = "tag", name = "a", extra = cyc },
        "v: rule 't' (#1): field 'extra[\"self\"]': contains a cycle")
      bad({ id = "t", kind = "loop" }, "v: rule 't' (#1): field 'kind': unknown kind \"loop\" (known: tag)")
    end)
  end)

  describe("merge", function()
    local base, over

    before_each(function()
      base = assert(rules.load_file("rules/default.lua"))
      over = assert(rules.load_file(DATA .. "override.lua"))
    end)

    it("overrides fields by id, disables, and appends new ids", function()
      local m = assert(rules.merge(base, over))
      assert.are.equal("override", m.name)
      assert.are.equal("2", m.version)
      assert.are.equal(base.description, m.description)
      assert.are.equal("rules/default.lua + " .. DATA .. "override.lua", m.source)
      local ids = {}
      for i, r in ipairs(m.rules) do ids[i] = r.id end
      assert.are.same({ "repeat-any", "read-churn", "edit-loop" }, ids)
      -- repeat-any: only `enabled` given by the override; the rest stays
      assert.are.same({ id = "repeat-any", kind = "loop", description = base.rules[1].description, enabled = false,
        window = 12, threshold = 3, action = "warn" }, m.rules[1])
      -- read-churn: only threshold changes; the override's defaults (window 12) do not clobber 24
      assert.are.same({ id = "read-churn", kind = "loop", description = base.rules[2].description, enabled = true,
        tools = { "read_file", "list_directory", "grep" }, window = 24, threshold = 6, action = "warn" }, m.rules[2])
      assert.are.same({ id = "edit-loop", kind = "loop", enabled = true, tools = { "edit_file" }, window = 8,
        threshold = 3, action = "block" }, m.rules[3])
      local enabled = rules.enabled(m, "loop")
      assert.are.equal(2, #enabled)
      assert.are.equal(m.rules[2], enabled[1])
      assert.are.equal(m.rules[3], enabled[2])
      -- the inputs are not changed
      assert.are.equal(24, base.rules[2].window)
      assert.are.equal(4, base.rules[2].threshold)
      assert.is_true(base.rules[1].enabled)
    end)

    it("takes raw override tables, where a rule may leave out its kind", function()
      local m = assert(rules.merge(base, { rules = { { id = "read-churn", window = 30 } } }))
      assert.are.equal(30, m.rules[2].window)
      assert.are.equal(4, m.rules[2].threshold)
      assert.are.equal("rules/default.lua + (pack #2)", m.source)
      local p, msg, code = rules.merge(base, { rules = { { id = "new", window = 3 } } })
      assert.is_nil(p)
      assert.are.equal("rules/default.lua + (pack #2): rule 'new' (#3): field 'kind': required", msg)
      assert.are.equal("ESCHEMA", code)
      p, msg = rules.merge(base, { rules = { { id = "read-churn", window = 1 } } })
      assert.is_nil(p)
      assert.are.equal("rules/default.lua + (pack #2): rule 'read-churn' (#2): field 'window': "
        .. "expected integer in 2..1024, got 1", msg)
    end)

    it("re-enables, chains, and merges three packs like two merges", function()
      local on = { rules = { { id = "repeat-any", enabled = true, threshold = 9 } } }
      local a = assert(rules.merge(base, over, on))
      local b = assert(rules.merge(assert(rules.merge(base, over)), on))
      a.source, b.source = nil, nil
      assert.are.same(a, b)
      assert.is_true(a.rules[1].enabled)
      assert.are.equal(9, a.rules[1].threshold)
      assert.are.equal(3, #rules.enabled(a))
    end)

    it("replaces a rule whose kind changes, and keeps the kinds of the base", function()
      local kinds = { loop = rule_kinds.loop, tag = { summary = "t", fields = { label = { type = "string" } } } }
      local b = assert(rules.load_string("return { name = 'b', version = '1', rules = { { id = 'r', kind = 'loop', "
        .. "window = 30 }, { id = 's', kind = 'tag', label = 'x' } } }", "b.lua", { kinds = kinds }))
      local m = assert(rules.merge(b, { rules = { { id = "r", kind = "tag", label = "y" } } }))
      assert.are.same({ id = "r", kind = "tag", label = "y", enabled = true }, m.rules[1])
      assert.are.same({ "r", "s" }, { rules.enabled(m, "tag")[1].id, rules.enabled(m, "tag")[2].id })
      assert.are.same({}, rules.enabled(m, "loop"))
    end)
  end)

  describe("kinds", function()
    it("lists kinds and returns copies of their schemas", function()
      assert.are.same({ "circular_phrase", "classifier_category", "classifier_defaults", "loop", "response_pattern",
        "secret", "stall_phrase", "thinking_defaults", "thinking_tag" }, rules.kinds())
      local s = rules.schema("loop")
      assert.are.same(rule_kinds.loop, s)
      assert.are_not.equal(rule_kinds.loop, s)
      s.fields.window.max = 1
      assert.are.equal(1024, rule_kinds.loop.fields.window.max)
      assert.is_nil(rules.schema("nope"))
      assert.are.same({ "id", "kind", "description", "enabled" }, rules.common_schema().order)
    end)

    it("keeps rule_kinds data-only", function()
      local function walk(v, path)
        assert.is_true(type(v) ~= "function" and type(v) ~= "userdata", path)
        if type(v) == "table" then
          assert.is_nil(getmetatable(v), path)
          for k, x in pairs(v) do walk(x, path .. "." .. tostring(k)) end
        end
      end
      walk(rule_kinds, "rule_kinds")
      assert.are.same({ tools = { type = "array", of = { type = "string", min = 1 } },
        window = { type = "integer", min = 2, max = 1024, default = 12 },
        threshold = { type = "integer", min = 2, max = 1000, default = 3 },
        action = { type = "string", enum = { "warn", "block" }, default = "warn" } },
        (function()
          local t = {}
          for k, v in pairs(rule_kinds.loop.fields) do
            t[k] = {}
            for kk, vv in pairs(v) do
              if kk ~= "doc" then t[k][kk] = vv end
            end
          end
          return t
        end)())
    end)

    it("describes field specs", function()
      assert.are.equal("integer in 2..1024", rules.describe(rule_kinds.loop.fields.window))
      assert.are.equal("array of non-empty string", rules.describe(rule_kinds.loop.fields.tools))
      assert.are.equal("one of \"warn\", \"block\"", rules.describe(rule_kinds.loop.fields.action))
      assert.are.equal("number <= 1", rules.describe({ type = "number", max = 1 }))
    end)
  end)

  describe("thinking kinds and rules/thinking.lua", function()
    it("loads the thinking pack", function()
      local p = assert(rules.load_file("rules/thinking.lua"))
      assert.are.equal("thinking", p.name)
      local tags = {}
      for _, r in ipairs(rules.enabled(p, "thinking_tag")) do tags[#tags + 1] = r.open .. " " .. r.close end
      assert.are.same({
        "<\239\189\156begin\226\150\129of\226\150\129thinking\239\189\156> "
          .. "<\239\189\156end\226\150\129of\226\150\129thinking\239\189\156>",
        "<|begin_of_thinking|> <|end_of_thinking|>", "<think> </think>", "<thinking> </thinking>",
        "<reasoning> </reasoning>", "<reflection> </reflection>", "<|begin_of_thought|> <|end_of_thought|>",
        "<seed:think> </seed:think>" }, tags)
      local n = 0
      for _, r in ipairs(rules.enabled(p, "circular_phrase")) do n = n + #r.phrases end
      assert.are.equal(31, n) -- Victor's 32 literals, "i need to read" once
      assert.are.same({ "let me", "i'll", "i will", "i need to", "i should", "now", "first" },
        rules.enabled(p, "stall_phrase")[1].prefixes)
      local d = rules.enabled(p, "thinking_defaults")[1]
      assert.are.same({ 3, 0.65, 10, 2, 3, 8192, 16 },
        { d.repeats, d.similarity, d.window, d.stalls, d.circular, d.max_period, d.min_bytes })
    end)

    it("fills the defaults of the thinking kinds", function()
      local p = assert(valid({ { id = "t", kind = "thinking_tag", open = "<x>", close = "</x>" },
        { id = "c", kind = "circular_phrase", phrases = { "again and again" } },
        { id = "d", kind = "thinking_defaults" } }))
      assert.are.same({ id = "c", kind = "circular_phrase", enabled = true, phrases = { "again and again" },
        weight = 1 }, p.rules[2])
      assert.are.same({ id = "d", kind = "thinking_defaults", enabled = true, repeats = 3, similarity = 0.65,
        window = 10, stalls = 2, circular = 3, max_period = 8192, min_bytes = 16 }, p.rules[3])
    end)

    it("reports schema errors of the thinking kinds exactly", function()
      schema_error("v: rule 't' (#1): field 'close': required", { { id = "t", kind = "thinking_tag", open = "<x>" } })
      schema_error("v: rule 't' (#1): field 'open': expected string of length 1..64, got \"\"",
        { { id = "t", kind = "thinking_tag", open = "", close = "</x>" } })
      schema_error("v: rule 't' (#1): field 'close': expected string of length 1..64, got \"" .. ("x"):rep(40)
        .. "\"...", { { id = "t", kind = "thinking_tag", open = "<x>", close = ("x"):rep(65) } })
      schema_error("v: rule 't' (#1): field 'end': unknown field for kind 'thinking_tag' (known: close, open)",
        { { id = "t", kind = "thinking_tag", open = "<x>", ["end"] = "</x>" } })
      schema_error("v: rule 'c' (#1): field 'phrases': required", { { id = "c", kind = "circular_phrase" } })
      schema_error("v: rule 'c' (#1): field 'phrases': expected array of string of length 1..200 (at least 1), "
        .. "got 0 elements", { { id = "c", kind = "circular_phrase", phrases = {} } })
      schema_error("v: rule 'c' (#1): field 'phrases[2]': expected string of length 1..200, got 3",
        { { id = "c", kind = "circular_phrase", phrases = { "let me", 3 } } })
      schema_error("v: rule 'c' (#1): field 'weight': expected number in 0.01..100, got 0",
        { { id = "c", kind = "circular_phrase", phrases = { "x" }, weight = 0 } })
      schema_error("v: rule 's' (#1): field 'prefixes': expected array of string of length 1..100 (at least 1), "
        .. "got \"let me\"", { { id = "s", kind = "stall_phrase", prefixes = "let me" } })
      schema_error("v: rule 'd' (#1): field 'repeats': expected integer in 2..1000, got 1",
        { { id = "d", kind = "thinking_defaults", repeats = 1 } })
      schema_error("v: rule 'd' (#1): field 'similarity': expected number in 0.01..1, got 1.5",
        { { id = "d", kind = "thinking_defaults", similarity = 1.5 } })
      schema_error("v: rule 'd' (#1): field 'window': expected integer in 2..1024, got 2.5",
        { { id = "d", kind = "thinking_defaults", window = 2.5 } })
      schema_error("v: rule 'd' (#1): field 'simlarity': unknown field for kind 'thinking_defaults' (known: circular, "
        .. "max_period, min_bytes, repeats, similarity, stalls, window)",
        { { id = "d", kind = "thinking_defaults", simlarity = 0.5 } })
    end)

    it("lets a user pack add a tag and override one setting by id", function()
      local base = assert(rules.load_file("rules/thinking.lua"))
      local mine = assert(rules.load_string([[return { name = "mine", version = "1", rules = {
        { id = "tag-scratch", kind = "thinking_tag", open = "<scratchpad>", close = "</scratchpad>" },
        { id = "thinking-defaults", kind = "thinking_defaults", repeats = 4 },
        { id = "tag-reflection", kind = "thinking_tag", open = "<reflection>", close = "</reflection>",
          enabled = false } } }]], "mine.lua"))
      local m = assert(rules.merge(base, mine))
      local tags = rules.enabled(m, "thinking_tag")
      assert.are.equal(8, #tags) -- one added, one switched off
      assert.are.equal("<scratchpad>", tags[8].open)
      local d = rules.enabled(m, "thinking_defaults")[1]
      assert.are.same({ 4, 0.65, 10 }, { d.repeats, d.similarity, d.window })
    end)
  end)

  describe("enabled", function()
    it("returns the enabled rules of a kind, in pack order", function()
      local p = assert(rules.load_file(DATA .. "good.lua"))
      local e = rules.enabled(p, "loop")
      assert.are.equal(2, #e)
      assert.are.equal(p.rules[1], e[1])
      assert.are.equal(p.rules[2], e[2])
      assert.are.same(e, rules.enabled(p))
      assert.are.same({}, rules.enabled(p, "other"))
    end)
  end)
end)

describe("victor-lua rules (victor.cmd.rules)", function()
  local real_exit = os.exit

  before_each(function()
    os.exit = function() error("os.exit called") end -- luacheck: ignore
  end)

  after_each(function()
    os.exit = real_exit -- luacheck: ignore
  end)

  local function run(argv)
    local out, err = {}, {}
    local rc = cmd.run(argv, function(s) out[#out + 1] = s end, function(s) err[#err + 1] = s end)
    return rc, table.concat(out), table.concat(err)
  end

  it("is a command module", function()
    assert.are.equal("rules", cmd.name)
    assert.is_string(cmd.summary)
    assert.is_function(cmd.run)
  end)

  it("checks good files", function()
    local rc, out, err = run({ "check", "rules/default.lua", DATA .. "good.lua" })
    assert.are.equal(0, rc)
    assert.are.equal("rules/default.lua: ok (2 rules)\n" .. DATA .. "good.lua: ok (3 rules)\n", out)
    assert.are.equal("", err)
  end)

  it("reports each bad file and exits 1", function()
    local rc, out, err = run({ "check", DATA .. "bad.lua", "rules/default.lua", DATA .. "missing.lua",
      DATA .. "syntax.lua", DATA .. "hostile.lua" })
    assert.are.equal(1, rc)
    assert.are.equal("rules/default.lua: ok (2 rules)\n", out)
    assert.are.equal(table.concat({
      "victor-lua: " .. DATA .. "bad.lua: rule 'x' (#2): field 'window': expected integer in 2..1024, got 1\n",
      "victor-lua: " .. DATA .. "missing.lua: cannot open: No such file or directory\n",
      "victor-lua: " .. DATA .. "syntax.lua:4: unexpected symbol near '='\n",
      "victor-lua: " .. DATA .. "hostile.lua:2: rule pack may not use 'os' (sandboxed)\n",
    }), err)
  end)

  it("exits 2 on usage errors, without calling os.exit", function()
    for argv, msg in pairs({
      [{}] = "a command is required",
      [{ "check" }] = "missing argument 'file'",
      [{ "frob" }] = "unknown command 'frob'",
      [{ "show", "a", "b" }] = "too many arguments",
      [{ "kinds", "--nope" }] = "unknown option '--nope'",
    }) do
      local rc, out, err = run(argv)
      assert.are.equal(2, rc)
      assert.are.equal("", out)
      assert.are.equal("Usage: victor-lua rules [-h] <command> ...\nvictor-lua: rules: " .. msg .. "\n", err)
    end
  end)

  it("prints --help for the command and each sub-command", function()
    for argv, usage in pairs({
      [{ "--help" }] = "Usage: victor-lua rules [-h] <command> ...",
      [{ "check", "--help" }] = "Usage: victor-lua rules check [-h] <file> [<file>] ...",
      [{ "show", "-h" }] = "Usage: victor-lua rules show [-h] <file>",
      [{ "kinds", "--help" }] = "Usage: victor-lua rules kinds [-h]",
    }) do
      local rc, out, err = run(argv)
      assert.are.equal(0, rc)
      assert.are.equal(usage, out:sub(1, #usage))
      assert.are.equal("", err)
    end
    local _, out = run({ "--help" })
    assert.truthy(out:find("check%s+Validate rule pack files%."))
  end)

  it("lists kinds with their fields", function()
    local rc, out = run({ "kinds" })
    assert.are.equal(0, rc)
    for _, line in ipairs({
      "Fields of every rule:",
      "  id           string matching '^[%w][%w_.:-]*$', required",
      "  enabled      boolean, default true",
      "kind 'loop': " .. rule_kinds.loop.summary,
      "  action       one of \"warn\", \"block\", default \"warn\"",
      "  threshold    integer in 2..1000, default 3",
      "  tools        array of non-empty string, optional",
      "  window       integer in 2..1024, default 12",
      "               " .. rule_kinds.loop.fields.window.doc,
    }) do
      assert.truthy(out:find("\n" .. line .. "\n", 1, true) or out:find(line .. "\n", 1, true) == 1, line)
    end
  end)

  it("shows a validated pack as Lua that loads back to the same pack", function()
    local rc, out, err = run({ "show", DATA .. "good.lua" })
    assert.are.equal(0, rc)
    assert.are.equal("", err)
    local head = "-- " .. DATA .. "good.lua: validated, defaults filled in\nreturn {\n"
    assert.are.equal(head, out:sub(1, #head))
    assert.truthy(out:find('      window = 12,\n', 1, true))
    local again = assert(rules.load_string(out, "shown"))
    local orig = assert(rules.load_file(DATA .. "good.lua"))
    again.source, orig.source = nil, nil
    assert.are.same(orig, again)
    rc, out, err = run({ "show", DATA .. "bad.lua" })
    assert.are.equal(1, rc)
    assert.are.equal("", out)
    assert.are.equal("victor-lua: " .. DATA .. "bad.lua: rule 'x' (#2): field 'window': expected integer in 2..1024, "
      .. "got 1\n", err)
  end)

  it("writes to io.stdout and io.stderr by default", function()
    local real_stdout, real_stderr = io.stdout, io.stderr
    local out, err = {}, {}
    io.stdout = { write = function(_, s) out[#out + 1] = s end } -- luacheck: ignore
    io.stderr = { write = function(_, s) err[#err + 1] = s end } -- luacheck: ignore
    local ok, rc = pcall(cmd.run, { "check", "rules/default.lua", DATA .. "bad.lua" })
    io.stdout, io.stderr = real_stdout, real_stderr -- luacheck: ignore
    assert.is_true(ok)
    assert.are.equal(1, rc)
    assert.are.equal("rules/default.lua: ok (2 rules)\n", table.concat(out))
    assert.are.equal("victor-lua: ", table.concat(err):sub(1, 12))
  end)
end)
