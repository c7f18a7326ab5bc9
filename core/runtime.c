/*
 * runtime.c: the embedding API (victor_lua.h).
 *
 * Every entry point does its Lua work inside lua_cpcall, so an error or an
 * allocation failure anywhere unwinds to us and never reaches LuaJIT's panic
 * handler (which would exit the process). Scripts run under a nested lua_pcall with
 * a traceback message handler. Messages are copied out of the Lua state into a
 * buffer the runtime owns before the stack is reset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "bundle.h"
#include "lua_victor.h"
#include "victor_lua.h"

/* LuaJIT 2.1's lua_newstate() crashes (in close_state) when one of the first
 * allocations of a new state fails. Those allocations (about 12 KiB in 50 blocks)
 * are served from this arena inside the runtime, which the host allocator already
 * provided in one piece; a failure there is then a clean VL_ENOMEM. */
#define ARENA_SIZE 32768

#ifdef VL_STATIC_CJSON
/* make cross-windows: lua-cjson is linked in (no C modules load into the static
 * Windows executable), preloaded as on Linux it is found on package.cpath. */
int luaopen_cjson(lua_State *L);
int luaopen_cjson_safe(lua_State *L);
#endif

#define REG_REQUIRE "victor.runtime.require"
#define REG_RESULT "victor.runtime.result"

struct vl_runtime {
  lua_State *L;
  vl_alloc_fn alloc;
  void *alloc_ud;
  size_t used, limit;
  int sandbox, no_native;
  char *lua_path, *lua_cpath, *progname;
  char *errmsg;
  char errcode[16];
  int in_newstate;
  size_t arena_used;
  union {
    unsigned char bytes[ARENA_SIZE];
    long double align_;
    void *palign_;
  } arena;
};

static const char oom_msg[] = "out of memory";

/* ---- memory --------------------------------------------------------------- */

static void *raw_alloc(vl_runtime *rt, void *ptr, size_t osize, size_t nsize)
{
  if (rt->alloc) return rt->alloc(rt->alloc_ud, ptr, osize, nsize);
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, nsize);
}

static int in_arena(const vl_runtime *rt, const void *p)
{
  const unsigned char *b = (const unsigned char *)p;
  return b >= rt->arena.bytes && b < rt->arena.bytes + ARENA_SIZE;
}

static void *arena_alloc(vl_runtime *rt, size_t n)
{
  size_t at = (rt->arena_used + 15) & ~(size_t)15;
  if (!rt->in_newstate || n > ARENA_SIZE - at) return NULL;
  rt->arena_used = at + n;
  return rt->arena.bytes + at;
}

/* The allocator LuaJIT sees: counts bytes and enforces memory_limit. */
static void *rt_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  vl_runtime *rt = (vl_runtime *)ud;
  size_t old = ptr ? osize : 0;
  void *p;
  if (ptr && in_arena(rt, ptr)) {  /* arena blocks are never reused, only moved out */
    if (nsize <= osize) {
      if (nsize == 0) {
        rt->used -= old;
        return NULL;
      }
      rt->used -= osize - nsize;
      return ptr;
    }
    if (rt->limit && rt->used - old + nsize > rt->limit) return NULL;
    p = arena_alloc(rt, nsize);
    if (!p) p = raw_alloc(rt, NULL, 0, nsize);
    if (!p) return NULL;
    memcpy(p, ptr, osize);
    rt->used = rt->used - old + nsize;
    return p;
  }
  if (!ptr && nsize && (p = arena_alloc(rt, nsize)) != NULL) {
    rt->used += nsize;
    return p;
  }
  if (nsize == 0) {
    if (ptr) {
      raw_alloc(rt, ptr, osize, 0);
      rt->used -= old;
    }
    return NULL;
  }
  if (rt->limit && nsize > old && rt->used - old + nsize > rt->limit) return NULL;
  p = raw_alloc(rt, ptr, osize, nsize);
  if (p) rt->used = rt->used - old + nsize;
  return p;
}

static char *rt_strdup(vl_runtime *rt, const char *s)
{
  size_t n;
  char *p;
  if (!s) return NULL;
  n = strlen(s) + 1;
  p = (char *)raw_alloc(rt, NULL, 0, n);
  if (p) memcpy(p, s, n);
  return p;
}

static void rt_strfree(vl_runtime *rt, char *s)
{
  if (s && s != oom_msg) raw_alloc(rt, s, strlen(s) + 1, 0);
}

static void set_err(vl_runtime *rt, const char *msg, const char *code)
{
  rt_strfree(rt, rt->errmsg);
  rt->errmsg = msg ? rt_strdup(rt, msg) : NULL;
  if (msg && !rt->errmsg) rt->errmsg = (char *)oom_msg;
  snprintf(rt->errcode, sizeof rt->errcode, "%s", code ? code : "");
}

/* ---- protected helpers ----------------------------------------------------- */

/* Message handler: the error text (or a description of a non-string error) plus a
 * traceback. Runs on the error path, so it must tolerate any error object. */
static int msgh(lua_State *L)
{
  const char *m = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;
  if (!m) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) m = lua_tostring(L, -1);
    else m = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, m, 1);
  return 1;
}

/* Copy the error object at the top of the stack into rt->errmsg. */
static void take_error(vl_runtime *rt, lua_State *L, int status)
{
  if (status == LUA_ERRMEM) set_err(rt, oom_msg, "ENOMEM");
  else if (lua_type(L, -1) == LUA_TSTRING) set_err(rt, lua_tostring(L, -1), "");
  else set_err(rt, "error with no message", "");
}

static int pcall_traceback(lua_State *L, int nargs, int nresults)
{
  int base = lua_gettop(L) - nargs, st;
  lua_pushcfunction(L, msgh);
  lua_insert(L, base);
  st = lua_pcall(L, nargs, nresults, base);
  lua_remove(L, base);
  return st;
}

static int status_code(int st)
{
  return st == LUA_ERRMEM ? VL_ENOMEM : VL_ERUNTIME;
}

typedef struct req {
  vl_runtime *rt;
  int rc;
  /* run_file / run_string / call */
  const char *code, *chunk;
  int argc, script;
  const char *const *argv;
  int status;
  /* call */
  const char *module, *func;
  const char *res;
  size_t reslen;
} req;

/* Call the saved `require` on name, leaving the module on the stack. */
static int require_module(lua_State *L, req *r, const char *name)
{
  int st;
  lua_getfield(L, LUA_REGISTRYINDEX, REG_REQUIRE);
  lua_pushstring(L, name);
  st = pcall_traceback(L, 1, 1);
  if (st != 0) {
    take_error(r->rt, L, st);
    r->rc = status_code(st);
  }
  return st;
}

/* ---- creation ---------------------------------------------------------------- */

static int bundle_loader(lua_State *L)
{
  const vl_bundle_entry *e = (const vl_bundle_entry *)lua_touserdata(L, lua_upvalueindex(1));
  if (luaL_loadbuffer(L, (const char *)e->data, e->size, e->name) != 0) return lua_error(L);
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  return 1;
}

static void prepend_path(lua_State *L, const char *field, const char *prefix)
{
  if (!prefix || !*prefix) return;
  lua_getfield(L, LUA_GLOBALSINDEX, "package");
  lua_pushstring(L, prefix);
  lua_pushliteral(L, ";");
  lua_getfield(L, -3, field);
  lua_concat(L, 3);
  lua_setfield(L, -2, field);
  lua_pop(L, 1);
}

/* Call require(mod)[fn]() with no arguments; errors propagate (we are protected). */
static void call_module_fn(lua_State *L, const char *mod, const char *fn, int flag)
{
  lua_getfield(L, LUA_REGISTRYINDEX, REG_REQUIRE);
  lua_pushstring(L, mod);
  lua_call(L, 1, 1);
  lua_getfield(L, -1, fn);
  lua_pushboolean(L, flag);
  lua_call(L, 1, 0);
  lua_pop(L, 1);
}

static int init_state(lua_State *L)
{
  vl_runtime *rt = (vl_runtime *)lua_touserdata(L, 1);
  const vl_lua_module *m;
  const vl_bundle_entry *e;
  luaL_openlibs(L);
  lua_getfield(L, LUA_GLOBALSINDEX, "require");
  lua_setfield(L, LUA_REGISTRYINDEX, REG_REQUIRE);
  lua_getfield(L, LUA_GLOBALSINDEX, "package");
  lua_getfield(L, -1, "preload");
  for (m = vl_lua_modules; m->name; m++) {
    lua_pushcfunction(L, m->open);
    lua_setfield(L, -2, m->name);
  }
  for (e = vl_bundle_modules; e->name; e++) {
    lua_pushlightuserdata(L, (void *)e);
    lua_pushcclosure(L, bundle_loader, 1);
    lua_setfield(L, -2, e->module);
  }
#ifdef VL_STATIC_CJSON
  lua_pushcfunction(L, luaopen_cjson);
  lua_setfield(L, -2, "cjson");
  lua_pushcfunction(L, luaopen_cjson_safe);
  lua_setfield(L, -2, "cjson.safe");
#endif
  lua_pop(L, 2);
  prepend_path(L, "path", rt->lua_path);
  prepend_path(L, "cpath", rt->lua_cpath);
  if (rt->no_native) call_module_fn(L, "victor.native", "force_fallback", 1);
  if (rt->sandbox) call_module_fn(L, "victor.host", "lockdown", 1);
  return 0;
}

void vl_config_init(vl_config *cfg)
{
  memset(cfg, 0, sizeof *cfg);
}

int vl_runtime_new(const vl_config *cfg, vl_runtime **out)
{
  vl_config defaults;
  vl_runtime tmp, *rt;
  int st;
  if (!out) return VL_EINVAL;
  *out = NULL;
  if (!cfg) {
    vl_config_init(&defaults);
    cfg = &defaults;
  }
  memset(&tmp, 0, sizeof tmp);
  tmp.alloc = cfg->alloc;
  tmp.alloc_ud = cfg->alloc_ud;
  rt = (vl_runtime *)raw_alloc(&tmp, NULL, 0, sizeof *rt);
  if (!rt) return VL_ENOMEM;
  *rt = tmp;
  rt->limit = cfg->memory_limit;
  rt->sandbox = cfg->sandbox != 0;
  rt->no_native = cfg->no_native != 0;
  rt->lua_path = rt_strdup(rt, cfg->lua_path);
  rt->lua_cpath = rt_strdup(rt, cfg->lua_cpath);
  rt->progname = rt_strdup(rt, cfg->progname ? cfg->progname : "victor-lua");
  if ((cfg->lua_path && !rt->lua_path) || (cfg->lua_cpath && !rt->lua_cpath) || !rt->progname) {
    vl_runtime_free(rt);
    return VL_ENOMEM;
  }
  rt->in_newstate = 1;
  rt->L = lua_newstate(rt_lua_alloc, rt);
  rt->in_newstate = 0;
  if (!rt->L) {
    vl_runtime_free(rt);
    return VL_ENOMEM;
  }
  st = lua_cpcall(rt->L, init_state, rt);
  if (st != 0) {
    vl_runtime_free(rt);
    return status_code(st);
  }
  set_err(rt, "", "");
  *out = rt;
  return VL_OK;
}

void vl_runtime_free(vl_runtime *rt)
{
  if (!rt) return;
  if (rt->L) lua_close(rt->L);
  rt_strfree(rt, rt->lua_path);
  rt_strfree(rt, rt->lua_cpath);
  rt_strfree(rt, rt->progname);
  rt_strfree(rt, rt->errmsg);
  raw_alloc(rt, rt, sizeof *rt, 0);
}

/* ---- running code -------------------------------------------------------------- */

static int p_collect(lua_State *L)
{
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}

static int run_protected(vl_runtime *rt, lua_CFunction f, req *r)
{
  lua_State *L = rt->L;
  int top = lua_gettop(L), st;
  r->rt = rt;
  r->rc = VL_OK;
  set_err(rt, "", "");
  st = lua_cpcall(L, f, r);
  if (st != 0) {
    take_error(rt, L, st);
    r->rc = status_code(st);
  }
  lua_settop(L, top);
  /* LuaJIT does not collect before reporting an allocation failure: do it now, so
   * the garbage of the failed call does not starve the next one. */
  if (r->rc == VL_ENOMEM) lua_cpcall(L, p_collect, NULL);
  return r->rc;
}

/* After a chunk returned: its first result decides the exit status. */
static void take_status(lua_State *L, req *r)
{
  if (lua_type(L, -1) == LUA_TNUMBER) {
    lua_Number n = lua_tonumber(L, -1);
    if (n >= 0 && n <= 255 && n == (lua_Number)(int)n) r->status = (int)n;
  }
}

static int load_status(vl_runtime *rt, lua_State *L, req *r, int st)
{
  if (st == 0) return 0;
  take_error(rt, L, st);
  r->rc = st == LUA_ERRFILE ? VL_EIO : st == LUA_ERRSYNTAX ? VL_EPARSE : status_code(st);
  return 1;
}

static int p_run_file(lua_State *L)
{
  req *r = (req *)lua_touserdata(L, 1);
  vl_runtime *rt = r->rt;
  const char *path = r->argv[r->script];
  int i, st, nargs = r->argc - r->script - 1;
  lua_settop(L, 0);
  /* arg as luajit builds it: arg[0] is the script, the words before it go to
   * negative indices, the script's arguments to 1..n */
  lua_createtable(L, nargs, r->script + 1);
  if (r->script == 0) {
    lua_pushstring(L, rt->progname);
    lua_rawseti(L, -2, -1);
  }
  for (i = 0; i < r->argc; i++) {
    lua_pushstring(L, i == r->script && !path ? "-" : r->argv[i]);
    lua_rawseti(L, -2, i - r->script);
  }
  lua_setfield(L, LUA_GLOBALSINDEX, "arg");
  st = luaL_loadfile(L, path);
  if (load_status(rt, L, r, st)) return 0;
  for (i = r->script + 1; i < r->argc; i++) lua_pushstring(L, r->argv[i]);
  st = pcall_traceback(L, nargs, 1);
  if (st != 0) {
    take_error(rt, L, st);
    r->rc = status_code(st);
    return 0;
  }
  take_status(L, r);
  return 0;
}

int vl_runtime_run_argv(vl_runtime *rt, int argc, const char *const *argv, int script, int *status)
{
  req r;
  int rc;
  if (status) *status = 0;
  if (!rt || !argv || script < 0 || script >= argc) return VL_EINVAL;
  memset(&r, 0, sizeof r);
  r.argc = argc;
  r.argv = argv;
  r.script = script;
  rc = run_protected(rt, p_run_file, &r);
  if (status) *status = rc == VL_OK ? r.status : 0;
  return rc;
}

int vl_runtime_run_file(vl_runtime *rt, const char *path, int argc, const char *const *argv, int *status)
{
  /* the script followed by its arguments, as one command line */
  const char *small[16], **all = small;
  int i, rc;
  if (status) *status = 0;
  if (!rt || argc < 0 || (argc > 0 && !argv)) return VL_EINVAL;
  if (argc + 1 > (int)(sizeof small / sizeof small[0])) {
    all = (const char **)raw_alloc(rt, NULL, 0, (size_t)(argc + 1) * sizeof *all);
    if (!all) return VL_ENOMEM;
  }
  all[0] = path;
  for (i = 0; i < argc; i++) all[i + 1] = argv[i];
  rc = vl_runtime_run_argv(rt, argc + 1, all, 0, status);
  if (all != small) raw_alloc(rt, (void *)all, (size_t)(argc + 1) * sizeof *all, 0);
  return rc;
}

static int p_run_string(lua_State *L)
{
  req *r = (req *)lua_touserdata(L, 1);
  int st;
  lua_settop(L, 0);
  st = luaL_loadbuffer(L, r->code, strlen(r->code), r->chunk ? r->chunk : "=(string)");
  if (load_status(r->rt, L, r, st)) return 0;
  st = pcall_traceback(L, 0, 0);
  if (st != 0) {
    take_error(r->rt, L, st);
    r->rc = status_code(st);
  }
  return 0;
}

int vl_runtime_run_string(vl_runtime *rt, const char *code, const char *chunkname)
{
  req r;
  if (!rt || !code) return VL_EINVAL;
  memset(&r, 0, sizeof r);
  r.code = code;
  r.chunk = chunkname;
  return run_protected(rt, p_run_string, &r);
}

static int p_call(lua_State *L)
{
  req *r = (req *)lua_touserdata(L, 1);
  vl_runtime *rt = r->rt;
  int i, st;
  lua_settop(L, 0);
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, REG_RESULT);
  if (require_module(L, r, r->module) != 0) return 0;
  lua_getfield(L, -1, r->func);
  if (!lua_isfunction(L, -1)) {
    lua_pushfstring(L, "module '%s' has no function '%s'", r->module, r->func);
    set_err(rt, lua_tostring(L, -1), "");
    r->rc = VL_EINVAL;
    return 0;
  }
  for (i = 0; i < r->argc; i++) lua_pushstring(L, r->argv[i]);
  st = pcall_traceback(L, r->argc, 3);
  if (st != 0) {
    take_error(rt, L, st);
    r->rc = status_code(st);
    return 0;
  }
  switch (lua_type(L, -3)) {
  case LUA_TNIL:
    if (lua_type(L, -2) == LUA_TSTRING) {
      set_err(rt, lua_tostring(L, -2), lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "");
      r->rc = VL_EINPUT;
    }
    return 0;
  case LUA_TBOOLEAN:
    lua_pushstring(L, lua_toboolean(L, -3) ? "true" : "false");
    break;
  case LUA_TNUMBER:
  case LUA_TSTRING:
    lua_pushvalue(L, -3);
    lua_tostring(L, -1);
    break;
  default:
    lua_pushfstring(L, "%s.%s returned a %s (string, number, boolean or nil expected)", r->module, r->func,
                    luaL_typename(L, -3));
    set_err(rt, lua_tostring(L, -1), "");
    r->rc = VL_ETYPE;
    return 0;
  }
  r->res = lua_tolstring(L, -1, &r->reslen);
  lua_setfield(L, LUA_REGISTRYINDEX, REG_RESULT); /* keeps r->res alive */
  return 0;
}

int vl_runtime_call(vl_runtime *rt, const char *module, const char *func, int nargs, const char *const *args,
                    const char **result, size_t *result_len)
{
  req r;
  int rc;
  if (result) *result = NULL;
  if (result_len) *result_len = 0;
  if (!rt || !module || !func || nargs < 0 || (nargs > 0 && !args)) return VL_EINVAL;
  memset(&r, 0, sizeof r);
  r.module = module;
  r.func = func;
  r.argc = nargs;
  r.argv = args;
  rc = run_protected(rt, p_call, &r);
  if (rc == VL_OK) {
    if (result) *result = r.res;
    if (result_len) *result_len = r.reslen;
  }
  return rc;
}

int vl_runtime_load_rules(vl_runtime *rt, const char *path)
{
  if (!rt || !path) return VL_EINVAL;
  return vl_runtime_call(rt, "victor.host", "add_pack", 1, &path, NULL, NULL);
}

const char *vl_runtime_errmsg(const vl_runtime *rt)
{
  if (!rt) return "no runtime";
  return rt->errmsg ? rt->errmsg : "";
}

const char *vl_runtime_errcode(const vl_runtime *rt)
{
  return rt ? rt->errcode : "";
}

size_t vl_runtime_memory(const vl_runtime *rt)
{
  return rt ? rt->used : 0;
}
