--- victor.cli: dispatch of `victor-lua COMMAND ...` and the texts of --help/--version.
--
-- A command is a module victor.cmd.<name> returning
-- { name = "...", summary = "one line", run = function(argv, out, err) -> exit status }
-- where argv holds the arguments after the command name and out/err are optional
-- writer functions (default: io.stdout / io.stderr).
local native = require "victor.native"

local M = {}

local pcall, require, tostring, sfmt = pcall, require, tostring, string.format
local each_next = next -- LuaJIT #827: never `in pairs(`

--- Built-in commands, in the order `help` lists them.
M.COMMANDS = { "help", "version", "rules", "sig", "dedup", "filter", "loops", "graph", "repair", "similar", "index",
  "scan" }

local function stderr(s) io.stderr:write(s) end

--- The command module for name, or nil and an error message.
---@param name string
---@return table|nil cmd
---@return string? msg
function M.find(name)
  local modname = "victor.cmd." .. name
  local ok, mod = pcall(require, modname)
  if ok and type(mod) == "table" and type(mod.run) == "function" then return mod end
  if not ok and tostring(mod):find("module '" .. modname .. "' not found", 1, true) then
    return nil, sfmt("unknown command '%s' (see 'victor-lua help')", name)
  end
  if ok then return nil, sfmt("command module %s has no run function", modname) end
  return nil, tostring(mod)
end

--- Run a command; returns its exit status (2 for an unknown command).
---@param name string
---@return integer status
function M.main(name, ...)
  local cmd, msg = M.find(name)
  if not cmd then
    stderr("victor-lua: " .. msg .. "\n")
    return 2
  end
  local status = cmd.run({ ... })
  io.stdout:flush()
  return status or 0
end

--- "victor-lua X (LuaJIT Y; xxHash Z; kernels: signature=native ...)" plus a newline.
---@return string
function M.version_text()
  local v = native.versions()
  local parts = {}
  for _, k in ipairs(native.KERNELS) do
    parts[#parts + 1] = k .. "=" .. native.backends()[k]
  end
  return sfmt("victor-lua %s (%s; xxHash %s; kernels: %s)\n", v.victor_lua, v.luajit, v.xxhash,
    table.concat(parts, " "))
end

--- The list of commands with their one-line summaries.
---@return string
function M.commands_text()
  local lines = { "commands:" }
  for _, name in ipairs(M.COMMANDS) do
    local cmd = M.find(name)
    lines[#lines + 1] = sfmt("  %-10s %s", name, cmd and cmd.summary or "(unavailable)")
  end
  lines[#lines + 1] = "\nrun 'victor-lua COMMAND --help' for a command's options.\n"
  return table.concat(lines, "\n")
end

--- Parse a command's argv with its lua-argparse parser without exiting: returns the
--- arguments, or nil and the exit status after printing help (0) or a usage error (2).
---@param parser table an argparse parser with a `-h --help` flag of its own
---@param argv string[]
---@param cmd string command name, for messages
---@param out fun(s: string)
---@param err fun(s: string)
---@return table|nil args
---@return integer? status
function M.parse_args(parser, argv, cmd, out, err)
  -- -h/--help wins over everything else (argparse would first complain about a
  -- missing required argument)
  for _, v in ipairs(argv) do
    if v == "--" then break end
    if v == "-h" or v == "--help" then
      out(parser:get_help() .. "\n")
      return nil, 0
    end
  end
  local ok, a = parser:pparse(argv)
  if not ok then
    err("victor-lua: " .. cmd .. ": " .. a .. "\n" .. parser:get_usage() .. "\n")
    return nil, 2
  end
  if a.help then
    out(parser:get_help() .. "\n")
    return nil, 0
  end
  return a
end

--- The active rule set after merging the packs of a repeatable `--rules PATH`
--- option over the defaults; or nil after writing the loader's error (exit 2).
---@param paths string[]
---@param err fun(s: string)
---@return table|nil pack
function M.rules_with(paths, err)
  local host = require "victor.host"
  for _, path in ipairs(paths or {}) do
    local ok, msg = host.add_pack(path)
    if not ok then
      err("victor-lua: " .. msg .. "\n")
      return nil
    end
  end
  return host.rules()
end

--- An input named on a command line: the file, or stdin for nil or "-"; or nil
--- after writing "victor-lua: CMD: <why>" (exit 2).
---@return file*|nil
function M.open_input(path, cmd, err)
  if path == nil or path == "-" then return io.stdin end
  local fh, msg = io.open(path, "rb")
  if not fh then err("victor-lua: " .. cmd .. ": " .. msg .. "\n") end
  return fh
end

local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta == "number" end
  return a < b
end

local function encode_into(v, buf, cjson, depth)
  if type(v) ~= "table" or depth > 1000 then
    buf[#buf + 1] = cjson.encode(v) -- scalars (and cjson's own error past its depth limit)
    return
  end
  local keys, n = {}, 0
  for k in each_next, v do
    n = n + 1
    keys[n] = k
  end
  local len = #v
  if n == 0 then
    buf[#buf + 1] = "{}"
  elseif len == n then
    buf[#buf + 1] = "["
    for i = 1, len do
      if i > 1 then buf[#buf + 1] = "," end
      encode_into(v[i], buf, cjson, depth + 1)
    end
    buf[#buf + 1] = "]"
  else
    table.sort(keys, key_less)
    buf[#buf + 1] = "{"
    for i = 1, n do
      local k = keys[i]
      if i > 1 then buf[#buf + 1] = "," end
      buf[#buf + 1] = cjson.encode(tostring(k))
      buf[#buf + 1] = ":"
      encode_into(v[k], buf, cjson, depth + 1)
    end
    buf[#buf + 1] = "}"
  end
end

--- JSON text of a value, deterministic: lua-cjson's encoding (strings, numbers, arrays of
--- sequences, `{}` for an empty table), but object keys in sorted order (numbers before
--- strings) where cjson follows the table's iteration order, which varies from run to run.
---@param value any
---@return string
function M.json_encode(value)
  local buf = {}
  encode_into(value, buf, require "cjson", 0)
  return table.concat(buf)
end

--- Write a value as one JSON document and a newline (the `--json` of the commands
--- that print tables), keys sorted (json_encode). Arrays given as Lua sequences; an
--- empty table prints `[]`.
---@param out fun(s: string)
---@param value any
function M.json_out(out, value)
  if type(value) == "table" and next(value) == nil then
    out("[]\n")
  else
    out(M.json_encode(value) .. "\n")
  end
end

--- A numeric option of parsed arguments `a` (argparse keeps them as strings): nil when
--- absent, else the number, or nil and "--NAME must be WHAT, got 'S'" when `check` refuses it.
---@param a table
---@param name string the argparse key (underscores for dashes)
---@param check fun(v: number): boolean
---@param what string
---@return number|nil
---@return string? msg
function M.num_opt(a, name, check, what)
  local s = a[name]
  if s == nil then return nil end
  local v = tonumber(s)
  if not v or not check(v) then
    return nil, sfmt("--%s must be %s, got '%s'", (name:gsub("_", "-")), what, tostring(s))
  end
  return v
end

--- true for a non-negative integer below 2^31 (counts, sizes, job numbers).
function M.is_count(v)
  return v >= 0 and v == math.floor(v) and v < 2 ^ 31
end

--- true when standard error is a terminal (progress bars are drawn only then).
---@return boolean
function M.stderr_is_tty()
  local ok, ffi = pcall(require, "ffi")
  if not ok then return false end
  local ok2, r = pcall(function()
    pcall(ffi.cdef, "int isatty(int fd);")
    return ffi.C.isatty(2) == 1
  end)
  return ok2 and r == true
end

--- For `-l MODULE`: require it into the global of the same name.
---@param name string
function M.require_global(name)
  _G[name] = require(name)
  return true
end

return M
