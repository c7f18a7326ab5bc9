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
 * recursion, \G) makes it give up: `ok` 0, and the rule keeps its window.
 *
 * `single` marks the common lead of one class C, bounded, in one item or more
 * ([C]{0,max}, as in gitleaks' `[\w.-]{0,50}?` before its keyword group), with C
 * ASCII and holding both cases of its letters as written (so that folding did not
 * widen it), no possessive quantifier and no assertion in the lead. Then matches shift: if a match starts at x > the start of its run of
 * C bytes, one starts at x - 1 too (the lead takes one byte more, the rest is the
 * same), as long as the lead stays within max. So the leftmost match at or after
 * any position p starts at max(p, the first position of some hit's window): the
 * scanner tries just those positions instead of every position of the windows.
 */
#ifndef VL_SECRETS_LEAD_H
#define VL_SECRETS_LEAD_H

#include <stddef.h>
#include <stdint.h>

typedef struct vl_lead {
  int ok;             /* 1: proven */
  int single;         /* 1: the lead is one item (an ASCII class, bounded) and no assertion */
  uint32_t max;       /* the lead's longest length in bytes */
  uint8_t cls[32];    /* bit b of cls[b >> 3]: byte b may appear in the lead */
} vl_lead;

/* Analyse regex re[0..n) against keywords kw[i] (lowercase, len[i] > 0). */
void vl_secrets_lead(const char *re, size_t n, const char *const *kw, const size_t *len, size_t nkw, vl_lead *out);

#endif
