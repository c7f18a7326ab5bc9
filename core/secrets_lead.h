/*
 * secrets_lead.h: what every match of a rule's regex begins with (private to
 * core/secrets.c), so that a keyword hit needs only a few start positions.
 *
 * vl_secrets_lead reads a PCRE2 pattern and proves, when it can, that every
 * match starts with at most `max` bytes of the byte class `cls` and then one of
 * the rule's keywords (ASCII case-insensitively). The regex is split into a lead
 * (leading items, each a character, class or escape with a bounded quantifier,
 * plus zero-width items: inline flags, \b, ^, lookarounds) and the rest, whose
 * possible literal beginnings are enumerated (alternations, groups, `?` and
 * single-character classes such as [Aa] expand; anything else ends a beginning)
 * and must each start with a keyword. Splits are tried from the shortest lead.
 *
 * A match starting at x then has a keyword hit at some y >= x with every byte of
 * [x, y) in cls and y - x <= max: the scanner tries the regex only from the start
 * of the run of cls bytes that ends at each hit (at most max bytes back) to the
 * hit, instead of the rule's whole window, and finds the same matches (the
 * windows still contain every position a match can start at). Classes are
 * over-approximated (ASCII case folded both ways, any byte >= 0x80 for a class
 * that could match a non-ASCII character); anything the reader does not know
 * (backreferences, \Q..\E, (?x), comments, conditionals, POSIX classes,
 * recursion, \G; a regex over 8 KiB) makes it give up: `ok` 0, and the rule
 * keeps its window.
 *
 * `single` marks the common lead of one class C, bounded, in one item or more
 * ([C]{0,max}, as in gitleaks' `[\w.-]{0,50}?` before its keyword group), with C
 * ASCII and holding both cases of its letters as written (so that folding did not
 * widen it), no possessive quantifier and no assertion in the lead. Then matches shift: if a match starts at x > the start of its run of
 * C bytes, one starts at x - 1 too (the lead takes one byte more, the rest is the
 * same), as long as the lead stays within max. So the leftmost match at or after
 * any position p starts at max(p, the first position of some hit's window): the
 * scanner tries just those positions instead of every position of the windows.
 *
 * The tail, when the lead is followed by atoms of whole strings (gitleaks'
 * `(?:access|auth|...|token)`, or literals: `SK` of `SK[0-9a-f]{32}`) and then by
 * optional bounded items and a required one (`(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|...)`), lets the scanner drop
 * a keyword hit at y before any regex runs: a match whose keyword group is at y
 * needs one of the strings at y, then at most tail_max bytes of tail_cls, then a
 * byte of tail_first. Every match's own hit passes, so its window stays.
 */
#ifndef VL_SECRETS_LEAD_H
#define VL_SECRETS_LEAD_H

#include <stddef.h>
#include <stdint.h>

#define VL_LEAD_STR 48  /* bytes per string of the tail's group */

typedef struct vl_lead {
  int ok;             /* 1: proven */
  int single;         /* 1: one shifting class (below) */
  uint32_t max;       /* the lead's longest length in bytes */
  uint8_t cls[32];    /* bit b of cls[b >> 3]: byte b may appear in the lead */
  /* the tail (with ok): after the lead come atoms whose every match is one of
   * nstr whole strings, then at most tail_max bytes of tail_cls, then a byte of
   * tail_first */
  int tail;
  int nstr;
  unsigned char str_len[64];
  char *strs;         /* nstr strings, lowercase, VL_LEAD_STR bytes apart; owned (vl_secrets_lead_free) */
  uint32_t tail_max;
  uint8_t tail_cls[32], tail_first[32];
} vl_lead;

/* Analyse regex re[0..n) against keywords kw[i] (lowercase, len[i] > 0). */
void vl_secrets_lead(const char *re, size_t n, const char *const *kw, const size_t *len, size_t nkw, vl_lead *out);
void vl_secrets_lead_free(vl_lead *l);

#endif
