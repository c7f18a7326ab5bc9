--- `victor-lua repair`: repair almost-JSON (LLM output) into valid JSON.
--
--   victor-lua repair [FILE|-] [--extract] [--ndjson] [--compact] [--ensure-ascii] [--max-depth N]
--
-- The input is read in 64 KiB chunks and fed to victor.json_repair.stream, so the
-- output is written as it is decided and equals victor.json_repair.repair of the
-- whole input; a newline is added when the output does not end with one.
-- --extract reads the whole input and prints every embedded object or array,
-- repaired and compact, one per line (NDJSON).
local argparse = require "argparse"
local cli = require "victor.cli"
local json_repair = require "victor.json_repair"

local M = { name = "repair", summary = "repair almost-JSON from LLMs into valid JSON (streaming, linear time)" }

local sfmt, tonumber, floor = string.format, tonumber, math.floor

M.CHUNK = 64 * 1024

local function parser()
  local p = argparse("victor-lua repair", "Repair almost-JSON (markdown fences, prose around it, single quotes, "
    .. "unquoted keys,\nPython literals, trailing or missing commas, comments, truncation, ...) into\n"
    .. "valid JSON. Valid JSON is written unchanged.")
    :add_help(false)
  p:epilog("Examples:\n"
    .. "  echo \"{'a': 1, 'b': [1, 2,]}\" | victor-lua repair\n"
    .. "  victor-lua repair --extract reply.md\n"
    .. "\n"
    .. "Exit status: 0 ok, 1 no JSON value found (or a limit hit), 2 usage or\ninput/output error.")
  p:argument("file", "Input file ('-' or none: stdin)."):args("?")
  p:flag("-h --help", "Show this help.")
  p:flag("--extract", "Print every object or array embedded in the text, repaired and\n"
    .. "compact, one per line.")
  p:flag("--ndjson", "The input is a sequence of values (one per line or not): write one\narray.")
  p:flag("--compact", "Drop the whitespace between tokens.")
  p:flag("--ensure-ascii", "Escape non-ASCII characters in strings as \\uXXXX.")
  p:option("--max-depth", "Most nested objects, arrays and calls (default "
    .. json_repair.DEFAULT_MAX_DEPTH .. ")."):argname("<N>")
  return p
end

function M.run(argv, out, err)
  out = out or function(s) io.stdout:write(s) end
  err = err or function(s) io.stderr:write(s) end
  local a, status = cli.parse_args(parser(), argv, "repair", out, err)
  if not a then return status end
  local opts = { compact = a.compact or nil, ensure_ascii = a.ensure_ascii or nil }
  if a.max_depth then
    local d = tonumber(a.max_depth)
    if not d or d < 1 or d ~= floor(d) then
      err(sfmt("victor-lua: repair: --max-depth must be a positive integer, got '%s'\n", a.max_depth))
      return 2
    end
    opts.max_depth = d
  end
  if a.extract and a.ndjson then
    err("victor-lua: repair: --extract and --ndjson exclude each other\n")
    return 2
  end
  local fh = cli.open_input(a.file, "repair", err)
  if not fh then return 2 end
  local function read_error(rerr)
    err("victor-lua: repair: read error: " .. tostring(rerr) .. "\n")
    return 2
  end
  if a.extract then
    local text, rerr = fh:read("*a")
    if fh ~= io.stdin then fh:close() end
    if not text then return read_error(rerr) end
    opts.compact = true
    local vals, msg, code = json_repair.extract_json_values(text, opts)
    if not vals then
      err(sfmt("victor-lua: repair: %s (%s)\n", msg, code))
      return 1
    end
    for _, v in ipairs(vals) do out(v.text .. "\n") end
    return #vals > 0 and 0 or 1
  end
  opts.ndjson = a.ndjson or nil
  local s = json_repair.stream(opts)
  local last = ""
  local function put(text)
    if text ~= "" then
      out(text)
      last = text
    end
  end
  while true do
    local chunk, rerr = fh:read(M.CHUNK)
    if not chunk then
      if rerr then
        s:close()
        return read_error(rerr)
      end
      break
    end
    local text, msg, code = s:feed(chunk)
    if not text then
      err(sfmt("victor-lua: repair: %s (%s)\n", msg, code))
      s:close()
      return 1
    end
    put(text)
  end
  if fh ~= io.stdin then fh:close() end
  local text, msg, code = s:finish()
  s:close()
  if not text then
    err(sfmt("victor-lua: repair: %s (%s)\n", msg, code))
    return 1
  end
  put(text)
  if last:sub(-1) ~= "\n" then out("\n") end
  return 0
end

return M
