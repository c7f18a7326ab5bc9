/*
 * lua_secrets.c: Lua binding of the secret scanner (victor.core.secrets).
 *
 * lua/victor/secrets.lua validates rules (through the rule loader) and options;
 * this file takes the checked plain rule tables. The temporary C arrays of a
 * compile are Lua userdata (collected if a later call raises); the compiled set
 * is a full userdata `victor.secrets.Scanner` (vl_lua_class: close + __gc).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua_victor.h"
#include "secrets.h"
#include "toml_json.h"

#define SCANNER_MT "victor.secrets.Scanner"
#define RESULTS_MT "victor.secrets.Results"

typedef struct scannerud {
  vl_secrets *s;
} scannerud;

static vl_secrets *check_scanner(lua_State *L, int i)
{
  scannerud *u = (scannerud *)luaL_checkudata(L, i, SCANNER_MT);
  if (!u->s) luaL_argerror(L, i, "Scanner is closed");
  return u->s;
}

static void *newarr(lua_State *L, size_t n, size_t size)
{
  return lua_newuserdata(L, (n ? n : 1) * size);
}

/* Read the string array field `name` of the table at index t into fresh arrays
 * (left on the stack as userdata); the strings stay owned by the table. */
static size_t str_array(lua_State *L, int t, const char *name, const char *const **ps, const size_t **pl)
{
  size_t n, i;
  const char **s;
  size_t *l;
  lua_getfield(L, t, name);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    *ps = NULL;
    *pl = NULL;
    return 0;
  }
  if (!lua_istable(L, -1)) luaL_error(L, "rule field %s: table expected", name);
  n = lua_objlen(L, -1);
  s = (const char **)newarr(L, n, sizeof *s);
  l = (size_t *)newarr(L, n, sizeof *l);
  for (i = 0; i < n; i++) {
    lua_rawgeti(L, -3, (int)i + 1);
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "rule field %s[%d]: string expected", name, (int)i + 1);
    s[i] = lua_tolstring(L, -1, &l[i]);
    lua_pop(L, 1);  /* still referenced by the table */
  }
  lua_remove(L, -3);  /* the table (the rule table keeps it) */
  *ps = s;
  *pl = l;
  return n;
}

static double num_field(lua_State *L, int t, const char *name, double dflt)
{
  double v;
  lua_getfield(L, t, name);
  v = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : dflt;
  lua_pop(L, 1);
  return v;
}

/* compile(rules, opts) -> Scanner | nil, msg, code */
static int l_compile(lua_State *L)
{
  size_t n, i;
  vl_secrets_rule *rs;
  vl_secrets_opts o;
  vl_secrets_error err;
  scannerud *u;
  int st;
  luaL_checktype(L, 1, LUA_TTABLE);
  memset(&o, 0, sizeof o);
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    o.max_keywords = (size_t)num_field(L, 2, "max_keywords", 0);
    o.max_rules = (size_t)num_field(L, 2, "max_rules", 0);
    lua_getfield(L, 2, "no_jit");
    o.no_jit = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, 2, "use_ac");
    o.use_ac = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  n = lua_objlen(L, 1);
  if (n == 0) luaL_argerror(L, 1, "no rules");
  rs = (vl_secrets_rule *)newarr(L, n, sizeof *rs);
  memset(rs, 0, n * sizeof *rs);
  lua_newtable(L);  /* keeps the array userdata alive */
  for (i = 0; i < n; i++) {
    vl_secrets_rule *r = &rs[i];
    int t;
    lua_rawgeti(L, 1, (int)i + 1);
    if (!lua_istable(L, -1)) luaL_argerror(L, 1, "array of rule tables expected");
    t = lua_gettop(L);
    lua_getfield(L, t, "id");
    r->id = lua_tostring(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, t, "regex");
    r->regex = lua_tolstring(L, -1, &r->regex_len);
    lua_pop(L, 1);
    if (!r->id || !r->regex) luaL_argerror(L, 1, "every rule needs string id and regex");
    r->secret_group = (uint32_t)num_field(L, t, "secret_group", 0);
    r->entropy = num_field(L, t, "entropy", 0);
    r->window = (uint32_t)num_field(L, t, "window", 0);
    r->match_limit = (uint32_t)num_field(L, t, "match_limit", 0);
    r->depth_limit = (uint32_t)num_field(L, t, "depth_limit", 0);
    r->nkeywords = str_array(L, t, "keywords", &r->keywords, &r->keyword_lens);
    r->nallow_regexes = str_array(L, t, "allow_regexes", &r->allow_regexes, &r->allow_regex_lens);
    r->nstopwords = str_array(L, t, "stopwords", &r->stopwords, &r->stopword_lens);
    r->nallow_paths = str_array(L, t, "allow_paths", &r->allow_paths, &r->allow_path_lens);
    /* move the 8 array userdata into the keep table */
    while (lua_gettop(L) > t) lua_rawseti(L, t - 1, (int)lua_objlen(L, t - 1) + 1);
    lua_pop(L, 1);
  }
  u = (scannerud *)lua_newuserdata(L, sizeof *u);
  u->s = NULL;
  luaL_getmetatable(L, SCANNER_MT);
  lua_setmetatable(L, -2);
  st = vl_secrets_compile(rs, n, &o, &u->s, &err);
  if (st == VL_OK) return 1;
  lua_pushnil(L);
  if (err.rule != SIZE_MAX && err.rule < n) {
    const char *id = rs[err.rule].id;
    if (st == VL_EPARSE && strcmp(err.what, "regex") == 0)
      lua_pushfstring(L, "rule '%s': offset %d: %s", id, (int)err.offset, err.message);
    else if (st == VL_EPARSE)
      lua_pushfstring(L, "rule '%s': %s: offset %d: %s", id, err.what, (int)err.offset, err.message);
    else
      lua_pushfstring(L, "rule '%s': %s", id, err.message);
  } else if (err.message[0]) {
    lua_pushstring(L, err.message);
  } else {
    lua_pushstring(L, vl_strerror(st));
  }
  lua_pushstring(L, vl_errcode(st));
  return 3;
}

/* Scratch userdata owning one result (freed by __gc if a push raises). */
static int l_results_gc(lua_State *L)
{
  vl_secrets_result *r = (vl_secrets_result *)luaL_checkudata(L, 1, RESULTS_MT);
  vl_secrets_result_free(r);
  return 0;
}

static void push_findings(lua_State *L, const vl_secrets *s, const vl_secrets_result *r)
{
  size_t i;
  char fp[24];
  lua_createtable(L, (int)r->n, 0);
  for (i = 0; i < r->n; i++) {
    const vl_secrets_finding *f = &r->items[i];
    lua_createtable(L, 0, 10);
    lua_pushstring(L, vl_secrets_rule_id(s, f->rule));
    lua_setfield(L, -2, "rule");
    lua_pushinteger(L, (lua_Integer)f->rule + 1);
    lua_setfield(L, -2, "index");
    lua_pushnumber(L, (lua_Number)f->start + 1);
    lua_setfield(L, -2, "start");
    lua_pushnumber(L, (lua_Number)f->end);
    lua_setfield(L, -2, "stop");
    lua_pushnumber(L, (lua_Number)f->sstart + 1);
    lua_setfield(L, -2, "secret_start");
    lua_pushnumber(L, (lua_Number)f->send);
    lua_setfield(L, -2, "secret_stop");
    lua_pushinteger(L, (lua_Integer)f->line);
    lua_setfield(L, -2, "line");
    lua_pushinteger(L, (lua_Integer)f->col);
    lua_setfield(L, -2, "col");
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)f->fingerprint);
    lua_pushstring(L, fp);
    lua_setfield(L, -2, "fingerprint");
    lua_rawseti(L, -2, (int)i + 1);
  }
}

/* nil, or an array of {rule=, offset= (1-based), code=} */
static void push_limited(lua_State *L, const vl_secrets *s, const vl_secrets_result *r)
{
  size_t i;
  if (r->nlimited == 0) {
    lua_pushnil(L);
    return;
  }
  lua_createtable(L, (int)r->nlimited, 0);
  for (i = 0; i < r->nlimited; i++) {
    lua_createtable(L, 0, 3);
    lua_pushstring(L, vl_secrets_rule_id(s, r->limited[i].rule));
    lua_setfield(L, -2, "rule");
    lua_pushnumber(L, (lua_Number)r->limited[i].offset + 1);
    lua_setfield(L, -2, "offset");
    lua_pushstring(L, vl_errcode(r->limited[i].code));
    lua_setfield(L, -2, "code");
    lua_rawseti(L, -2, (int)i + 1);
  }
}

/* scanner:scan(text, file, naive) -> findings, limited|nil  (or nil, msg, code) */
static int l_scan(lua_State *L)
{
  vl_secrets *s = check_scanner(L, 1);
  size_t n;
  const char *text = luaL_checklstring(L, 2, &n);
  const char *file = luaL_optstring(L, 3, "");
  int naive = lua_toboolean(L, 4);
  vl_secrets_result *r = (vl_secrets_result *)vl_lua_newscratch(L, sizeof *r, RESULTS_MT);
  int st = vl_secrets_scan(s, file, text, n, naive, r);
  if (st) return vl_lua_fail(L, st);
  push_findings(L, s, r);
  push_limited(L, s, r);
  vl_secrets_result_free(r);
  return 2;
}

typedef struct filesud {
  vl_secrets_result *res;
  size_t n;
} filesud;

#define FILES_MT "victor.secrets.FileResults"

static int l_files_gc(lua_State *L)
{
  filesud *u = (filesud *)luaL_checkudata(L, 1, FILES_MT);
  size_t i;
  if (u->res) for (i = 0; i < u->n; i++) vl_secrets_result_free(&u->res[i]);
  free(u->res);
  u->res = NULL;
  return 0;
}

/* scanner:scan_files(paths, max_bytes, jobs) -> array of {findings=, limited=, status=, bytes=} */
static int l_scan_files(lua_State *L)
{
  vl_secrets *s = check_scanner(L, 1);
  size_t n, i, max_bytes;
  int jobs, st;
  const char **paths;
  filesud *u;
  luaL_checktype(L, 2, LUA_TTABLE);
  max_bytes = (size_t)luaL_optnumber(L, 3, 0);
  jobs = (int)luaL_optinteger(L, 4, 0);
  n = lua_objlen(L, 2);
  paths = (const char **)newarr(L, n, sizeof *paths);
  for (i = 0; i < n; i++) {
    lua_rawgeti(L, 2, (int)i + 1);
    if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, 2, "array of paths expected");
    paths[i] = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  u = (filesud *)vl_lua_newscratch(L, sizeof *u, FILES_MT);
  u->res = (vl_secrets_result *)calloc(n ? n : 1, sizeof *u->res);
  if (!u->res) return vl_lua_fail(L, VL_ENOMEM);
  u->n = n;
  st = vl_secrets_scan_files(s, paths, n, max_bytes, jobs, u->res);
  if (st) return vl_lua_fail(L, st);
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    const vl_secrets_result *r = &u->res[i];
    lua_createtable(L, 0, 4);
    push_findings(L, s, r);
    lua_setfield(L, -2, "findings");
    push_limited(L, s, r);
    lua_setfield(L, -2, "limited");
    if (r->status) {
      lua_pushstring(L, vl_errcode(r->status));
      lua_setfield(L, -2, "status");
    }
    lua_pushnumber(L, (lua_Number)r->bytes);
    lua_setfield(L, -2, "bytes");
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

/* scanner:info() -> {rules=, keywords=, whole=, jit=, prefilter=, rule_keywords = {id = {...}},
 * rule_leads = {id = {max=, single=, tail=}}} */
static int l_info(lua_State *L)
{
  vl_secrets *s = check_scanner(L, 1);
  size_t i, k, nr = vl_secrets_nrules(s);
  lua_createtable(L, 0, 7);
  lua_pushinteger(L, (lua_Integer)nr);
  lua_setfield(L, -2, "rules");
  lua_pushinteger(L, (lua_Integer)vl_secrets_nkeywords(s));
  lua_setfield(L, -2, "keywords");
  lua_pushinteger(L, (lua_Integer)vl_secrets_nwhole(s));
  lua_setfield(L, -2, "whole");
  lua_pushboolean(L, vl_secrets_jit(s));
  lua_setfield(L, -2, "jit");
  lua_pushstring(L, vl_secrets_prefilter(s));
  lua_setfield(L, -2, "prefilter");
  lua_createtable(L, 0, (int)nr);
  for (i = 0; i < nr; i++) {
    const char *const *kws;
    const size_t *lens;
    size_t nk = vl_secrets_rule_keywords(s, i, &kws, &lens);
    lua_createtable(L, (int)nk, 0);
    for (k = 0; k < nk; k++) {
      lua_pushlstring(L, kws[k], lens[k]);
      lua_rawseti(L, -2, (int)k + 1);
    }
    lua_setfield(L, -2, vl_secrets_rule_id(s, i));
  }
  lua_setfield(L, -2, "rule_keywords");
  lua_createtable(L, 0, (int)nr);
  for (i = 0; i < nr; i++) {
    uint32_t max;
    int single, tail;
    if (!vl_secrets_rule_lead(s, i, &max, &single, &tail)) continue;
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, (lua_Integer)max);
    lua_setfield(L, -2, "max");
    lua_pushboolean(L, single);
    lua_setfield(L, -2, "single");
    lua_pushboolean(L, tail);
    lua_setfield(L, -2, "tail");
    lua_setfield(L, -2, vl_secrets_rule_id(s, i));
  }
  lua_setfield(L, -2, "rule_leads");
  return 1;
}

static int l_entropy(lua_State *L)
{
  size_t n;
  const char *p = luaL_checklstring(L, 1, &n);
  lua_pushnumber(L, vl_secrets_entropy(p, n));
  return 1;
}

#define TOMLBUF_MT "victor.secrets.TomlBuf"

static int l_tomlbuf_gc(lua_State *L)
{
  char **b = (char **)luaL_checkudata(L, 1, TOMLBUF_MT);
  free(*b);
  *b = NULL;
  return 0;
}

/* toml_to_json(text) -> json | nil, "line L, column C: msg", "EPARSE" */
static int l_toml_to_json(lua_State *L)
{
  size_t n, len = 0;
  const char *src = luaL_checklstring(L, 1, &n);
  char **out = (char **)vl_lua_newscratch(L, sizeof(char *), TOMLBUF_MT);
  vl_toml_error e;
  int st;
  memset(&e, 0, sizeof e);
  st = vl_toml_to_json(src, n, out, &len, &e);
  if (st == VL_EPARSE) {
    lua_pushnil(L);
    lua_pushfstring(L, "line %d, column %d: %s", (int)e.line, (int)e.column, e.message);
    lua_pushstring(L, "EPARSE");
    return 3;
  }
  if (st) return vl_lua_fail(L, st);
  lua_pushlstring(L, *out, len);  /* the scratch's __gc frees *out if this raises */
  free(*out);
  *out = NULL;
  return 1;
}

static int l_pcre2_version(lua_State *L)
{
  lua_pushstring(L, vl_secrets_pcre2_version());
  return 1;
}

static void free_scanner(void *p)
{
  vl_secrets_free((vl_secrets *)p);
}

int luaopen_victor_core_secrets(lua_State *L)
{
  static const luaL_Reg methods[] = {
    {"scan", l_scan},
    {"scan_files", l_scan_files},
    {"info", l_info},
    {NULL, NULL}
  };
  static const luaL_Reg fns[] = {
    {"compile", l_compile},
    {"entropy", l_entropy},
    {"pcre2_version", l_pcre2_version},
    {"toml_to_json", l_toml_to_json},
    {NULL, NULL}
  };
  vl_lua_class(L, SCANNER_MT, "victor.secrets.Scanner", methods, free_scanner);
  vl_lua_gc_metatable(L, RESULTS_MT, l_results_gc);
  vl_lua_gc_metatable(L, FILES_MT, l_files_gc);
  vl_lua_gc_metatable(L, TOMLBUF_MT, l_tomlbuf_gc);
  lua_newtable(L);
  luaL_register(L, NULL, fns);
  return 1;
}
