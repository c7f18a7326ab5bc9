--- victor.args: the argument checks of the public modules, so that misuse raises
--- the standard "bad argument #n to 'f' (...)" everywhere in the same words.
local M = {}

local type, error, sfmt, floor, tostring = type, error, string.format, math.floor, tostring
local each_next = next

--- Raise "bad argument #i to 'fname' (msg)" at the caller of the function that
--- called argerror (a public function's caller, when a helper checks for it).
function M.argerror(i, fname, msg)
  error(sfmt("bad argument #%d to '%s' (%s)", i, fname, msg), 3)
end
local argerror = M.argerror

--- Raise unless v is a string: "bad argument #i to 'fname' (string expected, got T)".
function M.check_string(v, i, fname)
  if type(v) ~= "string" then argerror(i, fname, "string expected, got " .. (v == nil and "nil" or type(v))) end
end

--- A non-negative integer that a double holds exactly.
function M.is_count(v)
  return type(v) == "number" and v >= 0 and v == floor(v) and v < 2 ^ 53
end
local is_count = M.is_count

-- The standard kinds of option value, each returning an error message or nil.
local KINDS = {
  count = function(v, k) if not is_count(v) then return k .. " must be a non-negative integer" end end,
  boolean = function(v, k) if type(v) ~= "boolean" then return k .. " must be a boolean" end end,
  table = function(v, k) if type(v) ~= "table" then return k .. " must be a table" end end,
  number = function(v, k) if type(v) ~= "number" then return k .. " must be a number" end end,
}

--- Check an options table (argument #i of fname): nil gives {}; a key not in
--- `allowed` (key -> kind) or a value its kind refuses raises. `kinds` adds kinds of
--- the caller's own (kind -> function(value, key) -> message or nil).
---@param opts any
---@param allowed table<string, string>
---@param i integer
---@param fname string
---@param kinds? table<string, fun(v: any, k: string): string|nil>
---@return table opts
function M.check_opts(opts, allowed, i, fname, kinds)
  if opts == nil then return {} end
  if type(opts) ~= "table" then argerror(i, fname, "table or nil expected, got " .. type(opts)) end
  for k, v in each_next, opts do
    local want = allowed[k]
    if not want then argerror(i, fname, "unknown option '" .. tostring(k) .. "'") end
    local check = KINDS[want] or (kinds and kinds[want])
    local msg = check and check(v, k)
    if msg then argerror(i, fname, msg) end
  end
  return opts
end

return M
