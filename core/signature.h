/*
 * signature.h: canonical tool-call signatures (XXH3) and loop detection.
 *
 * Design note
 * -----------
 * A coding assistant calls tools in a loop; a model that is stuck repeats the same
 * call (A,A,A) or a short cycle of calls (A,B,A,B,A,B). This kernel turns a tool
 * call (a name plus nested arguments) into a canonical byte string, hashes it with
 * XXH3, and watches the stream of signatures for cycles.
 *
 * Canonical form, version 1 (`vl_canon_*`). Every value carries a type tag, so true,
 * 1 and "1" never collide, and strings are length-prefixed, so no escaping is needed
 * and no byte sequence inside a string can imitate structure:
 *
 *   nil / JSON null   n
 *   false / true      f  t
 *   integral number   i<decimal>;        |x| < 2^63, -0 is i0;
 *   other number      d<16 lowercase hex digits of the IEEE-754 binary64 bits>;
 *                     and dnan; d+inf; d-inf; (every NaN is one NaN)
 *   string            s<byte length>:<bytes>
 *   array             [ value* ]         a table whose keys are exactly 1..n, n >= 1
 *   map               { (key value)* }   any other table (the empty table is {})
 *   call              s<len>:<name> followed by the arguments map
 *
 * Non-integral numbers are written as their exact bits, not as decimal text: a
 * shortest-round-trip decimal is ambiguous at exact ties (glibc rounds
 * 900719925474090.25 to ...090.2 at 16 digits, LuaJIT's formatter to ...090.3), and
 * the bits are trivial to reproduce in any language.
 *
 * Map keys are sorted, at every depth, by (type, value): booleans (false < true),
 * then numbers by value, then strings by bytes (memcmp, a shorter prefix first).
 * vl_canon_sort_keys() implements that order; the Lua binding and the pure-Lua
 * fallback both use it, and the specs check that they agree byte for byte.
 *
 * Hashes: XXH3-64 (seed 0) of the canonical bytes, printed as 16 lowercase hex
 * digits, and XXH3-128 printed in canonical order (high 64 bits then low 64 bits,
 * as `xxhsum -H2` does), 32 hex digits.
 *
 * Loop detection (`vl_loop_*`). A ring of the last `window` signatures. For every
 * cycle length L in 1..window/2 the detector keeps run[L], the number of consecutive
 * newest positions i with sig[i] == sig[i-L], capped at window-L so that everything
 * counted lies inside the window. The cycle ending at the newest call has then been
 * seen 1 + run[L]/L times in a row. A push reports the smallest L whose count
 * reaches `threshold`; the smallest such L is always a primitive cycle (if ABAB
 * repeats k times, AB repeats 2k times). Cost: O(window/2) per push, O(window) memory.
 *
 * Limits: the canonical writer fails with VL_ELIMIT past `max_bytes` bytes or
 * `max_depth` nested tables (which also stops self-referencing tables); it never
 * reads outside what it is given. No function here raises, prints or exits.
 * Objects are not thread-safe; use one per thread.
 */
#ifndef VL_SIGNATURE_H
#define VL_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include "vl_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VL_CANON_DEFAULT_MAX_BYTES ((size_t)1 << 20)
#define VL_CANON_DEFAULT_MAX_DEPTH 64

/* ---- canonical writer ------------------------------------------------------ */

/* A growable output buffer. Fields are read-only to callers; `buf[0..len)` holds the
 * canonical bytes written so far. The first failure is sticky in `status`: later
 * writes are no-ops returning it, so a caller may check once at the end. */
typedef struct vl_canon {
  unsigned char *buf;
  size_t len, cap;
  size_t max_bytes;
  int max_depth, depth;
  int status;
} vl_canon;

/* Initialise an empty writer (allocates nothing). max_bytes == 0 or max_depth <= 0
 * select the defaults above. */
void vl_canon_init(vl_canon *c, size_t max_bytes, int max_depth);
/* Forget the contents and the error, keep the buffer for reuse. */
void vl_canon_reset(vl_canon *c);
/* Release the buffer; the writer may be initialised again. */
void vl_canon_free(vl_canon *c);

int vl_canon_nil(vl_canon *c);
int vl_canon_bool(vl_canon *c, int b);
int vl_canon_number(vl_canon *c, double x);
int vl_canon_string(vl_canon *c, const char *s, size_t n);
/* kind is '[' (array) or '{' (map); opening past max_depth fails with VL_ELIMIT. */
int vl_canon_open(vl_canon *c, int kind);
int vl_canon_close(vl_canon *c, int kind);

/* A map key, filled by whoever walks the source table. `ref` is opaque to the
 * kernel (the binding stores where the value lives). `str` is borrowed. */
enum { VL_KEY_BOOL = 1, VL_KEY_NUMBER = 2, VL_KEY_STRING = 3 };
typedef struct vl_canon_key {
  int type;
  int boolean;
  double num;
  const char *str;
  size_t len;
  int ref;
} vl_canon_key;

/* Total order described in the design note; <0, 0, >0. */
int vl_canon_key_cmp(const vl_canon_key *a, const vl_canon_key *b);
/* Sort keys in place with that order (allocation-free; not stable, which does not
 * matter: the keys of one table are distinct, so no two compare equal). */
void vl_canon_sort_keys(vl_canon_key *keys, size_t n);
/* 1 when the sorted keys are exactly the numbers 1..n (the table is an array). */
int vl_canon_keys_are_array(const vl_canon_key *sorted, size_t n);
/* Write a key in canonical form (same encoding as a value). */
int vl_canon_write_key(vl_canon *c, const vl_canon_key *k);

/* ---- hashing ----------------------------------------------------------------- */

uint64_t vl_sig_hash64(const void *p, size_t n);
/* XXH3-128 of p[0..n) as two halves. */
void vl_sig_hash128(const void *p, size_t n, uint64_t *hi, uint64_t *lo);
/* 16 lowercase hex digits, no terminator. */
void vl_sig_hex64(uint64_t h, char out[16]);
/* Parse exactly 16 hex digits (either case); VL_OK or VL_EPARSE. */
int vl_sig_parse_hex64(const char *s, size_t n, uint64_t *out);
/* The xxHash library version as "major.minor.release" (static storage). */
const char *vl_sig_xxhash_version(void);

/* ---- loop detector ------------------------------------------------------------- */

#define VL_LOOP_MAX_WINDOW 4096

typedef struct vl_loop vl_loop;

typedef struct vl_loop_report {
  uint64_t sig;    /* the signature just pushed */
  size_t cycle;    /* cycle length L, 1..window/2 */
  size_t count;    /* consecutive repetitions of the cycle ending at this push */
} vl_loop_report;

/* window in 2..VL_LOOP_MAX_WINDOW, threshold >= 2, else VL_EINVAL. *out is owned by
 * the caller and released with vl_loop_free(). */
int vl_loop_new(size_t window, size_t threshold, vl_loop **out);
void vl_loop_free(vl_loop *d);
void vl_loop_reset(vl_loop *d);
/* Record sig; returns 1 and fills *rep when a cycle reached the threshold, else 0. */
int vl_loop_push(vl_loop *d, uint64_t sig, vl_loop_report *rep);
/* Copy the newest `cycle` signatures, oldest first, into out[0..cycle). Returns the
 * number copied (0 if cycle exceeds what the ring holds). */
size_t vl_loop_last(const vl_loop *d, size_t cycle, uint64_t *out);
size_t vl_loop_window(const vl_loop *d);
size_t vl_loop_threshold(const vl_loop *d);
/* Signatures seen since creation or the last reset (not capped by the window). */
uint64_t vl_loop_pushed(const vl_loop *d);

#ifdef __cplusplus
}
#endif
#endif
