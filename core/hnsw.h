/*
 * hnsw.h: approximate nearest-neighbour search by cosine similarity over float32
 * embeddings: a Hierarchical Navigable Small World graph (Malkov & Yashunin),
 * built once, queried many times, saved to and loaded from a file.
 *
 * Design note
 * -----------
 * Storage. The index owns a normalised copy of the rows (library storage of
 * similarity.h: 64-byte aligned, padded stride, zero padding), so a score is a
 * dot product of unit vectors (the cosine), computed by the selected SIMD backend
 * (vl_sim_dot_vec). Node i is row i of the matrix it was built from.
 *
 * Levels. Node i's top level is floor(-ln(u) / ln(M)) with u drawn from
 * splitmix64(seed + i) (capped at VL_HNSW_MAX_LEVEL): a function of the node and
 * the seed only, so a build does not depend on anything but its inputs.
 *
 * Build. Nodes are inserted in index order, serially (a parallel insert would
 * make the graph depend on thread timing): greedy descent from the entry point
 * through the levels above the node's, then at each of its levels a beam search
 * of width ef_construction whose result is pruned with the neighbour-selection
 * heuristic (keep a candidate only if it is more similar to the new node than to
 * every neighbour kept before it) to at most M links (level 0: M0 = 2M); each
 * neighbour links back, and a list that overflows is pruned with the same
 * heuristic. Every comparison is on (score, index): higher score first, lower
 * index on ties, so the graph and every result are deterministic.
 *
 * Query. Greedy descent to level 0, then a beam search of width max(ef, k); the
 * k best are returned by score descending, index ascending, those below
 * min_score left out. Queries are normalised first (a zero query is an error).
 * Many queries run in parallel (OpenMP, `threads`; each thread has its own
 * visited-set and heaps); results do not depend on the thread count. Recall
 * grows with ef (the bench reports recall@10 against exact search).
 *
 * File format (vl_hnsw_save/load), little-endian as written on x86-64 and arm64,
 * checked by a byte-order marker: "VLHNSW\0\0", u32 version (1), u32 0x01020304,
 * i32 dim, m, m0, ef_construction, max_level, entry, i64 n, u64 seed, n level
 * bytes (zero-padded to a multiple of 8), the level-0 link table (n x (m0 + 1)
 * i32: count then ids), the upper link table (sum of levels x (m + 1) i32, node
 * by node, level 1 first), the rows (n x dim f32, packed), then XXH3-64 of all
 * the bytes before it. Load checks the header, every count and id, the sizes and
 * the checksum: a damaged file is VL_EPARSE with a message, never trusted.
 *
 * Complexity: build about O(n log n x ef_construction x M) dot products; memory
 * n x (stride x 4 + (M0 + 1) x 4 + 1) bytes plus the upper levels (about n / M
 * nodes). Query about O(log n x ef x M0) dot products. Limits: n < 2^31, dim <=
 * VL_SIM_MAX_DIM, 2 <= M <= 256, ef <= 65536. Nothing here raises, prints or
 * exits; allocation failure is VL_ENOMEM. A built or loaded index is immutable:
 * share it across threads.
 */
#ifndef VL_HNSW_H
#define VL_HNSW_H

#include <stddef.h>
#include <stdint.h>

#include "similarity.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VL_HNSW_MAX_LEVEL 16
#define VL_HNSW_MAX_M 256
#define VL_HNSW_MAX_EF 65536

typedef struct vl_hnsw vl_hnsw;

typedef struct vl_hnsw_opts {
  int m;                /* links per node above level 0 (level 0: 2m); 0: 16 */
  int ef_construction;  /* beam width while building; 0: 200 */
  uint64_t seed;        /* level draws */
} vl_hnsw_opts;

/* Build an index over the rows of m (layout of similarity.h). VL_EINVAL: a zero
 * row (*bad = its index), bad options (*bad = -1); VL_ELIMIT: over 2^31 - 1 rows;
 * VL_ENOMEM. On failure *out is NULL. */
int vl_hnsw_build(const vl_sim_matrix *m, const vl_hnsw_opts *opts, vl_hnsw **out, int64_t *bad);
void vl_hnsw_free(vl_hnsw *h);

int64_t vl_hnsw_size(const vl_hnsw *h);
int32_t vl_hnsw_dim(const vl_hnsw *h);
/* m, m0, ef_construction, max_level into out[0..4). */
void vl_hnsw_params(const vl_hnsw *h, int out[4]);
/* Bytes the index holds. */
size_t vl_hnsw_memory(const vl_hnsw *h);

/* The k best nodes for each query row of q (q.dim == the index's dim, layout of
 * similarity.h), beam width ef (raised to k): hits at hits + qi * k' with k' =
 * min(k, n), counts[qi] found. VL_EINVAL: a zero query (*bad = -1 - qi), a
 * dimension mismatch (*bad = 0); VL_ENOMEM. */
int vl_hnsw_search(const vl_hnsw *h, const vl_sim_matrix *q, int64_t k, int ef, float min_score, int threads,
                   vl_sim_hit *hits, int64_t *counts, int64_t *bad);

/* Save to / load from a file (format in the design note). VL_EIO (errno set;
 * err says which file), VL_EPARSE (err says what is wrong), VL_ENOMEM. err
 * (errlen bytes) may be NULL. */
int vl_hnsw_save(const vl_hnsw *h, const char *path, char *err, size_t errlen);
int vl_hnsw_load(const char *path, vl_hnsw **out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
