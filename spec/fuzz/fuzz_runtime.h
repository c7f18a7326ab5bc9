/* fuzz_runtime.h: a pair of runtimes (native and pure-Lua fallback) for the libFuzzer
 * targets that compare the two through the embedding API (core/victor_lua.h).
 *
 * Each runtime runs the target's helper chunk (which defines package.preload[module]
 * with backend() and collect() functions, and whatever the target calls), must report
 * the expected backend, and is freed at exit. Failures print "<target>: ..." and abort.
 * FUZZ_NO_JIT=1 runs both with jit.off(). */
#ifndef VL_FUZZ_RUNTIME_H
#define VL_FUZZ_RUNTIME_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "victor_lua.h"

typedef struct fuzz_pair {
  const char *target;   /* name for messages */
  const char *module;   /* the helper module: backend(), collect() */
  vl_runtime *native, *fallback;
  size_t base_native, base_fallback;  /* memory after setup and a full GC */
} fuzz_pair;

static vl_runtime *fuzz_runtime(const fuzz_pair *fp, const char *helper_src, size_t memory_limit, int no_native)
{
  const char *expect = no_native ? "fallback" : "native";
  vl_config cfg;
  vl_runtime *rt;
  const char *backend = NULL;
  int rc;
  vl_config_init(&cfg);
  cfg.memory_limit = memory_limit;
  cfg.no_native = no_native;
  rc = vl_runtime_new(&cfg, &rt);
  if (rc != VL_OK) {
    fprintf(stderr, "%s: vl_runtime_new failed: %s\n", fp->target, vl_strerror(rc));
    abort();
  }
  rc = vl_runtime_run_string(rt, helper_src, "=fuzz_helper");
  if (rc == VL_OK && getenv("FUZZ_NO_JIT")) rc = vl_runtime_run_string(rt, "if jit then jit.off() end", "=fuzz_nojit");
  if (rc == VL_OK) rc = vl_runtime_call(rt, fp->module, "backend", 0, NULL, &backend, NULL);
  if (rc != VL_OK) {
    fprintf(stderr, "%s: setup failed: %s\n", fp->target, vl_runtime_errmsg(rt));
    abort();
  }
  if (!backend || strcmp(backend, expect) != 0) {
    fprintf(stderr, "%s: expected the %s backend, got %s\n", fp->target, expect, backend ? backend : "(nil)");
    abort();
  }
  return rt;
}

/* Full GC through the helper's collect(); the Lua heap's bytes afterwards. */
static size_t fuzz_collect(const fuzz_pair *fp, vl_runtime *rt)
{
  if (vl_runtime_call(rt, fp->module, "collect", 0, NULL, NULL, NULL) != VL_OK) {
    fprintf(stderr, "%s: collect failed: %s\n", fp->target, vl_runtime_errmsg(rt));
    abort();
  }
  return vl_runtime_memory(rt);
}

/* Both runtimes; the caller warms them up, then calls fuzz_pair_baseline. */
static void fuzz_pair_open(fuzz_pair *fp, const char *helper_src, size_t memory_limit)
{
  fp->native = fuzz_runtime(fp, helper_src, memory_limit, 0);
  fp->fallback = fuzz_runtime(fp, helper_src, memory_limit, 1);
}

static void fuzz_pair_baseline(fuzz_pair *fp)
{
  fp->base_native = fuzz_collect(fp, fp->native);
  fp->base_fallback = fuzz_collect(fp, fp->fallback);
}

/* Every 256 calls (count them in *runs): a full GC must bring each runtime back within
 * slack bytes of its baseline, else a FINDING. */
static void fuzz_pair_check_memory(fuzz_pair *fp, unsigned long *runs, size_t slack)
{
  size_t mn, mf;
  if (++*runs % 256 != 0) return;
  mn = fuzz_collect(fp, fp->native);
  mf = fuzz_collect(fp, fp->fallback);
  if (mn > fp->base_native + slack || mf > fp->base_fallback + slack) {
    fprintf(stderr, "%s: FINDING: memory grows: native %zu (base %zu), fallback %zu (base %zu)\n", fp->target, mn,
            fp->base_native, mf, fp->base_fallback);
    abort();
  }
}

static void fuzz_pair_close(fuzz_pair *fp)
{
  vl_runtime_free(fp->native);
  vl_runtime_free(fp->fallback);
  fp->native = fp->fallback = NULL;
}

/* ---- the comparing convention: module.run(hex, ctl [, native_result]) ----
 * The input's first byte is ctl (passed as a decimal string: options), the rest the
 * text, hex-encoded (the API takes C strings; the text may hold NUL bytes); the
 * helper's run returns one string. FUZZ_LUA_UNHEX defines unhex() for the helper.
 * fuzz_pair_compare runs it in the native runtime, then in the fallback one with the
 * native result as a third argument: a helper that compares numbers with a
 * tolerance does so there and raises; otherwise the two strings must be equal. A
 * raise (message holding FINDING or not) or a difference is a FINDING: abort. */
#define FUZZ_LUA_UNHEX \
  "local function unhex(h) return (h:gsub('..', function(x) return string.char(tonumber(x, 16)) end)) end\n"

/* dumps(v): a value as one string, tables with their keys sorted, numbers as %.17g,
 * tokens separated by \1. same(a, b, tol): two dumps equal but for numbers within
 * tol (relative); false and the first differing token's two sides otherwise. */
#define FUZZ_LUA_DUMP \
  "local function dump(v, out)\n" \
  "  local t = type(v)\n" \
  "  if t == 'table' then\n" \
  "    local keys = {}\n" \
  "    for k in next, v do keys[#keys + 1] = k end\n" \
  "    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)\n" \
  "    out[#out + 1] = '{'\n" \
  "    for _, k in ipairs(keys) do out[#out + 1] = tostring(k) .. '='; dump(v[k], out) end\n" \
  "    out[#out + 1] = '}'\n" \
  "  elseif t == 'number' then out[#out + 1] = string.format('%.17g', v)\n" \
  "  else out[#out + 1] = tostring(v) end\n" \
  "  return out\n" \
  "end\n" \
  "local function dumps(v) return table.concat(dump(v, {}), '\\1') end\n" \
  "local function same(a, b, tol)\n" \
  "  if a == b then return true end\n" \
  "  local ta, tb = {}, {}\n" \
  "  for x in (a .. '\\1'):gmatch('([^\\1]*)\\1') do ta[#ta + 1] = x end\n" \
  "  for x in (b .. '\\1'):gmatch('([^\\1]*)\\1') do tb[#tb + 1] = x end\n" \
  "  for i = 1, math.max(#ta, #tb) do\n" \
  "    local x, y = ta[i], tb[i]\n" \
  "    if x ~= y then\n" \
  "      local p, q = tonumber(x or ''), tonumber(y or '')\n" \
  "      if not (p and q and math.abs(p - q) <= tol * (1 + math.abs(p))) then\n" \
  "        return false, tostring(x) .. ' | ' .. tostring(y) .. ' (token ' .. i .. ')'\n" \
  "      end\n" \
  "    end\n" \
  "  end\n" \
  "  return true\n" \
  "end\n" \
  "local function check_same(other, mine, tol)\n" \
  "  if not other then return end\n" \
  "  local ok, where = same(other, mine, tol)\n" \
  "  if not ok then error('FINDING: native and fallback differ: native | fallback = ' .. where, 0) end\n" \
  "end\n"

/* run in rt; a malloc'ed copy of the result (its length in *len). */
static char *fuzz_pair_run(const fuzz_pair *fp, vl_runtime *rt, const char *hex, const char *ctl, const char *other,
                           size_t *len, const char *which)
{
  const char *args[3];
  const char *res = NULL;
  char *copy;
  int rc;
  args[0] = hex;
  args[1] = ctl;
  args[2] = other;
  *len = 0;
  rc = vl_runtime_call(rt, fp->module, "run", other ? 3 : 2, args, &res, len);
  if (rc != VL_OK || !res) {
    fprintf(stderr, "%s: FINDING: %s run failed: rc %d (%s): %s\n", fp->target, which, rc, vl_strerror(rc),
            vl_runtime_errmsg(rt));
    abort();
  }
  copy = malloc(*len + 1);
  if (!copy) abort();
  memcpy(copy, res, *len);
  copy[*len] = '\0';
  return copy;
}

/* Inputs of 1..max_size bytes: run both sides; tolerant: the fallback helper has
 * compared (see above), so the strings are not compared here. */
static void fuzz_pair_compare(const fuzz_pair *fp, const uint8_t *data, size_t size, size_t max_size, int tolerant)
{
  static const char digits[] = "0123456789abcdef";
  char ctl[8], *hex, *a, *b;
  size_t i, n, la, lb;
  if (size < 1 || size > max_size) return;
  n = size - 1;
  hex = malloc(2 * n + 1);
  if (!hex) return;
  for (i = 0; i < n; i++) {
    hex[2 * i] = digits[data[1 + i] >> 4];
    hex[2 * i + 1] = digits[data[1 + i] & 15];
  }
  hex[2 * n] = '\0';
  snprintf(ctl, sizeof ctl, "%u", (unsigned)data[0]);
  a = fuzz_pair_run(fp, fp->native, hex, ctl, NULL, &la, "native");
  if (memchr(a, '\0', la)) { /* cannot travel as a C string: compare as is */
    tolerant = 0;
    b = fuzz_pair_run(fp, fp->fallback, hex, ctl, NULL, &lb, "fallback");
  } else {
    b = fuzz_pair_run(fp, fp->fallback, hex, ctl, a, &lb, "fallback");
  }
  if (!tolerant && (la != lb || memcmp(a, b, la) != 0)) {
    size_t k = 0;
    while (k < la && k < lb && a[k] == b[k]) k++;
    fprintf(stderr,
            "%s: FINDING: native and fallback disagree (ctl %s, %zu bytes of text), first at byte %zu:\n"
            "  native:   %.120s\n  fallback: %.120s\n",
            fp->target, ctl, n, k, a + (k > 20 ? k - 20 : 0), b + (k > 20 ? k - 20 : 0));
    abort();
  }
  free(a);
  free(b);
  free(hex);
}

/* A setup for the comparing targets: both runtimes, one warm-up run on each (modules
 * loaded before the memory baseline), the baseline, and the runtimes freed at exit. */
static fuzz_pair *fuzz_atexit_pair;
static void fuzz_pair_free_at_exit(void) { fuzz_pair_close(fuzz_atexit_pair); }

static void fuzz_pair_setup(fuzz_pair *fp, const char *helper_src, size_t memory_limit, const char *warm_ctl)
{
  const char *args[2] = {"", warm_ctl};
  fuzz_pair_open(fp, helper_src, memory_limit);
  vl_runtime_call(fp->native, fp->module, "run", 2, args, NULL, NULL);
  vl_runtime_call(fp->fallback, fp->module, "run", 2, args, NULL, NULL);
  fuzz_pair_baseline(fp);
  fuzz_atexit_pair = fp;
  atexit(fuzz_pair_free_at_exit);
}


/* The end of a comparing helper module: backend() (which the setup checks), collect()
 * (the full GC of fuzz_pair_check_memory), and the module returned. */
#define FUZZ_LUA_MODULE_END \
  "  function M.backend() return require('victor.native').is_available() and 'native' or 'fallback' end\n" \
  "  function M.collect() collectgarbage() collectgarbage() return true end\n" \
  "  return M\n" \
  "end\n"

/* LLVMFuzzerTestOneInput of a comparing target: both runtimes set up on the first input,
 * then fuzz_pair_compare on inputs of 1..max_size bytes and the memory check (slack). */
#define FUZZ_PAIR_TARGET(fp, helper, memory_limit, max_size, tolerant, slack) \
  int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); \
  int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) \
  { \
    static unsigned long runs; \
    if (!(fp).native) fuzz_pair_setup(&(fp), (helper), (memory_limit), "0"); \
    fuzz_pair_compare(&(fp), data, size, (max_size), (tolerant)); \
    fuzz_pair_check_memory(&(fp), &runs, (slack)); \
    return 0; \
  }

#endif
