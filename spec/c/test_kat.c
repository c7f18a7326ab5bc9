/* test_kat.c: known-answer tests of the pure-C kernels through their C APIs (no Lua, no
 * POSIX): signature, dedup, Aho-Corasick, stream filter, json_repair, graph, similarity,
 * HNSW. Portable C99: it builds natively (build/tests/test_kat) and with mingw-w64
 * (build/windows/test_kat.exe, run under wine64 by `make test-windows`). The expected
 * values are those of the specs named at each case (spec/<kernel>_spec.lua).
 * Prints one line per failure and the summary "test_kat: N passed, M failed". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ac.h"
#include "dedup.h"
#include "graph.h"
#include "hnsw.h"
#include "json_repair.h"
#include "secrets.h"
#include "signature.h"
#include "similarity.h"
#include "stream_filter.h"

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
  vl_secrets_opts variants[3];
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
  variants[2].no_simd = 1;
  for (int v = 0; v < 3; v++) {
    vl_secrets *t = NULL;
    static const char *const names[] = { "secrets: interpreter (no JIT) == JIT",
                                         "secrets: Aho-Corasick keywords == trigram filter",
                                         "secrets: scalar trigram == SIMD prefilter" };
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

int main(void) {
  test_signature();
  test_dedup();
  test_ac();
  test_stream_filter();
  test_json_repair();
  test_graph();
  test_similarity();
  kat_secrets();
  test_hnsw();
  printf("test_kat: %d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
