-- victor.xxh3: pure-LuaJIT XXH3-64 / XXH3-128 (seed 0, default secret).
--
-- Fallback backend used when the C module is unavailable. Results are
-- bit-identical to libxxhash's XXH3_64bits / XXH3_128bits. All 64-bit
-- arithmetic is done on LuaJIT uint64_t cdata (wrapping add/mul, bit.*);
-- the 64x64->128 product is assembled from 32-bit halves.

local ffi = require("ffi")
local bit = require("bit")

local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local lshift, rshift, rol, bswap = bit.lshift, bit.rshift, bit.rol, bit.bswap
local tohex = bit.tohex
local cast = ffi.cast
local floor = math.floor
local type, error, format = type, error, string.format

local M = {}

local u64 = ffi.typeof("uint64_t")
local u8p = ffi.typeof("const uint8_t *")
local u32p = ffi.typeof("const uint32_t *")
local u64p = ffi.typeof("const uint64_t *")
local LITTLE = ffi.abi("le")

local M32 = 0xFFFFFFFFULL

local P32_1 = 0x9E3779B1ULL
local P32_2 = 0x85EBCA77ULL
local P32_3 = 0xC2B2AE3DULL
local P64_1 = 0x9E3779B185EBCA87ULL
local P64_2 = 0xC2B2AE3D27D4EB4FULL
local P64_3 = 0x165667B19E3779F9ULL
local P64_4 = 0x85EBCA77C2B2AE63ULL
local P64_5 = 0x27D4EB2F165667C5ULL
local AVAL = 0x165667919E3779F9ULL
local RRMX = 0x9FB21C651E98DF25ULL

-- Default 192-byte secret (from FARSH).
local SECRET_SIZE = 192
local secret = ffi.new("uint8_t[?]", SECRET_SIZE, {
  0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
  0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
  0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
  0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
  0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
  0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
  0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
  0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
  0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
  0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
  0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
  0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
})
-- Keep the array itself (not a cast pointer) so the cdata stays anchored.
local secp = secret

-- Little-endian loads at a byte offset from a byte pointer.
local rd64, rd32
if LITTLE then
  rd64 = function(p, off) return cast(u64p, p + off)[0] end
  -- returns a non-negative Lua number
  rd32 = function(p, off) return cast(u32p, p + off)[0] end
else
  rd64 = function(p, off) return bswap(cast(u64p, p + off)[0]) end
  rd32 = function(p, off)
    return p[off] + p[off + 1] * 0x100 + p[off + 2] * 0x10000 + p[off + 3] * 0x1000000
  end
end

-- 64x64 -> 128 multiply from four 32x32 -> 64 partial products.
-- Returns low64, high64.
local function mul128(a, b)
  local alo, ahi = band(a, M32), rshift(a, 32)
  local blo, bhi = band(b, M32), rshift(b, 32)
  local ll = alo * blo
  local hl = ahi * blo
  local lh = alo * bhi
  local hh = ahi * bhi
  local mid = rshift(ll, 32) + band(hl, M32) + lh
  local hi = rshift(hl, 32) + rshift(mid, 32) + hh
  local lo = bor(lshift(mid, 32), band(ll, M32))
  return lo, hi
end

local function mul128_fold(a, b)
  local lo, hi = mul128(a, b)
  return bxor(lo, hi)
end

local function xxh64_avalanche(h)
  h = bxor(h, rshift(h, 33)) * P64_2
  h = bxor(h, rshift(h, 29)) * P64_3
  return bxor(h, rshift(h, 32))
end

local function avalanche(h)
  h = bxor(h, rshift(h, 37)) * AVAL
  return bxor(h, rshift(h, 32))
end

local function rrmxmx(h, len)
  h = bxor(h, rol(h, 49), rol(h, 24)) * RRMX
  h = bxor(h, rshift(h, 35) + len) * RRMX
  return bxor(h, rshift(h, 28))
end

-- Mix 16 input bytes at p+ioff with 16 secret bytes at soff (seed 0).
local function mix16(p, ioff, soff)
  return mul128_fold(bxor(rd64(p, ioff), rd64(secp, soff)),
                     bxor(rd64(p, ioff + 8), rd64(secp, soff + 8)))
end

-- Secret-derived constants for the short paths.
local S_1TO3_LO = u64(bxor(rd32(secp, 0), rd32(secp, 4)) % 0x100000000)
local S_1TO3_HI = u64(bxor(rd32(secp, 8), rd32(secp, 12)) % 0x100000000)
local S_EMPTY64 = bxor(rd64(secp, 56), rd64(secp, 64))
local S_EMPTY128_LO = bxor(rd64(secp, 64), rd64(secp, 72))
local S_EMPTY128_HI = bxor(rd64(secp, 80), rd64(secp, 88))

-- Packs the 1..3 byte input into a 32-bit value (as a Lua number).
local function combine_1to3(p, len)
  local c1, c2, c3 = p[0], p[rshift(len, 1)], p[len - 1]
  return c1 * 0x10000 + c2 * 0x1000000 + c3 + len * 0x100
end

---------------------------------------------------------------------------
-- Long inputs (> 240 bytes): striped accumulation over 8 lanes.
---------------------------------------------------------------------------

local STRIPE = 64
local STRIPES_PER_BLOCK = (SECRET_SIZE - STRIPE) / 8   -- 16
local BLOCK = STRIPE * STRIPES_PER_BLOCK               -- 1024
local SCRAMBLE_OFF = SECRET_SIZE - STRIPE              -- 128
local LASTACC_OFF = SECRET_SIZE - STRIPE - 7           -- 121
local MERGE_OFF = 11

local acc = ffi.new("uint64_t[8]")

local function stripe(p, ioff, soff)
  for i = 0, 6, 2 do
    local d0 = rd64(p, ioff + 8 * i)
    local d1 = rd64(p, ioff + 8 * i + 8)
    local k0 = bxor(d0, rd64(secp, soff + 8 * i))
    local k1 = bxor(d1, rd64(secp, soff + 8 * i + 8))
    acc[i] = acc[i] + d1 + band(k0, M32) * rshift(k0, 32)
    acc[i + 1] = acc[i + 1] + d0 + band(k1, M32) * rshift(k1, 32)
  end
end

local function scramble()
  for i = 0, 7 do
    local a = acc[i]
    acc[i] = bxor(a, rshift(a, 47), rd64(secp, SCRAMBLE_OFF + 8 * i)) * P32_1
  end
end

local function merge(soff, start)
  local r = start
  for i = 0, 3 do
    r = r + mul128_fold(bxor(acc[2 * i], rd64(secp, soff + 16 * i)),
                        bxor(acc[2 * i + 1], rd64(secp, soff + 16 * i + 8)))
  end
  return avalanche(r)
end

-- Runs the accumulation loop over the whole input, leaving state in `acc`.
local function hash_long(p, len)
  acc[0], acc[1], acc[2], acc[3] = P32_3, P64_1, P64_2, P64_3
  acc[4], acc[5], acc[6], acc[7] = P64_4, P32_2, P64_5, P32_1
  local nb_blocks = floor((len - 1) / BLOCK)
  for b = 0, nb_blocks - 1 do
    local base = b * BLOCK
    for n = 0, STRIPES_PER_BLOCK - 1 do
      stripe(p, base + n * STRIPE, n * 8)
    end
    scramble()
  end
  local base = nb_blocks * BLOCK
  local nstripes = floor((len - 1 - base) / STRIPE)
  for n = 0, nstripes - 1 do
    stripe(p, base + n * STRIPE, n * 8)
  end
  stripe(p, len - STRIPE, LASTACC_OFF)
end

---------------------------------------------------------------------------
-- XXH3-64
---------------------------------------------------------------------------

local function xxh3_64(s)
  local len = #s
  local p = cast(u8p, s)
  if len <= 16 then
    if len > 8 then
      local lo = bxor(rd64(p, 0), rd64(secp, 24), rd64(secp, 32))
      local hi = bxor(rd64(p, len - 8), rd64(secp, 40), rd64(secp, 48))
      return avalanche(len + bswap(lo) + hi + mul128_fold(lo, hi))
    elseif len >= 4 then
      local in1, in2 = rd32(p, 0), rd32(p, len - 4)
      local v = lshift(u64(in1), 32) + in2
      return rrmxmx(bxor(v, rd64(secp, 8), rd64(secp, 16)), len)
    elseif len > 0 then
      return xxh64_avalanche(bxor(u64(combine_1to3(p, len)), S_1TO3_LO))
    end
    return xxh64_avalanche(S_EMPTY64)
  elseif len <= 128 then
    local h = len * P64_1
    if len > 32 then
      if len > 64 then
        if len > 96 then
          h = h + mix16(p, 48, 96) + mix16(p, len - 64, 112)
        end
        h = h + mix16(p, 32, 64) + mix16(p, len - 48, 80)
      end
      h = h + mix16(p, 16, 32) + mix16(p, len - 32, 48)
    end
    h = h + mix16(p, 0, 0) + mix16(p, len - 16, 16)
    return avalanche(h)
  elseif len <= 240 then
    local h = len * P64_1
    for i = 0, 7 do
      h = h + mix16(p, 16 * i, 16 * i)
    end
    h = avalanche(h)
    for i = 8, floor(len / 16) - 1 do
      h = h + mix16(p, 16 * i, 16 * (i - 8) + 3)
    end
    h = h + mix16(p, len - 16, 136 - 17)
    return avalanche(h)
  end
  hash_long(p, len)
  return merge(MERGE_OFF, len * P64_1)
end

---------------------------------------------------------------------------
-- XXH3-128 (returns low64, high64)
---------------------------------------------------------------------------

-- One 32-byte round of the 17..240 byte paths (seed 0, so the seed terms vanish).
local function mix32(lo, hi, p, off1, off2, soff)
  lo = bxor(lo + mix16(p, off1, soff), rd64(p, off2) + rd64(p, off2 + 8))
  hi = bxor(hi + mix16(p, off2, soff + 16), rd64(p, off1) + rd64(p, off1 + 8))
  return lo, hi
end

local function finish_mid128(lo, hi, len)
  local l = avalanche(lo + hi)
  local h = lo * P64_1 + hi * P64_4 + len * P64_2
  return l, 0 - avalanche(h)
end

local function xxh3_128(s)
  local len = #s
  local p = cast(u8p, s)
  if len <= 16 then
    if len > 8 then
      local flipl = bxor(rd64(secp, 32), rd64(secp, 40))
      local fliph = bxor(rd64(secp, 48), rd64(secp, 56))
      local in_lo = rd64(p, 0)
      local in_hi = rd64(p, len - 8)
      local mlo, mhi = mul128(bxor(in_lo, in_hi, flipl), P64_1)
      mlo = mlo + lshift(u64(len - 1), 54)
      in_hi = bxor(in_hi, fliph)
      mhi = mhi + in_hi + band(in_hi, M32) * (P32_2 - 1)
      mlo = bxor(mlo, bswap(mhi))
      local hlo, hhi = mul128(mlo, P64_2)
      hhi = hhi + mhi * P64_2
      return avalanche(hlo), avalanche(hhi)
    elseif len >= 4 then
      local in_lo, in_hi = rd32(p, 0), rd32(p, len - 4)
      local v = lshift(u64(in_hi), 32) + in_lo
      local keyed = bxor(v, rd64(secp, 16), rd64(secp, 24))
      local mlo, mhi = mul128(keyed, P64_1 + len * 4)
      mhi = mhi + lshift(mlo, 1)
      mlo = bxor(mlo, rshift(mhi, 3))
      mlo = bxor(mlo, rshift(mlo, 35)) * RRMX
      mlo = bxor(mlo, rshift(mlo, 28))
      return mlo, avalanche(mhi)
    elseif len > 0 then
      local cl = combine_1to3(p, len)
      local ch = rol(bswap(cl), 13) % 0x100000000
      return xxh64_avalanche(bxor(u64(cl), S_1TO3_LO)),
             xxh64_avalanche(bxor(u64(ch), S_1TO3_HI))
    end
    return xxh64_avalanche(S_EMPTY128_LO), xxh64_avalanche(S_EMPTY128_HI)
  elseif len <= 128 then
    local lo, hi = len * P64_1, u64(0)
    if len > 32 then
      if len > 64 then
        if len > 96 then
          lo, hi = mix32(lo, hi, p, 48, len - 64, 96)
        end
        lo, hi = mix32(lo, hi, p, 32, len - 48, 64)
      end
      lo, hi = mix32(lo, hi, p, 16, len - 32, 32)
    end
    lo, hi = mix32(lo, hi, p, 0, len - 16, 0)
    return finish_mid128(lo, hi, len)
  elseif len <= 240 then
    local lo, hi = len * P64_1, u64(0)
    for i = 0, 3 do
      lo, hi = mix32(lo, hi, p, 32 * i, 32 * i + 16, 32 * i)
    end
    lo, hi = avalanche(lo), avalanche(hi)
    for i = 4, floor(len / 32) - 1 do
      lo, hi = mix32(lo, hi, p, 32 * i, 32 * i + 16, 3 + 32 * (i - 4))
    end
    lo, hi = mix32(lo, hi, p, len - 16, len - 32, 136 - 17 - 16)
    return finish_mid128(lo, hi, len)
  end
  hash_long(p, len)
  return merge(MERGE_OFF, len * P64_1),
         merge(SECRET_SIZE - 64 - MERGE_OFF, bnot(len * P64_2))
end

---------------------------------------------------------------------------
-- Public API
---------------------------------------------------------------------------

local function check(s, name)
  if type(s) ~= "string" then
    error(format("bad argument #1 to '%s' (string expected, got %s)", name, type(s)), 0)
  end
end

--- XXH3-64 of `s` (seed 0) as 16 lowercase hex digits.
---@param s string
---@return string
function M.hash64(s)
  check(s, "hash64")
  return tohex(xxh3_64(s), 16)
end

--- XXH3-128 of `s` (seed 0) in canonical form: high 64 bits then low 64 bits,
--- 32 lowercase hex digits (as printed by `xxhsum -H2`).
---@param s string
---@return string
function M.hash128(s)
  check(s, "hash128")
  local lo, hi = xxh3_128(s)
  return tohex(hi, 16) .. tohex(lo, 16)
end

--- Low 64 bits of XXH3-128 of `s` (seed 0) as 16 lowercase hex digits.
---@param s string
---@return string
function M.hash64_low128(s)
  check(s, "hash64_low128")
  local lo = xxh3_128(s)
  return tohex(lo, 16)
end

return M
