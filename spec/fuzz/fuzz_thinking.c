/*
 * fuzz_thinking.c: libFuzzer target for victor.thinking's loop detector through the
 * embedding API (core/victor_lua.h), in a native and a pure-Lua fallback runtime
 * (the phrase matching of circular_phrase and stall rules runs on the pattern engine).
 *
 * The first input byte chooses the settings (repeats, min_bytes, window, similarity,
 * stalls); the rest is a transcript. In each runtime: scan() of the whole text, the
 * same text fed to a detector in chunks of seeded sizes (0..96 bytes) with every
 * verdict collected and merged, and each line given as a thought to add_thought.
 * Findings (abort, so libFuzzer keeps the input):
 *   - a call raised;
 *   - the streamed verdicts differ from scan() (offsets, periods, counts, phrases);
 *   - a verdict's span is outside the text or not start <= stop;
 *   - native and fallback disagree (numbers within 1e-12);
 *   - memory grows (a full GC every 256 inputs must bring each runtime back near its
 *     baseline: a detector keeps at most its window of thoughts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_runtime.h"

#define MEMORY_LIMIT ((size_t)256 << 20)
#define GROWTH_SLACK ((size_t)16 << 20)

static const char helper_src[] =
  "package.preload['fuzz.thinking'] = function()\n"
  "  local th = require 'victor.thinking'\n"
  "  local floor = math.floor\n"
  "  local M = {}\n"
  FUZZ_LUA_UNHEX FUZZ_LUA_DUMP
  "  function M.run(hex, ctl, other)\n"
  "    local t, c = unhex(hex), tonumber(ctl)\n"
  "    local opts = { repeats = 2 + c % 3, min_bytes = ({ 1, 8, 24 })[floor(c / 3) % 3 + 1],\n"
  "                   window = ({ 3, 10 })[floor(c / 9) % 2 + 1], similarity = ({ 0.65, 0.9 })[floor(c / 18) % 2 + 1],\n"
  "                   stalls = 1 + floor(c / 36) % 3 }\n"
  "    local one = th.scan(t, opts)\n"
  "    for _, v in ipairs(one) do\n"
  "      if not (v.span[1] >= 1 and v.span[1] <= v.span[2] and v.span[2] <= #t) then\n"
  "        error('FINDING: span ' .. v.span[1] .. '..' .. v.span[2] .. ' outside 1..' .. #t, 0)\n"
  "      end\n"
  "    end\n"
  "    local d, all = th.detector(opts), {}\n"
  "    d.sink = all\n"
  "    local pos, seed = 1, c + #t\n"
  "    while pos <= #t do\n"
  "      seed = (seed * 1103515245 + 12345) % 2147483648\n"
  "      local k = floor(seed / 65536) % 97\n"
  "      d:feed(t:sub(pos, pos + k - 1))\n"
  "      pos = pos + k\n"
  "    end\n"
  "    d:finish()\n"
  "    local a, b = dumps(one), dumps(th.merge(all))\n"
  "    if a ~= b then error('FINDING: streamed verdicts differ from scan():\\n  scan:   ' .. a:sub(1, 300)\n"
  "                         .. '\\n  stream: ' .. b:sub(1, 300), 0) end\n"
  "    local d2, got = th.detector(opts), {}\n"
  "    for line in t:gmatch('[^\\n]+') do got[#got + 1] = d2:add_thought(line) or false end\n"
  "    local r = a .. '\\2' .. dumps(got) .. '\\2' .. dumps(d2:stats())\n"
  "    check_same(other, r, 1e-12)\n"
  "    return r\n"
  "  end\n"
  FUZZ_LUA_MODULE_END;

static fuzz_pair fp = {"fuzz_thinking", "fuzz.thinking", NULL, NULL, 0, 0};

FUZZ_PAIR_TARGET(fp, helper_src, MEMORY_LIMIT, 8192, 1, GROWTH_SLACK)
