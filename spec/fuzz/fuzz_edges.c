/*
 * fuzz_edges.c: libFuzzer target for the edge-list loader of victor.graph
 * (graph.parse: one edge `a b [weight]` per line, `#` comments) and the algorithms
 * on what it builds, through the embedding API, in a native (core/graph.c) and a
 * pure-Lua fallback runtime.
 *
 * The first input byte chooses directed or undirected, the PageRank method (power
 * iteration or Gauss-Seidel), with or without weights, and a personalisation; the
 * rest is the edge list. In each runtime: parse (an error must be nil, msg, code with
 * the line number: EPARSE or EINVAL), then pagerank, weak and strong components,
 * degree, betweenness, the shortest path from the first node to the last and top(3).
 * Findings (abort):
 *   - a call raised, or parse failed without "input:<line>:" and a code;
 *   - PageRank scores not summing to 1 within 1e-9 or negative; components that do
 *     not partition the nodes; a path that does not start at a and end at b;
 *   - native and fallback disagree (numbers within 1e-9; the iteration count is left
 *     out: a residual within rounding of tol may take one step more on one side);
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
  "package.preload['fuzz.edges'] = function()\n"
  "  local graph = require 'victor.graph'\n"
  "  local floor, abs = math.floor, math.abs\n"
  "  local M = {}\n"
  FUZZ_LUA_UNHEX FUZZ_LUA_DUMP
  "  local function finding(msg) error('FINDING: ' .. msg, 0) end\n"
  "  function M.run(hex, ctl, other)\n"
  "    local t, c = unhex(hex), tonumber(ctl)\n"
  "    local directed = c % 2 == 0\n"
  "    local g, msg, code = graph.parse(t, { directed = directed })\n"
  "    local out = {}\n"
  "    if not g then\n"
  "      if not (msg:find('^input:%d+: ') and (code == 'EPARSE' or code == 'EINVAL')) then\n"
  "        finding('parse failed with ' .. tostring(msg) .. ' / ' .. tostring(code))\n"
  "      end\n"
  "      out[1] = { msg, code }\n"
  "    else\n"
  "      local n = g:nodes()\n"
  "      local ids = {}\n"
  "      for i = 1, n do ids[i] = g:id(i) end\n"
  "      local pers\n"
  "      if floor(c / 8) % 2 == 1 and n > 0 then pers = { [ids[1]] = 1, [ids[n]] = 2 } end\n"
  "      local pr, it, res = g:pagerank({ method = floor(c / 2) % 2 == 1 and 'gauss_seidel' or nil,\n"
  "                                       weights = floor(c / 4) % 2 == 0, personalization = pers })\n"
  "      if pr then\n"
  "        local sum = 0\n"
  "        for i = 1, n do\n"
  "          local x = pr[ids[i]]\n"
  "          if not (x >= 0) then finding('negative or NaN score') end\n"
  "          sum = sum + x\n"
  "        end\n"
  "        if n > 0 and abs(sum - 1) > 1e-9 then finding('scores sum to ' .. sum) end\n"
  "        out[#out + 1] = { pr, res }\n"
  "        out[#out + 1] = { g:top(pr, 3) }\n"
  "      else\n"
  "        out[#out + 1] = { it, res }\n"
  "      end\n"
  "      for _, strong in ipairs(directed and { false, true } or { false }) do\n"
  "        local comps, of = g:components({ strong = strong })\n"
  "        local seen = 0\n"
  "        for k, comp in ipairs(comps) do\n"
  "          for _, id in ipairs(comp) do\n"
  "            if of[id] ~= k then finding('node ' .. tostring(id) .. ' not in its component') end\n"
  "            seen = seen + 1\n"
  "          end\n"
  "        end\n"
  "        if seen ~= n then finding('components cover ' .. seen .. ' of ' .. n .. ' nodes') end\n"
  "        out[#out + 1] = comps\n"
  "      end\n"
  "      out[#out + 1] = { g:degree() }\n"
  "      out[#out + 1] = g:betweenness()\n"
  "      if n > 0 then\n"
  "        local path, len = g:shortest_path(ids[1], ids[n])\n"
  "        if path and (path[1] ~= ids[1] or path[#path] ~= ids[n]) then finding('path does not join its ends') end\n"
  "        out[#out + 1] = { path or false, len or false }\n"
  "      end\n"
  "      g:close()\n"
  "    end\n"
  "    local r = dumps(out)\n"
  "    check_same(other, r, 1e-9)\n"
  "    return r\n"
  "  end\n"
  FUZZ_LUA_MODULE_END;

static fuzz_pair fp = {"fuzz_edges", "fuzz.edges", NULL, NULL, 0, 0};

FUZZ_PAIR_TARGET(fp, helper_src, MEMORY_LIMIT, 4096, 1, GROWTH_SLACK)
