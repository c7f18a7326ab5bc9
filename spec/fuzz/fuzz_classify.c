/*
 * fuzz_classify.c: libFuzzer target for the rule-driven matchers built on the pattern
 * engine (core/patterns.c, core/ac.c), through the embedding API: the keyword
 * classifier (victor.classifier, default pack), the response sanitizer
 * (victor.sanitize) and literal matchers (victor.patterns.literals), in a native and
 * a pure-Lua fallback runtime.
 *
 * The first input byte chooses the literal matcher's options (match kind, case
 * folding, word boundaries); the rest is split at its first NUL byte: the lines before
 * it are the literals (at most 16 non-empty), what follows is the text (with no NUL,
 * the whole input is the text and the literals are its first words). In each runtime:
 * classify(text, {all = true}); sanitize.strip_markup, extract_code_blocks,
 * extract_shell_commands, extract_file_path (and, native only: the rule-driven
 * response, leaks and is_garbage run on PCRE2, with no fallback); the matcher's
 * find_all, count and find from a seeded init. Findings (abort):
 *   - a call raised;
 *   - response() longer than its input, leak spans out of range or order;
 *   - classifier confidences outside 0..1 or not summing to 1 (when anything scored),
 *     a ranking not by score descending; literal matches out of range, count ~= #find_all / 3,
 *     find ~= the first of find_all;
 *   - native and fallback disagree (numbers within 1e-9);
 *   - memory grows across inputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_runtime.h"

#define MEMORY_LIMIT ((size_t)256 << 20)
#define GROWTH_SLACK ((size_t)16 << 20)

static const char helper_src[] =
  "package.preload['fuzz.classify'] = function()\n"
  "  local cl, san, pat = require 'victor.classifier', require 'victor.sanitize', require 'victor.patterns'\n"
  "  local floor, abs = math.floor, math.abs\n"
  "  local M = {}\n"
  FUZZ_LUA_UNHEX FUZZ_LUA_DUMP
  "  local function finding(msg) error('FINDING: ' .. msg, 0) end\n"
  "  function M.run(hex, ctl, other)\n"
  "    local t, c = unhex(hex), tonumber(ctl)\n"
  "    local list, text = {}, t\n"
  "    local z = t:find('\\0', 1, true)\n"
  "    if z then\n"
  "      text = t:sub(z + 1)\n"
  "      for w in t:sub(1, z - 1):gmatch('[^\\n]+') do if #list < 16 then list[#list + 1] = w end end\n"
  "    else\n"
  "      for w in t:gmatch('%S+') do if #list < 4 then list[#list + 1] = w:sub(1, 8) end end\n"
  "    end\n"
  "    local out = {}\n"
  "    local rank = assert(cl.classify(text, { all = true }))\n"
  "    local total = 0\n"
  "    for i, r in ipairs(rank) do\n"
  "      if not (r.confidence >= 0 and r.confidence <= 1 and r.score >= 0) then finding('confidence or score out of range') end\n"
  "      if i > 1 and rank[i - 1].score < r.score then\n"
  "        finding('ranking out of order at ' .. i)\n"
  "      end\n"
  "      total = total + r.confidence\n"
  "    end\n"
  "    if rank[1] and rank[1].score > 0 and abs(total - 1) > 1e-9 then finding('confidences sum to ' .. total) end\n"
  "    out[#out + 1] = rank\n"
  "    if san.backend == 'native' then\n"
  "      local r = san.response(text)\n"
  "      if type(r) ~= 'string' or #r > #text then finding('response grew the text') end\n"
  "      local prev = 0\n"
  "      for _, f in ipairs(san.leaks(text)) do\n"
  "        if not (f.start >= 1 and f.start <= f.stop and f.stop <= #text and f.start >= prev) then\n"
  "          finding('leak span ' .. f.start .. '..' .. f.stop .. ' out of range or order')\n"
  "        end\n"
  "        prev = f.start\n"
  "      end\n"
  "      san.is_garbage(text)\n"
  "    end\n"
  "    out[#out + 1] = { san.strip_markup(text), san.extract_code_blocks(text), san.extract_shell_commands(text),\n"
  "                      san.extract_file_path(text) or false }\n"
  "    if #list > 0 then\n"
  "      local kind = ({ 'standard', 'leftmost_first', 'leftmost_longest' })[c % 3 + 1]\n"
  "      local m = assert(pat.literals(list, { match_kind = kind, case_insensitive = floor(c / 3) % 2 == 1,\n"
  "                                            word_boundary = floor(c / 6) % 2 == 1 }))\n"
  "      local init = 1 + floor(c / 12) % 4\n"
  "      if init > #text + 1 then init = 1 end\n"
  "      local all = m:find_all(text, init)\n"
  "      for i = 1, #all, 3 do\n"
  "        local id, s, e = all[i], all[i + 1], all[i + 2]\n"
  "        if not (id >= 1 and id <= #list and s >= init and e >= s and e <= #text and e - s + 1 == #list[id]) then\n"
  "          finding('literal match ' .. id .. ' at ' .. s .. '..' .. e .. ' out of range')\n"
  "        end\n"
  "      end\n"
  "      if m:count(text, init) ~= #all / 3 then finding('count ~= #find_all / 3') end\n"
  "      local id, s, e = m:find(text, init)\n"
  "      if id ~= all[1] or s ~= all[2] or e ~= all[3] then finding('find ~= the first of find_all') end\n"
  "      out[#out + 1] = all\n"
  "    end\n"
  "    local r = dumps(out)\n"
  "    check_same(other, r, 1e-9)\n"
  "    return r\n"
  "  end\n"
  FUZZ_LUA_MODULE_END;

static fuzz_pair fp = {"fuzz_classify", "fuzz.classify", NULL, NULL, 0, 0};

FUZZ_PAIR_TARGET(fp, helper_src, MEMORY_LIMIT, 8192, 1, GROWTH_SLACK)
