--- `victor-lua sig`: tool-call signatures and loop detection from the command line.
--
--   victor-lua sig NAME [JSON_ARGS]     print the signature of one call
--   victor-lua sig --jsonl FILE|-       one call per line; print signatures and the
--                                       loops the active `loop` rules find (exit 1)
local argparse = require "argparse"
local cli = require "victor.cli"
local cjson = require "cjson.safe"
local signature = require "victor.signature"
local loopguard = require "victor.loopguard"

local M = { name = "sig", summary = "tool-call signatures (XXH3) and loop detection over JSONL" }

local sfmt = string.format

local function parser()
  local p = argparse("victor-lua sig", "Tool-call signatures (XXH3 of a canonical form) and loop detection.")
    :add_help(false)
  p:epilog("Examples:\n"
    .. "  victor-lua sig read_file '{\"path\": \"/a\"}'\n"
    .. "  victor-lua sig --jsonl session.jsonl\n"
    .. "\n"
    .. "A call in --jsonl input is a JSON object {\"name\": ..., \"arguments\": {...}} (\"args\"\n"
    .. "is accepted too; arguments may also be a JSON string, as OpenAI-style APIs send them).\n"
    .. "Exit status: 0 ok, 1 a loop was found (--jsonl), 2 usage or input error.")
  p:argument("name", "Tool name."):args("?")
  p:argument("args", "Arguments as a JSON object (default {})."):args("?")
  p:flag("-h --help", "Show this help.")
  p:option("--bits", "Digest size: 64 or 128.", "64"):choices({ "64", "128" })
  p:flag("--canonical", "Print the canonical form instead of the digest.")
  p:option("--jsonl", "Read calls from a JSONL file ('-' for stdin) and detect loops.")
  p:option("--rules", "Extra rule pack to merge over the defaults (repeatable)."):count("*")
  return p
end

local function decode_call(line, lineno)
  local obj, err = cjson.decode(line)
  if type(obj) ~= "table" then
    return nil, sfmt("line %d: invalid JSON: %s", lineno, tostring(err or "not an object"))
  end
  local name, args = obj.name, obj.arguments
  if args == nil then args = obj.args end
  if type(args) == "string" then
    local decoded, e2 = cjson.decode(args)
    if type(decoded) ~= "table" then
      return nil, sfmt("line %d: arguments string is not a JSON object: %s", lineno, tostring(e2 or decoded))
    end
    args = decoded
  end
  if type(name) ~= "string" then return nil, sfmt("line %d: \"name\" must be a string", lineno) end
  if args == cjson.null then args = nil end
  if args ~= nil and type(args) ~= "table" then
    return nil, sfmt("line %d: \"arguments\" must be an object", lineno)
  end
  return name, args
end

local function run_jsonl(a, out, err)
  local pack = cli.rules_with(a.rules, err)
  if not pack then return 2 end
  local fh, msg
  if a.jsonl == "-" then fh = io.stdin else fh, msg = io.open(a.jsonl, "rb") end
  if not fh then err("victor-lua: " .. msg .. "\n") return 2 end
  local guard = loopguard.new(pack)
  local bits = tonumber(a.bits)
  local lineno, loops = 0, 0
  for line in fh:lines() do
    lineno = lineno + 1
    if line:find("%S") then
      local name, args = decode_call(line, lineno)
      if not name then err("victor-lua: " .. args .. "\n") return 2 end
      local sig, e, code = signature.of(name, args, { bits = bits })
      if not sig then err(sfmt("victor-lua: line %d: %s (%s)\n", lineno, e, code)) return 2 end
      out(sfmt("%s  %s\n", sig, name))
      local found = guard:observe(name, sig)
      for _, f in ipairs(found or {}) do
        loops = loops + 1
        out(sfmt("loop: line %d: rule '%s' (%s): cycle of %d call(s) repeated %d times\n", lineno, f.rule.id,
          f.rule.action, f.report.cycle, f.report.count))
      end
    end
  end
  if fh ~= io.stdin then fh:close() end
  return loops > 0 and 1 or 0
end

function M.run(argv, out, err)
  out = out or function(s) io.stdout:write(s) end
  err = err or function(s) io.stderr:write(s) end
  local p = parser()
  local a, status = cli.parse_args(p, argv, "sig", out, err)
  if not a then return status end
  if a.jsonl then return run_jsonl(a, out, err) end
  if not a.name then
    err("victor-lua: sig: a tool NAME or --jsonl FILE is required\n" .. p:get_usage() .. "\n")
    return 2
  end
  local args = {}
  if a.args then
    local e
    args, e = cjson.decode(a.args)
    if type(args) ~= "table" then
      err("victor-lua: sig: ARGS is not a JSON object: " .. tostring(e or args) .. "\n")
      return 2
    end
  end
  local res, msg, code
  if a.canonical then
    res, msg, code = signature.canonical(a.name, args)
  else
    res, msg, code = signature.of(a.name, args, { bits = tonumber(a.bits) })
  end
  if not res then err(sfmt("victor-lua: sig: %s (%s)\n", msg, code)) return 2 end
  out(res .. "\n")
  return 0
end

return M
