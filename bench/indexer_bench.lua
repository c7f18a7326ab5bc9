--- bench/indexer_bench.lua: victor.indexer (issue 9) on real trees, against
--- universal-ctags and a single-threaded tree-sitter parse-and-query loop.
--
-- Usage (what `make bench` runs; needs the native kernels):
--   LUA_PATH="./lua/?.lua;./bench/?.lua;build/gen/lua/?.lua;;" LUA_CPATH="build/lib/?.so;;" \
--     luajit bench/indexer_bench.lua build/bench
-- Environment: VL_IX_PY (Python stdlib dir; default: the pyenv 3.11 stdlib when present,
-- else /usr/lib/python3.11), VL_IX_C (default /usr/include; "0" skips the C tree),
-- VL_IX_C_LANG (c: parse every header as C; default: sniffed), VL_IX_PY=0 skips the Python tree,
-- VL_BENCH_RUNS (runs of each Python case, median taken; default 3; the C tree runs once).
--
-- Trees: every *.py under the stdlib (site-packages left out), and every *.h under
-- /usr/include, each parsed with the C grammar or, when indexer.sniff_header finds C++ in
-- its first 8 KiB, the C++ one (VL_IX_C_LANG=c forces C for all, as the bench did before);
-- the same sorted file list goes to ctags (-L), which parses every file as C.
-- Cases (wall clock, page cache warm: one untimed pass first):
--   cold 1 job / cold 2 jobs   index_codebase, no on-disk index (MB/s, files/s)
--   floor                      the single-threaded loop: read a file, parse + query it
--                              (the kernel's extraction, no Lua tables), next file
--   ctags                      universal-ctags on the same list (definitions only)
--   warm                       index_codebase again with the on-disk index, nothing changed
-- Agreement: the share of ctags' definitions (name, file, line) that we report as a
-- definition too, and the same on (name, file); misses broken down by ctags kind.
-- Peak RSS: a separate victor-lua process doing the cold 2-job index of the Python tree.
-- Writes OUTDIR/indexer.md (a markdown table; bench/report.lua reads only *.json).
local ffi = require "ffi"
local indexer = require "victor.indexer"
local core = require "victor.core.indexer"

local sfmt, concat, sort = string.format, table.concat, table.sort

ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } vl_bench_ts;
int clock_gettime(int clk, vl_bench_ts *ts);
]]
local ts = ffi.new("vl_bench_ts")
local function now()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end
local function cpu() -- process CPU time, all threads (CLOCK_PROCESS_CPUTIME_ID)
  ffi.C.clock_gettime(2, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local outdir = arg[1] or "build/bench"
local RUNS = tonumber(os.getenv("VL_BENCH_RUNS") or "3") or 3
local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
local function exists(p)
  local r = os.execute("test -e " .. q(p))
  return r == 0 or r == true
end

local HAVE_CTAGS = (function()
  local r = os.execute("ctags --version 2>/dev/null | grep -q Universal")
  return r == 0 or r == true
end)()
local pyenv = "/root/.pyenv/versions/3.11.7/lib/python3.11"
local PY = os.getenv("VL_IX_PY") or (exists(pyenv) and pyenv or "/usr/lib/python3.11")
local CDIR = os.getenv("VL_IX_C") or "/usr/include"
local CLANG = os.getenv("VL_IX_C_LANG") -- nil: headers sniffed (C or C++); "c": all C
local NO_PY = os.getenv("VL_IX_PY") == "0" -- "0" skips the Python tree

local function list(cmd)
  local p = assert(io.popen(cmd))
  local t = {}
  for l in p:lines() do t[#t + 1] = l end
  p:close()
  sort(t)
  return t
end

local function median(t)
  local c = {}
  for i = 1, #t do c[i] = t[i] end
  sort(c)
  return c[math.floor((#c + 1) / 2)]
end

-- child mode for the peak-RSS measurement: index the listed files with 2 jobs, exit
if arg[1] == "--rss-child" then
  local files = {}
  for l in io.lines(arg[2]) do files[#files + 1] = l end
  local res = assert(indexer.index_codebase({}, { files = files, lang = arg[3], jobs = 2, index = false }))
  io.write(res.stats.symbols, "\n")
  return
end

local results, checks, lines = {}, {}, {}
local function out(s)
  io.write(s, "\n")
  lines[#lines + 1] = s
end

local CPU = {} -- fn -> median CPU seconds of its last time_it
local function time_it(runs, fn)
  local ts_, cs = {}, {}
  local r
  for i = 1, runs do
    local t0, c0 = now(), cpu()
    r = fn()
    ts_[i], cs[i] = now() - t0, cpu() - c0
  end
  CPU.last = median(cs)
  return median(ts_), r
end

local function ctags_defs(listfile, lang)
  local tmp = os.tmpname()
  local t0 = now()
  local rc = os.execute(sfmt("ctags -L %s -f %s --languages=%s --fields=+nK --extras=-F %s 2>/dev/null", q(listfile),
    q(tmp), lang, lang == "C" and "--langmap=C:+.h" or ""))
  local dt = now() - t0
  if rc ~= 0 and rc ~= true then error("ctags failed: " .. tostring(rc)) end
  local defs = {}
  for l in io.lines(tmp) do
    if l:sub(1, 2) ~= "!_" then
      local name, file, rest = l:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      local kind = rest and rest:match(';"\t([%w_]+)')
      local line = rest and rest:match("\tline:(%d+)")
      if name and line then defs[#defs + 1] = { name, file, tonumber(line), kind } end
    end
  end
  os.remove(tmp)
  return dt, defs
end

local function agreement(res, defs)
  local have, have_nf = {}, {}
  for i, f in ipairs(res.files) do
    if not f.skipped then
      for _, s in ipairs(res.index:symbols(i)) do
        if not s.ref then
          have[s.name .. "\0" .. f.path .. "\0" .. s.line] = true
          have_nf[s.name .. "\0" .. f.path] = true
        end
      end
    end
  end
  local hit, hit_nf, miss_by = 0, 0, {}
  -- ctags names anonymous structs/unions/enums `__anonXXXX`: not names in the source
  local named, anon = {}, 0
  for _, d in ipairs(defs) do
    if d[1]:find("^__anon%x+$") then anon = anon + 1 else named[#named + 1] = d end
  end
  defs = named
  for _, d in ipairs(defs) do
    if have[d[1] .. "\0" .. d[2] .. "\0" .. d[3]] then hit = hit + 1 end
    if have_nf[d[1] .. "\0" .. d[2]] then
      hit_nf = hit_nf + 1
    else
      miss_by[d[4] or "?"] = (miss_by[d[4] or "?"] or 0) + 1
    end
  end
  local kinds = {}
  for k, n in next, miss_by do kinds[#kinds + 1] = { k, n } end
  sort(kinds, function(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] < b[1]) end)
  local parts = {}
  for i = 1, math.min(6, #kinds) do parts[i] = kinds[i][1] .. " " .. kinds[i][2] end
  return hit / math.max(1, #defs), hit_nf / math.max(1, #defs), concat(parts, ", "), anon, #defs
end

local function floor_loop(files, lang)
  local n = 0
  for _, p in ipairs(files) do
    local f = io.open(p, "rb")
    if f then
      local s = f:read("*a")
      f:close()
      if #s <= indexer.DEFAULT_MAX_FILE_BYTES then
        local l = lang or indexer.detect(p, s:sub(1, indexer.H_SNIFF_BYTES))
        n = n + (core.count(s, l, 0, indexer.DEFAULT_TIMEOUT_MS, indexer.DEFAULT_MAX_SYMBOLS) or 0)
      end
    end
  end
  return n
end

local function tree(name, dir, findexpr, lang, ctags_lang, runs)
  local files = list("find " .. q(dir) .. " " .. findexpr .. " -type f 2>/dev/null")
  if #files == 0 then
    out(sfmt("%s: no files under %s, skipped", name, dir))
    return
  end
  local listfile = os.tmpname()
  local lf = assert(io.open(listfile, "wb"))
  lf:write(concat(files, "\n"), "\n")
  lf:close()
  local idxfile = os.tmpname()
  os.remove(idxfile)
  local function cold(jobs)
    local res = assert(indexer.index_codebase({}, { files = files, lang = lang, jobs = jobs, index = false }))
    return res
  end
  -- ctags first, while this process is small (universal-ctags is a Debian package; without
  -- it the ctags rows and the agreement are left out)
  local tc, defs = 0 / 0, {}
  if HAVE_CTAGS then
    tc = time_it(runs, function() return (ctags_defs(listfile, ctags_lang)) end)
    defs = select(2, ctags_defs(listfile, ctags_lang))
  end
  local warmres = cold(2) -- page cache
  local bytes, nfiles, nsym = warmres.stats.bytes, warmres.stats.files, warmres.stats.symbols
  indexer.close(warmres)
  collectgarbage()
  local t1 = time_it(runs, function() local r = cold(1); indexer.close(r); collectgarbage() end)
  local c1 = CPU.last
  local t2, res2 = time_it(runs, function() return cold(2) end)
  local c2 = CPU.last
  local tf = time_it(runs, function() return floor_loop(files, lang) end)
  local cf = CPU.last
  -- warm: write the index once, then time a run with nothing changed
  local function warm()
    local r = assert(indexer.index_codebase({}, { files = files, lang = lang, jobs = 2, index = idxfile }))
    local reused = r.stats.reused
    indexer.close(r)
    return reused
  end
  warm()
  local tw, reused = time_it(math.max(runs, 3), warm)
  local agree, agree_nf, misses, anon, ndefs = agreement(res2, defs)
  indexer.close(res2)
  os.remove(idxfile)
  os.remove(listfile)
  local mb = bytes / 1e6
  local r = { name = name, files = nfiles, mb = mb, symbols = nsym, t1 = t1, t2 = t2, tf = tf, tc = tc, tw = tw,
    ctags_defs = #defs, agree = agree, agree_nf = agree_nf, misses = misses, reused = reused, list = files }
  results[#results + 1] = r
  out(sfmt("\n%s: %d files, %.1f MB, %d symbols (%s grammar)", name, nfiles, mb, nsym,
    lang or "C or C++ (sniffed)"))
  out("| case | wall (s) | MB/s | files/s | vs 1 job | CPU s (this process) |")
  out("|---|---:|---:|---:|---:|---:|")
  local function row(label, t, c)
    out(sfmt("| %s | %.3f | %.2f | %.0f | %.2fx | %s |", label, t, mb / t, nfiles / t, t1 / t,
      c and sfmt("%.2f", c) or "-"))
  end
  row("victor cold, 1 job", t1, c1)
  row("victor cold, 2 jobs", t2, c2)
  row("floor: 1-thread parse+query loop", tf, cf)
  row("universal-ctags (definitions only, own process)", tc)
  row(sfmt("victor warm, nothing changed (%d reused)", reused), tw)
  out(sfmt("CPU share of the wall time: 1 job %.2f, 2 jobs %.2f (of 2.00 possible): below 1 and 2, other "
    .. "processes held the cores", c1 / t1, c2 / t2))
  out(sfmt("agreement with ctags: %.1f%% of its %d named definitions on (name, file, line), %.1f%% on (name, file) "
    .. "(%d anonymous `__anon` entries left out); misses by ctags kind: %s", agree * 100, ndefs, agree_nf * 100, anon,
    misses))
  return r
end

local function check(cond, label)
  local s = (cond and "PASS " or "FAIL ") .. label
  checks[#checks + 1] = s
end

out("# victor.indexer bench")
out(sfmt("machine: %d cores (shared: other helpers may be building); wall clock, median of %d runs (C tree: 1)",
  tonumber(io.popen("nproc"):read("*l")) or 0, RUNS))

local py = not NO_PY and tree("python stdlib " .. PY, PY, "-name '*.py' -not -path '*/site-packages/*'", "python",
  "Python", RUNS)
local cc = CDIR ~= "0" and tree("C headers " .. CDIR, CDIR, "-name '*.h'", CLANG, "C", 1)

-- peak RSS of a cold 2-job index of the Python tree in its own process
local rss
if py then
  local listfile = os.tmpname()
  local lf = assert(io.open(listfile, "wb"))
  lf:write(concat(py.list, "\n"), "\n")
  lf:close()
  local tmp = os.tmpname()
  local host = arg[-1] or "luajit"
  os.execute(sfmt("/usr/bin/time -f %%M -o %s %s %s --rss-child %s python >/dev/null 2>&1", q(tmp), q(host),
    q(arg[0]), q(listfile)))
  local f = io.open(tmp)
  rss = f and tonumber(f:read("*l"))
  if f then f:close() end
  os.remove(tmp)
  os.remove(listfile)
  if rss then out(sfmt("\npeak RSS, cold 2-job index of the Python tree (own process): %.1f MB", rss / 1024)) end
end

out("")
for _, r in ipairs(results) do
  check(r.t1 / r.t2 >= 1.8, sfmt("%s: 2 jobs %.2fx one job (target >= 1.8x)", r.name, r.t1 / r.t2))
  if HAVE_CTAGS then
    check(r.tw < r.tc, sfmt("%s: warm re-index %.3f s faster than ctags' full run %.3f s", r.name, r.tw, r.tc))
    check(r.agree >= 0.95, sfmt("%s: %.1f%% of ctags' definitions (target >= 95%%)", r.name, r.agree * 100))
  end
end
if not HAVE_CTAGS then out("universal-ctags not found (apt-get install universal-ctags): its rows are NaN") end
if py then check(py.tw <= 0.5, sfmt("python stdlib: warm re-index %.3f s (target <= 0.5 s)", py.tw)) end
for _, c in ipairs(checks) do out(c) end
local _ = cc

os.execute("mkdir -p " .. q(outdir))
local f = io.open(outdir .. "/indexer.md", "wb")
if f then
  f:write(concat(lines, "\n"), "\n")
  f:close()
  io.write("wrote ", outdir, "/indexer.md\n")
end
