/*
 * lua_indexer.c: Lua binding of the tree-sitter indexer (victor.core.indexer).
 *
 * The compiled queries (one vl_indexer) are built on the first call and kept as a
 * userdata in the module's upvalue-free registry slot INDEXER_MT; an Index userdata
 * (victor.indexer.Index) owns a vl_ix_index. Option defaults, language detection,
 * the cache file and the outputs live in lua/victor/indexer.lua; this file takes
 * checked plain arguments.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "indexer.h"
#include "lua_victor.h"
#include "vl_status.h"

#define IXER_MT "victor.indexer.Indexer"
#define INDEX_MT "victor.indexer.Index"
#define SCRATCH_MT "victor.indexer.scratch"

typedef struct ixud {
  vl_indexer *ix; /* NULL once closed */
} ixud;

typedef struct indexud {
  vl_ix_index *idx; /* NULL once closed (the layout vl_lua_class expects) */
} indexud;

typedef struct scratch {
  vl_ix_file f;
  vl_ix_worker *w;
  const char **paths;
  int *langs;
  vl_ix_index tmp;
  char *buf;
} scratch;

static int l_scratch_gc(lua_State *L)
{
  scratch *x = (scratch *)luaL_checkudata(L, 1, SCRATCH_MT);
  vl_ix_file_clear(&x->f);
  vl_ix_worker_free(x->w);
  free(x->paths);
  free(x->langs);
  vl_ix_index_free(&x->tmp);
  free(x->buf);
  memset(x, 0, sizeof *x);
  return 0;
}

static int l_ixer_gc(lua_State *L)
{
  ixud *u = (ixud *)luaL_checkudata(L, 1, IXER_MT);
  vl_indexer_free(u->ix);
  u->ix = NULL;
  return 0;
}

/* The shared indexer (queries compiled on demand), one per lua_State; with the
 * languages of lang_mask prepared; raises on a query that does not compile (a build
 * defect). */
static vl_indexer *get_indexer(lua_State *L, uint32_t lang_mask)
{
  ixud *u;
  int st, el;
  uint32_t eo;
  lua_getfield(L, LUA_REGISTRYINDEX, "victor.indexer.shared");
  u = (ixud *)lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (!u || !u->ix) {
    u = (ixud *)lua_newuserdata(L, sizeof *u);
    u->ix = NULL;
    luaL_getmetatable(L, IXER_MT);
    lua_setmetatable(L, -2);
    st = vl_indexer_new(&u->ix);
    if (st != VL_OK) luaL_error(L, "not enough memory");
    lua_setfield(L, LUA_REGISTRYINDEX, "victor.indexer.shared");
  }
  st = vl_indexer_prepare(u->ix, lang_mask, &el, &eo);
  if (st == VL_ENOMEM) luaL_error(L, "not enough memory");
  if (st != VL_OK)
    luaL_error(L, "indexer: query for %s does not compile at byte %d (%s)",
               el >= 0 ? vl_indexer_lang_name(el) : "?", (int)eo, vl_strerror(st));
  return u->ix;
}

static void check_limits(lua_State *L, int i, vl_ix_limits *lim)
{
  lua_Number mb = luaL_checknumber(L, i), to = luaL_checknumber(L, i + 1), ms = luaL_checknumber(L, i + 2);
  luaL_argcheck(L, mb >= 0 && mb < 4294967296.0, i, "max_bytes out of range");
  luaL_argcheck(L, to >= 0 && to < 1e9, i + 1, "timeout out of range");
  luaL_argcheck(L, ms >= 0 && ms < 4294967296.0, i + 2, "max_symbols out of range");
  lim->max_bytes = (size_t)mb;
  lim->timeout_us = (uint64_t)(to * 1000.0);
  lim->max_symbols = (uint32_t)ms;
}

static void setfield_lstr(lua_State *L, const char *k, const char *s, size_t n)
{
  lua_pushlstring(L, s, n);
  lua_setfield(L, -2, k);
}

static void setfield_int(lua_State *L, const char *k, lua_Number v)
{
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

/* push an array of symbol tables for f */
static void push_symbols(lua_State *L, const vl_ix_file *f)
{
  uint32_t i;
  lua_createtable(L, (int)f->nsym, 0);
  for (i = 0; i < f->nsym; i++) {
    const vl_ix_symbol *s = &f->sym[i];
    lua_createtable(L, 0, 10);
    setfield_lstr(L, "name", f->str + s->name, s->name_len);
    lua_pushstring(L, vl_indexer_kind_name(s->kind));
    lua_setfield(L, -2, "kind");
    setfield_int(L, "line", s->line);
    setfield_int(L, "column", s->col);
    setfield_int(L, "end_line", s->end_line);
    setfield_int(L, "start_byte", s->start_byte);
    setfield_int(L, "end_byte", s->end_byte);
    setfield_lstr(L, "scope", f->str + s->scope, s->scope_len);
    if (s->kind < VL_IX_REF_FIRST) {
      setfield_lstr(L, "signature", f->str + s->sig, s->sig_len);
    } else {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "ref");
    }
    lua_rawseti(L, -2, (int)i + 1);
  }
}

static int check_lang(lua_State *L, int i)
{
  const char *name = luaL_checkstring(L, i);
  int lang = vl_indexer_lang_id(name);
  if (lang < 0) luaL_argerror(L, i, lua_pushfstring(L, "unknown language '%s'", name));
  return lang;
}

/* extract(source, lang, max_bytes, timeout_ms, max_symbols) -> symbols, info;
 * count(...) -> the number of symbols (no tables: the benchmark's parse+query floor) */
static int extract(lua_State *L, int tables)
{
  size_t len;
  const char *src = luaL_checklstring(L, 1, &len);
  int lang = check_lang(L, 2), st;
  vl_ix_limits lim;
  const vl_indexer *ix;
  scratch *x;
  check_limits(L, 3, &lim);
  lua_settop(L, 5);
  ix = get_indexer(L, 1u << lang);
  x = (scratch *)vl_lua_newscratch(L, sizeof *x, SCRATCH_MT);
  x->w = vl_ix_worker_new();
  if (!x->w) return vl_lua_fail(L, VL_ENOMEM);
  st = vl_indexer_extract(ix, x->w, lang, src, len, &lim, &x->f);
  if (st != VL_OK) return vl_lua_fail(L, st);
  if (!tables) {
    lua_pushinteger(L, (lua_Integer)x->f.nsym);
    return 1;
  }
  push_symbols(L, &x->f);
  lua_createtable(L, 0, 4);
  lua_pushboolean(L, x->f.has_error);
  lua_setfield(L, -2, "has_error");
  lua_pushboolean(L, x->f.truncated);
  lua_setfield(L, -2, "truncated");
  if (x->f.skip) {
    lua_pushstring(L, vl_indexer_skip_name(x->f.skip));
    lua_setfield(L, -2, "skipped");
  }
  return 2;
}

static int l_extract(lua_State *L)
{
  return extract(L, 1);
}

static int l_count(lua_State *L)
{
  return extract(L, 0);
}

static indexud *check_index(lua_State *L, int nargs)
{
  indexud *u = (indexud *)lua_touserdata(L, 1);
  if (!u || !lua_getmetatable(L, 1) || !lua_rawequal(L, -1, lua_upvalueindex(1))) {
    luaL_typerror(L, 1, "Index");
    return NULL;
  }
  lua_pop(L, 1);
  if (!u->idx) luaL_error(L, "Index is closed");
  lua_settop(L, nargs);
  return u;
}

static void free_index(void *p)
{
  vl_ix_index_free((vl_ix_index *)p);
  free(p);
}

static indexud *new_index(lua_State *L)
{
  indexud *u = (indexud *)lua_newuserdata(L, sizeof *u);
  u->idx = NULL;
  luaL_getmetatable(L, INDEX_MT);
  lua_setmetatable(L, -2);
  u->idx = (vl_ix_index *)calloc(1, sizeof *u->idx);
  if (!u->idx) luaL_error(L, "not enough memory");
  return u;
}

static int l_new_index(lua_State *L)
{
  new_index(L);
  return 1;
}

/* load(bytes) -> Index | nil, msg, code */
static int l_load(lua_State *L)
{
  size_t len;
  const char *buf = luaL_checklstring(L, 1, &len);
  const vl_indexer *ix = get_indexer(L, 0);
  scratch *x = (scratch *)vl_lua_newscratch(L, sizeof *x, SCRATCH_MT);
  indexud *u;
  int st = vl_indexer_deserialize(ix, buf, len, &x->tmp);
  if (st != VL_OK) {
    lua_pushnil(L);
    lua_pushstring(L, st == VL_ETYPE ? "index written by another version (format or queries)"
                                     : st == VL_EPARSE ? "index is corrupt or truncated"
                                                       : vl_strerror(st));
    lua_pushstring(L, vl_errcode(st));
    return 3;
  }
  u = new_index(L);
  *u->idx = x->tmp;
  memset(&x->tmp, 0, sizeof x->tmp);
  return 1;
}

static int l_languages(lua_State *L)
{
  int i;
  lua_createtable(L, VL_IX_NLANG, 0);
  for (i = 0; i < VL_IX_NLANG; i++) {
    lua_pushstring(L, vl_indexer_lang_name(i));
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* idx:add(paths, langs, prev|false, max_bytes, timeout_ms, max_symbols, jobs) -> count */
static int l_index_add(lua_State *L)
{
  indexud *u = check_index(L, 8);
  vl_ix_limits lim;
  const vl_ix_index *prev = NULL;
  size_t n, i;
  int jobs, st, el;
  uint32_t eo;
  scratch *x;
  vl_indexer *ix;
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  if (!lua_isnoneornil(L, 4) && !(lua_isboolean(L, 4) && !lua_toboolean(L, 4))) {
    indexud *p = (indexud *)lua_touserdata(L, 4);
    if (!p || !lua_getmetatable(L, 4) || !lua_rawequal(L, -1, lua_upvalueindex(1)))
      return luaL_typerror(L, 4, "Index");
    lua_pop(L, 1);
    if (!p->idx) return luaL_argerror(L, 4, "Index is closed");
    prev = p->idx;
  }
  check_limits(L, 5, &lim);
  jobs = (int)luaL_checkinteger(L, 8);
  n = lua_objlen(L, 2);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, 2, (int)i);
    if (lua_type(L, -1) != LUA_TSTRING)
      return luaL_argerror(L, 2, lua_pushfstring(L, "path %d is not a string", (int)i));
    lua_pop(L, 1);
    lua_rawgeti(L, 3, (int)i);
    if (!lua_isstring(L, -1) && !(lua_isboolean(L, -1) && !lua_toboolean(L, -1)))
      return luaL_argerror(L, 3, lua_pushfstring(L, "language %d is not a string or false", (int)i));
    lua_pop(L, 1);
  }
  x = (scratch *)vl_lua_newscratch(L, sizeof *x, SCRATCH_MT);
  x->paths = (const char **)malloc((n ? n : 1) * sizeof *x->paths);
  x->langs = (int *)malloc((n ? n : 1) * sizeof *x->langs);
  if (!x->paths || !x->langs) return vl_lua_fail(L, VL_ENOMEM);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, 2, (int)i);
    x->paths[i - 1] = lua_tostring(L, -1); /* anchored in the table at 2 */
    lua_pop(L, 1);
    lua_rawgeti(L, 3, (int)i);
    x->langs[i - 1] = lua_isstring(L, -1) ? vl_indexer_lang_id(lua_tostring(L, -1)) : -1;
    if (x->langs[i - 1] < 0) x->langs[i - 1] = VL_IX_NLANG;
    lua_pop(L, 1);
  }
  ix = get_indexer(L, 0);
  st = vl_indexer_add(ix, u->idx, n, x->paths, x->langs, prev, &lim, jobs, &el, &eo);
  if (st == VL_EPARSE)
    return luaL_error(L, "indexer: query for %s does not compile at byte %d",
                      el >= 0 ? vl_indexer_lang_name(el) : "?", (int)eo);
  if (st != VL_OK) return vl_lua_fail(L, st);
  lua_pushinteger(L, (lua_Integer)u->idx->n);
  return 1;
}

static int l_index_count(lua_State *L)
{
  indexud *u = check_index(L, 1);
  lua_pushinteger(L, (lua_Integer)u->idx->n);
  return 1;
}

static const vl_ix_file *check_file(lua_State *L, indexud *u)
{
  lua_Integer i = luaL_checkinteger(L, 2);
  luaL_argcheck(L, i >= 1 && (size_t)i <= u->idx->n, 2, "file index out of range");
  return &u->idx->files[i - 1];
}

/* idx:file(i) -> { path, language, size, hash, symbols, skipped, has_error, truncated, reused } */
static int l_index_file(lua_State *L)
{
  indexud *u = check_index(L, 2);
  const vl_ix_file *f = check_file(L, u);
  char hex[17];
  lua_createtable(L, 0, 9);
  setfield_lstr(L, "path", f->path, f->path_len);
  if (f->lang < VL_IX_NLANG) {
    lua_pushstring(L, vl_indexer_lang_name(f->lang));
    lua_setfield(L, -2, "language");
  }
  setfield_int(L, "size", (lua_Number)f->size);
  snprintf(hex, sizeof hex, "%016llx", (unsigned long long)f->hash);
  setfield_lstr(L, "hash", hex, 16);
  setfield_int(L, "symbols", f->nsym);
  if (f->skip) {
    lua_pushstring(L, vl_indexer_skip_name(f->skip));
    lua_setfield(L, -2, "skipped");
  }
  lua_pushboolean(L, f->has_error);
  lua_setfield(L, -2, "has_error");
  lua_pushboolean(L, f->truncated);
  lua_setfield(L, -2, "truncated");
  lua_pushboolean(L, f->reused);
  lua_setfield(L, -2, "reused");
  return 1;
}

static int l_index_symbols(lua_State *L)
{
  indexud *u = check_index(L, 2);
  push_symbols(L, check_file(L, u));
  return 1;
}

/* JSON string of s[0..n) into b (control characters, quote and backslash escaped;
 * other bytes as they are) */
static void json_str(luaL_Buffer *b, const char *s, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  size_t i, run = 0;
  luaL_addchar(b, '"');
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    if (i > run) luaL_addlstring(b, s + run, i - run);
    run = i + 1;
    luaL_addchar(b, '\\');
    switch (c) {
    case '"': luaL_addchar(b, '"'); break;
    case '\\': luaL_addchar(b, '\\'); break;
    case '\n': luaL_addchar(b, 'n'); break;
    case '\t': luaL_addchar(b, 't'); break;
    case '\r': luaL_addchar(b, 'r'); break;
    default:
      luaL_addlstring(b, "u00", 3);
      luaL_addchar(b, hex[c >> 4]);
      luaL_addchar(b, hex[c & 15]);
    }
  }
  if (n > run) luaL_addlstring(b, s + run, n - run);
  luaL_addchar(b, '"');
}

static void add_uint(luaL_Buffer *b, const char *key, unsigned long v)
{
  char num[32];
  int k = snprintf(num, sizeof num, "%lu", v);
  luaL_addstring(b, key);
  luaL_addlstring(b, num, (size_t)k);
}

/* idx:jsonl(i) -> the JSON lines of file i's symbols (the format of
 * victor.indexer.write_jsonl; "" for a file without symbols) */
static int l_index_jsonl(lua_State *L)
{
  indexud *u = check_index(L, 2);
  const vl_ix_file *f = check_file(L, u);
  luaL_Buffer b;
  uint32_t i;
  luaL_buffinit(L, &b);
  for (i = 0; i < f->nsym && f->lang < VL_IX_NLANG; i++) {
    const vl_ix_symbol *s = &f->sym[i];
    luaL_addstring(&b, "{\"path\":");
    json_str(&b, f->path, f->path_len);
    luaL_addstring(&b, ",\"language\":\"");
    luaL_addstring(&b, vl_indexer_lang_name(f->lang));
    luaL_addstring(&b, "\",\"kind\":\"");
    luaL_addstring(&b, vl_indexer_kind_name(s->kind));
    luaL_addstring(&b, "\",\"name\":");
    json_str(&b, f->str + s->name, s->name_len);
    add_uint(&b, ",\"line\":", s->line);
    add_uint(&b, ",\"column\":", s->col);
    add_uint(&b, ",\"end_line\":", s->end_line);
    add_uint(&b, ",\"start_byte\":", s->start_byte);
    add_uint(&b, ",\"end_byte\":", s->end_byte);
    luaL_addstring(&b, ",\"scope\":");
    json_str(&b, f->str + s->scope, s->scope_len);
    if (s->kind < VL_IX_REF_FIRST) {
      luaL_addstring(&b, ",\"signature\":");
      json_str(&b, f->str + s->sig, s->sig_len);
    }
    luaL_addstring(&b, "}\n");
  }
  luaL_pushresult(&b);
  return 1;
}

/* idx:serialize() -> bytes */
static int l_index_serialize(lua_State *L)
{
  indexud *u = check_index(L, 1);
  const vl_indexer *ix = get_indexer(L, 0);
  scratch *x = (scratch *)vl_lua_newscratch(L, sizeof *x, SCRATCH_MT);
  size_t len;
  int st = vl_indexer_serialize(ix, u->idx, &x->buf, &len);
  if (st != VL_OK) return vl_lua_fail(L, st);
  lua_pushlstring(L, x->buf, len);
  return 1;
}

static const luaL_Reg index_methods[] = {
  {"add", l_index_add},
  {"count", l_index_count},
  {"file", l_index_file},
  {"symbols", l_index_symbols},
  {"jsonl", l_index_jsonl},
  {"serialize", l_index_serialize},
  {NULL, NULL}
};

static const luaL_Reg funcs[] = {
  {"extract", l_extract},
  {"count", l_count},
  {"new_index", l_new_index},
  {"load", l_load},
  {"languages", l_languages},
  {NULL, NULL}
};

VL_LUA_EXPORT int luaopen_victor_core_indexer(lua_State *L)
{
  vl_lua_gc_metatable(L, SCRATCH_MT, l_scratch_gc);
  vl_lua_gc_metatable(L, IXER_MT, l_ixer_gc);
  vl_lua_class(L, INDEX_MT, "Index", index_methods, free_index);
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  lua_pushinteger(L, VL_IX_FORMAT_VERSION);
  lua_setfield(L, -2, "FORMAT_VERSION");
  lua_pushinteger(L, VL_IX_SIG_MAX);
  lua_setfield(L, -2, "SIG_MAX");
  return 1;
}
