-- dedup_near_spec.lua: near-duplicate mode of victor.dedup (opts.near, SimHash of
-- the normalised key; core/dedup.h "Near duplicates") on both backends.
local dedup = require "victor.dedup"
local backends = require "support.backends"("dedup")
local rng = require "support.rng" -- deterministic xorshift32

local WORDS = {}
for w in ([[alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike
  november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu
  apple banana cherry grape lemon mango olive peach pear plum river stone cloud forest
  engine kernel thread buffer socket parser lexer token vector matrix tensor graph]]):gmatch("%S+") do
  WORDS[#WORDS + 1] = w
end

local function paragraph(r, nwords)
  local t = {}
  for i = 1, nwords do t[i] = WORDS[r(#WORDS) + 1] end
  return table.concat(t, " ")
end

-- Replace `k` random words of p by random words (a word may map to itself).
local function edit(r, p, k)
  local w = {}
  for x in p:gmatch("%S+") do w[#w + 1] = x end
  for _ = 1, k do w[r(#w) + 1] = WORDS[r(#WORDS) + 1] end
  return table.concat(w, " ")
end

local BASE = "The deployment pipeline builds every package from a clean checkout, runs the unit tests "
  .. "and the integration tests against a fresh database, signs the artifacts with the release key, "
  .. "uploads them to the staging bucket, waits for the canary hosts to report healthy metrics for "
  .. "fifteen minutes and only then promotes the build to the production fleet in three waves."
local EDITED = BASE:gsub("fifteen minutes", "twenty minutes")
local OTHER = "Memory allocators trade fragmentation against speed: a bump allocator never frees "
  .. "individual objects, a slab allocator keeps fixed size classes per thread, and a general "
  .. "purpose allocator such as jemalloc mixes both strategies with arenas, caches and decay timers."

describe("victor.dedup near mode", function()
  for _, b in ipairs(backends) do
    local D = b.mod
    describe(b.name .. " backend", function()
      it("catches a one-word edit (known distances) and not an unrelated paragraph", function()
        -- 55 words, 53 shingles: a one-word edit changes up to 3 of them; the SimHash
        -- distances below are known answers (both backends)
        local last = BASE:gsub("waves%.", "rounds.")
        local f = D.find_duplicate_blocks(BASE .. "\n\n" .. last, { near = 4 })
        assert.same({ 1, true, 4 }, { #f, f[1].near, f[1].distance })
        assert.same({}, D.find_duplicate_blocks(BASE .. "\n\n" .. last, { near = 3 }))
        local t = BASE .. "\n\n" .. OTHER .. "\n\n" .. EDITED .. "\n"
        assert.same({}, D.find_duplicate_blocks(t))
        assert.same({}, D.find_duplicate_blocks(t, { near = 3 }))
        f = D.find_duplicate_blocks(t, { near = 10 })
        assert.equal(1, #f)
        assert.is_true(f[1].near)
        assert.equal(10, f[1].distance)
        assert.equal(1, f[1].first.start)
        assert.equal(EDITED, t:sub(f[1].dup.start, f[1].dup.stop))
        local out, st = D.dedup(t, { near = 10 })
        assert.equal(BASE .. "\n\n" .. OTHER .. "\n", out)
        assert.same({ blocks = 3, removed = 1, near_removed = 1, bytes_in = #t, bytes_out = #out }, st)
        -- an unrelated paragraph is far (distance 31): not caught at T = 20
        assert.same({}, D.find_duplicate_blocks(BASE .. "\n\n" .. OTHER, { near = 20 }))
        assert.equal(31, D.find_duplicate_blocks(BASE .. "\n\n" .. OTHER, { near = 64 })[1].distance)
      end)

      it("reports exact repeats with distance 0 and near = false", function()
        local t = BASE .. "\n\n" .. EDITED .. "\n\n" .. BASE .. "\n\n" .. EDITED
        local f = D.find_duplicate_blocks(t, { near = 10 })
        assert.equal(3, #f)
        assert.same({ false, 0 }, { f[2].near, f[2].distance }) -- BASE again: exact
        -- EDITED again: an exact repeat of the block removed as a near duplicate
        assert.same({ false, 0, #BASE + 3 }, { f[3].near, f[3].distance, f[3].first.start })
        assert.is_true(f[1].near)
      end)

      it("with T = 0 equals exact mode on texts without near matches", function()
        local r = rng(77)
        for _ = 1, 30 do
          local ps = {}
          for i = 1, 12 do ps[i] = paragraph(r, 8 + r(20)) end
          for _ = 1, 6 do ps[#ps + 1] = ps[r(12) + 1] end
          local t = table.concat(ps, "\n\n")
          local out0, st0 = D.dedup(t)
          local out1, st1 = D.dedup(t, { near = 0 })
          assert.equal(out0, out1)
          assert.equal(st0.removed, st1.removed)
          assert.equal(0, st1.near_removed)
          local f0, f1 = D.find_duplicate_blocks(t), D.find_duplicate_blocks(t, { near = 0 })
          assert.equal(#f0, #f1)
          for i = 1, #f0 do
            assert.same(f0[i].dup, f1[i].dup)
            assert.same(f0[i].first, f1[i].first)
            assert.same({ false, 0 }, { f1[i].near, f1[i].distance })
          end
        end
      end)

      it("near = nil keeps the exact behaviour (no new fields)", function()
        local t = BASE .. "\n\n" .. BASE .. "\n"
        local f = D.find_duplicate_blocks(t)
        assert.is_nil(f[1].near)
        assert.is_nil(f[1].distance)
        local _, st = D.dedup(t)
        assert.is_nil(st.near_removed)
      end)

      it("is deterministic, and T = 64 removes every later block with words", function()
        local t = BASE .. "\n\n" .. OTHER .. "\n\n" .. EDITED .. "\n\n"
          .. "```\ncode block that is long enough to be hashed here\n```\n"
        assert.same(D.find_duplicate_blocks(t, { near = 6 }), D.find_duplicate_blocks(t, { near = 6 }))
        local f = D.find_duplicate_blocks(t, { near = 64 })
        assert.equal(3, #f)
        for i = 1, 3 do assert.equal(1, f[i].first.start) end
        local out = D.dedup(t, { near = 64 })
        assert.equal(BASE .. "\n", out)
      end)

      it("simhash: word 1-grams for short keys, nil without words", function()
        assert.is_nil(D.simhash(""))
        assert.is_nil(D.simhash(" \t\n "))
        assert.equal(D.simhash("Hello   World."), D.simhash("hello world"))
        assert.matches("^%x+$", D.simhash("a"))
        assert.equal(16, #D.simhash("one two three four"))
      end)

      it("raises on misuse with exact messages", function()
        local bad = "bad argument #2 to 'dedup' (near must be an integer from 0 to 64)"
        local cases = {
          { function() D.dedup("x", { near = -1 }) end, bad },
          { function() D.dedup("x", { near = 65 }) end, bad },
          { function() D.dedup("x", { near = 2.5 }) end, bad },
          { function() D.find_duplicate_blocks("x", { near = "3" }) end,
            "bad argument #2 to 'find_duplicate_blocks' (near must be an integer from 0 to 64)" },
          { function() D.dedup_lines("x", { near = 3 }) end,
            "bad argument #2 to 'dedup_lines' (unknown option 'near')" },
          { function() D.simhash(1) end, "bad argument #1 to 'simhash' (string expected, got number)" },
        }
        for _, c in ipairs(cases) do assert.has_error(c[1], c[2]) end
      end)
    end)
  end

  if #backends == 2 then
    local N, F = backends[1].mod, backends[2].mod
    it("native equals fallback on random texts with edits", function()
      local r = rng(31337)
      for _ = 1, 60 do
        local ps = {}
        for i = 1, 10 do ps[i] = paragraph(r, 1 + r(40)) end
        for _ = 1, 10 do ps[#ps + 1] = edit(r, ps[r(10) + 1], r(4)) end
        for _ = 1, 3 do ps[#ps + 1] = ps[r(#ps) + 1] end
        if r(3) == 0 then ps[#ps + 1] = "```\n" .. ps[1] .. "\n```" end
        local t = table.concat(ps, ({ "\n\n", "\n \n", "\n\n\n" })[r(3) + 1])
        local o = { near = ({ 0, 1, 3, 6, 10, 20, 40, 63, 64 })[r(9) + 1],
          min_block_length = ({ 0, 10, 50 })[r(3) + 1] }
        assert.same({ F.dedup(t, o) }, { N.dedup(t, o) })
        assert.same(F.find_duplicate_blocks(t, o), N.find_duplicate_blocks(t, o))
        for i = 1, #ps do assert.equal(F.simhash(ps[i]), N.simhash(ps[i])) end
      end
      -- odd bytes, short keys
      for _ = 1, 200 do
        local t = {}
        for i = 1, r(80) do
          t[i] = string.char(({ 10, 10, 32, 32, 65, 66, 97, 46, 0xC2, 0xA0, 0xFF, 96 })[r(12) + 1])
        end
        local s = table.concat(t)
        assert.equal(F.simhash(s), N.simhash(s))
        local o = { near = r(65), min_block_length = r(3) }
        assert.same({ F.dedup(s, o) }, { N.dedup(s, o) })
        assert.same(F.find_duplicate_blocks(s, o), N.find_duplicate_blocks(s, o))
      end
    end)
  end

  it("the public module exposes simhash", function()
    assert.is_function(dedup.simhash)
  end)
end)
