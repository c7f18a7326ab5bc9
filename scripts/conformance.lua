--- scripts/conformance.lua: victor.json_repair against the npm package jsonrepair
--- (`make conformance`, not part of `make test`).
--
-- Usage (the Makefile installs jsonrepair@3.15.0 into build/peers first):
--   LUA_PATH="./lua/?.lua;./spec/?.lua;build/gen/lua/?.lua;;" LUA_CPATH="build/lib/?.so;;" \
--     luajit scripts/conformance.lua build/peers
-- Inputs: every case of spec/data/json_repair_cases.lua (one group per repair kind)
-- and a generated corpus of damaged LLM-style documents (30 per damage type). Each
-- goes through both; a case agrees when the outputs are the same text, or decode to
-- the same value. Prints agreement per group and writes every disagreement to
-- build/peers/conformance.md. Then times both on 100 KB documents per damage type,
-- the trailing-comma series (0.36, 1.8, 7.2 MB) and the adversarial series (an
-- unclosed string + N commas), jsonrepair inside node (no start-up), ours in LuaJIT;
-- once one call of a series takes over 5 s, its larger inputs are skipped.
local json_repair = require "victor.json_repair"
local cjson = require("cjson.safe").new()
cjson.decode_max_depth(10000)

local sfmt, tconcat = string.format, table.concat
local peers = arg[1] or "build/peers"
local each_next = next

local function hex(s) return (s:gsub(".", function(c) return sfmt("%02x", c:byte()) end)) end
local function unhex(h) return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end)) end

-- ---- inputs -------------------------------------------------------------------------

local seed = 97
local function rand(n)
  seed = seed * 48271 % 2147483647
  return seed % n + 1
end
local NOUNS = { "city", "query", "path", "user", "score", "items", "note", "id", "tags", "limit" }
local function llm_doc()
  local fields = {}
  for i = 1, 4 + rand(6) do
    local v = ({ '"' .. NOUNS[rand(#NOUNS)] .. ' text"', tostring(rand(999)), "true", "false", "null",
      '["a", "b"]', '{"x": ' .. rand(9) .. ', "y": "z"}' })[rand(7)]
    fields[i] = sfmt('  "%s_%d": %s', NOUNS[rand(#NOUNS)], i, v)
  end
  return "{\n" .. tconcat(fields, ",\n") .. "\n}"
end
local DAMAGES = {
  single_quotes = function(d) return (d:gsub('"', "'")) end,
  python = function(d) return (d:gsub("true", "True"):gsub("false", "False"):gsub("null", "None")) end,
  trailing_commas = function(d) return (d:gsub("\n}", ",\n}"):gsub("%]", ",]")) end,
  unquoted_keys = function(d) return (d:gsub('"([%w_]+)":', "%1:")) end,
  comments = function(d) return (d:gsub(",\n", ", // why\n")) end,
  fenced = function(d) return "Sure, here it is:\n```json\n" .. d .. "\n```\nDone." end,
  truncated = function(d) return d:sub(1, math.floor(#d * 0.6)) end,
  missing_commas = function(d) return (d:gsub(",\n", "\n")) end,
}
local DAMAGE_ORDER = { "single_quotes", "python", "trailing_commas", "unquoted_keys", "comments", "fenced",
  "truncated", "missing_commas" }

local groups = {}
for _, g in ipairs(require "data.json_repair_cases") do
  local inputs = {}
  for _, c in ipairs(g[2]) do inputs[#inputs + 1] = c[1] end
  groups[#groups + 1] = { name = g[1], inputs = inputs }
end
for _, k in ipairs(DAMAGE_ORDER) do
  local inputs = {}
  for i = 1, 30 do inputs[i] = DAMAGES[k](llm_doc()) end
  groups[#groups + 1] = { name = "generated: " .. k, inputs = inputs }
end

local function big_doc(bytes)
  local t, n = {}, 0
  while n < bytes do
    t[#t + 1] = llm_doc()
    n = n + #t[#t] + 2
  end
  return "[" .. tconcat(t, ",\n") .. "]"
end
local timings = {}
local doc100 = big_doc(100000)
for _, k in ipairs(DAMAGE_ORDER) do timings[#timings + 1] = { name = "100KB " .. k, text = DAMAGES[k](doc100) } end
timings[#timings + 1] = { name = "100KB valid", text = doc100 }
for _, mb in ipairs({ 0.36, 1.8, 7.2 }) do
  timings[#timings + 1] = { name = sfmt("trailing_commas %.2f", mb), text = DAMAGES.trailing_commas(big_doc(mb * 1e6)),
    max_s = 5 }
end
for _, n in ipairs({ 1000, 10000, 100000, 1000000 }) do
  timings[#timings + 1] = { name = sfmt("unclosed string + N commas %d", n), text = '{"a": "' .. (","):rep(n),
    max_s = 5 }
end

-- ---- run jsonrepair -------------------------------------------------------------------

local cases = {}
for gi, g in ipairs(groups) do
  for ii, s in ipairs(g.inputs) do cases[#cases + 1] = { g = gi, i = ii, hex = hex(s) } end
end
local index = {} -- group, input -> position in cases
for ci, c in ipairs(cases) do
  index[c.g] = index[c.g] or {}
  index[c.g][c.i] = ci
end
local tj = {}
for i, t in ipairs(timings) do tj[i] = { name = t.name, hex = hex(t.text), max_s = t.max_s or 10 } end
local inpath = peers .. "/conformance_inputs.json"
local f = assert(io.open(inpath, "wb"))
f:write(cjson.encode({ cases = cases, timings = tj }))
f:close()
local p = assert(io.popen(sfmt("node scripts/jsonrepair_peer.js %q %q", peers, inpath), "r"))
local res = cjson.decode(p:read("*a"))
p:close()
if not res then
  io.stderr:write("conformance: jsonrepair did not run (is node installed? see build/peers)\n")
  os.exit(2)
end

-- ---- compare ------------------------------------------------------------------------

local function same_value(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in each_next, a do
    if not same_value(v, b[k]) then return false end
  end
  for k in each_next, b do
    if a[k] == nil then return false end
  end
  return true
end

local report = { sfmt("# victor.json_repair vs jsonrepair %s: disagreements\n", res.version) }
local rows = {}
local totals = { n = 0, text = 0, value = 0, theirs_err = 0, ours_err = 0 }
for gi, g in ipairs(groups) do
  local row = { name = g.name, n = 0, text = 0, value = 0, theirs_err = 0, ours_err = 0 }
  for ii, s in ipairs(g.inputs) do
    local r = res.cases[index[gi][ii]]
    local ours, msg = json_repair.repair(s)
    local theirs = r.out and unhex(r.out)
    row.n = row.n + 1
    local kind
    if not ours and not theirs then
      kind = "value"
    elseif not theirs then
      row.theirs_err = row.theirs_err + 1
      kind = "theirs_err"
    elseif not ours then
      row.ours_err = row.ours_err + 1
      kind = "ours_err"
    elseif ours == theirs then
      kind = "text"
    else
      local a, b = cjson.decode(ours), cjson.decode(theirs)
      kind = (a ~= nil and b ~= nil and same_value(a, b)) and "value" or "differ"
    end
    if kind == "text" then row.text = row.text + 1 end
    if kind == "text" or kind == "value" then row.value = row.value + 1 end
    if kind ~= "text" and kind ~= "value" then
      report[#report + 1] = sfmt("- **%s** `%s`\n  - ours: %s\n  - jsonrepair: %s", g.name, cjson.encode(s),
        ours and ("`" .. ours .. "`") or ("error: " .. tostring(msg)),
        theirs and ("`" .. theirs .. "`") or ("error: " .. tostring(r.err)))
    end
  end
  rows[#rows + 1] = row
  for k in each_next, totals do totals[k] = totals[k] + row[k] end
end
totals.name = "all"
rows[#rows + 1] = totals

print(sfmt("## victor.json_repair (%s) vs jsonrepair %s\n", json_repair.backend, res.version))
print("| group | cases | same text | same value | jsonrepair throws | ours error |")
print("|---|--:|--:|--:|--:|--:|")
for _, r in ipairs(rows) do
  print(sfmt("| %s | %d | %d | %d | %d | %d |", r.name, r.n, r.text, r.value, r.theirs_err, r.ours_err))
end
local rp = peers .. "/conformance.md"
f = assert(io.open(rp, "wb"))
f:write(tconcat(report, "\n"), "\n")
f:close()
print(sfmt("\n%d disagreements listed in %s\n", #report - 1, rp))

-- ---- timings ------------------------------------------------------------------------

local clock = os.clock
local function ours_mbps(s)
  local t0, n = clock(), 0
  repeat
    json_repair.repair(s)
    n = n + 1
  until clock() - t0 >= 0.3
  return #s * n / (clock() - t0) / 1e6
end
print("| input | bytes | victor (MB/s) | jsonrepair (MB/s) | ratio |")
print("|---|--:|--:|--:|--:|")
for i, t in ipairs(timings) do
  local them = res.timings[i]
  local ours = ours_mbps(t.text)
  if them.skipped then
    print(sfmt("| %s | %d | %.0f | skipped (%s) | |", t.name, #t.text, ours, them.skipped))
  else
    print(sfmt("| %s | %d | %.0f | %.2f | %.0fx |", t.name, #t.text, ours, them.mb_per_s, ours / them.mb_per_s))
  end
end
