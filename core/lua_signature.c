/*
 * lua_signature.c: Lua binding of the signature kernel (victor.core.signature).
 *
 * Walks Lua tables into the canonical writer of signature.h and exposes the loop
 * detector as userdata `victor.signature.LoopDetector`. Every function checks its
 * arguments first (misuse raises), then computes; bad input (a function inside the
 * arguments, a table nested too deep) returns nil, msg, code. Scratch buffers live in
 * one context userdata shared by the module's functions, so a signature costs no
 * malloc once warm, and nothing malloc'ed is held across a call that can raise.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua_victor.h"
#include "signature.h"

#define CTX_MT "victor.signature.ctx"
#define LOOP_MT "victor.signature.LoopDetector"
#define PATH_MAX_LEN 160
/* Values stay on the Lua stack while room is left for every nested table below
 * (8 slots each, down to max_depth); past that they are fetched again by key, so
 * a table of any size can be signed within LuaJIT's C stack limit. */
#define STACK_RESERVE(x) (8 * ((x)->c.max_depth - (x)->c.depth) + 16)

typedef struct sigctx {
  vl_canon c;
  vl_canon_key *keys;   /* a stack of key arrays, one frame per open table */
  size_t nkeys, capkeys;
  int limit_depth;      /* which limit an ELIMIT came from */
  const char *bad_type; /* type name for ETYPE */
  int bad_is_key;
  char path[PATH_MAX_LEN + 1]; /* error path, built back to front */
  size_t path_at;
  int path_full;        /* a segment did not fit: "..." was written, stop prepending */
  int busy;             /* a walk is in progress (a __gc finalizer run by an allocation
                           inside it must not reuse the scratch) */
} sigctx;

typedef struct sigopts {
  int bits;
  int max_depth;
  size_t max_bytes;
} sigopts;

static void path_prepend(sigctx *x, const char *seg, size_t n)
{
  if (x->path_full) return;
  if (n > x->path_at) {  /* out of room: mark the truncation once */
    if (x->path_at >= 3) {
      x->path_at -= 3;
      memcpy(x->path + x->path_at, "...", 3);
    }
    x->path_full = 1;
    return;
  }
  x->path_at -= n;
  memcpy(x->path + x->path_at, seg, n);
}

static void path_prepend_key(sigctx *x, const vl_canon_key *k, int is_array)
{
  char seg[64];
  int n;
  if (!is_array && k->type == VL_KEY_STRING) {
    size_t len = k->len > 40 ? 40 : k->len;
    seg[0] = '.';
    memcpy(seg + 1, k->str, len);
    if (len < k->len) {
      memcpy(seg + 1 + len, "...", 3);
      len += 3;
    }
    path_prepend(x, seg, len + 1);
    return;
  }
  if (k->type == VL_KEY_BOOL) {
    n = snprintf(seg, sizeof seg, "[%s]", k->boolean ? "true" : "false");
  } else if (k->num == floor(k->num) && fabs(k->num) < 9223372036854775808.0) {
    n = snprintf(seg, sizeof seg, "[%lld]", (long long)k->num);
  } else {  /* exact bits, as in the canonical form: decimal text is ambiguous at ties */
    uint64_t bits;
    memcpy(&bits, &k->num, sizeof bits);
    seg[0] = '[';
    seg[1] = '0';
    seg[2] = 'x';
    vl_sig_hex64(bits, seg + 3);
    seg[19] = ']';
    n = 20;
  }
  path_prepend(x, seg, (size_t)n);
}

static int put_value(lua_State *L, sigctx *x, int idx);

static int fail_type(sigctx *x, lua_State *L, int idx, int is_key)
{
  x->bad_type = lua_typename(L, lua_type(L, idx));
  x->bad_is_key = is_key;
  x->c.status = VL_ETYPE;
  return VL_ETYPE;
}

static int grow_keys(sigctx *x)
{
  size_t cap = x->capkeys ? x->capkeys * 2 : 64;
  vl_canon_key *k = realloc(x->keys, cap * sizeof *k);
  if (!k) return VL_ENOMEM;
  x->keys = k;
  x->capkeys = cap;
  return VL_OK;
}

static void push_key(lua_State *L, const vl_canon_key *k)
{
  switch (k->type) {
  case VL_KEY_BOOL: lua_pushboolean(L, k->boolean); break;
  case VL_KEY_NUMBER: lua_pushnumber(L, k->num); break;
  default: lua_pushlstring(L, k->str, k->len); break;
  }
}

/* Collect the table's keys into a new frame, leaving each key and value pair on
 * the Lua stack (key.ref is the value's slot; the key below it keeps borrowed key
 * strings alive), sort the frame, then write it as array or map. */
static int put_table(lua_State *L, sigctx *x, int idx)
{
  size_t base = x->nkeys, n, i;
  int top = lua_gettop(L), st = VL_OK, is_array;
  if (x->c.depth >= x->c.max_depth) {
    x->limit_depth = 1;
    return x->c.status = VL_ELIMIT;
  }
  if (!lua_checkstack(L, 8)) {  /* nesting so deep that Lua's C stack is full */
    x->limit_depth = 1;
    return x->c.status = VL_ELIMIT;
  }
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    vl_canon_key *k;
    if (x->nkeys == x->capkeys && (st = grow_keys(x)) != VL_OK) {
      x->c.status = st;
      break;
    }
    k = &x->keys[x->nkeys];
    switch (lua_type(L, -2)) {
    case LUA_TBOOLEAN:
      k->type = VL_KEY_BOOL;
      k->boolean = lua_toboolean(L, -2);
      break;
    case LUA_TNUMBER:
      k->type = VL_KEY_NUMBER;
      k->num = lua_tonumber(L, -2);
      break;
    case LUA_TSTRING:
      k->type = VL_KEY_STRING;
      k->str = lua_tolstring(L, -2, &k->len); /* a string key: no in-place conversion */
      break;
    default:
      st = fail_type(x, L, -2, 1);
      break;
    }
    if (st != VL_OK) break;
    x->nkeys++;
    if (lua_checkstack(L, STACK_RESERVE(x))) {
      k->ref = lua_gettop(L);   /* the value stays in place; a copy of the key */
      lua_pushvalue(L, -2);     /* goes on top for lua_next to consume */
    } else {
      k->ref = 0;               /* Lua's C stack is full (huge table): fetch it again later */
      lua_pop(L, 1);
    }
  }
  if (st != VL_OK) {
    lua_settop(L, top);
    x->nkeys = base;
    return st;
  }
  n = x->nkeys - base;
  is_array = 0;
  if (n) {  /* x->keys is NULL until the first key ever: no pointer arithmetic on it */
    vl_canon_sort_keys(x->keys + base, n);
    is_array = vl_canon_keys_are_array(x->keys + base, n);
  }
  st = vl_canon_open(&x->c, is_array ? '[' : '{');
  for (i = 0; st == VL_OK && i < n; i++) {
    vl_canon_key k = x->keys[base + i]; /* copy: children may move the array */
    if (!is_array) st = vl_canon_write_key(&x->c, &k);
    if (st == VL_OK) {
      if (k.ref) {
        st = put_value(L, x, k.ref);
      } else {
        push_key(L, &k);
        lua_rawget(L, idx);
        st = put_value(L, x, lua_gettop(L));
        lua_pop(L, 1);
      }
    }
    if (st != VL_OK && (st == VL_ETYPE || (st == VL_ELIMIT && x->limit_depth)))
      path_prepend_key(x, &k, is_array);
  }
  if (st == VL_OK) st = vl_canon_close(&x->c, is_array ? '[' : '{');
  lua_settop(L, top);
  x->nkeys = base;
  return st;
}

static int put_value(lua_State *L, sigctx *x, int idx)
{
  switch (lua_type(L, idx)) {
  case LUA_TNIL: return vl_canon_nil(&x->c);
  case LUA_TBOOLEAN: return vl_canon_bool(&x->c, lua_toboolean(L, idx));
  case LUA_TNUMBER: return vl_canon_number(&x->c, lua_tonumber(L, idx));
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    return vl_canon_string(&x->c, s, n);
  }
  case LUA_TLIGHTUSERDATA: /* cjson.null and friends are NULL light userdata */
    if (lua_touserdata(L, idx) == NULL) return vl_canon_nil(&x->c);
    return fail_type(x, L, idx, 0);
  case LUA_TTABLE: return put_table(L, x, idx);
  default: return fail_type(x, L, idx, 0);
  }
}

/* Write the call (name, args at index aidx) into x->c. */
static int canon_walk(lua_State *L, sigctx *x, const char *name, size_t nlen, int aidx, const sigopts *o)
{
  x->c.max_depth = o->max_depth;
  x->c.max_bytes = o->max_bytes;
  vl_canon_reset(&x->c);
  x->nkeys = 0;
  x->path_at = PATH_MAX_LEN;
  x->path[PATH_MAX_LEN] = '\0';
  x->path_full = 0;
  x->limit_depth = 0;
  vl_canon_string(&x->c, name, nlen);
  if (lua_isnoneornil(L, aidx)) {
    vl_canon_open(&x->c, '{');
    return vl_canon_close(&x->c, '{');
  }
  return put_value(L, x, aidx);
}

/* canon_walk guarded against re-entry: the walk can allocate (pushing a key back
 * in refetch mode), an allocation can run a __gc finalizer, and a finalizer that
 * signs a call would otherwise clobber the scratch in use. */
static int canon_call(lua_State *L, sigctx *x, const char *name, size_t nlen, int aidx, const sigopts *o)
{
  int st;
  if (x->busy) return VL_EINVAL;
  x->busy = 1;
  st = canon_walk(L, x, name, nlen, aidx, o);
  x->busy = 0;
  return st;
}

/* Push nil, msg, code for a failed canonicalisation; returns 3. */
static int push_failure(lua_State *L, sigctx *x, int st, const char *prefix)
{
  const char *path = x->path + x->path_at;
  lua_pushnil(L);
  switch (st) {
  case VL_ETYPE:
    lua_pushfstring(L, "%sargs%s: unsupported %s type '%s'", prefix, path,
                    x->bad_is_key ? "key" : "value", x->bad_type);
    break;
  case VL_ELIMIT:
    if (x->limit_depth)
      lua_pushfstring(L, "%sargs%s: tables nested deeper than %d (max_depth)", prefix, path, x->c.max_depth);
    else
      lua_pushfstring(L, "%scanonical form larger than %d bytes (max_bytes)", prefix, (int)x->c.max_bytes);
    break;
  case VL_EINVAL:
    lua_pushfstring(L, "%ssignature kernel re-entered (from a __gc finalizer?)", prefix);
    break;
  default:
    lua_pushfstring(L, "%s%s", prefix, vl_strerror(st));
    break;
  }
  lua_pushstring(L, vl_errcode(st));
  return 3;
}

static sigctx *get_ctx(lua_State *L)
{
  return (sigctx *)lua_touserdata(L, lua_upvalueindex(1));
}

/* Options table at index i: {bits=64|128, max_depth=n, max_bytes=n}. */
static void check_opts(lua_State *L, int i, sigopts *o)
{
  o->bits = 64;
  o->max_depth = VL_CANON_DEFAULT_MAX_DEPTH;
  o->max_bytes = VL_CANON_DEFAULT_MAX_BYTES;
  if (lua_isnoneornil(L, i)) return;
  luaL_checktype(L, i, LUA_TTABLE);
  lua_getfield(L, i, "bits");
  if (!lua_isnil(L, -1)) {
    lua_Number b = lua_tonumber(L, -1);
    if (!lua_isnumber(L, -1) || (b != 64 && b != 128)) luaL_argerror(L, i, "opts.bits must be 64 or 128");
    o->bits = (int)b;
  }
  lua_getfield(L, i, "max_depth");
  if (!lua_isnil(L, -1)) {
    lua_Number d = lua_tonumber(L, -1);
    if (!lua_isnumber(L, -1) || d < 1 || d > 1000 || d != floor(d))
      luaL_argerror(L, i, "opts.max_depth must be an integer in 1..1000");
    o->max_depth = (int)d;
  }
  lua_getfield(L, i, "max_bytes");
  if (!lua_isnil(L, -1)) {
    lua_Number m = lua_tonumber(L, -1);
    if (!lua_isnumber(L, -1) || m < 16 || m > 1073741824.0 || m != floor(m))
      luaL_argerror(L, i, "opts.max_bytes must be an integer in 16..2^30");
    o->max_bytes = (size_t)m;
  }
  lua_pop(L, 3);
}

static void check_args_arg(lua_State *L, int i)
{
  int t = lua_type(L, i);
  if (t != LUA_TTABLE && t != LUA_TNIL && t != LUA_TNONE) vl_lua_typeerror(L, i, "table or nil");
}

/* Write the digest of x->c into out (16 or 32 hex digits); returns its length. */
static size_t digest_hex(const sigctx *x, int bits, char *out)
{
  if (bits == 128) {
    uint64_t hi, lo;
    vl_sig_hash128(x->c.buf, x->c.len, &hi, &lo);
    vl_sig_hex64(hi, out);
    vl_sig_hex64(lo, out + 16);
    return 32;
  }
  vl_sig_hex64(vl_sig_hash64(x->c.buf, x->c.len), out);
  return 16;
}

/* Check (name, args, opts) at stack slots base..base+2, then canonicalise the
 * call into x->c; returns the status. Misuse raises before anything is written. */
static int canon_args(lua_State *L, sigctx *x, int base, sigopts *o)
{
  size_t nlen;
  const char *name = luaL_checklstring(L, base, &nlen);
  check_args_arg(L, base + 1);
  check_opts(L, base + 2, o);
  return canon_call(L, x, name, nlen, base + 1, o);
}

/* canonical(name [, args [, opts]]) -> string | nil, msg, code */
static int l_canonical(lua_State *L)
{
  sigctx *x = get_ctx(L);
  sigopts o;
  int st = canon_args(L, x, 1, &o);
  if (st != VL_OK) return push_failure(L, x, st, "");
  lua_pushlstring(L, (const char *)x->c.buf, x->c.len);
  return 1;
}

/* of(name [, args [, opts]]) -> hex | nil, msg, code */
static int l_of(lua_State *L)
{
  sigctx *x = get_ctx(L);
  sigopts o;
  char hex[32];
  int st = canon_args(L, x, 1, &o);
  if (st != VL_OK) return push_failure(L, x, st, "");
  lua_pushlstring(L, hex, digest_hex(x, o.bits, hex));
  return 1;
}

/* batch(calls [, opts]) -> one string of #calls digests | nil, msg, code.
 * A call is {name, args} or {name = ..., arguments = ...}. */
static int l_batch(lua_State *L)
{
  sigctx *x = get_ctx(L);
  sigopts o;
  size_t n, i, w;
  luaL_Buffer b;
  luaL_checktype(L, 1, LUA_TTABLE);
  check_opts(L, 2, &o);
  lua_settop(L, 2);
  n = lua_objlen(L, 1);
  w = o.bits == 128 ? 32 : 16;
  luaL_buffinit(L, &b); /* uses stack slot 3 onwards; we keep our values below it */
  for (i = 1; i <= n; i++) {
    const char *name;
    size_t nlen;
    char hex[32], prefix[40];
    int st;
    lua_rawgeti(L, 1, (int)i);             /* call */
    if (!lua_istable(L, -1)) {
      snprintf(prefix, sizeof prefix, "call #%d: ", (int)i);
      lua_pushnil(L);
      lua_pushfstring(L, "%sexpected a table, got %s", prefix, luaL_typename(L, -2));
      lua_pushliteral(L, "ETYPE");
      return 3;
    }
    lua_rawgeti(L, -1, 1);                 /* name */
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_getfield(L, -1, "name");
      lua_getfield(L, -2, "arguments");
    } else {
      lua_rawgeti(L, -2, 2);
    }
    name = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &nlen) : NULL;
    if (!name || (!lua_isnil(L, -1) && !lua_istable(L, -1))) {
      snprintf(prefix, sizeof prefix, "call #%d: ", (int)i);
      lua_pushnil(L);
      if (!name) lua_pushfstring(L, "%sname must be a string, got %s", prefix, luaL_typename(L, -3));
      else lua_pushfstring(L, "%sarguments must be a table, got %s", prefix, luaL_typename(L, -2));
      lua_pushliteral(L, "ETYPE");
      return 3;
    }
    st = canon_call(L, x, name, nlen, lua_gettop(L), &o);
    if (st != VL_OK) {
      snprintf(prefix, sizeof prefix, "call #%d: ", (int)i);
      return push_failure(L, x, st, prefix);
    }
    digest_hex(x, o.bits, hex);
    lua_pop(L, 3);
    luaL_addlstring(&b, hex, w);
  }
  luaL_pushresult(&b);
  return 1;
}

/* Hash a Lua string to hex: hash64 (16 digits), hash128 (32, high half first),
 * hash64_low128 (16, the low half of XXH3-128). */
static int push_string_hash(lua_State *L, int kind)
{
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  uint64_t hi, lo;
  char hex[32];
  if (kind == 64) {
    vl_sig_hex64(vl_sig_hash64(s, n), hex);
    lua_pushlstring(L, hex, 16);
    return 1;
  }
  vl_sig_hash128(s, n, &hi, &lo);
  vl_sig_hex64(hi, hex);
  vl_sig_hex64(lo, hex + 16);
  if (kind == 128) lua_pushlstring(L, hex, 32);
  else lua_pushlstring(L, hex + 16, 16);
  return 1;
}

static int l_hash64(lua_State *L) { return push_string_hash(L, 64); }
static int l_hash128(lua_State *L) { return push_string_hash(L, 128); }
static int l_hash64_low128(lua_State *L) { return push_string_hash(L, 0); }

/* ---- LoopDetector ----------------------------------------------------------- */

typedef struct loopud {
  vl_loop *d;
} loopud;

static loopud *check_loop(lua_State *L)
{
  loopud *u = (loopud *)luaL_checkudata(L, 1, LOOP_MT);
  if (!u->d) luaL_argerror(L, 1, "LoopDetector is closed");
  return u;
}

static void push_hex64(lua_State *L, uint64_t v)
{
  char hex[16];
  vl_sig_hex64(v, hex);
  lua_pushlstring(L, hex, 16);
}

/* A signature argument: 16 hex digits are taken as is, any other string is
 * hashed to 64 bits first (the pure-Lua backend does the same). */
static uint64_t sig_value(const char *s, size_t n)
{
  uint64_t v;
  if (vl_sig_parse_hex64(s, n, &v) == VL_OK) return v;
  return vl_sig_hash64(s, n);
}

static int push_report(lua_State *L, loopud *u, const vl_loop_report *r)
{
  uint64_t ring[64];
  uint64_t *last = r->cycle <= 64 ? ring : NULL;
  size_t i;
  lua_createtable(L, 0, 4);
  push_hex64(L, r->sig);
  lua_setfield(L, -2, "signature");
  lua_pushnumber(L, (lua_Number)r->cycle);
  lua_setfield(L, -2, "cycle");
  lua_pushnumber(L, (lua_Number)r->count);
  lua_setfield(L, -2, "count");
  lua_createtable(L, (int)r->cycle, 0);
  if (!last) last = (uint64_t *)lua_newuserdata(L, r->cycle * sizeof *last); /* GC-owned scratch */
  vl_loop_last(u->d, r->cycle, last);
  for (i = 0; i < r->cycle; i++) {
    push_hex64(L, last[i]);
    lua_rawseti(L, r->cycle <= 64 ? -2 : -3, (int)i + 1);
  }
  if (r->cycle > 64) lua_pop(L, 1);
  lua_setfield(L, -2, "signatures");
  return 1;
}

static int loop_push_value(lua_State *L, loopud *u, uint64_t v)
{
  vl_loop_report r;
  if (!vl_loop_push(u->d, v, &r)) {
    lua_pushnil(L);
    return 1;
  }
  return push_report(L, u, &r);
}

/* det:push(sig) -> report | nil */
static int l_loop_push(lua_State *L)
{
  loopud *u = check_loop(L);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  return loop_push_value(L, u, sig_value(s, n));
}

/* det:push_call(name [, args [, opts]]) -> report | nil, or nil, msg, code */
static int l_loop_push_call(lua_State *L)
{
  loopud *u = check_loop(L);
  sigctx *x = get_ctx(L);
  sigopts o;
  int st = canon_args(L, x, 2, &o);
  if (st != VL_OK) return push_failure(L, x, st, "");
  return loop_push_value(L, u, vl_sig_hash64(x->c.buf, x->c.len));
}

static int l_loop_reset(lua_State *L)
{
  vl_loop_reset(check_loop(L)->d);
  return 0;
}

static int l_loop_close(lua_State *L)
{
  loopud *u = (loopud *)luaL_checkudata(L, 1, LOOP_MT);
  vl_loop_free(u->d);
  u->d = NULL;
  return 0;
}

static int l_loop_window(lua_State *L)
{
  lua_pushnumber(L, (lua_Number)vl_loop_window(check_loop(L)->d));
  return 1;
}

static int l_loop_threshold(lua_State *L)
{
  lua_pushnumber(L, (lua_Number)vl_loop_threshold(check_loop(L)->d));
  return 1;
}

static int l_loop_pushed(lua_State *L)
{
  lua_pushnumber(L, (lua_Number)vl_loop_pushed(check_loop(L)->d));
  return 1;
}

static int l_loop_tostring(lua_State *L)
{
  loopud *u = (loopud *)luaL_checkudata(L, 1, LOOP_MT);
  if (!u->d) lua_pushliteral(L, "LoopDetector (closed)");
  else lua_pushfstring(L, "LoopDetector (window %d, threshold %d)", (int)vl_loop_window(u->d),
                       (int)vl_loop_threshold(u->d));
  return 1;
}

/* loop_new(window, threshold) -> LoopDetector */
static int l_loop_new(lua_State *L)
{
  lua_Number w = luaL_checknumber(L, 1), t = luaL_checknumber(L, 2);
  loopud *u;
  int st;
  luaL_argcheck(L, w >= 2 && w <= VL_LOOP_MAX_WINDOW && w == floor(w), 1, "window must be an integer in 2..4096");
  luaL_argcheck(L, t >= 2 && t <= 1e6 && t == floor(t), 2, "threshold must be an integer >= 2");
  u = (loopud *)lua_newuserdata(L, sizeof *u);
  u->d = NULL; /* closed until the detector exists, so __gc is always safe */
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_setmetatable(L, -2);
  st = vl_loop_new((size_t)w, (size_t)t, &u->d);
  if (st != VL_OK) return luaL_error(L, "LoopDetector: %s", vl_strerror(st));
  return 1;
}

static int l_ctx_gc(lua_State *L)
{
  sigctx *x = (sigctx *)luaL_checkudata(L, 1, CTX_MT);
  vl_canon_free(&x->c);
  free(x->keys);
  x->keys = NULL;
  x->capkeys = x->nkeys = 0;
  return 0;
}

static int l_version(lua_State *L)
{
  lua_pushstring(L, vl_sig_xxhash_version());
  return 1;
}

static const luaL_Reg loop_methods[] = {
  {"push", l_loop_push},
  {"push_call", l_loop_push_call},
  {"reset", l_loop_reset},
  {"close", l_loop_close},
  {"window", l_loop_window},
  {"threshold", l_loop_threshold},
  {"pushed", l_loop_pushed},
  {NULL, NULL}
};

static const luaL_Reg funcs[] = {
  {"canonical", l_canonical},
  {"of", l_of},
  {"batch", l_batch},
  {"hash64", l_hash64},
  {"hash128", l_hash128},
  {"hash64_low128", l_hash64_low128},
  {"loop_new", l_loop_new},
  {"xxhash_version", l_version},
  {NULL, NULL}
};

VL_LUA_EXPORT int luaopen_victor_core_signature(lua_State *L)
{
  sigctx *x;
  const luaL_Reg *r;
  lua_newtable(L);                                   /* module */
  x = (sigctx *)lua_newuserdata(L, sizeof *x);      /* shared scratch */
  memset(x, 0, sizeof *x);
  vl_canon_init(&x->c, 0, 0);
  if (luaL_newmetatable(L, CTX_MT)) {
    lua_pushcfunction(L, l_ctx_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  /* LoopDetector metatable; its methods share the scratch too (push_call). */
  luaL_newmetatable(L, LOOP_MT);
  lua_newtable(L);
  for (r = loop_methods; r->name; r++) {
    lua_pushvalue(L, -3); /* ctx */
    lua_pushcclosure(L, r->func, 1);
    lua_setfield(L, -2, r->name);
  }
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, l_loop_close);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, l_loop_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "LoopDetector");
  lua_setfield(L, -2, "__name");
  /* stack: module, ctx, loop_mt */
  for (r = funcs; r->name; r++) {
    lua_pushvalue(L, -2);
    lua_pushvalue(L, -2);
    lua_pushcclosure(L, r->func, 2);
    lua_setfield(L, -4, r->name);
  }
  lua_pop(L, 2);
  return 1;
}
