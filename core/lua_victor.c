/* lua_victor.c: shared binding helpers and the kernel module list (lua_victor.h). */
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>

#include "lua_victor.h"
#include "vl_status.h"

int vl_lua_typeerror(lua_State *L, int i, const char *expected)
{
  const char *msg = lua_pushfstring(L, "%s expected, got %s", expected, luaL_typename(L, i));
  return luaL_argerror(L, i, msg);
}

/* close and __gc of vl_lua_class: upvalue 1 = the metatable, 2 = free_fn */
static int class_close(lua_State *L)
{
  void **obj = (void **)luaL_checkudata(L, 1, lua_tostring(L, lua_upvalueindex(1)));
  vl_lua_free_fn free_fn = (vl_lua_free_fn)(uintptr_t)lua_touserdata(L, lua_upvalueindex(2));
  if (*obj) free_fn(*obj);
  *obj = NULL;
  return 0;
}

/* __tostring of vl_lua_class: upvalue 1 = the metatable name, 2 = the type name */
static int class_tostring(lua_State *L)
{
  void **obj = (void **)luaL_checkudata(L, 1, lua_tostring(L, lua_upvalueindex(1)));
  lua_pushfstring(L, "%s%s", lua_tostring(L, lua_upvalueindex(2)), *obj ? "" : " (closed)");
  return 1;
}

void vl_lua_class(lua_State *L, const char *name, const char *type_name, const luaL_Reg *methods,
                  vl_lua_free_fn free_fn)
{
  const luaL_Reg *r;
  if (luaL_newmetatable(L, name)) {
    lua_newtable(L);
    for (r = methods; r->name; r++) {
      lua_pushvalue(L, -2);
      lua_pushcclosure(L, r->func, 1);
      lua_setfield(L, -2, r->name);
    }
    lua_pushstring(L, name);
    lua_pushlightuserdata(L, (void *)(uintptr_t)free_fn);
    lua_pushcclosure(L, class_close, 2);
    lua_pushvalue(L, -1);
    lua_setfield(L, -4, "__gc");
    lua_setfield(L, -2, "close");
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, name);
    lua_pushstring(L, type_name);
    lua_pushcclosure(L, class_tostring, 2);
    lua_setfield(L, -2, "__tostring");
    lua_pushstring(L, type_name);
    lua_setfield(L, -2, "__name");
  }
  lua_pop(L, 1);
}

int vl_lua_collect_match(void *ud, uint32_t id, uint64_t start, uint64_t end)
{
  vl_lua_collect *c = (vl_lua_collect *)ud;
  lua_pushnumber(c->L, (lua_Number)id + 1);
  lua_rawseti(c->L, -2, ++c->k);
  lua_pushnumber(c->L, (lua_Number)start + 1);
  lua_rawseti(c->L, -2, ++c->k);
  lua_pushnumber(c->L, (lua_Number)end);
  lua_rawseti(c->L, -2, ++c->k);
  return 0;
}

int vl_lua_fail(lua_State *L, int st)
{
  lua_pushnil(L);
  lua_pushstring(L, vl_strerror(st));
  lua_pushstring(L, vl_errcode(st));
  return 3;
}

void *vl_lua_newscratch(lua_State *L, size_t size, const char *mt)
{
  void *x = lua_newuserdata(L, size);
  memset(x, 0, size);
  luaL_getmetatable(L, mt);
  lua_setmetatable(L, -2);
  return x;
}

void vl_lua_gc_metatable(lua_State *L, const char *name, lua_CFunction gc)
{
  if (luaL_newmetatable(L, name)) {
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
}

/* vl_lua_keep: the block sits behind this header in a userdata held by the registry.
 * An unreachable "sentinel" userdata whose __gc runs once per GC cycle checks it:
 * used since the last check -> arm a new sentinel; idle and unused -> release. */
typedef union keep_hdr {
  struct {
    void (*release)(void *);
    int used, busy, armed, closed;
  } h;
  long double align_ld;  /* the block that follows is aligned for any type */
  void *align_p;
  long long align_ll;
} keep_hdr;

#define KEEP_MT "victor.keep"
#define KEEP_SENTINEL_MT "victor.keep.sentinel"

static void *keep_block(keep_hdr *k) { return k + 1; }

static void keep_arm(lua_State *L, keep_hdr *k)
{
  keep_hdr **p = (keep_hdr **)lua_newuserdata(L, sizeof *p);
  *p = k;
  luaL_getmetatable(L, KEEP_SENTINEL_MT);
  lua_setmetatable(L, -2);
  lua_pop(L, 1);  /* garbage from now on: its __gc is the check */
  k->h.armed = 1;
}

static int keep_sentinel_gc(lua_State *L)
{
  keep_hdr *k = *(keep_hdr **)lua_touserdata(L, 1);
  if (k->h.closed) return 0;
  if (k->h.used || k->h.busy) {
    k->h.used = 0;
    keep_arm(L, k);
  } else {
    k->h.armed = 0;
    k->h.release(keep_block(k));
  }
  return 0;
}

static int keep_gc(lua_State *L)  /* lua_close */
{
  keep_hdr *k = (keep_hdr *)lua_touserdata(L, 1);
  k->h.release(keep_block(k));
  k->h.closed = 1;
  return 0;
}

/* Push a new block (userdata with the metatable KEEP_MT) and return it. */
static keep_hdr *keep_new(lua_State *L, size_t size, void (*release)(void *))
{
  keep_hdr *k;
  vl_lua_gc_metatable(L, KEEP_MT, keep_gc);
  vl_lua_gc_metatable(L, KEEP_SENTINEL_MT, keep_sentinel_gc);
  k = (keep_hdr *)lua_newuserdata(L, sizeof *k + size);
  memset(k, 0, sizeof *k + size);
  k->h.release = release;
  luaL_getmetatable(L, KEEP_MT);
  lua_setmetatable(L, -2);
  return k;
}

void *vl_lua_keep(lua_State *L, const char *name, size_t size, void (*release)(void *))
{
  keep_hdr *k;
  lua_getfield(L, LUA_REGISTRYINDEX, name);
  k = (keep_hdr *)lua_touserdata(L, -1);
  if (!k) {
    lua_pop(L, 1);
    k = keep_new(L, size, release);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, name);
  } else if (k->h.busy) {  /* a call further down the stack uses it: a finalizer's call */
    lua_pop(L, 1);
    return keep_block(keep_new(L, size, release));  /* a block of its own, freed by the GC */
  }
  k->h.used = k->h.busy = 1;
  if (!k->h.armed) keep_arm(L, k);
  return keep_block(k);
}

void vl_lua_keep_done(void *block)
{
  keep_hdr *k = (keep_hdr *)block - 1;
  k->h.busy = 0;
  k->h.used = 1;
}

const vl_lua_module vl_lua_modules[] = {
  {"victor.core.signature", luaopen_victor_core_signature},
  {"victor.core.dedup", luaopen_victor_core_dedup},
  {"victor.core.stream_filter", luaopen_victor_core_stream_filter},
  {"victor.core.graph", luaopen_victor_core_graph},
  {"victor.core.json_repair", luaopen_victor_core_json_repair},
  {"victor.core.similarity", luaopen_victor_core_similarity},
  {"victor.core.walk", luaopen_victor_core_walk},
  {"victor.core.patterns", luaopen_victor_core_patterns},
  {"victor.core.indexer", luaopen_victor_core_indexer},
  {"victor.core.secrets", luaopen_victor_core_secrets},
  {NULL, NULL}
};
