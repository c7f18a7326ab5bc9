-- similarity_spec.lua: victor.similarity on both backends (core/similarity.h):
-- Victor's known answers, every SIMD backend (avx2, sse2, scalar) and the
-- pure-Lua fallback against a double-precision reference on random shapes
-- (dimensions that are not multiples of 8), ties, thresholds, errors, .npy files
-- and the EmbeddingIndex.
--
-- Tolerance: |score - reference| <= 1e-5 for cosine (|cos| <= 1), and
-- 1e-5 * (1 + sum |a_i b_i|) for dot products.
local native = require "victor.native"
local similarity = require "victor.similarity"
local raises = require "support.raises"
local rng = require "support.rng"

local backends = require "support.backends"("similarity")

local abs, sqrt = math.abs, math.sqrt
local TOL = 1e-5

local function close_to(want, got, eps, what)
  assert(abs(want - got) <= eps, string.format("%s: want %.9g, got %.9g", what or "", want, got))
end

-- random rows of values in [-1, 1) rounded to float32 steps of 2^-12
local function random_rows(r, rows, dim)
  local t = {}
  for i = 1, rows do
    local row = {}
    for c = 1, dim do row[c] = (r(8192) - 4096) / 4096 end
    row[r(dim) + 1] = 0.5 -- never a zero vector
    t[i] = row
  end
  return t
end

-- the reference: cosine in double
local function ref_cos(a, b)
  local d, na, nb = 0, 0, 0
  for c = 1, #a do
    d, na, nb = d + a[c] * b[c], na + a[c] * a[c], nb + b[c] * b[c]
  end
  return d / sqrt(na) / sqrt(nb)
end

-- reference top-k: indices and scores, ties by index ascending
local function ref_top(q, rows, k, min_score)
  local all = {}
  for j = 1, #rows do
    local s = ref_cos(q, rows[j])
    if not min_score or s >= min_score then all[#all + 1] = { j, s } end
  end
  table.sort(all, function(x, y) return x[2] > y[2] or (x[2] == y[2] and x[1] < y[1]) end)
  local idx, sc = {}, {}
  for i = 1, math.min(k, #all) do idx[i], sc[i] = all[i][1], all[i][2] end
  return idx, sc
end

-- top-k equal to the reference up to near-ties: scores within TOL; an index may
-- differ only where the reference has another score within 2 * TOL
local function check_top(q, rows, k, idx, sc, what)
  local ridx, rsc = ref_top(q, rows, k)
  assert.equal(#ridx, #idx, what)
  for i = 1, #idx do
    close_to(rsc[i], sc[i], TOL, what .. " score " .. i)
    if idx[i] ~= ridx[i] then
      close_to(ref_cos(q, rows[idx[i]]), rsc[i], 2 * TOL, what .. " index " .. i)
    end
    if i > 1 then
      assert(sc[i] < sc[i - 1] or (sc[i] == sc[i - 1] and idx[i] > idx[i - 1]), what .. ": order")
    end
  end
end

describe("victor.similarity", function()
  it("reports the backend victor.native chose", function()
    assert.equal(native.backends().similarity, similarity.backend)
    if os.getenv("VICTOR_NO_NATIVE") == "1" then assert.equal("fallback", similarity.backend) end
  end)

  for _, b in ipairs(backends) do
    local S = b.mod
    describe(b.name .. " backend", function()
      it("has Victor's known answers", function()
        close_to(1, S.cosine({ 1, 2, 3 }, { 1, 2, 3 }), TOL)
        close_to(0, S.cosine({ 1, 0 }, { 0, 1 }), TOL)
        close_to(-1, S.cosine({ 1, 2 }, { -1, -2 }), TOL)
        local s = S.batch_cosine({ 1, 0 }, { { 1, 0 }, { 0, 1 }, { -1, 0 } })
        assert.same({ 1, 0, -1 }, s)
        local idx = S.top_k({ 1, 0 }, { { 0.5, 0.5 }, { 1, 0 }, { 0, 1 }, { 0.9, 0.1 } }, 2)
        assert.same({ 2, 4 }, idx)
        idx = S.top_k({ 1, 0 }, { { 0, 1 }, { 1, 0 } }, 1)
        assert.same({ 2 }, idx)
        local m = S.normalize({ { 3, 4 } })
        close_to(0.6, m:get(1, 1), 1e-7)
        close_to(0.8, m:get(1, 2), 1e-7)
        idx = S.top_k({ 1, 0 }, { { 0.6, 0.8 }, { 1, 0 }, { 0, 1 }, { 0.8, 0.6 } }, 2, { normalized = true })
        assert.same({ 2, 4 }, idx)
        -- the python fallback fixture: a = [.1 .. .5], b = a with .6, c = -reversed(a)
        local a, bb = { 0.1, 0.2, 0.3, 0.4, 0.5 }, { 0.1, 0.2, 0.3, 0.4, 0.6 }
        local i2, s2 = S.top_k(a, { a, bb, { -0.5, -0.4, -0.3, -0.2, -0.1 } }, 2)
        assert.same({ 1, 2 }, i2)
        close_to(1, s2[1], TOL)
        close_to(11, S.dot({ 1, 2 }, { 3, 4 }), 0)
      end)

      it("breaks ties by index ascending, keeps min_score, caps k at the row count", function()
        local rows = { { 0, 1 }, { 1, 0 }, { 0, 1 }, { 1, 0 }, { 1, 0 } }
        local idx, sc = S.top_k({ 1, 0 }, rows, 10)
        assert.same({ 2, 4, 5, 1, 3 }, idx)
        assert.same({ 1, 1, 1, 0, 0 }, sc)
        idx = S.top_k({ 1, 0 }, rows, 2)
        assert.same({ 2, 4 }, idx)
        idx = S.top_k({ 1, 0 }, rows, 10, { min_score = 0.5 })
        assert.same({ 2, 4, 5 }, idx)
        idx = S.top_k({ 1, 0 }, rows, 0)
        assert.same({}, idx)
        idx = S.top_k({ 1, 0 }, S.zeros(0, 2), 3)
        assert.same({}, idx)
      end)

      it("returns nil, msg, code for zero vectors, mismatches and non-finite values", function()
        assert.same({ nil, "the second vector is zero", "EZERO" }, { S.cosine({ 1, 0 }, { 0, 0 }) })
        assert.same({ nil, "query 1 is a zero vector", "EZERO" }, { S.top_k({ 0, 0 }, { { 1, 0 } }) })
        assert.same({ nil, "row 2 is a zero vector", "EZERO" }, { S.top_k({ 1, 0 }, { { 1, 0 }, { 0, 0 } }) })
        assert.same({ nil, "row 2 is a zero vector", "EZERO" }, { S.batch_cosine({ 1, 0 }, { { 1, 0 }, { 0, 0 } }) })
        assert.same({ nil, "dimension mismatch: query has 2, matrix has 3", "EDIM" },
          { S.top_k({ 1, 0 }, { { 1, 0, 0 } }) })
        assert.same({ nil, "dimension mismatch: query has 2, matrix has 3", "EDIM" },
          { S.cosine({ 1, 0 }, { 1, 0, 0 }) })
        assert.same({ nil, "dimension mismatch: row 2 has 1 values, want 2", "EDIM" },
          { S.matrix({ { 1, 0 }, { 1 } }) })
        assert.same({ nil, "non-finite value at row 1, column 2", "EINVAL" }, { S.matrix({ { 1, 0 / 0 } }) })
        assert.same({ nil, "non-finite value at row 1, column 1", "EINVAL" }, { S.matrix({ { math.huge, 1 } }) })
        local m = S.matrix({ { 3, 4 }, { 0, 0 }, { 0, 2 } })
        assert.same({ nil, "row 2 is a zero vector (1 zero row left as zero)", "EZERO" }, { S.normalize(m) })
        close_to(1, m:get(3, 2), 0)
        assert.equal(0, m:get(2, 1))
        -- normalized rows: a zero row scores 0 (no norm is taken)
        local _, sc = S.top_k({ 1, 0 }, { { 0, 0 } }, 1, { normalized = true })
        assert.same({ 0 }, sc)
      end)

      it("raises on misuse with the standard message", function()
        raises("bad argument #3 to 'top_k' (k must be a non-negative integer)", S.top_k, { 1 }, { { 1 } }, -1)
        raises("bad argument #4 to 'top_k' (unknown option 'kk')", S.top_k, { 1 }, { { 1 } }, 1, { kk = 1 })
        raises("bad argument #1 to 'cosine' (Matrix or table expected, got string)", S.cosine, "x", { 1 })
        raises("bad argument #1 to 'top_k' (a vector (table or 1-row Matrix) expected)", S.top_k,
          { { 1 }, { 2 } }, { { 1 } })
        raises("bad argument #1 to 'index' (dimension must be 1..16777216)", S.index, 0)
        raises("bad argument #2 to 'add' (id must be a non-empty string)", S.index(2).add, S.index(2), 5, { 1, 0 })
      end)

      it("builds matrices from bytes, views rows zero-copy, round-trips .npy", function()
        local m = S.matrix({ { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 } })
        local rows, dim = m:shape()
        assert.equal(3, rows)
        assert.equal(3, dim)
        local m2 = assert(S.from_bytes(m:to_bytes(), 3))
        assert.same(m:to_table(), m2:to_table())
        assert.same({ nil, "8 bytes is not a whole number of rows of 3 float32 values", "EDIM" },
          { S.from_bytes(("\0"):rep(8), 3) })
        local v = m:slice(2, 3)
        assert.same({ { 4, 5, 6 }, { 7, 8, 9 } }, v:to_table())
        v:set(1, 1, 40)
        assert.equal(40, m:get(2, 1)) -- the view shares the storage
        local p = os.tmpname()
        assert(S.save_npy(m, p))
        local back = assert(S.load_npy(p))
        assert.same(m:to_table(), back:to_table())
        local f = io.open(p, "rb")
        local data = f:read("*a")
        f:close()
        assert.equal("\147NUMPY\1\0", data:sub(1, 8))
        assert.equal(0, (10 + data:byte(9) + 256 * data:byte(10)) % 64)
        local function npy(hdr, body)
          hdr = hdr .. (" "):rep(63 - (10 + #hdr) % 64) .. "\n"
          local g = io.open(p, "wb")
          g:write("\147NUMPY\1\0", string.char(#hdr % 256, math.floor(#hdr / 256)), hdr, body or "")
          g:close()
        end
        npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", ("\0"):rep(32))
        assert.same({ nil, p .. ": dtype '<f8' is not supported (want '<f4': little-endian float32)", "ETYPE" },
          { S.load_npy(p) })
        npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", ("\0"):rep(16))
        assert.same({ nil, p .. ": Fortran-order arrays are not supported (save C order)", "ETYPE" },
          { S.load_npy(p) })
        npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", ("\0"):rep(32))
        assert.same({ nil, p .. ": only 1-D and 2-D arrays are supported", "ETYPE" }, { S.load_npy(p) })
        npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", ("\0"):rep(16))
        assert.same({ nil, p .. ": truncated data (row 3 of 3)", "EPARSE" }, { S.load_npy(p) })
        npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", ("\0"):rep(16))
        local one = assert(S.load_npy(p))
        assert.same({ 1, 4 }, { one:shape() })
        local g = io.open(p, "wb")
        g:write("hello")
        g:close()
        assert.same({ nil, p .. ": not an .npy file (no \\x93NUMPY magic)", "EPARSE" }, { S.load_npy(p) })
        os.remove(p)
        assert.same("EIO", select(3, S.load_npy(p)))
      end)

      it("equals the double-precision reference on random shapes", function()
        local r = rng(12345)
        for trial = 1, 25 do
          local dim = 1 + r(70)
          local n = r(150)
          local rows = random_rows(r, n, dim)
          local queries = random_rows(r, 1 + r(9), dim)
          local M = assert(S.matrix(rows, dim))
          local k = r(12)
          local res = assert(S.batch_top_k(queries, M, k))
          for qi = 1, #queries do
            local what = string.format("trial %d (dim %d, n %d, k %d) query %d", trial, dim, n, k, qi)
            check_top(queries[qi], rows, k, res[qi].indices, res[qi].scores, what)
            local idx, sc = S.top_k(queries[qi], M, k)
            assert.same(res[qi].indices, idx, what)
            assert.same(res[qi].scores, sc, what)
          end
          if n > 0 then
            local sm = assert(S.similarity_matrix(queries, M))
            local bc = assert(S.batch_cosine(queries[1], M))
            for j = 1, n do
              local want = ref_cos(queries[1], rows[j])
              close_to(want, sm:get(1, j), TOL, "matrix")
              close_to(want, bc[j], TOL, "batch")
            end
            local dsum, dot = 0, 0
            for c = 1, dim do
              dot = dot + queries[1][c] * rows[1][c]
              dsum = dsum + abs(queries[1][c] * rows[1][c])
            end
            close_to(dot, S.dot(queries[1], rows[1]), TOL * (1 + dsum), "dot")
          end
        end
      end)

      it("keeps an EmbeddingIndex: add, update, remove, query, save, load", function()
        local ix = S.index(2)
        assert(ix:add("a", { 1, 0 }))
        assert(ix:add("b", { 0, 1 }))
        assert(ix:add("c", { 0.7, 0.7 }))
        local ids = ix:query({ 1, 0 }, 10, { min_score = 0.5 })
        assert.same({ "a", "c" }, ids)
        assert.same({ nil, "dimension mismatch: query has 3, index has 2", "EDIM" }, { ix:query({ 1, 0, 0 }) })
        assert.same({ nil, "id 'a' is already in the index", "EEXIST" }, { ix:add("a", { 1, 1 }) })
        assert.same({ nil, "the vector is zero", "EZERO" }, { ix:add("z", { 0, 0 }) })
        assert.same({ nil, "id 'q' is not in the index", "ENOENT" }, { ix:update("q", { 1, 1 }) })
        assert(ix:update("b", { 1, 0.01 }))
        ids = ix:query({ 1, 0 }, 2)
        assert.same({ "a", "b" }, ids)
        assert.is_true(ix:remove("a"))
        assert.is_false(ix:remove("a"))
        assert.equal(2, ix:len())
        assert.same({ "c", "b" }, ix:ids())
        for i = 1, 40 do assert(ix:put("v" .. i, { i, 1 })) end
        assert.equal(42, ix:len())
        local p = os.tmpname()
        assert(ix:save(p))
        local back = assert(S.load_index(p))
        assert.same(ix:ids(), back:ids())
        local i1, s1 = ix:query({ 3, 1 }, 5)
        local i2, s2 = back:query({ 3, 1 }, 5)
        assert.same(i1, i2)
        assert.same(s1, s2)
        -- corruption and versions are caught
        local f = io.open(p, "rb")
        local data = f:read("*a")
        f:close()
        local function try(bytes)
          local g = io.open(p, "wb")
          g:write(bytes)
          g:close()
          return { S.load_index(p) }
        end
        local flipped = data:sub(1, 40) .. string.char((data:byte(41) + 1) % 256) .. data:sub(42)
        assert.same({ nil, p .. ": checksum mismatch (the file is corrupt)", "EPARSE" }, try(flipped))
        assert.same({ nil, p .. ": format version 2 is not supported (this build reads 1)", "EVERSION" },
          try(data:sub(1, 8) .. "\2" .. data:sub(10)))
        assert.same({ nil, p .. ": not a victor embedding index (bad magic)", "EPARSE" }, try("nope"))
        os.remove(p)
      end)
    end)
  end

  it("hash_embed gives the same bits on every backend, unit rows, sensible ranks", function()
    local texts = { "Read a file from disk", "write FILE to disk", "git commit -m 'fix'", "", "Ünïcode wörds ok",
      "search the web for HTTP APIs", "run the unit tests with pytest" }
    local first
    for _, b in ipairs(backends) do
      local S = b.mod
      local m = S.hash_embed(texts, { dim = 97 })
      local t = m:to_table()
      if first then assert.same(first, t) else first = t end
      for i, row in ipairs(t) do
        local ss = 0
        for _, v in ipairs(row) do ss = ss + v * v end
        if texts[i] == "" then assert.equal(0, ss) else close_to(1, ss, 1e-5, texts[i]) end
      end
      local tools = S.hash_embed({ "read_file: read a file from the disk", "git_commit: commit staged changes",
        "web_search: search the web", "run_tests: run the test suite" })
      assert.same({ 2 }, (S.top_k(S.hash_embed("please commit my changes to git"), tools, 1)))
      assert.same({ 4 }, (S.top_k(S.hash_embed("run the tests"), tools, 1)))
      local one = S.hash_embed("x", { dim = 8, word_ngrams = 1, char_min = 0 })
      assert.same({ 1, 8 }, { one:shape() })
      raises("bad argument #2 to 'hash_embed' (bad character n-gram range)", S.hash_embed, "x",
        { char_min = 4, char_max = 3 })
    end
  end)

  it("backs the `similar` command", function()
    local cmd = require "victor.cmd.similar"
    local p = os.tmpname()
    local f = io.open(p, "wb")
    f:write("read a file from the disk\n\n---\ncommit staged changes to git\nsearch the web\n")
    f:close()
    local out, err = {}, {}
    local function o(s) out[#out + 1] = s end
    local function e(s) err[#err + 1] = s end
    assert.equal(0, cmd.run({ "git commit", p, "--top", "1" }, o, e))
    assert.equal("", table.concat(err))
    assert.truthy(table.concat(out):match("^0%.%d+\t4\tcommit staged changes to git\n$"), table.concat(out))
    out = {}
    assert.equal(2, cmd.run({ "...", p }, o, e))
    assert.equal("victor-lua: similar: the query has no words\n", table.concat(err))
    os.remove(p)
  end)

  if similarity.backend == "native" then
    describe("SIMD backends", function()
      local saved = similarity.simd()
      after_each(function() similarity.set_simd(saved) end)

      it("lists avx2 or sse2, and selects each", function()
        local list = similarity.simd_supported()
        assert.truthy(#list >= 2)
        for _, name in ipairs(list) do
          assert(similarity.set_simd(name))
          assert.equal(name, similarity.simd())
        end
      end)

      it("every backend equals the reference within 1e-5, threads give identical results", function()
        local r = rng(777)
        local shapes = { { 5, 3 }, { 17, 260 }, { 384, 500 }, { 33, 1000 }, { 7, 64 }, { 100, 97 } }
        for _, name in ipairs(similarity.simd_supported()) do
          assert(similarity.set_simd(name))
          for _, sh in ipairs(shapes) do
            local dim, n = sh[1], sh[2]
            local rows = random_rows(r, n, dim)
            local qs = random_rows(r, 6, dim)
            local M = assert(similarity.matrix(rows))
            local Q = assert(similarity.matrix(qs))
            local res = assert(similarity.batch_top_k(Q, M, 7, { threads = 1 }))
            local res2 = assert(similarity.batch_top_k(Q, M, 7, { threads = 2 }))
            assert.same(res, res2)
            for qi = 1, #qs do
              check_top(qs[qi], rows, 7, res[qi].indices, res[qi].scores,
                string.format("%s dim %d n %d q %d", name, dim, n, qi))
            end
            local sm = assert(similarity.similarity_matrix(Q, M))
            for qi = 1, #qs do
              for j = 1, n, 7 do close_to(ref_cos(qs[qi], rows[j]), sm:get(qi, j), TOL, name .. " matrix") end
            end
          end
        end
      end)

      it("scores float16 and int8 matrices close to float32, on every backend", function()
        local r = rng(99)
        local rows = random_rows(r, 300, 45)
        local qs = random_rows(r, 3, 45)
        local M = assert(similarity.matrix(rows))
        for _, kind in ipairs({ "f16", "int8" }) do
          local qm = assert(similarity.quantize(M, kind))
          assert.equal(kind, qm:kind())
          assert.same({ 300, 45 }, { qm:shape() })
          local eps = kind == "f16" and 2e-3 or 2e-2
          for _, name in ipairs(similarity.simd_supported()) do
            assert(similarity.set_simd(name))
            local res = assert(similarity.batch_top_k(qs, qm, 300))
            for qi = 1, #qs do
              assert.equal(300, #res[qi].indices)
              for e = 1, 300, 13 do
                close_to(ref_cos(qs[qi], rows[res[qi].indices[e]]), res[qi].scores[e], eps, kind .. " " .. name)
              end
            end
          end
          similarity.set_simd(saved)
          qm:close()
        end
        assert.same({ nil, "row 2 is a zero vector", "EZERO" },
          { similarity.top_k({ 1, 0 }, similarity.quantize(similarity.matrix({ { 1, 1 }, { 0, 0 } }), "int8")) })
      end)

      it("gives dot and cosine of two 1-row matrices through the FFI, as the C binding does", function()
        local C = require "victor.core.similarity"
        local r = rng(31)
        for _, name in ipairs(similarity.simd_supported()) do
          assert(similarity.set_simd(name))
          for _, dim in ipairs({ 1, 3, 8, 17, 384, 1000 }) do
            local rows = random_rows(r, 4, dim)
            local m = assert(similarity.matrix(rows))
            local a, b = assert(similarity.matrix({ rows[1] })), m:slice(3)  -- a matrix, a row view
            assert.equal(C.dot(a, b), similarity.dot(a, b))
            assert.equal(C.cosine(a, b), similarity.cosine(a, b))
            close_to(ref_cos(rows[1], rows[3]), similarity.cosine(a, b), TOL, name)
          end
        end
        -- what the FFI path hands to the C binding, with its exact results and errors
        local a, z = similarity.matrix({ { 1, 2, 3 } }), similarity.matrix({ { 0, 0, 0 } })
        assert.same({ nil, "the second vector is zero", "EZERO" }, { similarity.cosine(a, z) })
        assert.same({ nil, "the first vector is zero", "EZERO" }, { similarity.cosine(z, a) })
        assert.same({ nil, "dimension mismatch: query has 3, matrix has 2", "EDIM" },
          { similarity.dot(a, similarity.matrix({ { 1, 2 } })) })
        raises("bad argument #2 to 'dot' (a vector (table or 1-row Matrix) expected)",
          function() similarity.dot(a, similarity.matrix({ { 1, 2, 3 }, { 4, 5, 6 } })) end)
        assert.equal(32, similarity.dot(a, { 4, 5, 6 }))
        local c = similarity.matrix({ { 4, 5, 6 } })
        assert.equal(32, similarity.dot(a, c))
        c:close()
        assert.has_error(function() similarity.dot(a, c) end, "Matrix is closed")
        assert.has_error(function() similarity.cosine(c, a) end, "Matrix is closed")
      end)

      it("has FFI fast paths for dot and cosine on row pointers", function()
        local ffi = require "ffi"
        local K = assert(similarity.ffi_kernels())
        local m = similarity.matrix({ { 1, 2, 3 }, { 4, 5, 6 }, { 0, 0, 0 } })
        local p = ffi.cast("const float *", m:ptr())
        local s = m:stride()
        assert.equal(32, K.dot(p, p + s, s))
        close_to(32 / math.sqrt(14 * 77), K.cosine(p, p + s, s), 1e-6)
        assert.same({ nil, "a vector is zero", "EZERO" }, { K.cosine(p, p + 2 * s, s) })
      end)

      it("has an FFI pointer to 64-byte aligned, padded rows", function()
        local ffi = require "ffi"
        local m = similarity.matrix({ { 1, 2, 3 }, { 4, 5, 6 } })
        assert.equal(16, m:stride())
        local p = ffi.cast("float *", m:ptr())
        assert.equal(0, tonumber(ffi.cast("uintptr_t", p)) % 64)
        assert.equal(5, p[16 + 1])
        assert.equal(0, p[3])
        p[16] = 44
        assert.equal(44, m:get(2, 1))
      end)
    end)
  end
end)
