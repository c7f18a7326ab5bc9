-- json_repair_spec.lua: victor.json_repair on both backends (core/json_repair.h):
-- the conformance table (one group per repair, exact outputs), Victor's vectors
-- with its bugs fixed, options, errors, native == fallback on damaged inputs, and
-- streaming == one-shot for every split point.
local native = require "victor.native"
local json_repair = require "victor.json_repair"
local rng = require "support.rng"  -- deterministic xorshift32
local chunks = require "support.chunks"  -- chunks(r, s, maxc): pieces of 1..maxc bytes
local raises = require "support.raises"  -- raises(msg, fn): exact error text

local backends = require "support.backends"("json_repair")
local cjson = require("cjson.safe").new()  -- strict: no NaN/Infinity, no trailing commas
cjson.decode_invalid_numbers(false)
cjson.decode_max_depth(100000)

-- Every group: { name, { {input, exact output}, ... } } (spec/data/json_repair_cases.lua).
local GROUPS = require "data.json_repair_cases"

-- Victor's json_repair.rs probe vectors (../shared/reference/victor-kernels.md §4),
-- with the expected output after its bugs are fixed.
local VICTOR = {
  { "{'key': 'value', 'active': True}", '{"key": "value", "active": true}' },
  { "{'msg': 'it\\'s'}", '{"msg": "it\'s"}' },
  { "{'s': 'He said \"hi\"'}", '{"s": "He said \\"hi\\""}' },
  { '{"a": "True"}', '{"a": "True"}' },
  { "[True, False, None]", "[true, false, null]" },
  { "{'a': 1,}", '{"a": 1}' },                                  -- Victor: unchanged, invalid
  { "{'a': 'x\\ny', 'b': 1}", '{"a": "x\\ny", "b": 1}' },      -- Victor: corrupted
  { "{'key': 'it\\'s a test'}", '{"key": "it\'s a test"}' },
  { "['a','b','c']", '["a","b","c"]' },
  { "{'outer': {'inner': [1, 2, {'x': None}]}}", '{"outer": {"inner": [1, 2, {"x": null}]}}' },
  { "[NoneType, isTrue]", '["NoneType", "isTrue"]' },           -- Victor: nullType, istrue
}

-- Pieces of damaged JSON for random inputs.
local PIECES = {
  "{", "}", "[", "]", '"', "'", ",", ":", " ", "\n", "a", "key", "True", "None", "null", "1", "-", ".", "e", "007",
  "\\", "\\u", "d83d", "\\ud83d\\ude00", "//", "/*", "*/", "#", "```json\n", "```", "+", "...", "(", ")", "ObjectId(",
  "\226\128\156", "\226\128\157", "\226\128\152", "\226\128\153", "\194\160", "\195\169", "\255", "\1", "\t", "NaN",
  "-Infinity", "=", ";", "`", "x y", '"a": ', "'b'", "12.5e+3", "\239\187\191", "\0", "\240\159\152\128",
}

local function random_text(r, max)
  local t = {}
  for i = 1, r(max) + 1 do t[i] = PIECES[r(#PIECES) + 1] end
  return table.concat(t)
end

local function all_inputs()
  local t = {}
  for _, g in ipairs(GROUPS) do
    for _, c in ipairs(g[2]) do t[#t + 1] = c[1] end
  end
  for _, c in ipairs(VICTOR) do t[#t + 1] = c[1] end
  return t
end

local function strict_ok(s)
  local v, err = cjson.decode(s)
  return v ~= nil, err
end

-- Output of a stream over the given pieces, or nil, msg, code.
local function streamed(J, parts, opts)
  local st = J.stream(opts)
  local out = {}
  for _, p in ipairs(parts) do
    local o, msg, code = st:feed(p)
    if not o then return nil, msg, code end
    out[#out + 1] = o
  end
  local o, msg, code = st:finish()
  if not o then return nil, msg, code end
  out[#out + 1] = o
  st:close()
  return table.concat(out)
end

describe("victor.json_repair", function()
  it("reports the backend victor.native chose", function()
    assert.equal(native.backends().json_repair, json_repair.backend)
    if os.getenv("VICTOR_NO_NATIVE") == "1" then assert.equal("fallback", json_repair.backend) end
  end)

  for _, b in ipairs(backends) do
    local J = b.mod
    describe(b.name .. " backend", function()
      for _, g in ipairs(GROUPS) do
        it("repairs: " .. g[1], function()
          for _, c in ipairs(g[2]) do
            local out, msg = J.repair(c[1])
            assert.equal(c[2], out, c[1] .. " " .. tostring(msg))
            assert.truthy(strict_ok(out), out)
            assert.is_true(J.is_valid(out), out)
            assert.equal(out, J.repair(out), "idempotent: " .. out)
          end
        end)
      end

      it("fixes Victor's json_repair.rs vectors", function()
        for _, c in ipairs(VICTOR) do assert.equal(c[2], J.repair(c[1]), c[1]) end
      end)

      it("returns valid input unchanged, and only valid input", function()
        for _, s in ipairs({ '{"a":1}', ' [1, "x\\n", {"b": null}] ', '"\\ud83d\\ude00"', '-0.0e-0' }) do
          assert.is_true(J.is_valid(s), s)
          assert.equal(s, J.repair(s))
        end
        for _, s in ipairs({ "[1,]", "{'a':1}", "[01]", '"\\ud800"', '"\\x"', "[1.]", '"\1"', '"\255"', "[]]", "",
          " ", "[NaN]", '{"a" 1}', "tru", "[" }) do
          assert.is_false(J.is_valid(s), s)
        end
        assert.is_false(J.is_valid("[[1]]", { max_depth = 1 }))
        assert.is_true(J.is_valid("[[1]]", { max_depth = 2 }))
      end)

      it("applies ensure_ascii, compact and ndjson", function()
        assert.equal('{"\\u00e9": "\\ud83d\\ude00 \\ufffd"}',
          J.repair('{"\195\169": "\240\159\152\128 \255"}', { ensure_ascii = true }))
        assert.equal('{"\195\169":1}', J.repair('{"\195\169":1}', { ensure_ascii = false }))
        assert.equal('{"a":[1,2],"b":"x y"}', J.repair('{ "a" : [ 1 , 2 , ] ,\n "b" : "x y" }', { compact = true }))
        assert.equal('[{"a":1},{"b":2},3,"x"]', J.repair('{"a":1}\n{"b":2}\n3\n"x"\n', { ndjson = true }))
        assert.equal('[{"a":1},[2]]', J.repair('```json\n{"a":1}\n[2]\n```', { ndjson = true }))
        assert.equal("[]", J.repair("", { ndjson = true }))
      end)

      it("decodes with return_value", function()
        local v, text = J.repair("{'a': [1, None], b: 'x'}", { return_value = true })
        assert.equal('{"a": [1, null], "b": "x"}', text)
        assert.same({ a = { 1, cjson.null }, b = "x" }, v)
        assert.is_nil((J.repair("", { return_value = true })))
      end)

      it("returns nil, msg, code for bad input", function()
        local function err(s, opts) return select(2, J.repair(s, opts)), select(3, J.repair(s, opts)) end
        assert.same({ "no JSON value found at byte 1", "EPARSE" }, { err("") })
        assert.same({ "no JSON value found at byte 4", "EPARSE" }, { err("   ") })
        assert.same({ "no JSON value found at byte 1", "EPARSE" }, { err("not json at all") })
        assert.same({ "no JSON value found at byte 3", "EPARSE" }, { err("  NoneType") })
        assert.same({ "nesting deeper than max_depth 512 at byte 513", "ELIMIT" }, { err(("["):rep(1e6)) })
        assert.same({ "nesting deeper than max_depth 512 at byte 513", "ELIMIT" },
          { err(("["):rep(1e6) .. ("]"):rep(1e6)) })
        assert.same({ "nesting deeper than max_depth 3 at byte 9", "ELIMIT" }, { err('{"a": [[[', { max_depth = 3 }) })
        assert.equal('{"a": [[]]}', J.repair('{"a": [[', { max_depth = 3 }))
        assert.same({ "nesting deeper than max_depth 2 at byte 4", "ELIMIT" }, { err("[f([1])]", { max_depth = 2 }) })
        assert.same({ "input longer than max_input 3 at byte 4", "ELIMIT" }, { err("[1,2]", { max_input = 3 }) })
        assert.equal("[1]", J.repair(("["):rep(512) .. "1"):sub(512, 514))
      end)

      it("raises on misuse", function()
        assert.has_error(function() J.repair(nil) end, "bad argument #1 to 'repair' (string expected, got nil)")
        assert.has_error(function() J.repair("x", 1) end,
          "bad argument #2 to 'repair' (table or nil expected, got number)")
        assert.has_error(function() J.repair("x", { depth = 1 }) end,
          "bad argument #2 to 'repair' (unknown option 'depth')")
        assert.has_error(function() J.repair("x", { max_depth = 0 }) end,
          "bad argument #2 to 'repair' (max_depth must be a positive integer)")
        assert.has_error(function() J.repair("x", { compact = 1 }) end,
          "bad argument #2 to 'repair' (compact must be a boolean)")
        assert.has_error(function() J.extract_json_values({}) end,
          "bad argument #1 to 'extract_json_values' (string expected, got table)")
        assert.has_error(function() J.stream({ return_value = true }) end,
          "bad argument #1 to 'stream' (unknown option 'return_value')")
        local st = J.stream()
        assert.equal("{", st:feed("{"))
        raises("bad argument #1 to 'feed' (string expected, got no value)", function() st:feed() end)
        raises("bad argument #1 to 'feed' (string expected, got table)", function() st:feed({}) end)
        assert.equal("}", st:finish())
        assert.has_error(function() st:feed("x") end, "Stream is finished")
        st:close()
        st:close()
        assert.has_error(function() st:finish() end, "Stream is closed")
      end)

      it("extracts every embedded value with byte offsets (Victor's probes, fixed)", function()
        local function ex(s)
          local t = {}
          for _, v in ipairs(assert(J.extract_json_values(s))) do
            t[#t + 1] = { v.start, v.stop, v.text, v.truncated }
          end
          return t
        end
        assert.same({ { 7, 14, '{"a": 1}', false }, { 20, 30, '{"b": true}', false } },
          ex("Here: {\"a\": 1} and {'b': True} end"))
        assert.same({ { 1, 14, '{"bad": {"a": 1}}', false } }, ex('{bad {"a": 1}}'))
        assert.same({ { 7, 15, "[1, 2, 3]", false } }, ex("Data: [1, 2, 3] done"))
        assert.same({ { 1, 11, '{"k": "v}"}', false } }, ex("{'k': \"v}\"}"))
        assert.same({ { 1, 7, '{"a": 1}', true } }, ex('{"a": 1'))
        assert.same({ { 9, 23, '{"a": [1, 2]}', false }, { 33, 38, "[true]", false } },
          ex('```json\n{"a": [1, 2,],}\n```\nand [True] ok'))
        assert.same({}, ex("no values here"))
        local text = 'x {"a": "}"} y [1] z'
        for _, v in ipairs(assert(J.extract_json_values(text))) do
          assert.equal(v.text, J.repair(text:sub(v.start, v.stop)))
        end
        assert.same({ nil, "input longer than max_input 2 at byte 3", "ELIMIT" },
          { J.extract_json_values("[1]", { max_input = 2 }) })
      end)

      it("streams: the output equals one-shot for every split point", function()
        for _, s in ipairs(all_inputs()) do
          local want, wmsg = J.repair(s)
          for cut = 0, #s do
            local got, msg = streamed(J, { s:sub(1, cut), s:sub(cut + 1) })
            assert.equal(want, got, ("%q cut at %d"):format(s, cut))
            assert.equal(wmsg, msg)
          end
          local got = streamed(J, chunks(function(n) return n - 1 end, s, 1))
          assert.equal(want, got, s)
        end
      end)

      it("streams incrementally", function()
        local st = J.stream()
        assert.equal('{"name": "get_wea', st:feed('{"name": "get_wea'))
        assert.equal('ther", "args": {"city', st:feed("ther\", \"args\": {'city'"))
        assert.equal('": "Par', st:feed(': "Par'))
        assert.equal("is", st:feed("is"))
        assert.equal('"}}', st:finish())
      end)

      it("gives valid JSON or an error on random damaged input, streamed or not", function()
        local r = rng(20240611)
        for _ = 1, 300 do
          local s = random_text(r, 40)
          for flags = 0, 7 do
            local opts = { ensure_ascii = flags % 2 == 1, compact = flags % 4 >= 2, ndjson = flags >= 4, max_depth = 6 }
            local out, msg, code = J.repair(s, opts)
            if out then
              assert.truthy(strict_ok(out), ("%q -> %q"):format(s, out))
              if opts.ensure_ascii then assert.is_nil(out:find("[\128-\255]")) end
            else
              assert.truthy(code == "EPARSE" or code == "ELIMIT", msg)
            end
            local got, gmsg = streamed(J, chunks(r, s, 5), opts)
            assert.equal(out, got, ("%q"):format(s))
            assert.equal(msg, gmsg)
          end
        end
      end)
    end)
  end

  -- Every backend, one-shot and streamed in pieces of 1..maxc bytes, repairs s as the
  -- first one-shot does.
  local function agree(r, s, maxc)
    local want = { backends[1].mod.repair(s) }
    for _, b in ipairs(backends) do
      assert.same(want, { b.mod.repair(s) }, ("%q"):format(s))
      assert.same(want, { streamed(b.mod, chunks(r, s, maxc)) }, ("%q"):format(s))
    end
  end

  -- Mostly valid documents with a few local edits: the native one-shot takes its
  -- shortcuts (valid prefix, fast lane) there; streams and the fallback do not always.
  it("agrees with itself streamed, and with the fallback, on mostly valid documents", function()
    local r = rng(4242)
    local EDITS = { "'", '"', ",", "}", "]", "{", "[", ":", " ", "True", "//c\n", "\\", "x", "(", ")", "+", "..." }
    local rec = '{"id": %d, "n": "x y", "ok": true, "v": [1, 2.5, null, {"k": "z"}], "o": {"a": {}, "b": []}}'
    for _ = 1, 150 do
      local t = {}
      for i = 1, 6 do t[i] = rec:format(i) end
      local s = "[" .. table.concat(t, ",\n ") .. "]"
      for _ = 1, r(4) + 1 do
        local at = r(#s) + 1
        if r(2) == 0 then
          s = s:sub(1, at - 1) .. s:sub(at + 1)
        else
          s = s:sub(1, at) .. EDITS[r(#EDITS) + 1] .. s:sub(at + 1)
        end
      end
      if r(5) == 0 then s = s:sub(1, r(#s) + 1) end
      agree(r, s, 40)
    end
  end)

  -- Documents damaged the ways the native fast lane repairs in place (single-quoted
  -- strings, unquoted keys, Python/JS literals, comments, trailing commas), mixed with
  -- what it must leave to the machine (escapes, quotes and non-ASCII in single-quoted
  -- strings, unfinished comments, words that are not literals, cuts anywhere).
  it("agrees with itself streamed, and with the fallback, where the fast lane edits", function()
    local r = rng(9090)
    local KEYS = { '"id"', "'id'", "id", "key_2", "$x", "a b", "'it's'", "k\t", "_", "x-y", "'q\"x'", "'a\\'b'",
      "k/j", "k#", "'\195\169'" }
    local VALS = { "1", "-2.5e3", "true", "True", "None", "NULL", "undefined", "NaN", "Infinity", "-Infinity",
      "'x y'", "'it's'", "'a'b'", "''", '"s"', "'\"'", "'\\n'", "nul", "Nonex", "None.", "True(", "None-1",
      "'\195\169'", "'tab\t'", "[]", "{}", "'q'''", "'a' + 'b'", "abc", "'rock 'n' roll'" }
    local WS = { "", " ", "\n  ", "\t", " // c\n", " # c\n", " /* c */ ", "/*a*b*/", " /* open", " //", "/", " #" }
    local function ws() return r(3) == 0 and WS[r(#WS) + 1] or (r(2) == 0 and "" or " ") end
    local function value(d)
      local k = r(d > 3 and 3 or 6)
      if k == 4 or k == 5 then
        local t = {}
        for i = 1, r(4) do
          t[i] = ws() .. (k == 5 and KEYS[r(#KEYS) + 1] .. ws() .. ":" .. ws() or "") .. value(d + 1) .. ws()
        end
        local o, c = "[", "]"
        if k == 5 then o, c = "{", "}" end
        return o .. table.concat(t, ",") .. (r(4) == 0 and "," or "") .. ws() .. c
      end
      return VALS[r(#VALS) + 1]
    end
    for _ = 1, 600 do
      local s = "[" .. value(0) .. "," .. value(0) .. "]"
      if r(6) == 0 then s = s:sub(1, r(#s) + 1) end
      agree(r, s, 20)
    end
  end)

  if #backends == 2 then
    it("native and fallback agree on random damaged input and on validation", function()
      local N, F = backends[1].mod, backends[2].mod
      local r = rng(77)
      for _ = 1, 2000 do
        local s = random_text(r, 30)
        local opts = { max_depth = 1 + r(8), compact = r(2) == 1, ensure_ascii = r(2) == 1, ndjson = r(4) == 0 }
        local a = { N.repair(s, opts) }
        local b = { F.repair(s, opts) }
        assert.same(a, b, ("%q"):format(s))
        assert.equal(N.is_valid(s), F.is_valid(s), ("%q"):format(s))
        if r(8) == 0 then
          assert.same(N.extract_json_values(s), F.extract_json_values(s))
        end
      end
    end)
  end
end)
