/*
 * fuzz_canon.c: libFuzzer target for the pure-C signature kernel (core/signature.h).
 *
 * The first input byte picks a mode; the rest is a small op-code program.
 *
 * Mode 0, canonical writer. A header sets max_bytes (small, so the limit is hit
 * often) and max_depth; then each op writes nil / bool / number (8 raw bytes as a
 * double: NaN, inf, -0, subnormals included, or a small integer) / string (length
 * prefixed, bytes from the input) / open / close, fills and sorts a key array, or
 * reconfigures and resets the writer the way the Lua binding does. Alongside the
 * writer the target keeps an independent model (expected bytes, depth, status)
 * and checks after every op:
 *   - the writer's bytes equal the model's bytes (exact canonical form v1, as the
 *     design note of signature.h states it: see ref_number),
 *   - len <= max_bytes, len <= cap, 0 <= depth <= max_depth,
 *   - the status is sticky: once not VL_OK, no op changes it or the bytes, and
 *     every op returns it,
 *   - the limit is hit exactly when the model says so (VL_ELIMIT), never early.
 * Key arrays (distinct keys, as a Lua table would give) are sorted with
 * vl_canon_sort_keys and checked: a permutation of the input, ordered by
 * vl_canon_key_cmp, which is antisymmetric and consistent; vl_canon_keys_are_array
 * agrees with a brute-force "keys are exactly 1..n".
 *
 * Mode 1, loop detector. A header picks window and threshold (invalid values too:
 * vl_loop_new must then answer VL_EINVAL and leave *out NULL) and an alphabet size;
 * then each op pushes a signature, resets, or reads vl_loop_last. A brute-force
 * reference over the full history recomputes every report: for each cycle length L
 * in 1..window/2 the number of consecutive newest positions i (inside the window)
 * with h[i] == h[i-L]; the smallest L with 1 + run/L >= threshold is reported.
 * Reports, vl_loop_last and vl_loop_pushed must match it exactly.
 *
 * Any mismatch aborts with a message, which libFuzzer records as a crash.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signature.h"

#define CHECK(cond, ...)                                                      \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "fuzz_canon: check failed at %s:%d: %s\n  ", __FILE__, \
              __LINE__, #cond);                                               \
      fprintf(stderr, __VA_ARGS__);                                           \
      fputc('\n', stderr);                                                    \
      abort();                                                                \
    }                                                                         \
  } while (0)

/* ---- input reader ------------------------------------------------------------ */

typedef struct rd {
  const uint8_t *p;
  size_t n;
} rd;

static int rd_more(const rd *r) { return r->n > 0; }

static uint8_t rd_u8(rd *r)
{
  uint8_t b;
  if (!r->n) return 0;
  b = *r->p++;
  r->n--;
  return b;
}

static uint16_t rd_u16(rd *r)
{
  uint16_t lo = rd_u8(r);
  return (uint16_t)(lo | (uint16_t)rd_u8(r) << 8);
}

static double rd_double(rd *r)
{
  uint8_t b[8] = {0};
  double d;
  size_t i;
  for (i = 0; i < 8; i++) b[i] = rd_u8(r);
  memcpy(&d, b, sizeof d);
  return d;
}

/* Up to want bytes borrowed from the input; *got receives how many. */
static const char *rd_bytes(rd *r, size_t want, size_t *got)
{
  const char *s = (const char *)r->p;
  if (want > r->n) want = r->n;
  r->p += want;
  r->n -= want;
  *got = want;
  return s;
}

/* ---- model of the canonical writer ------------------------------------------- */

typedef struct model {
  unsigned char *buf;
  size_t len, cap;
  size_t max_bytes;
  int max_depth, depth, status;
} model;

static void model_reserve(model *m, size_t n)
{
  if (m->len + n > m->cap) {
    size_t cap = m->cap ? m->cap : 64;
    while (cap < m->len + n) cap *= 2;
    m->buf = realloc(m->buf, cap);
    CHECK(m->buf != NULL, "model: out of memory");
    m->cap = cap;
  }
}

/* Append bytes the writer is expected to produce; an overflow sets ELIMIT and
 * appends nothing (the writer writes a token whole or not at all). */
static void model_put(model *m, const void *p, size_t n)
{
  if (m->status != VL_OK) return;
  if (m->len + n > m->max_bytes) {
    m->status = VL_ELIMIT;
    return;
  }
  model_reserve(m, n);
  memcpy(m->buf + m->len, p, n);
  m->len += n;
}

/* Reference number encoding (canonical form v1, signature.h), written independently
 * of signature.c's: integers below 2^63 in decimal, any other finite number as the
 * 16 hex digits of its IEEE-754 bits, every NaN as one NaN. */
static size_t ref_number(double x, char *out, size_t outsz)
{
  uint64_t bits;
  if (x != x) return (size_t)snprintf(out, outsz, "dnan;");
  if (x == 0) return (size_t)snprintf(out, outsz, "i0;");
  if (isinf(x)) return (size_t)snprintf(out, outsz, x > 0 ? "d+inf;" : "d-inf;");
  if (nearbyint(x) == x && x > -9223372036854775808.0 && x < 9223372036854775808.0)
    return (size_t)snprintf(out, outsz, "i%lld;", (long long)x);
  memcpy(&bits, &x, sizeof bits);
  return (size_t)snprintf(out, outsz, "d%016llx;", (unsigned long long)bits);
}

/* ---- writer checks ------------------------------------------------------------- */

static void check_writer(const vl_canon *c, const model *m, int rc, const char *op)
{
  CHECK(c->status == m->status, "%s: status %d, model %d", op, c->status, m->status);
  CHECK(rc == VL_OK || rc == c->status, "%s: returned %d with status %d", op, rc, c->status);
  CHECK(c->status != VL_OK || rc == VL_OK, "%s: returned %d but status is OK", op, rc);
  CHECK(c->len == m->len, "%s: len %zu, model %zu", op, c->len, m->len);
  CHECK(c->len <= c->max_bytes, "%s: len %zu > max_bytes %zu", op, c->len, c->max_bytes);
  CHECK(c->len == 0 || (c->buf && c->len <= c->cap), "%s: len %zu, cap %zu", op, c->len, c->cap);
  CHECK(c->depth >= 0 && c->depth <= c->max_depth, "%s: depth %d (max %d)", op, c->depth,
        c->max_depth);
  CHECK(c->status != VL_OK || c->depth == m->depth, "%s: depth %d, model %d", op, c->depth,
        m->depth);
  CHECK(c->len == 0 || memcmp(c->buf, m->buf, c->len) == 0, "%s: bytes differ from the model", op);
}

/* A key from the input; numbers are small integers half the time so that
 * "array" key sets (exactly 1..n) occur. NaN is excluded: a Lua table cannot have
 * a NaN key, and the sort's contract is a total order over distinct keys. */
static void rd_key(rd *r, vl_canon_key *k)
{
  uint8_t t = rd_u8(r);
  memset(k, 0, sizeof *k);
  switch (t % 5) {
  case 0:
    k->type = VL_KEY_BOOL;
    k->boolean = t >> 7;  /* the binding stores 0/1 */
    break;
  case 1:
  case 2: {
    uint8_t v = rd_u8(r);
    k->type = VL_KEY_NUMBER;
    k->num = (double)(int)(v % 24) - 2;
    if (t & 0x80) k->num += (v & 0x80) ? 0.5 : 1e-9;  /* near-integers */
    break;
  }
  case 3: {
    double d = rd_double(r);
    k->type = VL_KEY_NUMBER;
    k->num = d != d ? 0.5 : d;
    if (k->num == 0) k->num = 0;  /* Lua normalises -0 keys to 0 */
    break;
  }
  default:
    k->type = VL_KEY_STRING;
    k->str = rd_bytes(r, rd_u8(r) % 12, &k->len);
    break;
  }
}

static int key_equal(const vl_canon_key *a, const vl_canon_key *b)
{
  if (a->type != b->type) return 0;
  if (a->type == VL_KEY_BOOL) return a->boolean == b->boolean;
  if (a->type == VL_KEY_NUMBER) return a->num == b->num;
  return a->len == b->len && (a->len == 0 || memcmp(a->str, b->str, a->len) == 0);
}

static int sgn(int v) { return (v > 0) - (v < 0); }

#define MAX_KEYS 96

/* Fill a key array, sort it, check the sort and the array test, then write the
 * keys (each followed by nil) through the writer and the model. */
static void op_keys(rd *r, vl_canon *c, model *m)
{
  vl_canon_key orig[MAX_KEYS], keys[MAX_KEYS];
  int seen[MAX_KEYS];
  size_t want = rd_u8(r) % MAX_KEYS, n = 0, i, j;
  int is_array, ref_array, rc;
  for (i = 0; i < want && rd_more(r); i++) {
    vl_canon_key k;
    rd_key(r, &k);
    for (j = 0; j < n; j++)
      if (key_equal(&orig[j], &k)) break;
    if (j < n) continue;  /* keys of one table are distinct */
    k.ref = (int)n;
    orig[n++] = k;
  }
  /* The order: reflexive, antisymmetric, and equality only for equal keys. */
  for (i = 0; i < n; i++)
    for (j = 0; j < n; j++) {
      int ab = vl_canon_key_cmp(&orig[i], &orig[j]), ba = vl_canon_key_cmp(&orig[j], &orig[i]);
      CHECK(ab >= -1 && ab <= 1, "key_cmp returned %d", ab);
      CHECK(sgn(ab) == -sgn(ba), "key_cmp not antisymmetric for keys %zu, %zu", i, j);
      CHECK((ab == 0) == (i == j), "key_cmp(%zu, %zu) == %d for distinct keys", i, j, ab);
    }
  memcpy(keys, orig, n * sizeof *keys);
  vl_canon_sort_keys(keys, n);
  memset(seen, 0, sizeof seen);
  for (i = 0; i < n; i++) {
    CHECK(keys[i].ref >= 0 && (size_t)keys[i].ref < n, "sort produced ref %d", keys[i].ref);
    CHECK(!seen[keys[i].ref], "sort duplicated key %d", keys[i].ref);
    seen[keys[i].ref] = 1;
    CHECK(key_equal(&keys[i], &orig[keys[i].ref]), "sort changed key %d", keys[i].ref);
    if (i) CHECK(vl_canon_key_cmp(&keys[i - 1], &keys[i]) < 0, "sort: keys %zu and %zu out of order", i - 1, i);
  }
  /* Transitivity over sorted neighbours is implied; spot-check the ends too. */
  if (n > 2) CHECK(vl_canon_key_cmp(&keys[0], &keys[n - 1]) < 0, "sort: first !< last");
  ref_array = n > 0;
  for (i = 0; i < n; i++)
    if (keys[i].type != VL_KEY_NUMBER || keys[i].num != (double)(i + 1)) ref_array = 0;
  is_array = vl_canon_keys_are_array(keys, n);
  CHECK(is_array == ref_array, "keys_are_array = %d, brute force %d (n=%zu)", is_array, ref_array, n);
  /* Booleans sort before numbers before strings. */
  for (i = 1; i < n; i++) CHECK(keys[i - 1].type <= keys[i].type, "key types out of order");

  /* Write them as a map (or array) of nils through the writer. */
  {
    int kind = is_array ? '[' : '{';
    int pre = c->status;
    rc = vl_canon_open(c, kind);
    if (m->status == VL_OK) {
      if (m->depth >= m->max_depth) m->status = VL_ELIMIT;
      else {
        unsigned char ch = (unsigned char)kind;
        m->depth++;
        model_put(m, &ch, 1);
      }
    }
    check_writer(c, m, rc, "keys/open");
    for (i = 0; i < n; i++) {
      char tmp[64];
      size_t tl;
      if (!is_array) {
        rc = vl_canon_write_key(c, &keys[i]);
        if (keys[i].type == VL_KEY_BOOL) model_put(m, keys[i].boolean ? "t" : "f", 1);
        else if (keys[i].type == VL_KEY_NUMBER) {
          tl = ref_number(keys[i].num, tmp, sizeof tmp);
          model_put(m, tmp, tl);
        } else {
          tl = (size_t)snprintf(tmp, sizeof tmp, "s%zu:", keys[i].len);
          if (m->status == VL_OK && m->len + tl + keys[i].len <= m->max_bytes) {
            model_put(m, tmp, tl);
            model_put(m, keys[i].str, keys[i].len);
          } else if (m->status == VL_OK) {
            m->status = VL_ELIMIT;
          }
        }
        check_writer(c, m, rc, "keys/key");
      }
      rc = vl_canon_nil(c);
      model_put(m, "n", 1);
      check_writer(c, m, rc, "keys/nil");
    }
    rc = vl_canon_close(c, kind);
    if (m->status == VL_OK) {
      unsigned char ch = is_array ? ']' : '}';
      if (m->depth > 0) m->depth--;
      model_put(m, &ch, 1);
    }
    check_writer(c, m, rc, "keys/close");
    (void)pre;
  }
}

static void run_writer(rd *r)
{
  vl_canon c;
  model m;
  size_t max_bytes;
  int max_depth, steps = 0;
  uint16_t mb = rd_u16(r);
  /* 0 selects the default (1 MiB); otherwise small, so the limit is reached. */
  max_bytes = (mb & 0x8000) ? 0 : (size_t)(mb % 2048);
  max_depth = (int)(rd_u8(r) % 12) - 1;  /* -1 and 0 select the default */
  vl_canon_init(&c, max_bytes, max_depth);
  memset(&m, 0, sizeof m);
  m.max_bytes = max_bytes ? max_bytes : VL_CANON_DEFAULT_MAX_BYTES;
  m.max_depth = max_depth > 0 ? max_depth : VL_CANON_DEFAULT_MAX_DEPTH;
  CHECK(c.max_bytes == m.max_bytes && c.max_depth == m.max_depth && c.len == 0 &&
          c.status == VL_OK && c.depth == 0,
        "init: max_bytes %zu max_depth %d", c.max_bytes, c.max_depth);

  while (rd_more(r) && steps++ < 4096) {
    uint8_t op = rd_u8(r);
    int rc, pre = c.status;
    size_t prelen = c.len;
    char tmp[64];
    size_t tl;
    switch (op % 13) {
    case 0:
      rc = vl_canon_nil(&c);
      model_put(&m, "n", 1);
      check_writer(&c, &m, rc, "nil");
      break;
    case 1: {
      int b = (op >> 4) & 1;
      rc = vl_canon_bool(&c, (op & 0x80) ? (int)(op >> 5) : b);  /* any non-zero is true */
      model_put(&m, ((op & 0x80) ? (op >> 5) != 0 : b) ? "t" : "f", 1);
      check_writer(&c, &m, rc, "bool");
      break;
    }
    case 2: {
      double x = rd_double(r);
      rc = vl_canon_number(&c, x);
      tl = ref_number(x, tmp, sizeof tmp);
      model_put(&m, tmp, tl);
      check_writer(&c, &m, rc, "number");
      break;
    }
    case 3: {
      /* integers near interesting edges: small, 2^53, 2^63 */
      static const double bases[] = {0, 9007199254740992.0, 9223372036854775808.0, 4294967296.0};
      double x = bases[(op >> 4) & 3] + (double)(int8_t)rd_u8(r) * ((op & 0x80) ? 1024.0 : 1.0);
      if (op & 0x40) x = -x;
      rc = vl_canon_number(&c, x);
      tl = ref_number(x, tmp, sizeof tmp);
      model_put(&m, tmp, tl);
      check_writer(&c, &m, rc, "int");
      break;
    }
    case 4:
    case 5: {
      size_t want = (op % 13) == 4 ? rd_u8(r) : rd_u16(r), got;
      const char *s = rd_bytes(r, want, &got);
      rc = vl_canon_string(&c, got ? s : NULL, got);
      tl = (size_t)snprintf(tmp, sizeof tmp, "s%zu:", got);
      if (m.status == VL_OK && m.len + tl + got > m.max_bytes) m.status = VL_ELIMIT;
      else {
        model_put(&m, tmp, tl);
        model_put(&m, s, got);
      }
      check_writer(&c, &m, rc, "string");
      break;
    }
    case 6:
    case 7: {
      int kind = (op % 13) == 6 ? '[' : '{';
      rc = vl_canon_open(&c, (op & 0x80) ? op : kind);  /* anything but '[' is a map */
      if ((op & 0x80) && op != '[') kind = '{';
      if (m.status == VL_OK) {
        if (m.depth >= m.max_depth) m.status = VL_ELIMIT;
        else {
          unsigned char ch = (unsigned char)kind;
          m.depth++;
          model_put(&m, &ch, 1);
        }
      }
      check_writer(&c, &m, rc, "open");
      break;
    }
    case 8:
    case 9: {
      /* Unbalanced closes are allowed by the API: depth stays >= 0. */
      int kind = (op % 13) == 8 ? '[' : '{';
      rc = vl_canon_close(&c, kind);
      if (m.status == VL_OK) {
        unsigned char ch = kind == '[' ? ']' : '}';
        if (m.depth > 0) m.depth--;
        model_put(&m, &ch, 1);
      }
      check_writer(&c, &m, rc, "close");
      break;
    }
    case 10:
      op_keys(r, &c, &m);
      break;
    case 11:
      vl_canon_reset(&c);
      m.len = 0;
      m.depth = 0;
      m.status = VL_OK;
      check_writer(&c, &m, VL_OK, "reset");
      break;
    default: {
      /* Reconfigure then reset, as the Lua binding does per call (the buffer is
       * kept, so cap may exceed the new max_bytes). */
      uint16_t nb = rd_u16(r);
      c.max_bytes = 1 + nb % 3000;
      c.max_depth = 1 + rd_u8(r) % 10;
      vl_canon_reset(&c);
      m.max_bytes = c.max_bytes;
      m.max_depth = c.max_depth;
      m.len = 0;
      m.depth = 0;
      m.status = VL_OK;
      check_writer(&c, &m, VL_OK, "reconfigure");
      break;
    }
    }
    if (pre != VL_OK && op % 13 != 11 && op % 13 != 12) {
      CHECK(c.status == pre && c.len == prelen, "status not sticky: %d -> %d, len %zu -> %zu", pre,
            c.status, prelen, c.len);
    }
  }
  /* Hash the result; the digests are pure functions of the bytes. */
  if (c.len) {
    uint64_t h = vl_sig_hash64(c.buf, c.len), hi, lo, back = 0;
    char hex[16];
    vl_sig_hash128(c.buf, c.len, &hi, &lo);
    vl_sig_hex64(h, hex);
    CHECK(vl_sig_parse_hex64(hex, 16, &back) == VL_OK && back == h, "hex64 round trip");
    CHECK(vl_sig_parse_hex64(hex, 15, &back) == VL_EPARSE, "parse_hex64 accepted 15 digits");
  }
  vl_canon_free(&c);
  CHECK(c.buf == NULL && c.len == 0 && c.cap == 0, "free left state");
  free(m.buf);
}

/* ---- loop detector --------------------------------------------------------------- */

#define HIST_MAX 8192

typedef struct ref_report {
  size_t cycle, count;
} ref_report;

/* Brute force over the history h[0..n) (h[n-1] newest): the report of the push of
 * h[n-1], from the definition in signature.h. */
static int ref_push(const uint64_t *h, size_t n, size_t window, size_t threshold, ref_report *out)
{
  size_t L;
  for (L = 1; L <= window / 2; L++) {
    size_t run = 0, i = n - 1;
    /* positions i and i-L must both lie in the newest `window` entries */
    while (run < window - L && i >= L && h[i] == h[i - L]) {
      run++;
      i--;
    }
    if (1 + run / L >= threshold) {
      out->cycle = L;
      out->count = 1 + run / L;
      return 1;
    }
  }
  return 0;
}

static void run_loop(rd *r)
{
  uint8_t sel = rd_u8(r);
  size_t window, threshold, alphabet;
  vl_loop *d = (vl_loop *)&d; /* garbage: vl_loop_new must overwrite it */
  uint64_t *hist;
  size_t nh = 0;
  uint64_t pushes = 0;
  int rc, steps = 0;
  if (sel < 224) window = 2 + sel % 48;
  else if (sel < 248) window = rd_u16(r) % 320;              /* includes 0 and 1 */
  else window = VL_LOOP_MAX_WINDOW - 2 + rd_u8(r) % 4;        /* the upper edge */
  threshold = rd_u8(r) % 12;                                  /* includes 0 and 1 */
  alphabet = 1 + rd_u8(r) % 8;
  rc = vl_loop_new(window, threshold, &d);
  if (window < 2 || window > VL_LOOP_MAX_WINDOW || threshold < 2) {
    CHECK(rc == VL_EINVAL && d == NULL, "loop_new(%zu, %zu) = %d, out %p", window, threshold, rc,
          (void *)d);
    return;
  }
  CHECK(rc == VL_OK && d != NULL, "loop_new(%zu, %zu) = %d", window, threshold, rc);
  CHECK(vl_loop_new(window, threshold, NULL) == VL_EINVAL, "loop_new with out NULL");
  CHECK(vl_loop_window(d) == window && vl_loop_threshold(d) == threshold, "getters");
  CHECK(vl_loop_pushed(d) == 0, "fresh detector has pushes");
  hist = malloc(HIST_MAX * sizeof *hist);
  CHECK(hist != NULL, "oom");
  /* Big windows make the brute force quadratic per push: keep those runs short. */
  while (rd_more(r) && steps++ < (window > 64 ? 600 : 4000)) {
    uint8_t op = rd_u8(r);
    if (op < 200) {
      uint64_t sig;
      vl_loop_report rep;
      ref_report want;
      int got, exp;
      if (op < 160) sig = (uint64_t)(op % alphabet) * 0x9e3779b97f4a7c15ull;
      else if (op < 190) sig = (uint64_t)rd_u8(r);  /* a wider alphabet */
      else {
        uint64_t v = 0;
        int i;
        for (i = 0; i < 8; i++) v = v << 8 | rd_u8(r);
        sig = v;
      }
      if (nh == HIST_MAX) {  /* keep the newest window entries */
        memmove(hist, hist + HIST_MAX - window, window * sizeof *hist);
        nh = window;
      }
      hist[nh++] = sig;
      pushes++;
      memset(&rep, 0xa5, sizeof rep);
      got = vl_loop_push(d, sig, (op & 1) ? &rep : NULL);
      exp = ref_push(hist, nh, window, threshold, &want);
      CHECK(got == exp, "push #%zu: reported %d, reference %d (window %zu, threshold %zu)", nh, got,
            exp, window, threshold);
      CHECK(vl_loop_pushed(d) == pushes, "pushed %llu, expected %llu",
            (unsigned long long)vl_loop_pushed(d), (unsigned long long)pushes);
      if (got && (op & 1)) {
        CHECK(rep.sig == sig, "report sig");
        CHECK(rep.cycle >= 1 && rep.cycle <= window / 2, "report cycle %zu outside 1..%zu", rep.cycle,
              window / 2);
        CHECK(rep.count >= threshold, "report count %zu < threshold %zu", rep.count, threshold);
        CHECK(rep.cycle == want.cycle && rep.count == want.count,
              "report (cycle %zu, count %zu), reference (%zu, %zu)", rep.cycle, rep.count,
              want.cycle, want.count);
        {
          uint64_t last[VL_LOOP_MAX_WINDOW / 2];
          size_t k, nl = vl_loop_last(d, rep.cycle, last);
          CHECK(nl == rep.cycle, "loop_last(%zu) = %zu", rep.cycle, nl);
          for (k = 0; k < nl; k++)
            CHECK(last[k] == hist[nh - rep.cycle + k], "loop_last[%zu] differs", k);
          CHECK(last[nl - 1] == sig, "loop_last does not end with the pushed sig");
        }
      }
    } else if (op < 210) {
      vl_loop_reset(d);
      nh = 0;
      pushes = 0;
      CHECK(vl_loop_pushed(d) == 0, "reset left pushes");
    } else {
      uint64_t *last = malloc((window + 2) * sizeof *last);
      size_t cyc = rd_u8(r) % (window + 2), k, nl, held = nh < window ? nh : window;
      CHECK(last != NULL, "oom");
      nl = vl_loop_last(d, cyc, last);
      CHECK(nl == ((cyc == 0 || cyc > held) ? 0 : cyc), "loop_last(%zu) = %zu, holds %zu", cyc, nl,
            held);
      for (k = 0; k < nl; k++) CHECK(last[k] == hist[nh - cyc + k], "loop_last[%zu] differs", k);
      free(last);
    }
  }
  free(hist);
  vl_loop_free(d);
  vl_loop_free(NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  rd r;
  if (size < 1) return 0;
  r.p = data + 1;
  r.n = size - 1;
  if (data[0] & 1) run_loop(&r);
  else run_writer(&r);
  return 0;
}
