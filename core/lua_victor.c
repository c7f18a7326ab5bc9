/* lua_victor.c: shared binding helpers and the kernel module list (lua_victor.h). */
#include <lauxlib.h>

#include "lua_victor.h"

int vl_lua_typeerror(lua_State *L, int i, const char *expected)
{
  const char *msg = lua_pushfstring(L, "%s expected, got %s", expected, luaL_typename(L, i));
  return luaL_argerror(L, i, msg);
}

const vl_lua_module vl_lua_modules[] = {
  {"victor.core.signature", luaopen_victor_core_signature},
  {"victor.core.dedup", luaopen_victor_core_dedup},
  {NULL, NULL}
};
