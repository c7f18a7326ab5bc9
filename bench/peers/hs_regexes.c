/*
 * hs_regexes.c: the Vectorscan peer of bench/secrets_bench.lua: compile a list of
 * regexes (one per line) with hs_compile_multi, scan a file with them (block mode,
 * one thread) and print the match count and the median scan time.
 *
 *   hs_regexes REGEXES CORPUS [-n RUNS]
 *
 * Each regex is first compiled alone; the ones Vectorscan refuses (lookarounds,
 * backreferences, patterns that can match empty, ...) are left out and counted.
 * Flags: HS_FLAG_UTF8 where the pattern compiles with it, else none; no start of
 * match and no captures (what Vectorscan offers: every match end is reported, so
 * the count is not the scanner's count of findings). Output: one line
 * "VL_PEER matches=N scan_s=S compile_s=C bytes=B regexes=K refused=R" (median
 * scan time over RUNS, process CPU time like the harness).
 */
#include "peer.h"

/* Does pattern p compile alone with flags f? */
static int compiles(const char *p, unsigned f)
{
  hs_database_t *db = NULL;
  hs_compile_error_t *err = NULL;
  if (hs_compile(p, f, HS_MODE_BLOCK, NULL, &db, &err) != HS_SUCCESS) {
    hs_free_compile_error(err);
    return 0;
  }
  hs_free_database(db);
  return 1;
}

int main(int argc, char **argv)
{
  peer_input in;
  size_t np = 0, nref = 0, nl, i, *lens;
  const char **pats, **lines;
  unsigned *flags, *ids;
  hs_database_t *db = NULL;
  hs_compile_error_t *err = NULL;
  char extra[64];
  double t0;
  int rc;
  if (peer_open(argc, argv, "hs_regexes REGEXES CORPUS [-n RUNS]", &in)) return 2;
  nl = peer_lines(in.list, in.ln, &lines, &lens);
  pats = malloc((nl + 1) * sizeof *pats);
  flags = malloc((nl + 1) * sizeof *flags);
  ids = malloc((nl + 1) * sizeof *ids);
  if (!lines || !pats || !flags || !ids) return 2;
  for (i = 0; i < nl; i++) {
    unsigned f = compiles(lines[i], HS_FLAG_UTF8) ? HS_FLAG_UTF8 : compiles(lines[i], 0) ? 0 : ~0u;
    if (f == ~0u) {
      nref++;
      continue;
    }
    pats[np] = lines[i];
    flags[np] = f;
    ids[np] = (unsigned)np;
    np++;
  }
  t0 = now();
  if (hs_compile_multi(pats, flags, ids, (unsigned)np, HS_MODE_BLOCK, NULL, &db, &err) != HS_SUCCESS) db = NULL;
  snprintf(extra, sizeof extra, " regexes=%zu refused=%zu", np, nref);
  rc = peer_report(&in, db, err, now() - t0, extra);
  free(pats);
  free(lines);
  free(lens);
  free(flags);
  free(ids);
  return rc;
}
