/*
 * lua_json_repair.c: Lua binding of the JSON repair kernel (victor.core.json_repair).
 *
 * Flat functions; option checks and defaults live in lua/victor/json_repair.lua,
 * which calls these with (max_depth, max_input, flags). flags: 1 ensure_ascii,
 * 2 compact, 4 ndjson. One-shot calls reuse one repairer per lua_State (an upvalue
 * userdata, freed by __gc): the kernel never calls Lua, so no call can re-enter it.
 */
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "json_repair.h"
#include "lua_victor.h"

#define SCRATCH_MT "victor.json_repair.scratch"
#define STREAM_MT "victor.json_repair.Stream"

enum { F_ASCII = 1, F_COMPACT = 2, F_NDJSON = 4 };

static int l_scratch_gc(lua_State *L)
{
  vl_jr **u = (vl_jr **)luaL_checkudata(L, 1, SCRATCH_MT);
  vl_jr_free(*u);
  *u = NULL;
  return 0;
}

static vl_jr *scratch(lua_State *L)
{
  vl_jr **u = (vl_jr **)lua_touserdata(L, lua_upvalueindex(1));
  if (!*u && !(*u = vl_jr_new())) luaL_error(L, "json_repair: %s", vl_strerror(VL_ENOMEM));
  return *u;
}

static size_t check_size(lua_State *L, int i)
{
  lua_Number v = luaL_checknumber(L, i);
  if (!(v >= 0)) return 0;
  if (v >= 9007199254740992.0) return (size_t)-1;
  return (size_t)v;
}

/* opts from (max_depth, max_input, flags) at i, i+1, i+2 */
static void check_opts(lua_State *L, int i, vl_jr_opts *o)
{
  int f;
  vl_jr_opts_init(o);
  o->max_depth = check_size(L, i);
  o->max_input = check_size(L, i + 1);
  f = (int)luaL_checkinteger(L, i + 2);
  o->ensure_ascii = (f & F_ASCII) != 0;
  o->compact = (f & F_COMPACT) != 0;
  o->ndjson = (f & F_NDJSON) != 0;
}

/* nil, "<what> at byte N", code (positions 1-based) */
static int fail(lua_State *L, const vl_jr *p, const vl_jr_opts *o, int st)
{
  const char *why = vl_jr_errmsg(p);
  double at = (double)vl_jr_errpos(p) + 1;
  lua_pushnil(L);
  if (!strcmp(why, "nesting deeper than max_depth"))
    lua_pushfstring(L, "%s %f at byte %f", why, (double)o->max_depth, at);
  else if (!strcmp(why, "input longer than max_input"))
    lua_pushfstring(L, "%s %f at byte %f", why, (double)o->max_input, at);
  else
    lua_pushfstring(L, "%s at byte %f", why, at);
  lua_pushstring(L, vl_errcode(st));
  return 3;
}

/* The FFI fast path of repair with the default options (lua/victor/json_repair.lua
 * calls it through the pointer `repair_fn`, with `repair_state` as u: the module's
 * repairer). VL_OK: *same = 1 when the input is the output, else *out and *len give the
 * output, valid until the next call. Any other status: the caller makes the classic
 * call, which gives the message. A Lua C call costs about as much as repairing a
 * small tool call; this one does not. */
static int ffi_repair(vl_jr **u, const char *s, size_t n, const char **out, size_t *len, int *same)
{
  vl_jr_opts o;
  int st;
  if (!*u && !(*u = vl_jr_new())) return VL_ENOMEM;
  vl_jr_opts_init(&o);
  st = vl_jr_repair(*u, &o, s, n, same);
  if (st == VL_OK && !*same) *out = vl_jr_output(*u, len);
  return st;
}

/* repair(text, max_depth, max_input, flags) -> text | nil, msg, code */
static int l_repair(lua_State *L)
{
  size_t n, on;
  const char *s = luaL_checklstring(L, 1, &n), *out;
  vl_jr_opts o;
  vl_jr *p;
  int st, same;
  check_opts(L, 2, &o);
  p = scratch(L);
  st = vl_jr_repair(p, &o, s, n, &same);
  if (st != VL_OK) return fail(L, p, &o, st);
  if (same) {
    lua_settop(L, 1);
    return 1;
  }
  out = vl_jr_output(p, &on);
  lua_pushlstring(L, out, on);
  return 1;
}

/* valid(text, max_depth) -> boolean, ascii */
static int l_valid(lua_State *L)
{
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  int ascii = 0, ok = vl_json_valid(s, n, check_size(L, 2), &ascii);
  lua_pushboolean(L, ok);
  lua_pushboolean(L, ascii);
  return 2;
}

/* extract(text, max_depth, max_input, flags) -> { {start=, stop=, text=, truncated=}, ... }
 * | nil, msg, code (start and stop 1-based, inclusive) */
static int l_extract(lua_State *L)
{
  size_t n, from = 0, a, b, on;
  const char *s = luaL_checklstring(L, 1, &n), *out;
  vl_jr_opts o;
  vl_jr *p;
  int k = 0, found, trunc, st;
  check_opts(L, 2, &o);
  p = scratch(L);
  if (n > o.max_input) {
    st = vl_jr_repair(p, &o, s, n, &found); /* reports the limit */
    return fail(L, p, &o, st);
  }
  lua_newtable(L);
  for (;;) {
    st = vl_jr_extract(p, &o, s, n, from, &found, &a, &b, &trunc);
    if (st != VL_OK) return fail(L, p, &o, st);
    if (!found) break;
    out = vl_jr_output(p, &on);
    lua_createtable(L, 0, 4);
    lua_pushnumber(L, (lua_Number)a + 1);
    lua_setfield(L, -2, "start");
    lua_pushnumber(L, (lua_Number)b);
    lua_setfield(L, -2, "stop");
    lua_pushlstring(L, out, on);
    lua_setfield(L, -2, "text");
    lua_pushboolean(L, trunc);
    lua_setfield(L, -2, "truncated");
    lua_rawseti(L, -2, ++k);
    from = b;
  }
  return 1;
}

/* ---- Stream ---------------------------------------------------------------- */

typedef struct streamud {
  vl_jr *p;
  vl_jr_opts o;
  int finished;
} streamud;

static streamud *check_stream(lua_State *L)
{
  streamud *u = (streamud *)luaL_checkudata(L, 1, STREAM_MT);
  if (!u->p) luaL_error(L, "Stream is closed");
  return u;
}

static int push_out(lua_State *L, streamud *u, int st)
{
  size_t on;
  const char *out;
  if (st != VL_OK) return fail(L, u->p, &u->o, st);
  out = vl_jr_output(u->p, &on);
  lua_pushlstring(L, out, on);
  vl_jr_output_clear(u->p);
  return 1;
}

/* s:feed(chunk) -> text | nil, msg, code */
static int l_stream_feed(lua_State *L)
{
  streamud *u = check_stream(L);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  if (u->finished) return luaL_error(L, "Stream is finished");
  return push_out(L, u, vl_jr_feed(u->p, s, n));
}

/* s:finish() -> text | nil, msg, code */
static int l_stream_finish(lua_State *L)
{
  streamud *u = check_stream(L);
  if (u->finished) return luaL_error(L, "Stream is finished");
  u->finished = 1;
  return push_out(L, u, vl_jr_finish(u->p));
}

static void stream_free(void *p)
{
  vl_jr_free((vl_jr *)p);
}

/* stream(max_depth, max_input, flags) -> Stream */
static int l_stream(lua_State *L)
{
  vl_jr_opts o;
  streamud *u;
  check_opts(L, 1, &o);
  u = (streamud *)lua_newuserdata(L, sizeof *u);
  memset(u, 0, sizeof *u); /* closed until the repairer exists, so __gc is safe */
  luaL_getmetatable(L, STREAM_MT);
  lua_setmetatable(L, -2);
  u->o = o;
  if (!(u->p = vl_jr_new())) return luaL_error(L, "Stream: %s", vl_strerror(VL_ENOMEM));
  if (vl_jr_reset(u->p, &o) != VL_OK) return luaL_error(L, "Stream: %s", vl_strerror(VL_ENOMEM));
  return 1;
}

static const luaL_Reg stream_methods[] = {
  {"feed", l_stream_feed},
  {"finish", l_stream_finish},
  {NULL, NULL}
};

static const luaL_Reg funcs[] = {
  {"repair", l_repair},
  {"valid", l_valid},
  {"extract", l_extract},
  {NULL, NULL}
};

VL_LUA_EXPORT int luaopen_victor_core_json_repair(lua_State *L)
{
  const luaL_Reg *r;
  vl_jr **u;
  vl_lua_class(L, STREAM_MT, "Stream", stream_methods, stream_free);
  if (luaL_newmetatable(L, SCRATCH_MT)) {
    lua_pushcfunction(L, l_scratch_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  lua_newtable(L);
  u = (vl_jr **)lua_newuserdata(L, sizeof *u);
  *u = NULL;
  luaL_getmetatable(L, SCRATCH_MT);
  lua_setmetatable(L, -2);
  for (r = funcs; r->name; r++) {
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, r->func, 1);
    lua_setfield(L, -3, r->name);
  }
  lua_pushlightuserdata(L, (void *)u);  /* kept alive as the functions' upvalue */
  lua_setfield(L, -3, "repair_state");
  lua_pop(L, 1);
  lua_pushlightuserdata(L, (void *)(uintptr_t)&ffi_repair);
  lua_setfield(L, -2, "repair_fn");
  lua_pushcfunction(L, l_stream);
  lua_setfield(L, -2, "stream");
  return 1;
}
