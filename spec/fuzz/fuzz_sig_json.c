/*
 * fuzz_sig_json.c: libFuzzer target for victor.signature.of_json through the embedding
 * API (core/victor_lua.h): lua-cjson decodes the input, the canonical writer signs it.
 *
 * Two runtimes are created once: one with the native kernels, one with
 * vl_config.no_native (the pure-Lua fallback). Each input, cut at its first NUL, is
 * passed as the JSON text of
 *   vl_runtime_call(rt, "victor.signature", "of_json", 2, {"tool", json}, ...)
 * in both. Findings (abort, so libFuzzer keeps the input):
 *   - a result other than VL_OK (16 lowercase hex digits) or VL_EINPUT (a code), i.e.
 *     the function raised instead of returning nil, msg, code;
 *   - native and fallback disagree: different outcome, code or signature. On a
 *     signature mismatch both canonical forms are printed.
 * Every 256 inputs a full GC must bring each runtime back near its baseline memory.
 * Needs lua-cjson (cjson.so on package.cpath); without it every call is ENOTSUP and
 * the target says so once.
 *
 * FUZZ_NO_JIT=1 runs both runtimes with jit.off(). The system LuaJIT (Debian
 * 2.1.0~beta3+git20220320) has LuaJIT issue #827: a JIT-compiled pairs() loop can end
 * early once nested traversals get blacklisted, so the pure-Lua fallback may sign a
 * table as if it were empty ({}); that shows up here as a disagreement that does not
 * reproduce when the input is run alone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_runtime.h"

#define MEMORY_LIMIT ((size_t)64 << 20)
#define GROWTH_SLACK ((size_t)16 << 20)

static unsigned long runs;

/* Helpers for diagnostics and the memory check, as package.preload["fuzz.sig"]. */
static const char helper_src[] =
  "package.preload['fuzz.sig'] = function()\n"
  "  local sig = require 'victor.signature'\n"
  "  local cjson = require 'cjson.safe'\n"
  "  local M = {}\n"
  "  function M.canonical(json)\n"
  "    local v = cjson.decode(json)\n"
  "    if type(v) ~= 'table' then return 'not a table' end\n"
  "    local c, msg = sig.canonical('tool', v)\n"
  "    if not c then return 'error: ' .. tostring(msg) end\n"
  "    return (c:gsub('[^\\32-\\126]', function(ch) return ('\\\\x%02x'):format(ch:byte()) end))\n"
  "  end\n"
  "  function M.diag(json)\n"
  "    local v = cjson.decode(json)\n"
  "    if type(v) ~= 'table' then return 'not a table' end\n"
  "    local c = sig.canonical('tool', v)\n"
  "    return ('now: of %s, of again %s, hash64(canonical) %s, #canonical %s')\n"
  "      :format(tostring(sig.of('tool', v)), tostring(sig.of('tool', v)), c and sig.hash64(c) or '-', c and #c or '-')\n"
  "  end\n"
  "  function M.backend() return sig.backend end\n"
  "  function M.collect() collectgarbage() collectgarbage() return true end\n"
  "  return M\n"
  "end\n";

static fuzz_pair fp = {"fuzz_sig_json", "fuzz.sig", NULL, NULL, 0, 0};

static void free_runtimes(void)
{
  fuzz_pair_close(&fp);
}

static void setup(void)
{
  const char *args[2] = {"tool", "1"};
  int rc;
  fuzz_pair_open(&fp, helper_src, MEMORY_LIMIT);
  /* Load victor.signature and cjson before the memory baseline is taken, with JSON
   * that is not a table (ETYPE): no table is signed yet, so the first input meets
   * the binding's scratch as a fresh runtime would. */
  rc = vl_runtime_call(fp.native, "victor.signature", "of_json", 2, args, NULL, NULL);
  if (rc != VL_EINPUT)
    fprintf(stderr, "fuzz_sig_json: WARNING: of_json('tool', '1') gave no ETYPE (%s): %s\n",
            vl_runtime_errcode(fp.native), vl_runtime_errmsg(fp.native));
  vl_runtime_call(fp.fallback, "victor.signature", "of_json", 2, args, NULL, NULL);
  fuzz_pair_baseline(&fp);
  atexit(free_runtimes);
}

static int is_hex16(const char *s, size_t n)
{
  size_t i;
  if (!s || n != 16) return 0;
  for (i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
  return 1;
}

typedef struct outcome {
  int rc;
  char sig[17];
  char code[16];
  char msg[256];
} outcome;

static void call(vl_runtime *rt, const char *json, outcome *o, const char *which)
{
  const char *args[2] = {"tool", json};
  const char *res = NULL;
  size_t len = 0;
  memset(o, 0, sizeof *o);
  o->rc = vl_runtime_call(rt, "victor.signature", "of_json", 2, args, &res, &len);
  snprintf(o->msg, sizeof o->msg, "%s", vl_runtime_errmsg(rt));
  snprintf(o->code, sizeof o->code, "%s", vl_runtime_errcode(rt));
  if (o->rc == VL_OK) {
    if (!is_hex16(res, len)) {
      fprintf(stderr, "fuzz_sig_json: FINDING: %s of_json returned '%.*s' (16 hex digits expected)\n",
              which, (int)(res ? len : 0), res ? res : "");
      abort();
    }
    memcpy(o->sig, res, 16);
  } else if (o->rc != VL_EINPUT || !o->code[0]) {
    fprintf(stderr, "fuzz_sig_json: FINDING: %s of_json raised: rc %d (%s), code '%s'\n  %s\n", which,
            o->rc, vl_strerror(o->rc), o->code, o->msg);
    abort();
  }
}

/* After a disagreement: each side's canonical form, and whether its result is stable. */
static void show_canonical(vl_runtime *rt, const char *json, const char *which)
{
  const char *res = NULL;
  const char *args[1] = {json};
  if (vl_runtime_call(rt, "fuzz.sig", "canonical", 1, args, &res, NULL) == VL_OK && res)
    fprintf(stderr, "  %s canonical: %.2000s\n", which, res);
  else
    fprintf(stderr, "  %s canonical: (failed: %s)\n", which, vl_runtime_errmsg(rt));
  if (vl_runtime_call(rt, "fuzz.sig", "diag", 1, args, &res, NULL) == VL_OK && res)
    fprintf(stderr, "  %s %s\n", which, res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *nul = memchr(data, 0, size);
  size_t n = nul ? (size_t)(nul - (const char *)data) : size;
  char *json;
  outcome a, b;
  if (!fp.native) setup();
  json = malloc(n + 1);
  if (!json) return 0;
  memcpy(json, data, n);
  json[n] = '\0';

  call(fp.native, json, &a, "native");
  call(fp.fallback, json, &b, "fallback");
  if (a.rc != b.rc || strcmp(a.code, b.code) != 0 || strcmp(a.sig, b.sig) != 0) {
    fprintf(stderr,
            "fuzz_sig_json: FINDING: native and fallback disagree on %.200s\n"
            "  native:   rc %d code '%s' sig '%s' %s\n  fallback: rc %d code '%s' sig '%s' %s\n",
            json, a.rc, a.code, a.sig, a.rc ? a.msg : "", b.rc, b.code, b.sig, b.rc ? b.msg : "");
    show_canonical(fp.native, json, "native");
    show_canonical(fp.fallback, json, "fallback");
    abort();
  }
  fuzz_pair_check_memory(&fp, &runs, GROWTH_SLACK);
  free(json);
  return 0;
}
