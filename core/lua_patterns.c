/*
 * lua_patterns.c: Lua binding of the literal matcher and the keyword classifier
 * (victor.core.patterns).
 *
 * Option defaults, pattern validation and the friendly errors live in
 * lua/victor/patterns.lua and lua/victor/classifier.lua; this file takes checked
 * plain arguments. A Matcher (automaton plus a reusable stream for whole-text
 * calls) and a Classifier are full userdata of vl_lua_class; a Stream keeps its
 * Matcher alive through its environment table. Matches come back as flat arrays
 * {id, start, stop, id, start, stop, ...}: ids 1-based, offsets 1-based and
 * inclusive (text:sub(start, stop) is the match), as in victor.stream_filter.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "ac.h"
#include "lua_victor.h"
#include "patterns.h"

#define MATCHER_MT "victor.patterns.Matcher"
#define STREAM_MT "victor.patterns.Stream"
#define CLASSIFIER_MT "victor.patterns.Classifier"
#define SCRATCH_MT "victor.patterns.scratch"

typedef struct matcher {
  vl_ac *ac;
  vl_ac_stream *one; /* for find_all, find, count */
  int kind, wb;
} matcher;

typedef struct cls {
  vl_cls *c;
  vl_ac_stream *st;
  double *scores;
  uint32_t *matched, *negated;
} cls;

static void free_matcher(void *p)
{
  matcher *m = (matcher *)p;
  vl_ac_stream_free(m->one);
  vl_ac_free(m->ac);
  free(m);
}

static void free_stream(void *p)
{
  vl_ac_stream_free((vl_ac_stream *)p);
}

static void free_cls(void *p)
{
  cls *c = (cls *)p;
  vl_ac_stream_free(c->st);
  vl_cls_free(c->c);
  free(c->scores);
  free(c->matched);
  free(c->negated);
  free(c);
}

/* The pattern arrays of a build: a scratch userdata frees them on any exit. */
typedef struct pat_scratch {
  const char **pats;
  size_t *lens;
  uint32_t *ep, *ec;
  double *ew;
} pat_scratch;

static int pat_scratch_gc(lua_State *L)
{
  pat_scratch *s = (pat_scratch *)lua_touserdata(L, 1);
  free(s->pats);
  free(s->lens);
  free(s->ep);
  free(s->ec);
  free(s->ew);
  memset(s, 0, sizeof *s);
  return 0;
}

/* Read the string array at index t into a new scratch (pushed); *np its length. */
static pat_scratch *read_pats(lua_State *L, int t, size_t *np)
{
  size_t n = lua_objlen(L, t), i;
  pat_scratch *s = (pat_scratch *)vl_lua_newscratch(L, sizeof *s, SCRATCH_MT);
  s->pats = (const char **)malloc((n ? n : 1) * sizeof *s->pats);
  s->lens = (size_t *)malloc((n ? n : 1) * sizeof *s->lens);
  if (!s->pats || !s->lens) luaL_error(L, "out of memory");
  for (i = 0; i < n; i++) {
    lua_rawgeti(L, t, (int)i + 1);
    s->pats[i] = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &s->lens[i]) : NULL;
    lua_pop(L, 1); /* the table keeps the string alive */
    if (!s->pats[i]) luaL_argerror(L, t, "strings expected");
  }
  *np = n;
  return s;
}

static size_t opt_size(lua_State *L, int i)
{
  lua_Number v = luaL_optnumber(L, i, 0);
  if (!(v >= 0)) luaL_argerror(L, i, "non-negative number expected");
  return v >= 1e18 ? (size_t)-1 : (size_t)v;
}

/* literals(patterns, kind, case_insensitive, word_boundary, max_bytes) -> Matcher | nil, msg, code */
static int l_literals(lua_State *L)
{
  size_t np;
  int kind, ci, wb, st;
  size_t maxb;
  pat_scratch *s;
  matcher **ud, *m;
  vl_ac_opts o;
  luaL_checktype(L, 1, LUA_TTABLE);
  kind = (int)luaL_checkinteger(L, 2);
  ci = lua_toboolean(L, 3);
  wb = lua_toboolean(L, 4);
  maxb = opt_size(L, 5);
  if (kind < VL_AC_STANDARD || kind > VL_AC_LEFTMOST_LONGEST) luaL_argerror(L, 2, "unknown match kind");
  s = read_pats(L, 1, &np);
  ud = (matcher **)lua_newuserdata(L, sizeof *ud);
  *ud = NULL;
  luaL_getmetatable(L, MATCHER_MT);
  lua_setmetatable(L, -2);
  if (!(m = (matcher *)calloc(1, sizeof *m))) return vl_lua_fail(L, VL_ENOMEM);
  *ud = m;
  m->kind = kind;
  m->wb = wb;
  memset(&o, 0, sizeof o);
  o.case_insensitive = ci;
  o.max_bytes = maxb;
  if ((st = vl_ac_build(s->pats, s->lens, np, &o, &m->ac)) != VL_OK) return vl_lua_fail(L, st);
  if ((st = vl_ac_stream_new(m->ac, kind, wb, &m->one)) != VL_OK) return vl_lua_fail(L, st);
  return 1;
}

static matcher *check_matcher(lua_State *L)
{
  matcher **ud = (matcher **)lua_touserdata(L, 1);
  if (!ud || !lua_getmetatable(L, 1) || !lua_rawequal(L, -1, lua_upvalueindex(1))) {
    vl_lua_typeerror(L, 1, "Matcher");
    return NULL;
  }
  lua_pop(L, 1);
  if (!*ud) luaL_error(L, "Matcher is closed");
  return *ud;
}

/* The (text, init) arguments at 2, 3: text, its length and the 0-based start. */
static const char *text_init(lua_State *L, size_t *n, size_t *from)
{
  const char *p = luaL_checklstring(L, 2, n);
  lua_Integer i = luaL_optinteger(L, 3, 1);
  if (i < 1) luaL_argerror(L, 3, "position >= 1 expected");
  *from = (size_t)i - 1 > *n ? *n : (size_t)i - 1;
  return p;
}

/* m:find_all(text, init) -> flat matches */
static int l_find_all(lua_State *L)
{
  matcher *m = check_matcher(L);
  size_t n, from;
  const char *p = text_init(L, &n, &from);
  vl_lua_collect c;
  lua_newtable(L);
  c.L = L;
  c.k = 0;
  vl_ac_stream_find(m->one, p, n, from, vl_lua_collect_match, &c);
  return 1;
}

typedef struct first {
  uint32_t id;
  uint64_t start, end;
  int found;
} first;

static int on_first(void *ud, uint32_t id, uint64_t start, uint64_t end)
{
  first *f = (first *)ud;
  f->id = id;
  f->start = start;
  f->end = end;
  f->found = 1;
  return 1;
}

/* m:find(text, init) -> id, start, stop | nil */
static int l_find(lua_State *L)
{
  matcher *m = check_matcher(L);
  size_t n, from;
  const char *p = text_init(L, &n, &from);
  first f;
  f.found = 0;
  vl_ac_stream_find(m->one, p, n, from, on_first, &f);
  if (!f.found) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, (lua_Integer)f.id + 1);
  lua_pushnumber(L, (lua_Number)f.start + 1);
  lua_pushnumber(L, (lua_Number)f.end);
  return 3;
}

static int on_count(void *ud, uint32_t id, uint64_t start, uint64_t end)
{
  (void)id;
  (void)start;
  (void)end;
  ++*(uint64_t *)ud;
  return 0;
}

/* m:count(text, init) -> number of matches */
static int l_count(lua_State *L)
{
  matcher *m = check_matcher(L);
  size_t n, from;
  const char *p = text_init(L, &n, &from);
  uint64_t k = 0;
  vl_ac_stream_find(m->one, p, n, from, on_count, &k);
  lua_pushnumber(L, (lua_Number)k);
  return 1;
}

/* m:stream() -> Stream */
static int l_stream(lua_State *L)
{
  matcher *m = check_matcher(L);
  vl_ac_stream **ud = (vl_ac_stream **)lua_newuserdata(L, sizeof *ud);
  int st;
  *ud = NULL; /* closed until it exists, so __gc is always safe */
  luaL_getmetatable(L, STREAM_MT);
  lua_setmetatable(L, -2);
  lua_createtable(L, 1, 0); /* the environment keeps the Matcher alive */
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, 1);
  lua_setfenv(L, -2);
  if ((st = vl_ac_stream_new(m->ac, m->kind, m->wb, ud)) != VL_OK) return vl_lua_fail(L, st);
  return 1;
}

/* m:info() -> patterns, states, classes, memory bytes */
static int l_info(lua_State *L)
{
  matcher *m = check_matcher(L);
  lua_pushnumber(L, (lua_Number)vl_ac_npatterns(m->ac));
  lua_pushnumber(L, (lua_Number)vl_ac_nstates(m->ac));
  lua_pushnumber(L, (lua_Number)vl_ac_nclasses(m->ac));
  lua_pushnumber(L, (lua_Number)vl_ac_memory(m->ac));
  return 4;
}

static vl_ac_stream *check_stream(lua_State *L)
{
  vl_ac_stream **ud = (vl_ac_stream **)lua_touserdata(L, 1);
  if (!ud || !lua_getmetatable(L, 1) || !lua_rawequal(L, -1, lua_upvalueindex(1))) {
    vl_lua_typeerror(L, 1, "Stream");
    return NULL;
  }
  lua_pop(L, 1);
  if (!*ud) luaL_error(L, "Stream is closed");
  return *ud;
}

/* s:feed(chunk) -> flat matches | nil (finished) */
static int l_feed(lua_State *L)
{
  vl_ac_stream *st = check_stream(L);
  size_t n;
  const char *p = luaL_checklstring(L, 2, &n);
  vl_lua_collect c;
  lua_newtable(L);
  c.L = L;
  c.k = 0;
  if (vl_ac_stream_feed(st, p, n, vl_lua_collect_match, &c) != VL_OK) lua_pushnil(L);
  return 1;
}

/* s:finish() -> flat matches | nil (finished) */
static int l_finish(lua_State *L)
{
  vl_ac_stream *st = check_stream(L);
  vl_lua_collect c;
  lua_newtable(L);
  c.L = L;
  c.k = 0;
  if (vl_ac_stream_finish(st, vl_lua_collect_match, &c) != VL_OK) lua_pushnil(L);
  return 1;
}

static int l_reset(lua_State *L)
{
  vl_ac_stream_reset(check_stream(L));
  return 0;
}

static int l_offset(lua_State *L)
{
  lua_pushnumber(L, (lua_Number)vl_ac_stream_offset(check_stream(L)));
  return 1;
}

/* ---- classifier ------------------------------------------------------------------- */

static uint32_t *read_u32(lua_State *L, int t, size_t n, int base)
{
  uint32_t *a = (uint32_t *)malloc((n ? n : 1) * sizeof *a);
  size_t i;
  if (!a) return NULL;
  for (i = 0; i < n; i++) {
    lua_Number v;
    lua_rawgeti(L, t, (int)i + 1);
    v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    a[i] = v < base ? VL_CLS_NEGATION : (uint32_t)(v - base);
  }
  return a;
}

/* classifier(patterns, ent_pat, ent_cat, ent_w, ncats, case_insensitive, word_boundary,
 * window, position_weight, max_bytes) -> Classifier | nil, msg, code. ent_pat and
 * ent_cat are 1-based; ent_cat 0 marks a negation word. */
static int l_classifier(lua_State *L)
{
  size_t np, ne, ncats, maxb, i;
  pat_scratch *s;
  cls **ud, *c;
  vl_cls_opts o;
  int st;
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  luaL_checktype(L, 4, LUA_TTABLE);
  ncats = (size_t)luaL_checkinteger(L, 5);
  memset(&o, 0, sizeof o);
  o.case_insensitive = lua_toboolean(L, 6);
  o.word_boundary = lua_toboolean(L, 7);
  o.window = (uint32_t)luaL_checkinteger(L, 8);
  o.position_weight = luaL_checknumber(L, 9);
  maxb = opt_size(L, 10);
  o.max_bytes = maxb;
  ne = lua_objlen(L, 2);
  if (lua_objlen(L, 3) != ne || lua_objlen(L, 4) != ne) luaL_argerror(L, 2, "entry arrays of one length expected");
  s = read_pats(L, 1, &np);
  s->ep = read_u32(L, 2, ne, 1);
  s->ec = read_u32(L, 3, ne, 1);
  s->ew = (double *)malloc((ne ? ne : 1) * sizeof *s->ew);
  if (!s->ep || !s->ec || !s->ew) return luaL_error(L, "out of memory");
  for (i = 0; i < ne; i++) {
    lua_rawgeti(L, 4, (int)i + 1);
    s->ew[i] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  ud = (cls **)lua_newuserdata(L, sizeof *ud);
  *ud = NULL;
  luaL_getmetatable(L, CLASSIFIER_MT);
  lua_setmetatable(L, -2);
  if (!(c = (cls *)calloc(1, sizeof *c))) return vl_lua_fail(L, VL_ENOMEM);
  *ud = c;
  c->scores = (double *)malloc((ncats ? ncats : 1) * sizeof *c->scores);
  c->matched = (uint32_t *)malloc((ncats ? ncats : 1) * sizeof *c->matched);
  c->negated = (uint32_t *)malloc((ncats ? ncats : 1) * sizeof *c->negated);
  if (!c->scores || !c->matched || !c->negated) return vl_lua_fail(L, VL_ENOMEM);
  st = vl_cls_new(s->pats, s->lens, np, s->ep, s->ec, s->ew, ne, ncats, &o, &c->c);
  if (st != VL_OK) return vl_lua_fail(L, st);
  if ((st = vl_cls_stream_new(c->c, &c->st)) != VL_OK) return vl_lua_fail(L, st);
  return 1;
}

/* c:scores(text, out) -> out: out[3i-2], out[3i-1], out[3i] = score, matched, negated of
 * category i */
static int l_scores(lua_State *L)
{
  cls **ud = (cls **)lua_touserdata(L, 1);
  cls *c;
  size_t n, i;
  const char *p;
  if (!ud || !lua_getmetatable(L, 1) || !lua_rawequal(L, -1, lua_upvalueindex(1)))
    return vl_lua_typeerror(L, 1, "Classifier");
  lua_pop(L, 1);
  if (!(c = *ud)) return luaL_error(L, "Classifier is closed");
  p = luaL_checklstring(L, 2, &n);
  luaL_checktype(L, 3, LUA_TTABLE);
  vl_cls_scores(c->c, c->st, p, n, c->scores, c->matched, c->negated);
  for (i = 0; i < vl_cls_ncats(c->c); i++) {
    lua_pushnumber(L, c->scores[i]);
    lua_rawseti(L, 3, (int)(3 * i + 1));
    lua_pushnumber(L, c->matched[i]);
    lua_rawseti(L, 3, (int)(3 * i + 2));
    lua_pushnumber(L, c->negated[i]);
    lua_rawseti(L, 3, (int)(3 * i + 3));
  }
  lua_settop(L, 3);
  return 1;
}

/* The FFI entry of victor.classifier (called through its address): ud is the
 * Classifier userdata's block (LuaJIT passes a userdata argument as that pointer).
 * Scores text[0..n) and ranks the categories: out[0] = the total score (summed in
 * category order), out[1] = m, the categories reported (score above 0, or all of
 * them when `all`), then for rank k < m: out[2 + 4k] = the category (1-based),
 * out[3 + 4k], out[4 + 4k], out[5 + 4k] = its score, matched, negated. Ranked by
 * score descending, ties in category order. out holds 2 + 4 * categories doubles.
 * Returns -1, writing nothing, when the classifier is closed. No Lua call, no
 * allocation. */
static int ffi_rank(void *ud, const char *text, size_t n, int all, double *out)
{
  cls *c = *(cls **)ud;
  double total = 0;
  size_t i, k, m = 0, ncats;
  if (!c) return -1;
  ncats = vl_cls_ncats(c->c);
  vl_cls_scores(c->c, c->st, text, n, c->scores, c->matched, c->negated);
  for (i = 0; i < ncats; i++) {
    double s = c->scores[i];
    total += s;
    if (!(s > 0) && !all) continue;
    /* insertion: past the ranks with a higher or equal score */
    for (k = m; k > 0 && out[3 + 4 * (k - 1)] < s; k--) memcpy(out + 2 + 4 * k, out + 2 + 4 * (k - 1), 4 * sizeof *out);
    out[2 + 4 * k] = (double)(i + 1);
    out[3 + 4 * k] = s;
    out[4 + 4 * k] = c->matched[i];
    out[5 + 4 * k] = c->negated[i];
    m++;
  }
  out[0] = total;
  out[1] = (double)m;
  return 0;
}

/* fn_ptrs() -> {rank = }: the address of ffi_rank, for the FFI fast path */
static int l_fn_ptrs(lua_State *L)
{
  lua_createtable(L, 0, 1);
  lua_pushlightuserdata(L, (void *)(uintptr_t)&ffi_rank);
  lua_setfield(L, -2, "rank");
  return 1;
}
static const luaL_Reg matcher_methods[] = {
  {"find_all", l_find_all},
  {"find", l_find},
  {"count", l_count},
  {"stream", l_stream},
  {"info", l_info},
  {NULL, NULL}
};

static const luaL_Reg stream_methods[] = {
  {"feed", l_feed},
  {"finish", l_finish},
  {"reset", l_reset},
  {"offset", l_offset},
  {NULL, NULL}
};

static const luaL_Reg cls_methods[] = {
  {"scores", l_scores},
  {NULL, NULL}
};

static const luaL_Reg funcs[] = {
  {"literals", l_literals},
  {"classifier", l_classifier},
  {"fn_ptrs", l_fn_ptrs},
  {NULL, NULL}
};

VL_LUA_EXPORT int luaopen_victor_core_patterns(lua_State *L)
{
  const luaL_Reg *r;
  vl_lua_gc_metatable(L, SCRATCH_MT, pat_scratch_gc);
  vl_lua_class(L, MATCHER_MT, "Matcher", matcher_methods, free_matcher);
  vl_lua_class(L, STREAM_MT, "Stream", stream_methods, free_stream);
  vl_lua_class(L, CLASSIFIER_MT, "Classifier", cls_methods, free_cls);
  lua_newtable(L);
  for (r = funcs; r->name; r++) {
    lua_pushcfunction(L, r->func);
    lua_setfield(L, -2, r->name);
  }
  return 1;
}
