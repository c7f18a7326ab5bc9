#!/usr/bin/env bash
# graph-conformance.sh [BUILD]: compare victor.graph with the reference libraries
# on random graphs (issue 8; meant for a `make conformance` target, not `make test`).
#   PageRank   vs networkx (_pagerank_python, tol 1e-15) and igraph (PRPACK): L1 < 1e-6,
#              on graphs with dangling nodes, with weights and with personalisation
#   components vs networkx (weakly / strongly connected): the same partitions
#   betweenness vs networkx betweenness_centrality (normalized): max |diff| < 1e-9
# A missing library is reported and skipped (exit 0 only when at least one ran and
# nothing failed). Install them with (Debian):
#   apt-get install --no-install-recommends python3-networkx python3-igraph
# (or: pip install networkx igraph).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
BUILD=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

LUA_PATH="./lua/?.lua;./$BUILD/gen/lua/?.lua;;" LUA_CPATH="./$BUILD/lib/?.so;;" luajit - "$tmp" <<'LUA' || exit 2
local graph = require "victor.graph"
local cjson = require "cjson"
local dir = arg[1]
local seed = 4242
local function r(k) seed = seed * 48271 % 2147483647 return seed % k end
local cases = {}
for c = 1, 16 do
  local simple = c > 12 -- graphs 13..16: no parallel edges or self-loops (for networkx's betweenness)
  local n = simple and ({ 60, 300 })[c % 2 + 1] or ({ 50, 200, 1000, 3000 })[c % 4 + 1]
  local m = n * (c % 3 + 2)
  local directed = c % 5 ~= 0 and c ~= 14
  local weighted = c % 3 == 0
  local e, seen = {}, {}
  for _ = 1, m do
    local u = r(n) + 1
    local v = r(r(n) + 1) + 1   -- skewed targets: many dangling nodes
    local key = directed and (u * n + v) or (math.min(u, v) * n + math.max(u, v))
    if not simple or (u ~= v and not seen[key]) then
      seen[key] = true
      e[#e + 1] = { u, v, weighted and (r(9) + 1) / 2 or nil }
    end
  end
  local g = assert(graph.from_edges(e, { n = n, directed = directed }))
  local pers
  if c % 4 == 1 then
    pers = {}
    for v = 1, n, 3 do pers[v] = r(5) end
    pers[1] = 1
  end
  local pr = g:pagerank { tol = 1e-13, max_iter = 10000, personalization = pers }
  local _, weak = g:components()
  local _, strong = g:components { strong = true }
  local bc = n <= 1000 and g:betweenness() or nil
  local ep = {}
  for i, x in ipairs(e) do ep[i] = { x[1] - 1, x[2] - 1, x[3] or 1 } end
  local pp
  if pers then pp = {} for v = 1, n do pp[v] = pers[v] or 0 end end
  cases[c] = { n = n, directed = directed, weighted = weighted, edges = ep, personalization = pp,
    pagerank = pr, weak = weak, strong = strong, betweenness = bc or cjson.null }
end
local f = assert(io.open(dir .. "/cases.json", "wb"))
f:write(cjson.encode(cases))
f:close()
io.stderr:write("graph-conformance: ", #cases, " graphs, backend ", graph.backend, "\n")
LUA

# Debian's python3 (where apt installs networkx and igraph) unless $PYTHON says otherwise
PYTHON=${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3 )}
"$PYTHON" - "$tmp/cases.json" <<'PY'
import json, sys
cases = json.load(open(sys.argv[1]))
ran = failed = 0
def report(ok, what):
    global failed
    print(("PASS " if ok else "FAIL ") + what)
    if not ok: failed += 1
try:
    import networkx as nx
    from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python
except ImportError:
    nx = None
    print("skip networkx: not installed (apt-get install python3-networkx)")
try:
    import igraph
except ImportError:
    igraph = None
    print("skip igraph: not installed (apt-get install --no-install-recommends python3-igraph)")
for i, c in enumerate(cases):
    n, E = c["n"], c["edges"]
    tag = "graph %d (n=%d, m=%d, %s%s%s)" % (i + 1, n, len(E), "directed" if c["directed"] else "undirected",
        ", weighted" if c["weighted"] else "", ", personalised" if c.get("personalization") else "")
    ours = c["pagerank"]
    pers = c.get("personalization")
    if nx:
        ran += 1
        # a multigraph: parallel edges each carry a share, as in victor.graph
        G = nx.MultiDiGraph() if c["directed"] else nx.MultiGraph()
        G.add_nodes_from(range(n))
        for a, b, w in E: G.add_edge(a, b, weight=w)
        p = {v: pers[v] for v in range(n)} if pers else None
        D = G if c["directed"] else G.to_directed()
        if not c["directed"]:  # an undirected self-loop is one entry in victor.graph, two arcs after to_directed
            D = nx.MultiDiGraph(); D.add_nodes_from(range(n))
            for a, b, w in E:
                D.add_edge(a, b, weight=w)
                if a != b: D.add_edge(b, a, weight=w)
        ref = _pagerank_python(D, alpha=0.85, personalization=p, tol=1e-15, max_iter=100000,
                               weight="weight" if c["weighted"] else None)
        l1 = sum(abs(ours[v] - ref[v]) for v in range(n))
        report(l1 < 1e-6, "%s: PageRank vs networkx, L1 %.2e" % (tag, l1))
        S = nx.DiGraph() if c["directed"] else nx.Graph()
        S.add_nodes_from(range(n)); S.add_edges_from((a, b) for a, b, _ in E)
        def part(labels):
            groups = {}
            for v, l in enumerate(labels): groups.setdefault(l, set()).add(v)
            return sorted(sorted(g) for g in groups.values())
        weak = sorted(sorted(g) for g in (nx.weakly_connected_components(S) if c["directed"] else nx.connected_components(S)))
        report(weak == part(c["weak"]), "%s: weak components vs networkx (%d)" % (tag, len(weak)))
        if c["directed"]:
            strong = sorted(sorted(g) for g in nx.strongly_connected_components(S))
            report(strong == part(c["strong"]), "%s: strong components vs networkx (%d)" % (tag, len(strong)))
        if c.get("betweenness"):
            # networkx counts each neighbour once: compare on graphs rebuilt without parallel edges
            # only when there are none
            simple = len({(a, b) for a, b, _ in E}) == len(E) and all(a != b for a, b, _ in E)
            if simple and (c["directed"] or len({frozenset((a, b)) for a, b, _ in E}) == len(E)):
                bc = nx.betweenness_centrality(S, normalized=True)
                d = max(abs(c["betweenness"][v] - bc[v]) for v in range(n))
                report(d < 1e-9, "%s: betweenness vs networkx, max diff %.2e" % (tag, d))
    if igraph:
        ran += 1
        # undirected: both arcs of each edge, a self-loop once (victor.graph's rule; igraph's own
        # undirected graphs count a self-loop twice)
        arcs = [(a, b, w) for a, b, w in E] if c["directed"] else \
            [x for a, b, w in E for x in ([(a, b, w), (b, a, w)] if a != b else [(a, b, w)])]
        g = igraph.Graph(n=n, edges=[(a, b) for a, b, _ in arcs], directed=True)
        ref = g.personalized_pagerank(damping=0.85, weights=[w for _, _, w in arcs] if c["weighted"] else None,
                         reset=pers, implementation="prpack")
        l1 = sum(abs(ours[v] - ref[v]) for v in range(n))
        report(l1 < 1e-6, "%s: PageRank vs igraph PRPACK, L1 %.2e" % (tag, l1))
print("graph-conformance: %d failed" % failed)
sys.exit(1 if failed or not ran else 0)
PY
