/*
 * dedup.h: content deduplication: normalised blocks hashed with XXH3, duplicate
 * detection, one-shot dedup of blocks and of lines, and a one-pass normaliser.
 *
 * Design note
 * -----------
 * LLM output and tool results repeat themselves. This kernel splits text into
 * blocks, normalises each one, and drops every block whose normalised form was
 * already seen (the first occurrence is kept, byte for byte). It replaces Victor's
 * dedup.rs, which hangs on an unclosed ``` fence and is quadratic without fences.
 *
 * normalize_block (Victor's semantics, vl_dedup_normalize_block): trim Unicode
 * White_Space at both ends, replace every run of White_Space by one ASCII space,
 * lowercase A-Z only, then strip a trailing run of the bytes . , ; : (applied after
 * the collapse, so "abc ." gives "abc "). White_Space = U+0009..U+000D, U+0020,
 * U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000,
 * recognised only as well-formed UTF-8. Every other byte, invalid UTF-8 included,
 * is copied unchanged. The output is never longer than the input.
 *
 * Normaliser (vl_norm_apply): one left-to-right traversal that tries these rules
 * at every byte position, in this order; a position that starts none of them is
 * copied as is (so invalid UTF-8 passes through byte for byte). Each rule matches
 * the input as given: removing one thing never creates another (a "\r", a removed
 * sequence, then "\n" is not a CRLF).
 *   ansi        CSI: ESC '[' then bytes 0x20..0x3F, then one final byte 0x40..0x7E,
 *               all removed; a CSI cut short (another byte, or the end) is removed
 *               up to where it stopped. OSC: ESC ']' up to and including BEL or
 *               ST (ESC '\'), removed; it also ends, the terminator not consumed,
 *               before an ESC not followed by '\', before any other byte < 0x20,
 *               or at the end of the input. Other ESC bytes are data. The 8-bit
 *               C1 forms (0x9B, 0x9D) are not recognised: they are UTF-8 bytes.
 *   zero_width  U+200B, U+200C, U+200D, U+2060, U+FEFF (BOM) removed anywhere.
 *   crlf        "\r\n" becomes "\n". A lone "\r" is data (and horizontal space).
 *   Lines end at "\n" only. Horizontal space H = White_Space minus "\n" (so "\r",
 *   "\v", "\f", NEL, NBSP, LS, PS count as spaces).
 *   collapse_ws a maximal run of H (removed sequences inside it are invisible)
 *               becomes one ' '.
 *   trim_lines  a run of H right before "\n" or the end of the input is deleted.
 *   lower       "ascii": A-Z become a-z. "unicode": A-Z, and each well-formed
 *               2-byte code point (U+0080..U+07FF) becomes its simple lowercase
 *               mapping (UnicodeData.txt, Unicode 14: Latin-1, Latin Extended-A/B,
 *               Greek and Coptic, Cyrillic, Armenian) when that mapping is also
 *               below U+0800; U+0130 becomes 'i' (its simple mapping). Left out:
 *               U+023A, U+023E (their lowercase needs 3 bytes) and every code
 *               point of 3 or 4 bytes (those pass unchanged).
 * Steps are opt-in flags. The output is never longer than the input.
 *
 * Blocks (vl_dedup_scan). Lines end with "\n" (the last line may lack it). A line
 * is blank when it holds only the bytes " \t\r\v\f". A fence opens on a line with
 * at most 3 leading spaces then a run of >= 3 '`' or '~' and an info string (for
 * '`', an info string containing '`' makes the line ordinary text, as in
 * CommonMark); it closes on a line with at most 3 leading spaces, a run of the same
 * character at least as long, then only " \t\r". A fenced block runs from its
 * opening line to its closing line, or to the end of the input when unclosed; it
 * is one block, never merged with text before or after it, whatever blank lines
 * it contains. Indented by 4+ spaces, a fence marker is ordinary text. Every other
 * block is a maximal run of non-blank lines outside fences. Blank lines between
 * blocks are separators.
 *
 * A block spans [start, stop): its first byte to the end of its last line, the
 * final "\n" or "\r\n" excluded; `end` includes that terminator. Its key is
 * normalize_block of [start, stop); its id is XXH3-64 (seed 0) of the key (Victor's
 * block hash is the low 48 bits: the last 12 of the 16 hex digits). A block whose
 * key is shorter than min_block_length bytes (Victor's default 50) is never a
 * duplicate and never enters the set. Otherwise it is a duplicate when an earlier
 * block had the same key: keys are compared byte for byte (an open-addressing set
 * of ids; on equal ids the blocks are compared, raw bytes first, then their keys
 * normalised again piece by piece), so a 64-bit collision cannot drop text. Keys
 * are never stored whole: a block is normalised in pieces of 16 KiB into scratch
 * and hashed (XXH3 streaming when it takes more than one piece).
 *
 * Near duplicates (vl_dedup_scan_near, opt-in threshold T in 0..64). SimHash of a
 * key: its words are the maximal runs of bytes other than ' ' (a normalised key
 * has no other White_Space). Features: with 3 words or more, every word 3-shingle,
 * the key bytes from the first byte of word k to the last of word k+2 (so "a b c");
 * with 1 or 2 words, each word; a key without words has no simhash. Each feature
 * is hashed with XXH3-64 (seed 0); bit i of the simhash is 1 when more features
 * have bit i set than clear (ties: 0). Pass two, after the exact pass (which is
 * unchanged, so near mode only adds matches): in block order, a block that is not
 * an exact duplicate, whose key is at least min_block_length bytes long and has a
 * simhash, is a near duplicate of the lowest-index candidate j with
 * popcount(sh ^ sh_j) <= T; otherwise it is kept and indexed. Candidates: for
 * T < 64, the simhash is cut into B = T + 1 bands, band k = bits
 * [floor(64k/B), floor(64(k+1)/B)); the kept blocks are indexed by (band, value),
 * and a block's candidates are the blocks in the buckets of its B band values (by
 * pigeonhole a kept block within distance T shares at least one band value). A
 * bucket holds the first VL_DEDUP_NEAR_BUCKET (64) kept blocks with that value;
 * later ones are not indexed under it (so at most 64 B distance checks per block:
 * linear time; the cost is recall on inputs with over 64 near-identical blocks
 * per band value). T = 64: every pair qualifies, the candidate is the first kept
 * block with a simhash. Exact duplicates still point at the first block with the
 * same key, even when that block was itself removed as a near duplicate. Memory of
 * near mode: 8 + 1 bytes per block plus about 16 + 2*40 bytes per band per block
 * that may be indexed.
 *
 * Rendering (vl_dedup_render): leading blank lines, kept blocks and their bytes
 * are copied unchanged. Between two consecutive kept blocks, of the separators
 * between them in the input, the last non-empty one is written (the one after a
 * removed block wins, so a removed block takes the blank lines before it). When
 * all are empty (only a fence can touch its neighbours) and both kept blocks are
 * paragraphs, one "\n" is written so that they stay two blocks. After the last
 * kept block, the input's trailing blank lines are written. So dedup is idempotent
 * and its output's blocks are exactly the kept blocks.
 *
 * Lines (vl_dedup_lines): awk '!seen[$0]++' with a chosen delimiter byte: a final
 * line without delimiter counts as a line; every kept line is written followed by
 * the delimiter (as awk writes ORS). Lines are compared byte for byte.
 *
 * Streaming (vl_dedup_stream_*), xxHash's life cycle: new, reset(opts), feed any
 * number of chunks, finish, free (reset makes a finished stream reusable). All
 * offsets inside are absolute (bytes fed so far). The input is cut into lines at
 * "\n" (lines mode: at the delimiter); a line is classified only once it is
 * complete, so a chunk boundary inside a fence marker, a CRLF, a UTF-8 sequence or
 * a blank-line run changes nothing. A block is decided (hashed, looked up, written
 * or dropped) when it is complete: a paragraph when the next blank line or fence
 * opener is complete (or at finish), a fence at its closing line (or at finish).
 * Held back: the open block, the blank-line run after the last block, the one
 * separator the rendering rule may still write (the last non-empty run seen since
 * the last kept block), and the incomplete last line. The "\n" written between
 * two paragraphs that touched a removed fence is decided with the later block, and
 * the trailing blank lines are written by finish. So the concatenated output of
 * every feed and finish equals vl_dedup_render (vl_dedup_lines in lines mode) of
 * the whole input, for every chunking.
 * Memory: the held bytes above plus the set of seen keys (kept whole: the input
 * they came from is gone). The set holds at most max_entries keys (default
 * VL_DEDUP_STREAM_DEFAULT_MAX_ENTRIES) of at most max_key_bytes bytes in all
 * (default VL_DEDUP_STREAM_DEFAULT_MAX_KEY_BYTES, 64 MiB; a single longer key is
 * still kept, alone); eviction policy: when a new key arrives at a set that holds
 * max_entries keys, or whose keys and the new one would pass max_key_bytes, the
 * whole set is cleared (one generation dropped, counted in `evictions`) and the
 * new key starts the next generation. So past a cap a block (line) seen before the
 * clear is written again (never one dropped wrongly); while neither cap was
 * reached, output equals the one-shot call. Memory is thus at most the open block,
 * its key, the caps and 48 bytes per set slot, whatever the input's length.
 *
 * Complexity: O(n) time and memory for every function (one pass, expected O(1)
 * set operations). Memory: 32 KiB (+32 bytes) of scratch, 64 bytes per block and 16
 * per set slot (2 slots per block, rounded up to a power of two); lines: 16 bytes
 * per distinct line (24 with counts) and 8 per slot, the set starting at 2 slots per
 * 64 input bytes and doubling when half full (at most 2^31 distinct lines: VL_ELIMIT
 * beyond). Worst case ("x\n\n" repeated: a block per 3 bytes) is about 32 bytes
 * per input byte. Limits: the Lua layer refuses inputs over max_bytes
 * (default 256 MiB, ELIMIT).
 * Nothing here raises, prints or exits; allocation failure is VL_ENOMEM.
 */
#ifndef VL_DEDUP_H
#define VL_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "vl_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VL_DEDUP_DEFAULT_MIN_BLOCK 50
#define VL_DEDUP_DEFAULT_MAX_BYTES ((size_t)256 << 20)
#define VL_DEDUP_NONE ((size_t)-1)

/* Victor's normalize_block of s[0..n) into out (room for n bytes); returns the
 * output length. */
size_t vl_dedup_normalize_block(const char *s, size_t n, char *out);

enum {
  VL_NORM_CRLF = 1,
  VL_NORM_ANSI = 2,
  VL_NORM_ZERO_WIDTH = 4,
  VL_NORM_COLLAPSE_WS = 8,
  VL_NORM_TRIM_LINES = 16,
  VL_NORM_LOWER_ASCII = 32,
  VL_NORM_LOWER_UNICODE = 64  /* A-Z and the simple mappings of the design note */
};

/* The normaliser with `flags` (VL_NORM_*) over s[0..n) into out (room for n
 * bytes); returns the output length. */
size_t vl_norm_apply(unsigned flags, const char *s, size_t n, char *out);

typedef struct vl_dedup_block {
  size_t start, stop, end; /* 0-based byte offsets, see the design note */
  size_t line;             /* 1-based number of the first line */
  size_t key_len;          /* bytes of the normalised key */
  uint64_t id;             /* XXH3-64 of the key */
  size_t first;            /* index of the earlier block it repeats, or VL_DEDUP_NONE */
  int fence;               /* 1 for a fenced code block */
} vl_dedup_block;

#define VL_DEDUP_NEAR_NONE 255   /* near_dist of a block that is no near hit */
#define VL_DEDUP_NEAR_BUCKET 64  /* blocks kept per (band, value) bucket */

/* Result of a scan; zero-initialise, then vl_dedup_scan; vl_dedup_free releases.
 * A vl_dedup may be scanned again: each scan replaces the result and reuses the
 * block array and the repeat set of the last one (grown when too small), so a
 * caller that keeps one for repeated calls pays no fresh-memory page faults. */
typedef struct vl_dedup {
  vl_dedup_block *blocks;
  size_t nblocks, capblocks;
  size_t removed;   /* blocks with first != VL_DEDUP_NONE (exact and near) */
  unsigned char *near_dist;  /* near mode only (else NULL): per block, the Hamming
                                distance of a near hit, or VL_DEDUP_NEAR_NONE */
  size_t near_removed;       /* near mode: of `removed`, the near hits */
  struct vl_dedup_slot *set; /* private: the repeat set's slots, kept for the next scan */
  size_t setcap;
  uint32_t setgen;
} vl_dedup;

/* The normaliser's vector path: AVX2 (core/dedup_avx2.c) where the CPU has AVX2 and
 * POPCNT, else SSE2 (SIMDe; NEON on arm64); both give the same bytes.
 * vl_dedup_set_avx2(0) keeps it on SSE2 (tests compare the two); (1) returns to
 * AVX2, or VL_EINVAL where the CPU lacks it. Process-wide: set it before other
 * threads use the kernel. vl_dedup_avx2_active says which path runs. */
int vl_dedup_set_avx2(int on);
int vl_dedup_avx2_active(void);

/* Split s[0..n) into blocks, normalise, hash and mark duplicates. */
int vl_dedup_scan(vl_dedup *d, const char *s, size_t n, size_t min_block_length);
/* The same, and with near >= 0 (a Hamming threshold; above 64 counts as 64) also
 * near duplicates (design note); near < 0 is vl_dedup_scan. */
int vl_dedup_scan_near(vl_dedup *d, const char *s, size_t n, size_t min_block_length, int near);
/* SimHash of a normalised key (design note): 1 and *out, or 0 for a key without
 * words (no simhash). */
int vl_dedup_simhash(const char *key, size_t n, uint64_t *out);
void vl_dedup_free(vl_dedup *d);
/* Write the deduplicated text into out (room for n bytes); *out_len its length. */
void vl_dedup_render(const vl_dedup *d, const char *s, size_t n, char *out, size_t *out_len);

/* Line mode: out must have room for n + 1 bytes. When counts is not NULL it
 * receives a malloc'ed array of *nkept counts (occurrences of each kept line, in
 * output order), freed by the caller. *nlines is the number of input lines. */
int vl_dedup_lines(const char *s, size_t n, unsigned char delim, char *out, size_t *out_len,
                   size_t *nlines, size_t *nkept, size_t **counts);

/* ---- streaming (see the design note) ---- */
#define VL_DEDUP_STREAM_DEFAULT_MAX_ENTRIES ((size_t)1000000)
#define VL_DEDUP_STREAM_DEFAULT_MAX_KEY_BYTES ((size_t)64 << 20)

typedef struct vl_dedup_stream vl_dedup_stream;

typedef struct vl_dedup_stream_opts {
  int lines;                 /* 0: blocks, 1: lines */
  unsigned char delimiter;   /* lines mode */
  size_t min_block_length;   /* blocks mode */
  size_t max_entries;        /* cap of the key set; 0: the default */
  size_t max_key_bytes;      /* cap of the bytes of its keys; 0: the default */
} vl_dedup_stream_opts;

typedef struct vl_dedup_stream_stats {
  size_t bytes_in, bytes_out;
  size_t units;      /* blocks (blocks mode) or lines (lines mode) decided so far */
  size_t removed;    /* of those, dropped as repeats */
  size_t entries;    /* keys in the set now */
  size_t evictions;  /* times the full set was cleared */
  size_t held;       /* input bytes held back now */
} vl_dedup_stream_info;

/* A new stream in blocks mode with the defaults, or NULL (out of memory). */
vl_dedup_stream *vl_dedup_stream_new(void);
/* Start over with opts (NULL: defaults); forgets the input, the set and errors.
 * VL_EINVAL for a delimiter other than "\n" or NUL in lines mode. */
int vl_dedup_stream_reset(vl_dedup_stream *st, const vl_dedup_stream_opts *opts);
/* Feed p[0..n); *out, *out_len: the text that can be written now, valid until the
 * next call on st. VL_EINVAL after finish; after VL_ENOMEM the stream is failed
 * and every call returns VL_ENOMEM until reset. */
int vl_dedup_stream_feed(vl_dedup_stream *st, const char *p, size_t n, const char **out, size_t *out_len);
/* End of input: the rest of the output. Afterwards feed and finish give VL_EINVAL. */
int vl_dedup_stream_finish(vl_dedup_stream *st, const char **out, size_t *out_len);
void vl_dedup_stream_stats(const vl_dedup_stream *st, vl_dedup_stream_info *stats);
void vl_dedup_stream_free(vl_dedup_stream *st);

#ifdef __cplusplus
}
#endif
#endif
