-- thinking_eval.lua: the generated evaluation set of victor.thinking's loop detector, shared by
-- spec/thinking_spec.lua and bench/thinking_bench.lua. Deterministic (xorshift32, fixed seeds).
--
--   eval.loops(seed)     loop cases: a loop-free prefix (prose, about 1-2 KB), then a unit of
--                        thoughts repeated `repeats` times, then a loop-free suffix. Periods 20,
--                        50, 100, 200, 500, 1000, 2000 bytes (approximately: the unit is whole
--                        sentences), repeats 3, 5, 10, 50, each without and with small edits: one
--                        edit in every copy after the first (a word of one sentence replaced by
--                        another word for units of 60 bytes or more, else one letter changed).
--                        Each case: { name, text, onset (1-based offset of the first copy), period
--                        (bytes of the unit), repeats, edits, third_end (offset of the last byte of
--                        the third copy: "within 3 periods of the onset") }.
--   eval.loop_free(seed) loop-free cases { name, text }: generated code (C and Lua), markdown tables,
--                        bullet and numbered lists, log lines with differing numbers, TAP test
--                        output ("ok 1 - ..."), JSON lines, prose.
local rng = require "support.rng"

local M = {}
local sfmt, tconcat = string.format, table.concat

local WORDS = {}
for w in ([[able about account across action address after again against agent answer apply argument
  array assume attempt before begin behind better between block branch buffer build cache call case
  change check child class clean close code column command commit compare config connect context copy
  count create current cursor data debug default define delete detail device direct error event every
  expect false field figure file filter final first fixed follow format frame function global graph
  group handle header height hidden index input insert issue item known label layer length level limit
  line list local lock loop match memory method model module money network never number object offset
  option order output owner package page parent parse partial path pattern place point policy pool
  position print private process profile public query queue quick range reason record region release
  remote render report request result return review right route round rule sample scale schema scope
  screen search second select server session setting shape share signal simple single size source
  space split stack start state status step store stream string struct style table target task test
  text thread token total track trace tree type under union update value version view visit window
  worker write yield]]):gmatch("%a+") do WORDS[#WORDS + 1] = w end

local function word(r) return WORDS[r(#WORDS) + 1] end

local function sentence(r, nwords)
  local w = {}
  for i = 1, nwords do w[i] = word(r) end
  w[1] = w[1]:sub(1, 1):upper() .. w[1]:sub(2)
  return tconcat(w, " ") .. "."
end

-- Prose of about `bytes` bytes: sentences of 5-14 words, 2-5 per paragraph.
local function prose(r, bytes, nw)
  local out, n, k = {}, 0, 0
  while n < bytes do
    k = k + 1
    local s = sentence(r, nw and nw(r) or 5 + r(10))
    local sep = (k % (2 + r(4)) == 0) and "\n\n" or " "
    out[#out + 1] = s .. sep
    n = n + #s + #sep
  end
  return tconcat(out)
end
M.prose = prose

-- A unit of whole sentences of about `period` bytes, as a list of sentences (each ending ". ").
local function unit(r, period)
  if period <= 24 then
    local s
    repeat s = sentence(r, 3) until #s + 1 >= period - 6 and #s + 1 <= period + 6
    return { s .. " " }
  end
  local sents, n = {}, 0
  while n < period - 10 do
    local left = period - n
    local nw = left < 40 and math.max(2, math.floor(left / 7)) or 4 + r(9)
    local s = sentence(r, nw) .. " "
    sents[#sents + 1] = s
    n = n + #s
  end
  return sents
end

local function edit(r, sents, nbytes)
  local out = {}
  for i, s in ipairs(sents) do out[i] = s end
  local k = r(#out) + 1
  local s = out[k]
  if nbytes >= 60 then
    local ws = {}
    for w in s:gmatch("%S+") do ws[#ws + 1] = w end
    local j = r(#ws) + 1
    local last = j == #ws
    local w = word(r)
    ws[j] = (j == 1 and (w:sub(1, 1):upper() .. w:sub(2)) or w) .. (last and "." or "")
    out[k] = tconcat(ws, " ") .. " "
  else
    -- one letter (not the first of the sentence) changed
    local pos
    repeat pos = 2 + r(#s - 3) until s:sub(pos, pos):match("%l")
    local c = string.char(97 + (s:byte(pos) - 97 + 1 + r(24)) % 26)
    out[k] = s:sub(1, pos - 1) .. c .. s:sub(pos + 1)
  end
  return tconcat(out)
end

M.PERIODS = { 20, 50, 100, 200, 500, 1000, 2000 }
M.REPEATS = { 3, 5, 10, 50 }

function M.loops(seed)
  local r = rng(seed or 4242)
  local cases = {}
  for _, period in ipairs(M.PERIODS) do
    for _, repeats in ipairs(M.REPEATS) do
      for _, edits in ipairs({ false, true }) do
        local prefix = prose(r, 1000 + r(1000))
        if not prefix:find("\n$") then prefix = prefix .. "\n" end
        local sents = unit(r, period)
        local base = tconcat(sents)
        local copies = { base }
        for i = 2, repeats do copies[i] = edits and edit(r, sents, #base) or base end
        local body = tconcat(copies)
        cases[#cases + 1] = { name = sfmt("period %d x%d%s", period, repeats, edits and " edited" or ""),
          text = prefix .. body .. "\n" .. prose(r, 500), onset = #prefix + 1, period = #base, repeats = repeats,
          edits = edits, third_end = #prefix + #copies[1] + #copies[2] + #copies[3] }
      end
    end
  end
  return cases
end

local function ident(r)
  local a, b = word(r), word(r)
  return a .. "_" .. b
end

local function c_code(r, nfuncs)
  local out = { "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <stdint.h>\n\n" }
  for _ = 1, nfuncs do
    local f = ident(r)
    out[#out + 1] = sfmt("static int %s(const char *%s, size_t %s)\n{\n", f, word(r), word(r))
    for _ = 1, 3 + r(8) do
      local kind = r(5)
      if kind == 0 then
        out[#out + 1] = sfmt("  if (%s == NULL)\n    return -1;\n", word(r))
      elseif kind == 1 then
        out[#out + 1] = sfmt("  for (size_t i = 0; i < %s; i++) {\n    %s[i] = %s(%s[i]);\n  }\n", word(r), word(r),
          ident(r), word(r))
      elseif kind == 2 then
        out[#out + 1] = sfmt("  %s->%s = %d;\n", word(r), word(r), r(1000))
      elseif kind == 3 then
        out[#out + 1] = sfmt("  int %s = %s(%s, %d);\n", word(r), ident(r), word(r), r(64))
      else
        out[#out + 1] = "  }\n  }\n"
      end
    end
    out[#out + 1] = "  return 0;\n}\n\n"
  end
  return tconcat(out)
end

local function lua_code(r, nfuncs)
  local out = { "local M = {}\n\nlocal type, error, pairs = type, error, pairs\nlocal sfmt = string.format\n\n" }
  for _ = 1, nfuncs do
    out[#out + 1] = sfmt("function M.%s(%s, %s)\n", ident(r), word(r), word(r))
    for _ = 1, 3 + r(8) do
      local kind = r(5)
      if kind == 0 then out[#out + 1] = sfmt("  if not %s then return nil, %q end\n", word(r), "no " .. word(r))
      elseif kind == 1 then out[#out + 1] = sfmt("  for i = 1, #%s do\n    %s[i] = %s[i] + %d\n  end\n", word(r),
        word(r), word(r), r(10))
      elseif kind == 2 then out[#out + 1] = sfmt("  local %s = %s.%s\n", word(r), word(r), word(r))
      elseif kind == 3 then out[#out + 1] = "  end\n  end\n"
      else out[#out + 1] = sfmt("  %s[#%s + 1] = %s\n", word(r), word(r), word(r)) end
    end
    out[#out + 1] = "  return true\nend\n\n"
  end
  return tconcat(out) .. "return M\n"
end

local function md_table(r, rows)
  local out = { "| name | kind | count | note |\n|------|------|------:|------|\n" }
  for _ = 1, rows do
    out[#out + 1] = sfmt("| `%s` | %s | %d | %s %s |\n", ident(r), r(2) == 0 and "yes" or "no", r(5000), word(r),
      word(r))
  end
  -- a table without numbers: the template dominates each row
  out[#out + 1] = "\n| option | default | meaning |\n|---|---|---|\n"
  for _ = 1, rows do
    out[#out + 1] = sfmt("| `--%s-%s` | off | %s the %s |\n", word(r), word(r), word(r), word(r))
  end
  return tconcat(out)
end

local function lists(r, items)
  local out = {}
  for _ = 1, items do out[#out + 1] = sfmt("- %s %s %s\n", word(r), word(r), word(r)) end
  out[#out + 1] = "\n"
  for i = 1, items do out[#out + 1] = sfmt("%d. %s the %s\n", i, word(r), word(r)) end
  out[#out + 1] = "\n"
  for _ = 1, items do out[#out + 1] = sfmt("- [%s] %s %s\n", r(2) == 0 and "x" or " ", word(r), word(r)) end
  return tconcat(out)
end

local function log_lines(r, lines)
  local LEVELS = { "INFO", "INFO", "WARN", "DEBUG", "ERROR" }
  local out = {}
  for i = 1, lines do
    out[i] = sfmt("2024-06-07T10:%02d:%02d.%03dZ %s worker-%d request %d status=%d took %dms\n", i % 60, r(60),
      r(1000), LEVELS[r(5) + 1], r(16), 10000 + i, 200 + r(4), r(900))
  end
  return tconcat(out)
end

local function tap(r, tests)
  local out = { sfmt("1..%d\n", tests) }
  for i = 1, tests do
    out[#out + 1] = sfmt("%s %d - %s %s\n", r(20) == 0 and "not ok" or "ok", i, word(r), word(r))
  end
  out[#out + 1] = "\n"
  for i = 1, tests do out[#out + 1] = sfmt("ok %d\n", i) end
  for _ = 1, tests do out[#out + 1] = sfmt("test %s::%s ... ok\n", word(r), word(r)) end
  return tconcat(out)
end

local function json_lines(r, n)
  local out = {}
  for i = 1, n do
    out[i] = sfmt('{"id": %d, "name": "%s", "tags": ["%s", "%s"], "score": %d.%d}\n', i, ident(r), word(r),
      word(r), r(100), r(100))
  end
  return tconcat(out)
end

function M.loop_free(seed)
  local r = rng(seed or 777)
  return {
    { name = "C code", text = c_code(r, 60) },
    { name = "Lua code", text = lua_code(r, 60) },
    { name = "markdown tables", text = md_table(r, 80) },
    { name = "lists", text = lists(r, 60) },
    { name = "log lines", text = log_lines(r, 400) },
    { name = "test output", text = tap(r, 200) },
    { name = "JSON lines", text = json_lines(r, 200) },
    { name = "prose", text = prose(r, 20000) },
  }
end

return M
