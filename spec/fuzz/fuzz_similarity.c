/*
 * fuzz_similarity.c: libFuzzer target for the similarity kernel (core/similarity.c
 * and the SIMDe kernels of core/similarity_kern.h; built serially, and the
 * "avx2" table is the same source compiled without -mavx2 here). The input is:
 * byte 0 the dimension - 1 (1..64), byte 1 the row count, byte 2 the query
 * count - 1 (1..8), byte 3 k, byte 4 flags (bit 0 normalized, bit 1 a
 * min_score of (byte 5 - 128) / 128), then one byte per value: (b - 128) / 16,
 * small multiples of 1/16, so exact ties and zero rows are common.
 * Checks, for every backend (scalar, sse2, avx2): top-k and vl_sim_scores agree
 * with the double-precision reference within 1e-5 (plus the rounding of the
 * inputs' magnitude); zero queries and rows are reported with the same index;
 * the hits are ordered (score descending, index ascending), reach min_score, and
 * no row left out beats the last hit under the backend's own scores; the
 * reference and each backend find the same count; dot and cosine of one pair
 * (their own multi-chain kernels) agree with it too; float16 and int8 rows score
 * the cosine with their stored values, ordered; normalize gives unit rows.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "similarity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fill(vl_sim_matrix *m, const uint8_t **p, const uint8_t *end)
{
  int64_t r;
  int32_t c;
  for (r = 0; r < m->rows; r++)
    for (c = 0; c < m->dim; c++) m->data[r * m->stride + c] = *p < end ? ((float)*(*p)++ - 128.0f) / 16.0f : 0.0f;
}

static double ref_score(const vl_sim_matrix *q, int64_t i, const vl_sim_matrix *m, int64_t j, int normalized)
{
  double d = 0, nq = 0, nr = 0;
  int32_t c;
  for (c = 0; c < m->dim; c++) {
    double a = q->data[i * q->stride + c], b = m->data[j * m->stride + c];
    d += a * b, nq += a * a, nr += b * b;
  }
  if (normalized) return d / sqrt(nq);
  d = d / sqrt(nq) / sqrt(nr);
  return d > 1 ? 1 : (d < -1 ? -1 : d);
}

/* the tolerance of a score: 1e-5 relative to what float32 accumulation rounds */
static double tol(const vl_sim_matrix *q, int64_t i, const vl_sim_matrix *m, int64_t j, int normalized)
{
  double s = 0, nq = 0, nr = 0;
  int32_t c;
  for (c = 0; c < m->dim; c++) {
    double a = q->data[i * q->stride + c], b = m->data[j * m->stride + c];
    s += fabs(a * b), nq += a * a, nr += b * b;
  }
  return 1e-5 * (1 + s / sqrt(nq) / (normalized ? 1 : sqrt(nr)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const uint8_t *p = data + 6, *end = data + size;
  vl_sim_matrix q, m;
  int32_t dim;
  int64_t n, nq, k, i, j, e, bad_ref = 0, counts_ref[8];
  int normalized, b, st_ref;
  float min_score = -INFINITY;
  vl_sim_hit *hits_ref, *hits;
  float *scores;
  if (size < 6) return 0;
  dim = 1 + data[0] % 64;
  n = data[1];
  nq = 1 + data[2] % 8;
  k = data[3];
  normalized = data[4] & 1;
  if (data[4] & 2) min_score = ((float)data[5] - 128.0f) / 128.0f;
  q.dim = m.dim = dim;
  q.stride = m.stride = vl_sim_stride(dim);
  q.rows = nq;
  m.rows = n;
  q.data = vl_sim_alloc(nq, q.stride);
  m.data = vl_sim_alloc(n, m.stride);
  hits_ref = (vl_sim_hit *)calloc((size_t)(nq * (k + 1)), sizeof(vl_sim_hit));
  hits = (vl_sim_hit *)calloc((size_t)(nq * (k + 1)), sizeof(vl_sim_hit));
  scores = (float *)calloc((size_t)(nq * (n + 1)), sizeof(float));
  CHECK(q.data && m.data && hits_ref && hits && scores);
  fill(&q, &p, end);
  fill(&m, &p, end);
  CHECK(vl_sim_check_layout(&q) == VL_OK && vl_sim_check_layout(&m) == VL_OK);

  st_ref = vl_sim_top_k_ref(&q, &m, k, min_score, normalized, hits_ref, counts_ref, &bad_ref);
  CHECK(st_ref == VL_OK || st_ref == VL_EINVAL);
  for (b = VL_SIM_SCALAR; b <= VL_SIM_AVX2; b++) {
    int64_t counts[8], bad = 0, bad2 = 0, kk = k < n ? k : n;
    int st, st2;
    if (vl_sim_set_backend((vl_sim_backend)b) != VL_OK) continue;
    if (n > 0) { /* one pair: several chains, within the tolerance of the reference */
      float cs = 0;
      int which = -1;
      double d = 0, t = 0;
      int32_t c;
      for (c = 0; c < dim; c++) d += (double)q.data[c] * m.data[c], t += fabs((double)q.data[c] * m.data[c]);
      CHECK(fabs(vl_sim_dot(&q, 0, &m, 0) - d) <= 1e-5 * (1 + t));
      if (vl_sim_cosine(&q, 0, &m, 0, &cs, &which) == VL_OK)
        CHECK(fabs(cs - ref_score(&q, 0, &m, 0, 0)) <= tol(&q, 0, &m, 0, 0));
      else
        CHECK(which == 0 || which == 1);
    }
    st = vl_sim_top_k(&q, &m, k, min_score, normalized, 1, hits, counts, &bad);
    st2 = vl_sim_scores(&q, &m, normalized, 1, scores, &bad2);
    CHECK(st == st_ref);
    CHECK(st2 == st_ref || kk == 0); /* k = 0 returns before reading the matrix */
    if (st != VL_OK) {
      CHECK(bad == bad_ref);
      if (kk > 0) CHECK(bad2 == bad_ref);
      continue;
    }
    for (i = 0; i < nq; i++) {
      const vl_sim_hit *h = hits + i * kk, *hr = hits_ref + i * kk;
      const float *s = scores + i * n;
      CHECK(counts[i] == counts_ref[i] || fabs(min_score) < 1); /* near-threshold rows may flip */
      for (e = 0; e < counts[i]; e++) {
        CHECK(h[e].index >= 0 && h[e].index < n);
        CHECK(h[e].score >= min_score);
        CHECK(h[e].score == s[h[e].index]); /* top-k scores are the score pass's, bit for bit */
        CHECK(fabs(h[e].score - ref_score(&q, i, &m, h[e].index, normalized)) <=
              tol(&q, i, &m, h[e].index, normalized));
        if (e > 0)
          CHECK(h[e].score < h[e - 1].score || (h[e].score == h[e - 1].score && h[e].index > h[e - 1].index));
        if (e < counts_ref[i]) /* the reference's e-th best scores the same within the tolerance */
          CHECK(fabs(h[e].score - hr[e].score) <= 2 * tol(&q, i, &m, hr[e].index, normalized));
      }
      /* nothing left out ranks above the last hit, or reaches min_score while there was room */
      for (j = 0; j < n; j++) {
        int in = 0;
        for (e = 0; e < counts[i]; e++) in |= h[e].index == j;
        if (in || !(s[j] >= min_score)) continue;
        CHECK(counts[i] == kk);
        CHECK(kk == 0 || s[j] < h[kk - 1].score || (s[j] == h[kk - 1].score && j > h[kk - 1].index));
      }
    }
  }
  /* quantised rows: scores equal the double cosine of the query with the stored
   * (dequantised) values within 1e-5, in order; zero rows are reported */
  if (st_ref == VL_OK) {
    int kind;
    for (kind = VL_SIM_F16; kind <= VL_SIM_I8; kind++) {
      vl_sim_qmatrix qm;
      int64_t counts[8], bad = 0, kk = k < n ? k : n;
      int st;
      CHECK(vl_sim_quantize(&m, kind, &qm) == VL_OK);
      for (b = VL_SIM_SCALAR; b <= VL_SIM_AVX2; b++) {
        if (vl_sim_set_backend((vl_sim_backend)b) != VL_OK) continue;
        st = vl_sim_qtop_k(&q, &qm, k, min_score, hits, counts, &bad);
        if (st != VL_OK) {
          CHECK(st == VL_EINVAL && bad >= 0 && bad < n && qm.inv_norm[bad] == 0);
          continue;
        }
        for (i = 0; i < nq; i++) {
          const vl_sim_hit *h = hits + i * kk;
          for (e = 0; e < counts[i]; e++) {
            double d = 0, a2 = 0, r2 = 0, t = 0;
            int32_t c;
            for (c = 0; c < dim; c++) {
              double x = q.data[i * q.stride + c], y;
              if (kind == VL_SIM_I8) {
                y = ((const int8_t *)qm.data)[h[e].index * qm.stride + c];
              } else { /* IEEE half -> double */
                uint16_t hv = ((const uint16_t *)qm.data)[h[e].index * qm.stride + c];
                int ex = (hv >> 10) & 31, mant = hv & 1023;
                y = ex == 0 ? ldexp(mant, -24) : ldexp(mant + 1024, ex - 25);
                if (hv & 0x8000) y = -y;
              }
              d += x * y, a2 += x * x, r2 += y * y, t += fabs(x * y);
            }
            CHECK(r2 > 0 && h[e].score >= min_score);
            CHECK(fabs(h[e].score - fmax(-1, fmin(1, d / sqrt(a2) / sqrt(r2)))) <= 1e-5 * (1 + t / sqrt(a2 * r2)));
            if (e > 0)
              CHECK(h[e].score < h[e - 1].score || (h[e].score == h[e - 1].score && h[e].index > h[e - 1].index));
          }
        }
      }
      vl_sim_qfree(&qm);
    }
  }
  /* normalize: every non-zero row becomes unit length; zero rows are counted */
  {
    int64_t nz = 0, first = 0, zeros = 0, firstz = -1;
    int32_t c;
    for (j = 0; j < n; j++) {
      int z = 1;
      for (c = 0; c < dim; c++) z &= m.data[j * m.stride + c] == 0.0f;
      if (z && firstz < 0) firstz = j;
      zeros += z;
    }
    vl_sim_normalize(&m, &nz, &first);
    CHECK(nz == zeros && first == firstz);
    for (j = 0; j < n; j++) {
      double ss = 0;
      for (c = 0; c < dim; c++) ss += (double)m.data[j * m.stride + c] * m.data[j * m.stride + c];
      CHECK(ss == 0 || fabs(ss - 1) < 1e-5);
    }
    CHECK(vl_sim_check_layout(&m) == VL_OK);
  }
  vl_sim_set_backend(VL_SIM_AUTO);
  vl_sim_free(q.data);
  vl_sim_free(m.data);
  free(hits_ref);
  free(hits);
  free(scores);
  return 0;
}
