/*
 * secrets_teddy.h: the vector keyword prefilter of core/secrets.c (private).
 *
 * A nibble-table filter in the style of Hyperscan's Teddy: keywords fall into 8
 * buckets; for each of the first 3 byte positions k, lo[k][x] and hi[k][x] hold
 * the buckets that have a keyword whose byte k (ASCII-folded: | 0x20) has low
 * (high) nibble x. A position i is a candidate when some bucket is in
 * lo[k][b & 15] & hi[k][b >> 4] for b = input[i + k] | 0x20 and every k; that
 * over-approximates "the 3 bytes at i begin some keyword" (never misses one), and
 * secrets.c checks each candidate with its trigram bitmap and the keywords.
 */
#ifndef VL_SECRETS_TEDDY_H
#define VL_SECRETS_TEDDY_H

#include <stddef.h>
#include <stdint.h>

typedef struct vl_teddy {
  uint8_t lo[3][16];
  uint8_t hi[3][16];
} vl_teddy;

typedef void (*vl_teddy_fn)(void *ud, size_t pos);

#define VL_TEDDY_NL_SHIFT 12  /* newline checkpoints every 4096 bytes */

/* Call fn(ud, i) for every candidate i, in increasing order, for i from 0 while
 * i + 34 <= n in steps of 32 bytes; returns the first position not examined (the
 * caller finishes with its scalar loop). The same pass counts newlines while the
 * bytes are in cache: nl[k] = the '\n' bytes in [0, k << VL_TEDDY_NL_SHIFT) for every
 * k with (k << VL_TEDDY_NL_SHIFT) <= the returned position (nl has room for
 * (n >> VL_TEDDY_NL_SHIFT) + 1 entries). Compiled with -mavx2 -mpopcnt
 * (secrets_avx2.c); call only when the CPU has AVX2. */
size_t vl_secrets_teddy_avx2(const vl_teddy *t, const unsigned char *p, size_t n, vl_teddy_fn fn, void *ud,
                             uint64_t *nl);

#endif
