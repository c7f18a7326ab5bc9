/*
 * hs_literals.c: the Vectorscan peer of bench/patterns_bench.lua: compile a list of
 * literals (one per line) with hs_compile_lit_multi, scan a file with it (block
 * mode, one thread) and print the match count and the median scan time.
 *
 *   hs_literals KEYWORDS CORPUS [-i] [-n RUNS]
 *
 * Every occurrence of every literal is reported (Hyperscan's semantics, which is
 * victor.patterns' "standard" kind), so the counts must agree. -i sets
 * HS_FLAG_CASELESS (ASCII case folding, as victor.patterns' case_insensitive).
 * Output: one line "VL_PEER matches=N scan_s=S compile_s=C bytes=B" (median scan
 * time over RUNS, process CPU time like the harness).
 */
#define _POSIX_C_SOURCE 200809L
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *slurp(const char *path, size_t *n)
{
  FILE *f = fopen(path, "rb");
  char *buf;
  long len;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  len = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)len + 1);
  if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) buf[len] = 0;
  *n = (size_t)len;
  return buf;
}

/* Process CPU time, the clock of bench/harness.lua (the machine is shared). */
static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
                    void *ctx)
{
  (void)id;
  (void)from;
  (void)to;
  (void)flags;
  ++*(unsigned long long *)ctx;
  return 0;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
  size_t kn, cn, np = 0, i;
  char *kw, *corpus, *p;
  const char **pats;
  size_t *lens;
  unsigned *flags, *ids;
  int ci = 0, runs = 5, r;
  hs_database_t *db = NULL;
  hs_scratch_t *scratch = NULL;
  hs_compile_error_t *err = NULL;
  double t0, compile_s, times[64];
  unsigned long long matches = 0;
  if (argc < 3) {
    fprintf(stderr, "usage: hs_literals KEYWORDS CORPUS [-i] [-n RUNS]\n");
    return 2;
  }
  for (r = 3; r < argc; r++) {
    if (!strcmp(argv[r], "-i")) ci = 1;
    else if (!strcmp(argv[r], "-n") && r + 1 < argc) runs = atoi(argv[++r]);
  }
  if (runs < 1) runs = 1;
  if (runs > 64) runs = 64;
  if (!(kw = slurp(argv[1], &kn)) || !(corpus = slurp(argv[2], &cn))) {
    fprintf(stderr, "hs_literals: cannot read the inputs\n");
    return 2;
  }
  for (i = 0; i < kn; i++) np += kw[i] == '\n';
  pats = malloc((np + 1) * sizeof *pats);
  lens = malloc((np + 1) * sizeof *lens);
  flags = malloc((np + 1) * sizeof *flags);
  ids = malloc((np + 1) * sizeof *ids);
  np = 0;
  for (p = kw; p < kw + kn;) {
    char *nl = memchr(p, '\n', (size_t)(kw + kn - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(kw + kn - p);
    if (len) {
      pats[np] = p;
      lens[np] = len;
      flags[np] = ci ? HS_FLAG_CASELESS : 0;
      ids[np] = (unsigned)np;
      np++;
    }
    p += len + 1;
  }
  t0 = now();
  if (hs_compile_lit_multi(pats, flags, ids, lens, (unsigned)np, HS_MODE_BLOCK, NULL, &db, &err) != HS_SUCCESS) {
    fprintf(stderr, "hs_literals: compile failed: %s\n", err ? err->message : "?");
    return 1;
  }
  compile_s = now() - t0;
  if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) return 1;
  for (r = 0; r < runs; r++) {
    matches = 0;
    t0 = now();
    if (hs_scan(db, corpus, (unsigned)cn, 0, scratch, on_match, &matches) != HS_SUCCESS) return 1;
    times[r] = now() - t0;
  }
  qsort(times, (size_t)runs, sizeof *times, cmp_double);
  printf("VL_PEER matches=%llu scan_s=%.6f compile_s=%.6f bytes=%zu\n", matches, times[runs / 2], compile_s, cn);
  hs_free_scratch(scratch);
  hs_free_database(db);
  free(pats);
  free(lens);
  free(flags);
  free(ids);
  free(kw);
  free(corpus);
  return 0;
}
