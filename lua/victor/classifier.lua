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
  local out = self.ud:scores(text, self.out)
  local cats, n, total = self.cats, #self.cats, 0
  for i = 1, n do total = total + out[3 * i - 2] end
  local res = {}
  for i = 1, n do
    local s = out[3 * i - 2]
    if s > 0 or all then
      res[#res + 1] = { category = cats[i], score = s, confidence = total > 0 and s / total or 0,
                        matched = out[3 * i - 1], negated = out[3 * i], index = i }
    end
  end
  -- insertion sort (a handful of categories; table.sort's Lua comparator would stop
  -- the JIT): score descending, then pack order (res is in pack order already)
  for i = 2, #res do
    local x, j = res[i], i - 1
    while j >= 1 and res[j].score < x.score do
      res[j + 1] = res[j]
      j = j - 1
    end
    res[j + 1] = x
  end
  local set = self.settings
  local top = res[1]
  if top and top.score > 0 and top.confidence >= set.min_confidence then
    res.type, res.confidence, res.budget = top.category, top.confidence, self.budgets[top.index] or set.default_budget
  else
    res.type, res.confidence, res.budget = set.default_category, top and top.confidence or 0, set.default_budget
  end
  for i = 1, #res do res[i].index = nil end
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
