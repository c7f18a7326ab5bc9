-- victor.cmd.rules: the `victor-lua rules` subcommand.
--
--   victor-lua rules check FILE...   validate packs: `FILE: ok (N rules)` on stdout per good file,
--                                    `victor-lua: <msg>` on stderr per bad one
--   victor-lua rules show FILE       print the validated pack, defaults filled, as Lua source
--   victor-lua rules kinds           list the rule kinds and their fields
--   victor-lua rules import-gitleaks FILE   convert a gitleaks TOML config into a pack of `secret`
--                                    rules on stdout; rules it cannot convert are listed on stderr
-- Exit status: 0 all good, 1 a pack failed to load or validate, 2 usage error.
-- run(argv, out, err) takes optional writer functions (string -> nothing) so it can be tested and
-- embedded; they default to io.stdout and io.stderr. It never calls os.exit.

-- LuaJIT 2.1.0-beta3 (Debian) miscompiles nested `pairs`/`next` loops (LuaJIT issue #827:
-- a JIT-compiled loop can stop early or see a wrong key). The parser only specialises loops
-- whose iterator is spelled `pairs(...)` or `next`, so iterate through this alias instead.
local each_next = next
local argparse = require("argparse")
local rules = require("victor.rules")

local type, ipairs, pcall, error, tostring = type, ipairs, pcall, error, tostring
local sfmt, sfind, srep, sgsub = string.format, string.find, string.rep, string.gsub
local tconcat, tsort, floor = table.concat, table.sort, math.floor

local M = {
  name = "rules",
  summary = "check rule packs, show them with defaults filled in, list rule kinds",
}

local HELP_RAISED = "victor.cmd.rules: help requested"

-- argparse's --help prints and calls os.exit; ours records the text and unwinds out of pparse.
local function add_help(p, state)
  p:add_help({
    action = function()
      state.help = p:get_help()
      error(HELP_RAISED, 0)
    end,
  })
  return p
end

local function build_parser(state)
  local parser = add_help(argparse("victor-lua rules",
    "Check, show and explain rule packs: Lua files returning a table of rules, loaded in a sandbox "
      .. "and validated against the schema of each rule kind."), state)
  parser:command_target("command")
  parser:help_max_width(100)
  parser:epilog("Examples:\n"
    .. "  victor-lua rules check my_pack.lua\n"
    .. "  victor-lua rules show rules/default.lua\n"
    .. "  victor-lua rules kinds\n"
    .. "  victor-lua rules import-gitleaks gitleaks.toml > pack.lua\n"
    .. "\n"
    .. "Exit status: 0 if all is well, 1 if a pack failed to load or validate, 2 on usage errors.")
  local check = add_help(parser:command("check",
    "Load and validate rule pack files. Prints 'FILE: ok (N rules)' on stdout for each good file, "
      .. "and 'victor-lua: <error>' on stderr, with the file, rule id and field, for each bad one.")
    :summary("Validate rule pack files."), state)
  check:argument("file", "Rule pack file."):args("+")
  local show = add_help(parser:command("show",
    "Print a rule pack as loaded: validated, with every default filled in, as Lua source.")
    :summary("Print a validated pack with defaults filled in."), state)
  show:argument("file", "Rule pack file.")
  local kinds = add_help(parser:command("kinds", "List the rule kinds and their fields: type, range, default, doc.")
    :summary("List the rule kinds and their fields."), state)
  kinds:flag("--json", "Print the kinds' schemas as one JSON object (kind -> {summary, fields}).")
  local imp = add_help(parser:command("import-gitleaks",
    "Convert a gitleaks configuration (TOML) into a rule pack of `secret` rules, printed as Lua source; "
      .. "each rule that cannot be converted (no regex, a regex PCRE2 cannot compile, ...) is reported on "
      .. "stderr. Exit status 0 even when some rules were skipped, 1 when the file cannot be read or parsed.")
    :summary("Convert a gitleaks.toml into a pack of secret rules."), state)
  imp:argument("file", "gitleaks TOML file.")
  imp:option("--name", "Name of the generated pack.", "gitleaks")
  return parser
end

-- The shortest %g form that reads back as the same number (0.65, not 0.65000000000000002).
local function fmtnum(v)
  if v == floor(v) and v >= -2^53 and v <= 2^53 then return sfmt("%d", v) end
  for digits = 15, 16 do
    local s = sfmt("%." .. digits .. "g", v)
    if tonumber(s) == v then return s end
  end
  return sfmt("%.17g", v)
end

local function lua_string(s)
  return (sgsub(sfmt("%q", s), "\\\n", "\\n"))
end

local function lua_key(k)
  if type(k) == "string" and sfind(k, "^[%a_][%w_]*$") then return k end
  if type(k) == "string" then return "[" .. lua_string(k) .. "]" end
  return "[" .. (type(k) == "number" and fmtnum(k) or tostring(k)) .. "]"
end

local function sorted_keys(t)
  local keys = {}
  for k in each_next, t do keys[#keys + 1] = k end
  tsort(keys, function(a, b)
    if type(a) ~= type(b) then return type(a) < type(b) end
    if type(a) == "boolean" then return tostring(a) < tostring(b) end
    return a < b
  end)
  return keys
end

local function is_array(t)
  local n = 0
  for _ in each_next, t do n = n + 1 end
  return n == #t
end

-- Plain data as Lua source; arrays of scalars stay on one line.
local function lua_value(v, indent)
  local tv = type(v)
  if tv == "string" then return lua_string(v) end
  if tv == "number" then return fmtnum(v) end
  if tv ~= "table" then return tostring(v) end
  if is_array(v) then
    local flat = true
    for _, e in ipairs(v) do
      if type(e) == "table" then flat = false end
    end
    if flat then
      local parts = {}
      for i, e in ipairs(v) do parts[i] = lua_value(e, indent) end
      return #parts == 0 and "{}" or "{ " .. tconcat(parts, ", ") .. " }"
    end
  end
  local inner = indent .. "  "
  local lines = { "{" }
  for _, k in ipairs(sorted_keys(v)) do
    local prefix = is_array(v) and "" or lua_key(k) .. " = "
    lines[#lines + 1] = inner .. prefix .. lua_value(v[k], inner) .. ","
  end
  lines[#lines + 1] = indent .. "}"
  return tconcat(lines, "\n")
end

local function show_pack(pack)
  local common = rules.common_schema()
  local out = {
    "-- " .. pack.source .. ": validated, defaults filled in",
    "return {",
    "  name = " .. lua_string(pack.name) .. ",",
    "  version = " .. lua_string(pack.version) .. ",",
  }
  if pack.description then out[#out + 1] = "  description = " .. lua_string(pack.description) .. "," end
  out[#out + 1] = "  rules = {"
  for _, r in ipairs(pack.rules) do
    out[#out + 1] = "    {"
    local order, seen = {}, {}
    for _, k in ipairs(common.order) do order[#order + 1] = k seen[k] = true end
    for _, k in ipairs(sorted_keys(r)) do
      if not seen[k] then order[#order + 1] = k end
    end
    for _, k in ipairs(order) do
      if r[k] ~= nil then
        out[#out + 1] = "      " .. lua_key(k) .. " = " .. lua_value(r[k], "      ") .. ","
      end
    end
    out[#out + 1] = "    },"
  end
  out[#out + 1] = "  },"
  out[#out + 1] = "}"
  return tconcat(out, "\n") .. "\n"
end

local function field_lines(lines, name, spec)
  local what = rules.describe(spec)
  if spec.required then
    what = what .. ", required"
  elseif spec.default ~= nil then
    what = what .. ", default " .. lua_value(spec.default, "")
  else
    what = what .. ", optional"
  end
  lines[#lines + 1] = sfmt("  %-12s %s", name, what)
  if spec.doc then lines[#lines + 1] = srep(" ", 15) .. spec.doc end
end

local function list_kinds()
  local common = rules.common_schema()
  local lines = { "Fields of every rule:" }
  for _, name in ipairs(common.order) do field_lines(lines, name, common.fields[name]) end
  for _, kind in ipairs(rules.kinds()) do
    local schema = rules.schema(kind)
    lines[#lines + 1] = ""
    lines[#lines + 1] = "kind '" .. kind .. "': " .. (schema.summary or "")
    local names = {}
    for name in each_next, schema.fields do names[#names + 1] = name end
    tsort(names)
    for _, name in ipairs(names) do field_lines(lines, name, schema.fields[name]) end
  end
  return tconcat(lines, "\n") .. "\n"
end

---Run `victor-lua rules ...`.
---@param argv string[]  the arguments after `rules`
---@param out? fun(s: string)  stdout writer (default io.stdout)
---@param err? fun(s: string)  stderr writer (default io.stderr)
---@return integer exit_code  0 ok, 1 a pack failed, 2 usage error
function M.run(argv, out, err)
  if argv ~= nil and type(argv) ~= "table" then
    error(sfmt("bad argument #1 to 'run' (table expected, got %s)", type(argv)), 2)
  end
  out = out or function(s) io.stdout:write(s) end
  err = err or function(s) io.stderr:write(s) end
  local state = {}
  local parser = build_parser(state)
  local ok, parsed, args = pcall(parser.pparse, parser, argv or {})
  if state.help then
    out(state.help .. "\n")
    return 0
  end
  if not ok then error(parsed, 0) end
  if not parsed then
    err(parser:get_usage() .. "\n")
    err("victor-lua: rules: " .. tostring(args) .. "\n")
    return 2
  end
  if args.command == "kinds" then
    if args.json then
      local schemas = {}
      for _, kind in ipairs(rules.kinds()) do schemas[kind] = rules.schema(kind) end
      require("victor.cli").json_out(out, schemas)
    else
      out(list_kinds())
    end
    return 0
  elseif args.command == "import-gitleaks" then
    local gitleaks = require("victor.gitleaks")
    local fh, emsg = io.open(args.file, "rb")
    if not fh then
      err("victor-lua: rules: " .. emsg .. "\n")
      return 1
    end
    local text = fh:read("*a")
    fh:close()
    local cfg, msg = gitleaks.parse(text, args.file)
    if not cfg then
      err("victor-lua: rules: " .. msg .. "\n")
      return 1
    end
    local pack, problems = gitleaks.convert(cfg, args.name)
    for _, p in ipairs(problems) do err("victor-lua: rules: " .. args.file .. ": " .. p .. "\n") end
    out(gitleaks.to_lua(pack))
    return 0
  elseif args.command == "show" then
    local pack, msg = rules.load_file(args.file)
    if not pack then
      err("victor-lua: " .. msg .. "\n")
      return 1
    end
    out(show_pack(pack))
    return 0
  end
  local status = 0
  for _, file in ipairs(args.file) do
    local pack, msg = rules.load_file(file)
    if pack then
      local n = #pack.rules
      out(sfmt("%s: ok (%d rule%s)\n", file, n, n == 1 and "" or "s"))
    else
      err("victor-lua: " .. msg .. "\n")
      status = 1
    end
  end
  return status
end

return M
