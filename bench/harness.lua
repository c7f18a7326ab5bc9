--- bench/harness.lua: the micro-benchmark harness behind `make bench`.
--
-- A bench file builds a suite, adds cases and runs it:
--
--   local H = require "harness"
--   local suite = H.suite("signature", arg)          -- arg[1] = output dir
--   suite:add { name = "of.native", case = "of 2-arg", backend = "native",
--               group = "2-arg", items = 1000, bytes = 27000,
--               fn = function(n) for _ = 1, n do ... 1000 calls ... end end }
--   local results = suite:run()
--   H.compare(results, "of.fallback", "2-arg")        -- ratio column
--   suite:finish { ratios = {...}, checks = {...}, notes = {...} }
--
-- `fn(n)` runs n iterations of the case; one iteration processes `items` items (and
-- `bytes` bytes, when given). Looping inside `fn` keeps the harness's own call cost
-- out of the measurement.
--
-- Timing mode (the default): a "run" warms up, calibrates (grows the iteration count
-- until one sample takes >= `target_s`, 0.2 s) and takes `samples` samples (5) with
-- a full GC before each. Each case gets `runs` runs (3; VL_BENCH_RUNS), round-robin
-- over the cases; the result is the median (and the minimum) over all samples of
-- all runs, in seconds per item. Throughput is items/s and, with a byte count, MB/s
-- (10^6 bytes), both from the median. "run spread" is the fastest run's median over
-- the slowest's; above 1.25 the case is flagged "unstable".
--
-- Clock: process CPU time (CLOCK_PROCESS_CPUTIME_ID) by default, because the bench
-- machines are shared and a single-threaded case's wall time also counts the time
-- it sat descheduled; wall time (CLOCK_MONOTONIC) is recorded beside it, and a case
-- whose wall time exceeds its CPU time by > 10% is flagged "busy".
-- VL_BENCH_CLOCK=wall makes wall time the primary clock.
--
-- Isolation: each run is a fresh LuaJIT process (the bench script re-executes itself
-- with `--child NAME` and reports one JSON line back). JIT state is global: traces,
-- blacklisted loops and GC pressure left by one case change the next one's numbers
-- (the pure-Lua fallback moved 3x with case order), so sharing a process makes a
-- number depend on what ran before it. Even fresh processes land in different JIT
-- states (this LuaJIT seeds its string hashes, hence pairs() order, and its JIT
-- PRNG from /dev/urandom), hence several runs.
-- `--no-isolate` (or VL_BENCH_ISOLATE=0) runs everything in the one process.
--
-- Command line (after the output dir): `--case PAT` runs only the cases whose name
-- contains PAT (plain substring); `--iters N` skips calibration and times N
-- iterations per sample; `--list` prints the cases (name, items per iteration) and
-- exits. With `--case` or `--iters` the JSON file is not written, so a partial run
-- never overwrites the full results.
--
-- Callgrind mode (`VL_BENCH_CALLGRIND=1`): no warm-up, no calibration; each selected
-- case runs `fn(N)` exactly once (N from `--iters`, else the case's `cg_iters`,
-- else 20), and the bench skips its self-checks, so the instruction total is the
-- fixed start-up plus N iterations. Wall time is meaningless under valgrind;
-- nothing is written. Instructions per item for one case, with start-up, module
-- loading and JIT compilation cancelled out by taking two iteration counts:
--
--   export LUA_PATH="./lua/?.lua;./bench/?.lua;build/gen/lua/?.lua;;" LUA_CPATH="build/lib/?.so;;"
--   for n in 50 100; do VL_BENCH_CALLGRIND=1 valgrind --tool=callgrind \
--     --callgrind-out-file=/dev/null luajit bench/signature_bench.lua build/bench \
--     --case batch.2arg.native --iters $n 2>&1 | grep Collected; done
--   # Ir per item = (Collected(100) - Collected(50)) / (50 * items per iteration)
--
-- Add `--toggle-collect=l_batch` (any C function) to count only inside it. Totals
-- repeat to ~0.5%, not exactly: this LuaJIT seeds its string hashes and JIT PRNG
-- from /dev/urandom, so table layouts and traces differ a little between runs; use
-- N large enough that the per-iteration work dwarfs that (N >= 50 for 1000 items).
-- bench/callgrind.sh does all of this for every case (or those matching a pattern).
local M = {}

local ffi_ok, ffi = pcall(require, "ffi")
local cjson = require "cjson"

local type, pairs, ipairs, tostring, tonumber, error = type, pairs, ipairs, tostring, tonumber, error
local sfmt, tconcat, tsort = string.format, table.concat, table.sort
local floor, max, huge = math.floor, math.max, math.huge
local unpack = unpack
local os_clock, os_getenv, os_date, os_execute = os.clock, os.getenv, os.date, os.execute
local io_open, io_popen = io.open, io.popen
local collectgarbage = collectgarbage

M.DEFAULT_SAMPLES = 5
M.DEFAULT_TARGET_S = 0.2
M.DEFAULT_CG_ITERS = 20
M.DEFAULT_RUNS = 3
--- Runs of one case whose medians differ by more than this factor are "unstable".
M.UNSTABLE_SPREAD = 1.25

-- ---- clocks ------------------------------------------------------------------

local wall_clock, cpu_clock
-- pcall: another module may already have declared clock_gettime differently.
if ffi_ok and pcall(ffi.cdef, [[
    typedef struct { long sec; long nsec; } vl_bench_timespec;
    int clock_gettime(int clk, vl_bench_timespec *ts);
  ]]) then
  local ts = ffi.new("vl_bench_timespec")
  local C = ffi.C
  local CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID = 1, 2 -- Linux values
  wall_clock = function()
    C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.sec) + tonumber(ts.nsec) * 1e-9
  end
  cpu_clock = function()
    C.clock_gettime(CLOCK_PROCESS_CPUTIME_ID, ts)
    return tonumber(ts.sec) + tonumber(ts.nsec) * 1e-9
  end
else
  wall_clock, cpu_clock = os_clock, os_clock
end
M.wall_clock, M.cpu_clock = wall_clock, cpu_clock
--- "cpu" (default) or "wall": which clock the reported numbers come from.
M.CLOCK = os_getenv("VL_BENCH_CLOCK") == "wall" and "wall" or "cpu"

-- ---- statistics ----------------------------------------------------------------

--- Median of an array of numbers (the mean of the middle two for an even count).
---@param xs number[]
---@return number
function M.median(xs)
  local s = {}
  for i = 1, #xs do s[i] = xs[i] end
  tsort(s)
  local n = #s
  if n == 0 then return 0 / 0 end
  if n % 2 == 1 then return s[(n + 1) / 2] end
  return (s[n / 2] + s[n / 2 + 1]) / 2
end

--- Minimum of an array of numbers.
---@param xs number[]
---@return number
function M.min(xs)
  local m = huge
  for i = 1, #xs do if xs[i] < m then m = xs[i] end end
  return m
end

-- ---- command line ----------------------------------------------------------------

---@class BenchArgs
---@field outdir string|nil output directory (arg[1])
---@field case string|nil  substring filter on case names
---@field iters integer|nil fixed iteration count
---@field list boolean     print the cases and exit
---@field callgrind boolean VL_BENCH_CALLGRIND=1
---@field child string|nil  run this one case and print its result as JSON (internal)
---@field isolate boolean  one process per case

--- Parse a bench's command line: `OUTDIR [--case PAT] [--iters N] [--list]`.
---@param argv table|nil the script's `arg`
---@return BenchArgs
function M.parse_args(argv)
  argv = argv or {}
  local a = { list = false, callgrind = os_getenv("VL_BENCH_CALLGRIND") == "1",
              isolate = os_getenv("VL_BENCH_ISOLATE") ~= "0" }
  local i = 1
  while argv[i] ~= nil do
    local v = argv[i]
    if v == "--case" then
      a.case = argv[i + 1]
      if not a.case then error("--case needs a name", 2) end
      i = i + 2
    elseif v == "--iters" then
      a.iters = tonumber(argv[i + 1])
      if not a.iters or a.iters < 1 or a.iters ~= floor(a.iters) then
        error("--iters needs a positive integer", 2)
      end
      i = i + 2
    elseif v == "--child" then
      a.child = argv[i + 1]
      if not a.child then error("--child needs a name", 2) end
      i = i + 2
    elseif v == "--no-isolate" then
      a.isolate = false
      i = i + 1
    elseif v == "--list" then
      a.list = true
      i = i + 1
    elseif v:sub(1, 2) == "--" then
      error("unknown option " .. v .. " (expected --case NAME, --iters N, --list)", 2)
    else
      a.outdir = a.outdir or v
      i = i + 1
    end
  end
  return a
end

-- ---- environment ---------------------------------------------------------------

local function read_cpu_model()
  local f = io_open("/proc/cpuinfo", "r")
  if not f then return "unknown", 0 end
  local model, ncpu = "unknown", 0
  for line in f:lines() do
    local m = line:match("^model name%s*:%s*(.-)%s*$")
    if m and model == "unknown" then model = m end
    if line:match("^processor%s*:") then ncpu = ncpu + 1 end
  end
  f:close()
  return model, ncpu
end

local function git_commit()
  local p = io_popen and io_popen("git rev-parse --short HEAD 2>/dev/null")
  if not p then return nil end
  local s = p:read("*l")
  p:close()
  return s
end

--- What the numbers were measured on: LuaJIT version and JIT state, victor
--- backends and versions, CPU model and count, UTC date, git commit.
---@return table env
function M.environment()
  local env = {}
  local jit_ok, jit_mod = pcall(require, "jit")
  if jit_ok then
    env.luajit = jit_mod.version
    local st = { jit_mod.status() }
    env.jit_enabled = st[1] and true or false
    local flags = {}
    for i = 2, #st do flags[#flags + 1] = tostring(st[i]) end
    env.jit_flags = tconcat(flags, " ")
    env.arch = jit_mod.arch
  else
    env.luajit = _VERSION
  end
  local nat_ok, native = pcall(require, "victor.native")
  if nat_ok then
    env.victor_backends = native.backends()
    local v = native.versions()
    env.victor_lua = v.victor_lua
    env.xxhash = v.xxhash
  end
  env.cpu, env.ncpu = read_cpu_model()
  env.date = os_date("!%Y-%m-%dT%H:%M:%SZ")
  env.commit = git_commit()
  return env
end

-- ---- measuring -------------------------------------------------------------------

---@class BenchCase
---@field name string     unique id, e.g. "batch.2arg.native" (what --case matches)
---@field case string|nil display name (defaults to name)
---@field backend string|nil "native", "fallback", "plain Lua", ...
---@field group string|nil  cases that compare with one another
---@field items integer     items per iteration
---@field bytes number|nil  bytes per iteration (enables MB/s)
---@field fn fun(n: integer) runs n iterations
---@field cg_iters integer|nil iterations in callgrind mode

---@class BenchResult
---@field name string
---@field case string
---@field backend string
---@field group string
---@field items_per_iter integer
---@field bytes_per_iter number|nil
---@field clock string        "cpu" or "wall": the primary clock
---@field runs integer        measurements (fresh processes when isolated)
---@field iters integer[]     iterations per sample, per run
---@field samples_s_per_item number[] every sample of every run, seconds per item
---@field run_items_per_s number[] median items/s of each run
---@field run_spread number   fastest run median / slowest run median
---@field items_per_s number  median over all samples
---@field items_per_s_best number from the fastest sample
---@field ns_per_item number
---@field wall_ns_per_item number
---@field cpu_ns_per_item number
---@field mb_per_s number|nil
---@field busy boolean|nil    wall time > 1.1 x CPU time: the process was descheduled
---@field unstable boolean|nil run_spread > UNSTABLE_SPREAD
---@field baseline string|nil set by compare()
---@field ratio number|nil    items_per_s / baseline's items_per_s

-- Returns primary-clock seconds, wall seconds, CPU seconds.
local function time_once(fn, n)
  local c0, w0 = cpu_clock(), wall_clock()
  fn(n)
  local w1, c1 = wall_clock(), cpu_clock()
  local w, c = w1 - w0, c1 - c0
  if M.CLOCK == "wall" then return w, w, c end
  return c, w, c
end

--- Calibrate: grow n until one run of fn(n) takes at least target_s. The runs on
--- the way double as warm-up (JIT traces compiled, caches and buffers grown).
---@param fn fun(n: integer)
---@param target_s number
---@return integer n
function M.calibrate(fn, target_s)
  local n = 1
  for _ = 1, 3 do fn(1) end -- warm-up: compile traces before the first timed run
  while true do
    local t = time_once(fn, n)
    if t >= target_s then return n end
    -- aim 20% past the target, but grow by 2x..10x per step
    local grow = t > 0 and (target_s * 1.2 / t) or 10
    if grow < 2 then grow = 2 elseif grow > 10 then grow = 10 end
    n = floor(n * grow + 0.5)
  end
end

--- Measure one case in timing mode, in this process: one "run".
---@param c BenchCase
---@param opts? {samples?: integer, target_s?: number, iters?: integer}
---@return table run {name=, iters=, items_per_iter=, samples_s=, wall_samples_s=, cpu_samples_s=}
function M.measure(c, opts)
  opts = opts or {}
  local nsamples = opts.samples or M.DEFAULT_SAMPLES
  local n = opts.iters
  if n then
    c.fn(n) -- warm-up at the fixed count
  else
    n = M.calibrate(c.fn, opts.target_s or M.DEFAULT_TARGET_S)
  end
  local ts, walls, cpus = {}, {}, {}
  for i = 1, nsamples do
    collectgarbage("collect")
    ts[i], walls[i], cpus[i] = time_once(c.fn, n)
  end
  return { name = c.name, iters = n, items_per_iter = c.items, samples_s = ts, wall_samples_s = walls,
           cpu_samples_s = cpus }
end

--- Combine the runs of one case (each from measure(), possibly in different
--- processes with different iteration counts) into its result: every sample is
--- turned into seconds per item, and the median and minimum are taken over all
--- samples of all runs.
---@param c BenchCase
---@param runs table[]
---@return BenchResult
function M.merge(c, runs)
  local per, walls, cpus, run_meds = {}, {}, {}, {}
  for _, run in ipairs(runs) do
    local items = run.iters * run.items_per_iter
    local mine = {}
    for i, t in ipairs(run.samples_s) do
      per[#per + 1] = t / items
      mine[i] = t / items
      walls[#walls + 1] = run.wall_samples_s[i] / items
      cpus[#cpus + 1] = run.cpu_samples_s[i] / items
    end
    run_meds[#run_meds + 1] = M.median(mine)
  end
  local med, mn = M.median(per), M.min(per)
  local r = {
    name = c.name, case = c.case or c.name, backend = c.backend or "", group = c.group or "",
    items_per_iter = c.items, bytes_per_iter = c.bytes, clock = M.CLOCK, runs = #runs,
    iters = {}, run_items_per_s = {}, samples_s_per_item = per,
    items_per_s = 1 / med, items_per_s_best = 1 / mn, ns_per_item = med * 1e9,
    wall_ns_per_item = M.median(walls) * 1e9, cpu_ns_per_item = M.median(cpus) * 1e9,
  }
  for i, run in ipairs(runs) do
    r.iters[i] = run.iters
    r.run_items_per_s[i] = 1 / run_meds[i]
  end
  local fastest = M.min(run_meds)
  r.run_spread = fastest > 0 and max(unpack(run_meds)) / fastest or 1
  if c.bytes then r.mb_per_s = c.bytes / c.items * r.items_per_s / 1e6 end
  if r.wall_ns_per_item > 1.1 * r.cpu_ns_per_item then r.busy = true end
  if r.run_spread > M.UNSTABLE_SPREAD then r.unstable = true end
  return r
end

--- Run one case once with a fixed iteration count (callgrind mode).
---@param c BenchCase
---@param iters integer|nil
---@return table result {name=, iters=, items=}
function M.run_fixed(c, iters)
  local n = iters or c.cg_iters or M.DEFAULT_CG_ITERS
  c.fn(n)
  return { name = c.name, case = c.case or c.name, backend = c.backend or "", group = c.group or "",
           iters = n, items_per_iter = c.items, items = n * c.items }
end

--- Ratio of every result's items/s to the baseline's (optionally only within one
--- group). Annotates each result with `baseline` and `ratio` and returns
--- {name = ratio}. A ratio > 1 means faster than the baseline.
---@param results BenchResult[]
---@param baseline_name string
---@param group? string
---@return table<string, number> ratios
function M.compare(results, baseline_name, group)
  local base
  for _, r in ipairs(results) do if r.name == baseline_name then base = r end end
  local out = {}
  if not base or not base.items_per_s or base.items_per_s <= 0 then return out end
  for _, r in ipairs(results) do
    if r.items_per_s and (group == nil or r.group == group) then
      r.baseline = baseline_name
      r.ratio = r.items_per_s / base.items_per_s
      out[r.name] = r.ratio
    end
  end
  return out
end

--- items/s of result a divided by items/s of result b (nil if either is missing).
---@param results BenchResult[]
---@param a string
---@param b string
---@return number|nil
function M.ratio(results, a, b)
  local ra, rb
  for _, r in ipairs(results) do
    if r.name == a then ra = r end
    if r.name == b then rb = r end
  end
  if not (ra and rb and ra.items_per_s and rb.items_per_s and rb.items_per_s > 0) then return nil end
  return ra.items_per_s / rb.items_per_s
end

--- A ratio table for suite:finish and a recorder: `local ratios, ratio =
--- H.ratio_table(results)`, then `ratio(label, a, b)` computes H.ratio(results, a, b),
--- appends {label, a, b, value} when both cases ran, and returns the value.
---@param results table
---@return table ratios
---@return fun(label: string, a: string, b: string): number|nil
function M.ratio_table(results)
  local ratios = {}
  return ratios, function(label, a, b)
    local v = M.ratio(results, a, b)
    if v then ratios[#ratios + 1] = { label = label, a = a, b = b, value = v } end
    return v
  end
end

--- A deterministic generator for bench data (MINSTD, exact in doubles):
--- minstd(seed) returns rand, where rand(n) is an integer in 1..n.
---@param seed integer
---@return fun(n: integer): integer
function M.minstd(seed)
  return function(n)
    seed = seed * 48271 % 2147483647
    return seed % n + 1
  end
end

--- This process's peak resident set (VmHWM of /proc/self/status) in KiB, or nil.
---@return integer|nil
function M.peak_rss_kb()
  local f = io.open("/proc/self/status", "r")
  if not f then return nil end
  local kb = f:read("*a"):match("VmHWM:%s*(%d+)")
  f:close()
  return tonumber(kb)
end

--- The shell words that run this bench script again: the interpreter and its options
--- (argv[-n..-1]), then the script (argv[0]). VL_BENCH_EXEC, when set, is the command
--- used instead of the interpreter's path (make bench-arm64: the qemu-aarch64 wrapper,
--- since the bare arm64 luajit cannot be executed on the host).
---@param argv table the script's `arg`
---@return string[]
function M.self_words(argv)
  local lo, words = 0, {}
  while argv[lo - 1] ~= nil do lo = lo - 1 end
  local exec = os_getenv("VL_BENCH_EXEC")
  for i = lo, 0 do
    if i == lo and exec and exec ~= "" then words[1] = exec
    else words[#words + 1] = "'" .. tostring(argv[i]):gsub("'", "'\\''") .. "'" end
  end
  return words
end

--- Run this bench script again in a fresh process with one more environment
--- assignment (e.g. "VL_DEDUP_RSS_MB=10"): the interpreter and options of `argv`
--- (the script's `arg`), the script, no arguments. Returns its stdout and stderr.
---@param argv table
---@param assignment string
---@return string
function M.run_self(argv, assignment)
  local p = io.popen(assignment .. " " .. table.concat(M.self_words(argv), " ") .. " 2>&1")
  local out = p:read("*a")
  p:close()
  return out
end

--- Whether this process needs the data of case `name`: never for --list; in a
--- child, only for its own case; in the parent (which reports MB/s from the byte
--- count and checks outputs), `parent` (default true).
---@param args BenchArgs
---@param name string
---@param parent? boolean
---@return boolean
function M.wanted(args, name, parent)
  if args.list then return false end
  if args.child then return args.child == name end
  if parent == nil then return true end
  return parent
end

--- Look a result up by name.
---@param results BenchResult[]
---@param name string
---@return BenchResult|nil
function M.find(results, name)
  for _, r in ipairs(results) do if r.name == name then return r end end
  return nil
end

-- ---- formatting ------------------------------------------------------------------

--- 5460000 -> "5.46 M"; 950 -> "950".
---@param x number|nil
---@return string
--- Build a C peer of a bench against a pkg-config library (Vectorscan's libhs, say) into
--- build/peers when its source is newer. Returns true, or nil and why (the library is missing: how
--- to install it; or the build failed).
function M.build_peer(bin, src, pkg, apt)
  local function ok(rc) return rc == 0 or rc == true end
  if not ok(os.execute(sfmt("pkg-config --exists %s", pkg))) then
    return nil, sfmt("%s is not installed: apt-get install %s", pkg, apt)
  end
  os.execute("mkdir -p " .. bin:match("^(.*)/[^/]*$"))
  if not ok(os.execute(sfmt("[ %s -nt %s ] || cc -O2 -o %s %s $(pkg-config --cflags --libs %s)", bin, src, bin,
    src, pkg))) then
    return nil, "the peer " .. src .. " did not build"
  end
  return true
end

function M.si(x)
  if x == nil then return "" end
  if x >= 1e9 then return sfmt("%.2f G", x / 1e9) end
  if x >= 1e6 then return sfmt("%.2f M", x / 1e6) end
  if x >= 1e3 then return sfmt("%.1f k", x / 1e3) end
  return sfmt("%.0f", x)
end

local function fmt_ns(ns)
  if ns == nil then return "" end
  if ns >= 1e6 then return sfmt("%.2f ms", ns / 1e6) end
  if ns >= 1e3 then return sfmt("%.2f µs", ns / 1e3) end
  return sfmt("%.0f ns", ns)
end
M.fmt_ns = fmt_ns

local function fmt_ratio(x)
  if x == nil then return "" end
  if x >= 100 then return sfmt("%.0fx", x) end
  if x >= 10 then return sfmt("%.1fx", x) end
  return sfmt("%.2fx", x)
end
M.fmt_ratio = fmt_ratio

--- A markdown table of results: case, backend, items/s, time per item, MB/s,
--- ratio to baseline, spread ((median - min) / median).
---@param results BenchResult[]
---@return string
function M.markdown(results)
  local lines = {
    "| case | backend | items/s | per item | MB/s | vs baseline | run spread |",
    "|---|---|--:|--:|--:|--:|--:|",
  }
  for _, r in ipairs(results) do
    lines[#lines + 1] = sfmt("| %s | %s | %s | %s | %s | %s | %s |",
      r.case, r.backend, M.si(r.items_per_s), fmt_ns(r.ns_per_item),
      r.mb_per_s and sfmt("%.1f", r.mb_per_s) or "",
      r.ratio and (fmt_ratio(r.ratio) .. (r.name == r.baseline and " (base)" or "")) or "",
      (r.run_spread and sfmt("%.2fx", r.run_spread) or "") .. (r.unstable and " unstable" or "")
        .. (r.busy and " busy" or ""))
  end
  return tconcat(lines, "\n")
end

--- One line describing the environment.
---@param env table from environment()
---@return string
function M.env_line(env)
  local b = {}
  for k, v in pairs(env.victor_backends or {}) do b[#b + 1] = k .. "=" .. v end
  tsort(b)
  return sfmt("%s (JIT %s: %s); victor-lua %s, backends %s; xxHash %s; CPU %s x%d; %s%s",
    tostring(env.luajit), env.jit_enabled and "on" or "off", tostring(env.jit_flags),
    tostring(env.victor_lua), tconcat(b, ","), tostring(env.xxhash), tostring(env.cpu),
    env.ncpu or 0, tostring(env.date), env.commit and (", commit " .. env.commit) or "")
end

--- The whole document of one kernel as markdown: heading, environment, results
--- table, named ratios, checks, notes. Used by the benches and by report.lua.
---@param doc table {kernel=, env=, results=, ratios=, checks=, notes=}
---@return string
function M.render(doc)
  local out = { "## " .. tostring(doc.kernel), "" }
  if doc.env then out[#out + 1] = "Environment: " .. M.env_line(doc.env) .. "  " end
  if doc.settings then
    local st = doc.settings
    out[#out + 1] = sfmt("Method: per case %d runs (%s) x %d samples of >= %.2f s%s; median over all "
      .. "samples (best sample in JSON), %s time; run spread = fastest / slowest run median; ratios from "
      .. "the same run.", st.runs or 1, st.isolate == false and "all in one process" or "each a fresh process",
      st.samples, st.target_s, st.iters and (", fixed " .. st.iters .. " iterations") or "",
      st.clock == "wall" and "wall" or "process CPU")
  end
  out[#out + 1] = ""
  out[#out + 1] = M.markdown(doc.results or {})
  if doc.ratios and #doc.ratios > 0 then
    out[#out + 1] = ""
    out[#out + 1] = "| ratio | value |"
    out[#out + 1] = "|---|--:|"
    for _, r in ipairs(doc.ratios) do
      out[#out + 1] = sfmt("| %s | %s |", r.label, r.value and fmt_ratio(r.value) or "n/a")
    end
  end
  if doc.checks and #doc.checks > 0 then
    out[#out + 1] = ""
    for _, c in ipairs(doc.checks) do
      out[#out + 1] = sfmt("- **%s** %s: %s", c.pass and "PASS" or "FAIL", c.label, c.detail or "")
    end
  end
  if doc.notes and #doc.notes > 0 then
    out[#out + 1] = ""
    for _, n in ipairs(doc.notes) do out[#out + 1] = "- " .. n end
  end
  return tconcat(out, "\n") .. "\n"
end

-- ---- JSON -------------------------------------------------------------------------

-- cjson refuses inf and nan; replace them (and drop functions) before encoding.
local function sanitize(v)
  local t = type(v)
  if t == "number" then
    if v ~= v or v == huge or v == -huge then return cjson.null end
    return v
  end
  if t == "table" then
    local o = {}
    for k, x in pairs(v) do
      if type(x) ~= "function" then o[k] = sanitize(x) end
    end
    return o
  end
  return v
end

--- Write doc as <outdir>/<kernel>.json.
---@param outdir string
---@param kernel string
---@param doc table
---@return string path
function M.write_json(outdir, kernel, doc)
  local path = outdir .. "/" .. kernel .. ".json"
  local f, err = io_open(path, "w")
  if not f then -- the Makefile creates the directory; a direct run may not have
    os_execute("mkdir -p '" .. outdir:gsub("'", "'\\''") .. "'")
    f, err = io_open(path, "w")
  end
  if not f then error("cannot write " .. path .. ": " .. tostring(err), 2) end
  f:write(cjson.encode(sanitize(doc)), "\n")
  f:close()
  return path
end

-- ---- suites --------------------------------------------------------------------------

local Suite = {}
Suite.__index = Suite

--- A suite of cases for one kernel.
---@param kernel string output file name (<outdir>/<kernel>.json)
---@param argv table|nil the script's `arg`
---@param opts? {samples?: integer, target_s?: number, runs?: integer}
---@return table suite
function M.suite(kernel, argv, opts)
  opts = opts or {}
  local a = M.parse_args(argv)
  return setmetatable({
    kernel = kernel, args = a, argv = argv or {}, cases = {}, results = {},
    samples = opts.samples or M.DEFAULT_SAMPLES, target_s = opts.target_s or M.DEFAULT_TARGET_S,
    runs = max(1, floor(opts.runs or tonumber(os_getenv("VL_BENCH_RUNS") or "") or M.DEFAULT_RUNS)),
  }, Suite)
end

--- Add a case (see BenchCase).
---@param c BenchCase
function Suite:add(c)
  if type(c.fn) ~= "function" or type(c.name) ~= "string" or type(c.items) ~= "number" then
    error("a case needs name, items and fn", 2)
  end
  self.cases[#self.cases + 1] = c
end

--- true when the case is selected by --case.
---@param name string
---@return boolean
function Suite:selected(name)
  local pat = self.args.case
  return pat == nil or name:find(pat, 1, true) ~= nil
end

--- true when this run measures everything and writes results (no --case, --iters,
--- --list, callgrind mode).
---@return boolean
function Suite:complete()
  local a = self.args
  return not (a.case or a.iters or a.list or a.callgrind)
end

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- The command line that re-runs this bench script for one case: the interpreter
-- and its options (arg[-n..-1]), the script (arg[0]), then --child.
function Suite:child_command(name)
  local parts = M.self_words(self.argv)
  parts[#parts + 1] = shell_quote(self.args.outdir or ".")
  parts[#parts + 1] = "--child " .. shell_quote(name)
  if self.args.iters then parts[#parts + 1] = "--iters " .. self.args.iters end
  return tconcat(parts, " ")
end

local RESULT_TAG = "VL_BENCH_RESULT "

-- Measure one case in a fresh process; returns its run.
function Suite:measure_isolated(c)
  local p = io_popen(self:child_command(c.name), "r")
  local out = p:read("*a")
  p:close()
  local line = out:match(RESULT_TAG .. "([^\n]*)")
  if not line then error(sfmt("case %s: the child process reported no result:\n%s", c.name, out), 0) end
  local r = cjson.decode(line)
  for k, v in pairs(r) do if v == cjson.null then r[k] = nil end end
  return r
end

--- Run the selected cases. In timing mode prints one progress line per case on
--- stderr and returns the results; in callgrind or --list mode returns {}.
---@return BenchResult[]
function Suite:run()
  local a = self.args
  if a.list then
    for _, c in ipairs(self.cases) do
      if self:selected(c.name) then io.write(sfmt("%s\t%d\n", c.name, c.items)) end
    end
    return {}
  end
  if a.callgrind then
    for _, c in ipairs(self.cases) do
      if self:selected(c.name) then
        local r = M.run_fixed(c, a.iters)
        io.stderr:write(sfmt("callgrind: %s: %d iterations, %d items\n", r.name, r.iters, r.items))
      end
    end
    return {}
  end
  local mopts = { samples = self.samples, target_s = self.target_s, iters = a.iters }
  if a.child then -- we are the fresh process of one case: measure it, report, exit
    for _, c in ipairs(self.cases) do
      if c.name == a.child then
        io.write(RESULT_TAG, cjson.encode(sanitize(M.measure(c, mopts))), "\n")
        io.stdout:flush()
        os.exit(0)
      end
    end
    error("no case named " .. a.child, 0)
  end
  local isolate = a.isolate and io_popen ~= nil and self.argv[0] ~= nil
  local selected, width = {}, 0
  for _, c in ipairs(self.cases) do
    if self:selected(c.name) then
      selected[#selected + 1] = c
      width = max(width, #c.name)
    end
  end
  io.stderr:write(sfmt("%s: %d cases x %d runs, %s clock, %s\n", self.kernel, #selected, self.runs, M.CLOCK,
    isolate and "each run in a fresh process" or "all in one process"))
  -- Round-robin (every case once, then again) so a slow spell of the machine
  -- spreads over all cases instead of hitting one.
  local runs = {}
  for k = 1, self.runs do
    for _, c in ipairs(selected) do
      local run = isolate and self:measure_isolated(c) or M.measure(c, mopts)
      runs[c.name] = runs[c.name] or {}
      runs[c.name][k] = run
      local med = M.median(run.samples_s) / (run.iters * run.items_per_iter)
      io.stderr:write(sfmt("  run %d  %-" .. width .. "s %12s items/s %10s/item  (%d x %d)\n", k, c.name,
        M.si(1 / med), fmt_ns(med * 1e9), run.iters, c.items))
    end
  end
  for _, c in ipairs(selected) do self.results[#self.results + 1] = M.merge(c, runs[c.name]) end
  return self.results
end

--- Print the markdown report and, on a complete run, write <outdir>/<kernel>.json.
---@param extra? table {ratios=, checks=, notes=} merged into the document
---@return table doc
function Suite:finish(extra)
  if self.args.list or self.args.callgrind then return {} end
  local doc = {
    kernel = self.kernel, env = M.environment(), results = self.results,
    settings = { samples = self.samples, runs = self.runs, target_s = self.target_s, iters = self.args.iters,
                 clock = M.CLOCK, isolate = self.args.isolate },
  }
  for k, v in pairs(extra or {}) do doc[k] = v end
  io.write(M.render(doc), "\n")
  if self:complete() and self.args.outdir then
    local path = M.write_json(self.args.outdir, self.kernel, doc)
    io.write("wrote ", path, "\n")
  elseif not self:complete() then
    io.write("(partial run: --case/--iters given, ", self.kernel, ".json not written)\n")
  end
  return doc
end

M.Suite = Suite

return M
