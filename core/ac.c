/* ac.c: Aho-Corasick compiled to a dense, byte-class-compressed DFA (see ac.h). */
#include <stdlib.h>
#include <string.h>

#include "ac.h"

#define NONE UINT32_MAX

struct vl_ac {
  uint8_t cls[256];     /* byte -> class */
  uint32_t nclasses, nstates, npats;
  uint32_t match_min;   /* premultiplied: states >= it are match states */
  int skip;             /* the only byte that leaves the root, or -1 */
  uint32_t *trans;      /* nstates * nclasses premultiplied next states */
  uint32_t *depth;      /* by state number */
  uint32_t *out_off;    /* by state number, nstates + 1 entries into outs */
  uint32_t *outs;       /* pattern ids, longest first */
  uint32_t *lens;       /* pattern lengths */
  size_t max_len, mem;
};

static unsigned char fold(unsigned char c, int ci)
{
  return (ci && c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

void vl_ac_free(vl_ac *ac)
{
  if (!ac) return;
  free(ac->trans);
  free(ac->depth);
  free(ac->out_off);
  free(ac->outs);
  free(ac->lens);
  free(ac);
}

/* Build-time scratch, freed in one place. */
typedef struct build {
  uint32_t *trie;      /* raw state ids, nstates_max * nclasses */
  uint32_t *fail, *queue, *own, *next_pat, *nout, *depth, *renum;
} build;

static void build_free(build *b)
{
  free(b->trie);
  free(b->fail);
  free(b->queue);
  free(b->own);
  free(b->next_pat);
  free(b->nout);
  free(b->depth);
  free(b->renum);
}

/* Byte classes: 0 for bytes in no pattern, one class per (folded) pattern byte. */
static uint32_t make_classes(vl_ac *ac, const char *const *pats, const size_t *lens, size_t npats, int ci)
{
  unsigned char used[256];
  size_t i, j;
  uint32_t nc = 1;
  int c;
  memset(used, 0, sizeof used);
  for (i = 0; i < npats; i++)
    for (j = 0; j < lens[i]; j++) used[fold((unsigned char)pats[i][j], ci)] = 1;
  memset(ac->cls, 0, sizeof ac->cls);
  for (c = 0; c < 256; c++)
    if (used[c]) ac->cls[c] = (uint8_t)nc++;
  if (ci)
    for (c = 'A'; c <= 'Z'; c++) ac->cls[c] = ac->cls[c + 32];
  return nc;
}

/* Trie insertion of every pattern; returns the number of states. */
static uint32_t make_trie(build *b, const char *const *pats, const size_t *lens, size_t npats, const vl_ac *ac,
                          int ci)
{
  uint32_t ns = 1, nc = ac->nclasses;
  size_t i, j;
  b->depth[0] = 0;
  for (i = npats; i-- > 0;) { /* backwards, so each own list is in id order */
    uint32_t s = 0;
    for (j = 0; j < lens[i]; j++) {
      uint32_t *t = &b->trie[(size_t)s * nc + ac->cls[fold((unsigned char)pats[i][j], ci)]];
      if (*t == NONE) {
        b->depth[ns] = b->depth[s] + 1;
        *t = ns++;
      }
      s = *t;
    }
    b->next_pat[i] = b->own[s];
    b->own[s] = (uint32_t)i;
  }
  return ns;
}

/* Failure links breadth first; completes every row of the trie into the DFA and
 * counts the outputs of each state. Returns the total number of outputs. */
static size_t make_dfa(build *b, uint32_t nc)
{
  size_t head = 0, tail = 0, total = 0;
  uint32_t c, k;
  b->fail[0] = 0;
  for (c = 0; c < nc; c++) {
    uint32_t t = b->trie[c];
    if (t == NONE) {
      b->trie[c] = 0;
    } else {
      b->fail[t] = 0;
      b->queue[tail++] = t;
    }
  }
  b->nout[0] = 0;
  while (head < tail) {
    uint32_t s = b->queue[head++], f = b->fail[s];
    uint32_t own = 0;
    for (k = b->own[s]; k != NONE; k = b->next_pat[k]) own++;
    b->nout[s] = own + b->nout[f];
    total += b->nout[s];
    for (c = 0; c < nc; c++) {
      uint32_t *t = &b->trie[(size_t)s * nc + c];
      if (*t == NONE) {
        *t = b->trie[(size_t)f * nc + c];
      } else {
        b->fail[*t] = b->trie[(size_t)f * nc + c];
        b->queue[tail++] = *t;
      }
    }
  }
  return total;
}

int vl_ac_build(const char *const *pats, const size_t *lens, size_t npats, const vl_ac_opts *opts,
                vl_ac **out)
{
  vl_ac *ac;
  build b;
  size_t total = 0, i, max_bytes, bound, nouts, o;
  uint32_t ns, nc, s, c, nm, next_plain, next_match;
  int ci = opts ? opts->case_insensitive : 0, st = VL_ENOMEM;
  if (out) *out = NULL;
  if (!out || !pats || !lens || npats == 0) return VL_EINVAL;
  for (i = 0; i < npats; i++) {
    if (!pats[i] || lens[i] == 0) return VL_EINVAL;
    total += lens[i];
    if (total > VL_AC_MAX_PATTERN_BYTES) return VL_ELIMIT;
  }
  max_bytes = (opts && opts->max_bytes) ? opts->max_bytes : VL_AC_DEFAULT_MAX_BYTES;
  if (!(ac = calloc(1, sizeof *ac))) return VL_ENOMEM;
  memset(&b, 0, sizeof b);
  nc = ac->nclasses = make_classes(ac, pats, lens, npats, ci);
  /* upper bound of the memory: the build's trie plus the final table, per-state arrays */
  bound = (total + 1) * nc * 4 * 2 + (total + 1) * 4 * 9 + npats * 8;
  if (bound > max_bytes || (total + 1) * nc > UINT32_MAX) {
    st = VL_ELIMIT;
    goto fail;
  }
  b.trie = malloc((total + 1) * nc * sizeof *b.trie);
  b.fail = malloc((total + 1) * sizeof *b.fail);
  b.queue = malloc((total + 1) * sizeof *b.queue);
  b.own = malloc((total + 1) * sizeof *b.own);
  b.nout = malloc((total + 1) * sizeof *b.nout);
  b.depth = malloc((total + 1) * sizeof *b.depth);
  b.renum = malloc((total + 1) * sizeof *b.renum);
  b.next_pat = malloc(npats * sizeof *b.next_pat);
  ac->lens = malloc(npats * sizeof *ac->lens);
  if (!b.trie || !b.fail || !b.queue || !b.own || !b.nout || !b.depth || !b.renum || !b.next_pat || !ac->lens)
    goto fail;
  memset(b.trie, 0xff, (total + 1) * nc * sizeof *b.trie);
  memset(b.own, 0xff, (total + 1) * sizeof *b.own);
  ac->npats = (uint32_t)npats;
  for (i = 0; i < npats; i++) {
    ac->lens[i] = (uint32_t)lens[i];
    if (lens[i] > ac->max_len) ac->max_len = lens[i];
  }
  ns = ac->nstates = make_trie(&b, pats, lens, npats, ac, ci);
  nouts = make_dfa(&b, nc);
  if (nouts * 4 > max_bytes || nouts > UINT32_MAX) {
    st = VL_ELIMIT;
    goto fail;
  }

  /* Renumber: root and the other non-match states in BFS order, then match states. */
  for (s = 0, nm = 0; s < ns; s++) nm += b.nout[s] > 0;
  next_plain = 0;
  next_match = ns - nm;
  b.renum[0] = next_plain++;
  for (i = 0; i + 1 < ns; i++) {
    s = b.queue[i];
    b.renum[s] = b.nout[s] ? next_match++ : next_plain++;
  }
  ac->match_min = (ns - nm) * nc;
  ac->trans = malloc((size_t)ns * nc * sizeof *ac->trans);
  ac->depth = malloc((size_t)ns * sizeof *ac->depth);
  ac->out_off = malloc(((size_t)ns + 1) * sizeof *ac->out_off);
  ac->outs = malloc((nouts ? nouts : 1) * sizeof *ac->outs);
  if (!ac->trans || !ac->depth || !ac->out_off || !ac->outs) goto fail;
  for (s = 0; s < ns; s++) {
    uint32_t r = b.renum[s];
    for (c = 0; c < nc; c++) ac->trans[(size_t)r * nc + c] = b.renum[b.trie[(size_t)s * nc + c]] * nc;
    ac->depth[r] = b.depth[s];
  }
  /* Outputs by new number: own patterns (depth long, by id), then the failure
   * state's (shorter), so longest first. nout is reused as the write cursor. */
  {
    uint32_t *old_of = b.queue; /* the queue is free now: new number -> old */
    for (s = 0; s < ns; s++) old_of[b.renum[s]] = s;
    o = 0;
    for (s = 0; s < ns; s++) {
      uint32_t old = old_of[s], t = old, k;
      ac->out_off[s] = (uint32_t)o;
      if (!b.nout[old]) continue;
      while (t != 0) {
        for (k = b.own[t]; k != NONE; k = b.next_pat[k]) ac->outs[o++] = k;
        t = b.fail[t];
      }
    }
    ac->out_off[ns] = (uint32_t)o;
  }
  ac->mem = sizeof *ac + (size_t)ns * nc * 4 + (size_t)ns * 8 + 4 + (nouts ? nouts : 1) * 4 + npats * 4;
  /* root skip: a single byte that leaves the root */
  {
    int only = -1, n = 0, x;
    for (x = 0; x < 256; x++)
      if (ac->trans[ac->cls[x]] != 0) {
        only = x;
        n++;
      }
    ac->skip = n == 1 ? only : -1;
  }
  build_free(&b);
  *out = ac;
  return VL_OK;
fail:
  build_free(&b);
  vl_ac_free(ac);
  return st;
}

size_t vl_ac_npatterns(const vl_ac *ac) { return ac->npats; }
size_t vl_ac_nstates(const vl_ac *ac) { return ac->nstates; }
size_t vl_ac_nclasses(const vl_ac *ac) { return ac->nclasses; }
size_t vl_ac_max_len(const vl_ac *ac) { return ac->max_len; }
size_t vl_ac_pattern_len(const vl_ac *ac, uint32_t id) { return id < ac->npats ? ac->lens[id] : 0; }
size_t vl_ac_memory(const vl_ac *ac) { return ac->mem; }
int vl_ac_skip_byte(const vl_ac *ac) { return ac->skip; }

void vl_ac_scan_init(vl_ac_scan *sc)
{
  sc->state = 0;
  sc->offset = 0;
}

int vl_ac_is_match(const vl_ac *ac, uint32_t state)
{
  return state >= ac->match_min;
}

size_t vl_ac_depth(const vl_ac *ac, uint32_t state)
{
  if (state == 0) return 0; /* the common case, without a division */
  return ac->depth[state / ac->nclasses];
}

uint32_t vl_ac_longest(const vl_ac *ac, uint32_t state)
{
  uint32_t s = state / ac->nclasses;
  return ac->out_off[s] < ac->out_off[s + 1] ? ac->outs[ac->out_off[s]] : UINT32_MAX;
}

size_t vl_ac_outputs(const vl_ac *ac, uint32_t state, const uint32_t **ids)
{
  uint32_t s = state / ac->nclasses;
  *ids = ac->outs + ac->out_off[s];
  return ac->out_off[s + 1] - ac->out_off[s];
}

size_t vl_ac_scan_next(const vl_ac *ac, vl_ac_scan *sc, const void *p, size_t n, int *matched)
{
  const unsigned char *q = (const unsigned char *)p, *e = q + n;
  const uint32_t *tr = ac->trans;
  const uint8_t *cls = ac->cls;
  uint32_t s = sc->state, mm = ac->match_min;
  int skip = ac->skip;
  *matched = 0;
  while (q < e) {
    if (s == 0 && skip >= 0) {
      /* at the root only `skip` can start a match: let memchr find it */
      q = (const unsigned char *)memchr(q, skip, (size_t)(e - q));
      if (!q) {
        q = e;
        break;
      }
    }
    s = tr[s + cls[*q++]];
    if (s >= mm) {
      *matched = 1;
      break;
    }
  }
  sc->state = s;
  sc->offset += (uint64_t)(q - (const unsigned char *)p);
  return (size_t)(q - (const unsigned char *)p);
}

int vl_ac_scan_all(const vl_ac *ac, vl_ac_scan *sc, const void *p, size_t n, vl_ac_match_fn fn, void *ud)
{
  const char *q = (const char *)p;
  while (n > 0) {
    int matched;
    size_t k = vl_ac_scan_next(ac, sc, q, n, &matched);
    q += k;
    n -= k;
    if (matched) {
      const uint32_t *ids;
      size_t m = vl_ac_outputs(ac, sc->state, &ids), i;
      for (i = 0; i < m; i++) {
        int r = fn(ud, ids[i], sc->offset - ac->lens[ids[i]], sc->offset);
        if (r) return r;
      }
    }
  }
  return 0;
}
