/*
 * toml_json.h: convert a TOML document to JSON text (core/toml_json.cpp, toml++).
 *
 * The whole document becomes one JSON object: tables are objects, arrays arrays,
 * strings strings, integers and floats numbers, booleans booleans, dates and times
 * quoted strings. Used by `victor-lua rules import-gitleaks`. toml++ runs with C++
 * exceptions off; an allocation failure inside it terminates the process (the
 * inputs are small configuration files).
 */
#ifndef VL_TOML_JSON_H
#define VL_TOML_JSON_H

#include <stddef.h>

#include "vl_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vl_toml_error {
  size_t line, column;  /* 1-based, of a parse error */
  char message[200];
} vl_toml_error;

/* Parse src[0..n) and write the JSON into a malloc'ed NUL-terminated *out (caller
 * frees), its length in *outlen. VL_EPARSE: not TOML (err says where; may be
 * NULL); VL_ENOMEM. */
int vl_toml_to_json(const char *src, size_t n, char **out, size_t *outlen, vl_toml_error *err);

#ifdef __cplusplus
}
#endif
#endif
