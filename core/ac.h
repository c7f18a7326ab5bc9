/*
 * ac.h: Aho-Corasick multi-pattern matching over byte strings, compiled to a
 * dense DFA; the core of the stream filter, victor.patterns and the classifier.
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
 * When there are at most VL_AC_SKIP_MAX such bytes (the tag sets of the stream
 * filter all start with '<'; a handful of keywords), the scanner jumps to the
 * next occurrence of any of them: memchr for one byte, else an SSE2 (SIMDe)
 * compare of 16 bytes at a time against each byte.
 *
 * Prefix filter. With more root bytes (a large keyword set) and every pattern
 * at least 2 bytes long, the build hashes the first fm = min(shortest pattern,
 * 4) bytes of every pattern (ASCII bytes OR 0x20 when case-insensitive, a
 * superset of the folding) into a bitmap of 4K-256K bits (32 per pattern, about
 * 1-2% false positives per probe). A vl_ac_stream whose automaton is shallower
 * than fm bytes (d < fm bytes of the input can still grow into a pattern) asks
 * the bitmap for the first position at or after the start of those d bytes
 * whose fm-byte hash is set, and jumps there from the root: exact, because every
 * occurrence starts at such a position and none ends within fm bytes. Non-match
 * states are numbered breadth first, so "shallower than fm" is one comparison;
 * a position the filter already passed is not asked again. vl_ac_scan_next uses
 * the same filter at the root.
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
 *
 * Match kinds and word boundaries (vl_ac_stream). The same automaton serves
 * three kinds, chosen per stream, defined over the set of occurrences (every
 * (pattern, start, end) where the pattern's bytes are the input's, after ASCII
 * folding when the automaton is case-insensitive):
 *   - VL_AC_STANDARD: every occurrence (overlapping), ordered as vl_ac_scan_all.
 *   - VL_AC_LEFTMOST_FIRST: non-overlapping; repeatedly the occurrence with the
 *     smallest start, among those the lowest pattern id (what the alternation
 *     p0|p1|... of a backtracking regex reports), then the search resumes at its
 *     end (the Rust aho-corasick crate's LeftmostFirst).
 *   - VL_AC_LEFTMOST_LONGEST: the same with the longest pattern at the smallest
 *     start (ties: lower id) (LeftmostLongest).
 * With word boundaries, an occurrence counts only when the byte before its start
 * and the byte after its end are not word bytes ([A-Za-z0-9_]; the input's ends
 * count as non-word), and the kinds choose among the occurrences that count.
 * Leftmost kinds are decided from the occurrences found so far: the leftmost
 * candidate (start s) is final once no occurrence that ends later can start at
 * or before s, i.e. once offset - d > s, where d is the length of the longest
 * suffix of the input that can still grow into a pattern (a trie state with a
 * child on the failure chain of the current state); so a stream reports a
 * match as soon as the input decides it and holds back nothing else (a match is
 * reported late by at most the longest pattern's length, plus one byte with word
 * boundaries, which need the byte after the end). The candidates in flight are
 * kept one per start offset in a ring of max_len + 2 slots; with word
 * boundaries the stream also keeps the last max_len + 1 input bytes (for the
 * byte before a start that lies in an earlier chunk). Every chunking of an
 * input gives the same matches, with the same absolute offsets.
 *
 * Anchored words. With word boundaries, a counting occurrence starts where the
 * byte before is not a word byte, so the leftmost kinds can also be found
 * without the DFA's run over every byte: from each such position whose byte
 * leaves the root (found 16 bytes at a time), walk the trie (a DFA step that
 * goes exactly one level deeper is a trie edge), keep the longest (or the
 * lowest-id) pattern that ends at a word boundary, report it and go on at its
 * end, else at the next position (vl_ac_find_words). Few positions start a word
 * and most walks end within it, so this does a fraction of the table lookups.
 * With opts.word_index the build also hashes every pattern's head (its leading
 * run of word bytes, folded): a head that is the whole pattern maps to its
 * lowest id, a head followed by more bytes is marked. Then a word of the input
 * is one hash probe: a whole-word pattern is the only occurrence that can start
 * there unless the word is a marked head (walk the trie), and nothing starts
 * inside a word. Positions before a non-word byte are walked only when some
 * pattern starts with one.
 *
 * vl_ac_depth(state) is the length of the longest suffix of the input scanned
 * since the last reset that is a prefix of some pattern: the bytes a streaming
 * caller must hold back because a match may still start there. Outside a match
 * state it is below the longest pattern's length.
 *
 * Complexity: build O(S * C) time and memory (S states <= total pattern bytes + 1,
 * C classes <= 257), 4 bytes per table entry; scan O(n), one lookup per byte,
 * plus O(1) per occurrence (standard kind: O(occurrences reported)); leftmost
 * kinds add O(1) amortised per byte while a candidate is in flight.
 * Limits: the build fails with VL_ELIMIT when the upper bound of the automaton's
 * memory, (total pattern bytes + 1) * (C * 8 + 36) + 8 * patterns (the build's
 * trie and the final table, the per-state arrays), exceeds
 * `max_bytes` (default VL_AC_DEFAULT_MAX_BYTES), or the total pattern bytes exceed
 * VL_AC_MAX_PATTERN_BYTES. A compiled vl_ac is immutable: share it across threads
 * and streams; a vl_ac_scan is the per-stream state (two integers, no allocation).
 * A vl_ac_stream (kinds and word boundaries) allocates its rings once, at new.
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
  int word_index;        /* also build the word index of vl_ac_find_words */
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

/* ---- match kinds, word boundaries, streaming (see the design note) ---------------- */

#define VL_AC_SKIP_MAX 8

typedef enum vl_ac_kind {
  VL_AC_STANDARD = 0,
  VL_AC_LEFTMOST_FIRST = 1,
  VL_AC_LEFTMOST_LONGEST = 2
} vl_ac_kind;

/* Per-stream matcher over a compiled automaton (which must outlive it). */
typedef struct vl_ac_stream vl_ac_stream;

/* A stream of `kind` (VL_AC_STANDARD...), with word boundaries when
 * word_boundary is nonzero, at offset 0. VL_EINVAL: NULL ac or out, unknown kind;
 * VL_ENOMEM. On failure *out is NULL. */
int vl_ac_stream_new(const vl_ac *ac, int kind, int word_boundary, vl_ac_stream **out);
void vl_ac_stream_free(vl_ac_stream *st);
/* Back to offset 0 with nothing in flight (kind and boundaries kept). */
void vl_ac_stream_reset(vl_ac_stream *st);
/* Feed p[0..n) (the next bytes of the input) and report, through fn, the matches
 * it decides, in order ([start, end) absolute offsets since the reset). A
 * nonzero return of fn stops the call, which returns that value; the stream
 * then refuses feed and finish (VL_EINVAL) until a reset. VL_EINVAL also after
 * finish. Returns 0 (VL_OK) otherwise. */
int vl_ac_stream_feed(vl_ac_stream *st, const void *p, size_t n, vl_ac_match_fn fn, void *ud);
/* End of input: report the matches still in flight. Same returns as feed. */
int vl_ac_stream_finish(vl_ac_stream *st, vl_ac_match_fn fn, void *ud);
/* Bytes fed since the reset. */
uint64_t vl_ac_stream_offset(const vl_ac_stream *st);
/* One-shot: the matches of p[from..n) through a stream (reset first), as if the
 * input were p[from..n) with p[from - 1] as the byte before it (for word
 * boundaries); offsets are into p. Same returns as feed. */
int vl_ac_stream_find(vl_ac_stream *st, const void *p, size_t n, size_t from, vl_ac_match_fn fn, void *ud);

/* Anchored words (design note): the matches of vl_ac_stream_find(st, p, n, from, ...)
 * for a stream of `kind` (VL_AC_LEFTMOST_FIRST or VL_AC_LEFTMOST_LONGEST) with
 * word boundaries, in the same order, found by walking the trie from each
 * position that may start a counting occurrence instead of running the DFA over
 * every byte. No stream and no allocation. Time O(n * max_len) at worst (each
 * walk stops where the input leaves the trie: about the length of a word for
 * keyword sets), so callers with long patterns prefer the stream. Returns 0, the
 * callback's nonzero value (the call stops there), or VL_EINVAL for another kind. */
int vl_ac_find_words(const vl_ac *ac, int kind, const void *p, size_t n, size_t from, vl_ac_match_fn fn,
                     void *ud);

#ifdef __cplusplus
}
#endif
#endif
