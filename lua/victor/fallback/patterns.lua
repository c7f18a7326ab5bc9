--- victor.fallback.patterns: pure-Lua backend of the literal matcher and the
--- keyword classifier.
--
-- Same functions and results as the C module victor.core.patterns (semantics: the
-- design notes of core/ac.h and core/patterns.h), down to which feed reports a
-- match: the automaton is the same Aho-Corasick machine (a trie with failure
-- links; transitions are computed on first use and cached per state), and the
-- match-kind pipeline is a line-by-line port of vl_ac_stream (leftmost
-- candidates one per start in a ring of max_len + 2 slots, final once
-- offset - depth > start). The memory limit is the C build's bound, computed the
-- same way, so a pattern set refused there is refused here. Offsets are 0-based
-- inside, 1-based inclusive in the results.
local M = {}

local byte, floor = string.byte, math.floor
local setmetatable = setmetatable

local STANDARD, LEFTMOST_FIRST, LEFTMOST_LONGEST = 0, 1, 2
M.STANDARD, M.LEFTMOST_FIRST, M.LEFTMOST_LONGEST = STANDARD, LEFTMOST_FIRST, LEFTMOST_LONGEST

local DEFAULT_MAX_BYTES = 64 * 1024 * 1024  -- VL_AC_DEFAULT_MAX_BYTES
local MAX_PATTERN_BYTES = 16 * 1024 * 1024  -- VL_AC_MAX_PATTERN_BYTES
local UINT32_MAX = 4294967295

local FOLD_CI, FOLD_CS, WORD = {}, {}, {}
for b = 0, 255 do
  FOLD_CS[b] = b
  FOLD_CI[b] = (b >= 65 and b <= 90) and b + 32 or b
  WORD[b] = (b >= 48 and b <= 57) or (b >= 65 and b <= 90) or (b >= 97 and b <= 122) or b == 95
end

local function pow2_at_least(n)
  local r = 1
  while r < n do r = r * 2 end
  return r
end

-- Build the automaton of pats (non-empty strings); nil, msg, code over the limits.
local function build(pats, ci, max_bytes)
  local fold = ci and FOLD_CI or FOLD_CS
  local total, used, nc = 0, {}, 1
  for i = 1, #pats do
    local p = pats[i]
    total = total + #p
    if total > MAX_PATTERN_BYTES then return nil, "limit exceeded", "ELIMIT" end
    for k = 1, #p do
      local b = fold[byte(p, k)]
      if not used[b] then
        used[b] = true
        nc = nc + 1
      end
    end
  end
  if max_bytes == nil or max_bytes == 0 then max_bytes = DEFAULT_MAX_BYTES end
  local bound = (total + 1) * nc * 4 * 2 + (total + 1) * 4 * 9 + #pats * 8
  if bound > max_bytes or (total + 1) * nc > UINT32_MAX then return nil, "limit exceeded", "ELIMIT" end

  local nxt, depth, own, kids = { {} }, { 0 }, {}, { {} }
  local ns, max_len, lens = 1, 0, {}
  for i = 1, #pats do
    local p, s = pats[i], 1
    lens[i] = #p
    if #p > max_len then max_len = #p end
    for k = 1, #p do
      local b = fold[byte(p, k)]
      local t = nxt[s][b]
      if not t then
        ns = ns + 1
        t = ns
        nxt[s][b] = t
        nxt[t], kids[t], depth[t] = {}, {}, depth[s] + 1
        local ks = kids[s]
        ks[#ks + 1] = b
      end
      s = t
    end
    local o = own[s]
    if not o then
      o = {}
      own[s] = o
    end
    o[#o + 1] = i
  end
  local fail, out, ext = { 1 }, {}, { 0 }
  local ac = { nxt = nxt, fail = fail, depth = depth, ext = ext, out = out, fold = fold, max_len = max_len,
               lens = lens, nstates = ns, nclasses = nc, npats = #pats }
  -- the DFA transition from s on b (b folded), cached in nxt[s]
  local function delta(s, b)
    local t = nxt[s][b]
    if t then return t end
    if s == 1 then
      t = 1
    else
      t = delta(fail[s], b)
    end
    nxt[s][b] = t
    return t
  end
  ac.delta = delta
  -- failure links breadth first, before any cached transition exists in a deeper state
  local queue, head, nouts = { 1 }, 1, 0
  local trie_child = {}
  for s = 1, ns do
    local ks, row = kids[s], {}
    for k = 1, #ks do row[k] = nxt[s][ks[k]] end
    trie_child[s] = row
  end
  while head <= #queue do
    local s = queue[head]
    head = head + 1
    if s ~= 1 then
      local o, f = {}, fail[s]
      local mine = own[s]
      if mine then for k = 1, #mine do o[#o + 1] = mine[k] end end
      local inh = out[f]
      if inh then for k = 1, #inh do o[#o + 1] = inh[k] end end
      if #o > 0 then
        out[s] = o
        nouts = nouts + #o
      end
    end
    local ks, row = kids[s], trie_child[s]
    if s ~= 1 then ext[s] = #ks > 0 and depth[s] or ext[fail[s]] end
    for k = 1, #ks do
      local t = row[k]
      fail[t] = s == 1 and 1 or delta(fail[s], ks[k])
      queue[#queue + 1] = t
    end
  end
  if nouts * 4 > max_bytes or nouts > UINT32_MAX then return nil, "limit exceeded", "ELIMIT" end
  return ac
end
M.build = build

-- ---- streams (vl_ac_stream) ------------------------------------------------------------

local Stream = { __name = "Stream" }
Stream.__index = Stream

local function new_stream(ac, kind, wb)
  local st = setmetatable({ ac = ac, kind = kind, wb = wb }, Stream)
  if kind ~= STANDARD then st.rmask = pow2_at_least(ac.max_len + 2) - 1 end
  if wb then st.hmask = pow2_at_least(ac.max_len + 1) - 1 end
  st:reset()
  return st
end

function Stream:reset()
  self.dead, self.finished, self.deferred, self.have = false, false, false, false
  self.state, self.off, self.lo, self.hi, self.last_end = 1, 0, 0, 0, 0
  self.whole = nil
  self.rstart, self.rend, self.rid = {}, {}, {}
  self.hist = {}
end

function Stream:offset()
  return self.off
end

local function emit(res, id, start, stop)
  local k = #res
  res[k + 1], res[k + 2], res[k + 3] = id, start + 1, stop
end

local function settle(st, limit, res)
  local rmask, rstart = st.rmask, st.rstart
  while st.have and st.lo < limit do
    local slot = st.lo % (rmask + 1)
    local e = st.rend[slot]
    emit(res, st.rid[slot], st.lo, e)
    st.last_end = e
    st.have = false
    for x = e, st.hi do
      if rstart[x % (rmask + 1)] == x then
        st.lo = x
        st.have = true
        break
      end
    end
  end
end

local function add_cand(st, id, start, stop)
  if start < st.last_end then return end
  local slot = start % (st.rmask + 1)
  if st.rstart[slot] ~= start then
    st.rstart[slot], st.rend[slot], st.rid[slot] = start, stop, id
  elseif st.kind == LEFTMOST_LONGEST and stop > st.rend[slot]
      or st.kind == LEFTMOST_FIRST and id < st.rid[slot] then
    st.rend[slot], st.rid[slot] = stop, id
  end
  if not st.have then
    st.have = true
    st.lo, st.hi = start, start
  else
    if start < st.lo then st.lo = start end
    if start > st.hi then st.hi = start end
  end
end

local function byte_at(st, chunk, base, o)
  if o >= base then return byte(chunk, o - base + 1) end
  if st.whole then return byte(st.whole, o + 1) end
  return st.hist[o % (st.hmask + 1)]
end

local function occurrences(st, s, stop, right, chunk, base, res)
  local ac = st.ac
  local o = ac.out[s]
  if st.wb and right and WORD[right] then return end
  local lens, wb, standard = ac.lens, st.wb, st.kind == STANDARD
  for k = 1, #o do
    local id = o[k]
    local start = stop - lens[id]
    if not (wb and start > 0 and WORD[byte_at(st, chunk, base, start - 1)]) then
      if standard then
        emit(res, id, start, stop)
      else
        add_cand(st, id, start, stop)
      end
    end
  end
end

function Stream:feed(chunk, res)
  res = res or {}
  if self.dead or self.finished then return nil end
  local n = #chunk
  if n == 0 then return res end
  local ac, base = self.ac, self.off
  local nxt, out, fold, delta, depth, ext = ac.nxt, ac.out, ac.fold, ac.delta, ac.depth, ac.ext
  local s, wb = self.state, self.wb
  if self.deferred then
    self.deferred = false
    occurrences(self, s, base, byte(chunk, 1), chunk, base, res)
  end
  for i = 1, n do
    local b = fold[byte(chunk, i)]
    s = nxt[s][b] or delta(s, b)
    if out[s] then
      if i == n and wb then
        self.deferred = true
      else
        occurrences(self, s, base + i, byte(chunk, i + 1), chunk, base, res)
      end
    end
    if self.have then settle(self, base + i - (self.deferred and depth[s] or ext[s]), res) end
  end
  self.state = s
  self.off = base + n
  if wb and not self.whole then
    local h = self.hmask + 1
    local k = n < h and n or h
    local hist = self.hist
    for o = self.off - k, self.off - 1 do hist[o % h] = byte(chunk, o - base + 1) end
  end
  return res
end

function Stream:finish(res)
  res = res or {}
  if self.dead or self.finished then return nil end
  if self.deferred then
    self.deferred = false
    occurrences(self, self.state, self.off, nil, "", self.off, res)
  end
  settle(self, 1 / 0, res)
  self.finished = true
  return res
end

function Stream:close()
  self.closed = true
end

-- One-shot (vl_ac_stream_find): the matches of text from 0-based offset `from`.
local function find_all(st, text, from)
  st:reset()
  if from > #text then from = #text end
  st.off, st.last_end = from, from
  st.whole = text
  local res = {}
  st:feed(text:sub(from + 1), res)
  st:finish(res)
  st.whole = nil
  return res
end
M.find_all_stream = find_all

-- ---- matchers -------------------------------------------------------------------------

local Matcher = { __name = "Matcher" }
Matcher.__index = Matcher

--- literals(patterns, kind, case_insensitive, word_boundary, max_bytes) -> Matcher | nil, msg, code
function M.literals(pats, kind, ci, wb, max_bytes)
  local ac, msg, code = build(pats, ci, max_bytes)
  if not ac then return nil, msg, code end
  local m = setmetatable({ ac = ac, kind = kind, wb = wb and true or false }, Matcher)
  m.one = new_stream(ac, kind, m.wb)
  return m
end

local function init0(init)
  return init and floor(init) - 1 or 0
end

function Matcher:find_all(text, init)
  return find_all(self.one, text, init0(init))
end

function Matcher:find(text, init)
  -- the first match of the whole result: the same as stopping at it
  local r = find_all(self.one, text, init0(init))
  if #r == 0 then return nil end
  return r[1], r[2], r[3]
end

function Matcher:count(text, init)
  return #find_all(self.one, text, init0(init)) / 3
end

function Matcher:stream()
  return new_stream(self.ac, self.kind, self.wb)
end

function Matcher:info()
  local ac = self.ac
  return ac.npats, ac.nstates, ac.nclasses, 0
end

function Matcher:close()
  self.closed = true
end

-- ---- classifier (patterns.h) ----------------------------------------------------------

local Classifier = { __name = "Classifier" }
Classifier.__index = Classifier

--- classifier(patterns, ent_pat, ent_cat, ent_w, ncats, ci, wb, window, position_weight,
--- max_bytes) -> Classifier | nil, msg, code (ent_cat 0: a negation word)
function M.classifier(pats, ent_pat, ent_cat, ent_w, ncats, ci, wb, window, pw, max_bytes)
  local ac, msg, code = build(pats, ci, max_bytes)
  if not ac then return nil, msg, code end
  local ents, neg = {}, {}
  for i = 1, #pats do ents[i] = {} end
  for k = 1, #ent_pat do
    local p, c = ent_pat[k], ent_cat[k]
    if c == 0 then
      neg[p] = true
    else
      local e = ents[p]
      e[#e + 1] = c
      e[#e + 1] = ent_w[k]
    end
  end
  return setmetatable({ ncats = ncats, ents = ents, neg = neg, window = window, pw = pw,
                        st = new_stream(ac, LEFTMOST_LONGEST, wb and true or false) }, Classifier)
end

function Classifier:scores(text, out)
  local nc, ents, neg, window, pw = self.ncats, self.ents, self.neg, self.window, self.pw
  for i = 1, 3 * nc do out[i] = 0 end
  local n = #text
  if n > 0 then
    local hits = find_all(self.st, text, 0)
    local inv = 1 / n
    local neg_at -- start of the latest negation
    for k = 1, #hits, 3 do
      local id, start = hits[k], hits[k + 1] - 1
      local negated = neg_at ~= nil and neg_at < start and start - neg_at <= window
      local pos = pw * (1 - start * inv)
      local e = ents[id]
      for j = 1, #e, 2 do
        local c, w = e[j], e[j + 1]
        if negated then
          out[3 * c - 2] = out[3 * c - 2] - w * 0.5
          out[3 * c] = out[3 * c] + 1
        else
          out[3 * c - 2] = out[3 * c - 2] + w * (1 + pos)
          out[3 * c - 1] = out[3 * c - 1] + 1
        end
      end
      if neg[id] then neg_at = start end
    end
  end
  for c = 1, nc do
    if out[3 * c - 2] < 0 then out[3 * c - 2] = 0 end
  end
  return out
end

function Classifier:close()
  self.closed = true
end

return M
