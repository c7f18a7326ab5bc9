--- bench/simd_check.lua: which SIMD path the vector kernels take on this machine, whether each
--- agrees with its reference, and relative timings only (`make bench-arm64` runs it under
--- qemu-aarch64, where absolute times mean nothing).
--
-- Usage: LUA_PATH="./lua/?.lua;./bench/?.lua;BUILD/gen/lua/?.lua;;" LUA_CPATH="BUILD/lib/?.so;;" \
--          luajit bench/simd_check.lua
--   similarity    every backend of simd_supported() (on arm64: scalar and sse2, which SIMDe lowers
--                 to NEON) against the scalar one: top-10 of 20 queries over 4,000 x 384 unit rows
--                 (same indices, scores within 1e-5), batch_cosine (within 1e-5), normalize
--                 (within 1e-6); CPU time of the top-k pass relative to scalar.
--   dedup         native dedup and dedup_lines (the 16-byte normaliser and delimiter masks,
--                 NEON on arm64) == the pure-Lua fallback on 1 MB of text with repeats.
--   stream_filter native strip_thinking (SSE2 scans, NEON on arm64) == the fallback on 1 MB.
-- Prints one line per check and "simd_check: N passed, M failed"; exits 1 on a failure.
local native = require "victor.native"
local S = require "victor.similarity"
local D = require "victor.dedup"
local SF = require "victor.stream_filter"

local sfmt, clock = string.format, os.clock
local passed, failed = 0, 0

local function check(ok, what)
  if ok then passed = passed + 1 else failed = failed + 1 end
  print(sfmt("simd_check: %s %s", ok and "PASS" or "FAIL", what))
end

local function fallback_of(name)
  package.loaded[name] = nil
  native.force_fallback(true)
  local m = require(name)
  native.force_fallback(false)
  package.loaded[name] = nil
  return m
end

local function timed(fn)
  local t0 = clock()
  local a, b = fn()
  return clock() - t0, a, b
end

-- MINSTD unit rows, as bench/similarity_bench.lua makes them
local function rows(n, dim, seed)
  local t, s = {}, seed
  for r = 1, n do
    local row, ss = {}, 0
    for c = 1, dim do
      s = s * 48271 % 2147483647
      local v = s / 1073741823.5 - 1
      row[c] = v
      ss = ss + v * v
    end
    local inv = 1 / math.sqrt(ss)
    for c = 1, dim do row[c] = row[c] * inv end
    t[r] = row
  end
  return t
end

print(sfmt("simd_check: %s %s, victor.similarity backend %s, simd %s (supported: %s)", jit.os, jit.arch,
  S.backend, S.simd(), table.concat(S.simd_supported(), " ")))

-- ---- similarity: every SIMD backend against scalar -----------------------------------
if S.backend == "native" then
  local m = assert(S.matrix(rows(4000, 384, 11)))
  local qs = rows(20, 384, 12)
  local ref, ref_cos, ref_t
  local base = S.simd()
  for _, b in ipairs({ "scalar", unpack(S.simd_supported()) }) do
    if b ~= "scalar" or not ref then
      assert(S.set_simd(b))
      local t, res = timed(function()
        local out = {}
        for i = 1, #qs do out[i] = { S.top_k(qs[i], m, 10) } end
        return out
      end)
      local cos = S.batch_cosine(qs[1], m)
      if not ref then
        ref, ref_cos, ref_t = res, cos, t
      else
        local same, worst = true, 0
        for i = 1, #qs do
          for j = 1, 10 do
            if res[i][1][j] ~= ref[i][1][j] then same = false end
            worst = math.max(worst, math.abs(res[i][2][j] - ref[i][2][j]))
          end
        end
        local cworst = 0
        for j = 1, #cos do cworst = math.max(cworst, math.abs(cos[j] - ref_cos[j])) end
        check(same and worst <= 1e-5 and cworst <= 1e-5, sfmt(
          "similarity %s == scalar: top-10 of 20 queries over 4000 x 384 (max score diff %.1e), batch_cosine "
          .. "(max diff %.1e); top-k time %.2fx scalar's", b, worst, cworst, ref_t / math.max(t, 1e-9)))
        local a1 = assert(S.matrix(rows(300, 384, 13)))
        S.normalize(a1)
        assert(S.set_simd("scalar"))
        local a2 = assert(S.matrix(rows(300, 384, 13)))
        S.normalize(a2)
        local nworst = 0
        local t1, t2 = a1:to_table(), a2:to_table()
        for r = 1, 300, 37 do
          local x, y = t1[r], t2[r]
          for c = 1, 384 do nworst = math.max(nworst, math.abs(x[c] - y[c])) end
        end
        check(nworst <= 1e-6, sfmt("similarity %s normalize == scalar (max diff %.1e)", b, nworst))
      end
    end
  end
  assert(S.set_simd(base))
else
  check(false, "similarity: the native module did not load (" .. S.backend .. ")")
end

-- ---- dedup and stream_filter: native against the pure-Lua fallback ----------------------
local words = { "the", "parser", "returns", "a", "token", "when", "input", "ends", "Error:", "retry", "file",
  "src/main.c", "  ", "\t", "ÉTÉ", "naïve" }
local function text(bytes, seed)
  local parts, n, s = {}, 0, seed
  local para = {}
  while n < bytes do
    s = s * 48271 % 2147483647
    if s % 7 == 0 and #parts > 4 then
      para[#para + 1] = parts[#parts - s % 4] -- a repeated paragraph
    else
      local w = {}
      for i = 1, 8 + s % 30 do
        s = s * 48271 % 2147483647
        w[i] = words[s % #words + 1]
      end
      para[#para + 1] = table.concat(w, " ") .. (s % 3 == 0 and "\r\n" or "\n")
    end
    parts[#parts + 1] = para[#para]
    n = n + #para[#para] + 1
    para = {}
  end
  return table.concat(parts, "\n")
end

local DF = fallback_of("victor.dedup")
local SFF = fallback_of("victor.stream_filter")
local t = text(1048576, 5)
local tn, a = timed(function() return D.dedup(t) end)
local tf, b = timed(function() return DF.dedup(t) end)
check(D.backend == "native" and a == b, sfmt("dedup native == fallback on %d bytes (native %.1fx the fallback)",
  #t, tf / math.max(tn, 1e-9)))
local la, lb = D.dedup_lines(t), DF.dedup_lines(t)
check(la == lb, "dedup_lines native == fallback")

local think = {}
for i = 1, 4000 do
  think[#think + 1] = i % 3 == 0 and "<think>" .. t:sub(i * 50, i * 50 + 120) .. "</think>"
    or t:sub(i * 60, i * 60 + 200)
end
local st = table.concat(think)
tn, a, b = timed(function() return SF.strip_thinking(st) end)
local tf2, c, d = timed(function() return SFF.strip_thinking(st) end)
check(SF.backend == "native" and a == c and b == d, sfmt(
  "stream_filter strip_thinking native == fallback on %d bytes (native %.1fx the fallback)", #st,
  tf2 / math.max(tn, 1e-9)))

print(sfmt("simd_check: %d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
