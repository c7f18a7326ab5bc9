-- dedup_stream_spec.lua: victor.dedup.stream on both backends (core/dedup.h,
-- "Streaming"): for every chunking, feed .. finish equals the one-shot call.
local rng = require "support.rng"  -- deterministic xorshift32

local backends = require "support.backends"("dedup")

local PIECES = {
  "The quick brown fox jumps over the lazy dog, again and again.\n",
  "the QUICK  brown fox jumps over the lazy dog, again and again.\n",
  "A second paragraph line that is long enough to count here.\n",
  "short\n", "\n", "\n\n", "   \n", "\t\r\n", "\r\n", "line with crlf ending, long enough to be a real block\r\n",
  "```lua\n", "```\n", "~~~\n", "````\n", "    ```\n", "```a`b\n", "print(1)\n", "```\r\n",
  "caf\195\169 \194\160nbsp \226\128\168ls and more text to make it long\n", "invalid \255\254 utf-8\n",
  "nul\0byte\n", "trailing punctuation.;:\n", "no newline at all", "\0\0",
}

local function random_text(r, max)
  local t = {}
  for i = 1, r(max) + 1 do t[i] = PIECES[r(#PIECES) + 1] end
  return table.concat(t)
end

local chunks = require "support.chunks"  -- chunks(r, s, maxc): pieces of 1..maxc bytes

local function run_stream(D, opts, parts)
  local s = D.stream(opts)
  local out = {}
  for _, c in ipairs(parts) do out[#out + 1] = assert(s:feed(c)) end
  out[#out + 1] = assert(s:finish())
  local st = s:stats()
  s:close()
  return table.concat(out), st
end

local function check_same(D, t, parts, min)
  local want, wst = D.dedup(t, { min_block_length = min })
  local got, gst = run_stream(D, { min_block_length = min }, parts)
  assert.equal(want, got)
  for _, k in ipairs({ "blocks", "removed", "bytes_in", "bytes_out" }) do assert.equal(wst[k], gst[k], k) end
  assert.equal(0, gst.held)
end

describe("victor.dedup.stream", function()
  for _, b in ipairs(backends) do
    local D = b.mod
    describe(b.name .. " backend", function()
      it("equals the one-shot dedup for random texts and chunkings", function()
        local r = rng(77)
        for _ = 1, 250 do
          local t = random_text(r, 20)
          local min = ({ 0, 1, 10, 50 })[r(4) + 1]
          for _, maxc in ipairs({ 1, 3, 17, #t + 1 }) do check_same(D, t, chunks(r, t, maxc), min) end
        end
      end)

      it("equals the one-shot dedup for every split point of tricky texts", function()
        local A = "A paragraph that is long enough to be a real block of text.\n"
        local texts = {
          A .. "\n```\nx\n```\n" .. A .. "\n\n```\nx\n```\n" .. A,
          A .. "```\nx\n```\n" .. A .. "```\nx\n```\n" .. A .. "\n\n",
          "\n\n" .. A .. "\r\n\r\n" .. A .. "\r\n \t\r\n" .. A:upper() .. "\r\n",
          "caf\195\169 " .. A .. "\n\n" .. "caf\195\169 " .. A .. "\n\226\128\168\n" .. A,
          A .. "\n~~~~ info\n" .. A .. "~~~\n~~~~\n\n" .. A .. "\n````\nunclosed\n\n" .. A,
          "\n \n\t\n", "", "x", A .. A .. "\n" .. A .. A,
        }
        for _, t in ipairs(texts) do
          for min = 0, 50, 50 do
            for i = 0, #t do check_same(D, t, { t:sub(1, i), t:sub(i + 1) }, min) end
            local bytes = {}
            for i = 1, #t do bytes[i] = t:sub(i, i) end
            check_same(D, t, bytes, min)
          end
        end
      end)

      it("emits each block once it is complete and holds only what it needs", function()
        local A = "A paragraph that is long enough to be a real block of text.\n"
        local s = D.stream()
        assert.equal("", s:feed(A))
        assert.equal(A, s:feed("\n"))        -- the blank line completes the block
        assert.equal("", s:feed(A .. "\n"))  -- a repeat: dropped
        assert.equal("", s:feed("other text\n"))
        assert.equal("\nother text\n", s:feed("\n\n"))
        assert.equal(#"\n\n", s:stats().held)  -- the blank run after the last block
        assert.equal("\n\n", s:finish())
        assert.same({ blocks = 3, removed = 1, bytes_in = #A * 2 + 15, bytes_out = #A + 14, entries = 1,
          evictions = 0, held = 0 }, s:stats())
        -- memory stays bounded by the open block, not the input
        s = D.stream()
        local max = 0
        for i = 1, 3000 do
          s:feed(("paragraph number %d with enough text to count as a block\n\n"):format(i % 50))
          max = math.max(max, s:stats().held)
        end
        assert.is_true(max < 200, max)
        assert.equal(50, s:stats().entries)
      end)

      it("line mode equals dedup_lines for every chunking", function()
        local r = rng(5)
        for _ = 1, 200 do
          local t = random_text(r, 20)
          for _, delim in ipairs({ "\n", "\0" }) do
            local want, wst = D.dedup_lines(t, { delimiter = delim })
            for _, maxc in ipairs({ 1, 5, 64 }) do
              local got, gst = run_stream(D, { mode = "lines", delimiter = delim }, chunks(r, t, maxc))
              assert.equal(want, got)
              for _, k in ipairs({ "lines", "removed", "bytes_in", "bytes_out" }) do assert.equal(wst[k], gst[k]) end
            end
          end
        end
      end)

      it("clears the set when max_entries is reached (documented eviction)", function()
        local blk = function(c) return ("%s is a block long enough to be remembered by the set\n"):format(c) end
        local t = blk("A") .. "\n" .. blk("B") .. "\n" .. blk("C") .. "\n" .. blk("A") .. "\n" .. blk("C")
        -- below the cap: as one-shot
        assert.equal(D.dedup(t), run_stream(D, { max_entries = 3 }, { t }))
        -- cap 2: C clears {A, B}; A is then new again (re-emitted), C a repeat
        local out, st = run_stream(D, { max_entries = 2 }, { t })
        assert.equal(blk("A") .. "\n" .. blk("B") .. "\n" .. blk("C") .. "\n" .. blk("A"), out)
        assert.equal(1, st.evictions)
        assert.equal(1, st.removed)
        assert.equal(2, st.entries)
        local lout, lst = run_stream(D, { mode = "lines", max_entries = 1 }, { "a\na\nb\na\n" })
        assert.equal("a\nb\na\n", lout)
        assert.equal(2, lst.evictions)
      end)

      it("clears the set when its keys would pass max_key_bytes (documented eviction)", function()
        local blk = function(c) return ("%s is a block long enough to be remembered by the set\n"):format(c) end
        local klen = #D.normalize_block(blk("A"))  -- every key here has this length
        local t = blk("A") .. "\n" .. blk("B") .. "\n" .. blk("C") .. "\n" .. blk("A") .. "\n" .. blk("C")
        assert.equal(D.dedup(t), run_stream(D, { max_key_bytes = 3 * klen }, { t }))
        -- room for 2 keys: C clears {A, B}; A is new again, C a repeat
        local out, st = run_stream(D, { max_key_bytes = 2 * klen + 1 }, { t })
        assert.equal(blk("A") .. "\n" .. blk("B") .. "\n" .. blk("C") .. "\n" .. blk("A"), out)
        assert.equal(1, st.evictions)
        assert.equal(2, st.entries)
        -- a key longer than the cap is kept alone: its repeat right after is dropped
        out, st = run_stream(D, { max_key_bytes = 1 }, { blk("A") .. "\n" .. blk("A") .. "\n" .. blk("B") })
        assert.equal(blk("A") .. "\n" .. blk("B"), out)
        assert.equal(1, st.evictions)
        local lout, lst = run_stream(D, { mode = "lines", max_key_bytes = 2 }, { "a\na\nb\na\nc\n" })
        assert.equal("a\nb\nc\n", lout)
        assert.equal(1, lst.evictions)
      end)

      it("starts clean after a closed stream (native: closed streams are reused)", function()
        local r = rng(99)
        -- a big stream left mid-block, its set past the size a reset keeps, then small ones
        local t = {}
        for i = 1, 6000 do t[i] = ("distinct paragraph number %d, long enough to count"):format(i) end
        local big = table.concat(t, "\n\n")
        local s = D.stream()
        assert(s:feed(big .. "\n\nan open block that never ends"))
        s:close()
        for _ = 1, 20 do
          local text = random_text(r, 20)
          local lines = r(2) == 1
          local parts = chunks(r, text, 40)
          if lines then
            local want = D.dedup_lines(text)
            assert.equal(want, (run_stream(D, { mode = "lines" }, parts)))
          else
            check_same(D, text, parts, ({ 0, 10, 50 })[r(3) + 1])
          end
        end
        s = D.stream()
        assert.equal(big, s:feed(big) .. s:finish())  -- nothing of the first stream's set is left
        s:close()
      end)

      it("rejects misuse", function()
        local s = D.stream()
        assert.equal("", s:feed("x"))
        assert.equal("x", s:finish())
        assert.has_error(function() s:feed("y") end, "Stream is finished")
        assert.has_error(function() s:finish() end, "Stream is finished")
        assert.equal(1, s:stats().bytes_in)
        s:close()
        s:close()  -- idempotent
        assert.equal("Stream (closed)", tostring(s))
        local ok, msg = pcall(s.feed, s, "x")
        assert.is_false(ok)
        assert.truthy(tostring(msg):find("Stream is closed", 1, true), msg)
        _, msg = pcall(s.stats, s)
        assert.truthy(tostring(msg):find("Stream is closed", 1, true), msg)
        _, msg = pcall(function() local x = D.stream(); x:feed() end)
        assert.truthy(tostring(msg):find("bad argument #1 to 'feed' (string expected, got no value)", 1, true)
          or tostring(msg):find("bad argument #1 to 'feed' (string expected, got nil)", 1, true), msg)
        local cases = {
          { function() D.stream("x") end, "bad argument #1 to 'stream' (table or nil expected, got string)" },
          { function() D.stream { mode = "words" } end,
            "bad argument #1 to 'stream' (mode must be \"blocks\" or \"lines\")" },
          { function() D.stream { mode = "lines", min_block_length = 3 } end,
            "bad argument #1 to 'stream' (min_block_length needs mode \"blocks\")" },
          { function() D.stream { delimiter = "\0" } end,
            "bad argument #1 to 'stream' (delimiter needs mode \"lines\")" },
          { function() D.stream { max_entries = 0 } end,
            "bad argument #1 to 'stream' (max_entries must be at least 1)" },
          { function() D.stream { max_key_bytes = 0 } end,
            "bad argument #1 to 'stream' (max_key_bytes must be at least 1)" },
          { function() D.stream { max_entries = -1 } end,
            "bad argument #1 to 'stream' (max_entries must be a non-negative integer)" },
          { function() D.stream { counts = true } end, "bad argument #1 to 'stream' (unknown option 'counts')" },
        }
        for _, c in ipairs(cases) do assert.has_error(c[1], c[2]) end
        assert.equal("Stream (lines)", tostring(D.stream { mode = "lines" }))
      end)
    end)
  end

  if #backends == 2 then
    it("native equals fallback chunk by chunk, stats included", function()
      local N, F = backends[1].mod, backends[2].mod
      local r = rng(99)
      for _ = 1, 150 do
        local t = random_text(r, 30)
        local o = { min_block_length = ({ 0, 10, 50 })[r(3) + 1], max_entries = r(6) + 1,
                    max_key_bytes = ({ 1, 40, 200, 100000 })[r(4) + 1] }
        local ns, fs = N.stream(o), F.stream(o)
        for _, c in ipairs(chunks(r, t, 9)) do
          assert.equal(fs:feed(c), ns:feed(c))
          assert.same(fs:stats(), ns:stats())
        end
        assert.equal(fs:finish(), ns:finish())
        assert.same(fs:stats(), ns:stats())
      end
    end)
  end
end)
