--- victor.similarity: float32 embedding matrices and exact cosine similarity:
--- dot, cosine, batch scoring, similarity matrices, normalisation, top-k with a
--- threshold, batched top-k, .npy files, and an EmbeddingIndex keyed by string id.
--
-- Semantics are in the design note of core/similarity.h. In short:
-- * A Matrix holds rows x dim float32 values (64-byte aligned rows, zero-padded to
--   a stride that is a multiple of 16 values). Build one from a Lua table (a list
--   of rows, or one flat row), a string of packed float32 (from_bytes) or an .npy
--   file; m:slice(i, j) (rows i..j) and m:slice(i) are zero-copy views; m:ptr() is the raw
--   float pointer for LuaJIT's ffi (row r at ptr + (r-1) * m:stride()).
-- * Queries and vectors may be Lua tables or 1-row matrices; a table is
--   converted on each call, so convert once for repeated use.
-- * Scores are cosine similarities (with opts.normalized = true the matrix rows
--   are taken as unit length: the fastest path). Top-k results are best first,
--   ties by row index ascending; min_score keeps scores >= it.
-- * Errors: misuse raises `bad argument #n to 'f' (...)`; bad data returns
--   nil, msg, code: EDIM (dimension mismatch), EZERO (a zero vector, where a
--   cosine is undefined: never 0 or NaN), EINVAL (a non-finite value), and for
--   files EIO, EPARSE, ETYPE (wrong dtype or shape), ELIMIT, EVERSION.
-- * Backends: the C kernel (SIMD: avx2 or sse2, chosen at start; VICTOR_SIMD=
--   avx2|sse2|scalar or set_simd() override it) or the pure-Lua fallback
--   (VICTOR_NO_NATIVE=1). Tolerance against the scalar reference: 1e-5.
local native = require "victor.native"
local args = require "victor.args"

local nat = native.load("similarity")
local impl = nat or require "victor.fallback.similarity"

local M = {}

local type, sfmt, floor, tostring = type, string.format, math.floor, tostring
local setmetatable, os_getenv, io_open, tconcat = setmetatable, os.getenv, io.open, table.concat
local argerror, check_opts, is_count = args.argerror, args.check_opts, args.is_count

M.backend = nat and "native" or "fallback"
M.DEFAULT_K = 10
M.INDEX_VERSION = 1

local function typename(v)
  return v == nil and "nil" or type(v)
end

-- ---- backends ----------------------------------------------------------------------

local SIMD_NAMES = { auto = true, avx2 = true, sse2 = true, scalar = true, lua = true }

--- The SIMD backend in use: "avx2", "sse2", "scalar" (native) or "lua" (fallback).
---@return string
function M.simd()
  return impl.backend()
end

--- The SIMD backends this CPU and build can run.
---@return string[]
function M.simd_supported()
  return impl.supported()
end

--- Select the SIMD backend for every later call ("auto" for the best one).
---@param name string
---@return true|nil ok
---@return string? msg
---@return string? code
function M.set_simd(name)
  if type(name) ~= "string" or not SIMD_NAMES[name] then
    argerror(1, "set_simd", "one of auto, avx2, sse2, scalar expected, got " .. tostring(name))
  end
  if name == "lua" and nat then return nil, "the native backend has no lua SIMD backend", "EINVAL" end
  return impl.set_backend(name)
end

do
  local want = os_getenv("VICTOR_SIMD")
  if want and want ~= "" and SIMD_NAMES[want] and nat then impl.set_backend(want) end
end

--- OpenMP threads a batched call uses by default (1 in the fallback).
---@return integer
function M.max_threads()
  return impl.max_threads()
end

-- ---- matrices -------------------------------------------------------------------------

--- true when x is a Matrix of the current backend.
function M.is_matrix(x)
  return impl.is_matrix(x)
end

--- A Matrix from a list of rows ({ {..}, {..} }) or one flat row ({1, 2, 3}).
--- dim is checked when given (and needed for an empty list).
---@param t table
---@param dim integer|nil
---@return userdata|table|nil matrix
---@return string? msg
---@return string? code
function M.matrix(t, dim)
  if type(t) ~= "table" then argerror(1, "matrix", "table expected, got " .. typename(t)) end
  if dim ~= nil and (not is_count(dim) or dim < 1) then
    argerror(2, "matrix", "dimension must be a positive integer")
  end
  return impl.from_table(t, dim)
end

--- A rows x dim matrix of zeros.
function M.zeros(rows, dim)
  if not is_count(rows) then argerror(1, "zeros", "row count must be a non-negative integer") end
  if not is_count(dim) or dim < 1 then argerror(2, "zeros", "dimension must be a positive integer") end
  return impl.zeros(rows, dim)
end

--- A matrix from a string of packed native-endian float32 rows of dim values.
function M.from_bytes(s, dim)
  if type(s) ~= "string" then argerror(1, "from_bytes", "string expected, got " .. typename(s)) end
  if not is_count(dim) or dim < 1 then argerror(2, "from_bytes", "dimension must be a positive integer") end
  return impl.from_bytes(s, dim)
end

--- Read a 2-D (rows, dim) or 1-D (dim) little-endian float32 C-order .npy file.
--- opts.max_bytes caps the matrix size (ELIMIT).
function M.load_npy(path, opts)
  if type(path) ~= "string" then argerror(1, "load_npy", "string expected, got " .. typename(path)) end
  opts = check_opts(opts, { max_bytes = "count" }, 2, "load_npy")
  return impl.load_npy(path, opts.max_bytes or 0)
end

--- Write m as a 2-D float32 .npy file.
function M.save_npy(m, path)
  if not impl.is_matrix(m) then argerror(1, "save_npy", "Matrix expected, got " .. typename(m)) end
  if type(path) ~= "string" then argerror(2, "save_npy", "string expected, got " .. typename(path)) end
  return m:save_npy(path)
end

-- A matrix argument: a Matrix as is, a table converted (nil, msg, code on bad data).
local function as_matrix(x, i, fname)
  if impl.is_matrix(x) then return x end
  if type(x) == "table" then return impl.from_table(x) end
  argerror(i, fname, "Matrix or table expected, got " .. typename(x))
end

local function as_vector(x, i, fname)
  local m, msg, code = as_matrix(x, i, fname)
  if m and m:shape() ~= 1 then argerror(i, fname, "a vector (table or 1-row Matrix) expected") end
  return m, msg, code
end

-- Both operands of fname converted (a by conv_a, b to a matrix, or b by conv_b):
-- x, y, or nil, nil, msg, code on bad data.
local function operands(a, b, fname, conv_a, conv_b)
  local x, msg, code = conv_a(a, 1, fname)
  if not x then return nil, nil, msg, code end
  local y
  y, msg, code = (conv_b or as_matrix)(b, 2, fname)
  if not y then return nil, nil, msg, code end
  return x, y
end

-- dot and cosine of two 1-row matrices of one dimension without a classic C call
-- (LuaJIT FFI, native backend; set below, nil otherwise): the number, or nil for the
-- general path (any other operands, a closed matrix, a zero vector, errors).
local fast_dot, fast_cosine

--- Dot product of two vectors (tables or 1-row matrices).
---@return number|nil dot
---@return string? msg
---@return string? code
function M.dot(a, b)
  if fast_dot then
    local r = fast_dot(a, b)
    if r then return r end
  end
  local x, y, msg, code = operands(a, b, "dot", as_vector, as_vector)
  if not x then return nil, msg, code end
  return impl.dot(x, y)
end

--- Cosine similarity of two vectors; EZERO when either is a zero vector.
---@return number|nil cosine
---@return string? msg
---@return string? code
function M.cosine(a, b)
  if fast_cosine then
    local r = fast_cosine(a, b)
    if r then return r end
  end
  local x, y, msg, code = operands(a, b, "cosine", as_vector, as_vector)
  if not x then return nil, msg, code end
  return impl.cosine(x, y)
end

local SCORE_OPTS = { normalized = "boolean", threads = "count", min_score = "number", reference = "boolean" }

--- Cosine of a query with every row of m: a Lua array (1..rows).
--- opts.normalized: the rows are unit length already.
function M.batch_cosine(query, m, opts)
  opts = check_opts(opts, SCORE_OPTS, 3, "batch_cosine")
  local q, mm, msg, code = operands(query, m, "batch_cosine", as_vector)
  if not q then return nil, msg, code end
  return impl.batch_cosine(q, mm, opts.normalized)
end

--- The cosine of every row of a with every row of b: a Matrix of a-rows x b-rows
--- (a blocked multi-row kernel; OpenMP threads = opts.threads or the default).
function M.similarity_matrix(a, b, opts)
  opts = check_opts(opts, SCORE_OPTS, 3, "similarity_matrix")
  local x, y, msg, code = operands(a, b, "similarity_matrix", as_matrix)
  if not x then return nil, msg, code end
  if y:shape() == 0 then return nil, "the matrix has no rows", "EDIM" end
  return impl.scores(x, y, opts.normalized, opts.threads or 0)
end

--- Scale every row of m to unit length in place (a table is converted and the
--- new Matrix returned). Zero rows stay zero and give nil, msg, EZERO after the
--- other rows were normalised.
function M.normalize(m)
  local x, msg, code = as_matrix(m, 1, "normalize")
  if not x then return nil, msg, code end
  local nz, first = x:normalize()
  if nz > 0 then
    return nil, sfmt("row %d is a zero vector (%d zero row%s left as zero)", first, nz, nz == 1 and "" or "s"), "EZERO"
  end
  return x
end

local function check_k(k, fname)
  if k == nil then return M.DEFAULT_K end
  if not is_count(k) then argerror(3, fname, "k must be a non-negative integer") end
  return k
end

-- top-k of queries (converted by conv) over m: the per-query {indices, scores}
-- list of the backend, or nil, msg, code
local function top(queries, m, k, opts, fname, conv)
  k = check_k(k, fname)
  opts = check_opts(opts, SCORE_OPTS, 4, fname)
  if impl.is_qmatrix(m) then
    local q, msg, code = conv(queries, 1, fname)
    if not q then return nil, msg, code end
    return impl.qtop_k(q, m, k, opts.min_score)
  end
  local q, mm, msg, code = operands(queries, m, fname, conv)
  if not q then return nil, msg, code end
  return impl.top_k(q, mm, k, opts.min_score, opts.normalized, opts.threads or 0, opts.reference)
end

--- The k rows of m most similar to query, best first (ties by index ascending):
--- indices (1-based) and scores. opts: min_score (keep scores >= it), normalized
--- (rows are unit length), threads.
---@return integer[]|nil indices
---@return number[]|string scores_or_msg
---@return string? code
function M.top_k(query, m, k, opts)
  local r, msg, code = top(query, m, k, opts, "top_k", as_vector)
  if not r then return nil, msg, code end
  return r[1][1], r[1][2]
end

--- top_k for every row of queries (a Matrix or a list of rows), scored as one
--- blocked pass over m: a list of { indices, scores } per query.
function M.batch_top_k(queries, m, k, opts)
  local r, msg, code = top(queries, m, k, opts, "batch_top_k", as_matrix)
  if not r then return nil, msg, code end
  for i = 1, #r do r[i] = { indices = r[i][1], scores = r[i][2] } end
  return r
end

-- ---- FFI fast paths ------------------------------------------------------------------------

local ffi_ok, ffi = pcall(require, "ffi")
local fast

-- M.dot and M.cosine on two 1-row matrices: the Matrix userdata's payload read in place
-- through the FFI (the layout of `matud` in core/lua_similarity.c: the storage pointer,
-- NULL once closed, then the vl_sim_matrix view), then the kernel called through its
-- address. Each call reads the pointer from the userdata it was given (which keeps the
-- storage alive), so nothing is cached that a close or a GC could invalidate. About
-- 15 ns a call instead of ~70 for the classic C call that LuaJIT cannot compile.
if nat and ffi_ok then
  local sample = impl.from_table({ { 1 } })
  local MAT_MT = getmetatable(sample)
  local MATP = ffi.typeof("struct { void *st; struct { const float *data; int64_t rows; int32_t dim; "
    .. "int32_t stride; } v; } *")
  local p = impl.fn_ptrs()
  local cdot = ffi.cast("float (*)(const float *, const float *, int32_t)", p.dot)
  local ccos = ffi.cast("int (*)(const float *, const float *, int32_t, float *)", p.cosine)
  local out = ffi.new("float[1]")
  local cast, getmt = ffi.cast, getmetatable
  local function vectors(a, b)
    if getmt(a) ~= MAT_MT or getmt(b) ~= MAT_MT then return nil end
    local x, y = cast(MATP, a), cast(MATP, b)
    if x.st == nil or y.st == nil then return nil end
    x, y = x.v, y.v
    if x.rows ~= 1 or y.rows ~= 1 or x.dim ~= y.dim then return nil end
    return x, y
  end
  fast_dot = function(a, b)
    local x, y = vectors(a, b)
    if x then return (cdot(x.data, y.data, x.stride)) end
  end
  fast_cosine = function(a, b)
    local x, y = vectors(a, b)
    if x and ccos(x.data, y.data, x.stride, out) == 0 then return out[0] end
  end
  sample:close()
end

--- The dot and cosine kernels as LuaJIT FFI functions on raw row pointers (native
--- backend only; nil otherwise): dot(pa, pb, stride) -> number and cosine(pa, pb,
--- stride) -> number | nil, msg, "EZERO", where pa and pb point at rows of matrices
--- of one dimension (`ffi.cast("const float *", m:ptr()) + (r - 1) * m:stride()`)
--- and stride is m:stride(). No checks: a classic Lua call costs ~100 ns, these
--- about 10 ns plus the kernel.
---@return table|nil kernels {dot=, cosine=}
function M.ffi_kernels()
  if not (nat and ffi_ok) then return nil end
  if not fast then
    local p = impl.fn_ptrs()
    local cdot = ffi.cast("float (*)(const float *, const float *, int32_t)", p.dot)
    local ccos = ffi.cast("int (*)(const float *, const float *, int32_t, float *)", p.cosine)
    local out = ffi.new("float[1]")
    fast = {
      dot = function(a, b, stride) return cdot(a, b, stride) end,
      cosine = function(a, b, stride)
        if ccos(a, b, stride, out) ~= 0 then return nil, "a vector is zero", "EZERO" end
        return out[0]
      end,
    }
  end
  return fast
end

-- ---- quantised storage ---------------------------------------------------------------

--- A quantised copy of m for cosine top-k (native backend only): "f16" (IEEE half,
--- 2 bytes a value) or "int8" (per-row symmetric scale, 1 byte a value). top_k and
--- batch_top_k accept it in place of a Matrix (scores are cosines with the
--- dequantised rows; opts.normalized and opts.threads do not apply). Methods:
--- shape(), kind(), bytes(), close(). The fallback returns nil, msg, "ENOTSUP".
function M.quantize(m, kind)
  if not impl.is_matrix(m) then argerror(1, "quantize", "Matrix expected, got " .. typename(m)) end
  if kind ~= "f16" and kind ~= "int8" then argerror(2, "quantize", "'f16' or 'int8' expected") end
  return impl.quantize(m, kind)
end

--- true when x is a quantised matrix (from quantize).
function M.is_qmatrix(x)
  return impl.is_qmatrix(x)
end

-- ---- approximate search: HNSW ---------------------------------------------------------

M.DEFAULT_HNSW_M = 16
M.DEFAULT_EF_CONSTRUCTION = 200
M.DEFAULT_EF = 64

local HNSW_OPTS = { m = "count", ef_construction = "count", seed = "count" }
local QUERY_OPTS = { ef = "count", min_score = "number", threads = "count" }

---@class victor.similarity.HNSW
local HNSW = {}
HNSW.__index = HNSW
M.HNSW = HNSW

local function no_ann()
  return nil, "approximate search needs the native backend", "ENOTSUP"
end

--- An HNSW index over the rows of m (a Matrix or a table of rows) for approximate
--- top-k by cosine (core/hnsw.h has the design). opts: m (links per node, 2..256,
--- default 16), ef_construction (build beam width, default 200), seed (level draws,
--- default 0). The index keeps its own normalised copy of the rows; row i of m is
--- node i. nil, msg, code for a zero row ("EZERO"); "ENOTSUP" in the fallback.
---@return victor.similarity.HNSW|nil
---@return string? msg
---@return string? code
function M.hnsw(m, opts)
  opts = check_opts(opts, HNSW_OPTS, 2, "hnsw")
  if opts.m and (opts.m < 2 or opts.m > 256) then argerror(2, "hnsw", "m must be from 2 to 256") end
  local efc = opts.ef_construction
  if efc and (efc < 1 or efc > 65536) then argerror(2, "hnsw", "ef_construction must be from 1 to 65536") end
  if not impl.hnsw_build then
    if not (impl.is_matrix(m) or type(m) == "table") then
      argerror(1, "hnsw", "Matrix or table expected, got " .. typename(m))
    end
    return no_ann()
  end
  local x, msg, code = as_matrix(m, 1, "hnsw")
  if not x then return nil, msg, code end
  local h
  h, msg, code = impl.hnsw_build(x, opts.m or M.DEFAULT_HNSW_M, efc or M.DEFAULT_EF_CONSTRUCTION, opts.seed or 0)
  if not h then return nil, msg, code end
  return setmetatable({ _h = h }, HNSW)
end

--- An index saved by HNSW:save; nil, msg, code ("EIO", or "EPARSE" for a file that
--- is not a valid index: bad magic, version, byte order, sizes, links or checksum).
---@param path string
---@return victor.similarity.HNSW|nil
---@return string? msg
---@return string? code
function M.load_hnsw(path)
  if type(path) ~= "string" then argerror(1, "load_hnsw", "string expected, got " .. typename(path)) end
  if not impl.hnsw_load then return no_ann() end
  local h, msg, code = impl.hnsw_load(path)
  if not h then return nil, msg, code end
  return setmetatable({ _h = h }, HNSW)
end

local function check_hnsw(self, fname)
  if getmetatable(self) ~= HNSW then argerror(1, fname, "HNSW expected, got " .. typename(self)) end
  return self._h
end

local function search(self, queries, k, opts, fname, conv)
  local h = check_hnsw(self, fname)
  k = check_k(k, fname)
  opts = check_opts(opts, QUERY_OPTS, 4, fname)
  if opts.ef and (opts.ef < 1 or opts.ef > 65536) then argerror(4, fname, "ef must be from 1 to 65536") end
  local q, msg, code = conv(queries, 2, fname)
  if not q then return nil, msg, code end
  return h:search(q, k, opts.ef or M.DEFAULT_EF, opts.min_score, opts.threads or 0)
end

--- The approximate k best rows for query (a table or a 1-row Matrix): indices
--- (1-based) and scores, best first (ties by index). opts: ef (beam width, raised to
--- k; default 64: higher is slower and more exact), min_score, threads.
---@return integer[]|nil indices
---@return number[]|string scores_or_msg
---@return string? code
function HNSW:query(query, k, opts)
  local r, msg, code = search(self, query, k, opts, "query", as_vector)
  if not r then return nil, msg, code end
  return r[1][1], r[1][2]
end

--- query for every row of queries, in parallel (opts.threads): a list of
--- { indices, scores }; the result does not depend on the thread count.
function HNSW:batch_query(queries, k, opts)
  local r, msg, code = search(self, queries, k, opts, "batch_query", as_matrix)
  if not r then return nil, msg, code end
  for i = 1, #r do r[i] = { indices = r[i][1], scores = r[i][2] } end
  return r
end

--- { size, dim, m, m0, ef_construction, max_level, memory (bytes) }.
function HNSW:info()
  local n, dim, m, m0, efc, maxl, mem = check_hnsw(self, "info"):info()
  return { size = n, dim = dim, m = m, m0 = m0, ef_construction = efc, max_level = maxl, memory = mem }
end

--- Write the index to path (a versioned, checksummed file; see core/hnsw.h):
--- true or nil, msg, "EIO".
function HNSW:save(path)
  local h = check_hnsw(self, "save")
  if type(path) ~= "string" then argerror(2, "save", "string expected, got " .. typename(path)) end
  return h:save(path)
end

--- Free the index now (idempotent; later calls raise "HNSW is closed").
function HNSW:close()
  check_hnsw(self, "close"):close()
end

-- ---- model-free embeddings ---------------------------------------------------------

M.HASH_DIM = 512

--- Embed texts with a hashing vectoriser (no model): signed feature hashing of
--- lowercased words, adjacent word pairs and character n-grams of " word " into
--- dim buckets, each row L2-normalised (core/similarity.h, vl_sim_hash_embed).
--- texts: a string (one row) or a list of strings. opts: dim (512), word_ngrams
--- (2: words and pairs; 1: words), char_min and char_max (3 and 5; 0 and 0 for
--- none). A text with no words gives a zero row (its cosine is EZERO).
---@param texts string|string[]
---@param opts? table
---@return userdata|table matrix
function M.hash_embed(texts, opts)
  local fname = "hash_embed"
  if type(texts) == "string" then texts = { texts } end
  if type(texts) ~= "table" then argerror(1, fname, "string or table expected, got " .. typename(texts)) end
  for i = 1, #texts do
    if type(texts[i]) ~= "string" then argerror(1, fname, "text " .. i .. " is not a string") end
  end
  opts = check_opts(opts, { dim = "count", word_ngrams = "count", char_min = "count", char_max = "count" }, 2, fname)
  local dim = opts.dim or M.HASH_DIM
  if dim < 1 or dim > 16777216 then argerror(2, fname, "dim must be 1..16777216") end
  local cmin, cmax = opts.char_min or 3, opts.char_max
  if cmax == nil then cmax = opts.char_min == 0 and 0 or 5 end
  if cmax < cmin or cmax > 64 or (cmin == 0 and cmax ~= 0) then argerror(2, fname, "bad character n-gram range") end
  return impl.hash_embed(texts, dim, opts.word_ngrams or 2, cmin, cmax)
end

-- ---- EmbeddingIndex ------------------------------------------------------------------

--- An index of unit vectors keyed by string id: add, update, remove, query top-k
--- with a threshold, save and load. Rows are stored L2-normalised in one Matrix
--- (grown by doubling); removing an id moves the last row into its place, so
--- ties between equal scores follow the current row order.
local Index = {}
Index.__index = Index
M.EmbeddingIndex = Index

--- A new empty index of dimension dim.
---@param dim integer
function M.index(dim)
  if not is_count(dim) or dim < 1 or dim > 16777216 then argerror(1, "index", "dimension must be 1..16777216") end
  return setmetatable({ _dim = dim, _m = impl.zeros(0, dim), _n = 0, _ids = {}, _pos = {} }, Index)
end
Index.new = M.index

local function check_index(ix, fname)
  if getmetatable(ix) ~= Index then argerror(1, fname, "EmbeddingIndex expected, got " .. typename(ix)) end
end

local function check_id(id, fname)
  if type(id) ~= "string" or id == "" then argerror(2, fname, "id must be a non-empty string") end
end

-- the unit-length copy of a vector argument, or nil, msg, code
local function unit(ix, vec, fname)
  local v, msg, code = as_vector(vec, 3, fname)
  if not v then return nil, msg, code end
  local _, dim = v:shape()
  if dim ~= ix._dim then
    return nil, sfmt("dimension mismatch: vector has %d, index has %d", dim, ix._dim), "EDIM"
  end
  v = v:copy()
  if v:normalize() > 0 then return nil, "the vector is zero", "EZERO" end
  return v
end

--- The number of vectors.
function Index:len()
  check_index(self, "len")
  return self._n
end

function Index:dim()
  check_index(self, "dim")
  return self._dim
end

--- Whether id is in the index.
function Index:has(id)
  check_index(self, "has")
  return self._pos[id] ~= nil
end

--- The ids in row order.
function Index:ids()
  check_index(self, "ids")
  local t = {}
  for i = 1, self._n do t[i] = self._ids[i] end
  return t
end

--- Add a vector under a new id (EEXIST when the id is present: use update or put).
---@return true|nil ok
---@return string? msg
---@return string? code
function Index:add(id, vec)
  check_index(self, "add")
  check_id(id, "add")
  if self._pos[id] then return nil, sfmt("id '%s' is already in the index", id), "EEXIST" end
  local v, msg, code = unit(self, vec, "add")
  if not v then return nil, msg, code end
  local n = self._n + 1
  local cap = self._m:shape()
  if n > cap then self._m:resize(cap < 8 and 8 or cap * 2) end
  self._m:set_row(n, v)
  self._n, self._ids[n], self._pos[id] = n, id, n
  return true
end

--- Replace the vector of an existing id (ENOENT when absent).
function Index:update(id, vec)
  check_index(self, "update")
  check_id(id, "update")
  local p = self._pos[id]
  if not p then return nil, sfmt("id '%s' is not in the index", id), "ENOENT" end
  local v, msg, code = unit(self, vec, "update")
  if not v then return nil, msg, code end
  self._m:set_row(p, v)
  return true
end

--- Add or replace.
function Index:put(id, vec)
  check_index(self, "put")
  check_id(id, "put")
  if self._pos[id] then return self:update(id, vec) end
  return self:add(id, vec)
end

--- Remove an id; false when it was absent.
---@return boolean removed
function Index:remove(id)
  check_index(self, "remove")
  check_id(id, "remove")
  local p = self._pos[id]
  if not p then return false end
  local n = self._n
  if p ~= n then
    local last = self._ids[n]
    self._m:set_row(p, self._m:slice(n))
    self._ids[p], self._pos[last] = last, p
  end
  self._ids[n], self._pos[id], self._n = nil, nil, n - 1
  return true
end

--- The stored (unit-length) vector of id as a 1-row Matrix copy, or nil.
function Index:get(id)
  check_index(self, "get")
  local p = self._pos[id]
  return p and self._m:slice(p):copy() or nil
end

--- The k ids most similar to vec (best first) with score >= opts.min_score
--- (default 0, Victor's threshold): ids and scores arrays.
function Index:query(vec, k, opts)
  check_index(self, "query")
  k = check_k(k, "query")
  opts = check_opts(opts, { min_score = "number", threads = "count" }, 4, "query")
  local q, msg, code = as_vector(vec, 2, "query")
  if not q then return nil, msg, code end
  local _, dim = q:shape()
  if dim ~= self._dim then
    return nil, sfmt("dimension mismatch: query has %d, index has %d", dim, self._dim), "EDIM"
  end
  local r
  r, msg, code = impl.top_k(q, self._m:slice(1, self._n), k, opts.min_score or 0, true, opts.threads or 0)
  if not r then return nil, msg, code end
  local idx, ids = r[1][1], {}
  for i = 1, #idx do ids[i] = self._ids[idx[i]] end
  return ids, r[1][2]
end

-- File format, version 1 (little-endian):
--   "VLEMBIDX" | u32 version | u32 dim | u32 count | for each id: u32 length, bytes
--   | count * dim float32 (row order) | u32 checksum (Fletcher-32 style sums over
--   every preceding byte, see checksum()).
local MAGIC = "VLEMBIDX"

local function u32(n)
  return string.char(n % 256, floor(n / 256) % 256, floor(n / 65536) % 256, floor(n / 16777216) % 256)
end

local function get_u32(s, i)
  local a, b, c, d = s:byte(i, i + 3)
  if not d then return nil end
  return a + 256 * (b + 256 * (c + 256 * d))
end

-- Two running sums mod 65521 over the bytes (Adler-32); with ffi, over a uint8
-- view of the string.
local function checksum(s, n)
  local a, b = 1, 0
  if ffi_ok then
    local p = ffi.cast("const uint8_t *", s)
    local i = 0
    while i < n do
      local stop = i + 3800 < n and i + 3800 or n -- sums stay below 2^53 between reductions
      for j = i, stop - 1 do
        a = a + p[j]
        b = b + a
      end
      a, b, i = a % 65521, b % 65521, stop
    end
  else
    for j = 1, n do
      a = (a + s:byte(j)) % 65521
      b = (b + a) % 65521
    end
  end
  return b * 65536 + a
end

--- Save to a file (format above).
---@return true|nil ok
---@return string? msg
---@return string? code
function Index:save(path)
  check_index(self, "save")
  if type(path) ~= "string" then argerror(2, "save", "string expected, got " .. typename(path)) end
  local parts = { MAGIC, u32(M.INDEX_VERSION), u32(self._dim), u32(self._n) }
  for i = 1, self._n do
    local id = self._ids[i]
    parts[#parts + 1] = u32(#id)
    parts[#parts + 1] = id
  end
  parts[#parts + 1] = self._m:slice(1, self._n):to_bytes()
  local body = tconcat(parts)
  local f, err = io_open(path, "wb")
  if not f then return nil, tostring(err), "EIO" end
  local ok = f:write(body, u32(checksum(body, #body)))
  if not f:close() or not ok then return nil, path .. ": write failed", "EIO" end
  return true
end

--- Load an index saved by Index:save; the magic, version, sizes, checksum, ids
--- (unique, non-empty) and vectors (finite) are checked.
function M.load_index(path)
  if type(path) ~= "string" then argerror(1, "load_index", "string expected, got " .. typename(path)) end
  local f, err = io_open(path, "rb")
  if not f then return nil, tostring(err), "EIO" end
  local s = f:read("*a")
  f:close()
  local function bad(msg, code) return nil, path .. ": " .. msg, code or "EPARSE" end
  if #s < 24 or s:sub(1, 8) ~= MAGIC then return bad("not a victor embedding index (bad magic)") end
  local version, dim, count = get_u32(s, 9), get_u32(s, 13), get_u32(s, 17)
  if version ~= M.INDEX_VERSION then
    return bad(sfmt("format version %d is not supported (this build reads %d)", version, M.INDEX_VERSION), "EVERSION")
  end
  if dim < 1 or dim > 16777216 then return bad("bad dimension " .. dim) end
  if checksum(s, #s - 4) ~= get_u32(s, #s - 3) then return bad("checksum mismatch (the file is corrupt)") end
  local ix = M.index(dim)
  local pos, ids = 21, {}
  for i = 1, count do
    local len = get_u32(s, pos)
    if not len or pos + 4 + len > #s then return bad("truncated id list") end
    local id = s:sub(pos + 4, pos + 3 + len)
    if id == "" or ix._pos[id] then return bad(sfmt("id %d is empty or repeated", i)) end
    ids[i], ix._pos[id] = id, i
    pos = pos + 4 + len
  end
  if #s - 4 - (pos - 1) ~= count * dim * 4 then return bad("vector data has the wrong length") end
  local m, msg, code = impl.from_bytes(s:sub(pos, #s - 4), dim)
  if not m then return bad(msg, code) end
  ix._m, ix._ids, ix._n = m, ids, count
  return ix
end

return M
