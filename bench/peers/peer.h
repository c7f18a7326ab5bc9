/*
 * peer.h: what the Vectorscan peers of the benches share (the .c files beside it, each
 * built alone by bench/harness.lua's build_peer): reading a file, process CPU
 * time (the clock of bench/harness.lua: the machine is shared), a counting match
 * callback, and the timed scan runs.
 */
#ifndef VL_BENCH_PEER_H
#define VL_BENCH_PEER_H

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

/* The command line "NAME LIST CORPUS [-i] [-n RUNS]": both files read (0), or a
 * message on stderr and 2. */
typedef struct peer_input {
  char *list, *corpus;
  size_t ln, cn;
  int runs, caseless;
} peer_input;

static int peer_open(int argc, char **argv, const char *usage, peer_input *in)
{
  int r;
  in->runs = 5;
  in->caseless = 0;
  if (argc < 3) {
    fprintf(stderr, "usage: %s\n", usage);
    return 2;
  }
  for (r = 3; r < argc; r++) {
    if (!strcmp(argv[r], "-i")) in->caseless = 1;
    else if (!strcmp(argv[r], "-n") && r + 1 < argc) in->runs = atoi(argv[++r]);
  }
  if (!(in->list = slurp(argv[1], &in->ln)) || !(in->corpus = slurp(argv[2], &in->cn))) {
    fprintf(stderr, "%s: cannot read the inputs\n", argv[0]);
    return 2;
  }
  return 0;
}

/* Split buf[0..n) into its non-empty lines, each NUL-terminated in place: their
 * count, *lines and *lens malloc'ed (NULL on failure). */
static size_t peer_lines(char *buf, size_t n, const char ***lines, size_t **lens)
{
  size_t i, k = 0;
  char *p;
  for (i = 0; i < n; i++) k += buf[i] == '\n';
  *lines = malloc((k + 1) * sizeof **lines);
  *lens = malloc((k + 1) * sizeof **lens);
  if (!*lines || !*lens) return 0;
  k = 0;
  for (p = buf; p < buf + n;) {
    char *nl = memchr(p, '\n', (size_t)(buf + n - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(buf + n - p);
    p[len] = 0;
    if (len) {
      (*lines)[k] = p;
      (*lens)[k++] = len;
    }
    p += len + 1;
  }
  return k;
}

/* Scan corpus[0..cn) runs times (1..64); the median CPU time; *matches: the count. */
static double peer_scan(const hs_database_t *db, const char *corpus, size_t cn, int runs, unsigned long long *matches)
{
  hs_scratch_t *scratch = NULL;
  double times[64], t0;
  int r;
  if (runs < 1) runs = 1;
  if (runs > 64) runs = 64;
  if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) return -1;
  for (r = 0; r < runs; r++) {
    *matches = 0;
    t0 = now();
    if (hs_scan(db, corpus, (unsigned)cn, 0, scratch, on_match, matches) != HS_SUCCESS) {
      hs_free_scratch(scratch);
      return -1;
    }
    times[r] = now() - t0;
  }
  hs_free_scratch(scratch);
  qsort(times, (size_t)runs, sizeof *times, cmp_double);
  return times[runs / 2];
}

/* Print "VL_PEER matches=N scan_s=S compile_s=C bytes=B<extra>" for database db
 * (compiled in compile_s, or NULL: the compile error err is printed), then free
 * db and the inputs. The exit status. */
static int peer_report(peer_input *in, hs_database_t *db, hs_compile_error_t *err, double compile_s,
                       const char *extra)
{
  unsigned long long matches = 0;
  double scan_s = db ? peer_scan(db, in->corpus, in->cn, in->runs, &matches) : -1;
  int rc = 1;
  if (!db) fprintf(stderr, "compile failed: %s\n", err && err->message ? err->message : "?");
  else if (scan_s >= 0) {
    printf("VL_PEER matches=%llu scan_s=%.6f compile_s=%.6f bytes=%zu%s\n", matches, scan_s, compile_s, in->cn,
           extra);
    rc = 0;
  }
  hs_free_compile_error(err);
  hs_free_database(db);
  free(in->list);
  free(in->corpus);
  return rc;
}

#endif
