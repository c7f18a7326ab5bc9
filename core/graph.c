/*
 * graph.c: CSR graph, PageRank, components, betweenness, shortest paths, top-n.
 * Semantics, memory and determinism rules are in the design note of graph.h.
 * OpenMP is optional: built without -fopenmp the parallel loops run serially and
 * give the same bits.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

#ifdef _OPENMP
#include <omp.h>
#define VL_OMP(x) _Pragma(x)
#else
#define VL_OMP(x)
#endif

struct vl_graph {
  int32_t n;
  int directed, weighted;
  int64_t m;          /* edges given */
  int64_t entries;    /* stored adjacency entries per direction (undirected: 2m - loops) */
  int64_t *out_off;   /* n + 1 */
  int32_t *out_adj;
  int64_t *in_off;    /* n + 1; undirected: == out_off */
  int32_t *in_adj;    /* undirected: == out_adj */
  double *in_w;       /* weights in in-list order, or NULL */
  size_t bytes;
};

static void *xmalloc(size_t count, size_t size)
{
  if (size && count > (size_t)-1 / size) return NULL;
  return malloc(count * size > 0 ? count * size : 1);
}

size_t vl_graph_bytes(int64_t n, int64_t m, int directed, int weighted)
{
  double nodes = (double)(n + 1) * 8.0 * (directed ? 2.0 : 1.0);
  double entries = (double)m * (directed ? 1.0 : 2.0);
  double edges = entries * (directed ? 8.0 : 4.0) + (weighted ? entries * 8.0 : 0.0);
  double total = nodes + edges;
  if (total >= 1.8e19) return (size_t)-1;
  return (size_t)total;
}

void vl_graph_free(vl_graph *g)
{
  if (!g) return;
  free(g->out_off);
  free(g->out_adj);
  if (g->directed) {
    free(g->in_off);
    free(g->in_adj);
  }
  free(g->in_w);
  free(g);
}

/* Counting sort into (off, adj[, wt]): off[v] is first the inclusive prefix sum
 * of the counts (the end of v's list); filling the edges in reverse order with
 * --off[v] leaves off[v] at the start of v's list and keeps the input order. */
int vl_graph_new(vl_graph **out, int64_t n, int64_t m, const int32_t *src, const int32_t *dst,
                 const double *w, int directed, size_t max_bytes, int64_t *bad_edge)
{
  vl_graph *g;
  int64_t i, loops = 0, entries;
  int32_t v;
  *out = NULL;
  if (bad_edge) *bad_edge = -1;
  if (n < 0 || n > VL_GRAPH_MAX_NODES || m < 0 || (m > 0 && (!src || !dst))) return VL_EINVAL;
  for (i = 0; i < m; i++) {
    if (src[i] < 0 || src[i] >= n || dst[i] < 0 || dst[i] >= n || (w && !(w[i] >= 0 && w[i] <= 1.7e308))) {
      if (bad_edge) *bad_edge = i;
      return VL_EINVAL;
    }
    loops += src[i] == dst[i];
  }
  if (max_bytes && vl_graph_bytes(n, m, directed, w != NULL) > max_bytes) return VL_ELIMIT;
  entries = directed ? m : 2 * m - loops;
  if (!(g = (vl_graph *)calloc(1, sizeof *g))) return VL_ENOMEM;
  g->n = (int32_t)n;
  g->m = m;
  g->entries = entries;
  g->directed = directed ? 1 : 0;
  g->weighted = w != NULL;
  g->out_off = (int64_t *)calloc((size_t)n + 1, sizeof(int64_t));
  g->out_adj = (int32_t *)xmalloc((size_t)entries, sizeof(int32_t));
  if (directed) {
    g->in_off = (int64_t *)calloc((size_t)n + 1, sizeof(int64_t));
    g->in_adj = (int32_t *)xmalloc((size_t)entries, sizeof(int32_t));
  } else {
    g->in_off = g->out_off;
    g->in_adj = g->out_adj;
  }
  if (w) g->in_w = (double *)xmalloc((size_t)entries, sizeof(double));
  if (!g->out_off || !g->out_adj || !g->in_off || !g->in_adj || (w && !g->in_w)) {
    vl_graph_free(g);
    return VL_ENOMEM;
  }
  g->bytes = sizeof *g + ((size_t)n + 1) * 8 * (directed ? 2 : 1) + (size_t)entries * (directed ? 8 : 4) +
             (w ? (size_t)entries * 8 : 0);
  for (i = 0; i < m; i++) {
    g->out_off[src[i]]++;
    if (directed) g->in_off[dst[i]]++;
    else if (src[i] != dst[i]) g->out_off[dst[i]]++;
  }
  for (v = 0; v < n; v++) {
    g->out_off[v + 1] += g->out_off[v];
    if (directed) g->in_off[v + 1] += g->in_off[v];
  }
  if (directed) {
    /* out-lists in input order; then each in-list sorted by source (ties in
     * out-list order), built by scanning the out-CSR backwards: PageRank's pull
     * then reads contrib[] in ascending order within a list (cache locality) */
    double *out_w = NULL;
    int32_t u;
    if (w && !(out_w = (double *)xmalloc((size_t)m, sizeof(double)))) {
      vl_graph_free(g);
      return VL_ENOMEM;
    }
    for (i = m - 1; i >= 0; i--) {
      int64_t k = --g->out_off[src[i]];
      g->out_adj[k] = dst[i];
      if (w) out_w[k] = w[i];
    }
    for (u = (int32_t)n - 1; u >= 0; u--) {
      int64_t k;
      for (k = g->out_off[u + 1] - 1; k >= g->out_off[u]; k--) {
        int64_t p = --g->in_off[g->out_adj[k]];
        g->in_adj[p] = u;
        if (w) g->in_w[p] = out_w[k];
      }
    }
    free(out_w);
  } else {
    for (i = m - 1; i >= 0; i--) {
      int32_t a = src[i], b = dst[i];
      int64_t k = --g->out_off[a];
      g->out_adj[k] = b;
      if (w) g->in_w[k] = w[i];
      if (a != b) {
        k = --g->out_off[b];
        g->out_adj[k] = a;
        if (w) g->in_w[k] = w[i];
      }
    }
  }
  *out = g;
  return VL_OK;
}

int32_t vl_graph_nodes(const vl_graph *g) { return g->n; }
int64_t vl_graph_edges(const vl_graph *g) { return g->m; }
int vl_graph_directed(const vl_graph *g) { return g->directed; }
int vl_graph_weighted(const vl_graph *g) { return g->weighted; }
size_t vl_graph_size(const vl_graph *g) { return g->bytes; }

void vl_graph_degree(const vl_graph *g, int64_t *in_deg, int64_t *out_deg)
{
  int32_t v;
  for (v = 0; v < g->n; v++) {
    if (in_deg) in_deg[v] = g->in_off[v + 1] - g->in_off[v];
    if (out_deg) out_deg[v] = g->out_off[v + 1] - g->out_off[v];
  }
}

int vl_graph_max_threads(void)
{
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/* ---- PageRank ------------------------------------------------------------- */

void vl_pagerank_defaults(vl_pagerank_opts *o)
{
  memset(o, 0, sizeof *o);
  o->damping = 0.85;
  o->tol = 1e-6;
  o->max_iter = 100;
}

/* Normalise a distribution into out[n]; VL_EINVAL when an entry is negative or
 * not finite, or all are zero. The sum runs in index order. */
static int normalize_vec(const double *in, int32_t n, double *out)
{
  double s = 0;
  int32_t v;
  for (v = 0; v < n; v++) {
    if (!(in[v] >= 0 && in[v] <= 1.7e308)) return VL_EINVAL;
    s += in[v];
  }
  if (!(s > 0 && s <= 1.7e308)) return VL_EINVAL;
  for (v = 0; v < n; v++) out[v] = in[v] / s;
  return VL_OK;
}

/* Fixed-order sum of per-block partials. */
static double sum_blocks(const double *part, int64_t nb)
{
  double s = 0;
  int64_t b;
  for (b = 0; b < nb; b++) s += part[b];
  return s;
}

/* One node's new PageRank (the design note's formula): the pull over w's in-list
 * in CSR order, then the dangling share (by qq, NULL: uniform, unif = 1 / n) and the teleport
 * (by p, NULL: base = (1 - d) / n). */
static inline double pull(const vl_graph *g, int32_t w, const double *contrib, int weighted, double d,
                          double dshare, const double *qq, double unif, const double *p, double base)
{
  int64_t k, e = g->in_off[w + 1];
  double s = 0;
  if (weighted) {
    for (k = g->in_off[w]; k < e; k++) s += contrib[g->in_adj[k]] * g->in_w[k];
  } else {
    for (k = g->in_off[w]; k < e; k++) s += contrib[g->in_adj[k]];
  }
  return d * s + dshare * (qq ? qq[w] : unif) + (p ? (1.0 - d) * p[w] : base);
}

int vl_graph_pagerank(const vl_graph *g, const vl_pagerank_opts *o, double *scores, int *iterations,
                      double *residual)
{
  const int32_t n = g->n;
  const int64_t nb = ((int64_t)n + VL_GRAPH_BLOCK - 1) / VL_GRAPH_BLOCK;
  const int weighted = o->weighted && g->weighted;
  const double d = o->damping;
  double *x = NULL, *xn = NULL, *contrib = NULL, *inv = NULL, *part = NULL, *p = NULL, *q = NULL;
  double res = 0, total;
  int it = 0, st = VL_OK, nt = o->threads, par;
  int32_t v;

  if (iterations) *iterations = 0;
  if (residual) *residual = 0;
  if (!(d > 0 && d < 1) || !(o->tol >= 0) || o->max_iter < 1) return VL_EINVAL;
  if (n == 0) return VL_OK;
#ifdef _OPENMP
  if (nt <= 0) nt = omp_get_max_threads();
#endif
  if (nt <= 0) nt = 1;
  /* below VL_GRAPH_PAR_MIN entries a step takes microseconds: fork/join and
   * barriers would cost more than they save (the bits are the same either way) */
  par = nt > 1 && nb > 1 && g->entries + n >= VL_GRAPH_PAR_MIN;
  (void)par;

  x = (double *)xmalloc((size_t)n, sizeof(double));
  xn = (double *)xmalloc((size_t)n, sizeof(double));
  contrib = (double *)xmalloc((size_t)n, sizeof(double));
  inv = (double *)xmalloc((size_t)n, sizeof(double));
  part = (double *)xmalloc((size_t)nb, sizeof(double));
  if (!x || !xn || !contrib || !inv || !part) { st = VL_ENOMEM; goto done; }
  if (o->personalization) {
    if (!(p = (double *)xmalloc((size_t)n, sizeof(double)))) { st = VL_ENOMEM; goto done; }
    if ((st = normalize_vec(o->personalization, n, p)) != VL_OK) goto done;
  }
  if (o->dangling) {
    if (!(q = (double *)xmalloc((size_t)n, sizeof(double)))) { st = VL_ENOMEM; goto done; }
    if ((st = normalize_vec(o->dangling, n, q)) != VL_OK) goto done;
  }

  /* inv[u] = 1 / W(u), 0 for a dangling node. The weighted out-sums of a directed
   * graph are scattered from the in-lists: serial, in a fixed order. */
  if (!weighted) {
    for (v = 0; v < n; v++) {
      int64_t deg = g->out_off[v + 1] - g->out_off[v];
      inv[v] = deg > 0 ? 1.0 / (double)deg : 0.0;
    }
  } else {
    for (v = 0; v < n; v++) inv[v] = 0;
    for (v = 0; v < n; v++) {
      int64_t k;
      for (k = g->in_off[v]; k < g->in_off[v + 1]; k++) inv[g->in_adj[k]] += g->in_w[k];
    }
    for (v = 0; v < n; v++) inv[v] = inv[v] > 0 ? 1.0 / inv[v] : 0.0;
  }
  for (v = 0; v < n; v++) x[v] = 1.0 / (double)n;

  if (o->gauss_seidel) {
    const double *qq = q ? q : p;
    const double base = (1.0 - d) / (double)n, unif = 1.0 / (double)n; /* unif: once, not per node */
    /* contrib[u] = x[u] / W(u), kept current as x[u] changes */
    for (v = 0; v < n; v++) contrib[v] = x[v] * inv[v];
    while (it < o->max_iter) {
      double dmass = 0, dshare;
      int32_t w;
      for (v = 0; v < n; v++)
        if (inv[v] == 0) dmass += x[v];
      dshare = d * dmass;
      res = 0;
      for (w = 0; w < n; w++) {
        double nv = pull(g, w, contrib, weighted, d, dshare, qq, unif, p, base);
        xn[w] = x[w];
        x[w] = nv;
        contrib[w] = nv * inv[w];
      }
      /* back to sum 1: keeps the error off the dominant direction, which in-place
       * sweeps do not preserve (without this they take more sweeps than power steps) */
      {
        double sum = 0;
        for (v = 0; v < n; v++) sum += x[v];
        for (v = 0; v < n; v++) {
          x[v] = x[v] / sum;
          contrib[v] = x[v] * inv[v];
          res += fabs(x[v] - xn[v]);
        }
      }
      it++;
      if (res < o->tol) break;
    }
  } else {
    const double *qq = q ? q : p; /* NULL: uniform */
    const double base = (1.0 - d) / (double)n, unif = 1.0 / (double)n; /* unif: once, not per node */
    while (it < o->max_iter) {
      double dmass, dshare;
      int64_t b;
      VL_OMP("omp parallel for schedule(static) num_threads(nt) if(par)")
      for (b = 0; b < nb; b++) {
        int32_t lo = (int32_t)(b * VL_GRAPH_BLOCK), hi = lo + VL_GRAPH_BLOCK > n ? n : lo + VL_GRAPH_BLOCK, u;
        double s = 0;
        for (u = lo; u < hi; u++) {
          contrib[u] = x[u] * inv[u];
          if (inv[u] == 0) s += x[u];
        }
        part[b] = s;
      }
      dmass = sum_blocks(part, nb);
      dshare = d * dmass;
      VL_OMP("omp parallel for schedule(dynamic, 1) num_threads(nt) if(par)")
      for (b = 0; b < nb; b++) {
        int32_t lo = (int32_t)(b * VL_GRAPH_BLOCK), hi = lo + VL_GRAPH_BLOCK > n ? n : lo + VL_GRAPH_BLOCK, w;
        double r = 0;
        for (w = lo; w < hi; w++) {
          double nv = pull(g, w, contrib, weighted, d, dshare, qq, unif, p, base);
          r += fabs(nv - x[w]);
          xn[w] = nv;
        }
        part[b] = r;
      }
      res = sum_blocks(part, nb);
      {
        double *t = x;
        x = xn;
        xn = t;
      }
      it++;
      if (res < o->tol) break;
    }
  }
  {
    int64_t b;
    for (b = 0; b < nb; b++) {
      int32_t lo = (int32_t)(b * VL_GRAPH_BLOCK), hi = lo + VL_GRAPH_BLOCK > n ? n : lo + VL_GRAPH_BLOCK, u;
      double s = 0;
      for (u = lo; u < hi; u++) s += x[u];
      part[b] = s;
    }
    total = sum_blocks(part, nb);
  }
  for (v = 0; v < n; v++) scores[v] = x[v] / total;
  if (iterations) *iterations = it;
  if (residual) *residual = res;
done:
  free(x);
  free(xn);
  free(contrib);
  free(inv);
  free(part);
  free(p);
  free(q);
  return st;
}

/* ---- components ----------------------------------------------------------- */

static int32_t uf_find(int32_t *parent, int32_t v)
{
  while (parent[v] != v) {
    parent[v] = parent[parent[v]];
    v = parent[v];
  }
  return v;
}

static int weak_components(const vl_graph *g, int32_t *comp, int32_t *count)
{
  const int32_t n = g->n;
  int32_t *parent = (int32_t *)xmalloc((size_t)n, sizeof(int32_t));
  int32_t v, next = 0;
  if (!parent) return VL_ENOMEM;
  for (v = 0; v < n; v++) parent[v] = v;
  for (v = 0; v < n; v++) {
    int64_t k;
    for (k = g->out_off[v]; k < g->out_off[v + 1]; k++) {
      int32_t a = uf_find(parent, v), b = uf_find(parent, g->out_adj[k]);
      /* the root is always the smallest node of its set */
      if (a < b) parent[b] = a;
      else if (b < a) parent[a] = b;
    }
  }
  for (v = 0; v < n; v++) {
    int32_t r = uf_find(parent, v);
    comp[v] = r == v ? next++ : comp[r];
  }
  *count = next;
  free(parent);
  return VL_OK;
}

/* Tarjan's SCC with an explicit call stack of (node, next out-entry). A node whose
 * component is decided gets index INT32_MAX, so the test "w is on the stack" needs
 * no look at comp[w]: one random access per edge instead of two. */
static int strong_components(const vl_graph *g, int32_t *comp, int32_t *count)
{
  const int32_t n = g->n;
  int32_t *index = (int32_t *)xmalloc((size_t)n, sizeof(int32_t));
  int32_t *low = (int32_t *)xmalloc((size_t)n, sizeof(int32_t));
  int32_t *stk = (int32_t *)xmalloc((size_t)n, sizeof(int32_t));
  int32_t *cs_node = (int32_t *)xmalloc((size_t)n, sizeof(int32_t));
  int64_t *cs_edge = (int64_t *)xmalloc((size_t)n, sizeof(int64_t));
  int32_t *map = index; /* reused for the renumbering */
  int32_t s, v, counter = 0, sp = 0, ncomp = 0, next = 0;
  int st = VL_OK;
  if (!index || !low || !stk || !cs_node || !cs_edge) { st = VL_ENOMEM; goto done; }
  for (v = 0; v < n; v++) {
    index[v] = -1;
    comp[v] = -1;
  }
  for (s = 0; s < n; s++) {
    int32_t csp = 0;
    if (index[s] != -1) continue;
    cs_node[0] = s;
    cs_edge[0] = g->out_off[s];
    csp = 1;
    index[s] = low[s] = counter++;
    stk[sp++] = s;
    while (csp > 0) {
      int32_t u = cs_node[csp - 1];
      int64_t k = cs_edge[csp - 1];
      if (k < g->out_off[u + 1]) {
        int32_t w = g->out_adj[k];
        cs_edge[csp - 1] = k + 1;
        if (index[w] == -1) {
          index[w] = low[w] = counter++;
          stk[sp++] = w;
          cs_node[csp] = w;
          cs_edge[csp] = g->out_off[w];
          csp++;
        } else if (index[w] < low[u]) {
          low[u] = index[w]; /* w is on the stack (a decided node's index is INT32_MAX) */
        }
      } else {
        csp--;
        if (low[u] == index[u]) {
          int32_t w;
          do {
            w = stk[--sp];
            comp[w] = ncomp;
            index[w] = INT32_MAX;
          } while (w != u);
          ncomp++;
        }
        if (csp > 0) {
          int32_t parent = cs_node[csp - 1];
          if (low[u] < low[parent]) low[parent] = low[u];
        }
      }
    }
  }
  /* renumber by smallest node */
  for (v = 0; v < ncomp; v++) map[v] = -1;
  for (v = 0; v < n; v++) {
    if (map[comp[v]] == -1) map[comp[v]] = next++;
    comp[v] = map[comp[v]];
  }
  *count = ncomp;
done:
  free(index);
  free(low);
  free(stk);
  free(cs_node);
  free(cs_edge);
  return st;
}

int vl_graph_components(const vl_graph *g, int strong, int32_t *comp, int32_t *count)
{
  *count = 0;
  if (g->n == 0) return VL_OK;
  if (strong && g->directed) return strong_components(g, comp, count);
  return weak_components(g, comp, count);
}

/* ---- betweenness ---------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

int vl_graph_betweenness(const vl_graph *g, int normalized, int64_t samples, uint64_t seed, double *bc)
{
  const int32_t n = g->n;
  double *sigma, *delta;
  int32_t *dist, *order, *src = NULL;
  int64_t nsrc = n, i;
  int32_t v;
  double scale = 1.0;
  int sampled = samples > 0 && samples < n;
  for (v = 0; v < n; v++) bc[v] = 0;
  if (n == 0) return VL_OK;
  sigma = (double *)xmalloc((size_t)n, sizeof(double));
  delta = (double *)xmalloc((size_t)n, sizeof(double));
  dist = (int32_t *)xmalloc((size_t)n, sizeof(int32_t));
  order = (int32_t *)xmalloc((size_t)n, sizeof(int32_t));
  if (sampled) src = (int32_t *)xmalloc((size_t)n, sizeof(int32_t));
  if (!sigma || !delta || !dist || !order || (sampled && !src)) {
    free(sigma);
    free(delta);
    free(dist);
    free(order);
    free(src);
    return VL_ENOMEM;
  }
  if (sampled) {
    uint64_t s = seed;
    for (v = 0; v < n; v++) src[v] = v;
    for (i = 0; i < samples; i++) {
      int64_t j = i + (int64_t)(splitmix64(&s) % (uint64_t)(n - i));
      int32_t t = src[i];
      src[i] = src[j];
      src[j] = t;
    }
    nsrc = samples;
  }
  for (v = 0; v < n; v++) {
    dist[v] = -1;
    sigma[v] = 0;
    delta[v] = 0;
  }
  for (i = 0; i < nsrc; i++) {
    int32_t s = sampled ? src[i] : (int32_t)i, head = 0, tail = 0, j;
    dist[s] = 0;
    sigma[s] = 1;
    order[tail++] = s;
    while (head < tail) {
      int32_t u = order[head++];
      int64_t k;
      for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
        int32_t w = g->out_adj[k];
        if (dist[w] < 0) {
          dist[w] = dist[u] + 1;
          order[tail++] = w;
        }
        if (dist[w] == dist[u] + 1) sigma[w] += sigma[u];
      }
    }
    for (j = tail - 1; j > 0; j--) {
      int32_t w = order[j];
      int64_t k;
      double c = (1.0 + delta[w]) / sigma[w];
      for (k = g->in_off[w]; k < g->in_off[w + 1]; k++) {
        int32_t u = g->in_adj[k];
        if (dist[u] == dist[w] - 1) delta[u] += sigma[u] * c;
      }
      bc[w] += delta[w];
    }
    for (j = 0; j < tail; j++) {
      int32_t w = order[j];
      dist[w] = -1;
      sigma[w] = 0;
      delta[w] = 0;
    }
  }
  if (normalized) {
    if (n > 2) scale = 1.0 / ((double)(n - 1) * (double)(n - 2));
    else scale = g->directed ? 1.0 : 0.5;
  } else if (!g->directed) {
    scale = 0.5;
  }
  if (sampled) scale *= (double)n / (double)samples;
  if (scale != 1.0)
    for (v = 0; v < n; v++) bc[v] *= scale;
  free(sigma);
  free(delta);
  free(dist);
  free(order);
  free(src);
  return VL_OK;
}

/* ---- shortest path -------------------------------------------------------- */

/* Indexed binary min-heap on (key[v], v). */
typedef struct heap {
  int32_t *h, *pos, size;
  const double *key;
} heap;

static int heap_less(const heap *H, int32_t a, int32_t b)
{
  double ka = H->key[a], kb = H->key[b];
  return ka < kb || (ka == kb && a < b);
}

static void heap_up(heap *H, int32_t i)
{
  int32_t v = H->h[i];
  while (i > 0) {
    int32_t p = (i - 1) / 2;
    if (!heap_less(H, v, H->h[p])) break;
    H->h[i] = H->h[p];
    H->pos[H->h[i]] = i;
    i = p;
  }
  H->h[i] = v;
  H->pos[v] = i;
}

static void heap_down(heap *H, int32_t i)
{
  int32_t v = H->h[i];
  for (;;) {
    int32_t c = 2 * i + 1;
    if (c >= H->size) break;
    if (c + 1 < H->size && heap_less(H, H->h[c + 1], H->h[c])) c++;
    if (!heap_less(H, H->h[c], v)) break;
    H->h[i] = H->h[c];
    H->pos[H->h[i]] = i;
    i = c;
  }
  H->h[i] = v;
  H->pos[v] = i;
}

int vl_graph_shortest_path(const vl_graph *g, int32_t a, int32_t b, int weighted, int32_t *path,
                           int32_t *len, double *dist)
{
  const int32_t n = g->n;
  int32_t *link, *buf, v;
  *len = 0;
  *dist = HUGE_VAL;
  if (a < 0 || a >= n || b < 0 || b >= n) return VL_EINVAL;
  link = (int32_t *)xmalloc((size_t)n, sizeof(int32_t));
  buf = (int32_t *)xmalloc((size_t)n, sizeof(int32_t));
  if (!link || !buf) {
    free(link);
    free(buf);
    return VL_ENOMEM;
  }
  for (v = 0; v < n; v++) link[v] = -1;
  if (!(weighted && g->weighted)) {
    /* BFS from a; link = parent; the path is written backwards */
    int32_t head = 0, tail = 0, found = a == b;
    link[a] = a;
    buf[tail++] = a;
    while (head < tail && !found) {
      int32_t u = buf[head++];
      int64_t k;
      for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
        int32_t w = g->out_adj[k];
        if (link[w] >= 0) continue;
        link[w] = u;
        if (w == b) { found = 1; break; }
        buf[tail++] = w;
      }
    }
    if (found) {
      int32_t l = 0, i;
      for (v = b; v != a; v = link[v]) buf[l++] = v;
      buf[l++] = a;
      for (i = 0; i < l; i++) path[i] = buf[l - 1 - i];
      *len = l;
      *dist = (double)(l - 1);
    }
  } else {
    /* Dijkstra from b over the in-lists: link = next node towards b */
    double *key = (double *)xmalloc((size_t)n, sizeof(double));
    int32_t *pos = (int32_t *)xmalloc((size_t)n, sizeof(int32_t));
    heap H;
    if (!key || !pos) {
      free(key);
      free(pos);
      free(link);
      free(buf);
      return VL_ENOMEM;
    }
    for (v = 0; v < n; v++) {
      key[v] = HUGE_VAL;
      pos[v] = -1;
    }
    H.h = buf;
    H.pos = pos;
    H.size = 0;
    H.key = key;
    key[b] = 0;
    link[b] = b;
    H.h[H.size++] = b;
    pos[b] = 0;
    while (H.size > 0) {
      int32_t u = H.h[0];
      int64_t k;
      H.h[0] = H.h[--H.size];
      pos[u] = -2; /* settled */
      if (H.size > 0) {
        pos[H.h[0]] = 0;
        heap_down(&H, 0);
      }
      if (u == a) break;
      for (k = g->in_off[u]; k < g->in_off[u + 1]; k++) {
        int32_t x = g->in_adj[k];
        double nd = key[u] + g->in_w[k];
        if (pos[x] == -2 || !(nd < key[x])) continue;
        key[x] = nd;
        link[x] = u;
        if (pos[x] == -1) {
          H.h[H.size] = x;
          pos[x] = H.size++;
        }
        heap_up(&H, pos[x]);
      }
    }
    if (key[a] < HUGE_VAL) {
      int32_t l = 0;
      for (v = a; v != b; v = link[v]) path[l++] = v;
      path[l++] = b;
      *len = l;
      *dist = key[a];
    }
    free(key);
    free(pos);
  }
  free(link);
  free(buf);
  return VL_OK;
}

/* ---- top-n ---------------------------------------------------------------- */

/* a ranks above b: higher score, then lower index; NaN below everything */
static int ranks_above(const double *s, int32_t a, int32_t b)
{
  int na = s[a] != s[a], nb = s[b] != s[b];
  if (na != nb) return nb;
  if (!na && s[a] != s[b]) return s[a] > s[b];
  return a < b;
}

/* min-heap of the worst-ranked on top */
static void top_down(const double *s, int32_t *h, int32_t size, int32_t i)
{
  int32_t v = h[i];
  for (;;) {
    int32_t c = 2 * i + 1;
    if (c >= size) break;
    if (c + 1 < size && ranks_above(s, h[c], h[c + 1])) c++;
    if (!ranks_above(s, v, h[c])) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = v;
}

int vl_graph_top(const double *scores, int32_t n, int32_t k, int32_t *idx)
{
  int32_t i, size = 0;
  if (k > n) k = n;
  if (k <= 0) return VL_OK;
  for (i = 0; i < n; i++) {
    if (size < k) {
      int32_t j = size++;
      idx[j] = i;
      while (j > 0) {
        int32_t p = (j - 1) / 2;
        if (!ranks_above(scores, idx[p], idx[j])) break;
        {
          int32_t t = idx[p];
          idx[p] = idx[j];
          idx[j] = t;
        }
        j = p;
      }
    } else if (ranks_above(scores, i, idx[0])) {
      idx[0] = i;
      top_down(scores, idx, size, 0);
    }
  }
  /* heap sort: repeatedly move the worst to the end */
  while (size > 1) {
    int32_t t = idx[0];
    idx[0] = idx[size - 1];
    idx[size - 1] = t;
    size--;
    top_down(scores, idx, size, 0);
  }
  return VL_OK;
}
