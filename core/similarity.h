/*
 * similarity.h: float32 embedding matrices and exact cosine similarity: dot,
 * cosine, batch scoring, blocked similarity matrices, in-place normalisation and
 * top-k with a bounded heap fused into the scoring pass; .npy files.
 *
 * Design note
 * -----------
 * Victor's similarity.rs scores one pair at a time with 8-lane SIMD, selects
 * top-k with an unstable partial sort (ties in unspecified order), returns 0.0
 * for zero vectors and an empty list on a dimension mismatch. Here ties break by
 * row index ascending, zero vectors are errors, and many queries are scored as a
 * blocked matrix product with the heaps fed tile by tile.
 *
 * Matrix. A vl_sim_matrix is a plain descriptor (like a BLAS operand): `rows`
 * rows of `dim` float32 values, row r at data + r * stride. The library's own
 * storage (vl_sim_alloc) is one 64-byte-aligned block with stride = dim rounded
 * up to a multiple of VL_SIM_ALIGN_FLOATS (16), the padding lanes zero. Every
 * kernel below reads whole strides, so it REQUIRES: data 32-byte aligned, stride
 * a multiple of 8, padding lanes zero (vl_sim_check_layout tests all three).
 * Zero padding adds exact zeros to each sum, so no kernel has a tail loop.
 *
 * Arithmetic. The score of a pair (q, r) is computed the same way by every
 * micro-kernel of a backend: one 8-lane accumulator acc = fma(q[k..k+7],
 * r[k..k+7], acc) over k = 0, 8, ... < stride, then the fixed reduction
 * ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)). So a score does not depend on how rows
 * and queries are blocked, on the thread count, or on k: results are
 * bit-identical for one backend. Squared norms use the same chain with r = q.
 * cosine = dot / sqrt(|q|^2 |r|^2), the division in double, rounded to float.
 * Backends (vl_sim_backend): AVX2+FMA (core/similarity_avx2.c, compiled with
 * -mavx2 -mfma -mf16c), SSE2 (core/similarity.c's SIMDe build with no -m flags:
 * 256-bit ops emulated by two 128-bit halves, fma as mul + add) and the scalar
 * reference (double accumulation in index order, the most accurate; used by the
 * specs as ground truth). AVX2 is selected at first use when the CPU has avx2
 * and fma (F16C comes with them), else SSE2; vl_sim_set_backend overrides it
 * (specs, VICTOR_SIMD=sse2|scalar).
 * Tolerance against the scalar reference: |s - ref| <= 1e-5 * (1 + sum|q_i r_i|
 * / (|q||r|)) for cosine, 1e-5 * (1 + sum|q_i r_i|) for dot; in practice the
 * error is about 1e-7.
 *
 * Zero vectors and mismatches. A cosine with a zero-norm query or row is an
 * error (VL_EINVAL with the offending index), never 0 or NaN; dimension
 * mismatches are the caller's to check (the binding does). With `normalized`
 * the rows are taken as unit length as given (no norms computed: the fastest
 * path, for rows stored normalised) and only the query is normalised.
 * Non-finite values: the builders refuse them (vl_sim_check_finite); data
 * written through a raw pointer is not checked, and a NaN score is never
 * returned by top-k (it is skipped).
 *
 * Top-k (vl_sim_top_k). For nq queries at once: rows are scored in blocks of
 * VL_SIM_ROW_BLOCK (norms first, from DRAM into L2, then 4x3 query-by-row
 * register tiles from L2), and each block's scores go straight into one bounded
 * min-heap of k entries per query (O(n log k)); no score array of n is ever
 * made. A score enters only when >= min_score. Order: score descending, then
 * row index ascending. Threads (OpenMP when built with it): row blocks are shared
 * out, each thread keeps its own heaps, and they are merged with the same total
 * order, so the result is the same for every thread count. threads = 0 picks
 * 1 for fewer than 4 queries and OpenMP's default otherwise: one query over a
 * large matrix is DRAM-bound (a second thread only shares the bandwidth), and
 * over a cache-resident one a call lasts well under a millisecond, where a
 * descheduled OpenMP thread on a shared machine costs a whole time slice (the
 * bench measured 9 ms instead of 0.35 ms); pass threads = 2 to try (64 at
 * most are used). One query without `normalized` over a cache-resident matrix (<= 32 MB) reads each row
 * once: its dot and its norm come from one fused micro-kernel (the same
 * arithmetic chains as the separate ones); over a larger one, norms then dots
 * per block (the block stays in L2), which streams DRAM faster here.
 *
 * Complexity: O(nq * rows * dim) arithmetic, one read of the matrix per call;
 * top-k adds O(rows log k) per query and nq * k * (threads + 1) entries of
 * memory. Nothing here raises, prints or exits; allocation failure is VL_ENOMEM.
 */
#ifndef VL_SIMILARITY_H
#define VL_SIMILARITY_H

#include <stddef.h>
#include <stdint.h>

#include "vl_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VL_SIM_ALIGN 64
#define VL_SIM_ALIGN_FLOATS 16
/* Rows per block of the top-k and matrix passes (96 KB of 384-d rows: L2). */
#define VL_SIM_ROW_BLOCK 64
#define VL_SIM_MAX_DIM (1 << 24)

/* A non-owning view of rows x dim floats, row r at data + r * stride. */
typedef struct vl_sim_matrix {
  float *data;
  int64_t rows;
  int32_t dim;
  int32_t stride;
} vl_sim_matrix;

typedef enum vl_sim_backend {
  VL_SIM_AUTO = 0,   /* the best the CPU has */
  VL_SIM_SCALAR = 1, /* reference: double accumulation */
  VL_SIM_SSE2 = 2,   /* baseline x86-64 (SIMDe; portable) */
  VL_SIM_AVX2 = 3    /* AVX2 + FMA */
} vl_sim_backend;

/* The padded stride for dim (>= 1): dim rounded up to VL_SIM_ALIGN_FLOATS. */
int32_t vl_sim_stride(int32_t dim);

/* Allocate rows * stride zeroed floats, 64-byte aligned (rows may be 0: one
 * aligned block is still returned). Free with vl_sim_free. NULL on overflow or
 * out of memory. */
float *vl_sim_alloc(int64_t rows, int32_t stride);
void vl_sim_free(float *p);

/* VL_OK when m meets the kernels' layout requirement (see the design note),
 * VL_EINVAL otherwise. */
int vl_sim_check_layout(const vl_sim_matrix *m);

/* Copy `rows` packed rows of dim floats (src, no alignment needed) into m's
 * rows from row0 on, zeroing the padding. */
void vl_sim_copy_in(vl_sim_matrix *m, int64_t row0, const float *src, int64_t rows);
/* Copy m's rows out packed (rows * dim floats) into dst. */
void vl_sim_copy_out(const vl_sim_matrix *m, float *dst);

/* VL_OK when every value of m is finite; else VL_EINVAL with *bad_row and
 * *bad_col (0-based) of the first non-finite value. */
int vl_sim_check_finite(const vl_sim_matrix *m, int64_t *bad_row, int32_t *bad_col);

/* The backend in use (never VL_SIM_AUTO) and its name ("avx2", "sse2",
 * "scalar"). */
vl_sim_backend vl_sim_get_backend(void);
const char *vl_sim_backend_name(vl_sim_backend b);
/* Select a backend for every later call (VL_SIM_AUTO: the CPU's best).
 * VL_EINVAL when the CPU lacks it. Process-wide; not for use while another
 * thread is scoring. */
int vl_sim_set_backend(vl_sim_backend b);
/* Whether the CPU can run b. */
int vl_sim_backend_supported(vl_sim_backend b);

/* Dot product of row ia of a and row ib of b (equal dim and stride). One pair
 * is computed with several accumulator chains (a single chain is latency-bound):
 * vl_sim_dot and vl_sim_cosine agree with the batch scores within rounding, not
 * bit for bit. */
float vl_sim_dot(const vl_sim_matrix *a, int64_t ia, const vl_sim_matrix *b, int64_t ib);
/* Cosine of two rows; VL_EINVAL when either has norm 0 (*which = 0 for a,
 * 1 for b). */
int vl_sim_cosine(const vl_sim_matrix *a, int64_t ia, const vl_sim_matrix *b, int64_t ib, float *out,
                  int *which);

/* The same on raw padded vectors (stride floats, 32-byte aligned, zero padding),
 * for LuaJIT FFI callers (the binding hands out their addresses): the dot, and
 * the cosine into *out (VL_EINVAL when either vector is zero). */
float vl_sim_dot_vec(const float *a, const float *b, int32_t stride);
int vl_sim_cosine_vec(const float *a, const float *b, int32_t stride, float *out);

/* Squared L2 norm of every row into out[rows]. */
void vl_sim_sumsq(const vl_sim_matrix *m, float *out);

/* Scale every row of m to unit length in place (one pass, block by block, over
 * OpenMP's default thread count when large; the result does not depend on it). Zero
 * rows stay zero: *nzero (may be NULL) gets their count and *first_zero (may be
 * NULL) the first one's index (-1 if none). */
void vl_sim_normalize(vl_sim_matrix *m, int64_t *nzero, int64_t *first_zero);

/* Sum of every value (the bandwidth baseline of the bench: one streaming read,
 * the same bytes a one-query top-k reads). */
double vl_sim_sum(const vl_sim_matrix *m);

/* scores (q.rows x m.rows, row-major, ld = m.rows) = cosine of each query row
 * with each matrix row (or q.r / |q| when normalized). Blocked like top-k.
 * VL_EINVAL when a query (*bad = -1 - qi) or a row (*bad = ri) has norm 0;
 * VL_ENOMEM. threads as for top-k. */
int vl_sim_scores(const vl_sim_matrix *q, const vl_sim_matrix *m, int normalized, int threads, float *scores,
                  int64_t *bad);

typedef struct vl_sim_hit {
  int64_t index;
  float score;
} vl_sim_hit;

/* The k best rows of m for each query row of q (equal dim and stride): hits
 * (q.rows x k' with k' = min(k, m.rows), query qi's at hits + qi * k') best
 * first, counts[qi] the number
 * found (< k when m has fewer rows or fewer reach min_score). Errors as for
 * vl_sim_scores; k = 0 (or no rows) returns no hits without reading the matrix,
 * so it reports no zero row. */
int vl_sim_top_k(const vl_sim_matrix *q, const vl_sim_matrix *m, int64_t k, float min_score, int normalized,
                 int threads, vl_sim_hit *hits, int64_t *counts, int64_t *bad);

/* Reference implementations in double (the specs' ground truth): the same
 * contracts, computed by the scalar backend whatever is selected. */
int vl_sim_top_k_ref(const vl_sim_matrix *q, const vl_sim_matrix *m, int64_t k, float min_score, int normalized,
                     vl_sim_hit *hits, int64_t *counts, int64_t *bad);

/* The OpenMP thread count a call with threads = 0 and many queries uses (1
 * without OpenMP). */
int vl_sim_max_threads(void);

/* ---- quantised storage: float16 and int8 rows --------------------------------- */

/* A quantised copy of a float32 matrix, for cosine scoring only: VL_SIM_F16
 * stores IEEE half floats (round to nearest even; 2 bytes a value), VL_SIM_I8
 * stores per row q = round(x * 127 / max|x|) (1 byte a value; the row's scale
 * cancels in a cosine). Rows have the float32 matrix's stride (in elements),
 * zero-padded, 64-byte aligned. inv_norm[r] = 1 / |dequantised row r| (0 for a
 * zero row). A score is the cosine of the float32 query with the dequantised
 * row: dot(q, row) * inv_norm[r] / |q|, in the backend's arithmetic. */
enum { VL_SIM_F16 = 1, VL_SIM_I8 = 2 };
typedef struct vl_sim_qmatrix {
  void *data;
  double *inv_norm;
  int64_t rows;
  int32_t dim, stride;
  int kind;
} vl_sim_qmatrix;

/* Quantise m into *out (free with vl_sim_qfree). VL_EINVAL (bad kind), VL_ENOMEM. */
int vl_sim_quantize(const vl_sim_matrix *m, int kind, vl_sim_qmatrix *out);
void vl_sim_qfree(vl_sim_qmatrix *qm);
/* Bytes of a quantised matrix's storage. */
size_t vl_sim_qbytes(const vl_sim_qmatrix *qm);
/* top-k over quantised rows (serial; queries one by one): as vl_sim_top_k, with
 * hits at hits + qi * min(k, rows). Errors: VL_EINVAL (zero query: *bad = -1 -
 * qi; zero row: *bad = row; dim mismatch), VL_ENOMEM. */
int vl_sim_qtop_k(const vl_sim_matrix *q, const vl_sim_qmatrix *qm, int64_t k, float min_score, vl_sim_hit *hits,
                  int64_t *counts, int64_t *bad);

/* ---- model-free embeddings: a hashing vectoriser ---------------------------- */

/* Embed text (len bytes) into row[0..dim) (the caller zeroes it; stride padding
 * is left alone) as signed feature hashing, L2-normalised:
 *   words     maximal runs of [A-Za-z0-9_] and bytes >= 0x80 (UTF-8 kept whole),
 *             ASCII lowercased;
 *   features  each word ('w' tag), each pair of adjacent words when word_ngrams
 *             >= 2 ('b' tag, the words joined by a space), and each character
 *             n-gram, n = char_min..char_max (0 = none), of " word " ('c' tag);
 *   hashing   h = FNV-1a 32 of tag + feature bytes; bucket h % dim, sign + when
 *             bit 31 of h is clear, else -; every feature weighs 1.
 * Then the row is scaled by (float)(1 / |row|) (a text with no words, or whose
 * features cancel, stays zero). lua/victor/fallback/similarity.lua computes the
 * same bits. Errors: VL_EINVAL (dim < 1, bad n-gram range), VL_ENOMEM. */
int vl_sim_hash_embed(const char *text, size_t len, int32_t dim, int word_ngrams, int char_min, int char_max,
                      float *row);

/* ---- .npy files (NumPy format 1.0 / 2.0; little-endian float32, C order) ---- */

/* Read a 2-D (rows, dim) or 1-D (dim: one row) '<f4' C-order array into newly
 * allocated library storage: *out_data (free with vl_sim_free), *out (its
 * descriptor). Errors: VL_EIO (open/read failed), VL_EPARSE (not an .npy file,
 * a malformed header, a short file), VL_ETYPE (another dtype, Fortran order,
 * another number of dimensions, dim 0), VL_EINVAL (a non-finite value),
 * VL_ELIMIT (over max_bytes when > 0), VL_ENOMEM. errbuf (errlen bytes, may be
 * NULL) gets a message naming the problem. */
int vl_sim_npy_load(const char *path, size_t max_bytes, vl_sim_matrix *out, char *errbuf, size_t errlen);
/* Write m as a 2-D '<f4' C-order .npy file (format 1.0). VL_EIO on failure. */
int vl_sim_npy_save(const char *path, const vl_sim_matrix *m, char *errbuf, size_t errlen);

/* ---- internal: the per-backend kernels (similarity_kern.h) ---- */
typedef struct vl_sim_kernels {
  /* out[i * ldo + j] = dot(q row i, r row j) for i < nq, j < nr */
  void (*dots)(const float *q, int64_t nq, const float *r, int64_t nr, int32_t stride, float *out, int64_t ldo);
  /* one query: out[j] = dot(q, r row j) and ss[j] = |r row j|^2 in one pass */
  void (*dot1n)(const float *q, const float *r, int64_t nr, int32_t stride, float *out, float *ss);
  void (*sumsq)(const float *r, int64_t nr, int32_t stride, float *out);
  void (*scale)(float *r, int32_t stride, float f);
  double (*sum)(const float *r, int64_t nr, int32_t stride);
  /* out[j] = dot(q, quantised row j) for one query */
  void (*dots_i8)(const float *q, const int8_t *r, int64_t nr, int32_t stride, float *out);
  void (*dots_f16)(const float *q, const uint16_t *r, int64_t nr, int32_t stride, float *out);
  /* one pair, several chains: the dot; and {a.b, a.a, b.b} */
  float (*pair_dot)(const float *a, const float *b, int32_t stride);
  void (*pair_cos)(const float *a, const float *b, int32_t stride, float *out);
} vl_sim_kernels;
extern const vl_sim_kernels vl_sim_kern_sse2; /* core/similarity.c */
extern const vl_sim_kernels vl_sim_kern_avx2; /* core/similarity_avx2.c */

#ifdef __cplusplus
}
#endif
#endif
