/*
 * json_repair.c: the JSON repair state machine, the strict validator and value
 * extraction (design note and contracts in json_repair.h).
 *
 * Discipline that makes streaming exact: a step looks ahead first and writes
 * second. When the bytes it needs are not there yet (and the input has not ended)
 * it returns R_MORE having changed nothing, and runs again from the same position
 * once more input arrives.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_repair.h"

#include <simde/x86/sse2.h>

#include "vl_bits.h"

/* Frame states: st[0] is the top level, st[1..depth] the open frames. */
enum {
  S_TS0 = 1, /* before the value: whitespace, fences, comments */
  S_TS1,     /* prose: looking for the first { or [ */
  S_TFB,     /* no { or [ anywhere: the value is the scalar at cand */
  S_TDONE,   /* after the value: whitespace, or + of a concatenation */
  S_TEND,    /* ignoring the rest */
  S_AV, S_AA,              /* array: expecting a value / after a value */
  S_OK, S_OC, S_OV, S_OA,  /* object: key / colon / value / after a value */
  S_CV, S_CA               /* call: argument / after it */
};
enum { K_OBJ, K_ARR, K_CALL, K_TOP };
enum { T_NONE, T_STR, T_USTR, T_UKEY, T_LCOM, T_BCOM };
enum { Q_DQ = 1, Q_SQ, Q_BT, Q_TD, Q_TS };
/* step results; errors are the negative VL_* codes */
enum { R_GO = 0, R_MORE, R_STOP, R_DONE, R_NONE };

struct vl_jr {
  vl_jr_opts o;
  int extract;
  int lane;       /* keep mode, no ensure_ascii: the fast lane may run */
  size_t fl_fail; /* absolute offset + 1 where the fast lane last made no progress */
  const unsigned char *in; /* available input: in[0..n), in[0] at offset base */
  size_t n, pos, base;
  int eof;
  unsigned char *ibuf; /* stream copy of the input */
  size_t icap;
  char *out;
  size_t olen, ocap;
  char *pend; /* whitespace and at most one comma waiting for the next token */
  size_t plen, pcap, pcomma;
  int has_comma, pclose, concat;
  char *sp; /* trailing spaces of an unquoted string */
  size_t splen, spcap;
  unsigned char *st;
  size_t depth, scap, nopen[3];
  int tok, q, lead_ok, has_cand;
  size_t cand; /* absolute */
  size_t total, vstart;
  int status, nomem, done, reason;
  size_t errpos;
};

enum { WHY_NONE, WHY_DEPTH, WHY_INPUT, WHY_NOVALUE };

#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

/* Byte classes. */
enum { C_WS = 1, C_DIG = 2, C_WSTART = 4, C_WORD = 8, C_NUMCONT = 16, C_UKEYEND = 32, C_HEX = 64, C_ALNUM = 128 };
static unsigned char cls[256];
#define VWS(s, e) while ((s) < (e) && (cls[*(s)] & C_WS)) (s)++

/* string bytes that need a look: 1 always, 2 in '...', 4 in `...`; 8: see init_tables */
static unsigned char sspec[256];
static int tables_ready;

static void init_vtab(void);

static void init_tables(void)
{
  int c;
  const char *p;
  if (tables_ready) return;
  for (c = 0; c < 256; c++) {
    unsigned char k = 0;
    int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    int dig = c >= '0' && c <= '9';
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') k |= C_WS | C_UKEYEND;
    if (dig) k |= C_DIG | C_WORD | C_HEX | C_ALNUM;
    if (alpha) k |= C_WSTART | C_WORD | C_NUMCONT | C_ALNUM;
    if (c == '_' || c == '$') k |= C_WSTART | C_WORD | C_NUMCONT;
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) k |= C_HEX;
    cls[c] = k;
    sspec[c] = (unsigned char)((c < 0x20 || c >= 0x80 || c == '"' || c == '\\') ? 1 : 0);
  }
  for (p = ".:-+"; *p; p++) cls[(unsigned char)*p] |= C_NUMCONT;
  for (p = ":,{}[]\"'"; *p; p++) cls[(unsigned char)*p] |= C_UKEYEND;
  sspec['\''] = 2;
  sspec['`'] = 4;
  for (c = 0x21; c < 0x7f; c++) /* 8: a byte of an unquoted key the machine copies as it is */
    if (!(cls[c] & C_UKEYEND) && c != '\\') sspec[c] |= 8;
  init_vtab();
  tables_ready = 1;
}

/* ---------------------------------------------------------------- buffers */

static void bput(vl_jr *p, char **b, size_t *len, size_t *cap, const void *s, size_t k)
{
  if (p->nomem) return;
  if (k > *cap - *len) {
    size_t nc = *cap ? *cap : 256;
    char *nb;
    while (nc - *len < k) {
      if (nc > ((size_t)-1) / 2) {
        p->nomem = 1;
        return;
      }
      nc *= 2;
    }
    nb = (char *)realloc(*b, nc);
    if (!nb) {
      p->nomem = 1;
      return;
    }
    *b = nb;
    *cap = nc;
  }
  memcpy(*b + *len, s, k);
  *len += k;
}

/* Append k bytes: the common case (room, a short token) without a call. */
static inline void put(vl_jr *p, char **b, size_t *len, size_t *cap, const void *s, size_t k)
{
  if (k <= *cap - *len) {
    char *d = *b + *len;
    const char *q = (const char *)s;
    if (k > 16) {
      memcpy(d, q, k);
    } else if (k >= 8) { /* two 8-byte moves that may overlap: no loop, no call */
      uint64_t x, y;
      memcpy(&x, q, 8);
      memcpy(&y, q + k - 8, 8);
      memcpy(d, &x, 8);
      memcpy(d + k - 8, &y, 8);
    } else if (k >= 4) {
      uint32_t x, y;
      memcpy(&x, q, 4);
      memcpy(&y, q + k - 4, 4);
      memcpy(d, &x, 4);
      memcpy(d + k - 4, &y, 4);
    } else {
      size_t i;
      for (i = 0; i < k; i++) d[i] = q[i];
    }
    *len += k;
  } else {
    bput(p, b, len, cap, s, k);
  }
}

#define OUT(p, s, k) put((p), &(p)->out, &(p)->olen, &(p)->ocap, (s), (k))
#define PEND(p, s, k) put((p), &(p)->pend, &(p)->plen, &(p)->pcap, (s), (k))

HOT void out1(vl_jr *p, char c)
{
  if (p->olen < p->ocap) p->out[p->olen++] = c;
  else OUT(p, &c, 1);
}

/* Pending text: the closing quote of the last string (dropped if "+" continues
 * it), then whitespace and maybe one comma. Real tokens are written after it,
 * inserted text (a missing comma, colon, null or closer) before the whitespace. */
HOT void flush(vl_jr *p)
{
  if (p->pclose) out1(p, '"');
  p->pclose = 0;
  if (p->plen) OUT(p, p->pend, p->plen);
  p->plen = 0;
  p->has_comma = 0;
}

HOT void emit(vl_jr *p, const char *s, size_t k)
{
  flush(p);
  OUT(p, s, k);
}

HOT void insert(vl_jr *p, const char *s, size_t k)
{
  if (p->pclose) out1(p, '"');
  p->pclose = 0;
  OUT(p, s, k);
}

static void drop_comma(vl_jr *p)
{
  if (!p->has_comma) return;
  memmove(p->pend + p->pcomma, p->pend + p->pcomma + 1, p->plen - p->pcomma - 1);
  p->plen--;
  p->has_comma = 0;
}

static int fail(vl_jr *p, int code, int why, size_t at)
{
  p->status = code;
  p->reason = why;
  p->errpos = p->base + at;
  return code;
}

/* ----------------------------------------------------------------- frames */

HOT int kind_of(int s)
{
  if (s == S_AV || s == S_AA) return K_ARR;
  if (s >= S_OK && s <= S_OA) return K_OBJ;
  if (s == S_CV || s == S_CA) return K_CALL;
  return K_TOP;
}

#define TOP(p) ((p)->st[(p)->depth])

HOT void value_done(vl_jr *p)
{
  unsigned char *s = &TOP(p);
  switch (*s) {
  case S_AV: *s = S_AA; break;
  case S_OV: *s = S_OA; break;
  case S_CV: *s = S_CA; break;
  case S_OK: *s = S_OC; break;
  case S_TS0: case S_TS1: case S_TFB: *s = S_TDONE; break;
  default: break; /* already after a value (a concatenated string) */
  }
}

static int push(vl_jr *p, int state, int kind, size_t at)
{
  if (p->depth >= p->o.max_depth) return fail(p, VL_ELIMIT, WHY_DEPTH, at);
  if (p->depth + 1 >= p->scap) {
    size_t nc = p->scap * 2;
    unsigned char *ns = (unsigned char *)realloc(p->st, nc);
    if (!ns) return fail(p, VL_ENOMEM, WHY_NONE, at);
    p->st = ns;
    p->scap = nc;
  }
  p->st[++p->depth] = (unsigned char)state;
  p->nopen[kind]++;
  return R_GO;
}

static void pop(vl_jr *p)
{
  p->nopen[kind_of(TOP(p))]--;
  p->depth--;
  value_done(p);
}

/* Close the top frame, completing a member without value; `real`: the closer is
 * in the input (written after the pending whitespace). */
static void close_frame(vl_jr *p, int real)
{
  int s = TOP(p), k = kind_of(s);
  drop_comma(p);
  if (s == S_OC) insert(p, ":null", 5);
  else if (s == S_OV || s == S_CV) insert(p, "null", 4);
  if (k != K_CALL) {
    const char *c = k == K_OBJ ? "}" : "]";
    if (real) emit(p, c, 1);
    else insert(p, c, 1);
  }
  pop(p);
}

/* A closer of kind k at pos: closes up to its frame, or is dropped. */
static int closer(vl_jr *p, int k)
{
  if (p->nopen[k]) {
    while (kind_of(TOP(p)) != k) close_frame(p, 0);
    close_frame(p, 1);
  }
  p->pos++;
  return R_GO;
}

HOT int keep_ws(const vl_jr *p)
{
  int s = TOP(p);
  if (p->o.compact || p->concat) return 0;
  if (s == S_TS0) return p->lead_ok;
  if (s == S_TDONE) return 1;
  return kind_of(s) != K_TOP && p->depth > 0;
}

/* ------------------------------------------------------------------ bytes */

enum { MB_NONE, MB_SPACE, MB_BOM, MB_QD, MB_QS, MB_MORE };

/* Special spaces, BOM and typographic quotes at pos (*len bytes). */
static int mb_at(const vl_jr *p, size_t *len)
{
  const unsigned char *s = p->in + p->pos;
  size_t a = p->n - p->pos;
  unsigned c0 = s[0], c1, c2;
  if (c0 == 0xC2) {
    if (a < 2) return p->eof ? MB_NONE : MB_MORE;
    *len = 2;
    return s[1] == 0xA0 ? MB_SPACE : MB_NONE;
  }
  if (c0 != 0xE2 && c0 != 0xE3 && c0 != 0xEF) return MB_NONE;
  if (a < 2) return p->eof ? MB_NONE : MB_MORE;
  c1 = s[1];
  if ((c0 == 0xE2 && c1 != 0x80 && c1 != 0x81) || (c0 == 0xE3 && c1 != 0x80) || (c0 == 0xEF && c1 != 0xBB))
    return MB_NONE;
  if (a < 3) return p->eof ? MB_NONE : MB_MORE;
  c2 = s[2];
  *len = 3;
  if (c0 == 0xE2 && c1 == 0x80) {
    if (c2 <= 0x8A || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF) return MB_SPACE;
    if (c2 == 0x9C || c2 == 0x9D) return MB_QD;
    if (c2 == 0x98 || c2 == 0x99) return MB_QS;
    return MB_NONE;
  }
  if (c0 == 0xE2) return c2 == 0x9F ? MB_SPACE : MB_NONE;
  if (c0 == 0xE3) return c2 == 0x80 ? MB_SPACE : MB_NONE;
  return c2 == 0xBF ? MB_BOM : MB_NONE;
}

/* A UTF-8 sequence at s (a bytes there): its length with *cp, 0 when invalid (one
 * byte), -1 when cut short and more input may come. */
static int utf8_seq(const unsigned char *s, size_t a, int eof, unsigned *cp)
{
  unsigned c = s[0], lo = 0x80, hi = 0xBF, v;
  size_t need, k;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    v = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;
    else if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    v = c & 0x07;
    if (c == 0xF0) lo = 0x90;
    else if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (k = 1; k <= need; k++) {
    unsigned b;
    if (k >= a) return eof ? 0 : -1;
    b = s[k];
    if (b < lo || b > hi) return 0;
    lo = 0x80;
    hi = 0xBF;
    v = (v << 6) | (b & 0x3F);
  }
  *cp = v;
  return (int)need + 1;
}

static const char HEXD[] = "0123456789abcdef";

static void out_u(vl_jr *p, unsigned v)
{
  char b[6] = {'\\', 'u', HEXD[(v >> 12) & 15], HEXD[(v >> 8) & 15], HEXD[(v >> 4) & 15], HEXD[v & 15]};
  OUT(p, b, 6);
}

static void out_ctrl(vl_jr *p, unsigned c)
{
  switch (c) {
  case '\b': OUT(p, "\\b", 2); break;
  case '\t': OUT(p, "\\t", 2); break;
  case '\n': OUT(p, "\\n", 2); break;
  case '\f': OUT(p, "\\f", 2); break;
  case '\r': OUT(p, "\\r", 2); break;
  default: out_u(p, c);
  }
}

/* Non-ASCII content at s[i]: returns the next i, or (size_t)-1 for R_MORE. */
static size_t out_utf8(vl_jr *p, size_t i)
{
  unsigned cp = 0;
  int r = utf8_seq(p->in + i, p->n - i, p->eof, &cp);
  if (r < 0) return (size_t)-1;
  if (r == 0) {
    if (p->o.ensure_ascii) OUT(p, "\\ufffd", 6);
    else OUT(p, "\xEF\xBF\xBD", 3);
    return i + 1;
  }
  if (!p->o.ensure_ascii) {
    OUT(p, p->in + i, (size_t)r);
  } else if (cp >= 0x10000) {
    cp -= 0x10000;
    out_u(p, 0xD800 + (cp >> 10));
    out_u(p, 0xDC00 + (cp & 0x3FF));
  } else {
    out_u(p, cp);
  }
  return i + (size_t)r;
}

/* One byte of unquoted-string or unquoted-key content at i (quoted as needed). */
static size_t out_content(vl_jr *p, size_t i)
{
  unsigned c = p->in[i];
  if (c >= 0x80) return out_utf8(p, i);
  if (c == '"') OUT(p, "\\\"", 2);
  else if (c == '\\') OUT(p, "\\\\", 2);
  else if (c < 0x20) out_ctrl(p, c);
  else out1(p, (char)c);
  return i + 1;
}

/* ----------------------------------------------------------------- tokens */

static void string_closed(vl_jr *p, size_t next)
{
  p->pos = next;
  p->tok = T_NONE;
  p->pclose = 1;
  value_done(p);
}

static int hexval(unsigned c)
{
  if (c <= '9') return (int)c - '0';
  return (int)(c | 0x20) - 'a' + 10;
}

/* 4 hex digits at s[i..i+4): value, -1 when not hex, -2 when cut short. */
static long hex4(const vl_jr *p, size_t i)
{
  long v = 0;
  size_t k;
  for (k = 0; k < 4; k++) {
    if (i + k >= p->n) return -2;
    if (!(cls[p->in[i + k]] & C_HEX)) return -1;
    v = v * 16 + hexval(p->in[i + k]);
  }
  return v;
}

/* A backslash at i inside a string: the next i, or (size_t)-1 for R_MORE. */
static size_t escape(vl_jr *p, size_t i)
{
  const unsigned char *s = p->in;
  unsigned d;
  long v, w;
  if (i + 1 >= p->n) return p->eof ? p->n : (size_t)-1;
  d = s[i + 1];
  switch (d) {
  case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
    OUT(p, s + i, 2);
    return i + 2;
  case '\'': case '`':
    out1(p, (char)d);
    return i + 2;
  case 'u':
    v = hex4(p, i + 2);
    if (v == -2) return p->eof ? p->n : (size_t)-1; /* a cut escape is dropped */
    if (v < 0) break;
    if (v >= 0xD800 && v <= 0xDBFF) {
      int paired = 0;
      if (i + 6 >= p->n) {
        if (!p->eof) return (size_t)-1;
      } else if (s[i + 6] == '\\') {
        if (i + 7 >= p->n) {
          if (!p->eof) return (size_t)-1;
        } else if (s[i + 7] == 'u') {
          w = hex4(p, i + 8);
          if (w == -2 && !p->eof) return (size_t)-1;
          paired = w >= 0xDC00 && w <= 0xDFFF;
        }
      }
      if (paired) {
        OUT(p, s + i, 12);
        return i + 12;
      }
      OUT(p, "\\ufffd", 6);
      return i + 6;
    }
    if (v >= 0xDC00 && v <= 0xDFFF) OUT(p, "\\ufffd", 6);
    else OUT(p, s + i, 6);
    return i + 6;
  default:
    break;
  }
  OUT(p, "\\\\", 2); /* not an escape: a literal backslash */
  return i + 1;
}


/* The first j >= i with sspec[s[j]] & mask (a byte a string body must look at), or n:
 * 16 bytes at a time while they are plain ('"', '\\', a control byte, a byte >= 0x80
 * (signed < 0x20), and the quote of mask's kind are not). */
HOT size_t str_plain_end(const unsigned char *s, size_t i, size_t n, unsigned mask)
{
  const simde__m128i dq = simde_mm_set1_epi8('"'), bs = simde_mm_set1_epi8('\\'), lo = simde_mm_set1_epi8(0x20);
  const simde__m128i sq = simde_mm_set1_epi8((char)(mask & 2u ? '\'' : '"'));
  const simde__m128i bt = simde_mm_set1_epi8((char)(mask & 4u ? '`' : '"'));
  while (i + 16 <= n) {
    simde__m128i v = simde_mm_loadu_si128((const simde__m128i *)(const void *)(s + i));
    unsigned m = (unsigned)simde_mm_movemask_epi8(simde_mm_or_si128(
        simde_mm_or_si128(simde_mm_or_si128(simde_mm_cmpeq_epi8(v, dq), simde_mm_cmpeq_epi8(v, bs)),
                          simde_mm_cmplt_epi8(v, lo)),
        simde_mm_or_si128(simde_mm_cmpeq_epi8(v, sq), simde_mm_cmpeq_epi8(v, bt))));
    if (m) return i + (size_t)vl_ctz32(m);
    i += 16;
  }
  while (i < n && !(sspec[s[i]] & mask)) i++;
  return i;
}

static int step_str(vl_jr *p)
{
  const unsigned char *s = p->in;
  size_t i = p->pos, n = p->n, j;
  int q = p->q;
  unsigned mask = 1u | (q == Q_SQ ? 2u : 0u) | (q == Q_BT ? 4u : 0u);
  for (;;) {
    unsigned c;
    j = i;
    j = str_plain_end(s, i, n, mask);
    if (j > i) OUT(p, s + i, j - i);
    i = j;
    if (i >= n) break;
    c = s[i];
    if (c == '"') {
      if (q == Q_DQ) {
        string_closed(p, i + 1);
        return R_GO;
      }
      OUT(p, "\\\"", 2);
      i++;
    } else if (c == '\'' || c == '`') { /* the closer of its kind (mask) */
      if (c == '\'') {
        if (i + 1 >= n && !p->eof) break;
        if (i + 1 < n && (cls[s[i + 1]] & C_ALNUM)) { /* apostrophe */
          out1(p, '\'');
          i++;
          continue;
        }
      }
      string_closed(p, i + 1);
      return R_GO;
    } else if (c == '\\') {
      j = escape(p, i);
      if (j == (size_t)-1) break;
      i = j;
    } else if (c < 0x20) {
      out_ctrl(p, c);
      i++;
    } else {
      if (c == 0xE2 && (q == Q_TD || q == Q_TS)) {
        if (i + 2 >= n) {
          if (!p->eof) break;
        } else if (s[i + 1] == 0x80) {
          unsigned c2 = s[i + 2];
          if (q == Q_TD && (c2 == 0x9C || c2 == 0x9D)) {
            string_closed(p, i + 3);
            return R_GO;
          }
          if (q == Q_TS && (c2 == 0x98 || c2 == 0x99)) {
            if (i + 3 >= n && !p->eof) break;
            if (!(i + 3 < n && (cls[s[i + 3]] & C_ALNUM))) {
              string_closed(p, i + 3);
              return R_GO;
            }
          }
        }
      }
      j = out_utf8(p, i);
      if (j == (size_t)-1) break;
      i = j;
    }
  }
  p->pos = i;
  return i >= n ? R_GO : R_MORE;
}

static void ustr_end(vl_jr *p, size_t at)
{
  out1(p, '"');
  if (p->splen && keep_ws(p)) PEND(p, p->sp, p->splen);
  p->splen = 0;
  p->tok = T_NONE;
  p->pos = at;
  value_done(p);
}

static void sp_flush(vl_jr *p)
{
  size_t k;
  for (k = 0; k < p->splen; k++) {
    if (p->sp[k] == '\t') OUT(p, "\\t", 2);
    else out1(p, ' ');
  }
  p->splen = 0;
}

static int step_ustr(vl_jr *p)
{
  const unsigned char *s = p->in;
  size_t i = p->pos, n = p->n, j;
  while (i < n) {
    unsigned c = s[i];
    if (c == ' ' || c == '\t') {
      bput(p, &p->sp, &p->splen, &p->spcap, s + i, 1);
      i++;
      continue;
    }
    if (c == ',' || c == '}' || c == ']' || c == ')' || c == '\n' || c == '\r') {
      ustr_end(p, i);
      return R_GO;
    }
    if (c == '"') {
      if (i + 1 >= n && !p->eof) break;
      if (i + 1 >= n || (s[i + 1] && strchr(",}]):\n\r", s[i + 1]))) {
        sp_flush(p);
        ustr_end(p, i + 1);
        return R_GO;
      }
    }
    if (p->splen) sp_flush(p);
    j = out_content(p, i);
    if (j == (size_t)-1) break;
    i = j;
  }
  p->pos = i;
  return i >= n ? R_GO : R_MORE;
}

static int step_ukey(vl_jr *p)
{
  size_t i = p->pos, j;
  while (i < p->n) {
    if (cls[p->in[i]] & C_UKEYEND) {
      out1(p, '"');
      p->tok = T_NONE;
      p->pos = i;
      value_done(p);
      return R_GO;
    }
    j = out_content(p, i);
    if (j == (size_t)-1) {
      p->pos = i;
      return R_MORE;
    }
    i = j;
  }
  p->pos = i;
  return R_GO;
}

static int step_comment(vl_jr *p)
{
  const unsigned char *s = p->in;
  size_t i = p->pos, n = p->n;
  if (p->tok == T_LCOM) {
    const unsigned char *e = (const unsigned char *)memchr(s + i, '\n', n - i);
    if (e) p->tok = T_NONE;
    p->pos = e ? (size_t)(e - s) : n;
    return R_GO;
  }
  for (;;) {
    const unsigned char *e = (const unsigned char *)memchr(s + i, '*', n - i);
    if (!e) {
      p->pos = n;
      return R_GO;
    }
    i = (size_t)(e - s);
    if (i + 1 >= n) {
      p->pos = p->eof ? n : i;
      return p->eof ? R_GO : R_MORE;
    }
    if (s[i + 1] == '/') {
      p->pos = i + 2;
      p->tok = T_NONE;
      return R_GO;
    }
    i++;
  }
}

/* ------------------------------------------------------------------ values */

enum { V_MORE = -1, V_JUNK, V_OBJ, V_ARR, V_STR, V_NUM, V_SWORD, V_WORD, V_USTR,
       V_COMMA, V_COLON, V_EQ, V_CLOBJ, V_CLARR, V_CLCALL };

/* Classify the token at pos (whitespace and comments are handled before). */
static signed char vtab[256]; /* the class of a byte that alone decides it; -1: look further */
static unsigned char qtab[256];

static void init_vtab(void)
{
  int c;
  for (c = 0; c < 256; c++) {
    vtab[c] = (signed char)(c < 0x20 ? V_JUNK : (cls[c] & C_DIG) ? V_NUM : (cls[c] & C_WSTART) ? V_WORD : V_USTR);
    if (c >= 0x80) vtab[c] = -1;
  }
  vtab['{'] = V_OBJ;
  vtab['['] = V_ARR;
  vtab['}'] = V_CLOBJ;
  vtab[']'] = V_CLARR;
  vtab[')'] = V_CLCALL;
  vtab[','] = V_COMMA;
  vtab[':'] = V_COLON;
  vtab['='] = V_EQ;
  vtab[';'] = vtab['('] = V_JUNK;
  vtab['-'] = vtab['+'] = vtab['.'] = -1;
  vtab['"'] = vtab['\''] = vtab['`'] = V_STR;
  qtab['"'] = Q_DQ;
  qtab['\''] = Q_SQ;
  qtab['`'] = Q_BT;
}

HOT int classify(const vl_jr *p, int *q, size_t *qlen)
{
  const unsigned char *s = p->in;
  size_t i = p->pos;
  unsigned c = s[i];
  int mb, k = vtab[c];
  *qlen = 1;
  if (k >= 0) {
    *q = qtab[c];
    return k;
  }
  switch (c) {
  case '{': return V_OBJ;
  case '[': return V_ARR;
  case '}': return V_CLOBJ;
  case ']': return V_CLARR;
  case ')': return V_CLCALL;
  case ',': return V_COMMA;
  case ':': return V_COLON;
  case '=': return V_EQ;
  case '"': *q = Q_DQ; return V_STR;
  case '\'': *q = Q_SQ; return V_STR;
  case '`': *q = Q_BT; return V_STR;
  case ';': case '(': return V_JUNK;
  case '-': case '+': case '.': {
    unsigned a, b;
    if (i + 1 >= p->n) return p->eof ? V_JUNK : V_MORE;
    a = s[i + 1];
    if (cls[a] & C_DIG) return V_NUM;
    if (c != '.' && a == '.') {
      if (i + 2 >= p->n) return p->eof ? V_JUNK : V_MORE;
      b = s[i + 2];
      return (cls[b] & C_DIG) ? V_NUM : V_JUNK;
    }
    if (c != '.' && (cls[a] & C_WSTART) && a != '_' && a != '$') return V_SWORD;
    return V_JUNK;
  }
  default: break;
  }
  if (cls[c] & C_DIG) return V_NUM;
  if (cls[c] & C_WSTART) return V_WORD;
  if (c < 0x20) return V_JUNK;
  if (c >= 0x80) {
    mb = mb_at(p, qlen);
    if (mb == MB_MORE) return V_MORE;
    if (mb == MB_QD) {
      *q = Q_TD;
      return V_STR;
    }
    if (mb == MB_QS) {
      *q = Q_TS;
      return V_STR;
    }
  }
  return V_USTR;
}

static int start_ustr(vl_jr *p)
{
  emit(p, "\"", 1);
  p->tok = T_USTR;
  p->splen = 0;
  return R_GO;
}

static int number(vl_jr *p)
{
  const unsigned char *s = p->in;
  size_t n = p->n, i = p->pos, i0, i1, f0 = 0, f1 = 0, x0 = 0, x1 = 0, z;
  int neg = 0, frac = 0;
  unsigned ech = 0, esign = 0;
  if (s[i] == '-' || s[i] == '+') neg = s[i++] == '-';
  i0 = i;
  while (i < n && (cls[s[i]] & C_DIG)) i++;
  i1 = i;
  if (i < n && s[i] == '.') {
    frac = 1;
    f0 = ++i;
    while (i < n && (cls[s[i]] & C_DIG)) i++;
    f1 = i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ech = s[i++];
    if (i < n && (s[i] == '+' || s[i] == '-')) esign = s[i++];
    x0 = i;
    while (i < n && (cls[s[i]] & C_DIG)) i++;
    x1 = i;
  }
  if (i >= n && !p->eof) return R_MORE;
  if (i < n && (cls[s[i]] & C_NUMCONT)) { /* 1st, 2024-01-01, 1.2.3: a word */
    if (TOP(p) == S_TFB) return fail(p, VL_EPARSE, WHY_NOVALUE, p->pos);
    return start_ustr(p);
  }
  flush(p);
  if (neg) out1(p, '-');
  z = i0;
  while (z + 1 < i1 && s[z] == '0') z++;
  if (i1 == i0) out1(p, '0');
  else OUT(p, s + z, i1 - z);
  if (frac) {
    out1(p, '.');
    if (f1 == f0) out1(p, '0');
    else OUT(p, s + f0, f1 - f0);
  }
  if (ech) {
    out1(p, (char)ech);
    if (esign) out1(p, (char)esign);
    if (x1 == x0) out1(p, '0');
    else OUT(p, s + x0, x1 - x0);
  }
  p->pos = i;
  value_done(p);
  return R_GO;
}

HOT uint32_t load4(const void *s)
{
  uint32_t x;
  memcpy(&x, s, 4);
  return x;
}

/* The JSON literal a word stands for (NULL: none); *len: its length. */
static const char *literal(const unsigned char *w, size_t k, size_t *len)
{
  uint32_t x;
  *len = 4;
  switch (k) {
  case 3: return !memcmp(w, "NaN", 3) ? "null" : NULL;
  case 4:
    x = load4(w);
    if (x == load4("true") || x == load4("True") || x == load4("TRUE")) return "true";
    if (x == load4("null") || x == load4("None") || x == load4("NULL")) return "null";
    return NULL;
  case 5:
    x = load4(w);
    *len = 5;
    if (((x == load4("fals") || x == load4("Fals")) && w[4] == 'e') || (x == load4("FALS") && w[4] == 'E'))
      return "false";
    return NULL;
  case 8: return !memcmp(w, "Infinity", 8) ? "null" : NULL;
  case 9: return !memcmp(w, "undefined", 9) ? "null" : NULL;
  default: return NULL;
  }
}

/* The end of the word at i, or (size_t)-1 for R_MORE; *next: the byte after it or -1. */
static size_t word_end(const vl_jr *p, size_t i, int *next)
{
  while (i < p->n && (cls[p->in[i]] & C_WORD)) i++;
  if (i >= p->n && !p->eof) return (size_t)-1;
  *next = i < p->n ? p->in[i] : -1;
  return i;
}

static int word(vl_jr *p)
{
  int next;
  size_t e = word_end(p, p->pos, &next), litlen;
  const char *lit;
  if (e == (size_t)-1) return R_MORE;
  if (next == '(') {
    /* a call always yields one value: what is pending (a comma) is final */
    int r = push(p, S_CV, K_CALL, p->pos);
    if (r < 0) return r;
    flush(p);
    p->pos = e + 1;
    return R_GO;
  }
  lit = literal(p->in + p->pos, e - p->pos, &litlen);
  if (lit && next != '.' && next != '-') {
    emit(p, lit, litlen);
    p->pos = e;
    value_done(p);
    return R_GO;
  }
  if (TOP(p) == S_TFB) return fail(p, VL_EPARSE, WHY_NOVALUE, p->pos);
  return start_ustr(p);
}

/* - or + then a letter: -Infinity and -NaN are null, otherwise the sign is junk. */
static int sign_word(vl_jr *p)
{
  int next;
  size_t e = word_end(p, p->pos + 1, &next), k;
  if (e == (size_t)-1) return R_MORE;
  k = e - p->pos - 1;
  if (next != '.' && next != '-' && next != '(' &&
      ((k == 8 && !memcmp(p->in + p->pos + 1, "Infinity", 8)) || (k == 3 && !memcmp(p->in + p->pos + 1, "NaN", 3)))) {
    emit(p, "null", 4);
    p->pos = e;
    value_done(p);
    return R_GO;
  }
  if (TOP(p) == S_TFB) return fail(p, VL_EPARSE, WHY_NOVALUE, p->pos);
  p->pos++;
  return R_GO;
}

static int open_string(vl_jr *p, int q, size_t qlen)
{
  emit(p, "\"", 1);
  p->tok = T_STR;
  p->q = q;
  p->pos += qlen;
  return p->pos < p->n ? step_str(p) : R_GO;
}

static int start_value(vl_jr *p, int k, int q, size_t qlen)
{
  int r;
  switch (k) {
  case V_OBJ: case V_ARR:
    if (p->extract && p->depth == 0) p->vstart = p->base + p->pos;
    r = push(p, k == V_OBJ ? S_OK : S_AV, k == V_OBJ ? K_OBJ : K_ARR, p->pos);
    if (r < 0) return r;
    emit(p, k == V_OBJ ? "{" : "[", 1);
    p->pos++;
    return R_GO;
  case V_STR: return open_string(p, q, qlen);
  case V_NUM: return number(p);
  case V_SWORD: return sign_word(p);
  case V_WORD: return word(p);
  default: return start_ustr(p);
  }
}

/* --------------------------------------------------------------- the frame */

static int missing_sep(vl_jr *p, int st);
static const unsigned char *vstring_rest(const unsigned char *s, const unsigned char *e, int *hi);

/* The strict string at s (a '"'): the byte after its closing quote, or NULL. Inline for
 * the common case, a body of plain bytes. */
HOT const unsigned char *vstring(const unsigned char *s, const unsigned char *e, int *hi)
{
  s++;
  s += str_plain_end(s, 0, (size_t)(e - s), 1u);
  if (s < e && *s == '"') return s + 1;
  return vstring_rest(s, e, hi);
}
static const unsigned char *vnumber(const unsigned char *s, const unsigned char *e);

/* The fast lane (keep mode, no ensure_ascii, nothing pending, inside an object or array):
 * strict JSON from pos is what the machine would copy byte for byte, so scan it as
 * the validator does, keeping p->st as the machine would, up to the last value or
 * opening bracket before the first byte it cannot take (or until the frame it started
 * in is left for a call or the top level), and hand the rest back to the machine in
 * the state it would have reached. The commonest damage is taken in the lane too, as
 * the machine repairs it, each a local edit of the copy: plain single-quoted strings
 * (printable ASCII, apostrophes before a letter or digit; the quotes become "),
 * unquoted keys (a word then ':'), literals other than true/false/null (True, None,
 * NaN, ...), comments (#, //, slash-star; removed, the whitespace around them kept), and
 * a trailing comma before the closer of its frame (removed). Anything else in them
 * (an escape, a " or a control or non-ASCII byte in a single-quoted string) ends the
 * lane there. Output is written as the scan goes: up to cp it is in p->out, cp..s is
 * the unedited input still to copy; at the end it is cut back to the resume point
 * (bout: the output length there). */
typedef struct lane_out {
  const unsigned char *cp; /* input copied up to here (edits written too) */
  const unsigned char *e;  /* the end of the input */
} lane_out;

/* Copy the input up to `at`, then write k bytes of r in place of the `skip` bytes at `at`. */
HOT void lane_edit(vl_jr *p, lane_out *w, const unsigned char *at, size_t skip, const char *r, size_t k)
{
  size_t n = (size_t)(at - w->cp);
  if (n <= 32 && w->e - w->cp >= 32 && p->ocap - p->olen >= 48) { /* two 16-byte moves, most of the time */
    char *d = p->out + p->olen;
    simde_mm_storeu_si128((simde__m128i *)(void *)d, simde_mm_loadu_si128((const simde__m128i *)(const void *)w->cp));
    simde_mm_storeu_si128((simde__m128i *)(void *)(d + 16),
                          simde_mm_loadu_si128((const simde__m128i *)(const void *)(w->cp + 16)));
    p->olen += n;
  } else if (n) {
    OUT(p, w->cp, n);
  }
  if (k == 1) out1(p, r[0]);
  else if (k) OUT(p, r, k);
  w->cp = at + skip;
}

/* Drop the comma at `at` (a trailing one), whose output offset is `o` if it was copied. */
static void lane_drop_comma(vl_jr *p, lane_out *w, const unsigned char *at, size_t o)
{
  if (at >= w->cp) {
    lane_edit(p, w, at, 1, "", 0);
  } else if (!p->nomem) { /* a comment after it was cut: it is in the output */
    memmove(p->out + o, p->out + o + 1, p->olen - o - 1);
    p->olen--;
  }
}

/* Past comments and whitespace from s (at a '/' or '#'), the comments
 * cut from the copy; NULL where the machine must decide (an unfinished comment, a
 * lone '/'). */
static const unsigned char *lane_ws(vl_jr *p, lane_out *w, const unsigned char *s, const unsigned char *e)
{
  for (;;) { /* s at a '/' or '#' */
    const unsigned char *t;
    if (*s == '#' || (e - s >= 2 && s[1] == '/')) {
      t = s + 1;
      for (;;) { /* comments are short: no call to memchr */
        unsigned m;
        if (e - t < 16) {
          while (t < e && *t != '\n') t++;
          break;
        }
        m = (unsigned)simde_mm_movemask_epi8(simde_mm_cmpeq_epi8(
            simde_mm_loadu_si128((const simde__m128i *)(const void *)t), simde_mm_set1_epi8('\n')));
        if (m) {
          t += vl_ctz32(m);
          break;
        }
        t += 16;
      }
      if (t >= e) return NULL; /* to the end of the input, or of this chunk: the machine's */
    } else if (e - s >= 2 && s[1] == '*') {
      const unsigned char *z = s + 2;
      for (;;) {
        z = (const unsigned char *)memchr(z, '*', (size_t)(e - z));
        if (!z || z + 1 >= e) return NULL;
        if (z[1] == '/') break;
        z++;
      }
      t = z + 2;
    } else {
      return NULL;
    }
    lane_edit(p, w, s, (size_t)(t - s), "", 0);
    s = t;
    VWS(s, e);
    if (s >= e || (*s != '/' && *s != '#')) return s;
  }
}

/* The first byte from t on that is not a word byte (C_WORD: a letter, digit, '_' or
 * '$'): 16 at a time (one branch, where a byte loop mispredicts its exit each word). */
HOT const unsigned char *word_bytes_end(const unsigned char *t, const unsigned char *e)
{
  while (e - t >= 16) {
    simde__m128i v = simde_mm_loadu_si128((const simde__m128i *)(const void *)t);
    simde__m128i lo = simde_mm_or_si128(v, simde_mm_set1_epi8(0x20));
    simde__m128i alpha = simde_mm_and_si128(simde_mm_cmpgt_epi8(lo, simde_mm_set1_epi8('a' - 1)),
                                            simde_mm_cmplt_epi8(lo, simde_mm_set1_epi8('z' + 1)));
    simde__m128i digit = simde_mm_and_si128(simde_mm_cmpgt_epi8(v, simde_mm_set1_epi8('0' - 1)),
                                            simde_mm_cmplt_epi8(v, simde_mm_set1_epi8('9' + 1)));
    simde__m128i other = simde_mm_or_si128(simde_mm_cmpeq_epi8(v, simde_mm_set1_epi8('_')),
                                           simde_mm_cmpeq_epi8(v, simde_mm_set1_epi8('$')));
    unsigned m = ~(unsigned)simde_mm_movemask_epi8(simde_mm_or_si128(simde_mm_or_si128(alpha, digit), other)) & 0xFFFFu;
    if (m) return t + vl_ctz32(m);
    t += 16;
  }
  while (t < e && (cls[*t] & C_WORD)) t++;
  return t;
}

/* A plain single-quoted string at q, its quotes made " in the copy: the byte after its
 * closing quote, or NULL (nothing edited). */
HOT const unsigned char *lane_sqstring(vl_jr *p, lane_out *w, const unsigned char *q, const unsigned char *e)
{
  const unsigned char *s = q + 1;
  for (;;) {
    s += str_plain_end(s, 0, (size_t)(e - s), 3u);
    if (s >= e || *s != '\'') return NULL;
    if (s + 1 >= e) {
      if (!p->eof) return NULL;
      break;
    }
    if (!(cls[s[1]] & C_ALNUM)) break;
    s += 2; /* an apostrophe, and the letter after it */
  }
  lane_edit(p, w, q, 1, "\"", 1);
  lane_edit(p, w, s, 1, "\"", 1);
  return s + 1;
}

#define LANE_WS(s)                                                       \
  do {                                                                   \
    VWS(s, e);                                                           \
    if (s < e && (*s == '/' || *s == '#') && !(s = lane_ws(p, &w, s, e))) \
      goto done;                                                         \
  } while (0)
#define LANE_MARK() (bpos = (size_t)(s - b), bout = p->olen + (size_t)(s - w.cp))

static void fast_lane(vl_jr *p)
{
  const unsigned char *b = p->in, *s = b + p->pos, *e = b + p->n, *t, *comma = NULL;
  size_t depth = p->depth, bpos = p->pos, start = p->pos, bout = p->olen, comma_out = 0;
  int st = TOP(p), bstr = 0, isstr = 0, hi = 0, obj = kind_of(st) == K_OBJ;
  unsigned char bstate = (unsigned char)st;
  unsigned c;
  lane_out w;
  w.cp = s;
  w.e = e;
  if (st == S_AV || st == S_OV) goto value;
  if (st == S_OK) goto key0;
  goto after0;
value:
  LANE_WS(s);
  if (s >= e) goto done;
  c = *s;
  if (c == '{' || c == '[') {
    if (depth >= p->o.max_depth || depth + 1 >= p->scap) goto done;
    p->st[depth] = (unsigned char)(obj ? S_OV : S_AV);
    obj = c == '{';
    bstate = (unsigned char)(obj ? S_OK : S_AV);
    p->st[++depth] = bstate;
    p->nopen[obj ? K_OBJ : K_ARR]++;
    s++;
    LANE_MARK();
    bstr = 0;
    comma = NULL;
    if (c == '{') goto key0;
    LANE_WS(s);
    if (s < e && *s == ']') goto close;
    goto value;
  }
  isstr = 0;
  if (c == '"') {
    if (!(t = vstring(s, e, &hi))) goto done;
    s = t;
    isstr = 1;
    goto after;
  }
  if (c == '\'') {
    if (!(t = lane_sqstring(p, &w, s, e))) goto done;
    s = t;
    isstr = 1;
    goto after;
  }
  if (c == '-' || (cls[c] & C_DIG)) {
    if (!(t = vnumber(s, e))) goto done;
    s = t;
  } else if (c == 't' && e - s >= 4 && !memcmp(s, "true", 4)) {
    s += 4;
  } else if (c == 'f' && e - s >= 5 && !memcmp(s, "false", 5)) {
    s += 5;
  } else if (c == 'n' && e - s >= 4 && !memcmp(s, "null", 4)) {
    s += 4;
  } else if (c == ']' && comma) { /* [1, 2,] */
    lane_drop_comma(p, &w, comma, comma_out);
    goto close;
  } else if (c == 'T' && e - s >= 4 && load4(s) == load4("True")) { /* Python's, the commonest */
    lane_edit(p, &w, s, 4, "true", 4);
    s += 4;
  } else if (c == 'N' && e - s >= 4 && load4(s) == load4("None")) {
    lane_edit(p, &w, s, 4, "null", 4);
    s += 4;
  } else if (c == 'F' && e - s >= 5 && load4(s) == load4("Fals") && s[4] == 'e') {
    lane_edit(p, &w, s, 5, "false", 5);
    s += 5;
  } else if (cls[c] & C_WSTART) { /* NaN, undefined, ...: the machine's word() */
    const char *lit;
    size_t litlen;
    t = s + 1;
    while (t < e && (cls[*t] & C_WORD)) t++;
    if (!(lit = literal(s, (size_t)(t - s), &litlen))) goto done;
    lane_edit(p, &w, s, (size_t)(t - s), lit, litlen);
    s = t;
  } else {
    goto done;
  }
  if (s >= e) { /* the token may go on in the next chunk */
    if (!p->eof) goto done;
  } else if (!(cls[*s] & C_WS) && *s != ',' && *s != ']' && *s != '}') {
    goto done; /* 007, truex: the machine's word or number goes on */
  }
  goto after;
key0: /* just after { (or at S_OK): a key or } */
  LANE_WS(s);
  if (s < e && *s == '}') goto close;
key:
  if (s >= e) goto done;
  c = *s;
  if (c == '"') {
    if (!(t = vstring(s, e, &hi))) goto done;
    s = t;
  } else if (c == '\'') {
    if (!(t = lane_sqstring(p, &w, s, e))) goto done;
    s = t;
  } else if (vtab[c] == V_WORD) { /* an unquoted key: up to whitespace or ':' */
    t = word_bytes_end(s + 1, e);
    while (t < e && (sspec[*t] & 8u)) t++;
    if (t >= e || (*t != ':' && !(cls[*t] & C_WS))) goto done;
    lane_edit(p, &w, s, 0, "\"", 1);
    lane_edit(p, &w, t, 0, "\"", 1);
    s = t;
  } else if (c == '}' && comma) { /* {"a": 1,} */
    lane_drop_comma(p, &w, comma, comma_out);
    goto close;
  } else {
    goto done;
  }
  LANE_WS(s);
  if (s >= e || *s != ':') goto done;
  s++;
  p->st[depth] = S_OV;
  comma = NULL;
  goto value;
close: /* s at the closer of the top frame */
  s++;
  p->nopen[obj ? K_OBJ : K_ARR]--;
  depth--;
  isstr = 2;
  comma = NULL;
  c = (unsigned)kind_of(p->st[depth]);
  obj = c == K_OBJ;
  if (depth == 0 || c == K_CALL) { /* leaving for the machine's own frames */
    p->depth = depth;
    value_done(p);
    LANE_MARK();
    bstate = p->st[depth];
    bstr = 0;
    goto done;
  }
after:
  bstate = (unsigned char)(obj ? S_OA : S_AA);
  p->st[depth] = bstate;
  LANE_MARK();
  bstr = isstr == 1;
after0:
  LANE_WS(s);
  if (s >= e) goto done;
  c = *s;
  if (c == ',') {
    comma_out = p->olen + (size_t)(s - w.cp);
    comma = s++;
    if (obj) {
      LANE_WS(s);
      goto key;
    }
    p->st[depth] = S_AV;
    goto value;
  }
  if (c == (obj ? '}' : ']')) goto close;
done:
  /* back to the resume point: depth is the one it was recorded at (every push and
   * pop records one) */
  p->st[depth] = bstate;
  p->depth = depth;
  if (b + bpos > w.cp) OUT(p, w.cp, (size_t)(b + bpos - w.cp));
  if (p->nomem) return;
  if (bpos == start) {
    p->olen = bout; /* edits past it undone */
    p->fl_fail = p->base + start + 1;
    return;
  }
  p->olen = bout - (size_t)bstr; /* edits past the resume point undone; a string's " pending */
  p->pclose = bstr;
  p->pos = bpos;
}

static int step_frame(vl_jr *p)
{
  const unsigned char *s = p->in;
  size_t i = p->pos, qlen = 1;
  unsigned c = s[i];
  int st = TOP(p), k, q = 0;

  if (p->lane && !p->plen && !p->pclose && !p->concat && p->depth && p->base + p->pos >= p->fl_fail &&
      (st == S_AV || st == S_AA || st == S_OK || st == S_OV || st == S_OA)) {
    fast_lane(p);
    if (p->pos >= p->n) return R_GO;
    i = p->pos;
    c = s[i];
    st = TOP(p);
  }
  if (st == S_TEND) {
    p->pos = p->n;
    return R_GO;
  }
  if (st == S_TS1) {
    size_t j = i;
    while (j < p->n && s[j] != '{' && s[j] != '[') j++;
    p->pos = j;
    if (j < p->n) {
      p->plen = 0;
      p->has_cand = 0;
      p->lead_ok = 0;
      TOP(p) = S_TS0;
    }
    return R_GO;
  }
  if (st == S_TFB) {
    k = classify(p, &q, &qlen);
    if (k == V_NUM) return number(p);
    if (k == V_WORD) return word(p);
    if (k == V_SWORD) return sign_word(p);
    return fail(p, VL_EPARSE, WHY_NOVALUE, i);
  }
  /* whitespace, fences and comments */
  if (cls[c] & C_WS) {
    size_t j = i + 1;
    while (j < p->n && (cls[s[j]] & C_WS)) j++;
    if (keep_ws(p)) PEND(p, s + i, j - i);
    p->pos = j;
    if (j >= p->n) return R_GO;
    i = j; /* and go on with the token after it */
    c = s[i];
  }
  if (c >= 0x80) {
    int mb = mb_at(p, &qlen);
    if (mb == MB_MORE) return R_MORE;
    if (mb == MB_SPACE || mb == MB_BOM) {
      if (mb == MB_SPACE && keep_ws(p)) PEND(p, " ", 1);
      p->pos += qlen;
      return R_GO;
    }
  }
  if (c == '#' || c == '/' || c == '`') {
    int com = 0;
    if (c == '#') {
      com = T_LCOM;
      qlen = 1;
    } else if (i + 1 >= p->n) {
      if (!p->eof) return R_MORE;
    } else if (c == '/') {
      com = s[i + 1] == '/' ? T_LCOM : s[i + 1] == '*' ? T_BCOM : 0;
      qlen = 2;
    } else if (s[i + 1] == '`') {
      if (i + 2 >= p->n) {
        if (!p->eof) return R_MORE;
      } else if (s[i + 2] == '`') {
        com = T_LCOM; /* a fence line */
        qlen = 3;
      }
    }
    if (com && st == S_TDONE) { /* after the value, only whitespace is kept */
      if (p->pclose) out1(p, '"');
      p->pclose = 0;
      p->plen = 0;
      TOP(p) = S_TEND;
      return R_GO;
    }
    if (com) {
      if (st == S_TS0) {
        p->lead_ok = 0;
        p->plen = 0;
      }
      p->tok = com;
      p->pos += qlen;
      return R_GO;
    }
    qlen = 1;
  }
  k = classify(p, &q, &qlen);
  if (k == V_MORE) return R_MORE;
  if (p->concat) {
    p->concat = 0;
    if (k == V_STR) { /* "a" + "b": continue the string */
      p->pclose = 0;
      p->plen = 0;
      p->tok = T_STR;
      p->q = q;
      p->pos += qlen;
      return R_GO;
    }
  }
  switch (st) {
  case S_TS0:
    if (k == V_OBJ || k == V_ARR || k == V_STR) return start_value(p, k, q, qlen);
    p->has_cand = 1;
    p->cand = p->base + i;
    TOP(p) = S_TS1;
    return R_GO;
  case S_TDONE:
    if (c == '+' && p->pclose) {
      p->concat = 1;
      p->pos++;
      return R_GO;
    }
    if (p->pclose) out1(p, '"');
    p->pclose = 0;
    p->plen = 0;
    TOP(p) = S_TEND;
    return R_GO;
  case S_AV: case S_OV: case S_CV:
    switch (k) {
    case V_COMMA:
      if (st == S_OV) {
        insert(p, "null", 4);
        TOP(p) = S_OA;
        return R_GO;
      }
      p->pos++;
      return R_GO;
    case V_CLOBJ: return closer(p, K_OBJ);
    case V_CLARR: return closer(p, K_ARR);
    case V_CLCALL: return closer(p, K_CALL);
    case V_COLON: case V_EQ: case V_JUNK:
      p->pos++;
      return R_GO;
    default:
      return start_value(p, k, q, qlen);
    }
  case S_OK:
    switch (k) {
    case V_COMMA: case V_JUNK: case V_EQ: case V_OBJ: case V_ARR:
      p->pos++;
      return R_GO;
    case V_CLOBJ: return closer(p, K_OBJ);
    case V_CLARR: return closer(p, K_ARR);
    case V_CLCALL: return closer(p, K_CALL);
    case V_COLON:
      emit(p, "\"\"", 2);
      TOP(p) = S_OC;
      return R_GO;
    case V_STR: return open_string(p, q, qlen);
    default:
      emit(p, "\"", 1);
      p->tok = T_UKEY;
      return R_GO;
    }
  default: /* S_AA S_OA S_CA S_OC: after a value (or a key) */
    if (c == '+' && p->pclose) {
      p->concat = 1;
      p->pos++;
      return R_GO;
    }
    switch (k) {
    case V_COMMA:
      if (st == S_AA || st == S_OA) {
        p->pcomma = p->plen;
        p->has_comma = 1;
        PEND(p, ",", 1);
        TOP(p) = st == S_AA ? S_AV : S_OK;
        p->pos++;
      } else if (st == S_OC) {
        insert(p, ":null", 5);
        TOP(p) = S_OA;
      } else {
        pop(p);
      }
      return R_GO;
    case V_CLOBJ: return closer(p, K_OBJ);
    case V_CLARR: return closer(p, K_ARR);
    case V_CLCALL: return closer(p, K_CALL);
    case V_COLON: case V_EQ:
      if (st == S_OC) {
        emit(p, ":", 1);
        TOP(p) = S_OV;
      }
      p->pos++;
      return R_GO;
    case V_OBJ: case V_ARR:
      if (st == S_OA) { /* cannot start a key: dropped (as in S_OK) */
        p->pos++;
        return R_GO;
      }
      return missing_sep(p, st);
    case V_JUNK:
      p->pos++;
      return R_GO;
    default: /* a value: a missing comma (or colon) */
      return missing_sep(p, st);
    }
  }
}

/* A value after a value (or a key) where a separator belongs: insert it. */
static int missing_sep(vl_jr *p, int st)
{
  if (st == S_AA) {
    insert(p, ",", 1);
    TOP(p) = S_AV;
  } else if (st == S_OA) {
    insert(p, ",", 1);
    TOP(p) = S_OK;
  } else if (st == S_OC) {
    insert(p, ":", 1);
    TOP(p) = S_OV;
  } else {
    pop(p);
  }
  return R_GO;
}

/* The end of the input: close what is open. */
static int finalize(vl_jr *p)
{
  int st;
  switch (p->tok) {
  case T_STR: case T_UKEY:
    out1(p, '"');
    value_done(p);
    break;
  case T_USTR:
    out1(p, '"');
    p->splen = 0;
    value_done(p);
    break;
  default: break;
  }
  p->tok = T_NONE;
  st = p->st[0];
  if (p->depth == 0 && (st == S_TS0 || st == S_TS1)) {
    if (p->extract) return R_NONE;
    if (p->has_cand) {
      p->pos = p->cand - p->base;
      p->has_cand = 0;
      p->st[0] = S_TFB;
      return R_GO;
    }
    return fail(p, VL_EPARSE, WHY_NOVALUE, p->n);
  }
  if (!(p->depth == 0 && st == S_TDONE)) {
    drop_comma(p);
    p->plen = 0;
  }
  while (p->depth > 0) close_frame(p, 0);
  if (p->o.ndjson && !p->extract) {
    drop_comma(p);
    p->plen = 0;
    insert(p, "]", 1);
  } else {
    flush(p);
  }
  p->done = 1;
  return R_DONE;
}

static int run(vl_jr *p)
{
  for (;;) {
    int r;
    if (p->nomem) return fail(p, VL_ENOMEM, WHY_NONE, p->pos);
    if (p->extract && p->depth == 0 && p->st[0] == S_TDONE) return R_STOP;
    if (p->pos >= p->n) {
      if (!p->eof) return R_MORE;
      if (p->done) return R_DONE;
      r = finalize(p);
    } else if (p->tok == T_STR) {
      r = step_str(p);
    } else if (p->tok == T_USTR) {
      r = step_ustr(p);
    } else if (p->tok == T_UKEY) {
      r = step_ukey(p);
    } else if (p->tok) {
      r = step_comment(p);
    } else {
      r = step_frame(p);
    }
    if (r != R_GO) {
      if (p->nomem) return fail(p, VL_ENOMEM, WHY_NONE, p->pos);
      return r;
    }
  }
}

/* ------------------------------------------------------------ public API */

static int scan(const char *str, size_t n, size_t max_depth, int *ascii, vl_jr *p);


void vl_jr_opts_init(vl_jr_opts *o)
{
  o->max_depth = VL_JR_DEFAULT_MAX_DEPTH;
  o->max_input = (size_t)-1;
  o->ensure_ascii = 0;
  o->compact = 0;
  o->ndjson = 0;
}

vl_jr *vl_jr_new(void)
{
  vl_jr *p = (vl_jr *)calloc(1, sizeof *p);
  if (!p) return NULL;
  p->scap = 64;
  p->st = (unsigned char *)malloc(p->scap);
  if (!p->st) {
    free(p);
    return NULL;
  }
  init_tables();
  vl_jr_opts_init(&p->o);
  p->status = VL_EINVAL; /* closed until reset */
  return p;
}

void vl_jr_free(vl_jr *p)
{
  if (!p) return;
  free(p->ibuf);
  free(p->out);
  free(p->pend);
  free(p->sp);
  free(p->st);
  free(p);
}

int vl_jr_reset(vl_jr *p, const vl_jr_opts *opts)
{
  if (!p) return VL_EINVAL;
  if (opts) p->o = *opts;
  else vl_jr_opts_init(&p->o);
  p->extract = 0;
  p->lane = !p->o.compact && !p->o.ensure_ascii;
  p->fl_fail = 0;
  p->in = p->ibuf;
  p->n = p->pos = p->base = 0;
  p->eof = 0;
  p->olen = p->plen = p->splen = 0;
  p->has_comma = p->pclose = p->concat = 0;
  p->depth = 0;
  p->nopen[0] = p->nopen[1] = p->nopen[2] = 0;
  p->tok = T_NONE;
  p->q = 0;
  p->lead_ok = 1;
  p->has_cand = 0;
  p->cand = p->total = p->vstart = 0;
  p->status = VL_OK;
  p->nomem = p->done = 0;
  p->reason = WHY_NONE;
  p->errpos = 0;
  p->st[0] = S_TS0;
  if (p->o.ndjson) {
    p->st[0] = S_AV;
    out1(p, '[');
  }
  return p->nomem ? VL_ENOMEM : VL_OK;
}

int vl_jr_feed(vl_jr *p, const char *s, size_t n)
{
  size_t keep;
  int r;
  if (!p) return VL_EINVAL;
  if (p->status) return p->status;
  if (p->eof) return VL_EINVAL;
  if (n > p->o.max_input - p->total) return fail(p, VL_ELIMIT, WHY_INPUT, p->o.max_input - p->base);
  p->total += n;
  /* drop what is consumed (kept: the prose that may be the value), amortised */
  keep = p->pos;
  if (p->has_cand && p->cand - p->base < keep) keep = p->cand - p->base;
  if (keep > 0 && keep >= p->n / 2) {
    memmove(p->ibuf, p->ibuf + keep, p->n - keep);
    p->n -= keep;
    p->pos -= keep;
    p->base += keep;
  }
  if (n > p->icap - p->n) {
    size_t nc = p->icap ? p->icap : 4096;
    unsigned char *nb;
    while (nc - p->n < n) nc *= 2;
    nb = (unsigned char *)realloc(p->ibuf, nc);
    if (!nb) return fail(p, VL_ENOMEM, WHY_NONE, p->n);
    p->ibuf = nb;
    p->icap = nc;
  }
  if (n) memcpy(p->ibuf + p->n, s, n);
  p->in = p->ibuf;
  p->n += n;
  r = run(p);
  return r < 0 ? r : VL_OK;
}

int vl_jr_finish(vl_jr *p)
{
  int r;
  if (!p) return VL_EINVAL;
  if (p->status) return p->status;
  p->in = p->ibuf;
  p->eof = 1;
  r = run(p);
  return r < 0 ? r : VL_OK;
}

const char *vl_jr_output(const vl_jr *p, size_t *n)
{
  *n = p->olen;
  return p->out ? p->out : "";
}

void vl_jr_output_clear(vl_jr *p)
{
  p->olen = 0;
}

size_t vl_jr_errpos(const vl_jr *p)
{
  return p->errpos;
}

const char *vl_jr_errmsg(const vl_jr *p)
{
  switch (p->reason) {
  case WHY_DEPTH: return "nesting deeper than max_depth";
  case WHY_INPUT: return "input longer than max_input";
  case WHY_NOVALUE: return "no JSON value found";
  default: return vl_strerror(p->status);
  }
}

int vl_jr_repair(vl_jr *p, const vl_jr_opts *opts, const char *s, size_t n, int *unchanged)
{
  int r, ascii = 0;
  *unchanged = 0;
  r = vl_jr_reset(p, opts);
  if (r) return r;
  if (n > p->o.max_input) return fail(p, VL_ELIMIT, WHY_INPUT, p->o.max_input);
  if (p->ocap - p->olen < n + 64) { /* one allocation in the common case */
    char *nb = (char *)realloc(p->out, p->olen + n + 64);
    if (nb) {
      p->out = nb;
      p->ocap = p->olen + n + 64;
    }
  }
  /* The fast path. When the text is not valid, the machine starts after its longest
   * valid prefix that ends at a value or an opening bracket: on that prefix it would
   * copy every byte and reach the state the scan reconstructs (keep mode only). */
  if (!p->o.compact && !p->o.ndjson &&
      scan(s, n, p->o.max_depth, &ascii, p->o.ensure_ascii ? NULL : p) && (ascii || !p->o.ensure_ascii)) {
    p->olen = 0;
    *unchanged = 1;
    return VL_OK;
  }
  p->in = (const unsigned char *)s;
  p->n = n;
  p->eof = 1;
  p->total = n;
  r = run(p);
  p->in = p->ibuf;
  p->n = p->pos = 0;
  return r < 0 ? r : VL_OK;
}

int vl_jr_extract(vl_jr *p, const vl_jr_opts *opts, const char *s, size_t n, size_t from, int *found,
                  size_t *start, size_t *end, int *truncated)
{
  int r;
  vl_jr_opts o;
  *found = *truncated = 0;
  if (opts) o = *opts;
  else vl_jr_opts_init(&o);
  o.ndjson = 0;
  r = vl_jr_reset(p, &o);
  if (r) return r;
  if (from > n) from = n;
  p->extract = 1;
  p->lane = 0;
  p->lead_ok = 0;
  p->st[0] = S_TS1;
  p->in = (const unsigned char *)s + from;
  p->base = from;
  p->n = n - from;
  p->eof = 1;
  r = run(p);
  if (r >= 0 && r != R_NONE) {
    *found = 1;
    *truncated = r == R_DONE;
    *start = p->vstart;
    *end = p->base + p->pos;
  }
  p->in = p->ibuf;
  p->n = p->pos = p->base = 0;
  return r < 0 ? r : VL_OK;
}

/* -------------------------------------------------------------- validator */

/* The rest of a string from s (inside its body): the byte after its closing quote, or NULL. */
static const unsigned char *vstring_rest(const unsigned char *s, const unsigned char *e, int *hi)
{
  for (;;) {
    unsigned c;
    s += str_plain_end(s, 0, (size_t)(e - s), 1u);  /* the plain bytes, as a string body */
    if (s >= e) return NULL;
    c = *s;
    if (c == '"') return s + 1;
    if (c == '\\') {
      long v;
      if (e - s < 2) return NULL;
      c = s[1];
      if (c == 'u') {
        int k;
        if (e - s < 6) return NULL;
        for (v = 0, k = 2; k < 6; k++) {
          if (!(cls[s[k]] & C_HEX)) return NULL;
          v = v * 16 + hexval(s[k]);
        }
        if (v >= 0xDC00 && v <= 0xDFFF) return NULL;
        if (v >= 0xD800 && v <= 0xDBFF) {
          long w;
          if (e - s < 12 || s[6] != '\\' || s[7] != 'u') return NULL;
          for (w = 0, k = 8; k < 12; k++) {
            if (!(cls[s[k]] & C_HEX)) return NULL;
            w = w * 16 + hexval(s[k]);
          }
          if (w < 0xDC00 || w > 0xDFFF) return NULL;
          s += 12;
        } else {
          s += 6;
        }
      } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
        s += 2;
      } else {
        return NULL;
      }
    } else if (c < 0x20) {
      return NULL;
    } else if (c >= 0x80) {
      unsigned cp;
      int r = utf8_seq(s, (size_t)(e - s), 1, &cp);
      if (r <= 0) return NULL;
      *hi = 1;
      s += r;
    } else {
      s++;
    }
  }
}

static const unsigned char *vnumber(const unsigned char *s, const unsigned char *e)
{
  if (*s == '-') s++;
  if (s >= e) return NULL;
  if (*s == '0') {
    s++;
  } else if (*s >= '1' && *s <= '9') {
    while (s < e && (cls[*s] & C_DIG)) s++;
  } else {
    return NULL;
  }
  if (s < e && *s == '.') {
    s++;
    if (s >= e || !(cls[*s] & C_DIG)) return NULL;
    while (s < e && (cls[*s] & C_DIG)) s++;
  }
  if (s < e && (*s == 'e' || *s == 'E')) {
    s++;
    if (s < e && (*s == '+' || *s == '-')) s++;
    if (s >= e || !(cls[*s] & C_DIG)) return NULL;
    while (s < e && (cls[*s] & C_DIG)) s++;
  }
  return s;
}


/* Resume point of a failed scan: the machine's state after the valid prefix
 * s[0..pos): depth frames (kinds in the scan's bit stack), the innermost just
 * opened (B_OPEN) or after a value (B_AFTER), str: that value was a string (isstr
 * in scan: 0 a number or literal, 1 a string, 2 a closed object or array, 3 a
 * number or literal not followed by a delimiter). */
enum { B_NONE, B_OPEN, B_AFTER };

static int bit_obj(const uint64_t *stk, size_t level)
{
  return (int)((stk[level / 64] >> (level % 64)) & 1);
}

/* Put p in the state the machine reaches after the valid prefix s[0..pos), which
 * it would copy byte for byte (keep mode, no ensure_ascii). */
static void resume(vl_jr *p, const unsigned char *s, size_t pos, size_t depth, int b, int str, const uint64_t *stk)
{
  size_t k;
  if (depth + 1 > p->scap) {
    unsigned char *ns = (unsigned char *)realloc(p->st, depth + 64);
    if (!ns) return; /* the machine simply starts from the beginning */
    p->st = ns;
    p->scap = depth + 64;
  }
  p->st[0] = depth ? S_TS0 : S_TDONE;
  for (k = 1; k <= depth; k++) {
    int obj = bit_obj(stk, k - 1);
    p->st[k] = (unsigned char)(obj ? S_OV : S_AV);
    p->nopen[obj ? K_OBJ : K_ARR]++;
  }
  if (depth) {
    int obj = bit_obj(stk, depth - 1);
    p->st[depth] = (unsigned char)(b == B_OPEN ? (obj ? S_OK : S_AV) : (obj ? S_OA : S_AA));
  }
  p->depth = depth;
  OUT(p, s, pos - (str ? 1 : 0)); /* a string's closing quote stays pending ("a" + "b") */
  p->pclose = str;
  p->pos = pos;
  p->lead_ok = 0;
}

#define BOUNDARY(kind, isstr) (bpos = (size_t)(s - (const unsigned char *)str), bdepth = depth, bkind = (kind), bstr = (isstr))

/* The validator; with p (keep mode, no ensure_ascii), a failed scan leaves p at the
 * resume point of the valid prefix (if any). */
static int scan(const char *str, size_t n, size_t max_depth, int *ascii, vl_jr *p)
{
  const unsigned char *s = (const unsigned char *)str, *e = s + n;
  uint64_t small[64], *stk = small;
  size_t depth = 0, bpos = 0, bdepth = 0;
  int hi = 0, ok = 0, bkind = B_NONE, bstr = 0, isstr = 0;
  unsigned c;
  init_tables();
  if (max_depth > 64 * 64) {
    stk = (uint64_t *)malloc((max_depth / 64 + 1) * sizeof *stk);
    if (!stk) return 0;
  }
value:
  VWS(s, e);
  if (s >= e) goto out;
  c = *s;
  if (c == '{' || c == '[') {
    if (depth >= max_depth) goto out;
    if (c == '{') stk[depth / 64] |= (uint64_t)1 << (depth % 64);
    else stk[depth / 64] &= ~((uint64_t)1 << (depth % 64));
    depth++;
    s++;
    BOUNDARY(B_OPEN, 0);
    VWS(s, e);
    if (s < e && *s == (c == '{' ? '}' : ']')) {
      s++;
      depth--;
      isstr = 2;
      goto after;
    }
    if (c == '{') goto key;
    goto value;
  }
  isstr = 0;
  if (c == '"') {
    if (!(s = vstring(s, e, &hi))) goto out;
    isstr = 1;
    goto after;
  }
  if (c == '-' || (cls[c] & C_DIG)) {
    if (!(s = vnumber(s, e))) goto out;
    goto scalar;
  }
  if (c == 't' && e - s >= 4 && !memcmp(s, "true", 4)) {
    s += 4;
    goto scalar;
  }
  if (c == 'f' && e - s >= 5 && !memcmp(s, "false", 5)) {
    s += 5;
    goto scalar;
  }
  if (c == 'n' && e - s >= 4 && !memcmp(s, "null", 4)) {
    s += 4;
    goto scalar;
  }
  goto out;
scalar:
  /* the machine's word or number token may go on (007, truex): no resume point */
  if (s < e && !(cls[*s] & C_WS) && *s != ',' && *s != ']' && *s != '}') isstr = 3;
  goto after;
key:
  if (s >= e || *s != '"') goto out;
  if (!(s = vstring(s, e, &hi))) goto out;
  VWS(s, e);
  if (s >= e || *s != ':') goto out;
  s++;
  goto value;
after:
  /* (a number or literal at the top level is not one: the machine reads it as prose
   * first, to look for a { or [ after it) */
  if ((depth || isstr) && isstr != 3) BOUNDARY(B_AFTER, isstr == 1);
  VWS(s, e);
  if (depth == 0) {
    ok = s == e;
    goto out;
  }
  if (s >= e) goto out;
  c = *s;
  {
    int obj = bit_obj(stk, depth - 1);
    if (c == ',') {
      s++;
      if (obj) {
        VWS(s, e);
        goto key;
      }
      goto value;
    }
    if (c == (obj ? '}' : ']')) {
      s++;
      depth--;
      isstr = 2;
      goto after;
    }
  }
out:
  if (!ok && p && bkind != B_NONE) resume(p, (const unsigned char *)str, bpos, bdepth, bkind, bstr, stk);
  if (stk != small) free(stk);
  if (ascii) *ascii = !hi;
  return ok;
}

int vl_json_valid(const char *str, size_t n, size_t max_depth, int *ascii)
{
  return scan(str, n, max_depth, ascii, NULL);
}
