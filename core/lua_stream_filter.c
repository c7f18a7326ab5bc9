/*
 * lua_stream_filter.c: Lua binding of the thinking-tag filter (victor.core.stream_filter).
 *
 * Option defaults, tag validation and friendly errors live in
 * lua/victor/stream_filter.lua; this file takes checked plain arguments. A Config
 * (compiled tag set) is a full userdata; a Filter keeps its Config alive through
 * its environment table. Filter methods get their metatable as upvalue 1, so the
 * per-delta type check is one metatable comparison (no registry lookup).
 * feed/finish push the chunk itself when the content is the whole chunk, and
 * events as nil when there are none, so a delta without tags allocates nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "ac.h"
#include "lua_victor.h"
#include "stream_filter.h"

#define CONFIG_MT "victor.stream_filter.Config"
#define FILTER_MT "victor.stream_filter.Filter"
#define AC_MT "victor.stream_filter.AC"

typedef struct configud {
  vl_sf_config *cfg;
  vl_sf *oneshot;  /* reused by strip and measure (its buffers stay warm) */
} configud;

/* Buffers above this are not kept between whole-text calls. */
#define ONESHOT_KEEP_BYTES ((size_t)32 << 20)

typedef struct filterud {
  void *f; /* the vl_sf; NULL once closed (the layout vl_lua_class expects) */
} filterud;

static int l_config_gc(lua_State *L)
{
  configud *u = (configud *)luaL_checkudata(L, 1, CONFIG_MT);
  vl_sf_free(u->oneshot);
  vl_sf_config_free(u->cfg);
  u->oneshot = NULL;
  u->cfg = NULL;
  return 0;
}

static configud *check_configud(lua_State *L, int i)
{
  configud *u = (configud *)luaL_checkudata(L, i, CONFIG_MT);
  if (!u->cfg) luaL_argerror(L, i, "Config is freed");
  return u;
}

static vl_sf_config *check_config(lua_State *L, int i)
{
  return check_configud(L, i)->cfg;
}

/* A string field k (1 or 2) of the pair table at index t. */
static const char *pair_str(lua_State *L, int t, int k, size_t *n)
{
  const char *s;
  lua_rawgeti(L, t, k);
  s = lua_tolstring(L, -1, n);
  lua_pop(L, 1);
  return s;
}

/* config(tags, case_insensitive) -> Config; tags = { {start, end}, ... } (checked
 * in Lua: non-empty strings; the strings stay referenced by `tags` while we read). */
static int l_config(lua_State *L)
{
  size_t n, i, bad;
  vl_sf_tag *tags;
  configud *u;
  int ci, st;
  luaL_checktype(L, 1, LUA_TTABLE);
  ci = lua_toboolean(L, 2);
  n = lua_objlen(L, 1);
  u = (configud *)lua_newuserdata(L, sizeof *u);
  u->cfg = NULL;
  u->oneshot = NULL;
  luaL_getmetatable(L, CONFIG_MT);
  lua_setmetatable(L, -2);
  /* the tag array is a temporary userdata too, so a raise below frees nothing by hand */
  tags = (vl_sf_tag *)lua_newuserdata(L, (n ? n : 1) * sizeof *tags);
  for (i = 0; i < n; i++) {
    lua_rawgeti(L, 1, (int)i + 1);
    if (!lua_istable(L, -1)) return luaL_argerror(L, 1, "tag pairs expected");
    tags[i].start = pair_str(L, lua_gettop(L), 1, &tags[i].start_len);
    tags[i].end = pair_str(L, lua_gettop(L), 2, &tags[i].end_len);
    lua_pop(L, 1);
    if (!tags[i].start || !tags[i].end) return luaL_argerror(L, 1, "tag pairs of two strings expected");
  }
  st = vl_sf_config_new(tags, n, ci, &u->cfg, &bad);
  if (st != VL_OK) return luaL_error(L, "tag pair %d: %s", (int)bad + 1, vl_strerror(st));
  lua_pop(L, 1);
  return 1;
}

/* ---- Filter --------------------------------------------------------------------- */

/* The filter at index 1, checked against the metatable in upvalue 1. */
static filterud *check_filter(lua_State *L, int open)
{
  filterud *u = (filterud *)lua_touserdata(L, 1);
  if (!u || !lua_getmetatable(L, 1) || !lua_rawequal(L, -1, lua_upvalueindex(1))) {
    luaL_typerror(L, 1, "Filter");
    return NULL;
  }
  lua_pop(L, 1);
  if (open && !u->f) luaL_error(L, "Filter is closed");
  return u;
}

static void set_num(lua_State *L, const char *k, double v)
{
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

static const char *const KINDS[] = {"", "enter", "leave", "abort"};

/* Push content, thinking, events|nil of a call whose chunk is the string at index
 * chunk_i (0: none). Offsets become 1-based inclusive; tags 1-based. */
static int push_out(lua_State *L, const vl_sf_out *o, int chunk_i, const char *chunk, size_t n)
{
  size_t i;
  if (chunk_i && o->content == chunk && o->content_len == n && n) lua_pushvalue(L, chunk_i);
  else lua_pushlstring(L, o->content, o->content_len);
  if (chunk_i && o->thinking == chunk && o->thinking_len == n && n) lua_pushvalue(L, chunk_i);
  else lua_pushlstring(L, o->thinking, o->thinking_len);
  if (!o->nevents) {
    lua_pushnil(L);
    return 3;
  }
  lua_createtable(L, (int)o->nevents, 0);
  for (i = 0; i < o->nevents; i++) {
    const vl_sf_event *e = &o->events[i];
    lua_createtable(L, 0, 4);
    lua_pushstring(L, KINDS[e->kind]);
    lua_setfield(L, -2, "kind");
    set_num(L, "start", (double)e->start + 1);
    set_num(L, "stop", (double)e->end);
    set_num(L, "tag", (double)e->tag + 1);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 3;
}

/* f:feed(chunk) -> content, thinking, events|nil */
static int l_feed(lua_State *L)
{
  filterud *u = check_filter(L, 1);
  size_t n;
  const char *p = luaL_checklstring(L, 2, &n);
  vl_sf_out o;
  int st = vl_sf_feed(u->f, p, n, 0, &o);
  if (st == VL_EINVAL) return luaL_error(L, "Filter is finished");
  if (st != VL_OK) return vl_lua_fail(L, st);
  return push_out(L, &o, 2, p, n);
}

/* f:finish() -> content, thinking, events|nil */
static int l_finish(lua_State *L)
{
  filterud *u = check_filter(L, 1);
  vl_sf_out o;
  int st = vl_sf_finish(u->f, &o);
  if (st == VL_EINVAL) return luaL_error(L, "Filter is finished");
  if (st != VL_OK) return vl_lua_fail(L, st);
  return push_out(L, &o, 0, NULL, 0);
}

static int l_reset(lua_State *L)
{
  filterud *u = check_filter(L, 1);
  vl_sf_reset(u->f);
  return 0;
}

/* f:state() -> "normal" | "thinking" */
static int l_state(lua_State *L)
{
  filterud *u = check_filter(L, 1);
  vl_sf_info i;
  vl_sf_stats(u->f, &i);
  lua_pushstring(L, i.thinking ? "thinking" : "normal");
  return 1;
}

static int l_aborted(lua_State *L)
{
  filterud *u = check_filter(L, 1);
  vl_sf_info i;
  vl_sf_stats(u->f, &i);
  lua_pushboolean(L, i.aborted);
  return 1;
}

/* f:stats() -> {bytes_in=, content_bytes=, thinking_bytes=, held=, blocks=, state=,
 * tag=, aborted=, abort_at=, finished=} */
static int l_stats(lua_State *L)
{
  filterud *u = check_filter(L, 1);
  vl_sf_info i;
  vl_sf_stats(u->f, &i);
  lua_createtable(L, 0, 10);
  set_num(L, "bytes_in", (double)i.bytes_in);
  set_num(L, "content_bytes", (double)i.content_bytes);
  set_num(L, "thinking_bytes", (double)i.thinking_bytes);
  set_num(L, "held", (double)i.held);
  set_num(L, "blocks", (double)i.blocks);
  lua_pushstring(L, i.thinking ? "thinking" : "normal");
  lua_setfield(L, -2, "state");
  if (i.thinking) set_num(L, "tag", (double)i.tag + 1);
  lua_pushboolean(L, i.aborted);
  lua_setfield(L, -2, "aborted");
  if (i.aborted) set_num(L, "abort_at", (double)i.abort_at + 1);
  lua_pushboolean(L, i.finished);
  lua_setfield(L, -2, "finished");
  return 1;
}

/* Filter's close, __gc (vl_lua_class) */
static void free_filter(void *f)
{
  vl_sf_free((vl_sf *)f);
}

/* The max_thinking_bytes argument: nil (no cap) or a non-negative number. */
static uint64_t opt_max(lua_State *L, int i)
{
  lua_Number v;
  if (lua_isnoneornil(L, i)) return VL_SF_NO_LIMIT;
  v = luaL_checknumber(L, i);
  if (!(v >= 0)) luaL_argerror(L, i, "non-negative number expected");
  if (v >= 18446744073709551615.0) return VL_SF_NO_LIMIT;
  return (uint64_t)v;
}

/* new(config, max_thinking_bytes|nil) -> Filter */
static int l_new(lua_State *L)
{
  vl_sf_config *cfg = check_config(L, 1);
  uint64_t max = opt_max(L, 2);
  filterud *u = (filterud *)lua_newuserdata(L, sizeof *u);
  u->f = NULL; /* closed until the filter exists, so __gc is always safe */
  luaL_getmetatable(L, FILTER_MT);
  lua_setmetatable(L, -2);
  lua_createtable(L, 1, 0); /* the environment keeps the Config alive */
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, 1);
  lua_setfenv(L, -2);
  if (!(u->f = vl_sf_new(cfg, max))) return luaL_error(L, "Filter: %s", vl_strerror(VL_ENOMEM));
  return 1;
}

/* ptr(filter) -> lightuserdata: the vl_sf * of an open filter, for the FFI fast
 * path of lua/victor/stream_filter.lua (which keeps the userdata alive and never
 * uses the pointer after close). */
static int l_ptr(lua_State *L)
{
  filterud *u = (filterud *)luaL_checkudata(L, 1, FILTER_MT);
  if (!u->f) return luaL_error(L, "Filter is closed");
  lua_pushlightuserdata(L, (void *)u->f);
  return 1;
}

/* ---- whole texts and test helpers --------------------------------------------------- */

/* An automaton of ac_matches: a userdata of class AC_MT (vl_lua_class). */
static void free_ac(void *ac)
{
  vl_ac_free((vl_ac *)ac);
}

static void **new_ac_holder(lua_State *L)
{
  void **x = (void **)lua_newuserdata(L, sizeof *x);
  *x = NULL;
  luaL_getmetatable(L, AC_MT);
  lua_setmetatable(L, -2);
  return x;
}

/* The whole text (config at 1, text at 2) through the Config's reusable filter:
 * VL_OK and *o, or a failure code. */
static int oneshot(lua_State *L, vl_sf_out *o, const char **p, size_t *n)
{
  configud *u = check_configud(L, 1);
  *p = luaL_checklstring(L, 2, n);
  if (!u->oneshot && !(u->oneshot = vl_sf_new(u->cfg, VL_SF_NO_LIMIT))) return VL_ENOMEM;
  vl_sf_reset(u->oneshot);
  return vl_sf_feed(u->oneshot, *p, *n, 1, o);
}

/* Drop the reusable filter after a big input, so its buffers do not linger. */
static void oneshot_trim(lua_State *L, size_t n)
{
  configud *u = (configud *)lua_touserdata(L, 1);
  if (n > ONESHOT_KEEP_BYTES) {
    vl_sf_free(u->oneshot);
    u->oneshot = NULL;
  }
}

/* strip(config, text) -> content, thinking | nil, msg, code */
static int l_strip(lua_State *L)
{
  vl_sf_out o;
  const char *p;
  size_t n;
  int st = oneshot(L, &o, &p, &n);
  if (st != VL_OK) return vl_lua_fail(L, st);
  push_out(L, &o, 2, p, n);
  lua_pop(L, 1); /* events */
  oneshot_trim(L, n);
  return 2;
}

/* measure(config, text) -> content_bytes, thinking_bytes, blocks | nil, msg, code:
 * the whole-text filter without building the result strings. */
static int l_measure(lua_State *L)
{
  vl_sf_out o;
  vl_sf_info i;
  const char *p;
  size_t n;
  int st = oneshot(L, &o, &p, &n);
  if (st != VL_OK) return vl_lua_fail(L, st);
  vl_sf_stats(((configud *)lua_touserdata(L, 1))->oneshot, &i);
  lua_pushnumber(L, (lua_Number)o.content_len);
  lua_pushnumber(L, (lua_Number)o.thinking_len);
  lua_pushnumber(L, (lua_Number)i.blocks);
  oneshot_trim(L, n);
  return 3;
}

/* ac_matches(patterns, case_insensitive, text, chunk) -> {id, start, stop, ...}
 * (1-based, every match, standard semantics), fed in pieces of `chunk` bytes
 * (0: whole); nil, msg, code when the build fails. For the specs: the ac core
 * against a naive matcher. */
static int l_ac_matches(lua_State *L)
{
  size_t np, n, i, chunk;
  const char **pats;
  size_t *lens;
  const char *s;
  vl_ac_opts o;
  vl_ac_scan sc;
  vl_lua_collect c;
  void **x;
  vl_ac *ac;
  int st;
  luaL_checktype(L, 1, LUA_TTABLE);
  s = luaL_checklstring(L, 3, &n);
  chunk = (size_t)luaL_optinteger(L, 4, 0);
  np = lua_objlen(L, 1);
  pats = (const char **)lua_newuserdata(L, (np ? np : 1) * sizeof *pats);
  lens = (size_t *)lua_newuserdata(L, (np ? np : 1) * sizeof *lens);
  for (i = 0; i < np; i++) {
    lua_rawgeti(L, 1, (int)i + 1);
    pats[i] = lua_tolstring(L, -1, &lens[i]);
    lua_pop(L, 1);
    if (!pats[i]) return luaL_argerror(L, 1, "strings expected");
  }
  memset(&o, 0, sizeof o);
  o.case_insensitive = lua_toboolean(L, 2);
  x = new_ac_holder(L);
  st = vl_ac_build(pats, lens, np, &o, &ac);
  if (st != VL_OK) return vl_lua_fail(L, st);
  *x = ac;
  lua_newtable(L);
  c.L = L;
  c.k = 0;
  vl_ac_scan_init(&sc);
  if (chunk == 0) chunk = n ? n : 1;
  for (i = 0; i < n; i += chunk) vl_ac_scan_all(ac, &sc, s + i, n - i < chunk ? n - i : chunk, vl_lua_collect_match, &c);
  return 1;
}

static const luaL_Reg filter_methods[] = {
  {"feed", l_feed},
  {"finish", l_finish},
  {"reset", l_reset},
  {"state", l_state},
  {"aborted", l_aborted},
  {"stats", l_stats},
  {NULL, NULL}
};

static const luaL_Reg no_methods[] = {{NULL, NULL}};

static const luaL_Reg funcs[] = {
  {"config", l_config},
  {"new", l_new},
  {"strip", l_strip},
  {"measure", l_measure},
  {"ac_matches", l_ac_matches},
  {"ptr", l_ptr},
  {NULL, NULL}
};

VL_LUA_EXPORT int luaopen_victor_core_stream_filter(lua_State *L)
{
  const luaL_Reg *r;
  vl_lua_class(L, AC_MT, "AC", no_methods, free_ac);
  if (luaL_newmetatable(L, CONFIG_MT)) {
    lua_pushcfunction(L, l_config_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  vl_lua_class(L, FILTER_MT, "Filter", filter_methods, free_filter);
  lua_newtable(L);
  for (r = funcs; r->name; r++) {
    lua_pushcfunction(L, r->func);
    lua_setfield(L, -2, r->name);
  }
  /* vl_sf_feed's address, for an FFI call (no symbol lookup, so it works in every
   * host: stock luajit + victor.so, victor-lua, an embedding application) */
  lua_pushlightuserdata(L, (void *)(uintptr_t)&vl_sf_feed);
  lua_setfield(L, -2, "feed_fn");
  return 1;
}
