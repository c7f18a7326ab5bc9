--- victor.fallback.signature: pure-Lua backend of the signature kernel.
--
-- Same API, canonical bytes, digests, error messages and loop decisions as the C
-- module victor.core.signature (see core/signature.h for the canonical form); the
-- specs check both backends against each other on random inputs.
-- LuaJIT 2.1.0-beta3 (Debian) miscompiles nested `pairs`/`next` loops (LuaJIT issue #827:
-- a JIT-compiled loop can stop early or see a wrong key). The parser only specialises loops
-- whose iterator is spelled `pairs(...)` or `next`, so iterate through this alias instead.
local each_next = next
local xxh3 = require "victor.xxh3"

local M = {}

local type, tostring, error, select = type, tostring, error, select
local floor, huge = math.floor, math.huge
local sfmt, slower = string.format, string.lower
local tconcat, tsort = table.concat, table.sort

-- cjson.null is a NULL light userdata; every NULL light userdata compares equal.
local has_cjson, cjson = pcall(require, "cjson")
local NULL = has_cjson and cjson.null or nil

local ffi = require "ffi"
local tohex = bit.tohex
local bits_of = ffi.new("union { double d; uint64_t u; }")

local DEFAULT_MAX_BYTES = 1048576
local DEFAULT_MAX_DEPTH = 64
local PATH_MAX_LEN = 160
local TYPE_RANK = { boolean = 1, number = 2, string = 3 }

local function argerror(i, fname, msg)
  error(sfmt("bad argument #%d to '%s' (%s)", i, fname, msg), 3)
end

local function typename(v, present)
  if not present then return "no value" end
  return type(v)
end

local function number_text(x)
  if x == 0 then return "i0;" end
  if x ~= x then return "dnan;" end
  if x == huge then return "d+inf;" end
  if x == -huge then return "d-inf;" end
  if x == floor(x) and x < 9223372036854775808 and x > -9223372036854775808 then
    return "i" .. sfmt("%.0f", x) .. ";"
  end
  bits_of.d = x   -- the exact IEEE-754 bits, as core/signature.c writes them
  return "d" .. tohex(bits_of.u, 16) .. ";"
end

-- The order of core/signature.h: booleans, then numbers, then strings; LuaJIT
-- compares strings bytewise (like memcmp), as the C kernel does.
local function less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return TYPE_RANK[ta] < TYPE_RANK[tb] end
  if ta == "boolean" then return (not a) and b end
  return a < b
end

-- Writer state for one canonicalisation.
local W = {}
W.__index = W

local function new_writer(max_bytes, max_depth)
  return setmetatable({ buf = {}, n = 0, len = 0, max_bytes = max_bytes, max_depth = max_depth,
                        depth = 0 }, W)
end

-- Failures are raised as tables {code=, ...} and caught by pcall in `run`.
function W:put(s)
  local len = self.len + #s
  if len > self.max_bytes then
    error({ code = "ELIMIT", bytes = true }, 0)
  end
  self.len = len
  self.n = self.n + 1
  self.buf[self.n] = s
end

function W.key_text(_, k)
  local t = type(k)
  if t == "boolean" then return k and "t" or "f" end
  if t == "number" then return number_text(k) end
  return "s" .. #k .. ":" .. k
end

local function path_seg(k, is_array)
  if not is_array and type(k) == "string" then
    if #k > 40 then return "." .. k:sub(1, 40) .. "..." end
    return "." .. k
  end
  if type(k) == "boolean" then return k and "[true]" or "[false]" end
  if k == floor(k) and k < 9223372036854775808 and k > -9223372036854775808 then
    return "[" .. sfmt("%.0f", k) .. "]"
  end
  bits_of.d = k
  return "[0x" .. tohex(bits_of.u, 16) .. "]"
end

local function fail(code, fields)
  fields.code = code
  fields.segs = {}
  error(fields, 0)
end

function W:value(v)
  local t = type(v)
  if t == "nil" then return self:put("n") end
  if t == "boolean" then return self:put(v and "t" or "f") end
  if t == "number" then return self:put(number_text(v)) end
  if t == "string" then return self:put("s" .. #v .. ":" .. v) end
  if t == "table" then return self:table(v) end
  if t == "userdata" and NULL ~= nil and v == NULL then return self:put("n") end
  fail("ETYPE", { bad_type = t, key = false })
end

function W:table(tab)
  if self.depth >= self.max_depth then fail("ELIMIT", { depth = true }) end
  local keys, n = {}, 0
  for k in each_next, tab do
    if not TYPE_RANK[type(k)] then fail("ETYPE", { bad_type = type(k), key = true }) end
    n = n + 1
    keys[n] = k
  end
  tsort(keys, less)
  local is_array = n > 0 and type(keys[1]) == "number" and keys[1] == 1 and type(keys[n]) == "number"
    and keys[n] == n
  if is_array then
    for i = 2, n - 1 do
      if keys[i] ~= floor(keys[i]) then is_array = false break end
    end
  end
  self.depth = self.depth + 1
  self:put(is_array and "[" or "{")
  for i = 1, n do
    local k = keys[i]
    if not is_array then self:put(self:key_text(k)) end
    local ok, err = pcall(self.value, self, tab[k])
    if not ok then
      if type(err) == "table" and err.segs and (err.code == "ETYPE" or (err.code == "ELIMIT" and err.depth)) then
        err.segs[#err.segs + 1] = path_seg(k, is_array)
      end
      error(err, 0)
    end
  end
  self.depth = self.depth - 1
  self:put(is_array and "]" or "}")
end

-- Build the error path as the C kernel does: innermost segment first, prepended
-- into a 160-byte budget; a segment that does not fit becomes "..." and ends it.
local function render_path(segs)
  local out, room = {}, PATH_MAX_LEN
  for i = 1, #segs do
    local s = segs[i]
    if #s > room then
      if room >= 3 then out[#out + 1] = "..." end
      break
    end
    out[#out + 1] = s
    room = room - #s
  end
  -- out is innermost first; reverse it
  local r = {}
  for i = #out, 1, -1 do r[#r + 1] = out[i] end
  return tconcat(r)
end

local function failure(err, w, prefix)
  if type(err) ~= "table" or not err.code then error(err, 0) end
  local path = render_path(err.segs or {})
  if err.code == "ETYPE" then
    return nil, sfmt("%sargs%s: unsupported %s type '%s'", prefix, path, err.key and "key" or "value", err.bad_type),
      "ETYPE"
  end
  if err.depth then
    return nil, sfmt("%sargs%s: tables nested deeper than %d (max_depth)", prefix, path, w.max_depth), "ELIMIT"
  end
  return nil, sfmt("%scanonical form larger than %d bytes (max_bytes)", prefix, w.max_bytes), "ELIMIT"
end

-- An integer option in lo..hi, or the default; the messages match the C binding.
local function int_opt(opts, key, lo, hi, range, default, i, fname)
  local v = opts[key]
  if v == nil then return default end
  if type(v) ~= "number" or v < lo or v > hi or v ~= floor(v) then
    argerror(i, fname, sfmt("opts.%s must be an integer in %s", key, range))
  end
  return v
end

local function check_opts(opts, i, fname)
  if opts == nil then return 64, DEFAULT_MAX_DEPTH, DEFAULT_MAX_BYTES end
  if type(opts) ~= "table" then argerror(i, fname, "table expected, got " .. type(opts)) end
  local bits = opts.bits or 64
  if bits ~= 64 and bits ~= 128 then argerror(i, fname, "opts.bits must be 64 or 128") end
  return bits, int_opt(opts, "max_depth", 1, 1000, "1..1000", DEFAULT_MAX_DEPTH, i, fname),
    int_opt(opts, "max_bytes", 16, 1073741824, "16..2^30", DEFAULT_MAX_BYTES, i, fname)
end

-- Canonical bytes of (name, args), or nil, msg, code.
local function canon(name, args, max_depth, max_bytes, prefix)
  local w = new_writer(max_bytes, max_depth)
  local ok, err = pcall(function()
    w:put("s" .. #name .. ":" .. name)
    if args == nil then w:put("{}") else w:value(args) end
  end)
  if not ok then return failure(err, w, prefix or "") end
  return tconcat(w.buf, "", 1, w.n)
end

local function digest(s, bits)
  if bits == 128 then return xxh3.hash128(s) end
  return xxh3.hash64(s)
end

local function check_name_args(fname, base, ...)
  local name, args = select(1, ...)
  local n = select("#", ...)
  if type(name) ~= "string" and type(name) ~= "number" then
    argerror(base, fname, "string expected, got " .. typename(name, n >= 1))
  end
  if args ~= nil and type(args) ~= "table" then
    argerror(base + 1, fname, "table or nil expected, got " .. type(args))
  end
  return tostring(name), args
end

function M.canonical(...)
  local name, args = check_name_args("canonical", 1, ...)
  local _, depth, bytes = check_opts((select(3, ...)), 3, "canonical")
  return canon(name, args, depth, bytes)
end

function M.of(...)
  local name, args = check_name_args("of", 1, ...)
  local bits, depth, bytes = check_opts((select(3, ...)), 3, "of")
  local s, msg, code = canon(name, args, depth, bytes)
  if not s then return nil, msg, code end
  return digest(s, bits)
end

function M.batch(calls, opts)
  if type(calls) ~= "table" then
    argerror(1, "batch", "table expected, got " .. typename(calls, calls ~= nil))
  end
  local bits, depth, bytes = check_opts(opts, 2, "batch")
  local out = {}
  for i = 1, #calls do
    local c = calls[i]
    local prefix = sfmt("call #%d: ", i)
    if type(c) ~= "table" then
      return nil, sfmt("%sexpected a table, got %s", prefix, type(c)), "ETYPE"
    end
    local name, args
    if c[1] ~= nil then name, args = c[1], c[2] else name, args = c.name, c.arguments end
    if type(name) ~= "string" then
      return nil, sfmt("%sname must be a string, got %s", prefix, type(name)), "ETYPE"
    end
    if args ~= nil and type(args) ~= "table" then
      return nil, sfmt("%sarguments must be a table, got %s", prefix, type(args)), "ETYPE"
    end
    local s, msg, code = canon(name, args, depth, bytes, prefix)
    if not s then return nil, msg, code end
    out[i] = digest(s, bits)
  end
  return tconcat(out)
end

local function hash_fn(fname, f)
  return function(...)
    local s = ...
    if type(s) ~= "string" then
      if type(s) == "number" then s = tostring(s)
      else argerror(1, fname, "string expected, got " .. typename(s, select("#", ...) >= 1)) end
    end
    return f(s)
  end
end
M.hash64 = hash_fn("hash64", xxh3.hash64)
M.hash128 = hash_fn("hash128", xxh3.hash128)
M.hash64_low128 = hash_fn("hash64_low128", xxh3.hash64_low128)

function M.xxhash_version()
  return "pure-Lua XXH3"
end

-- ---- LoopDetector ------------------------------------------------------------

local Loop = {}
Loop.__index = Loop
Loop.__name = "LoopDetector"

local function sig_value(s)
  if #s == 16 and not s:find("[^%x]") then return slower(s) end
  return xxh3.hash64(s)
end

local function check_self(self, fname)
  if getmetatable(self) ~= Loop then argerror(1, fname, "LoopDetector expected") end
  if self.closed then
    error(sfmt("calling '%s' on bad self (LoopDetector is closed)", fname), 3)
  end
end

function Loop:_push(v)
  local W_, half, ring = self.win, self.half, self.ring
  local found, found_count
  for L = 1, half do
    if self.filled >= L and ring[(self.head - L) % W_] == v then
      if self.run[L] < W_ - L then self.run[L] = self.run[L] + 1 end
    else
      self.run[L] = 0
    end
    if not found then
      local count = 1 + floor(self.run[L] / L)
      if count >= self.thr then found, found_count = L, count end
    end
  end
  ring[self.head] = v
  self.head = (self.head + 1) % W_
  if self.filled < W_ then self.filled = self.filled + 1 end
  self.count_pushed = self.count_pushed + 1
  if not found then return nil end
  local sigs = {}
  for i = 1, found do sigs[i] = ring[(self.head - found + i - 1) % W_] end
  return { signature = v, cycle = found, count = found_count, signatures = sigs }
end

function Loop:push(...)
  check_self(self, "push")
  local s = select(1, ...)
  if type(s) ~= "string" then
    if type(s) == "number" then s = tostring(s)
    else argerror(1, "push", "string expected, got " .. typename(s, select("#", ...) >= 1)) end
  end
  return self:_push(sig_value(s))
end

function Loop:push_call(...)
  check_self(self, "push_call")
  local name, args = check_name_args("push_call", 1, ...)
  local _, depth, bytes = check_opts((select(3, ...)), 3, "push_call")
  local s, msg, code = canon(name, args, depth, bytes)
  if not s then return nil, msg, code end
  return self:_push(xxh3.hash64(s))
end

function Loop:reset()
  check_self(self, "reset")
  self.head, self.filled, self.count_pushed = 0, 0, 0
  for L = 1, self.half do self.run[L] = 0 end
end

function Loop:close()
  self.closed = true
  self.ring = nil
end

function Loop:window() check_self(self, "window") return self.win end
function Loop:threshold() check_self(self, "threshold") return self.thr end
function Loop:pushed() check_self(self, "pushed") return self.count_pushed end

function Loop:__tostring()
  if self.closed then return "LoopDetector (closed)" end
  return sfmt("LoopDetector (window %d, threshold %d)", self.win, self.thr)
end

function M.loop_new(window, threshold)
  if type(window) ~= "number" then argerror(1, "loop_new", "number expected, got " .. type(window)) end
  if type(threshold) ~= "number" then argerror(2, "loop_new", "number expected, got " .. type(threshold)) end
  if window < 2 or window > 4096 or window ~= floor(window) then
    argerror(1, "loop_new", "window must be an integer in 2..4096")
  end
  if threshold < 2 or threshold > 1e6 or threshold ~= floor(threshold) then
    argerror(2, "loop_new", "threshold must be an integer >= 2")
  end
  local run = {}
  for L = 1, floor(window / 2) do run[L] = 0 end
  return setmetatable({ win = window, thr = threshold, half = floor(window / 2), head = 0, filled = 0,
                        count_pushed = 0, ring = {}, run = run }, Loop)
end

return M
