/*
 * signature.c: canonical writer, XXH3 hashing and the loop detector (signature.h).
 *
 * xxHash is used header-only (XXH_INLINE_ALL): signatures hash short strings, where
 * the inlined small-input paths beat a call into libxxhash.
 */
#include "signature.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* ---- canonical writer ------------------------------------------------------ */

void vl_canon_init(vl_canon *c, size_t max_bytes, int max_depth)
{
  c->buf = NULL;
  c->len = c->cap = 0;
  c->max_bytes = max_bytes ? max_bytes : VL_CANON_DEFAULT_MAX_BYTES;
  c->max_depth = max_depth > 0 ? max_depth : VL_CANON_DEFAULT_MAX_DEPTH;
  c->depth = 0;
  c->status = VL_OK;
}

void vl_canon_reset(vl_canon *c)
{
  c->len = 0;
  c->depth = 0;
  c->status = VL_OK;
}

void vl_canon_free(vl_canon *c)
{
  free(c->buf);
  c->buf = NULL;
  c->len = c->cap = 0;
}

/* Make room for n more bytes; on failure record the status and return NULL. */
static unsigned char *canon_grow(vl_canon *c, size_t n);

static inline unsigned char *canon_room(vl_canon *c, size_t n)
{
  /* fast path: no error, fits in the buffer and under the limit */
  if (c->status == VL_OK && n <= c->cap - c->len && c->len + n <= c->max_bytes) return c->buf + c->len;
  return canon_grow(c, n);
}

static unsigned char *canon_grow(vl_canon *c, size_t n)
{
  size_t need;
  if (c->status != VL_OK) return NULL;
  if (n > c->max_bytes - c->len || c->len > c->max_bytes) {
    c->status = VL_ELIMIT;
    return NULL;
  }
  need = c->len + n;
  if (need > c->cap) {
    size_t cap = c->cap ? c->cap : 256;
    unsigned char *p;
    while (cap < need) cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
    if (cap > c->max_bytes) cap = c->max_bytes;
    p = realloc(c->buf, cap);
    if (!p) {
      c->status = VL_ENOMEM;
      return NULL;
    }
    c->buf = p;
    c->cap = cap;
  }
  return c->buf + c->len;
}

static int canon_put(vl_canon *c, const void *p, size_t n)
{
  unsigned char *dst = canon_room(c, n);
  if (!dst) return c->status;
  memcpy(dst, p, n);
  c->len += n;
  return VL_OK;
}

int vl_canon_nil(vl_canon *c)
{
  return canon_put(c, "n", 1);
}

int vl_canon_bool(vl_canon *c, int b)
{
  return canon_put(c, b ? "t" : "f", 1);
}

/* Decimal digits of v (no sign) written backwards ending at end; returns start. */
static char *u64_digits(uint64_t v, char *end)
{
  do {
    *--end = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return end;
}

int vl_canon_number(vl_canon *c, double x)
{
  char tmp[40];
  if (x == 0) return canon_put(c, "i0;", 3);  /* also -0 */
  if (x != x) return canon_put(c, "dnan;", 5);
  if (isinf(x)) return canon_put(c, x > 0 ? "d+inf;" : "d-inf;", 6);
  if (x == floor(x) && fabs(x) < 9223372036854775808.0) {
    /* Exactly representable in int64: print the integer without printf. */
    char *end = tmp + sizeof tmp, *p;
    int64_t v = (int64_t)x;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    *--end = ';';
    p = u64_digits(u, end);
    if (v < 0) *--p = '-';
    *--p = 'i';
    return canon_put(c, p, (size_t)(tmp + sizeof tmp - p));
  } else {
    /* The exact bits (see the design note in signature.h). */
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    tmp[0] = 'd';
    vl_sig_hex64(bits, tmp + 1);
    tmp[17] = ';';
    return canon_put(c, tmp, 18);
  }
}

int vl_canon_string(vl_canon *c, const char *s, size_t n)
{
  char tmp[24];
  char *p;
  unsigned char *dst;
  size_t hl;
  if (n < 10) {  /* the common short key: "s<d>:" */
    p = tmp;
    p[0] = 's';
    p[1] = (char)('0' + n);
    p[2] = ':';
    hl = 3;
  } else {
    char *end = tmp + sizeof tmp;
    *--end = ':';
    p = u64_digits((uint64_t)n, end);
    *--p = 's';
    hl = (size_t)(tmp + sizeof tmp - p);
  }
  if (n > c->max_bytes) {  /* keeps hl + n from overflowing */
    if (c->status == VL_OK) c->status = VL_ELIMIT;
    return c->status;
  }
  dst = canon_room(c, hl + n);
  if (!dst) return c->status;
  memcpy(dst, p, hl);
  if (n) memcpy(dst + hl, s, n);
  c->len += hl + n;
  return VL_OK;
}

int vl_canon_open(vl_canon *c, int kind)
{
  char ch = kind == '[' ? '[' : '{';
  if (c->status != VL_OK) return c->status;
  if (c->depth >= c->max_depth) return c->status = VL_ELIMIT;
  c->depth++;
  return canon_put(c, &ch, 1);
}

int vl_canon_close(vl_canon *c, int kind)
{
  char ch = kind == '[' ? ']' : '}';
  if (c->status != VL_OK) return c->status;
  if (c->depth > 0) c->depth--;
  return canon_put(c, &ch, 1);
}

int vl_canon_key_cmp(const vl_canon_key *a, const vl_canon_key *b)
{
  if (a->type != b->type) return a->type < b->type ? -1 : 1;
  switch (a->type) {
  case VL_KEY_BOOL:
    return (a->boolean != 0) - (b->boolean != 0);
  case VL_KEY_NUMBER:
    return a->num < b->num ? -1 : a->num > b->num ? 1 : 0;
  default: {
    size_t n = a->len < b->len ? a->len : b->len;
    int r = n ? memcmp(a->str, b->str, n) : 0;
    if (r) return r < 0 ? -1 : 1;
    return a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
  }
  }
}

/* Shell sort: allocation-free, insertion sort on the short maps that dominate, and
 * about O(n^1.3) on large ones. Keys come from one table so they are distinct and
 * the order is total: any correct sort gives the same result. */
void vl_canon_sort_keys(vl_canon_key *keys, size_t n)
{
  static const size_t gaps[] = {1750, 701, 301, 132, 57, 23, 10, 4, 1};
  size_t g, i, j;
  if (n < 2) return;
  for (g = n <= 16 ? sizeof gaps / sizeof gaps[0] - 1 : 0; g < sizeof gaps / sizeof gaps[0]; g++) {
    size_t gap = gaps[g];
    if (gap >= n) continue;
    for (i = gap; i < n; i++) {
      vl_canon_key k = keys[i];
      for (j = i; j >= gap && vl_canon_key_cmp(&keys[j - gap], &k) > 0; j -= gap)
        keys[j] = keys[j - gap];
      keys[j] = k;
    }
  }
}

int vl_canon_keys_are_array(const vl_canon_key *sorted, size_t n)
{
  /* n distinct integers in [1, n] are exactly 1..n. */
  size_t i;
  if (n == 0 || sorted[0].type != VL_KEY_NUMBER || sorted[n - 1].type != VL_KEY_NUMBER) return 0;
  if (sorted[0].num != 1.0 || sorted[n - 1].num != (double)n) return 0;
  for (i = 1; i + 1 < n; i++)
    if (sorted[i].num != floor(sorted[i].num)) return 0;
  return 1;
}

int vl_canon_write_key(vl_canon *c, const vl_canon_key *k)
{
  switch (k->type) {
  case VL_KEY_BOOL: return vl_canon_bool(c, k->boolean);
  case VL_KEY_NUMBER: return vl_canon_number(c, k->num);
  default: return vl_canon_string(c, k->str, k->len);
  }
}

/* ---- hashing ----------------------------------------------------------------- */

uint64_t vl_sig_hash64(const void *p, size_t n)
{
  return XXH3_64bits(p, n);
}

void vl_sig_hash128(const void *p, size_t n, uint64_t *hi, uint64_t *lo)
{
  XXH128_hash_t h = XXH3_128bits(p, n);
  *hi = h.high64;
  *lo = h.low64;
}

void vl_sig_hex64(uint64_t h, char out[16])
{
  static const char hex[] = "0123456789abcdef";
  int i;
  for (i = 7; i >= 0; i--) {  /* a byte, two digits, per step */
    unsigned b = (unsigned)(h & 0xff);
    out[2 * i] = hex[b >> 4];
    out[2 * i + 1] = hex[b & 15];
    h >>= 8;
  }
}

int vl_sig_parse_hex64(const char *s, size_t n, uint64_t *out)
{
  uint64_t v = 0;
  size_t i;
  if (n != 16) return VL_EPARSE;
  for (i = 0; i < 16; i++) {
    char ch = s[i];
    unsigned d;
    if (ch >= '0' && ch <= '9') d = (unsigned)(ch - '0');
    else if (ch >= 'a' && ch <= 'f') d = (unsigned)(ch - 'a' + 10);
    else if (ch >= 'A' && ch <= 'F') d = (unsigned)(ch - 'A' + 10);
    else return VL_EPARSE;
    v = (v << 4) | d;
  }
  *out = v;
  return VL_OK;
}

const char *vl_sig_xxhash_version(void)
{
  static char buf[16];
  if (!buf[0]) {
    unsigned v = XXH_versionNumber();
    snprintf(buf, sizeof buf, "%u.%u.%u", v / 10000, (v / 100) % 100, v % 100);
  }
  return buf;
}

/* ---- loop detector ------------------------------------------------------------- */

struct vl_loop {
  size_t window, threshold;
  size_t head;      /* next slot to write */
  size_t filled;    /* valid slots, <= window */
  uint64_t pushed;
  uint64_t *ring;   /* window slots */
  size_t *run;      /* run[L] for L in 1..window/2; run[0] unused */
};

int vl_loop_new(size_t window, size_t threshold, vl_loop **out)
{
  vl_loop *d;
  if (!out) return VL_EINVAL;
  *out = NULL;
  if (window < 2 || window > VL_LOOP_MAX_WINDOW || threshold < 2) return VL_EINVAL;
  d = calloc(1, sizeof *d);
  if (!d) return VL_ENOMEM;
  d->ring = calloc(window, sizeof *d->ring);
  d->run = calloc(window / 2 + 1, sizeof *d->run);
  if (!d->ring || !d->run) {
    vl_loop_free(d);
    return VL_ENOMEM;
  }
  d->window = window;
  d->threshold = threshold;
  *out = d;
  return VL_OK;
}

void vl_loop_free(vl_loop *d)
{
  if (!d) return;
  free(d->ring);
  free(d->run);
  free(d);
}

void vl_loop_reset(vl_loop *d)
{
  d->head = d->filled = 0;
  d->pushed = 0;
  memset(d->run, 0, (d->window / 2 + 1) * sizeof *d->run);
}

int vl_loop_push(vl_loop *d, uint64_t sig, vl_loop_report *rep)
{
  size_t half = d->window / 2, L, found = 0, found_count = 0;
  for (L = 1; L <= half; L++) {
    if (d->filled >= L && d->ring[(d->head + d->window - L) % d->window] == sig) {
      if (d->run[L] < d->window - L) d->run[L]++;
    } else {
      d->run[L] = 0;
    }
    if (!found && 1 + d->run[L] / L >= d->threshold) {
      found = L;
      found_count = 1 + d->run[L] / L;
    }
  }
  d->ring[d->head] = sig;
  d->head = (d->head + 1) % d->window;
  if (d->filled < d->window) d->filled++;
  d->pushed++;
  if (!found) return 0;
  if (rep) {
    rep->sig = sig;
    rep->cycle = found;
    rep->count = found_count;
  }
  return 1;
}

size_t vl_loop_last(const vl_loop *d, size_t cycle, uint64_t *out)
{
  size_t i;
  if (cycle == 0 || cycle > d->filled) return 0;
  for (i = 0; i < cycle; i++)
    out[i] = d->ring[(d->head + d->window - cycle + i) % d->window];
  return cycle;
}

size_t vl_loop_window(const vl_loop *d) { return d->window; }
size_t vl_loop_threshold(const vl_loop *d) { return d->threshold; }
uint64_t vl_loop_pushed(const vl_loop *d) { return d->pushed; }
