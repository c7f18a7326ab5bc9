/* test_kat.c: known-answer tests of the pure-C kernels through their C APIs (no Lua):
 * signature, dedup, Aho-Corasick (and its anchored word search against the stream on
 * random sets), the secret scanner's pair filter against a naive search on random sets, stream filter, json_repair, graph, similarity, HNSW,
 * the file walker over a tree it writes, and the
 * indexer (tree-sitter) over files of that tree. Portable C99 (the only OS calls are
 * mkdir/rmdir for the temporary tree): it builds natively (build/tests/test_kat) and
 * with mingw-w64 (build/windows/test_kat.exe, run under wine64 by `make test-windows`).
 * The expected values are those of the specs named at each case (spec/<kernel>_spec.lua).
 * Prints one line per failure and the summary "test_kat: N passed, M failed". */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _WIN32
#include <direct.h>
#define kat_mkdir(p) _mkdir(p)
#define kat_rmdir(p) _rmdir(p)
#else
#include <sys/stat.h>
#include <unistd.h>
#define kat_mkdir(p) mkdir(p, 0700)
#define kat_rmdir(p) rmdir(p)
#endif

#include "ac.h"
#include "dedup.h"
#include "graph.h"
#include "hnsw.h"
#include "indexer.h"
#include "json_repair.h"
#include "secrets.h"
#include "secrets_pairs.h"
#include "signature.h"
#include "similarity.h"
#include "stream_filter.h"
#include "vl_platform.h"
#include "walk.h"

static int passed, failed;

static void check(int ok, const char *what, const char *detail) {
  if (ok) {
    passed++;
  } else {
    failed++;
    printf("FAIL %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  }
}

static void check_bytes(const char *what, const char *want, const char *got, size_t got_len) {
  int ok = got != NULL && strlen(want) == got_len && memcmp(want, got, got_len) == 0;
  char detail[512];
  snprintf(detail, sizeof detail, "want [%s], got [%.*s]", want, got ? (int)(got_len > 200 ? 200 : got_len) : 0,
           got ? got : "");
  check(ok, what, ok ? NULL : detail);
}

static void check_close(const char *what, double want, double got, double eps) {
  char detail[128];
  snprintf(detail, sizeof detail, "want %.17g, got %.17g", want, got);
  check(fabs(want - got) <= eps, what, fabs(want - got) <= eps ? NULL : detail);
}

/* spec/signature_spec.lua: canonical form and XXH3-64 of read_file{path="/test.py"}. */
static void test_signature(void) {
  vl_canon c;
  char hex[17];
  vl_canon_init(&c, 0, 0);
  vl_canon_string(&c, "read_file", 9);
  vl_canon_open(&c, '{');
  vl_canon_string(&c, "path", 4);
  vl_canon_string(&c, "/test.py", 8);
  vl_canon_close(&c, '{');
  check(c.status == VL_OK, "signature: canon status", NULL);
  check_bytes("signature: canonical form", "s9:read_file{s4:paths8:/test.py}", (const char *)c.buf, c.len);
  vl_sig_hex64(vl_sig_hash64(c.buf, c.len), hex);
  hex[16] = 0;
  check_bytes("signature: hash64", "e0b351af9a73140e", hex, 16);
  vl_canon_free(&c);
  vl_sig_hex64(vl_sig_hash64("", 0), hex);
  check_bytes("signature: hash64 of empty", "2d06800538d394c2", hex, 16);
  vl_sig_hex64(vl_sig_hash64("s1:t{}", 6), hex);
  check_bytes("signature: hash64 of s1:t{}", "148daa02858cc950", hex, 16);
}

/* spec/dedup_spec.lua: OutputDeduplicator's case and the splitting vectors. */
static void test_dedup(void) {
  static const char text[] = "The quick brown fox jumps\n\nother\n\nTHE  QUICK brown\tfox jumps.\n";
  static const char fence[] = "Text before\n\n```rust\nfn main() {\n\n}\n```\n\nText after";
  vl_dedup d;
  char out[sizeof text];
  size_t n = 0;
  memset(&d, 0, sizeof d);
  check(vl_dedup_scan(&d, text, sizeof text - 1, 20) == VL_OK, "dedup: scan", NULL);
  check(d.nblocks == 3 && d.removed == 1, "dedup: 3 blocks, 1 removed", NULL);
  vl_dedup_render(&d, text, sizeof text - 1, out, &n);
  check_bytes("dedup: output", "The quick brown fox jumps\n\nother\n", out, n);
  vl_dedup_free(&d);
  memset(&d, 0, sizeof d);
  check(vl_dedup_scan(&d, fence, sizeof fence - 1, 1) == VL_OK && d.nblocks == 3 && d.removed == 0,
        "dedup: a fenced block with a blank line is one block", NULL);
  vl_dedup_free(&d);
}

/* Aho-Corasick, the textbook set {he, she, his, hers} over "ushers". */
typedef struct kat_match {
  uint32_t id;
  uint64_t start, end;
} kat_match;
typedef struct kat_matches {
  kat_match m[16];
  size_t n;
} kat_matches;

static int on_match(void *ud, uint32_t id, uint64_t start, uint64_t end) {
  kat_matches *ms = ud;
  if (ms->n < 16) {
    ms->m[ms->n].id = id;
    ms->m[ms->n].start = start;
    ms->m[ms->n].end = end;
  }
  ms->n++;
  return 0;
}

static int match_cmp(const void *a, const void *b) {
  const kat_match *x = a, *y = b;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static void test_ac(void) {
  static const char *const pats[] = { "he", "she", "his", "hers" };
  static const size_t lens[] = { 2, 3, 3, 4 };
  /* sorted by (end, id): she [1,4), he [2,4), hers [2,6) */
  static const kat_match want[] = { { 0, 2, 4 }, { 1, 1, 4 }, { 3, 2, 6 } };
  vl_ac *ac = NULL;
  vl_ac_scan sc;
  kat_matches ms;
  size_t i;
  int ok;
  check(vl_ac_build(pats, lens, 4, NULL, &ac) == VL_OK && ac != NULL, "ac: build", NULL);
  if (!ac) return;
  for (int chunk = 1; chunk <= 6; chunk += 5) { /* one byte at a time, then whole */
    memset(&ms, 0, sizeof ms);
    vl_ac_scan_init(&sc);
    for (i = 0; i < 6; i += (size_t)chunk) vl_ac_scan_all(ac, &sc, "ushers" + i, (size_t)chunk, on_match, &ms);
    ok = ms.n == 3;
    if (ok) {
      qsort(ms.m, 3, sizeof ms.m[0], match_cmp);
      for (i = 0; i < 3; i++)
        ok = ok && ms.m[i].id == want[i].id && ms.m[i].start == want[i].start && ms.m[i].end == want[i].end;
    }
    check(ok, chunk == 1 ? "ac: matches in ushers (byte by byte)" : "ac: matches in ushers", NULL);
  }
  vl_ac_free(ac);
}

/* vl_ac_find_words == a leftmost stream with word boundaries (core/ac.h), on random
 * pattern sets (word and non-word bytes, heads longer than 16 bytes, case
 * variants, duplicates) and texts made of the same pieces, with and without the
 * word index, both leftmost kinds, from 0 and from inside the text. */
typedef struct words_run {
  uint32_t id[512];
  uint64_t start[512], end[512];
  size_t n;
} words_run;

static int on_word_match(void *ud, uint32_t id, uint64_t start, uint64_t end) {
  words_run *r = ud;
  if (r->n < 512) {
    r->id[r->n] = id;
    r->start[r->n] = start;
    r->end[r->n] = end;
  }
  r->n++;
  return 0;
}

static uint32_t kat_rand(uint32_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

static void test_ac_words(void) {
  static const char *const piece[] = { "a", "b", "ab", "Ab", "_", "1", "B", " ", "'", "+", "-", "\xe2\x80\x99",
                                       "aaaaaaaaaaaaaaaaaaab", "ab ab" };
  const size_t npiece = sizeof piece / sizeof piece[0];
  uint32_t x = 2463534242u;
  int iter, bad = 0, runs = 0;
  for (iter = 0; iter < 3000 && bad < 5; iter++) {
    char pbuf[16][64], text[700];
    const char *pats[16];
    size_t lens[16], np = 1 + kat_rand(&x) % 12, i, n = 0, from;
    vl_ac_opts o;
    vl_ac *ac = NULL;
    for (i = 0; i < np; i++) {
      size_t k, parts = 1 + kat_rand(&x) % 3;
      lens[i] = 0;
      for (k = 0; k < parts; k++) {
        const char *pc = piece[kat_rand(&x) % npiece];
        size_t l = strlen(pc);
        if (lens[i] + l < sizeof pbuf[i]) {
          memcpy(pbuf[i] + lens[i], pc, l);
          lens[i] += l;
        }
      }
      pats[i] = pbuf[i];
    }
    while (n < 600) {
      const char *pc = kat_rand(&x) % 3 ? pats[kat_rand(&x) % np] : piece[kat_rand(&x) % npiece];
      size_t l = pc == pats[0] ? lens[0] : strlen(pc);
      for (i = 0; i < np; i++)
        if (pc == pats[i]) l = lens[i];
      if (kat_rand(&x) % 8 == 0) break;
      memcpy(text + n, pc, l);
      n += l;
    }
    from = kat_rand(&x) % 4 == 0 ? kat_rand(&x) % (n + 1) : 0;
    memset(&o, 0, sizeof o);
    o.case_insensitive = (int)(kat_rand(&x) & 1);
    o.word_index = kat_rand(&x) % 3 != 0;
    if (vl_ac_build(pats, lens, np, &o, &ac) != VL_OK) {
      check(0, "ac words: build", NULL);
      return;
    }
    for (int kind = VL_AC_LEFTMOST_FIRST; kind <= VL_AC_LEFTMOST_LONGEST; kind++) {
      static words_run a, b;
      vl_ac_stream *st = NULL;
      int ok;
      a.n = b.n = 0;
      if (vl_ac_stream_new(ac, kind, 1, &st) != VL_OK) {
        check(0, "ac words: stream", NULL);
        break;
      }
      vl_ac_stream_find(st, text, n, from, on_word_match, &a);
      vl_ac_stream_free(st);
      ok = vl_ac_find_words(ac, kind, text, n, from, on_word_match, &b) == 0 && a.n == b.n && a.n <= 512;
      for (i = 0; ok && i < a.n; i++)
        ok = a.id[i] == b.id[i] && a.start[i] == b.start[i] && a.end[i] == b.end[i];
      runs++;
      if (!ok) {
        char d[200];
        snprintf(d, sizeof d, "iteration %d, kind %d, index %d, ci %d: %zu vs %zu matches", iter, kind,
                 o.word_index, o.case_insensitive, a.n, b.n);
        check(0, "ac words: find_words == stream", d);
        bad++;
      }
    }
    vl_ac_free(ac);
  }
  check(bad == 0 && runs == 6000, "ac words: find_words == stream on 6,000 random runs", NULL);
  {
    static const char *const p2[] = { "x" };
    static const size_t l2[] = { 1 };
    vl_ac *ac = NULL;
    words_run r;
    r.n = 0;
    check(vl_ac_build(p2, l2, 1, NULL, &ac) == VL_OK &&
              vl_ac_find_words(ac, VL_AC_STANDARD, "x", 1, 0, on_word_match, &r) == VL_EINVAL && r.n == 0,
          "ac words: the standard kind is refused", NULL);
    vl_ac_free(ac);
  }
}

/* spec/stream_filter_spec.lua: Victor's probes with the <think> pair. */
static void test_stream_filter(void) {
  static const char *const cases[][3] = {
    { "Start <think>thinking here</think> End", "Start  End", "thinking here" },
    { "alpha<think>secret</think>omega", "alphaomega", "secret" },
    { "A</think>B", "A</think>B", "" },
    { "a<think>b</think>c<think>d", "ac", "bd" },
    { "no tags at all", "no tags at all", "" },
  };
  vl_sf_tag tag = { "<think>", "</think>", 7, 8 };
  vl_sf_config *cfg = NULL;
  char content[64], thinking[64];
  size_t i, cn, tn;
  check(vl_sf_config_new(&tag, 1, 0, &cfg, NULL) == VL_OK, "stream_filter: config", NULL);
  if (!cfg) return;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n = strlen(cases[i][0]);
    check(vl_sf_strip(cfg, cases[i][0], n, content, &cn, thinking, &tn) == VL_OK, "stream_filter: strip", NULL);
    check_bytes("stream_filter: content", cases[i][1], content, cn);
    check_bytes("stream_filter: thinking", cases[i][2], thinking, tn);
  }
  /* streaming byte by byte gives the same content */
  {
    const char *s = cases[0][0];
    size_t n = strlen(s), got = 0;
    vl_sf *f = vl_sf_new(cfg, VL_SF_NO_LIMIT);
    vl_sf_out o;
    int ok = f != NULL;
    for (i = 0; ok && i <= n; i++) {
      ok = (i < n ? vl_sf_feed(f, s + i, 1, 0, &o) : vl_sf_finish(f, &o)) == VL_OK;
      if (ok && got + o.content_len < sizeof content) {
        memcpy(content + got, o.content, o.content_len);
        got += o.content_len;
      }
    }
    check(ok, "stream_filter: feed", NULL);
    check_bytes("stream_filter: streamed content", cases[0][1], content, got);
    vl_sf_free(f);
  }
  vl_sf_config_free(cfg);
}

/* spec/json_repair_spec.lua: Victor's probe vectors. */
static void test_json_repair(void) {
  static const char *const cases[][2] = {
    { "{'key': 'value', 'active': True}", "{\"key\": \"value\", \"active\": true}" },
    { "{'msg': 'it\\'s'}", "{\"msg\": \"it's\"}" },
    { "[True, False, None]", "[true, false, null]" },
    { "{'a': 1,}", "{\"a\": 1}" },
    { "['a','b','c']", "[\"a\",\"b\",\"c\"]" },
    { "{'outer': {'inner': [1, 2, {'x': None}]}}", "{\"outer\": {\"inner\": [1, 2, {\"x\": null}]}}" },
    { "[NoneType, isTrue]", "[\"NoneType\", \"isTrue\"]" },
    { "{\"a\": \"True\"}", "{\"a\": \"True\"}" },
  };
  vl_jr *p = vl_jr_new();
  size_t i, n;
  check(p != NULL, "json_repair: new", NULL);
  if (!p) return;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int unchanged = 0;
    const char *out;
    int rc = vl_jr_repair(p, NULL, cases[i][0], strlen(cases[i][0]), &unchanged);
    check(rc == VL_OK, "json_repair: repair", cases[i][0]);
    if (rc != VL_OK) continue;
    if (unchanged) {
      out = cases[i][0];
      n = strlen(out);
    } else {
      out = vl_jr_output(p, &n);
    }
    check_bytes("json_repair", cases[i][1], out, n);
  }
  vl_jr_free(p);
}

/* spec/graph_spec.lua: networkx 3.6's PageRank of a->b, b->c, c->a, c->d. */
static void test_graph(void) {
  static const int32_t src[] = { 0, 1, 2, 2 }, dst[] = { 1, 2, 0, 3 };
  static const double want[] = { 0.21376215407628998, 0.264622288706058, 0.3078534031413619, 0.21376215407628998 };
  vl_graph *g = NULL;
  vl_pagerank_opts o;
  double s[4];
  int it = 0, i;
  check(vl_graph_new(&g, 4, 4, src, dst, NULL, 1, 0, NULL) == VL_OK, "graph: new", NULL);
  if (!g) return;
  vl_pagerank_defaults(&o);
  o.tol = 1e-14;
  o.max_iter = 1000;
  check(vl_graph_pagerank(g, &o, s, &it, NULL) == VL_OK && it > 10, "graph: pagerank", NULL);
  for (i = 0; i < 4; i++) check_close("graph: pagerank score", want[i], s[i], 1e-12);
  vl_graph_free(g);
}

/* Fill a rows x dim matrix (stride padded) from a MINSTD sequence in [-1, 1). */
static float *random_matrix(vl_sim_matrix *m, int64_t rows, int32_t dim, uint32_t seed) {
  uint64_t s = seed;
  m->rows = rows;
  m->dim = dim;
  m->stride = vl_sim_stride(dim);
  m->data = vl_sim_alloc(rows, m->stride);
  if (!m->data) return NULL;
  for (int64_t r = 0; r < rows; r++)
    for (int32_t c = 0; c < dim; c++) {
      s = s * 48271 % 2147483647;
      m->data[r * m->stride + c] = (float)((double)s / 1073741823.5 - 1.0);
    }
  return m->data;
}

/* Cosine top-k on a tiny matrix on every backend the CPU has (hand-computed answers). */
static void test_similarity(void) {
  static const float rows[4][3] = { { 1, 0, 0 }, { 0, 1, 0 }, { 1, 1, 0 }, { 0, 0, 1 } };
  static const float query[3] = { 1, 0.1f, 0 };
  vl_sim_matrix m, q;
  vl_sim_hit hits[3];
  int64_t counts[1], bad = 0;
  int b, r;
  m.rows = 4;
  m.dim = 3;
  m.stride = vl_sim_stride(3);
  m.data = vl_sim_alloc(4, m.stride);
  q.rows = 1;
  q.dim = 3;
  q.stride = m.stride;
  q.data = vl_sim_alloc(1, q.stride);
  if (!m.data || !q.data) {
    check(0, "similarity: alloc", NULL);
    vl_sim_free(m.data);
    vl_sim_free(q.data);
    return;
  }
  for (r = 0; r < 4; r++) memcpy(m.data + r * m.stride, rows[r], sizeof rows[r]);
  memcpy(q.data, query, sizeof query);
  for (b = VL_SIM_SCALAR; b <= VL_SIM_AVX2; b++) {
    char what[64];
    if (!vl_sim_backend_supported((vl_sim_backend)b)) continue;
    vl_sim_set_backend((vl_sim_backend)b);
    snprintf(what, sizeof what, "similarity: top-3 (%s)", vl_sim_backend_name((vl_sim_backend)b));
    check(vl_sim_top_k(&q, &m, 3, -1.0f, 0, 1, hits, counts, &bad) == VL_OK && counts[0] == 3, what, NULL);
    check(hits[0].index == 0 && hits[1].index == 2 && hits[2].index == 1, what, "order 0, 2, 1");
    check_close(what, 1.0 / sqrt(1.01), hits[0].score, 1e-6);
    check_close(what, 1.1 / (sqrt(1.01) * sqrt(2.0)), hits[1].score, 1e-6);
    check_close(what, 0.1 / sqrt(1.01), hits[2].score, 1e-6);
  }
  vl_sim_set_backend(VL_SIM_AUTO);
  printf("test_kat: similarity backends tested:");
  for (b = VL_SIM_SCALAR; b <= VL_SIM_AVX2; b++)
    if (vl_sim_backend_supported((vl_sim_backend)b)) printf(" %s", vl_sim_backend_name((vl_sim_backend)b));
  printf("\n");
  vl_sim_free(m.data);
  vl_sim_free(q.data);
}

/* spec/secrets_spec.lua ("reports file, line, byte column ...", "derives keywords ... or runs a
 * rule without any over the whole input", "applies allow regexes, stopwords"): a keyword rule
 * with a secret group and a stopword, and a keyword-less rule run over the whole input. The
 * findings (0-based byte offsets, 1-based line and byte column, XXH3-64 fingerprints) are those
 * of victor.secrets natively; every keyword method, the interpreter, the naive path and
 * scan_files give them too. */
static int kat_secrets_same(const vl_secrets_result *a, const vl_secrets_result *b) {
  if (a->n != b->n) return 0;
  for (size_t i = 0; i < a->n; i++) {
    const vl_secrets_finding *x = &a->items[i], *y = &b->items[i];
    if (x->rule != y->rule || x->start != y->start || x->end != y->end || x->sstart != y->sstart ||
        x->send != y->send || x->line != y->line || x->col != y->col)
      return 0;
  }
  return 1;
}

static void kat_secrets(void) {
  static const char text[] = "a\nbb\n  \xc3\xa9 = 'tok_abc123def456'\n"
                             "TOK_zzzzzzzzzzzz 555-123 tok_deadbeef0000\n"
                             "call 800-555-0199 tok_q1w2e3r4t5y6\n";
  static const struct {
    uint32_t rule;
    uint64_t start, end;
    uint32_t line, col;
    uint64_t fp;
  } want[] = {
    { 0, 13, 29, 3, 9, 0xde572dd7da79bc4cULL },  /* tok_abc123def456 after "  é = '" (8 bytes) */
    { 1, 48, 55, 4, 18, 0xb39bfb4360539884ULL }, /* 555-123 (TOK_ is a keyword hit, no match) */
    { 1, 78, 85, 5, 6, 0x1a6521ebb00b14ccULL },  /* 800-555, then -0199 does not match */
    { 0, 91, 107, 5, 19, 0x79965a0ffc35c470ULL }, /* tok_deadbeef0000 before it: stopword */
  };
  const char *kw[] = { "tok_" }, *stop[] = { "dead" };
  size_t kwl[] = { 4 }, stopl[] = { 4 };
#define KAT_RE_TOKEN "\\b(tok_[a-z0-9]{12})\\b"
#define KAT_RE_DIGITS "[0-9]{3}-[0-9]{3}"
  vl_secrets_rule rules[2] = {
    { .id = "kat-token", .regex = KAT_RE_TOKEN, .regex_len = sizeof KAT_RE_TOKEN - 1, .keywords = kw,
      .keyword_lens = kwl, .nkeywords = 1, .secret_group = 1, .stopwords = stop, .stopword_lens = stopl,
      .nstopwords = 1, .window = VL_SECRETS_DEFAULT_WINDOW },
    { .id = "kat-digits", .regex = KAT_RE_DIGITS, .regex_len = sizeof KAT_RE_DIGITS - 1,
      .window = VL_SECRETS_DEFAULT_WINDOW },
  };
  vl_secrets *s = NULL;
  vl_secrets_result res, other;
  vl_secrets_opts variants[2];
  const char *file = "kat_secrets.tmp";
  FILE *fp;
  int ok;
  check(vl_secrets_compile(rules, 2, NULL, &s, NULL) == VL_OK && s != NULL, "secrets: compile", NULL);
  if (!s) return;
  check_bytes("secrets: PCRE2 version", "10.42 2022-12-11", vl_secrets_pcre2_version(),
              strlen(vl_secrets_pcre2_version()));
  check(vl_secrets_jit(s) == 1, "secrets: PCRE2 JIT in use", NULL);
  check(vl_secrets_nrules(s) == 2 && vl_secrets_nwhole(s) == 1 && vl_secrets_nkeywords(s) == 1,
        "secrets: 2 rules, 1 keyword, 1 whole-input rule", NULL);
  check_bytes("secrets: rule id", "kat-digits", vl_secrets_rule_id(s, 1), strlen(vl_secrets_rule_id(s, 1)));
  memset(&res, 0, sizeof res);
  memset(&other, 0, sizeof other);
  ok = vl_secrets_scan(s, "src/x.py", text, sizeof text - 1, 0, &res) == VL_OK;
  check(ok && res.n == 4 && res.nlimited == 0, "secrets: 4 findings", NULL);
  for (size_t i = 0; ok && i < res.n && i < 4; i++) {
    const vl_secrets_finding *f = &res.items[i];
    char what[64], detail[160];
    int good = f->rule == want[i].rule && f->start == want[i].start && f->end == want[i].end &&
               f->sstart == want[i].start && f->send == want[i].end && f->line == want[i].line &&
               f->col == want[i].col && f->fingerprint == want[i].fp;
    snprintf(what, sizeof what, "secrets: finding %u", (unsigned)i + 1);
    snprintf(detail, sizeof detail, "rule %u [%llu, %llu) line %u col %u fp %016llx", (unsigned)f->rule,
             (unsigned long long)f->sstart, (unsigned long long)f->send, (unsigned)f->line, (unsigned)f->col,
             (unsigned long long)f->fingerprint);
    check(good, what, good ? NULL : detail);
  }
  check(vl_secrets_scan(s, "src/x.py", text, sizeof text - 1, 1, &other) == VL_OK && kat_secrets_same(&res, &other),
        "secrets: naive path == windows", NULL);
  memset(variants, 0, sizeof variants);
  variants[0].no_jit = 1;
  variants[1].use_ac = 1;
  for (int v = 0; v < 2; v++) {
    vl_secrets *t = NULL;
    static const char *const names[] = { "secrets: interpreter (no JIT) == JIT",
                                         "secrets: Aho-Corasick keywords == pair filter" };
    ok = vl_secrets_compile(rules, 2, &variants[v], &t, NULL) == VL_OK &&
         vl_secrets_scan(t, "src/x.py", text, sizeof text - 1, 0, &other) == VL_OK;
    check(ok && kat_secrets_same(&res, &other), names[v], NULL);
    vl_secrets_free(t);
  }
  /* scan_files: the same text read back from a file, 2 jobs */
  fp = fopen(file, "wb");
  ok = fp != NULL && fwrite(text, 1, sizeof text - 1, fp) == sizeof text - 1;
  if (fp) ok = fclose(fp) == 0 && ok;
  if (ok) {
    vl_secrets_result fres[2];
    const char *files[2];
    files[0] = file;
    files[1] = "kat_secrets.missing";
    memset(fres, 0, sizeof fres);
    ok = vl_secrets_scan_files(s, files, 2, 0, 2, fres) == VL_OK;
    check(ok && fres[0].status == VL_OK && fres[0].bytes == sizeof text - 1 && kat_secrets_same(&res, &fres[0]),
          "secrets: scan_files == scan", NULL);
    check(ok && fres[1].status == VL_EIO && fres[1].n == 0, "secrets: scan_files: a missing file is EIO", NULL);
    vl_secrets_result_free(&fres[0]);
    vl_secrets_result_free(&fres[1]);
  } else {
    check(0, "secrets: write the scan_files input", file);
  }
  remove(file);
  check_close("secrets: entropy of abcd", 2.0, vl_secrets_entropy("abcd", 4), 1e-12);
  check_close("secrets: entropy of aabb", 1.0, vl_secrets_entropy("aabb", 4), 1e-12);
  vl_secrets_result_free(&res);
  vl_secrets_result_free(&other);
  vl_secrets_free(s);
}

/* HNSW over 64 random rows: every row finds itself first (score 1), and with ef >= n
 * the top-5 equals the exact reference. */
static void test_hnsw(void) {
  enum { N = 64, DIM = 8, K = 5 };
  vl_sim_matrix m, q;
  vl_hnsw *h = NULL;
  vl_hnsw_opts o = { 8, 64, 42 };
  vl_sim_hit hits[K], ref[K];
  int64_t count = 0, rcount = 0, bad = 0;
  int self_ok = 1, topk_ok = 1;
  if (!random_matrix(&m, N, DIM, 12345)) {
    check(0, "hnsw: alloc", NULL);
    return;
  }
  check(vl_hnsw_build(&m, &o, &h, &bad) == VL_OK && h != NULL && vl_hnsw_size(h) == N, "hnsw: build", NULL);
  if (!h) {
    vl_sim_free(m.data);
    return;
  }
  q.rows = 1;
  q.dim = DIM;
  q.stride = m.stride;
  for (int r = 0; r < N; r++) {
    q.data = m.data + (int64_t)r * m.stride;
    if (vl_hnsw_search(h, &q, K, N, -1.0f, 1, hits, &count, &bad) != VL_OK || count != K) {
      self_ok = topk_ok = 0;
      break;
    }
    self_ok = self_ok && hits[0].index == r && fabs(hits[0].score - 1.0) < 1e-5;
    if (vl_sim_top_k_ref(&q, &m, K, -1.0f, 0, ref, &rcount, &bad) != VL_OK || rcount != K) topk_ok = 0;
    for (int i = 0; topk_ok && i < K; i++) topk_ok = hits[i].index == ref[i].index;
  }
  check(self_ok, "hnsw: every row finds itself first", NULL);
  check(topk_ok, "hnsw: top-5 equals the exact reference", NULL);
  vl_hnsw_free(h);
  vl_sim_free(m.data);
}

/* ---- a temporary tree for the walker and the indexer ---- */

static const char sample_c[] =
    "#include <stdio.h>\n#define MAX_ITEMS 16\n#define SQUARE(x) ((x) * (x))\n\n"
    "struct point { int x; int y; };\ntypedef struct point point_t;\nenum color { RED, GREEN };\n"
    "static int counter = 0;\n\nstatic int helper(int v) { return SQUARE(v); }\n\n"
    "int *make(point_t *p)\n{\n  printf(\"%d\\n\", helper(p->x));\n  return NULL;\n}\n";
static const char sample_py[] =
    "import os\nfrom foo.bar import baz\nMAX = 10\ncounter = 0\nclass Greeter(Base):\n"
    "    greeting = \"hi\"\n    def greet(self, name):\n        return helper(name)\n"
    "    class Inner:\n        def deep(self): pass\ndef helper(x):\n    return os.path.join(x)\n";
static const char sample_rb[] =
    "require \"json\"\n\nMAX = 3\n\nmodule Shapes\n  class Circle < Base\n    def area\n"
    "      compute(radius)\n    end\n\n    def self.unit\n      new(1)\n    end\n  end\nend\n\n"
    "def compute(r)\n  r * r\nend\n";

/* relative path, content (NULL: a directory), length (0: strlen) */
static const struct {
  const char *rel, *text;
  size_t len;
} tree[] = {
    {"build", NULL, 0},
    {"src", NULL, 0},
    {"src/sub", NULL, 0},
    {".gitignore", "*.log\n!keep.log\nbuild/\n", 0},
    {"src/.gitignore", "*.tmp\n", 0},
    {"a.c", sample_c, 0},
    {"b.log", "x\n", 0},
    {"keep.log", "x\n", 0},
    {"bin.dat", "ab\0cd", 5},
    {"build/out.o", "x\n", 0},
    {"src/main.py", sample_py, 0},
    {"src/x.tmp", "x\n", 0},
    {"src/sub/deep.rb", sample_rb, 0},
};
#define NTREE (sizeof tree / sizeof tree[0])

static char kat_root[512];

static void tree_path(char *out, size_t cap, const char *rel) {
  snprintf(out, cap, "%s/%s", kat_root, rel);
}

static int tree_make(void) {
  const char *base = getenv("TMPDIR");
  char p[600];
  size_t i;
  int k;
  if (!base || !*base) base = getenv("TEMP");
  if (!base || !*base) base = getenv("TMP");
#ifdef _WIN32
  if (!base || !*base) base = ".";
#else
  if (!base || !*base) base = "/tmp";
#endif
  for (k = 0;; k++) {
    snprintf(kat_root, sizeof kat_root, "%s/vl_kat_%lx_%d", base, (unsigned long)time(NULL) ^ (unsigned long)(uintptr_t)&k, k);
    if (kat_mkdir(kat_root) == 0) break;
    if (k == 20) return -1;
  }
  for (i = 0; i < NTREE; i++) {
    FILE *f;
    tree_path(p, sizeof p, tree[i].rel);
    if (!tree[i].text) {
      if (kat_mkdir(p) != 0) return -1;
      continue;
    }
    f = fopen(p, "wb");
    if (!f) return -1;
    fwrite(tree[i].text, 1, tree[i].len ? tree[i].len : strlen(tree[i].text), f);
    if (fclose(f) != 0) return -1;
  }
  return 0;
}

static void tree_remove(void) {
  char p[600];
  size_t i;
  for (i = NTREE; i-- > 0;) {
    tree_path(p, sizeof p, tree[i].rel);
    if (tree[i].text) remove(p);
  }
  for (i = NTREE; i-- > 0;) {
    tree_path(p, sizeof p, tree[i].rel);
    if (!tree[i].text) kat_rmdir(p);
  }
  kat_rmdir(kat_root);
}

/* spec/walk_spec.lua ("a tree"): gitignore patterns, a negation, a directory rule, a
 * nested .gitignore, dot-files, the binary sniff; paths in bytewise order. */
static void test_walk(void) {
  const char *roots[1];
  vl_walk_opts o;
  vl_walk_list *l = NULL;
  char err[256], got[1024], want[64];
  size_t i, n = 0, rl = strlen(kat_root);
  memset(&o, 0, sizeof o);
  o.gitignore = 1;
  o.jobs = 2;
  roots[0] = kat_root;
  check(vl_walk(roots, 1, &o, &l, err, sizeof err) == VL_OK, "walk: a tree", err);
  got[0] = 0;
  for (i = 0; l && i < vl_walk_count(l); i++) {
    const vl_walk_entry *e = vl_walk_at(l, i);
    size_t at = strlen(got);
    int under = strncmp(e->path, kat_root, rl) == 0 && e->path[rl] == '/';
    snprintf(got + at, sizeof got - at, "%s%s%s%s", at ? "," : "", under ? e->path + rl + 1 : e->path,
             e->skip ? ":" : "", e->skip ? e->skip : "");
    if (e->skip == NULL && strcmp(e->path + rl + 1, "a.c") == 0) n = (size_t)e->size;
  }
  check_bytes("walk: kept and skipped paths, in order",
              "a.c,bin.dat:binary,keep.log,src/main.py,src/sub/deep.rb", got, strlen(got));
  snprintf(want, sizeof want, "%u", (unsigned)strlen(sample_c));
  snprintf(got, sizeof got, "%u", (unsigned)n);
  check_bytes("walk: size of a.c", want, got, strlen(got));
  vl_walk_free(l);
  roots[0] = "vl_kat_no_such_dir";
  check(vl_walk(roots, 1, &o, &l, err, sizeof err) == VL_EIO && l == NULL, "walk: a missing root is VL_EIO", NULL);
  check_bytes("walk: a missing root's message", "cannot open 'vl_kat_no_such_dir': No such file or directory", err,
              strlen(err));
}

/* "kind name line:col[ scope]" of the definitions, then "kind name" of the references */
static void ix_lists(const vl_ix_file *f, char *defs, char *refs, size_t cap) {
  uint32_t i;
  defs[0] = refs[0] = 0;
  for (i = 0; i < f->nsym; i++) {
    const vl_ix_symbol *s = &f->sym[i];
    char *out = s->kind < VL_IX_REF_FIRST ? defs : refs;
    size_t at = strlen(out);
    if (s->kind < VL_IX_REF_FIRST)
      snprintf(out + at, cap - at, "%s%s %.*s %u:%u%s%.*s", at ? ", " : "", vl_indexer_kind_name(s->kind),
               (int)s->name_len, f->str + s->name, (unsigned)s->line, (unsigned)s->col, s->scope_len ? " " : "",
               (int)s->scope_len, f->str + s->scope);
    else
      snprintf(out + at, cap - at, "%s%s %.*s", at ? "," : "", vl_indexer_kind_name(s->kind), (int)s->name_len,
               f->str + s->name);
  }
}

/* spec/indexer_spec.lua: the C and Python fixtures' definitions and references, and Ruby's
 * (its queries use #match? and #not-match?), read from the tree by vl_indexer_add. */
static void test_indexer(void) {
  static const char *const rel[3] = {"a.c", "src/main.py", "src/sub/deep.rb"};
  static const int langs[3] = {VL_IX_C, VL_IX_PYTHON, VL_IX_RUBY};
  static const char *const want_defs[3] = {
      "macro MAX_ITEMS 2:9, macro SQUARE 3:9, struct point 5:8, field x 5:20 point, field y 5:27 point, "
      "type point_t 6:22, enum color 7:6, constant RED 7:14 color, constant GREEN 7:19 color, "
      "variable counter 8:12, function helper 10:12, function make 12:6",
      "constant MAX 3:1, variable counter 4:1, class Greeter 5:7, field greeting 6:5 Greeter, "
      "method greet 7:9 Greeter, class Inner 9:11 Greeter, method deep 10:13 Greeter.Inner, function helper 11:5",
      "constant MAX 3:1, module Shapes 5:8, class Circle 6:9 Shapes, method area 7:9 Shapes.Circle, "
      "method unit 11:14 Shapes.Circle, method compute 17:5",
  };
  static const char *const want_refs[3] = {
      "import <stdio.h>,typeref point,call SQUARE,typeref point_t,call printf,call helper",
      "import os,import foo.bar,typeref Base,call helper,call join",
      "call require,import json,typeref Base,call compute,call new",
  };
  char paths[3][600], defs[2048], refs[1024], what[64];
  const char *pp[3];
  vl_indexer *ix = NULL;
  vl_ix_index idx;
  vl_ix_limits lim;
  int err_lang = -1, k;
  uint32_t err_off = 0;
  memset(&idx, 0, sizeof idx);
  memset(&lim, 0, sizeof lim);
  lim.timeout_us = 10000000u;
  for (k = 0; k < 3; k++) {
    tree_path(paths[k], sizeof paths[k], rel[k]);
    pp[k] = paths[k];
  }
  check(vl_indexer_new(&ix) == VL_OK, "indexer: new", NULL);
  if (!ix) return;
  check(vl_indexer_add(ix, &idx, 3, pp, langs, NULL, &lim, 2, &err_lang, &err_off) == VL_OK && idx.n == 3,
        "indexer: add three files", NULL);
  for (k = 0; k < 3 && (size_t)k < idx.n; k++) {
    const vl_ix_file *f = &idx.files[k];
    snprintf(what, sizeof what, "indexer: %s parses cleanly", rel[k]);
    check(f->skip == VL_IX_SKIP_NONE && !f->has_error && strcmp(f->path, paths[k]) == 0, what, NULL);
    ix_lists(f, defs, refs, sizeof refs);
    snprintf(what, sizeof what, "indexer: %s definitions", rel[k]);
    check_bytes(what, want_defs[k], defs, strlen(defs));
    snprintf(what, sizeof what, "indexer: %s references", rel[k]);
    check_bytes(what, want_refs[k], refs, strlen(refs));
  }
  vl_ix_index_free(&idx);
  vl_indexer_free(ix);
}

typedef struct pair_hits {
  size_t n;
  uint64_t key[32768];  /* pos << 16 | id */
} pair_hits;

static void on_pair(void *ud, uint32_t id, size_t pos) {
  pair_hits *h = (pair_hits *)ud;
  if (h->n < sizeof h->key / sizeof h->key[0]) h->key[h->n] = (uint64_t)pos << 16 | id;
  h->n++;
}

static int u64cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static unsigned char kat_lower(unsigned char c) { return (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c); }

/* vl_pairs_scan == a naive ASCII case-insensitive search, on random keyword sets (2 to 300
 * keywords of 2 to 12 bytes over an alphabet with bytes that | 0x20 folds together: '@' '`',
 * '[' '{') and random texts (0 to 9,000 bytes, so the tail path, every block offset and the
 * newline checkpoints are crossed); hits sorted by (position, keyword). */
static void test_pairs(void) {
  static const char alpha[] = "abAB@`[{_-. \nzZ9";
  static unsigned char text[9000];
  static pair_hits got, want;
  static uint64_t nl[(sizeof text >> 12) + 1];
  uint32_t x = 88172645u;
  int iter, bad = 0;
  for (iter = 0; iter < 400 && bad < 5; iter++) {
    char kbuf[300][13];
    const char *kw[300];
    size_t len[300], nkw = 2 + kat_rand(&x) % (iter % 4 == 0 ? 299 : 20), n, i, k, upto;
    vl_pairs *f = NULL;
    int ok;
    for (i = 0; i < nkw; i++) {
      len[i] = 2 + kat_rand(&x) % (kat_rand(&x) % 2 ? 3 : 11);
      for (k = 0; k < len[i]; k++) kbuf[i][k] = (char)kat_lower((unsigned char)alpha[kat_rand(&x) % 16]);
      kw[i] = kbuf[i];
    }
    n = iter % 5 == 0 ? kat_rand(&x) % 12 : kat_rand(&x) % sizeof text;
    for (i = 0; i < n; i++) {
      if (kat_rand(&x) % 6 == 0) {  /* a keyword, case scrambled */
        const char *w = kw[kat_rand(&x) % nkw];
        size_t l = len[w == kw[0] ? 0 : (size_t)(w - kbuf[0]) / sizeof kbuf[0]];
        for (k = 0; k < l && i < n; k++, i++)
          text[i] = (unsigned char)(kat_rand(&x) % 2 && w[k] >= 'a' && w[k] <= 'z' ? w[k] - 32 : w[k]);
        i--;
      } else {
        text[i] = (unsigned char)alpha[kat_rand(&x) % 16];
      }
    }
    if (vl_pairs_build(kw, len, nkw, &f) != VL_OK) {
      check(0, "pairs: build", NULL);
      return;
    }
    got.n = want.n = 0;
    upto = vl_pairs_scan(f, text, n, on_pair, &got, nl, 12);
    for (i = 0; i + 2 <= n; i++)
      for (k = 0; k < nkw; k++) {
        size_t j;
        if (len[k] > n - i) continue;
        for (j = 0; j < len[k] && kat_lower(text[i + j]) == (unsigned char)kw[k][j]; j++) {}
        if (j == len[k]) on_pair(&want, (uint32_t)k, i);
      }
    ok = got.n == want.n && got.n <= sizeof got.key / sizeof got.key[0];
    if (ok) {
      qsort(got.key, got.n, sizeof got.key[0], u64cmp);
      qsort(want.key, want.n, sizeof want.key[0], u64cmp);
      ok = memcmp(got.key, want.key, got.n * sizeof got.key[0]) == 0;
    }
    for (k = 0; ok && (k << 12) <= upto; k++) {
      uint64_t c = 0;
      for (i = 0; i < (k << 12); i++) c += text[i] == '\n';
      ok = nl[k] == c;
    }
    if (!ok) {
      char d[160];
      snprintf(d, sizeof d, "iteration %d: %zu keywords, %zu bytes: %zu hits, naive %zu", iter, nkw, n, got.n,
               want.n);
      check(0, "pairs: scan == naive", d);
      bad++;
    }
    vl_pairs_free(f);
  }
  check(bad == 0, "pairs: scan == naive search on 400 random keyword sets and texts", NULL);
}

int main(void) {
  test_signature();
  test_dedup();
  test_ac();
  test_ac_words();
  test_pairs();
  test_stream_filter();
  test_json_repair();
  test_graph();
  test_similarity();
  kat_secrets();
  test_hnsw();
  if (tree_make() != 0) {
    check(0, "a temporary tree", kat_root);
  } else {
    test_walk();
    test_indexer();
  }
  tree_remove();
  printf("test_kat: %d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
