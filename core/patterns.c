/* patterns.c: weighted keyword scoring over the Aho-Corasick core (see patterns.h). */
#include <stdlib.h>
#include <string.h>

#include "patterns.h"

/* Keywords up to this long are found with vl_ac_find_words (at word boundaries):
 * its walks are bounded by the longest pattern, so longer ones take the stream. */
#define VL_CLS_ANCHOR_MAX_LEN 64

/* An entry: its category (VL_CLS_NEGATION for a negation word) and weight, side by
 * side (one cache line per hit, not two). */
struct cls_ent {
  double w;
  uint32_t cat;
};

struct vl_cls {
  vl_ac *ac;
  size_t ncats, npats;
  int wb;
  uint32_t window;
  double pw;
  uint32_t *off;   /* npats + 1: entries of pattern i are [off[i], off[i+1]) */
  struct cls_ent *ent; /* by entry, grouped by pattern */
  uint8_t *neg;    /* pattern i is a negation word */
};

void vl_cls_free(vl_cls *c)
{
  if (!c) return;
  vl_ac_free(c->ac);
  free(c->off);
  free(c->ent);
  free(c->neg);
  free(c);
}

int vl_cls_new(const char *const *pats, const size_t *lens, size_t npats, const uint32_t *ent_pat,
               const uint32_t *ent_cat, const double *ent_w, size_t nent, size_t ncats,
               const vl_cls_opts *opts, vl_cls **out)
{
  vl_cls *c;
  vl_ac_opts ao;
  size_t k, i;
  int st;
  if (out) *out = NULL;
  if (!out || !opts || !ent_pat || !ent_cat || !ent_w || npats == 0 || npats > UINT32_MAX ||
      nent > UINT32_MAX)
    return VL_EINVAL;
  for (k = 0; k < nent; k++)
    if (ent_pat[k] >= npats || (ent_cat[k] != VL_CLS_NEGATION && ent_cat[k] >= ncats)) return VL_EINVAL;
  if (!(c = calloc(1, sizeof *c))) return VL_ENOMEM;
  c->ncats = ncats;
  c->npats = npats;
  c->wb = opts->word_boundary != 0;
  c->window = opts->window;
  c->pw = opts->position_weight;
  c->off = calloc(npats + 1, sizeof *c->off);
  c->ent = malloc((nent ? nent : 1) * sizeof *c->ent);
  c->neg = calloc(npats, 1);
  if (!c->off || !c->ent || !c->neg) {
    st = VL_ENOMEM;
    goto fail;
  }
  /* counting sort of the entries by pattern (stable: the caller's order within one) */
  for (k = 0; k < nent; k++) c->off[ent_pat[k] + 1]++;
  for (i = 0; i < npats; i++) {
    if (c->off[i + 1] == 0) {
      st = VL_EINVAL; /* a pattern without an entry */
      goto fail;
    }
    c->off[i + 1] += c->off[i];
  }
  {
    uint32_t *cur = malloc(npats * sizeof *cur);
    if (!cur) {
      st = VL_ENOMEM;
      goto fail;
    }
    memcpy(cur, c->off, npats * sizeof *cur);
    for (k = 0; k < nent; k++) {
      uint32_t at = cur[ent_pat[k]]++;
      c->ent[at].cat = ent_cat[k];
      c->ent[at].w = ent_w[k];
      if (ent_cat[k] == VL_CLS_NEGATION) c->neg[ent_pat[k]] = 1;
    }
    free(cur);
  }
  memset(&ao, 0, sizeof ao);
  ao.case_insensitive = opts->case_insensitive;
  ao.max_bytes = opts->max_bytes;
  ao.word_index = c->wb;
  if ((st = vl_ac_build(pats, lens, npats, &ao, &c->ac)) != VL_OK) goto fail;
  *out = c;
  return VL_OK;
fail:
  vl_cls_free(c);
  return st;
}

size_t vl_cls_ncats(const vl_cls *c) { return c->ncats; }
const vl_ac *vl_cls_automaton(const vl_cls *c) { return c->ac; }

int vl_cls_stream_new(const vl_cls *c, vl_ac_stream **out)
{
  if (!c) {
    if (out) *out = NULL;
    return VL_EINVAL;
  }
  return vl_ac_stream_new(c->ac, VL_AC_LEFTMOST_LONGEST, c->wb, out);
}

typedef struct score_run {
  const vl_cls *c;
  double *scores;
  uint32_t *matched, *negated;
  double inv_len;
  uint64_t neg_at; /* start of the latest negation + 1; 0: none */
} score_run;

static int on_hit(void *ud, uint32_t id, uint64_t start, uint64_t end)
{
  score_run *r = (score_run *)ud;
  const vl_cls *c = r->c;
  uint32_t k;
  uint32_t ke = c->off[id + 1];
  (void)end;
  if (r->neg_at && start - (r->neg_at - 1) <= c->window && r->neg_at - 1 < start) {
    for (k = c->off[id]; k < ke; k++) {
      uint32_t cat = c->ent[k].cat;
      if (cat == VL_CLS_NEGATION) continue;
      r->scores[cat] -= c->ent[k].w * 0.5;
      r->negated[cat]++;
    }
  } else {
    double f = 1.0 + c->pw * (1.0 - (double)start * r->inv_len);
    for (k = c->off[id]; k < ke; k++) {
      uint32_t cat = c->ent[k].cat;
      if (cat == VL_CLS_NEGATION) continue;
      r->scores[cat] += c->ent[k].w * f;
      r->matched[cat]++;
    }
  }
  if (c->neg[id]) r->neg_at = start + 1;
  return 0;
}

int vl_cls_scores(const vl_cls *c, vl_ac_stream *st, const void *text, size_t n, double *scores,
                  uint32_t *matched, uint32_t *negated)
{
  score_run r;
  size_t i;
  if (!c || !st || (!text && n) || !scores || !matched || !negated) return VL_EINVAL;
  for (i = 0; i < c->ncats; i++) {
    scores[i] = 0;
    matched[i] = negated[i] = 0;
  }
  r.c = c;
  r.scores = scores;
  r.matched = matched;
  r.negated = negated;
  r.inv_len = n ? 1.0 / (double)n : 0;
  r.neg_at = 0;
  if (n == 0) {
  } else if (c->wb && vl_ac_max_len(c->ac) <= VL_CLS_ANCHOR_MAX_LEN) {
    vl_ac_find_words(c->ac, VL_AC_LEFTMOST_LONGEST, text, n, 0, on_hit, &r);
  } else {
    vl_ac_stream_find(st, text, n, 0, on_hit, &r);
  }
  for (i = 0; i < c->ncats; i++)
    if (scores[i] < 0) scores[i] = 0;
  return VL_OK;
}
