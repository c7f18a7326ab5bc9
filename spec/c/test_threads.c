/*
 * test_threads.c: compiled objects are shared read-only by several runtimes on
 * several threads (issue 11, item 3). The main thread compiles once: an
 * Aho-Corasick automaton (core/ac.h), a secrets scanner (core/secrets.h), a
 * graph (core/graph.h), an HNSW index (core/hnsw.h) and the indexer's queries
 * (core/indexer.h). It computes a single-threaded reference, then NTHREADS
 * pthreads each create their own vl_runtime and their own per-scan state
 * (vl_ac_scan, vl_ac_stream, vl_secrets_result, vl_ix_worker, output arrays),
 * run every query ROUNDS times and compare with the reference. Kernel calls use
 * threads = 1: libgomp is not instrumented by ThreadSanitizer (build/tsan runs
 * this file; see `make test-tsan`). Prints "ok N - what" lines and exits 1 on a
 * mismatch; run by spec/threads_spec.lua.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ac.h"
#include "graph.h"
#include "hnsw.h"
#include "indexer.h"
#include "secrets.h"
#include "similarity.h"
#include "victor_lua.h"

#define NTHREADS 8
#define ROUNDS 4
#define GN 300
#define HROWS 400
#define HDIM 24
#define HK 5

static const char *const ac_pats[] = {"he", "she", "his", "hers", "secret", "token", "ken"};
static const char text[] =
    "ushers said his secret token was hers; she kept the ken of the secret tokens.\n"
    "AKIAABCDEFGHIJKLMNOP is an access key id; so is AKIAQRSTUVWXYZ234567 here.\n"
    "password = \"hunter2hunter2\" and ghp_0123456789abcdefghijABCDEFGHIJ012345 too\n";
static const char py_src[] =
    "import os\n"
    "class Greeter:\n"
    "    def hello(self, name):\n"
    "        return os.path.join(name, 'x')\n"
    "def main():\n"
    "    Greeter().hello('w')\n";

/* shared, read-only after setup */
static vl_ac *ac;
static vl_secrets *sec;
static vl_graph *graph;
static vl_hnsw *hnsw;
static vl_indexer *ix;
static vl_sim_matrix hq;

/* the reference */
static uint64_t ref_ac_sum, ref_ac_count, ref_stream_sum;
static size_t ref_sec_n;
static uint64_t ref_sec_fp;
static double ref_pr[GN];
static vl_sim_hit ref_hits[8 * HK];
static uint32_t ref_nsym;
static uint64_t ref_sym_hash;
static char ref_sig[32];

typedef struct acc {
  uint64_t sum, count;
} acc;

static int on_match(void *ud, uint32_t id, uint64_t start, uint64_t end)
{
  acc *a = (acc *)ud;
  a->sum = a->sum * 1000003u + id * 131u + start * 7u + end;
  a->count++;
  return 0;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}

/* Every query of one thread (or of the reference); 0 on success. Results into the out
 * parameters. */
typedef struct results {
  uint64_t ac_sum, ac_count, stream_sum;
  size_t sec_n;
  uint64_t sec_fp;
  double pr[GN];
  vl_sim_hit hits[8 * HK];
  uint32_t nsym;
  uint64_t sym_hash;
  char sig[32];
  char err[160];
} results;

static int run_queries(vl_runtime *rt, vl_ix_worker *w, results *r)
{
  vl_ac_scan sc;
  vl_ac_stream *st = NULL;
  acc a = {0, 0}, b = {0, 0};
  vl_secrets_result sres;
  vl_pagerank_opts po;
  int64_t counts[8], bad = 0;
  vl_ix_file f;
  const char *res;
  size_t len, i;
  int rc;

  vl_ac_scan_init(&sc);
  vl_ac_scan_all(ac, &sc, text, sizeof text - 1, on_match, &a);
  r->ac_sum = a.sum;
  r->ac_count = a.count;
  if (vl_ac_stream_new(ac, VL_AC_LEFTMOST_LONGEST, 1, &st) != VL_OK) {
    snprintf(r->err, sizeof r->err, "ac stream_new");
    return 1;
  }
  for (i = 0; i < sizeof text - 1; i += 7)
    vl_ac_stream_feed(st, text + i, sizeof text - 1 - i < 7 ? sizeof text - 1 - i : 7, on_match, &b);
  vl_ac_stream_finish(st, on_match, &b);
  vl_ac_stream_free(st);
  r->stream_sum = b.sum;

  memset(&sres, 0, sizeof sres);
  rc = vl_secrets_scan(sec, "f.txt", text, sizeof text - 1, 0, &sres);
  if (rc != VL_OK) {
    snprintf(r->err, sizeof r->err, "secrets scan %d", rc);
    vl_secrets_result_free(&sres);
    return 1;
  }
  r->sec_n = sres.n;
  r->sec_fp = 0;
  for (i = 0; i < sres.n; i++)
    r->sec_fp = mix(mix(r->sec_fp, sres.items[i].fingerprint), sres.items[i].sstart);
  vl_secrets_result_free(&sres);

  vl_pagerank_defaults(&po);
  po.threads = 1;
  rc = vl_graph_pagerank(graph, &po, r->pr, NULL, NULL);
  if (rc != VL_OK) {
    snprintf(r->err, sizeof r->err, "pagerank %d", rc);
    return 1;
  }

  rc = vl_hnsw_search(hnsw, &hq, HK, 32, -2.0f, 1, r->hits, counts, &bad);
  if (rc != VL_OK) {
    snprintf(r->err, sizeof r->err, "hnsw search %d", rc);
    return 1;
  }

  memset(&f, 0, sizeof f);
  rc = vl_indexer_extract(ix, w, VL_IX_PYTHON, py_src, sizeof py_src - 1, NULL, &f);
  if (rc != VL_OK) {
    snprintf(r->err, sizeof r->err, "indexer extract %d", rc);
    vl_ix_file_clear(&f);
    return 1;
  }
  r->nsym = f.nsym;
  r->sym_hash = 0;
  for (i = 0; i < f.nsym; i++) {
    size_t k;
    const vl_ix_symbol *s = &f.sym[i];
    r->sym_hash = mix(r->sym_hash, ((uint64_t)s->kind << 32) | s->start_byte);
    for (k = 0; k < s->name_len; k++) r->sym_hash = mix(r->sym_hash, (unsigned char)f.str[s->name + k]);
  }
  vl_ix_file_clear(&f);

  if (rt) {
    const char *args[] = {"read_file", "{\"path\":\"/a\"}"};
    rc = vl_runtime_call(rt, "victor.signature", "of_json", 2, args, &res, &len);
    if (rc != VL_OK || len >= sizeof r->sig) {
      snprintf(r->err, sizeof r->err, "runtime call %d: %s", rc, vl_runtime_errmsg(rt));
      return 1;
    }
    memcpy(r->sig, res, len + 1);
  }
  return 0;
}

typedef struct worker {
  pthread_t tid;
  int index;
  int failed;
  char err[200];
} worker;

static int same(const results *r)
{
  return r->ac_sum == ref_ac_sum && r->ac_count == ref_ac_count && r->stream_sum == ref_stream_sum &&
         r->sec_n == ref_sec_n && r->sec_fp == ref_sec_fp && memcmp(r->pr, ref_pr, sizeof ref_pr) == 0 &&
         memcmp(r->hits, ref_hits, sizeof ref_hits) == 0 && r->nsym == ref_nsym &&
         r->sym_hash == ref_sym_hash && strcmp(r->sig, ref_sig) == 0;
}

static void *thread_main(void *arg)
{
  worker *wk = (worker *)arg;
  vl_runtime *rt = NULL;
  vl_ix_worker *w = vl_ix_worker_new();
  results *r = calloc(1, sizeof *r);
  int round;

  if (!w || !r || vl_runtime_new(NULL, &rt) != VL_OK) {
    wk->failed = 1;
    snprintf(wk->err, sizeof wk->err, "thread %d: setup failed", wk->index);
  }
  for (round = 0; round < ROUNDS && !wk->failed; round++) {
    memset(r, 0, sizeof *r);
    if (run_queries(rt, w, r)) {
      wk->failed = 1;
      snprintf(wk->err, sizeof wk->err, "thread %d: %s", wk->index, r->err);
    } else if (!same(r)) {
      wk->failed = 1;
      snprintf(wk->err, sizeof wk->err, "thread %d round %d: result differs from the reference", wk->index,
               round);
    }
  }
  vl_runtime_free(rt);
  vl_ix_worker_free(w);
  free(r);
  return NULL;
}

static int failures, checks;

static void check(int cond, const char *what)
{
  checks++;
  if (!cond) failures++;
  printf("%s %d - %s\n", cond ? "ok" : "not ok", checks, what);
}

static int setup(void)
{
  size_t lens[sizeof ac_pats / sizeof *ac_pats], i;
  int32_t src[GN * 3], dst[GN * 3];
  vl_sim_matrix m;
  float *data;
  uint64_t x = 88172645463325252ull;
  int64_t bad = 0;
  int err_lang = 0;
  uint32_t err_off = 0;
  static const char *const kw_aws[] = {"akia"};
  static const size_t kw_aws_len[] = {4};
  static const char *const kw_gh[] = {"ghp_"};
  static const size_t kw_gh_len[] = {4};
  static const char re_aws[] = "\\b(AKIA[0-9A-Z]{16})\\b";
  static const char re_gh[] = "ghp_[0-9A-Za-z]{36}";
  static const char re_pw[] = "password\\s*=\\s*\"([^\"]{8,})\"";
  vl_secrets_rule rules[3];

  for (i = 0; i < sizeof ac_pats / sizeof *ac_pats; i++) lens[i] = strlen(ac_pats[i]);
  if (vl_ac_build(ac_pats, lens, sizeof ac_pats / sizeof *ac_pats, NULL, &ac) != VL_OK) return 1;

  memset(rules, 0, sizeof rules);
  rules[0].id = "aws-access-key";
  rules[0].regex = re_aws;
  rules[0].regex_len = sizeof re_aws - 1;
  rules[0].keywords = kw_aws;
  rules[0].keyword_lens = kw_aws_len;
  rules[0].nkeywords = 1;
  rules[0].secret_group = 1;
  rules[1].id = "github-pat";
  rules[1].regex = re_gh;
  rules[1].regex_len = sizeof re_gh - 1;
  rules[1].keywords = kw_gh;
  rules[1].keyword_lens = kw_gh_len;
  rules[1].nkeywords = 1;
  rules[2].id = "password";  /* no keyword: a whole-input rule */
  rules[2].regex = re_pw;
  rules[2].regex_len = sizeof re_pw - 1;
  rules[2].secret_group = 1;
  for (i = 0; i < 3; i++) rules[i].window = VL_SECRETS_DEFAULT_WINDOW;
  if (vl_secrets_compile(rules, 3, NULL, &sec, NULL) != VL_OK) return 2;

  for (i = 0; i < (size_t)GN * 3; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    src[i] = (int32_t)(i % GN);
    dst[i] = (int32_t)(x % GN);
  }
  if (vl_graph_new(&graph, GN, GN * 3, src, dst, NULL, 1, 0, &bad) != VL_OK) return 3;

  m.dim = HDIM;
  m.stride = vl_sim_stride(HDIM);
  m.rows = HROWS;
  data = vl_sim_alloc(HROWS, m.stride);
  if (!data) return 4;
  m.data = data;
  for (i = 0; i < (size_t)HROWS; i++) {
    int d;
    for (d = 0; d < HDIM; d++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      data[i * (size_t)m.stride + (size_t)d] = (float)((double)(x % 2001) / 1000.0 - 1.0) + (d == 0 ? 3.0f : 0.0f);
    }
  }
  {
    vl_hnsw_opts ho = {8, 64, 7};
    int rc = vl_hnsw_build(&m, &ho, &hnsw, &bad);
    if (rc != VL_OK) {
      vl_sim_free(data);
      return 5;
    }
  }
  /* queries: the first 8 rows (hnsw copied the rows it needs) */
  hq.dim = HDIM;
  hq.stride = m.stride;
  hq.rows = 8;
  hq.data = data;

  if (vl_indexer_new(&ix) != VL_OK) return 6;
  if (vl_indexer_prepare(ix, 1u << VL_IX_PYTHON, &err_lang, &err_off) != VL_OK) return 7;
  return 0;
}

int main(void)
{
  worker wk[NTHREADS];
  results *r = calloc(1, sizeof *r);
  vl_runtime *rt = NULL;
  vl_ix_worker *w = vl_ix_worker_new();
  int i, rc, all_ok = 1;

  rc = setup();
  check(rc == 0, "compile the shared automaton, scanner, graph, HNSW index and queries");
  if (rc != 0) {
    printf("# setup step %d failed\n", rc);
    return 1;
  }
  rc = vl_runtime_new(NULL, &rt);
  check(rc == VL_OK && w && r, "reference runtime and worker");
  rc = run_queries(rt, w, r);
  check(rc == 0, "single-threaded reference");
  if (rc) printf("# %s\n", r->err);
  ref_ac_sum = r->ac_sum;
  ref_ac_count = r->ac_count;
  ref_stream_sum = r->stream_sum;
  ref_sec_n = r->sec_n;
  ref_sec_fp = r->sec_fp;
  memcpy(ref_pr, r->pr, sizeof ref_pr);
  memcpy(ref_hits, r->hits, sizeof ref_hits);
  ref_nsym = r->nsym;
  ref_sym_hash = r->sym_hash;
  memcpy(ref_sig, r->sig, sizeof ref_sig);
  printf("# reference: %lu AC matches, %zu secrets, %u symbols, signature %s\n", (unsigned long)ref_ac_count,
         ref_sec_n, ref_nsym, ref_sig);
  check(ref_ac_count > 5 && ref_sec_n == 4 && ref_nsym > 3 && strlen(ref_sig) == 16,
        "the reference finds matches, secrets and symbols");
  vl_runtime_free(rt);
  vl_ix_worker_free(w);
  free(r);

  for (i = 0; i < NTHREADS; i++) {
    wk[i].index = i;
    wk[i].failed = 0;
    wk[i].err[0] = '\0';
    if (pthread_create(&wk[i].tid, NULL, thread_main, &wk[i]) != 0) {
      wk[i].failed = 1;
      snprintf(wk[i].err, sizeof wk[i].err, "thread %d: pthread_create failed", i);
      wk[i].tid = 0;
    }
  }
  for (i = 0; i < NTHREADS; i++) {
    if (wk[i].tid) pthread_join(wk[i].tid, NULL);
    if (wk[i].failed) {
      all_ok = 0;
      printf("# %s\n", wk[i].err);
    }
  }
  check(all_ok, "8 threads, each with its own runtime, match the reference every round");

  vl_ac_free(ac);
  vl_secrets_free(sec);
  vl_graph_free(graph);
  vl_hnsw_free(hnsw);
  vl_sim_free(hq.data);
  vl_indexer_free(ix);
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}
