package.path = "./lua/?.lua;" .. package.path
-- luacheck: globals describe it assert

local ffi = require("ffi")
local bit = require("bit")
local xxh3 = require("victor.xxh3")

-- Reference implementation: the system libxxhash via FFI.
local function decl(s) pcall(ffi.cdef, s) end
decl("typedef struct { uint64_t low64; uint64_t high64; } XXH128_hash_t;")
decl("uint64_t XXH3_64bits(const void *data, size_t len);")
decl("XXH128_hash_t XXH3_128bits(const void *data, size_t len);")

local lib
do
  local ok, l = pcall(ffi.load, "xxhash")
  if not ok then l = ffi.load("libxxhash.so.0") end
  lib = l
end

local function ref64(s) return bit.tohex(lib.XXH3_64bits(s, #s), 16) end
local function ref128(s)
  local h = lib.XXH3_128bits(s, #s)
  return bit.tohex(h.high64, 16) .. bit.tohex(h.low64, 16)
end
local function ref_low128(s) return bit.tohex(lib.XXH3_128bits(s, #s).low64, 16) end

-- Deterministic byte source: xorshift32 with a fixed seed.
local function random_bytes(n, seed)
  local x = seed
  local t = {}
  for i = 1, n do
    x = bit.bxor(x, bit.lshift(x, 13))
    x = bit.bxor(x, bit.rshift(x, 17))
    x = bit.bxor(x, bit.lshift(x, 5))
    t[i] = string.char(bit.band(x, 0xff))
  end
  return table.concat(t)
end

local POOL = random_bytes(4096, 0x2545F491)

local function check_all(s, label)
  assert.are.equal(ref64(s), xxh3.hash64(s), "hash64 " .. label)
  assert.are.equal(ref128(s), xxh3.hash128(s), "hash128 " .. label)
  assert.are.equal(ref_low128(s), xxh3.hash64_low128(s), "hash64_low128 " .. label)
end

describe("victor.xxh3", function()
  it("matches known answers", function()
    assert.are.equal("2d06800538d394c2", xxh3.hash64(""))
    local known = {
      ['read_file:path="/test.py"'] = "d75af56aab2f905f",
      ['test_tool:arg="value"'] = "55188479b4146d17",
      ["t:"] = "8762895ce2dfbffd",
      ["t:x=1"] = "a432cb0987c03e39",
      ['read_file:limit=500,offset=100,path="/test/file.py"'] = "3723723d7e9e29a6",
    }
    for s, want in pairs(known) do
      assert.are.equal(want, xxh3.hash64_low128(s), s)
      assert.are.equal(want, xxh3.hash128(s):sub(17), s)
    end
  end)

  it("returns lowercase zero-padded hex of the right width", function()
    for n = 0, 300, 7 do
      local s = POOL:sub(1, n)
      assert.truthy(xxh3.hash64(s):match("^[0-9a-f]+$"))
      assert.are.equal(16, #xxh3.hash64(s))
      assert.are.equal(32, #xxh3.hash128(s))
      assert.are.equal(16, #xxh3.hash64_low128(s))
    end
  end)

  it("matches libxxhash for every length 0..1100", function()
    for n = 0, 1100 do
      local off = (n * 37) % 2900
      check_all(POOL:sub(off + 1, off + n), "len " .. n)
    end
  end)

  it("matches libxxhash on long inputs", function()
    for _, n in ipairs({ 2047, 2048, 2049, 5000, 70000, 131073 }) do
      check_all(random_bytes(n, n * 2654435761 % 0x7fffffff + 1), "len " .. n)
    end
  end)

  it("matches libxxhash on all-0x00 and all-0xff inputs", function()
    for _, n in ipairs({ 0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 1024, 1025, 5000 }) do
      check_all(string.rep("\0", n), "zeros " .. n)
      check_all(string.rep("\255", n), "ones " .. n)
    end
  end)

  it("raises argument errors naming the function", function()
    assert.has_error(function() xxh3.hash64(nil) end,
      "bad argument #1 to 'hash64' (string expected, got nil)")
    assert.has_error(function() xxh3.hash64() end,
      "bad argument #1 to 'hash64' (string expected, got nil)")
    assert.has_error(function() xxh3.hash128(42) end,
      "bad argument #1 to 'hash128' (string expected, got number)")
    assert.has_error(function() xxh3.hash64_low128({}) end,
      "bad argument #1 to 'hash64_low128' (string expected, got table)")
  end)
end)
