/*
 * hnsw.c: the HNSW approximate-search index (see hnsw.h for the design note).
 */
#include "hnsw.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

static const char MAGIC[8] = {'V', 'L', 'H', 'N', 'S', 'W', 0, 0};
#define FORMAT_VERSION 1u
#define BOM 0x01020304u

struct vl_hnsw {
  int32_t dim, stride;
  int64_t n;
  int m, m0, efc, max_level;
  int32_t entry;         /* -1 when empty */
  uint64_t seed;
  float *data;           /* n x stride, unit rows */
  uint8_t *level;        /* n */
  int32_t *links0;       /* n x (m0 + 1): count, ids */
  int64_t *uoff;         /* n: first upper block of the node, -1 if level 0 only */
  int32_t *upper;        /* nupper x (m + 1) */
  int64_t nupper;
};

typedef struct item {
  float s;
  int32_t id;
} item;

static inline int better(item a, item b)
{
  return a.s > b.s || (a.s == b.s && a.id < b.id);
}

static inline const float *vec(const vl_hnsw *h, int32_t i)
{
  return h->data + (int64_t)i * h->stride;
}

static inline int32_t *links(const vl_hnsw *h, int32_t i, int lc)
{
  if (lc == 0) return h->links0 + (int64_t)i * (h->m0 + 1);
  return h->upper + (h->uoff[i] + lc - 1) * (int64_t)(h->m + 1);
}

/* ---- heaps of items: best_top = 1 keeps the best on top, 0 the worst ---- */

typedef struct heap {
  item *v;
  int64_t n, cap;
  int best_top;
} heap;

static inline int above(const heap *h, item a, item b)
{
  return h->best_top ? better(a, b) : better(b, a);
}

static int heap_push(heap *h, item x)
{
  if (h->n == h->cap) {
    int64_t cap = h->cap ? h->cap * 2 : 64;
    item *nv = realloc(h->v, (size_t)cap * sizeof *nv);
    if (!nv) return VL_ENOMEM;
    h->v = nv;
    h->cap = cap;
  }
  int64_t i = h->n++;
  while (i > 0) {
    int64_t p = (i - 1) / 2;
    if (!above(h, x, h->v[p])) break;
    h->v[i] = h->v[p];
    i = p;
  }
  h->v[i] = x;
  return VL_OK;
}

static item heap_pop(heap *h)
{
  item top = h->v[0], x = h->v[--h->n];
  int64_t i = 0;
  for (;;) {
    int64_t c = 2 * i + 1;
    if (c >= h->n) break;
    if (c + 1 < h->n && above(h, h->v[c + 1], h->v[c])) c++;
    if (!above(h, h->v[c], x)) break;
    h->v[i] = h->v[c];
    i = c;
  }
  if (h->n > 0) h->v[i] = x;
  return top;
}

/* ---- per-search state ---- */

typedef struct searcher {
  uint32_t *vis;
  uint32_t epoch;
  heap cand, res;
  item *w;          /* the last search's result, best first */
  int64_t nw, wcap;
  float *q;         /* a normalised query (stride floats) */
} searcher;

static int searcher_init(searcher *s, const vl_hnsw *h)
{
  memset(s, 0, sizeof *s);
  s->cand.best_top = 1;
  s->vis = calloc((size_t)(h->n > 0 ? h->n : 1), sizeof *s->vis);
  s->q = vl_sim_alloc(1, h->stride);
  return s->vis && s->q ? VL_OK : VL_ENOMEM;
}

static void searcher_free(searcher *s)
{
  free(s->vis);
  free(s->cand.v);
  free(s->res.v);
  free(s->w);
  vl_sim_free(s->q);
}

static void new_epoch(searcher *s, int64_t n)
{
  if (++s->epoch == 0) {
    memset(s->vis, 0, (size_t)n * sizeof *s->vis);
    s->epoch = 1;
  }
}

static inline float dot(const vl_hnsw *h, const float *a, const float *b)
{
  return vl_sim_dot_vec(a, b, h->stride);
}

/* Greedy walk at level lc from *ep towards q. */
static void greedy(const vl_hnsw *h, const float *q, item *ep, int lc)
{
  int changed = 1;
  while (changed) {
    changed = 0;
    const int32_t *l = links(h, ep->id, lc);
    for (int32_t j = 1; j <= l[0]; j++) PREFETCH(vec(h, l[j]));
    for (int32_t j = 1; j <= l[0]; j++) {
      item it = {dot(h, q, vec(h, l[j])), l[j]};
      if (better(it, *ep)) {
        *ep = it;
        changed = 1;
      }
    }
  }
}

/* Beam search of width ef at level lc from ep; the result, best first, in s->w. */
static int search_layer(const vl_hnsw *h, searcher *s, const float *q, item ep, int ef, int lc)
{
  int st;
  new_epoch(s, h->n);
  s->cand.n = s->res.n = 0;
  s->vis[ep.id] = s->epoch;
  if ((st = heap_push(&s->cand, ep)) != VL_OK || (st = heap_push(&s->res, ep)) != VL_OK) return st;
  while (s->cand.n > 0) {
    item c = heap_pop(&s->cand);
    if (s->res.n >= ef && better(s->res.v[0], c)) break;
    const int32_t *l = links(h, c.id, lc);
    for (int32_t j = 1; j <= l[0]; j++)
      if (s->vis[l[j]] != s->epoch) PREFETCH(vec(h, l[j]));
    for (int32_t j = 1; j <= l[0]; j++) {
      int32_t e = l[j];
      if (s->vis[e] == s->epoch) continue;
      s->vis[e] = s->epoch;
      item it = {dot(h, q, vec(h, e)), e};
      if (s->res.n < ef || better(it, s->res.v[0])) {
        if ((st = heap_push(&s->cand, it)) != VL_OK || (st = heap_push(&s->res, it)) != VL_OK) return st;
        if (s->res.n > ef) heap_pop(&s->res);
      }
    }
  }
  if (s->res.n > s->wcap) {
    item *nw = realloc(s->w, (size_t)s->res.n * sizeof *nw);
    if (!nw) return VL_ENOMEM;
    s->w = nw;
    s->wcap = s->res.n;
  }
  s->nw = s->res.n;
  for (int64_t i = s->nw; i-- > 0;) s->w[i] = heap_pop(&s->res);
  return VL_OK;
}

/* The neighbour-selection heuristic: from cands (best first, scores relative to
 * the base node) keep each that is more similar to the base than to every one
 * kept before it, at most mmax; ids into out, returns how many. */
static int select_heuristic(const vl_hnsw *h, const item *cands, int64_t nc, int mmax, int32_t *out)
{
  int n = 0;
  for (int64_t i = 0; i < nc && n < mmax; i++) {
    const float *c = vec(h, cands[i].id);
    int good = 1;
    for (int j = 0; j < n && good; j++)
      if (dot(h, c, vec(h, out[j])) > cands[i].s) good = 0;
    if (good) out[n++] = cands[i].id;
  }
  return n;
}

static int cmp_item(const void *a, const void *b)
{
  item x = *(const item *)a, y = *(const item *)b;
  return better(x, y) ? -1 : better(y, x) ? 1 : 0;
}

/* Link j -> i at level lc (s = their score); an overflowing list is pruned. */
static int add_link(vl_hnsw *h, int32_t j, int32_t i, float s, int lc, item *tmp)
{
  int32_t *l = links(h, j, lc);
  int cap = lc ? h->m : h->m0;
  if (l[0] < cap) {
    l[1 + l[0]++] = i;
    return VL_OK;
  }
  const float *vj = vec(h, j);
  for (int k = 0; k < cap; k++) tmp[k] = (item){dot(h, vj, vec(h, l[1 + k])), l[1 + k]};
  tmp[cap] = (item){s, i};
  qsort(tmp, (size_t)cap + 1, sizeof *tmp, cmp_item);
  l[0] = select_heuristic(h, tmp, cap + 1, cap, l + 1);
  return VL_OK;
}

static int insert(vl_hnsw *h, searcher *s, int32_t i, item *tmp, int32_t *sel)
{
  const float *q = vec(h, i);
  int L = h->level[i], st;
  if (h->entry < 0) {
    h->entry = i;
    h->max_level = L;
    return VL_OK;
  }
  item ep = {dot(h, q, vec(h, h->entry)), h->entry};
  for (int lc = h->max_level; lc > L; lc--) greedy(h, q, &ep, lc);
  for (int lc = L < h->max_level ? L : h->max_level; lc >= 0; lc--) {
    if ((st = search_layer(h, s, q, ep, h->efc, lc)) != VL_OK) return st;
    int n = select_heuristic(h, s->w, s->nw, h->m, sel);
    int32_t *l = links(h, i, lc);
    l[0] = n;
    memcpy(l + 1, sel, (size_t)n * sizeof *sel);
    for (int k = 0; k < n; k++) {
      /* the score of sel[k] is in s->w: find it (w is small: ef items) */
      float sc = 0;
      for (int64_t t = 0; t < s->nw; t++)
        if (s->w[t].id == sel[k]) {
          sc = s->w[t].s;
          break;
        }
      if ((st = add_link(h, sel[k], i, sc, lc, tmp)) != VL_OK) return st;
    }
    ep = s->w[0];
  }
  if (L > h->max_level) {
    h->max_level = L;
    h->entry = i;
  }
  return VL_OK;
}

static uint64_t splitmix64(uint64_t x)
{
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

static int draw_level(uint64_t seed, int64_t i, int m)
{
  /* u in (0, 1]: 53 random bits, never 0 */
  double u = (double)((splitmix64(seed + (uint64_t)i) >> 11) + 1) * (1.0 / 9007199254740992.0);
  double l = -log(u) / log((double)m);
  return l >= VL_HNSW_MAX_LEVEL ? VL_HNSW_MAX_LEVEL : (int)l;
}

/* Allocate the tables of an index of n nodes with levels already in h->level. */
static int alloc_tables(vl_hnsw *h)
{
  size_t n = (size_t)(h->n > 0 ? h->n : 1);
  h->nupper = 0;
  h->uoff = malloc(n * sizeof *h->uoff);
  if (!h->uoff) return VL_ENOMEM;
  for (int64_t i = 0; i < h->n; i++) {
    h->uoff[i] = h->level[i] ? h->nupper : -1;
    h->nupper += h->level[i];
  }
  h->links0 = calloc(n * (size_t)(h->m0 + 1), sizeof *h->links0);
  h->upper = calloc((size_t)(h->nupper > 0 ? h->nupper : 1) * (size_t)(h->m + 1), sizeof *h->upper);
  return h->links0 && h->upper ? VL_OK : VL_ENOMEM;
}

static vl_hnsw *new_index(int32_t dim, int64_t n, int m)
{
  vl_hnsw *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->dim = dim;
  h->stride = vl_sim_stride(dim);
  h->n = n;
  h->m = m;
  h->m0 = 2 * m;
  h->entry = -1;
  h->data = vl_sim_alloc(n, h->stride);
  h->level = calloc((size_t)(n > 0 ? n : 1), 1);
  if (!h->data || !h->level) {
    vl_hnsw_free(h);
    return NULL;
  }
  return h;
}

void vl_hnsw_free(vl_hnsw *h)
{
  if (!h) return;
  vl_sim_free(h->data);
  free(h->level);
  free(h->links0);
  free(h->uoff);
  free(h->upper);
  free(h);
}

int vl_hnsw_build(const vl_sim_matrix *m, const vl_hnsw_opts *opts, vl_hnsw **out, int64_t *bad)
{
  static const vl_hnsw_opts dflt;
  *out = NULL;
  *bad = -1;
  if (!opts) opts = &dflt;
  int M = opts->m ? opts->m : 16, efc = opts->ef_construction ? opts->ef_construction : 200;
  if (M < 2 || M > VL_HNSW_MAX_M || efc < 1 || efc > VL_HNSW_MAX_EF || m->dim < 1) return VL_EINVAL;
  if (m->rows > INT32_MAX) return VL_ELIMIT;
  vl_hnsw *h = new_index(m->dim, m->rows, M);
  if (!h) return VL_ENOMEM;
  h->efc = efc;
  h->seed = opts->seed;
  vl_sim_matrix own = {h->data, h->n, h->dim, h->stride};
  for (int64_t r = 0; r < h->n; r++)
    memcpy(h->data + r * h->stride, m->data + r * m->stride, (size_t)h->dim * sizeof(float));
  int64_t nzero = 0, first_zero = -1;
  vl_sim_normalize(&own, &nzero, &first_zero);
  if (nzero > 0) {
    *bad = first_zero;
    vl_hnsw_free(h);
    return VL_EINVAL;
  }
  for (int64_t i = 0; i < h->n; i++) h->level[i] = (uint8_t)draw_level(h->seed, i, M);
  int st = alloc_tables(h);
  searcher s;
  item *tmp = malloc((size_t)(h->m0 + 1) * sizeof *tmp);
  int32_t *sel = malloc((size_t)(h->m0 + 1) * sizeof *sel);
  if (st == VL_OK) st = searcher_init(&s, h);
  else memset(&s, 0, sizeof s);
  if (st == VL_OK && (!tmp || !sel)) st = VL_ENOMEM;
  for (int64_t i = 0; i < h->n && st == VL_OK; i++) st = insert(h, &s, (int32_t)i, tmp, sel);
  searcher_free(&s);
  free(tmp);
  free(sel);
  if (st != VL_OK) {
    vl_hnsw_free(h);
    return st;
  }
  *out = h;
  return VL_OK;
}

int64_t vl_hnsw_size(const vl_hnsw *h)
{
  return h->n;
}

int32_t vl_hnsw_dim(const vl_hnsw *h)
{
  return h->dim;
}

void vl_hnsw_params(const vl_hnsw *h, int out[4])
{
  out[0] = h->m;
  out[1] = h->m0;
  out[2] = h->efc;
  out[3] = h->max_level;
}

size_t vl_hnsw_memory(const vl_hnsw *h)
{
  size_t n = (size_t)h->n;
  return sizeof *h + n * (size_t)h->stride * sizeof(float) + n + n * (size_t)(h->m0 + 1) * 4 + n * 8
         + (size_t)h->nupper * (size_t)(h->m + 1) * 4;
}

/* One query, already normalised in s->q. */
static int query_one(const vl_hnsw *h, searcher *s, int64_t k, int ef, float min_score, vl_sim_hit *hits,
                     int64_t *count)
{
  *count = 0;
  if (h->entry < 0 || k == 0) return VL_OK;
  item ep = {dot(h, s->q, vec(h, h->entry)), h->entry};
  for (int lc = h->max_level; lc > 0; lc--) greedy(h, s->q, &ep, lc);
  int st = search_layer(h, s, s->q, ep, ef > k ? ef : (int)k, 0);
  if (st != VL_OK) return st;
  int64_t c = 0;
  for (int64_t i = 0; i < s->nw && c < k; i++) {
    if (!(s->w[i].s >= min_score)) break;
    hits[c].index = s->w[i].id;
    hits[c].score = s->w[i].s;
    c++;
  }
  *count = c;
  return VL_OK;
}

int vl_hnsw_search(const vl_hnsw *h, const vl_sim_matrix *q, int64_t k, int ef, float min_score, int threads,
                   vl_sim_hit *hits, int64_t *counts, int64_t *bad)
{
  *bad = 0;
  if (q->dim != h->dim) return VL_EINVAL;
  if (ef < 1) ef = 1;
  if (ef > VL_HNSW_MAX_EF) ef = VL_HNSW_MAX_EF;
  if (k > VL_HNSW_MAX_EF) k = VL_HNSW_MAX_EF;
  int64_t kk = k < h->n ? k : h->n, nq = q->rows;
  float *norms = malloc((size_t)(nq > 0 ? nq : 1) * sizeof *norms);
  if (!norms) return VL_ENOMEM;
  vl_sim_sumsq(q, norms);
  for (int64_t i = 0; i < nq; i++)
    if (!(norms[i] > 0)) {
      *bad = -1 - i;
      free(norms);
      return VL_EINVAL;
    }
  int st = VL_OK;
#ifdef _OPENMP
  int nt = threads > 0 ? threads : (nq >= 4 ? omp_get_max_threads() : 1);
  if (nt > 64) nt = 64;
#pragma omp parallel num_threads(nt) if (nt > 1 && nq > 1)
#else
  (void)threads;
#endif
  {
    searcher s;
    int lst = searcher_init(&s, h);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
    for (int64_t i = 0; i < nq; i++) {
      if (lst != VL_OK) continue;
      const float *src = q->data + i * q->stride;
      float inv = (float)(1.0 / sqrt((double)norms[i]));
      for (int32_t d = 0; d < h->dim; d++) s.q[d] = src[d] * inv;
      lst = query_one(h, &s, kk, ef, min_score, hits + i * kk, &counts[i]);
    }
    searcher_free(&s);
    if (lst != VL_OK) {
#ifdef _OPENMP
#pragma omp critical(vl_hnsw_err)
#endif
      st = lst;
    }
  }
  free(norms);
  return st;
}

/* ---- files ---- */

/* a file being written or read, with the running checksum of its bytes */
typedef struct fctx {
  FILE *f;
  XXH3_state_t hs;
  int ok;
} fctx;

static void wr(fctx *w, const void *p, size_t n)
{
  if (!w->ok || n == 0) return;
  XXH3_64bits_update(&w->hs, p, n);
  if (fwrite(p, 1, n, w->f) != n) w->ok = 0;
}

static void wr_i32(fctx *w, int32_t v)
{
  wr(w, &v, 4);
}

/* Open path for "write" (mode "wb") or "read" ("rb"), checksum reset; VL_EIO with
 * the message in err. */
static int fctx_open(fctx *c, const char *path, const char *verb, char *err, size_t errlen)
{
  c->f = fopen(path, verb[0] == 'w' ? "wb" : "rb");
  if (!c->f) {
    if (err && errlen) snprintf(err, errlen, "cannot %s '%s': %s", verb, path, strerror(errno));
    return VL_EIO;
  }
  c->ok = 1;
  XXH3_64bits_reset(&c->hs);
  return VL_OK;
}

static void io_err(char *err, size_t errlen, const char *verb, const char *path, int e)
{
  if (err && errlen) snprintf(err, errlen, "cannot %s '%s': %s", verb, path, strerror(e));
}

int vl_hnsw_save(const vl_hnsw *h, const char *path, char *err, size_t errlen)
{
  fctx w;
  if (fctx_open(&w, path, "write", err, errlen) != VL_OK) return VL_EIO;
  uint32_t ver = FORMAT_VERSION, bom = BOM;
  uint64_t seed = h->seed;
  int64_t n = h->n;
  wr(&w, MAGIC, 8);
  wr(&w, &ver, 4);
  wr(&w, &bom, 4);
  wr_i32(&w, h->dim);
  wr_i32(&w, h->m);
  wr_i32(&w, h->m0);
  wr_i32(&w, h->efc);
  wr_i32(&w, h->max_level);
  wr_i32(&w, h->entry);
  wr(&w, &n, 8);
  wr(&w, &seed, 8);
  static const uint8_t pad[8];
  wr(&w, h->level, (size_t)n);
  wr(&w, pad, (size_t)((8 - n % 8) % 8));
  wr(&w, h->links0, (size_t)n * (size_t)(h->m0 + 1) * 4);
  wr(&w, h->upper, (size_t)h->nupper * (size_t)(h->m + 1) * 4);
  for (int64_t i = 0; i < n; i++) wr(&w, vec(h, (int32_t)i), (size_t)h->dim * sizeof(float));
  uint64_t sum = XXH3_64bits_digest(&w.hs);
  if (w.ok && fwrite(&sum, 1, 8, w.f) != 8) w.ok = 0;
  int saved = errno;
  if (fclose(w.f) != 0) w.ok = 0;
  if (!w.ok) {
    io_err(err, errlen, "write", path, saved ? saved : errno);
    return VL_EIO;
  }
  return VL_OK;
}

static int rd(fctx *r, void *p, size_t n)
{
  if (!r->ok) return 0;
  if (n && fread(p, 1, n, r->f) != n) return r->ok = 0;
  XXH3_64bits_update(&r->hs, p, n);
  return 1;
}

static int bad_file(vl_hnsw *h, FILE *f, char *err, size_t errlen, const char *path, const char *what)
{
  vl_hnsw_free(h);
  fclose(f);
  if (err && errlen) snprintf(err, errlen, "'%s' is not a valid HNSW index: %s", path, what);
  return VL_EPARSE;
}

int vl_hnsw_load(const char *path, vl_hnsw **out, char *err, size_t errlen)
{
  *out = NULL;
  fctx r;
  if (fctx_open(&r, path, "read", err, errlen) != VL_OK) return VL_EIO;
  char magic[8];
  uint32_t ver = 0, bom = 0;
  int32_t hd[6];
  int64_t n = 0;
  uint64_t seed = 0;
  if (!rd(&r, magic, 8) || memcmp(magic, MAGIC, 8) != 0) return bad_file(NULL, r.f, err, errlen, path, "bad magic");
  if (!rd(&r, &ver, 4) || !rd(&r, &bom, 4) || !rd(&r, hd, sizeof hd) || !rd(&r, &n, 8) || !rd(&r, &seed, 8))
    return bad_file(NULL, r.f, err, errlen, path, "truncated header");
  if (bom != BOM) return bad_file(NULL, r.f, err, errlen, path, "wrong byte order");
  if (ver != FORMAT_VERSION) return bad_file(NULL, r.f, err, errlen, path, "unsupported format version");
  int32_t dim = hd[0], m = hd[1], m0 = hd[2], efc = hd[3], maxl = hd[4], entry = hd[5];
  if (dim < 1 || dim > VL_SIM_MAX_DIM || m < 2 || m > VL_HNSW_MAX_M || m0 != 2 * m || efc < 1
      || efc > VL_HNSW_MAX_EF || maxl < 0 || maxl > VL_HNSW_MAX_LEVEL || n < 0 || n > INT32_MAX
      || (n == 0 ? entry != -1 : (entry < 0 || entry >= n)))
    return bad_file(NULL, r.f, err, errlen, path, "bad header values");
  /* the file must hold what the header announces before anything is allocated */
  long here = ftell(r.f);
  if (here < 0 || fseek(r.f, 0, SEEK_END) != 0) return bad_file(NULL, r.f, err, errlen, path, "cannot seek");
  long size = ftell(r.f);
  if (fseek(r.f, here, SEEK_SET) != 0) return bad_file(NULL, r.f, err, errlen, path, "cannot seek");
  double need = (double)here + (double)n + (double)((8 - n % 8) % 8) + (double)n * (m0 + 1) * 4.0
                + (double)n * dim * 4.0 + 8.0;
  if ((double)size < need) return bad_file(NULL, r.f, err, errlen, path, "truncated");
  vl_hnsw *h = new_index(dim, n, m);
  if (!h) {
    fclose(r.f);
    return VL_ENOMEM;
  }
  h->efc = efc;
  h->max_level = maxl;
  h->entry = entry;
  h->seed = seed;
  uint8_t pad[8];
  if (!rd(&r, h->level, (size_t)n) || !rd(&r, pad, (size_t)((8 - n % 8) % 8)))
    return bad_file(h, r.f, err, errlen, path, "truncated");
  for (int64_t i = 0; i < n; i++)
    if (h->level[i] > maxl) return bad_file(h, r.f, err, errlen, path, "a level above max_level");
  if (n > 0 && h->level[entry] != maxl) return bad_file(h, r.f, err, errlen, path, "bad entry point");
  if (alloc_tables(h) != VL_OK) {
    vl_hnsw_free(h);
    fclose(r.f);
    return VL_ENOMEM;
  }
  if ((double)size != need + (double)h->nupper * (m + 1) * 4.0)
    return bad_file(h, r.f, err, errlen, path, "wrong size");
  if (!rd(&r, h->links0, (size_t)n * (size_t)(m0 + 1) * 4)
      || !rd(&r, h->upper, (size_t)h->nupper * (size_t)(m + 1) * 4))
    return bad_file(h, r.f, err, errlen, path, "truncated");
  for (int64_t i = 0; i < n; i++)
    if (!rd(&r, h->data + i * h->stride, (size_t)dim * sizeof(float)))
      return bad_file(h, r.f, err, errlen, path, "truncated");
  uint64_t sum = 0, want = XXH3_64bits_digest(&r.hs);
  if (fread(&sum, 1, 8, r.f) != 8 || sum != want) return bad_file(h, r.f, err, errlen, path, "checksum mismatch");
  /* every link count and id in range, no self-links */
  for (int64_t i = 0; i < n; i++)
    for (int lc = 0; lc <= h->level[i]; lc++) {
      const int32_t *l = links(h, (int32_t)i, lc);
      if (l[0] < 0 || l[0] > (lc ? m : m0)) return bad_file(h, r.f, err, errlen, path, "bad link count");
      for (int32_t j = 1; j <= l[0]; j++)
        if (l[j] < 0 || l[j] >= n || l[j] == i || h->level[l[j]] < lc)
          return bad_file(h, r.f, err, errlen, path, "bad link");
    }
  vl_sim_matrix own = {h->data, h->n, h->dim, h->stride};
  int64_t br;
  int32_t bc;
  if (vl_sim_check_finite(&own, &br, &bc) != VL_OK)
    return bad_file(h, r.f, err, errlen, path, "a non-finite value");
  fclose(r.f);
  *out = h;
  return VL_OK;
}
