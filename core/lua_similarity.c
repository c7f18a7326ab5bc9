/*
 * lua_similarity.c: Lua binding of the similarity kernel (victor.core.similarity).
 *
 * Matrix is a full userdata (metatable victor.similarity.Matrix) over a
 * reference-counted storage block: views (m:row(i), m:slice(i, j)) share the
 * block zero-copy and keep it alive, so closing or growing a matrix never leaves
 * a view dangling (a view of a matrix that later grew sees the old block).
 * Indices are 1-based here; option defaults, argument checks, query conversion
 * and friendly errors live in lua/victor/similarity.lua. Scratch memory of a call
 * is owned by a scratch userdata pushed before it is allocated.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua_victor.h"
#include "hnsw.h"
#include "similarity.h"

#define MATRIX_MT "victor.similarity.Matrix"
#define SCRATCH_MT "victor.similarity.scratch"

typedef struct store {
  float *data;
  int refs;
} store;

/* lua/victor/similarity.lua reads this layout through the FFI (dot and cosine of
 * two vectors without a classic C call; spec/similarity_spec.lua compares that path
 * with this binding's): keep it and vl_sim_matrix's, or change both. */
typedef struct matud {
  store *st;       /* NULL once closed (the layout vl_lua_class expects) */
  vl_sim_matrix v; /* rows of st->data */
} matud;

typedef struct scratch {
  void *buf[3];
  store *st; /* a storage block not yet owned by a Matrix */
} scratch;

static void store_release(void *p)
{
  store *s = (store *)p;
  if (s && --s->refs == 0) {
    vl_sim_free(s->data);
    free(s);
  }
}

static int l_scratch_gc(lua_State *L)
{
  scratch *x = (scratch *)luaL_checkudata(L, 1, SCRATCH_MT);
  int i;
  for (i = 0; i < 3; i++) {
    free(x->buf[i]);
    x->buf[i] = NULL;
  }
  store_release(x->st);
  x->st = NULL;
  return 0;
}

static scratch *new_scratch(lua_State *L)
{
  return (scratch *)vl_lua_newscratch(L, sizeof(scratch), SCRATCH_MT);
}

static void *salloc(scratch *x, int i, size_t count, size_t size)
{
  if (size && count > (size_t)-1 / size / 2) return NULL;
  return x->buf[i] = malloc(count * size > 0 ? count * size : 1);
}

static matud *to_matrix(lua_State *L, int i)
{
  matud *u = (matud *)lua_touserdata(L, i);
  if (!u || !lua_getmetatable(L, i)) return NULL;
  luaL_getmetatable(L, MATRIX_MT);
  if (!lua_rawequal(L, -1, -2)) u = NULL;
  lua_pop(L, 2);
  return u;
}

static matud *check_matrix(lua_State *L, int i)
{
  matud *u = to_matrix(L, i);
  if (!u) {
    vl_lua_typeerror(L, i, "Matrix");
    return NULL;
  }
  if (!u->st) luaL_error(L, "Matrix is closed");
  return u;
}

/* A new Matrix userdata (closed) at the top of the stack. */
static matud *push_matrix(lua_State *L)
{
  matud *u = (matud *)lua_newuserdata(L, sizeof *u);
  memset(u, 0, sizeof *u);
  luaL_getmetatable(L, MATRIX_MT);
  lua_setmetatable(L, -2);
  return u;
}

/* A storage block of rows x dim in the scratch (owned by it until adopted). */
static store *new_store(scratch *x, int64_t rows, int32_t dim)
{
  store *s = (store *)malloc(sizeof *s);
  if (!s) return NULL;
  s->refs = 1;
  if (!(s->data = vl_sim_alloc(rows, vl_sim_stride(dim)))) {
    free(s);
    return NULL;
  }
  x->st = s;
  return s;
}

/* Move the scratch's storage into a new Matrix pushed on the stack. */
static matud *adopt(lua_State *L, scratch *x, int64_t rows, int32_t dim)
{
  matud *u = push_matrix(L);
  u->v.data = x->st->data;
  u->v.rows = rows;
  u->v.dim = dim;
  u->v.stride = vl_sim_stride(dim);
  u->st = x->st;
  x->st = NULL;
  return u;
}

static int64_t check_rows(lua_State *L, int i)
{
  lua_Number v = luaL_checknumber(L, i);
  if (!(v >= 0 && v <= 4503599627370496.0) || v != floor(v)) luaL_argerror(L, i, "row count out of range");
  return (int64_t)v;
}

static int32_t check_dim(lua_State *L, int i)
{
  lua_Number v = luaL_checknumber(L, i);
  if (!(v >= 1 && v <= VL_SIM_MAX_DIM) || v != floor(v)) luaL_argerror(L, i, "dimension must be 1..16777216");
  return (int32_t)v;
}

static int fail_msg(lua_State *L, const char *code, const char *fmt, ...)
{
  va_list ap;
  lua_pushnil(L);
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_pushstring(L, code);
  return 3;
}

static int fail_nonfinite(lua_State *L, const vl_sim_matrix *m)
{
  int64_t r = 0;
  int32_t c = 0;
  if (vl_sim_check_finite(m, &r, &c) == VL_OK) return 0;
  return fail_msg(L, "EINVAL", "non-finite value at row %d, column %d", (int)(r + 1), (int)(c + 1));
}

/* zeros(rows, dim) -> Matrix */
static int l_zeros(lua_State *L)
{
  int64_t rows = check_rows(L, 1);
  int32_t dim = check_dim(L, 2);
  scratch *x = new_scratch(L);
  if (!new_store(x, rows, dim)) return vl_lua_fail(L, VL_ENOMEM);
  adopt(L, x, rows, dim);
  return 1;
}

/* from_table(t, dim) -> Matrix | nil, msg, code. t is a list of rows (tables of
 * numbers) or, when t[1] is a number, one row. dim 0/nil: from the first row. */
static int l_from_table(lua_State *L)
{
  int64_t rows, r;
  int32_t dim, c;
  int flat;
  scratch *x;
  matud *u;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  lua_rawgeti(L, 1, 1);
  flat = lua_type(L, -1) == LUA_TNUMBER;
  if (flat) {
    rows = 1;
    dim = (int32_t)lua_objlen(L, 1);
  } else {
    rows = (int64_t)lua_objlen(L, 1);
    dim = lua_istable(L, -1) ? (int32_t)lua_objlen(L, -1) : 0;
  }
  lua_pop(L, 1);
  if (!lua_isnoneornil(L, 2)) {
    int32_t want = check_dim(L, 2);
    if (rows > 0 && dim != want)
      return fail_msg(L, "EDIM", "dimension mismatch: row 1 has %d values, want %d", (int)dim, (int)want);
    dim = want;
  }
  if (dim < 1 && rows > 0) return fail_msg(L, "EDIM", "row 1 is empty");
  if (dim < 1) luaL_argerror(L, 2, "dimension needed for an empty list");
  x = new_scratch(L);
  if (!new_store(x, rows, dim)) return vl_lua_fail(L, VL_ENOMEM);
  for (r = 0; r < rows; r++) {
    float *d = x->st->data + r * vl_sim_stride(dim);
    int t;
    if (flat) {
      lua_pushvalue(L, 1);
    } else {
      lua_rawgeti(L, 1, (int)(r + 1));
      if (!lua_istable(L, -1)) luaL_argerror(L, 1, lua_pushfstring(L, "row %d is not a table", (int)(r + 1)));
      if ((int32_t)lua_objlen(L, -1) != dim)
        return fail_msg(L, "EDIM", "dimension mismatch: row %d has %d values, want %d", (int)(r + 1),
                        (int)lua_objlen(L, -1), (int)dim);
    }
    t = lua_gettop(L);
    for (c = 0; c < dim; c++) {
      lua_rawgeti(L, t, c + 1);
      if (lua_type(L, -1) != LUA_TNUMBER)
        luaL_argerror(L, 1, lua_pushfstring(L, "row %d, column %d is not a number", (int)(r + 1), (int)(c + 1)));
      d[c] = (float)lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  u = adopt(L, x, rows, dim);
  if (fail_nonfinite(L, &u->v)) return 3;
  return 1;
}

/* from_bytes(s, dim) -> Matrix | nil, msg, code (packed native float32) */
static int l_from_bytes(lua_State *L)
{
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  int32_t dim = check_dim(L, 2);
  int64_t rows;
  scratch *x;
  matud *u;
  float *tmp;
  if (n % ((size_t)dim * 4) != 0)
    return fail_msg(L, "EDIM", "%d bytes is not a whole number of rows of %d float32 values", (int)n, (int)dim);
  rows = (int64_t)(n / ((size_t)dim * 4));
  x = new_scratch(L);
  if (!new_store(x, rows, dim)) return vl_lua_fail(L, VL_ENOMEM);
  /* the string may not be 4-byte aligned: copy through an aligned buffer when not */
  if (((uintptr_t)s & 3) == 0) {
    tmp = (float *)(uintptr_t)s;
  } else {
    if (!(tmp = (float *)salloc(x, 0, n / 4, sizeof(float)))) return vl_lua_fail(L, VL_ENOMEM);
    memcpy(tmp, s, n);
  }
  u = adopt(L, x, rows, dim);
  vl_sim_copy_in(&u->v, 0, tmp, rows);
  if (fail_nonfinite(L, &u->v)) return 3;
  return 1;
}

/* load_npy(path, max_bytes) -> Matrix | nil, msg, code */
static int l_load_npy(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  lua_Number mb = luaL_optnumber(L, 2, 0);
  char err[512];
  vl_sim_matrix m;
  scratch *x = new_scratch(L);
  store *s;
  int st;
  matud *u;
  if (!(s = (store *)malloc(sizeof *s))) return vl_lua_fail(L, VL_ENOMEM);
  s->refs = 1;
  s->data = NULL;
  x->st = s;
  st = vl_sim_npy_load(path, mb > 0 ? (mb >= 1.8e19 ? (size_t)-1 : (size_t)mb) : 0, &m, err, sizeof err);
  if (st != VL_OK) return fail_msg(L, vl_errcode(st), "%s", err);
  s->data = m.data;
  u = adopt(L, x, m.rows, m.dim);
  u->v = m;
  return 1;
}

/* m:save_npy(path) -> true | nil, msg, code */
static int m_save_npy(lua_State *L)
{
  matud *u = check_matrix(L, 1);
  const char *path = luaL_checkstring(L, 2);
  char err[512];
  int st = vl_sim_npy_save(path, &u->v, err, sizeof err);
  if (st != VL_OK) return fail_msg(L, vl_errcode(st), "%s", err);
  lua_pushboolean(L, 1);
  return 1;
}

static int m_shape(lua_State *L)
{
  matud *u = check_matrix(L, 1);
  lua_pushnumber(L, (lua_Number)u->v.rows);
  lua_pushinteger(L, u->v.dim);
  return 2;
}

static int m_stride(lua_State *L)
{
  matud *u = check_matrix(L, 1);
  lua_pushinteger(L, u->v.stride);
  return 1;
}

/* the raw pointer of row 1 (a light userdata: ffi.cast("float *", p)) */
static int m_ptr(lua_State *L)
{
  matud *u = check_matrix(L, 1);
  lua_pushlightuserdata(L, u->v.data);
  return 1;
}

static int64_t check_row(lua_State *L, int i, const matud *u)
{
  lua_Number v = luaL_checknumber(L, i);
  if (!(v >= 1 && v <= (lua_Number)u->v.rows) || v != floor(v)) luaL_argerror(L, i, "row index out of range");
  return (int64_t)v - 1;
}

static int32_t check_col(lua_State *L, int i, const matud *u)
{
  lua_Number v = luaL_checknumber(L, i);
  if (!(v >= 1 && v <= u->v.dim) || v != floor(v)) luaL_argerror(L, i, "column index out of range");
  return (int32_t)v - 1;
}

static int m_get(lua_State *L)
{
  matud *u = check_matrix(L, 1);
  int64_t r = check_row(L, 2, u);
  int32_t c = check_col(L, 3, u);
  lua_pushnumber(L, u->v.data[r * u->v.stride + c]);
  return 1;
}

static int m_set(lua_State *L)
{
  matud *u = check_matrix(L, 1);
  int64_t r = check_row(L, 2, u);
  int32_t c = check_col(L, 3, u);
  lua_Number v = luaL_checknumber(L, 4);
  if (!isfinite(v) || fabs(v) > 3.4028234663852886e38) luaL_argerror(L, 4, "value must be a finite float32");
  u->v.data[r * u->v.stride + c] = (float)v;
  return 0;
}

/* m:slice(i, j) -> a view of rows i..j (zero-copy) */
static int m_slice(lua_State *L)
{
  matud *u = check_matrix(L, 1), *w;
  lua_Number a = luaL_checknumber(L, 2), b = luaL_optnumber(L, 3, a);
  if (!(a >= 1 && b <= (lua_Number)u->v.rows && a <= b + 1) || a != floor(a) || b != floor(b))
    luaL_argerror(L, 2, "row range out of range");
  w = push_matrix(L);
  w->v = u->v;
  w->v.data = u->v.data + ((int64_t)a - 1) * u->v.stride;
  w->v.rows = (int64_t)(b - a + 1);
  w->st = u->st;
  u->st->refs++;
  return 1;
}

static int m_to_table(lua_State *L)
{
  matud *u = check_matrix(L, 1);
  int64_t r;
  int32_t c;
  lua_createtable(L, (int)u->v.rows, 0);
  for (r = 0; r < u->v.rows; r++) {
    const float *p = u->v.data + r * u->v.stride;
    lua_createtable(L, u->v.dim, 0);
    for (c = 0; c < u->v.dim; c++) {
      lua_pushnumber(L, p[c]);
      lua_rawseti(L, -2, c + 1);
    }
    lua_rawseti(L, -2, (int)(r + 1));
  }
  return 1;
}

static int m_to_bytes(lua_State *L)
{
  matud *u = check_matrix(L, 1);
  size_t n = (size_t)u->v.rows * (size_t)u->v.dim;
  scratch *x = new_scratch(L);
  float *buf = (float *)salloc(x, 0, n, sizeof(float));
  if (!buf) return vl_lua_fail(L, VL_ENOMEM);
  vl_sim_copy_out(&u->v, buf);
  lua_pushlstring(L, (const char *)buf, n * sizeof(float));
  return 1;
}

/* m:copy() -> a new Matrix with its own storage */
static int m_copy(lua_State *L)
{
  matud *u = check_matrix(L, 1), *w;
  scratch *x = new_scratch(L);
  if (!new_store(x, u->v.rows, u->v.dim)) return vl_lua_fail(L, VL_ENOMEM);
  w = adopt(L, x, u->v.rows, u->v.dim);
  if (u->v.rows) memcpy(w->v.data, u->v.data, (size_t)u->v.rows * (size_t)u->v.stride * sizeof(float));
  return 1;
}

/* m:resize(rows): new storage of rows (the first min(old, rows) copied, the rest
 * zero); views of the old storage keep it. */
static int m_resize(lua_State *L)
{
  matud *u = check_matrix(L, 1);
  int64_t rows = check_rows(L, 2), keep = rows < u->v.rows ? rows : u->v.rows;
  scratch *x = new_scratch(L);
  store *s = new_store(x, rows, u->v.dim);
  if (!s) return vl_lua_fail(L, VL_ENOMEM);
  if (keep) memcpy(s->data, u->v.data, (size_t)keep * (size_t)u->v.stride * sizeof(float));
  x->st = NULL;
  store_release(u->st);
  u->st = s;
  u->v.data = s->data;
  u->v.rows = rows;
  lua_pushboolean(L, 1);
  return 1;
}

/* m:set_row(i, src) where src is a 1-row Matrix of the same dim (copied) */
static int m_set_row(lua_State *L)
{
  matud *u = check_matrix(L, 1);
  int64_t r = check_row(L, 2, u);
  matud *s = check_matrix(L, 3);
  if (s->v.dim != u->v.dim || s->v.rows != 1) luaL_argerror(L, 3, "a 1-row Matrix of the same dimension expected");
  memmove(u->v.data + r * u->v.stride, s->v.data, (size_t)u->v.stride * sizeof(float));
  return 0;
}

/* m:normalize() -> zero row count, first zero row (1-based, or nil) */
static int m_normalize(lua_State *L)
{
  matud *u = check_matrix(L, 1);
  int64_t nz = 0, first = -1;
  vl_sim_normalize(&u->v, &nz, &first);
  lua_pushnumber(L, (lua_Number)nz);
  if (first >= 0) lua_pushnumber(L, (lua_Number)first + 1);
  else lua_pushnil(L);
  return 2;
}

static int m_sum(lua_State *L)
{
  matud *u = check_matrix(L, 1);
  lua_pushnumber(L, vl_sim_sum(&u->v));
  return 1;
}

static int check_same(lua_State *L, const matud *a, const matud *b)
{
  if (a->v.dim != b->v.dim)
    return fail_msg(L, "EDIM", "dimension mismatch: query has %d, matrix has %d", (int)a->v.dim, (int)b->v.dim);
  return 0;
}

/* dot(a, b) (1-row matrices) -> number | nil, msg, code */
static int l_dot(lua_State *L)
{
  matud *a = check_matrix(L, 1), *b = check_matrix(L, 2);
  if (check_same(L, a, b)) return 3;
  if (a->v.rows != 1 || b->v.rows != 1) luaL_argerror(L, a->v.rows != 1 ? 1 : 2, "a vector (1-row Matrix) expected");
  lua_pushnumber(L, vl_sim_dot(&a->v, 0, &b->v, 0));
  return 1;
}

static int fail_zero(lua_State *L, int64_t bad)
{
  if (bad < 0) return fail_msg(L, "EZERO", "query %d is a zero vector", (int)(-bad));
  return fail_msg(L, "EZERO", "row %d is a zero vector", (int)(bad + 1));
}

static int l_cosine(lua_State *L)
{
  matud *a = check_matrix(L, 1), *b = check_matrix(L, 2);
  float out;
  int which = 0;
  if (check_same(L, a, b)) return 3;
  if (a->v.rows != 1 || b->v.rows != 1) luaL_argerror(L, a->v.rows != 1 ? 1 : 2, "a vector (1-row Matrix) expected");
  if (vl_sim_cosine(&a->v, 0, &b->v, 0, &out, &which) != VL_OK)
    return fail_msg(L, "EZERO", "%s vector is zero", which == 0 ? "the first" : "the second");
  lua_pushnumber(L, out);
  return 1;
}

/* scores(Q, M, normalized, threads) -> Matrix (Q rows x M rows) | nil, msg, code */
static int l_scores(lua_State *L)
{
  matud *q = check_matrix(L, 1), *m = check_matrix(L, 2), *w;
  int normalized = lua_toboolean(L, 3);
  int threads = (int)luaL_optinteger(L, 4, 0);
  int64_t bad = 0;
  scratch *x;
  int st;
  if (check_same(L, q, m)) return 3;
  if (m->v.rows > VL_SIM_MAX_DIM) return fail_msg(L, "ELIMIT", "a score matrix is limited to 16777216 columns");
  x = new_scratch(L);
  if (!new_store(x, q->v.rows, m->v.rows > 0 ? (int32_t)m->v.rows : 1)) return vl_lua_fail(L, VL_ENOMEM);
  w = adopt(L, x, q->v.rows, m->v.rows > 0 ? (int32_t)m->v.rows : 1);
  if (m->v.rows == 0) return 1;
  {
    /* the kernel writes with ld = M rows; the result's stride is padded: score
     * into a packed buffer, then copy in */
    scratch *y = new_scratch(L);
    float *buf = (float *)salloc(y, 0, (size_t)(q->v.rows * m->v.rows), sizeof(float));
    if (!buf) return vl_lua_fail(L, VL_ENOMEM);
    st = vl_sim_scores(&q->v, &m->v, normalized, threads, buf, &bad);
    if (st == VL_EINVAL) return fail_zero(L, bad);
    if (st != VL_OK) return vl_lua_fail(L, st);
    vl_sim_copy_in(&w->v, 0, buf, q->v.rows);
    lua_pop(L, 1);
  }
  return 1;
}

/* batch_cosine(q, M, normalized) -> scores table (1..rows) | nil, msg, code */
static int l_batch_cosine(lua_State *L)
{
  matud *q = check_matrix(L, 1), *m = check_matrix(L, 2);
  int normalized = lua_toboolean(L, 3);
  int64_t bad = 0, j;
  scratch *x;
  float *buf;
  int st;
  if (check_same(L, q, m)) return 3;
  if (q->v.rows != 1) luaL_argerror(L, 1, "a vector (1-row Matrix) expected");
  x = new_scratch(L);
  if (!(buf = (float *)salloc(x, 0, (size_t)m->v.rows, sizeof(float)))) return vl_lua_fail(L, VL_ENOMEM);
  st = vl_sim_scores(&q->v, &m->v, normalized, 1, buf, &bad);
  if (st == VL_EINVAL) return fail_zero(L, bad);
  if (st != VL_OK) return vl_lua_fail(L, st);
  lua_createtable(L, (int)m->v.rows, 0);
  for (j = 0; j < m->v.rows; j++) {
    lua_pushnumber(L, buf[j]);
    lua_rawseti(L, -2, (int)(j + 1));
  }
  return 1;
}

static int push_hits(lua_State *L, const vl_sim_hit *hits, const int64_t *counts, int64_t nq, int64_t k);

/* top_k(Q, M, k, min_score, normalized, threads, ref) -> list over queries of
 * {indices (1-based), scores} | nil, msg, code */
static int l_top_k(lua_State *L)
{
  matud *q = check_matrix(L, 1), *m = check_matrix(L, 2);
  lua_Number kk = luaL_checknumber(L, 3);
  float min_score = (float)luaL_optnumber(L, 4, -HUGE_VAL);
  int normalized = lua_toboolean(L, 5);
  int threads = (int)luaL_optinteger(L, 6, 0);
  int ref = lua_toboolean(L, 7);
  int64_t k, bad = 0, *counts;
  vl_sim_hit *hits;
  scratch *x;
  int st;
  if (!(kk >= 0) || kk != floor(kk)) luaL_argerror(L, 3, "k must be a non-negative integer");
  if (check_same(L, q, m)) return 3;
  k = kk > (lua_Number)m->v.rows ? m->v.rows : (int64_t)kk;
  x = new_scratch(L);
  hits = (vl_sim_hit *)salloc(x, 0, (size_t)(q->v.rows * k), sizeof(vl_sim_hit));
  counts = (int64_t *)salloc(x, 1, (size_t)q->v.rows, sizeof(int64_t));
  if (!hits || !counts) return vl_lua_fail(L, VL_ENOMEM);
  if (ref) st = vl_sim_top_k_ref(&q->v, &m->v, k, min_score, normalized, hits, counts, &bad);
  else st = vl_sim_top_k(&q->v, &m->v, k, min_score, normalized, threads, hits, counts, &bad);
  if (st == VL_EINVAL) return fail_zero(L, bad);
  if (st != VL_OK) return vl_lua_fail(L, st);
  return push_hits(L, hits, counts, q->v.rows, k);
}

/* the hits of nq queries as a list of {indices (1-based), scores} */
static int push_hits(lua_State *L, const vl_sim_hit *hits, const int64_t *counts, int64_t nq, int64_t k)
{
  int64_t i, e;
  lua_createtable(L, (int)nq, 0);
  for (i = 0; i < nq; i++) {
    const vl_sim_hit *h = hits + i * k;
    lua_createtable(L, 2, 0);
    lua_createtable(L, (int)counts[i], 0);
    for (e = 0; e < counts[i]; e++) {
      lua_pushnumber(L, (lua_Number)h[e].index + 1);
      lua_rawseti(L, -2, (int)(e + 1));
    }
    lua_rawseti(L, -2, 1);
    lua_createtable(L, (int)counts[i], 0);
    for (e = 0; e < counts[i]; e++) {
      lua_pushnumber(L, h[e].score);
      lua_rawseti(L, -2, (int)(e + 1));
    }
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, (int)(i + 1));
  }
  return 1;
}

/* hash_embed(texts (list of strings), dim, word_ngrams, char_min, char_max) -> Matrix */
static int l_hash_embed(lua_State *L)
{
  int32_t dim = check_dim(L, 2);
  int wng = (int)luaL_checkinteger(L, 3), cmin = (int)luaL_checkinteger(L, 4), cmax = (int)luaL_checkinteger(L, 5);
  int64_t rows, r;
  scratch *x;
  matud *u;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 5);
  rows = (int64_t)lua_objlen(L, 1);
  x = new_scratch(L);
  if (!new_store(x, rows, dim)) return vl_lua_fail(L, VL_ENOMEM);
  u = adopt(L, x, rows, dim);
  for (r = 0; r < rows; r++) {
    size_t n;
    const char *s;
    int st;
    lua_rawgeti(L, 1, (int)(r + 1));
    if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, 1, lua_pushfstring(L, "text %d is not a string", (int)r + 1));
    s = lua_tolstring(L, -1, &n);
    st = vl_sim_hash_embed(s, n, dim, wng, cmin, cmax, u->v.data + r * u->v.stride);
    if (st == VL_EINVAL) luaL_argerror(L, 4, "bad character n-gram range");
    if (st != VL_OK) return vl_lua_fail(L, st);
    lua_pop(L, 1);
  }
  return 1;
}

/* ---- quantised matrices ---- */

#define QMATRIX_MT "victor.similarity.QMatrix"

typedef struct qud {
  vl_sim_qmatrix *qm; /* NULL once closed */
} qud;

static void free_qmatrix(void *p)
{
  vl_sim_qfree((vl_sim_qmatrix *)p);
  free(p);
}

static qud *check_qmatrix(lua_State *L, int i)
{
  qud *u = (qud *)luaL_checkudata(L, i, QMATRIX_MT);
  if (!u->qm) luaL_error(L, "QMatrix is closed");
  return u;
}

static const char *const QKINDS[] = {"", "f16", "int8", NULL};

/* quantize(M, "f16"|"int8") -> QMatrix */
static int l_quantize(lua_State *L)
{
  matud *m = check_matrix(L, 1);
  int kind = luaL_checkoption(L, 2, NULL, QKINDS), st;
  qud *u;
  if (kind == 0) luaL_argerror(L, 2, "invalid option ''");
  u = (qud *)lua_newuserdata(L, sizeof *u);
  u->qm = NULL;
  luaL_getmetatable(L, QMATRIX_MT);
  lua_setmetatable(L, -2);
  if (!(u->qm = (vl_sim_qmatrix *)calloc(1, sizeof *u->qm))) return vl_lua_fail(L, VL_ENOMEM);
  st = vl_sim_quantize(&m->v, kind, u->qm);
  if (st != VL_OK) return vl_lua_fail(L, st);
  return 1;
}

static int q_shape(lua_State *L)
{
  qud *u = check_qmatrix(L, 1);
  lua_pushnumber(L, (lua_Number)u->qm->rows);
  lua_pushinteger(L, u->qm->dim);
  return 2;
}

static int q_kind(lua_State *L)
{
  qud *u = check_qmatrix(L, 1);
  lua_pushstring(L, QKINDS[u->qm->kind]);
  return 1;
}

static int q_bytes(lua_State *L)
{
  qud *u = check_qmatrix(L, 1);
  lua_pushnumber(L, (lua_Number)vl_sim_qbytes(u->qm));
  return 1;
}

/* qtop_k(Q, QM, k, min_score) -> as top_k */
static int l_qtop_k(lua_State *L)
{
  matud *q = check_matrix(L, 1);
  qud *u = check_qmatrix(L, 2);
  lua_Number kk = luaL_checknumber(L, 3);
  float min_score = (float)luaL_optnumber(L, 4, -HUGE_VAL);
  int64_t k, bad = 0, *counts;
  vl_sim_hit *hits;
  scratch *x;
  int st;
  if (!(kk >= 0) || kk != floor(kk)) luaL_argerror(L, 3, "k must be a non-negative integer");
  if (q->v.dim != u->qm->dim)
    return fail_msg(L, "EDIM", "dimension mismatch: query has %d, matrix has %d", (int)q->v.dim, (int)u->qm->dim);
  k = kk > (lua_Number)u->qm->rows ? u->qm->rows : (int64_t)kk;
  lua_settop(L, 4);
  x = new_scratch(L);
  hits = (vl_sim_hit *)salloc(x, 0, (size_t)(q->v.rows * k), sizeof(vl_sim_hit));
  counts = (int64_t *)salloc(x, 1, (size_t)q->v.rows, sizeof(int64_t));
  if (!hits || !counts) return vl_lua_fail(L, VL_ENOMEM);
  st = vl_sim_qtop_k(&q->v, u->qm, k, min_score, hits, counts, &bad);
  if (st == VL_EINVAL) return fail_zero(L, bad);
  if (st != VL_OK) return vl_lua_fail(L, st);
  return push_hits(L, hits, counts, q->v.rows, k);
}

static int l_is_qmatrix(lua_State *L)
{
  int yes = 0;
  if (lua_type(L, 1) == LUA_TUSERDATA && lua_getmetatable(L, 1)) {
    luaL_getmetatable(L, QMATRIX_MT);
    yes = lua_rawequal(L, -1, -2);
  }
  lua_pushboolean(L, yes);
  return 1;
}

static const luaL_Reg qmatrix_methods[] = {
  {"shape", q_shape}, {"kind", q_kind}, {"bytes", q_bytes}, {NULL, NULL}
};

/* ---- HNSW approximate search ---- */

#define HNSW_MT "victor.similarity.HNSW"

typedef struct hud {
  vl_hnsw *h; /* NULL once closed (the layout vl_lua_class expects) */
} hud;

static void free_hnsw(void *p)
{
  vl_hnsw_free((vl_hnsw *)p);
}

static hud *check_hnsw(lua_State *L, int i)
{
  hud *u = (hud *)luaL_checkudata(L, i, HNSW_MT);
  if (!u->h) luaL_error(L, "HNSW is closed");
  return u;
}

static hud *push_hnsw(lua_State *L)
{
  hud *u = (hud *)lua_newuserdata(L, sizeof *u);
  u->h = NULL;
  luaL_getmetatable(L, HNSW_MT);
  lua_setmetatable(L, -2);
  return u;
}

/* hnsw_build(M, m, ef_construction, seed) -> HNSW | nil, msg, code */
static int l_hnsw_build(lua_State *L)
{
  matud *m = check_matrix(L, 1);
  vl_hnsw_opts o;
  int64_t bad = -1;
  o.m = (int)luaL_checkinteger(L, 2);
  o.ef_construction = (int)luaL_checkinteger(L, 3);
  o.seed = (uint64_t)luaL_checknumber(L, 4);
  lua_settop(L, 4);
  hud *u = push_hnsw(L);
  int st = vl_hnsw_build(&m->v, &o, &u->h, &bad);
  if (st == VL_EINVAL && bad >= 0) return fail_zero(L, bad);
  if (st != VL_OK) return vl_lua_fail(L, st);
  return 1;
}

/* hnsw_load(path) -> HNSW | nil, msg, code */
static int l_hnsw_load(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  char err[512];
  hud *u = push_hnsw(L);
  int st = vl_hnsw_load(path, &u->h, err, sizeof err);
  if (st == VL_EIO || st == VL_EPARSE) return fail_msg(L, vl_errcode(st), "%s", err);
  if (st != VL_OK) return vl_lua_fail(L, st);
  return 1;
}

/* h:search(Q, k, ef, min_score, threads) -> as top_k | nil, msg, code */
static int h_search(lua_State *L)
{
  hud *u = check_hnsw(L, 1);
  matud *q = check_matrix(L, 2);
  lua_Number kk = luaL_checknumber(L, 3);
  int ef = (int)luaL_checkinteger(L, 4);
  float min_score = (float)luaL_optnumber(L, 5, -HUGE_VAL);
  int threads = (int)luaL_optinteger(L, 6, 0);
  int64_t n = vl_hnsw_size(u->h), k, bad = 0, *counts;
  if (!(kk >= 0) || kk != floor(kk)) luaL_argerror(L, 3, "k must be a non-negative integer");
  if (q->v.dim != vl_hnsw_dim(u->h))
    return fail_msg(L, "EDIM", "dimension mismatch: query has %d, index has %d", (int)q->v.dim,
                    (int)vl_hnsw_dim(u->h));
  k = kk > (lua_Number)n ? n : (int64_t)kk;
  if (k > VL_HNSW_MAX_EF) k = VL_HNSW_MAX_EF;
  lua_settop(L, 6);
  scratch *x = new_scratch(L);
  vl_sim_hit *hits = (vl_sim_hit *)salloc(x, 0, (size_t)(q->v.rows * k), sizeof(vl_sim_hit));
  counts = (int64_t *)salloc(x, 1, (size_t)q->v.rows, sizeof(int64_t));
  if (!hits || !counts) return vl_lua_fail(L, VL_ENOMEM);
  int st = vl_hnsw_search(u->h, &q->v, k, ef, min_score, threads, hits, counts, &bad);
  if (st == VL_EINVAL) return fail_zero(L, bad);
  if (st != VL_OK) return vl_lua_fail(L, st);
  return push_hits(L, hits, counts, q->v.rows, k);
}

/* h:info() -> n, dim, m, m0, ef_construction, max_level, memory */
static int h_info(lua_State *L)
{
  hud *u = check_hnsw(L, 1);
  int p[4];
  vl_hnsw_params(u->h, p);
  lua_pushnumber(L, (lua_Number)vl_hnsw_size(u->h));
  lua_pushinteger(L, vl_hnsw_dim(u->h));
  for (int i = 0; i < 4; i++) lua_pushinteger(L, p[i]);
  lua_pushnumber(L, (lua_Number)vl_hnsw_memory(u->h));
  return 7;
}

/* h:save(path) -> true | nil, msg, code */
static int h_save(lua_State *L)
{
  hud *u = check_hnsw(L, 1);
  const char *path = luaL_checkstring(L, 2);
  char err[512];
  int st = vl_hnsw_save(u->h, path, err, sizeof err);
  if (st != VL_OK) return fail_msg(L, vl_errcode(st), "%s", err);
  lua_pushboolean(L, 1);
  return 1;
}

static const luaL_Reg hnsw_methods[] = {
  {"search", h_search}, {"info", h_info}, {"save", h_save}, {NULL, NULL}
};

/* fn_ptrs() -> {dot = , cosine = }: the addresses of vl_sim_dot_vec and
 * vl_sim_cosine_vec for the FFI fast path (no symbol lookup needed) */
static int l_fn_ptrs(lua_State *L)
{
  lua_createtable(L, 0, 2);
  lua_pushlightuserdata(L, (void *)(uintptr_t)&vl_sim_dot_vec);
  lua_setfield(L, -2, "dot");
  lua_pushlightuserdata(L, (void *)(uintptr_t)&vl_sim_cosine_vec);
  lua_setfield(L, -2, "cosine");
  return 1;
}

static const char *const BACKENDS[] = {"auto", "scalar", "sse2", "avx2", NULL};

/* set_backend(name) -> true | nil, msg, code */
static int l_set_backend(lua_State *L)
{
  int b = luaL_checkoption(L, 1, NULL, BACKENDS);
  if (vl_sim_set_backend((vl_sim_backend)b) != VL_OK)
    return fail_msg(L, "EINVAL", "this CPU cannot run the %s backend", BACKENDS[b]);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_backend(lua_State *L)
{
  lua_pushstring(L, vl_sim_backend_name(vl_sim_get_backend()));
  return 1;
}

/* supported() -> list of backend names this CPU runs */
static int l_supported(lua_State *L)
{
  int b, n = 0;
  lua_newtable(L);
  for (b = VL_SIM_SCALAR; b <= VL_SIM_AVX2; b++) {
    if (!vl_sim_backend_supported((vl_sim_backend)b)) continue;
    lua_pushstring(L, BACKENDS[b]);
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

static int l_max_threads(lua_State *L)
{
  lua_pushinteger(L, vl_sim_max_threads());
  return 1;
}

static int l_is_matrix(lua_State *L)
{
  lua_pushboolean(L, to_matrix(L, 1) != NULL);
  return 1;
}

static const luaL_Reg matrix_methods[] = {
  {"shape", m_shape},         {"stride", m_stride}, {"ptr", m_ptr},         {"get", m_get},
  {"set", m_set},             {"slice", m_slice},   {"to_table", m_to_table}, {"to_bytes", m_to_bytes},
  {"copy", m_copy},           {"resize", m_resize}, {"set_row", m_set_row}, {"normalize", m_normalize},
  {"sum", m_sum},             {"save_npy", m_save_npy}, {NULL, NULL}
};

static const luaL_Reg funcs[] = {
  {"zeros", l_zeros},
  {"from_table", l_from_table},
  {"from_bytes", l_from_bytes},
  {"load_npy", l_load_npy},
  {"dot", l_dot},
  {"cosine", l_cosine},
  {"scores", l_scores},
  {"batch_cosine", l_batch_cosine},
  {"top_k", l_top_k},
  {"set_backend", l_set_backend},
  {"backend", l_backend},
  {"supported", l_supported},
  {"max_threads", l_max_threads},
  {"is_matrix", l_is_matrix},
  {"hash_embed", l_hash_embed},
  {"quantize", l_quantize},
  {"qtop_k", l_qtop_k},
  {"is_qmatrix", l_is_qmatrix},
  {"fn_ptrs", l_fn_ptrs},
  {"hnsw_build", l_hnsw_build},
  {"hnsw_load", l_hnsw_load},
  {NULL, NULL}
};

static void free_store(void *p)
{
  store_release(p);
}

VL_LUA_EXPORT int luaopen_victor_core_similarity(lua_State *L)
{
  vl_lua_gc_metatable(L, SCRATCH_MT, l_scratch_gc);
  vl_lua_class(L, MATRIX_MT, "Matrix", matrix_methods, free_store);
  vl_lua_class(L, QMATRIX_MT, "QMatrix", qmatrix_methods, free_qmatrix);
  vl_lua_class(L, HNSW_MT, "HNSW", hnsw_methods, free_hnsw);
  lua_newtable(L);
  luaL_register(L, NULL, funcs);
  lua_pushinteger(L, VL_SIM_ALIGN);
  lua_setfield(L, -2, "ALIGN");
  return 1;
}
