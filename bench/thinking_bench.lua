--- bench/thinking_bench.lua: throughput and accuracy of victor.thinking's loop detector (issue 4).
--
-- Usage (what `make bench` runs):
--   LUA_PATH="./lua/?.lua;./bench/?.lua;build/gen/lua/?.lua;;" LUA_CPATH="build/lib/?.so;;" \
--     luajit bench/thinking_bench.lua build/bench [--case PAT] [--iters N] [--list]
-- Writes build/bench/thinking.json (read by bench/report.lua); see bench/harness.lua.
--
-- The detector is pure Lua (LuaJIT; FFI scratch arrays for the n-gram dot products), so there is
-- no native/fallback pair: the baseline is the cheapest thing a detector must do, hashing each
-- thought into a table (Victor's never-windowed exact counter, in Lua).
-- Workloads (deterministic: spec/support/thinking_eval.lua's xorshift32 generator):
--   prose   1000 loop-free thoughts of ~100 bytes (sentences of 11-18 words from a 200-word
--           vocabulary) per iteration, through add_thought on a fresh detector, and the same
--           text through feed() in 64-byte deltas;
--   loop    1000 thoughts that repeat a 5-thought unit (a loop reported on every copy);
--   eval    thinking.scan over the generated evaluation set (loop-free text and loops), MB/s.
-- Checks: >= 200,000 thoughts/s on prose through add_thought; no report on the loop-free set;
-- every generated loop found within 3 periods of its onset.
package.path = "./spec/?.lua;" .. package.path
local H = require "harness"
local th = require "victor.thinking"
local eval = require "support.thinking_eval"
local rng = require "support.rng"

local sfmt, tconcat = string.format, table.concat

local args = H.parse_args(arg)
local N = 1000
local SINK = {}

local function prose_thoughts(seed)
  local r = rng(seed)
  local text = eval.prose(r, 150 * N, function(rr) return 11 + rr(8) end)
  local list = {}
  for s in text:gmatch("[^.]+%.%s*") do
    if #list < N then list[#list + 1] = s end
  end
  return list
end

local prose = prose_thoughts(11)
local prose_text = tconcat(prose)
local AVG = #prose_text / #prose
local loop = {}
do
  local unit = prose_thoughts(12)
  for i = 1, N do loop[i] = unit[(i - 1) % 5 + 1] end
end
local loop_bytes = #tconcat(loop)

local eval_text
local function eval_cases()
  if not eval_text then
    local parts = {}
    for _, c in ipairs(eval.loop_free()) do parts[#parts + 1] = c.text end
    for _, c in ipairs(eval.loops()) do parts[#parts + 1] = c.text end
    eval_text = parts
  end
  return eval_text
end
local function eval_bytes()
  local n = 0
  for _, t in ipairs(eval_cases()) do n = n + #t end
  return n
end

local suite = H.suite("thinking", arg)

-- n times: a fresh detector given every thought of list
local function add_all(list)
  return function(n)
    for _ = 1, n do
      local d = th.detector()
      for i = 1, N do SINK[1] = d:add_thought(list[i]) end
    end
  end
end

suite:add { name = "add.prose", case = sfmt("add_thought, %.0f B prose thoughts", AVG), backend = "lua",
  group = "prose", items = N, bytes = #prose_text, fn = add_all(prose) }
suite:add { name = "feed64.prose", case = "feed, 64 B deltas, same prose", backend = "lua", group = "prose",
  items = N, bytes = #prose_text,
  fn = function(n)
    for _ = 1, n do
      local d = th.detector()
      for i = 1, #prose_text, 64 do SINK[1] = d:feed(prose_text:sub(i, i + 63)) end
      SINK[2] = d:finish()
    end
  end }
suite:add { name = "hash.prose", case = "baseline: count each thought in a table", backend = "lua",
  group = "prose", items = N, bytes = #prose_text,
  fn = function(n)
    for _ = 1, n do
      local counts = {}
      for i = 1, N do
        local t = prose[i]
        counts[t] = (counts[t] or 0) + 1
      end
      SINK[1] = counts
    end
  end }
suite:add { name = "add.loop", case = "add_thought, a 5-thought unit repeated", backend = "lua", group = "loop",
  items = N, bytes = loop_bytes, fn = add_all(loop) }
local eval_n = (args.list or (args.child and args.child ~= "scan.eval")) and 0 or #eval_cases()
suite:add { name = "scan.eval", case = "scan, the evaluation set", backend = "lua", group = "eval",
  items = eval_n, bytes = eval_n > 0 and eval_bytes() or 0, cg_iters = 1,
  fn = function(n)
    for _ = 1, n do
      for _, t in ipairs(eval_cases()) do SINK[1] = th.scan(t) end
    end
  end }

local results = suite:run()
suite.sink = SINK
if args.child or args.list or args.callgrind then return end

H.compare(results, "hash.prose", "prose")
local ratios, ratio = H.ratio_table(results)
ratio("add_thought / table count (same thoughts)", "add.prose", "hash.prose")
ratio("feed 64 B / add_thought (same text)", "feed64.prose", "add.prose")

-- accuracy on the evaluation set
local fp, fp_names = 0, {}
for _, c in ipairs(eval.loop_free()) do
  local n = #th.scan(c.text)
  if n > 0 then fp, fp_names[#fp_names + 1] = fp + n, c.name end
end
local found, late, missed, worst = 0, 0, 0, 0
local loops = eval.loops()
for _, c in ipairs(loops) do
  local d = th.detector()
  local all = {}
  d.sink = all
  for i = 1, #c.text, 64 do d:feed(c.text:sub(i, i + 63)) end
  d:finish()
  local first = all[1]
  if not first or first.span[2] < c.onset then
    missed = missed + 1
  elseif first.span[2] > c.third_end then
    late = late + 1
  else
    found = found + 1
    local periods = (first.span[2] - c.onset + 1) / ((c.third_end - c.onset + 1) / 3)
    if periods > worst then worst = periods end
  end
end

local checks = {}
local add = H.find(results, "add.prose")
if add then
  checks[#checks + 1] = { label = sfmt(">= 200,000 thoughts/s (%.0f-byte thoughts, add_thought)", AVG),
    pass = add.items_per_s >= 200000, detail = sfmt("%.0f thoughts/s, %.1f MB/s", add.items_per_s, add.mb_per_s) }
end
checks[#checks + 1] = { label = "no report on the loop-free set", pass = fp == 0,
  detail = fp == 0 and sfmt("%d texts, 0 reports", #eval.loop_free())
    or sfmt("%d reports in %s", fp, tconcat(fp_names, ", ")) }
checks[#checks + 1] = { label = "every loop found within 3 periods of its onset", pass = found == #loops,
  detail = sfmt("%d of %d found in time (the latest after %.2f periods, a period being the mean length of the first "
    .. "three copies), %d late, %d missed", found, #loops, worst, late, missed) }

local notes = {
  sfmt("Evaluation set (spec/support/thinking_eval.lua): loops with periods %s bytes x %s repeats, without and "
    .. "with one small edit per copy, after 1-2 KB of prose; loop-free: generated C and Lua code, markdown "
    .. "tables, lists, log lines, TAP test output, JSON lines, prose.", tconcat(eval.PERIODS, "/"),
    tconcat(eval.REPEATS, "/")),
  "items = thoughts (eval: texts); MB/s = input bytes (10^6) per second, median. Settings: the rule pack's "
    .. "defaults (3 repeats, 0.65 similarity, window 10, 2 stalls).",
}
suite:finish { ratios = ratios, checks = checks, notes = notes }
