/*
 * secrets_lead.c: what every match of a regex begins with (secrets_lead.h).
 */
#include <stdlib.h>
#include <string.h>

#include "secrets_lead.h"
#include "vl_bits.h"

#define MAXS 64        /* beginnings in a set */
#define MAXL VL_LEAD_STR  /* bytes of a beginning */
#define MAXDEPTH 8     /* group nesting read */
#define MAXLEAD 4096   /* bytes of lead */
#define MAXRE 8192     /* longer regexes are not read (the reading is quadratic at worst) */
#define INF 0xFFFFFFFFu

typedef struct bstr {
  unsigned char b[MAXL];  /* lowercase */
  unsigned char n;
  unsigned char exact;    /* the whole match of what was read so far, not just its start */
} bstr;

typedef struct bset {
  bstr s[MAXS];
  int n;
} bset;

enum { A_ZERO, A_SET, A_GROUP };

typedef struct atom {
  int kind;
  int flags;            /* A_ZERO: only sets inline flags, (?i) */
  int possessive;       /* the quantifier ends in '+' */
  int caseless;         /* A_SET: the set as written holds both cases of its letters, so the
                         * folded set is exact whatever (?i) is in force */
  uint8_t set[32];
  size_t lo, hi;        /* A_GROUP: the content */
  uint32_t qmin, qmax;
  size_t end;           /* after the atom and its quantifier */
} atom;

static int isalnum_(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Sets are built as written (raw) and folded afterwards (fold_set): a negated
 * class must be complemented before folding, or it would lose the other case. */
static void add(uint8_t *set, unsigned c)
{
  set[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static int has(const uint8_t *set, unsigned c)
{
  return set[c >> 3] >> (c & 7) & 1;
}

/* Add the other ASCII case of every letter in set. */
static void fold_set(uint8_t *set)
{
  unsigned c;
  for (c = 'a'; c <= 'z'; c++)
    if (has(set, c) || has(set, c - 32)) {
      add(set, c);
      add(set, c - 32);
    }
}

static void add_range(uint8_t *set, unsigned a, unsigned b)
{
  unsigned c;
  for (c = a; c <= b && c < 256; c++) add(set, c);
}

static void add_high(uint8_t *set)
{
  memset(set + 16, 0xFF, 16);
}

/* \w \d \s \h \v \N and their negations, ASCII (no UCP) plus any high byte for the
 * ones that can match a non-ASCII character. Returns 0 when e is not one. */
static int escape_class(uint8_t *set, unsigned char e)
{
  uint8_t t[32];
  int neg = e >= 'A' && e <= 'Z' && e != 'N', k;
  memset(t, 0, sizeof t);
  switch (vl_ascii_lower(e)) {
  case 'w': add_range(t, 'a', 'z'); add_range(t, 'A', 'Z'); add_range(t, '0', '9'); add(t, '_'); break;
  case 'd': add_range(t, '0', '9'); break;
  case 's': add_range(t, '\t', '\r'); add(t, ' '); break;
  case 'h': add(t, '\t'); add(t, ' '); add_high(t); break;
  case 'v': add_range(t, '\n', '\r'); add_high(t); break;
  case 'n': if (e == 'N') { memset(t, 0xFF, sizeof t); neg = 0; break; } return 0;
  default: return 0;
  }
  for (k = 0; k < 32; k++) set[k] |= (uint8_t)(neg ? ~t[k] : t[k]);
  return 1;
}

static int hexval(unsigned char c)
{
  if (c >= '0' && c <= '9') return c - '0';
  c = vl_ascii_lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A \x escape at re[i] == 'x': its byte value (>= 256: non-ASCII) and the index
 * after it; -1 on bad syntax. */
static long hex_escape(const char *re, size_t n, size_t i, size_t *next)
{
  long v = 0;
  size_t j = i + 1;
  if (j < n && re[j] == '{') {
    for (j++; j < n && re[j] != '}'; j++) {
      if (hexval((unsigned char)re[j]) < 0) return -1;
      v = v * 16 + hexval((unsigned char)re[j]);
      if (v > 0x10FFFF) return -1;
    }
    if (j >= n) return -1;
    *next = j + 1;
    return v;
  }
  for (; j < n && j < i + 3 && hexval((unsigned char)re[j]) >= 0; j++) v = v * 16 + hexval((unsigned char)re[j]);
  *next = j;
  return v;
}

/* One character of a class at re[i] (not ']'): the char in *c (-1: a class
 * escape, added to set; >= 256: non-ASCII). Returns the index after it, 0 on
 * syntax this reader does not know. */
static size_t class_char(const char *re, size_t n, size_t i, uint8_t *set, long *c)
{
  unsigned char x = (unsigned char)re[i];
  if (x == '[' && i + 1 < n && (re[i + 1] == ':' || re[i + 1] == '.' || re[i + 1] == '=')) return 0;  /* POSIX */
  if (x >= 0x80) {
    for (i++; i < n && ((unsigned char)re[i] & 0xC0) == 0x80; i++) {}
    *c = 256;
    return i;
  }
  if (x != '\\') {
    *c = x;
    return i + 1;
  }
  if (i + 1 >= n) return 0;
  x = (unsigned char)re[i + 1];
  if (escape_class(set, x)) {
    *c = -1;
    return i + 2;
  }
  switch (x) {
  case 't': *c = '\t'; return i + 2;
  case 'n': *c = '\n'; return i + 2;
  case 'r': *c = '\r'; return i + 2;
  case 'f': *c = '\f'; return i + 2;
  case 'e': *c = 27; return i + 2;
  case 'a': *c = 7; return i + 2;
  case 'b': *c = 8; return i + 2;  /* backspace inside a class */
  case 'x': {
    size_t next;
    long v = hex_escape(re, n, i + 1, &next);
    if (v < 0) return 0;
    *c = v < 128 ? v : 256;
    return next;
  }
  default:
    if (isalnum_(x) || x >= 0x80) return 0;
    *c = x;
    return i + 2;
  }
}

static void add_char(uint8_t *set, long c)
{
  if (c >= 256 || c >= 128) add_high(set);
  else if (c >= 0) add(set, (unsigned)c);
}

/* A class at re[i] == '['; the index after its ']', 0 when not understood. */
static size_t read_class(const char *re, size_t n, size_t i, uint8_t *set)
{
  uint8_t t[32];
  int neg = 0, first = 1, k;
  memset(t, 0, sizeof t);
  i++;
  if (i < n && re[i] == '^') { neg = 1; i++; }
  while (i < n && (re[i] != ']' || first)) {
    long a, b;
    size_t j = class_char(re, n, i, t, &a);
    first = 0;
    if (!j) return 0;
    i = j;
    if (a >= 0 && i + 1 < n && re[i] == '-' && re[i + 1] != ']') {
      j = class_char(re, n, i + 1, t, &b);
      if (!j || b < 0) return 0;
      i = j;
      if (a >= 128 || b >= 128) add_high(t);
      if (a < 128) add_range(t, (unsigned)a, b < 128 ? (unsigned)b : 127);
    } else {
      add_char(t, a);
    }
  }
  if (i >= n) return 0;
  for (k = 0; k < 32; k++) set[k] |= (uint8_t)(neg ? ~t[k] : t[k]);
  return i + 1;
}

/* The index of the ')' that closes the group opened at re[i], or n. */
static size_t group_close(const char *re, size_t n, size_t i)
{
  int d = 0;
  for (; i < n; i++) {
    char c = re[i];
    if (c == '\\') { i++; continue; }
    if (c == '[') {
      uint8_t t[32];
      size_t j = read_class(re, n, i, t);
      if (!j) return n;
      i = j - 1;
      continue;
    }
    if (c == '(') d++;
    else if (c == ')' && --d == 0) return i;
  }
  return n;
}

/* A quantifier at re[i] into a; the index after it (i when none), 0 when not understood. */
static size_t read_quant(const char *re, size_t n, size_t i, atom *a)
{
  a->qmin = a->qmax = 1;
  if (i >= n) return i;
  if (re[i] == '?') { a->qmin = 0; i++; }
  else if (re[i] == '*') { a->qmin = 0; a->qmax = INF; i++; }
  else if (re[i] == '+') { a->qmax = INF; i++; }
  else if (re[i] == '{') {
    size_t j = i + 1;
    uint32_t lo = 0, hi;
    if (j >= n || re[j] < '0' || re[j] > '9') return j < n && re[j] == ',' ? 0 : i;  /* "{," is new syntax: give up */
    for (; j < n && re[j] >= '0' && re[j] <= '9'; j++) if ((lo = lo * 10 + (uint32_t)(re[j] - '0')) > 65535) return 0;
    hi = lo;
    if (j < n && re[j] == ',') {
      j++;
      if (j < n && re[j] == '}') hi = INF;
      else for (hi = 0; j < n && re[j] >= '0' && re[j] <= '9'; j++) if ((hi = hi * 10 + (uint32_t)(re[j] - '0')) > 65535) return 0;
    }
    if (j >= n || re[j] != '}') return i;  /* a literal '{' */
    a->qmin = lo;
    a->qmax = hi;
    i = j + 1;
  } else {
    return i;
  }
  if (i < n && (re[i] == '?' || re[i] == '+')) a->possessive = re[i++] == '+';  /* lazy, possessive */
  return i;
}

/* The atom at re[i] (i < n, re[i] not '|' or ')'); 0 when not understood. */
static int read_atom(const char *re, size_t n, size_t i, atom *a)
{
  unsigned char c = (unsigned char)re[i];
  size_t j;
  memset(a, 0, sizeof *a);
  a->kind = A_SET;
  if (c == '(') {
    size_t close = group_close(re, n, i);
    if (close >= n) return 0;
    j = i + 1;
    a->kind = A_GROUP;
    if (j < n && re[j] == '*') return 0;  /* verbs: (*UCP) changes \w */
    if (j < n && re[j] == '?') {
      char k = j + 1 < n ? re[j + 1] : 0;
      if (k == '#' || k == '=' || k == '!' || (k == '<' && j + 2 < n && (re[j + 2] == '=' || re[j + 2] == '!'))) {
        a->kind = A_ZERO;  /* comment, lookaround */
      } else if (k == ':' || k == '|' || k == '>') {
        j += 2;
      } else if (k == '<' || k == '\'' || (k == 'P' && j + 2 < n && re[j + 2] == '<')) {
        char endc = k == '\'' ? '\'' : '>';
        for (j += 2; j < close && re[j] != endc; j++) {}
        j++;
      } else {
        size_t f = j + 1;
        for (; f < close && re[f] && strchr("imnsJU-^", re[f]); f++) {}
        if (f == close) { a->kind = A_ZERO; a->flags = 1; }  /* (?i) */
        else if (re[f] == ':') j = f + 1;
        else return 0;                  /* recursion, conditionals, callouts */
      }
    }
    a->lo = j;
    a->hi = close;
    j = close + 1;
  } else if (c == '[') {
    if (!(j = read_class(re, n, i, a->set))) return 0;
  } else if (c == '\\') {
    unsigned char e = i + 1 < n ? (unsigned char)re[i + 1] : 0;
    j = i + 2;
    if (!e || (e == 'N' && j < n && re[j] == '{')) return 0;  /* \N{U+..} is a character */
    if (strchr("bBAzZK", e)) {
      a->kind = A_ZERO;
    } else if (escape_class(a->set, e)) {
    } else if (e == 'x') {
      long v = hex_escape(re, n, i + 1, &j);
      if (v < 0) return 0;
      add_char(a->set, v);
    } else if (strchr("tnrfea", e)) {
      add(a->set, e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e == 'f' ? '\f' : e == 'e' ? 27 : 7);
    } else if (isalnum_(e) || e >= 0x80) {
      return 0;  /* backreferences, \p, \Q, \R, \X, ... */
    } else {
      add(a->set, e);
    }
  } else if (c == '^' || c == '$') {
    a->kind = A_ZERO;
    j = i + 1;
  } else if (c == '.') {
    memset(a->set, 0xFF, sizeof a->set);
    j = i + 1;
  } else if (c >= 0x80) {
    for (j = i + 1; j < n && ((unsigned char)re[j] & 0xC0) == 0x80; j++) {}
    add_high(a->set);
  } else {
    add(a->set, c);
    j = i + 1;
  }
  if (!(j = read_quant(re, n, j, a))) return 0;
  a->end = j;
  if (a->kind == A_SET) {
    uint8_t raw[32];
    memcpy(raw, a->set, sizeof raw);
    fold_set(a->set);
    a->caseless = memcmp(raw, a->set, sizeof raw) == 0;
  }
  return 1;
}

/* The one byte (lowercase) a folded set holds up to ASCII case, or -1. */
static int one_char(const uint8_t *set)
{
  int c, found = -1;
  for (c = 0; c < 256; c++) {
    if (!(set[c >> 3] >> (c & 7) & 1)) continue;
    if (found >= 0 && vl_ascii_lower((unsigned char)c) != found) return -1;
    found = vl_ascii_lower((unsigned char)c);
  }
  return found;
}

static int alt_begin(const char *re, size_t lo, size_t hi, bset *out, int depth);

/* out = out . a (beginnings of the concatenation); 0 when too many. */
static int concat(bset *out, const bset *a)
{
  static const bstr empty;
  bset r;
  int i, k;
  r.n = 0;
  for (i = 0; i < out->n; i++) {
    const bstr *s = &out->s[i];
    if (!s->exact) {
      if (r.n == MAXS) return 0;
      r.s[r.n++] = *s;
      continue;
    }
    for (k = 0; k < a->n; k++) {
      const bstr *t = &a->s[k];
      bstr *d;
      size_t take = t->n;
      if (r.n == MAXS) return 0;
      d = &r.s[r.n++];
      *d = empty;
      memcpy(d->b, s->b, s->n);
      if (s->n + take > MAXL) take = MAXL - s->n;
      memcpy(d->b + s->n, t->b, take);
      d->n = (unsigned char)(s->n + take);
      d->exact = (unsigned char)(t->exact && take == t->n);
    }
  }
  *out = r;
  return 1;
}

/* Beginnings of the sequence re[lo..hi) (no top-level '|'); 0 when not understood. */
static int seq_begin(const char *re, size_t lo, size_t hi, bset *out, int depth)
{
  size_t i = lo;
  memset(&out->s[0], 0, sizeof out->s[0]);
  out->s[0].exact = 1;
  out->n = 1;
  while (i < hi) {
    atom a;
    bset *b;
    int k, any = 0, ok = 1;
    for (k = 0; k < out->n; k++) any |= out->s[k].exact;
    if (!any) break;
    if (!read_atom(re, hi, i, &a)) return 0;
    i = a.end;
    if (a.kind == A_ZERO) continue;
    b = (bset *)malloc(sizeof *b);
    if (!b) return 0;
    b->n = 1;
    memset(&b->s[0], 0, sizeof b->s[0]);
    if (a.kind == A_SET) {
      int c = one_char(a.set);
      if (c >= 0) {
        b->s[0].b[0] = (unsigned char)c;
        b->s[0].n = 1;
        b->s[0].exact = 1;
      }
    } else if (depth >= MAXDEPTH || !alt_begin(re, a.lo, a.hi, b, depth + 1)) {
      ok = 0;
    }
    if (ok && a.qmin == 0 && a.qmax == 1) {  /* optional: also nothing */
      if (b->n == MAXS) ok = 0;
      else { memset(&b->s[b->n], 0, sizeof b->s[0]); b->s[b->n++].exact = 1; }
    } else if (ok && a.qmin == 0) {           /* any number: its start is unknown */
      b->n = 1;
      memset(&b->s[0], 0, sizeof b->s[0]);
    } else if (ok && a.qmax != 1) {           /* one or more: the first one begins it */
      for (k = 0; k < b->n; k++) b->s[k].exact = 0;
    }
    ok = ok && concat(out, b);
    free(b);
    if (!ok) return 0;
  }
  return 1;
}

/* The index of the next top-level '|' in re[i..hi), hi when none, SIZE_MAX when
 * not understood. */
static size_t next_bar(const char *re, size_t i, size_t hi)
{
  for (; i < hi && re[i] != '|'; i++) {
    if (re[i] == '\\') {
      i++;
    } else if (re[i] == '[') {
      uint8_t t[32];
      size_t j = read_class(re, hi, i, t);
      if (!j) return SIZE_MAX;
      i = j - 1;
    } else if (re[i] == '(') {
      size_t j = group_close(re, hi, i);
      if (j >= hi) return SIZE_MAX;
      i = j;
    }
  }
  return i < hi ? i : hi;
}

/* Beginnings of the alternation re[lo..hi). */
static int alt_begin(const char *re, size_t lo, size_t hi, bset *out, int depth)
{
  size_t start = lo;
  out->n = 0;
  for (;;) {
    size_t bar = next_bar(re, start, hi);
    bset *b;
    int k, ok;
    if (bar == SIZE_MAX || !(b = (bset *)malloc(sizeof *b))) return 0;
    ok = seq_begin(re, start, bar, b, depth);
    for (k = 0; ok && k < b->n; k++) {
      if (out->n == MAXS) ok = 0;
      else out->s[out->n++] = b->s[k];
    }
    free(b);
    if (!ok) return 0;
    if (bar >= hi) return 1;
    start = bar + 1;
  }
}

/* Syntax that changes how the rest reads: \Q..\E quoting, extended mode, verbs,
 * comments (their text may hold parentheses). */
static int unreadable(const char *re, size_t n)
{
  size_t i;
  for (i = 0; i + 1 < n; i++) {
    if (re[i] == '\\') {
      if (re[i + 1] == 'Q') return 1;
      i++;
    } else if (re[i] == '(' && (re[i + 1] == '*' || (re[i + 1] == '?' && i + 2 < n && re[i + 2] == '#'))) {
      return 1;
    } else if (re[i] == '(' && re[i + 1] == '?') {
      size_t j = i + 2;
      for (; j < n && strchr("imnsxJU-^", re[j]) && re[j]; j++)
        if (re[j] == 'x') return 1;
    }
  }
  return 0;
}

static int begins_with_keyword(const bset *s, const char *const *kw, const size_t *len, size_t nkw)
{
  int i;
  if (s->n == 0) return 0;
  for (i = 0; i < s->n; i++) {
    size_t k;
    for (k = 0; k < nkw; k++)
      if (len[k] <= s->s[i].n && memcmp(s->s[i].b, kw[k], len[k]) == 0) break;
    if (k == nkw) return 0;
  }
  return 1;
}

/* Beginnings of what follows position i when the lead is inside nested plain
 * groups: re[i..ends[nends-1]) then after each ')' out to re[..n). */
static int rest_begin(const char *re, size_t i, const size_t *ends, int nends, size_t n, bset *out)
{
  bset *t;
  int k, ok = 1;
  if (!nends) return seq_begin(re, i, n, out, 0);
  if (!seq_begin(re, i, ends[nends - 1], out, 0) || !(t = (bset *)malloc(sizeof *t))) return 0;
  for (k = nends - 1; ok && k >= 0; k--)
    ok = seq_begin(re, ends[k] + 1, k ? ends[k - 1] : n, t, 0) && concat(out, t);
  free(t);
  return ok;
}

/* The bytes that can begin re[lo..hi) (an alternation), into set; 0 when one
 * alternative can begin with nothing or is not understood. */
static int first_set(const char *re, size_t lo, size_t hi, uint8_t *set, int depth)
{
  size_t start = lo;
  for (;;) {
    size_t bar = next_bar(re, start, hi), i = start;
    atom a;
    int k;
    if (bar == SIZE_MAX) return 0;
    do {  /* the first atom that is not zero-width */
      if (i >= bar || !read_atom(re, bar, i, &a)) return 0;
      i = a.end;
    } while (a.kind == A_ZERO);
    if (a.qmin == 0) return 0;
    if (a.kind == A_SET) {
      for (k = 0; k < 32; k++) set[k] |= a.set[k];
    } else if (depth >= MAXDEPTH || !first_set(re, a.lo, a.hi, set, depth + 1)) {
      return 0;
    }
    if (bar >= hi) return 1;
    start = bar + 1;
  }
}

/* After a proven lead, at re[i] (inside the plain groups ends[0..nends)): atoms
 * whose every match is one of a few whole strings (the keyword group, literals),
 * then optional bounded items, then a required one. Fills out's tail fields. */
static void find_tail(const char *re, size_t i, size_t *ends, int nends, size_t n, vl_lead *out)
{
  bset *s = (bset *)malloc(sizeof *s), *b = (bset *)malloc(sizeof *b), *t = (bset *)malloc(sizeof *t);
  atom a;
  int k, atoms = 0, ok = s && b && t;
  if (ok) {
    memset(&s->s[0], 0, sizeof s->s[0]);
    s->s[0].exact = 1;
    s->n = 1;
  }
  /* the strings: atoms that each match one of a few whole strings (literals, [Aa],
   * groups of such alternatives), while the concatenation stays whole */
  while (ok) {
    while (nends && i == ends[nends - 1]) i = ends[--nends] + 1;
    if (i >= n || !read_atom(re, nends ? ends[nends - 1] : n, i, &a)) {
      ok = 0;
      break;
    }
    if (a.kind == A_ZERO) {
      i = a.end;
      continue;
    }
    if (a.qmin != 1 || a.qmax != 1) break;
    if (a.kind == A_GROUP && nends < MAXDEPTH && next_bar(re, a.lo, a.hi) == a.hi) {
      ends[nends++] = a.hi;  /* a plain group, \b(ey...): its atoms continue the strings */
      i = a.lo;
      continue;
    }
    if (a.kind == A_SET) {
      int c = one_char(a.set);
      if (c < 0) break;
      memset(&b->s[0], 0, sizeof b->s[0]);
      b->s[0].b[0] = (unsigned char)c;
      b->s[0].n = 1;
      b->s[0].exact = 1;
      b->n = 1;
    } else if (!alt_begin(re, a.lo, a.hi, b, 0)) {
      break;
    }
    *t = *s;
    if (!concat(t, b)) break;
    for (k = 0; k < t->n && t->s[k].exact; k++) {}
    if (k < t->n) break;  /* a beginning that is not whole: the strings end before this atom */
    *s = *t;
    i = a.end;
    atoms++;
  }
  if (ok && atoms && (out->strs = (char *)malloc((size_t)s->n * MAXL)) != NULL) {
    for (k = 0; k < s->n; k++) {
      memcpy(out->strs + (size_t)k * MAXL, s->s[k].b, s->s[k].n);
      out->str_len[k] = s->s[k].n;
    }
    out->nstr = s->n;
  }
  free(s);
  free(b);
  free(t);
  if (!out->nstr) return;
  for (;;) {
    while (nends && i == ends[nends - 1]) i = ends[--nends] + 1;
    if (i >= n || !read_atom(re, nends ? ends[nends - 1] : n, i, &a)) return;
    i = a.end;
    if (a.kind == A_ZERO) continue;
    if (a.kind == A_GROUP && a.qmin == 1 && a.qmax == 1 && nends < MAXDEPTH && next_bar(re, a.lo, a.hi) == a.hi) {
      ends[nends++] = a.hi;  /* a plain group: go in */
      i = a.lo;
      continue;
    }
    if (a.qmin == 0 && a.kind == A_SET && a.qmax != INF) {  /* optional, bounded */
      for (k = 0; k < 32; k++) out->tail_cls[k] |= a.set[k];
      out->tail_max += a.qmax;
      if (out->tail_max > MAXLEAD) return;
      continue;
    }
    if (a.qmin == 0) return;
    if (a.kind == A_SET) memcpy(out->tail_first, a.set, sizeof a.set);
    else if (!first_set(re, a.lo, a.hi, out->tail_first, 0)) return;
    out->tail = 1;
    return;
  }
}

void vl_secrets_lead_free(vl_lead *l)
{
  free(l->strs);
  memset(l, 0, sizeof *l);
}

void vl_secrets_lead(const char *re, size_t n, const char *const *kw, const size_t *len, size_t nkw, vl_lead *out)
{
  bset *s = (bset *)malloc(sizeof *s);
  size_t i = 0;
  memset(out, 0, sizeof *out);
  if (!s || nkw == 0 || n > MAXRE || unreadable(re, n)) {
    free(s);
    return;
  }
  size_t ends[MAXDEPTH] = { 0 };  /* the ")" of each plain group the lead went into */
  int nends = 0;
  /* a top-level alternation: no lead, the whole pattern's beginnings */
  if (alt_begin(re, 0, n, s, 0) && begins_with_keyword(s, kw, len, nkw)) {
    out->ok = 1;
  } else if (next_bar(re, 0, n) == n) {
    int items = 0, same = 1, asserts = 0;
    uint8_t first[32];
    for (;;) {
      atom a;
      while (nends && i == ends[nends - 1]) i = ends[--nends] + 1;  /* out of a group */
      if (i >= n || !read_atom(re, nends ? ends[nends - 1] : n, i, &a)) break;
      if (a.kind == A_GROUP && a.qmin == 1 && a.qmax == 1 && nends < MAXDEPTH && next_bar(re, a.lo, a.hi) == a.hi) {
        ends[nends++] = a.hi;  /* a plain group, (?i:...): its items continue the lead */
        i = a.lo;
        continue;
      }
      if (a.kind == A_GROUP || a.qmax == INF) break;
      if (a.kind == A_SET) {
        int k;
        if (!items) memcpy(first, a.set, sizeof first);
        else same = same && memcmp(first, a.set, sizeof first) == 0;
        for (k = 0; k < 32; k++) out->cls[k] |= a.set[k];
        out->max += a.qmax;
        items++;
        same = same && !a.possessive && a.caseless;  /* a possessive lead does not shift; a
                                                       * class wider than written neither */
        if (out->max > MAXLEAD) break;
      } else if (!a.flags) {
        asserts++;
      }
      i = a.end;
      if (rest_begin(re, i, ends, nends, n, s) && begins_with_keyword(s, kw, len, nkw)) {
        int k, high = 0;
        for (k = 16; k < 32; k++) high |= out->cls[k];
        out->ok = 1;
        /* items of one class, C{0,a}C{0,b}, read as C{0,a+b}: they shift like one */
        out->single = items >= 1 && same && asserts == 0 && !high;
        break;
      }
    }
  }
  free(s);
  if (!out->ok) memset(out, 0, sizeof *out);
  else if (next_bar(re, 0, n) == n) find_tail(re, i, ends, nends, n, out);
  if (!out->tail) {
    free(out->strs);
    out->strs = NULL;
    out->nstr = 0;
  }
}
