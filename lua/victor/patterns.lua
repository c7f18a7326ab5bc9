--- victor.patterns: multi-pattern literal matching (Aho-Corasick) with the match
--- kinds of the Rust aho-corasick crate, ASCII case folding and word boundaries,
--- whole texts or streamed chunk by chunk.
--
-- Semantics are defined in the design note of core/ac.h:
--   "standard"          every occurrence, overlapping, in order of end (at one end
--                       the longest first, then the lower id);
--   "leftmost_first"    non-overlapping: the leftmost start, then the pattern listed
--                       first (what the regex p1|p2|... would match), resuming at
--                       its end;
--   "leftmost_longest"  non-overlapping: the leftmost start, then the longest.
-- case_insensitive folds ASCII A-Z/a-z only (UTF-8 is matched byte for byte);
-- word_boundary keeps an occurrence only when the bytes around it are not word
-- bytes [A-Za-z0-9_] (the text's ends count as non-word), before the kind chooses.
--
-- Matches are flat arrays {id, start, stop, id, start, stop, ...}: id is the
-- pattern's 1-based index in the list, start and stop are 1-based inclusive byte
-- offsets (text:sub(start, stop) is the match), as in victor.stream_filter. A
-- stream's offsets are absolute since its creation (or reset); every chunking
-- gives the same matches, and feed returns each as soon as the input decides it.
local native = require "victor.native"
local args = require "victor.args"

local impl = native.load("patterns") or require "victor.fallback.patterns"

local M = {}

local type, error, sfmt, floor = type, error, string.format, math.floor
local setmetatable, getmetatable = setmetatable, getmetatable
local argerror, check_opts = args.argerror, args.check_opts

M.backend = native.load("patterns") and "native" or "fallback"

--- Match kinds by name (the values the C core uses).
M.KINDS = { standard = 0, leftmost_first = 1, leftmost_longest = 2 }
--- The automaton's default memory cap in bytes (VL_AC_DEFAULT_MAX_BYTES).
M.DEFAULT_MAX_BYTES = 64 * 1024 * 1024

local OPTS = { match_kind = "kind", case_insensitive = "boolean", word_boundary = "boolean", max_bytes = "count" }
local KIND_CHECK = {
  kind = function(v)
    if M.KINDS[v] == nil then return "match_kind must be \"standard\", \"leftmost_first\" or \"leftmost_longest\"" end
  end,
}

--- Check a pattern list (argument #i of fname): a non-empty array of non-empty strings.
function M.check_list(list, i, fname)
  if type(list) ~= "table" then argerror(i, fname, "array of strings expected, got " .. type(list)) end
  local n = #list
  if n == 0 then argerror(i, fname, "the pattern list is empty") end
  for k = 1, n do
    local p = list[k]
    if type(p) ~= "string" then argerror(i, fname, sfmt("patterns[%d] must be a string, got %s", k, type(p))) end
    if p == "" then argerror(i, fname, sfmt("patterns[%d] is empty", k)) end
  end
  return n
end

local Matcher = { __name = "Matcher" }
Matcher.__index = Matcher
local Stream = { __name = "Stream" }
Stream.__index = Stream

function Matcher.__tostring(self) return self.ud and "Matcher" or "Matcher (closed)" end
function Stream.__tostring(self) return self.ud and "Stream" or "Stream (closed)" end

local function check(self, mt, fname)
  if getmetatable(self) ~= mt then
    error(sfmt("bad argument #1 to '%s' (%s expected, got %s)", fname, mt.__name, type(self)), 3)
  end
  if not self.ud then error(mt.__name .. " is closed", 3) end
end

local function check_text(text, init, fname)
  if type(text) ~= "string" then
    argerror(1, fname, "string expected, got " .. (text == nil and "nil" or type(text)))
  end
  if init ~= nil and (type(init) ~= "number" or init < 1 or init ~= floor(init)) then
    argerror(2, fname, "init must be a positive integer")
  end
end

--- Compile a list of literal patterns.
--- Raises on misuse (not an array, an empty list, a pattern that is not a
--- non-empty string, an unknown option); returns nil, msg, "ELIMIT" when the
--- automaton would exceed max_bytes (default 64 MiB) or the patterns total over
--- 16 MiB.
---@param list string[]
---@alias victor.MatchKind "standard"|"leftmost_first"|"leftmost_longest"
---@param opts? {match_kind?: victor.MatchKind, case_insensitive?: boolean, word_boundary?: boolean,
---  max_bytes?: integer}
---@return table|nil matcher
---@return string|nil msg
---@return string|nil code
function M.literals(list, opts)
  M.check_list(list, 1, "literals")
  opts = check_opts(opts, OPTS, 2, "literals", KIND_CHECK)
  local kind = M.KINDS[opts.match_kind or "standard"]
  local ud, msg, code = impl.literals(list, kind, opts.case_insensitive or false, opts.word_boundary or false,
    opts.max_bytes or 0)
  if not ud then return nil, msg, code end
  return setmetatable({ ud = ud, n = #list, kind = opts.match_kind or "standard" }, Matcher)
end

--- Every match of text (from byte init, default 1; bytes before init are only
--- context for word boundaries), as a flat array {id, start, stop, ...}.
---@param text string
---@param init? integer
---@return number[]
function Matcher:find_all(text, init)
  check(self, Matcher, "find_all")
  check_text(text, init, "find_all")
  return self.ud:find_all(text, init)
end

--- The first match: id, start, stop; nil when there is none.
---@param text string
---@param init? integer
---@return integer|nil id
---@return integer|nil start
---@return integer|nil stop
function Matcher:find(text, init)
  check(self, Matcher, "find")
  check_text(text, init, "find")
  return self.ud:find(text, init)
end

--- The number of matches (no table is built).
---@param text string
---@param init? integer
---@return integer
function Matcher:count(text, init)
  check(self, Matcher, "count")
  check_text(text, init, "count")
  return self.ud:count(text, init)
end

--- Number of patterns, and the match kind's name.
function Matcher:size()
  check(self, Matcher, "size")
  return self.n, self.kind
end

--- A stream over this matcher: s:feed(chunk) -> the matches decided so far (flat
--- array, absolute offsets), s:finish() -> the rest; s:reset(); s:offset() -> bytes
--- fed; s:close(). feed or finish after finish raise "Stream is finished".
---@return table stream
function Matcher:stream()
  check(self, Matcher, "stream")
  return setmetatable({ ud = self.ud:stream(), m = self }, Stream)
end

--- Free the automaton (idempotent; streams made from it keep it alive).
function Matcher:close()
  self.ud = nil
end

function Stream:feed(chunk)
  check(self, Stream, "feed")
  if type(chunk) ~= "string" then
    argerror(1, "feed", "string expected, got " .. (chunk == nil and "nil" or type(chunk)))
  end
  local r = self.ud:feed(chunk)
  if not r then error("Stream is finished", 2) end
  return r
end

function Stream:finish()
  check(self, Stream, "finish")
  local r = self.ud:finish()
  if not r then error("Stream is finished", 2) end
  return r
end

function Stream:reset()
  check(self, Stream, "reset")
  self.ud:reset()
end

function Stream:offset()
  check(self, Stream, "offset")
  return self.ud:offset()
end

function Stream:close()
  if self.ud then self.ud:close() end
  self.ud = nil
end

M.Matcher, M.Stream = Matcher, Stream
return M
