/*
 * lua_victor.h: helpers shared by the Lua bindings (lua_<kernel>.c files) and the
 * list of kernels the runtime preloads. Only binding files include this header.
 */
#ifndef VL_LUA_VICTOR_H
#define VL_LUA_VICTOR_H

#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

#if defined(__GNUC__)
#define VL_LUA_EXPORT __attribute__((visibility("default")))
#else
#define VL_LUA_EXPORT
#endif

/* Raise "bad argument #i to 'f' (<expected> expected, got <type>)". */
int vl_lua_typeerror(lua_State *L, int i, const char *expected);

/* Register the metatable `name` of a userdata class (once per lua_State) whose
 * userdata starts with the object's pointer (NULL once closed): __index holds
 * `methods` (each a closure with the metatable as upvalue 1, so a method checks
 * its self with one comparison) and `close`, which frees the object with
 * `free_fn` and sets the pointer to NULL (idempotent, also `__gc`); `__tostring`
 * gives `type_name` or "<type_name> (closed)"; `__name` is `type_name`. Leaves
 * the stack as it was. */
typedef void (*vl_lua_free_fn)(void *obj);
void vl_lua_class(lua_State *L, const char *name, const char *type_name, const luaL_Reg *methods,
                  vl_lua_free_fn free_fn);

/* Return nil, vl_strerror(st), vl_errcode(st): a kernel's "malformed data or out
 * of memory" result (3 values). */
int vl_lua_fail(lua_State *L, int st);

/* Push a new zeroed userdata of `size` bytes with the metatable `mt` (registered
 * with vl_lua_gc_metatable) and return it: a binding's scratch, which frees what
 * the call allocated even when a later Lua API call raises. */
void *vl_lua_newscratch(lua_State *L, size_t size, const char *mt);

/* Register (once per lua_State) the metatable `name` with only a __gc: for the
 * scratch userdata that owns a binding's temporary C memory. Leaves the stack as
 * it was. */
void vl_lua_gc_metatable(lua_State *L, const char *name, lua_CFunction gc);

/* Work memory a binding keeps between calls: one zeroed block of `size` bytes per Lua
 * state and registry key `name`, so that repeated calls on large inputs reuse warm
 * memory instead of faulting in fresh pages (and having the kernel zero them) each
 * time. vl_lua_keep pushes the block's userdata and returns the block, marked busy;
 * vl_lua_keep_done(block) marks it idle again. `release(block)` must free what the
 * binding hung on the block and leave it all zero (it may run on a block already
 * released); it runs at lua_close and when
 * a garbage-collection cycle ends with the block idle and unused since the cycle
 * before, so memory is held only while the calls keep coming. A busy block is never
 * released, so a call may allocate Lua objects (and run finalizers) while using it; if
 * an error escapes between the two calls the block stays busy, and is released only at
 * lua_close or after the next vl_lua_keep_done. A vl_lua_keep(name) while the block is
 * busy (a finalizer run inside the call calls the kernel again) gets a fresh block of
 * its own instead, released when the GC collects it. After vl_lua_keep_done the block
 * belongs to the next call (a finalizer run by any later Lua allocation may reuse it):
 * read everything the result needs before marking it done. */
void *vl_lua_keep(lua_State *L, const char *name, size_t size, void (*release)(void *));
void vl_lua_keep_done(void *block);

/* An Aho-Corasick match callback (vl_ac_match_fn of core/ac.h) that appends each match to
 * the table on top of L's stack as a flat 1-based triple: id + 1, start + 1, end (so a
 * match covers start + 1 .. end inclusive). Pass a vl_lua_collect with k = the table's
 * current length; it never stops the scan. */
typedef struct vl_lua_collect {
  lua_State *L;
  int k;
} vl_lua_collect;
int vl_lua_collect_match(void *ud, uint32_t id, uint64_t start, uint64_t end);

/* Kernel entry points: each returns its module table. */
VL_LUA_EXPORT int luaopen_victor_core_signature(lua_State *L);
VL_LUA_EXPORT int luaopen_victor_core_dedup(lua_State *L);
VL_LUA_EXPORT int luaopen_victor_core_stream_filter(lua_State *L);
VL_LUA_EXPORT int luaopen_victor_core_graph(lua_State *L);
VL_LUA_EXPORT int luaopen_victor_core_json_repair(lua_State *L);
VL_LUA_EXPORT int luaopen_victor_core_similarity(lua_State *L);
VL_LUA_EXPORT int luaopen_victor_core_walk(lua_State *L);
VL_LUA_EXPORT int luaopen_victor_core_patterns(lua_State *L);
VL_LUA_EXPORT int luaopen_victor_core_indexer(lua_State *L);
VL_LUA_EXPORT int luaopen_victor_core_secrets(lua_State *L);

/* Every kernel module as {name, opener}, NULL-terminated; the runtime registers each
 * in package.preload. */
typedef struct vl_lua_module {
  const char *name;
  lua_CFunction open;
} vl_lua_module;
extern const vl_lua_module vl_lua_modules[];

#endif
