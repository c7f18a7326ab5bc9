/*
 * indexer.h: code indexing with tree-sitter: symbol extraction from one buffer, parallel
 * extraction over a list of files, and the incremental on-disk index.
 *
 * Design note
 * -----------
 * Languages. The tree-sitter 0.25.1 runtime and 13 grammars (npm tarballs pinned in
 * scripts/grammars.lock, fetched at build time) are linked in. Each language has one
 * query, compiled once (vl_indexer_prepare, for the languages in use): the project's own patterns (queries/<lang>.scm)
 * followed by the grammar's tags.scm (TypeScript and TSX: JavaScript's tags first, as the
 * grammar's tree-sitter.json does). The compiled vl_indexer is immutable and shared by
 * every thread; each thread has its own vl_ix_worker (a parser and a query cursor).
 *
 * Symbols. A match yields a symbol when it has an @name capture and a @definition.<k>
 * or @reference.<k> capture (ts_query_cursor_next_match keeps them paired). Capture
 * kinds map to VL_IX_* kinds; definition.class/type are refined by the node type
 * (struct_specifier -> struct, enum_item -> enum, ...). Predicates #eq?, #not-eq?,
 * #match?, #not-match? (PCRE2 regexes, searched in the capture), #any-of? are evaluated; #is-not? local
 * patterns (need scope analysis) are disabled; other directives (#strip!,
 * #select-adjacent!) only affect @doc and are ignored. Two symbols on the same name
 * range are one: a definition beats a reference, then the more specific kind wins
 * (struct/enum/interface > function/method/class/module/macro > type/constant >
 * variable/field), then the earlier pattern. Variables inside a function or method are locals
 * and are dropped. Scope: symbols are sorted by (start asc,
 * end desc) and a stack of open container definitions gives "Outer.Inner"; a function
 * directly inside a class-like container is a method. C and C++ trees with errors also get
 * every `#define NAME` that starts a line (outside comments and continued lines) as a macro,
 * from a line scan: error recovery around a macro call with no `;` (OpenSSL's
 * DECLARE_ASN1_FUNCTIONS(T) lines) leaves such directives in ERROR nodes, token and name
 * apart; a recovered macro beats the query's symbol on the same name. Signature: the first line of the
 * definition node, trimmed, at most VL_IX_SIG_MAX bytes (cut on a UTF-8 boundary).
 * Lines and columns are 1-based; columns count bytes. Output is sorted by (start byte,
 * end byte desc, kind): deterministic for a given input.
 *
 * Language of a file (chosen by the caller: lua/victor/indexer.lua detect): a `.h` header
 * is C unless its first 8 KiB hold C++ at the start of a line, outside comments and outside
 * `#ifdef __cplusplus` / `defined(__cplusplus)` groups (a namespace, a template, `using`,
 * a class with a base or body, an access label, an `#include <name>` without extension);
 * then the C++ grammar parses it. `lang = "c"` or `"cpp"` forces one for every header.
 *
 * Limits. Inputs over max_bytes are skipped (VL_IX_SKIP_TOO_LARGE) before parsing; a
 * parse (then query) that runs longer than timeout_us in all is cancelled from the 0.25
 * progress callbacks (VL_IX_SKIP_TIMEOUT); max_symbols caps one file's symbols (the rest are dropped and
 * the file is flagged truncated). Memory per file is O(tree) during the parse.
 *
 * Files and the index. vl_ix_index holds one vl_ix_file per path, in the order added.
 * vl_indexer_add reads, hashes (XXH3-64 of the content) and extracts a batch of files in
 * parallel (OpenMP, `jobs` threads; results land in their input slots, so output does
 * not depend on the thread count). With a previous index, a file whose path, language
 * and hash are unchanged is copied, not parsed; so is a file whose content and language
 * match a previous file under another path (a rename or a copy). The on-disk format: a
 * 48-byte header (magic "VLIDX\r\n\032", format version, query fingerprint, file count, payload size,
 * XXH3-64 of the payload) and the payload (per file: path, language, flags, hash, size,
 * symbols, string arena). Loading checks everything (magic, version, fingerprint,
 * sizes, checksum, every offset) and returns VL_EPARSE (corrupt/truncated) or VL_ETYPE
 * (another version or other queries): an index is rebuilt, never trusted.
 */
#ifndef VL_INDEXER_H
#define VL_INDEXER_H

#include <stddef.h>
#include <stdint.h>

enum {
  VL_IX_PYTHON, VL_IX_JAVASCRIPT, VL_IX_TYPESCRIPT, VL_IX_TSX, VL_IX_GO, VL_IX_RUST, VL_IX_C,
  VL_IX_CPP, VL_IX_JAVA, VL_IX_LUA, VL_IX_RUBY, VL_IX_BASH, VL_IX_JSON, VL_IX_NLANG
};

/* Symbol kinds: definitions first, then references (VL_IX_REF_FIRST and up). */
enum {
  VL_IX_FUNCTION, VL_IX_METHOD, VL_IX_CLASS, VL_IX_STRUCT, VL_IX_INTERFACE, VL_IX_ENUM,
  VL_IX_MODULE, VL_IX_CONSTANT, VL_IX_VARIABLE, VL_IX_TYPE, VL_IX_MACRO, VL_IX_FIELD,
  VL_IX_CALL, VL_IX_IMPORT, VL_IX_TYPEREF, VL_IX_NKIND
};
#define VL_IX_REF_FIRST VL_IX_CALL

/* Why a file has no symbols. */
enum {
  VL_IX_SKIP_NONE, VL_IX_SKIP_TOO_LARGE, VL_IX_SKIP_TIMEOUT, VL_IX_SKIP_BINARY,
  VL_IX_SKIP_UNREADABLE, VL_IX_SKIP_LANGUAGE, VL_IX_SKIP_NOMEM, VL_IX_NSKIP
};

#define VL_IX_SIG_MAX 160
#define VL_IX_FORMAT_VERSION 1u

/* One symbol; name, scope and sig are offsets into the file's string arena. */
typedef struct vl_ix_symbol {
  uint32_t name, name_len;
  uint32_t scope, scope_len; /* "" (len 0) at top level */
  uint32_t sig, sig_len;     /* definitions only */
  uint32_t start_byte, end_byte; /* of the definition (or reference) node */
  uint32_t line, col;        /* of the name, 1-based, byte column */
  uint32_t end_line;         /* of the node */
  uint8_t kind, pad_[3];
} vl_ix_symbol;

typedef struct vl_ix_file {
  char *path;        /* owned, NUL-terminated */
  uint32_t path_len;
  uint8_t lang;      /* VL_IX_NLANG: none */
  uint8_t skip;      /* VL_IX_SKIP_* */
  uint8_t has_error; /* the tree had ERROR/MISSING nodes */
  uint8_t truncated; /* max_symbols was hit */
  uint8_t reused;    /* copied from the previous index (not stored) */
  uint64_t hash, size;
  uint32_t nsym, nstr;
  vl_ix_symbol *sym; /* owned */
  char *str;         /* owned */
} vl_ix_file;

typedef struct vl_ix_index {
  vl_ix_file *files;
  size_t n, cap;
} vl_ix_index;

typedef struct vl_ix_limits {
  size_t max_bytes;     /* 0: no cap */
  uint64_t timeout_us;  /* per parse; 0: none */
  uint32_t max_symbols; /* per file; 0: no cap */
} vl_ix_limits;

typedef struct vl_indexer vl_indexer;
typedef struct vl_ix_worker vl_ix_worker;

/* Static names; NULL when out of range. */
const char *vl_indexer_lang_name(int lang);
const char *vl_indexer_kind_name(int kind);
const char *vl_indexer_skip_name(int skip);
/* The language id of a name ("python", "tsx", ...), or -1. */
int vl_indexer_lang_id(const char *name);

/* A new indexer with no query compiled yet. VL_OK or VL_ENOMEM. */
int vl_indexer_new(vl_indexer **out);
/* Compile the queries of the languages in lang_mask (bit 1 << VL_IX_*) not compiled yet
 * (5-100 ms each). Not thread-safe: call it before sharing ix. VL_OK, VL_ENOMEM, or
 * VL_EPARSE with *err_lang and *err_off naming the language and the byte offset in its
 * query (a build defect). */
int vl_indexer_prepare(vl_indexer *ix, uint32_t lang_mask, int *err_lang, uint32_t *err_off);
/* Nonzero when lang's query is compiled. Extraction in a language not prepared is
 * VL_EINVAL (vl_indexer_extract) or skipped "unknown language" (vl_indexer_add). */
int vl_indexer_prepared(const vl_indexer *ix, int lang);
void vl_indexer_free(vl_indexer *ix);
/* A fingerprint of the runtime, grammars and queries (stored in the on-disk index). */
uint64_t vl_indexer_fingerprint(const vl_indexer *ix);

vl_ix_worker *vl_ix_worker_new(void);
void vl_ix_worker_free(vl_ix_worker *w);

/* Extract the symbols of src[0..len) in `lang` into out (whose path is left alone;
 * previous symbols are freed). A skip (too large, timeout) is VL_OK with out->skip set;
 * VL_ENOMEM; VL_EINVAL for a bad language. */
int vl_indexer_extract(const vl_indexer *ix, vl_ix_worker *w, int lang, const char *src,
                       size_t len, const vl_ix_limits *lim, vl_ix_file *out);

/* Append n files (paths[i], langs[i]; VL_IX_NLANG: no language, listed as skipped) to
 * idx, processed by `jobs` threads (<= 0: all cores). prev (may be NULL) supplies
 * unchanged files. Phase 1 reads and hashes every file in parallel; the queries of the
 * languages left to parse are then prepared (so ix is not const: do not share it with
 * another thread during the call); phase 2 parses in parallel. Unreadable, binary (NUL in
 * the first 8 KiB), too large and timed out files are listed with their skip reason.
 * VL_OK, VL_ENOMEM, or vl_indexer_prepare's VL_EPARSE (with *err_lang, *err_off). */
int vl_indexer_add(vl_indexer *ix, vl_ix_index *idx, size_t n, const char *const *paths,
                   const int *langs, const vl_ix_index *prev, const vl_ix_limits *lim, int jobs,
                   int *err_lang, uint32_t *err_off);

void vl_ix_file_clear(vl_ix_file *f);
void vl_ix_index_free(vl_ix_index *idx); /* frees the contents, not idx itself */

/* Serialise idx into a malloc'ed buffer (caller frees). VL_OK or VL_ENOMEM. */
int vl_indexer_serialize(const vl_indexer *ix, const vl_ix_index *idx, char **buf, size_t *len);
/* Load a serialised index into idx (empty on entry). VL_OK; VL_EPARSE (bad magic,
 * truncated, checksum or an offset out of range); VL_ETYPE (another format version or
 * fingerprint); VL_ENOMEM. idx is left empty on failure. */
int vl_indexer_deserialize(const vl_indexer *ix, const char *buf, size_t len, vl_ix_index *idx);

#endif
