--- victor.fallback.json_repair: pure-Lua backend of the JSON repair kernel.
--
-- The same state machine as core/json_repair.c, step for step (the semantics are
-- in the design note of core/json_repair.h), so outputs, error messages and the
-- streaming contract are identical; the specs compare both on the conformance
-- table and on random inputs. Positions are 1-based inside this file.
local M = {}

local byte, sub, find, sfmt, tconcat = string.byte, string.sub, string.find, string.format, table.concat
local floor = math.floor

local S_TS0, S_TS1, S_TFB, S_TDONE, S_TEND = 1, 2, 3, 4, 5
local S_AV, S_AA, S_OK, S_OC, S_OV, S_OA, S_CV, S_CA = 6, 7, 8, 9, 10, 11, 12, 13
local K_OBJ, K_ARR, K_CALL, K_TOP = 1, 2, 3, 4
local T_NONE, T_STR, T_USTR, T_UKEY, T_LCOM, T_BCOM = 0, 1, 2, 3, 4, 5
local Q_DQ, Q_SQ, Q_BT, Q_TD, Q_TS = 1, 2, 3, 4, 5
local R_GO, R_MORE, R_STOP, R_DONE, R_NONE, R_ERR = 0, 1, 2, 3, 4, -1
local V_MORE, V_JUNK, V_OBJ, V_ARR, V_STR, V_NUM, V_SWORD, V_WORD, V_USTR = -1, 0, 1, 2, 3, 4, 5, 6, 7
local V_COMMA, V_COLON, V_EQ, V_CLOBJ, V_CLARR, V_CLCALL = 8, 9, 10, 11, 12, 13
local MB_NONE, MB_SPACE, MB_BOM, MB_QD, MB_QS, MB_MORE = 0, 1, 2, 3, 4, 5

local WS, DIG, WSTART, WORD, NUMCONT, UKEYEND, HEX, ALNUM = {}, {}, {}, {}, {}, {}, {}, {}
for c = 0, 255 do
  local alpha = (c >= 97 and c <= 122) or (c >= 65 and c <= 90)
  local dig = c >= 48 and c <= 57
  WS[c] = c == 32 or c == 9 or c == 10 or c == 13
  DIG[c] = dig
  WSTART[c] = alpha or c == 95 or c == 36
  WORD[c] = WSTART[c] or dig
  NUMCONT[c] = WSTART[c] or c == 46 or c == 58 or c == 45 or c == 43
  UKEYEND[c] = WS[c] or c == 58 or c == 44 or c == 123 or c == 125 or c == 91 or c == 93 or c == 34 or c == 39
  HEX[c] = dig or (c >= 97 and c <= 102) or (c >= 65 and c <= 70)
  ALNUM[c] = alpha or dig
end

-- string bytes that need a look, per quote kind
local SPECIAL = {
  [Q_DQ] = '[%z\1-\31"\\\128-\255]', [Q_SQ] = '[%z\1-\31"\\\'\128-\255]', [Q_BT] = '[%z\1-\31"\\`\128-\255]',
  [Q_TD] = '[%z\1-\31"\\\128-\255]', [Q_TS] = '[%z\1-\31"\\\128-\255]',
}

local LITERALS = {
  ["true"] = "true", ["false"] = "false", ["null"] = "null", True = "true", False = "false", None = "null",
  TRUE = "true", FALSE = "false", NULL = "null", undefined = "null", NaN = "null", Infinity = "null",
}

local WHY = {
  depth = "nesting deeper than max_depth", input = "input longer than max_input", novalue = "no JSON value found",
}

-------------------------------------------------------------------- output

local function out(p, s)
  local k = p.on + 1
  p.on = k
  p.out[k] = s
end

local function flush(p)
  if p.pclose then out(p, '"') end
  p.pclose = false
  if p.pend ~= "" then out(p, p.pend) end
  p.pend = ""
  p.pcomma = 0
end

local function emit(p, s)
  flush(p)
  out(p, s)
end

local function insert(p, s)
  if p.pclose then out(p, '"') end
  p.pclose = false
  out(p, s)
end

local function drop_comma(p)
  local c = p.pcomma
  if c == 0 then return end
  p.pend = sub(p.pend, 1, c - 1) .. sub(p.pend, c + 1)
  p.pcomma = 0
end

local function fail(p, code, why, at)
  p.err = { code = code, why = why, at = p.base + at - 1 }
  return R_ERR
end

-------------------------------------------------------------------- frames

local function kind_of(s)
  if s == S_AV or s == S_AA then return K_ARR end
  if s >= S_OK and s <= S_OA then return K_OBJ end
  if s == S_CV or s == S_CA then return K_CALL end
  return K_TOP
end

local AFTER = { [S_AV] = S_AA, [S_OV] = S_OA, [S_CV] = S_CA, [S_OK] = S_OC, [S_TS0] = S_TDONE, [S_TS1] = S_TDONE,
  [S_TFB] = S_TDONE }

local function value_done(p)
  local d = p.depth + 1
  local a = AFTER[p.st[d]]
  if a then p.st[d] = a end
end

local function top(p) return p.st[p.depth + 1] end
local function set_top(p, s) p.st[p.depth + 1] = s end

local function push(p, state, kind, at)
  if p.depth >= p.o.max_depth then return fail(p, "ELIMIT", WHY.depth, at) end
  p.depth = p.depth + 1
  p.st[p.depth + 1] = state
  p.nopen[kind] = p.nopen[kind] + 1
  return R_GO
end

local function pop(p)
  local k = kind_of(top(p))
  p.nopen[k] = p.nopen[k] - 1
  p.depth = p.depth - 1
  value_done(p)
end

local function close_frame(p, real)
  local s = top(p)
  local k = kind_of(s)
  drop_comma(p)
  if s == S_OC then
    insert(p, ":null")
  elseif s == S_OV or s == S_CV then
    insert(p, "null")
  end
  if k ~= K_CALL then
    local c = k == K_OBJ and "}" or "]"
    if real then emit(p, c) else insert(p, c) end
  end
  pop(p)
end

local function closer(p, k)
  if p.nopen[k] > 0 then
    while kind_of(top(p)) ~= k do close_frame(p, false) end
    close_frame(p, true)
  end
  p.pos = p.pos + 1
  return R_GO
end

local function keep_ws(p)
  local s = top(p)
  if p.o.compact or p.concat then return false end
  if s == S_TS0 then return p.lead_ok end
  if s == S_TDONE then return true end
  return kind_of(s) ~= K_TOP and p.depth > 0
end

--------------------------------------------------------------------- bytes

local function mb_at(p)
  local s, i = p.s, p.pos
  local a = p.n - i + 1
  local c0 = byte(s, i)
  if c0 == 0xC2 then
    if a < 2 then return p.eof and MB_NONE or MB_MORE, 1 end
    return byte(s, i + 1) == 0xA0 and MB_SPACE or MB_NONE, 2
  end
  if c0 ~= 0xE2 and c0 ~= 0xE3 and c0 ~= 0xEF then return MB_NONE, 1 end
  if a < 2 then return p.eof and MB_NONE or MB_MORE, 1 end
  local c1 = byte(s, i + 1)
  if (c0 == 0xE2 and c1 ~= 0x80 and c1 ~= 0x81) or (c0 == 0xE3 and c1 ~= 0x80) or (c0 == 0xEF and c1 ~= 0xBB) then
    return MB_NONE, 1
  end
  if a < 3 then return p.eof and MB_NONE or MB_MORE, 1 end
  local c2 = byte(s, i + 2)
  if c0 == 0xE2 and c1 == 0x80 then
    if c2 <= 0x8A or c2 == 0xA8 or c2 == 0xA9 or c2 == 0xAF then return MB_SPACE, 3 end
    if c2 == 0x9C or c2 == 0x9D then return MB_QD, 3 end
    if c2 == 0x98 or c2 == 0x99 then return MB_QS, 3 end
    return MB_NONE, 3
  end
  if c0 == 0xE2 then return c2 == 0x9F and MB_SPACE or MB_NONE, 3 end
  if c0 == 0xE3 then return c2 == 0x80 and MB_SPACE or MB_NONE, 3 end
  return c2 == 0xBF and MB_BOM or MB_NONE, 3
end

-- A UTF-8 sequence at i: its length and code point, 0 when invalid, -1 for more.
local function utf8_seq(s, i, n, eof)
  local c = byte(s, i)
  local lo, hi = 0x80, 0xBF
  local need, v
  if c >= 0xC2 and c <= 0xDF then
    need, v = 1, c - 0xC0
  elseif c >= 0xE0 and c <= 0xEF then
    need, v = 2, c - 0xE0
    if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F end
  elseif c >= 0xF0 and c <= 0xF4 then
    need, v = 3, c - 0xF0
    if c == 0xF0 then lo = 0x90 elseif c == 0xF4 then hi = 0x8F end
  else
    return 0
  end
  for k = 1, need do
    if i + k > n then return eof and 0 or -1 end
    local b = byte(s, i + k)
    if b < lo or b > hi then return 0 end
    lo, hi = 0x80, 0xBF
    v = v * 64 + (b - 0x80)
  end
  return need + 1, v
end

local function u_esc(v) return sfmt("\\u%04x", v) end

local CTRL = { [8] = "\\b", [9] = "\\t", [10] = "\\n", [12] = "\\f", [13] = "\\r" }
local function ctrl_esc(c) return CTRL[c] or u_esc(c) end

-- non-ASCII content at i: the next i, or nil for more
local function out_utf8(p, i)
  local r, cp = utf8_seq(p.s, i, p.n, p.eof)
  if r < 0 then return nil end
  if r == 0 then
    out(p, p.o.ensure_ascii and "\\ufffd" or "\239\191\189")
    return i + 1
  end
  if not p.o.ensure_ascii then
    out(p, sub(p.s, i, i + r - 1))
  elseif cp >= 0x10000 then
    cp = cp - 0x10000
    out(p, u_esc(0xD800 + floor(cp / 1024)) .. u_esc(0xDC00 + cp % 1024))
  else
    out(p, u_esc(cp))
  end
  return i + r
end

local function out_content(p, i)
  local c = byte(p.s, i)
  if c >= 0x80 then return out_utf8(p, i) end
  if c == 34 then
    out(p, '\\"')
  elseif c == 92 then
    out(p, "\\\\")
  elseif c < 0x20 then
    out(p, ctrl_esc(c))
  else
    out(p, sub(p.s, i, i))
  end
  return i + 1
end

-------------------------------------------------------------------- tokens

local function string_closed(p, nxt)
  p.pos = nxt
  p.tok = T_NONE
  p.pclose = true
  value_done(p)
end

-- 4 hex digits at i: value, -1 when not hex, -2 when cut short
local function hex4(p, i)
  local v = 0
  for k = 0, 3 do
    if i + k > p.n then return -2 end
    local c = byte(p.s, i + k)
    if not HEX[c] then return -1 end
    v = v * 16 + (c <= 57 and c - 48 or (c % 32) + 9)
  end
  return v
end

local SIMPLE_ESC = { [34] = true, [92] = true, [47] = true, [98] = true, [102] = true, [110] = true, [114] = true,
  [116] = true }

-- a backslash at i in a string: the next i, or nil for more
local function escape(p, i)
  local s, n = p.s, p.n
  if i + 1 > n then return p.eof and n + 1 or nil end
  local d = byte(s, i + 1)
  if SIMPLE_ESC[d] then
    out(p, sub(s, i, i + 1))
    return i + 2
  elseif d == 39 or d == 96 then
    out(p, sub(s, i + 1, i + 1))
    return i + 2
  elseif d == 117 then
    local v = hex4(p, i + 2)
    if v == -2 then return p.eof and n + 1 or nil end
    if v >= 0 then
      if v >= 0xD800 and v <= 0xDBFF then
        local paired = false
        if i + 6 > n then
          if not p.eof then return nil end
        elseif byte(s, i + 6) == 92 then
          if i + 7 > n then
            if not p.eof then return nil end
          elseif byte(s, i + 7) == 117 then
            local w = hex4(p, i + 8)
            if w == -2 and not p.eof then return nil end
            paired = w >= 0xDC00 and w <= 0xDFFF
          end
        end
        if paired then
          out(p, sub(s, i, i + 11))
          return i + 12
        end
        out(p, "\\ufffd")
        return i + 6
      end
      if v >= 0xDC00 and v <= 0xDFFF then out(p, "\\ufffd") else out(p, sub(s, i, i + 5)) end
      return i + 6
    end
  end
  out(p, "\\\\")
  return i + 1
end

local function step_str(p)
  local s, n, q = p.s, p.n, p.q
  local pat = SPECIAL[q]
  local i = p.pos
  while true do
    local j = find(s, pat, i) or n + 1
    if j > i then out(p, sub(s, i, j - 1)) end
    i = j
    if i > n then break end
    local c = byte(s, i)
    if c == 34 then
      if q == Q_DQ then
        string_closed(p, i + 1)
        return R_GO
      end
      out(p, '\\"')
      i = i + 1
    elseif c == 39 or c == 96 then -- the closer of its kind (the pattern)
      local apos = false
      if c == 39 then
        if i + 1 > n and not p.eof then break end
        if i + 1 <= n and ALNUM[byte(s, i + 1)] then apos = true end
      end
      if apos then
        out(p, "'")
        i = i + 1
      else
        string_closed(p, i + 1)
        return R_GO
      end
    elseif c == 92 then
      local j2 = escape(p, i)
      if not j2 then break end
      i = j2
    elseif c < 0x20 then
      out(p, ctrl_esc(c))
      i = i + 1
    else
      if c == 0xE2 and (q == Q_TD or q == Q_TS) then
        if i + 2 > n then
          if not p.eof then break end
        elseif byte(s, i + 1) == 0x80 then
          local c2 = byte(s, i + 2)
          if q == Q_TD and (c2 == 0x9C or c2 == 0x9D) then
            string_closed(p, i + 3)
            return R_GO
          end
          if q == Q_TS and (c2 == 0x98 or c2 == 0x99) then
            if i + 3 > n and not p.eof then break end
            if not (i + 3 <= n and ALNUM[byte(s, i + 3)]) then
              string_closed(p, i + 3)
              return R_GO
            end
          end
        end
      end
      local j2 = out_utf8(p, i)
      if not j2 then break end
      i = j2
    end
  end
  p.pos = i
  return i > n and R_GO or R_MORE
end

local function ustr_end(p, at)
  out(p, '"')
  if p.sp ~= "" and keep_ws(p) then p.pend = p.pend .. p.sp end
  p.sp = ""
  p.tok = T_NONE
  p.pos = at
  value_done(p)
end

local function sp_flush(p)
  out(p, (p.sp:gsub("\t", "\\t")))
  p.sp = ""
end

local USTR_END = { [44] = true, [125] = true, [93] = true, [41] = true, [10] = true, [13] = true }
local QUOTE_FOLLOW = { [44] = true, [125] = true, [93] = true, [41] = true, [58] = true, [10] = true,
  [13] = true }

local function step_ustr(p)
  local s, n = p.s, p.n
  local i = p.pos
  while i <= n do
    local c = byte(s, i)
    local handled = false
    if c == 32 or c == 9 then
      p.sp = p.sp .. sub(s, i, i)
      i = i + 1
      handled = true
    elseif USTR_END[c] then
      ustr_end(p, i)
      return R_GO
    elseif c == 34 then
      if i + 1 > n and not p.eof then break end
      if i + 1 > n or QUOTE_FOLLOW[byte(s, i + 1)] then
        sp_flush(p)
        ustr_end(p, i + 1)
        return R_GO
      end
    end
    if not handled then
      if p.sp ~= "" then sp_flush(p) end
      local j = out_content(p, i)
      if not j then break end
      i = j
    end
  end
  p.pos = i
  return i > n and R_GO or R_MORE
end

local function step_ukey(p)
  local i = p.pos
  while i <= p.n do
    if UKEYEND[byte(p.s, i)] then
      out(p, '"')
      p.tok = T_NONE
      p.pos = i
      value_done(p)
      return R_GO
    end
    local j = out_content(p, i)
    if not j then
      p.pos = i
      return R_MORE
    end
    i = j
  end
  p.pos = i
  return R_GO
end

local function step_comment(p)
  local s, n = p.s, p.n
  local i = p.pos
  if p.tok == T_LCOM then
    local e = find(s, "\n", i, true)
    if e then p.tok = T_NONE end
    p.pos = e or n + 1
    return R_GO
  end
  while true do
    local e = find(s, "*", i, true)
    if not e then
      p.pos = n + 1
      return R_GO
    end
    i = e
    if i + 1 > n then
      p.pos = p.eof and n + 1 or i
      return p.eof and R_GO or R_MORE
    end
    if byte(s, i + 1) == 47 then
      p.pos = i + 2
      p.tok = T_NONE
      return R_GO
    end
    i = i + 1
  end
end

-------------------------------------------------------------------- values

local SIMPLE_CLASS = { [123] = V_OBJ, [91] = V_ARR, [125] = V_CLOBJ, [93] = V_CLARR, [41] = V_CLCALL,
  [44] = V_COMMA, [58] = V_COLON, [61] = V_EQ, [59] = V_JUNK, [40] = V_JUNK }
local QUOTE_OF = { [34] = Q_DQ, [39] = Q_SQ, [96] = Q_BT }

-- kind, quote kind, quote length
local function classify(p)
  local s, i = p.s, p.pos
  local c = byte(s, i)
  local k = SIMPLE_CLASS[c]
  if k then return k, 0, 1 end
  local q = QUOTE_OF[c]
  if q then return V_STR, q, 1 end
  if c == 45 or c == 43 or c == 46 then
    if i + 1 > p.n then return p.eof and V_JUNK or V_MORE, 0, 1 end
    local a = byte(s, i + 1)
    if DIG[a] then return V_NUM, 0, 1 end
    if c ~= 46 and a == 46 then
      if i + 2 > p.n then return p.eof and V_JUNK or V_MORE, 0, 1 end
      return DIG[byte(s, i + 2)] and V_NUM or V_JUNK, 0, 1
    end
    if c ~= 46 and WSTART[a] and a ~= 95 and a ~= 36 then return V_SWORD, 0, 1 end
    return V_JUNK, 0, 1
  end
  if DIG[c] then return V_NUM, 0, 1 end
  if WSTART[c] then return V_WORD, 0, 1 end
  if c < 0x20 then return V_JUNK, 0, 1 end
  if c >= 0x80 then
    local mb, len = mb_at(p)
    if mb == MB_MORE then return V_MORE, 0, 1 end
    if mb == MB_QD then return V_STR, Q_TD, len end
    if mb == MB_QS then return V_STR, Q_TS, len end
  end
  return V_USTR, 0, 1
end

local function start_ustr(p)
  emit(p, '"')
  p.tok = T_USTR
  p.sp = ""
  return R_GO
end

local function number(p)
  local s, n = p.s, p.n
  local i = p.pos
  local neg, frac, ech, esign = false, false, nil, nil
  local c = byte(s, i)
  if c == 45 or c == 43 then
    neg = c == 45
    i = i + 1
  end
  local i0 = i
  while i <= n and DIG[byte(s, i)] do i = i + 1 end
  local i1 = i
  local f0, f1, x0, x1
  if i <= n and byte(s, i) == 46 then
    frac = true
    i = i + 1
    f0 = i
    while i <= n and DIG[byte(s, i)] do i = i + 1 end
    f1 = i
  end
  c = byte(s, i)
  if i <= n and (c == 101 or c == 69) then
    ech = sub(s, i, i)
    i = i + 1
    c = byte(s, i)
    if i <= n and (c == 43 or c == 45) then
      esign = sub(s, i, i)
      i = i + 1
    end
    x0 = i
    while i <= n and DIG[byte(s, i)] do i = i + 1 end
    x1 = i
  end
  if i > n and not p.eof then return R_MORE end
  if i <= n and NUMCONT[byte(s, i)] then
    if top(p) == S_TFB then return fail(p, "EPARSE", WHY.novalue, p.pos) end
    return start_ustr(p)
  end
  local z = i0
  while z + 1 < i1 and byte(s, z) == 48 do z = z + 1 end
  local t = { neg and "-" or "", i1 == i0 and "0" or sub(s, z, i1 - 1) }
  if frac then t[#t + 1] = f1 == f0 and ".0" or "." .. sub(s, f0, f1 - 1) end
  if ech then t[#t + 1] = ech .. (esign or "") .. (x1 == x0 and "0" or sub(s, x0, x1 - 1)) end
  emit(p, tconcat(t))
  p.pos = i
  value_done(p)
  return R_GO
end

-- the end of the word at i (exclusive), or nil for more; and the byte after it
local function word_end(p, i)
  local s, n = p.s, p.n
  while i <= n and WORD[byte(s, i)] do i = i + 1 end
  if i > n and not p.eof then return nil end
  return i, byte(s, i)
end

local function word(p)
  local e, nxt = word_end(p, p.pos)
  if not e then return R_MORE end
  if nxt == 40 then -- a call always yields one value: what is pending (a comma) is final
    local r = push(p, S_CV, K_CALL, p.pos)
    if r < 0 then return r end
    flush(p)
    p.pos = e + 1
    return R_GO
  end
  local lit = LITERALS[sub(p.s, p.pos, e - 1)]
  if lit and nxt ~= 46 and nxt ~= 45 then
    emit(p, lit)
    p.pos = e
    value_done(p)
    return R_GO
  end
  if top(p) == S_TFB then return fail(p, "EPARSE", WHY.novalue, p.pos) end
  return start_ustr(p)
end

local function sign_word(p)
  local e, nxt = word_end(p, p.pos + 1)
  if not e then return R_MORE end
  local w = sub(p.s, p.pos + 1, e - 1)
  if nxt ~= 46 and nxt ~= 45 and nxt ~= 40 and (w == "Infinity" or w == "NaN") then
    emit(p, "null")
    p.pos = e
    value_done(p)
    return R_GO
  end
  if top(p) == S_TFB then return fail(p, "EPARSE", WHY.novalue, p.pos) end
  p.pos = p.pos + 1
  return R_GO
end

local function open_string(p, q, qlen)
  emit(p, '"')
  p.tok = T_STR
  p.q = q
  p.pos = p.pos + qlen
  return R_GO
end

local function start_value(p, k, q, qlen)
  if k == V_OBJ or k == V_ARR then
    if p.extract and p.depth == 0 then p.vstart = p.base + p.pos - 1 end
    local r = push(p, k == V_OBJ and S_OK or S_AV, k == V_OBJ and K_OBJ or K_ARR, p.pos)
    if r < 0 then return r end
    emit(p, k == V_OBJ and "{" or "[")
    p.pos = p.pos + 1
    return R_GO
  elseif k == V_STR then
    return open_string(p, q, qlen)
  elseif k == V_NUM then
    return number(p)
  elseif k == V_SWORD then
    return sign_word(p)
  elseif k == V_WORD then
    return word(p)
  end
  return start_ustr(p)
end

------------------------------------------------------------------ the frame

local function step_frame(p)
  local s = p.s
  local i = p.pos
  local c = byte(s, i)
  local st = top(p)
  if st == S_TEND then
    p.pos = p.n + 1
    return R_GO
  end
  if st == S_TS1 then
    local j = find(s, "[{%[]", i) or p.n + 1
    p.pos = j
    if j <= p.n then
      p.pend = ""
      p.has_cand = false
      p.lead_ok = false
      set_top(p, S_TS0)
    end
    return R_GO
  end
  if st == S_TFB then
    local k = classify(p)
    if k == V_NUM then return number(p) end
    if k == V_WORD then return word(p) end
    if k == V_SWORD then return sign_word(p) end
    return fail(p, "EPARSE", WHY.novalue, i)
  end
  if WS[c] then
    local j = find(s, "[^ \t\n\r]", i + 1) or p.n + 1
    if keep_ws(p) then p.pend = p.pend .. sub(s, i, j - 1) end
    p.pos = j
    return R_GO
  end
  if c >= 0x80 then
    local mb, len = mb_at(p)
    if mb == MB_MORE then return R_MORE end
    if mb == MB_SPACE or mb == MB_BOM then
      if mb == MB_SPACE and keep_ws(p) then p.pend = p.pend .. " " end
      p.pos = p.pos + len
      return R_GO
    end
  end
  if c == 35 or c == 47 or c == 96 then
    local com, len = T_NONE, 1
    local a = byte(s, i + 1)
    if c == 35 then
      com = T_LCOM
    elseif i + 1 > p.n then
      if not p.eof then return R_MORE end
    elseif c == 47 then
      com = a == 47 and T_LCOM or a == 42 and T_BCOM or T_NONE
      len = 2
    elseif a == 96 then
      if i + 2 > p.n then
        if not p.eof then return R_MORE end
      elseif byte(s, i + 2) == 96 then
        com, len = T_LCOM, 3
      end
    end
    if com ~= T_NONE and st == S_TDONE then -- after the value, only whitespace is kept
      if p.pclose then out(p, '"') end
      p.pclose = false
      p.pend = ""
      set_top(p, S_TEND)
      return R_GO
    end
    if com ~= T_NONE then
      if st == S_TS0 then
        p.lead_ok = false
        p.pend = ""
      end
      p.tok = com
      p.pos = p.pos + len
      return R_GO
    end
  end
  local k, q, qlen = classify(p)
  if k == V_MORE then return R_MORE end
  if p.concat then
    p.concat = false
    if k == V_STR then
      p.pclose = false
      p.pend = ""
      p.tok = T_STR
      p.q = q
      p.pos = p.pos + qlen
      return R_GO
    end
  end
  if st == S_TS0 then
    if k == V_OBJ or k == V_ARR or k == V_STR then return start_value(p, k, q, qlen) end
    p.has_cand = true
    p.cand = p.base + i - 1
    set_top(p, S_TS1)
    return R_GO
  elseif st == S_TDONE then
    if c == 43 and p.pclose then
      p.concat = true
      p.pos = p.pos + 1
      return R_GO
    end
    if p.pclose then out(p, '"') end
    p.pclose = false
    p.pend = ""
    set_top(p, S_TEND)
    return R_GO
  elseif st == S_AV or st == S_OV or st == S_CV then
    if k == V_COMMA then
      if st == S_OV then
        insert(p, "null")
        set_top(p, S_OA)
        return R_GO
      end
      p.pos = p.pos + 1
      return R_GO
    elseif k == V_CLOBJ then return closer(p, K_OBJ)
    elseif k == V_CLARR then return closer(p, K_ARR)
    elseif k == V_CLCALL then return closer(p, K_CALL)
    elseif k == V_COLON or k == V_EQ or k == V_JUNK then
      p.pos = p.pos + 1
      return R_GO
    end
    return start_value(p, k, q, qlen)
  elseif st == S_OK then
    if k == V_COMMA or k == V_JUNK or k == V_EQ or k == V_OBJ or k == V_ARR then
      p.pos = p.pos + 1
      return R_GO
    elseif k == V_CLOBJ then return closer(p, K_OBJ)
    elseif k == V_CLARR then return closer(p, K_ARR)
    elseif k == V_CLCALL then return closer(p, K_CALL)
    elseif k == V_COLON then
      emit(p, '""')
      set_top(p, S_OC)
      return R_GO
    elseif k == V_STR then
      return open_string(p, q, qlen)
    end
    emit(p, '"')
    p.tok = T_UKEY
    return R_GO
  end
  -- S_AA S_OA S_CA S_OC: after a value (or a key)
  if c == 43 and p.pclose then
    p.concat = true
    p.pos = p.pos + 1
    return R_GO
  end
  if k == V_COMMA then
    if st == S_AA or st == S_OA then
      p.pcomma = #p.pend + 1
      p.pend = p.pend .. ","
      set_top(p, st == S_AA and S_AV or S_OK)
      p.pos = p.pos + 1
    elseif st == S_OC then
      insert(p, ":null")
      set_top(p, S_OA)
    else
      pop(p)
    end
    return R_GO
  elseif k == V_CLOBJ then return closer(p, K_OBJ)
  elseif k == V_CLARR then return closer(p, K_ARR)
  elseif k == V_CLCALL then return closer(p, K_CALL)
  elseif k == V_COLON or k == V_EQ then
    if st == S_OC then
      emit(p, ":")
      set_top(p, S_OV)
    end
    p.pos = p.pos + 1
    return R_GO
  elseif k == V_JUNK or ((k == V_OBJ or k == V_ARR) and st == S_OA) then -- OA: cannot start a key
    p.pos = p.pos + 1
    return R_GO
  end
  if st == S_AA then
    insert(p, ",")
    set_top(p, S_AV)
  elseif st == S_OA then
    insert(p, ",")
    set_top(p, S_OK)
  elseif st == S_OC then
    insert(p, ":")
    set_top(p, S_OV)
  else
    pop(p)
  end
  return R_GO
end

local function finalize(p)
  local t = p.tok
  if t == T_STR or t == T_UKEY then
    out(p, '"')
    value_done(p)
  elseif t == T_USTR then
    out(p, '"')
    p.sp = ""
    value_done(p)
  end
  p.tok = T_NONE
  local st = p.st[1]
  if p.depth == 0 and (st == S_TS0 or st == S_TS1) then
    if p.extract then return R_NONE end
    if p.has_cand then
      p.pos = p.cand - p.base + 1
      p.has_cand = false
      p.st[1] = S_TFB
      return R_GO
    end
    return fail(p, "EPARSE", WHY.novalue, p.n + 1)
  end
  if not (p.depth == 0 and st == S_TDONE) then
    drop_comma(p)
    p.pend = ""
  end
  while p.depth > 0 do close_frame(p, false) end
  if p.o.ndjson and not p.extract then
    drop_comma(p)
    p.pend = ""
    insert(p, "]")
  else
    flush(p)
  end
  p.done = true
  return R_DONE
end

local function run(p)
  while true do
    local r
    if p.extract and p.depth == 0 and p.st[1] == S_TDONE then return R_STOP end
    if p.pos > p.n then
      if not p.eof then return R_MORE end
      if p.done then return R_DONE end
      r = finalize(p)
    elseif p.tok == T_STR then
      r = step_str(p)
    elseif p.tok == T_USTR then
      r = step_ustr(p)
    elseif p.tok == T_UKEY then
      r = step_ukey(p)
    elseif p.tok ~= T_NONE then
      r = step_comment(p)
    else
      r = step_frame(p)
    end
    if r ~= R_GO then return r end
  end
end

------------------------------------------------------------------ public API

local function new(max_depth, max_input, flags)
  local o = {
    max_depth = max_depth, max_input = max_input, ensure_ascii = flags % 2 == 1,
    compact = floor(flags / 2) % 2 == 1, ndjson = floor(flags / 4) % 2 == 1,
  }
  local p = {
    o = o, extract = false, s = "", n = 0, pos = 1, base = 0, eof = false, out = {}, on = 0,
    pend = "", pcomma = 0, pclose = false, concat = false, sp = "", st = { S_TS0 }, depth = 0,
    nopen = { 0, 0, 0 }, tok = T_NONE, q = 0, lead_ok = true, has_cand = false, cand = 0, total = 0,
    vstart = 0, done = false,
  }
  if o.ndjson then
    p.st[1] = S_AV
    out(p, "[")
  end
  return p
end

local function errmsg(p)
  local e = p.err
  local at = e.at + 1
  if e.why == WHY.depth then return sfmt("%s %d at byte %d", e.why, p.o.max_depth, at), e.code end
  if e.why == WHY.input then return sfmt("%s %d at byte %d", e.why, p.o.max_input, at), e.code end
  return sfmt("%s at byte %d", e.why, at), e.code
end

local function take(p)
  local s = tconcat(p.out, "", 1, p.on)
  p.out, p.on = {}, 0
  return s
end

-------------------------------------------------------------------- validator

local function valid(s, max_depth)
  -- a strict RFC 8259 parser (see vl_json_valid): true, ascii
  local n = #s
  local i = 1
  local stack, depth = {}, 0
  local ascii = not find(s, "[\128-\255]")
  local function ws()
    i = find(s, "[^ \t\n\r]", i) or n + 1
  end
  local function str()
    i = i + 1
    while true do
      local j = find(s, '[%z\1-\31"\\\128-\255]', i)
      if not j then return false end
      local c = byte(s, j)
      if c == 34 then
        i = j + 1
        return true
      elseif c == 92 then
        local d = byte(s, j + 1)
        if d == 117 then
          local h = sub(s, j + 2, j + 5)
          if not find(h, "^%x%x%x%x$") then return false end
          local v = tonumber(h, 16)
          if v >= 0xDC00 and v <= 0xDFFF then return false end
          if v >= 0xD800 and v <= 0xDBFF then
            local l = sub(s, j + 6, j + 11)
            if not find(l, "^\\u%x%x%x%x$") then return false end
            local w = tonumber(sub(l, 3), 16)
            if w < 0xDC00 or w > 0xDFFF then return false end
            i = j + 12
          else
            i = j + 6
          end
        elseif d and SIMPLE_ESC[d] then
          i = j + 2
        else
          return false
        end
      elseif c < 0x20 then
        return false
      else
        local r = utf8_seq(s, j, n, true)
        if r == 0 then return false end
        i = j + r
      end
    end
  end
  local function num()
    local e = select(2, find(s, "^%-?0", i)) or select(2, find(s, "^%-?[1-9]%d*", i))
    if not e then return false end
    i = e + 1
    if byte(s, i) == 46 then
      e = select(2, find(s, "^%.%d+", i))
      if not e then return false end
      i = e + 1
    end
    local c = byte(s, i)
    if c == 101 or c == 69 then
      e = select(2, find(s, "^[eE][+-]?%d+", i))
      if not e then return false end
      i = e + 1
    end
    return true
  end
  local state = "value"
  while true do
    if state == "value" then
      ws()
      local c = byte(s, i)
      if not c then return false, ascii end
      if c == 123 or c == 91 then
        if depth >= max_depth then return false, ascii end
        depth = depth + 1
        stack[depth] = c == 123
        i = i + 1
        ws()
        if byte(s, i) == (c == 123 and 125 or 93) then
          i = i + 1
          depth = depth - 1
          state = "after"
        else
          state = c == 123 and "key" or "value"
        end
      elseif c == 34 then
        if not str() then return false, ascii end
        state = "after"
      elseif c == 45 or DIG[c] then
        if not num() then return false, ascii end
        state = "after"
      elseif sub(s, i, i + 3) == "true" or sub(s, i, i + 3) == "null" then
        i = i + 4
        state = "after"
      elseif sub(s, i, i + 4) == "false" then
        i = i + 5
        state = "after"
      else
        return false, ascii
      end
    elseif state == "key" then
      if byte(s, i) ~= 34 or not str() then return false, ascii end
      ws()
      if byte(s, i) ~= 58 then return false, ascii end
      i = i + 1
      state = "value"
    else
      ws()
      if depth == 0 then return i > n, ascii end
      local c = byte(s, i)
      if c == 44 then
        i = i + 1
        if stack[depth] then
          ws()
          state = "key"
        else
          state = "value"
        end
      elseif c == (stack[depth] and 125 or 93) then
        i = i + 1
        depth = depth - 1
      else
        return false, ascii
      end
    end
  end
end
M.valid = valid

--- repair(text, max_depth, max_input, flags) -> text | nil, msg, code
function M.repair(text, max_depth, max_input, flags)
  local p = new(max_depth, max_input, flags)
  if #text > max_input then
    fail(p, "ELIMIT", WHY.input, max_input + 1)
    return nil, errmsg(p)
  end
  if not p.o.compact and not p.o.ndjson then
    local ok, ascii = valid(text, max_depth)
    if ok and (ascii or not p.o.ensure_ascii) then return text end
  end
  p.s, p.n, p.eof, p.total = text, #text, true, #text
  local r = run(p)
  if r == R_ERR then return nil, errmsg(p) end
  return take(p)
end

--- extract(text, max_depth, max_input, flags) -> { {start=, stop=, text=, truncated=} } | nil, msg, code
function M.extract(text, max_depth, max_input, flags)
  local n = #text
  if n > max_input then return M.repair(text, max_depth, max_input, flags) end
  local res, from = {}, 0
  flags = flags % 4 -- ndjson off
  while true do
    local p = new(max_depth, max_input, flags)
    p.extract, p.lead_ok = true, false
    p.st[1] = S_TS1
    p.s, p.n, p.base, p.pos, p.eof = text, n, 0, from + 1, true
    local r = run(p)
    if r == R_ERR then return nil, errmsg(p) end
    if r == R_NONE then break end
    local stop = p.pos - 1
    res[#res + 1] = { start = p.vstart + 1, stop = stop, text = take(p), truncated = r == R_DONE }
    from = stop
  end
  return res
end

local Stream = {}
Stream.__index = Stream
Stream.__name = "Stream"

local function check_stream(self, fname)
  if getmetatable(self) ~= Stream then
    error(sfmt("bad argument #1 to '%s' (Stream expected, got %s)", fname, type(self)), 3)
  end
  if not self.p then error("Stream is closed", 3) end
end

function Stream:feed(...)
  check_stream(self, "feed")
  local chunk = ...
  if type(chunk) ~= "string" then
    local got = select("#", ...) == 0 and "no value" or type(chunk)
    error(sfmt("bad argument #1 to 'feed' (string expected, got %s)", got), 2)
  end
  if self.finished then error("Stream is finished", 2) end
  local p = self.p
  if p.err then return nil, errmsg(p) end
  if #chunk > p.o.max_input - p.total then
    fail(p, "ELIMIT", WHY.input, p.o.max_input - p.base + 1)
    return nil, errmsg(p)
  end
  p.total = p.total + #chunk
  local keep = p.pos - 1
  if p.has_cand and p.cand - p.base < keep then keep = p.cand - p.base end
  if keep > 0 and keep >= floor(p.n / 2) then
    p.s = sub(p.s, keep + 1)
    p.n = p.n - keep
    p.pos = p.pos - keep
    p.base = p.base + keep
  end
  p.s = p.s .. chunk
  p.n = #p.s
  local r = run(p)
  if r == R_ERR then return nil, errmsg(p) end
  return take(p)
end

function Stream:finish()
  check_stream(self, "finish")
  if self.finished then error("Stream is finished", 2) end
  self.finished = true
  local p = self.p
  if p.err then return nil, errmsg(p) end
  p.eof = true
  local r = run(p)
  if r == R_ERR then return nil, errmsg(p) end
  return take(p)
end

function Stream:close()
  self.p = nil
end

function Stream.__tostring(self)
  return self.p and "Stream" or "Stream (closed)"
end

--- stream(max_depth, max_input, flags) -> Stream
function M.stream(max_depth, max_input, flags)
  return setmetatable({ p = new(max_depth, max_input, flags) }, Stream)
end

return M
