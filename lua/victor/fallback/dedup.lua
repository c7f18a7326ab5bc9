--- victor.fallback.dedup: pure-Lua backend of the dedup kernel.
--
-- Same functions, outputs and statistics as the C module victor.core.dedup (the
-- semantics are in the design note of core/dedup.h); the specs compare both on
-- random inputs. Hashes come from victor.xxh3.
-- LuaJIT issue #827: iterate tables through `each_next`, never `pairs`/`next`.
local xxh3 = require "victor.xxh3"

local M = {}

local byte, sub, find, gsub, slower = string.byte, string.sub, string.find, string.gsub, string.lower
local tconcat = table.concat
local getmetatable, setmetatable, type, error = getmetatable, setmetatable, type, error

local PUNCT = { [46] = true, [44] = true, [59] = true, [58] = true } -- . , ; :

function M.normalize_block(s)
  s = gsub(s, "\194[\133\160]", " ")
  s = gsub(s, "\225\154\128", " ")
  s = gsub(s, "\226\128[\128-\138\168\169\175]", " ")
  s = gsub(s, "\226\129\159", " ")
  s = gsub(s, "\227\128\128", " ")
  s = gsub(s, "[\t-\r ]+", " ")
  if byte(s, 1) == 32 then s = sub(s, 2) end
  if byte(s, -1) == 32 then s = sub(s, 1, -2) end
  s = slower(s) -- LuaJIT lowercases A-Z only, whatever the locale
  local e = #s
  while e > 0 and PUNCT[byte(s, e)] do e = e - 1 end
  return sub(s, 1, e)
end

function M.block_id(s)
  local h = xxh3.hash64(M.normalize_block(s))
  return h, sub(h, 5)
end

-- Simple lowercase mappings of 2-byte code points: the same runs {first, last,
-- delta, stride} as lower_runs in core/dedup.c (see core/dedup.h).
local LOWER_RUNS = {
  { 0x00C0, 0x00D6, 32, 1 }, { 0x00D8, 0x00DE, 32, 1 }, { 0x0100, 0x012E, 1, 2 },
  { 0x0130, 0x0130, -199, 1 }, { 0x0132, 0x0136, 1, 2 }, { 0x0139, 0x0147, 1, 2 }, { 0x014A, 0x0176, 1, 2 },
  { 0x0178, 0x0178, -121, 1 }, { 0x0179, 0x017D, 1, 2 }, { 0x0181, 0x0181, 210, 1 },
  { 0x0182, 0x0184, 1, 2 }, { 0x0186, 0x0186, 206, 1 }, { 0x0187, 0x0187, 1, 1 }, { 0x0189, 0x018A, 205, 1 },
  { 0x018B, 0x018B, 1, 1 }, { 0x018E, 0x018E, 79, 1 }, { 0x018F, 0x018F, 202, 1 },
  { 0x0190, 0x0190, 203, 1 }, { 0x0191, 0x0191, 1, 1 }, { 0x0193, 0x0193, 205, 1 },
  { 0x0194, 0x0194, 207, 1 }, { 0x0196, 0x0196, 211, 1 }, { 0x0197, 0x0197, 209, 1 },
  { 0x0198, 0x0198, 1, 1 }, { 0x019C, 0x019C, 211, 1 }, { 0x019D, 0x019D, 213, 1 },
  { 0x019F, 0x019F, 214, 1 }, { 0x01A0, 0x01A4, 1, 2 }, { 0x01A6, 0x01A6, 218, 1 }, { 0x01A7, 0x01A7, 1, 1 },
  { 0x01A9, 0x01A9, 218, 1 }, { 0x01AC, 0x01AC, 1, 1 }, { 0x01AE, 0x01AE, 218, 1 }, { 0x01AF, 0x01AF, 1, 1 },
  { 0x01B1, 0x01B2, 217, 1 }, { 0x01B3, 0x01B5, 1, 2 }, { 0x01B7, 0x01B7, 219, 1 }, { 0x01B8, 0x01B8, 1, 1 },
  { 0x01BC, 0x01BC, 1, 1 }, { 0x01C4, 0x01C4, 2, 1 }, { 0x01C5, 0x01C5, 1, 1 }, { 0x01C7, 0x01C7, 2, 1 },
  { 0x01C8, 0x01C8, 1, 1 }, { 0x01CA, 0x01CA, 2, 1 }, { 0x01CB, 0x01DB, 1, 2 }, { 0x01DE, 0x01EE, 1, 2 },
  { 0x01F1, 0x01F1, 2, 1 }, { 0x01F2, 0x01F4, 1, 2 }, { 0x01F6, 0x01F6, -97, 1 }, { 0x01F7, 0x01F7, -56, 1 },
  { 0x01F8, 0x021E, 1, 2 }, { 0x0220, 0x0220, -130, 1 }, { 0x0222, 0x0232, 1, 2 }, { 0x023B, 0x023B, 1, 1 },
  { 0x023D, 0x023D, -163, 1 }, { 0x0241, 0x0241, 1, 1 }, { 0x0243, 0x0243, -195, 1 },
  { 0x0244, 0x0244, 69, 1 }, { 0x0245, 0x0245, 71, 1 }, { 0x0246, 0x024E, 1, 2 }, { 0x0370, 0x0372, 1, 2 },
  { 0x0376, 0x0376, 1, 1 }, { 0x037F, 0x037F, 116, 1 }, { 0x0386, 0x0386, 38, 1 }, { 0x0388, 0x038A, 37, 1 },
  { 0x038C, 0x038C, 64, 1 }, { 0x038E, 0x038F, 63, 1 }, { 0x0391, 0x03A1, 32, 1 }, { 0x03A3, 0x03AB, 32, 1 },
  { 0x03CF, 0x03CF, 8, 1 }, { 0x03D8, 0x03EE, 1, 2 }, { 0x03F4, 0x03F4, -60, 1 }, { 0x03F7, 0x03F7, 1, 1 },
  { 0x03F9, 0x03F9, -7, 1 }, { 0x03FA, 0x03FA, 1, 1 }, { 0x03FD, 0x03FF, -130, 1 },
  { 0x0400, 0x040F, 80, 1 }, { 0x0410, 0x042F, 32, 1 }, { 0x0460, 0x0480, 1, 2 }, { 0x048A, 0x04BE, 1, 2 },
  { 0x04C0, 0x04C0, 15, 1 }, { 0x04C1, 0x04CD, 1, 2 }, { 0x04D0, 0x052E, 1, 2 }, { 0x0531, 0x0556, 48, 1 }
}

local LOWER2 = {} -- 2-byte UTF-8 string -> its lowercase (1 or 2 bytes)
do
  local char, rshift, band, bor = string.char, bit.rshift, bit.band, bit.bor
  local function utf8(cp)
    if cp < 0x80 then return char(cp) end
    return char(bor(0xC0, rshift(cp, 6)), bor(0x80, band(cp, 0x3F)))
  end
  for _, r in ipairs(LOWER_RUNS) do
    for cp = r[1], r[2], r[4] do LOWER2[utf8(cp)] = utf8(cp + r[3]) end
  end
end

-- Byte length of a White_Space code point at s[i] (well-formed UTF-8), else 0;
-- "\n" excluded (horizontal space), as ws_len(..., no_lf = 1) in core/dedup.c.
local function hws_len(s, i, n)
  local c = byte(s, i)
  if c < 128 then
    if c == 32 or (c >= 9 and c <= 13 and c ~= 10) then return 1 end
    return 0
  end
  if c == 0xC2 then
    local b = byte(s, i + 1)
    if b == 0x85 or b == 0xA0 then return 2 end
    return 0
  end
  if i + 2 > n then return 0 end
  local b, d = byte(s, i + 1, i + 2)
  if c == 0xE1 then return (b == 0x9A and d == 0x80) and 3 or 0 end
  if c == 0xE2 then
    if b == 0x80 and ((d >= 0x80 and d <= 0x8A) or d == 0xA8 or d == 0xA9 or d == 0xAF) then return 3 end
    if b == 0x81 and d == 0x9F then return 3 end
    return 0
  end
  if c == 0xE3 then return (b == 0x80 and d == 0x80) and 3 or 0 end
  return 0
end

local function zw_len(s, i, n)
  if i + 2 > n then return 0 end
  local c, b, d = byte(s, i, i + 2)
  if c == 0xE2 then
    if b == 0x80 and d >= 0x8B and d <= 0x8D then return 3 end
    if b == 0x81 and d == 0xA0 then return 3 end
  elseif c == 0xEF and b == 0xBB and d == 0xBF then
    return 3
  end
  return 0
end

-- Index after an ANSI sequence starting at s[i] == ESC, or i when none starts there.
local function ansi_end(s, i, n)
  if i + 1 > n then return i end
  local k = byte(s, i + 1)
  if k == 91 then -- [
    local j = i + 2
    while j <= n do
      local b = byte(s, j)
      if b < 0x20 or b > 0x3F then break end
      j = j + 1
    end
    if j <= n then
      local b = byte(s, j)
      if b >= 0x40 and b <= 0x7E then j = j + 1 end
    end
    return j
  end
  if k == 93 then -- ]
    for j = i + 2, n do
      local b = byte(s, j)
      if b == 7 then return j + 1 end
      if b == 27 then return (byte(s, j + 1) == 92) and j + 2 or j end
      if b < 0x20 then return j end
    end
    return n + 1
  end
  return i
end

function M.norm_apply(flags, s)
  local ansi, zw = bit.band(flags, 2) ~= 0, bit.band(flags, 4) ~= 0
  local crlf, collapse = bit.band(flags, 1) ~= 0, bit.band(flags, 8) ~= 0
  local trim, lower = bit.band(flags, 16) ~= 0, bit.band(flags, 96) ~= 0
  local lower_u = bit.band(flags, 64) ~= 0
  local spaces = collapse or trim
  local buf, o, ws_start = {}, 0, nil
  local i, n = 1, #s
  while i <= n do
    local c = byte(s, i)
    local done = false
    if c == 27 and ansi then
      local j = ansi_end(s, i, n)
      if j ~= i then i = j; done = true end
    elseif (c == 0xE2 or c == 0xEF) and zw then
      local w = zw_len(s, i, n)
      if w ~= 0 then i = i + w; done = true end
    end
    if not done then
      if c == 10 or (c == 13 and crlf and byte(s, i + 1) == 10) then
        if trim and ws_start then o = ws_start end
        ws_start = nil
        o = o + 1
        buf[o] = "\n"
        i = i + (c == 13 and 2 or 1)
      else
        local w = spaces and hws_len(s, i, n) or 0
        if w ~= 0 then
          if not ws_start then
            ws_start = o
            if collapse then o = o + 1; buf[o] = " " end
          end
          if not collapse then o = o + 1; buf[o] = sub(s, i, i + w - 1) end
          i = i + w
        else
          ws_start = nil
          o = o + 1
          local two = lower_u and c >= 0xC2 and c <= 0xDF and LOWER2[sub(s, i, i + 1)]
          if two then
            buf[o] = two
            i = i + 2
          else
            if lower and c >= 65 and c <= 90 then buf[o] = string.char(c + 32) else buf[o] = sub(s, i, i) end
            i = i + 1
          end
        end
      end
    end
  end
  if trim and ws_start then o = ws_start end
  return tconcat(buf, "", 1, o)
end

-- ---- blocks -------------------------------------------------------------------

local function is_blank(line)
  return find(line, "^[ \t\r\v\f]*$") ~= nil
end

-- Fence marker of a line: its character and run length, or nil.
local function fence_marker(line)
  local sp = #(line:match("^ *"))
  if sp > 3 then return nil end
  local ch = sub(line, sp + 1, sp + 1)
  if ch ~= "`" and ch ~= "~" then return nil end
  local run = line:match(ch == "`" and "^`+" or "^~+", sp + 1)
  if #run < 3 then return nil end
  if ch == "`" and find(line, "`", sp + 1 + #run, true) then return nil end
  return ch, #run
end

local function fence_closes(line, ch, len)
  local sp = #(line:match("^ *"))
  if sp > 3 then return false end
  local run = line:match(ch == "`" and "^`*" or "^~*", sp + 1)
  if #run < len then return false end
  return find(line, "^[ \t\r]*$", sp + 1 + #run) ~= nil
end

-- Blocks of s: array of {start, stop, stop_excl, end_, line, fence} with 1-based
-- start, 1-based inclusive stop and `end_` = index after the terminator.
local function scan(s)
  local blocks, nb = {}, 0
  local n, pos, line = #s, 1, 1
  local pstart, pline, peol, pend
  local fstart, fline, fch, flen
  local function push(start, eol, end_, bline, fence)
    local stop = eol -- 0-based exclusive end of content == 1-based inclusive last byte
    if stop < end_ - 1 and byte(s, stop + 1) == 10 and stop >= start and byte(s, stop) == 13 then
      stop = stop - 1
    end
    nb = nb + 1
    blocks[nb] = { start = start, stop = stop, end_ = end_, line = bline, fence = fence }
  end
  while pos <= n do
    local nl = find(s, "\n", pos, true)
    local eol = nl or (n + 1) -- index of the "\n" (or n + 1)
    local nxt = nl and nl + 1 or n + 1
    local l = sub(s, pos, eol - 1)
    if fline then
      if fence_closes(l, fch, flen) then
        push(fstart, eol - 1, nxt, fline, true)
        fline = nil
      end
    elseif is_blank(l) then
      if pline then push(pstart, peol, pend, pline, false); pline = nil end
    else
      local ch, len = fence_marker(l)
      if ch then
        if pline then push(pstart, peol, pend, pline, false); pline = nil end
        fstart, fline, fch, flen = pos, line, ch, len
      else
        if not pline then pstart, pline = pos, line end
        peol, pend = eol - 1, nxt
      end
    end
    pos = nxt
    line = line + 1
  end
  if pline then push(pstart, peol, pend, pline, false) end
  if fline then
    local eol = n
    if n >= fstart and byte(s, n) == 10 then eol = n - 1 end
    push(fstart, eol, n + 1, fline, true)
  end
  return blocks, nb
end

-- Mark duplicates: b.first = index of the earlier block with the same key.
local function mark(s, min)
  local blocks, nb = scan(s)
  local seen, removed = {}, 0
  for i = 1, nb do
    local b = blocks[i]
    local key = M.normalize_block(sub(s, b.start, b.stop))
    b.key = key
    if #key >= min then
      local f = seen[key]
      if f then
        b.first = f
        removed = removed + 1
      else
        seen[key] = i
      end
    end
  end
  return blocks, nb, removed
end

-- SimHash of a normalised key (core/dedup.h): hi, lo (32-bit halves) and the bits
-- as a 64-char string of "0"/"1" (char i + 1 = bit i); nil without words.
local bband, bxor, rshift, tohex = bit.band, bit.bxor, bit.rshift, bit.tohex
local floor, tonumber = math.floor, tonumber

local function simhash_add(acc, f)
  local h = xxh3.hash64(f)
  local hi, lo = tonumber(sub(h, 1, 8), 16), tonumber(sub(h, 9, 16), 16)
  for i = 0, 31 do
    acc[i] = acc[i] + (bband(rshift(lo, i), 1) == 1 and 1 or -1)
    acc[i + 32] = acc[i + 32] + (bband(rshift(hi, i), 1) == 1 and 1 or -1)
  end
end

local function simhash_parts(key)
  local acc = {}
  for i = 0, 63 do acc[i] = 0 end
  local ws, we, nw, pos = {}, {}, 0, 1
  while true do
    local a, z = find(key, "[^ ]+", pos)
    if not a then break end
    nw = nw + 1
    ws[nw], we[nw] = a, z
    if nw >= 3 then simhash_add(acc, sub(key, ws[nw - 2], z)) end
    pos = z + 1
  end
  if nw == 0 then return nil end
  if nw < 3 then
    for k = 1, nw do simhash_add(acc, sub(key, ws[k], we[k])) end
  end
  local hi, lo, bits = 0, 0, {}
  for i = 0, 63 do
    local one = acc[i] > 0
    bits[i + 1] = one and "1" or "0"
    if one then
      if i < 32 then lo = lo + 2 ^ i else hi = hi + 2 ^ (i - 32) end
    end
  end
  return hi, lo, tconcat(bits)
end

function M.simhash(s)
  local hi, lo = simhash_parts(M.normalize_block(s))
  if not hi then return nil end
  return tohex(hi, 8) .. tohex(lo, 8)
end

local function popcount32(x)
  local c = 0
  while x ~= 0 do
    x = bband(x, x - 1)
    c = c + 1
  end
  return c
end

local NEAR_BUCKET = 64 -- VL_DEDUP_NEAR_BUCKET

-- Second pass of near mode (core/dedup.h): b.first and b.near_dist of the near
-- hits; returns their count.
local function mark_near(blocks, nb, min, t)
  local nbands = t >= 64 and 0 or t + 1
  local index, first_any, count = {}, nil, 0
  for i = 1, nb do
    local b = blocks[i]
    if not b.first and #b.key >= min then
      local hi, lo, bits = simhash_parts(b.key)
      if hi then
        b.shi, b.slo = hi, lo
        local best, bestd
        if nbands == 0 then
          if first_any then
            local o = blocks[first_any]
            best, bestd = first_any, popcount32(bxor(hi, o.shi)) + popcount32(bxor(lo, o.slo))
          end
        else
          for k = 0, nbands - 1 do
            local bucket = index[k .. ":" .. sub(bits, floor(k * 64 / nbands) + 1, floor((k + 1) * 64 / nbands))]
            if bucket then
              for m = 1, #bucket do
                local j = bucket[m]
                if best and j >= best then break end
                local o = blocks[j]
                local d = popcount32(bxor(hi, o.shi)) + popcount32(bxor(lo, o.slo))
                if d <= t then
                  best, bestd = j, d
                  break
                end
              end
            end
          end
        end
        if best then
          b.first, b.near_dist = best, bestd
          count = count + 1
        else
          first_any = first_any or i
          for k = 0, nbands - 1 do
            local key = k .. ":" .. sub(bits, floor(k * 64 / nbands) + 1, floor((k + 1) * 64 / nbands))
            local bucket = index[key]
            if not bucket then
              index[key] = { i }
            elseif #bucket < NEAR_BUCKET then
              bucket[#bucket + 1] = i
            end
          end
        end
      end
    end
  end
  return count
end

local function span(b)
  return { start = b.start, stop = b.stop, line = b.line }
end

function M.find(s, min, near)
  local blocks, nb = mark(s, min)
  if near then mark_near(blocks, nb, min, near) end
  local out = {}
  for i = 1, nb do
    local b = blocks[i]
    if b.first then
      local id = xxh3.hash64(b.key)
      local e = { first = span(blocks[b.first]), dup = span(b), id = id, victor_id = sub(id, 5) }
      if near then e.distance, e.near = b.near_dist or 0, b.near_dist ~= nil end
      out[#out + 1] = e
    end
  end
  return out
end

function M.dedup(s, min, near)
  local blocks, nb, removed = mark(s, min)
  local near_removed
  if near then
    near_removed = mark_near(blocks, nb, min, near)
    removed = removed + near_removed
  end
  local n = #s
  if nb == 0 then
    return s, { blocks = 0, removed = 0, bytes_in = n, bytes_out = n, near_removed = near_removed }
  end
  local buf = { sub(s, 1, blocks[1].end_ - 1) }
  local last, sep_a, sep_b, dropped = 1, 0, 0, false
  for i = 2, nb do
    local b, p = blocks[i], blocks[i - 1]
    if b.start > p.end_ then sep_a, sep_b = p.end_, b.start end
    if b.first then
      dropped = true
    else
      if sep_b > sep_a then
        buf[#buf + 1] = sub(s, sep_a, sep_b - 1)
      elseif dropped and not blocks[last].fence and not b.fence then
        buf[#buf + 1] = "\n"
      end
      buf[#buf + 1] = sub(s, b.start, b.end_ - 1)
      sep_a, sep_b, dropped, last = 0, 0, false, i
    end
  end
  buf[#buf + 1] = sub(s, blocks[nb].end_)
  local out = tconcat(buf)
  return out, { blocks = nb, removed = removed, bytes_in = n, bytes_out = #out, near_removed = near_removed }
end

function M.lines(s, delim, want_counts)
  local n, pos = #s, 1
  local seen, buf, counts, nlines, kept = {}, {}, {}, 0, 0
  while pos <= n do
    local d = find(s, delim, pos, true)
    local l = sub(s, pos, (d or n + 1) - 1)
    nlines = nlines + 1
    local k = seen[l]
    if k then
      counts[k] = counts[k] + 1
    else
      kept = kept + 1
      seen[l] = kept
      counts[kept] = 1
      buf[kept] = l
    end
    pos = d and d + 1 or n + 1
  end
  local out = kept > 0 and (tconcat(buf, delim) .. delim) or ""
  local stats = { lines = nlines, removed = nlines - kept, bytes_in = n, bytes_out = #out }
  if want_counts then stats.counts = counts end
  return out, stats
end

-- ---- Stream (core/dedup.h design note, "Streaming") ------------------------------

local Stream = { __name = "Stream" }
Stream.__index = Stream

function Stream.__tostring(self)
  if self.closed then return "Stream (closed)" end
  return self.lines and "Stream (lines)" or "Stream (blocks)"
end

local function check_stream(self, fname)
  if getmetatable(self) ~= Stream then
    error(string.format("bad argument #1 to '%s' (Stream expected, got %s)", fname, type(self)), 3)
  end
  if self.closed then error("Stream is closed", 3) end
  if self.finished and fname ~= "stats" then error("Stream is finished", 3) end
end

function M.stream_new(lines, delim, min, max_entries, max_key_bytes)
  return setmetatable({
    lines = lines, delim = delim, min = min, max = max_entries, max_bytes = max_key_bytes, key_bytes = 0,
    parts = {}, pn = 0, plen = 0,          -- the incomplete line
    blk = {}, bn = 0, blen = 0,            -- the open block's lines
    run = {}, rn = 0, rlen = 0,            -- the blank run after the last block
    sep = "", in_para = false, in_fence = false, fch = nil, flen = 0,
    dropped = false, last_fence = false,
    seen = {}, count = 0, evictions = 0,
    out = {}, on = 0,
    bytes_in = 0, bytes_out = 0, units = 0, removed = 0,
  }, Stream)
end

local function put(self, s)
  local on = self.on + 1
  self.on = on
  self.out[on] = s
end

-- Add key to the bounded set: true when it was seen (the set is cleared when full:
-- max keys, or max_bytes of keys with the new one).
local function seen_add(self, key)
  if self.seen[key] then return true end
  if self.count >= self.max or (self.count > 0 and self.key_bytes + #key > self.max_bytes) then
    self.seen, self.count, self.key_bytes, self.evictions = {}, 0, 0, self.evictions + 1
  end
  self.seen[key] = true
  self.count = self.count + 1
  self.key_bytes = self.key_bytes + #key
  return false
end

local function block_done(self, fence)
  local text = tconcat(self.blk, "", 1, self.bn)
  self.blk, self.bn, self.blen = {}, 0, 0
  self.in_para, self.in_fence = false, false
  self.units = self.units + 1
  local key = M.normalize_block(text)  -- the terminator is trimmed anyway
  if #key >= self.min and seen_add(self, key) then
    self.removed = self.removed + 1
    self.dropped = true
    return
  end
  if self.sep ~= "" then
    put(self, self.sep)
  elseif self.dropped and not self.last_fence and not fence then
    put(self, "\n")
  end
  put(self, text)
  self.sep, self.dropped, self.last_fence = "", false, fence
end

local function block_start(self)
  if self.rn > 0 then
    self.sep = tconcat(self.run, "", 1, self.rn)
    self.run, self.rn, self.rlen = {}, 0, 0
  end
end

local function block_add(self, line)
  local bn = self.bn + 1
  self.bn, self.blen = bn, self.blen + #line
  self.blk[bn] = line
end

-- One complete line (with its terminator when it has one).
local function stream_line(self, line, content)
  if self.lines then
    self.units = self.units + 1
    if seen_add(self, content) then
      self.removed = self.removed + 1
    else
      put(self, content)
      put(self, self.delim)
    end
    return
  end
  if self.in_fence then
    block_add(self, line)
    if fence_closes(content, self.fch, self.flen) then block_done(self, true) end
  elseif is_blank(content) then
    if self.in_para then block_done(self, false) end
    local rn = self.rn + 1
    self.rn, self.rlen = rn, self.rlen + #line
    self.run[rn] = line
  else
    local ch, len = fence_marker(content)
    if ch then
      if self.in_para then block_done(self, false) end
      block_start(self)
      self.in_fence, self.fch, self.flen = true, ch, len
    elseif not self.in_para then
      block_start(self)
      self.in_para = true
    end
    block_add(self, line)
  end
end

local function take_out(self)
  local s = tconcat(self.out, "", 1, self.on)
  self.out, self.on = {}, 0
  self.bytes_out = self.bytes_out + #s
  return s
end

function Stream:feed(chunk)
  check_stream(self, "feed")
  if type(chunk) ~= "string" then
    error("bad argument #1 to 'feed' (string expected, got " .. type(chunk) .. ")", 2)
  end
  self.bytes_in = self.bytes_in + #chunk
  local pos, n, delim = 1, #chunk, self.lines and self.delim or "\n"
  while pos <= n do
    local nl = find(chunk, delim, pos, true)
    if not nl then
      local pn = self.pn + 1
      self.pn, self.plen = pn, self.plen + (n - pos + 1)
      self.parts[pn] = sub(chunk, pos)
      break
    end
    local line = sub(chunk, pos, nl)
    if self.pn > 0 then
      line = tconcat(self.parts, "", 1, self.pn) .. line
      self.parts, self.pn, self.plen = {}, 0, 0
    end
    stream_line(self, line, sub(line, 1, -2))
    pos = nl + 1
  end
  return take_out(self)
end

function Stream:finish()
  check_stream(self, "finish")
  if self.pn > 0 then
    local line = tconcat(self.parts, "", 1, self.pn)
    self.parts, self.pn, self.plen = {}, 0, 0
    stream_line(self, line, line)
  end
  if not self.lines then
    if self.in_para then block_done(self, false) end
    if self.in_fence then block_done(self, true) end
    put(self, tconcat(self.run, "", 1, self.rn))
    self.run, self.rn, self.rlen = {}, 0, 0
  end
  self.sep = ""
  self.finished = true
  return take_out(self)
end

function Stream:stats()
  check_stream(self, "stats")
  return {
    [self.lines and "lines" or "blocks"] = self.units, removed = self.removed,
    bytes_in = self.bytes_in, bytes_out = self.bytes_out, entries = self.count,
    evictions = self.evictions, held = self.plen + self.blen + self.rlen + #self.sep,
  }
end

function Stream:close()
  if getmetatable(self) ~= Stream then
    error("bad argument #1 to 'close' (Stream expected, got " .. type(self) .. ")", 2)
  end
  if not self.closed then
    self.closed = true
    self.seen, self.blk, self.run, self.parts, self.out = nil, nil, nil, nil, nil
  end
end

return M
