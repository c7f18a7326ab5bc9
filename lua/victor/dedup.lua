--- victor.dedup: content deduplication (normalised blocks hashed with XXH3) and a
--- one-pass normaliser.
--
-- Semantics are defined in the design note of core/dedup.h: Victor's
-- normalize_block; blocks split on blank lines (a line of only " \t\r\v\f"), fenced
-- code blocks (``` or ~~~, length >= 3, closed by the same character at least as
-- long; unclosed: to the end of the input) kept whole; a block is a duplicate when
-- its normalised key, at least `min_block_length` bytes long, was seen earlier.
-- Offsets are 1-based and inclusive (string.sub(text, start, stop) is the block,
-- without its final line terminator).
--
-- Fixes relative to Victor's dedup.rs (see the README): no hang on an unclosed
-- fence, linear time, ~~~ fences and longer closing fences, whitespace-only lines
-- are blank, and the original separators of kept blocks are preserved.
local native = require "victor.native"

local impl = native.load("dedup") or require "victor.fallback.dedup"

local M = {}

local type, sfmt, tostring = type, string.format, tostring
local getmetatable, setmetatable = getmetatable, setmetatable
local each_next = next

M.backend = native.load("dedup") and "native" or "fallback"

M.DEFAULT_MIN_BLOCK_LENGTH = 50
M.DEFAULT_MAX_BYTES = 256 * 1024 * 1024
M.DEFAULT_MAX_ENTRIES = 1000000
M.DEFAULT_MAX_KEY_BYTES = 64 * 1024 * 1024

local args = require "victor.args"
local argerror, is_count, check_text = args.argerror, args.is_count, args.check_string


local OPTS = {
  block = { min_block_length = "count", max_bytes = "count", near = "near" },
  lines = { delimiter = "delimiter", counts = "boolean", max_bytes = "count" },
  stream = { mode = "mode", min_block_length = "count", delimiter = "delimiter", max_entries = "count",
    max_key_bytes = "count" },
}

-- Option kinds of this module (victor.args has count and boolean).
local KINDS = {
  delimiter = function(v) if v ~= "\n" and v ~= "\0" then return 'delimiter must be "\\n" or "\\0"' end end,
  near = function(v) if not (is_count(v) and v <= 64) then return "near must be an integer from 0 to 64" end end,
  mode = function(v) if v ~= "blocks" and v ~= "lines" then return 'mode must be "blocks" or "lines"' end end,
}

local function check_opts(opts, kind, i, fname)
  return args.check_opts(opts, OPTS[kind], i, fname, KINDS)
end

-- Check the (text, opts) of a whole-text call: the options, or nil and the message
-- when the text is over max_bytes.
local function whole_text(text, opts, kind, fname)
  check_text(text, 1, fname)
  opts = check_opts(opts, kind, 2, fname)
  local max = opts.max_bytes or M.DEFAULT_MAX_BYTES
  if #text > max then
    return nil, sfmt("input is %d bytes, over max_bytes %d", #text, max)
  end
  return opts
end

local SIMD_NAMES = { auto = true, avx2 = true, sse2 = true }

--- The normaliser's vector path: "avx2" or "sse2" (native), "lua" (fallback).
---@return string
function M.simd()
  return impl.simd and impl.simd() or "lua"
end

--- Select the normaliser's vector path for every later call ("auto": AVX2 where the
--- CPU has it); both give the same bytes. Process-wide in the native backend.
---@param name string
---@return true|nil ok
---@return string? msg
---@return string? code
function M.set_simd(name)
  if type(name) ~= "string" or not SIMD_NAMES[name] then
    argerror(1, "set_simd", "one of auto, avx2, sse2 expected, got " .. tostring(name))
  end
  if not impl.set_simd then
    if name == "auto" then return true end
    return nil, "the pure-Lua backend has no " .. name .. " path", "EINVAL"
  end
  return impl.set_simd(name)
end

--- Victor's normalize_block: trim, collapse White_Space runs to one space, ASCII
--- lowercase, strip a trailing run of . , ; :
---@param s string
---@return string
function M.normalize_block(s)
  check_text(s, 1, "normalize_block")
  return impl.normalize_block(s)
end

--- Block id of a block: XXH3-64 of its normalised form (16 hex digits) and
--- Victor's 48-bit form (the last 12 of them).
---@param s string
---@return string id16
---@return string id12
function M.block_id(s)
  check_text(s, 1, "block_id")
  return impl.block_id(s)
end

--- SimHash of normalize_block(s) used by near mode (features in core/dedup.h:
--- word 3-shingles, or words for keys of 1 or 2 words, hashed with XXH3-64), as 16
--- hex digits; nil when the key has no words.
---@param s string
---@return string|nil
function M.simhash(s)
  check_text(s, 1, "simhash")
  return impl.simhash(s)
end

--- Repeated blocks: an array of {first = {start, stop, line}, dup = {start, stop,
--- line}, id = 16 hex digits, victor_id = 12 hex digits}, in input order. With
--- opts.near = T (0..64), near duplicates too: a block whose SimHash is within
--- Hamming distance T of an earlier kept block's; then every entry also has
--- distance (0 for an exact repeat) and near (true for a near hit).
---@param text string
---@param opts? {min_block_length?: integer, max_bytes?: integer, near?: integer}
---@return table[]|nil dups
---@return string? msg
---@return string? code "ELIMIT" when #text > max_bytes
function M.find_duplicate_blocks(text, opts)
  local msg
  opts, msg = whole_text(text, opts, "block", "find_duplicate_blocks")
  if not opts then return nil, msg, "ELIMIT" end
  return impl.find(text, opts.min_block_length or M.DEFAULT_MIN_BLOCK_LENGTH, opts.near)
end

--- The text with repeated blocks removed (first occurrences kept byte for byte),
--- and {blocks=, removed=, bytes_in=, bytes_out=}. With opts.near = T, near
--- duplicates (see find_duplicate_blocks) are removed too and the stats gain
--- near_removed (of removed, the near hits).
---@param text string
---@param opts? {min_block_length?: integer, max_bytes?: integer, near?: integer}
---@return string|nil text
---@return table|string stats_or_msg
---@return string? code
function M.dedup(text, opts)
  local msg
  opts, msg = whole_text(text, opts, "block", "dedup")
  if not opts then return nil, msg, "ELIMIT" end
  return impl.dedup(text, opts.min_block_length or M.DEFAULT_MIN_BLOCK_LENGTH, opts.near)
end

--- Line mode, as awk '!seen[$0]++': every kept line followed by the delimiter, and
--- {lines=, removed=, bytes_in=, bytes_out=, counts=} (counts, with opts.counts:
--- occurrences of each kept line, in output order).
---@param text string
---@param opts? {delimiter?: "\n"|"\0", counts?: boolean, max_bytes?: integer}
---@return string|nil text
---@return table|string stats_or_msg
---@return string? code
function M.dedup_lines(text, opts)
  local msg
  opts, msg = whole_text(text, opts, "lines", "dedup_lines")
  if not opts then return nil, msg, "ELIMIT" end
  return impl.lines(text, opts.delimiter or "\n", opts.counts or false)
end

--- A streaming deduplicator: the same output as dedup (mode "blocks", the default)
--- or dedup_lines (mode "lines") for every chunking of the input, as long as fewer
--- than max_entries distinct keys (of max_key_bytes in all) are seen. Methods: s:feed(chunk) -> the text that
--- can be written now (possibly ""); s:finish() -> the rest; s:stats() ->
--- {blocks= | lines=, removed=, bytes_in=, bytes_out=, entries=, evictions=, held=};
--- s:close() (idempotent; __gc calls it). feed or finish after finish, and any
--- method but close after close, raise. feed and finish return nil, msg, code when
--- out of memory. Memory: the open block, the blank lines after it, one pending
--- separator, the incomplete last line, and at most max_entries keys of at most
--- max_key_bytes bytes in all (a single longer key is kept alone). Eviction: when a
--- new key arrives at a set that holds max_entries keys, or whose keys and the new
--- one would pass max_key_bytes, the set is cleared (counted in `evictions`), so past
--- a cap a repeat of an older block or line is written again.
---@param opts? {mode?: "blocks"|"lines", min_block_length?: integer, delimiter?: "\n"|"\0", max_entries?: integer,
---  max_key_bytes?: integer}
---@return userdata|table stream
function M.stream(opts)
  opts = check_opts(opts, "stream", 1, "stream")
  local lines = opts.mode == "lines"
  if lines and opts.min_block_length ~= nil then argerror(1, "stream", 'min_block_length needs mode "blocks"') end
  if not lines and opts.delimiter ~= nil then argerror(1, "stream", 'delimiter needs mode "lines"') end
  if opts.max_entries == 0 then argerror(1, "stream", "max_entries must be at least 1") end
  if opts.max_key_bytes == 0 then argerror(1, "stream", "max_key_bytes must be at least 1") end
  return impl.stream_new(lines, opts.delimiter or "\n", opts.min_block_length or M.DEFAULT_MIN_BLOCK_LENGTH,
    opts.max_entries or M.DEFAULT_MAX_ENTRIES, opts.max_key_bytes or M.DEFAULT_MAX_KEY_BYTES)
end

-- Normaliser steps and their flag bits (core/dedup.h VL_NORM_*).
local STEPS = { crlf = 1, ansi = 2, zero_width = 4, collapse_ws = 8, trim_lines = 16 }
local LOWER_ASCII, LOWER_UNICODE = 32, 64

local Normalizer = {}
Normalizer.__index = Normalizer

--- Apply the normaliser to s in one traversal.
---@param s string
---@return string
function Normalizer:apply(s)
  if type(self) ~= "table" or getmetatable(self) ~= Normalizer then
    argerror(1, "apply", "normalizer expected, got " .. type(self))
  end
  check_text(s, 2, "apply")
  return impl.norm_apply(self.flags, s)
end

function Normalizer:__tostring()
  return sfmt("Normalizer(%d)", self.flags)
end

--- A normaliser composed of opt-in steps, run as one traversal:
--- {crlf=, ansi=, zero_width=, collapse_ws=, trim_lines=} booleans and
--- lower = "ascii" | "unicode" | false ("unicode": simple lowercase mappings of
--- U+0080..U+07FF, as listed in core/dedup.h). obj:apply(s) -> string.
---@param opts? table
---@return table normalizer
function M.normalizer(opts)
  if opts ~= nil and type(opts) ~= "table" then
    argerror(1, "normalizer", "table or nil expected, got " .. type(opts))
  end
  local flags = 0
  for k, v in each_next, opts or {} do
    if k == "lower" then
      if v == "ascii" then
        flags = flags + LOWER_ASCII
      elseif v == "unicode" then
        flags = flags + LOWER_UNICODE
      elseif v ~= false then
        argerror(1, "normalizer", 'lower must be "ascii", "unicode" or false')
      end
    elseif STEPS[k] then
      if type(v) ~= "boolean" then argerror(1, "normalizer", k .. " must be a boolean") end
      if v then flags = flags + STEPS[k] end
    else
      argerror(1, "normalizer", "unknown option '" .. tostring(k) .. "'")
    end
  end
  return setmetatable({ flags = flags }, Normalizer)
end

return M
