/*
 * fuzz_stream_filter.c: libFuzzer target for the thinking-tag filter
 * (core/stream_filter.h) and the Aho-Corasick core under it (core/ac.h).
 *
 * Input: byte 0 = flags (bit 0 case-insensitive, bit 1 abort cap on, bits 2-7
 * the cap), byte 1 = seed of the chunking; then 1-4 tag pairs, each tag one
 * length byte (1..8, low 3 bits + 1) and its bytes (the count of pairs is
 * byte 2 & 3, + 1); the rest is the text. Checks, on every input:
 *   - chunked (random sizes 1..16, some empty chunks) feed + finish gives the same
 *     content, thinking and events as one feed with last = 1, and as vl_sf_strip;
 *   - after every feed the held bytes are < the longest tag and the stats add up
 *     (content + thinking + tag bytes + held == bytes in);
 *   - vl_ac_scan_all over all the tags, chunked, reports exactly the matches of a
 *     naive matcher (by end, longest first, then by id).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ac.h"
#include "stream_filter.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct acc {
  char *content, *thinking;
  size_t clen, tlen;
  vl_sf_event ev[4096];
  size_t nev;
  int overflow;
} acc;

static void take(acc *a, const vl_sf_out *o)
{
  size_t i;
  memcpy(a->content + a->clen, o->content, o->content_len);
  a->clen += o->content_len;
  memcpy(a->thinking + a->tlen, o->thinking, o->thinking_len);
  a->tlen += o->thinking_len;
  for (i = 0; i < o->nevents; i++) {
    if (a->nev == sizeof a->ev / sizeof a->ev[0]) {
      a->overflow = 1;
      return;
    }
    a->ev[a->nev++] = o->events[i];
  }
}

typedef struct matches {
  uint32_t id[8192];
  uint64_t start[8192], end[8192];
  size_t n;
} matches;

static int on_match(void *ud, uint32_t id, uint64_t start, uint64_t end)
{
  matches *m = (matches *)ud;
  if (m->n == 8192) return 1;
  m->id[m->n] = id;
  m->start[m->n] = start;
  m->end[m->n] = end;
  m->n++;
  return 0;
}

static unsigned char lower(unsigned char c, int ci)
{
  return (ci && c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static int eq_at(const char *s, size_t e, const char *p, size_t len, int ci)
{
  size_t i;
  if (e < len) return 0;
  for (i = 0; i < len; i++)
    if (lower((unsigned char)s[e - len + i], ci) != lower((unsigned char)p[i], ci)) return 0;
  return 1;
}

static void check_ac(const char *const *pats, const size_t *lens, size_t np, int ci, const char *s, size_t n,
                     uint8_t seed)
{
  static matches got;
  vl_ac *ac = NULL;
  vl_ac_opts o;
  vl_ac_scan sc;
  size_t i, e, k = 0, chunk = (size_t)(seed % 7) + 1;
  memset(&o, 0, sizeof o);
  o.case_insensitive = ci;
  if (vl_ac_build(pats, lens, np, &o, &ac) != VL_OK) return;
  got.n = 0;
  vl_ac_scan_init(&sc);
  for (i = 0; i < n; i += chunk)
    if (vl_ac_scan_all(ac, &sc, s + i, n - i < chunk ? n - i : chunk, on_match, &got)) break;
  if (got.n < 8192) {
    /* naive: by end, longest first, then by id */
    for (e = 1; e <= n; e++) {
      size_t len;
      for (len = 9; len-- > 1;) {
        size_t id;
        for (id = 0; id < np; id++) {
          if (lens[id] != len || !eq_at(s, e, pats[id], len, ci)) continue;
          CHECK(k < got.n);
          CHECK(got.id[k] == id && got.end[k] == e && got.start[k] == e - len);
          k++;
        }
      }
    }
    CHECK(k == got.n);
  }
  vl_ac_free(ac);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static acc one, chunked;
  vl_sf_tag tags[4];
  const char *pats[8];
  size_t lens[8], np = 0, ntags, pos = 3, i, n, maxlen = 0, tagbytes;
  const char *s;
  int ci;
  uint64_t cap;
  uint32_t rnd;
  vl_sf_config *cfg = NULL;
  vl_sf *f = NULL;
  vl_sf_out o;
  char *c2 = NULL, *t2 = NULL;
  size_t c2n, t2n;
  if (size < 3) return 0;
  ci = data[0] & 1;
  cap = (data[0] & 2) ? (uint64_t)(data[0] >> 2) : VL_SF_NO_LIMIT;
  rnd = (uint32_t)data[1] * 2654435761u + 1;
  ntags = (size_t)(data[2] & 3) + 1;
  for (i = 0; i < ntags * 2; i++) {
    size_t len;
    if (pos >= size) return 0;
    len = (size_t)(data[pos] & 7) + 1;
    pos++;
    if (pos + len > size) return 0;
    pats[np] = (const char *)data + pos;
    lens[np++] = len;
    if (len > maxlen) maxlen = len;
    pos += len;
  }
  for (i = 0; i < ntags; i++) {
    tags[i].start = pats[2 * i];
    tags[i].start_len = lens[2 * i];
    tags[i].end = pats[2 * i + 1];
    tags[i].end_len = lens[2 * i + 1];
  }
  s = (const char *)data + pos;
  n = size - pos;

  check_ac(pats, lens, np, ci, s, n, data[1]);

  if (vl_sf_config_new(tags, ntags, ci, &cfg, NULL) != VL_OK) return 0; /* e.g. equal start tags */
  CHECK(vl_sf_config_max_tag_len(cfg) == maxlen);
  one.content = malloc(n + 1);
  one.thinking = malloc(n + 1);
  chunked.content = malloc(n + 1);
  chunked.thinking = malloc(n + 1);
  c2 = malloc(n + 1);
  t2 = malloc(n + 1);
  if (!one.content || !one.thinking || !chunked.content || !chunked.thinking || !c2 || !t2) goto done;
  one.clen = one.tlen = one.nev = 0;
  one.overflow = 0;
  chunked.clen = chunked.tlen = chunked.nev = 0;
  chunked.overflow = 0;

  if (!(f = vl_sf_new(cfg, cap))) goto done;
  CHECK(vl_sf_feed(f, s, n, 1, &o) == VL_OK);
  take(&one, &o);
  CHECK(vl_sf_feed(f, "x", 1, 0, &o) == VL_EINVAL);

  vl_sf_reset(f);
  for (i = 0; i < n;) {
    size_t k;
    vl_sf_info info;
    rnd = rnd * 1103515245u + 12345u;
    k = (rnd >> 16) % 17; /* 0..16: some empty chunks */
    if (k > n - i) k = n - i;
    CHECK(vl_sf_feed(f, s + i, k, 0, &o) == VL_OK);
    take(&chunked, &o);
    i += k;
    vl_sf_stats(f, &info);
    CHECK(info.held < maxlen);
    CHECK(info.bytes_in == i);
  }
  CHECK(vl_sf_finish(f, &o) == VL_OK);
  take(&chunked, &o);

  CHECK(one.clen == chunked.clen && memcmp(one.content, chunked.content, one.clen) == 0);
  CHECK(one.tlen == chunked.tlen && memcmp(one.thinking, chunked.thinking, one.tlen) == 0);
  if (!one.overflow && !chunked.overflow) {
    CHECK(one.nev == chunked.nev);
    tagbytes = 0;
    for (i = 0; i < one.nev; i++) {
      CHECK(one.ev[i].kind == chunked.ev[i].kind && one.ev[i].tag == chunked.ev[i].tag);
      CHECK(one.ev[i].start == chunked.ev[i].start && one.ev[i].end == chunked.ev[i].end);
      CHECK(i == 0 || one.ev[i - 1].start <= one.ev[i].start);
      if (one.ev[i].kind != VL_SF_ABORT) tagbytes += (size_t)(one.ev[i].end - one.ev[i].start);
    }
    CHECK(one.clen + one.tlen + tagbytes == n);
  }
  CHECK(vl_sf_strip(cfg, s, n, c2, &c2n, t2, &t2n) == VL_OK);
  CHECK(c2n == one.clen && memcmp(c2, one.content, c2n) == 0);
  CHECK(t2n == one.tlen && memcmp(t2, one.thinking, t2n) == 0);
done:
  vl_sf_free(f);
  vl_sf_config_free(cfg);
  free(one.content);
  free(one.thinking);
  free(chunked.content);
  free(chunked.thinking);
  free(c2);
  free(t2);
  return 0;
}
