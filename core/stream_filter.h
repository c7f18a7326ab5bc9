/*
 * stream_filter.h: the streaming thinking-tag filter: split an LLM's streamed
 * output into content and thinking text, chunk by chunk, over Aho-Corasick
 * automata (ac.h).
 *
 * Design note
 * -----------
 * Configuration (vl_sf_config, compiled once, immutable, shareable): an ordered
 * list of tag pairs (start, end), each a non-empty byte string of at most
 * VL_SF_MAX_TAG_LEN bytes (UTF-8 tags such as DeepSeek's full-width
 * "<｜begin▁of▁thinking｜>" are plain bytes here), and ASCII case-insensitive
 * matching or not. Two start tags may not be equal (after folding): VL_EINVAL.
 * The start tags form one automaton; each pair's end tag its own.
 *
 * State machine. The input is one byte stream; tags are recognised in it in
 * order, non-overlapping, earliest end first:
 *   normal:   the next start tag (of any pair) is the one that ends first; when
 *             several start tags end at the same byte, the longest. The bytes
 *             before it are content; the tag itself is dropped; an `enter`
 *             event is raised and the filter switches to thinking for that pair.
 *   thinking: only the end tag of the pair that opened the block closes it
 *             (paired closing). The bytes before it are thinking text; the tag is
 *             dropped; `leave`; back to normal.
 * Nesting and unbalanced tags: there is no nesting. A start tag inside a block
 * (of the same or another pair) is thinking text, and so is an end tag of
 * another pair. An end tag in normal mode (a stray one) is content, as in
 * Victor. A block left open at the end of the input: its rest is thinking.
 * Tag matching restarts after each tag: a tag's bytes never start another.
 *
 * Streaming contract. Feeding any chunking of an input produces, concatenated,
 * the same content, the same thinking text and the same events as one call
 * with the whole input (the specs split at every byte). Only bytes that may
 * still belong to a tag are held back: the longest suffix of the undecided
 * input that is a proper prefix of a tag of the current mode (so never more than
 * the longest tag - 1 bytes; in normal mode only start-tag prefixes, in thinking
 * mode only the open pair's end-tag prefixes: "a < b" split after '<' holds '<',
 * a stray "</" in normal mode is not held). finish() flushes the held bytes to
 * the current mode's output: content in normal mode (a partial tag at the end of
 * the stream is text, unlike Victor, which loses it), thinking inside an open
 * block (the block is unclosed, so its rest is thinking).
 *
 * Abort. With max_thinking_bytes = M (VL_SF_NO_LIMIT: none), the filter sets its
 * abort flag, once per stream, at the thinking byte that makes the stream's total
 * of thinking bytes (all blocks since the last reset) exceed M, and raises an
 * `abort` event at that byte's offset, in the call that decides that byte (it may
 * have been held for at most the longest tag - 1 bytes); it does not wait for the
 * end tag (Victor's native bug). Filtering goes on; the caller decides to stop.
 *
 * Events carry absolute byte offsets (0-based, end exclusive) into the whole
 * stream since the last reset: enter/leave span their tag, abort spans its byte;
 * within one call they come in offset order.
 *
 * Output buffers. Each call's content and thinking are views valid until the
 * next call on the filter (or its free); a view may point into the chunk passed
 * to that call when it is one contiguous piece of it (no copy), else into the
 * filter's buffers. Memory: the held bytes (< VL_SF_MAX_TAG_LEN) and output
 * buffers as large as the largest chunk fed (plus the held bytes), whatever the
 * stream's length.
 *
 * Complexity: O(n) per call (one DFA step per byte outside the root, memchr for
 * '<' at the root for tag sets whose tags all start with one byte), plus the
 * copies of the output.
 * Nothing here raises, prints or exits; allocation failure is VL_ENOMEM.
 */
#ifndef VL_STREAM_FILTER_H
#define VL_STREAM_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "vl_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VL_SF_MAX_TAG_LEN 256
#define VL_SF_MAX_TAGS 1024
#define VL_SF_NO_LIMIT UINT64_MAX

typedef struct vl_sf_tag {
  const char *start, *end;
  size_t start_len, end_len;
} vl_sf_tag;

typedef struct vl_sf_config vl_sf_config;

/* Compile ntags tag pairs (copied; the caller keeps ownership of tags).
 * VL_EINVAL: ntags == 0, a NULL or empty tag, equal start tags; VL_ELIMIT: a tag
 * over VL_SF_MAX_TAG_LEN bytes or more than VL_SF_MAX_TAGS pairs; VL_ENOMEM.
 * On failure *out is NULL; *bad (when not NULL) is the index of the offending
 * pair (or ntags for a count error). */
int vl_sf_config_new(const vl_sf_tag *tags, size_t ntags, int case_insensitive, vl_sf_config **out,
                     size_t *bad);
void vl_sf_config_free(vl_sf_config *cfg);
/* Length of the longest tag. */
size_t vl_sf_config_max_tag_len(const vl_sf_config *cfg);

enum { VL_SF_ENTER = 1, VL_SF_LEAVE = 2, VL_SF_ABORT = 3 };

typedef struct vl_sf_event {
  int kind;              /* VL_SF_ENTER, VL_SF_LEAVE, VL_SF_ABORT */
  uint32_t tag;          /* pair index (of the block, for abort) */
  uint64_t start, end;   /* [start, end) absolute offsets */
} vl_sf_event;

typedef struct vl_sf_out {
  const char *content, *thinking;   /* views, see the design note */
  size_t content_len, thinking_len;
  const vl_sf_event *events;
  size_t nevents;
} vl_sf_out;

typedef struct vl_sf_info {
  uint64_t bytes_in, content_bytes, thinking_bytes;
  uint64_t blocks;       /* enter events so far */
  uint64_t abort_at;     /* offset of the abort byte, or VL_SF_NO_LIMIT */
  size_t held;           /* bytes held back now */
  int thinking;          /* 1 inside a block */
  uint32_t tag;          /* the open block's pair (when thinking) */
  int aborted, finished;
} vl_sf_info;

typedef struct vl_sf vl_sf;

/* A filter over cfg (which must outlive it), or NULL (out of memory). */
vl_sf *vl_sf_new(const vl_sf_config *cfg, uint64_t max_thinking_bytes);
/* Start over: forget the input, the state, the counters and the abort flag. */
void vl_sf_reset(vl_sf *f);
/* Feed p[0..n) (p may be NULL when n == 0); with last != 0 this is also the end of
 * the input (as vl_sf_finish, in the same output). VL_EINVAL after the end; after
 * VL_ENOMEM the filter is failed and returns VL_ENOMEM until reset. */
int vl_sf_feed(vl_sf *f, const void *p, size_t n, int last, vl_sf_out *out);
/* End of input: flush the held bytes (design note). Same as vl_sf_feed(f, NULL, 0, 1, out). */
int vl_sf_finish(vl_sf *f, vl_sf_out *out);
void vl_sf_stats(const vl_sf *f, vl_sf_info *info);
void vl_sf_free(vl_sf *f);

/* Whole input: content and thinking of p[0..n) into the caller's buffers (room
 * for n bytes each). */
int vl_sf_strip(const vl_sf_config *cfg, const void *p, size_t n, char *content, size_t *content_len,
                char *thinking, size_t *thinking_len);

#ifdef __cplusplus
}
#endif
#endif
