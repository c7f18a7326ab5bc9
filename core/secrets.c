/*
 * secrets.c: the secret scanner (secrets.h): PCRE2 rules behind a keyword
 * automaton, entropy gates, allowlists, merged findings.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "ac.h"
#include "secrets.h"
#include "secrets_lead.h"
#include "secrets_pairs.h"
#include "vl_bits.h"

#define VL_OMP(x) _Pragma(x)
#define NL_SHIFT 12  /* newline checkpoints of the prefilter pass: every 4096 bytes */

typedef struct rule_c {
  char *id;
  pcre2_code *re;
  int jitted;  /* re has complete JIT code */
  uint32_t group, window, match_limit, depth_limit;
  double entropy;
  pcre2_code **allow;
  size_t nallow;
  char **stop;   /* lowercased */
  size_t *stoplen;
  size_t nstop;
  pcre2_code **paths;
  size_t npaths;
  char **kws;
  size_t *kwlens;
  size_t nkw;
  vl_lead lead;  /* ok: every match begins with at most lead.max bytes of lead.cls, then a keyword */
} rule_c;

struct vl_secrets {
  rule_c *rules;
  size_t nrules;
  vl_ac *ac;          /* NULL when no rule has a keyword */
  const char **kw_p;  /* distinct keywords (lowercase), by automaton id */
  size_t *kw_n;
  vl_pairs *pairs;    /* the byte-pair prefilter; NULL: the automaton finds keywords */
  size_t *kw_off;     /* CSR: automaton pattern id -> rules */
  uint32_t *kw_rules;
  uint32_t *kw_win;   /* start window of each (keyword, rule) entry: 0 when the keyword
                       * begins every match (a literal prefix of the regex), else the rule's */
  size_t nkw;
  uint32_t *whole;    /* rules without keywords */
  size_t nwhole;
  uint32_t max_groups;
  int jit;
};

/* ------------------------------------------------------------------------- */
/* helpers */

static char *dupmem(const char *p, size_t n)
{
  char *d = (char *)malloc(n + 1);
  if (!d) return NULL;
  if (n) memcpy(d, p, n);
  d[n] = 0;
  return d;
}

double vl_secrets_entropy(const void *p, size_t n)
{
  size_t cnt[256] = {0}, i;
  const unsigned char *s = (const unsigned char *)p;
  double h = 0, dn = (double)n;
  if (n == 0) return 0;
  for (i = 0; i < n; i++) cnt[s[i]]++;
  for (i = 0; i < 256; i++) {
    if (cnt[i]) {
      double q = (double)cnt[i] / dn;
      h -= q * log2(q);
    }
  }
  return h;
}

const char *vl_secrets_pcre2_version(void)
{
  static char buf[64];
  static int done;
  if (!done) {
    pcre2_config(PCRE2_CONFIG_VERSION, buf);
    done = 1;
  }
  return buf;
}

#define RE_OPTS (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_USE_OFFSET_LIMIT)

static pcre2_code *compile_re(const char *p, size_t n, int jit, vl_secrets_error *err, size_t rule,
                              const char *what, int *st)
{
  int ec = 0;
  PCRE2_SIZE eo = 0;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)p, n, RE_OPTS, &ec, &eo, NULL);
  if (!re) {
    if (ec == PCRE2_ERROR_NOMEMORY) {
      *st = VL_ENOMEM;
      return NULL;
    }
    if (err) {
      err->rule = rule;
      err->what = what;
      err->offset = (size_t)eo;
      pcre2_get_error_message(ec, (PCRE2_UCHAR *)err->message, sizeof err->message);
    }
    *st = VL_EPARSE;
    return NULL;
  }
  if (jit) (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* no JIT: the interpreter runs it */
  return re;
}

/* The longest literal the pattern requires at its top level (see the design
 * note); 0 when there is none of at least 3 bytes. */
static size_t derive_literal(const char *re, size_t n, char *out, size_t cap)
{
  size_t i = 0, depth = 0, best = 0, run = 0;
  char cur[256];
  int inclass = 0;
  /* an alternation at the top level: no single required literal */
  for (i = 0; i < n; i++) {
    char c = re[i];
    if (c == '\\') { i++; continue; }
    if (inclass) { if (c == ']') inclass = 0; continue; }
    if (c == '[') { inclass = 1; if (i + 1 < n && re[i + 1] == ']') i++; continue; }
    if (c == '(') depth++;
    else if (c == ')' && depth) depth--;
    else if (c == '|' && depth == 0) return 0;
  }
  i = 0;
  while (i + 1 < n && re[i] == '(' && re[i + 1] == '?') {  /* leading (?i) and the like */
    size_t j = i + 2;
    while (j < n && ((re[j] >= 'a' && re[j] <= 'z') || re[j] == '-')) j++;
    if (j < n && re[j] == ')' && j > i + 2) i = j + 1;
    else break;
  }
#define END_RUN() do { if (run > best && run <= cap) { best = run; memcpy(out, cur, run); } run = 0; } while (0)
  while (i < n) {
    char c = re[i];
    int lit = -1;
    size_t next;
    if (c == '\\') {
      if (i + 1 >= n) break;
      c = re[i + 1];
      next = i + 2;
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) lit = (unsigned char)c;
    } else if (c == '[') {
      size_t j = i + 1;
      if (j < n && re[j] == '^') j++;
      if (j < n && re[j] == ']') j++;
      while (j < n && re[j] != ']') { if (re[j] == '\\') j++; j++; }
      next = j + 1;
    } else if (c == '(') {
      size_t d = 1, j = i + 1;
      int cls = 0;
      while (j < n && d) {
        if (re[j] == '\\') { j += 2; continue; }
        if (cls) { if (re[j] == ']') cls = 0; }
        else if (re[j] == '[') cls = 1;
        else if (re[j] == '(') d++;
        else if (re[j] == ')') d--;
        j++;
      }
      next = j;
    } else if (strchr("^$.|?*+{})]", c)) {
      next = i + 1;
    } else {
      lit = (unsigned char)c;
      next = i + 1;
    }
    /* a quantifier after the token */
    if (next < n && (re[next] == '?' || re[next] == '*' || re[next] == '{' || re[next] == '+')) {
      char q = re[next];
      if (lit >= 0 && q == '+' && run < sizeof cur) cur[run++] = (char)lit;  /* required once */
      END_RUN();
      next++;
      if (q == '{') { while (next < n && re[next] != '}') next++; next++; }
      if (next < n && (re[next] == '?' || re[next] == '+')) next++;  /* lazy / possessive */
      i = next;
      continue;
    }
    if (lit >= 0) {
      if (run < sizeof cur) cur[run++] = (char)lit;
    } else {
      END_RUN();
    }
    i = next;
  }
  END_RUN();
#undef END_RUN
  return best >= 3 ? best : 0;
}


typedef struct scanst scanst;

static int on_hit(void *ud, uint32_t id, uint64_t start, uint64_t end);

/* ------------------------------------------------------------------------- */
/* compile */

static void free_rule(rule_c *r)
{
  size_t i;
  free(r->id);
  pcre2_code_free(r->re);
  for (i = 0; i < r->nallow; i++) pcre2_code_free(r->allow[i]);
  free(r->allow);
  for (i = 0; i < r->nstop; i++) free(r->stop[i]);
  free(r->stop);
  free(r->stoplen);
  for (i = 0; i < r->npaths; i++) pcre2_code_free(r->paths[i]);
  free(r->paths);
  for (i = 0; i < r->nkw; i++) free(r->kws[i]);
  free(r->kws);
  vl_secrets_lead_free(&r->lead);
  free(r->kwlens);
}

void vl_secrets_free(vl_secrets *s)
{
  size_t i;
  if (!s) return;
  for (i = 0; i < s->nrules; i++) free_rule(&s->rules[i]);
  free(s->rules);
  vl_ac_free(s->ac);
  vl_pairs_free(s->pairs);
  free(s->kw_p);
  free(s->kw_n);
  free(s->kw_win);
  free(s->kw_off);
  free(s->kw_rules);
  free(s->whole);
  free(s);
}

static int bad(vl_secrets_error *err, size_t rule, const char *what, const char *msg)
{
  if (err) {
    err->rule = rule;
    err->what = what;
    err->offset = 0;
    snprintf(err->message, sizeof err->message, "%s", msg);
  }
  return VL_EINVAL;
}

static int compile_rule(rule_c *r, const vl_secrets_rule *d, size_t idx, int jit, vl_secrets_error *err)
{
  int st = VL_OK;
  uint32_t groups = 0;
  size_t i;
  if (!d->id || !d->regex) return bad(err, idx, "rule", "missing id or regex");
  if (!(r->id = dupmem(d->id, strlen(d->id)))) return VL_ENOMEM;
  r->re = compile_re(d->regex, d->regex_len, jit, err, idx, "regex", &st);
  if (!r->re) return st;
  if (jit) {
    size_t jsz = 0;
    r->jitted = pcre2_pattern_info(r->re, PCRE2_INFO_JITSIZE, &jsz) == 0 && jsz > 0;
  }
  pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &groups);
  if (d->secret_group > groups) return bad(err, idx, "secret_group", "secret_group is above the regex's groups");
  r->group = d->secret_group;
  r->entropy = d->entropy;
  r->window = d->window;
  r->match_limit = d->match_limit ? d->match_limit : VL_SECRETS_DEFAULT_MATCH_LIMIT;
  r->depth_limit = d->depth_limit ? d->depth_limit : VL_SECRETS_DEFAULT_DEPTH_LIMIT;
  if (d->nallow_regexes) {
    if (!(r->allow = (pcre2_code **)calloc(d->nallow_regexes, sizeof *r->allow))) return VL_ENOMEM;
    for (i = 0; i < d->nallow_regexes; i++, r->nallow++) {
      if (!(r->allow[i] = compile_re(d->allow_regexes[i], d->allow_regex_lens[i], jit, err, idx, "allow regex", &st)))
        return st;
    }
  }
  if (d->nallow_paths) {
    if (!(r->paths = (pcre2_code **)calloc(d->nallow_paths, sizeof *r->paths))) return VL_ENOMEM;
    for (i = 0; i < d->nallow_paths; i++, r->npaths++) {
      if (!(r->paths[i] = compile_re(d->allow_paths[i], d->allow_path_lens[i], jit, err, idx, "allow path", &st)))
        return st;
    }
  }
  if (d->nstopwords) {
    r->stop = (char **)calloc(d->nstopwords, sizeof *r->stop);
    r->stoplen = (size_t *)calloc(d->nstopwords, sizeof *r->stoplen);
    if (!r->stop || !r->stoplen) return VL_ENOMEM;
    for (i = 0; i < d->nstopwords; i++, r->nstop++) {
      size_t k;
      if (!(r->stop[i] = dupmem(d->stopwords[i], d->stopword_lens[i]))) return VL_ENOMEM;
      for (k = 0; k < d->stopword_lens[i]; k++) r->stop[i][k] = (char)vl_ascii_lower((unsigned char)r->stop[i][k]);
      r->stoplen[i] = d->stopword_lens[i];
    }
  }
  if (d->nkeywords) {
    r->kws = (char **)calloc(d->nkeywords, sizeof *r->kws);
    r->kwlens = (size_t *)calloc(d->nkeywords, sizeof *r->kwlens);
    if (!r->kws || !r->kwlens) return VL_ENOMEM;
    for (i = 0; i < d->nkeywords; i++, r->nkw++) {
      size_t k;
      if (!d->keywords[i] || d->keyword_lens[i] == 0) return bad(err, idx, "keywords", "empty keyword");
      if (!(r->kws[i] = dupmem(d->keywords[i], d->keyword_lens[i]))) return VL_ENOMEM;
      for (k = 0; k < d->keyword_lens[i]; k++) r->kws[i][k] = (char)vl_ascii_lower((unsigned char)r->kws[i][k]);
      r->kwlens[i] = d->keyword_lens[i];
    }
  } else {
    char lit[256];
    size_t k, n = derive_literal(d->regex, d->regex_len, lit, sizeof lit);
    if (n) {
      r->kws = (char **)calloc(1, sizeof *r->kws);
      r->kwlens = (size_t *)calloc(1, sizeof *r->kwlens);
      if (!r->kws || !r->kwlens || !(r->kws[0] = dupmem(lit, n))) return VL_ENOMEM;
      for (k = 0; k < n; k++) r->kws[0][k] = (char)vl_ascii_lower((unsigned char)r->kws[0][k]);
      r->kwlens[0] = n;
      r->nkw = 1;
    }
  }
  vl_secrets_lead(d->regex, d->regex_len, (const char *const *)r->kws, r->kwlens, r->nkw, &r->lead);
  return VL_OK;
}

typedef struct kwent {
  const char *p;
  size_t n;
  uint32_t rule;
} kwent;

static int kwcmp(const void *a, const void *b)
{
  const kwent *x = (const kwent *)a, *y = (const kwent *)b;
  size_t m = x->n < y->n ? x->n : y->n;
  int c = memcmp(x->p, y->p, m);
  if (c) return c;
  if (x->n != y->n) return x->n < y->n ? -1 : 1;
  return x->rule < y->rule ? -1 : x->rule > y->rule;
}

int vl_secrets_compile(const vl_secrets_rule *rules, size_t nrules, const vl_secrets_opts *opts,
                       vl_secrets **out, vl_secrets_error *err)
{
  vl_secrets *s;
  size_t i, j, total = 0, max_kw, max_rules, ndist = 0;
  kwent *ents = NULL;
  const char **pats = NULL;
  size_t *plens = NULL;
  int st = VL_OK;
  vl_ac_opts ao;
  *out = NULL;
  if (err) { err->rule = SIZE_MAX; err->what = ""; err->offset = 0; err->message[0] = 0; }
  if (!rules || nrules == 0) return VL_EINVAL;
  max_kw = opts && opts->max_keywords ? opts->max_keywords : VL_SECRETS_DEFAULT_MAX_KEYWORDS;
  max_rules = opts && opts->max_rules ? opts->max_rules : VL_SECRETS_DEFAULT_MAX_RULES;
  if (nrules > max_rules) {
    if (err) snprintf(err->message, sizeof err->message, "%zu rules (at most %zu)", nrules, max_rules);
    return VL_ELIMIT;
  }
  for (i = 0; i < nrules; i++) total += rules[i].nkeywords;
  if (total > max_kw) {
    if (err) snprintf(err->message, sizeof err->message, "%zu keywords (at most %zu)", total, max_kw);
    return VL_ELIMIT;
  }
  if (!(s = (vl_secrets *)calloc(1, sizeof *s))) return VL_ENOMEM;
  if (!(s->rules = (rule_c *)calloc(nrules, sizeof *s->rules))) { free(s); return VL_ENOMEM; }
  s->jit = !(opts && opts->no_jit);
  if (s->jit) {
    uint32_t have = 0;
    pcre2_config(PCRE2_CONFIG_JIT, &have);
    s->jit = have != 0;
  }
  for (i = 0; i < nrules; i++) {
    uint32_t g = 0;
    s->nrules = i + 1;
    st = compile_rule(&s->rules[i], &rules[i], i, s->jit, err);
    if (st) goto fail;
    pcre2_pattern_info(s->rules[i].re, PCRE2_INFO_CAPTURECOUNT, &g);
    if (g > s->max_groups) s->max_groups = g;
  }
  /* the keyword automaton: distinct lowercased keywords, each with its rules */
  total = 0;
  for (i = 0; i < nrules; i++) total += s->rules[i].nkw;
  if (!(s->whole = (uint32_t *)calloc(nrules, sizeof *s->whole))) { st = VL_ENOMEM; goto fail; }
  for (i = 0; i < nrules; i++) if (s->rules[i].nkw == 0) s->whole[s->nwhole++] = (uint32_t)i;
  if (total) {
    size_t k = 0, e = 0;
    ents = (kwent *)malloc(total * sizeof *ents);
    if (!ents) { st = VL_ENOMEM; goto fail; }
    for (i = 0; i < nrules; i++)
      for (j = 0; j < s->rules[i].nkw; j++, k++) {
        ents[k].p = s->rules[i].kws[j];
        ents[k].n = s->rules[i].kwlens[j];
        ents[k].rule = (uint32_t)i;
      }
    qsort(ents, total, sizeof *ents, kwcmp);
    pats = (const char **)malloc(total * sizeof *pats);
    plens = (size_t *)malloc(total * sizeof *plens);
    s->kw_off = (size_t *)calloc(total + 1, sizeof *s->kw_off);
    s->kw_rules = (uint32_t *)malloc(total * sizeof *s->kw_rules);
    s->kw_win = (uint32_t *)malloc(total * sizeof *s->kw_win);
    if (!pats || !plens || !s->kw_off || !s->kw_rules || !s->kw_win) { st = VL_ENOMEM; goto fail; }
    for (k = 0; k < total; k++) {
      int same = k > 0 && ents[k].n == ents[k - 1].n && memcmp(ents[k].p, ents[k - 1].p, ents[k].n) == 0;
      if (!same) {
        pats[ndist] = ents[k].p;
        plens[ndist] = ents[k].n;
        s->kw_off[ndist] = e;
        ndist++;
      } else if (s->kw_rules[e - 1] == ents[k].rule) {
        continue;  /* a rule listing one keyword twice */
      }
      {
        const rule_c *r = &s->rules[ents[k].rule];
        s->kw_win[e] = r->lead.ok && r->lead.max < r->window ? r->lead.max : r->window;
      }
      s->kw_rules[e++] = ents[k].rule;
    }
    s->kw_off[ndist] = e;
    s->nkw = ndist;
    memset(&ao, 0, sizeof ao);
    ao.case_insensitive = 1;
    ao.max_bytes = opts ? opts->max_ac_bytes : 0;
    st = vl_ac_build(pats, plens, ndist, &ao, &s->ac);
    if (st) {
      if (err && st == VL_ELIMIT) snprintf(err->message, sizeof err->message, "the keyword automaton is over its memory cap");
      goto fail;
    }
    s->kw_p = pats;
    s->kw_n = plens;
    pats = NULL;
    plens = NULL;
    for (i = 0; i < s->nkw && s->kw_n[i] >= 2; i++) {}
    if (!(opts && opts->use_ac) && i == s->nkw && (st = vl_pairs_build(s->kw_p, s->kw_n, s->nkw, &s->pairs)) != VL_OK)
      goto fail;
  }
  free(ents);
  free(pats);
  free(plens);
  *out = s;
  return VL_OK;
fail:
  free(ents);
  free(pats);
  free(plens);
  vl_secrets_free(s);
  return st;
}

size_t vl_secrets_nrules(const vl_secrets *s) { return s->nrules; }
const char *vl_secrets_rule_id(const vl_secrets *s, size_t rule) { return s->rules[rule].id; }
size_t vl_secrets_nwhole(const vl_secrets *s) { return s->nwhole; }
size_t vl_secrets_nkeywords(const vl_secrets *s) { return s->nkw; }
int vl_secrets_jit(const vl_secrets *s) { return s->jit; }

const char *vl_secrets_prefilter(const vl_secrets *s)
{
  if (s->pairs) return "pairs";
  return s->ac ? "aho-corasick" : "none";
}

int vl_secrets_rule_lead(const vl_secrets *s, size_t rule, uint32_t *max, int *single, int *tail)
{
  const vl_lead *l = &s->rules[rule].lead;
  *max = l->max;
  *single = l->single;
  *tail = l->tail;
  return l->ok;
}

size_t vl_secrets_rule_keywords(const vl_secrets *s, size_t rule, const char *const **kws, const size_t **lens)
{
  *kws = (const char *const *)s->rules[rule].kws;
  *lens = s->rules[rule].kwlens;
  return s->rules[rule].nkw;
}

/* ------------------------------------------------------------------------- */
/* scan */

typedef struct win {
  uint64_t a, b;  /* start positions a..b inclusive */
} win;

typedef struct winlist {
  win *w;
  size_t n, cap;
  win cur;
  int has;
} winlist;

struct scanst {
  const vl_secrets *s;
  winlist *wl;          /* per rule */
  pcre2_match_data *md;
  pcre2_match_context *mc;
  const unsigned char *buf;  /* the input being scanned, n bytes */
  size_t n;
  int oom;
  uint64_t *nl;         /* newline checkpoints of the vector pass */
  size_t nlcap;
  size_t nl_upto;       /* checkpoints valid for positions below this (0: none) */
};

static int push_win(winlist *l, win w)
{
  if (l->n == l->cap) {
    size_t nc = l->cap ? l->cap * 2 : 8;
    win *nw = (win *)realloc(l->w, nc * sizeof *nw);
    if (!nw) return VL_ENOMEM;
    l->w = nw;
    l->cap = nc;
  }
  l->w[l->n++] = w;
  return VL_OK;
}

static void add_win(scanst *st, uint32_t rule, uint64_t a, uint64_t b)
{
  winlist *l = &st->wl[rule];
  if (st->s->rules[rule].lead.single ? l->has && a == l->cur.a
                                     : l->has && a <= l->cur.b + 1 && b + 1 >= l->cur.a) {
    if (a < l->cur.a) l->cur.a = a;
    if (b > l->cur.b) l->cur.b = b;
    return;
  }
  if (l->has && push_win(l, l->cur)) st->oom = 1;
  l->cur.a = a;
  l->cur.b = b;
  l->has = 1;
}

/* Can a match of rule r's regex have its keyword group at y (vl_lead's tail)? */
static int tail_ok(const vl_lead *l, const unsigned char *buf, size_t n, uint64_t y)
{
  int k;
  for (k = 0; k < l->nstr; k++) {
    const unsigned char *w = (const unsigned char *)l->strs + (size_t)k * VL_LEAD_STR;
    size_t len = l->str_len[k];
    uint64_t x, lim;
    if (len > n - y || !vl_ascii_eq_lower(buf + y, w, len)) continue;
    for (x = y + len, lim = x + l->tail_max; x < n && x <= lim; x++) {
      unsigned c = buf[x];
      if (l->tail_first[c >> 3] >> (c & 7) & 1) return 1;
      if (!(l->tail_cls[c >> 3] >> (c & 7) & 1)) break;
    }
  }
  return 0;
}

static int on_hit(void *ud, uint32_t id, uint64_t start, uint64_t end)
{
  scanst *st = (scanst *)ud;
  const vl_secrets *s = st->s;
  size_t k;
  (void)end;
  for (k = s->kw_off[id]; k < s->kw_off[id + 1]; k++) {
    uint32_t r = s->kw_rules[k];
    uint64_t w = s->kw_win[k], a = start > w ? start - w : 0;
    if (s->rules[r].lead.tail && !tail_ok(&s->rules[r].lead, st->buf, st->n, start)) continue;
    if (s->rules[r].lead.ok) {  /* only from the start of the run of lead bytes before the hit */
      const uint8_t *cls = s->rules[r].lead.cls;
      uint64_t x = start;
      while (x > a && (cls[st->buf[x - 1] >> 3] >> (st->buf[x - 1] & 7) & 1)) x--;
      a = x;
    }
    add_win(st, r, a, start);
  }
  return 0;
}

static void pair_hit(void *ud, uint32_t id, size_t pos)
{
  on_hit(ud, id, pos, pos);
}

static int wincmp(const void *x, const void *y)
{
  const win *a = (const win *)x, *b = (const win *)y;
  return a->a < b->a ? -1 : a->a > b->a;
}

static void scanst_free(scanst *st)
{
  size_t i;
  if (st->wl) for (i = 0; i < st->s->nrules; i++) free(st->wl[i].w);
  free(st->wl);
  pcre2_match_data_free(st->md);
  pcre2_match_context_free(st->mc);
  free(st->nl);
}

static int scanst_init(scanst *st, const vl_secrets *s)
{
  memset(st, 0, sizeof *st);
  st->s = s;
  st->wl = (winlist *)calloc(s->nrules, sizeof *st->wl);
  st->md = pcre2_match_data_create(s->max_groups + 1, NULL);
  st->mc = pcre2_match_context_create(NULL);
  if (!st->wl || !st->md || !st->mc) {
    scanst_free(st);
    return VL_ENOMEM;
  }
  return VL_OK;
}

static int add_finding(vl_secrets_result *res, const vl_secrets_finding *f)
{
  if (res->n == res->cap) {
    size_t nc = res->cap ? res->cap * 2 : 16;
    vl_secrets_finding *ni = (vl_secrets_finding *)realloc(res->items, nc * sizeof *ni);
    if (!ni) return VL_ENOMEM;
    res->items = ni;
    res->cap = nc;
  }
  res->items[res->n++] = *f;
  return VL_OK;
}

static int add_limited(vl_secrets_result *res, uint32_t rule, uint64_t off, int code)
{
  if (res->nlimited == res->limcap) {
    size_t nc = res->limcap ? res->limcap * 2 : 4;
    vl_secrets_limited *nl = (vl_secrets_limited *)realloc(res->limited, nc * sizeof *nl);
    if (!nl) return VL_ENOMEM;
    res->limited = nl;
    res->limcap = nc;
  }
  res->limited[res->nlimited].rule = rule;
  res->limited[res->nlimited].offset = off;
  res->limited[res->nlimited].code = code;
  res->nlimited++;
  return VL_OK;
}

static int contains_ci(const unsigned char *h, size_t hn, const char *nd, size_t nn)
{
  size_t i;
  if (nn > hn) return 0;
  for (i = 0; i + nn <= hn; i++)
    if (vl_ascii_eq_lower(h + i, (const unsigned char *)nd, nn)) return 1;
  return 0;
}

static int any_match(pcre2_code *const *res, size_t n, const unsigned char *p, size_t len, pcre2_match_data *md)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (pcre2_match(res[i], (PCRE2_SPTR)p, len, 0, 0, md, NULL) >= 0) return 1;
  return 0;
}

/* Does the secret pass the rule's gates? */
static int keep_secret(const rule_c *r, const unsigned char *p, size_t n, pcre2_match_data *md)
{
  size_t i;
  if (r->entropy > 0 && vl_secrets_entropy(p, n) < r->entropy) return 0;
  for (i = 0; i < r->nstop; i++)
    if (contains_ci(p, n, r->stop[i], r->stoplen[i])) return 0;
  if (r->nallow && any_match(r->allow, r->nallow, p, n, md)) return 0;
  return 1;
}

/* Run rule r over its start windows; findings into res. With `first`, only the
 * first position of a window (or the end of the previous match, when later) can
 * start the leftmost match (secrets_lead.h: a single lead shifts), so each try
 * is limited to that one position. */
static int run_rule(scanst *st, uint32_t ri, const unsigned char *buf, size_t n, const win *w, size_t nw, int first,
                    vl_secrets_result *res)
{
  const rule_c *r = &st->s->rules[ri];
  uint64_t pos = 0;
  size_t k;
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
  pcre2_set_match_limit(st->mc, r->match_limit);
  pcre2_set_depth_limit(st->mc, r->depth_limit);
  for (k = 0; k < nw; k++) {
    uint64_t p = w[k].a > pos ? w[k].a : pos;
    if (p > n) break;
    pcre2_set_offset_limit(st->mc, (PCRE2_SIZE)w[k].b);
    while (p <= w[k].b && p <= n) {
      if (first) pcre2_set_offset_limit(st->mc, (PCRE2_SIZE)p);
      /* the JIT fast path skips pcre2_match's per-call checks (offset limit and
       * match limit still apply); the interpreter when JIT compilation failed */
      int rc = r->jitted ? pcre2_jit_match(r->re, (PCRE2_SPTR)buf, n, (PCRE2_SIZE)p, 0, st->md, st->mc)
                         : pcre2_match(r->re, (PCRE2_SPTR)buf, n, (PCRE2_SIZE)p, 0, st->md, st->mc);
      uint64_t ms, me;
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) {
        int code = rc == PCRE2_ERROR_NOMEMORY ? VL_ENOMEM : VL_ELIMIT;
        return add_limited(res, ri, p, code) ? VL_ENOMEM : VL_OK;
      }
      ms = ov[0];
      me = ov[1];
      if (me > ms) {
        PCRE2_SIZE gs = ov[2 * r->group], ge = ov[2 * r->group + 1];
        if ((int)r->group < rc && gs != PCRE2_UNSET && ge > gs &&
            keep_secret(r, buf + gs, ge - gs, st->md)) {
          vl_secrets_finding f;
          memset(&f, 0, sizeof f);
          f.rule = ri;
          f.start = ms;
          f.end = me;
          f.sstart = gs;
          f.send = ge;
          if (add_finding(res, &f)) return VL_ENOMEM;
        }
        pos = me;
      } else {
        pos = ms + 1;
      }
      p = pos;
    }
  }
  return VL_OK;
}

static int fcmp(const void *x, const void *y)
{
  const vl_secrets_finding *a = (const vl_secrets_finding *)x, *b = (const vl_secrets_finding *)y;
  if (a->sstart != b->sstart) return a->sstart < b->sstart ? -1 : 1;
  if (a->send != b->send) return a->send > b->send ? -1 : 1;
  if (a->rule != b->rule) return a->rule < b->rule ? -1 : 1;
  return a->start < b->start ? -1 : a->start > b->start;
}

static uint64_t fingerprint(const char *file, const char *rule, const unsigned char *p, size_t n)
{
  XXH3_state_t xs;
  static const char zero = 0;
  XXH3_64bits_reset(&xs);
  XXH3_64bits_update(&xs, file, strlen(file));
  XXH3_64bits_update(&xs, &zero, 1);
  XXH3_64bits_update(&xs, rule, strlen(rule));
  XXH3_64bits_update(&xs, &zero, 1);
  XXH3_64bits_update(&xs, p, n);
  return XXH3_64bits_digest(&xs);
}

/* Sort, merge overlapping secrets, then lines, columns and fingerprints. */
static void finish_findings(const vl_secrets *s, const char *file, const unsigned char *buf,
                            vl_secrets_result *res, const uint64_t *nl, size_t nl_upto)
{
  size_t i, m = 0;
  uint64_t pos = 0, line = 1, bol = 0;
  if (res->n > 1) qsort(res->items, res->n, sizeof *res->items, fcmp);
  for (i = 0; i < res->n; i++) {
    vl_secrets_finding *f = &res->items[i];
    if (m > 0 && f->sstart < res->items[m - 1].send) {
      vl_secrets_finding *c = &res->items[m - 1];
      if (f->send > c->send) c->send = f->send;
      if (f->start < c->start) c->start = f->start;
      if (f->end > c->end) c->end = f->end;
      continue;
    }
    res->items[m++] = *f;
  }
  res->n = m;
  for (i = 0; i < m; i++) {
    vl_secrets_finding *f = &res->items[i];
    if (pos < f->sstart) {
      uint64_t j = f->sstart;
      uint64_t k = f->sstart >> NL_SHIFT;
      if (nl_upto && (k << NL_SHIFT) > pos && (k << NL_SHIFT) <= nl_upto) {
        /* jump to the checkpoint counted during the vector pass */
        line = 1 + nl[k];
        pos = k << NL_SHIFT;
      }
      line += vl_secrets_count_nl(buf + pos, (size_t)(f->sstart - pos));
      while (j > 0 && buf[j - 1] != '\n') j--;
      bol = j;
      pos = f->sstart;
    }
    f->line = (uint32_t)line;
    f->col = (uint32_t)(f->sstart - bol + 1);
    f->fingerprint = fingerprint(file, s->rules[f->rule].id, buf + f->sstart, (size_t)(f->send - f->sstart));
  }
}

static int scan_with(scanst *st, const char *file, const unsigned char *buf, size_t n, int naive,
                     vl_secrets_result *res)
{
  const vl_secrets *s = st->s;
  size_t i;
  int rc = VL_OK;
  res->n = 0;
  res->nlimited = 0;
  if (!file) file = "";
  for (i = 0; i < s->nrules; i++) {
    st->wl[i].n = 0;
    st->wl[i].has = 0;
  }
  st->oom = 0;
  st->nl_upto = 0;
  st->buf = buf;
  st->n = n;
  if (naive) {
    for (i = 0; i < s->nrules; i++) add_win(st, (uint32_t)i, 0, n);
  } else {
    for (i = 0; i < s->nwhole; i++) add_win(st, s->whole[i], 0, n);
    if (s->pairs) {
      size_t need = (n >> NL_SHIFT) + 1;
      if (need > st->nlcap) {
        uint64_t *nn = (uint64_t *)realloc(st->nl, need * sizeof *nn);
        if (!nn) return VL_ENOMEM;
        st->nl = nn;
        st->nlcap = need;
      }
    }
    if (s->pairs) {
      st->nl_upto = vl_pairs_scan(s->pairs, buf, n, pair_hit, st, st->nl, NL_SHIFT);
    } else if (s->ac) {
      vl_ac_scan sc;
      vl_ac_scan_init(&sc);
      vl_ac_scan_all(s->ac, &sc, buf, n, on_hit, st);
    }
  }
  if (st->oom) return VL_ENOMEM;
  for (i = 0; i < s->nrules && rc == VL_OK; i++) {
    winlist *l = &st->wl[i];
    const rule_c *r = &s->rules[i];
    size_t k, m = 0;
    int first;
    if (!l->has) continue;
    if (push_win(l, l->cur)) return VL_ENOMEM;
    if (r->npaths && file[0] && any_match(r->paths, r->npaths, (const unsigned char *)file, strlen(file), st->md))
      continue;
    /* sort (the automaton's hits arrive by keyword end) and merge (with a single
     * lead, only windows that start at the same position) */
    first = !naive && r->lead.single;
    if (l->n > 1) {
      for (k = 1; k < l->n && l->w[k - 1].a <= l->w[k].a; k++) {}
      if (k < l->n) qsort(l->w, l->n, sizeof *l->w, wincmp);  /* the pair filter's hits come sorted */
      for (k = 1; k < l->n; k++) {
        if (first ? l->w[k].a == l->w[m].a : l->w[k].a <= l->w[m].b + 1) {
          if (l->w[k].b > l->w[m].b) l->w[m].b = l->w[k].b;
        } else {
          l->w[++m] = l->w[k];
        }
      }
      l->n = m + 1;
    }
    rc = run_rule(st, (uint32_t)i, buf, n, l->w, l->n, first, res);
  }
  if (rc) return rc;
  finish_findings(s, file, buf, res, st->nl, st->nl_upto);
  return VL_OK;
}

int vl_secrets_scan(const vl_secrets *s, const char *file, const void *buf, size_t n, int naive,
                    vl_secrets_result *res)
{
  scanst st;
  int rc;
  if (scanst_init(&st, s)) return VL_ENOMEM;
  rc = scan_with(&st, file, (const unsigned char *)(buf ? buf : ""), buf ? n : 0, naive, res);
  scanst_free(&st);
  return rc;
}

void vl_secrets_result_free(vl_secrets_result *r)
{
  if (!r) return;
  free(r->items);
  free(r->limited);
  memset(r, 0, sizeof *r);
}

static int read_file(const char *path, size_t max_bytes, unsigned char **buf, size_t *len)
{
  FILE *f = fopen(path, "rb");
  size_t cap = 65536, n = 0;
  unsigned char *b;
  *buf = NULL;
  *len = 0;
  if (!f) return VL_EIO;
  if (!(b = (unsigned char *)malloc(cap))) { fclose(f); return VL_ENOMEM; }
  for (;;) {
    size_t got;
    if (n == cap) {
      unsigned char *nb;
      cap *= 2;
      if (!(nb = (unsigned char *)realloc(b, cap))) { free(b); fclose(f); return VL_ENOMEM; }
      b = nb;
    }
    got = fread(b + n, 1, cap - n, f);
    n += got;
    if (max_bytes && n > max_bytes) { free(b); fclose(f); *len = n; return VL_ELIMIT; }
    if (got == 0) break;
  }
  if (ferror(f)) { free(b); fclose(f); return VL_EIO; }
  fclose(f);
  *buf = b;
  *len = n;
  return VL_OK;
}

int vl_secrets_scan_files(const vl_secrets *s, const char *const *files, size_t nfiles, size_t max_bytes,
                          int jobs, vl_secrets_result *res)
{
  long i, nf = (long)nfiles;
  int oom = 0;
  int nt = jobs;
#ifdef _OPENMP
  if (nt <= 0) nt = omp_get_max_threads();
#else
  nt = 1;
#endif
  (void)nt;
  VL_OMP("omp parallel num_threads(nt) if(nt > 1 && nfiles > 1) reduction(|:oom)")
  {
    scanst st;
    int ok = scanst_init(&st, s) == VL_OK;
    if (!ok) oom = 1;
    VL_OMP("omp for schedule(dynamic, 1)")
    for (i = 0; i < nf; i++) {
      unsigned char *buf = NULL;
      size_t len = 0;
      int rc;
      if (!ok) continue;
      rc = read_file(files[i], max_bytes, &buf, &len);
      res[i].n = 0;
      res[i].nlimited = 0;
      res[i].bytes = len;
      res[i].status = rc == VL_ENOMEM ? VL_OK : rc;
      if (rc == VL_ENOMEM) oom = 1;
      if (rc == VL_OK && scan_with(&st, files[i], buf, len, 0, &res[i]) != VL_OK) oom = 1;
      free(buf);
    }
    if (ok) scanst_free(&st);
  }
  return oom ? VL_ENOMEM : VL_OK;
}
