/*
 * fuzz_ac.c: libFuzzer target for the match kinds, word boundaries and streams of
 * the Aho-Corasick core (core/ac.h: vl_ac_stream).
 *
 * Input: byte 0 = flags (bits 0-1 the kind, 3 meaning standard; bit 2
 * case-insensitive; bit 3 word boundaries; bits 4-7 the start offset of the
 * one-shot call), byte 1 = seed of the chunking, byte 2 = the number of patterns
 * - 1 (low 4 bits); then each pattern as one length byte (low 4 bits + 1) and its
 * bytes; the rest (at most 4096 bytes) is the text. Checks, on every input:
 *   - vl_ac_stream_find from offset 0 and from the start offset reports exactly
 *     the matches of a naive matcher (every occurrence by brute force, the word
 *     boundary test, then the kind's choice);
 *   - feeding the text in random chunks (sizes 0..32) then finish reports the
 *     same matches, in the same order, with the same absolute offsets;
 *   - vl_ac_scan_all (standard semantics, no boundaries) agrees with the naive
 *     matcher too;
 *   - with word boundaries and a leftmost kind, vl_ac_find_words from the start
 *     offset too (byte 1 bit 0: the automaton has the word index).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ac.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXM 16384

typedef struct match {
  uint32_t id;
  uint64_t start, end;
} match;

typedef struct list {
  match m[MAXM];
  size_t n;
  int overflow;
} list;

static int on_match(void *ud, uint32_t id, uint64_t start, uint64_t end)
{
  list *l = (list *)ud;
  if (l->n == MAXM) {
    l->overflow = 1;
    return 0;
  }
  l->m[l->n].id = id;
  l->m[l->n].start = start;
  l->m[l->n].end = end;
  l->n++;
  return 0;
}

static int fold(int c, int ci)
{
  return (ci && c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static int is_word(int c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int cmp_std(const void *a, const void *b)
{
  const match *x = (const match *)a, *y = (const match *)b;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  if (x->start != y->start) return x->start < y->start ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static list occ, want, got, got2;

/* The naive matcher over t[from..n) (t[from - 1] is context). */
static void naive(const char *const *pats, const size_t *lens, size_t np, const unsigned char *t, size_t n,
                  size_t from, int kind, int ci, int wb, list *out)
{
  size_t s, i, k;
  occ.n = 0;
  occ.overflow = 0;
  out->n = 0;
  out->overflow = 0;
  for (s = from; s < n; s++)
    for (i = 0; i < np; i++) {
      size_t e = s + lens[i];
      if (e > n) continue;
      for (k = 0; k < lens[i]; k++)
        if (fold(t[s + k], ci) != fold((unsigned char)pats[i][k], ci)) break;
      if (k < lens[i]) continue;
      if (wb && ((s > 0 && is_word(t[s - 1])) || (e < n && is_word(t[e])))) continue;
      on_match(&occ, (uint32_t)i, s, e);
    }
  if (occ.overflow) {
    out->overflow = 1;
    return;
  }
  if (kind == VL_AC_STANDARD) {
    qsort(occ.m, occ.n, sizeof occ.m[0], cmp_std);
    memcpy(out->m, occ.m, occ.n * sizeof occ.m[0]);
    out->n = occ.n;
    return;
  }
  {
    uint64_t pos = from;
    for (;;) {
      const match *best = NULL;
      for (i = 0; i < occ.n; i++) {
        const match *o = &occ.m[i];
        if (o->start < pos) continue;
        if (!best || o->start < best->start) best = o;
        else if (o->start == best->start) {
          if (kind == VL_AC_LEFTMOST_FIRST ? o->id < best->id
                                           : (o->end > best->end || (o->end == best->end && o->id < best->id)))
            best = o;
        }
      }
      if (!best) break;
      on_match(out, best->id, best->start, best->end);
      pos = best->end;
    }
  }
}

static int same(const list *a, const list *b)
{
  size_t i;
  if (a->n != b->n) return 0;
  for (i = 0; i < a->n; i++)
    if (a->m[i].id != b->m[i].id || a->m[i].start != b->m[i].start || a->m[i].end != b->m[i].end) return 0;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *pats[16];
  size_t lens[16], np, i, pos = 3, n, from;
  const unsigned char *text;
  int kind, ci, wb, st;
  uint32_t seed;
  vl_ac *ac;
  vl_ac_stream *s;
  vl_ac_opts o;
  if (size < 4) return 0;
  kind = data[0] & 3;
  if (kind == 3) kind = VL_AC_STANDARD;
  ci = (data[0] >> 2) & 1;
  wb = (data[0] >> 3) & 1;
  seed = data[1] * 2654435761u + 1;
  np = (size_t)(data[2] & 15) + 1;
  for (i = 0; i < np; i++) {
    size_t len;
    if (pos >= size) return 0;
    len = (size_t)(data[pos++] & 15) + 1;
    if (pos + len > size) return 0;
    pats[i] = (const char *)data + pos;
    lens[i] = len;
    pos += len;
  }
  text = data + pos;
  n = size - pos;
  if (n > 4096) n = 4096;
  from = (size_t)(data[0] >> 4);
  if (from > n) from = n;
  memset(&o, 0, sizeof o);
  o.case_insensitive = ci;
  o.word_index = data[1] & 1;
  st = vl_ac_build(pats, lens, np, &o, &ac);
  CHECK(st == VL_OK);
  st = vl_ac_stream_new(ac, kind, wb, &s);
  CHECK(st == VL_OK);

  /* one-shot, from 0 and from `from` */
  naive(pats, lens, np, text, n, 0, kind, ci, wb, &want);
  if (!want.overflow) {
    got.n = 0;
    got.overflow = 0;
    CHECK(vl_ac_stream_find(s, text, n, 0, on_match, &got) == 0);
    CHECK(!got.overflow && same(&want, &got));
    /* chunked, fresh stream state */
    got2.n = 0;
    got2.overflow = 0;
    vl_ac_stream_reset(s);
    for (i = 0; i < n;) {
      size_t k;
      seed = seed * 1103515245u + 12345u;
      k = (seed >> 16) % 33;
      if (k > n - i) k = n - i;
      CHECK(vl_ac_stream_feed(s, text + i, k, on_match, &got2) == 0);
      i += k;
    }
    CHECK(vl_ac_stream_finish(s, on_match, &got2) == 0);
    CHECK(vl_ac_stream_offset(s) == n);
    CHECK(!got2.overflow && same(&want, &got2));
    CHECK(vl_ac_stream_feed(s, text, n, on_match, &got2) == VL_EINVAL);
  }
  naive(pats, lens, np, text, n, from, kind, ci, wb, &want);
  if (!want.overflow) {
    got.n = 0;
    got.overflow = 0;
    CHECK(vl_ac_stream_find(s, text, n, from, on_match, &got) == 0);
    CHECK(!got.overflow && same(&want, &got));
    if (wb && kind != VL_AC_STANDARD) { /* the anchored word search, with or without its index */
      got.n = 0;
      got.overflow = 0;
      CHECK(vl_ac_find_words(ac, kind, text, n, from, on_match, &got) == 0);
      CHECK(!got.overflow && same(&want, &got));
    }
  }
  /* the old API: standard semantics without boundaries */
  naive(pats, lens, np, text, n, 0, VL_AC_STANDARD, ci, 0, &want);
  if (!want.overflow) {
    vl_ac_scan sc;
    got.n = 0;
    got.overflow = 0;
    vl_ac_scan_init(&sc);
    for (i = 0; i < n; i += 7) vl_ac_scan_all(ac, &sc, text + i, n - i < 7 ? n - i : 7, on_match, &got);
    CHECK(!got.overflow && same(&want, &got));
  }
  vl_ac_stream_free(s);
  vl_ac_free(ac);
  return 0;
}
