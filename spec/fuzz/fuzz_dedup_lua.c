/*
 * fuzz_dedup_lua.c: libFuzzer target for victor.dedup through the embedding API
 * (core/victor_lua.h): the native kernel against the pure-Lua fallback.
 *
 * Two runtimes are created once: one with the native kernels, one with
 * vl_config.no_native. The first input byte chooses the options (min_block_length,
 * near threshold, normaliser steps, stream chunk sizes); the rest is the text, passed
 * hex-encoded (the API takes C strings; the text may hold NUL bytes). In each runtime
 * the helper fuzz.dedup.run computes, on that text: dedup (exact or near mode) and
 * its stats, find_duplicate_blocks, dedup_lines with counts and with NUL lines,
 * normalize_block, block_id, simhash, a normalizer's apply, and the streams (blocks
 * and lines) fed in chunks of seeded sizes; it checks there that each stream's output
 * equals the one-shot call, and returns everything as one string. Findings (abort, so
 * libFuzzer keeps the input):
 *   - a call raised, or a stream differed from its one-shot call;
 *   - native and fallback returned different strings (the first difference is shown).
 * Every 256 inputs a full GC must bring each runtime back near its baseline memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_runtime.h"

#define MEMORY_LIMIT ((size_t)256 << 20)
#define GROWTH_SLACK ((size_t)16 << 20)

/* package.preload["fuzz.dedup"]: the calls compared, as one string. */
static const char helper_src[] =
  "package.preload['fuzz.dedup'] = function()\n"
  "  local dd = require 'victor.dedup'\n"
  "  local tonumber, floor, concat = tonumber, math.floor, table.concat\n"
  "  local M = {}\n"
  "  " FUZZ_LUA_UNHEX
  "  local function span(s) return s.start .. ',' .. s.stop .. ',' .. s.line end\n"
  "  local function streamed(t, opts, seed)\n"
  "    local s, parts, pos = dd.stream(opts), {}, 1\n"
  "    while pos <= #t do\n"
  "      seed = (seed * 1103515245 + 12345) % 2147483648\n"
  "      local k = floor(seed / 65536) % 65\n"
  "      parts[#parts + 1] = s:feed(t:sub(pos, pos + k - 1))\n"
  "      pos = pos + k\n"
  "    end\n"
  "    parts[#parts + 1] = s:finish()\n"
  "    s:close()\n"
  "    return concat(parts)\n"
  "  end\n"
  "  function M.run(hex, ctl)\n"
  "    local t, c = unhex(hex), tonumber(ctl)\n"
  "    local min = ({ 0, 1, 10, 50 })[c % 4 + 1]\n"
  "    local near = ({ false, 3, 10, 64 })[floor(c / 4) % 4 + 1] or nil\n"
  "    local out = {}\n"
  "    local function add(...) for i = 1, select('#', ...) do out[#out + 1] = tostring((select(i, ...))) end end\n"
  "    local d, st = dd.dedup(t, { min_block_length = min, near = near })\n"
  "    add(d, st.blocks, st.removed, st.bytes_in, st.bytes_out, st.near_removed)\n"
  "    for _, e in ipairs(dd.find_duplicate_blocks(t, { min_block_length = min, near = near })) do\n"
  "      add(span(e.first), span(e.dup), e.id, e.victor_id, e.distance, e.near)\n"
  "    end\n"
  "    local l, ls = dd.dedup_lines(t, { counts = true })\n"
  "    add(l, ls.lines, ls.removed, concat(ls.counts, ','))\n"
  "    local z = dd.dedup_lines(t, { delimiter = '\\0' })\n"
  "    add(z, dd.normalize_block(t), dd.block_id(t), dd.simhash(t))\n"
  "    local steps = { 'crlf', 'ansi', 'zero_width', 'collapse_ws', 'trim_lines' }\n"
  "    local nopts = { lower = ({ 'ascii', 'unicode', false })[floor(c / 16) % 3 + 1] }\n"
  "    for i, k in ipairs(steps) do nopts[k] = floor(c / 2 ^ (i + 2)) % 2 == 1 end\n"
  "    add(dd.normalizer(nopts):apply(t))\n"
  "    if not near then\n"
  "      local s = streamed(t, { min_block_length = min }, c + #t)\n"
  "      if s ~= d then error('FINDING: blocks stream differs from dedup') end\n"
  "    end\n"
  "    local s = streamed(t, { mode = 'lines', delimiter = '\\0' }, c * 7 + 1)\n"
  "    if s ~= z then error('FINDING: lines stream differs from dedup_lines') end\n"
  "    return concat(out, '\\1')\n"
  "  end\n"
  "  function M.backend() return dd.backend end\n"
  "  function M.collect() collectgarbage() collectgarbage() return true end\n"
  "  return M\n"
  "end\n";

static fuzz_pair fp = {"fuzz_dedup_lua", "fuzz.dedup", NULL, NULL, 0, 0};

FUZZ_PAIR_TARGET(fp, helper_src, MEMORY_LIMIT, 4096, 0, GROWTH_SLACK)
