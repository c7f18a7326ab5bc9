--- `victor-lua loops`: report reasoning loops in a transcript.
--
--   victor-lua loops [FILE|-] [--thinking] [--rules PACK]... [--repeats N] [--window N]
--
-- Streams the input in 64 KiB chunks through a victor.thinking detector (or, with
-- --thinking, first through victor.stream_filter, keeping the thinking text only),
-- merges its verdicts as thinking.scan does, and prints one line per loop:
--   LINE:COL-LINE:COL: REASON, count N[, period P bytes][, phrase "..."]
-- where the positions are 1-based lines and byte columns of the loop's span in the
-- input (with --thinking, in the extracted thinking text). Memory: the detector's
-- window and 8 bytes per line, whatever the input's size. Exit 1 when a loop is found.
local argparse = require "argparse"
local cli = require "victor.cli"
local thinking = require "victor.thinking"

local M = { name = "loops", summary = "report reasoning loops (repeats, circular phrases, stalls) in a transcript" }

local sfmt, tonumber, floor, find, sub = string.format, tonumber, math.floor, string.find, string.sub

M.CHUNK = 65536

local function parser()
  local p = argparse("victor-lua loops", "Report the reasoning loops of a transcript: repeated thoughts (exact "
    .. "or near),\ncircular phrases and stalls, as victor.thinking detects them.")
    :add_help(false)
  p:epilog("Examples:\n"
    .. "  victor-lua loops transcript.md\n"
    .. "  victor-lua loops --thinking --json model_output.txt\n"
    .. "\n"
    .. "Settings come from the thinking_defaults rule of the rule set (rules/thinking.lua\n"
    .. "and --rules packs); --repeats and --window override it.\n"
    .. "Exit status: 0 no loop, 1 a loop was found, 2 usage or input error.")
  p:argument("file", "Input file ('-' or none: stdin)."):args("?")
  p:flag("-h --help", "Show this help.")
  p:flag("--thinking", "Look at the thinking blocks only (tags from the rule set).")
  p:flag("--json", "Print a JSON array of reports ({reason, count, period, phrase, start, stop}; "
    .. "start and stop give line, column and byte offset).")
  p:option("--repeats", "Copies that make a loop (default from the rules: 3)."):argname("<N>")
  p:option("--window", "Thoughts looked back over (default from the rules: 10)."):argname("<N>")
  p:option("--rules", "Extra rule pack to merge over the defaults (repeatable)."):count("*")
  return p
end

-- Line starts of a stream as it goes by: add(piece) for each piece in order;
-- at(pos) gives the 1-based line and byte column of stream offset pos.
local function lines_of()
  local starts, offset = { 1 }, 0
  local L = {}
  function L.add(piece)
    local p = 1
    while true do
      local nl = find(piece, "\n", p, true)
      if not nl then break end
      starts[#starts + 1] = offset + nl + 1
      p = nl + 1
    end
    offset = offset + #piece
  end
  function L.at(pos)
    local lo, hi = 1, #starts  -- the last start <= pos
    while lo < hi do
      local mid = floor((lo + hi + 1) / 2)
      if starts[mid] <= pos then lo = mid else hi = mid - 1 end
    end
    return lo, pos - starts[lo] + 1
  end
  return L
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
  local ok, d = pcall(thinking.detector, opts)
  if not ok then
    err("victor-lua: loops: " .. tostring(d):gsub("^bad argument #1 to 'detector' %((.*)%)$", "%1") .. "\n")
    return 2
  end
  local fh = cli.open_input(a.file, "loops", err)
  if not fh then return 2 end
  local verdicts, lines = {}, lines_of()
  d.sink = verdicts
  local function take(piece)
    if piece and piece ~= "" then
      lines.add(piece)
      d:feed(piece)
    end
  end
  local f = a.thinking and require("victor.stream_filter").new { tags = thinking.tags(pack) }
  while true do
    local chunk, rerr = fh:read(M.CHUNK)
    if not chunk then
      if rerr then
        err("victor-lua: loops: read error: " .. tostring(rerr) .. "\n")
        return 2
      end
      break
    end
    if f then take(select(2, f:feed(chunk))) else take(chunk) end
  end
  if fh ~= io.stdin then fh:close() end
  if f then
    take(select(2, f:finish()))
    f:close()
  end
  d:finish()
  local reports = thinking.merge(verdicts)
  local at = lines.at
  local rows = {}
  for i, r in ipairs(reports) do
    local l1, c1 = at(r.span[1])
    local l2, c2 = at(r.span[2])
    rows[i] = { reason = r.reason, count = r.count, period = r.period, phrase = r.phrase,
      start = { line = l1, column = c1, byte = r.span[1] }, stop = { line = l2, column = c2, byte = r.span[2] } }
    if not a.json then out(sfmt("%d:%d-%d:%d: %s, count %d%s%s\n", l1, c1, l2, c2, r.reason, r.count,
      r.period and sfmt(", period %d bytes", r.period) or "", r.phrase and ", phrase " .. quote(r.phrase) or "")) end
  end
  if a.json then cli.json_out(out, rows) end
  return #reports > 0 and 1 or 0
end

return M
