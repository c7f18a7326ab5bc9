/*
 * fuzz_secrets.c: libFuzzer target for the secret scanner (core/secrets.h).
 *
 * A fixed small rule set (keywords explicit, derived, and none: a whole-input
 * rule; a 2-byte keyword; a secret group, an entropy gate, stopwords, an allow
 * regex, a start window) is compiled three ways: the default keyword method (the pair filter),
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

static vl_secrets *sets[3];

static void init(void)
{
  vl_secrets_rule r[6];
  vl_secrets_opts o[3];
  int k;
  memset(r, 0, sizeof r);
  r[0].id = "t1";
  r[0].regex = "tok[0-9]{2,6}";
  r[1].id = "t2";
  r[1].regex = "(?i)key=([a-z]{3,8})";
  r[1].keywords = KW_KEY;
  r[1].keyword_lens = KW_KEY_N;
  r[1].nkeywords = 1;
  r[1].secret_group = 1;
  r[1].entropy = 1.0;
  r[1].allow_regexes = ALLOW;
  r[1].allow_regex_lens = ALLOW_N;
  r[1].nallow_regexes = 1;
  r[2].id = "t3";
  r[2].regex = "[0-9]{3}-[0-9]{4}";
  r[3].id = "t4";
  r[3].regex = "sec:([a-z0-9]{4,10})";
  r[3].keywords = KW_SEC;
  r[3].keyword_lens = KW_SEC_N;
  r[3].nkeywords = 1;
  r[3].secret_group = 1;
  r[3].stopwords = STOP;
  r[3].stopword_lens = STOP_N;
  r[3].nstopwords = 1;
  r[4].id = "t5";
  r[4].regex = "\\b[a-z_]{0,6}pass[a-z]*=([^ \\n]{2,12})";
  r[4].keywords = KW_W;
  r[4].keyword_lens = KW_W_N;
  r[4].nkeywords = 1;
  r[4].secret_group = 1;
  r[4].window = 8;
  r[5].id = "t6";  /* a 2-byte keyword (the pair filter's shortest class) that begins every match (window 0) */
  r[5].regex = "(?i)\\bzq[0-9]{3}";
  r[5].keywords = KW_ZQ;
  r[5].keyword_lens = KW_ZQ_N;
  r[5].nkeywords = 1;
  r[5].window = 64;
  for (k = 0; k < 6; k++) r[k].regex_len = strlen(r[k].regex);
  memset(o, 0, sizeof o);
  o[1].use_ac = 1;
  o[2].no_jit = 1;
  for (k = 0; k < 3; k++) CHECK(vl_secrets_compile(r, 6, &o[k], &sets[k], NULL) == VL_OK);
  CHECK(vl_secrets_nwhole(sets[0]) == 1);
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
