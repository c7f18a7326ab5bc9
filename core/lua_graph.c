/*
 * lua_graph.c: Lua binding of the graph kernel (victor.core.graph).
 *
 * Node ids are 0-based here; arrays cross as Lua tables (1-based: t[v + 1] is node
 * v) or, for the edge arrays, as binary strings of native int32 / double. Option
 * defaults, id mapping and friendly errors live in lua/victor/graph.lua. Every
 * malloc'ed buffer is owned by a scratch userdata pushed before the allocation, so
 * a Lua error while pushing frees it through __gc.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "graph.h"
#include "lua_victor.h"

#define GRAPH_MT "victor.graph.Graph"
#define SCRATCH_MT "victor.graph.scratch"
#define NBUF 4

typedef struct scratch {
  void *buf[NBUF];
} scratch;

typedef struct graphud {
  vl_graph *g; /* NULL once closed (the layout vl_lua_class expects) */
} graphud;

static int l_scratch_gc(lua_State *L)
{
  scratch *x = (scratch *)luaL_checkudata(L, 1, SCRATCH_MT);
  int i;
  for (i = 0; i < NBUF; i++) {
    free(x->buf[i]);
    x->buf[i] = NULL;
  }
  return 0;
}

static scratch *new_scratch(lua_State *L)
{
  return (scratch *)vl_lua_newscratch(L, sizeof(scratch), SCRATCH_MT);
}

/* count entries of size bytes each (at least one byte) into slot i */
static void *salloc(scratch *x, int i, size_t count, size_t size)
{
  if (size && count > (size_t)-1 / size) return NULL;
  return x->buf[i] = malloc(count * size > 0 ? count * size : 1);
}

/* self at 1; the stack is cut or padded to nargs so that scratch userdata pushed
 * later never stands in for a missing argument */
static graphud *check_graph(lua_State *L, int nargs)
{
  graphud *u = (graphud *)lua_touserdata(L, 1);
  if (!u || !lua_getmetatable(L, 1) || !lua_rawequal(L, -1, lua_upvalueindex(1))) {
    luaL_typerror(L, 1, "Graph");
    return NULL;
  }
  lua_pop(L, 1);
  if (!u->g) luaL_error(L, "Graph is closed");
  lua_settop(L, nargs);
  return u;
}

static void free_graph(void *g)
{
  vl_graph_free((vl_graph *)g);
}

/* A 0-based node id from a number; -1 when not an integer in int32 range. */
static int32_t to_id(lua_Number v)
{
  if (!(v >= 0 && v <= 2147483647.0) || v != floor(v)) return -1;
  return (int32_t)v;
}

/* Length of an edge array argument (table or string of int32). */
static int64_t id_array_len(lua_State *L, int i)
{
  if (lua_type(L, i) == LUA_TSTRING) return (int64_t)(lua_objlen(L, i) / sizeof(int32_t));
  if (lua_type(L, i) == LUA_TTABLE) return (int64_t)lua_objlen(L, i);
  return vl_lua_typeerror(L, i, "table or string");
}

/* Copy an id array argument into out[m]; a non-number entry raises. */
static void read_ids(lua_State *L, int i, int64_t m, int32_t *out)
{
  int64_t k;
  if (lua_type(L, i) == LUA_TSTRING) {
    memcpy(out, lua_tostring(L, i), (size_t)m * sizeof(int32_t));
    return;
  }
  for (k = 0; k < m; k++) {
    lua_rawgeti(L, i, (int)(k + 1));
    if (lua_type(L, -1) != LUA_TNUMBER) luaL_argerror(L, i, "array of numbers expected");
    out[k] = to_id(lua_tonumber(L, -1));
    lua_pop(L, 1);
  }
}

/* Copy a number array (table 1..m or string of doubles) into out[m]; raises on
 * a non-number entry or a short array. */
static void read_numbers(lua_State *L, int i, int64_t m, double *out)
{
  int64_t k;
  if (lua_type(L, i) == LUA_TSTRING) {
    if ((int64_t)(lua_objlen(L, i) / sizeof(double)) < m) luaL_argerror(L, i, "array too short");
    memcpy(out, lua_tostring(L, i), (size_t)m * sizeof(double));
    return;
  }
  if (lua_type(L, i) != LUA_TTABLE) vl_lua_typeerror(L, i, "table or string");
  for (k = 0; k < m; k++) {
    lua_rawgeti(L, i, (int)(k + 1));
    if (lua_type(L, -1) != LUA_TNUMBER) luaL_argerror(L, i, "array of numbers expected");
    out[k] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
}

/* new(n, src, dst, w|nil, directed, max_bytes) -> Graph | nil, msg, code, bad_edge (1-based) */
static int l_new(lua_State *L)
{
  lua_settop(L, 6);
  lua_Number nn = luaL_checknumber(L, 1);
  int64_t m = id_array_len(L, 2), m2 = id_array_len(L, 3), bad = -1;
  int directed = lua_toboolean(L, 5);
  lua_Number maxb = luaL_optnumber(L, 6, 0);
  int has_w = !lua_isnoneornil(L, 4);
  scratch *x;
  int32_t *src, *dst;
  double *w = NULL;
  graphud *u;
  vl_graph *g;
  int st;
  if (!(nn >= 0 && nn <= VL_GRAPH_MAX_NODES) || nn != floor(nn)) luaL_argerror(L, 1, "node count out of range");
  if (m2 != m) luaL_argerror(L, 3, "src and dst differ in length");
  x = new_scratch(L);
  src = (int32_t *)salloc(x, 0, (size_t)m, sizeof(int32_t));
  dst = (int32_t *)salloc(x, 1, (size_t)m, sizeof(int32_t));
  if (has_w) w = (double *)salloc(x, 2, (size_t)m, sizeof(double));
  if (!src || !dst || (has_w && !w)) return vl_lua_fail(L, VL_ENOMEM);
  read_ids(L, 2, m, src);
  read_ids(L, 3, m, dst);
  if (has_w) read_numbers(L, 4, m, w);
  u = (graphud *)lua_newuserdata(L, sizeof *u);
  u->g = NULL;
  luaL_getmetatable(L, GRAPH_MT);
  lua_setmetatable(L, -2);
  st = vl_graph_new(&g, (int64_t)nn, m, src, dst, w, directed,
                    maxb > 0 ? (maxb >= 1.8e19 ? (size_t)-1 : (size_t)maxb) : 0, &bad);
  if (st != VL_OK) {
    vl_lua_fail(L, st);
    lua_pushnumber(L, (lua_Number)(bad + 1));
    return 4;
  }
  u->g = g;
  return 1;
}

static int l_info(lua_State *L)
{
  graphud *u = check_graph(L, 1);
  lua_createtable(L, 0, 5);
  lua_pushnumber(L, vl_graph_nodes(u->g));
  lua_setfield(L, -2, "nodes");
  lua_pushnumber(L, (lua_Number)vl_graph_edges(u->g));
  lua_setfield(L, -2, "edges");
  lua_pushboolean(L, vl_graph_directed(u->g));
  lua_setfield(L, -2, "directed");
  lua_pushboolean(L, vl_graph_weighted(u->g));
  lua_setfield(L, -2, "weighted");
  lua_pushnumber(L, (lua_Number)vl_graph_size(u->g));
  lua_setfield(L, -2, "bytes");
  return 1;
}

static void push_doubles(lua_State *L, const double *a, int32_t n)
{
  int32_t i;
  lua_createtable(L, n, 0);
  for (i = 0; i < n; i++) {
    lua_pushnumber(L, a[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

static void push_ints(lua_State *L, const int32_t *a, int32_t n, int add)
{
  int32_t i;
  lua_createtable(L, n, 0);
  for (i = 0; i < n; i++) {
    lua_pushnumber(L, (lua_Number)a[i] + add);
    lua_rawseti(L, -2, i + 1);
  }
}

/* pagerank(damping, tol, max_iter, weighted, pers|nil, dangling|nil, threads)
 * -> scores (1..n), iterations, residual | nil, msg, code */
static int l_pagerank(lua_State *L)
{
  graphud *u = check_graph(L, 9);
  int32_t n = vl_graph_nodes(u->g);
  vl_pagerank_opts o;
  scratch *x;
  double *scores, *pers = NULL, *dang = NULL, res = 0;
  int it = 0, st;
  vl_pagerank_defaults(&o);
  o.damping = luaL_optnumber(L, 2, o.damping);
  o.tol = luaL_optnumber(L, 3, o.tol);
  o.max_iter = (int)luaL_optinteger(L, 4, o.max_iter);
  o.weighted = lua_toboolean(L, 5);
  o.threads = (int)luaL_optinteger(L, 8, 0);
  o.gauss_seidel = lua_toboolean(L, 9);
  x = new_scratch(L);
  if (!(scores = (double *)salloc(x, 0, (size_t)n, sizeof(double)))) return vl_lua_fail(L, VL_ENOMEM);
  if (!lua_isnoneornil(L, 6)) {
    if (!(pers = (double *)salloc(x, 1, (size_t)n, sizeof(double)))) return vl_lua_fail(L, VL_ENOMEM);
    read_numbers(L, 6, n, pers);
    o.personalization = pers;
  }
  if (!lua_isnoneornil(L, 7)) {
    if (!(dang = (double *)salloc(x, 2, (size_t)n, sizeof(double)))) return vl_lua_fail(L, VL_ENOMEM);
    read_numbers(L, 7, n, dang);
    o.dangling = dang;
  }
  st = vl_graph_pagerank(u->g, &o, scores, &it, &res);
  if (st != VL_OK) return vl_lua_fail(L, st);
  push_doubles(L, scores, n);
  lua_pushinteger(L, it);
  lua_pushnumber(L, res);
  return 3;
}

/* components(strong) -> comp (1..n, 1-based ids), count */
static int l_components(lua_State *L)
{
  graphud *u = check_graph(L, 2);
  int32_t n = vl_graph_nodes(u->g), count = 0;
  scratch *x = new_scratch(L);
  int32_t *comp = (int32_t *)salloc(x, 0, (size_t)n, sizeof(int32_t));
  int st;
  if (!comp) return vl_lua_fail(L, VL_ENOMEM);
  st = vl_graph_components(u->g, lua_toboolean(L, 2), comp, &count);
  if (st != VL_OK) return vl_lua_fail(L, st);
  push_ints(L, comp, n, 1);
  lua_pushinteger(L, count);
  return 2;
}

/* degree() -> in (1..n), out (1..n) */
static int l_degree(lua_State *L)
{
  graphud *u = check_graph(L, 1);
  int32_t n = vl_graph_nodes(u->g), i;
  scratch *x = new_scratch(L);
  int64_t *in = (int64_t *)salloc(x, 0, (size_t)n, sizeof(int64_t));
  int64_t *out = (int64_t *)salloc(x, 1, (size_t)n, sizeof(int64_t));
  if (!in || !out) return vl_lua_fail(L, VL_ENOMEM);
  vl_graph_degree(u->g, in, out);
  lua_createtable(L, n, 0);
  for (i = 0; i < n; i++) {
    lua_pushnumber(L, (lua_Number)in[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_createtable(L, n, 0);
  for (i = 0; i < n; i++) {
    lua_pushnumber(L, (lua_Number)out[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 2;
}

/* betweenness(normalized, samples, seed) -> bc (1..n) */
static int l_betweenness(lua_State *L)
{
  graphud *u = check_graph(L, 4);
  int32_t n = vl_graph_nodes(u->g);
  int normalized = lua_toboolean(L, 2);
  int64_t samples = (int64_t)luaL_optnumber(L, 3, 0);
  uint64_t seed = (uint64_t)luaL_optnumber(L, 4, 0);
  scratch *x = new_scratch(L);
  double *bc = (double *)salloc(x, 0, (size_t)n, sizeof(double));
  int st;
  if (!bc) return vl_lua_fail(L, VL_ENOMEM);
  st = vl_graph_betweenness(u->g, normalized, samples, seed, bc);
  if (st != VL_OK) return vl_lua_fail(L, st);
  push_doubles(L, bc, n);
  return 1;
}

/* shortest_path(a, b, weighted) (0-based) -> path (0-based ids), dist */
static int l_shortest_path(lua_State *L)
{
  graphud *u = check_graph(L, 4);
  int32_t n = vl_graph_nodes(u->g), len = 0;
  int32_t a = to_id(luaL_checknumber(L, 2)), b = to_id(luaL_checknumber(L, 3));
  scratch *x = new_scratch(L);
  int32_t *path = (int32_t *)salloc(x, 0, (size_t)n, sizeof(int32_t));
  double dist = 0;
  int st;
  if (!path) return vl_lua_fail(L, VL_ENOMEM);
  st = vl_graph_shortest_path(u->g, a, b, lua_toboolean(L, 4), path, &len, &dist);
  if (st != VL_OK) return vl_lua_fail(L, st);
  push_ints(L, path, len, 0);
  lua_pushnumber(L, dist);
  return 2;
}

/* top(scores (1..n), k) -> indices (1-based), best first */
static int l_top(lua_State *L)
{
  int64_t n;
  lua_settop(L, 2);
  lua_Number kk = luaL_checknumber(L, 2);
  int32_t k;
  scratch *x;
  double *s;
  int32_t *idx;
  luaL_checktype(L, 1, LUA_TTABLE);
  n = (int64_t)lua_objlen(L, 1);
  if (n > VL_GRAPH_MAX_NODES) n = VL_GRAPH_MAX_NODES;
  k = kk < 0 ? 0 : (kk > (lua_Number)n ? (int32_t)n : (int32_t)kk);
  x = new_scratch(L);
  s = (double *)salloc(x, 0, (size_t)n, sizeof(double));
  idx = (int32_t *)salloc(x, 1, (size_t)k, sizeof(int32_t));
  if (!s || !idx) return vl_lua_fail(L, VL_ENOMEM);
  read_numbers(L, 1, n, s);
  vl_graph_top(s, (int32_t)n, k, idx);
  push_ints(L, idx, k, 1);
  return 1;
}

static int l_max_threads(lua_State *L)
{
  lua_pushinteger(L, vl_graph_max_threads());
  return 1;
}

static const luaL_Reg graph_methods[] = {
  {"info", l_info},
  {"pagerank", l_pagerank},
  {"components", l_components},
  {"degree", l_degree},
  {"betweenness", l_betweenness},
  {"shortest_path", l_shortest_path},
  {NULL, NULL}
};

static const luaL_Reg funcs[] = {
  {"new", l_new},
  {"top", l_top},
  {"max_threads", l_max_threads},
  {NULL, NULL}
};

VL_LUA_EXPORT int luaopen_victor_core_graph(lua_State *L)
{
  vl_lua_gc_metatable(L, SCRATCH_MT, l_scratch_gc);
  vl_lua_class(L, GRAPH_MT, "Graph", graph_methods, free_graph);
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  lua_pushinteger(L, VL_GRAPH_BLOCK);
  lua_setfield(L, -2, "BLOCK");
  return 1;
}
