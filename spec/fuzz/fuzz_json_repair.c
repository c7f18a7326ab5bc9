/*
 * fuzz_json_repair.c: libFuzzer target for the pure-C JSON repair kernel
 * (core/json_repair.h).
 *
 * The first input byte sets the options (bit 0 ensure_ascii, 1 compact, 2 ndjson,
 * bits 3-5 max_depth 1..8 or, when 0, 64); the rest is the text. Checks:
 *   - vl_jr_repair gives VL_OK with output that a separate strict RFC 8259 parser
 *     (below: recursive descent, UTF-8 checked, surrogate escapes paired) accepts
 *     and vl_json_valid accepts too, or VL_EPARSE / VL_ELIMIT with an error offset
 *     inside the input (or at its end); with ensure_ascii, no byte >= 0x80;
 *   - vl_json_valid agrees with the strict parser on the raw text; when it accepts,
 *     the fast path returns the text unchanged, and the machine itself (streamed)
 *     gives the same bytes;
 *   - repair is idempotent on its own output;
 *   - a stream fed the text in chunks of seeded random sizes (0 to 16 bytes) gives
 *     the one-shot output byte for byte, or the same error at the same offset;
 *   - vl_jr_extract: values in order, non-overlapping, each output strictly valid.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "json_repair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- an independent strict JSON parser ---- */

typedef struct sp {
  const unsigned char *s, *e;
  int depth, max_depth;
} sp;

static void ws(sp *p)
{
  while (p->s < p->e && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')) p->s++;
}

static int hex4v(const unsigned char *s, long *v)
{
  int k;
  *v = 0;
  for (k = 0; k < 4; k++) {
    int c = s[k], d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return 0;
    *v = *v * 16 + d;
  }
  return 1;
}

static int str(sp *p)
{
  p->s++;
  while (p->s < p->e) {
    unsigned c = *p->s;
    if (c == '"') {
      p->s++;
      return 1;
    }
    if (c < 0x20) return 0;
    if (c == '\\') {
      long v, w;
      if (p->e - p->s < 2) return 0;
      c = p->s[1];
      if (c == 'u') {
        if (p->e - p->s < 6 || !hex4v(p->s + 2, &v)) return 0;
        if (v >= 0xDC00 && v <= 0xDFFF) return 0;
        if (v >= 0xD800 && v <= 0xDBFF) {
          if (p->e - p->s < 12 || p->s[6] != '\\' || p->s[7] != 'u' || !hex4v(p->s + 8, &w)) return 0;
          if (w < 0xDC00 || w > 0xDFFF) return 0;
          p->s += 12;
        } else {
          p->s += 6;
        }
      } else if (strchr("\"\\/bfnrt", (int)c) && c) {
        p->s += 2;
      } else {
        return 0;
      }
    } else if (c < 0x80) {
      p->s++;
    } else {
      /* UTF-8 by code point ranges */
      unsigned long cp;
      int need, k;
      if (c >= 0xC0 && c < 0xE0) { need = 1; cp = c & 0x1F; }
      else if (c >= 0xE0 && c < 0xF0) { need = 2; cp = c & 0x0F; }
      else if (c >= 0xF0 && c < 0xF8) { need = 3; cp = c & 0x07; }
      else return 0;
      if (p->e - p->s <= need) return 0;
      for (k = 1; k <= need; k++) {
        if ((p->s[k] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p->s[k] & 0x3F);
      }
      if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000)) return 0;
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
      p->s += need + 1;
    }
  }
  return 0;
}

static int digits(sp *p)
{
  const unsigned char *b = p->s;
  while (p->s < p->e && *p->s >= '0' && *p->s <= '9') p->s++;
  return p->s > b;
}

static int value(sp *p)
{
  ws(p);
  if (p->s >= p->e) return 0;
  switch (*p->s) {
  case '{': case '[': {
    int obj = *p->s == '{';
    if (++p->depth > p->max_depth) return 0;
    p->s++;
    ws(p);
    if (p->s < p->e && *p->s == (obj ? '}' : ']')) {
      p->s++;
      p->depth--;
      return 1;
    }
    for (;;) {
      if (obj) {
        ws(p);
        if (p->s >= p->e || *p->s != '"' || !str(p)) return 0;
        ws(p);
        if (p->s >= p->e || *p->s != ':') return 0;
        p->s++;
      }
      if (!value(p)) return 0;
      ws(p);
      if (p->s >= p->e) return 0;
      if (*p->s == ',') {
        p->s++;
        continue;
      }
      if (*p->s != (obj ? '}' : ']')) return 0;
      p->s++;
      p->depth--;
      return 1;
    }
  }
  case '"': return str(p);
  case 't': if (p->e - p->s >= 4 && !memcmp(p->s, "true", 4)) { p->s += 4; return 1; } return 0;
  case 'f': if (p->e - p->s >= 5 && !memcmp(p->s, "false", 5)) { p->s += 5; return 1; } return 0;
  case 'n': if (p->e - p->s >= 4 && !memcmp(p->s, "null", 4)) { p->s += 4; return 1; } return 0;
  default:
    if (*p->s == '-') p->s++;
    if (p->s < p->e && *p->s == '0') p->s++;
    else if (p->s >= p->e || *p->s < '1' || *p->s > '9' || !digits(p)) return 0;
    if (p->s < p->e && *p->s == '.') {
      p->s++;
      if (!digits(p)) return 0;
    }
    if (p->s < p->e && (*p->s == 'e' || *p->s == 'E')) {
      p->s++;
      if (p->s < p->e && (*p->s == '+' || *p->s == '-')) p->s++;
      if (!digits(p)) return 0;
    }
    return 1;
  }
}

static int strict_valid(const char *s, size_t n, int max_depth)
{
  sp p;
  p.s = (const unsigned char *)s;
  p.e = p.s + n;
  p.depth = 0;
  p.max_depth = max_depth;
  if (!value(&p)) return 0;
  ws(&p);
  return p.s == p.e;
}

/* ---- checks ---- */

static uint32_t next(uint32_t *x)
{
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

/* stream s[0..n) in seeded chunks; the output must be want (or the same error) */
static void check_stream(const vl_jr_opts *o, const char *s, size_t n, int wst, const char *want, size_t wn,
                         size_t werr, uint32_t seed)
{
  vl_jr *p = vl_jr_new();
  char *acc;
  size_t an = 0, pos = 0, on;
  const char *out;
  int st = VL_OK;
  if (!p) return;
  acc = (char *)malloc(wn + 1); /* what the stream wrote so far */
  if (!acc || vl_jr_reset(p, o) != VL_OK) goto done;
  while (pos < n && st == VL_OK) {
    size_t k = next(&seed) % 17;
    if (k > n - pos) k = n - pos;
    st = vl_jr_feed(p, s + pos, k);
    pos += k;
    out = vl_jr_output(p, &on);
    if (st == VL_OK && wst == VL_OK) {
      CHECK(an + on <= wn && (!on || !memcmp(want + an, out, on)));
      memcpy(acc + an, out, on);
      an += on;
    }
    vl_jr_output_clear(p);
  }
  if (st == VL_OK) {
    st = vl_jr_finish(p);
    out = vl_jr_output(p, &on);
    if (st == VL_OK && wst == VL_OK) CHECK(an + on == wn && (!on || !memcmp(want + an, out, on)));
  }
  CHECK(st == wst);
  if (st != VL_OK) CHECK(vl_jr_errpos(p) == werr);
done:
  free(acc);
  vl_jr_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  vl_jr_opts o;
  vl_jr *p, *q;
  const char *s, *out;
  char *copy = NULL;
  size_t n, on, errpos = 0;
  int st, same, ok_in, strict_in, md;
  uint32_t seed = 2166136261u;
  size_t i;
  if (size < 1) return 0;
  vl_jr_opts_init(&o);
  o.ensure_ascii = data[0] & 1;
  o.compact = (data[0] >> 1) & 1;
  o.ndjson = (data[0] >> 2) & 1;
  md = (data[0] >> 3) & 7;
  o.max_depth = md ? (size_t)md : 64;
  s = (const char *)data + 1;
  n = size - 1;
  for (i = 0; i < size; i++) seed = (seed ^ data[i]) * 16777619u;
  if (!seed) seed = 1;

  /* the validator against the independent parser */
  ok_in = vl_json_valid(s, n, o.max_depth, NULL);
  strict_in = strict_valid(s, n, (int)o.max_depth);
  CHECK(ok_in == strict_in);

  p = vl_jr_new();
  q = vl_jr_new();
  if (!p || !q) goto done;
  st = vl_jr_repair(p, &o, s, n, &same);
  if (st == VL_OK) {
    if (same) {
      CHECK(ok_in && !o.compact && !o.ndjson);
      out = s;
      on = n;
    } else {
      out = vl_jr_output(p, &on);
    }
    copy = (char *)malloc(on + 1);
    if (!copy) goto done;
    memcpy(copy, out, on);
    CHECK(strict_valid(copy, on, (int)o.max_depth + (o.ndjson ? 1 : 0)));
    CHECK(vl_json_valid(copy, on, o.max_depth + 1, NULL));
    if (o.ensure_ascii) {
      for (i = 0; i < on; i++) CHECK((unsigned char)copy[i] < 0x80);
    }
    /* idempotence (not for ndjson: its output is an array, read as one element) */
    if (!o.ndjson) {
      vl_jr_opts o2 = o;
      o2.max_depth = o.max_depth + 1;
      CHECK(vl_jr_repair(q, &o2, copy, on, &same) == VL_OK);
      if (!same) {
        const char *r2;
        size_t rn;
        r2 = vl_jr_output(q, &rn);
        CHECK(rn == on && !memcmp(r2, copy, on));
      }
    }
  } else {
    CHECK(st == VL_EPARSE || st == VL_ELIMIT);
    errpos = vl_jr_errpos(p);
    CHECK(errpos <= n);
    on = 0;
  }
  check_stream(&o, s, n, st, copy, on, errpos, seed);

  /* extraction */
  {
    size_t from = 0, a, b, last = 0;
    int found, trunc, rounds = 0;
    for (;;) {
      st = vl_jr_extract(q, &o, s, n, from, &found, &a, &b, &trunc);
      if (st != VL_OK) {
        CHECK(st == VL_ELIMIT);
        break;
      }
      if (!found) break;
      CHECK(a >= last && a < b && b <= n);
      CHECK(s[a] == '{' || s[a] == '[');
      out = vl_jr_output(q, &on);
      CHECK(strict_valid(out, on, (int)o.max_depth));
      if (trunc) CHECK(b == n);
      last = from = b;
      CHECK(++rounds <= (int)n);
    }
  }
done:
  free(copy);
  vl_jr_free(p);
  vl_jr_free(q);
  return 0;
}
