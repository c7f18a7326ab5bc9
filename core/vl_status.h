/*
 * vl_status.h: status codes shared by every victor-lua C kernel and the runtime.
 *
 * Kernels never raise, print or exit: they return VL_OK (0) or one of the negative
 * codes below. vl_strerror() gives a short English description and vl_errcode()
 * the stable symbolic name that the Lua layer hands back as the third result of
 * `nil, msg, code` ("ENOMEM", "ELIMIT", ...).
 */
#ifndef VL_STATUS_H
#define VL_STATUS_H

/* Every file format victor-lua writes (.npy '<f4', the embedding, HNSW and code indexes) and the
 * Aho-Corasick prefilter's hashes are little-endian: a big-endian target is refused here rather
 * than left to write files that other hosts misread (README "Portability"). */
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#error "victor-lua needs a little-endian target (x86_64, aarch64, ...)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum {
  VL_OK = 0,
  VL_ENOMEM = -1,    /* allocation failed (or the runtime's memory limit was hit) */
  VL_EINVAL = -2,    /* misuse: bad argument, NULL where an object is required */
  VL_ELIMIT = -3,    /* an input limit (size, depth, budget) was exceeded */
  VL_ETYPE = -4,     /* a value of a type the kernel cannot represent */
  VL_EPARSE = -5,    /* malformed input text */
  VL_EIO = -6,       /* a file could not be opened or read */
  VL_ERUNTIME = -7,  /* a Lua error was raised (message has the traceback) */
  VL_EINPUT = -8     /* a Lua function reported bad input as nil, msg, code */
};

/* Static, never NULL; "unknown error" for codes not listed above. */
const char *vl_strerror(int code);
/* Static symbolic name, e.g. "ELIMIT"; "EUNKNOWN" for codes not listed above. */
const char *vl_errcode(int code);

#ifdef __cplusplus
}
#endif
#endif
