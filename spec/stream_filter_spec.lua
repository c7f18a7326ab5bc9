-- stream_filter_spec.lua: victor.stream_filter on both backends (core/stream_filter.h),
-- and the Aho-Corasick core (core/ac.h) against a naive matcher through the binding.
local rng = require "support.rng"  -- deterministic xorshift32
local chunks = require "support.chunks"  -- chunks(r, s, maxc): pieces of 1..maxc bytes

local backends = require "support.backends"("stream_filter")

local FW_BEGIN = "<\239\189\156begin\226\150\129of\226\150\129thinking\239\189\156>"
local FW_END = "<\239\189\156end\226\150\129of\226\150\129thinking\239\189\156>"

-- Run a filter over chunks: content, thinking, all events, stats after finish.
local function run(S, opts, parts)
  local f = S.new(opts)
  local c, t, ev = {}, {}, {}
  local function take(a, b, e)
    c[#c + 1], t[#t + 1] = a, b
    for _, x in ipairs(e or {}) do ev[#ev + 1] = x end
  end
  for _, p in ipairs(parts) do take(f:feed(p)) end
  take(f:finish())
  local st = f:stats()
  f:close()
  return table.concat(c), table.concat(t), ev, st
end


-- word(maxlen): 1..maxlen random letters of alpha.
local function words(r, alpha)
  return function(maxlen)
    local t = {}
    for i = 1, r(maxlen) + 1 do t[i] = alpha[r(#alpha) + 1] end
    return table.concat(t)
  end
end

local function bytes_of(s)
  local out = {}
  for i = 1, #s do out[i] = s:sub(i, i) end
  return out
end

local PIECES = { "<think>", "</think>", "<thinking>", "</thinking>", "<|begin_of_thinking|>", "<|end_of_thinking|>",
  FW_BEGIN, FW_END, "<seed:think>", "</seed:think>", "<reasoning>", "</reflection>", "<", "</", "<th", "</thi",
  "<|", "<|end_of_th", "\239\189", "hello ", "a < b ", "x\0y", "caf\195\169 ", "\255\254", "<THINK>", "</Think>", "\n",
  "<<think>>", "</think</think>>", "<seed:", "<seed:think", "<ref" }

local function random_text(r, max)
  local t = {}
  for i = 1, r(max) + 1 do t[i] = PIECES[r(#PIECES) + 1] end
  return table.concat(t)
end

-- The specs every backend passes; S is the public module on that backend.
local function backend_specs(S)
  it("splits content and thinking (Victor's probes where we agree)", function()
    local cases = {
      { "Start <think>thinking here</think> End", "Start  End", "thinking here" },
      { "alpha<think>secret</think>omega", "alphaomega", "secret" },
      { "A</think>B", "A</think>B", "" },                    -- stray end tag: content
      { "a<think>b</think>c<think>d", "ac", "bd" },          -- unclosed: the rest is thinking
      { FW_BEGIN .. "a" .. FW_END .. "b", "b", "a" },
      { "<|begin_of_thinking|>x<|end_of_thinking|>y", "y", "x" },
      { "<seed:think>s</seed:think><reflection>r</reflection>c", "c", "sr" },
      { "<|begin_of_thought|>t<|end_of_thought|>", "", "t" },
      { "", "", "" }, { "no tags at all", "no tags at all", "" },
    }
    for _, c in ipairs(cases) do
      local content, thinking = S.strip_thinking(c[1])
      assert.equal(c[2], content, c[1])
      assert.equal(c[3], thinking, c[1])
    end
  end)

  it("reports events with 1-based byte offsets", function()
    local function pair(tag, s1, e1, s2, e2)
      return { { kind = "enter", start = s1, stop = e1, tag = tag },
        { kind = "leave", start = s2, stop = e2, tag = tag } }
    end
    local _, _, ev = run(S, nil, { "Hello <think>internal thought</think> World" })
    assert.same(pair(3, 7, 13, 30, 37), ev)
    _, _, ev = run(S, nil, { "\195\169<think>x</think>" })
    assert.same(pair(3, 3, 9, 11, 18), ev)
    _, _, ev = run(S, nil, { FW_BEGIN .. "a" .. FW_END })
    assert.same(pair(1, 1, 29, 31, 57), ev)
  end)

  it("fixes Victor's bugs: abort on crossing, flush of the held partial", function()
    -- abort the moment the cap is crossed, not at the end tag
    local f = S.new { max_thinking_bytes = 5 }
    assert.same({ "", "", { { kind = "enter", start = 1, stop = 7, tag = 3 } } }, { f:feed("<think>") })
    assert.is_false(f:aborted())
    assert.same({ "", "123456", { { kind = "abort", start = 13, stop = 13, tag = 3 } } }, { f:feed("123456") })
    assert.is_true(f:aborted())
    assert.same({ "", "789" }, { f:feed("789") })   -- filtering goes on, abort once
    assert.same({ "ok", "", { { kind = "leave", start = 17, stop = 24, tag = 3 } } }, { f:feed("</think>ok") })
    assert.equal(13, f:stats().abort_at)
    -- a held partial tag is flushed by finish (Victor loses it)
    f = S.new()
    assert.equal("x ", (f:feed("x <")))
    assert.equal(1, f:stats().held)
    assert.equal("<", (f:finish()))
    f = S.new()
    assert.same({ "x ", "" }, { f:feed("x <") })
    assert.same({ "", "" }, { f:feed("") })
    assert.same({ "<y", "" }, { f:feed("y") })
    -- inside an unclosed block the held partial end tag is thinking
    f = S.new()
    assert.same({ "", "ab", { { kind = "enter", start = 1, stop = 7, tag = 3 } } }, { f:feed("<think>ab</think") })
    assert.equal(7, f:stats().held)
    assert.same({ "", "</think" }, { f:finish() })
    -- max 0: the first thinking byte aborts
    local _, _, ev = run(S, { max_thinking_bytes = 0 }, { "a<think>", "", "b" })
    assert.same({ kind = "abort", start = 9, stop = 9, tag = 3 }, ev[2])
  end)

  it("holds back only possible tag prefixes of the current mode", function()
    local function held(parts)
      local f = S.new()
      for _, p in ipairs(parts) do f:feed(p) end
      return f:stats().held
    end
    assert.equal(4, held { "<thi" })
    assert.equal(0, held { "</" })                    -- no start tag begins with "</"
    assert.equal(18, held { "x<|begin_of_thinkin" })
    assert.equal(4, held { "<\239\189\156" })
    assert.equal(7, held { "<think>", "ab</think" })
    assert.equal(0, held { "<think>", "<thi" })       -- start tags inside a block are text
    assert.equal(0, held { "a < b" })
  end)

  it("follows the nesting policy: no nesting, paired closing", function()
    local cases = {
      { "<think>a<think>b</think>c</think>", "c</think>", "a<think>b" },
      { "<think>x</reasoning>y</think>z", "z", "x</reasoning>y" },
      { "<reasoning>x</think>y</reasoning>z", "z", "x</think>y" },
      { "<<think>>", "<", ">" },
      { "</think</think>>", "</think</think>>", "" },
    }
    for _, c in ipairs(cases) do
      assert.same({ c[2], c[3] }, { S.strip_thinking(c[1]) }, c[1])
    end
    -- earliest end first; the longest of the tags ending at one byte
    local tags = { { "abc", "1" }, { "b", "2" } }
    assert.same({ "a", "c" }, { S.strip_thinking("abc", { tags = tags }) })
    tags = { { "ab", "1" }, { "b", "2" } }
    local _, _, ev = run(S, { tags = tags }, { "ab" })
    assert.same({ { kind = "enter", start = 1, stop = 2, tag = 1 } }, ev)
    -- a tag's bytes never start another: start == end tag toggles
    tags = { { "||", "||" } }
    assert.same({ "ac", "b" }, { S.strip_thinking("a||b||c", { tags = tags }) })
  end)

  it("matches ASCII case-insensitively on request, UTF-8 and NUL bytes as bytes", function()
    assert.same({ "y", "x" }, { S.strip_thinking("<THINK>x</Think>y", { case_insensitive = true }) })
    assert.same({ "<THINK>x</Think>y", "" }, { S.strip_thinking("<THINK>x</Think>y") })
    assert.same({ "\195\137", "" }, { S.strip_thinking("\195\137", { case_insensitive = true }) })
    local tags = { { "\0<", ">\0" } }
    assert.same({ "a\0b", "x\0" }, { S.strip_thinking("a\0<x\0>\0\0b", { tags = tags }) })
    assert.same({ "\255\254", "\0" }, { S.strip_thinking("\255<think>\0</think>\254") })
  end)

  it("gives the same output for every split point and every byte alone", function()
    local texts = {
      "Hello <think>internal thought</think> World", FW_BEGIN .. "a" .. FW_END .. "b<|begin_of_thinking|>c",
      "x <thi <think> a </thin </think> <", "<<thinking>>a</think></thinking></thinking>",
      "a<THINK>b</think>c", "<seed:think><seed:think></seed:think>",
    }
    for _, t in ipairs(texts) do
      for _, opts in ipairs({ {}, { case_insensitive = true }, { max_thinking_bytes = 3 } }) do
        local c, th, ev, st = run(S, opts, { t })
        for i = 0, #t do
          local c2, th2, ev2, st2 = run(S, opts, { t:sub(1, i), t:sub(i + 1) })
          assert.equal(c, c2)
          assert.equal(th, th2)
          assert.same(ev, ev2)
          assert.same(st, st2)
        end
        local c3, th3, ev3 = run(S, opts, bytes_of(t))
        assert.same({ c, th, ev }, { c3, th3, ev3 })
        assert.same({ c, th }, { S.strip_thinking(t, { case_insensitive = opts.case_insensitive }) })
      end
    end
  end)

  it("gives the same output for random texts and chunkings, holding < longest tag", function()
    local r = rng(4242)
    local longest = 0
    for _, p in ipairs(S.DEFAULT_TAGS) do longest = math.max(longest, #p[1], #p[2]) end
    for _ = 1, 300 do
      local t = random_text(r, 25)
      local opts = { case_insensitive = r(2) == 1, max_thinking_bytes = r(3) == 0 and r(40) or nil }
      local c, th, ev = run(S, opts, { t })
      local enters = 0
      for _, e in ipairs(ev) do enters = enters + (e.kind == "enter" and 1 or 0) end
      assert.same({ #c, #th, enters }, { S.measure(t, { case_insensitive = opts.case_insensitive }) })
      for _, maxc in ipairs({ 1, 3, 16 }) do
        local f = S.new(opts)
        local cs, ts, evs = {}, {}, {}
        for _, p in ipairs(chunks(r, t, maxc)) do
          local a, b2, e = f:feed(p)
          cs[#cs + 1], ts[#ts + 1] = a, b2
          for _, x in ipairs(e or {}) do evs[#evs + 1] = x end
          assert.is_true(f:stats().held <= longest - 1)
        end
        local a, b2, e = f:finish()
        cs[#cs + 1], ts[#ts + 1] = a, b2
        for _, x in ipairs(e or {}) do evs[#evs + 1] = x end
        assert.equal(c, table.concat(cs))
        assert.equal(th, table.concat(ts))
        assert.same(ev, evs)
      end
    end
  end)

  it("keeps state, stats and reset", function()
    local f = S.new()
    assert.equal("normal", f:state())
    f:feed("a<think>bb")
    assert.equal("thinking", f:state())
    assert.same({ bytes_in = 10, content_bytes = 1, thinking_bytes = 2, held = 0, blocks = 1, state = "thinking",
      tag = 3, aborted = false, finished = false }, f:stats())
    f:finish()
    assert.is_true(f:stats().finished)
    f:reset()
    assert.same({ bytes_in = 0, content_bytes = 0, thinking_bytes = 0, held = 0, blocks = 0, state = "normal",
      aborted = false, finished = false }, f:stats())
    assert.same({ "x", "" }, { f:feed("x") })
    assert.equal("Filter", tostring(f))
    -- a chunk that is all content (or all thinking) comes back as is; numbers are text
    local chunk = ("y"):rep(100)
    assert.equal(chunk, (f:feed(chunk)))
    assert.same({ "42", "" }, { f:feed(42) })
    assert.same({ 3, 1, 1 }, { S.measure("abc<think>d") })
  end)

  it("rejects misuse with exact messages", function()
    local f = S.new()
    f:finish()
    for _, m in ipairs({ "feed", "finish" }) do
      assert.has_error(function() f[m](f, "y") end, "Filter is finished")
    end
    f:close()
    f:close()  -- idempotent
    assert.equal("Filter (closed)", tostring(f))
    for _, m in ipairs({ "feed", "finish", "reset", "state", "aborted", "stats" }) do
      local ok, why = pcall(f[m], f, "x")
      assert.is_false(ok)
      assert.truthy(tostring(why):find("Filter is closed", 1, true), m)
    end
    local _, msg = pcall(function() S.new():feed({}) end)
    assert.truthy(tostring(msg):find("bad argument #1 to 'feed' (string expected, got table)", 1, true), msg)
    local long = ("x"):rep(257)
    local cases = {
      { function() S.new("x") end, "bad argument #1 to 'new' (table or nil expected, got string)" },
      { function() S.new { foo = 1 } end, "bad argument #1 to 'new' (unknown option 'foo')" },
      { function() S.new { tags = {} } end,
        "bad argument #1 to 'new' (tags must be a non-empty array of {start, end} string pairs)" },
      { function() S.new { tags = { { "<a>", "" } } } end,
        "bad argument #1 to 'new' (tags[1] must be a {start, end} pair of non-empty strings)" },
      { function() S.new { tags = { { "<a>", "</a>" }, "x" } } end,
        "bad argument #1 to 'new' (tags[2] must be a {start, end} pair of non-empty strings)" },
      { function() S.new { tags = { { long, "</a>" } } } end,
        "bad argument #1 to 'new' (tags[1]: a tag is over 256 bytes)" },
      { function() S.new { tags = { { "<a>", "1" }, { "<A>", "2" } }, case_insensitive = true } end,
        "bad argument #1 to 'new' (tags[2]: duplicate start tag '<A>')" },
      { function() S.new { case_insensitive = 1 } end,
        "bad argument #1 to 'new' (case_insensitive must be a boolean)" },
      { function() S.new { max_thinking_bytes = -1 } end,
        "bad argument #1 to 'new' (max_thinking_bytes must be a non-negative integer)" },
      { function() S.strip_thinking(nil) end, "bad argument #1 to 'strip_thinking' (string expected, got nil)" },
      { function() S.measure(false) end, "bad argument #1 to 'measure' (string expected, got boolean)" },
      { function() S.measure("x", 1) end, "bad argument #2 to 'measure' (table or nil expected, got number)" },
      { function() S.strip_thinking("x", { max_thinking_bytes = 1 }) end,
        "bad argument #2 to 'strip_thinking' (unknown option 'max_thinking_bytes')" },
    }
    for _, c in ipairs(cases) do assert.has_error(c[1], c[2]) end
    -- distinct case-sensitive start tags are fine
    assert.same({ "", "x" }, { S.strip_thinking("<A>x", { tags = { { "<a>", "1" }, { "<A>", "2" } } }) })
  end)

  it("streams a long input without tags in bounded memory", function()
    local f = S.new()
    local chunk = ("0123456789abcdef<"):rep(4096)
    local total = 0
    for _ = 1, 64 do
      local c = f:feed(chunk)
      total = total + #c
      assert.is_true(f:stats().held <= 1)
    end
    total = total + #f:finish()
    assert.equal(#chunk * 64, total)
  end)
end

describe("victor.stream_filter", function()
  for _, b in ipairs(backends) do
    describe(b.name .. " backend", function() backend_specs(b.mod) end)
  end

  if backends[2] then  -- native and fallback both present
    it("native equals fallback chunk by chunk on random tag sets", function()
      local N, F = backends[1].mod, backends[2].mod
      local r = rng(31337)
      local word = words(r, { "a", "b", "<", ">", "/", "A", "\0", "\195" })
      for _ = 1, 300 do
        local tags, seen = {}, {}
        for _ = 1, r(4) + 1 do
          local s = word(4)
          if not seen[s:lower()] then
            seen[s:lower()] = true
            tags[#tags + 1] = { s, word(4) }
          end
        end
        local opts = { tags = tags, case_insensitive = r(2) == 1, max_thinking_bytes = r(2) == 0 and r(20) or nil }
        local t = word(60)
        local nf, ff = N.new(opts), F.new(opts)
        for _, p in ipairs(chunks(r, t, 7)) do
          assert.same({ ff:feed(p) }, { nf:feed(p) })
          assert.same(ff:stats(), nf:stats())
        end
        assert.same({ ff:finish() }, { nf:finish() })
        assert.same(ff:stats(), nf:stats())
        assert.same({ F.strip_thinking(t, { tags = tags }) }, { N.strip_thinking(t, { tags = tags }) })
      end
    end)
  end

  local ok_core, core = pcall(require, "victor.core.stream_filter")
  if ok_core and os.getenv("VICTOR_NO_NATIVE") ~= "1" then
    -- every (id, start, stop), by end, longest first, then by id
    local function naive(pats, ci, s)
      local out = {}
      local fs = ci and s:lower() or s
      for e = 1, #s do
        local here = {}
        for id, p in ipairs(pats) do
          local fp = ci and p:lower() or p
          if e >= #p and fs:sub(e - #p + 1, e) == fp then here[#here + 1] = { id, #p } end
        end
        table.sort(here, function(x, y) return x[2] > y[2] or (x[2] == y[2] and x[1] < y[1]) end)
        for _, h in ipairs(here) do
          out[#out + 1] = h[1]
          out[#out + 1] = e - h[2] + 1
          out[#out + 1] = e
        end
      end
      return out
    end

    it("ac core: every match equals a naive matcher, for every chunk size", function()
      local r = rng(2024)
      local word = words(r, { "a", "b", "c", "A", "\0", "\255" })
      for _ = 1, 400 do
        local pats = {}
        for i = 1, r(6) + 1 do pats[i] = word(5) end
        local ci = r(2) == 1
        local s = word(80)
        local want = naive(pats, ci, s)
        for _, chunk in ipairs({ 0, 1, 2, 5 }) do
          assert.same(want, core.ac_matches(pats, ci, s, chunk))
        end
      end
      assert.same({ 2, 2, 4, 1, 3, 4, 4, 3, 6 }, core.ac_matches({ "he", "she", "his", "hers" }, false, "ushers"))
      local res, msg, code = core.ac_matches({}, false, "x")
      assert.same({ nil, "invalid argument", "EINVAL" }, { res, msg, code })
      res, msg, code = core.ac_matches({ "" }, false, "x")
      assert.same({ nil, "invalid argument", "EINVAL" }, { res, msg, code })
    end)
  end
end)
