-- spec/thinking_spec.lua: victor.thinking, the thinking-loop detector (issue 4): known answers from
-- Victor's thinking.rs where its semantics are sound, the bugs fixed, the rule-pack settings and
-- tags, streaming (feed) against whole thoughts, bad input, bounded memory, and the generated
-- evaluation set (no report on loop-free text, every loop found within 3 periods of its onset).
local th = require "victor.thinking"
local host = require "victor.host"
local rules = require "victor.rules"
local eval = require "support.thinking_eval"
local rng = require "support.rng"

-- One verdict as a short string ("F" for none), for outcome sequences.
local function brief(v)
  if not v then return "F" end
  return v.reason .. "/" .. v.count
end

local function run(thoughts, opts)
  local d = th.detector(opts)
  local out = {}
  for i, t in ipairs(thoughts) do out[i] = brief(d:add_thought(t)) end
  return out
end

-- Every verdict of a detector fed `text` in the chunks that `chunker(i)` sizes.
local function feed_all(text, chunker, opts)
  local d = th.detector(opts)
  local all = {}
  d.sink = all
  local i, k = 1, 0
  while i <= #text do
    k = k + 1
    local n = chunker and chunker(k) or #text
    d:feed(text:sub(i, i + n - 1))
    i = i + n
  end
  d:finish()
  return all, d
end

local raises = require "support.raises"

describe("victor.thinking", function()
  describe("rule pack", function()
    it("gives the tag pairs of the active rule set for the stream filter", function()
      local tags = th.tags()
      assert.are.equal(8, #tags)
      assert.are.same({ "<\239\189\156begin\226\150\129of\226\150\129thinking\239\189\156>",
        "<\239\189\156end\226\150\129of\226\150\129thinking\239\189\156>" }, tags[1])
      assert.are.same({ "<|begin_of_thinking|>", "<|end_of_thinking|>" }, tags[2])
      assert.are.same({ "<think>", "</think>" }, tags[3])
      assert.are.same({ "<seed:think>", "</seed:think>" }, tags[8])
      tags[1][1] = "x" -- a fresh copy every time
      assert.are_not.equal("x", th.tags()[1][1])
    end)

    it("takes tags and settings from a user pack without recompiling", function()
      local base = assert(host.defaults())
      local mine = assert(rules.load_string([[return { name = "mine", version = "1", rules = {
        { id = "tag-scratch", kind = "thinking_tag", open = "<scratchpad>", close = "</scratchpad>" },
        { id = "thinking-defaults", kind = "thinking_defaults", repeats = 5, window = 20 } } }]], "mine.lua"))
      local pack = assert(rules.merge(base, mine))
      assert.are.same({ "<scratchpad>", "</scratchpad>" }, th.tags(pack)[9])
      local s = th.settings(pack)
      assert.are.same({ 5, 20, 0.65, 2 }, { s.repeats, s.window, s.similarity, s.stalls })
      local x = { "Analyzing the auth module" }
      assert.are.same({ "F", "F", "F", "F", "exact_repeat/5" }, run({ x[1], x[1], x[1], x[1], x[1] }, { pack = pack }))
    end)

    it("keeps the built-in set named after rules/default.lua", function()
      local p = assert(host.defaults())
      assert.are.equal("default", p.name)
      assert.are.equal(2, #rules.enabled(p, "loop"))
      assert.are.same(th.DEFAULTS, th.settings(p))
    end)
  end)

  describe("known answers (Victor's ThinkingDetector, defaults 3, 0.65, 10, 2)", function()
    it("exact repetition on the third, and again on the fourth", function()
      local v
      local d = th.detector()
      for _ = 1, 3 do v = d:add_thought("Analyzing the auth module") end
      assert.are.same({ loop = true, reason = "exact_repeat", span = { 1, 75 }, period = 25, count = 3,
        phrase = "Analyzing the auth module", similarity = 1 }, v)
      assert.are.equal(4, d:add_thought("Analyzing the auth module").count)
    end)

    it("is whitespace-insensitive", function()
      assert.are.same({ "F", "F", "exact_repeat/3" },
        run({ "Analyzing  the auth module", "Analyzing the\nauth module", " Analyzing the auth module " }))
    end)

    it("finds case variants as near repeats (no case folding in the exact key)", function()
      assert.are.same({ "F", "F", "near_repeat/3" },
        run({ "Analyzing the auth module", "analyzing the auth module", "ANALYZING THE AUTH MODULE" }))
    end)

    it("stalls on the second intent in a row, and goes on counting", function()
      assert.are.same({ "F", "stall/2", "stall/3" },
        run({ "Let me read the file", "Let me check the code", "Let me check the code again" }))
      assert.are.same({ "F", "stall/2" }, run({ "Let me search for the function definition",
        "Let me find the class definition" }))
      local d = th.detector()
      d:add_thought("Let me read the file")
      local v = d:add_thought("I'll check the code now")
      assert.are.same({ loop = true, reason = "stall", span = { 1, 43 }, count = 2, phrase = "i'll" }, v)
    end)

    it("resets the stall count on a thought that acts", function()
      assert.are.same({ "F", "F", "F" },
        run({ "Let me read the file", "The file contains user authentication logic", "Let me check the code" }))
    end)

    it("finds the semantic case of threshold 0.6", function()
      assert.are.same({ "F", "F", "near_repeat/3" }, run({ "Reading authentication module source code file",
        "Reading authentication module source file content", "Reading authentication module source code content" },
        { similarity = 0.6 }))
    end)

    it("stalls on Victor's positives and not on its negatives", function()
      for _, t in ipairs({ "Let me read the file first", "I'll check the code now", "Now I need to analyze" }) do
        assert.are.same({ "F", "stall/2" }, run({ t, t:upper() }), t)
      end
      for _, t in ipairs({ "The code shows that", "Based on the analysis..." }) do
        assert.are.same({ "F", "F" }, run({ t, "Let me see" }), t)
      end
    end)
  end)

  describe("Victor's bugs, fixed", function()
    it("stays right past the history ring: 12,000 loop-free thoughts give no report", function()
      -- the thoughts' slots wrap around (RING = 2 x MAX_HISTORY); a lookup by thought number
      -- instead of slot made every pair an exact copy past the first wrap
      local d = th.detector()
      local words = { "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
        "kilo", "lima" }
      local reports = 0
      for i = 1, 12000 do
        local t = ("Thought %s %s %s about item %s here"):format(words[i % 12 + 1], words[i * 7 % 12 + 1],
          words[(i * 5 + 3) % 12 + 1], ("x"):rep(i % 97))
        if d:add_thought(t) then reports = reports + 1 end
      end
      assert.equal(0, reports)
      -- and a loop after the wrap is still found
      local v
      for _ = 1, 3 do v = d:add_thought("Let me check the configuration file once more.") or v end
      assert.equal("exact_repeat", v and v.reason)
    end)

    it("windows exact repeats (Victor's counter never forgets)", function()
      local d = th.detector()
      d:add_thought("Analyzing the auth module")
      d:add_thought("Analyzing the auth module")
      for i = 1, 20 do d:add_thought(("Step %d: the parser handles case %d of the grammar."):format(i, i * 7)) end
      assert.is_nil(d:add_thought("Analyzing the auth module"))
    end)

    it("needs word boundaries for stall openings", function()
      for _, t in ipairs({ "nowhere to be found in the code", "Firstly the parser reads the header",
        "now = os.time()", "first = items[1]" }) do
        assert.are.same({ "F", "F" }, run({ t, t }), t)
      end
      assert.are.same({ "F", "stall/2" }, run({ "Now, the output", "First, the input" }))
    end)

    it("does not hide a stall behind a leading blank line", function()
      assert.are.same({ "F", "stall/2" }, run({ "\nLet me read the file", "\n\nLet me check the code" }))
    end)

    it("matches circular phrases as whole words, with typographic apostrophes", function()
      local d = th.detector({ circular = 2 })
      assert.is_nil(d:add_thought("You know i'll be late"))
      assert.is_nil(d:add_thought("I'll read it"))
      local v = d:add_thought("Then I\226\128\153ll read the tests")
      assert.are.same({ loop = true, reason = "circular_phrase", span = { 22, 49 }, period = 17, count = 2,
        phrase = "i'll read" }, v)
      assert.is_nil(th.detector({ circular = 1 }):add_thought("L\195\169t me see"))
    end)
  end)

  describe("circular phrases", function()
    it("reports a phrase whose weighted count in the window reaches the score", function()
      local text = "Let me check the parser. The lexer is fine. Let me check the tests. The output differs. "
        .. "Let me check the fixtures. "
      local all = feed_all(text)
      assert.are.equal(1, #all)
      local v = all[1]
      assert.are.same({ "circular_phrase", "let me check", 3, 44 }, { v.reason, v.phrase, v.count, v.period })
      assert.are.equal(45, text:find("Let me check", 2, true))
      assert.are.equal("Let me check", text:sub(v.span[2] - 11, v.span[2]))
      assert.are.equal(1, v.span[1])
      -- sequencing phrases weigh 0.5: three are not enough
      assert.are.same({}, feed_all("Now let me think. It is odd. Now let me think. It is odd. Now let me think. "))
    end)

    it("forgets occurrences older than the window", function()
      local d = th.detector()
      d:add_thought("Let me check the parser")
      d:add_thought("Let me check the tests now")
      for i = 1, 10 do d:add_thought(("Fact %d about the grammar is different."):format(i)) end
      assert.is_nil(d:add_thought("Let me check the fixtures"))
    end)
  end)

  describe("feed", function()
    it("splits thoughts at newlines and at . ! ? before a space or tab", function()
      -- "Version 3.14 is out. " "Is it? " "Yes!\t" "Good.Next line\n" "last"
      local d = th.detector()
      d:feed("Version 3.14 is out. Is it? Yes!\tGood.Next line\nlast")
      assert.are.same({ 4, 4 }, { d:stats().thoughts, d:stats().pending })
      d:finish()
      assert.are.same({ 5, 0 }, { d:stats().thoughts, d:stats().pending })
      d:feed("A.")
      assert.are.same({ 5, 2 }, { d:stats().thoughts, d:stats().pending }) -- waits for the next byte
      d:feed(" ")
      assert.are.same({ 6, 0 }, { d:stats().thoughts, d:stats().pending })
    end)

    it("finds the same loops for every chunking, with stream offsets", function()
      local text = "Intro text here.\nThe check fails again. The check fails again. The check fails again. Done.\n"
      local whole = feed_all(text)
      assert.are.equal(1, #whole)
      assert.are.equal("exact_repeat", whole[1].reason)
      assert.are.same({ 18, 86 }, whole[1].span)
      assert.are.equal(("The check fails again. "):rep(3), text:sub(18, 86))
      assert.are.same(whole, (feed_all(text, function() return 1 end)))
      local r = rng(7)
      for _ = 1, 50 do
        assert.are.same(whole, (feed_all(text, function() return 1 + r(9) end)))
      end
    end)

    it("agrees with add_thought on the thoughts it splits", function()
      local text = "Check the cache now. Check the cache now. Check the cache now. "
      local d = th.detector()
      local a = {}
      for s in text:gmatch("[^.]+%. ") do a[#a + 1] = brief(d:add_thought(s)) end
      assert.are.same({ "F", "F", "exact_repeat/3" }, a)
      assert.are.same("exact_repeat/3", brief(feed_all(text)[1]))
    end)

    it("refuses add_thought while a partial thought is pending", function()
      local d = th.detector()
      d:feed("half a thou")
      raises("detector has a partial thought from feed(); call finish() before add_thought()", d.add_thought, d, "x")
      d:finish()
      assert.is_nil(d:add_thought("x"))
    end)
  end)

  describe("scan", function()
    it("returns one report per loop, in stream order", function()
      local unit = "The build failed again with the same error message. "
      local text = "Start.\n" .. unit:rep(6) .. "\nThen something else entirely happens here.\n"
        .. ("I keep writing this line again.\n"):rep(4)
      local out = th.scan(text)
      assert.are.equal(2, #out)
      assert.are.same({ "exact_repeat", 6, #unit }, { out[1].reason, out[1].count, out[1].period })
      assert.are.equal(unit:rep(6), text:sub(out[1].span[1], out[1].span[2]))
      assert.are.same({ "exact_repeat", 4 }, { out[2].reason, out[2].count })
      assert.are.same(out, th.scan(text)) -- deterministic
      assert.are.same({}, th.scan(""))
    end)
  end)

  describe("bad input", function()
    it("raises on misuse in the standard shape", function()
      local d = th.detector()
      raises("bad argument #1 to 'add_thought' (string expected, got nil)", d.add_thought, d)
      raises("bad argument #1 to 'add_thought' (string expected, got number)", d.add_thought, d, 5)
      raises("bad argument #1 to 'feed' (string expected, got table)", d.feed, d, {})
      raises("bad argument #1 to 'scan' (string expected, got nil)", th.scan)
      raises("bad argument #2 to 'scan' (table expected, got string)", th.scan, "x", "y")
      raises("bad argument #1 to 'detector' (table expected, got number)", th.detector, 3)
      raises("bad argument #1 to 'detector' (unknown option 'repeat')", th.detector, { ["repeat"] = 3 })
      raises("bad argument #1 to 'detector' (option 'repeats': integer in 2..1000 expected, got 1)",
        th.detector, { repeats = 1 })
      raises("bad argument #1 to 'detector' (option 'similarity': number in 0.01..1 expected, got string)",
        th.detector, { similarity = "0.5" })
      raises("bad argument #1 to 'detector' (option 'window': integer in 2..1024 expected, got 2.5)",
        th.detector, { window = 2.5 })
      raises("bad argument #1 to 'tags' (table expected, got string)", th.tags, "x")
      raises("bad argument #2 to 'cosine' (string expected, got nil)", th.cosine, "x")
    end)

    it("takes invalid UTF-8 and NUL bytes", function()
      local unit = "bad \255\254 bytes and a \0 NUL in this thought. "
      local out = th.scan("x\0y\n" .. unit:rep(3))
      assert.are.equal(1, #out)
      assert.are.same({ "exact_repeat", 3, #unit }, { out[1].reason, out[1].count, out[1].period })
      assert.is_number(th.cosine("\255\0\128", "\0\0\0"))
    end)

    it("keeps memory bounded: a long line, a long stream", function()
      local d = th.detector()
      local chunk = ("x"):rep(1000)
      for _ = 1, 1000 do d:feed(chunk) end -- 1 MB without a boundary
      assert.is_true(d:stats().pending < th.MAX_THOUGHT)
      assert.are.equal(244, d:stats().thoughts) -- split every MAX_THOUGHT bytes
      d = th.detector()
      for i = 1, 20000 do d:add_thought(("line %d with some words %d"):format(i, i * 3)) end
      local s = d:stats()
      assert.are.equal(20000, s.thoughts)
      assert.is_true(s.kept <= th.MAX_HISTORY)
      assert.is_true(s.kept <= 8192 / 20 + 11)
    end)
  end)

  describe("evaluation set", function()
    it("reports nothing on loop-free text", function()
      for _, c in ipairs(eval.loop_free()) do
        local out = th.scan(c.text)
        assert.are.same({}, out, c.name)
      end
    end)

    it("finds every loop within 3 periods of its onset, and nothing before it", function()
      local cases = eval.loops()
      assert.are.equal(#eval.PERIODS * #eval.REPEATS * 2, #cases)
      for _, c in ipairs(cases) do
        local all = feed_all(c.text, function() return 64 end)
        assert.is_true(#all > 0, c.name .. ": not found")
        local first = all[1]
        assert.is_true(first.span[2] >= c.onset, c.name .. ": report before the loop")
        assert.is_true(first.span[2] <= c.third_end, ("%s: found at +%d, third copy ends at +%d"):format(c.name,
          first.span[2] - c.onset + 1, c.third_end - c.onset + 1))
        assert.is_true(first.reason == "exact_repeat" or first.reason == "near_repeat", c.name)
        assert.is_true(first.span[1] >= c.onset - 1 and first.span[1] <= c.onset + c.period, c.name)
      end
    end)
  end)
end)
