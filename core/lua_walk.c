/*
 * lua_walk.c: Lua binding of the file walker (victor.core.walk).
 *
 *   files(roots, o) -> files, skipped | nil, msg, code
 *     roots: array of strings; o: a table whose fields lua/victor/walk.lua has
 *     already checked (max_file_bytes, max_files, gitignore, hidden,
 *     follow_symlinks, keep_binary, jobs, ignore_file, include, exclude).
 *     files = { {path=, size=}, ... }, skipped = { {path=, size=, reason=}, ... }.
 *   match_line(line, path, is_dir) -> 1 | -1 | 0
 *   read(path [, max_bytes]) -> string | nil, msg, code
 *
 * The C list and the pointer arrays are owned by a scratch userdata, so a Lua
 * error while building the result tables frees them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua_victor.h"
#include "walk.h"

#define SCRATCH_MT "victor.walk.scratch"

typedef struct scratch {
  vl_walk_list *list;
  const char **ptrs;
  char *buf;
} scratch;

static int l_scratch_gc(lua_State *L)
{
  scratch *x = (scratch *)luaL_checkudata(L, 1, SCRATCH_MT);
  vl_walk_free(x->list);
  free((void *)x->ptrs);
  free(x->buf);
  memset(x, 0, sizeof *x);
  return 0;
}

/* The strings of array field `key` of the table at `t` (every element checked by
 * the Lua layer) into ptrs[at..): returns how many. */
static size_t take_strings(lua_State *L, int t, const char *key, const char **ptrs, size_t at)
{
  size_t n = 0;
  lua_getfield(L, t, key);
  if (lua_istable(L, -1)) {
    size_t len = lua_objlen(L, -1);
    for (size_t i = 1; i <= len; i++) {
      lua_rawgeti(L, -1, (int)i);
      const char *s = lua_tostring(L, -1);
      /* the table keeps the string alive; strings are interned, the pointer stays valid */
      lua_pop(L, 1);
      if (s) ptrs[at + n++] = s;
    }
  }
  lua_pop(L, 1);
  return n;
}

static size_t field_len(lua_State *L, int t, const char *key)
{
  lua_getfield(L, t, key);
  size_t n = lua_istable(L, -1) ? lua_objlen(L, -1) : 0;
  lua_pop(L, 1);
  return n;
}

static lua_Number num_field(lua_State *L, int t, const char *key, lua_Number dflt)
{
  lua_getfield(L, t, key);
  lua_Number v = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : dflt;
  lua_pop(L, 1);
  return v;
}

static int bool_field(lua_State *L, int t, const char *key)
{
  lua_getfield(L, t, key);
  int v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

static int l_files(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  size_t nroots = lua_objlen(L, 1), ninc = field_len(L, 2, "include"), nexc = field_len(L, 2, "exclude");
  scratch *x = (scratch *)vl_lua_newscratch(L, sizeof(scratch), SCRATCH_MT);
  x->ptrs = malloc((nroots + ninc + nexc + 1) * sizeof *x->ptrs);
  if (!x->ptrs) return vl_lua_fail(L, VL_ENOMEM);
  size_t r = 0;
  for (size_t i = 1; i <= nroots; i++) {
    lua_rawgeti(L, 1, (int)i);
    const char *s = lua_tostring(L, -1);
    lua_pop(L, 1);
    if (s) x->ptrs[r++] = s;
  }
  vl_walk_opts o;
  memset(&o, 0, sizeof o);
  o.include = x->ptrs + r;
  o.ninclude = take_strings(L, 2, "include", x->ptrs, r);
  o.exclude = x->ptrs + r + o.ninclude;
  o.nexclude = take_strings(L, 2, "exclude", x->ptrs, r + o.ninclude);
  o.max_file_bytes = (uint64_t)num_field(L, 2, "max_file_bytes", 0);
  o.max_files = (size_t)num_field(L, 2, "max_files", 0);
  o.jobs = (int)num_field(L, 2, "jobs", 0);
  o.gitignore = bool_field(L, 2, "gitignore");
  o.hidden = bool_field(L, 2, "hidden");
  o.follow_symlinks = bool_field(L, 2, "follow_symlinks");
  o.keep_binary = bool_field(L, 2, "keep_binary");
  lua_getfield(L, 2, "ignore_file");
  o.ignore_file = lua_tostring(L, -1);  /* anchored in the options table */
  lua_pop(L, 1);
  char err[512];
  int st = vl_walk(x->ptrs, r, &o, &x->list, err, sizeof err);
  if (st != VL_OK) {
    if (!err[0]) return vl_lua_fail(L, st);
    lua_pushnil(L);
    lua_pushstring(L, err);
    lua_pushstring(L, vl_errcode(st));
    return 3;
  }
  size_t n = vl_walk_count(x->list), nf = 0, ns = 0;
  lua_createtable(L, (int)n, 0);   /* files */
  lua_createtable(L, 0, 0);        /* skipped */
  for (size_t i = 0; i < n; i++) {
    const vl_walk_entry *e = vl_walk_at(x->list, i);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, e->path);
    lua_setfield(L, -2, "path");
    lua_pushnumber(L, (lua_Number)e->size);
    lua_setfield(L, -2, "size");
    if (e->skip) {
      lua_pushstring(L, e->skip);
      lua_setfield(L, -2, "reason");
      lua_rawseti(L, -2, (int)++ns);
    } else {
      lua_rawseti(L, -3, (int)++nf);
    }
  }
  return 2;
}

static int l_match_line(lua_State *L)
{
  size_t len;
  const char *line = luaL_checklstring(L, 1, &len);
  const char *path = luaL_checkstring(L, 2);
  lua_pushinteger(L, vl_walk_match_line(line, len, path, lua_toboolean(L, 3)));
  return 1;
}

static int l_read(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  lua_Number max = luaL_optnumber(L, 2, 0);
  scratch *x = (scratch *)vl_lua_newscratch(L, sizeof(scratch), SCRATCH_MT);
  size_t len;
  int st = vl_walk_read(path, (size_t)max, &x->buf, &len);
  if (st == VL_EIO) {
    int e = errno;
    lua_pushnil(L);
    lua_pushfstring(L, "cannot read '%s': %s", path, strerror(e));
    lua_pushstring(L, "EIO");
    return 3;
  }
  if (st == VL_ELIMIT) {
    char msg[64];
    snprintf(msg, sizeof msg, "%.0f bytes", (double)max);
    lua_pushnil(L);
    lua_pushfstring(L, "'%s' is larger than %s", path, msg);
    lua_pushstring(L, "ELIMIT");
    return 3;
  }
  if (st != VL_OK) return vl_lua_fail(L, st);
  lua_pushlstring(L, x->buf, len);
  free(x->buf);
  x->buf = NULL;
  return 1;
}

static const luaL_Reg funcs[] = {
  {"files", l_files},
  {"match_line", l_match_line},
  {"read", l_read},
  {NULL, NULL}
};

VL_LUA_EXPORT int luaopen_victor_core_walk(lua_State *L)
{
  vl_lua_gc_metatable(L, SCRATCH_MT, l_scratch_gc);
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  return 1;
}
