/*
 * json_repair.h: repair of almost-JSON (LLM tool calls and answers) into valid
 * JSON, a strict validator used as the fast path, and extraction of every JSON
 * value embedded in prose.
 *
 * Design note
 * -----------
 * One left-to-right pass of a state machine with an explicit frame stack (one byte
 * per open object, array or call; no recursion, no backtracking), so time is linear
 * in the input and memory is the output plus the stack. Every step first looks
 * ahead (at most 12 bytes, or to the end of the current word or number) and only
 * then writes, so a step that runs out of input can simply stop and be redone when
 * more input arrives: streaming is the same machine fed in pieces, and its output
 * is, for every chunking, the one-shot output. Output always is RFC 8259 JSON
 * (UTF-8, no lone surrogate escapes), or an error.
 *
 * Fast path (vl_jr_repair): input that vl_json_valid accepts is returned unchanged
 * (byte for byte) unless `compact` is set, or `ensure_ascii` is set and the input
 * holds a non-ASCII byte; the machine gives the same output on such input. Two
 * shortcuts (keep mode, no ensure_ascii) rest on the same fact, that the
 * machine copies strict JSON byte for byte: when validation fails, the machine
 * starts after the longest valid prefix that ends at a value or an opening bracket,
 * with the state it would have reached there; and whenever the machine is inside an
 * object or array with nothing pending, a "fast lane" scans strict JSON as the
 * validator does (keeping the frame stack) up to the next damage and copies it. The
 * lane also makes the commonest repairs itself, as local edits of that copy that give
 * the machine's bytes: plain single-quoted strings, unquoted keys, literals such as
 * True and None, comments, trailing commas. So damage costs machine time only around
 * itself, and the common kinds not even that. The first is one-shot only; streams
 * take the fast lane too, never past a token that the next chunk may continue. The
 * pure-Lua fallback has neither, and gives the same outputs (specs, fuzzer).
 *
 * Repairs (the spec's conformance table, one group per repair, is the reference):
 *   around the value  Before the value, leading whitespace is kept; a line starting
 *                   with ``` (a fence) and comments are skipped; a value starting
 *                   with { [ or a quote starts there. Anything else is prose: the
 *                   value is the first { or [ after it. With no { or [ at all, the
 *                   first non-space byte must start a number, a literal or a call
 *                   (below), else the error "no JSON value found". After the value,
 *                   whitespace up to the end is kept; anything else ends the output
 *                   (that rest, whitespace included, is dropped).
 *   quotes          Strings open with " ' ` or a typographic quote (U+201C/D,
 *                   U+2018/9) and close with the same kind (“ and ” are one kind, ‘
 *                   and ’ another). A ' or ’ directly followed by an ASCII letter or
 *                   digit is an apostrophe (content), not a closer. " inside another
 *                   kind is escaped.
 *   escapes         Valid escapes are copied; \' and \` become the character; \uXXXX
 *                   is copied, a lone surrogate escape becomes \ufffd; any other
 *                   backslash (\x, \u12G) is a literal backslash (\\). An escape cut
 *                   off by the end of the input is dropped.
 *   control chars   Raw bytes < 0x20 in strings are escaped (\n \t \r \b \f or
 *                   \u00XX). Invalid UTF-8 bytes become U+FFFD (one per byte).
 *   unquoted        A key that does not start with a quote runs to whitespace or one
 *                   of : , { } [ ] " ' and is quoted. A value word that is not a
 *                   literal (below) or a call, or a number followed by one of
 *                   letters _ $ . : - +, starts an unquoted string that runs to , } ] )
 *                   or a line end (trailing spaces dropped); a " there followed by
 *                   , } ] ) :, a line end or the end of the input closes it.
 *   literals        Whole words only: True TRUE -> true, False FALSE -> false, None
 *                   NULL undefined NaN Infinity -Infinity -NaN -> null (a literal
 *                   followed by . or - is an unquoted string: NoneType stays a word).
 *   numbers         + sign dropped, leading zeros dropped (007 -> 7), .5 -> 0.5,
 *                   5. -> 5.0, 1e -> 1e0.
 *   commas, colons  Trailing and repeated commas are dropped; a missing comma or
 *                   colon is inserted (= counts as a colon); a key without a value
 *                   gets null; {: 1} gets the key "".
 *   comments        // and # to the end of the line, and block comments (slash-star
 *                   to star-slash, or to the end of the input), are dropped
 *                   wherever a token may start (not inside strings or words).
 *   junk            ; ( = and control bytes between tokens, a : where no colon is
 *                   expected, a lone + - or . (so "..." in arrays) are dropped.
 *   closers         A closer matching an open frame closes every frame above it
 *                   (each completed: null for a missing value); an unmatched one is
 *                   dropped. At the end of the input, strings, objects, arrays and
 *                   calls are closed.
 *   concatenation   "a" + "b" (any quote kinds, comments and whitespace between)
 *                   becomes "ab".
 *   calls           A word directly followed by ( (ObjectId("x"), NumberLong(2),
 *                   JSONP callback({...})) is replaced by its first argument (null
 *                   if none); arguments after the first are parsed in the parent.
 *   whitespace      Kept where it is (special spaces U+00A0, U+2000..U+200A, U+2028,
 *                   U+2029, U+202F, U+205F, U+3000 become one ' ', a BOM is dropped);
 *                   inserted text goes right after the previous token; whitespace
 *                   at the end inside unclosed frames is dropped. `compact` drops
 *                   all whitespace between tokens.
 *   ndjson          With `ndjson`, the input is the inside of an array: every value
 *                   becomes an element of one array (commas inserted, whitespace
 *                   between top-level values dropped; no prose skipping).
 *   ensure_ascii    Non-ASCII code points in strings become \uXXXX (surrogate pairs
 *                   above U+FFFF), lowercase hex.
 *
 * Victor's json_repair.rs bugs fixed: an escape in a single-quoted string no longer
 * switches to double-quote mode; literals respect word boundaries (NoneType,
 * isTrue); trailing commas, unquoted keys and truncation are repaired; the output
 * is always valid or an error (Victor returns invalid text unchanged).
 *
 * Limits and errors: max_depth (frames: objects, arrays and calls) is checked when
 * a frame opens (VL_ELIMIT, position of the opener); max_input is checked as input
 * arrives (VL_ELIMIT); VL_EPARSE "no JSON value found". errpos is a 0-based byte
 * offset into the whole input. Allocation failure is VL_ENOMEM.
 *
 * Streaming: new, reset(opts), feed any number of chunks, finish, free. After each
 * call, vl_jr_output() holds the output produced by that call: the prefix of the
 * final output that no later input can change (a value is written once it is
 * decided; a comma once the next element arrives). Held back: an unfinished word or
 * number, up to 12 bytes of an escape or UTF-8 sequence, pending whitespace and a
 * comma or closing quote that may still be dropped, and, before the first { or [,
 * the prose from its first non-space byte. A word or number split across feeds is
 * rescanned from its start (its cost is its length per feed); everything else is
 * scanned once.
 */
#ifndef VL_JSON_REPAIR_H
#define VL_JSON_REPAIR_H

#include <stddef.h>

#include "vl_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VL_JR_DEFAULT_MAX_DEPTH 512

typedef struct vl_jr_opts {
  size_t max_depth;  /* most open frames (objects, arrays, calls); default 512 */
  size_t max_input;  /* most input bytes; default (size_t)-1 */
  int ensure_ascii;  /* escape non-ASCII code points in strings */
  int compact;       /* drop whitespace between tokens */
  int ndjson;        /* the input is a sequence of values: output one array */
} vl_jr_opts;

/* Defaults: max_depth 512, no input limit, flags off. */
void vl_jr_opts_init(vl_jr_opts *o);

/* 1 when s[0..n) is one JSON text per RFC 8259 (whitespace around it allowed),
 * well-formed UTF-8 everywhere, every \u surrogate escape paired, and at most
 * max_depth objects/arrays deep; else 0. *ascii (optional) is set to 1 when every
 * byte is < 0x80. Linear time, no allocation for depths up to 4096; beyond that it
 * allocates max_depth/8 bytes and returns 0 if that fails. */
int vl_json_valid(const char *s, size_t n, size_t max_depth, int *ascii);

typedef struct vl_jr vl_jr;

/* A new repairer (closed until reset), or NULL when out of memory. Owned by the
 * caller: free with vl_jr_free (NULL is ignored). */
vl_jr *vl_jr_new(void);
void vl_jr_free(vl_jr *p);

/* Start a new input with these options (NULL: defaults). Keeps the buffers. */
int vl_jr_reset(vl_jr *p, const vl_jr_opts *opts);

/* Feed the next chunk (copied). Returns VL_OK or the error (then sticky: every
 * later call returns it). The output produced is in vl_jr_output. */
int vl_jr_feed(vl_jr *p, const char *s, size_t n);
/* End of input: writes the rest of the output. */
int vl_jr_finish(vl_jr *p);

/* The output produced since the last vl_jr_output_clear (owned by p, valid until the
 * next call on p). */
const char *vl_jr_output(const vl_jr *p, size_t *n);
void vl_jr_output_clear(vl_jr *p);
/* 0-based input offset of the last error, and what it is ("nesting deeper than
 * max_depth", "input longer than max_input", "no JSON value found", or
 * vl_strerror of the code; static). */
size_t vl_jr_errpos(const vl_jr *p);
const char *vl_jr_errmsg(const vl_jr *p);

/* One shot: repair s[0..n) with p (reset with opts first). On VL_OK, *unchanged is
 * 1 when the fast path applies (the output is s itself; vl_jr_output is empty),
 * else the output is vl_jr_output(p). */
int vl_jr_repair(vl_jr *p, const vl_jr_opts *opts, const char *s, size_t n, int *unchanged);

/* Extraction: the next JSON object or array in s[from..n): the first { or [ at or
 * after `from` starts it, and it is parsed as repair does (with opts; ndjson is
 * ignored) until it closes or the input ends (then it is closed: *truncated = 1).
 * On VL_OK with *found = 1, the value spans s[*start..*end) and its repaired text is
 * vl_jr_output(p); continue from *end. *found = 0 when no { or [ is left. Linear in
 * total over a loop of calls. */
int vl_jr_extract(vl_jr *p, const vl_jr_opts *opts, const char *s, size_t n, size_t from, int *found,
                  size_t *start, size_t *end, int *truncated);

#ifdef __cplusplus
}
#endif
#endif
