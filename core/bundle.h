/*
 * bundle.h: the victor Lua modules compiled into the binary as LuaJIT bytecode
 * (build/gen/bundle.c, written by scripts/bundle-lua.lua at build time).
 */
#ifndef VL_BUNDLE_H
#define VL_BUNDLE_H

#include <stddef.h>

typedef struct vl_bundle_entry {
  const char *module;         /* "victor.signature" */
  const char *name;           /* chunk name for messages, "@lua/victor/signature.lua" */
  const unsigned char *data;  /* bytecode */
  size_t size;
} vl_bundle_entry;

/* NULL-terminated (module == NULL). */
extern const vl_bundle_entry vl_bundle_modules[];

#endif
