-- signature_spec.lua: conformance of victor.signature on both backends.
-- Known answers were cross-checked with Debian's `xxhsum -H3` / `-H2`.
local signature = require "victor.signature"
local native = require "victor.native"
local fallback = require "victor.fallback.signature"
local has_core, core = pcall(require, "victor.core.signature")
local cjson = require "cjson"

local backends = { { name = "fallback", mod = fallback } }
if has_core then table.insert(backends, 1, { name = "native", mod = core }) end

local rng = require "support.rng"  -- deterministic xorshift32

local function random_value(r, depth)
  local k = r(depth > 3 and 6 or 9)
  if k == 0 then return r(2) == 1 end
  if k == 1 then return r(2000) - 1000 end
  if k == 2 then return (r(100000) - 50000) / (r(97) + 1) end
  if k == 3 then return ({ 0 / 0, 1 / 0, -1 / 0, 2 ^ 53, -2 ^ 63, 2 ^ 63, 1e300, 5e-324, -0.0 })[r(9) + 1] end
  if k == 4 or k == 5 then
    local t = {}
    for i = 1, r(12) do t[i] = string.char(r(256)) end
    return table.concat(t)
  end
  if k == 6 then return cjson.null end
  local t = {}
  if k == 7 then
    for i = 1, r(5) do t[i] = random_value(r, depth + 1) end
  else
    for _ = 1, r(6) do
      local kk = r(4)
      local key = kk == 0 and (r(50) + 1) or kk == 1 and (r(2) == 1) or kk == 2 and (r(7) / 4 + 0.5) or
        ("k" .. r(30))
      t[key] = random_value(r, depth + 1)
    end
  end
  return t
end

describe("victor.signature", function()
  it("reports the backend victor.native chose", function()
    assert.equal(native.backends().signature, signature.backend)
    if os.getenv("VICTOR_NO_NATIVE") == "1" then assert.equal("fallback", signature.backend) end
  end)

  it("hashes strings with XXH3 (Victor's known answers, low 64 bits of XXH3-128)", function()
    local victor = {
      ['read_file:path="/test.py"'] = "d75af56aab2f905f",
      ['test_tool:arg="value"'] = "55188479b4146d17",
      ['tool_a:arg="value"'] = "8eabddbb64bcd558",
      ['tool_b:arg="value"'] = "6f1d249cb4405d7b",
      ['read_file:limit=500,offset=100,path="/test/file.py"'] = "3723723d7e9e29a6",
      ["t:"] = "8762895ce2dfbffd",
      ["t:x=1"] = "a432cb0987c03e39",
      ["t:x=1.500000"] = "2cf5e013341176a7",
      ["t:x=null"] = "088c8f97587190b7",
      ["t:xs=['a', 1]"] = "a16cf018e006960f",
    }
    for s, want in pairs(victor) do
      assert.equal(want, signature.hash64_low128(s))
    end
    assert.equal("2d06800538d394c2", signature.hash64(""))
    assert.equal("148daa02858cc950", signature.hash64("s1:t{}"))
    assert.equal("d07c7623fa45b330743887987fd9eb72", signature.hash128("s9:read_file{s4:paths8:/test.py}"))
  end)

  for _, b in ipairs(backends) do
    local S = b.mod
    describe(b.name .. " backend", function()
      it("writes the canonical form (known answers)", function()
        local cases = {
          { "read_file", { path = "/test.py" }, "s9:read_file{s4:paths8:/test.py}", "e0b351af9a73140e",
            "d07c7623fa45b330743887987fd9eb72" },
          { "t", nil, "s1:t{}", "148daa02858cc950", "0e4da77fcb187e5df2d6ce0f42437d27" },
          { "t", { x = true }, "s1:t{s1:xt}", "d9977e8fc6354db3", "def4fc1534a9c9840c7ea727c5a15226" },
          { "t", { x = 1 }, "s1:t{s1:xi1;}", "2f9afd09cb0397a0", "c363536290633d70d8c4f4901a2262b4" },
          { "t", { x = "1" }, "s1:t{s1:xs1:1}", "cc8dc6ab6c9f4303", "0c94c98092f5625e18b90e8856c861a2" },
          { "t", { x = 1.5 }, "s1:t{s1:xd3ff8000000000000;}", "35a3e9465d6f9785",
            "369c916db8f7236b4973c70ce7a1e724" },
          { "read_file", { path = "/test/file.py", offset = 100, limit = 500 },
            "s9:read_file{s5:limiti500;s6:offseti100;s4:paths13:/test/file.py}", "6427874b821ebc14",
            "a0b45fa6643bfa3f511c4e0bebc2eb3e" },
          { "t", { xs = { "a", 1 } }, "s1:t{s2:xs[s1:ai1;]}", "85cc6b61e9acd778",
            "6138797679d7e68fbc53b26f0bbf9966" },
        }
        for _, c in ipairs(cases) do
          assert.equal(c[3], S.canonical(c[1], c[2]))
          assert.equal(c[4], S.of(c[1], c[2]))
          assert.equal(c[5], S.of(c[1], c[2], { bits = 128 }))
        end
      end)

      it("writes numbers: integers in decimal, other numbers as their exact bits, specials", function()
        local want = {
          { 0, "i0;" }, { -0.0, "i0;" }, { 42, "i42;" }, { -7, "i-7;" }, { 2 ^ 53, "i9007199254740992;" },
          { -2 ^ 63 + 1024, "i-9223372036854774784;" }, { -2 ^ 63, "dc3e0000000000000;" },
          { 2 ^ 63, "d43e0000000000000;" }, { 1.5, "d3ff8000000000000;" }, { 0.1, "d3fb999999999999a;" },
          { 1 / 3, "d3fd5555555555555;" }, { 1e21, "d444b1ae4d6e2ef50;" }, { 5e-324, "d0000000000000001;" },
          -- an exact decimal tie: glibc and LuaJIT round it differently at 16 digits
          { 900719925474090.25, "d4309999999999952;" },
          { 0 / 0, "dnan;" }, { -(0 / 0), "dnan;" }, { 1 / 0, "d+inf;" }, { -1 / 0, "d-inf;" },
        }
        for _, w in ipairs(want) do
          assert.equal("s1:t[" .. w[2] .. "]", S.canonical("t", { w[1] }))
        end
      end)

      it("never lets true, 1, \"1\", 1.5 and null collide (Victor's True == 1 bug)", function()
        local seen = {}
        for _, v in ipairs({ true, false, 1, 0, "1", "true", 1.5, "1.5", cjson.null, "null", "" }) do
          local s = S.of("t", { x = v })
          assert.is_nil(seen[s], "collision for " .. tostring(v))
          seen[s] = true
        end
      end)

      it("sorts keys at every depth, whatever the insertion order (Victor used repr)", function()
        local t1, t2 = {}, {}
        local keys = { "zeta", "alpha", "mid", "b", "a", "aa", "A" }
        for i = 1, #keys do t1[keys[i]] = { [keys[i]] = i, inner = { y = 1, x = 2 } } end
        for i = #keys, 1, -1 do t2[keys[i]] = { inner = { x = 2, y = 1 }, [keys[i]] = i } end
        assert.equal(S.canonical("t", t1), S.canonical("t", t2))
        assert.equal("s1:t{s1:ai1;s1:bi2;}", S.canonical("t", { b = 2, a = 1 }))
        -- booleans < numbers < strings; numbers by value, strings by bytes
        assert.equal("s1:t{fs1:ats1:bi-1;s1:ci2;s1:ei10;s1:ds1:Zs1:fs1:as1:g}",
          S.canonical("t", { [true] = "b", [false] = "a", [10] = "d", [-1] = "c", [2] = "e", Z = "f", a = "g" }))
      end)

      it("tells arrays from maps: keys exactly 1..n", function()
        assert.equal("s1:t[i1;i2;i3;]", S.canonical("t", { 1, 2, 3 }))
        assert.equal("s1:t{i1;i1;i3;i3;}", S.canonical("t", { [1] = 1, [3] = 3 }))
        assert.equal("s1:t{i1;i1;d3ff8000000000000;i2;}", S.canonical("t", { [1] = 1, [1.5] = 2 }))
        assert.equal("s1:t{}", S.canonical("t", {}))
        assert.equal("s1:t{s1:a{}}", S.canonical("t", { a = {} }))
      end)

      it("treats cjson.null as null and strings as length-prefixed bytes", function()
        assert.equal("s1:t{s1:an}", S.canonical("t", { a = cjson.null }))
        assert.equal("s1:t[s3:a\0b]", S.canonical("t", { "a\0b" }))
        -- a string cannot imitate structure
        assert.not_equal(S.of("t", { a = "x", b = "y" }), S.of("t", { a = 's1:xs1:bs1:y' }))
      end)

      it("returns nil, msg, code with a path for values it cannot represent", function()
        local r, msg, code = S.of("t", { a = { 1, { b = print } } })
        assert.is_nil(r)
        assert.equal("args.a[2].b: unsupported value type 'function'", msg)
        assert.equal("ETYPE", code)
        r, msg = S.of("t", { [1.5] = { [2 ^ 70] = print } })
        assert.is_nil(r)
        assert.equal("args[0x3ff8000000000000][0x4450000000000000]: unsupported value type 'function'", msg)
        r, msg, code = S.canonical("t", { [{}] = 1 })
        assert.is_nil(r)
        assert.equal("args: unsupported key type 'table'", msg)
        assert.equal("ETYPE", code)
        local long = string.rep("k", 50)
        r, msg = S.of("t", { [long] = coroutine.create(print) })
        assert.is_nil(r)
        assert.equal("args." .. string.rep("k", 40) .. "...: unsupported value type 'thread'", msg)
      end)

      it("enforces max_depth (and so stops self-referencing tables) and max_bytes", function()
        local t = {}
        t.self = t
        local r, msg, code = S.of("t", t)
        assert.is_nil(r)
        assert.equal("ELIMIT", code)
        assert.truthy(msg:find(": tables nested deeper than 64 (max_depth)", 1, true))
        assert.truthy(msg:find("^args%.self%.self"))
        r, msg, code = S.of("t", { a = { b = 1 } }, { max_depth = 1 })
        assert.is_nil(r)
        assert.equal("args.a: tables nested deeper than 1 (max_depth)", msg)
        assert.equal("ELIMIT", code)
        assert.is_string(S.of("t", { a = { b = 1 } }, { max_depth = 2 }))
        r, msg, code = S.of("t", { a = string.rep("x", 100) }, { max_bytes = 64 })
        assert.is_nil(r)
        assert.equal("canonical form larger than 64 bytes (max_bytes)", msg)
        assert.equal("ELIMIT", code)
      end)

      it("raises on misuse with the standard message", function()
        local cases = {
          { function() S.of() end, "bad argument #1 to 'of' (string expected, got no value)" },
          { function() S.of({}) end, "bad argument #1 to 'of' (string expected, got table)" },
          { function() S.of("t", true) end, "bad argument #2 to 'of' (table or nil expected, got boolean)" },
          { function() S.of("t", {}, { bits = 32 }) end, "bad argument #3 to 'of' (opts.bits must be 64 or 128)" },
          { function() S.of("t", {}, { max_depth = 0 }) end,
            "bad argument #3 to 'of' (opts.max_depth must be an integer in 1..1000)" },
          { function() S.batch("x") end, "bad argument #1 to 'batch' (table expected, got string)" },
          { function() S.hash64() end, "bad argument #1 to 'hash64' (string expected, got no value)" },
          { function() S.loop_new(1, 3) end, "bad argument #1 to 'loop_new' (window must be an integer in 2..4096)" },
          { function() S.loop_new(8, 1) end, "bad argument #2 to 'loop_new' (threshold must be an integer >= 2)" },
        }
        for _, c in ipairs(cases) do
          local ok, err = pcall(c[1])
          assert.is_false(ok)
          assert.truthy(tostring(err):find(c[2], 1, true), "got: " .. tostring(err) .. "\nwant: " .. c[2])
        end
      end)

      it("batch equals per-call signatures, in one buffer", function()
        local calls = {
          { "read_file", { path = "/a" } },
          { name = "grep", arguments = { pattern = "x", paths = { "a", "b" } } },
          { "noargs" },
          { "read_file", { path = "/a" } },
        }
        local buf = S.batch(calls)
        assert.equal(64, #buf)
        local sigs = signature.split(buf)
        assert.same({ S.of("read_file", { path = "/a" }), S.of("grep", { pattern = "x", paths = { "a", "b" } }),
                      S.of("noargs"), S.of("read_file", { path = "/a" }) }, sigs)
        assert.equal(sigs[1], sigs[4])
        assert.not_equal(sigs[1], sigs[2])
        local b128 = S.batch(calls, { bits = 128 })
        assert.equal(128, #b128)
        assert.equal(S.of("grep", { pattern = "x", paths = { "a", "b" } }, { bits = 128 }),
          signature.split(b128, 128)[2])
        assert.equal("", S.batch({}))
      end)

      it("batch reports the failing call", function()
        local r, msg, code = S.batch({ { "a" }, { "b", { f = print } } })
        assert.is_nil(r)
        assert.equal("call #2: args.f: unsupported value type 'function'", msg)
        assert.equal("ETYPE", code)
        r, msg, code = S.batch({ { "a" }, 5 })
        assert.is_nil(r)
        assert.equal("call #2: expected a table, got number", msg)
        assert.equal("ETYPE", code)
        r, msg = S.batch({ { 5 } })
        assert.is_nil(r)
        assert.equal("call #1: name must be a string, got number", msg)
        r, msg = S.batch({ { "a", "json" } })
        assert.is_nil(r)
        assert.equal("call #1: arguments must be a table, got string", msg)
      end)
    end)
  end

  if has_core then
    it("native and fallback agree byte for byte on random nested inputs", function()
      local r = rng(20261127)
      for i = 1, 400 do
        local args = random_value(r, 0)
        if type(args) ~= "table" then args = { v = args } end
        local name = "tool" .. r(5)
        local c1, m1, k1 = core.canonical(name, args)
        local c2, m2, k2 = fallback.canonical(name, args)
        assert.equal(c1, c2, "case " .. i)
        assert.equal(m1, m2)
        assert.equal(k1, k2)
        assert.equal(core.of(name, args), fallback.of(name, args))
        assert.equal(core.of(name, args, { bits = 128 }), fallback.of(name, args, { bits = 128 }))
      end
    end)
  end

  if has_core then
    it("native and fallback agree on huge and deep tables (past LuaJIT's C stack)", function()
      local wide, arr, deep = {}, {}, {}
      for i = 1, 20000 do
        wide["k" .. i] = i
        arr[i] = { i, { x = { i } } }
      end
      local cur = deep
      for _ = 1, 900 do
        cur.n = {}
        cur = cur.n
      end
      assert.equal(fallback.of("t", wide), core.of("t", wide))
      assert.equal(fallback.of("t", arr), core.of("t", arr))
      assert.equal(fallback.of("t", arr, { max_depth = 1000 }), core.of("t", arr, { max_depth = 1000 }))
      assert.equal(fallback.of("t", deep, { max_depth = 1000 }), core.of("t", deep, { max_depth = 1000 }))
      local r, msg, code = core.of("t", deep)
      assert.is_nil(r)
      assert.equal("ELIMIT", code)
      assert.equal(select(2, fallback.of("t", deep)), msg)
    end)
  end

  describe("LoopDetector", function()
    for _, b in ipairs(backends) do
      local S = b.mod
      it(b.name .. ": reports repeats (cycle 1) and alternations (cycle 2)", function()
        local d = S.loop_new(12, 3)
        local A, B, C = S.of("read_file", { path = "/a" }), S.of("grep", { q = "x" }), S.of("ls")
        assert.is_nil(d:push(A))
        assert.is_nil(d:push(A))
        local rep = d:push(A)
        assert.same({ signature = A, cycle = 1, count = 3, signatures = { A } }, rep)
        d:reset()
        for _, s in ipairs({ A, B, A, B, A }) do assert.is_nil(d:push(s)) end
        rep = d:push(B)
        assert.same({ signature = B, cycle = 2, count = 3, signatures = { A, B } }, rep)
        d:reset()
        for _, s in ipairs({ A, B, C, A, B, C, A, B }) do assert.is_nil(d:push(s)) end
        rep = d:push(C)
        assert.same({ signature = C, cycle = 3, count = 3, signatures = { A, B, C } }, rep)
        assert.equal(9, d:pushed())
      end)

      it(b.name .. ": finds cycles up to window/2 and nothing in loop-free streams", function()
        local d = S.loop_new(8, 2)
        local seq = { "1", "2", "3", "4" }
        for _, s in ipairs(seq) do assert.is_nil(d:push(s)) end
        for i = 1, 3 do assert.is_nil(d:push(seq[i])) end
        local rep = d:push(seq[4])
        assert.equal(4, rep.cycle)
        assert.equal(2, rep.count)
        local e = S.loop_new(16, 3)
        for i = 1, 200 do assert.is_nil(e:push("call" .. i)) end
      end)

      it(b.name .. ": takes 16 hex digits as is and hashes other strings", function()
        local d = S.loop_new(4, 2)
        d:push("ABCDEF0123456789")
        local rep = d:push("abcdef0123456789")
        assert.equal("abcdef0123456789", rep.signature)
        rep = d:push("not a signature")
        assert.is_nil(rep)
        rep = d:push("not a signature")
        assert.equal(S.hash64("not a signature"), rep.signature)
      end)

      it(b.name .. ": push_call signs the call; close is idempotent; closed use raises", function()
        local d = S.loop_new(6, 2)
        d:push_call("read_file", { path = "/x" })
        local rep = d:push(S.of("read_file", { path = "/x" }))
        assert.equal(1, rep.cycle)
        local r, msg, code = d:push_call("t", { f = print })
        assert.is_nil(r)
        assert.equal("args.f: unsupported value type 'function'", msg)
        assert.equal("ETYPE", code)
        assert.equal(6, d:window())
        assert.equal(2, d:threshold())
        assert.equal("LoopDetector (window 6, threshold 2)", tostring(d))
        d:close()
        d:close()
        assert.equal("LoopDetector (closed)", tostring(d))
        local ok, err = pcall(d.push, d, "x")
        assert.is_false(ok)
        assert.truthy(err:find("LoopDetector is closed", 1, true))
      end)
    end

    if has_core then
      it("native and fallback make the same decisions on random streams", function()
        local r = rng(7)
        for _ = 1, 60 do
          local w, t = 2 + r(30), 2 + r(4)
          local d1, d2 = core.loop_new(w, t), fallback.loop_new(w, t)
          local alphabet = 1 + r(4)
          for _ = 1, 300 do
            local s = "s" .. r(alphabet)
            assert.same(d1:push(s), d2:push(s))
          end
        end
      end)
    end

    it("has a module-level constructor with defaults 12 and 3", function()
      local d = signature.LoopDetector.new()
      assert.equal(12, d:window())
      assert.equal(3, d:threshold())
      d = signature.LoopDetector.new { window = 20, threshold = 5 }
      assert.equal(20, d:window())
      assert.equal(5, d:threshold())
      assert.has_error(function() signature.LoopDetector.new(5) end,
        "bad argument #1 to 'new' (table or nil expected, got number)")
    end)
  end)

  describe("of_json", function()
    it("decodes JSON arguments and signs them like the table", function()
      assert.equal(signature.of("t", { a = { 1, 2 }, b = cjson.null }), signature.of_json("t", '{"b":null,"a":[1,2]}'))
      local r, msg, code = signature.of_json("t", "{bad")
      assert.is_nil(r)
      assert.equal("EPARSE", code)
      assert.truthy(msg:find("^invalid JSON arguments: "))
      r, msg, code = signature.of_json("t", "3")
      assert.is_nil(r)
      assert.equal("ETYPE", code)
      assert.equal("JSON arguments must be an object or array", msg)
    end)
  end)
end)
