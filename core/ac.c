/* ac.c: Aho-Corasick compiled to a dense, byte-class-compressed DFA (see ac.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <simde/x86/sse2.h>

#include "ac.h"
#include "vl_bits.h"

#define NONE UINT32_MAX

/* A word-index slot: the folded head, its first 16 bytes inline (zero padded). */
struct wslot {
  uint64_t k0, k1;
  uint32_t len;  /* 0: empty */
  uint32_t id;   /* the lowest id of a pattern that is this word, or NONE */
  uint32_t more; /* some pattern continues after this head */
  uint32_t koff; /* len > 16: the key's bytes at wkeys + koff */
};

struct vl_ac {
  uint8_t cls[256];     /* byte -> class */
  uint32_t nclasses, nstates, npats;
  uint32_t match_min;   /* premultiplied: states >= it are match states */
  int skip;             /* the only byte that leaves the root, or -1 */
  int nskip;            /* bytes that leave the root when <= VL_AC_SKIP_MAX, else 0 */
  unsigned char skipb[VL_AC_SKIP_MAX];
  /* prefix filter (many root bytes, patterns of 2+ bytes): a bit per hash of the
   * first fm bytes of every pattern (OR 0x20 per byte when case-insensitive) */
  uint64_t *fbits;
  uint32_t fmask, fci, fshift;
  uint32_t fm;          /* bytes hashed: 2..4 (every pattern has at least fm) */
  uint32_t dbound[4];   /* premultiplied: states below dbound[k] have depth <= k (k < fm) */
  uint32_t shallow;     /* premultiplied: states below it may consult the skip (depth < fm) */
  int skipper;          /* 0: none, 1: root bytes, 2: prefix filter */
  uint32_t *trans;      /* nstates * nclasses premultiplied next states */
  uint32_t *depth;      /* by state number */
  uint32_t *ext;        /* by state number: depth of the deepest state on the failure
                           chain (itself included) with a trie child, 0 at the root */
  uint32_t *out_off;    /* by state number, nstates + 1 entries into outs */
  uint32_t *outs;       /* pattern ids, longest first */
  uint32_t *lens;       /* pattern lengths */
  struct wslot *widx;  /* word index (opts.word_index): 2^k slots, key len 0 = empty */
  uint32_t wmask, wshift; /* slots - 1; 64 - log2(slots) */
  uint64_t *wbloom;     /* a bit per hash of each head (64 bits per head, at least 4096) */
  uint32_t wbshift;     /* 64 - log2(bits) */
  int wnonword;         /* some pattern starts with a non-word byte */
  int ci;               /* case-insensitive */
  unsigned char *wkeys; /* folded heads longer than 16 bytes */
  uint32_t dshift, dinv; /* state number = (premultiplied >> dshift) * dinv (exact) */
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
  free(ac->ext);
  free(ac->out_off);
  free(ac->outs);
  free(ac->lens);
  free(ac->fbits);
  free(ac->widx);
  free(ac->wkeys);
  free(ac->wbloom);
  free(ac);
}

/* Build-time scratch, freed in one place. */
typedef struct build {
  uint32_t *trie;      /* raw state ids, nstates_max * nclasses */
  uint32_t *fail, *queue, *own, *next_pat, *nout, *depth, *renum, *ext;
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
  free(b->ext);
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
  b->ext[0] = 0;
  while (head < tail) {
    uint32_t s = b->queue[head++], f = b->fail[s];
    uint32_t own = 0;
    int kids = 0;
    for (k = b->own[s]; k != NONE; k = b->next_pat[k]) own++;
    b->nout[s] = own + b->nout[f];
    total += b->nout[s];
    for (c = 0; c < nc; c++) kids |= b->trie[(size_t)s * nc + c] != NONE;
    b->ext[s] = kids ? b->depth[s] : b->ext[f];
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

#define FILTER_MUL 0x9E3779B1u

static uint32_t filter_hash(const vl_ac *ac, uint32_t w)
{
  return (((w | ac->fci) & ac->fmask) * FILTER_MUL) >> ac->fshift;
}

/* The prefix filter, when every pattern has 2 bytes or more: at the root, a
 * position can start a match only if the hash of its first 2 or 3 bytes is set. */
static int make_filter(vl_ac *ac, const char *const *pats, const size_t *lens, size_t npats, int ci)
{
  size_t i, min_len = SIZE_MAX, nbits = 4096;
  int fm, lg = 12;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return VL_OK; /* the scan hashes little-endian loads */
#endif
  for (i = 0; i < npats; i++)
    if (lens[i] < min_len) min_len = lens[i];
  if (min_len < 2) return VL_OK;
  fm = min_len >= 4 ? 4 : (int)min_len;
  while (nbits < 32 * npats && lg < 18) {
    nbits <<= 1;
    lg++;
  }
  if (!(ac->fbits = calloc(nbits / 64, sizeof *ac->fbits))) return VL_ENOMEM;
  ac->fmask = fm == 4 ? 0xFFFFFFFFu : fm == 3 ? 0xFFFFFFu : 0xFFFFu;
  ac->fm = (uint32_t)fm;
  ac->fci = ci ? 0x20202020u : 0;
  ac->fshift = (uint32_t)(32 - lg);
  for (i = 0; i < npats; i++) {
    const unsigned char *p = (const unsigned char *)pats[i];
    uint32_t w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (fm >= 3 ? (uint32_t)p[2] << 16 : 0) |
                 (fm == 4 ? (uint32_t)p[3] << 24 : 0), h;
    h = filter_hash(ac, w);
    ac->fbits[h >> 6] |= (uint64_t)1 << (h & 63);
  }
  ac->skipper = 2;
  ac->mem += nbits / 8;
  return VL_OK;
}

static int is_word(int c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static uint64_t load_le64(const unsigned char *q)
{
  uint64_t w;
  memcpy(&w, q, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}

/* Byte masks by min(len, 16): KEY_MASK[k][0] keeps the low min(k, 8) bytes of a
 * word, KEY_MASK[k][1] the low k - 8 bytes (none below 8, all from 16). */
#define M_(k) ((k) >= 8 ? ~0ull : ((uint64_t)1 << (8 * (k))) - 1)
static const uint64_t KEY_MASK[17][2] = {
  { 0, 0 }, { M_(1), 0 }, { M_(2), 0 }, { M_(3), 0 }, { M_(4), 0 }, { M_(5), 0 }, { M_(6), 0 },
  { M_(7), 0 }, { ~0ull, 0 }, { ~0ull, M_(1) }, { ~0ull, M_(2) }, { ~0ull, M_(3) }, { ~0ull, M_(4) },
  { ~0ull, M_(5) }, { ~0ull, M_(6) }, { ~0ull, M_(7) }, { ~0ull, ~0ull }
};
#undef M_

/* The key of the word q[0..len) (len >= 1, word bytes only): its first 16
 * bytes as two little-endian words, zero beyond len, and a hash of those and
 * len (the bytes after 16 are compared, not hashed). With ci every byte is ORed
 * with 0x20: on word bytes that is a one-to-one map that sends A-Z to a-z
 * (digits keep their bit, '_' becomes 0x7F). avail: bytes readable at q (at
 * least len). Branch-free but near the end of the input. */
static inline uint64_t word_key(const unsigned char *q, size_t len, size_t avail, int ci, uint64_t *k0,
                                uint64_t *k1)
{
  const uint64_t lower = ci ? 0x2020202020202020ull : 0;
  const uint64_t *mask = KEY_MASK[len < 16 ? len : 16];
  uint64_t a, b;
  unsigned char t[16];
  if (avail < 16) {
    memset(t, 0, sizeof t);
    memcpy(t, q, len < 16 ? len : 16);
    q = t;
  }
  a = (load_le64(q) | lower) & mask[0];
  b = (load_le64(q + 8) | lower) & mask[1];
  *k0 = a;
  *k1 = b;
  /* the high bits of each product depend on every bit of its factor */
  return (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full) ^ ((uint64_t)len << 56);
}

/* The bloom filter's bit for the word q[0..len) (word bytes only): a hash of its
 * first 8 bytes (as word_key has them) and len, cheaper than word_key's. The scan
 * in vl_ac_find_words computes the same inline. */
#define BLOOM_HASH(a, len) (((a) ^ (uint64_t)(len) << 56) * 0x9E3779B97F4A7C15ull)
static inline uint64_t word_bloom_bit(const vl_ac *ac, const unsigned char *q, size_t len, size_t avail)
{
  uint64_t a;
  if (avail < 8) {
    unsigned char t[8];
    memset(t, 0, sizeof t);
    memcpy(t, q, avail);
    a = load_le64(t);
  } else {
    a = load_le64(q);
  }
  a = (a | (ac->ci ? 0x2020202020202020ull : 0)) & KEY_MASK[len < 16 ? len : 16][0];
  return BLOOM_HASH(a, len) >> ac->wbshift;
}

/* Slot of key (k0, k1, rest q[16..len)) in the index: its slot, or the empty one
 * where it would go. avail: bytes readable at q (at least len). */
static inline struct wslot *word_slot(const vl_ac *ac, uint64_t h, uint64_t k0, uint64_t k1, const unsigned char *q,
                               size_t len, size_t avail, int ci)
{
  uint32_t i = (uint32_t)(h >> ac->wshift);
  for (;; i = (i + 1) & ac->wmask) {
    struct wslot *w = &ac->widx[i];
    if (w->len == 0) return w;
    if (w->len == len && w->k0 == k0 && w->k1 == k1) {
      /* the bytes after 16: 8 at a time against the stored ones (zero padded) */
      const uint64_t lower = ci ? 0x2020202020202020ull : 0;
      const unsigned char *k = ac->wkeys + w->koff;
      size_t j;
      for (j = 16; j < len; j += 8) {
        size_t r = len - j < 8 ? len - j : 8;
        uint64_t x;
        if (avail - j >= 8) {
          x = load_le64(q + j);
        } else {
          unsigned char t[8] = { 0 };
          memcpy(t, q + j, r);
          x = load_le64(t);
        }
        if (((x | lower) & KEY_MASK[r][0]) != load_le64(k + j - 16)) break;
      }
      if (j >= len) return w;
    }
  }
}

static int make_word_index(vl_ac *ac, const char *const *pats, const size_t *lens, size_t npats, int ci,
                           size_t max_bytes)
{
  size_t i, nslots = 16, nbits = 4096, keybytes = 0, ko = 0;
  for (i = 0; i < npats; i++) {
    size_t hl = 0;
    while (hl < lens[i] && is_word((unsigned char)pats[i][hl])) hl++;
    if (hl > 16) keybytes += (hl - 16 + 7) / 8 * 8; /* zero padded to 8 */
  }
  while (nslots < 4 * npats) nslots <<= 1;
  while (nbits < 64 * npats && nbits < ((size_t)1 << 24)) nbits <<= 1;
  if (nslots * sizeof(struct wslot) + keybytes + nbits / 8 > max_bytes || nslots > UINT32_MAX) return VL_ELIMIT;
  if (!(ac->widx = calloc(nslots, sizeof *ac->widx)) || !(ac->wkeys = calloc(keybytes ? keybytes : 1, 1)) ||
      !(ac->wbloom = calloc(nbits / 64, sizeof *ac->wbloom)))
    return VL_ENOMEM;
  ac->wmask = (uint32_t)(nslots - 1);
  ac->wshift = ac->wbshift = 64;
  for (i = nslots; i > 1; i >>= 1) ac->wshift--;
  for (i = nbits; i > 1; i >>= 1) ac->wbshift--;
  ac->mem += nslots * sizeof(struct wslot) + keybytes + nbits / 8;
  for (i = 0; i < npats; i++) { /* in id order: the first id of a word is the lowest */
    const unsigned char *q = (const unsigned char *)pats[i];
    size_t hl = 0, j;
    uint64_t k0, k1, h;
    struct wslot *w;
    while (hl < lens[i] && is_word(q[hl])) hl++;
    if (hl == 0) {
      ac->wnonword = 1;
      continue;
    }
    h = word_bloom_bit(ac, q, hl, hl);
    ac->wbloom[h >> 6] |= (uint64_t)1 << (h & 63);
    h = word_key(q, hl, hl, ci, &k0, &k1);
    w = word_slot(ac, h, k0, k1, q, hl, hl, ci);
    if (w->len == 0) {
      w->len = (uint32_t)hl;
      w->k0 = k0;
      w->k1 = k1;
      w->id = NONE;
      w->koff = (uint32_t)ko; /* wkeys[koff + j - 16] is byte j */
      for (j = 16; j < hl; j++) ac->wkeys[ko++] = (unsigned char)(q[j] | (ci ? 0x20 : 0));
      ko = (ko + 7) / 8 * 8;
    }
    if (hl < lens[i]) w->more = 1;
    else if (w->id == NONE) w->id = (uint32_t)i;
  }
  return VL_OK;
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
  ac->ci = ci != 0;
  {
    /* nc = 2^a * b with b odd; b's inverse mod 2^32 by Newton's iteration */
    uint32_t odd = nc, inv;
    int k;
    while (!(odd & 1u)) {
      odd >>= 1;
      ac->dshift++;
    }
    inv = odd; /* right to 3 bits */
    for (k = 0; k < 4; k++) inv *= 2u - odd * inv;
    ac->dinv = inv;
  }
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
  b.ext = malloc((total + 1) * sizeof *b.ext);
  b.next_pat = malloc(npats * sizeof *b.next_pat);
  ac->lens = malloc(npats * sizeof *ac->lens);
  if (!b.trie || !b.fail || !b.queue || !b.own || !b.nout || !b.depth || !b.renum || !b.ext || !b.next_pat || !ac->lens)
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
  ac->ext = malloc((size_t)ns * sizeof *ac->ext);
  ac->out_off = malloc(((size_t)ns + 1) * sizeof *ac->out_off);
  ac->outs = malloc((nouts ? nouts : 1) * sizeof *ac->outs);
  if (!ac->trans || !ac->depth || !ac->ext || !ac->out_off || !ac->outs) goto fail;
  for (s = 0; s < ns; s++) {
    uint32_t r = b.renum[s];
    for (c = 0; c < nc; c++) ac->trans[(size_t)r * nc + c] = b.renum[b.trie[(size_t)s * nc + c]] * nc;
    ac->depth[r] = b.depth[s];
    ac->ext[r] = b.ext[s];
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
  ac->mem = sizeof *ac + (size_t)ns * nc * 4 + (size_t)ns * 12 + 4 + (nouts ? nouts : 1) * 4 + npats * 4;
  /* root skip: the bytes that leave the root, when there are few */
  {
    int only = -1, n = 0, x;
    for (x = 0; x < 256; x++)
      if (ac->trans[ac->cls[x]] != 0) {
        only = x;
        if (n < VL_AC_SKIP_MAX) ac->skipb[n] = (unsigned char)x;
        n++;
      }
    ac->skip = n == 1 ? only : -1;
    ac->nskip = n <= VL_AC_SKIP_MAX ? n : 0;
    ac->skipper = ac->nskip ? 1 : 0;
  }
  if (!ac->skipper && make_filter(ac, pats, lens, npats, ci) != VL_OK) goto fail;
  if (ac->skipper == 2) {
    /* non-match states are numbered breadth first, so by depth; none is shallower than fm */
    uint32_t k, cnt[4] = {0, 0, 0, 0};
    for (s = 0; s < ns; s++)
      if (ac->depth[s] < ac->fm) cnt[ac->depth[s]]++;
    ac->dbound[0] = cnt[0];
    for (k = 1; k < 4; k++) ac->dbound[k] = ac->dbound[k - 1] + cnt[k];
    for (k = 0; k < 4; k++) ac->dbound[k] *= nc;
    ac->shallow = ac->dbound[ac->fm - 1];
  } else {
    ac->shallow = ac->skipper ? nc : 0; /* the root only */
  }
  if (opts && opts->word_index && (st = make_word_index(ac, pats, lens, npats, ci, max_bytes)) != VL_OK)
    goto fail;
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

/* The state number of a premultiplied state, without a division: premultiplied
 * states are exact multiples of nclasses. */
static inline uint32_t state_no(const vl_ac *ac, uint32_t state)
{
  return (state >> ac->dshift) * ac->dinv;
}

size_t vl_ac_depth(const vl_ac *ac, uint32_t state)
{
  return ac->depth[state_no(ac, state)];
}

uint32_t vl_ac_longest(const vl_ac *ac, uint32_t state)
{
  uint32_t s = state_no(ac, state);
  return ac->out_off[s] < ac->out_off[s + 1] ? ac->outs[ac->out_off[s]] : UINT32_MAX;
}

size_t vl_ac_outputs(const vl_ac *ac, uint32_t state, const uint32_t **ids)
{
  uint32_t s = state_no(ac, state);
  *ids = ac->outs + ac->out_off[s];
  return ac->out_off[s + 1] - ac->out_off[s];
}

static uint32_t load32(const unsigned char *q)
{
  uint32_t w;
  memcpy(&w, q, 4);
  return w; /* little-endian byte order assumed by the filter's hashes */
}

/* The first position of q[0..e) where a match may start by the prefix filter, or
 * a position less than 4 bytes from e. */
static const unsigned char *filter_skip(const vl_ac *ac, const unsigned char *q, const unsigned char *e)
{
  const uint64_t *bits = ac->fbits;
  uint32_t ci = ac->fci, mask = ac->fmask, sh = ac->fshift;
#define VL_AC_PROBE(w) ((((((w) | ci) & mask) * FILTER_MUL) >> sh))
  while (e - q >= 8) {
    uint64_t w;
    uint32_t h0, h1, h2, h3;
    memcpy(&w, q, 8);
    h0 = VL_AC_PROBE((uint32_t)w);
    h1 = VL_AC_PROBE((uint32_t)(w >> 8));
    h2 = VL_AC_PROBE((uint32_t)(w >> 16));
    h3 = VL_AC_PROBE((uint32_t)(w >> 24));
    if ((bits[h0 >> 6] >> (h0 & 63)) & 1) return q;
    if ((bits[h1 >> 6] >> (h1 & 63)) & 1) return q + 1;
    if ((bits[h2 >> 6] >> (h2 & 63)) & 1) return q + 2;
    if ((bits[h3 >> 6] >> (h3 & 63)) & 1) return q + 3;
    q += 4;
  }
  while (e - q >= 4) {
    uint32_t h = VL_AC_PROBE(load32(q));
    if ((bits[h >> 6] >> (h & 63)) & 1) return q;
    q++;
  }
#undef VL_AC_PROBE
  return q;
}

/* The first byte of q[0..e) that leaves the root (ac->nskip > 0), or e; with the
 * prefix filter, the first position that may start a match. */
static const unsigned char *root_skip(const vl_ac *ac, const unsigned char *q, const unsigned char *e)
{
  int k, nb = ac->nskip;
  if (ac->skipper == 2) return filter_skip(ac, q, e);
  if (nb == 1) {
    const unsigned char *r = (const unsigned char *)memchr(q, ac->skipb[0], (size_t)(e - q));
    return r ? r : e;
  }
  if (e - q >= 16) {
    simde__m128i b[VL_AC_SKIP_MAX];
    for (k = 0; k < nb; k++) b[k] = simde_mm_set1_epi8((char)ac->skipb[k]);
    do {
      simde__m128i v = simde_mm_loadu_si128((const simde__m128i *)(const void *)q);
      simde__m128i m = simde_mm_cmpeq_epi8(v, b[0]);
      unsigned bits;
      for (k = 1; k < nb; k++) m = simde_mm_or_si128(m, simde_mm_cmpeq_epi8(v, b[k]));
      bits = (unsigned)simde_mm_movemask_epi8(m);
      if (bits) return q + vl_ctz32(bits);
      q += 16;
    } while (e - q >= 16);
  }
  for (; q < e; q++)
    if (ac->trans[ac->cls[*q]] != 0) return q;
  return e;
}

size_t vl_ac_scan_next(const vl_ac *ac, vl_ac_scan *sc, const void *p, size_t n, int *matched)
{
  const unsigned char *q = (const unsigned char *)p, *e = q + n;
  const uint32_t *tr = ac->trans;
  const uint8_t *cls = ac->cls;
  uint32_t s = sc->state, mm = ac->match_min;
  int skip = ac->skipper;
  *matched = 0;
  while (q < e) {
    if (s == 0 && skip) {
      /* at the root only a few bytes can start a match: jump to the next one */
      q = root_skip(ac, q, e);
      if (q == e) break;
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

/* ---- match kinds, word boundaries, streaming ------------------------------------------ */

typedef struct cand {
  uint64_t start, end; /* start == UINT64_MAX: empty slot */
  uint32_t id;
} cand;

struct vl_ac_stream {
  const vl_ac *ac;
  int kind, wb, dead, finished, deferred;
  uint32_t state;
  uint64_t off;       /* bytes fed */
  /* leftmost kinds: candidates, one per start, in ring[start & rmask] */
  cand *ring;
  size_t rmask;
  int have;           /* some candidate with start >= last_end is in flight */
  uint64_t lo, hi;    /* the leftmost candidate's start; the largest start added */
  uint64_t last_end;  /* occurrences starting before it are dropped */
  /* word boundaries: the last bytes fed, hist[o & hmask] = byte at offset o */
  unsigned char *hist;
  size_t hmask;
  const unsigned char *whole; /* one-shot: the byte at offset o is whole[o] */
};

static size_t pow2_at_least(size_t n)
{
  size_t r = 1;
  while (r < n) r <<= 1;
  return r;
}

int vl_ac_stream_new(const vl_ac *ac, int kind, int word_boundary, vl_ac_stream **out)
{
  vl_ac_stream *st;
  if (out) *out = NULL;
  if (!ac || !out || kind < VL_AC_STANDARD || kind > VL_AC_LEFTMOST_LONGEST) return VL_EINVAL;
  if (!(st = calloc(1, sizeof *st))) return VL_ENOMEM;
  st->ac = ac;
  st->kind = kind;
  st->wb = word_boundary != 0;
  if (kind != VL_AC_STANDARD) {
    size_t r = pow2_at_least(ac->max_len + 2);
    st->rmask = r - 1;
    if (!(st->ring = malloc(r * sizeof *st->ring))) goto fail;
  }
  if (st->wb) {
    size_t r = pow2_at_least(ac->max_len + 1);
    st->hmask = r - 1;
    if (!(st->hist = calloc(r, 1))) goto fail;
  }
  vl_ac_stream_reset(st);
  *out = st;
  return VL_OK;
fail:
  vl_ac_stream_free(st);
  return VL_ENOMEM;
}

void vl_ac_stream_free(vl_ac_stream *st)
{
  if (!st) return;
  free(st->ring);
  free(st->hist);
  free(st);
}

void vl_ac_stream_reset(vl_ac_stream *st)
{
  size_t i;
  st->dead = st->finished = st->deferred = st->have = 0;
  st->state = 0;
  st->off = st->lo = st->hi = st->last_end = 0;
  st->whole = NULL;
  if (st->ring)
    for (i = 0; i <= st->rmask; i++) st->ring[i].start = UINT64_MAX;
}

uint64_t vl_ac_stream_offset(const vl_ac_stream *st)
{
  return st->off;
}

/* Emit every final candidate: the leftmost one while no later occurrence can start
 * at or before it (its start < limit), then the next at or after its end. */
static int settle(vl_ac_stream *st, uint64_t limit, vl_ac_match_fn fn, void *ud)
{
  while (st->have && st->lo < limit) {
    const cand *c = &st->ring[st->lo & st->rmask];
    uint64_t x;
    int r = fn(ud, c->id, c->start, c->end);
    if (r) {
      st->dead = 1;
      return r;
    }
    st->last_end = c->end;
    st->have = 0;
    for (x = st->last_end; x <= st->hi; x++)
      if (st->ring[x & st->rmask].start == x) {
        st->lo = x;
        st->have = 1;
        break;
      }
  }
  return 0;
}

/* One occurrence of a leftmost kind. */
static void add_cand(vl_ac_stream *st, uint32_t id, uint64_t start, uint64_t end)
{
  cand *c;
  if (start < st->last_end) return;
  c = &st->ring[start & st->rmask];
  if (c->start != start) {
    c->start = start;
    c->end = end;
    c->id = id;
  } else if (st->kind == VL_AC_LEFTMOST_LONGEST ? end > c->end : id < c->id) {
    c->end = end;
    c->id = id;
  }
  if (!st->have) {
    st->have = 1;
    st->lo = st->hi = start;
  } else {
    if (start < st->lo) st->lo = start;
    if (start > st->hi) st->hi = start;
  }
}

/* The byte at absolute offset o (o >= base - history size; o < base + chunk size). */
static int byte_at(const vl_ac_stream *st, const unsigned char *p, uint64_t base, uint64_t o)
{
  if (o >= base) return p[o - base];
  if (st->whole) return st->whole[o];
  return st->hist[o & st->hmask];
}

/* The occurrences ending at `end` (the outputs of match state s); right: the byte
 * after them or -1 (end of input); the chunk p starts at absolute offset base. */
static int occurrences(vl_ac_stream *st, uint32_t s, uint64_t end, int right, const unsigned char *p,
                       uint64_t base, vl_ac_match_fn fn, void *ud)
{
  const vl_ac *ac = st->ac;
  const uint32_t *ids;
  size_t m = vl_ac_outputs(ac, s, &ids), i;
  if (st->wb && right >= 0 && is_word(right)) return 0;
  for (i = 0; i < m; i++) {
    uint32_t id = ids[i];
    uint64_t start = end - ac->lens[id];
    /* start - 1 >= end - max_len - 1: in this chunk or in the history */
    if (st->wb && start > 0 && is_word(byte_at(st, p, base, start - 1)))
      continue;
    if (st->kind == VL_AC_STANDARD) {
      int r = fn(ud, id, start, end);
      if (r) {
        st->dead = 1;
        return r;
      }
    } else {
      add_cand(st, id, start, end);
    }
  }
  return 0;
}

int vl_ac_stream_feed(vl_ac_stream *st, const void *p0, size_t n, vl_ac_match_fn fn, void *ud)
{
  const vl_ac *ac = st->ac;
  const unsigned char *p = (const unsigned char *)p0, *q = p, *e = p + n;
  const uint32_t *tr = ac->trans;
  const uint8_t *cls = ac->cls;
  uint32_t s = st->state, mm = ac->match_min;
  uint64_t base = st->off;
  int r, skip = ac->skipper;
  uint32_t shallow = ac->shallow;
  ptrdiff_t lastc = -1; /* the last position (in p) the filter let through: not asked again */
  if (st->dead || st->finished) return VL_EINVAL;
  if (n == 0) return 0;
  if (st->deferred) {
    st->deferred = 0;
    if ((r = occurrences(st, s, base, p[0], p, base, fn, ud))) return r;
  }
  while (q < e) {
    if (s < shallow) {
      if (skip == 1) {
        q = root_skip(ac, q, e);
        if (q == e) break;
      } else {
        /* depth d < fm: a later match starts at q - d or after, at a position the
         * prefix filter lets through; jump there from the root (exact: nothing ends
         * before fm bytes, and no match can start between) */
        const unsigned char *c;
        size_t d = (s >= ac->dbound[0]) + (s >= ac->dbound[1]) + (s >= ac->dbound[2]);
        if ((size_t)(q - p) >= d && (q - p) - (ptrdiff_t)d > lastc &&
            (c = filter_skip(ac, q - d, e), lastc = c - p, c > q - d)) {
          q = c;
          s = 0;
          if (st->have && (r = settle(st, base + (uint64_t)(q - p), fn, ud))) {
            st->state = s;
            return r;
          }
        }
      }
    }
    s = tr[s + cls[*q++]];
    if (s >= mm) {
      if (q == e && st->wb) {
        st->deferred = 1; /* the byte after these occurrences is in the next chunk */
      } else if ((r = occurrences(st, s, base + (uint64_t)(q - p), q < e ? *q : -1, p, base, fn, ud))) {
        st->state = s;
        return r;
      }
    }
    if (st->have) {
      uint64_t pos = base + (uint64_t)(q - p);
      /* a later occurrence can only start in the suffix that may still grow into a
       * pattern; deferred occurrences (ending here) anywhere in the matched suffix */
      uint32_t d = s == 0 ? 0 : st->deferred ? ac->depth[state_no(ac, s)] : ac->ext[state_no(ac, s)];
      if ((r = settle(st, pos - d, fn, ud))) {
        st->state = s;
        return r;
      }
    }
  }
  st->state = s;
  st->off = base + n;
  if (st->wb && !st->whole) {
    size_t h = st->hmask + 1, k = n < h ? n : h;
    uint64_t o;
    for (o = st->off - k; o < st->off; o++) st->hist[o & st->hmask] = p[o - base];
  }
  return 0;
}

int vl_ac_stream_finish(vl_ac_stream *st, vl_ac_match_fn fn, void *ud)
{
  int r;
  if (st->dead || st->finished) return VL_EINVAL;
  if (st->deferred) {
    st->deferred = 0;
    if ((r = occurrences(st, st->state, st->off, -1, NULL, st->off, fn, ud))) return r;
  }
  if ((r = settle(st, UINT64_MAX, fn, ud))) return r;
  st->finished = 1;
  return 0;
}

int vl_ac_stream_find(vl_ac_stream *st, const void *p, size_t n, size_t from, vl_ac_match_fn fn, void *ud)
{
  int r;
  vl_ac_stream_reset(st);
  if (from > n) from = n;
  st->off = st->last_end = from;
  st->whole = (const unsigned char *)p;
  r = vl_ac_stream_feed(st, (const char *)p + from, n - from, fn, ud);
  if (!r) r = vl_ac_stream_finish(st, fn, ud);
  st->whole = NULL;
  return r;
}

/* ---- leftmost matches at word boundaries, anchored ------------------------------------ */

/* Bit i set when q[i] is a word byte ([A-Za-z0-9_]), for 16 bytes. */
static unsigned word_mask16(const unsigned char *q)
{
  simde__m128i v = simde_mm_loadu_si128((const simde__m128i *)(const void *)q);
  simde__m128i a = simde_mm_sub_epi8(simde_mm_or_si128(v, simde_mm_set1_epi8(0x20)), simde_mm_set1_epi8('a'));
  simde__m128i d = simde_mm_sub_epi8(v, simde_mm_set1_epi8('0'));
  simde__m128i m = simde_mm_cmpeq_epi8(simde_mm_min_epu8(a, simde_mm_set1_epi8(25)), a);
  m = simde_mm_or_si128(m, simde_mm_cmpeq_epi8(simde_mm_min_epu8(d, simde_mm_set1_epi8(9)), d));
  m = simde_mm_or_si128(m, simde_mm_cmpeq_epi8(v, simde_mm_set1_epi8('_')));
  return (unsigned)simde_mm_movemask_epi8(m);
}

/* The first position s >= pos of p[0..n) where a counting occurrence may start:
 * the byte before it is not a word byte (none before 0) and p[s] leaves the
 * root; n when there is none. */
static size_t word_start(const vl_ac *ac, const unsigned char *p, size_t n, size_t pos)
{
  const uint32_t *tr = ac->trans;
  const uint8_t *cls = ac->cls;
  while (n - pos >= 16) {
    unsigned prev = pos > 0 && is_word(p[pos - 1]);
    unsigned c = ~((word_mask16(p + pos) << 1) | prev) & 0xFFFFu;
    while (c) {
      size_t s = pos + (size_t)vl_ctz32(c);
      if (tr[cls[p[s]]] != 0) return s;
      c &= c - 1;
    }
    pos += 16;
  }
  for (; pos < n; pos++)
    if (!(pos > 0 && is_word(p[pos - 1])) && tr[cls[p[pos]]] != 0) return pos;
  return n;
}

/* The end of the run of word bytes that starts at s. */
static size_t word_end(const unsigned char *p, size_t n, size_t s)
{
  while (n - s >= 16) {
    unsigned nw = ~word_mask16(p + s) & 0xFFFFu;
    if (nw) return s + (size_t)vl_ctz32(nw);
    s += 16;
  }
  while (s < n && is_word(p[s])) s++;
  return s;
}

/* Walk the trie from the root along p[s..n): the pattern kept by `kind` among
 * those that are a prefix of p[s..) and end at a word boundary (*end: its end),
 * or NONE. */
static uint32_t walk_words(const vl_ac *ac, int kind, const unsigned char *p, size_t n, size_t s, size_t *end)
{
  const uint32_t *tr = ac->trans, *depth = ac->depth;
  const uint8_t *cls = ac->cls;
  uint32_t mm = ac->match_min, st = 0, d = 0, best = NONE;
  size_t k = s;
  while (k < n) {
    /* the DFA's step stays on the trie exactly when it goes one level deeper */
    uint32_t nx = tr[st + cls[p[k]]], no = state_no(ac, nx);
    if (depth[no] != d + 1) break;
    st = nx;
    d++;
    k++;
    if (st >= mm) {
      /* the first output is the longest, lowest id: the path itself when a
       * pattern ends at this depth */
      uint32_t id = ac->outs[ac->out_off[no]];
      if (ac->lens[id] == d && (k == n || !is_word(p[k])) && (kind == VL_AC_LEFTMOST_LONGEST || id < best)) {
        best = id;
        *end = k;
      }
    }
  }
  return best;
}

/* Bit i set when p[i] is a word byte, for the 64 bytes at p (bytes at or after
 * avail count as non-word). */
static uint64_t word_mask64(const unsigned char *p, size_t avail)
{
  unsigned char t[64];
  if (avail < 64) {
    memset(t, 0, sizeof t);
    memcpy(t, p, avail);
    p = t;
  }
  return (uint64_t)word_mask16(p) | (uint64_t)word_mask16(p + 16) << 16 | (uint64_t)word_mask16(p + 32) << 32 |
         (uint64_t)word_mask16(p + 48) << 48;
}

/* The pattern kept by `kind` at the word p[s..e) (word index present), or NONE. */
static uint32_t probe_word(const vl_ac *ac, int kind, const unsigned char *p, size_t n, size_t s, size_t e,
                           size_t *end)
{
  uint64_t k0, k1, h;
  const struct wslot *w;
  size_t len = e - s;
  h = word_key(p + s, len, n - s, ac->ci, &k0, &k1);
  w = word_slot(ac, h, k0, k1, p + s, len, n - s, ac->ci);
  if (w->len == 0) return NONE;
  if (w->more) return walk_words(ac, kind, p, n, s, end);
  *end = e;
  return w->id;
}

int vl_ac_find_words(const vl_ac *ac, int kind, const void *p0, size_t n, size_t from, vl_ac_match_fn fn,
                     void *ud)
{
  const unsigned char *p = (const unsigned char *)p0;
  size_t pos = from > n ? n : from, blk, skip = 0;
  uint64_t carry, wnext, lower = ac->ci ? 0x2020202020202020ull : 0;
  const uint64_t *bloom = ac->wbloom;
  const unsigned bshift = ac->wbshift;
  if (kind != VL_AC_LEFTMOST_FIRST && kind != VL_AC_LEFTMOST_LONGEST) return VL_EINVAL;
  if (!ac->widx || ac->wnonword) {
    /* every position after a non-word byte may start an occurrence: walk them */
    while ((pos = word_start(ac, p, n, pos)) < n) {
      size_t at = pos, end = 0;
      uint32_t id = walk_words(ac, kind, p, n, at, &end);
      pos = at + 1;
      if (id != NONE) {
        int r = fn(ud, id, at, end);
        if (r) return r;
        pos = end;
      }
    }
    return 0;
  }
  /* Only words start occurrences. Per block of 64 bytes: first, without a
   * data-dependent branch, the words whose hash passes the bloom filter (about 1
   * in 64 of the others); then those, in order, through the index. A match that
   * runs past its word (a phrase) drops the starts before its end. */
  carry = pos > 0 && is_word(p[pos - 1]);
  wnext = pos < n ? word_mask64(p + pos, n - pos) : 0;
  for (blk = pos; blk < n; blk += 64) {
    uint64_t w = wnext;
    uint64_t starts = w & ~((w << 1) | carry);
    size_t cs[32], ce[32], nc = 0, i;
    carry = w >> 63;
    wnext = blk + 64 < n ? word_mask64(p + blk + 64, n - blk - 64) : 0;
    if (skip > blk) starts = skip - blk >= 64 ? 0 : starts & (~0ull << (skip - blk));
    while (starts) {
      int bit = vl_ctz64(starts);
      uint64_t rest = ~w >> bit, h; /* rest: bit 0 clear; the first set bit ends the word */
      size_t s = blk + (size_t)bit, e, len;
      starts &= starts - 1;
      if (rest) {
        e = s + (size_t)vl_ctz64(rest);
      } else if (~wnext) { /* the word ends in the next block (or at n: no word bytes there) */
        e = blk + 64 + (size_t)vl_ctz64(~wnext);
      } else {
        e = word_end(p, n, blk + 128);
      }
      len = e - s;
      if (n - s >= 8) {
        h = load_le64(p + s);
      } else {
        unsigned char t[8];
        memset(t, 0, sizeof t);
        memcpy(t, p + s, n - s);
        h = load_le64(t);
      }
      h = BLOOM_HASH((h | lower) & KEY_MASK[len < 16 ? len : 16][0], len) >> bshift;
      cs[nc] = s;
      ce[nc] = e;
      nc += (size_t)((bloom[h >> 6] >> (h & 63)) & 1); /* a word over max_len fails its probe */
    }
    for (i = 0; i < nc; i++) {
      size_t end = 0;
      uint32_t id;
      if (cs[i] < skip || (id = probe_word(ac, kind, p, n, cs[i], ce[i], &end)) == NONE) continue;
      {
        int r = fn(ud, id, cs[i], end);
        if (r) return r;
      }
      if (end > ce[i]) skip = end; /* a phrase */
    }
  }
  return 0;
}
