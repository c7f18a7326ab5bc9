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
