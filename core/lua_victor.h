/*
 * lua_victor.h: helpers shared by the Lua bindings (lua_<kernel>.c files) and the
 * list of kernels the runtime preloads. Only binding files include this header.
 */
#ifndef VL_LUA_VICTOR_H
#define VL_LUA_VICTOR_H

#include <lua.h>

#if defined(__GNUC__)
#define VL_LUA_EXPORT __attribute__((visibility("default")))
#else
#define VL_LUA_EXPORT
#endif

/* Raise "bad argument #i to 'f' (<expected> expected, got <type>)". */
int vl_lua_typeerror(lua_State *L, int i, const char *expected);

/* Kernel entry points: each returns its module table. */
VL_LUA_EXPORT int luaopen_victor_core_signature(lua_State *L);
VL_LUA_EXPORT int luaopen_victor_core_dedup(lua_State *L);

/* Every kernel module as {name, opener}, NULL-terminated; the runtime registers each
 * in package.preload. */
typedef struct vl_lua_module {
  const char *name;
  lua_CFunction open;
} vl_lua_module;
extern const vl_lua_module vl_lua_modules[];

#endif
