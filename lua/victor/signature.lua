--- victor.signature: canonical tool-call signatures (XXH3) and loop detection.
--
-- A tool call (name plus nested arguments) becomes a canonical byte string (format
-- in core/signature.h: type-tagged values, length-prefixed strings, map keys sorted
-- at every depth) hashed with XXH3: 16 hex digits (64-bit, the default) or 32
-- (128-bit, high half first). `LoopDetector` watches a stream of signatures and
-- reports a cycle of length 1..window/2 once it repeated `threshold` times in a row.
--
-- Fixes relative to Victor's hashing.rs (see the README): true, 1 and "1" no longer
-- collide; nested keys are sorted (Victor used Python repr); strings cannot forge
-- structure; non-integral numbers are their exact bits, not "%.6f"; and there is no
-- `signature_similarity` (a Hamming ratio over hex digits measures nothing).
-- Note that Lua cannot tell 1 from 1.0: they are one number, so one signature.
local native = require "victor.native"

local impl = native.load("signature") or require "victor.fallback.signature"

local M = {}

local type, error, sfmt, ssub = type, error, string.format, string.sub

M.backend = native.load("signature") and "native" or "fallback"

--- Canonical bytes of a call (mostly for debugging and docs).
---@param name string tool name
---@param args table|nil arguments (nested tables, strings, numbers, booleans, cjson.null)
---@param opts? {max_depth?: integer, max_bytes?: integer}
---@return string|nil canonical
---@return string? msg
---@return string? code
M.canonical = impl.canonical

--- Signature of one call: 16 hex digits, or 32 with opts.bits = 128.
---@param name string
---@param args table|nil
---@param opts? {bits?: 64|128, max_depth?: integer, max_bytes?: integer}
---@return string|nil hex
---@return string? msg
---@return string? code "ETYPE" (a function, thread or userdata in args) or "ELIMIT"
M.of = impl.of

--- Signatures of many calls in one buffer: #calls digests concatenated (16 or 32
--- hex digits each, in order). A call is {name, args} or {name=, arguments=}.
---@param calls table[]
---@param opts? {bits?: 64|128, max_depth?: integer, max_bytes?: integer}
---@return string|nil digests
---@return string? msg  names the call ("call #3: args.x: ...")
---@return string? code
M.batch = impl.batch

--- XXH3 digests of a plain string.
M.hash64 = impl.hash64
M.hash128 = impl.hash128
--- Low 64 bits of XXH3-128: the digest Victor's compute_signature used.
M.hash64_low128 = impl.hash64_low128

local cjson_ok, cjson = pcall(require, "cjson.safe")

--- Signature of a call whose arguments are JSON text (as models emit them).
---@param name string
---@param json string JSON object text
---@param opts? table as for `of`
---@return string|nil hex
---@return string? msg
---@return string? code "EPARSE" for invalid JSON
function M.of_json(name, json, opts)
  if type(json) ~= "string" then
    error(sfmt("bad argument #2 to 'of_json' (string expected, got %s)", type(json)), 2)
  end
  if not cjson_ok then return nil, "lua-cjson is not installed", "ENOTSUP" end
  local args, err = cjson.decode(json)
  if args == nil then return nil, "invalid JSON arguments: " .. tostring(err), "EPARSE" end
  if type(args) ~= "table" then return nil, "JSON arguments must be an object or array", "ETYPE" end
  return M.of(name, args, opts)
end

--- Split a batch buffer into an array of digests.
---@param buf string
---@param bits? 64|128
---@return string[]
function M.split(buf, bits)
  local w = bits == 128 and 32 or 16
  local out = {}
  for i = 1, #buf, w do out[#out + 1] = ssub(buf, i, i + w - 1) end
  return out
end

M.LoopDetector = {}

--- A loop detector over the last `window` signatures.
--- det:push(sig) -> nil | {signature=, cycle=, count=, signatures={...}}
--- det:push_call(name, args) is push(of(name, args)). Also :reset(), :close(),
--- :window(), :threshold(), :pushed(). A 16-hex-digit string is taken as a
--- signature; any other string is hashed to 64 bits first.
---@param opts? {window?: integer, threshold?: integer}  defaults 12 and 3
---@return userdata|table detector
function M.LoopDetector.new(opts)
  if opts ~= nil and type(opts) ~= "table" then
    error(sfmt("bad argument #1 to 'new' (table or nil expected, got %s)", type(opts)), 2)
  end
  opts = opts or {}
  return impl.loop_new(opts.window or 12, opts.threshold or 3)
end

return M
