/* fuzz_runtime.h: a pair of runtimes (native and pure-Lua fallback) for the libFuzzer
 * targets that compare the two through the embedding API (core/victor_lua.h).
 *
 * Each runtime runs the target's helper chunk (which defines package.preload[module]
 * with backend() and collect() functions, and whatever the target calls), must report
 * the expected backend, and is freed at exit. Failures print "<target>: ..." and abort.
 * FUZZ_NO_JIT=1 runs both with jit.off(). */
#ifndef VL_FUZZ_RUNTIME_H
#define VL_FUZZ_RUNTIME_H

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

#endif
