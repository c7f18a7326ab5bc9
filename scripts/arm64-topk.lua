-- arm64-topk.lua: victor.similarity top-k with the scalar reference and the SIMD backend (NEON through
-- SIMDe on arm64), same rows and queries: indices must match, scores within 1e-5. Relative CPU time only
-- (under qemu an absolute time means nothing). Run (after make test-arm64, which writes build/arm64/qemu-bin):
--   LUA_PATH="./lua/?.lua;./build/arm64/gen/lua/?.lua;;" LUA_CPATH="./build/arm64/lib/?.so;;" \
--     build/arm64/qemu-bin/luajit scripts/arm64-topk.lua
local sim = require "victor.similarity"
local r = 12345
local function rnd() r = (r * 1103515245 + 12345) % 2147483648; return r / 2147483648 - 0.5 end
local n, dim, rows = 20000, 384, {}
for i = 1, n do local t = {} for j = 1, dim do t[j] = rnd() end rows[i] = t end
local M = assert(sim.matrix(rows))
local qs = {}
for i = 1, 8 do local t = {} for j = 1, dim do t[j] = rnd() end qs[i] = t end
local res, tm = {}, {}
local fast = sim.simd()
for _, b in ipairs({ "scalar", fast }) do
  assert(sim.set_simd(b))
  local t0 = os.clock()
  local out = {}
  for i = 1, #qs do local idx, sc = sim.top_k(qs[i], M, 10, { threads = 1 }); out[i] = { idx, sc } end
  tm[b] = os.clock() - t0
  res[b] = out
end
local same, maxd = true, 0
for i = 1, #qs do
  for k = 1, 10 do
    if res.scalar[i][1][k] ~= res[fast][i][1][k] then same = false end
    maxd = math.max(maxd, math.abs(res.scalar[i][2][k] - res[fast][i][2][k]))
  end
end
print(string.format("%s: simd=%s top-10 of 8 queries over %dx%d: indices identical=%s, "
  .. "max |score diff|=%.2g, scalar/%s CPU time ratio %.1fx",
  jit.arch, fast, n, dim, tostring(same), maxd, fast, tm.scalar / tm[fast]))
assert(same and maxd <= 1e-5, "the SIMD backend disagrees with the scalar reference")
