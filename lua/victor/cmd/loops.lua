--- `victor-lua loops`: report reasoning loops in a transcript.
--
--   victor-lua loops [FILE|-] [--thinking] [--rules PACK]... [--repeats N] [--window N]
--
-- Runs victor.thinking.scan over the text (or, with --thinking, over the thinking
-- blocks only, as victor.stream_filter extracts them) and prints one line per loop:
--   LINE:COL-LINE:COL: REASON, count N[, period P bytes][, phrase "..."]
-- where the positions are 1-based lines and byte columns of the loop's span in the
-- input (with --thinking, in the extracted thinking text). Exit 1 when a loop is found.
local argparse = require "argparse"
local cli = require "victor.cli"
local thinking = require "victor.thinking"

local M = { name = "loops", summary = "report reasoning loops (repeats, circular phrases, stalls) in a transcript" }

local sfmt, tonumber, floor, find, sub = string.format, tonumber, math.floor, string.find, string.sub

local function parser()
  local p = argparse("victor-lua loops", "Report the reasoning loops of a transcript: repeated thoughts (exact "
    .. "or near),\ncircular phrases and stalls, as victor.thinking detects them.")
    :add_help(false)
  p:epilog("Settings come from the thinking_defaults rule of the rule set (rules/thinking.lua\n"
    .. "and --rules packs); --repeats and --window override it.\n"
    .. "Exit status: 0 no loop, 1 a loop was found, 2 usage or input error.")
  p:argument("file", "Input file ('-' or none: stdin)."):args("?")
  p:flag("-h --help", "Show this help.")
  p:flag("--thinking", "Look at the thinking blocks only (tags from the rule set).")
  p:option("--repeats", "Copies that make a loop (default from the rules: 3)."):argname("<N>")
  p:option("--window", "Thoughts looked back over (default from the rules: 10)."):argname("<N>")
  p:option("--rules", "Extra rule pack to merge over the defaults (repeatable)."):count("*")
  return p
end

-- 1-based line and byte column of offset pos in text, scanning forward from the
-- previous answer (reports come in about stream order; an earlier pos starts over).
local function locator(text)
  local line, line_start, at = 1, 1, 1
  return function(pos)
    if pos < line_start then line, line_start, at = 1, 1, 1 end
    while true do
      local nl = find(text, "\n", at, true)
      if not nl or nl >= pos then break end
      line, line_start, at = line + 1, nl + 1, nl + 1
    end
    return line, pos - line_start + 1
  end
end

local function quote(s)
  s = sub(s, 1, 60):gsub("[%c\"\\]", function(c) return sfmt("\\x%02x", c:byte()) end)
  return '"' .. s .. '"'
end

function M.run(argv, out, err)
  out = out or function(s) io.stdout:write(s) end
  err = err or function(s) io.stderr:write(s) end
  local a, status = cli.parse_args(parser(), argv, "loops", out, err)
  if not a then return status end
  local opts = {}
  for _, k in ipairs({ "repeats", "window" }) do
    if a[k] then
      local v = tonumber(a[k])
      if not v or v < 2 or v ~= floor(v) then
        err(sfmt("victor-lua: loops: --%s must be an integer of at least 2, got '%s'\n", k, a[k]))
        return 2
      end
      opts[k] = v
    end
  end
  local pack = cli.rules_with(a.rules, err)
  if not pack then return 2 end
  opts.pack = pack
  local fh = cli.open_input(a.file, "loops", err)
  if not fh then return 2 end
  local text, rerr = fh:read("*a")
  if fh ~= io.stdin then fh:close() end
  if not text then
    err("victor-lua: loops: read error: " .. tostring(rerr) .. "\n")
    return 2
  end
  if a.thinking then
    local _, th = require("victor.stream_filter").strip_thinking(text, { tags = thinking.tags(pack) })
    text = th
  end
  local ok, reports = pcall(thinking.scan, text, opts)
  if not ok then
    err("victor-lua: loops: " .. tostring(reports):gsub("^bad argument #2 to 'scan' %((.*)%)$", "%1") .. "\n")
    return 2
  end
  local at = locator(text)
  for _, r in ipairs(reports) do
    local l1, c1 = at(r.span[1])
    local l2, c2 = at(r.span[2])
    out(sfmt("%d:%d-%d:%d: %s, count %d%s%s\n", l1, c1, l2, c2, r.reason, r.count,
      r.period and sfmt(", period %d bytes", r.period) or "", r.phrase and ", phrase " .. quote(r.phrase) or ""))
  end
  return #reports > 0 and 1 or 0
end

return M
