-- classifier_spec.lua: victor.classifier on both backends with the default pack
-- (rules/classifier.lua) and small packs of our own; native == fallback on random prompts.
local rng = require "support.rng"  -- deterministic xorshift32
local raises = require "support.raises"
local rules = require "victor.rules"

local native = require "victor.native"

-- victor.classifier on each backend (its native kernel is "patterns").
local function load_public(fallback)
  local saved = package.loaded["victor.classifier"]
  package.loaded["victor.classifier"] = nil
  native.force_fallback(fallback)
  local m = require "victor.classifier"
  native.force_fallback(os.getenv("VICTOR_NO_NATIVE") == "1")
  package.loaded["victor.classifier"] = saved
  return m
end
local backends = { { name = "fallback", mod = load_public(true) } }
if pcall(require, "victor.core.patterns") and os.getenv("VICTOR_NO_NATIVE") ~= "1" then
  table.insert(backends, 1, { name = "native", mod = load_public(false) })
  assert(backends[1].mod.backend == "native")
end

local function pack(list)
  return assert(rules.validate({ name = "t", version = "1", rules = list }, "t"))
end

local DEFAULT = assert(rules.load_file("rules/classifier.lua"))

local function summary(r)
  local t = { r.type, string.format("%.6f", r.confidence), r.budget }
  for _, e in ipairs(r) do
    t[#t + 1] = string.format("%s:%.6f:%d:%d", e.category, e.score, e.matched, e.negated)
  end
  return table.concat(t, " ")
end

local function backend_specs(C)
  it("reproduces Victor's probe vectors where it agrees (reference §7)", function()
    local cases = {
      { "Run the tests and deploy to production", "action 1.000000 15 action:2.905789:3:0" },
      { "Analyze the codebase for security issues", "analysis 1.000000 30 analysis:1.100000:1:0" },
      { "Create a new authentication module", "generation 1.000000 20 generation:1.851471:2:0" },
      { "Find all usages of the deprecated API", "search 1.000000 10 search:1.100000:1:0" },
      { "Refactor the database connection code", "edit 1.000000 15 edit:1.100000:1:0" },
      { "Don't run the tests yet", "default 0.000000 20" },
      { "Hello, how are you?", "default 0.000000 20" },
      { "", "default 0.000000 20" },
      -- 1.1 / (1.1 + 0.9 x (1 + 0.1 x 3/11)) = 0.543332, as in Victor
      { "fix and run", "edit 0.543332 15 edit:1.100000:1:0 action:0.924545:1:0" },
      { "run fix", "edit 0.513001 15 edit:1.042857:1:0 action:0.990000:1:0" },
      { "Do not create a new file, just fix the bug", "edit 1.000000 15 edit:1.026190:1:0" },
      { "cannot build", "default 0.000000 20" },
    }
    for _, c in ipairs(cases) do assert.equal(c[2], summary(C.classify(c[1], { pack = DEFAULT })), c[1]) end
  end)

  it("matches whole words: latest is not test, noted does not negate", function()
    -- Victor: Generation 0.500046 from substrings (test, new, add, list); here only "list"
    assert.equal("search 1.000000 10 search:0.708235:1:0",
      summary(C.classify("latest news about the address list", { pack = DEFAULT })))
    assert.equal("action 1.000000 15 action:0.820000:1:0", summary(C.classify("I noted the test", { pack = DEFAULT })))
    assert.equal("default 0.000000 20", summary(C.classify("another contest", { pack = DEFAULT })))
  end)

  it("negates within the window, backwards only, in both apostrophes", function()
    local all = { pack = DEFAULT, all = true }
    local r = C.classify("don't test this", all)
    assert.equal(1, r[1].negated)
    assert.equal("default", r.type)
    assert.equal(1, C.classify("don\226\128\153t test this", all)[1].negated)
    -- "test" starts 20 bytes after "never": negated; 21: counted
    assert.equal(1, C.classify("never" .. string.rep(" ", 15) .. "test", all)[1].negated)
    assert.equal(1, C.classify("never" .. string.rep(" ", 16) .. "test", all)[1].matched)
    assert.equal("action", C.classify("test, never mind", { pack = DEFAULT }).type)
  end)

  it("weights early keywords more (position weight)", function()
    local p = pack({ { id = "a", kind = "classifier_category", category = "a", keywords = { "alpha" } },
      { id = "b", kind = "classifier_category", category = "b", keywords = { "beta" } } })
    local r = C.classify("alpha beta", { pack = p })
    assert.same({ "a", "b" }, { r[1].category, r[2].category })
    assert.equal(1 + 0.1, r[1].score)
    assert.equal(1 + 0.1 * (1 - 6 / 10), r[2].score)
    r = C.classify("beta alpha", { pack = p })
    assert.equal("b", r[1].category)
    assert.equal("a", r.type == "a" and "x" or r[2].category)
  end)

  it("breaks ties by pack order and applies the threshold", function()
    local function p_min(m)
      return pack({
        { id = "a", kind = "classifier_category", category = "a", keywords = { "x" }, budget = 5 },
        { id = "b", kind = "classifier_category", category = "b", keywords = { "x" } },
        { id = "c", kind = "classifier_category", category = "c", keywords = { "y" } },
        { id = "d", kind = "classifier_defaults", min_confidence = m, position_weight = 0,
          default_category = "none", default_budget = 7 },
      })
    end
    local r = C.classify("x", { pack = p_min(0.51) })
    assert.equal("none 0.500000 7 a:1.000000:1:0 b:1.000000:1:0", summary(r))
    local p = p_min(0.5)
    assert.equal("a 0.500000 5 a:1.000000:1:0 b:1.000000:1:0", summary(C.classify("x", { pack = p })))
    assert.equal("a 0.500000 5 a:1.000000:1:0 b:1.000000:1:0 c:0.000000:0:0",
      summary(C.classify("x", { pack = p, all = true })))
  end)

  it("honours the matching settings and phrases", function()
    local p = pack({
      { id = "a", kind = "classifier_category", category = "a", keywords = { "clean", "clean up" }, weight = 2 },
      { id = "d", kind = "classifier_defaults", word_boundary = false, case_insensitive = false, position_weight = 0 },
    })
    assert.equal("a 1.000000 20 a:4.000000:2:0", summary(C.classify("cleanup clean up CLEAN", { pack = p })))
  end)

  it("compiles once for reuse", function()
    local c = assert(C.compile(DEFAULT))
    assert.same({ "action", "analysis", "generation", "search", "edit" }, c:categories())
    assert.equal("edit", c:classify("fix it").type)
    assert.equal("Classifier", tostring(c))
    c:close()
    c:close()
    raises("Classifier is closed", c.classify, c, "x")
    assert.same({ nil, "the pack has no classifier keywords", "EINVAL" },
      { C.compile(pack({ { id = "d", kind = "classifier_defaults", negations = {} } })) })
  end)

  it("keeps each classifier's categories when several have as many", function()
    -- classifiers with the same number of categories share their result code, not their names
    local function two(a, b)
      return assert(C.compile(pack({
        { id = a, kind = "classifier_category", category = a, weight = 1, keywords = { "red" } },
        { id = b, kind = "classifier_category", category = b, weight = 0.5, keywords = { "blue" } },
      })))
    end
    local x, y = two("x1", "x2"), two("y1", "y2")
    for _ = 1, 200 do
      local rx, ry = x:classify("red blue"), y:classify("blue red")
      assert.same({ "x1", "x2" }, { rx[1].category, rx[2].category })
      assert.same({ "y1", "y2" }, { ry[1].category, ry[2].category })
      assert.equal("x2", x:classify("blue").type)
      assert.equal("y1", y:classify("red").type)
    end
  end)

  it("uses the active rule set by default", function()
    assert.equal("search", C.classify("grep for it").type)
  end)

  it("raises on misuse", function()
    raises("bad argument #1 to 'classify' (string expected, got nil)", C.classify, nil)
    raises("bad argument #2 to 'classify' (unknown option 'x')", C.classify, "a", { x = 1 })
    raises("bad argument #1 to 'compile' (table expected, got string)", C.compile, "p")
    local c = assert(C.compile(DEFAULT))
    raises("bad argument #1 to 'classify' (Classifier expected, got string)", c.classify, "x")
  end)
end

for _, b in ipairs(backends) do
  describe("victor.classifier (" .. b.name .. ")", function()
    backend_specs(b.mod)
  end)
end

if #backends == 2 then
  describe("victor.classifier native == fallback", function()
    -- Debian's LuaJIT (2.1, 2022 snapshot) on arm64 fuses a * b + c into one FMADD in compiled
    -- traces (the interpreter does not), so the fallback's scores can differ from the C kernel's
    -- in the last bit there: compare the interpreted fallback on arm64 (make test-arm64)
    local function backends_to_compare()
      if jit.arch == "arm64" then
        jit.off()
        finally(function() jit.on() end)
      end
      return backends[1].mod, backends[2].mod
    end

    -- the pieces joined (with or without spaces), classified by both backends: the same ranking
    local function agree(N, F, r, t, pack_)
      local text = table.concat(t, r(3) == 0 and "" or " ")
      assert.same(F.classify(text, { pack = pack_, all = true }), N.classify(text, { pack = pack_, all = true }), text)
    end

    it("gives the same ranking on random prompts", function()
      local N, F = backends_to_compare()
      local words = { "run", "tests", "test", "deploy", "fix", "don't", "not", "never", "new", "create",
        "what is", "look for", "clean up", "the", "latest", "a", "code", "and", ",", "Refactor", "FIND", "skip" }
      local r = rng(99)
      for _ = 1, 500 do
        local t = {}
        for i = 1, r(30) do t[i] = words[r(#words) + 1] end
        agree(N, F, r, t, DEFAULT)
      end
    end)

    it("gives the same ranking with random packs (phrases, punctuation, case, long keywords, options)", function()
      local N, F = backends_to_compare()
      -- the native scan takes one probe per word, walks phrases and keywords that start with
      -- punctuation, and hands keywords over 64 bytes to the stream: all must agree
      local pieces = { "run", "Run", "test", "tests", "_x", "x1", " ", "'", "+", "-", "\226\128\153", "c++", ".env",
        "do not", "clean up", string.rep("long", 5), string.rep("longer", 12) }
      local r = rng(7)
      for _ = 1, 200 do
        local kws, seen = {}, {}
        for _ = 1, 1 + r(8) do
          local k = {}
          for i = 1, 1 + r(3) do k[i] = pieces[r(#pieces) + 1] end
          local kw = table.concat(k)
          if kw:find("%S") and not seen[kw] then
            seen[kw] = true
            kws[#kws + 1] = kw
          end
        end
        local p = pack({
          { id = "a", kind = "classifier_category", category = "a", weight = 1, keywords = kws },
          { id = "b", kind = "classifier_category", category = "b", weight = 0.5, keywords = { kws[1], "test" } },
          { id = "d", kind = "classifier_defaults", case_insensitive = r(2) == 0, word_boundary = r(4) ~= 0,
            negations = { "not", "don't" } },
        })
        local t = {}
        for i = 1, r(40) do t[i] = r(3) == 0 and kws[r(#kws) + 1] or pieces[r(#pieces) + 1] end
        agree(N, F, r, t, p)
      end
    end)
  end)
end
