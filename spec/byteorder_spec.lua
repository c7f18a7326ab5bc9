-- byteorder_spec.lua: the files victor-lua writes (.npy, the embedding index, the HNSW index)
-- are little-endian whatever the host, and a file written on one architecture loads on another.
-- scripts/test-arm64.sh runs this spec on x86_64 and on arm64 (qemu): VL_XARCH_WRITE=DIR writes
-- this architecture's files there, VL_XARCH_READ=DIR loads the other's and compares them with
-- what this one writes: the .npy bytes are identical; the indexes hold rows normalised by the
-- backend that wrote them (the pure-Lua fallback's can differ in the last bit), so they are
-- compared by what they answer.
local sim = require "victor.similarity"
local rng = require "support.rng"

-- the same rows on every architecture: 23 x 19 floats exactly representable in float32
local function rows()
  local r, t = rng(4242), {}
  for i = 1, 23 do
    local row = {}
    for j = 1, 19 do row[j] = (r(8193) - 4096) / 512 end
    t[i] = row
  end
  return t
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- write every format into dir; returns { name = path }
local function write_all(dir)
  local M = assert(sim.matrix(rows()))
  local out = { npy = dir .. "/rows.npy", idx = dir .. "/rows.idx" }
  assert(M:save_npy(out.npy))
  local ix = sim.index(19)
  for i, row in ipairs(rows()) do ix:add("row" .. i, row) end
  assert(ix:save(out.idx))
  if sim.backend == "native" then
    out.hnsw = dir .. "/rows.hnsw"
    assert(assert(sim.hnsw(M, { m = 4, ef_construction = 16 })):save(out.hnsw))
  end
  return out
end

local function u32le(s, at)
  local a, b, c, d = s:byte(at, at + 3)
  return a + b * 256 + c * 65536 + d * 16777216
end

describe("file byte order", function()
  local tmp
  before_each(function()
    tmp = os.tmpname()
    os.remove(tmp)
    os.execute("mkdir -p '" .. tmp .. "'")
  end)
  after_each(function() os.execute("rm -rf '" .. tmp .. "'") end)

  it("writes little-endian fields on this host", function()
    local f = write_all(tmp)
    local npy = read(f.npy)
    assert.truthy(npy:find("'descr': '<f4'", 1, true), npy:sub(1, 80))
    local idx = read(f.idx)
    assert.equal("VLEMBIDX", idx:sub(1, 8))
    assert.equal(sim.INDEX_VERSION, u32le(idx, 9))
    assert.equal(19, u32le(idx, 13))
    assert.equal(23, u32le(idx, 17))
    if f.hnsw then
      local h = read(f.hnsw)
      assert.equal("VLHNSW", h:sub(1, 6))
      assert.equal(1, u32le(h, 9))              -- format version
      assert.equal("\4\3\2\1", h:sub(13, 16))  -- the byte-order mark 0x01020304, little-endian
    end
  end)

  local wdir, rdir = os.getenv("VL_XARCH_WRITE"), os.getenv("VL_XARCH_READ")
  if wdir then
    it("writes this architecture's files for the other (" .. wdir .. ")", function()
      os.execute("mkdir -p '" .. wdir .. "'")
      write_all(wdir)
    end)
  end
  if rdir then
    it("loads the other architecture's files (" .. rdir .. ") and they equal this one's", function()
      local mine = write_all(tmp)
      local ref = assert(sim.matrix(rows()))
      local M = assert(sim.load_npy(rdir .. "/rows.npy"))
      assert.same(ref:to_table(), M:to_table())
      assert.equal(read(mine.npy), read(rdir .. "/rows.npy"))
      local ix = assert(sim.load_index(rdir .. "/rows.idx"))
      local mix = assert(sim.load_index(mine.idx))
      for i, row in ipairs(rows()) do
        local ids, sc = ix:query(row, 3)
        local mids, msc = mix:query(row, 3)
        assert.equal("row" .. i, ids[1])
        assert.same(mids, ids)
        for j = 1, 3 do assert.near(msc[j], sc[j], 1e-5) end
      end
      assert.equal(read(mine.idx):sub(1, 20), read(rdir .. "/rows.idx"):sub(1, 20))
      if mine.hnsw then
        local H = assert(sim.load_hnsw(rdir .. "/rows.hnsw"))
        local MH = assert(sim.load_hnsw(mine.hnsw))
        assert.same(MH:info(), H:info())
        for i, row in ipairs(rows()) do
          local ai = H:query(row, 3)
          assert.equal(i, ai[1])
          assert.same(MH:query(row, 3), ai)
        end
      end
    end)
  end
end)
