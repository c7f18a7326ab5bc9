-- patterns_spec.lua: victor.patterns on both backends (core/ac.h match kinds, word
-- boundaries, streaming) against a naive matcher, and native == fallback.
local rng = require "support.rng"  -- deterministic xorshift32
local chunks = require "support.chunks"  -- chunks(r, s, maxc): pieces of 1..maxc bytes
local raises = require "support.raises"

local backends = require "support.backends"("patterns")

local KINDS = { "standard", "leftmost_first", "leftmost_longest" }

local function is_word(c)
  return c ~= nil and c:match("^[%w_]$") ~= nil
end

-- The naive reference: every occurrence by brute force, then the kind's choice.
-- Offsets 1-based inclusive; matches start at init or later, the byte before init
-- is context for word boundaries.
local function naive(pats, text, kind, ci, wb, init)
  init = init or 1
  local f = ci and string.lower or function(s) return s end
  local ft = f(text)
  local occ = {}
  for s = init, #text do
    for id, p in ipairs(pats) do
      local e = s + #p - 1
      if e <= #text and ft:sub(s, e) == f(p) then
        local ok = true
        if wb then
          ok = not is_word(s > 1 and text:sub(s - 1, s - 1) or nil) and not is_word(text:sub(e + 1, e + 1))
        end
        if ok then occ[#occ + 1] = { id = id, s = s, e = e } end
      end
    end
  end
  local out = {}
  if kind == "standard" then
    table.sort(occ, function(a, b)
      if a.e ~= b.e then return a.e < b.e end
      if a.s ~= b.s then return a.s < b.s end
      return a.id < b.id
    end)
    for _, o in ipairs(occ) do out[#out + 1], out[#out + 2], out[#out + 3] = o.id, o.s, o.e end
    return out
  end
  local pos = init
  while true do
    local best
    for _, o in ipairs(occ) do
      if o.s >= pos then
        if not best or o.s < best.s then
          best = o
        elseif o.s == best.s then
          if kind == "leftmost_first" then
            if o.id < best.id then best = o end
          elseif o.e > best.e or (o.e == best.e and o.id < best.id) then
            best = o
          end
        end
      end
    end
    if not best then break end
    out[#out + 1], out[#out + 2], out[#out + 3] = best.id, best.s, best.e
    pos = best.e + 1
  end
  return out
end

local ALPHA = { "a", "b", "c", "A", "B", "_", " ", "-", "1" }

local function rand_str(r, maxlen, alpha)
  local t = {}
  for i = 1, r(maxlen) + 1 do t[i] = alpha[r(#alpha) + 1] end
  return table.concat(t)
end

local function rand_case(r)
  local np = r(6) + 1
  local pats = {}
  for i = 1, np do pats[i] = rand_str(r, 4, ALPHA) end
  local text = r(8) == 0 and "" or rand_str(r, 60, ALPHA)
  return pats, text
end

local function run_stream(m, parts)
  local s, all, per = m:stream(), {}, {}
  for _, p in ipairs(parts) do
    local got = s:feed(p)
    per[#per + 1] = got
    for _, x in ipairs(got) do all[#all + 1] = x end
  end
  local got = s:finish()
  per[#per + 1] = got
  for _, x in ipairs(got) do all[#all + 1] = x end
  s:close()
  return all, per
end

local function backend_specs(P)
  it("knows Victor's probe table (§8.1) for every kind", function()
    local cases = {
      { "abcd", { "abc", "b" }, { 2, 2, 2, 1, 1, 3 }, { 1, 1, 3 }, { 1, 1, 3 } },
      { "first let me read", { "first let me", "let me read" }, { 1, 1, 12, 2, 7, 17 }, { 1, 1, 12 }, { 1, 1, 12 } },
      { "samwise", { "sam", "samwise" }, { 1, 1, 3, 2, 1, 7 }, { 1, 1, 3 }, { 2, 1, 7 } },
      { "xsamwise", { "samwise", "sam" }, { 2, 2, 4, 1, 2, 8 }, { 1, 2, 8 }, { 1, 2, 8 } },
      { "read and write and read", { "read", "write" }, { 1, 1, 4, 2, 10, 14, 1, 20, 23 },
        { 1, 1, 4, 2, 10, 14, 1, 20, 23 }, { 1, 1, 4, 2, 10, 14, 1, 20, 23 } },
      { "abcd", { "bcd", "abc", "abcd" }, { 2, 1, 3, 3, 1, 4, 1, 2, 4 }, { 2, 1, 3 }, { 3, 1, 4 } },
    }
    for _, c in ipairs(cases) do
      for k, kind in ipairs(KINDS) do
        assert.same(c[2 + k], P.literals(c[2], { match_kind = kind }):find_all(c[1]), c[1] .. " " .. kind)
      end
    end
  end)

  it("folds ASCII case only", function()
    local m = P.literals({ "hello", "\195\169cole" }, { case_insensitive = true })
    assert.same({ 1, 1, 5, 1, 7, 11 }, m:find_all("HeLLo hello"))
    assert.same({}, m:find_all("\195\137COLE"))
    assert.same({}, P.literals({ "hello" }):find_all("HELLO"))
  end)

  it("keeps word boundaries: latest is not test", function()
    local m = P.literals({ "test", "new", "add", "list" }, { word_boundary = true, case_insensitive = true })
    assert.same({}, m:find_all("latest news about the address lists"))
    assert.same({ 1, 1, 4, 2, 6, 8, 4, 10, 13 }, m:find_all("Test new list"))
    assert.same({ 4, 12, 15 }, m:find_all("Test_ new1 list"))
    assert.same({ 1, 7, 10 }, m:find_all("don't test this"))
  end)

  it("find, count and init", function()
    local m = P.literals({ "ab", "b" }, { match_kind = "leftmost_longest", word_boundary = false })
    assert.same({ 1, 1, 2, 1, 4, 5 }, m:find_all("ab ab"))
    assert.same({ 2, 2, 2, 1, 4, 5 }, m:find_all("ab ab", 2))
    assert.same({ 2, 2, 2 }, { m:find("xbab") })
    assert.is_nil(m:find("xyz"))
    assert.equal(2, m:count("ab ab"))
    assert.same({}, m:find_all("ab", 9))
    local w = P.literals({ "ab" }, { word_boundary = true })
    assert.same({}, w:find_all("xab", 2)) -- the byte before init is context
  end)

  it("agrees with the naive matcher on random sets, for every kind, case and boundary setting", function()
    local r = rng(20261127)
    for _ = 1, 400 do
      local pats, text = rand_case(r)
      for _, kind in ipairs(KINDS) do
        for _, ci in ipairs({ false, true }) do
          for _, wb in ipairs({ false, true }) do
            local m = P.literals(pats, { match_kind = kind, case_insensitive = ci, word_boundary = wb })
            local want = naive(pats, text, kind, ci, wb)
            local what = string.format("%s ci=%s wb=%s pats=%q text=%q", kind, ci, wb, table.concat(pats, "|"), text)
            assert.same(want, m:find_all(text), what)
            assert.equal(#want / 3, m:count(text), what)
            local init = r(#text + 2) + 1
            assert.same(naive(pats, text, kind, ci, wb, init), m:find_all(text, init), what .. " init " .. init)
            assert.same({ want[1], want[2], want[3] }, { m:find(text) }, what)
            assert.same(want, (run_stream(m, chunks(r, text, r(6) + 1))), what)
          end
        end
      end
    end
  end)

  it("agrees with the naive matcher with many first bytes and long patterns (the prefix filter)", function()
    local r = rng(4242)
    local alpha = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "A", "B", "_", " ", "x", "y" }
    for round = 1, 150 do
      local minl = round % 4 + 1
      local pats = {}
      for i = 1, r(40) + 10 do pats[i] = rand_str(r, 3, alpha) .. rand_str(r, 1, alpha):rep(minl):sub(1, minl) end
      local text = rand_str(r, 400, alpha)
      for _, kind in ipairs(KINDS) do
        local ci, wb = r(2) == 0, r(2) == 0
        local m = P.literals(pats, { match_kind = kind, case_insensitive = ci, word_boundary = wb })
        local want = naive(pats, text, kind, ci, wb)
        local what = string.format("%s ci=%s wb=%s pats=%q", kind, ci, wb, table.concat(pats, "|"))
        assert.same(want, m:find_all(text), what)
        assert.same(want, (run_stream(m, chunks(r, text, r(40) + 1))), what)
      end
    end
  end)

  it("streams with absolute offsets, reporting a match once the input decides it", function()
    local m = P.literals({ "abcdef", "abc", "cd" }, { match_kind = "leftmost_longest" })
    local s = m:stream()
    assert.same({}, s:feed("xxab"))
    assert.same({}, s:feed("cd"))       -- abcdef may still come
    assert.same({ 2, 3, 5, 3, 8, 9 }, s:feed("xcd"))   -- abc is final at x; cd (nothing extends it) at d
    assert.same({}, s:finish())
    assert.equal(9, s:offset())
    s:reset()
    assert.same({ 1, 1, 6 }, s:feed("abcdef"))
    local w = P.literals({ "ab" }, { word_boundary = true }):stream()
    assert.same({}, w:feed("ab"))       -- the next byte decides
    assert.same({ 1, 1, 2 }, w:feed(" "))
    assert.same({}, w:feed("ab"))
    assert.same({ 1, 4, 5 }, w:finish())
  end)

  it("raises on misuse with exact messages", function()
    raises("bad argument #1 to 'literals' (the pattern list is empty)", P.literals, {})
    raises("bad argument #1 to 'literals' (patterns[2] is empty)", P.literals, { "a", "" })
    raises("bad argument #1 to 'literals' (patterns[1] must be a string, got number)", P.literals, { 1 })
    raises("bad argument #1 to 'literals' (array of strings expected, got string)", P.literals, "abc")
    raises("bad argument #2 to 'literals' (unknown option 'kind')", P.literals, { "a" }, { kind = 1 })
    raises("bad argument #2 to 'literals' (match_kind must be \"standard\", \"leftmost_first\" or "
      .. "\"leftmost_longest\")", P.literals, { "a" }, { match_kind = "longest" })
    raises("bad argument #2 to 'literals' (word_boundary must be a boolean)", P.literals, { "a" },
      { word_boundary = 1 })
    local m = P.literals({ "a" })
    raises("bad argument #1 to 'find_all' (string expected, got nil)", m.find_all, m, nil)
    raises("bad argument #2 to 'find' (init must be a positive integer)", m.find, m, "a", 0)
    raises("bad argument #1 to 'count' (Matcher expected, got string)", m.count, "a")
    local s = m:stream()
    raises("bad argument #1 to 'feed' (string expected, got number)", s.feed, s, 1)
    s:finish()
    raises("Stream is finished", s.feed, s, "a")
    raises("Stream is finished", s.finish, s)
    s:close()
    s:close()
    raises("Stream is closed", s.feed, s, "a")
    m:close()
    m:close()
    raises("Matcher is closed", m.find_all, m, "a")
    assert.equal("Matcher (closed)", tostring(m))
  end)

  it("refuses hostile pattern sets with ELIMIT", function()
    local many = {}
    for i = 1, 1000000 do many[i] = "keyword" .. i end
    local m, msg, code = P.literals(many)
    assert.is_nil(m)
    assert.equal("limit exceeded", msg)
    assert.equal("ELIMIT", code)
    m, msg, code = P.literals({ string.rep("x", 17 * 1024 * 1024) })
    assert.same({ nil, "limit exceeded", "ELIMIT" }, { m, msg, code })
    assert.same({ nil, "limit exceeded", "ELIMIT" }, { P.literals({ "abc", "def" }, { max_bytes = 100 }) })
  end)
end

for _, b in ipairs(backends) do
  describe("victor.patterns (" .. b.name .. ")", function()
    backend_specs(b.mod)
  end)
end

if #backends == 2 then
  describe("victor.patterns native == fallback", function()
    it("gives the same matches, feed by feed, on random inputs", function()
      local N, F = backends[1].mod, backends[2].mod
      local r = rng(7)
      for _ = 1, 300 do
        local pats, text = rand_case(r)
        local kind = KINDS[r(3) + 1]
        local opts = { match_kind = kind, case_insensitive = r(2) == 0, word_boundary = r(2) == 0 }
        local mn, mf = N.literals(pats, opts), F.literals(pats, opts)
        local parts = chunks(r, text, r(8) + 1)
        local an, pn = run_stream(mn, parts)
        local af, pf = run_stream(mf, parts)
        assert.same(af, an)
        assert.same(pf, pn)
        assert.same(mf:find_all(text), mn:find_all(text))
      end
    end)
  end)
end
