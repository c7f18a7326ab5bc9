--- victor.fallback.stream_filter: pure-Lua backend of the thinking-tag filter.
--
-- Same functions, outputs, events and statistics as the C module
-- victor.core.stream_filter (semantics: the design note of core/stream_filter.h);
-- the specs compare both on random inputs and chunkings. Tags are found with
-- string.find (plain), the next occurrence of each start tag cached per chunk, so
-- a chunk costs O(length x tags); the held-back tail is the longest suffix that is
-- a proper prefix of a tag of the current mode, looked up in a set of prefixes.
local M = {}

local byte, sub, find, slower = string.byte, string.sub, string.find, string.lower
local tconcat = table.concat
local getmetatable, setmetatable, type, error, tostring = getmetatable, setmetatable, type, error, tostring

-- Proper prefixes of the tags in list (folded), as a set, and the set of first bytes.
local function prefixes(list)
  local set, first = {}, {}
  for _, t in ipairs(list) do
    first[byte(t, 1)] = true
    for k = 1, #t - 1 do set[sub(t, 1, k)] = true end
  end
  return { set = set, first = first }
end

--- config(tags, case_insensitive) -> config (tags already checked by victor.stream_filter)
function M.config(tags, ci)
  local cfg = { ci = ci, starts = {}, ends = {}, max_len = 0, end_prefixes = {} }
  for k, p in ipairs(tags) do
    cfg.starts[k] = ci and slower(p[1]) or p[1]
    cfg.ends[k] = ci and slower(p[2]) or p[2]
    if #p[1] > cfg.max_len then cfg.max_len = #p[1] end
    if #p[2] > cfg.max_len then cfg.max_len = #p[2] end
    cfg.end_prefixes[k] = prefixes({ cfg.ends[k] })
  end
  cfg.start_prefixes = prefixes(cfg.starts)
  return cfg
end

local Filter = { __name = "Filter" }
Filter.__index = Filter

function Filter.__tostring(self)
  return self.closed and "Filter (closed)" or "Filter"
end

local function check(self, fname)
  if getmetatable(self) ~= Filter then
    error(string.format("bad argument #1 to '%s' (Filter expected, got %s)", fname, type(self)), 3)
  end
  if self.closed then error("Filter is closed", 3) end
end

function M.new(cfg, max)
  local f = setmetatable({ cfg = cfg, max = max }, Filter)
  f:reset()
  return f
end

function Filter:reset()
  check(self, "reset")
  self.pos, self.hold, self.thinking, self.tag = 0, "", false, 1
  self.counts = { [false] = 0, [true] = 0 }
  self.blocks, self.is_aborted, self.abort_at, self.finished = 0, false, nil, false
end

-- The output pieces and events of one call.
local function new_call()
  return { [false] = {}, [true] = {}, events = nil }
end

-- Give text[i..j] (its first byte at absolute 1-based offset at) to the current mode.
local function emit(self, call, text, i, j, at)
  if j < i then return end
  local n = j - i + 1
  if self.thinking and not self.is_aborted and self.max and self.counts[true] + n > self.max then
    self.is_aborted = true
    self.abort_at = at + (self.max - self.counts[true])
    call.events = call.events or {}
    call.events[#call.events + 1] = { kind = "abort", start = self.abort_at, stop = self.abort_at, tag = self.tag }
  end
  self.counts[self.thinking] = self.counts[self.thinking] + n
  local out = call[self.thinking]
  out[#out + 1] = sub(text, i, j)
end

local function event(call, kind, start, stop, tag)
  call.events = call.events or {}
  call.events[#call.events + 1] = { kind = kind, start = start, stop = stop, tag = tag }
end

-- Length of the longest suffix of ftext[i..] shorter than the longest tag that is a
-- proper prefix of a tag in pre.
local function held(ftext, i, pre, max_len)
  local n = #ftext
  local from = n - max_len + 2
  if from < i then from = i end
  for s = from, n do
    if pre.first[byte(ftext, s)] and pre.set[sub(ftext, s)] then return n - s + 1 end
  end
  return 0
end

local function results(call)
  local c, t = call[false], call[true]
  return (#c == 1 and c[1] or tconcat(c)), (#t == 1 and t[1] or tconcat(t)), call.events
end

-- Process text = hold .. chunk; last: the end of the input.
local function run(self, chunk, last)
  local cfg = self.cfg
  local text = self.hold .. chunk
  local base = self.pos - #self.hold  -- absolute offset of text's first byte, minus 1
  self.pos = self.pos + #chunk
  local ftext = cfg.ci and slower(text) or text
  local call = new_call()
  local i, nextpos = 1, {}
  while true do
    local s, e, tag
    if self.thinking then
      local endtag = cfg.ends[self.tag]
      s = find(ftext, endtag, i, true)
      if s then e, tag = s + #endtag - 1, self.tag end
    else
      for k, st in ipairs(cfg.starts) do
        local p = nextpos[k]
        if p == nil or (p and p < i) then
          p = find(ftext, st, i, true) or false
          nextpos[k] = p
        end
        if p then
          local pe = p + #st - 1
          if not e or pe < e or (pe == e and p < s) then s, e, tag = p, pe, k end
        end
      end
    end
    if not s then break end
    emit(self, call, text, i, s - 1, base + i)
    if self.thinking then
      event(call, "leave", base + s, base + e, tag)
    else
      event(call, "enter", base + s, base + e, tag)
      self.blocks = self.blocks + 1
      self.tag = tag
    end
    self.thinking = not self.thinking
    i = e + 1
  end
  local k = 0
  if not last then
    k = held(ftext, i, self.thinking and cfg.end_prefixes[self.tag] or cfg.start_prefixes, cfg.max_len)
  end
  emit(self, call, text, i, #text - k, base + i)
  self.hold = k > 0 and sub(text, #text - k + 1) or ""
  if last then self.finished = true end
  return results(call)
end

--- The chunk argument of feed as a string (numbers are text, as
--- luaL_checklstring has them); raises in the caller of feed otherwise. Shared
--- with the native filter of victor.stream_filter.
function M.chunk_arg(chunk)
  if type(chunk) == "string" then return chunk end
  if type(chunk) ~= "number" then
    error("bad argument #1 to 'feed' (string expected, got " .. (chunk == nil and "nil" or type(chunk)) .. ")", 3)
  end
  return tostring(chunk)
end

function Filter:feed(chunk)
  check(self, "feed")
  chunk = M.chunk_arg(chunk)
  if self.finished then error("Filter is finished", 2) end
  return run(self, chunk, false)
end

function Filter:finish()
  check(self, "finish")
  if self.finished then error("Filter is finished", 2) end
  return run(self, "", true)
end

function Filter:state()
  check(self, "state")
  return self.thinking and "thinking" or "normal"
end

function Filter:aborted()
  check(self, "aborted")
  return self.is_aborted
end

function Filter:stats()
  check(self, "stats")
  return {
    bytes_in = self.pos, content_bytes = self.counts[false], thinking_bytes = self.counts[true],
    held = #self.hold, blocks = self.blocks, state = self.thinking and "thinking" or "normal",
    tag = self.thinking and self.tag or nil, aborted = self.is_aborted, abort_at = self.abort_at,
    finished = self.finished,
  }
end

function Filter:close()
  self.closed = true
end

--- strip(config, text) -> content, thinking
function M.strip(cfg, text)
  local f = M.new(cfg, nil)
  local c, t = run(f, text, true)
  return c, t
end

--- measure(config, text) -> content_bytes, thinking_bytes, blocks
function M.measure(cfg, text)
  local f = M.new(cfg, nil)
  local c, t = run(f, text, true)
  return #c, #t, f.blocks
end

return M
