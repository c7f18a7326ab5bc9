/*
 * secrets_pairs.h: the portable keyword prefilter of core/secrets.c (private).
 *
 * A shift-or filter over byte pairs, in the style of Hyperscan's FDR. Keywords
 * fall into 8 buckets by length class and bytes. reach[x] holds, for each
 * offset s = 0..3 of a 5-byte fingerprint, the buckets in which NO keyword has
 * the byte pair x (any ASCII case of it) at offset s; a keyword shorter than
 * s + 2 bytes allows every pair there. One table load per input position, or-ed
 * into a state shifted by the position, leaves a zero bit for (start, bucket)
 * when every pair of the fingerprint is possible: a candidate. Candidates are
 * checked against the keywords whose folded first pair hashes the same (ASCII
 * case-insensitive compare), so the filter reports exactly the keyword
 * occurrences, never a false one and never missing one.
 *
 * It replaced an 8-bucket nibble-table filter (Teddy's, AVX2): with a few
 * hundred keywords (an imported gitleaks configuration has 237) each bucket's
 * nibble masks filled up and 4 positions in 10 became candidates; exact pairs
 * over a 5-byte fingerprint keep them near the true keyword density (1 in 100).
 */
#ifndef VL_SECRETS_PAIRS_H
#define VL_SECRETS_PAIRS_H

#include <stddef.h>
#include <stdint.h>

typedef struct vl_pairs vl_pairs;

/* Report keyword id (an index into the build's arrays) occurring at pos. */
typedef void (*vl_pairs_fn)(void *ud, uint32_t id, size_t pos);

/* Build over nkw keywords kw[i] (lowercase ASCII where letters, len[i] >= 2,
 * borrowed: they must outlive the filter). 0 or VL_ENOMEM (vl_status.h). */
int vl_pairs_build(const char *const *kw, const size_t *len, size_t nkw, vl_pairs **out);
void vl_pairs_free(vl_pairs *f);

/* Call fn(ud, id, pos) for every occurrence of every keyword in p[0..n)
 * (ASCII case-insensitive, overlapping), by increasing pos (keywords at one pos
 * in no set order). Counts newlines in the same pass: nl[k] = the '\n' bytes in
 * [0, k << nl_shift) for every k with (k << nl_shift) <= the returned position
 * (nl has room for (n >> nl_shift) + 1 entries). */
size_t vl_pairs_scan(const vl_pairs *f, const unsigned char *p, size_t n, vl_pairs_fn fn, void *ud, uint64_t *nl,
                     unsigned nl_shift);

/* The '\n' bytes in p[0..n) (also used by secrets.c for line numbers). */
uint64_t vl_secrets_count_nl(const unsigned char *p, size_t n);

#endif
