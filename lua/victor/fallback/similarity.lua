--- victor.fallback.similarity: the pure-Lua backend of victor.similarity, with
--- the same interface as the C binding victor.core.similarity (see
--- core/lua_similarity.c): a Matrix object of float32 values (stored as Lua
--- numbers rounded to float32), dot, cosine, scores, batch_cosine, top_k with a
--- bounded heap (ties by row index ascending), normalize, .npy files.
--
-- Arithmetic is in double (the most accurate; it matches the C scalar reference
-- within float32 rounding). Zero vectors, dimension mismatches and non-finite
-- values give nil, msg, code with the C binding's messages and codes.
local M = {}

local type, error, setmetatable, tostring, tonumber = type, error, setmetatable, tostring, tonumber
local sqrt, floor, huge = math.sqrt, math.floor, math.huge
local sfmt, sbyte, schar = string.format, string.byte, string.char
local io_open = io.open

local ffi_ok, ffi = pcall(require, "ffi")
local f32 = ffi_ok and ffi.new("float[1]") or nil

-- round to float32 (to the nearest double when ffi is missing)
local function r32(v)
  if f32 then
    f32[0] = v
    return f32[0]
  end
  return v
end

local function fail(code, fmt, ...)
  return nil, sfmt(fmt, ...), code
end

local function finite(v)
  return v == v and v > -huge and v < huge
end

local Matrix = {}
Matrix.__index = Matrix
Matrix.__name = "Matrix"

-- A matrix: rows x dim values, element (r, c) at d[o + (r - 1) * dim + c].
-- Views share d (a table) and differ in o and rows.
local function new(rows, dim, d, o)
  return setmetatable({ rows = rows, dim = dim, d = d, o = o or 0, closed = false }, Matrix)
end

local function check(m, i, fname)
  if getmetatable(m) ~= Matrix then
    error(sfmt("bad argument #%d to '%s' (Matrix expected, got %s)", i, fname, type(m)), 3)
  end
  if m.closed then error("Matrix is closed", 3) end
  return m
end

function Matrix:__tostring()
  return self.closed and "Matrix (closed)" or "Matrix"
end

function Matrix:close()
  self.closed = true
  self.d = {}
end

function Matrix:shape()
  check(self, 1, "shape")
  return self.rows, self.dim
end

function Matrix:stride()
  check(self, 1, "stride")
  return self.dim
end

function Matrix:ptr()
  check(self, 1, "ptr")
  error("Matrix:ptr() needs the native backend", 2)
end

local function check_index(v, n, i, fname, what)
  if type(v) ~= "number" or v < 1 or v > n or v ~= floor(v) then
    error(sfmt("bad argument #%d to '%s' (%s index out of range)", i, fname, what), 3)
  end
  return v
end

function Matrix:get(r, c)
  check(self, 1, "get")
  check_index(r, self.rows, 2, "get", "row")
  check_index(c, self.dim, 3, "get", "column")
  return self.d[self.o + (r - 1) * self.dim + c]
end

function Matrix:set(r, c, v)
  check(self, 1, "set")
  check_index(r, self.rows, 2, "set", "row")
  check_index(c, self.dim, 3, "set", "column")
  if type(v) ~= "number" or not finite(v) or v > 3.4028234663852886e38 or v < -3.4028234663852886e38 then
    error("bad argument #4 to 'set' (value must be a finite float32)", 2)
  end
  self.d[self.o + (r - 1) * self.dim + c] = r32(v)
end

function Matrix:slice(a, b)
  check(self, 1, "slice")
  b = b or a
  if type(a) ~= "number" or type(b) ~= "number" or a < 1 or b > self.rows or a > b + 1 or a ~= floor(a)
      or b ~= floor(b) then
    error("bad argument #2 to 'slice' (row range out of range)", 2)
  end
  return new(b - a + 1, self.dim, self.d, self.o + (a - 1) * self.dim)
end

function Matrix:to_table()
  check(self, 1, "to_table")
  local t, d, dim = {}, self.d, self.dim
  for r = 1, self.rows do
    local row, base = {}, self.o + (r - 1) * dim
    for c = 1, dim do row[c] = d[base + c] end
    t[r] = row
  end
  return t
end

function Matrix:to_bytes()
  check(self, 1, "to_bytes")
  if not ffi_ok then error("Matrix:to_bytes() needs LuaJIT's ffi", 2) end
  local n = self.rows * self.dim
  local buf = ffi.new("float[?]", n > 0 and n or 1)
  for k = 1, n do buf[k - 1] = self.d[self.o + k] end
  return ffi.string(buf, n * 4)
end

function Matrix:copy()
  check(self, 1, "copy")
  local d, n = {}, self.rows * self.dim
  for k = 1, n do d[k] = self.d[self.o + k] end
  return new(self.rows, self.dim, d, 0)
end

function Matrix:resize(rows)
  check(self, 1, "resize")
  local d, dim = {}, self.dim
  local keep = rows < self.rows and rows or self.rows
  for k = 1, keep * dim do d[k] = self.d[self.o + k] end
  for k = keep * dim + 1, rows * dim do d[k] = 0 end
  self.d, self.o, self.rows = d, 0, rows
  return true
end

function Matrix:set_row(r, src)
  check(self, 1, "set_row")
  check_index(r, self.rows, 2, "set_row", "row")
  check(src, 3, "set_row")
  if src.dim ~= self.dim or src.rows ~= 1 then
    error("bad argument #3 to 'set_row' (a 1-row Matrix of the same dimension expected)", 2)
  end
  local base, sd, so = self.o + (r - 1) * self.dim, src.d, src.o
  local tmp = {}
  for c = 1, self.dim do tmp[c] = sd[so + c] end
  for c = 1, self.dim do self.d[base + c] = tmp[c] end
end

local function sumsq(d, base, dim)
  local s = 0
  for c = 1, dim do
    local v = d[base + c]
    s = s + v * v
  end
  return s
end

function Matrix:normalize()
  check(self, 1, "normalize")
  local d, dim, nz, first = self.d, self.dim, 0, nil
  for r = 1, self.rows do
    local base = self.o + (r - 1) * dim
    local s = sumsq(d, base, dim)
    if s == 0 then
      nz = nz + 1
      first = first or r
    else
      local inv = r32(1 / sqrt(s))
      for c = 1, dim do d[base + c] = r32(d[base + c] * inv) end
    end
  end
  return nz, first
end

function Matrix:sum()
  check(self, 1, "sum")
  local s, d, o = 0, self.d, self.o
  for k = 1, self.rows * self.dim do s = s + d[o + k] end
  return s
end

local function nonfinite(m)
  local d, dim = m.d, m.dim
  for r = 1, m.rows do
    local base = m.o + (r - 1) * dim
    for c = 1, dim do
      if not finite(d[base + c]) then return fail("EINVAL", "non-finite value at row %d, column %d", r, c) end
    end
  end
end

-- ---- constructors ----------------------------------------------------------------

local function check_dim(dim, i, fname)
  if type(dim) ~= "number" or dim < 1 or dim > 16777216 or dim ~= floor(dim) then
    error(sfmt("bad argument #%d to '%s' (dimension must be 1..16777216)", i, fname), 3)
  end
  return dim
end

function M.zeros(rows, dim)
  if type(rows) ~= "number" or rows < 0 or rows ~= floor(rows) then
    error("bad argument #1 to 'zeros' (row count out of range)", 2)
  end
  check_dim(dim, 2, "zeros")
  local d = {}
  for k = 1, rows * dim do d[k] = 0 end
  return new(rows, dim, d, 0)
end

function M.from_table(t, want)
  if type(t) ~= "table" then error("bad argument #1 to 'from_table' (table expected, got " .. type(t) .. ")", 2) end
  local flat = type(t[1]) == "number"
  local rows, dim
  if flat then
    rows, dim = 1, #t
  else
    rows = #t
    dim = type(t[1]) == "table" and #t[1] or 0
  end
  if want ~= nil then
    check_dim(want, 2, "from_table")
    if rows > 0 and dim ~= want then
      return fail("EDIM", "dimension mismatch: row 1 has %d values, want %d", dim, want)
    end
    dim = want
  end
  if dim < 1 and rows > 0 then return fail("EDIM", "row 1 is empty") end
  if dim < 1 then error("bad argument #2 to 'from_table' (dimension needed for an empty list)", 2) end
  local d, k = {}, 0
  for r = 1, rows do
    local row = flat and t or t[r]
    if type(row) ~= "table" then error(sfmt("bad argument #1 to 'from_table' (row %d is not a table)", r), 2) end
    if #row ~= dim then
      return fail("EDIM", "dimension mismatch: row %d has %d values, want %d", r, #row, dim)
    end
    for c = 1, dim do
      local v = row[c]
      if type(v) ~= "number" then
        error(sfmt("bad argument #1 to 'from_table' (row %d, column %d is not a number)", r, c), 2)
      end
      k = k + 1
      d[k] = r32(v)
    end
  end
  local m = new(rows, dim, d, 0)
  local _, msg, code = nonfinite(m)
  if msg then return nil, msg, code end
  return m
end

function M.from_bytes(s, dim)
  if type(s) ~= "string" then error("bad argument #1 to 'from_bytes' (string expected, got " .. type(s) .. ")", 2) end
  check_dim(dim, 2, "from_bytes")
  if not ffi_ok then error("from_bytes needs LuaJIT's ffi", 2) end
  if #s % (dim * 4) ~= 0 then
    return fail("EDIM", "%d bytes is not a whole number of rows of %d float32 values", #s, dim)
  end
  local n = #s / 4
  local buf = ffi.new("float[?]", n > 0 and n or 1)
  ffi.copy(buf, s, #s)
  local d = {}
  for k = 1, n do d[k] = buf[k - 1] end
  local m = new(n / dim, dim, d, 0)
  local _, msg, code = nonfinite(m)
  if msg then return nil, msg, code end
  return m
end

-- .npy: the same checks and messages as core/similarity.c
function M.load_npy(path, max_bytes)
  local f = io_open(path, "rb")
  if not f then return fail("EIO", "%s: cannot open the file", path) end
  local all = f:read("*a")
  f:close()
  if all:sub(1, 6) ~= "\147NUMPY" or #all < 10 then
    return fail("EPARSE", "%s: not an .npy file (no \\x93NUMPY magic)", path)
  end
  local major = sbyte(all, 7)
  local hlen, start
  if major == 1 then
    hlen, start = sbyte(all, 9) + 256 * sbyte(all, 10), 11
  elseif major == 2 or major == 3 then
    if #all < 12 then return fail("EPARSE", "%s: truncated header", path) end
    local a, b, c, d = sbyte(all, 9, 12)
    hlen, start = a + 256 * (b + 256 * (c + 256 * d)), 13
  else
    return fail("EPARSE", "%s: unsupported .npy format version", path)
  end
  if #all < start - 1 + hlen then return fail("EPARSE", "%s: truncated header", path) end
  local hdr = all:sub(start, start + hlen - 1)
  local descr = hdr:match("'descr'%s*:%s*['\"]([^'\"]*)['\"]")
  if not descr then return fail("EPARSE", "%s: header has no 'descr'", path) end
  if descr ~= "<f4" then
    return fail("ETYPE", "%s: dtype '%s' is not supported (want '<f4': little-endian float32)", path, descr)
  end
  local fo = hdr:match("'fortran_order'%s*:%s*(%a+)")
  if fo ~= "False" and fo ~= "True" then return fail("EPARSE", "%s: header has no 'fortran_order'", path) end
  if fo == "True" then return fail("ETYPE", "%s: Fortran-order arrays are not supported (save C order)", path) end
  local shape = hdr:match("'shape'%s*:%s*(%b())")
  if not shape then return fail("EPARSE", "%s: header has no 'shape'", path) end
  local dims = {}
  for v in shape:gmatch("%d+") do dims[#dims + 1] = tonumber(v) end
  if #dims == 0 or #dims > 2 then return fail("ETYPE", "%s: only 1-D and 2-D arrays are supported", path) end
  local rows, dim = #dims == 2 and dims[1] or 1, dims[#dims]
  if dim < 1 or dim > 16777216 then return fail("ETYPE", "%s: the row length must be 1..16777216", path) end
  if max_bytes and max_bytes > 0 and rows * dim * 4 > max_bytes then
    return fail("ELIMIT", "%s: the matrix is over the size limit", path)
  end
  local data = all:sub(start + hlen)
  if #data < rows * dim * 4 then
    return fail("EPARSE", "%s: truncated data (row %d of %d)", path, floor(#data / (dim * 4)) + 1, rows)
  end
  local m, msg, code = M.from_bytes(data:sub(1, rows * dim * 4), dim)
  if not m then return nil, path .. ": " .. msg, code end
  m.rows = rows
  return m
end

function Matrix:save_npy(path)
  check(self, 1, "save_npy")
  local hdr = sfmt("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", self.rows, self.dim)
  local pad = 64 - (10 + #hdr + 1) % 64
  if pad == 64 then pad = 0 end
  hdr = hdr .. (" "):rep(pad) .. "\n"
  local f = io_open(path, "wb")
  if not f then return fail("EIO", "%s: cannot open the file for writing", path) end
  local ok = f:write("\147NUMPY\1\0", schar(#hdr % 256, floor(#hdr / 256)), hdr, self:to_bytes())
  if not f:close() or not ok then return fail("EIO", "%s: write failed", path) end
  return true
end

-- ---- kernels ------------------------------------------------------------------------

local function row_dot(a, ab, b, bb, dim)
  local ad, bd, s = a.d, b.d, 0
  for c = 1, dim do s = s + ad[ab + c] * bd[bb + c] end
  return s
end

local function same(q, m)
  if q.dim ~= m.dim then
    return fail("EDIM", "dimension mismatch: query has %d, matrix has %d", q.dim, m.dim)
  end
end

local function vector(m, i, fname)
  if m.rows ~= 1 then error(sfmt("bad argument #%d to '%s' (a vector (1-row Matrix) expected)", i, fname), 3) end
end

-- the checks of a two-vector function: nil, or nil, msg, code
local function pair(a, b, fname)
  check(a, 1, fname)
  check(b, 2, fname)
  local _, msg, code = same(a, b)
  if msg then return msg, code end
  vector(a, 1, fname)
  vector(b, 2, fname)
end

function M.dot(a, b)
  local msg, code = pair(a, b, "dot")
  if msg then return nil, msg, code end
  return r32(row_dot(a, a.o, b, b.o, a.dim))
end

local function clamp(c)
  return c > 1 and 1 or (c < -1 and -1 or c)
end

function M.cosine(a, b)
  local msg, code = pair(a, b, "cosine")
  if msg then return nil, msg, code end
  local na, nb = sumsq(a.d, a.o, a.dim), sumsq(b.d, b.o, b.dim)
  if na == 0 or nb == 0 then return fail("EZERO", "%s vector is zero", na == 0 and "the first" or "the second") end
  return r32(clamp(row_dot(a, a.o, b, b.o, a.dim) / sqrt(na) / sqrt(nb)))
end

-- per-row 1/|r| of m (nil, msg, code at the first zero row); `what` names rows
local function inv_norms(m, what)
  local inv = {}
  for r = 1, m.rows do
    local s = sumsq(m.d, m.o + (r - 1) * m.dim, m.dim)
    if s == 0 then return fail("EZERO", "%s %d is a zero vector", what, r) end
    inv[r] = 1 / sqrt(s)
  end
  return inv
end

-- calls f(qi, ri, score) for every pair (or returns nil, msg, code)
local function each_score(q, m, normalized, f)
  local _, msg, code = same(q, m)
  if msg then return nil, msg, code end
  local qinv, rinv
  qinv, msg, code = inv_norms(q, "query")
  if not qinv then return nil, msg, code end
  if not normalized then
    rinv, msg, code = inv_norms(m, "row")
    if not rinv then return nil, msg, code end
  end
  local dim = q.dim
  for i = 1, q.rows do
    local qb, qi = q.o + (i - 1) * dim, qinv[i]
    for j = 1, m.rows do
      local d = row_dot(q, qb, m, m.o + (j - 1) * dim, dim)
      f(i, j, normalized and r32(d * qi) or r32(clamp(d * qi * rinv[j])))
    end
  end
  return true
end

function M.scores(q, m, normalized)
  check(q, 1, "scores")
  check(m, 2, "scores")
  local d, n = {}, m.rows
  local ok, msg, code = each_score(q, m, normalized, function(i, j, s) d[(i - 1) * n + j] = s end)
  if not ok then return nil, msg, code end
  return new(q.rows, n > 0 and n or 1, d, 0)
end

function M.batch_cosine(q, m, normalized)
  check(q, 1, "batch_cosine")
  check(m, 2, "batch_cosine")
  vector(q, 1, "batch_cosine")
  local out = {}
  local ok, msg, code = each_score(q, m, normalized, function(_, j, s) out[j] = s end)
  if not ok then return nil, msg, code end
  return out
end

-- bounded min-heap of (score, index): the root is the worst kept
local function worse(s1, i1, s2, i2)
  return s1 < s2 or (s1 == s2 and i1 > i2)
end

local function push(hs, hi, n, k, s, i)
  if n < k then
    n = n + 1
    local p = n
    while p > 1 do
      local up = floor(p / 2)
      if not worse(s, i, hs[up], hi[up]) then break end
      hs[p], hi[p] = hs[up], hi[up]
      p = up
    end
    hs[p], hi[p] = s, i
    return n
  end
  if k == 0 or not worse(hs[1], hi[1], s, i) then return n end
  local p = 1
  while true do
    local c = 2 * p
    if c > k then break end
    if c + 1 <= k and worse(hs[c + 1], hi[c + 1], hs[c], hi[c]) then c = c + 1 end
    if not worse(hs[c], hi[c], s, i) then break end
    hs[p], hi[p] = hs[c], hi[c]
    p = c
  end
  hs[p], hi[p] = s, i
  return n
end

function M.top_k(q, m, k, min_score, normalized)
  check(q, 1, "top_k")
  check(m, 2, "top_k")
  if type(k) ~= "number" or k < 0 or k ~= floor(k) then
    error("bad argument #3 to 'top_k' (k must be a non-negative integer)", 2)
  end
  if k > m.rows then k = m.rows end
  min_score = min_score or -huge
  local heaps = {}
  for i = 1, q.rows do heaps[i] = { s = {}, i = {}, n = 0 } end
  local ok, msg, code = each_score(q, m, normalized, function(i, j, s)
    if s >= min_score then
      local h = heaps[i]
      h.n = push(h.s, h.i, h.n, k, s, j)
    end
  end)
  if not ok then return nil, msg, code end
  local out = {}
  for qi = 1, q.rows do
    local h = heaps[qi]
    local order = {}
    for e = 1, h.n do order[e] = e end
    table.sort(order, function(x, y) return worse(h.s[y], h.i[y], h.s[x], h.i[x]) end)
    local idx, sc = {}, {}
    for e = 1, h.n do idx[e], sc[e] = h.i[order[e]], h.s[order[e]] end
    out[qi] = { idx, sc }
  end
  return out
end

-- ---- hashing vectoriser (core/similarity.h: vl_sim_hash_embed, the same bits) ----

local bit_ok, bit = pcall(require, "bit")

-- FNV-1a 32 over s[i..j] from h (signed int32 arithmetic: h * 16777619 mod 2^32
-- as (h << 24) + h * 403, exact in doubles)
local function fnv(h, s, i, j)
  local bxor, lshift, tobit = bit.bxor, bit.lshift, bit.tobit
  for k = i, j do
    h = bxor(h, sbyte(s, k))
    h = tobit(lshift(h, 24) + h * 403)
  end
  return h
end

local BASIS = bit_ok and bit.tobit(2166136261) or 0
local TAG_W = bit_ok and fnv(BASIS, "w", 1, 1)
local TAG_B = bit_ok and fnv(BASIS, "b", 1, 1)
local TAG_C = bit_ok and fnv(BASIS, "c", 1, 1)

local function add(row, dim, h)
  local u = h < 0 and h + 4294967296 or h
  local b = u % dim + 1
  row[b] = row[b] + (h < 0 and -1 or 1)
end

function M.hash_embed(texts, dim, word_ngrams, char_min, char_max)
  if not bit_ok then error("hash_embed needs the bit library", 2) end
  local d = {}
  for r = 1, #texts do
    local row = {}
    for c = 1, dim do row[c] = 0 end
    local prev
    for w in texts[r]:lower():gmatch("[%w_\128-\255]+") do
      add(row, dim, fnv(TAG_W, w, 1, #w))
      if word_ngrams >= 2 and prev then add(row, dim, fnv(fnv(fnv(TAG_B, prev, 1, #prev), " ", 1, 1), w, 1, #w)) end
      if char_min > 0 then
        local p = " " .. w .. " "
        for n = char_min, char_max do
          for st = 1, #p - n + 1 do add(row, dim, fnv(TAG_C, p, st, st + n - 1)) end
        end
      end
      prev = w
    end
    local ss = 0
    for c = 1, dim do ss = ss + row[c] * row[c] end
    local inv = ss > 0 and r32(1 / sqrt(ss)) or 0
    local base = (r - 1) * dim
    for c = 1, dim do d[base + c] = ss > 0 and r32(row[c] * inv) or 0 end
  end
  return new(#texts, dim, d, 0)
end

function M.quantize()
  return nil, "quantised matrices need the native backend", "ENOTSUP"
end

function M.is_qmatrix()
  return false
end

function M.set_backend(name)
  if name ~= "auto" and name ~= "lua" then return fail("EINVAL", "the fallback has no %s backend", tostring(name)) end
  return true
end

function M.backend()
  return "lua"
end

function M.supported()
  return { "lua" }
end

function M.max_threads()
  return 1
end

function M.is_matrix(m)
  return getmetatable(m) == Matrix
end

M.Matrix = Matrix
return M
