/*
 * graph.h: a compressed-sparse-row graph and the algorithms code-graph analysis
 * asks of it: PageRank (plain, weighted, personalised), connected components
 * (strong and weak), degrees, betweenness centrality, shortest paths, top-n.
 *
 * Design note
 * -----------
 * Victor's graph_algo.rs runs PageRank over hash maps: it leaks the mass of
 * dangling nodes (scores of a 100K/1M graph sum to 0.70), its weighted variant
 * has no convergence check, and it sums in hash order, so the last bits move from
 * run to run. This kernel fixes all three and is about 100x faster.
 *
 * Graph. Nodes are the integers 0..n-1 (n < 2^31). A graph is built once from
 * m edge pairs (src[i], dst[i]) with optional weights w[i] and is immutable
 * afterwards: every algorithm takes a const graph, so one graph can be shared by
 * threads and lua_States. Storage:
 *   directed    out-CSR (offsets, destinations) and in-CSR (offsets, sources);
 *               the weights, when given, in in-CSR order (what PageRank pulls).
 *   undirected  one symmetric adjacency: edge {u,v} is stored as v in u's list
 *               and u in v's list; a self-loop {v,v} is stored once.
 * Adjacency lists keep the input order of the edges (a stable counting sort).
 * Memory: 16 bytes per node (two int64 offset arrays) plus 8 bytes per directed
 * edge (4 out + 4 in) or per undirected non-loop edge (4 + 4, both directions),
 * plus 8 bytes per stored entry for weights (so 16 bytes per weighted edge).
 * vl_graph_bytes() gives the exact figure; vl_graph_new refuses a graph over
 * max_bytes with VL_ELIMIT before allocating.
 *
 * Duplicate edges and self-loops (the rule): both are kept, as in a multigraph
 * (igraph's rule, and networkx's MultiDiGraph, which aider uses). A repeated edge
 * counts once per copy: it carries one more share of PageRank (the same result as
 * one edge with the summed weight), adds to the degrees, and multiplies shortest-
 * path counts in betweenness. A self-loop v->v is one out- and one in-entry of v
 * (undirected: one adjacency entry, so it adds 1 to v's degree); it carries its
 * share of PageRank back to v, and never lies on a shortest path.
 *
 * PageRank (vl_graph_pagerank), networkx's definition: with damping d, the
 * personalisation p (uniform 1/n when absent) and the dangling distribution q
 * (p when absent), both normalised to sum 1, one Jacobi step is
 *   x'[v] = d * sum_{u->v} x[u] * w(u,v) / W(u)  +  d * D * q[v]  +  (1-d) * p[v]
 * where W(u) is u's out-degree (unweighted) or the sum of its out-weights, and
 * D is the total score of the dangling nodes (W(u) = 0): their mass is
 * redistributed, not lost. Start x = 1/n. Convergence: the L1 residual
 * sum_v |x'[v] - x[v]| < tol (gapbs's criterion; networkx uses n * tol), checked
 * after every step; at most max_iter steps. The result is then divided by its sum,
 * so it sums to 1 within a few ulps; iterations and the last residual are
 * returned (residual >= tol means max_iter was hit: not an error).
 * Undirected graphs: each adjacency entry is an edge in both directions.
 * Pull-based: each step first computes contrib[u] = x[u]/W(u) (0 if dangling),
 * then each x'[v] sums over v's in-list in CSR order. The node range is cut into
 * fixed blocks of VL_GRAPH_BLOCK nodes; the global sums (D, the residual, the
 * final total) are per-block partial sums added in block order. So with OpenMP
 * (threads = 0: the runtime's default; 1: serial) the result is bit-identical for
 * every thread count and every run. Graphs under VL_GRAPH_PAR_MIN entries + nodes
 * run serially whatever the thread count.
 * Gauss-Seidel (gauss_seidel = 1): the same equation solved by serial in-place
 * sweeps in node order: x[v] is overwritten as soon as it is computed, so later
 * nodes of the sweep already pull the new values; D is taken at the start of each
 * sweep, and after each sweep x is divided by its sum (serial, node order): without
 * that the in-place error keeps a component along the dominant direction and the
 * sweeps converge slower than power steps (seen: 90 sweeps against 47 steps). The
 * fixed point is the same vector; the residual is the L1 change of one sweep after
 * the division, with the same tol. It needs about half the steps (the spec checks
 * fewer, the bench reports both) but cannot be split across threads without
 * changing its bits, so it ignores `threads`.
 *
 * Components (vl_graph_components): weak = union-find over the undirected edges
 * (path halving, union by smaller root), strong = Tarjan's algorithm with an
 * explicit stack (no recursion: a million-node chain is fine). Component ids are
 * 0..k-1, numbered in order of each component's smallest node (node 0 is in
 * component 0). Undirected graphs: strong = weak.
 *
 * Betweenness (vl_graph_betweenness): Brandes' algorithm, unweighted (BFS),
 * path counts in doubles. Undirected graphs run it over the symmetric adjacency
 * and halve the result. normalized scales as networkx does: by 1/((n-1)(n-2))
 * when n > 2 (for undirected graphs after the halving it is 2/((n-1)(n-2))).
 * samples = k in 1..n-1 uses k distinct sources drawn with a seeded SplitMix64
 * (partial Fisher-Yates) and scales by n/k; 0 or >= n uses every source. Serial.
 *
 * Shortest path (vl_graph_shortest_path): unweighted, BFS from a along out-lists
 * (the first discovery in CSR order is the parent); weighted (the graph has
 * weights and weighted = 1), Dijkstra backwards from b over the in-lists (binary
 * heap, ties by node id), then the path is read forwards from a. A zero weight is
 * allowed.
 *
 * Top-n (vl_graph_top): the k highest scores, ties by index ascending; NaN sorts
 * last.
 *
 * Complexity: build O(n + m); PageRank O(n + m) per step; components O(n + m);
 * betweenness O(n m) (O(k m) sampled); shortest path O(n + m) or O(m log n).
 * Working memory: PageRank 32 bytes per node (+8 weighted); components 4..16 per
 * node; betweenness about 32 per node; shortest path 16..24 per node.
 * Nothing here raises, prints or exits; allocation failure is VL_ENOMEM.
 */
#ifndef VL_GRAPH_H
#define VL_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "vl_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Nodes per block of the fixed-order global sums (see the design note). */
#define VL_GRAPH_BLOCK 2048
#define VL_GRAPH_MAX_NODES 2147483647
/* PageRank runs serially on graphs with fewer stored entries + nodes than this
 * (threads cost more than they save there; the result is the same). */
#define VL_GRAPH_PAR_MIN (1 << 19)

/* Immutable after vl_graph_new. */
typedef struct vl_graph vl_graph;

/* Bytes a graph of n nodes and m edges will hold (see the design note), for the
 * memory cap; undirected graphs assume no self-loops (the upper bound). */
size_t vl_graph_bytes(int64_t n, int64_t m, int directed, int weighted);

/* Build a graph of n nodes (0 <= n < 2^31) from m edges src[i] -> dst[i] (ids in
 * 0..n-1) and optional weights w (NULL: unweighted; else finite and >= 0).
 * Copies what it needs: the arrays may be freed afterwards. max_bytes 0 means no
 * cap. On success *out owns a new graph (free it with vl_graph_free).
 * Errors: VL_EINVAL (bad id or weight: *bad_edge, when not NULL, is its 0-based
 * index; n out of range: *bad_edge = -1), VL_ELIMIT (over max_bytes), VL_ENOMEM. */
int vl_graph_new(vl_graph **out, int64_t n, int64_t m, const int32_t *src, const int32_t *dst,
                 const double *w, int directed, size_t max_bytes, int64_t *bad_edge);
/* NULL is a no-op. */
void vl_graph_free(vl_graph *g);

int32_t vl_graph_nodes(const vl_graph *g);
/* The number of edges given to vl_graph_new. */
int64_t vl_graph_edges(const vl_graph *g);
int vl_graph_directed(const vl_graph *g);
int vl_graph_weighted(const vl_graph *g);
/* Bytes held by the graph. */
size_t vl_graph_size(const vl_graph *g);

/* in_deg[v], out_deg[v] (either may be NULL), each an array of n. Undirected:
 * both are the adjacency length (a self-loop counts 1). */
void vl_graph_degree(const vl_graph *g, int64_t *in_deg, int64_t *out_deg);

typedef struct vl_pagerank_opts {
  double damping;             /* in (0, 1); 0.85 is usual */
  double tol;                 /* L1 residual to stop at; >= 0 */
  int max_iter;               /* >= 1 */
  int weighted;               /* use the graph's weights (ignored without any) */
  const double *personalization; /* n entries >= 0, sum > 0; NULL: uniform */
  const double *dangling;     /* n entries >= 0, sum > 0; NULL: personalization */
  int threads;                /* 0: OpenMP's default; >= 1: that many */
  int gauss_seidel;           /* 1: serial in-place sweeps (see the design note); 0: power */
} vl_pagerank_opts;

/* Fill opts with the defaults: 0.85, 1e-6, 100, unweighted, NULL, NULL, 0, power. */
void vl_pagerank_defaults(vl_pagerank_opts *opts);

/* Scores into scores[n]; *iterations (steps run) and *residual (the last L1
 * residual) when not NULL. An empty graph gives 0 iterations. Errors: VL_EINVAL
 * (damping, tol, max_iter, or a bad personalization/dangling vector: negative,
 * NaN, infinite or all zero), VL_ENOMEM. */
int vl_graph_pagerank(const vl_graph *g, const vl_pagerank_opts *opts, double *scores, int *iterations,
                      double *residual);

/* comp[v] = component id of v (n entries); *count = the number of components.
 * strong: strongly connected (directed graphs), else weakly. VL_ENOMEM. */
int vl_graph_components(const vl_graph *g, int strong, int32_t *comp, int32_t *count);

/* Betweenness centrality into bc[n] (see the design note). VL_ENOMEM. */
int vl_graph_betweenness(const vl_graph *g, int normalized, int64_t samples, uint64_t seed, double *bc);

/* Shortest path from a to b: path[0..*len-1] = a, ..., b (path holds n entries),
 * *dist = its length (edges, or the weight sum). No path: *len = 0, *dist =
 * +inf, VL_OK. Errors: VL_EINVAL (a or b out of range), VL_ENOMEM. */
int vl_graph_shortest_path(const vl_graph *g, int32_t a, int32_t b, int weighted, int32_t *path,
                           int32_t *len, double *dist);

/* The indices of the k highest of scores[0..n-1] (k <= n), best first, ties by
 * index ascending, NaN last; writes min(k, n) entries to idx. VL_ENOMEM. */
int vl_graph_top(const double *scores, int32_t n, int32_t k, int32_t *idx);

/* The OpenMP runtime's thread count (1 when built without OpenMP). */
int vl_graph_max_threads(void);

#ifdef __cplusplus
}
#endif
#endif
