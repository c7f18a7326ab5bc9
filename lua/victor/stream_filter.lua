--- victor.stream_filter: split a streamed LLM response into content and thinking
--- text, removing the thinking tags (<think>...</think> and others), chunk by chunk.
--
-- Semantics are defined in the design note of core/stream_filter.h: tags are
-- found in order, earliest end first (the longest tag when several end at one
-- byte); inside a block only the end tag of the pair that opened it closes it (no
-- nesting: start tags and other pairs' end tags are thinking text); a stray end
-- tag outside a block is content; only a possible partial tag is held back (at
-- most the longest tag - 1 bytes); finish() flushes it (content outside a block,
-- thinking inside an unclosed one). Every chunking of an input gives the same
-- content, thinking and events. Offsets are 1-based and inclusive, into the
-- whole stream since the last reset.
--
-- Fixes relative to Victor's streaming_filter.rs (see the README): content and
-- thinking come back separately; max_thinking_bytes aborts when the cap is
-- crossed, not when the end tag arrives; a held partial tag is flushed at the end
-- instead of lost; a tag split at any byte is recognised.
local native = require "victor.native"

local impl = native.load("stream_filter") or require "victor.fallback.stream_filter"

local M = {}

local type, error, sfmt, floor, tostring, slower = type, error, string.format, math.floor, tostring, string.lower
local tconcat, setmetatable, getmetatable, tonumber = table.concat, setmetatable, getmetatable, tonumber
local each_next = next

M.backend = native.load("stream_filter") and "native" or "fallback"

M.MAX_TAG_LEN = 256      -- bytes per tag (VL_SF_MAX_TAG_LEN)
M.MAX_TAGS = 1024        -- tag pairs (VL_SF_MAX_TAGS)
--- Victor's production cap (StreamContentFilter.MAX_THINKING_CONTENT); the
--- default here is no cap.
M.VICTOR_MAX_THINKING_BYTES = 50000

local FW_BAR, LOW_BLOCK = "\239\189\156", "\226\150\129" -- U+FF5C, U+2581

--- The built-in tag pairs, in priority order (Victor's markers first).
M.DEFAULT_TAGS = {
  { "<" .. FW_BAR .. "begin" .. LOW_BLOCK .. "of" .. LOW_BLOCK .. "thinking" .. FW_BAR .. ">",
    "<" .. FW_BAR .. "end" .. LOW_BLOCK .. "of" .. LOW_BLOCK .. "thinking" .. FW_BAR .. ">" }, -- DeepSeek
  { "<|begin_of_thinking|>", "<|end_of_thinking|>" },
  { "<think>", "</think>" },                     -- Qwen3, DeepSeek-R1 and others
  { "<thinking>", "</thinking>" },
  { "<reasoning>", "</reasoning>" },
  { "<reflection>", "</reflection>" },
  { "<|begin_of_thought|>", "<|end_of_thought|>" },
  { "<seed:think>", "</seed:think>" },           -- Seed-OSS
}

local function argerror(i, fname, msg)
  error(sfmt("bad argument #%d to '%s' (%s)", i, fname, msg), 3)
end

local function is_count(v)
  return type(v) == "number" and v >= 0 and v == floor(v) and v < 2 ^ 53
end

-- Validate opts.tags; returns the pairs as a fresh array and a cache key.
local function check_tags(tags, ci, i, fname)
  if type(tags) ~= "table" or #tags == 0 then
    argerror(i, fname, "tags must be a non-empty array of {start, end} string pairs")
  end
  if #tags > M.MAX_TAGS then argerror(i, fname, sfmt("more than %d tag pairs", M.MAX_TAGS)) end
  local pairs_, key, seen = {}, { ci and "i" or "s" }, {}
  for k = 1, #tags do
    local p = tags[k]
    local s, e = type(p) == "table" and p[1], type(p) == "table" and p[2]
    if type(s) ~= "string" or type(e) ~= "string" or s == "" or e == "" then
      argerror(i, fname, sfmt("tags[%d] must be a {start, end} pair of non-empty strings", k))
    end
    if #s > M.MAX_TAG_LEN or #e > M.MAX_TAG_LEN then
      argerror(i, fname, sfmt("tags[%d]: a tag is over %d bytes", k, M.MAX_TAG_LEN))
    end
    local folded = ci and slower(s) or s
    if seen[folded] then argerror(i, fname, sfmt("tags[%d]: duplicate start tag '%s'", k, s)) end
    seen[folded] = true
    pairs_[k] = { s, e }
    key[#key + 1] = sfmt("%d:%s%d:%s", #s, s, #e, e)
  end
  return pairs_, tconcat(key)
end

local OPTS = {
  new = { tags = true, case_insensitive = true, max_thinking_bytes = true },
  strip_thinking = { tags = true, case_insensitive = true },
  measure = { tags = true, case_insensitive = true },
}

-- Compiled tag sets, by key; weak values: a set lives while a filter uses it.
local configs = setmetatable({}, { __mode = "v" })

-- Check opts of new/strip_thinking; returns the compiled config and the options.
local function config_of(opts, i, fname)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then argerror(i, fname, "table or nil expected, got " .. type(opts)) end
  local allowed = OPTS[fname]
  for k in each_next, opts do
    if not allowed[k] then argerror(i, fname, "unknown option '" .. tostring(k) .. "'") end
  end
  local ci = opts.case_insensitive
  if ci ~= nil and type(ci) ~= "boolean" then argerror(i, fname, "case_insensitive must be a boolean") end
  local max = opts.max_thinking_bytes
  if max ~= nil and not is_count(max) then
    argerror(i, fname, "max_thinking_bytes must be a non-negative integer")
  end
  local tags, key = check_tags(opts.tags or M.DEFAULT_TAGS, ci, i, fname)
  local cfg = configs[key]
  if not cfg then
    cfg = impl.config(tags, ci or false)
    configs[key] = cfg
  end
  return cfg, opts
end

-- ---- native filters: feed and finish through the FFI ---------------------------------
-- A classic Lua C call costs ~50 ns in LuaJIT (stack frame, checks, three pushes);
-- a delta of a few bytes must cost less (issue 4: <= 100 ns end to end). So the
-- native filter is a small Lua object over the C userdata: feed and finish call
-- vl_sf_feed through an FFI function pointer (the binding hands out its address,
-- so no symbol lookup is needed in any host), return the chunk itself when the
-- content (or thinking) is the whole chunk, "" when empty, and build event tables
-- only when there are events. The other methods go to the userdata.
local ffi_ok, ffi = pcall(require, "ffi")
local Native
if M.backend == "native" and ffi_ok and impl.feed_fn then
  if not pcall(ffi.typeof, "vl_sf_out") then
    ffi.cdef [[
typedef struct vl_sf_event { int kind; uint32_t tag; uint64_t start, end; } vl_sf_event;
typedef struct vl_sf_out {
  const char *content, *thinking;
  size_t content_len, thinking_len;
  const vl_sf_event *events;
  size_t nevents;
} vl_sf_out;
]]
  end
  local feed_c = ffi.cast("int (*)(void *, const char *, size_t, int, vl_sf_out *)", impl.feed_fn)
  local out = ffi.new("vl_sf_out")
  local ffi_string, cast = ffi.string, ffi.cast
  local KINDS = { "enter", "leave", "abort" }

  Native = { __name = "Filter" }
  Native.__index = Native
  function Native.__tostring(self) return tostring(self.ud) end

  local function check(self, fname)
    if getmetatable(self) ~= Native then
      error(sfmt("bad argument #1 to '%s' (Filter expected, got %s)", fname, type(self)), 3)
    end
    if not self.ptr then error("Filter is closed", 3) end
  end

  -- One view of the output: the chunk itself, "", or a copy.
  local function view(p, n, chunk, cn)
    if n == 0 then return "" end
    if n == cn and p == cast("const char *", chunk) then return chunk end
    return ffi_string(p, n)
  end

  local function results(st, chunk, cn)
    if st ~= 0 then
      if st == -2 then error("Filter is finished", 3) end
      return nil, "out of memory", "ENOMEM"
    end
    local c = view(out.content, tonumber(out.content_len), chunk, cn)
    local t = view(out.thinking, tonumber(out.thinking_len), chunk, cn)
    local ne = tonumber(out.nevents)
    if ne == 0 then return c, t, nil end
    local ev = {}
    for i = 0, ne - 1 do
      local e = out.events[i]
      ev[i + 1] = { kind = KINDS[e.kind], start = tonumber(e.start) + 1, stop = tonumber(e["end"]), tag = e.tag + 1 }
    end
    return c, t, ev
  end

  local chunk_arg = require("victor.fallback.stream_filter").chunk_arg

  function Native:feed(chunk)
    check(self, "feed")
    if type(chunk) ~= "string" then chunk = chunk_arg(chunk) end
    local n = #chunk
    return results(feed_c(self.ptr, chunk, n, 0, out), chunk, n)
  end

  function Native:finish()
    check(self, "finish")
    return results(feed_c(self.ptr, nil, 0, 1, out), nil, -1)
  end

  for _, name in ipairs({ "reset", "state", "aborted", "stats" }) do
    Native[name] = function(self)
      check(self, name)
      return self.ud[name](self.ud)
    end
  end

  function Native:close()
    self.ptr = nil
    self.ud:close()
  end
end

--- A streaming filter. Methods:
---   f:feed(chunk) -> content, thinking, events: the text decided by this chunk
---     (content and thinking, possibly ""), and nil or an array of events
---     {kind = "enter" | "leave" | "abort", start =, stop =, tag =} (a tag's
---     bytes, or for "abort" the thinking byte that crossed the cap; tag = the
---     pair's index in opts.tags);
---   f:finish() -> content, thinking, events: the held bytes (end of input);
---   f:reset() starts over (same tags and cap); f:state() -> "normal" | "thinking";
---   f:aborted() -> boolean; f:stats() -> {bytes_in=, content_bytes=,
---     thinking_bytes=, held=, blocks=, state=, tag= (inside a block), aborted=,
---     abort_at= (when aborted), finished=}; f:close() (idempotent; __gc calls it).
--- feed or finish after finish, and any method after close, raise. feed and finish
--- return nil, msg, code when out of memory.
---@param opts? {tags?: string[][], case_insensitive?: boolean, max_thinking_bytes?: integer}
---@return table filter
function M.new(opts)
  local cfg
  cfg, opts = config_of(opts, 1, "new")
  local f = impl.new(cfg, opts.max_thinking_bytes)
  if Native then
    return setmetatable({ ud = f, ptr = ffi.cast("void *", impl.ptr(f)) }, Native)
  end
  return f
end

-- Check (text, opts) of a whole-text call; returns the compiled config.
local function whole_text(text, opts, fname)
  if type(text) ~= "string" then
    argerror(1, fname, "string expected, got " .. (text == nil and "nil" or type(text)))
  end
  return (config_of(opts, 2, fname))
end

--- The content and the thinking text of a whole string (tags removed; thinking
--- blocks concatenated with nothing between them).
---@param text string
---@param opts? {tags?: string[][], case_insensitive?: boolean}
---@return string content
---@return string thinking
function M.strip_thinking(text, opts)
  return impl.strip(whole_text(text, opts, "strip_thinking"), text)
end

--- The sizes strip_thinking would return, and the number of thinking blocks,
--- without building the strings (a cheap "is there thinking, and how much").
---@param text string
---@param opts? {tags?: string[][], case_insensitive?: boolean}
---@return integer content_bytes
---@return integer thinking_bytes
---@return integer blocks
function M.measure(text, opts)
  return impl.measure(whole_text(text, opts, "measure"), text)
end

return M
