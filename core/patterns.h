/*
 * patterns.h: weighted keyword classification over the Aho-Corasick core
 * (core/ac.h); the literal matcher of victor.patterns is ac.h itself, this file
 * adds the scoring that victor.classifier runs per prompt.
 *
 * Design note
 * -----------
 * Model. A set of literal patterns (keywords, phrases and negation words; each
 * distinct, matched ASCII case-insensitively when asked, at word boundaries
 * when asked) and a list of entries (pattern, category, weight): one pattern
 * may score for several categories; an entry whose category is VL_CLS_NEGATION
 * makes its pattern a negation word. All patterns go into one automaton, scanned
 * leftmost-longest (so "clean up" wins over "clean", and a phrase is one hit).
 *
 * Scoring (L = the text's byte length, window and position_weight parameters):
 * matches come in order of start. A negation match records its start n. A
 * keyword match starting at s is negated when the latest negation start n < s
 * has s - n <= window: its category's score loses weight * 0.5 and its negated
 * count grows; otherwise the score gains weight * (1 + position_weight * (1 -
 * s / L)) and the matched count grows. A pattern that is both a negation word
 * and a keyword does both (its negation start is recorded after it scores).
 * Scores below 0 become 0 at the end. Ranking and thresholds are the caller's.
 *
 * Complexity: O(n) per text plus O(entries of the matches). The model is
 * immutable (share it); the scan state is a vl_ac_stream from
 * vl_cls_stream_new, one per thread. Limits: those of vl_ac_build
 * (max_bytes); VL_EINVAL on malformed arguments. Nothing here raises, prints
 * or exits.
 */
#ifndef VL_PATTERNS_H
#define VL_PATTERNS_H

#include <stddef.h>
#include <stdint.h>

#include "ac.h"
#include "vl_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VL_CLS_NEGATION UINT32_MAX

typedef struct vl_cls vl_cls;

typedef struct vl_cls_opts {
  int case_insensitive;
  int word_boundary;
  uint32_t window;        /* bytes a negation reaches forward */
  double position_weight; /* bonus for early matches */
  size_t max_bytes;       /* the automaton's memory cap (0: VL_AC_DEFAULT_MAX_BYTES) */
} vl_cls_opts;

/* Build from npats patterns and nent entries: entry k gives pattern ent_pat[k]
 * (< npats) to category ent_cat[k] (< ncats, or VL_CLS_NEGATION) with weight
 * ent_w[k]. Every pattern needs at least one entry. VL_EINVAL on bad indices,
 * else the codes of vl_ac_build. *out is NULL on failure. */
int vl_cls_new(const char *const *pats, const size_t *lens, size_t npats, const uint32_t *ent_pat,
               const uint32_t *ent_cat, const double *ent_w, size_t nent, size_t ncats,
               const vl_cls_opts *opts, vl_cls **out);
void vl_cls_free(vl_cls *c);
size_t vl_cls_ncats(const vl_cls *c);
const vl_ac *vl_cls_automaton(const vl_cls *c);

/* The scan state for vl_cls_scores (free with vl_ac_stream_free). */
int vl_cls_stream_new(const vl_cls *c, vl_ac_stream **out);

/* Score text[0..n): scores[i], matched[i], negated[i] for each category i <
 * ncats. VL_OK, or VL_EINVAL on a NULL argument. */
int vl_cls_scores(const vl_cls *c, vl_ac_stream *st, const void *text, size_t n, double *scores,
                  uint32_t *matched, uint32_t *negated);

#ifdef __cplusplus
}
#endif
#endif
