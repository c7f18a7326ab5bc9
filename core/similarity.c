/*
 * similarity.c: storage, backend dispatch, the blocked top-k / score drivers,
 * the scalar reference and .npy I/O of the similarity kernel (similarity.h).
 * This file is also the SSE2 backend: it includes similarity_kern.h compiled
 * with no -m flags.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VL_SIM_KERN_NAME vl_sim_kern_sse2
#include "similarity_kern.h"

#ifdef _OPENMP
#include <omp.h>
#define VL_OMP(x) _Pragma(x)
#else
#define VL_OMP(x)
#endif

/* one-query cosine over a matrix up to this size uses the fused dot + norm kernel */
#define VL_SIM_FUSE_MAX_BYTES ((int64_t)32 << 20)
/* below this many multiply-adds a call runs on one thread (fork/join costs more) */
#define PAR_MIN ((int64_t)1 << 20)

/* ---- storage ---------------------------------------------------------------- */

int32_t vl_sim_stride(int32_t dim)
{
  if (dim < 1) dim = 1;
  return (int32_t)(((int64_t)dim + VL_SIM_ALIGN_FLOATS - 1) / VL_SIM_ALIGN_FLOATS * VL_SIM_ALIGN_FLOATS);
}

float *vl_sim_alloc(int64_t rows, int32_t stride)
{
  void *p = NULL;
  size_t bytes;
  if (rows < 0 || stride < 0 || (rows > 0 && (uint64_t)rows > (SIZE_MAX / 4) / ((size_t)stride + 1))) return NULL;
  bytes = (size_t)rows * (size_t)stride * sizeof(float);
  if (bytes == 0) bytes = VL_SIM_ALIGN;
  if (posix_memalign(&p, VL_SIM_ALIGN, bytes) != 0) return NULL;
  memset(p, 0, bytes);
  return (float *)p;
}

void vl_sim_free(float *p)
{
  free(p);
}

int vl_sim_check_layout(const vl_sim_matrix *m)
{
  int64_t r;
  int32_t c;
  if (!m || m->rows < 0 || m->dim < 1 || m->stride < m->dim || m->stride % 8 != 0) return VL_EINVAL;
  if (m->rows > 0 && (!m->data || ((uintptr_t)m->data & 31) != 0)) return VL_EINVAL;
  for (r = 0; r < m->rows; r++)
    for (c = m->dim; c < m->stride; c++)
      if (m->data[r * m->stride + c] != 0.0f) return VL_EINVAL;
  return VL_OK;
}

void vl_sim_copy_in(vl_sim_matrix *m, int64_t row0, const float *src, int64_t rows)
{
  int64_t r;
  for (r = 0; r < rows; r++) {
    float *d = m->data + (row0 + r) * m->stride;
    memcpy(d, src + r * m->dim, (size_t)m->dim * sizeof(float));
    memset(d + m->dim, 0, (size_t)(m->stride - m->dim) * sizeof(float));
  }
}

void vl_sim_copy_out(const vl_sim_matrix *m, float *dst)
{
  int64_t r;
  for (r = 0; r < m->rows; r++)
    memcpy(dst + r * m->dim, m->data + r * m->stride, (size_t)m->dim * sizeof(float));
}

int vl_sim_check_finite(const vl_sim_matrix *m, int64_t *bad_row, int32_t *bad_col)
{
  int64_t r;
  int32_t c;
  for (r = 0; r < m->rows; r++) {
    const float *p = m->data + r * m->stride;
    float acc = 0.0f;
    /* x * 0 is 0 for finite x and NaN for inf/NaN: one test per row */
    for (c = 0; c < m->dim; c++) acc += p[c] * 0.0f;
    if (acc == 0.0f) continue;
    for (c = 0; c < m->dim; c++) {
      if (!isfinite(p[c])) {
        if (bad_row) *bad_row = r;
        if (bad_col) *bad_col = c;
        return VL_EINVAL;
      }
    }
  }
  return VL_OK;
}

/* ---- the scalar reference backend: double accumulation in index order ------- */

static void ref_dots(const float *q, int64_t nq, const float *r, int64_t nr, int32_t s, float *out, int64_t ldo)
{
  int64_t i, j;
  int32_t k;
  for (i = 0; i < nq; i++)
    for (j = 0; j < nr; j++) {
      const float *a = q + i * s, *b = r + j * s;
      double acc = 0;
      for (k = 0; k < s; k++) acc += (double)a[k] * (double)b[k];
      out[i * ldo + j] = (float)acc;
    }
}

static void ref_sumsq(const float *r, int64_t nr, int32_t s, float *out)
{
  int64_t j;
  for (j = 0; j < nr; j++) ref_dots(r + j * s, 1, r + j * s, 1, s, out + j, 1);
}

static void ref_scale(float *r, int32_t s, float f)
{
  int32_t k;
  for (k = 0; k < s; k++) r[k] *= f;
}

static double ref_sum(const float *r, int64_t nr, int32_t s)
{
  double acc = 0;
  int64_t k;
  for (k = 0; k < nr * (int64_t)s; k++) acc += r[k];
  return acc;
}

static void ref_dot1n(const float *q, const float *r, int64_t nr, int32_t s, float *out, float *ss)
{
  ref_dots(q, 1, r, nr, s, out, nr);
  ref_sumsq(r, nr, s, ss);
}

static void ref_dots_i8(const float *q, const int8_t *r, int64_t nr, int32_t s, float *out)
{
  int64_t j;
  int32_t k;
  for (j = 0; j < nr; j++) {
    double acc = 0;
    for (k = 0; k < s; k++) acc += (double)q[k] * r[j * s + k];
    out[j] = (float)acc;
  }
}

static void ref_dots_f16(const float *q, const uint16_t *r, int64_t nr, int32_t s, float *out)
{
  int64_t j;
  int32_t k;
  for (j = 0; j < nr; j++) {
    double acc = 0;
    for (k = 0; k < s; k += 8) {
      simde__m256 v = VL_F16(r + j * s + k);
      float f[8];
      int e;
      simde_mm256_storeu_ps(f, v);
      for (e = 0; e < 8; e++) acc += (double)q[k + e] * f[e];
    }
    out[j] = (float)acc;
  }
}

static float ref_pair_dot(const float *a, const float *b, int32_t s)
{
  float out;
  ref_dots(a, 1, b, 1, s, &out, 1);
  return out;
}

static void ref_pair_cos(const float *a, const float *b, int32_t s, float *out)
{
  ref_dots(a, 1, b, 1, s, out, 1);
  ref_dots(a, 1, a, 1, s, out + 1, 1);
  ref_dots(b, 1, b, 1, s, out + 2, 1);
}

static const vl_sim_kernels kern_ref = {ref_dots,     ref_dot1n,   ref_sumsq,    ref_scale,   ref_sum,
                                        ref_dots_i8,  ref_dots_f16, ref_pair_dot, ref_pair_cos};

/* ---- dispatch ----------------------------------------------------------------- */

/* Process-wide choice, resolved once (an idempotent int store: a race between
 * two first calls writes the same value). */
static vl_sim_backend g_backend = VL_SIM_AUTO;

int vl_sim_backend_supported(vl_sim_backend b)
{
  if (b == VL_SIM_AVX2) {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    __builtin_cpu_init();
    /* F16C is implied: every AVX2 CPU has it (Intel since Ivy Bridge, AMD since
     * Piledriver), and clang's __builtin_cpu_supports does not know "f16c" */
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
  }
  return b == VL_SIM_AUTO || b == VL_SIM_SCALAR || b == VL_SIM_SSE2;
}

vl_sim_backend vl_sim_get_backend(void)
{
  if (g_backend == VL_SIM_AUTO) g_backend = vl_sim_backend_supported(VL_SIM_AVX2) ? VL_SIM_AVX2 : VL_SIM_SSE2;
  return g_backend;
}

int vl_sim_set_backend(vl_sim_backend b)
{
  if (!vl_sim_backend_supported(b)) return VL_EINVAL;
  g_backend = b;
  (void)vl_sim_get_backend();
  return VL_OK;
}

const char *vl_sim_backend_name(vl_sim_backend b)
{
  switch (b) {
  case VL_SIM_SCALAR: return "scalar";
  case VL_SIM_SSE2: return "sse2";
  case VL_SIM_AVX2: return "avx2";
  default: return "auto";
  }
}

static const vl_sim_kernels *kernels(void)
{
  switch (vl_sim_get_backend()) {
  case VL_SIM_AVX2: return &vl_sim_kern_avx2;
  case VL_SIM_SCALAR: return &kern_ref;
  default: return &vl_sim_kern_sse2;
  }
}

int vl_sim_max_threads(void)
{
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/* ---- norms ---------------------------------------------------------------------- */

/* 1/|r| from the float sum of squares ss; when ss underflowed to 0 or overflowed,
 * again in double. 0 means a zero vector (every element exactly 0). */
static double norm_inv(const float *r, int32_t s, float ss)
{
  double d = 0;
  int32_t k;
  if (ss > 0 && ss <= 3.0e38f) return 1.0 / sqrt((double)ss);
  for (k = 0; k < s; k++) d += (double)r[k] * (double)r[k];
  return d > 0 ? 1.0 / sqrt(d) : 0;
}

void vl_sim_sumsq(const vl_sim_matrix *m, float *out)
{
  kernels()->sumsq(m->data, m->rows, m->stride, out);
}

static float cosine_of(double dot, double qinv, double rinv)
{
  double c = dot * qinv * rinv;
  return (float)(c > 1 ? 1 : (c < -1 ? -1 : c));
}

float vl_sim_dot_vec(const float *a, const float *b, int32_t stride)
{
  return kernels()->pair_dot(a, b, stride);
}

/* *which: 0 when a is zero, 1 when b is */
static int cosine_vec(const float *a, const float *b, int32_t stride, float *out, int *which)
{
  float t[3];
  double ainv, binv;
  kernels()->pair_cos(a, b, stride, t);
  ainv = norm_inv(a, stride, t[1]);
  binv = norm_inv(b, stride, t[2]);
  *out = 0;
  if (ainv == 0 || binv == 0) {
    if (which) *which = ainv == 0 ? 0 : 1;
    return VL_EINVAL;
  }
  *out = cosine_of(t[0], ainv, binv);
  return VL_OK;
}

int vl_sim_cosine_vec(const float *a, const float *b, int32_t stride, float *out)
{
  return cosine_vec(a, b, stride, out, NULL);
}

float vl_sim_dot(const vl_sim_matrix *a, int64_t ia, const vl_sim_matrix *b, int64_t ib)
{
  return vl_sim_dot_vec(a->data + ia * a->stride, b->data + ib * b->stride, a->stride);
}

int vl_sim_cosine(const vl_sim_matrix *a, int64_t ia, const vl_sim_matrix *b, int64_t ib, float *out, int *which)
{
  return cosine_vec(a->data + ia * a->stride, b->data + ib * b->stride, a->stride, out, which);
}

void vl_sim_normalize(vl_sim_matrix *m, int64_t *nzero, int64_t *first_zero)
{
  const vl_sim_kernels *K = kernels();
  const int64_t nblocks = (m->rows + VL_SIM_ROW_BLOCK - 1) / VL_SIM_ROW_BLOCK;
  int64_t b, nz = 0, first = INT64_MAX;
  int par = m->rows * (int64_t)m->dim >= ((int64_t)1 << 24); /* calls of >= ~5 ms only (see top-k) */
  (void)par;
  VL_OMP("omp parallel for schedule(static) reduction(+:nz) reduction(min:first) if(par)")
  for (b = 0; b < nblocks; b++) {
    int64_t j, r0 = b * VL_SIM_ROW_BLOCK;
    int64_t nr = m->rows - r0 < VL_SIM_ROW_BLOCK ? m->rows - r0 : VL_SIM_ROW_BLOCK;
    float *r = m->data + r0 * m->stride;
    float ss[VL_SIM_ROW_BLOCK];
    K->sumsq(r, nr, m->stride, ss);
    for (j = 0; j < nr; j++) {
      float *row = r + j * m->stride;
      double inv = norm_inv(row, m->stride, ss[j]);
      if (inv == 0) {
        if (r0 + j < first) first = r0 + j;
        nz++;
        continue;
      }
      K->scale(row, m->stride, (float)inv);
    }
  }
  if (nzero) *nzero = nz;
  if (first_zero) *first_zero = first == INT64_MAX ? -1 : first;
}

double vl_sim_sum(const vl_sim_matrix *m)
{
  return kernels()->sum(m->data, m->rows, m->stride);
}

/* ---- bounded heaps -------------------------------------------------------------- */

/* a ranks below b: lower score, or the same score and a larger index */
static inline int worse(const vl_sim_hit *a, const vl_sim_hit *b)
{
  return a->score < b->score || (a->score == b->score && a->index > b->index);
}

/* Keep the k best of h[0..*n) as a min-heap on `worse` (root = the worst kept). */
static inline void heap_push(vl_sim_hit *h, int64_t *n, int64_t k, vl_sim_hit x)
{
  int64_t i, c;
  if (*n < k) {
    i = (*n)++;
    while (i > 0) {
      int64_t p = (i - 1) / 2;
      if (!worse(&x, &h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = x;
    return;
  }
  if (k == 0 || !worse(&h[0], &x)) return;
  i = 0;
  for (;;) {
    c = 2 * i + 1;
    if (c >= k) break;
    if (c + 1 < k && worse(&h[c + 1], &h[c])) c++;
    if (!worse(&h[c], &x)) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = x;
}

static int best_first(const void *pa, const void *pb)
{
  const vl_sim_hit *a = (const vl_sim_hit *)pa, *b = (const vl_sim_hit *)pb;
  if (worse(b, a)) return -1;
  if (worse(a, b)) return 1;
  return 0;
}

/* ---- the blocked driver ----------------------------------------------------------- */

typedef struct tstate {
  vl_sim_hit *heaps; /* nq * k */
  int64_t *cnt;      /* nq */
  float *sc;         /* nq * VL_SIM_ROW_BLOCK */
  int64_t bad;       /* first zero row this thread met, or -1 */
} tstate;

typedef struct job {
  const vl_sim_kernels *K;
  const vl_sim_matrix *q, *m;
  const double *qinv;
  int normalized;
  int64_t k;          /* top-k mode when out == NULL */
  float min_score;
  float *out;         /* scores mode: nq x m->rows */
} job;

static void run_block(const job *J, tstate *T, int64_t b)
{
  const int32_t s = J->m->stride;
  const int64_t n = J->m->rows, nq = J->q->rows, rb0 = b * VL_SIM_ROW_BLOCK;
  const int64_t nrb = n - rb0 < VL_SIM_ROW_BLOCK ? n - rb0 : VL_SIM_ROW_BLOCK;
  const float *R = J->m->data + rb0 * s;
  double rinv[VL_SIM_ROW_BLOCK];
  float ss[VL_SIM_ROW_BLOCK];
  int64_t i, j;
  float d1[VL_SIM_ROW_BLOCK];
  /* fused dot + norm pass for one query over cache-resident data (0.61 vs 0.71 ms
   * for 10K x 384); from DRAM the two-pass form streams faster (13.5 vs 15.2 ms
   * for 100K x 384: the 8-row dot kernel keeps more rows in flight). Same bits. */
  const int fused = nq == 1 && !J->normalized && n * s * (int64_t)sizeof(float) <= VL_SIM_FUSE_MAX_BYTES;
  if (T->bad >= 0) return;
  if (fused) J->K->dot1n(J->q->data, R, nrb, s, d1, ss);
  if (!J->normalized) {
    if (!fused) J->K->sumsq(R, nrb, s, ss);
    for (j = 0; j < nrb; j++) {
      rinv[j] = norm_inv(R + j * s, s, ss[j]);
      if (rinv[j] == 0) {
        T->bad = rb0 + j;
        return;
      }
    }
  }
  if (J->out) {
    if (fused) memcpy(J->out + rb0, d1, (size_t)nrb * sizeof(float));
    else J->K->dots(J->q->data, nq, R, nrb, s, J->out + rb0, n);
    for (i = 0; i < nq; i++) {
      float *o = J->out + i * n + rb0;
      for (j = 0; j < nrb; j++)
        o[j] = J->normalized ? (float)((double)o[j] * J->qinv[i]) : cosine_of(o[j], J->qinv[i], rinv[j]);
    }
    return;
  }
  if (fused) memcpy(T->sc, d1, (size_t)nrb * sizeof(float));
  else J->K->dots(J->q->data, nq, R, nrb, s, T->sc, VL_SIM_ROW_BLOCK);
  for (i = 0; i < nq; i++) {
    const float *o = T->sc + i * VL_SIM_ROW_BLOCK;
    vl_sim_hit *h = T->heaps + i * J->k;
    int64_t *cnt = T->cnt + i;
    for (j = 0; j < nrb; j++) {
      vl_sim_hit x;
      x.score = J->normalized ? (float)((double)o[j] * J->qinv[i]) : cosine_of(o[j], J->qinv[i], rinv[j]);
      if (!(x.score >= J->min_score)) continue; /* also drops NaN */
      if (*cnt == J->k && !(x.score > h[0].score)) continue; /* later rows lose ties */
      x.index = rb0 + j;
      heap_push(h, cnt, J->k, x);
    }
  }
}

static void *xcalloc(size_t count, size_t size)
{
  if (count == 0) count = 1;
  return calloc(count, size ? size : 1);
}

static int drive(const vl_sim_kernels *K, const vl_sim_matrix *q, const vl_sim_matrix *m, int normalized,
                 int threads, int64_t k, float min_score, vl_sim_hit *hits, int64_t *counts, float *out,
                 int64_t *bad)
{
  const int64_t nq = q->rows, n = m->rows, s = m->stride;
  const int64_t nblocks = (n + VL_SIM_ROW_BLOCK - 1) / VL_SIM_ROW_BLOCK;
  double *qinv;
  float *qss;
  tstate *T;
  job J;
  int nt = 1, t, st = VL_OK;
  int64_t i, b, firstbad = -1;
  if (bad) *bad = 0;
  if (q->dim != m->dim || q->stride != m->stride || k < 0) return VL_EINVAL;
  if (k > n) k = n;
  if (counts)
    for (i = 0; i < nq; i++) counts[i] = 0;
  if (nq == 0) return VL_OK;
  qinv = (double *)xcalloc((size_t)nq, sizeof(double));
  qss = (float *)xcalloc((size_t)nq, sizeof(float));
  if (!qinv || !qss) {
    free(qinv);
    free(qss);
    return VL_ENOMEM;
  }
  K->sumsq(q->data, nq, q->stride, qss);
  for (i = 0; i < nq; i++) {
    qinv[i] = norm_inv(q->data + i * s, q->stride, qss[i]);
    if (qinv[i] == 0) {
      if (bad) *bad = -1 - i;
      free(qinv);
      free(qss);
      return VL_EINVAL;
    }
  }
  free(qss);
  if (n == 0 || (!out && k == 0)) {
    free(qinv);
    return VL_OK;
  }
#ifdef _OPENMP
  nt = threads > 0 ? threads : (nq < 4 ? 1 : omp_get_max_threads());
#else
  (void)threads;
#endif
  if (nt < 1 || nq * n * (int64_t)m->dim < PAR_MIN) nt = 1;
  if (nt > 64) nt = 64;
  if (nt > nblocks) nt = (int)nblocks;
  T = (tstate *)xcalloc((size_t)nt, sizeof(tstate));
  if (!T) {
    free(qinv);
    return VL_ENOMEM;
  }
  for (t = 0; t < nt; t++) {
    T[t].bad = -1;
    if (out) continue;
    T[t].heaps = (vl_sim_hit *)xcalloc((size_t)(nq * k), sizeof(vl_sim_hit));
    T[t].cnt = (int64_t *)xcalloc((size_t)nq, sizeof(int64_t));
    T[t].sc = (float *)xcalloc((size_t)(nq * VL_SIM_ROW_BLOCK), sizeof(float));
    if (!T[t].heaps || !T[t].cnt || !T[t].sc) st = VL_ENOMEM;
  }
  J.K = K, J.q = q, J.m = m, J.qinv = qinv, J.normalized = normalized, J.k = k, J.min_score = min_score;
  J.out = out;
  if (st == VL_OK) {
    if (nt == 1) {
      for (b = 0; b < nblocks; b++) run_block(&J, &T[0], b);
    } else {
      VL_OMP("omp parallel num_threads(nt)")
      {
#ifdef _OPENMP
        tstate *my = &T[omp_get_thread_num()];
#else
        tstate *my = &T[0];
#endif
        int64_t bb;
        VL_OMP("omp for schedule(static)")
        for (bb = 0; bb < nblocks; bb++) run_block(&J, my, bb);
      }
    }
    for (t = 0; t < nt; t++)
      if (T[t].bad >= 0 && (firstbad < 0 || T[t].bad < firstbad)) firstbad = T[t].bad;
    if (firstbad >= 0) {
      if (bad) *bad = firstbad;
      st = VL_EINVAL;
    }
  }
  if (st == VL_OK && !out) {
    for (i = 0; i < nq; i++) {
      vl_sim_hit *h = hits + i * k;
      int64_t c = 0, e;
      for (t = 0; t < nt; t++)
        for (e = 0; e < T[t].cnt[i]; e++) heap_push(h, &c, k, T[t].heaps[i * k + e]);
      qsort(h, (size_t)c, sizeof *h, best_first);
      counts[i] = c;
    }
  }
  for (t = 0; t < nt; t++) {
    free(T[t].heaps);
    free(T[t].cnt);
    free(T[t].sc);
  }
  free(T);
  free(qinv);
  return st;
}

int vl_sim_scores(const vl_sim_matrix *q, const vl_sim_matrix *m, int normalized, int threads, float *scores,
                  int64_t *bad)
{
  return drive(kernels(), q, m, normalized, threads, 0, 0, NULL, NULL, scores, bad);
}

int vl_sim_top_k(const vl_sim_matrix *q, const vl_sim_matrix *m, int64_t k, float min_score, int normalized,
                 int threads, vl_sim_hit *hits, int64_t *counts, int64_t *bad)
{
  return drive(kernels(), q, m, normalized, threads, k, min_score, hits, counts, NULL, bad);
}

int vl_sim_top_k_ref(const vl_sim_matrix *q, const vl_sim_matrix *m, int64_t k, float min_score, int normalized,
                     vl_sim_hit *hits, int64_t *counts, int64_t *bad)
{
  return drive(&kern_ref, q, m, normalized, 1, k, min_score, hits, counts, NULL, bad);
}

/* ---- quantised storage ---------------------------------------------------------------- */

int vl_sim_quantize(const vl_sim_matrix *m, int kind, vl_sim_qmatrix *out)
{
  const int64_t S = m->stride;
  size_t esize = kind == VL_SIM_F16 ? 2 : 1, bytes;
  void *p = NULL;
  int64_t r;
  int32_t c;
  memset(out, 0, sizeof *out);
  if (kind != VL_SIM_F16 && kind != VL_SIM_I8) return VL_EINVAL;
  bytes = (size_t)m->rows * (size_t)S * esize;
  if (posix_memalign(&p, VL_SIM_ALIGN, bytes ? bytes : VL_SIM_ALIGN) != 0) return VL_ENOMEM;
  memset(p, 0, bytes ? bytes : VL_SIM_ALIGN);
  out->inv_norm = (double *)xcalloc((size_t)m->rows, sizeof(double));
  if (!out->inv_norm) {
    free(p);
    return VL_ENOMEM;
  }
  out->data = p, out->rows = m->rows, out->dim = m->dim, out->stride = m->stride, out->kind = kind;
  for (r = 0; r < m->rows; r++) {
    const float *x = m->data + r * S;
    double ss = 0;
    if (kind == VL_SIM_I8) {
      int8_t *d = (int8_t *)p + r * S;
      float amax = 0;
      for (c = 0; c < m->dim; c++) amax = fabsf(x[c]) > amax ? fabsf(x[c]) : amax;
      if (amax > 0) {
        double f = 127.0 / amax;
        for (c = 0; c < m->dim; c++) {
          long v = lrint(x[c] * f);
          d[c] = (int8_t)(v > 127 ? 127 : (v < -127 ? -127 : v));
          ss += (double)d[c] * d[c];
        }
      }
    } else {
      uint16_t *d = (uint16_t *)p + r * S;
      for (c = 0; c < m->stride; c += 8) {
        float f[8];
        simde_mm_storeu_si128((simde__m128i *)(d + c),
                              simde_mm256_cvtps_ph(simde_mm256_load_ps(x + c), SIMDE_MM_FROUND_TO_NEAREST_INT));
        simde_mm256_storeu_ps(f, VL_F16(d + c));
        for (int e = 0; e < 8; e++) ss += (double)f[e] * f[e];
      }
    }
    out->inv_norm[r] = ss > 0 ? 1.0 / sqrt(ss) : 0;
  }
  return VL_OK;
}

void vl_sim_qfree(vl_sim_qmatrix *qm)
{
  if (!qm) return;
  free(qm->data);
  free(qm->inv_norm);
  memset(qm, 0, sizeof *qm);
}

size_t vl_sim_qbytes(const vl_sim_qmatrix *qm)
{
  return (size_t)qm->rows * (size_t)qm->stride * (qm->kind == VL_SIM_F16 ? 2 : 1) + (size_t)qm->rows * 8;
}

int vl_sim_qtop_k(const vl_sim_matrix *q, const vl_sim_qmatrix *qm, int64_t k, float min_score, vl_sim_hit *hits,
                  int64_t *counts, int64_t *bad)
{
  const vl_sim_kernels *K = kernels();
  const int64_t n = qm->rows, S = qm->stride;
  float sc[VL_SIM_ROW_BLOCK], qss;
  int64_t i, b, j;
  if (bad) *bad = 0;
  if (q->dim != qm->dim || q->stride != qm->stride || k < 0) return VL_EINVAL;
  if (k > n) k = n;
  for (i = 0; i < q->rows; i++) {
    const float *qi = q->data + i * S;
    vl_sim_hit *h = hits + i * k;
    double qinv;
    int64_t cnt = 0;
    K->sumsq(qi, 1, q->stride, &qss);
    qinv = norm_inv(qi, q->stride, qss);
    counts[i] = 0;
    if (qinv == 0) {
      if (bad) *bad = -1 - i;
      return VL_EINVAL;
    }
    if (k == 0) continue;
    for (b = 0; b < n; b += VL_SIM_ROW_BLOCK) {
      int64_t nr = n - b < VL_SIM_ROW_BLOCK ? n - b : VL_SIM_ROW_BLOCK;
      if (qm->kind == VL_SIM_I8) K->dots_i8(qi, (const int8_t *)qm->data + b * S, nr, qm->stride, sc);
      else K->dots_f16(qi, (const uint16_t *)qm->data + b * S, nr, qm->stride, sc);
      for (j = 0; j < nr; j++) {
        vl_sim_hit x;
        if (qm->inv_norm[b + j] == 0) {
          if (bad) *bad = b + j;
          return VL_EINVAL;
        }
        x.score = cosine_of(sc[j], qinv, qm->inv_norm[b + j]);
        if (!(x.score >= min_score)) continue;
        if (cnt == k && !(x.score > h[0].score)) continue;
        x.index = b + j;
        heap_push(h, &cnt, k, x);
      }
    }
    qsort(h, (size_t)cnt, sizeof *h, best_first);
    counts[i] = cnt;
  }
  return VL_OK;
}

/* ---- hashing vectoriser ------------------------------------------------------------ */

#define FNV_BASIS 2166136261u
#define FNV_PRIME 16777619u

static uint32_t fnv(uint32_t h, const unsigned char *p, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ p[i]) * FNV_PRIME;
  return h;
}

static void add_feature(float *row, int32_t dim, uint32_t h)
{
  row[h % (uint32_t)dim] += (h & 0x80000000u) ? -1.0f : 1.0f;
}

static int word_byte(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

int vl_sim_hash_embed(const char *text, size_t len, int32_t dim, int word_ngrams, int char_min, int char_max,
                      float *row)
{
  unsigned char *low, *pad;
  size_t i = 0, prev_s = 0, prev_n = 0, maxw = 0;
  int have_prev = 0, n;
  double ss = 0;
  int32_t c;
  if (dim < 1 || char_min < 0 || char_max < char_min || (char_min == 0 && char_max != 0) || char_max > 64)
    return VL_EINVAL;
  if (!(low = (unsigned char *)malloc(len + 1))) return VL_ENOMEM;
  for (i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)text[i];
    low[i] = (ch >= 'A' && ch <= 'Z') ? (unsigned char)(ch + 32) : ch;
  }
  for (i = 0; i < len;) { /* the longest word, for the padded buffer */
    size_t s0;
    while (i < len && !word_byte(low[i])) i++;
    for (s0 = i; i < len && word_byte(low[i]); i++) {}
    if (i - s0 > maxw) maxw = i - s0;
  }
  if (!(pad = (unsigned char *)malloc(maxw + 2))) {
    free(low);
    return VL_ENOMEM;
  }
  for (i = 0; i < len;) {
    size_t s0, wn;
    while (i < len && !word_byte(low[i])) i++;
    if (i >= len) break;
    for (s0 = i; i < len && word_byte(low[i]); i++) {}
    wn = i - s0;
    add_feature(row, dim, fnv(fnv(FNV_BASIS, (const unsigned char *)"w", 1), low + s0, wn));
    if (word_ngrams >= 2 && have_prev) {
      uint32_t h = fnv(FNV_BASIS, (const unsigned char *)"b", 1);
      h = fnv(h, low + prev_s, prev_n);
      h = fnv(h, (const unsigned char *)" ", 1);
      add_feature(row, dim, fnv(h, low + s0, wn));
    }
    if (char_min > 0) {
      pad[0] = ' ';
      memcpy(pad + 1, low + s0, wn);
      pad[wn + 1] = ' ';
      for (n = char_min; n <= char_max; n++) {
        size_t st;
        for (st = 0; st + (size_t)n <= wn + 2; st++)
          add_feature(row, dim, fnv(fnv(FNV_BASIS, (const unsigned char *)"c", 1), pad + st, (size_t)n));
      }
    }
    prev_s = s0, prev_n = wn, have_prev = 1;
  }
  free(pad);
  free(low);
  for (c = 0; c < dim; c++) ss += (double)row[c] * (double)row[c];
  if (ss > 0) {
    float inv = (float)(1.0 / sqrt(ss));
    for (c = 0; c < dim; c++) row[c] *= inv;
  }
  return VL_OK;
}

/* ---- .npy ------------------------------------------------------------------------ */

/* "<path>: <msg>" into errbuf; returns code */
static int npy_err(char *errbuf, size_t errlen, int code, const char *msg, const char *path)
{
  if (errbuf && errlen) snprintf(errbuf, errlen, "%s: %s", path, msg);
  return code;
}

/* the value after 'key': in a NumPy header dict, or NULL */
static const char *npy_field(const char *hdr, const char *key)
{
  const char *p = strstr(hdr, key);
  if (!p) return NULL;
  p += strlen(key);
  while (*p == ' ' || *p == ':') p++;
  return p;
}

int vl_sim_npy_load(const char *path, size_t max_bytes, vl_sim_matrix *out, char *errbuf, size_t errlen)
{
  unsigned char pre[12];
  char *hdr = NULL, descr[16];
  const char *p;
  size_t hlen, got, i;
  long long dims[3];
  int nd = 0, st = VL_OK;
  int64_t rows, r, bad_r = 0;
  int32_t dim, bad_c = 0;
  float *data = NULL;
  FILE *f;
  memset(out, 0, sizeof *out);
  f = fopen(path, "rb");
  if (!f) return npy_err(errbuf, errlen, VL_EIO, "cannot open the file", path);
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
    fclose(f);
    return npy_err(errbuf, errlen, VL_EPARSE, "not an .npy file (no \\x93NUMPY magic)", path);
  }
  if (pre[6] == 1) {
    hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
  } else if (pre[6] == 2 || pre[6] == 3) {
    if (fread(pre + 10, 1, 2, f) != 2) {
      fclose(f);
      return npy_err(errbuf, errlen, VL_EPARSE, "truncated header", path);
    }
    hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
  } else {
    fclose(f);
    return npy_err(errbuf, errlen, VL_EPARSE, "unsupported .npy format version", path);
  }
  if (hlen > (1u << 20) || !(hdr = (char *)malloc(hlen + 1))) {
    fclose(f);
    return npy_err(errbuf, errlen, hlen > (1u << 20) ? VL_EPARSE : VL_ENOMEM, "bad header length", path);
  }
  got = fread(hdr, 1, hlen, f);
  hdr[got] = 0;
  if (got != hlen) {
    st = npy_err(errbuf, errlen, VL_EPARSE, "truncated header", path);
    goto done;
  }
  p = npy_field(hdr, "'descr'");
  if (!p || (*p != '\'' && *p != '"')) {
    st = npy_err(errbuf, errlen, VL_EPARSE, "header has no 'descr'", path);
    goto done;
  }
  for (i = 0, p++; *p && *p != '\'' && *p != '"' && i + 1 < sizeof descr; i++, p++) descr[i] = *p;
  descr[i] = 0;
  if (strcmp(descr, "<f4") != 0) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "%s: dtype '%s' is not supported (want '<f4': little-endian float32)", path, descr);
    st = VL_ETYPE;
    goto done;
  }
  p = npy_field(hdr, "'fortran_order'");
  if (!p || (strncmp(p, "False", 5) != 0 && strncmp(p, "True", 4) != 0)) {
    st = npy_err(errbuf, errlen, VL_EPARSE, "header has no 'fortran_order'", path);
    goto done;
  }
  if (*p == 'T') {
    st = npy_err(errbuf, errlen, VL_ETYPE, "Fortran-order arrays are not supported (save C order)", path);
    goto done;
  }
  p = npy_field(hdr, "'shape'");
  if (!p || *p != '(') {
    st = npy_err(errbuf, errlen, VL_EPARSE, "header has no 'shape'", path);
    goto done;
  }
  for (p++;;) {
    char *end;
    long long v;
    while (*p == ' ' || *p == ',') p++;
    if (*p == ')') break;
    v = strtoll(p, &end, 10);
    if (end == p || v < 0 || nd == 3) {
      st = npy_err(errbuf, errlen, nd == 3 ? VL_ETYPE : VL_EPARSE,
                   nd == 3 ? "only 1-D and 2-D arrays are supported" : "malformed 'shape'", path);
      goto done;
    }
    dims[nd++] = v;
    p = end;
  }
  if (nd == 0 || nd > 2) {
    st = npy_err(errbuf, errlen, VL_ETYPE, "only 1-D and 2-D arrays are supported", path);
    goto done;
  }
  rows = nd == 2 ? dims[0] : 1;
  if (dims[nd - 1] < 1 || dims[nd - 1] > VL_SIM_MAX_DIM) {
    st = npy_err(errbuf, errlen, VL_ETYPE, "the row length must be 1..16777216", path);
    goto done;
  }
  dim = (int32_t)dims[nd - 1];
  if (rows > ((int64_t)1 << 40) / vl_sim_stride(dim) ||
      (max_bytes > 0 && (uint64_t)rows * (uint64_t)vl_sim_stride(dim) * 4u > max_bytes)) {
    st = npy_err(errbuf, errlen, VL_ELIMIT, "the matrix is over the size limit", path);
    goto done;
  }
  out->rows = rows, out->dim = dim, out->stride = vl_sim_stride(dim);
  if (!(data = vl_sim_alloc(rows, out->stride))) {
    st = npy_err(errbuf, errlen, VL_ENOMEM, "out of memory", path);
    goto done;
  }
  out->data = data;
  for (r = 0; r < rows; r++) {
    if (fread(data + r * out->stride, sizeof(float), (size_t)dim, f) != (size_t)dim) {
      if (errbuf && errlen)
        snprintf(errbuf, errlen, "%s: truncated data (row %lld of %lld)", path, (long long)r + 1, (long long)rows);
      st = VL_EPARSE;
      goto done;
    }
  }
  if (vl_sim_check_finite(out, &bad_r, &bad_c) != VL_OK) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "%s: non-finite value at row %lld, column %d", path, (long long)bad_r + 1,
               (int)bad_c + 1);
    st = VL_EINVAL;
  }
done:
  free(hdr);
  fclose(f);
  if (st != VL_OK) {
    vl_sim_free(data);
    memset(out, 0, sizeof *out);
  }
  return st;
}

int vl_sim_npy_save(const char *path, const vl_sim_matrix *m, char *errbuf, size_t errlen)
{
  char hdr[128];
  int n, pad, ok;
  int64_t r;
  FILE *f = fopen(path, "wb");
  if (!f) return npy_err(errbuf, errlen, VL_EIO, "cannot open the file for writing", path);
  n = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (%lld, %d), }",
               (long long)m->rows, (int)m->dim);
  /* magic (6) + version (2) + length (2) + header + padding + '\n': a multiple of 64 */
  pad = 64 - (10 + n + 1) % 64;
  if (pad == 64) pad = 0;
  ok = fwrite("\x93NUMPY\x01\x00", 1, 8, f) == 8;
  if (ok) {
    unsigned char len[2];
    unsigned hl = (unsigned)(n + pad + 1);
    len[0] = (unsigned char)(hl & 255), len[1] = (unsigned char)(hl >> 8);
    ok = fwrite(len, 1, 2, f) == 2 && fwrite(hdr, 1, (size_t)n, f) == (size_t)n;
  }
  while (ok && pad-- > 0) ok = fputc(' ', f) != EOF;
  if (ok) ok = fputc('\n', f) != EOF;
  for (r = 0; ok && r < m->rows; r++)
    ok = fwrite(m->data + r * m->stride, sizeof(float), (size_t)m->dim, f) == (size_t)m->dim;
  if (fclose(f) != 0) ok = 0;
  if (!ok) return npy_err(errbuf, errlen, VL_EIO, "write failed", path);
  return VL_OK;
}
