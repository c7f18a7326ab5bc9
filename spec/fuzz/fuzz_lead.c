/*
 * fuzz_lead.c: libFuzzer target for the secret scanner's lead analysis
 * (core/secrets_lead.h), which reads user regexes from rule packs.
 *
 * Input: a regex, a 0 byte, then a text. The keywords are fixed ("key", "tok",
 * "ab", "x"). Checks, on every input:
 *   - vl_secrets_lead terminates (libFuzzer's timeout) without a memory error;
 *   - when it proves a lead and PCRE2 compiles the regex (the scanner's options),
 *     every match in the text (anchored at each position; it starts at ovector[0], later
 *     than the position only when PCRE2 skips an invalid UTF-8 byte) starting at x has a
 *     keyword (ASCII case-insensitive) at some y with x <= y <= x + max and every
 *     byte of [x, y) in the lead's class (and, with a tail, one of its strings at y
 *     followed by at most tail_max bytes of its class and then a byte of its first
 *     set): the claim the scanner's windows and hit filter rest on;
 *   - when the lead is `single`, for every position p the leftmost match at or after
 *     p (unanchored search from p) starts at max(p, a) for the window [a, y] of some
 *     keyword hit y that the tail keeps (a: the start of the run of class bytes before y, at most max
 *     back) with max(p, a) <= y: the only positions the scanner then tries.
 */
#define _GNU_SOURCE /* memmem */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "secrets_lead.h"

static const char *const KW[] = { "key", "tok", "ab", "x" };
static const size_t KWN[] = { 3, 3, 2, 1 };

static int keyword_at(const uint8_t *t, size_t n, size_t y)
{
  size_t k, j;
  for (k = 0; k < 4; k++) {
    if (KWN[k] > n - y) continue;
    for (j = 0; j < KWN[k]; j++) {
      uint8_t c = t[y + j];
      if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
      if (c != (uint8_t)KW[k][j]) break;
    }
    if (j == KWN[k]) return 1;
  }
  return 0;
}

static int has(const uint8_t *set, uint8_t c)
{
  return set[c >> 3] >> (c & 7) & 1;
}

/* The tail claim at y: a string, then <= tail_max bytes of tail_cls, then a byte of tail_first. */
static int tail_at(const vl_lead *l, const uint8_t *t, size_t n, size_t y)
{
  int k;
  for (k = 0; k < l->nstr; k++) {
    size_t len = l->str_len[k], j, x;
    const char *w = l->strs + (size_t)k * VL_LEAD_STR;
    if (len > n - y) continue;
    for (j = 0; j < len; j++) {
      uint8_t c = t[y + j];
      if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
      if (c != (uint8_t)w[j]) break;
    }
    if (j < len) continue;
    for (x = y + len; x < n && x <= y + len + l->tail_max; x++) {
      if (has(l->tail_first, t[x])) return 1;
      if (!has(l->tail_cls, t[x])) break;
    }
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const uint8_t *sep = (const uint8_t *)memchr(data, 0, size);
  size_t rn = sep ? (size_t)(sep - data) : size, tn, x;
  const uint8_t *text = sep ? sep + 1 : data + size;
  vl_lead lead;
  pcre2_code *re;
  pcre2_match_data *md;
  pcre2_match_context *mc;
  int err;
  PCRE2_SIZE eoff;
  if (rn > 512 || memmem(data, rn, "\\K", 2)) return 0;  /* \K moves the reported start */
  tn = size - rn - (sep ? 1 : 0);
  vl_secrets_lead((const char *)data, rn, KW, KWN, 4, &lead);
  if (!lead.ok) {
    CHECK(lead.max == 0 && lead.single == 0 && lead.tail == 0 && lead.strs == NULL);
    return 0;
  }
  re = pcre2_compile((PCRE2_SPTR)data, rn,
                     PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_USE_OFFSET_LIMIT, &err, &eoff,
                     NULL);
  if (!re) {
    vl_secrets_lead_free(&lead);
    return 0;
  }
  md = pcre2_match_data_create_from_pattern(re, NULL);
  mc = pcre2_match_context_create(NULL);
  CHECK(md && mc);
  pcre2_set_match_limit(mc, 20000);
  pcre2_set_depth_limit(mc, 200);
  for (x = 0; x <= tn && x < 256; x++) {
    int rc = pcre2_match(re, (PCRE2_SPTR)text, tn, x, PCRE2_ANCHORED, md, mc);
    size_t y, ms;
    int found = 0;
    if (rc < 0) continue;  /* no match, or a limit */
    ms = pcre2_get_ovector_pointer(md)[0];
    CHECK(ms >= x && ms <= tn);
    for (y = ms; y <= tn && y <= ms + lead.max; y++) {
      if (keyword_at(text, tn, y) && (!lead.tail || tail_at(&lead, text, tn, y))) { found = 1; break; }
      if (y < tn && !(lead.cls[text[y] >> 3] >> (text[y] & 7) & 1)) break;
    }
    CHECK(found);
  }
  if (lead.single) {
    size_t p, y, hy[256], ha[256], nh = 0;
    for (y = 0; y < tn && nh < 256; y++) {
      size_t a = y;
      if (!keyword_at(text, tn, y) || (lead.tail && !tail_at(&lead, text, tn, y))) continue;  /* the scanner drops it */
      while (a > 0 && y - a < lead.max && (lead.cls[text[a - 1] >> 3] >> (text[a - 1] & 7) & 1)) a--;
      hy[nh] = y;
      ha[nh++] = a;
    }
    for (p = 0; p <= tn && p < 128 && nh < 256; p++) {
      int rc = pcre2_match(re, (PCRE2_SPTR)text, tn, p, 0, md, mc), ok = 0;
      size_t ms, k;
      if (rc < 0) continue;
      ms = pcre2_get_ovector_pointer(md)[0];
      for (k = 0; k < nh && !ok; k++) {
        size_t c = ha[k] > p ? ha[k] : p;
        ok = c <= hy[k] && c == ms;
      }
      CHECK(ok);
    }
  }
  pcre2_match_context_free(mc);
  pcre2_match_data_free(md);
  pcre2_code_free(re);
  vl_secrets_lead_free(&lead);
  return 0;
}
