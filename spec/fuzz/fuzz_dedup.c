/*
 * fuzz_dedup.c: libFuzzer target for the pure-C dedup kernel (core/dedup.h).
 *
 * The first input byte sets min_block_length (low 6 bits) and the normaliser
 * flags; the rest is the text. Checks, on every input:
 *   - vl_dedup_scan: blocks are in order, non-overlapping, start < stop <= end,
 *     each id and key length are XXH3-64 and length of normalize_block of the block
 *     (the scan hashes keys in pieces, and long blocks while they grow: fuzz.sh
 *     builds dedup.c with tiny VL_DEDUP_KEY_PIECE and VL_DEDUP_HASH_AHEAD so short
 *     inputs reach those paths), a duplicate points to an earlier non-duplicate
 *     with the same key (compared byte for byte) and id;
 *   - vl_dedup_render: the output is no longer than the input; scanning it again
 *     gives exactly the kept blocks, in order, byte for byte (the output is a
 *     subsequence of the input's blocks) and no duplicates; rendering it again
 *     gives the same bytes (idempotence);
 *   - vl_dedup_lines: the output has no repeated line and each kept count >= 1,
 *     counts sum to the number of input lines;
 *   - vl_norm_apply and vl_dedup_normalize_block never write past n bytes;
 *   - vl_dedup_stream, blocks and lines mode, fed the text in chunks whose sizes come
 *     from a generator seeded by the input (1 to 64 bytes, sometimes 0): the output
 *     equals vl_dedup_render / vl_dedup_lines of the whole text, byte for byte, and
 *     bytes_in / bytes_out agree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "fuzz_check.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

/* The key of s[a..b) as normalize_block makes it (malloc'ed, *len bytes). */
static char *key_of(const char *s, size_t a, size_t b, size_t *len)
{
  char *k = malloc(b - a + 1);
  if (!k) abort();
  *len = vl_dedup_normalize_block(s + a, b - a, k);
  return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Streams s[0..n) through a stream with opts in chunks of seeded random sizes and
 * checks that the concatenated output is want[0..wn). */
static void check_stream(const vl_dedup_stream_opts *opts, const char *s, size_t n, const char *want,
                         size_t wn, uint32_t seed)
{
  vl_dedup_stream *st = vl_dedup_stream_new();
  vl_dedup_stream_info info;
  const char *p;
  size_t pos = 0, got = 0, len, k;
  if (!st) return;
  if (vl_dedup_stream_reset(st, opts) != VL_OK) goto done;
  seed |= 1;
  while (pos < n) {
    seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;  /* xorshift32 */
    k = (seed >> 8) % 65;  /* 0..64 bytes: empty feeds too */
    if (k > n - pos) k = n - pos;
    if (vl_dedup_stream_feed(st, s + pos, k, &p, &len) != VL_OK) goto done;
    CHECK(got + len <= wn && memcmp(want + got, p, len) == 0);
    got += len;
    pos += k;
  }
  if (vl_dedup_stream_finish(st, &p, &len) != VL_OK) goto done;
  CHECK(got + len == wn && memcmp(want + got, p, len) == 0);
  vl_dedup_stream_stats(st, &info);
  CHECK(info.bytes_in == n && info.bytes_out == wn);
done:
  vl_dedup_stream_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  vl_dedup d, d2;
  const char *s;
  char *out, *out2, *buf;
  size_t n, min, o, o2, i, k, nlines, nkept, total, *counts = NULL;
  unsigned flags;
  if (size < 1) return 0;
  min = data[0] & 63;
  flags = (unsigned)(data[0] >> 1) & 127;
  s = (const char *)data + 1;
  n = size - 1;
  memset(&d, 0, sizeof d);
  memset(&d2, 0, sizeof d2);
  out = malloc(n + 1);
  out2 = malloc(n + 1);
  buf = malloc(n + 1);
  if (!out || !out2 || !buf) goto done;

  /* normalisers: exact-size buffers so ASan catches an overrun */
  if (n) {
    char *t = malloc(n);
    if (t) {
      CHECK(vl_norm_apply(flags, s, n, t) <= n);
      CHECK(vl_dedup_normalize_block(s, n, t) <= n);
      free(t);
    }
  }

  if (vl_dedup_scan(&d, s, n, min) != VL_OK) goto done;
  for (i = 0; i < d.nblocks; i++) {
    const vl_dedup_block *b = &d.blocks[i];
    CHECK(b->start < b->stop && b->stop <= b->end && b->end <= n);
    if (i) CHECK(d.blocks[i - 1].end <= b->start);
    {  /* the id and length made in pieces (and ahead, for long blocks) are those of the key */
      size_t kl;
      char *k = key_of(s, b->start, b->stop, &kl);
      CHECK(kl == b->key_len && XXH3_64bits(k, kl) == b->id);
      if (b->first != VL_DEDUP_NONE) {
        const vl_dedup_block *f = &d.blocks[b->first];
        size_t fl;
        char *fk = key_of(s, f->start, f->stop, &fl);
        CHECK(b->first < i && f->first == VL_DEDUP_NONE && f->id == b->id && f->key_len == b->key_len);
        CHECK(b->key_len >= min && fl == kl && memcmp(fk, k, kl) == 0);
        free(fk);
      }
      free(k);
    }
  }
  vl_dedup_render(&d, s, n, out, &o);
  CHECK(o <= n);
  if (vl_dedup_scan(&d2, out, o, min) != VL_OK) goto done;
  CHECK(d2.removed == 0);
  CHECK(d2.nblocks == d.nblocks - d.removed);
  for (i = 0, k = 0; i < d.nblocks; i++) {
    const vl_dedup_block *b = &d.blocks[i], *c;
    if (b->first != VL_DEDUP_NONE) continue;
    c = &d2.blocks[k++];
    CHECK(c->stop - c->start == b->stop - b->start);
    CHECK(memcmp(out + c->start, s + b->start, b->stop - b->start) == 0);
    CHECK(c->fence == b->fence);
  }
  vl_dedup_render(&d2, out, o, out2, &o2);
  CHECK(o2 == o && memcmp(out, out2, o) == 0);
  {
    vl_dedup_stream_opts so = {0, '\n', 0, 0, 0};
    so.min_block_length = min;
    check_stream(&so, s, n, out, o, (uint32_t)size * 2654435761u);
  }

  /* line mode */
  if (vl_dedup_lines(s, n, (data[0] & 1) ? '\n' : 0, buf, &o, &nlines, &nkept, &counts) != VL_OK) goto done;
  CHECK(o <= n + 1 && nkept <= nlines);
  for (i = 0, total = 0; i < nkept; i++) {
    CHECK(counts[i] >= 1);
    total += counts[i];
  }
  CHECK(total == nlines);
  free(counts);
  counts = NULL;
  {
    vl_dedup_stream_opts so = {1, '\n', 0, 0, 0};
    so.delimiter = (data[0] & 1) ? '\n' : 0;
    check_stream(&so, s, n, buf, o, (uint32_t)data[0] * 40503u + (uint32_t)size);
  }
  if (vl_dedup_lines(buf, o, (data[0] & 1) ? '\n' : 0, out2, &o2, &nlines, &i, NULL) != VL_OK) goto done;
  CHECK(nlines == nkept && i == nkept && o2 == o && memcmp(out2, buf, o) == 0);

done:
  free(counts);
  vl_dedup_free(&d);
  vl_dedup_free(&d2);
  free(out);
  free(out2);
  free(buf);
  return 0;
}
