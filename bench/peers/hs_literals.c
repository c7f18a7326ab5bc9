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
#include "peer.h"

int main(int argc, char **argv)
{
  peer_input in;
  size_t np, i, *lens;
  const char **pats;
  unsigned *flags, *ids;
  hs_database_t *db = NULL;
  hs_compile_error_t *err = NULL;
  double t0;
  int rc;
  if (peer_open(argc, argv, "hs_literals KEYWORDS CORPUS [-i] [-n RUNS]", &in)) return 2;
  np = peer_lines(in.list, in.ln, &pats, &lens);
  flags = malloc((np + 1) * sizeof *flags);
  ids = malloc((np + 1) * sizeof *ids);
  if (!pats || !flags || !ids) return 2;
  for (i = 0; i < np; i++) {
    flags[i] = in.caseless ? HS_FLAG_CASELESS : 0;
    ids[i] = (unsigned)i;
  }
  t0 = now();
  if (hs_compile_lit_multi(pats, flags, ids, lens, (unsigned)np, HS_MODE_BLOCK, NULL, &db, &err) != HS_SUCCESS)
    db = NULL;
  rc = peer_report(&in, db, err, now() - t0, "");
  free(pats);
  free(lens);
  free(flags);
  free(ids);
  return rc;
}
