/*
 * victor_lua.h: the victor-lua embedding API.
 *
 * A vl_runtime is one LuaJIT state with every victor kernel registered in
 * package.preload and the victor Lua modules built in, so `require "victor.<kernel>"`
 * works with no paths set. A host creates one per thread (a runtime is not
 * thread-safe; separate runtimes share nothing), runs scripts or calls module
 * functions with string arguments, and reads errors with vl_runtime_errmsg().
 *
 * Contract shared by every function below:
 * - Results are VL_OK (0) or a negative VL_E* code from vl_status.h; vl_strerror()
 *   names a code, vl_runtime_errmsg() holds the full message of the last failure.
 * - All Lua work runs under lua_pcall with a traceback; no path calls exit() or
 *   abort(), out-of-memory included (it is reported as VL_ENOMEM).
 * - Strings passed in are borrowed for the duration of the call only. Strings
 *   returned are owned by the runtime and stay valid until the next call on it.
 */
#ifndef VICTOR_LUA_H
#define VICTOR_LUA_H

#include <stddef.h>

#include "vl_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VICTOR_LUA_VERSION "0.1.0"

typedef struct vl_runtime vl_runtime;

/* lua_Alloc-shaped allocator: nsize == 0 frees ptr and returns NULL; otherwise it
 * returns a block of nsize bytes (realloc semantics) or NULL on failure. LuaJIT
 * allocates through it; later kernels (PCRE2, tree-sitter) will too. */
typedef void *(*vl_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);

typedef struct vl_config {
  vl_alloc_fn alloc;      /* NULL: the C library's realloc/free */
  void *alloc_ud;         /* passed to alloc */
  size_t memory_limit;    /* bytes the Lua state may hold at once; 0 = no limit */
  const char *lua_path;   /* prepended to package.path (e.g. "./jobs/?.lua"); may be NULL */
  const char *lua_cpath;  /* prepended to package.cpath; may be NULL */
  int sandbox;            /* 1: scripts get no io, os (but clock/time/date/getenv), debug,
                             ffi, load/loadstring/dofile/loadfile, string.dump, C modules */
  int no_native;          /* 1: use the pure-Lua fallbacks even where a kernel is native */
  const char *progname;   /* arg[-1] for scripts; NULL means "victor-lua" */
} vl_config;

/* Fill *cfg with the defaults (everything 0/NULL). */
void vl_config_init(vl_config *cfg);

/* Create a runtime. cfg may be NULL for the defaults; it is copied (the strings
 * too). On success *out owns a runtime that vl_runtime_free() releases. On failure
 * *out is NULL and the result is VL_ENOMEM or VL_ERUNTIME (a message, if any
 * could be produced, is not available: there is no runtime to hold it). */
int vl_runtime_new(const vl_config *cfg, vl_runtime **out);
/* Release everything the runtime owns. NULL is a no-op. */
void vl_runtime_free(vl_runtime *rt);

/* Run a Lua file (path NULL: standard input) as a script: `arg` is set as luajit
 * sets it (arg[0] = path, arg[1..argc] = argv) and the chunk receives argv as `...`.
 * arg[-1] is vl_config.progname. *status (may be NULL) receives the chunk's exit
 * status: its first return value if that is an integer 0..255, else 0. Returns VL_OK, VL_EIO (unreadable file),
 * VL_EPARSE (syntax error) or VL_ERUNTIME (error raised; message has a traceback). */
int vl_runtime_run_file(vl_runtime *rt, const char *path, int argc, const char *const *argv,
                        int *status);
/* The same for a whole command line, as luajit does it: argv[script] is the script
 * (NULL: standard input), arg[i - script] = argv[i], so the words before the script
 * (program, options) get negative indices and the ones after it are the script's
 * arguments. VL_EINVAL unless 0 <= script < argc. */
int vl_runtime_run_argv(vl_runtime *rt, int argc, const char *const *argv, int script, int *status);

/* Run a string of Lua code; chunkname (may be NULL) names it in messages. */
int vl_runtime_run_string(vl_runtime *rt, const char *code, const char *chunkname);

/* Call require(module)[func](args[0], ..., args[nargs-1]) with string arguments.
 * The first result, if it is a string or number, is returned through *result and
 * *result_len (both may be NULL; *result is NULL when the function returned nil or
 * nothing). A function that reports bad input as `nil, msg [, code]` makes this
 * return VL_EINPUT with msg in vl_runtime_errmsg() and code in vl_runtime_errcode().
 * Raised errors give VL_ERUNTIME. */
int vl_runtime_call(vl_runtime *rt, const char *module, const char *func, int nargs,
                    const char *const *args, const char **result, size_t *result_len);

/* Load a rule pack file in the sandbox, validate it, and merge it over the packs
 * loaded so far (the built-in defaults first), by rule id. Lua code reads the merged
 * set with require("victor.host").rules(). VL_EINPUT (with file, rule id and field
 * in the message) when the pack is invalid; the active set is then unchanged. */
int vl_runtime_load_rules(vl_runtime *rt, const char *path);

/* Message of the last failure on rt ("" when the last call succeeded). Never NULL. */
const char *vl_runtime_errmsg(const vl_runtime *rt);
/* Symbolic code of the last VL_EINPUT failure ("EPARSE", "ESCHEMA", ...), else "". */
const char *vl_runtime_errcode(const vl_runtime *rt);
/* Bytes the Lua state currently holds. */
size_t vl_runtime_memory(const vl_runtime *rt);

#ifdef __cplusplus
}
#endif
#endif
