--- victor.classifier: rank the task categories of a prompt by weighted keywords
--- (rules of kind classifier_category and classifier_defaults; the default pack is
--- rules/classifier.lua, Victor's categories, weights and thresholds).
--
-- Scoring is defined in the design note of core/patterns.h: one Aho-Corasick scan,
-- leftmost-longest, ASCII case-insensitive and at word boundaries (the pack's
-- classifier_defaults can switch both off), every keyword and negation word of
-- the pack in one automaton. A keyword at byte s (0-based) of an L-byte prompt
-- adds weight x (1 + position_weight x (1 - s/L)) to each category that lists it,
-- or, when a negation word started at most negation_window bytes before it,
-- subtracts weight x 0.5; a category's score is at least 0. Confidence is a
-- category's share of the total score. The ranking is by score, ties in order of
-- the categories' first appearance in the pack; the prompt's type is the first
-- category unless its confidence is below min_confidence (or nothing scored):
-- then default_category.
--
-- Keyword spellings with ' also match with U+2019 (don't / don’t). A keyword listed
-- twice in one category counts once, with the last weight given.
local native = require "victor.native"
local args = require "victor.args"
local rules = require "victor.rules"

local impl = native.load("patterns") or require "victor.fallback.patterns"

local M = {}

local type, error, sfmt, setmetatable, getmetatable = type, error, string.format, setmetatable, getmetatable
local slower, sfind, sgsub = string.lower, string.find, string.gsub
local argerror = args.argerror
local each_next = next

M.backend = native.load("patterns") and "native" or "fallback"

--- The settings used when a pack has no classifier_defaults rule (Victor's).
M.DEFAULTS = {
  negations = { "don't", "do not", "dont", "shouldn't", "should not", "wouldn't", "would not", "can't", "cannot",
    "not", "never", "without", "avoid", "skip", "ignore" },
  negation_window = 20,
  position_weight = 0.1,
  min_confidence = 0.3,
  default_category = "default",
  default_budget = 20,
  word_boundary = true,
  case_insensitive = true,
}

local RSQUO = "\226\128\153" -- U+2019

-- The spellings of a keyword: itself, and with U+2019 for each ' (all or none).
local function spellings(p)
  if sfind(p, "'", 1, true) then return { p, (sgsub(p, "'", RSQUO)) } end
  return { p }
end

-- The native ranking through the FFI: the kernel called by its address with the Classifier
-- userdata (its block: the pointer that closing clears) and a double buffer, which LuaJIT
-- compiles into the caller's trace; the classic C call (ud:scores) cannot be compiled.
-- nil without the native module or the FFI.
local ffi_rank, DBUF
do
  local ffi_ok, ffi = pcall(require, "ffi")
  if M.backend == "native" and ffi_ok and impl.fn_ptrs then
    ffi_rank = ffi.cast("int (*)(void *, const char *, size_t, int, double *)", impl.fn_ptrs().rank)
    DBUF = ffi.typeof("double[?]")
  end
end

-- The ranking as ffi_rank writes it (core/lua_patterns.c), from the table of ud:scores
-- (out[3i-2], out[3i-1], out[3i]: score, matched, negated of category i): r[0] = the
-- total, r[1] = m, then per rank k (0-based) r[2+4k] = category, r[3+4k] = score,
-- r[4+4k] = matched, r[5+4k] = negated; score descending, ties in category order.
local function rank_table(out, n, all, r)
  local total, m = 0, 0
  for i = 1, n do
    local s = out[3 * i - 2]
    total = total + s
    if s > 0 or all then
      local k = m
      while k > 0 and r[3 + 4 * (k - 1)] < s do
        for f = 2, 5 do r[f + 4 * k] = r[f + 4 * (k - 1)] end
        k = k - 1
      end
      r[2 + 4 * k], r[3 + 4 * k], r[4 + 4 * k], r[5 + 4 * k] = i, s, out[3 * i - 1], out[3 * i]
      m = m + 1
    end
  end
  r[0], r[1] = total, m
  return r
end

-- The result tables from a ranking, as a function compiled per classifier: straight-line
-- code for up to 32 categories (LuaJIT keeps it in the caller's trace; a loop over a
-- handful of ranks would be a short loop, which it leaves to the interpreter), a loop
-- beyond. res is copied from a template with a slot per category and the three fields
-- classify adds (filling an empty table would resize it on the way); the slots past the
-- ranks are cleared.
local ROW = "res[%s] = { category = cats[r[%s]], score = r[%s], confidence = total > 0 and r[%s] / total or 0, "
  .. "matched = r[%s], negated = r[%s] }\n"
-- One chunk per number of categories, shared by every classifier with that many: its
-- closures then share a prototype, so LuaJIT keeps one trace for all of them (a chunk per
-- classifier gave each its own, and a process with two classifiers paid for the switch).
local builders = {}
local function result_builder(cats)
  local n = #cats
  local make = builders[n]
  if not make then
    local src = { "return function(cats)\nreturn function(r)\nlocal total, m = r[0], r[1]\n" }
    if n <= 32 then
      src[#src + 1] = "local res = { " .. ("false, "):rep(n) .. "type = false, confidence = false, budget = false }\n"
      for k = 1, n do
        local b = 4 * k - 2
        src[#src + 1] = ("if m < %d then\n"):format(k)
        for j = k, n do src[#src + 1] = ("res[%d] = nil\n"):format(j) end
        src[#src + 1] = "return res\nend\n"
        src[#src + 1] = ROW:format(k, b, b + 1, b + 1, b + 2, b + 3)
      end
    else
      src[#src + 1] = "local res = {}\nfor k = 1, m do\nlocal b = 4 * k - 2\n"
      src[#src + 1] = ROW:format("k", "b", "b + 1", "b + 1", "b + 2", "b + 3")
      src[#src + 1] = "end\n"
    end
    src[#src + 1] = "return res\nend\nend\n"
    make = assert(load(table.concat(src), "=victor.classifier ranking"))()
    builders[n] = make
  end
  return make(cats)
end

local Classifier = { __name = "Classifier" }
Classifier.__index = Classifier

function Classifier.__tostring(self) return self.ud and "Classifier" or "Classifier (closed)" end

-- Compile a validated pack: nil, msg, code on a limit.
local function build(pack)
  local set = {}
  for k, v in each_next, M.DEFAULTS do set[k] = v end
  local cats, cat_index, budgets = {}, {}, {}
  -- keyword (folded) -> { order of categories, weight by category }
  local by_kw, kw_order, kw_spelling = {}, {}, {}
  local function entry(kw, cat, w)
    local key = set.case_insensitive and slower(kw) or kw
    local e = by_kw[key]
    if not e then
      e = { cats = {}, w = {} }
      by_kw[key] = e
      kw_order[#kw_order + 1] = key
      kw_spelling[key] = kw
    end
    if e.w[cat] == nil then e.cats[#e.cats + 1] = cat end
    e.w[cat] = w
  end
  local enabled = rules.enabled(pack)
  for _, r in ipairs(enabled) do
    if r.kind == "classifier_defaults" then
      for k in each_next, M.DEFAULTS do
        if r[k] ~= nil then set[k] = r[k] end
      end
    end
  end
  for _, r in ipairs(enabled) do
    if r.kind == "classifier_category" then
      local c = cat_index[r.category]
      if not c then
        cats[#cats + 1] = r.category
        c = #cats
        cat_index[r.category] = c
      end
      if r.budget ~= nil then budgets[c] = r.budget end
      for _, kw in ipairs(r.keywords) do entry(kw, c, r.weight) end
    end
  end
  for _, kw in ipairs(set.negations) do entry(kw, 0, 0) end
  local pats, ep, ec, ew = {}, {}, {}, {}
  for _, key in ipairs(kw_order) do
    local e = by_kw[key]
    for _, sp in ipairs(spellings(kw_spelling[key])) do
      pats[#pats + 1] = sp
      for _, c in ipairs(e.cats) do
        ep[#ep + 1], ec[#ec + 1], ew[#ew + 1] = #pats, c, e.w[c]
      end
    end
  end
  if #pats == 0 then return nil, "the pack has no classifier keywords", "EINVAL" end
  local ud, msg, code = impl.classifier(pats, ep, ec, ew, #cats, set.case_insensitive, set.word_boundary,
    set.negation_window, set.position_weight, 0)
  if not ud then return nil, msg, code end
  return setmetatable({ ud = ud, cats = cats, budgets = budgets, settings = set, out = {},
                        rank = DBUF and DBUF(2 + 4 * #cats) or {}, results = result_builder(cats),
                        npatterns = #pats }, Classifier)
end

local compiled = setmetatable({}, { __mode = "k" })

--- Compile the classifier rules of a pack (default: the active rule set,
--- victor.host.rules()) for reuse; nil, msg, code when the pack has no keywords
--- ("EINVAL") or its automaton is over the memory limit ("ELIMIT").
---@param pack? victor.RulePack
---@return table|nil classifier
---@return string|nil msg
---@return string|nil code
function M.compile(pack)
  if pack == nil then pack = require("victor.host").rules() end
  if type(pack) ~= "table" then argerror(1, "compile", "table expected, got " .. type(pack)) end
  return build(pack)
end

local function check_self(self, fname)
  if getmetatable(self) ~= Classifier then
    error(sfmt("bad argument #1 to '%s' (Classifier expected, got %s)", fname, type(self)), 3)
  end
  if not self.ud then error("Classifier is closed", 3) end
end

local OPTS = { all = "boolean", pack = "table" }

--- Classify a prompt: a ranked array of { category =, score =, confidence =,
--- matched =, negated = } (categories with a score above 0; all of them with
--- opts.all), with fields type (the first category, or the default category
--- when its confidence is under min_confidence or nothing scored), confidence (the
--- first category's, else 0) and budget (the type's tool budget).
---@param text string
---@param opts? {all?: boolean}
---@return table ranking
function Classifier:classify(text, opts)
  check_self(self, "classify")
  if type(text) ~= "string" then
    argerror(1, "classify", "string expected, got " .. (text == nil and "nil" or type(text)))
  end
  local all = false
  if opts ~= nil then
    opts = args.check_opts(opts, { all = "boolean" }, 2, "classify")
    all = opts.all or false
  end
  local r = self.rank
  if DBUF then
    if ffi_rank(self.ud, text, #text, all and 1 or 0, r) ~= 0 then error("Classifier is closed", 2) end
  else
    rank_table(self.ud:scores(text, self.out), #self.cats, all, r)
  end
  local res = self.results(r)
  local set = self.settings
  local top = res[1]
  if top and top.score > 0 and top.confidence >= set.min_confidence then
    res.type, res.confidence, res.budget = top.category, top.confidence, self.budgets[r[2]] or set.default_budget
  else
    res.type, res.confidence, res.budget = set.default_category, top and top.confidence or 0, set.default_budget
  end
  return res
end

--- The categories in pack order.
---@return string[]
function Classifier:categories()
  check_self(self, "categories")
  local t = {}
  for i, c in ipairs(self.cats) do t[i] = c end
  return t
end

function Classifier:close()
  if self.ud then self.ud:close() end
  self.ud = nil
end

--- Classify a prompt with the classifier rules of opts.pack (default: the active
--- rule set), compiled once per pack. Same result as Classifier:classify.
---@param text string
---@param opts? {all?: boolean, pack?: victor.RulePack}
---@return table ranking
function M.classify(text, opts)
  if type(text) ~= "string" then
    argerror(1, "classify", "string expected, got " .. (text == nil and "nil" or type(text)))
  end
  local pack
  if opts ~= nil then
    opts = args.check_opts(opts, OPTS, 2, "classify")
    pack = opts.pack
  end
  if pack == nil then pack = require("victor.host").rules() end
  local c = compiled[pack]
  if not c then
    local msg, code
    c, msg, code = build(pack)
    if not c then return nil, msg, code end
    compiled[pack] = c
  end
  return c:classify(text, opts and opts.all ~= nil and { all = opts.all } or nil)
end

return M
