--- bench/graph_bench.lua: the graph kernel (issue 8): PageRank, components,
--- betweenness and shortest paths, native (1 and 2 threads) vs the pure-Lua fallback,
--- with networkx (pure-Python PageRank) measured in the same run when it is installed.
--
-- Usage (what `make bench` runs):
--   LUA_PATH="./lua/?.lua;./bench/?.lua;build/gen/lua/?.lua;;" LUA_CPATH="build/lib/?.so;;" \
--     luajit bench/graph_bench.lua build/bench [--case PAT] [--iters N] [--list]
-- Writes build/bench/graph.json (read by bench/report.lua); see bench/harness.lua.
--
-- Graphs (seeded, deterministic): n nodes, m edges; sources uniform, targets
-- power-law (u^3 of a uniform u, then spread over the ids by a bijection), so the
-- in-degrees are skewed and some nodes dangle. Sizes: 10K/50K, 100K/1M and
-- 1M/10M (VL_GRAPH_LARGE=0 skips the largest: its data takes ~0.5 GB of Lua
-- process memory and each PageRank ~1 s). The fallback runs on the two smaller.
-- PageRank: damping 0.85, tol 1e-6 (L1). One item = one call (scores returned as
-- a Lua table), so "per item" is the time per call.
-- Peers: networkx's pure-Python `_pagerank_python` (tol 1e-6 in networkx's own
-- n*tol L1 sense) on the 10K graph, wall clock, in a python3 subprocess, when
-- `import networkx` works; VL_GRAPH_NX_100K=1 adds the 100K graph (~15 s a run),
-- VL_GRAPH_NX_1M=1 the 1M/10M one (14 GB in python, and its untimed tol-1e-15 run for
-- the accuracy check takes longer than an hour).
-- igraph (python3-igraph): PRPACK PageRank on the 10K and 100K graphs (VL_GRAPH_IGRAPH_1M=1
-- adds 1M/10M), graph built from the same edge list, median of 3 runs (1 on 1M).
-- Python: $PYTHON, else Debian's /usr/bin/python3 (where apt installs both), else python3.
local H = require "harness"
local ffi = require "ffi"
local graph = require "victor.graph"
local F = require "victor.fallback.graph"
local N = graph.backend == "native" and require "victor.core.graph"

local sfmt, floor = string.format, math.floor

local args = H.parse_args(arg)
-- 2-thread cases: CPU time would count both threads, so this bench times wall
-- clock unless VL_BENCH_CLOCK=cpu asks otherwise
if os.getenv("VL_BENCH_CLOCK") ~= "cpu" then H.CLOCK = "wall" end
local LARGE = os.getenv("VL_GRAPH_LARGE") ~= "0"
local SINK = {}

local has_native = graph.backend == "native"

-- ---- data ---------------------------------------------------------------------

local SIZES = { { key = "10k", n = 10000, m = 50000 }, { key = "100k", n = 100000, m = 1000000 } }
if LARGE then SIZES[#SIZES + 1] = { key = "1m", n = 1000000, m = 10000000 } end

local arrays = {}
local function edges(sz)
  local a = arrays[sz.key]
  if a then return a end
  local n, m = sz.n, sz.m
  local src, dst = ffi.new("int32_t[?]", m), ffi.new("int32_t[?]", m)
  local s = 20240607
  for i = 0, m - 1 do
    s = s * 48271 % 2147483647
    src[i] = s % n
    s = s * 48271 % 2147483647
    local u = s / 2147483647
    dst[i] = floor(n * u * u * u) * 1000003 % n
  end
  a = { src = src, dst = dst }
  arrays[sz.key] = a
  return a
end

local graphs = {}
local function get(sz, backend)
  local k = sz.key .. backend
  if not graphs[k] then
    local a = edges(sz)
    if backend == "native" then
      graphs[k] = assert(N.new(sz.n, ffi.string(a.src, 4 * sz.m), ffi.string(a.dst, 4 * sz.m), nil, true))
    else
      local s, d = {}, {}
      for i = 0, sz.m - 1 do s[i + 1], d[i + 1] = a.src[i], a.dst[i] end
      graphs[k] = assert(F.new(sz.n, s, d, nil, true))
    end
  end
  return graphs[k]
end

-- ---- cases --------------------------------------------------------------------

local suite = H.suite("graph", arg, { samples = 3 })

-- One case calling op(g) once per iteration on the graph of size sz in backend
-- ("native" or "fallback"; both at the kernel level: victor.core.graph and
-- victor.fallback.graph share an interface, and the Lua API's id mapping is not
-- what the ratios measure).
local function add(name, case, sz, backend, group, op, items, label)
  suite:add { name = name, case = case, backend = label or backend, group = group, items = items or 1,
    fn = function(iters)
      local g = get(sz, backend)
      for _ = 1, iters do SINK[1] = op(g) end
    end }
end

local ALGOS = {
  { "pagerank", "PageRank ", "pr", function(g) return g:pagerank() end },
  { "components", "weak components ", "cc", function(g) return g:components(false) end },
  { "scc", "strong components ", "scc", function(g) return g:components(true) end },
}

for _, sz in ipairs(SIZES) do
  local label = sfmt("%s nodes / %s edges", H.si(sz.n), H.si(sz.m))
  if has_native then
    for _, t in ipairs({ 1, 2 }) do
      add(sfmt("pagerank.%s.native.t%d", sz.key, t), "PageRank " .. label, sz, "native", "pr" .. sz.key,
        function(g) return g:pagerank(0.85, 1e-6, 100, false, nil, nil, t) end, 1,
        sfmt("native, %d thread%s", t, t > 1 and "s" or ""))
    end
    add(sfmt("pagerank.%s.native.gs", sz.key), "PageRank " .. label, sz, "native", "pr" .. sz.key,
      function(g) return g:pagerank(0.85, 1e-6, 100, false, nil, nil, 1, true) end, 1, "native, Gauss-Seidel")
    for k = 2, #ALGOS do
      local al = ALGOS[k]
      add(sfmt("%s.%s.native", al[1], sz.key), al[2] .. label, sz, "native", al[3] .. sz.key, al[4])
    end
    suite:add { name = sfmt("build.%s.native", sz.key), case = "CSR build from int32 arrays " .. label,
      backend = "native", group = "build" .. sz.key, items = 1,
      fn = function(iters)
        local a = edges(sz)
        for _ = 1, iters do graph.from_arrays(sz.n, a.src, a.dst, { m = sz.m }):close() end
      end }
  end
  if sz.n <= 100000 then
    for _, al in ipairs(ALGOS) do
      add(sfmt("%s.%s.fallback", al[1], sz.key), al[2] .. label, sz, "fallback", al[3] .. sz.key, al[4])
    end
  end
end

-- betweenness (100 sampled sources) and BFS shortest paths on the 10K graph
local small = SIZES[1]
for _, backend in ipairs(has_native and { "native", "fallback" } or { "fallback" }) do
  add("betweenness.10k.s100." .. backend, "betweenness, 100 sources, 10K / 50K", small, backend, "bc",
    function(g) return g:betweenness(true, 100, 7) end)
  add("path.10k." .. backend, "BFS shortest path x 100, 10K / 50K", small, backend, "path", function(g)
    local p
    for k = 1, 100 do p = g:shortest_path(k * 97 % small.n, k * 31 % small.n, false) end
    return p
  end, 100)
end

local results = suite:run()
suite.sink = SINK
if args.child or args.list or args.callgrind then return end

-- ---- same-run comparisons, peers and checks ---------------------------------------

local checks, notes = {}, {}
local ratios, ratio = H.ratio_table(results)
local function find(name) return H.find(results, name) end
local function ms(name)
  local r = find(name)
  return r and r.items_per_s and 1000 / r.items_per_s
end

local PYTHON = os.getenv("PYTHON")
if not PYTHON then
  local f = io.open("/usr/bin/python3")
  PYTHON = f and "/usr/bin/python3" or "python3"
  if f then f:close() end
end

local function has_module(mod)
  local ok = os.execute(PYTHON .. " -c 'import " .. mod .. "' >/dev/null 2>&1")
  return ok == true or ok == 0
end

-- the edge list of a graph as a "src dst" text file; returns its path
local function edge_file(sz, a)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  local parts = {}
  for i = 0, sz.m - 1 do parts[#parts + 1] = a.src[i] .. " " .. a.dst[i] end
  f:write(table.concat(parts, "\n"), "\n")
  f:close()
  return path
end

-- Run a Python script on the graph's edge list (argv: edge file, n, runs): its output.
local function run_python(sz, a, runs, py)
  local path, script = edge_file(sz, a), os.tmpname()
  local f = assert(io.open(script, "wb"))
  f:write(py)
  f:close()
  local p = io.popen(sfmt("%s %s %s %d %d", PYTHON, script, path, sz.n, runs))
  local out = p:read("*a")
  p:close()
  os.remove(path)
  os.remove(script)
  return out
end

-- igraph's PRPACK PageRank in a subprocess: median seconds and the version
local function igraph(sz, a, runs)
  if not has_module("igraph") then return nil, "igraph not installed (apt-get install python3-igraph)" end
  local out = run_python(sz, a, runs, [[
import sys, time, igraph
g = igraph.Graph.Read_Edgelist(sys.argv[1], directed=True)
n = int(sys.argv[2])
if g.vcount() < n: g.add_vertices(n - g.vcount())
ts = []
for _ in range(int(sys.argv[3])):
    t = time.perf_counter(); g.pagerank(damping=0.85, implementation="prpack"); ts.append(time.perf_counter() - t)
ts.sort(); print(ts[len(ts) // 2], igraph.__version__)
]])
  local t, ver = out:match("^(%S+) (%S+)")
  if not t then return nil, "igraph run failed" end
  return tonumber(t), ver
end

-- networkx, pure Python, in a subprocess (wall clock; median of 3 runs)
local function networkx(sz, a, runs)
  if not has_module("networkx") then return nil, "networkx not installed" end
  local out = run_python(sz, a, runs, [[
import sys, time, networkx as nx
from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python
n = int(sys.argv[2]); G = nx.MultiDiGraph(); G.add_nodes_from(range(n))  # parallel edges kept, as victor.graph
for line in open(sys.argv[1]):
    a, b = line.split(); G.add_edge(int(a), int(b))
ts = []
for _ in range(int(sys.argv[3])):
    t = time.perf_counter(); pr = _pagerank_python(G, alpha=0.85, tol=1e-6); ts.append(time.perf_counter() - t)
ts.sort(); print(ts[len(ts) // 2], nx.__version__)
pr = _pagerank_python(G, alpha=0.85, tol=1e-15, max_iter=10000)  # the accurate answer, untimed
for v in range(n): print(repr(pr[v]))
]])
  local t, ver = out:match("^(%S+) (%S+)\n")
  if not t then return nil, "networkx run failed" end
  local scores, i = {}, 0
  for v in out:gmatch("\n(%S+)") do
    i = i + 1
    scores[i] = tonumber(v)
  end
  return tonumber(t), ver, scores
end

for _, sz in ipairs(SIZES) do
  local t1, t2 = ms(sfmt("pagerank.%s.native.t1", sz.key)), ms(sfmt("pagerank.%s.native.t2", sz.key))
  if t1 then
    local g = get(sz, "native")
    local s, it, res = g:pagerank(0.85, 1e-6, 100, false, nil, nil, 1)
    local sum = 0
    for v = 1, sz.n do sum = sum + s[v] end
    local s2 = g:pagerank(0.85, 1e-6, 100, false, nil, nil, 2)
    local same = true
    for v = 1, sz.n do if s[v] ~= s2[v] then same = false break end end
    notes[#notes + 1] = sfmt("PageRank %s: %d iterations, residual %.2g, sum - 1 = %.1e, %.0f M edges/s per "
      .. "iteration (1 thread, whole call); 1 vs 2 threads bit-identical: %s", sz.key, it, res, sum - 1,
      sz.m * it / (t1 / 1000) / 1e6, tostring(same))
    ratio("PageRank " .. sz.key .. ": 2 threads / 1 thread", sfmt("pagerank.%s.native.t2", sz.key),
      sfmt("pagerank.%s.native.t1", sz.key))
    if find(sfmt("pagerank.%s.native.gs", sz.key)) then
      local _, git = g:pagerank(0.85, 1e-6, 100, false, nil, nil, 1, true)
      ratio(sfmt("PageRank %s: Gauss-Seidel (%d sweeps) / power (%d steps), 1 thread", sz.key, git, it),
        sfmt("pagerank.%s.native.gs", sz.key), sfmt("pagerank.%s.native.t1", sz.key))
    end
    ratio("PageRank " .. sz.key .. ": native / fallback", sfmt("pagerank.%s.native.t1", sz.key),
      sfmt("pagerank.%s.fallback", sz.key))
    ratio("weak components " .. sz.key .. ": native / fallback", sfmt("components.%s.native", sz.key),
      sfmt("components.%s.fallback", sz.key))
    ratio("strong components " .. sz.key .. ": native / fallback", sfmt("scc.%s.native", sz.key),
      sfmt("scc.%s.fallback", sz.key))
    checks[#checks + 1] = { label = sfmt("PageRank %s sums to 1 within 1e-9, threads bit-identical", sz.key),
      pass = math.abs(sum - 1) < 1e-9 and same, detail = sfmt("%.1e", sum - 1) }
    if sz.key == "10k" or sz.key == "100k" then
      local limit = sz.key == "10k" and 3 or 50
      checks[#checks + 1] = { label = sfmt("PageRank %s <= %d ms (1 thread)", sz.key, limit),
        pass = t1 <= limit, detail = sfmt("%.2f ms (2 threads: %.2f ms)", t1, t2 or 0) }
    end
    if sz.key == "1m" then
      checks[#checks + 1] = { label = "PageRank 1M/10M: 2 threads >= 1.5x one thread", pass = t2 and t1 / t2 >= 1.5,
        detail = sfmt("%.0f vs %.0f ms (%.2fx); this VM has 2 vCPUs shared with other jobs", t1, t2 or 0,
          t1 / (t2 or t1)) }
      local cc = ms("components.1m.native")
      checks[#checks + 1] = { label = "weak components 1M/10M < 0.5 s", pass = cc and cc < 500,
        detail = sfmt("%.0f ms (strong: %.0f ms)", cc or 0, ms("scc.1m.native") or 0) }
    end
  end
end
ratio("betweenness (100 sources): native / fallback", "betweenness.10k.s100.native", "betweenness.10k.s100.fallback")
ratio("BFS shortest path: native / fallback", "path.10k.native", "path.10k.fallback")
for _, r in ipairs(ratios) do
  if r.label:find("native / fallback", 1, true) then
    checks[#checks + 1] = { label = r.label .. " >= 30x", pass = r.value >= 30, detail = sfmt("%.1fx", r.value) }
  end
end

if has_native and args.outdir then
  local peers = { SIZES[1] }
  if os.getenv("VL_GRAPH_NX_100K") == "1" then peers[#peers + 1] = SIZES[2] end
  if os.getenv("VL_GRAPH_NX_1M") == "1" then peers[#peers + 1] = SIZES[3] end
  for _, sz in ipairs(peers) do
    local t, ver, nx_scores
    if ms(sfmt("pagerank.%s.native.t1", sz.key)) then  -- (not with a --case that skipped it)
      t, ver, nx_scores = networkx(sz, edges(sz), sz.n <= 10000 and 3 or 1)
      if t and #nx_scores ~= sz.n then t, ver = nil, "networkx gave " .. #nx_scores .. " scores, not " .. sz.n end
    end
    if t then
      local ours = get(sz, "native"):pagerank(0.85, 1e-10, 1000)
      local l1 = 0
      for v = 1, sz.n do l1 = l1 + math.abs(ours[v] - nx_scores[v]) end
      local t1 = ms(sfmt("pagerank.%s.native.t1", sz.key))
      ratios[#ratios + 1] = { label = sfmt("PageRank %s: native (1 thread) / networkx %s pure Python", sz.key, ver),
        a = sfmt("pagerank.%s.native.t1", sz.key), b = "networkx", value = t * 1000 / t1 }
      checks[#checks + 1] = { label = sfmt("PageRank %s >= 100x networkx", sz.key), pass = t * 1000 / t1 >= 100,
        detail = sfmt("%.0f ms vs %.2f ms (%.0fx); L1 distance to networkx at tol 1e-15: %.1e", t * 1000, t1,
          t * 1000 / t1, l1) }
    elseif ver then
      notes[#notes + 1] = "networkx: " .. tostring(ver)
    end
  end
end
if has_native and args.outdir then
  for _, sz in ipairs(SIZES) do
    local t1 = ms(sfmt("pagerank.%s.native.t1", sz.key))
    if t1 and (sz.key ~= "1m" or os.getenv("VL_GRAPH_IGRAPH_1M") == "1") then
      local t, ver = igraph(sz, edges(sz), sz.key == "1m" and 1 or 3)
      if t then
        ratios[#ratios + 1] = { label = sfmt("PageRank %s: native (1 thread) / igraph %s PRPACK", sz.key, ver),
          a = sfmt("pagerank.%s.native.t1", sz.key), b = "igraph", value = t * 1000 / t1 }
        checks[#checks + 1] = { label = sfmt("PageRank %s >= 10x igraph", sz.key), pass = t * 1000 / t1 >= 10,
          detail = sfmt("%.1f ms vs %.2f ms (%.0fx)", t * 1000, t1, t * 1000 / t1) }
      else
        notes[#notes + 1] = "igraph: " .. tostring(ver)
        break
      end
    end
  end
end
notes[#notes + 1] = "Graphs: sources uniform, targets u^3-skewed (power-law in-degrees) and spread by a "
  .. "bijection; MINSTD seed 20240607. Times are wall clock per call (this bench's default, for the "
  .. "2-thread cases; VL_BENCH_CLOCK=cpu for CPU time) on a shared 2-vCPU VM."
notes[#notes + 1] = "Reference, not measured here (../shared/reference/anchors.md §10): plain C CSR loop 2.0 ms "
  .. "(10K/50K) and 40 ms (100K/1M); igraph PRPACK 5 / 847 ms; networkx 1019 / 14295 ms; Victor's Rust "
  .. "PageRank ~10.4 s on 100K/1M."
suite:finish { ratios = ratios, checks = checks, notes = notes }
