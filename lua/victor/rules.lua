-- victor.rules: the rule-pack loader, validator and merger.
--
-- A rule pack is a Lua chunk (text only) that returns a plain table:
--   return { name = "...", version = "...", description = "...", rules = { { id = ..., kind = ... }, ... } }
-- It is run in a sandbox, then validated against the declarative schemas of victor.rule_kinds, and
-- the host gets a fresh plain copy with the defaults filled in.
--
-- The sandbox, and why each part is there:
--  * a fresh environment per load holding copies of allow-listed pure functions only (see SAFE_*);
--    reading a standard global that is not allowed (FORBIDDEN: io, os, require, ...) raises ESANDBOX,
--    reading any other unset global raises ERUNTIME "undefined global" (this catches unquoted
--    strings and typos, and does not depend on what the host has in _G); writing a global stores it
--    in the private environment, which is dropped after the load;
--  * the shared string metatable's __index points at the sandbox's string copy during the load only,
--    so `("x"):rep(n)` meets the same guarded functions as `string.rep(s, n)`;
--  * a count hook on every VM instruction charges the instruction budget, checks the memory the load
--    has allocated (the GC is stopped during the load, so collectgarbage("count") only grows) and,
--    every CLOCK_EVERY instructions, a CPU-time backstop for work done inside C functions;
--  * the chunk and all its functions are excluded from the JIT (jit.off(f, true)), because LuaJIT does
--    not run hooks inside compiled traces;
--  * C functions that could do unbounded work in one call are wrapped: string.rep, string.format and
--    table.concat refuse results larger than the memory left; find/match/gmatch/gsub refuse patterns
--    whose worst-case backtracking estimate is above PATTERN_LIMIT; gsub and table.sort refuse to nest
--    callbacks deeper than MAX_NEST (LuaJIT segfaults on deep C-stack recursion through gsub);
--  * no pcall/xpcall/coroutine in the sandbox, so the pack can neither swallow a limit error nor run
--    code outside the hook; every limit error unwinds straight to the loader.
-- Validation never runs pack code: it walks tables with next/rawget and copies into fresh tables.
--
-- Known limits of the sandbox (pure Lua cannot do better without a C allocator hook):
--  * memory is checked between VM instructions, so one instruction can overshoot the cap by its own
--    output: `s .. s .. s ...` (up to ~250 operands) can briefly allocate that many times the largest
--    string the cap allows, bounded by LuaJIT's 2 GiB string limit, before the load is refused;
--  * the CPU-time backstop reads os.clock(), the CPU time of the whole process;
--  * the pattern-cost estimate is a worst-case bound, so a harmless pattern on a long string (several
--    hundred bytes with three or more quantifiers) may be refused;
--  * a load started from inside a debug hook runs without the hook (LuaJIT does not nest hooks).

-- LuaJIT 2.1.0-beta3 (Debian) miscompiles nested `pairs`/`next` loops (LuaJIT issue #827:
-- a JIT-compiled loop can stop early or see a wrong key). The parser only specialises loops
-- whose iterator is spelled `pairs(...)` or `next`, so iterate through this alias instead.
local each_next = next
local M = {}

local type, next, pairs, ipairs, select, tostring = type, next, pairs, ipairs, select, tostring
local error, pcall, rawget, setmetatable, getmetatable, setfenv = error, pcall, rawget, setmetatable,
  getmetatable, setfenv
local load, unpack, assert, tonumber = load, unpack, assert, tonumber
local floor, huge = math.floor, math.huge
local sfmt, sbyte, ssub, sfind, srep, sgsub = string.format, string.byte, string.sub, string.find,
  string.rep, string.gsub
local smatch, sgmatch = string.match, string.gmatch
local tconcat, tsort, tinsert, tremove = table.concat, table.sort, table.insert, table.remove
local gc = collectgarbage
local clock = os.clock
local open = io.open
local sethook, gethook, getinfo = debug.sethook, debug.gethook, debug.getinfo
local jit = rawget(_G, "jit")
local string_mt = getmetatable("")
local real_string, real_table, real_math, real_bit = string, table, math, require("bit")

local default_kinds = require("victor.rule_kinds")

local DEFAULT_BUDGET = 1e6              -- VM instructions
local DEFAULT_MEMORY = 16 * 1024 * 1024 -- bytes
local DEFAULT_TIME = 5                  -- CPU seconds (backstop; the budget is the real limit)
local CLOCK_EVERY = 32                  -- instructions between CPU-time checks
local PATTERN_LIMIT = 1e8               -- estimated worst-case matcher steps for one call
local MAX_NEST = 50                     -- nested gsub/sort callbacks
local MSG_MAX = 1000                    -- longest error message passed on, in bytes
local ID_PATTERN = "^[%w][%w_.:-]*$"

---@alias victor.RuleErrorCode "EIO"|"EPARSE"|"ESANDBOX"|"ELIMIT"|"ERUNTIME"|"ESCHEMA"

---@class victor.FieldSpec
---@field type "string"|"integer"|"number"|"boolean"|"array"|"table"
---@field required? boolean
---@field default? any
---@field min? number
---@field max? number
---@field enum? any[]
---@field of? victor.FieldSpec
---@field pattern? string
---@field doc? string

---@class victor.KindSchema
---@field summary string
---@field fields table<string, victor.FieldSpec>

---@class victor.Rule
---@field id string
---@field kind string
---@field description? string
---@field enabled boolean

---@class victor.RulePack
---@field name string
---@field version string
---@field description? string
---@field rules victor.Rule[]
---@field source string   chunk name the pack was loaded from (set by the loader)

---@class victor.RuleLoadOpts
---@field budget? number  VM instructions the chunk may execute (default 1e6)
---@field memory? number  bytes the load may allocate (default 16 MiB; also caps the source size)
---@field time? number    CPU seconds, a backstop for work inside C functions (default 5)
---@field kinds? table<string, victor.KindSchema>  schemas (default victor.rule_kinds)

-- Fields every rule has, whatever its kind.
local COMMON = {
  id = { type = "string", required = true, pattern = ID_PATTERN,
    doc = "Unique name of the rule within its pack; a later pack overrides a rule by id." },
  kind = { type = "string", required = true, doc = "Which kind of rule this is (see `victor-lua rules kinds`)." },
  description = { type = "string", doc = "What the rule is for, for people reading reports." },
  enabled = { type = "boolean", default = true, doc = "false keeps the rule in the pack but switches it off." },
}
local COMMON_ORDER = { "id", "kind", "description", "enabled" }

local TOP = {
  name = { type = "string", required = true, min = 1, doc = "Name of the pack." },
  version = { type = "string", required = true, min = 1, doc = "Version of the pack." },
  description = { type = "string", doc = "What the pack is for." },
  rules = { type = "array", required = true, of = { type = "table" }, doc = "The rules, in order." },
}
local TOP_ORDER = { "name", "version", "description", "rules" }

-- Hidden bookkeeping about validated copies; weak keys, so it never keeps a pack alive.
local given_fields = setmetatable({}, { __mode = "k" }) -- rule copy -> set of fields the input gave
local pack_kinds = setmetatable({}, { __mode = "k" })   -- pack copy -> kinds table it was checked with
local checked_kinds = setmetatable({}, { __mode = "k" }) -- kinds tables known to be well formed

---------------------------------------------------------------------------------------------------
-- Formatting helpers

local function fmtnum(v)
  if v ~= v then return "nan" end
  if v == huge then return "inf" end
  if v == -huge then return "-inf" end
  if v == floor(v) and v >= -2^53 and v <= 2^53 then return sfmt("%d", v) end
  return sfmt("%.14g", v)
end

local function escape_char(c)
  if c == "\\" then return "\\\\" end
  if c == '"' then return '\\"' end
  return sfmt("\\%d", sbyte(c))
end

-- A string as a one-line double-quoted literal, shortened past 40 bytes.
local function quote(s)
  local cut = #s > 40
  if cut then s = ssub(s, 1, 40) end
  return '"' .. sgsub(s, '[%c"\\\128-\255]', escape_char) .. (cut and '"...' or '"')
end

local function fmtkey(k)
  if type(k) == "string" then
    if #k <= 40 and sfind(k, "^[%w_.:-]+$") then return "'" .. k .. "'" end
    return "[" .. quote(k) .. "]"
  elseif type(k) == "number" then
    return "[" .. fmtnum(k) .. "]"
  elseif type(k) == "boolean" then
    return "[" .. tostring(k) .. "]"
  end
  return "[" .. type(k) .. "]"
end

local function got(v)
  local tv = type(v)
  if tv == "number" then return fmtnum(v) end
  if tv == "string" then return quote(v) end
  if tv == "boolean" then return tostring(v) end
  return tv
end

local function fmtval(v)
  if type(v) == "string" then return quote(v) end
  return got(v)
end

---Describe what a field spec accepts, e.g. `integer in 2..1024`.
---@param spec victor.FieldSpec
---@return string
function M.describe(spec)
  if type(spec) ~= "table" then
    error(sfmt("bad argument #1 to 'describe' (table expected, got %s)", type(spec)), 2)
  end
  if spec.enum then
    local parts = {}
    for i = 1, #spec.enum do parts[i] = fmtval(spec.enum[i]) end
    return "one of " .. tconcat(parts, ", ")
  end
  local t, lo, hi = spec.type, spec.min, spec.max
  if t == "integer" or t == "number" then
    if lo and hi then return sfmt("%s in %s..%s", t, fmtnum(lo), fmtnum(hi)) end
    if lo then return sfmt("%s >= %s", t, fmtnum(lo)) end
    if hi then return sfmt("%s <= %s", t, fmtnum(hi)) end
    return t
  elseif t == "string" then
    local d
    if lo == 1 and not hi then d = "non-empty string"
    elseif lo and hi then d = sfmt("string of length %s..%s", fmtnum(lo), fmtnum(hi))
    elseif lo then d = sfmt("string of length >= %s", fmtnum(lo))
    elseif hi then d = sfmt("string of length <= %s", fmtnum(hi))
    else d = "string" end
    if spec.pattern then d = d .. " matching '" .. spec.pattern .. "'" end
    return d
  elseif t == "array" then
    local d = spec.of and ("array of " .. M.describe(spec.of)) or "array"
    if lo and hi then d = d .. sfmt(" (%s..%s elements)", fmtnum(lo), fmtnum(hi))
    elseif lo then d = d .. sfmt(" (at least %s)", fmtnum(lo))
    elseif hi then d = d .. sfmt(" (at most %s)", fmtnum(hi)) end
    return d
  end
  return tostring(t)
end
local describe = M.describe

local function sorted_keys(t)
  local keys = {}
  for k in each_next, t do keys[#keys + 1] = k end
  tsort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys
end

local function argerror(n, fname, msg, level)
  error(sfmt("bad argument #%d to '%s' (%s)", n, fname, msg), level + 1)
end

---------------------------------------------------------------------------------------------------
-- Validation

-- Length of a table that must be an array (keys exactly 1..n); else nil and a description.
local function array_len(t)
  local n, maxk = 0, 0
  for k in each_next, t do
    if type(k) ~= "number" or k < 1 or k ~= floor(k) then
      local bad
      for _, key in ipairs(sorted_keys(t)) do
        if type(key) ~= "number" or key < 1 or key ~= floor(key) then bad = key break end
      end
      return nil, "key " .. fmtkey(bad)
    end
    n = n + 1
    if k > maxk then maxk = k end
  end
  if maxk ~= n then
    for i = 1, n do
      if rawget(t, i) == nil then return nil, sfmt("a hole at [%d]", i) end
    end
  end
  return n
end

local check_value

-- Deep copy of plain data (type "table" fields): no functions, no cycles, bounded depth.
local function copy_plain(v, path, depth, seen)
  local tv = type(v)
  if tv == "string" or tv == "boolean" or tv == "number" then return true, v end
  if tv ~= "table" then return false, path, "expected plain data, got " .. tv end
  if depth > 32 then return false, path, "nested too deeply (limit 32)" end
  if seen[v] then return false, path, "contains a cycle" end
  seen[v] = true
  local out = {}
  for _, k in ipairs(sorted_keys(v)) do
    local tk = type(k)
    if tk ~= "string" and tk ~= "number" and tk ~= "boolean" then
      return false, path, "expected plain data, got a " .. tk .. " key"
    end
    local ok, c, err = copy_plain(rawget(v, k), path .. "[" .. fmtval(k) .. "]", depth + 1, seen)
    if not ok then return false, c, err end
    out[k] = c
  end
  seen[v] = nil
  return true, out
end

-- Check v against spec. Returns true, copy; or false, path, reason.
function check_value(v, spec, path)
  local t, tv = spec.type, type(v)
  local ok
  if t == "string" then ok = tv == "string"
  elseif t == "integer" then ok = tv == "number" and v == floor(v) and v >= -2^53 and v <= 2^53
  elseif t == "number" then ok = tv == "number" and v == v
  elseif t == "boolean" then ok = tv == "boolean"
  else ok = tv == "table" end
  local bad = "expected " .. describe(spec) .. ", got "
  if not ok then return false, path, bad .. got(v) end
  if t == "integer" or t == "number" then
    if (spec.min and v < spec.min) or (spec.max and v > spec.max) then return false, path, bad .. got(v) end
  elseif t == "string" then
    if (spec.min and #v < spec.min) or (spec.max and #v > spec.max)
      or (spec.pattern and not sfind(v, spec.pattern)) then
      return false, path, bad .. got(v)
    end
  end
  if spec.enum then
    local found = false
    for i = 1, #spec.enum do
      if spec.enum[i] == v then found = true break end
    end
    if not found then return false, path, bad .. got(v) end
  end
  if t == "array" then
    local n, why = array_len(v)
    if not n then return false, path, bad .. "table with " .. why end
    if (spec.min and n < spec.min) or (spec.max and n > spec.max) then
      return false, path, bad .. sfmt("%d element%s", n, n == 1 and "" or "s")
    end
    local out = {}
    for i = 1, n do
      local elem = rawget(v, i)
      if spec.of then
        local eok, c, err = check_value(elem, spec.of, path .. "[" .. i .. "]")
        if not eok then return false, c, err end
        elem = c
      else
        local eok, c, err = copy_plain(elem, path .. "[" .. i .. "]", 1, {})
        if not eok then return false, c, err end
        elem = c
      end
      out[i] = elem
    end
    return true, out
  elseif t == "table" then
    return copy_plain(v, path, 1, {})
  end
  return true, v
end

local function copy_default(d)
  if type(d) ~= "table" then return d end
  local out = {}
  for k, v in each_next, d do out[k] = copy_default(v) end
  return out
end

-- Validate the fields `order` (specs in `specs`) of table `t` into `out`; records given fields.
-- Returns nil on success, or field path and reason.
local function check_fields(t, out, specs, order, given)
  for _, name in ipairs(order) do
    local spec, v = specs[name], rawget(t, name)
    if v == nil then
      if spec.required then return name, "required" end
      if spec.default ~= nil then out[name] = copy_default(spec.default) end
    else
      local ok, c, err = check_value(v, spec, name)
      if not ok then return c, err end
      out[name] = c
      if given then given[name] = true end
    end
  end
end

local function field_err(cn, label, path, reason)
  return nil, sfmt("%s: %sfield '%s': %s", cn, label, path, reason), "ESCHEMA"
end

local function kind_names(kinds)
  local names = {}
  for k in each_next, kinds do names[#names + 1] = k end
  tsort(names)
  return names
end

local function validate_rule(r, i, cn, kinds, seen_ids)
  if type(r) ~= "table" then
    return nil, sfmt("%s: rule #%d: expected table, got %s", cn, i, got(r)), "ESCHEMA"
  end
  local id = rawget(r, "id")
  local label = sfmt("rule #%d: ", i)
  local ok, _, err = check_value(id, COMMON.id, "id")
  if id == nil then return field_err(cn, label, "id", "required") end
  if not ok then return field_err(cn, label, "id", err) end
  label = sfmt("rule '%s' (#%d): ", id, i)
  if seen_ids[id] then
    return nil, sfmt("%s: %sduplicate id (first used by rule #%d)", cn, label, seen_ids[id]), "ESCHEMA"
  end
  seen_ids[id] = i
  local kind = rawget(r, "kind")
  if kind == nil then return field_err(cn, label, "kind", "required") end
  if type(kind) ~= "string" then return field_err(cn, label, "kind", "expected string, got " .. got(kind)) end
  local schema = kinds[kind]
  if not schema then
    return field_err(cn, label, "kind", sfmt("unknown kind %s (known: %s)", quote(kind),
      tconcat(kind_names(kinds), ", ")))
  end
  local fields = schema.fields
  for _, k in ipairs(sorted_keys(r)) do
    if COMMON[k] == nil and (type(k) ~= "string" or fields[k] == nil) then
      return nil, sfmt("%s: %sfield %s: unknown field for kind '%s' (known: %s)", cn, label, fmtkey(k), kind,
        tconcat(kind_names(fields), ", ")), "ESCHEMA"
    end
  end
  local out, given = {}, {}
  local path, reason = check_fields(r, out, COMMON, COMMON_ORDER, given)
  if not path then path, reason = check_fields(r, out, fields, kind_names(fields), given) end
  if path then return field_err(cn, label, path, reason) end
  given_fields[out] = given
  return out
end

local function validate(pack, cn, kinds, from_loader)
  if type(pack) ~= "table" then
    return nil, sfmt("%s: rule pack must be a table, got %s", cn, got(pack)), "ESCHEMA"
  end
  for _, k in ipairs(sorted_keys(pack)) do
    if TOP[k] == nil and (k ~= "source" or from_loader) then
      if k == "source" then return field_err(cn, "", "source", "reserved (set by the loader)") end
      return nil, sfmt("%s: field %s: unknown top-level field (known: %s)", cn, fmtkey(k),
        tconcat(TOP_ORDER, ", ")), "ESCHEMA"
    end
  end
  local src = rawget(pack, "source")
  if not from_loader and src ~= nil and type(src) ~= "string" then
    return field_err(cn, "", "source", "expected string, got " .. got(src))
  end
  local out = {}
  local rules, nrules = rawget(pack, "rules"), nil
  local path, reason = check_fields(pack, out, TOP, { "name", "version", "description" })
  if not path then
    if rules == nil then path, reason = "rules", "required"
    elseif type(rules) ~= "table" then path, reason = "rules", "expected array, got " .. got(rules)
    else
      local why
      nrules, why = array_len(rules)
      if not nrules then path, reason = "rules", "expected array, got table with " .. why end
    end
  end
  if path then return field_err(cn, "", path, reason) end
  out.rules = {}
  local seen_ids = {}
  for i = 1, nrules do
    local r, msg, code = validate_rule(rawget(rules, i), i, cn, kinds, seen_ids)
    if not r then return nil, msg, code end
    out.rules[i] = r
  end
  out.source = cn
  pack_kinds[out] = kinds
  return out
end

---------------------------------------------------------------------------------------------------
-- Checking kind schemas (host data, so problems are misuse and raise)

local SPEC_KEYS = { type = true, required = true, default = true, min = true, max = true, enum = true,
  of = true, pattern = true, doc = true }
local TYPES = { string = true, integer = true, number = true, boolean = true, array = true, table = true }

local function spec_problem(spec, path)
  if type(spec) ~= "table" then return path .. ": expected a field spec table" end
  for k in each_next, spec do
    if not SPEC_KEYS[k] then return sfmt("%s: unknown spec key %s", path, fmtkey(k)) end
  end
  if not TYPES[spec.type] then return sfmt("%s: bad type %s", path, fmtval(spec.type)) end
  if spec.required ~= nil and type(spec.required) ~= "boolean" then return path .. ": 'required' must be a boolean" end
  for _, k in ipairs({ "min", "max" }) do
    if spec[k] ~= nil and type(spec[k]) ~= "number" then return sfmt("%s: '%s' must be a number", path, k) end
  end
  for _, k in ipairs({ "pattern", "doc" }) do
    if spec[k] ~= nil and type(spec[k]) ~= "string" then return sfmt("%s: '%s' must be a string", path, k) end
  end
  if spec.pattern and spec.type ~= "string" then return path .. ": 'pattern' needs type string" end
  if spec.enum ~= nil and (type(spec.enum) ~= "table" or not array_len(spec.enum) or #spec.enum == 0) then
    return path .. ": 'enum' must be a non-empty array"
  end
  if spec.of ~= nil then
    if spec.type ~= "array" then return path .. ": 'of' needs type array" end
    local p = spec_problem(spec.of, path .. ".of")
    if p then return p end
  end
  if spec.default ~= nil then
    local ok, _, err = check_value(spec.default, spec, "default")
    if not ok then return sfmt("%s: bad default: %s", path, err) end
  end
end

local function kinds_problem(kinds)
  for name, schema in each_next, kinds do
    if type(name) ~= "string" or not sfind(name, "^[%a][%w_]*$") then
      return "bad kind name " .. fmtkey(name)
    end
    if type(schema) ~= "table" or type(schema.fields) ~= "table" then
      return sfmt("kind '%s': expected { summary = string, fields = table }", name)
    end
    if schema.summary ~= nil and type(schema.summary) ~= "string" then
      return sfmt("kind '%s': 'summary' must be a string", name)
    end
    for fname, spec in each_next, schema.fields do
      if type(fname) ~= "string" or not sfind(fname, "^[%a_][%w_]*$") then
        return sfmt("kind '%s': bad field name %s", name, fmtkey(fname))
      end
      if COMMON[fname] then return sfmt("kind '%s': field '%s' is common to all rules", name, fname) end
      local p = spec_problem(spec, sfmt("kind '%s': field '%s'", name, fname))
      if p then return p end
    end
  end
end

local function check_kinds(kinds, n, fname, level)
  if kinds == nil then return default_kinds end
  if type(kinds) ~= "table" then argerror(n, fname, "kinds: table expected, got " .. type(kinds), level + 1) end
  if not checked_kinds[kinds] then
    local p = kinds_problem(kinds)
    if p then argerror(n, fname, "invalid kinds: " .. p, level + 1) end
    checked_kinds[kinds] = true
  end
  return kinds
end

do -- a broken rule_kinds.lua is a programming error: fail at require time
  local p = kinds_problem(default_kinds)
  if p then error("victor.rule_kinds: " .. p) end
  checked_kinds[default_kinds] = true
end

---------------------------------------------------------------------------------------------------
-- The sandbox

local cur -- state of the load in progress (one at a time: pack code cannot start another)

-- Position prefix of the innermost pack frame, else the bare chunk name.
local function where()
  for level = 2, 60 do
    local info = getinfo(level, "Sl")
    if not info then break end
    if info.source == cur.source and info.currentline and info.currentline > 0 then
      return sfmt("%s:%d: ", cur.chunkname, info.currentline)
    end
  end
  return cur.chunkname .. ": "
end

local function fail(code, fmt, ...)
  local s = cur
  s.code = code
  error(where() .. sfmt(fmt, ...), 0)
end

local function hook()
  local s = cur
  if s == nil or s.disarmed then return end
  local n = s.remaining - 1
  s.remaining = n
  if n < 0 then
    s.disarmed = true
    fail("ELIMIT", "instruction budget exceeded (%s instructions)", fmtnum(s.budget))
  end
  if gc("count") > s.mem_limit_kb then
    s.disarmed = true
    fail("ELIMIT", "memory limit exceeded (%s bytes)", fmtnum(s.memory))
  end
  local t = s.tick - 1
  if t <= 0 then
    t = CLOCK_EVERY
    if clock() > s.deadline then
      s.disarmed = true
      fail("ELIMIT", "cpu time limit exceeded (%s s)", sfmt("%g", s.time))
    end
  end
  s.tick = t
end

-- Length a string function would see for v (numbers are coerced), or nil.
local function vlen(v)
  local tv = type(v)
  if tv == "string" then return #v end
  if tv == "number" then return #tostring(v) end
end

local function check_alloc(what, size)
  local s = cur
  local left = s.memory - (gc("count") - s.mem0_kb) * 1024
  if size ~= size or size > left then
    fail("ELIMIT", "%s: result too large (%s bytes; memory limit %s bytes)", what, fmtnum(size), fmtnum(s.memory))
  end
end

-- Counts go through tonumber, as the C functions also take numeric strings, and are passed on as
-- the integers the size check used.
local function w_rep(s, n, sep)
  local ls, lsep, k = vlen(s), sep == nil and 0 or vlen(sep), tonumber(n)
  if ls and lsep and k then
    n = floor(k)
    if n >= 1 then check_alloc("string.rep", ls * n + lsep * (n - 1)) end
  end
  return srep(s, n, sep)
end

local function w_format(fmt, ...)
  local size = vlen(fmt)
  if size then
    local args, n = { ... }, select("#", ...)
    for i = 1, n do size = size + (vlen(args[i]) or 64) + 128 end
    check_alloc("string.format", size)
  end
  return sfmt(fmt, ...)
end

local function w_concat(t, sep, i, j)
  local lsep = sep == nil and 0 or vlen(sep)
  if type(t) == "table" and lsep then
    local ni, nj = i == nil and 1 or tonumber(i), j == nil and #t or tonumber(j)
    if ni and nj then
      i, j = floor(ni), floor(nj)
      local size = 0
      for k = i, j do
        local l = vlen(rawget(t, k))
        if not l then break end -- tconcat raises the error
        size = size + l + lsep
      end
      check_alloc("table.concat", size)
    end
  end
  return tconcat(t, sep, i, j)
end

-- table.insert/remove shift every slot between the position and the end inside one C call, so a
-- far-off position (table.insert(t, -2^31, x)) would loop ~2^31 times out of the hook's reach.
-- Lua 5.3 refuses such positions; so do we.
local function w_insert(t, ...)
  local n = select("#", ...)
  if n == 2 and type(t) == "table" then
    local pos = tonumber((...))
    if pos and (pos < 1 or pos > #t + 1) then
      fail("ERUNTIME", "bad argument #2 to 'insert' (position out of bounds)")
    end
  end
  return tinsert(t, ...)
end

local function w_remove(t, pos)
  if pos ~= nil and type(t) == "table" then
    local p, len = tonumber(pos), #t
    if p and (len > 0 or p ~= 0) and (p < 1 or p > len + 1) then
      fail("ERUNTIME", "bad argument #2 to 'remove' (position out of bounds)")
    end
  end
  return tremove(t, pos)
end

-- Worst-case steps of Lua's backtracking matcher for pattern p on a subject of n bytes: every
-- single-char item with * + - can take each of the remaining positions (positions only move
-- forward, hence C(n+q, q) for q such items), ? doubles, %b and back-references rescan; and an
-- unanchored search restarts at each of n+1 positions.
local function pattern_cost(p, n, plain, anchorable)
  local lp = #p
  if plain or not sfind(p, "[%^%$%*%+%?%.%(%[%%%-]") then return (n + 1) * (lp + 1) end
  local i, q, opt, lin, anchored = 1, 0, 0, 0, false
  if sbyte(p, 1) == 94 and anchorable then anchored, i = true, 2 end
  while i <= lp do
    local c, item_end = sbyte(p, i), nil
    if c == 37 then -- %
      local d = sbyte(p, i + 1)
      if d == 98 then lin, i = lin + 1, i + 4        -- %bxy
      elseif d == 102 then                           -- %f[set]
        i = i + 2
        if sbyte(p, i) == 91 then
          i = i + 1
          repeat
            if sbyte(p, i) == 37 then i = i + 1 end
            i = i + 1
          until i > lp or sbyte(p, i) == 93
          i = i + 1
        end
      elseif d and d >= 48 and d <= 57 then lin, i = lin + 1, i + 2 -- back-reference
      else item_end = i + 1 end
    elseif c == 91 then -- [set]
      local j = i + 1
      if sbyte(p, j) == 94 then j = j + 1 end
      repeat
        if sbyte(p, j) == 37 then j = j + 1 end
        j = j + 1
      until j > lp or sbyte(p, j) == 93
      item_end = j
    elseif c == 40 or c == 41 then i = i + 1
    else item_end = i end
    if item_end then
      local nx = sbyte(p, item_end + 1)
      if nx == 42 or nx == 43 or nx == 45 then q, i = q + 1, item_end + 2
      elseif nx == 63 then opt, i = opt + 1, item_end + 2
      else i = item_end + 1 end
    end
  end
  local cost = anchored and 1 or n + 1
  for k = 1, q do
    cost = cost * (n + k) / k
    if cost > PATTERN_LIMIT then return cost end
  end
  return cost * 2 ^ opt * (n + 1) ^ lin
end

local function check_pattern(what, s, p, plain, anchorable)
  local n = vlen(s)
  if n and vlen(p) then
    local cost = pattern_cost(tostring(p), n, plain, anchorable)
    if cost > PATTERN_LIMIT then
      fail("ELIMIT", "%s: pattern too costly on a %d-byte string (worst case above %.3g steps)",
        what, n, PATTERN_LIMIT)
    end
  end
end

local function w_find(s, p, init, plain)
  check_pattern("string.find", s, p, plain, true)
  return sfind(s, p, init, plain)
end

local function w_match(s, p, init)
  check_pattern("string.match", s, p, false, true)
  return smatch(s, p, init)
end

local function w_gmatch(s, p)
  check_pattern("string.gmatch", s, p, false, false)
  return sgmatch(s, p)
end

local function enter()
  local s = cur
  local d = s.depth + 1
  if d > MAX_NEST then fail("ELIMIT", "callbacks nested too deeply (limit %d)", MAX_NEST) end
  s.depth = d
end

local function w_gsub(s, p, repl, n)
  check_pattern("string.gsub", s, p, false, true)
  local ls = vlen(s)
  if ls then
    local m, maxn = ls + 1, tonumber(n)
    if maxn then
      n = floor(maxn)
      if n < m then m = n > 0 and n or 0 end
    end
    local per
    local lr = vlen(repl)
    if lr then
      local refs = select(2, sgsub(tostring(repl), "%%%d", "")) -- captures: each <= the subject
      per = lr + refs * 16
      check_alloc("string.gsub", ls + m * per + refs * ls)
    elseif type(repl) == "table" then
      per = 0
      for _, v in each_next, repl do
        local l = vlen(v)
        if l and l > per then per = l end
      end
      check_alloc("string.gsub", ls + m * per)
    end
  end
  enter()
  local r, count = sgsub(s, p, repl, n)
  cur.depth = cur.depth - 1
  return r, count
end

local function w_sort(t, cmp)
  enter()
  tsort(t, cmp)
  cur.depth = cur.depth - 1
end

local FORBIDDEN = {}
for name in ("_G _VERSION arg bit32 collectgarbage coroutine debug dofile ffi gcinfo getfenv getmetatable io jit "
  .. "load loadfile loadstring module newproxy os package pcall print rawequal rawget rawlen rawset require "
  .. "setfenv setmetatable utf8 xpcall"):gmatch("%S+") do
  FORBIDDEN[name] = true
end

local env_mt = {
  __index = function(_, k)
    if FORBIDDEN[k] then
      fail("ESANDBOX", "rule pack may not use %s (sandboxed)", fmtkey(k))
    end
    fail("ERUNTIME", "undefined global %s", fmtkey(k))
  end,
}

local function lib_mt(libname, real)
  return {
    __index = function(_, k)
      if type(k) == "string" and rawget(real, k) ~= nil then
        fail("ESANDBOX", "rule pack may not use '%s.%s' (sandboxed)", libname, k)
      end
    end,
  }
end

local SAFE_BASE = { assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, select = select,
  tonumber = tonumber, tostring = tostring, type = type, unpack = unpack }
local SAFE_STRING = { byte = string.byte, char = string.char, find = w_find, format = w_format, gmatch = w_gmatch,
  gsub = w_gsub, len = string.len, lower = string.lower, match = w_match, rep = w_rep, reverse = string.reverse,
  sub = string.sub, upper = string.upper }
local SAFE_TABLE = { concat = w_concat, insert = w_insert, maxn = table.maxn, remove = w_remove, sort = w_sort }
local SAFE_MATH, SAFE_BIT = {}, {}
for k, v in each_next, real_math do
  if k ~= "random" and k ~= "randomseed" then SAFE_MATH[k] = v end
end
for k, v in each_next, real_bit do SAFE_BIT[k] = v end
local LIBS = {
  { "string", SAFE_STRING, setmetatable({}, lib_mt("string", real_string)) },
  { "table", SAFE_TABLE, setmetatable({}, lib_mt("table", real_table)) },
  { "math", SAFE_MATH, setmetatable({}, lib_mt("math", real_math)) },
  { "bit", SAFE_BIT, setmetatable({}, lib_mt("bit", real_bit)) },
}
for i = 1, #LIBS do LIBS[i][3] = getmetatable(LIBS[i][3]) end

-- Host functions the pack can reach run under the hook too; keep them out of the JIT so that their
-- loops are counted like the pack's own.
if jit then
  for _, f in ipairs({ hook, where, fail, vlen, check_alloc, w_rep, w_format, w_concat, w_insert, w_remove,
    pattern_cost,
    check_pattern, w_find, w_match, w_gmatch, enter, w_gsub, w_sort, env_mt.__index,
    LIBS[1][3].__index, LIBS[2][3].__index, LIBS[3][3].__index, LIBS[4][3].__index }) do
    jit.off(f, true)
  end
end

local function make_env()
  local env = {}
  for k, v in each_next, SAFE_BASE do env[k] = v end
  for i = 1, #LIBS do
    local name, safe, mt = LIBS[i][1], LIBS[i][2], LIBS[i][3]
    local copy = {}
    for k, v in each_next, safe do copy[k] = v end
    env[name] = setmetatable(copy, mt)
  end
  return setmetatable(env, env_mt)
end

local function guarded(fn)
  local ok, res = pcall(fn)
  cur.disarmed = true -- from here on the hook is a no-op, so it cannot fire outside a pcall
  return ok, res
end

local function fix_msg(msg, cn)
  local tm = type(msg)
  if tm == "number" then msg = fmtnum(msg)
  elseif tm ~= "string" then msg = "(error object is a " .. tm .. " value)" end
  if #cn > 59 then -- LuaJIT shortens "=name" chunk names to 59 bytes in positions
    local short = ssub(cn, 1, 59) .. ":"
    if ssub(msg, 1, 60) == short then msg = cn .. ssub(msg, 60) end
  end
  if ssub(msg, 1, #cn + 1) ~= cn .. ":" then msg = cn .. ": " .. msg end
  if #msg > MSG_MAX then msg = ssub(msg, 1, MSG_MAX) .. "..." end
  return msg
end

local function run_chunk(fn, cn, o)
  local env = make_env()
  local sb_string = rawget(env, "string")
  setfenv(fn, env)
  if jit then jit.off(fn, true) end
  local s = { chunkname = cn, source = "=" .. cn, budget = o.budget, remaining = o.budget, memory = o.memory,
    time = o.time, tick = CLOCK_EVERY, depth = 0, disarmed = false, code = nil }
  local prev_hook, prev_mask, prev_count = gethook()
  local gc_running = gc("isrunning")
  local saved_index = string_mt.__index
  gc("stop")
  s.mem0_kb = gc("count")
  s.mem_limit_kb = s.mem0_kb + o.memory / 1024
  s.deadline = clock() + o.time
  cur = s
  string_mt.__index = sb_string
  sethook(hook, "", 1)
  local outer_ok, ok, res = pcall(guarded, fn)
  if type(prev_hook) == "function" then sethook(prev_hook, prev_mask, prev_count) else sethook() end
  string_mt.__index = saved_index
  cur = nil
  if gc_running then gc("restart") end
  if outer_ok and ok then return res end
  local err = ok -- outer pcall failed: its message is in `ok`
  if outer_ok then err = res end
  local code = s.code
  if not code then
    if type(err) == "string"
      and (sfind(err, "stack overflow", 1, true) or sfind(err, "not enough memory", 1, true)) then
      code = "ELIMIT"
    else
      code = "ERUNTIME"
    end
  end
  return nil, fix_msg(err, cn), code
end

local OPT_TYPES = { budget = "number", memory = "number", time = "number", kinds = "table" }

local function check_opts(opts, n, fname)
  local o = { budget = DEFAULT_BUDGET, memory = DEFAULT_MEMORY, time = DEFAULT_TIME, kinds = default_kinds }
  if opts == nil then return o end
  if type(opts) ~= "table" then argerror(n, fname, "table expected, got " .. type(opts), 3) end
  for k, v in each_next, opts do
    local want = OPT_TYPES[k]
    if not want then argerror(n, fname, "unknown option " .. fmtkey(k), 3) end
    if type(v) ~= want then argerror(n, fname, sfmt("option '%s': %s expected, got %s", k, want, type(v)), 3) end
    if want == "number" and not (v > 0 and v < huge) then
      argerror(n, fname, sfmt("option '%s': positive number expected, got %s", k, fmtnum(v)), 3)
    end
    o[k] = v
  end
  o.budget = floor(o.budget)
  if o.budget < 1 then argerror(n, fname, "option 'budget': at least 1 expected", 3) end
  o.kinds = check_kinds(o.kinds, n, fname, 3)
  return o
end

local function load_impl(src, cn, o)
  if #src > o.memory then
    return nil, sfmt("%s: source too large (%d bytes; memory limit %s bytes)", cn, #src, fmtnum(o.memory)), "ELIMIT"
  end
  if sbyte(src, 1) == 27 then
    return nil, cn .. ": precompiled bytecode is not allowed", "EPARSE"
  end
  local fn, perr = load(src, "=" .. cn, "t")
  if not fn then return nil, fix_msg(perr, cn), "EPARSE" end
  local res, msg, code = run_chunk(fn, cn, o)
  if msg then return nil, msg, code end
  if type(res) ~= "table" then
    return nil, sfmt("%s: rule pack must return a table, got %s", cn, type(res)), "ERUNTIME"
  end
  return validate(res, cn, o.kinds, true)
end

---------------------------------------------------------------------------------------------------
-- Public API

---Load a rule pack from source text, in the sandbox, and validate it.
---@param src string        the pack's Lua source (text; bytecode is refused)
---@param chunkname string  name used in messages and recorded as pack.source, e.g. the file path
---@param opts? victor.RuleLoadOpts
---@return victor.RulePack|nil pack  a fresh validated copy with defaults filled
---@return string? msg   starts with chunkname
---@return victor.RuleErrorCode? code
function M.load_string(src, chunkname, opts)
  if type(src) ~= "string" then argerror(1, "load_string", "string expected, got " .. type(src), 2) end
  if type(chunkname) ~= "string" then argerror(2, "load_string", "string expected, got " .. type(chunkname), 2) end
  return load_impl(src, chunkname, check_opts(opts, 3, "load_string"))
end

---Load a rule pack from a file (the path is the chunk name).
---@param path string
---@param opts? victor.RuleLoadOpts
---@return victor.RulePack|nil pack
---@return string? msg
---@return victor.RuleErrorCode? code
function M.load_file(path, opts)
  if type(path) ~= "string" then argerror(1, "load_file", "string expected, got " .. type(path), 2) end
  local o = check_opts(opts, 2, "load_file")
  local f, oerr = open(path, "rb")
  if not f then
    oerr = tostring(oerr)
    if ssub(oerr, 1, #path + 2) == path .. ": " then oerr = ssub(oerr, #path + 3) end
    return nil, sfmt("%s: cannot open: %s", path, oerr), "EIO"
  end
  local size = f:seek("end")
  if size and size > o.memory and size < 2^62 then
    f:close()
    return nil, sfmt("%s: file too large (%s bytes; memory limit %s bytes)", path, fmtnum(size), fmtnum(o.memory)),
      "ELIMIT"
  end
  f:seek("set")
  local src, rerr = f:read(o.memory + 1)
  if src == nil and rerr == nil then src = "" end -- empty file: read(n) returns nil at EOF
  f:close()
  if not src then return nil, sfmt("%s: cannot read: %s", path, tostring(rerr)), "EIO" end
  return load_impl(src, path, o)
end

---Validate a pack table (already loaded by other means) and return a fresh copy with defaults filled.
---@param pack table
---@param chunkname string  used in messages and recorded as the copy's source
---@param kinds? table<string, victor.KindSchema>
---@return victor.RulePack|nil pack
---@return string? msg
---@return "ESCHEMA"? code
function M.validate(pack, chunkname, kinds)
  if type(chunkname) ~= "string" then argerror(2, "validate", "string expected, got " .. type(chunkname), 2) end
  return validate(pack, chunkname, check_kinds(kinds, 3, "validate", 2), false)
end

local function pack_rules(p)
  local rules = rawget(p, "rules")
  if type(rules) ~= "table" then return {} end
  local out, i = {}, 1
  while rawget(rules, i) ~= nil do
    out[i] = rawget(rules, i)
    i = i + 1
  end
  return out
end

---Merge packs: later packs win. Rules are matched by id; an override rule's fields are laid over the
---base rule's (fields the override only got from defaults do not count), a different `kind` replaces
---the rule, new ids are appended in order; disabled rules stay, with enabled = false. name, version
---and description come from the last pack that gives them. The result is validated again, with the
---kinds the first pack was validated with.
---@param base victor.RulePack
---@param ... victor.RulePack  overrides, in order
---@return victor.RulePack|nil pack  source is the sources joined with " + "
---@return string? msg
---@return "ESCHEMA"? code
function M.merge(base, ...)
  local packs = { base, ... }
  local n = select("#", ...) + 1
  for i = 1, n do
    if type(packs[i]) ~= "table" then argerror(i, "merge", "table expected, got " .. type(packs[i]), 2) end
  end
  local out, rules, index, sources = {}, {}, {}, {}
  for i = 1, n do
    local p = packs[i]
    for _, f in ipairs({ "name", "version", "description" }) do
      if rawget(p, f) ~= nil then out[f] = rawget(p, f) end
    end
    local src = rawget(p, "source")
    sources[i] = type(src) == "string" and src or sfmt("(pack #%d)", i)
    for _, r in ipairs(pack_rules(p)) do
      if type(r) ~= "table" then
        rules[#rules + 1] = r
      else
        local id = rawget(r, "id")
        local given = given_fields[r]
        local pos = id ~= nil and index[id]
        local target
        if pos then
          target = rules[pos]
          local kind = rawget(r, "kind")
          if kind ~= nil and kind ~= rawget(target, "kind") then
            target = {}
            rules[pos] = target
          end
        else
          target = {}
          rules[#rules + 1] = target
          if id ~= nil then index[id] = #rules end
        end
        for k, v in each_next, r do
          if not given or given[k] or k == "id" or k == "kind" then target[k] = copy_default(v) end
        end
      end
    end
  end
  out.rules = rules
  local kinds = pack_kinds[base] or default_kinds
  return validate(out, tconcat(sources, " + "), kinds, false)
end

---Names of the registered kinds, sorted.
---@param kinds? table<string, victor.KindSchema>
---@return string[]
function M.kinds(kinds)
  return kind_names(check_kinds(kinds, 1, "kinds", 2))
end

---A copy of a kind's schema, or nil if there is no such kind.
---@param kind string
---@param kinds? table<string, victor.KindSchema>
---@return victor.KindSchema|nil
function M.schema(kind, kinds)
  if type(kind) ~= "string" then argerror(1, "schema", "string expected, got " .. type(kind), 2) end
  local s = check_kinds(kinds, 2, "schema", 2)[kind]
  return s and copy_default(s) or nil
end

---A copy of the schema of the fields every rule has (id, kind, description, enabled), with `order`.
---@return { summary: string, fields: table<string, victor.FieldSpec>, order: string[] }
function M.common_schema()
  return copy_default({ summary = "Fields every rule has, whatever its kind.", fields = COMMON,
    order = COMMON_ORDER })
end

---The enabled rules of a pack, in pack order; all kinds when kind is nil.
---@param pack victor.RulePack
---@param kind? string
---@return victor.Rule[]
function M.enabled(pack, kind)
  if type(pack) ~= "table" then argerror(1, "enabled", "table expected, got " .. type(pack), 2) end
  if kind ~= nil and type(kind) ~= "string" then
    argerror(2, "enabled", "string expected, got " .. type(kind), 2)
  end
  local out = {}
  for _, r in ipairs(pack_rules(pack)) do
    if type(r) == "table" and rawget(r, "enabled") ~= false and (kind == nil or rawget(r, "kind") == kind) then
      out[#out + 1] = r
    end
  end
  return out
end

M.ID_PATTERN = ID_PATTERN
M.defaults = { budget = DEFAULT_BUDGET, memory = DEFAULT_MEMORY, time = DEFAULT_TIME }

return M
