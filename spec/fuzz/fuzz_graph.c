/*
 * fuzz_graph.c: libFuzzer target for the graph kernel (core/graph.c, built
 * serially here). The input is: byte 0 flags (bit 0 directed, bit 1 weighted,
 * bit 2 personalised, bit 3 uniform dangling), byte 1 the node count - 1, byte 2
 * the damping, then (src, dst, weight) byte triples. Checks: the build accepts
 * in-range ids and rejects an out-of-range one; PageRank scores are finite,
 * >= 0 and sum to 1 within 1e-9; weak and strong components partition the
 * nodes, are numbered by smallest node, every edge stays inside a weak component
 * and every strong component inside a weak one; shortest paths follow edges;
 * betweenness is finite and >= 0; top-n is ordered.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_edge(const int32_t *s, const int32_t *d, int64_t m, int directed, int32_t a, int32_t b)
{
  int64_t i;
  for (i = 0; i < m; i++)
    if ((s[i] == a && d[i] == b) || (!directed && s[i] == b && d[i] == a)) return 1;
  return 0;
}

static void check_partition(const int32_t *comp, int32_t n, int32_t count)
{
  int32_t v, next = 0;
  CHECK(count >= (n > 0) && count <= n);
  for (v = 0; v < n; v++) {
    CHECK(comp[v] >= 0 && comp[v] < count);
    CHECK(comp[v] <= next); /* numbered in order of smallest node */
    if (comp[v] == next) next++;
  }
  CHECK(next == count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  int32_t n, *src, *dst, *weak, *strong, *path, *idx, nw = 0, ns = 0, v, len;
  double *w, *scores, *pers, *bc, sum = 0, dist;
  int64_t m, i, bad;
  int directed, weighted, st, it;
  vl_graph *g;
  vl_pagerank_opts o;
  if (size < 3) return 0;
  directed = data[0] & 1;
  weighted = (data[0] >> 1) & 1;
  n = (int32_t)data[1] + 1;
  m = (int64_t)(size - 3) / 3;
  src = (int32_t *)malloc((size_t)(m + 1) * sizeof *src);
  dst = (int32_t *)malloc((size_t)(m + 1) * sizeof *dst);
  w = (double *)malloc((size_t)(m + 1) * sizeof *w);
  scores = (double *)malloc((size_t)n * sizeof *scores);
  pers = (double *)malloc((size_t)n * sizeof *pers);
  bc = (double *)malloc((size_t)n * sizeof *bc);
  weak = (int32_t *)malloc((size_t)n * sizeof *weak);
  strong = (int32_t *)malloc((size_t)n * sizeof *strong);
  path = (int32_t *)malloc((size_t)n * sizeof *path);
  idx = (int32_t *)malloc((size_t)n * sizeof *idx);
  CHECK(src && dst && w && scores && pers && bc && weak && strong && path && idx);
  for (i = 0; i < m; i++) {
    src[i] = data[3 + 3 * i] % n;
    dst[i] = data[4 + 3 * i] % n;
    w[i] = data[5 + 3 * i] / 16.0;
  }
  /* an out-of-range id is refused with its edge index */
  if (m > 0) {
    int32_t keep = dst[m - 1];
    dst[m - 1] = n;
    CHECK(vl_graph_new(&g, n, m, src, dst, weighted ? w : NULL, directed, 0, &bad) == VL_EINVAL);
    CHECK(bad == m - 1 && g == NULL);
    dst[m - 1] = keep;
  }
  CHECK(vl_graph_new(&g, n, m, src, dst, weighted ? w : NULL, directed, 1, &bad) ==
        (n > 0 ? VL_ELIMIT : VL_OK));
  vl_graph_free(g);
  st = vl_graph_new(&g, n, m, src, dst, weighted ? w : NULL, directed, 0, &bad);
  CHECK(st == VL_OK);
  CHECK(vl_graph_nodes(g) == n && vl_graph_edges(g) == m);

  vl_pagerank_defaults(&o);
  o.damping = (data[2] % 254 + 1) / 255.0;
  o.tol = 1e-10;
  o.max_iter = 60;
  o.weighted = weighted;
  if (data[0] & 4) {
    int any = 0;
    for (v = 0; v < n; v++) {
      pers[v] = (double)((v * 7 + data[2]) % 5);
      any |= pers[v] > 0;
    }
    o.personalization = pers;
    if (data[0] & 8) o.dangling = pers;
    st = vl_graph_pagerank(g, &o, scores, &it, NULL);
    if (!any) {
      CHECK(st == VL_EINVAL);
      o.personalization = o.dangling = NULL;
    }
  }
  st = vl_graph_pagerank(g, &o, scores, &it, NULL);
  CHECK(st == VL_OK && it >= 1 && it <= 60);
  for (v = 0; v < n; v++) {
    CHECK(scores[v] >= 0 && scores[v] <= 1 + 1e-12);
    sum += scores[v];
  }
  CHECK(fabs(sum - 1) < 1e-9);
  o.damping = 1.0;
  CHECK(vl_graph_pagerank(g, &o, scores, &it, NULL) == VL_EINVAL);

  CHECK(vl_graph_components(g, 0, weak, &nw) == VL_OK);
  CHECK(vl_graph_components(g, 1, strong, &ns) == VL_OK);
  check_partition(weak, n, nw);
  check_partition(strong, n, ns);
  CHECK(ns >= nw);
  for (i = 0; i < m; i++) CHECK(weak[src[i]] == weak[dst[i]]);
  for (i = 0; i < m; i++) /* an edge both ways puts both ends in one strong component */
    if (has_edge(src, dst, m, 1, dst[i], src[i])) CHECK(strong[src[i]] == strong[dst[i]]);
  for (v = 1; v < n; v++)
    if (strong[v] == strong[v - 1]) CHECK(weak[v] == weak[v - 1]);

  {
    int32_t a = data[size - 1] % n, b = data[size / 2] % n;
    int wt;
    for (wt = 0; wt < 2; wt++) {
      CHECK(vl_graph_shortest_path(g, a, b, wt, path, &len, &dist) == VL_OK);
      if (len == 0) {
        CHECK(isinf(dist));
        if (!directed) CHECK(weak[a] != weak[b]);
      } else {
        CHECK(path[0] == a && path[len - 1] == b);
        for (v = 1; v < len; v++) CHECK(has_edge(src, dst, m, directed, path[v - 1], path[v]));
        if (!(wt && weighted)) CHECK(dist == len - 1);
        else CHECK(dist >= 0 && dist <= 16.0 * (len - 1));
        CHECK(weak[a] == weak[b]);
      }
    }
    CHECK(vl_graph_shortest_path(g, n, b, 0, path, &len, &dist) == VL_EINVAL);
  }

  CHECK(vl_graph_betweenness(g, data[0] & 16, (data[0] & 32) ? 3 : 0, data[2], bc) == VL_OK);
  for (v = 0; v < n; v++) CHECK(bc[v] >= 0 && bc[v] < 1e300);

  CHECK(vl_graph_top(scores, n, n, idx) == VL_OK);
  for (v = 1; v < n; v++)
    CHECK(scores[idx[v - 1]] > scores[idx[v]] || (scores[idx[v - 1]] == scores[idx[v]] && idx[v - 1] < idx[v]));

  vl_graph_free(g);
  free(src);
  free(dst);
  free(w);
  free(scores);
  free(pers);
  free(bc);
  free(weak);
  free(strong);
  free(path);
  free(idx);
  return 0;
}
