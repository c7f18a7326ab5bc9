--- victor.thinking: a loop detector for a reasoning model's thoughts (issue 4; Victor's thinking.rs
--- redone), and the thinking tag pairs of the active rule set.
--
-- A detector is fed thoughts (`:add_thought(text)`) or raw streamed text (`:feed(delta)`, then
-- `:finish()`); each call returns a verdict table when the thought it completed shows a loop, else
-- nil. `thinking.scan(text)` runs a detector over a whole transcript and returns every loop.
--
-- Thoughts from feed(): a thought ends after a newline, or after a `.`, `!` or `?` followed by a
-- space or tab (that one byte belongs to the thought), or after MAX_THOUGHT bytes without either;
-- finish() ends the last one. Whitespace-only thoughts are skipped. Offsets are those of the fed
-- stream; for add_thought the stream is the concatenation of the thoughts given so far.
--
-- What is a loop (first match wins, in this order):
--  * exact_repeat / near_repeat: the last `repeats` copies of a unit of p consecutive thoughts
--    (p >= 1) follow each other. Thought i is a copy of thought i-p (or, that copy being edited, of
--    i-2p) when it is equal after collapsing whitespace (exact), or near: cosine of hashed character
--    3-gram vectors of the lowercased text >= `similarity`, with the same digit runs (thoughts that
--    differ in their numbers, such as log lines or "ok 1" / "ok 2", are progress, not repeats).
--    In a unit of 2+ thoughts, one thought per copy may be no copy at all (an edit), as long as
--    the run stays mostly exact. A run is a loop when at least half of its thoughts are exact
--    copies of thoughts of `min_bytes` or more; a run of near copies alone must be prose (none of
--    # < > { } [ ] | = * / \ _ ` $ @ ^ ~ ; &), with copies within 25% of each other's length and
--    all similarities >= NEAR_ONLY (0.8): templated lines of code, tables and lists are near
--    copies of each other, and are not loops. The unit is at least `min_bytes` of normalised text
--    and at most `max_period` bytes of stream. The period comes from the latest exact occurrence
--    of the thought, else from the latest near one among the last `window` thoughts. Reported once
--    per copy from the `repeats`-th on (count = copies so far); the reason is exact_repeat when
--    every thought of the run was an exact copy. The same line scattered through other text
--    (`end`, `return nil, err`) is no loop: the copies must follow each other.
--  * circular_phrase: one circular phrase (rule kind circular_phrase) occurs so often in the last
--    `window` thoughts that occurrences x weight >= `circular`. Phrases match ASCII
--    case-insensitively, as whole words, with ' also matching U+2019.
--  * stall: `stalls` thoughts in a row open with a stall phrase (kind stall_phrase) followed by an
--    optional comma, spaces and a letter ("Now, the" and "Let me read" stall; "nowhere", "Firstly"
--    and "now = 1" do not).
-- Verdict: { loop = true, reason = ..., span = { start, stop } (1-based inclusive stream offsets:
-- from the first copy, occurrence or stalled thought to the end of the current thought), period =
-- bytes between the ends of the last two copies (repeats) or the starts of the last two occurrences
-- (circular; nil for stall), count = copies / occurrences / stalled thoughts, phrase = the
-- circular or stall phrase (the first thought of the unit for repeats), similarity = the lowest
-- cosine in the run (repeats) }.
--
-- Fixes relative to Victor (reference §6): exact repeats are counted in a window (Victor's map is
-- never windowed: two repeats an hour apart and a third one made a loop); stall and circular
-- phrases need word boundaries ("nowhere", "Firstly" and "know i'll" no longer match); a stall
-- does not skip the repeat checks; a leading blank line does not hide a stall; U+2019 apostrophes
-- match. Near repeats use cosine over character 3-grams, not Jaccard over keywords, and do not
-- fire on templated text. Limits: paraphrase loops whose copies share less than NEAR_ONLY are
-- left to the circular-phrase and stall checks; heavily templated code (C headers with runs of
-- near-identical declarations) can still be reported.
--
-- Memory is bounded: the detector keeps the thoughts of the last `max_period` bytes or `window`
-- thoughts (at most MAX_HISTORY), a pending partial thought of at most MAX_THOUGHT bytes, and the
-- circular-phrase occurrences of the last `window` thoughts.
local host = require "victor.host"
local rules = require "victor.rules"

local M = {}

local type, error, tostring, ipairs, setmetatable = type, error, tostring, ipairs, setmetatable
local floor, sqrt = math.floor, math.sqrt
local sfmt, sbyte, ssub, sfind, slower, sgsub = string.format, string.byte, string.sub, string.find,
  string.lower, string.gsub
local each_next = next

M.DEFAULTS = { repeats = 3, similarity = 0.65, window = 10, stalls = 2, circular = 3, max_period = 8192,
  min_bytes = 16 }
M.MAX_THOUGHT = 4096 -- feed() ends a thought after this many bytes
M.MAX_HISTORY = 4096 -- thoughts kept at most, whatever max_period allows
M.NGRAM = 3
M.DIM = 1024         -- buckets of the hashed n-gram vectors
M.NEAR_ONLY = 0.8    -- lowest similarity of a run of near copies with no exact one

local NGRAM, DIM = M.NGRAM, M.DIM
local RING = 2 * M.MAX_HISTORY -- slots of the per-thought arrays (kept thoughts are fewer)
local OCC_RING = 1024          -- occurrences of one circular phrase kept at most
local RSQUO = "\226\128\153" -- U+2019 RIGHT SINGLE QUOTATION MARK

local function argerror(n, fname, msg, level)
  error(sfmt("bad argument #%d to '%s' (%s)", n, fname, msg), (level or 2) + 1)
end

local function check_string(v, n, fname)
  if type(v) ~= "string" then argerror(n, fname, "string expected, got " .. type(v), 3) end
end

-- Word bytes for phrase boundaries: ASCII letters and digits, _, and every byte of a multibyte
-- UTF-8 character.
local WORD = {}
for b = 0, 255 do
  WORD[b] = (b >= 48 and b <= 57) or (b >= 65 and b <= 90) or (b >= 97 and b <= 122) or b == 95 or b >= 128
end
WORD[-1] = false -- sbyte past either end gives nil; callers map nil to -1

---------------------------------------------------------------------------------------------------
-- Rule set

-- The spellings a phrase matches: itself, and with U+2019 for each ' (all or none).
local function spellings(p)
  p = slower(p)
  if sfind(p, "'", 1, true) then return { p, (sgsub(p, "'", RSQUO)) } end
  return { p }
end

local configs = setmetatable({}, { __mode = "k" })

-- The thinking settings of a validated pack: tags, phrases, stall prefixes, defaults.
local function config(pack)
  local c = configs[pack]
  if c then return c end
  c = { tags = {}, phrases = {}, stalls = {}, defaults = {} }
  for k, v in each_next, M.DEFAULTS do c.defaults[k] = v end
  local seen = {}
  for _, r in ipairs(rules.enabled(pack)) do
    local kind = r.kind
    if kind == "thinking_tag" then
      c.tags[#c.tags + 1] = { r.open, r.close }
    elseif kind == "circular_phrase" then
      for _, p in ipairs(r.phrases) do
        local lp = slower(p)
        if not seen[lp] then -- a phrase listed twice counts once (Victor lists "i need to read" twice)
          seen[lp] = true
          c.phrases[#c.phrases + 1] = { phrase = lp, spellings = spellings(p), weight = r.weight }
        end
      end
    elseif kind == "stall_phrase" then
      for _, p in ipairs(r.prefixes) do
        for _, s in ipairs(spellings(p)) do c.stalls[#c.stalls + 1] = { prefix = slower(p), spelling = s } end
      end
    elseif kind == "thinking_defaults" then
      for k in each_next, M.DEFAULTS do
        if r[k] ~= nil then c.defaults[k] = r[k] end
      end
    end
  end
  -- spellings grouped by their first 4 bytes: one plain find per group rules out most of them
  local groups, by_head = {}, {}
  for pi, ph in ipairs(c.phrases) do
    for _, sp in ipairs(ph.spellings) do
      local head = ssub(sp, 1, 4)
      local g = by_head[head]
      if not g then
        g = { head = head, list = {} }
        by_head[head] = g
        groups[#groups + 1] = g
      end
      g.list[#g.list + 1] = { pi = pi, spelling = sp }
    end
  end
  c.groups = groups
  for _, st in ipairs(c.stalls) do st.first = sbyte(st.spelling, 1) end
  configs[pack] = c
  return c
end

local function active_pack(pack, n, fname)
  if pack == nil then return host.rules() end
  if type(pack) ~= "table" then argerror(n, fname, "table expected, got " .. type(pack), 3) end
  return pack
end

---The thinking tag pairs of a rule pack (default: the active rule set, victor.host.rules()), in
---pack order, as `{ {open, close}, ... }`: the shape victor.stream_filter.new{ tags = ... } takes.
---@param pack? victor.RulePack
---@return string[][]
function M.tags(pack)
  local c = config(active_pack(pack, 1, "tags"))
  local out = {}
  for i, t in ipairs(c.tags) do out[i] = { t[1], t[2] } end
  return out
end

---The detector settings of a rule pack (default: the active rule set), with M.DEFAULTS for any
---the pack leaves out.
---@param pack? victor.RulePack
---@return table
function M.settings(pack)
  local out = {}
  for k, v in each_next, config(active_pack(pack, 1, "settings")).defaults do out[k] = v end
  return out
end

---------------------------------------------------------------------------------------------------
-- Text features

-- Collapse runs of space, tab, CR and LF to one space and trim (Victor's normalisation, without
-- its Unicode whitespace, and no case folding).
local SPACE = {}
for b = 0, 255 do SPACE[b] = b == 32 or b == 9 or b == 10 or b == 13 end
SPACE[-1] = false

local function normalise(s)
  local i, j = 1, #s
  while SPACE[sbyte(s, i) or -1] do i = i + 1 end
  while j > i and SPACE[sbyte(s, j)] do j = j - 1 end
  if i > 1 or j < #s then s = ssub(s, i, j) end
  if sfind(s, "\n", 1, true) or sfind(s, "  ", 1, true) or sfind(s, "\t", 1, true) or sfind(s, "\r", 1, true) then
    s = sgsub(s, "[ \t\r\n]+", " ")
  end
  return s
end

-- Scratch count arrays indexed by bucket (1..DIM), all zero between calls: FFI arrays where the
-- FFI is available (the dot products are the detector's hot loop), else Lua tables.
local ffi_ok, ffi = pcall(require, "ffi")
local scratch, scratch2
if ffi_ok then
  scratch, scratch2 = ffi.new("int32_t[?]", DIM + 1), ffi.new("int32_t[?]", DIM + 1)
else
  scratch, scratch2 = {}, {}
  for i = 1, DIM do scratch[i], scratch2[i] = 0, 0 end
end

-- Hashed character n-gram vector of a (lowercased) string, as a flat array
-- { bucket1, count1, bucket2, count2, ... } plus its squared norm.
local touched = {}
local function ngram_vector(s)
  local v, nv, norm2 = touched, 0, 0
  local len = #s
  if len < NGRAM then return {}, 0 end
  local d = scratch
  local b1, b2 = sbyte(s, 1, 2)
  for i = 3, len do
    local b3 = sbyte(s, i)
    local h = (b1 * 961 + b2 * 31 + b3) % DIM + 1
    local c = d[h]
    if c == 0 then nv = nv + 1; v[nv] = h end
    d[h] = c + 1
    b1, b2 = b2, b3
  end
  local out = {}
  for k = 1, nv do
    local h = v[k]
    local c = d[h]
    out[2 * k - 1], out[2 * k] = h, c
    norm2 = norm2 + c * c
    d[h] = 0
  end
  return out, norm2
end

-- Cosine of two vectors from ngram_vector. The one place the similarity measure lives: swap it
-- for the similarity kernel when that lands.
local function cosine(va, na, vb, nb)
  if na == 0 or nb == 0 then return 0 end
  local d = scratch2
  for k = 1, #va, 2 do d[va[k]] = va[k + 1] end
  local dot = 0
  for k = 1, #vb, 2 do dot = dot + d[vb[k]] * vb[k + 1] end
  for k = 1, #va, 2 do d[va[k]] = 0 end
  return dot / sqrt(na * nb)
end
-- The latest thought among j = from, from - 1, ..., to whose cosine with va is >= sim; nil if none.
-- Same measure as cosine(), with va spread once for the whole search.
local function latest_similar(va, na, V, N2, from, to, sim)
  if na == 0 then return nil end
  local d = scratch2
  for k = 1, #va, 2 do d[va[k]] = va[k + 1] end
  local found
  for j = from, to, -1 do
    local vb, nb = V[j % RING], N2[j % RING]
    if nb > 0 then
      local dot = 0
      for k = 1, #vb, 2 do dot = dot + d[vb[k]] * vb[k + 1] end
      if dot / sqrt(na * nb) >= sim then found = j break end
    end
  end
  for k = 1, #va, 2 do d[va[k]] = 0 end
  return found
end

M.cosine = function(a, b) -- exposed for specs: cosine of two strings as the detector sees them
  check_string(a, 1, "cosine")
  check_string(b, 2, "cosine")
  local va, na = ngram_vector(slower(normalise(a)))
  local vb, nb = ngram_vector(slower(normalise(b)))
  return cosine(va, na, vb, nb)
end

---------------------------------------------------------------------------------------------------
-- The detector

local Detector = {}
Detector.__index = Detector
M.Detector = Detector

local OPTION_SPECS = require("victor.rule_kinds").thinking_defaults.fields

---Create a loop detector. Settings come from the `thinking_defaults` rule of `opts.pack` (default:
---the active rule set, victor.host.rules()), and any given in opts win.
---@param opts? { repeats?: integer, similarity?: number, window?: integer, stalls?: integer,
---  circular?: number, max_period?: integer, min_bytes?: integer, pack?: victor.RulePack }
---@return table detector
function M.detector(opts)
  if opts ~= nil and type(opts) ~= "table" then argerror(1, "detector", "table expected, got " .. type(opts)) end
  opts = opts or {}
  for k, v in each_next, opts do
    if k ~= "pack" then
      local spec = type(k) == "string" and OPTION_SPECS[k]
      if not spec then argerror(1, "detector", "unknown option '" .. tostring(k) .. "'") end
      if type(v) ~= "number" or v ~= v or (spec.type == "integer" and v ~= floor(v))
        or v < spec.min or v > spec.max then
        argerror(1, "detector", sfmt("option '%s': %s expected, got %s", k, rules.describe(spec),
          type(v) == "number" and tostring(v) or type(v)))
      end
    end
  end
  local c = config(active_pack(opts.pack, 1, "detector"))
  local s = {}
  for k, v in each_next, c.defaults do s[k] = opts[k] ~= nil and opts[k] or v end
  local self = setmetatable({
    cfg = c, repeats = s.repeats, similarity = s.similarity, window = s.window, stalls = s.stalls,
    circular = s.circular, max_period = s.max_period, min_bytes = s.min_bytes,
  }, Detector)
  self:reset()
  return self
end

---Forget everything fed so far (settings stay); offsets start again at 1.
function Detector:reset()
  self.n, self.lo = 0, 1                          -- thoughts seen; oldest kept
  -- per kept thought i, at slot i % RING: normalised text, first and last stream offsets, n-gram
  -- vector and its squared norm, normalised length, digit runs (computed when needed)
  self.K, self.S, self.E, self.V, self.N2, self.L, self.DG = {}, {}, {}, {}, {}, {}, {}
  self.NP = {}                                    -- slot -> thought has code or markup (lazily)
  self.last = {}                                  -- normalised text -> latest index
  self.fed = 0                                    -- stream bytes consumed
  self.pending, self.scan_from = "", 1            -- feed(): partial thought
  self.p, self.r, self.anchors, self.run_start, self.low_sim, self.reported, self.miss = 0, 0, 0, 0, 1, 0, 0
  self.prose, self.inexact = true, false
  self.occ = {}                                   -- phrase index -> { thought indices, starts, stops, head }
  for i = 1, #self.cfg.phrases do self.occ[i] = { t = {}, a = {}, b = {}, head = 1, tail = 0 } end
  self.stall_n, self.stall_start = 0, 0
  self.loops = 0
  self.sink = nil
end

local function digits(self, i)
  local d = self.DG[i % RING]
  if not d then
    d = sgsub(self.K[i % RING], "%D+", " ")
    self.DG[i % RING] = d
  end
  return d
end

-- Are thoughts i and j copies? Returns 1 (exact), 2 (near) or nil, and the similarity.
local function copies(self, i, j)
  local K = self.K
  if K[i % RING] == K[j % RING] then return 1, 1 end
  local sim = cosine(self.V[i % RING], self.N2[i % RING], self.V[j % RING], self.N2[j % RING])
  if sim >= self.similarity and digits(self, i) == digits(self, j) then return 2, sim end
  return nil, sim
end

local function evict(self)
  local n, lo = self.n, self.lo
  local horizon = self.S[n % RING] - self.max_period
  local keep_from = n - self.window
  while lo < n and ((lo < keep_from and self.E[lo % RING] < horizon) or n - lo >= M.MAX_HISTORY) do
    local k = self.K[lo % RING]
    if self.last[k] == lo then self.last[k] = nil end
    local slot = lo % RING
    self.K[slot], self.S[slot], self.E[slot], self.V[slot], self.N2[slot], self.L[slot], self.DG[slot] =
      nil, nil, nil, nil, nil, nil, nil
    self.NP[slot] = nil
    lo = lo + 1
  end
  self.lo = lo
end

-- Thoughts of prose: none of the characters of code and markup. A run of near copies with no
-- exact one must be prose (template lines of code and tables are near copies of each other).
local NOT_PROSE = "[#<>{}%[%]|=*/\\_`$@^~;&]"

-- Does thought i hold a character of code or markup? Found once per thought, when asked.
local function not_prose(self, i)
  local slot = i % RING
  local v = self.NP[slot]
  if v == nil then
    v = sfind(self.K[slot], NOT_PROSE) ~= nil
    self.NP[slot] = v
  end
  return v
end

-- Is thought i a copy of the one p thoughts earlier (or, the earlier copy being edited, of the one
-- 2p earlier)? 1 exact, 2 near, nil; and the similarity.
local function copy_of(self, i, p)
  local k, sim = copies(self, i, i - p)
  if k ~= 1 and i - 2 * p >= self.lo then
    local k2, sim2 = copies(self, i, i - 2 * p)
    if k2 and sim2 > (sim or 0) then return k2, sim2 end
  end
  return k, sim
end

-- Add pair (i, i - p) of kind k (1 exact, 2 near, 3 tolerated miss) and similarity sim to the run.
local function extend(self, i, k, sim)
  self.r = self.r + 1
  if k == 1 and self.L[i % RING] >= self.min_bytes then self.anchors = self.anchors + 1 end
  if k ~= 1 then self.inexact = true end
  if sim and sim < self.low_sim then self.low_sim = sim end
  if self.prose then
    -- near copies of prose differ by an edit, not by a clause: lengths within 25%
    local a, b = self.L[i % RING], self.L[(i - self.p) % RING]
    if not_prose(self, i) or (k == 2 and (a > b * 1.25 or b > a * 1.25)) then self.prose = false end
  end
end

-- The repeat check for thought n; a verdict or nil.
local function check_repeat(self, n)
  local p = self.p
  local kind, sim
  if p > 0 and n - p >= self.lo then
    kind, sim = copy_of(self, n, p)
    if not kind and p >= 2 and n - self.miss >= p and self.anchors * 2 >= self.r + 1 then
      kind, self.miss = 3, n -- one thought per copy may differ, in a run that is mostly exact copies
    end
  end
  if kind then
    extend(self, n, kind, sim)
  else
    -- a new period: the latest exact occurrence, else the latest near one in the window
    local m = self.prev_same
    p = nil
    if m and m >= self.lo then
      p = n - m
    else
      local stop = n - self.window
      if stop < self.lo then stop = self.lo end
      local j = n - 1
      while j >= stop do
        j = latest_similar(self.V[n % RING], self.N2[n % RING], self.V, self.N2, j, stop, self.similarity)
        if not j then break end
        if copies(self, n, j) then p = n - j break end -- near, and the same digits
        j = j - 1
      end
    end
    if not p then
      self.p, self.r = 0, 0
      return nil
    end
    -- the run ending at n: thoughts i..n each a copy of the one p earlier
    self.p, self.r, self.anchors, self.inexact, self.low_sim, self.prose, self.reported, self.miss =
      p, 0, 0, false, 1, true, 0, 0
    local i = n
    while i - p >= self.lo do
      local k, s = copy_of(self, i, p)
      if not k then break end
      extend(self, i, k, s)
      i = i - 1
    end
    for j = i + 1 - p, i do
      if self.prose and not_prose(self, j) then self.prose = false end
    end
    self.run_start = self.S[(i + 1 - p) % RING]
  end
  local count = floor(self.r / p) + 1
  if count < self.repeats or count <= self.reported then return nil end
  if self.E[n % RING] - self.E[(n - p) % RING] > self.max_period then return nil end
  -- mostly exact copies of substantial thoughts, or else near copies of prose that are very near
  if self.anchors * 2 < self.r and not (self.prose and self.low_sim >= M.NEAR_ONLY) then return nil end
  local unit = 0
  for i = n - p + 1, n do unit = unit + self.L[i % RING] end
  if unit < self.min_bytes then return nil end
  self.reported = count
  return { loop = true, reason = self.inexact and "near_repeat" or "exact_repeat",
    span = { self.run_start, self.E[n % RING] }, period = self.E[n % RING] - self.E[(n - p) % RING], count = count,
    phrase = self.K[(n - p + 1) % RING], similarity = self.low_sim }
end

-- Circular phrases in thought n: raw bytes raw at stream offset start, lk normalised and lowercased.
local function check_circular(self, n, lk, raw, start)
  local phrases, occ, groups = self.cfg.phrases, self.occ, self.cfg.groups
  local hits, lw
  for gi = 1, #groups do
    local g = groups[gi]
    if sfind(lk, g.head, 1, true) then
      lw = lw or slower(raw) -- offsets are the raw text's
      local list = g.list
      for li = 1, #list do
        local e = list[li]
        local sp, o = e.spelling, occ[e.pi]
        local init = 1
        while true do
          local a, b = sfind(lw, sp, init, true)
          if not a then break end
          if not WORD[sbyte(lw, a - 1) or -1] and not WORD[sbyte(lw, b + 1) or -1] then
            local t = o.tail + 1
            o.tail = t
            local slot = t % OCC_RING
            o.t[slot], o.a[slot], o.b[slot] = n, start + a - 1, start + b - 1
            if t - o.head >= OCC_RING - 1 then o.head = o.head + 1 end -- the ring is full: drop the oldest
            hits = hits or {}
            hits[#hits + 1] = e.pi
          end
          init = b + 1
        end
      end
    end
  end
  if not hits then return nil end
  local best, best_score
  local cutoff = n - self.window
  for _, pi in ipairs(hits) do
    local o, ph = occ[pi], phrases[pi]
    local h = o.head
    while h <= o.tail and o.t[h % OCC_RING] <= cutoff do -- drop occurrences older than the window
      o.t[h % OCC_RING], o.a[h % OCC_RING], o.b[h % OCC_RING] = nil, nil, nil
      h = h + 1
    end
    o.head = h
    local count = o.tail - h + 1
    local score = count * ph.weight
    if score >= self.circular - 1e-9 and (not best or score > best_score) then
      local last = o.tail
      best_score = score
      best = { loop = true, reason = "circular_phrase", span = { o.a[h % OCC_RING], o.b[last % OCC_RING] },
        period = count > 1 and o.a[last % OCC_RING] - o.a[(last - 1) % OCC_RING] or nil, count = count,
        phrase = ph.phrase }
    end
  end
  return best
end

-- Does the thought open with a stall phrase? Returns the phrase or nil.
-- lk is the thought normalised and lowercased.
local function stall_phrase(self, lk)
  local first = sbyte(lk, 1)
  local stalls = self.cfg.stalls
  for i = 1, #stalls do
    local st = stalls[i]
    local sp = st.spelling
    if st.first == first and ssub(lk, 1, #sp) == sp then
      local k = #sp + 1
      if sbyte(lk, k) == 44 then k = k + 1 end -- ,
      local c = sbyte(lk, k + 1)
      if sbyte(lk, k) == 32 and c and c >= 97 and c <= 122 then return st.prefix end
    end
  end
  return nil
end

-- One thought: raw bytes `raw` at stream offset `start`. A verdict or nil.
local function observe(self, raw, start)
  local key = normalise(raw)
  if key == "" then return nil end
  local n = self.n + 1
  self.n = n
  local lk = slower(key)
  local vec, n2 = ngram_vector(lk)
  local slot = n % RING
  self.K[slot], self.S[slot], self.E[slot], self.V[slot], self.N2[slot], self.L[slot] = key, start, start + #raw - 1,
    vec, n2, #key
  self.prev_same = self.last[key]
  self.last[key] = n
  evict(self)

  local v = check_repeat(self, n)
  local circ = #self.cfg.phrases > 0 and check_circular(self, n, lk, raw, start) or nil
  local stall = stall_phrase(self, lk)
  if stall then
    if self.stall_n == 0 then self.stall_start = start end
    self.stall_n = self.stall_n + 1
  else
    self.stall_n = 0
  end
  v = v or circ
  if not v and stall and self.stall_n >= self.stalls then
    v = { loop = true, reason = "stall", span = { self.stall_start, start + #raw - 1 }, count = self.stall_n,
      phrase = stall }
  end
  if v then
    self.loops = self.loops + 1
    if self.sink then self.sink[#self.sink + 1] = v end
  end
  return v
end

---Add one thought (a whole thinking segment). Returns a verdict or nil.
---@param text string
---@return table|nil verdict
function Detector:add_thought(text)
  check_string(text, 1, "add_thought")
  if self.pending ~= "" then
    error("detector has a partial thought from feed(); call finish() before add_thought()", 2)
  end
  local start = self.fed + 1
  self.fed = self.fed + #text
  return observe(self, text, start)
end

---Feed raw streamed text; thoughts end as described at the top of this file. Returns the last
---verdict of the thoughts this delta completed, or nil.
---@param delta string
---@return table|nil verdict
function Detector:feed(delta)
  check_string(delta, 1, "feed")
  if delta == "" then return nil end
  local buf = self.pending .. delta
  local base = self.fed - #self.pending -- stream offset of buf's byte 0
  self.fed = self.fed + #delta
  local from, at = 1, self.scan_from -- thought start in buf; where to look for its end
  local verdict
  local maxt = M.MAX_THOUGHT
  while true do
    local k = sfind(buf, "[\n.!?]", at)
    local cut
    if k then
      if sbyte(buf, k) == 10 then
        cut = k
      else
        local nx = sbyte(buf, k + 1)
        if nx == 32 or nx == 9 then cut = k + 1
        elseif nx == nil then at = k; k = nil -- decide when the next byte comes
        else at = k + 1 end
      end
    end
    local limit = from + maxt - 1 -- a thought is at most maxt bytes
    if (cut and cut > limit) or (not cut and (k or #buf) >= limit and #buf >= limit) then cut = limit end
    if cut then
      local v = observe(self, ssub(buf, from, cut), base + from)
      if v then verdict = v end
      from, at = cut + 1, cut + 1
    elseif not k then
      break
    end
  end
  self.pending = from <= #buf and ssub(buf, from) or ""
  self.scan_from = at - from + 1
  return verdict
end

---End the stream: the pending partial thought, if any, is a thought. Returns a verdict or nil.
---@return table|nil verdict
function Detector:finish()
  local rest = self.pending
  if rest == "" then return nil end
  self.pending, self.scan_from = "", 1
  return observe(self, rest, self.fed - #rest + 1)
end

---Counters: thoughts seen, loops reported, thoughts kept, stream bytes consumed, pending bytes.
---@return { thoughts: integer, loops: integer, kept: integer, bytes: integer, pending: integer }
function Detector:stats()
  return { thoughts = self.n, loops = self.loops, kept = self.n - self.lo + 1, bytes = self.fed,
    pending = #self.pending }
end

---Every loop in a whole transcript: a detector fed `text`, its verdicts merged so that a loop
---that goes on for many copies is one report (the last verdict, whose span covers it all).
---@param text string
---@param opts? table  as for detector()
---@return table[] reports  verdicts in stream order; empty when there is no loop
function M.scan(text, opts)
  check_string(text, 1, "scan")
  if opts ~= nil and type(opts) ~= "table" then argerror(2, "scan", "table expected, got " .. type(opts)) end
  local d = M.detector(opts)
  local all = {}
  d.sink = all
  d:feed(text)
  d:finish()
  return M.merge(all)
end

---Merge the verdicts of one stream (in stream order) so that a loop that goes on for many
---copies is one report: what scan() returns. For a stream fed piece by piece, set
---`detector.sink = list` to collect every verdict, then merge(list).
---@param all table[] verdicts in stream order
---@return table[] reports
function M.merge(all)
  local out = {}
  for _, v in ipairs(all) do
    local prev = out[#out]
    -- the same loop reported again: a repeat run from the same start, the same circular phrase
    -- with overlapping spans, the same stall run
    if prev and prev.reason == v.reason and (prev.span[1] == v.span[1]
      or (v.reason == "circular_phrase" and prev.phrase == v.phrase and v.span[1] <= prev.span[2])) then
      out[#out] = v
    else
      out[#out + 1] = v
    end
  end
  return out
end

M.normalise = normalise

return M
