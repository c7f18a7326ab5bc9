/*
 * ac.h: Aho-Corasick multi-pattern matching over byte strings, compiled to a
 * dense DFA; a reusable core module (the stream filter today, the pattern engine
 * later).
 *
 * Design note
 * -----------
 * Build. The patterns (ids = their index, 0..npatterns-1; any bytes, NUL
 * included; none empty) go into a trie, then breadth-first failure links turn
 * it into a full DFA: for every state and every byte class the next state is
 * precomputed, so the scan loop is one table lookup per input byte and never
 * follows a failure link. With `case_insensitive`, ASCII A-Z and a-z are the
 * same byte in patterns and input (no other folding: UTF-8 is matched byte for
 * byte).
 *
 * Byte classes (alphabet compression): every byte that occurs in some pattern
 * (after folding) gets its own class, and all other bytes share class 0, so a
 * row of the table has (distinct pattern bytes + 1) entries instead of 256. The
 * table holds premultiplied state offsets (state * classes), so a step is
 * `s = trans[s + cls[byte]]`.
 *
 * States are renumbered so that the root is 0 and every state at which a
 * pattern ends (a "match state") comes after every other state: "is this a
 * match" is one comparison with a threshold.
 *
 * Root skip. While the automaton is at the root, the only bytes that leave it
 * are the first bytes of the patterns (both cases with `case_insensitive`).
 * When there is exactly one such byte (the tag sets of the stream filter all
 * start with '<'), the scanner jumps to its next occurrence with memchr.
 *
 * Match semantics. A match is a (pattern, end) pair: the pattern's bytes end at
 * absolute offset `end` (exclusive) of the input fed so far. Two ways to read
 * them, both streaming (the caller keeps a vl_ac_scan: the DFA state and the
 * absolute offset, so a match split across chunks is found):
 *   - standard: vl_ac_scan_all reports every match, in order of end offset, and
 *     at one end offset longest pattern first (ties: lower id first); overlapping
 *     matches are all reported.
 *   - earliest end: vl_ac_scan_next stops right after the first byte at which some
 *     pattern ends; vl_ac_longest names the longest pattern ending there (the
 *     leftmost start at that end) and vl_ac_outputs all of them. The caller may
 *     continue from there (standard semantics) or reset the scan to the root after
 *     consuming the match (non-overlapping earliest-end, what the stream filter
 *     does).
 * Leftmost-first and leftmost-longest (which need lookahead past the first match
 * end) are not provided yet.
 *
 * vl_ac_depth(state) is the length of the longest suffix of the input scanned
 * since the last reset that is a prefix of some pattern: the bytes a streaming
 * caller must hold back because a match may still start there. Outside a match
 * state it is below the longest pattern's length.
 *
 * Complexity: build O(S * C) time and memory (S states <= total pattern bytes + 1,
 * C classes <= 257), 4 bytes per table entry; scan O(n), one lookup per byte.
 * Limits: the build fails with VL_ELIMIT when the upper bound of the automaton's
 * memory, (total pattern bytes + 1) * C * 4 plus the per-state arrays, exceeds
 * `max_bytes` (default VL_AC_DEFAULT_MAX_BYTES), or the total pattern bytes exceed
 * VL_AC_MAX_PATTERN_BYTES. A compiled vl_ac is immutable: share it across threads
 * and streams; a vl_ac_scan is the per-stream state (two integers, no allocation).
 * Nothing here raises, prints or exits; allocation failure is VL_ENOMEM.
 */
#ifndef VL_AC_H
#define VL_AC_H

#include <stddef.h>
#include <stdint.h>

#include "vl_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VL_AC_DEFAULT_MAX_BYTES ((size_t)64 << 20)
#define VL_AC_MAX_PATTERN_BYTES ((size_t)1 << 24)

typedef struct vl_ac vl_ac;

typedef struct vl_ac_opts {
  int case_insensitive;  /* ASCII A-Z == a-z */
  size_t max_bytes;      /* cap on the automaton's memory; 0: VL_AC_DEFAULT_MAX_BYTES */
} vl_ac_opts;

/* Compile pats[i][0..lens[i]) for i < npats into *out (caller frees with
 * vl_ac_free). opts may be NULL (defaults). VL_EINVAL: npats == 0, a NULL
 * pattern or an empty one; VL_ELIMIT: over the limits of the design note;
 * VL_ENOMEM. On failure *out is NULL. */
int vl_ac_build(const char *const *pats, const size_t *lens, size_t npats, const vl_ac_opts *opts,
                vl_ac **out);
void vl_ac_free(vl_ac *ac);

size_t vl_ac_npatterns(const vl_ac *ac);
size_t vl_ac_nstates(const vl_ac *ac);
size_t vl_ac_nclasses(const vl_ac *ac);
/* Length of the longest pattern. */
size_t vl_ac_max_len(const vl_ac *ac);
/* Length of pattern `id` (id < npatterns). */
size_t vl_ac_pattern_len(const vl_ac *ac, uint32_t id);
/* Bytes of the automaton (tables and arrays). */
size_t vl_ac_memory(const vl_ac *ac);
/* The only byte that leaves the root (see "Root skip"), or -1 when there are
 * several: a chunk without it cannot start a match from the root. */
int vl_ac_skip_byte(const vl_ac *ac);

/* Per-stream scan state, owned by the caller: `state` is a premultiplied DFA
 * state (0 is the root), `offset` the number of bytes scanned since the last
 * init. Plain data: copy it to save and restore a position. */
typedef struct vl_ac_scan {
  uint32_t state;
  uint64_t offset;
} vl_ac_scan;

/* Start at the root, offset 0. */
void vl_ac_scan_init(vl_ac_scan *sc);
/* Earliest end: scan p[0..n) from sc and stop right after the first byte at
 * which a pattern ends. Returns the bytes consumed (sc->offset grows by as many);
 * *matched is 1 when the scan stopped at a match (sc->state is then a match
 * state), else 0 (the whole chunk was consumed). A scan that starts at a match
 * state steps past it first. */
size_t vl_ac_scan_next(const vl_ac *ac, vl_ac_scan *sc, const void *p, size_t n, int *matched);

/* Nonzero when a pattern ends at `state`. */
int vl_ac_is_match(const vl_ac *ac, uint32_t state);
/* See the design note. */
size_t vl_ac_depth(const vl_ac *ac, uint32_t state);
/* The longest pattern ending at a match state (lowest id among equal ones);
 * UINT32_MAX at other states. */
uint32_t vl_ac_longest(const vl_ac *ac, uint32_t state);
/* All patterns ending at `state` (longest first, then by id): *ids points into
 * the automaton (valid while it lives); returns their number (0 at non-match
 * states). */
size_t vl_ac_outputs(const vl_ac *ac, uint32_t state, const uint32_t **ids);

/* A match of vl_ac_scan_all: pattern `id` occupies [start, end) in absolute
 * offsets. Return nonzero to stop the scan. */
typedef int (*vl_ac_match_fn)(void *ud, uint32_t id, uint64_t start, uint64_t end);
/* Standard semantics (design note) over p[0..n) from sc: every match, in order.
 * Returns 0 after the whole chunk, or the callback's nonzero value when it
 * stopped the scan (sc is then just past the byte where that match ends; the
 * remaining outputs at that byte are not reported again). */
int vl_ac_scan_all(const vl_ac *ac, vl_ac_scan *sc, const void *p, size_t n, vl_ac_match_fn fn, void *ud);

#ifdef __cplusplus
}
#endif
#endif
