--- victor.json_repair: repair almost-JSON (LLM tool calls and answers) into valid
--- JSON, extract the JSON values embedded in prose, and repair a stream as it
--- arrives.
--
-- Semantics are defined in the design note of core/json_repair.h (one linear pass,
-- no backtracking; output always RFC 8259 JSON or `nil, msg, code`). Input that is
-- already valid JSON comes back unchanged (the same string) unless `compact` is
-- set, or `ensure_ascii` is set and it holds non-ASCII bytes.
--
-- Fixes relative to Victor's json_repair.rs (see the README): escapes inside
-- single-quoted strings, word boundaries of True/False/None, trailing commas,
-- unquoted keys, truncation; never returns invalid JSON.
local native = require "victor.native"

local impl = native.load("json_repair") or require "victor.fallback.json_repair"

local M = {}

local type, tostring = type, tostring
local each_next = next

M.backend = native.load("json_repair") and "native" or "fallback"

M.DEFAULT_MAX_DEPTH = 512
M.DEFAULT_MAX_INPUT = 2 ^ 53

local args = require "victor.args"
local argerror, check_text, is_count = args.argerror, args.check_string, args.is_count

local OPTS = {
  repair = { max_depth = "depth", max_input = "count", ensure_ascii = "boolean", compact = "boolean",
    ndjson = "boolean", return_value = "boolean" },
  extract = { max_depth = "depth", max_input = "count", ensure_ascii = "boolean", compact = "boolean" },
  stream = { max_depth = "depth", max_input = "count", ensure_ascii = "boolean", compact = "boolean",
    ndjson = "boolean" },
}

local KINDS = {
  depth = function(v, k) if not (is_count(v) and v >= 1) then return k .. " must be a positive integer" end end,
}

-- Checked options as (max_depth, max_input, flags, opts).
local function check_opts(opts, kind, i, fname)
  if opts == nil then return M.DEFAULT_MAX_DEPTH, M.DEFAULT_MAX_INPUT, 0, {} end
  args.check_opts(opts, OPTS[kind], i, fname, KINDS)
  local flags = (opts.ensure_ascii and 1 or 0) + (opts.compact and 2 or 0) + (opts.ndjson and 4 or 0)
  return opts.max_depth or M.DEFAULT_MAX_DEPTH, opts.max_input or M.DEFAULT_MAX_INPUT, flags, opts
end

local cjson_ok, cjson = pcall(require, "cjson.safe")
if cjson_ok then
  cjson = cjson.new()
  cjson.decode_invalid_numbers(false)
end

-- The native fast path for repair(text) with the default options: the kernel called
-- through an FFI function pointer that the binding hands out (a classic Lua C call
-- costs about as much as repairing a small tool call). Any status but OK goes the
-- classic way, which makes the message.
local fast_repair
do
  local ffi_ok, ffi = pcall(require, "ffi")
  if ffi_ok and M.backend == "native" and impl.repair_fn and impl.repair_state then
    local fn = ffi.cast("int (*)(void **, const char *, size_t, const char **, size_t *, int *)", impl.repair_fn)
    local state = ffi.cast("void **", impl.repair_state)
    local out, len, same = ffi.new("const char *[1]"), ffi.new("size_t[1]"), ffi.new("int[1]")
    local ffi_string = ffi.string
    fast_repair = function(text)
      if fn(state, text, #text, out, len, same) ~= 0 then return nil end
      if same[0] ~= 0 then return text end
      return ffi_string(out[0], len[0])
    end
  end
end

--- Repair `text` into valid JSON text. With opts.return_value, decode it (lua-cjson:
--- JSON null is cjson.null) and return the value and the text.
---@param text string
---@param opts? {max_depth?: integer, max_input?: integer, ensure_ascii?: boolean, compact?: boolean,
---  ndjson?: boolean, return_value?: boolean}
---@return string|any|nil json text (or the decoded value)
---@return string? msg (or the text with return_value)
---@return string? code "EPARSE" (no value found), "ELIMIT" (max_depth, max_input), "ENOTSUP"
function M.repair(text, opts)
  if opts == nil and fast_repair and type(text) == "string" then
    local out = fast_repair(text)
    if out then return out end
  end
  check_text(text, 1, "repair")
  local depth, max_input, flags, o = check_opts(opts, "repair", 2, "repair")
  local out, msg, code = impl.repair(text, depth, max_input, flags)
  if not out or not o.return_value then return out, msg, code end
  if not cjson_ok then return nil, "lua-cjson is not installed", "ENOTSUP" end
  cjson.decode_max_depth(depth + 1)
  local v, err = cjson.decode(out)
  if v == nil then return nil, "cannot decode the repaired JSON: " .. tostring(err), "EPARSE" end
  return v, out
end

--- true when `text` is strict RFC 8259 JSON (UTF-8, paired surrogate escapes, at
--- most max_depth deep): the fast path of repair.
---@param text string
---@param opts? {max_depth?: integer}
---@return boolean
function M.is_valid(text, opts)
  check_text(text, 1, "is_valid")
  local depth = M.DEFAULT_MAX_DEPTH
  if opts ~= nil then
    if type(opts) ~= "table" then argerror(2, "is_valid", "table or nil expected, got " .. type(opts)) end
    for k, v in each_next, opts do
      if k ~= "max_depth" then argerror(2, "is_valid", "unknown option '" .. tostring(k) .. "'") end
      if not (is_count(v) and v >= 1) then argerror(2, "is_valid", "max_depth must be a positive integer") end
      depth = v
    end
  end
  return (impl.valid(text, depth))
end

--- Every JSON object or array embedded in `text`, repaired: an array of {start =,
--- stop =, text =, truncated =}, byte offsets 1-based and inclusive (text:sub(start,
--- stop) is the source); truncated when the value was cut off by the end of the
--- text (then it was closed). A value starts at each { or [ outside a value found
--- before it.
---@param text string
---@param opts? {max_depth?: integer, max_input?: integer, ensure_ascii?: boolean, compact?: boolean}
---@return table[]|nil values
---@return string? msg
---@return string? code
function M.extract_json_values(text, opts)
  check_text(text, 1, "extract_json_values")
  local depth, max_input, flags = check_opts(opts, "extract", 2, "extract_json_values")
  return impl.extract(text, depth, max_input, flags)
end

--- A streaming repairer: s:feed(chunk) and s:finish() each return the next piece
--- of output (or nil, msg, code); their concatenation equals repair() of the whole
--- input for every chunking. Output is written as soon as no later input can change
--- it, so a UI can render partial tool-call arguments. s:close() frees it.
---@param opts? {max_depth?: integer, max_input?: integer, ensure_ascii?: boolean, compact?: boolean, ndjson?: boolean}
---@return table stream
function M.stream(opts)
  local depth, max_input, flags = check_opts(opts, "stream", 1, "stream")
  return impl.stream(depth, max_input, flags)
end

return M
