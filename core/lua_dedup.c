/*
 * lua_dedup.c: Lua binding of the dedup kernel (victor.core.dedup).
 *
 * Flat functions over strings; option defaults, option checks and friendly errors
 * live in lua/victor/dedup.lua, which calls these with plain arguments. Every
 * result that is malloc'ed is owned by a scratch userdata pushed before the
 * allocation, so a Lua error (out of memory while pushing) frees it through __gc.
 */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "dedup.h"
#include "lua_victor.h"
#include "signature.h"

#define SCRATCH_MT "victor.dedup.scratch"

typedef struct scratch {
  char *out;
  size_t *counts;
} scratch;

/* find and dedup keep their block array, repeat set and rendering buffer from call to
 * call (vl_lua_keep): a 100 MB input otherwise faults in ~80 MB of fresh pages per call. */
#define WORK_KEY "victor.dedup.work"

typedef struct work {
  vl_dedup d;
  char *out;
  size_t outcap;
} work;

static void work_release(void *p)
{
  work *w = (work *)p;
  vl_dedup_free(&w->d);
  free(w->out);
  w->out = NULL;
  w->outcap = 0;
}

static int l_scratch_gc(lua_State *L)
{
  scratch *x = (scratch *)luaL_checkudata(L, 1, SCRATCH_MT);
  free(x->out);
  free(x->counts);
  x->out = NULL;
  x->counts = NULL;
  return 0;
}

static scratch *new_scratch(lua_State *L)
{
  return (scratch *)vl_lua_newscratch(L, sizeof(scratch), SCRATCH_MT);
}

static size_t check_size(lua_State *L, int i)
{
  lua_Number v = luaL_checknumber(L, i);
  if (!(v >= 0)) return 0;
  if (v > 9007199254740992.0) return (size_t)-1;
  return (size_t)v;
}

/* normalize_block(s) -> string */
static int l_normalize_block(lua_State *L)
{
  size_t n, o;
  const char *s = luaL_checklstring(L, 1, &n);
  scratch *x = new_scratch(L);
  if (!(x->out = malloc(n ? n : 1))) return vl_lua_fail(L, VL_ENOMEM);
  o = vl_dedup_normalize_block(s, n, x->out);
  lua_pushlstring(L, x->out, o);
  return 1;
}

/* norm_apply(flags, s) -> string */
static int l_norm_apply(lua_State *L)
{
  size_t n, o;
  unsigned flags = (unsigned)luaL_checkinteger(L, 1);
  const char *s = luaL_checklstring(L, 2, &n);
  scratch *x = new_scratch(L);
  if (!(x->out = malloc(n ? n : 1))) return vl_lua_fail(L, VL_ENOMEM);
  o = vl_norm_apply(flags, s, n, x->out);
  lua_pushlstring(L, x->out, o);
  return 1;
}

static void push_id(lua_State *L, uint64_t id)
{
  char hex[16];
  vl_sig_hex64(id, hex);
  lua_pushlstring(L, hex, 16);
}

/* block_id(s) -> hex16, hex12 (XXH3-64 of normalize_block(s); Victor's form) */
static int l_block_id(lua_State *L)
{
  size_t n, o;
  char hex[16];
  const char *s = luaL_checklstring(L, 1, &n);
  scratch *x = new_scratch(L);
  if (!(x->out = malloc(n ? n : 1))) return vl_lua_fail(L, VL_ENOMEM);
  o = vl_dedup_normalize_block(s, n, x->out);
  vl_sig_hex64(vl_sig_hash64(x->out, o), hex);
  lua_pushlstring(L, hex, 16);
  lua_pushlstring(L, hex + 4, 12);
  return 2;
}

static void push_span(lua_State *L, const vl_dedup_block *b)
{
  lua_createtable(L, 0, 3);
  lua_pushnumber(L, (lua_Number)(b->start + 1));
  lua_setfield(L, -2, "start");
  lua_pushnumber(L, (lua_Number)b->stop);
  lua_setfield(L, -2, "stop");
  lua_pushnumber(L, (lua_Number)b->line);
  lua_setfield(L, -2, "line");
}

/* The near threshold argument: nil (off, -1) or an integer 0..64 (checked in Lua). */
static int opt_near(lua_State *L, int i)
{
  lua_Integer t;
  if (lua_isnoneornil(L, i)) return -1;
  t = luaL_checkinteger(L, i);
  if (t < 0 || t > 64) luaL_argerror(L, i, "0..64 expected");
  return (int)t;
}

/* simhash(s) -> hex16 of the SimHash of normalize_block(s), or nil (no words) */
static int l_simhash(lua_State *L)
{
  size_t n, o;
  uint64_t h;
  const char *s = luaL_checklstring(L, 1, &n);
  scratch *x = new_scratch(L);
  if (!(x->out = malloc(n ? n : 1))) return vl_lua_fail(L, VL_ENOMEM);
  o = vl_dedup_normalize_block(s, n, x->out);
  if (!vl_dedup_simhash(x->out, o, &h)) {
    lua_pushnil(L);
    return 1;
  }
  push_id(L, h);
  return 1;
}

/* The shared prologue of find and dedup: check (text, min_block_length[, near]),
 * then scan the blocks into the kept work (busy until vl_lua_keep_done). *near is
 * the threshold (-1: off); *st is VL_OK or the scan's failure. */
static work *scan_args(lua_State *L, const char **s, size_t *n, int *near, int *st)
{
  size_t min;
  work *x;
  *s = luaL_checklstring(L, 1, n);
  min = check_size(L, 2);
  *near = opt_near(L, 3);
  x = (work *)vl_lua_keep(L, WORK_KEY, sizeof(work), work_release);
  *st = vl_dedup_scan_near(&x->d, *s, *n, min, *near);
  if (*st != VL_OK) vl_lua_keep_done(x);
  return x;
}

/* find(text, min_block_length[, near]) -> array of {first=, dup=, id=, victor_id=
 * [, distance=, near=]} */
static int l_find(lua_State *L)
{
  size_t n, i, k = 0;
  const char *s;
  int near, st;
  work *x = scan_args(L, &s, &n, &near, &st);
  if (st != VL_OK) return vl_lua_fail(L, st);
  lua_createtable(L, (int)x->d.removed, 0);
  for (i = 0; i < x->d.nblocks; i++) {
    const vl_dedup_block *b = &x->d.blocks[i];
    if (b->first == VL_DEDUP_NONE) continue;
    lua_createtable(L, 0, 4);
    push_span(L, &x->d.blocks[b->first]);
    lua_setfield(L, -2, "first");
    push_span(L, b);
    lua_setfield(L, -2, "dup");
    push_id(L, b->id);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "id");
    lua_pushlstring(L, lua_tostring(L, -1) + 4, 12);
    lua_setfield(L, -3, "victor_id");
    lua_pop(L, 1);
    if (x->d.near_dist) {
      unsigned char dist = x->d.near_dist[i];
      lua_pushnumber(L, dist == VL_DEDUP_NEAR_NONE ? 0 : dist);
      lua_setfield(L, -2, "distance");
      lua_pushboolean(L, dist != VL_DEDUP_NEAR_NONE);
      lua_setfield(L, -2, "near");
    }
    lua_rawseti(L, -2, (int)++k);
  }
  vl_lua_keep_done(x);
  return 1;
}

static void set_num(lua_State *L, const char *k, size_t v)
{
  lua_pushnumber(L, (lua_Number)v);
  lua_setfield(L, -2, k);
}

/* dedup(text, min_block_length[, near]) -> text, {blocks=, removed=, bytes_in=, bytes_out=
 * [, near_removed=]} */
static int l_dedup(lua_State *L)
{
  size_t n, o;
  const char *s;
  int near, st;
  work *x = scan_args(L, &s, &n, &near, &st);
  if (st != VL_OK) return vl_lua_fail(L, st);
  if (x->d.removed == 0) {  /* nothing removed: the rendering is the input itself */
    lua_pushvalue(L, 1);
    o = n;
  } else {
    if (x->outcap < n) {
      free(x->out);
      x->outcap = 0;
      if (!(x->out = malloc(n))) {
        vl_lua_keep_done(x);
        return vl_lua_fail(L, VL_ENOMEM);
      }
      x->outcap = n;
    }
    vl_dedup_render(&x->d, s, n, x->out, &o);
    lua_pushlstring(L, x->out, o);
  }
  /* still busy: these allocations may run finalizers that call dedup themselves */
  lua_createtable(L, 0, 4);
  set_num(L, "blocks", x->d.nblocks);
  set_num(L, "removed", x->d.removed);
  set_num(L, "bytes_in", n);
  set_num(L, "bytes_out", o);
  if (near >= 0) set_num(L, "near_removed", x->d.near_removed);
  vl_lua_keep_done(x);
  return 2;
}

/* lines(text, delim, counts) -> text, {lines=, removed=, bytes_in=, bytes_out=[, counts=]} */
static int l_lines(lua_State *L)
{
  size_t n, dn, o, nlines, nkept, i;
  const char *s = luaL_checklstring(L, 1, &n);
  const char *delim = luaL_checklstring(L, 2, &dn);
  int want = lua_toboolean(L, 3);
  scratch *x;
  int st;
  if (dn != 1) return luaL_argerror(L, 2, "one byte expected");
  x = new_scratch(L);
  if (!(x->out = malloc(n + 1))) return vl_lua_fail(L, VL_ENOMEM);
  st = vl_dedup_lines(s, n, (unsigned char)delim[0], x->out, &o, &nlines, &nkept, want ? &x->counts : NULL);
  if (st != VL_OK) return vl_lua_fail(L, st);
  lua_pushlstring(L, x->out, o);
  lua_createtable(L, 0, 5);
  set_num(L, "lines", nlines);
  set_num(L, "removed", nlines - nkept);
  set_num(L, "bytes_in", n);
  set_num(L, "bytes_out", o);
  if (want) {
    lua_createtable(L, (int)nkept, 0);
    for (i = 0; i < nkept; i++) {
      lua_pushnumber(L, (lua_Number)x->counts[i]);
      lua_rawseti(L, -2, (int)(i + 1));
    }
    lua_setfield(L, -2, "counts");
  }
  return 2;
}


/* ---- Stream ----------------------------------------------------------------------- */

#define STREAM_MT "victor.dedup.Stream"

typedef struct streamud {
  vl_dedup_stream *s;
  int lines;
} streamud;

static streamud *check_stream(lua_State *L)
{
  streamud *u = (streamud *)luaL_checkudata(L, 1, STREAM_MT);
  if (!u->s) luaL_error(L, "Stream is closed");
  return u;
}

static int push_out(lua_State *L, int st, const char *out, size_t n)
{
  if (st == VL_EINVAL) return luaL_error(L, "Stream is finished");
  if (st != VL_OK) return vl_lua_fail(L, st);
  lua_pushlstring(L, out, n);
  return 1;
}

/* s:feed(chunk) -> text | nil, msg, code */
static int l_stream_feed(lua_State *L)
{
  streamud *u = check_stream(L);
  size_t n, o;
  const char *p = luaL_checklstring(L, 2, &n), *out;
  int st = vl_dedup_stream_feed(u->s, p, n, &out, &o);
  return push_out(L, st, out, o);
}

/* s:finish() -> text | nil, msg, code */
static int l_stream_finish(lua_State *L)
{
  streamud *u = check_stream(L);
  size_t o;
  const char *out;
  int st = vl_dedup_stream_finish(u->s, &out, &o);
  return push_out(L, st, out, o);
}

/* s:stats() -> {blocks|lines=, removed=, bytes_in=, bytes_out=, entries=, evictions=, held=} */
static int l_stream_stats(lua_State *L)
{
  streamud *u = check_stream(L);
  vl_dedup_stream_info i;
  vl_dedup_stream_stats(u->s, &i);
  lua_createtable(L, 0, 7);
  set_num(L, u->lines ? "lines" : "blocks", i.units);
  set_num(L, "removed", i.removed);
  set_num(L, "bytes_in", i.bytes_in);
  set_num(L, "bytes_out", i.bytes_out);
  set_num(L, "entries", i.entries);
  set_num(L, "evictions", i.evictions);
  set_num(L, "held", i.held);
  return 1;
}

/* One closed stream is kept (vl_lua_keep) for the next stream_new, which resets it:
 * its key arena, set and buffers then need no fresh pages (a stream over 100 MB of
 * text grows ~70 MB of them). */
#define SPARE_KEY "victor.dedup.spare_stream"

typedef struct spare {
  vl_dedup_stream *s;
} spare;

static void spare_release(void *p)
{
  spare *x = (spare *)p;
  vl_dedup_stream_free(x->s);
  x->s = NULL;
}

/* s:close(): idempotent; the stream becomes the spare, if there is none */
static int l_stream_close(lua_State *L)
{
  streamud *u = (streamud *)luaL_checkudata(L, 1, STREAM_MT);
  if (u->s) {
    spare *x = (spare *)vl_lua_keep(L, SPARE_KEY, sizeof(spare), spare_release);
    if (!x->s) {
      x->s = u->s;
      u->s = NULL;
    }
    vl_lua_keep_done(x);
  }
  vl_dedup_stream_free(u->s);
  u->s = NULL;
  return 0;
}

/* __gc: frees (finalizers also run inside lua_close, too late to keep anything) */
static int l_stream_gc(lua_State *L)
{
  streamud *u = (streamud *)luaL_checkudata(L, 1, STREAM_MT);
  vl_dedup_stream_free(u->s);
  u->s = NULL;
  return 0;
}

static int l_stream_tostring(lua_State *L)
{
  streamud *u = (streamud *)luaL_checkudata(L, 1, STREAM_MT);
  if (!u->s) lua_pushliteral(L, "Stream (closed)");
  else lua_pushstring(L, u->lines ? "Stream (lines)" : "Stream (blocks)");
  return 1;
}

/* stream_new(lines, delim, min_block_length, max_entries, max_key_bytes) -> Stream */
static int l_stream_new(lua_State *L)
{
  vl_dedup_stream_opts o;
  size_t dn;
  const char *delim;
  streamud *u;
  int st;
  memset(&o, 0, sizeof o);
  o.lines = lua_toboolean(L, 1);
  delim = luaL_checklstring(L, 2, &dn);
  if (dn != 1) return luaL_argerror(L, 2, "one byte expected");
  o.delimiter = (unsigned char)delim[0];
  o.min_block_length = check_size(L, 3);
  o.max_entries = check_size(L, 4);
  o.max_key_bytes = check_size(L, 5);
  u = (streamud *)lua_newuserdata(L, sizeof *u);
  u->s = NULL; /* closed until the stream exists, so __gc is always safe */
  u->lines = o.lines;
  luaL_getmetatable(L, STREAM_MT);
  lua_setmetatable(L, -2);
  {
    spare *x = (spare *)vl_lua_keep(L, SPARE_KEY, sizeof(spare), spare_release);
    u->s = x->s;  /* the spare, or NULL */
    x->s = NULL;
    vl_lua_keep_done(x);
    lua_pop(L, 1);  /* the kept block: the stream is on top again */
  }
  if (!u->s && !(u->s = vl_dedup_stream_new())) return luaL_error(L, "Stream: %s", vl_strerror(VL_ENOMEM));
  st = vl_dedup_stream_reset(u->s, &o);
  if (st != VL_OK) return luaL_error(L, "Stream: %s", vl_strerror(st));
  return 1;
}

static const luaL_Reg stream_methods[] = {
  {"feed", l_stream_feed},
  {"finish", l_stream_finish},
  {"stats", l_stream_stats},
  {"close", l_stream_close},
  {NULL, NULL}
};

/* simd() -> "avx2" | "sse2" */
static int l_simd(lua_State *L)
{
  lua_pushstring(L, vl_dedup_avx2_active() ? "avx2" : "sse2");
  return 1;
}

/* set_simd("auto" | "avx2" | "sse2") -> true | nil, msg, code */
static int l_set_simd(lua_State *L)
{
  static const char *const names[] = {"auto", "avx2", "sse2", NULL};
  const int k = luaL_checkoption(L, 1, NULL, names);
  if (k == 0) {
    if (vl_dedup_set_avx2(1) != VL_OK) vl_dedup_set_avx2(0);
  } else if (vl_dedup_set_avx2(k == 1) != VL_OK) {
    return vl_lua_fail(L, VL_EINVAL);
  }
  lua_pushboolean(L, 1);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"simd", l_simd},
  {"set_simd", l_set_simd},
  {"normalize_block", l_normalize_block},
  {"norm_apply", l_norm_apply},
  {"block_id", l_block_id},
  {"simhash", l_simhash},
  {"find", l_find},
  {"dedup", l_dedup},
  {"lines", l_lines},
  {"stream_new", l_stream_new},
  {NULL, NULL}
};

VL_LUA_EXPORT int luaopen_victor_core_dedup(lua_State *L)
{
  vl_lua_gc_metatable(L, SCRATCH_MT, l_scratch_gc);
  if (luaL_newmetatable(L, STREAM_MT)) {
    lua_newtable(L);
    luaL_register(L, NULL, stream_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_stream_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_stream_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "Stream");
    lua_setfield(L, -2, "__name");
  }
  lua_pop(L, 1);
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  return 1;
}
