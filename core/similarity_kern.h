/*
 * similarity_kern.h: the SIMD micro-kernels of core/similarity.c, written once
 * with SIMDe and compiled per ISA: core/similarity.c includes it with no -m
 * flags (the SSE2 backend: SIMDe emulates each 256-bit op with two 128-bit
 * ones) and core/similarity_avx2.c with -mavx2 -mfma (native ymm + FMA).
 * The includer defines VL_SIM_KERN_NAME (the vl_sim_kernels table's name).
 *
 * Every kernel reads whole strides (multiples of 8, zero-padded: see
 * similarity.h) with aligned loads. The per-pair arithmetic is the same in
 * every micro-kernel: one 8-lane accumulator over k in order, then hsum8. So a
 * score does not depend on the tile that computed it.
 */
#include <simde/x86/avx2.h>
#include <simde/x86/f16c.h>
#include <simde/x86/fma.h>

#include "similarity.h"

#if defined(SIMDE_X86_FMA_NATIVE)
#define VL_FMA(a, b, c) simde_mm256_fmadd_ps((a), (b), (c))
#else
/* no FMA unit: multiply then add (two roundings), never a scalar fmaf loop */
#define VL_FMA(a, b, c) simde_mm256_add_ps(simde_mm256_mul_ps((a), (b)), (c))
#endif
#define VL_LD(p) simde_mm256_load_ps(p)

/* ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)) */
static inline float hsum8(simde__m256 v)
{
  simde__m128 s = simde_mm_add_ps(simde_mm256_castps256_ps128(v), simde_mm256_extractf128_ps(v, 1));
  s = simde_mm_add_ps(s, simde_mm_movehl_ps(s, s));
  s = simde_mm_add_ss(s, simde_mm_shuffle_ps(s, s, 1));
  return simde_mm_cvtss_f32(s);
}

/* 4 queries x 3 rows: 12 accumulators, 3 row registers, 1 query register */
static void k4x3(const float *q, const float *r, int32_t s, float *out, int64_t ldo)
{
  const float *q0 = q, *q1 = q + s, *q2 = q + 2 * (int64_t)s, *q3 = q + 3 * (int64_t)s;
  const float *r0 = r, *r1 = r + s, *r2 = r + 2 * (int64_t)s;
  simde__m256 z = simde_mm256_setzero_ps();
  simde__m256 a00 = z, a01 = z, a02 = z, a10 = z, a11 = z, a12 = z;
  simde__m256 a20 = z, a21 = z, a22 = z, a30 = z, a31 = z, a32 = z;
  int32_t k;
  for (k = 0; k < s; k += 8) {
    simde__m256 x0 = VL_LD(r0 + k), x1 = VL_LD(r1 + k), x2 = VL_LD(r2 + k), y;
    y = VL_LD(q0 + k);
    a00 = VL_FMA(y, x0, a00);
    a01 = VL_FMA(y, x1, a01);
    a02 = VL_FMA(y, x2, a02);
    y = VL_LD(q1 + k);
    a10 = VL_FMA(y, x0, a10);
    a11 = VL_FMA(y, x1, a11);
    a12 = VL_FMA(y, x2, a12);
    y = VL_LD(q2 + k);
    a20 = VL_FMA(y, x0, a20);
    a21 = VL_FMA(y, x1, a21);
    a22 = VL_FMA(y, x2, a22);
    y = VL_LD(q3 + k);
    a30 = VL_FMA(y, x0, a30);
    a31 = VL_FMA(y, x1, a31);
    a32 = VL_FMA(y, x2, a32);
  }
  out[0] = hsum8(a00), out[1] = hsum8(a01), out[2] = hsum8(a02);
  out += ldo;
  out[0] = hsum8(a10), out[1] = hsum8(a11), out[2] = hsum8(a12);
  out += ldo;
  out[0] = hsum8(a20), out[1] = hsum8(a21), out[2] = hsum8(a22);
  out += ldo;
  out[0] = hsum8(a30), out[1] = hsum8(a31), out[2] = hsum8(a32);
}

/* 4 queries x 1 row */
static void k4x1(const float *q, const float *r, int32_t s, float *out, int64_t ldo)
{
  const float *q0 = q, *q1 = q + s, *q2 = q + 2 * (int64_t)s, *q3 = q + 3 * (int64_t)s;
  simde__m256 z = simde_mm256_setzero_ps(), a0 = z, a1 = z, a2 = z, a3 = z;
  int32_t k;
  for (k = 0; k < s; k += 8) {
    simde__m256 x = VL_LD(r + k);
    a0 = VL_FMA(VL_LD(q0 + k), x, a0);
    a1 = VL_FMA(VL_LD(q1 + k), x, a1);
    a2 = VL_FMA(VL_LD(q2 + k), x, a2);
    a3 = VL_FMA(VL_LD(q3 + k), x, a3);
  }
  out[0] = hsum8(a0);
  out[ldo] = hsum8(a1);
  out[2 * ldo] = hsum8(a2);
  out[3 * ldo] = hsum8(a3);
}

/* 1 query x 8 rows: the one-query (memory-bound) path; 8 independent chains */
static void k1x8(const float *q, const float *r, int32_t s, float *out)
{
  const int64_t S = s;
  simde__m256 z = simde_mm256_setzero_ps();
  simde__m256 a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
  int32_t k;
  for (k = 0; k < s; k += 8) {
    simde__m256 y = VL_LD(q + k);
    a0 = VL_FMA(y, VL_LD(r + k), a0);
    a1 = VL_FMA(y, VL_LD(r + S + k), a1);
    a2 = VL_FMA(y, VL_LD(r + 2 * S + k), a2);
    a3 = VL_FMA(y, VL_LD(r + 3 * S + k), a3);
    a4 = VL_FMA(y, VL_LD(r + 4 * S + k), a4);
    a5 = VL_FMA(y, VL_LD(r + 5 * S + k), a5);
    a6 = VL_FMA(y, VL_LD(r + 6 * S + k), a6);
    a7 = VL_FMA(y, VL_LD(r + 7 * S + k), a7);
  }
  out[0] = hsum8(a0), out[1] = hsum8(a1), out[2] = hsum8(a2), out[3] = hsum8(a3);
  out[4] = hsum8(a4), out[5] = hsum8(a5), out[6] = hsum8(a6), out[7] = hsum8(a7);
}

/* 1 query x 4 rows with the rows' squared norms in the same pass (the one-query
 * cosine path reads each row once); the same chains as k1x8 and kern_sumsq */
static void k1x4n(const float *q, const float *r, int32_t s, float *out, float *ss)
{
  const int64_t S = s;
  simde__m256 z = simde_mm256_setzero_ps();
  simde__m256 a0 = z, a1 = z, a2 = z, a3 = z, n0 = z, n1 = z, n2 = z, n3 = z;
  int32_t k;
  for (k = 0; k < s; k += 8) {
    simde__m256 y = VL_LD(q + k), x0 = VL_LD(r + k), x1 = VL_LD(r + S + k), x2 = VL_LD(r + 2 * S + k);
    simde__m256 x3 = VL_LD(r + 3 * S + k);
    a0 = VL_FMA(y, x0, a0);
    n0 = VL_FMA(x0, x0, n0);
    a1 = VL_FMA(y, x1, a1);
    n1 = VL_FMA(x1, x1, n1);
    a2 = VL_FMA(y, x2, a2);
    n2 = VL_FMA(x2, x2, n2);
    a3 = VL_FMA(y, x3, a3);
    n3 = VL_FMA(x3, x3, n3);
  }
  out[0] = hsum8(a0), out[1] = hsum8(a1), out[2] = hsum8(a2), out[3] = hsum8(a3);
  ss[0] = hsum8(n0), ss[1] = hsum8(n1), ss[2] = hsum8(n2), ss[3] = hsum8(n3);
}

static float k1x1(const float *q, const float *r, int32_t s)
{
  simde__m256 a = simde_mm256_setzero_ps();
  int32_t k;
  for (k = 0; k < s; k += 8) a = VL_FMA(VL_LD(q + k), VL_LD(r + k), a);
  return hsum8(a);
}

static void kern_dots(const float *q, int64_t nq, const float *r, int64_t nr, int32_t s, float *out, int64_t ldo)
{
  const int64_t S = s;
  int64_t i = 0, j;
  for (; i + 4 <= nq; i += 4) {
    const float *qi = q + i * S;
    float *o = out + i * ldo;
    for (j = 0; j + 3 <= nr; j += 3) k4x3(qi, r + j * S, s, o + j, ldo);
    for (; j < nr; j++) k4x1(qi, r + j * S, s, o + j, ldo);
  }
  for (; i < nq; i++) {
    const float *qi = q + i * S;
    float *o = out + i * ldo;
    for (j = 0; j + 8 <= nr; j += 8) k1x8(qi, r + j * S, s, o + j);
    for (; j < nr; j++) o[j] = k1x1(qi, r + j * S, s);
  }
}

static void kern_dot1n(const float *q, const float *r, int64_t nr, int32_t s, float *out, float *ss)
{
  const int64_t S = s;
  int64_t j = 0;
  for (; j + 4 <= nr; j += 4) k1x4n(q, r + j * S, s, out + j, ss + j);
  for (; j < nr; j++) {
    out[j] = k1x1(q, r + j * S, s);
    ss[j] = k1x1(r + j * S, r + j * S, s);
  }
}

static void kern_sumsq(const float *r, int64_t nr, int32_t s, float *out)
{
  const int64_t S = s;
  int64_t j = 0;
  for (; j + 4 <= nr; j += 4) {
    const float *r0 = r + j * S, *r1 = r0 + S, *r2 = r1 + S, *r3 = r2 + S;
    simde__m256 z = simde_mm256_setzero_ps(), a0 = z, a1 = z, a2 = z, a3 = z;
    int32_t k;
    for (k = 0; k < s; k += 8) {
      simde__m256 x0 = VL_LD(r0 + k), x1 = VL_LD(r1 + k), x2 = VL_LD(r2 + k), x3 = VL_LD(r3 + k);
      a0 = VL_FMA(x0, x0, a0);
      a1 = VL_FMA(x1, x1, a1);
      a2 = VL_FMA(x2, x2, a2);
      a3 = VL_FMA(x3, x3, a3);
    }
    out[j] = hsum8(a0), out[j + 1] = hsum8(a1), out[j + 2] = hsum8(a2), out[j + 3] = hsum8(a3);
  }
  for (; j < nr; j++) out[j] = k1x1(r + j * S, r + j * S, s);
}

static void kern_scale(float *r, int32_t s, float f)
{
  simde__m256 v = simde_mm256_set1_ps(f);
  int32_t k;
  for (k = 0; k < s; k += 8) simde_mm256_store_ps(r + k, simde_mm256_mul_ps(VL_LD(r + k), v));
}

/* rows are contiguous (stride apart): one flat stream of nr * s floats (s is a
 * multiple of 8; 32 per step with four chains, then 8 at a time) */
static double kern_sum(const float *r, int64_t nr, int32_t s)
{
  const int64_t n = nr * (int64_t)s;
  simde__m256 z = simde_mm256_setzero_ps(), a0 = z, a1 = z, a2 = z, a3 = z;
  int64_t k = 0;
  for (; k + 32 <= n; k += 32) {
    a0 = simde_mm256_add_ps(a0, VL_LD(r + k));
    a1 = simde_mm256_add_ps(a1, VL_LD(r + k + 8));
    a2 = simde_mm256_add_ps(a2, VL_LD(r + k + 16));
    a3 = simde_mm256_add_ps(a3, VL_LD(r + k + 24));
  }
  for (; k < n; k += 8) a0 = simde_mm256_add_ps(a0, VL_LD(r + k));
  return (double)hsum8(simde_mm256_add_ps(simde_mm256_add_ps(a0, a1), simde_mm256_add_ps(a2, a3)));
}

/* One pair (dot, cosine): a single chain is latency-bound (48 dependent FMAs for
 * 384-d), so these use 8 (dot) or 2 (dot and both norms: 6 in all) chains; they
 * agree with the batch kernels within rounding, not bit for bit. */
static float kern_pair_dot(const float *a, const float *b, int32_t s)
{
  simde__m256 z = simde_mm256_setzero_ps(), c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z;
  int32_t k = 0;
  for (; k + 64 <= s; k += 64) {
    c0 = VL_FMA(VL_LD(a + k), VL_LD(b + k), c0);
    c1 = VL_FMA(VL_LD(a + k + 8), VL_LD(b + k + 8), c1);
    c2 = VL_FMA(VL_LD(a + k + 16), VL_LD(b + k + 16), c2);
    c3 = VL_FMA(VL_LD(a + k + 24), VL_LD(b + k + 24), c3);
    c4 = VL_FMA(VL_LD(a + k + 32), VL_LD(b + k + 32), c4);
    c5 = VL_FMA(VL_LD(a + k + 40), VL_LD(b + k + 40), c5);
    c6 = VL_FMA(VL_LD(a + k + 48), VL_LD(b + k + 48), c6);
    c7 = VL_FMA(VL_LD(a + k + 56), VL_LD(b + k + 56), c7);
  }
  for (; k + 16 <= s; k += 16) {
    c0 = VL_FMA(VL_LD(a + k), VL_LD(b + k), c0);
    c1 = VL_FMA(VL_LD(a + k + 8), VL_LD(b + k + 8), c1);
  }
  if (k < s) c2 = VL_FMA(VL_LD(a + k), VL_LD(b + k), c2);
  c0 = simde_mm256_add_ps(simde_mm256_add_ps(c0, c4), simde_mm256_add_ps(c1, c5));
  c2 = simde_mm256_add_ps(simde_mm256_add_ps(c2, c6), simde_mm256_add_ps(c3, c7));
  return hsum8(simde_mm256_add_ps(c0, c2));
}

/* out[0] = a.b, out[1] = a.a, out[2] = b.b; two chains each */
static void kern_pair_cos(const float *a, const float *b, int32_t s, float *out)
{
  simde__m256 z = simde_mm256_setzero_ps(), d0 = z, d1 = z, x0 = z, x1 = z, y0 = z, y1 = z;
  int32_t k = 0;
  for (; k + 16 <= s; k += 16) {
    simde__m256 a0 = VL_LD(a + k), b0 = VL_LD(b + k), a1 = VL_LD(a + k + 8), b1 = VL_LD(b + k + 8);
    d0 = VL_FMA(a0, b0, d0);
    x0 = VL_FMA(a0, a0, x0);
    y0 = VL_FMA(b0, b0, y0);
    d1 = VL_FMA(a1, b1, d1);
    x1 = VL_FMA(a1, a1, x1);
    y1 = VL_FMA(b1, b1, y1);
  }
  if (k < s) {
    simde__m256 a0 = VL_LD(a + k), b0 = VL_LD(b + k);
    d0 = VL_FMA(a0, b0, d0);
    x0 = VL_FMA(a0, a0, x0);
    y0 = VL_FMA(b0, b0, y0);
  }
  out[0] = hsum8(simde_mm256_add_ps(d0, d1));
  out[1] = hsum8(simde_mm256_add_ps(x0, x1));
  out[2] = hsum8(simde_mm256_add_ps(y0, y1));
}

/* quantised rows: 4 rows at a time, each element widened to float32 first */
#define VL_I8(p) simde_mm256_cvtepi32_ps(simde_mm256_cvtepi8_epi32(simde_mm_loadl_epi64((const simde__m128i *)(p))))
#define VL_F16(p) simde_mm256_cvtph_ps(simde_mm_loadu_si128((const simde__m128i *)(p)))
#define VL_QDOTS(NAME, T, LOAD)                                                                  \
  static void NAME(const float *q, const T *r, int64_t nr, int32_t s, float *out)                \
  {                                                                                             \
    const int64_t S = s;                                                                        \
    int64_t j = 0;                                                                              \
    int32_t k;                                                                                  \
    for (; j + 4 <= nr; j += 4) {                                                               \
      const T *r0 = r + j * S;                                                                  \
      simde__m256 z = simde_mm256_setzero_ps(), a0 = z, a1 = z, a2 = z, a3 = z;                 \
      for (k = 0; k < s; k += 8) {                                                              \
        simde__m256 y = VL_LD(q + k);                                                           \
        a0 = VL_FMA(y, LOAD(r0 + k), a0);                                                       \
        a1 = VL_FMA(y, LOAD(r0 + S + k), a1);                                                   \
        a2 = VL_FMA(y, LOAD(r0 + 2 * S + k), a2);                                               \
        a3 = VL_FMA(y, LOAD(r0 + 3 * S + k), a3);                                               \
      }                                                                                         \
      out[j] = hsum8(a0), out[j + 1] = hsum8(a1), out[j + 2] = hsum8(a2), out[j + 3] = hsum8(a3); \
    }                                                                                           \
    for (; j < nr; j++) {                                                                       \
      simde__m256 a = simde_mm256_setzero_ps();                                                 \
      for (k = 0; k < s; k += 8) a = VL_FMA(VL_LD(q + k), LOAD(r + j * S + k), a);             \
      out[j] = hsum8(a);                                                                        \
    }                                                                                           \
  }
VL_QDOTS(kern_dots_i8, int8_t, VL_I8)
VL_QDOTS(kern_dots_f16, uint16_t, VL_F16)

const vl_sim_kernels VL_SIM_KERN_NAME = {kern_dots, kern_dot1n, kern_sumsq, kern_scale, kern_sum, kern_dots_i8, kern_dots_f16, kern_pair_dot,
                                           kern_pair_cos};
