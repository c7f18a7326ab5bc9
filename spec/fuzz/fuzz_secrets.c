/*
 * fuzz_secrets.c: libFuzzer target for the secret scanner (core/secrets.h).
 *
 * A fixed small rule set (keywords explicit, derived, and none: a whole-input
 * rule; a 2-byte keyword; a secret group, an entropy gate, stopwords, an allow
 * regex, a start window, a gitleaks-style lead before a keyword group) is compiled three ways: the default keyword method (the pair filter),
 * the Aho-Corasick automaton, and the pair filter with PCRE2's interpreter instead of its JIT.
 * The input is the text. Checks, on every input:
 *   - the three ways and the naive path (every regex over the whole input)
 *     give the same findings: rule, ranges, line, column, fingerprint;
 *   - findings are sorted, do not overlap, lie inside the input, and line/column
 *     agree with a direct count of the newlines before the secret;
 *   - nothing hits a match limit on these linear rules.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const KW_KEY[] = {"key="};
static const size_t KW_KEY_N[] = {4};
static const char *const KW_SEC[] = {"sec:"};
static const size_t KW_SEC_N[] = {4};
static const char *const STOP[] = {"bad"};
static const size_t STOP_N[] = {3};
static const char *const ALLOW[] = {"^zz"};
static const size_t ALLOW_N[] = {3};
static const char *const KW_W[] = {"pass"};
static const size_t KW_W_N[] = {4};
static const char *const KW_ZQ[] = {"zq"};
static const size_t KW_ZQ_N[] = {2};
static const char *const KW_G[] = {"tok", "ke"};
static const size_t KW_G_N[] = {3, 2};

static vl_secrets *sets[3];

/* A rule with keywords, a secret group and a start window. */
static void kw_rule(vl_secrets_rule *r, const char *id, const char *re, const char *const *kw, const size_t *kwn,
                    size_t nkw, uint32_t group, uint32_t window)
{
  r->id = id;
  r->regex = re;
  r->keywords = kw;
  r->keyword_lens = kwn;
  r->nkeywords = nkw;
  r->secret_group = group;
  r->window = window;
}

static void init(void)
{
  vl_secrets_rule r[7];
  vl_secrets_opts o[3];
  int k;
  memset(r, 0, sizeof r);
  r[0].id = "t1";
  r[0].regex = "tok[0-9]{2,6}";
  kw_rule(&r[1], "t2", "(?i)key=([a-z]{3,8})", KW_KEY, KW_KEY_N, 1, 1, 0);
  r[1].entropy = 1.0;
  r[1].allow_regexes = ALLOW;
  r[1].allow_regex_lens = ALLOW_N;
  r[1].nallow_regexes = 1;
  r[2].id = "t3";
  r[2].regex = "[0-9]{3}-[0-9]{4}";
  kw_rule(&r[3], "t4", "sec:([a-z0-9]{4,10})", KW_SEC, KW_SEC_N, 1, 1, 0);
  r[3].stopwords = STOP;
  r[3].stopword_lens = STOP_N;
  r[3].nstopwords = 1;
  kw_rule(&r[4], "t5", "\\b[a-z_]{0,6}pass[a-z]*=([^ \\n]{2,12})", KW_W, KW_W_N, 1, 1, 8);
  /* a 2-byte keyword (the pair filter's shortest class) that begins every match (window 0) */
  kw_rule(&r[5], "t6", "(?i)\\bzq[0-9]{3}", KW_ZQ, KW_ZQ_N, 1, 0, 64);
  /* gitleaks' generic shape: a single shifting lead (one try per window) and a tail */
  kw_rule(&r[6], "t7", "(?i)[\\w.-]{0,6}?(?:tok|key?)[ \\t\\w.-]{0,3}[=:]{1,2}([a-z0-9]{3,9})", KW_G, KW_G_N, 2, 1,
          16);
  for (k = 0; k < 7; k++) r[k].regex_len = strlen(r[k].regex);
  memset(o, 0, sizeof o);
  o[1].use_ac = 1;
  o[2].no_jit = 1;
  for (k = 0; k < 3; k++) CHECK(vl_secrets_compile(r, 7, &o[k], &sets[k], NULL) == VL_OK);
  CHECK(vl_secrets_nwhole(sets[0]) == 1);
  {
    uint32_t max;
    int single, tail;
    CHECK(vl_secrets_rule_lead(sets[0], 6, &max, &single, &tail) && max == 6 && single && tail);
  }
}

static void same(const vl_secrets_result *a, const vl_secrets_result *b)
{
  size_t i;
  CHECK(a->n == b->n);
  for (i = 0; i < a->n; i++) {
    const vl_secrets_finding *x = &a->items[i], *y = &b->items[i];
    CHECK(x->rule == y->rule && x->start == y->start && x->end == y->end);
    CHECK(x->sstart == y->sstart && x->send == y->send);
    CHECK(x->line == y->line && x->col == y->col && x->fingerprint == y->fingerprint);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  vl_secrets_result res[4];
  size_t i, k;
  if (!sets[0]) init();
  memset(res, 0, sizeof res);
  for (k = 0; k < 3; k++) CHECK(vl_secrets_scan(sets[k], "f", data, size, 0, &res[k]) == VL_OK);
  CHECK(vl_secrets_scan(sets[0], "f", data, size, 1, &res[3]) == VL_OK);
  for (k = 1; k < 4; k++) same(&res[0], &res[k]);
  for (k = 0; k < 4; k++) CHECK(res[k].nlimited == 0);
  for (i = 0; i < res[0].n; i++) {
    const vl_secrets_finding *f = &res[0].items[i];
    size_t j, line = 1, bol = 0;
    CHECK(f->start <= f->sstart && f->sstart < f->send && f->send <= f->end && f->end <= size);
    if (i) CHECK(res[0].items[i - 1].send <= f->sstart);
    for (j = 0; j < f->sstart; j++)
      if (data[j] == '\n') { line++; bol = j + 1; }
    CHECK(f->line == line && f->col == f->sstart - bol + 1);
  }
  for (k = 0; k < 4; k++) vl_secrets_result_free(&res[k]);
  return 0;
}
