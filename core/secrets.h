/*
 * secrets.h: the secret scanner: a compiled set of regex rules (PCRE2 with JIT)
 * behind one keyword automaton (core/ac.h), with entropy gates and allowlists.
 *
 * Design note
 * -----------
 * Compile. Every rule's regex is compiled once with PCRE2 and JIT-compiled,
 * with settings that make gitleaks-style (Go RE2) rules mean the same thing:
 * PCRE2_DOLLAR_ENDONLY ($ is the end of the subject, not before a final \n),
 * PCRE2_MATCH_INVALID_UTF plus PCRE2_UTF (invalid UTF-8 never errors; it simply
 * never matches a multi-byte character), no PCRE2_UCP (\w \d \s \b are ASCII),
 * and PCRE2_USE_OFFSET_LIMIT (see Windows). Each rule carries its own match limit
 * (pcre2_set_match_limit, which JIT honours) and depth limit
 * (pcre2_set_depth_limit, honoured by the interpreter; JIT code is bounded by its
 * own stack): a rule that hits one stops for that input, is reported in the
 * result's `limited` list, and the scan goes on with the other rules.
 *
 * Keywords. Each rule has keywords: its own, or, when it gives none, the longest
 * literal the regex requires (a run of plain bytes at the top level of the
 * pattern, before any quantifier applies to it; at least 3 bytes; none is derived
 * when the top level has an alternation). All keywords of all rules, lowercased
 * and deduplicated, go into one ASCII case-insensitive Aho-Corasick automaton.
 * Keyword hits are found by one of two equivalent methods (the same hits, every
 * occurrence of every keyword, overlaps included): when every keyword has 2 bytes
 * or more, the pair filter of core/secrets_pairs.h (a shift-or over one table
 * load per input position, 8 buckets, a 5-byte fingerprint; the few positions
 * that pass are checked against the keywords); otherwise (a 1-byte keyword) the
 * Aho-Corasick automaton's standard scan.
 * A rule with no keyword at all is a whole-input rule: its regex runs over every
 * input from byte 0 (cost: one full PCRE2 search per input per such rule);
 * vl_secrets_nwhole counts them so that loaders can report them.
 *
 * Windows. One pass over the input yields keyword hits. A hit at [s, e) for
 * rule r opens the start window [s - window_r, s], narrowed when the regex is
 * proven (core/secrets_lead.h) to begin every match with at most `max` bytes of
 * a class and then one of r's keywords: the window then starts where the run of
 * that class ending at s starts, at most min(max, window_r) bytes back (so at s
 * for a regex that begins with a keyword). The regex is only tried at start
 * positions inside the rule's windows (merged per rule when they overlap; with a
 * `single` lead, only at each window's first position or the end of the previous
 * match, where the leftmost match must start), through PCRE2's offset limit,
 * and the subject is the whole input, so a match may extend past the window and
 * lookbehinds see the bytes before it. A
 * rule's matches are therefore exactly those of running its regex over the whole
 * input (the naive path, vl_secrets_scan with `naive`), provided every match
 * contains one of the rule's keywords (ASCII case-insensitively) starting at most
 * window_r bytes after the match start. Inside the windows the search is the
 * naive one: leftmost-first, non-overlapping, resuming at the end of the previous
 * match (one byte later after an empty match).
 *
 * Findings. A match yields the secret: capture group `secret_group` (0: the whole
 * match; a group that did not participate drops the match). It is dropped when its
 * Shannon entropy (bits per byte, over byte frequencies) is below the rule's
 * minimum, when an allow regex matches the secret, or when it contains a stopword
 * (ASCII case-insensitive). A rule whose path allowlist matches the file name is
 * skipped for that file. Findings of all rules are then sorted by secret start
 * (ties: longer first, then rule order) and overlapping secrets merged: the first
 * finding of a run of overlapping ones is kept, its ranges stretched to cover the
 * run. Each finding has 1-based line and byte column of its secret start, and a
 * fingerprint: XXH3-64 (seed 0) of file name, a 0 byte, rule id, a 0 byte, and
 * the secret bytes (stable across runs, versions and machines).
 *
 * Complexity: one automaton pass (O(n)) plus the regex work inside windows; the
 * naive path costs one full PCRE2 search per rule. Limits: vl_secrets_opts. A
 * compiled vl_secrets is immutable and may be shared by threads (vl_secrets_scan
 * allocates its own per-scan state); vl_secrets_scan_files runs files in
 * parallel with OpenMP, results in input order whatever the thread count.
 */
#ifndef VL_SECRETS_H
#define VL_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "vl_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VL_SECRETS_DEFAULT_WINDOW 256
#define VL_SECRETS_DEFAULT_MATCH_LIMIT 100000
#define VL_SECRETS_DEFAULT_DEPTH_LIMIT 1000
#define VL_SECRETS_DEFAULT_MAX_KEYWORDS 100000
#define VL_SECRETS_DEFAULT_MAX_RULES 10000

/* One rule, as given to vl_secrets_compile (all strings are copied or compiled;
 * the caller keeps ownership). Arrays of strings use lengths (NUL allowed). */
typedef struct vl_secrets_rule {
  const char *id;                  /* NUL-terminated */
  const char *regex;
  size_t regex_len;
  const char *const *keywords;     /* may be NULL when nkeywords == 0 */
  const size_t *keyword_lens;
  size_t nkeywords;
  uint32_t secret_group;           /* 0: whole match */
  double entropy;                  /* minimum bits per byte of the secret; 0: none */
  const char *const *allow_regexes;  /* against the secret */
  const size_t *allow_regex_lens;
  size_t nallow_regexes;
  const char *const *stopwords;    /* the secret must not contain one (ASCII case-insensitive) */
  const size_t *stopword_lens;
  size_t nstopwords;
  const char *const *allow_paths;  /* regexes against the file name: rule skipped for that file */
  const size_t *allow_path_lens;
  size_t nallow_paths;
  uint32_t window;                 /* bytes a match may start before its keyword (0: at it);
                                    * VL_SECRETS_DEFAULT_WINDOW is the usual value */
  uint32_t match_limit;            /* 0: VL_SECRETS_DEFAULT_MATCH_LIMIT */
  uint32_t depth_limit;            /* 0: VL_SECRETS_DEFAULT_DEPTH_LIMIT */
} vl_secrets_rule;

typedef struct vl_secrets_opts {
  size_t max_keywords;  /* total keywords of all rules; 0: VL_SECRETS_DEFAULT_MAX_KEYWORDS */
  size_t max_rules;     /* 0: VL_SECRETS_DEFAULT_MAX_RULES */
  size_t max_ac_bytes;  /* the automaton's memory cap; 0: the ac default */
  int no_jit;           /* nonzero: interpret (for tests) */
  int use_ac;           /* nonzero: find keywords with the automaton even when the pair
                         * filter could (for tests: both give the same hits) */
} vl_secrets_opts;

/* Where a compile failed: the rule index (SIZE_MAX when not one rule's fault),
 * which pattern ("regex", "allow regex", "allow path"), its byte offset and
 * PCRE2's message. */
typedef struct vl_secrets_error {
  size_t rule;
  const char *what;
  size_t offset;
  char message[160];
} vl_secrets_error;

typedef struct vl_secrets vl_secrets;

/* Compile rules[0..nrules) into *out (free with vl_secrets_free). VL_EPARSE: a
 * regex does not compile (err says where); VL_EINVAL: nrules == 0, NULL fields,
 * secret_group above the regex's groups (err->what "secret_group"); VL_ELIMIT:
 * more keywords or rules than opts allow, or the automaton over its cap;
 * VL_ENOMEM. err may be NULL; opts may be NULL. */
int vl_secrets_compile(const vl_secrets_rule *rules, size_t nrules, const vl_secrets_opts *opts,
                       vl_secrets **out, vl_secrets_error *err);
void vl_secrets_free(vl_secrets *s);

size_t vl_secrets_nrules(const vl_secrets *s);
const char *vl_secrets_rule_id(const vl_secrets *s, size_t rule);
/* Number of rules without keywords (run over whole inputs). */
size_t vl_secrets_nwhole(const vl_secrets *s);
/* Keywords of rule (derived ones included): *kws and *lens point into s. */
size_t vl_secrets_rule_keywords(const vl_secrets *s, size_t rule, const char *const **kws,
                                const size_t **lens);
/* Whether every match of rule's regex is proven to begin with at most *max bytes
 * of a byte class and then one of its keywords (core/secrets_lead.h), so that a
 * hit is tried only from the start of that class's run before it; *single: the
 * lead is one shifting item, so only the first position of each such window is
 * tried; *tail: hits are first checked against what must follow the keyword
 * group (secrets_lead.h). 0 (and all 0) when not proven: the rule's whole window. */
int vl_secrets_rule_lead(const vl_secrets *s, size_t rule, uint32_t *max, int *single, int *tail);
/* Total distinct keywords in the automaton. */
size_t vl_secrets_nkeywords(const vl_secrets *s);
/* "10.42 2022-12-11" and whether JIT is in use. */
const char *vl_secrets_pcre2_version(void);
int vl_secrets_jit(const vl_secrets *s);
/* The keyword method in use: "pairs" (core/secrets_pairs.h), "aho-corasick" or
 * "none". */
const char *vl_secrets_prefilter(const vl_secrets *s);

typedef struct vl_secrets_finding {
  uint32_t rule;
  uint64_t start, end;    /* the match */
  uint64_t sstart, send;  /* the secret */
  uint32_t line, col;     /* of sstart: 1-based line, 1-based byte column */
  uint64_t fingerprint;
} vl_secrets_finding;

/* A rule that stopped on a limit: at start offset `offset`, with code
 * VL_ELIMIT (match or depth limit) or VL_ENOMEM. */
typedef struct vl_secrets_limited {
  uint32_t rule;
  uint64_t offset;
  int code;
} vl_secrets_limited;

/* Results of one input; owned by the caller: zero it, reuse it across scans
 * (vl_secrets_scan clears it first), release with vl_secrets_result_free. */
typedef struct vl_secrets_result {
  vl_secrets_finding *items;
  size_t n, cap;
  vl_secrets_limited *limited;
  size_t nlimited, limcap;
  int status;             /* scan_files: VL_OK, VL_EIO or VL_ELIMIT (file too large) */
  size_t bytes;           /* scan_files: the file's size */
} vl_secrets_result;

void vl_secrets_result_free(vl_secrets_result *r);

/* Scan buf[0..n). file (NUL-terminated, may be NULL = "") names the input for
 * path allowlists and fingerprints. naive != 0 runs every rule's regex over the
 * whole input (the reference path; same findings when the keyword contract of the
 * design note holds). Returns VL_OK (rule limits are in res->limited) or
 * VL_ENOMEM. */
int vl_secrets_scan(const vl_secrets *s, const char *file, const void *buf, size_t n, int naive,
                    vl_secrets_result *res);

/* Read and scan files[0..nfiles) with `jobs` threads (0: OpenMP's default);
 * res[i] is file i's result (res zeroed by the caller, nfiles entries). A file
 * that cannot be read gets status VL_EIO, one larger than max_bytes (0: no cap)
 * VL_ELIMIT, with no findings. Returns VL_OK or VL_ENOMEM. */
int vl_secrets_scan_files(const vl_secrets *s, const char *const *files, size_t nfiles, size_t max_bytes,
                          int jobs, vl_secrets_result *res);

/* Shannon entropy of p[0..n) in bits per byte (0 for n == 0). */
double vl_secrets_entropy(const void *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif
