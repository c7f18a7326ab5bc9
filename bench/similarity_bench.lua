--- bench/similarity_bench.lua: the similarity kernel (issue 7): exact top-10 over
--- 100K x 384 and 10K x 384 float32, 100 queries at once, normalising 100K x 768,
--- against a read-bandwidth baseline measured in the same run (summing the same
--- matrix: one streaming read of the same bytes), the pure-Lua fallback, and numpy
--- (OpenBLAS) when `/usr/bin/python3 -c 'import numpy'` works.
--
-- Usage (what `make bench` runs):
--   LUA_PATH="./lua/?.lua;./bench/?.lua;build/gen/lua/?.lua;;" LUA_CPATH="build/lib/?.so;;" \
--     luajit bench/similarity_bench.lua build/bench [--case PAT] [--iters N] [--list]
-- Writes build/bench/similarity.json (read by bench/report.lua); see bench/harness.lua.
--
-- Data (seeded, deterministic): rows of uniform values in [-1, 1) from MINSTD,
-- L2-normalised ("random unit vectors"); queries are other such vectors. k = 10.
-- One item = one query (or one call for the baseline and normalise). Times are
-- wall clock (the batched cases use 2 OpenMP threads).
local H = require "harness"
local ffi = require "ffi"
local S = require "victor.similarity"
local F = require "victor.fallback.similarity"

local sfmt = string.format

local args = H.parse_args(arg)
if os.getenv("VL_BENCH_CLOCK") ~= "cpu" then H.CLOCK = "wall" end
local SINK = {}
local has_native = S.backend == "native"

-- ---- data -----------------------------------------------------------------------

local cache = {}
-- packed float32 bytes of n unit rows of dim values (seed picks the stream)
local function bytes(n, dim, seed)
  local key = sfmt("%d.%d.%d", n, dim, seed)
  if cache[key] then return cache[key] end
  local buf = ffi.new("float[?]", n * dim)
  local s = seed
  for r = 0, n - 1 do
    local ss, base = 0, r * dim
    for c = 0, dim - 1 do
      s = s * 48271 % 2147483647
      local v = s / 1073741823.5 - 1
      buf[base + c] = v
      ss = ss + v * v
    end
    local inv = 1 / math.sqrt(ss)
    for c = 0, dim - 1 do buf[base + c] = buf[base + c] * inv end
  end
  cache[key] = ffi.string(buf, n * dim * 4)
  return cache[key]
end

local mats = {}
local function mat(n, dim, seed, fallback)
  local key = sfmt("%d.%d.%d.%s", n, dim, seed, tostring(fallback))
  if not mats[key] then
    mats[key] = assert((fallback and F or S).from_bytes(bytes(n, dim, seed), dim))
  end
  return mats[key]
end

-- "Embedding-like" rows: 1000 cluster centres of N(0, 1) values, each row a centre
-- plus N(0, 1) noise per value (signal-to-noise 1), the rows of a cluster spread over
-- the matrix (row r belongs to centre r * 7919 % 1000); queries are fresh rows of the
-- same mixture. Random unit vectors have no neighbourhood structure at all (every
-- row is about equally far from a query), which no approximate index can exploit;
-- real embeddings are clustered, as these are.
local function clustered(n, dim, seed, offset)
  local key = sfmt("c%d.%d.%d.%d", n, dim, seed, offset)
  if mats[key] then return mats[key] end
  local s = 97
  local function u()
    s = s * 48271 % 2147483647
    return s / 2147483647
  end
  local function gauss()
    return math.sqrt(-2 * math.log(u())) * math.cos(2 * math.pi * u())
  end
  local nc = 1000
  local cen = ffi.new("float[?]", nc * dim)
  for i = 0, nc * dim - 1 do cen[i] = gauss() end
  s = seed
  local buf = ffi.new("float[?]", n * dim)
  for r = 0, n - 1 do
    local c = ((r + offset) * 7919) % nc * dim
    for d = 0, dim - 1 do buf[r * dim + d] = cen[c + d] + gauss() end
  end
  mats[key] = assert(S.from_bytes(ffi.string(buf, n * dim * 4), dim))
  return mats[key]
end

local HNSW_EFC = 100
-- The index is built once per bench directory and loaded by every child process
-- (each case runs in fresh processes): its build time is kept beside it.
local HNSW_FILE = (args.outdir or "/tmp") .. sfmt("/hnsw-100k-384-efc%d.idx", HNSW_EFC)
local function hnsw100k()
  if not mats.hnsw then
    mats.hnsw = S.load_hnsw(HNSW_FILE)
    if not mats.hnsw then
      local t0, c0 = os.time(), os.clock()
      mats.hnsw = assert(S.hnsw(clustered(100000, 384, 5, 0), { ef_construction = HNSW_EFC }))
      local secs = math.max(os.clock() - c0, os.time() - t0 - 1)
      if mats.hnsw:save(HNSW_FILE) then
        local f = io.open(HNSW_FILE .. ".build_s", "w")
        if f then
          f:write(sfmt("%.1f\n", secs))
          f:close()
        end
      end
    end
  end
  return mats.hnsw
end
local function hnsw_build_s()
  local f = io.open(HNSW_FILE .. ".build_s")
  local v = f and tonumber(f:read("*l"))
  if f then f:close() end
  return v or 0
end

local MB384 = 100000 * 384 * 4
local MB384_10K = 10000 * 384 * 4
local MB768 = 100000 * 768 * 4

-- ---- cases ------------------------------------------------------------------------

local suite = H.suite("similarity", arg, { samples = 3 })

if has_native then
  suite:add { name = "sum.100k", case = "read baseline: sum 100K x 384", backend = "native (bandwidth)",
    group = "1q100k", items = 1, bytes = MB384,
    fn = function(iters)
      local m = mat(100000, 384, 1)
      for _ = 1, iters do SINK[1] = m:sum() end
    end }
  for _, norm in ipairs({ false, true }) do
    local tag = norm and ".unit" or ""
    suite:add { name = "topk1.100k.native" .. tag, case = "top-10, 1 query, 100K x 384", group = "1q100k",
      backend = norm and "native, normalized rows" or "native, cosine", items = 1, bytes = MB384,
      fn = function(iters)
        local m, q = mat(100000, 384, 1), mat(1, 384, 7)
        for _ = 1, iters do SINK[1] = S.top_k(q, m, 10, { normalized = norm }) end
      end }
  end
  for _, t in ipairs({ 1, 2 }) do
    suite:add { name = "topk1.10k.native.t" .. t, case = "top-10, 1 query, 10K x 384", group = "1q10k",
      backend = sfmt("native, cosine, %d thread%s", t, t > 1 and "s" or ""), items = 1, bytes = MB384_10K,
      fn = function(iters)
        local m, q = mat(10000, 384, 2), mat(1, 384, 7)
        for _ = 1, iters do SINK[1] = S.top_k(q, m, 10, { threads = t }) end
      end }
  end
  for _, t in ipairs({ 1, 2 }) do
    suite:add { name = "topk100.100k.native.t" .. t, case = "top-10, 100 queries, 100K x 384", group = "100q",
      backend = sfmt("native, %d thread%s", t, t > 1 and "s" or ""), items = 100,
      fn = function(iters)
        local m, q = mat(100000, 384, 1), mat(100, 384, 9)
        for _ = 1, iters do SINK[1] = S.batch_top_k(q, m, 10, { threads = t }) end
      end }
  end
  suite:add { name = "topk100.10k.native", case = "top-10, 100 queries, 10K x 384", group = "100q10k",
    backend = "native, 2 threads", items = 100,
    fn = function(iters)
      local m, q = mat(10000, 384, 2), mat(100, 384, 9)
      for _ = 1, iters do SINK[1] = S.batch_top_k(q, m, 10) end
    end }
  for _, kind in ipairs({ "f16", "int8" }) do
    suite:add { name = "qtopk1.100k." .. kind, case = "top-10, 1 query, 100K x 384", group = "1q100k",
      backend = "native, " .. kind .. " rows", items = 1, bytes = 100000 * 384 * (kind == "f16" and 2 or 1),
      fn = function(iters)
        local key = "q" .. kind
        mats[key] = mats[key] or assert(S.quantize(mat(100000, 384, 1), kind))
        local q = mat(1, 384, 7)
        for _ = 1, iters do SINK[1] = S.top_k(q, mats[key], 10) end
      end }
  end
  suite:add { name = "topk1.100k.clustered", case = "top-10, 1 query, 100K x 384 clustered", group = "ann",
    backend = "native, exact", items = 1,
    fn = function(iters)
      local m, q = clustered(100000, 384, 5, 0), clustered(1, 384, 8, 17)
      for _ = 1, iters do SINK[1] = S.top_k(q, m, 10) end
    end }
  for _, ef in ipairs({ 32, 64 }) do
    suite:add { name = "hnsw.100k.ef" .. ef, case = "top-10, 1 query, 100K x 384 clustered", group = "ann",
      backend = sfmt("native, HNSW M=16 ef=%d", ef), items = 100,
      fn = function(iters)
        local h, q = hnsw100k(), clustered(100, 384, 9, 31)
        for _ = 1, iters do SINK[1] = h:batch_query(q, 10, { ef = ef, threads = 1 }) end
      end }
  end
  suite:add { name = "normalize.100k768.native", case = "normalise 100K x 768 in place", backend = "native",
    group = "norm", items = 1, bytes = MB768,
    fn = function(iters)
      local m = mat(100000, 768, 3)
      for _ = 1, iters do SINK[1] = m:normalize() end
    end }
end

-- native vs fallback on the same small data; dot and cosine of the native backend through
-- the public API (victor.similarity: its FFI path for two 1-row matrices), the rest
-- through the kernel module; the fallback through its module (no public-API wrapper)
local FB = {
  { "dot", "dot, 384-d pair (x100)", 100, function(L, a, b) for _ = 1, 100 do SINK[1] = L.dot(a, b) end end,
    public = true },
  { "cosine", "cosine, 384-d pair (x100)", 100,
    function(L, a, b) for _ = 1, 100 do SINK[1] = L.cosine(a, b) end end, public = true },
  { "topk", "top-10, 1 query, 10K x 384", 1, function(L, a, _, m) SINK[1] = L.top_k(a, m, 10, -math.huge) end },
  { "normalize", "normalise 10K x 384", 1, function(_, _, _, m) SINK[1] = m:normalize() end },
}
for _, backend in ipairs(has_native and { "native", "fallback" } or { "fallback" }) do
  for _, op in ipairs(FB) do
    local L = backend == "fallback" and F or op.public and S or require "victor.core.similarity"
    suite:add { name = sfmt("%s.%s", op[1], backend), case = op[2],
      backend = backend == "native" and op.public and "native (public API)" or backend, group = op[1],
      items = op[3],
      fn = function(iters)
        local fb = backend == "fallback"
        local a, b, m = mat(1, 384, 11, fb), mat(1, 384, 12, fb), mat(10000, 384, 2, fb)
        for _ = 1, iters do op[4](L, a, b, m) end
      end }
  end
end

if has_native then -- the FFI fast path on row pointers (what LuaJIT code in a loop would use)
  local K = S.ffi_kernels()
  for _, op in ipairs({ { "dot", "dot, 384-d pair (x100)" }, { "cosine", "cosine, 384-d pair (x100)" } }) do
    suite:add { name = op[1] .. ".native.ffi", case = op[2], backend = "native, FFI pointers", group = op[1],
      items = 100,
      fn = function(iters)
        local a, b = mat(1, 384, 11), mat(1, 384, 12)
        local pa, pb = ffi.cast("const float *", a:ptr()), ffi.cast("const float *", b:ptr())
        local f, s = K[op[1]], a:stride()
        for _ = 1, iters do
          for _ = 1, 100 do SINK[1] = f(pa, pb, s) end
        end
      end }
  end
end

local results = suite:run()
suite.sink = SINK
if args.child or args.list or args.callgrind then return end

-- ---- same-run comparisons, peers and checks -----------------------------------------

local checks, notes = {}, {}
local ratios, ratio = H.ratio_table(results)
-- the share of the exact top-k indices that got found, over every query
local function recall(exact, got)
  local hit, all = 0, 0
  for i = 1, #exact do
    local want = {}
    for _, ix in ipairs(exact[i].indices) do want[ix] = true end
    for _, ix in ipairs(got[i].indices) do if want[ix] then hit = hit + 1 end end
    all = all + #exact[i].indices
  end
  return hit / all
end
local function ms(name)
  local r = H.find(results, name)
  return r and r.items_per_s and 1000 / r.items_per_s
end

-- numpy + OpenBLAS in a subprocess: X @ q and argpartition, like anchors.md §2
local function numpy()
  local py = "/usr/bin/python3"
  local ok = os.execute(py .. " -c 'import numpy' >/dev/null 2>&1")
  if not (ok == true or ok == 0) then
    return nil, "numpy is not installed (/usr/bin/python3 -c 'import numpy' fails)"
  end
  local script = os.tmpname()
  local f = assert(io.open(script, "wb"))
  f:write([[
import time, numpy as np
rng = np.random.default_rng(1)
def unit(n, d):
    x = rng.standard_normal((n, d), dtype=np.float32); return x / np.linalg.norm(x, axis=1, keepdims=True)
X = unit(100000, 384); Q = unit(100, 384)
def top(s, k=10):
    i = np.argpartition(-s, k, axis=-1)[..., :k]; return i
def best(f, reps):
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    ts.sort(); return ts[len(ts) // 2]
t1 = best(lambda: top(X @ Q[0]), 9)
t100 = best(lambda: top(Q @ X.T), 5) / 100
print(t1 * 1000, t100 * 1000, np.__version__)
]])
  f:close()
  local p = io.popen(py .. " " .. script .. " 2>&1")
  local out = p:read("*a")
  p:close()
  os.remove(script)
  local a, b, v = out:match("^(%S+) (%S+) (%S+)")
  if not a then return nil, "numpy run failed: " .. out:sub(1, 200) end
  return tonumber(a), tonumber(b), v
end

if has_native then
  local sum, one, unit1 = ms("sum.100k"), ms("topk1.100k.native"), ms("topk1.100k.native.unit")
  local ten, ten2 = ms("topk1.10k.native.t1"), ms("topk1.10k.native.t2")
  local b1, b2 = ms("topk100.100k.native.t1"), ms("topk100.100k.native.t2")
  local nrm = ms("normalize.100k768.native")
  if sum and one then
    local bw = MB384 / (sum / 1000) / 1e9
    notes[#notes + 1] = sfmt("Read bandwidth (sum of the 100K x 384 matrix, SIMD %s): %.2f ms = %.1f GB/s", S.simd(),
      sum, bw)
    checks[#checks + 1] = { label = "1 query over 100K x 384 (cosine) >= 90% of the measured read bandwidth",
      pass = sum / one >= 0.9, detail = sfmt("%.2f ms = %.1f GB/s, %.0f%% of %.1f GB/s (normalized rows: %.2f ms, "
        .. "%.0f%%)", one, MB384 / (one / 1000) / 1e9, 100 * sum / one, bw, unit1 or 0, 100 * sum / (unit1 or 1e9)) }
  end
  if ten then
    checks[#checks + 1] = { label = "1 query over 10K x 384 <= 0.4 ms", pass = ten <= 0.4 or (ten2 or 1) <= 0.4,
      detail = sfmt("%.3f ms on 1 thread (the default), %.3f ms on 2", ten, ten2 or 0) }
  end
  if b2 then
    checks[#checks + 1] = { label = "100 queries over 100K x 384 <= 1.5 ms per query", pass = b2 <= 1.5,
      detail = sfmt("%.2f ms/query with 2 threads, %.2f with 1 (%.0f GFLOP/s with 2)", b2, b1 or 0,
        2 * 100000 * 384 / (b2 / 1000) / 1e9) }
  end
  if nrm then
    checks[#checks + 1] = { label = "normalise 100K x 768 >= 5 GB/s", pass = MB768 / (nrm / 1000) / 1e9 >= 5,
      detail = sfmt("%.1f ms = %.1f GB/s (matrix bytes / time; each byte read and written once)", nrm,
        MB768 / (nrm / 1000) / 1e9) }
  end
  ratio("1 query 100K: native / read baseline (bandwidth share)", "topk1.100k.native", "sum.100k")
  ratio("1 query 100K: f16 / float32 rows", "qtopk1.100k.f16", "topk1.100k.native")
  ratio("1 query 100K: int8 / float32 rows", "qtopk1.100k.int8", "topk1.100k.native")
  if args.outdir then -- recall@10 of the quantised matrices against float32, 100 queries
    local m, q = mat(100000, 384, 1), mat(100, 384, 9)
    local exact = S.batch_top_k(q, m, 10)
    for _, kind in ipairs({ "f16", "int8" }) do
      local got = S.batch_top_k(q, assert(S.quantize(m, kind)), 10)
      notes[#notes + 1] = sfmt("recall@10 of %s rows against float32 (100 queries, 100K x 384 random unit "
        .. "vectors): %.3f", kind, recall(exact, got))
    end
  end
  ratio("100 queries: 2 threads / 1 thread", "topk100.100k.native.t2", "topk100.100k.native.t1")
  for _, ef in ipairs({ 32, 64 }) do
    local v = ratio(sfmt("1 query 100K clustered: HNSW ef=%d / exact", ef), "hnsw.100k.ef" .. ef,
      "topk1.100k.clustered")
    if v and args.outdir then -- recall@10 against exact search, the bench's 100 queries
      local m, q = clustered(100000, 384, 5, 0), clustered(100, 384, 9, 31)
      local hit = recall(S.batch_top_k(q, m, 10), hnsw100k():batch_query(q, 10, { ef = ef })) * 1000
      checks[#checks + 1] = { label = sfmt("HNSW ef=%d on 100K x 384: >= 20x exact at recall@10 >= 0.95", ef),
        pass = v >= 20 and hit / 1000 >= 0.95,
        detail = sfmt("%.1fx faster, recall@10 %.3f (build %.0f s, M=16, ef_construction=%d, %.0f MB)", v,
          hit / 1000, hnsw_build_s(), HNSW_EFC, hnsw100k():info().memory / 1e6) }
    end
  end

  for _, op in ipairs({ "dot", "cosine" }) do
    local v = ratio(op .. ", 384-d pair: native FFI fast path / fallback", op .. ".native.ffi", op .. ".fallback")
    if v then
      checks[#checks + 1] = { label = op .. " through the FFI fast path: native >= 20x fallback", pass = v >= 20,
        detail = sfmt("%.1fx", v) }
    end
  end
  for _, op in ipairs(FB) do
    local v = ratio(op[2] .. ": native / fallback", op[1] .. ".native", op[1] .. ".fallback")
    if v then
      checks[#checks + 1] = { label = op[2] .. ": native >= 20x fallback", pass = v >= 20, detail = sfmt("%.1fx", v) }
    end
  end
  if args.outdir then
    local n1, n100, ver = numpy()
    if n1 then
      notes[#notes + 1] = sfmt("numpy %s (OpenBLAS), same shapes, random data: 1 query %.2f ms, 100 queries %.2f "
        .. "ms/query", ver, n1, n100)
      checks[#checks + 1] = { label = "100 queries faster than numpy", pass = b2 and b2 < n100,
        detail = sfmt("%.2f vs %.2f ms/query", b2 or 0, n100) }
    else
      notes[#notes + 1] = n100 .. "; anchors.md §2 measured numpy 1.24 + OpenBLAS on this machine class: "
        .. "19.0 ms for 1 query and 3.97 ms/query for 100 queries over 100K x 384"
    end
  end
  notes[#notes + 1] = sfmt("SIMD backend %s (supported: %s); OpenMP threads %d.", S.simd(),
    table.concat(S.simd_supported(), ", "), S.max_threads())
end
notes[#notes + 1] = "Victor's Rust (anchors/issue 7, same machine class): 30 ms for 1 query over 100K x 384 "
  .. "(EmbeddingIndex 20 ms), 19 ms per query in a batch of 100."
suite:finish { ratios = ratios, checks = checks, notes = notes }
