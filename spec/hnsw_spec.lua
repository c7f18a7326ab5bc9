-- hnsw_spec.lua: approximate search (victor.similarity.hnsw, core/hnsw.c): recall
-- against exact search, determinism, save/load, damaged files, errors.
local sim = require "victor.similarity"
local raises = require "support.raises"
local proc = require "support.proc"

-- MINSTD, so that the data is the same everywhere
local function rng(seed)
  local s = seed
  return function()
    s = s * 48271 % 2147483647
    return s / 2147483647
  end
end

-- n rows of dim values around nc centres (noise: the spread around a centre)
local function clustered(n, dim, nc, noise, seed)
  local u = rng(seed)
  local cen = {}
  for c = 1, nc do
    cen[c] = {}
    for d = 1, dim do cen[c][d] = u() * 2 - 1 end
  end
  local rows = {}
  for i = 1, n do
    local c, r = cen[(i * 7919) % nc + 1], {}
    for d = 1, dim do r[d] = c[d] + noise * (u() * 2 - 1) end
    rows[i] = r
  end
  return rows
end

local function overlap(a, b)
  local set, hit = {}, 0
  for _, x in ipairs(a) do set[x] = true end
  for _, x in ipairs(b) do if set[x] then hit = hit + 1 end end
  return hit
end

describe("victor.similarity.hnsw", function()
  it("raises on misuse", function()
    raises("bad argument #1 to 'hnsw' (Matrix or table expected, got number)", sim.hnsw, 1)
    raises("bad argument #2 to 'hnsw' (unknown option 'M')", sim.hnsw, { { 1 } }, { M = 4 })
    raises("bad argument #2 to 'hnsw' (m must be from 2 to 256)", sim.hnsw, { { 1 } }, { m = 1 })
    raises("bad argument #2 to 'hnsw' (ef_construction must be from 1 to 65536)", sim.hnsw, { { 1 } },
      { ef_construction = 0 })
    raises("bad argument #1 to 'load_hnsw' (string expected, got nil)", sim.load_hnsw)
  end)

  if sim.backend ~= "native" then
    it("says the fallback has no approximate search", function()
      local h, msg, code = sim.hnsw({ { 1, 2 } })
      assert.is_nil(h)
      assert.equal("approximate search needs the native backend", msg)
      assert.equal("ENOTSUP", code)
      h, msg, code = sim.load_hnsw("x.idx")
      assert.is_nil(h)
      assert.equal("approximate search needs the native backend", msg)
      assert.equal("ENOTSUP", code)
    end)
    return
  end

  local rows = clustered(3000, 24, 60, 0.35, 7)
  local queries = clustered(50, 24, 60, 0.35, 99)
  local M = assert(sim.matrix(rows))
  local Q = assert(sim.matrix(queries))
  local h = assert(sim.hnsw(M, { m = 12, ef_construction = 80, seed = 3 }))

  it("finds at least 95% of the exact top-10 at ef = 64", function()
    local exact = sim.batch_top_k(Q, M, 10)
    local got = h:batch_query(Q, 10, { ef = 64 })
    local hit = 0
    for i = 1, #queries do
      hit = hit + overlap(exact[i].indices, got[i].indices)
      for j = 2, #got[i].scores do -- best first, ties by index
        local a, b = got[i].scores[j - 1], got[i].scores[j]
        assert.is_true(a > b or (a == b and got[i].indices[j - 1] < got[i].indices[j]))
      end
    end
    assert.is_true(hit / (10 * #queries) >= 0.95, hit)
  end)

  it("is exact when the beam covers the whole graph", function()
    local small = assert(sim.matrix(clustered(200, 8, 5, 0.5, 11)))
    local hs = assert(sim.hnsw(small, { m = 8 }))
    for qi = 1, 10 do
      local q = queries[qi]
      local eq = { q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8] }
      local ei, es = sim.top_k(eq, small, 10)
      local ai, as = hs:query(eq, 10, { ef = 200 })
      assert.equal(10, overlap(ei, ai))
      for j = 1, 10 do assert.is_true(math.abs(es[j] - as[j]) < 1e-5) end
    end
  end)

  it("is deterministic: same build, same results, any thread count", function()
    local h2 = assert(sim.hnsw(M, { m = 12, ef_construction = 80, seed = 3 }))
    local a = h:batch_query(Q, 10, { ef = 32, threads = 1 })
    assert.same(a, h2:batch_query(Q, 10, { ef = 32, threads = 2 }))
    assert.same(a, h:batch_query(Q, 10, { ef = 32, threads = 2 }))
    local info = h:info()
    assert.same({ size = 3000, dim = 24, m = 12, m0 = 24, ef_construction = 80, max_level = info.max_level,
      memory = info.memory }, info)
    assert.is_true(info.memory > 3000 * 32 * 4)
  end)

  it("keeps k, min_score and small indexes straight", function()
    local i, s = h:query(queries[1], 0)
    assert.same({}, i)
    assert.same({}, s)
    i, s = h:query(queries[1], 5, { min_score = 0.99 })
    for _, v in ipairs(s) do assert.is_true(v >= 0.99) end
    assert.equal(#i, #s)
    local tiny = assert(sim.hnsw({ { 1, 0 }, { 0, 1 }, { 1, 1 } }))
    i, s = tiny:query({ 1, 0.1 }, 10)
    assert.same({ 1, 3, 2 }, i)
    assert.equal(3, #s)
    local empty = assert(sim.hnsw(sim.zeros(0, 4)))
    assert.same({}, (empty:query({ 1, 2, 3, 4 }, 3)))
  end)

  it("returns nil, msg, code for zero vectors and dimension mismatches", function()
    local r, msg, code = sim.hnsw({ { 1, 2 }, { 3, 4 }, { 0, 0 } })
    assert.is_nil(r)
    assert.equal("row 3 is a zero vector", msg)
    assert.equal("EZERO", code)
    r, msg, code = h:query({ 1, 2, 3 }, 5)
    assert.is_nil(r)
    assert.equal("dimension mismatch: query has 3, index has 24", msg)
    assert.equal("EDIM", code)
    local z = {}
    for d = 1, 24 do z[d] = 0 end
    r, msg, code = h:query(z, 5)
    assert.is_nil(r)
    assert.equal("query 1 is a zero vector", msg)
    assert.equal("EZERO", code)
    raises("bad argument #4 to 'query' (ef must be from 1 to 65536)", h.query, h, queries[1], 5, { ef = 0 })
    raises("bad argument #3 to 'query' (k must be a non-negative integer)", h.query, h, queries[1], -1)
    raises("bad argument #1 to 'query' (HNSW expected, got table)", h.query, {}, queries[1], 1)
  end)

  describe("files", function()
    local path = os.tmpname()
    teardown(function() os.remove(path) end)

    local read_all, write_all = proc.read_file, proc.write_file

    it("save and load give the same index", function()
      assert.is_true(h:save(path))
      local h2 = assert(sim.load_hnsw(path))
      assert.same(h:info(), h2:info())
      assert.same(h:batch_query(Q, 10, { ef = 48 }), h2:batch_query(Q, 10, { ef = 48 }))
      h2:close()
      h2:close()
      raises("HNSW is closed", h2.query, h2, queries[1], 1)
    end)

    it("refuses damaged files with a message", function()
      assert.is_true(h:save(path))
      local good = read_all(path)
      local function expect(bytes, why)
        write_all(path, bytes)
        local r, msg, code = sim.load_hnsw(path)
        assert.is_nil(r)
        assert.equal("'" .. path .. "' is not a valid HNSW index: " .. why, msg)
        assert.equal("EPARSE", code)
      end
      expect("XX" .. good:sub(3), "bad magic")
      expect(good:sub(1, 20), "truncated header")
      expect(good:sub(1, 80), "truncated")
      expect(good:sub(1, #good - 100), "wrong size")
      expect(good .. "x", "wrong size")
      local mid = math.floor(#good / 2)
      expect(good:sub(1, mid - 1) .. string.char((good:byte(mid) + 1) % 256) .. good:sub(mid + 1),
        "checksum mismatch")
      expect(good:sub(1, 8) .. "\2\0\0\0" .. good:sub(13), "unsupported format version")
      expect(good:sub(1, 12) .. "\1\2\3\4" .. good:sub(17), "wrong byte order")
      local r, msg, code = sim.load_hnsw(path .. ".missing")
      assert.is_nil(r)
      assert.equal("cannot read '" .. path .. ".missing': No such file or directory", msg)
      assert.equal("EIO", code)
      r, msg, code = h:save("/nonexistent-dir/x.idx")
      assert.is_nil(r)
      assert.equal("cannot write '/nonexistent-dir/x.idx': No such file or directory", msg)
      assert.equal("EIO", code)
    end)
  end)
end)
