/* stream_filter.c: the thinking-tag filter state machine over ac.h (see stream_filter.h). */
#include <stdlib.h>
#include <string.h>

#include "ac.h"
#include "stream_filter.h"

struct vl_sf_config {
  vl_ac *starts;      /* pattern i = start tag of pair i */
  vl_ac **ends;       /* ends[i]: the end tag of pair i alone */
  size_t ntags, max_len;
};

/* One output (content or thinking) of a call: a view into the chunk while it is a
 * single piece of it, else bytes copied into buf. */
typedef struct obuf {
  char *buf;
  size_t len, cap;
  const char *view;
  size_t view_len;
} obuf;

struct vl_sf {
  const vl_sf_config *cfg;
  uint64_t max_thinking;
  vl_ac_scan sc;          /* scan of the current mode's automaton */
  uint64_t pos;           /* bytes fed */
  uint64_t decided;       /* bytes given to an output (or dropped as tags): pos - hold_len */
  int thinking;
  uint32_t tag;           /* the open block's pair */
  unsigned char hold[VL_SF_MAX_TAG_LEN];
  size_t hold_len;
  uint64_t counts[2];     /* content, thinking bytes */
  uint64_t blocks, abort_at;
  int aborted, finished, failed;
  obuf out[2];            /* content, thinking */
  vl_sf_event *ev;
  size_t nev, evcap;
};

static int fold_eq(const char *a, const char *b, size_t n, int ci)
{
  size_t i;
  if (!ci) return memcmp(a, b, n) == 0;
  for (i = 0; i < n; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
    if (x != y) return 0;
  }
  return 1;
}

void vl_sf_config_free(vl_sf_config *cfg)
{
  size_t i;
  if (!cfg) return;
  vl_ac_free(cfg->starts);
  if (cfg->ends)
    for (i = 0; i < cfg->ntags; i++) vl_ac_free(cfg->ends[i]);
  free(cfg->ends);
  free(cfg);
}

/* Check every pair: 0 or the failure code, *bad the pair. */
static int check_tags(const vl_sf_tag *tags, size_t ntags, int ci, size_t *bad)
{
  size_t i, j;
  *bad = ntags;
  if (!tags || ntags == 0) return VL_EINVAL;
  if (ntags > VL_SF_MAX_TAGS) return VL_ELIMIT;
  for (i = 0; i < ntags; i++) {
    *bad = i;
    if (!tags[i].start || !tags[i].end || !tags[i].start_len || !tags[i].end_len) return VL_EINVAL;
    if (tags[i].start_len > VL_SF_MAX_TAG_LEN || tags[i].end_len > VL_SF_MAX_TAG_LEN) return VL_ELIMIT;
    for (j = 0; j < i; j++)
      if (tags[j].start_len == tags[i].start_len && fold_eq(tags[j].start, tags[i].start, tags[i].start_len, ci))
        return VL_EINVAL;
  }
  *bad = ntags;
  return VL_OK;
}

int vl_sf_config_new(const vl_sf_tag *tags, size_t ntags, int case_insensitive, vl_sf_config **out,
                     size_t *bad)
{
  vl_sf_config *cfg;
  const char **pats = NULL;
  size_t *lens = NULL, i, badi;
  vl_ac_opts o;
  int st;
  *out = NULL;
  st = check_tags(tags, ntags, case_insensitive, &badi);
  if (bad) *bad = badi;
  if (st != VL_OK) return st;
  memset(&o, 0, sizeof o);
  o.case_insensitive = case_insensitive;
  cfg = calloc(1, sizeof *cfg);
  pats = malloc(ntags * sizeof *pats);
  lens = malloc(ntags * sizeof *lens);
  if (!cfg || !pats || !lens || !(cfg->ends = calloc(ntags, sizeof *cfg->ends))) {
    st = VL_ENOMEM;
    goto done;
  }
  cfg->ntags = ntags;
  for (i = 0; i < ntags; i++) {
    pats[i] = tags[i].start;
    lens[i] = tags[i].start_len;
    if (tags[i].start_len > cfg->max_len) cfg->max_len = tags[i].start_len;
    if (tags[i].end_len > cfg->max_len) cfg->max_len = tags[i].end_len;
    st = vl_ac_build(&tags[i].end, &tags[i].end_len, 1, &o, &cfg->ends[i]);
    if (st != VL_OK) goto done;
  }
  st = vl_ac_build(pats, lens, ntags, &o, &cfg->starts);
done:
  free(pats);
  free(lens);
  if (st != VL_OK) {
    vl_sf_config_free(cfg);
    return st;
  }
  *out = cfg;
  return VL_OK;
}

size_t vl_sf_config_max_tag_len(const vl_sf_config *cfg)
{
  return cfg->max_len;
}

vl_sf *vl_sf_new(const vl_sf_config *cfg, uint64_t max_thinking_bytes)
{
  vl_sf *f;
  if (!cfg) return NULL;
  if (!(f = calloc(1, sizeof *f))) return NULL;
  f->cfg = cfg;
  f->max_thinking = max_thinking_bytes;
  vl_sf_reset(f);
  return f;
}

void vl_sf_reset(vl_sf *f)
{
  vl_ac_scan_init(&f->sc);
  f->pos = f->decided = 0;
  f->thinking = 0;
  f->tag = 0;
  f->hold_len = 0;
  f->counts[0] = f->counts[1] = 0;
  f->blocks = 0;
  f->abort_at = VL_SF_NO_LIMIT;
  f->aborted = f->finished = f->failed = 0;
  f->nev = 0;
}

void vl_sf_free(vl_sf *f)
{
  if (!f) return;
  free(f->out[0].buf);
  free(f->out[1].buf);
  free(f->ev);
  free(f);
}

static int reserve(obuf *o, size_t n)
{
  char *b;
  size_t cap;
  o->len = 0;
  o->view = NULL;
  o->view_len = 0;
  if (n <= o->cap) return 1;
  cap = o->cap ? o->cap : 64;
  while (cap < n) cap = cap > ((size_t)-1) / 2 ? n : cap * 2;
  if (!(b = malloc(cap))) return 0;
  free(o->buf);
  o->buf = b;
  o->cap = cap;
  return 1;
}

/* Append s[0..n) to o; a lone piece of the chunk stays a view. */
static void put(obuf *o, const char *s, size_t n, int in_chunk)
{
  if (n == 0) return;
  if (o->len == 0 && !o->view && in_chunk) {
    o->view = s;
    o->view_len = n;
    return;
  }
  if (o->view) {
    memcpy(o->buf, o->view, o->view_len);
    o->len = o->view_len;
    o->view = NULL;
  }
  memcpy(o->buf + o->len, s, n);
  o->len += n;
}

static int push_event(vl_sf *f, int kind, uint32_t tag, uint64_t start, uint64_t end)
{
  vl_sf_event *e;
  if (f->nev == f->evcap) {
    size_t cap = f->evcap ? f->evcap * 2 : 8;
    vl_sf_event *ev = realloc(f->ev, cap * sizeof *ev);
    if (!ev) return 0;
    f->ev = ev;
    f->evcap = cap;
  }
  e = &f->ev[f->nev++];
  e->kind = kind;
  e->tag = tag;
  e->start = start;
  e->end = end;
  return 1;
}

/* Give the input bytes [a, b) to the current mode's output. The chunk p starts at
 * absolute offset base; the bytes before it are in hold (as at the call's start). */
static int emit(vl_sf *f, const char *p, uint64_t base, size_t hold_len, uint64_t a, uint64_t b)
{
  obuf *o = &f->out[f->thinking];
  uint64_t hold_end = b < base ? b : base, chunk_start = a > base ? a : base;
  if (b <= a) return 1;
  if (f->thinking && !f->aborted && f->max_thinking != VL_SF_NO_LIMIT && f->counts[1] + (b - a) > f->max_thinking) {
    f->aborted = 1;
    f->abort_at = a + (f->max_thinking - f->counts[1]);
    if (!push_event(f, VL_SF_ABORT, f->tag, f->abort_at, f->abort_at + 1)) return 0;
  }
  f->counts[f->thinking] += b - a;
  if (a < hold_end) put(o, (const char *)f->hold + (size_t)(a - (base - hold_len)), (size_t)(hold_end - a), 0);
  if (chunk_start < b) put(o, p + (size_t)(chunk_start - base), (size_t)(b - chunk_start), 1);
  return 1;
}

static const vl_ac *current(const vl_sf *f)
{
  return f->thinking ? f->cfg->ends[f->tag] : f->cfg->starts;
}

static void view_out(vl_sf *f, vl_sf_out *out)
{
  int k;
  for (k = 0; k < 2; k++) {
    const obuf *o = &f->out[k];
    const char *s = o->view ? o->view : o->buf;
    size_t n = o->view ? o->view_len : o->len;
    if (!s) s = ""; /* never NULL, even before the first allocation */
    if (k) {
      out->thinking = s;
      out->thinking_len = n;
    } else {
      out->content = s;
      out->content_len = n;
    }
  }
  out->events = f->ev;
  out->nevents = f->nev;
}

int vl_sf_feed(vl_sf *f, const void *pv, size_t n, int last, vl_sf_out *out)
{
  const char *p = (const char *)pv;
  size_t i = 0, hold_len = f->hold_len, depth;
  uint64_t base = f->pos, keep_from;
  memset(out, 0, sizeof *out);
  if (f->failed) return VL_ENOMEM;
  if (f->finished) return VL_EINVAL;
  f->nev = 0;
  if (!hold_len && !last && f->sc.state == 0) {
    /* Fast path, the common delta: nothing held, at the root, and no byte of the
     * chunk can start a tag, so all of it goes to the current mode's output as a
     * view (no copy, no allocation). */
    int skip = vl_ac_skip_byte(current(f));
    if (skip >= 0 && (n == 0 || !memchr(p, skip, n))) {
      f->out[0].len = f->out[1].len = 0;
      f->out[0].view = f->out[1].view = NULL;
      f->pos += n;
      if (!emit(f, p, base, 0, f->decided, f->pos)) goto nomem;
      f->decided = f->pos;
      view_out(f, out);
      return VL_OK;
    }
  }
  if (!reserve(&f->out[0], hold_len + n) || !reserve(&f->out[1], hold_len + n)) goto nomem;
  f->pos += n;
  while (i < n) {
    const vl_ac *ac = current(f);
    int matched;
    i += vl_ac_scan_next(ac, &f->sc, p + i, n - i, &matched);
    if (matched) {
      uint32_t id = f->thinking ? f->tag : vl_ac_longest(ac, f->sc.state);
      uint64_t e = base + i, s = e - vl_ac_pattern_len(ac, f->thinking ? 0 : id);
      if (!emit(f, p, base, hold_len, f->decided, s)) goto nomem;
      if (!push_event(f, f->thinking ? VL_SF_LEAVE : VL_SF_ENTER, id, s, e)) goto nomem;
      if (!f->thinking) f->blocks++;
      f->decided = e;
      f->thinking = !f->thinking;
      f->tag = id;
      vl_ac_scan_init(&f->sc);
    }
  }
  depth = last ? 0 : vl_ac_depth(current(f), f->sc.state);
  keep_from = base + n - depth;
  if (!emit(f, p, base, hold_len, f->decided, keep_from)) goto nomem;
  f->decided = keep_from;
  /* the new held bytes: [keep_from, base + n), possibly partly from the old hold */
  if (depth == 0) {
    /* nothing held */
  } else if (depth <= n) {
    memcpy(f->hold, p + n - depth, depth);
  } else {
    memmove(f->hold, f->hold + (hold_len - (depth - n)), depth - n);
    if (n) memcpy(f->hold + (depth - n), p, n);
  }
  f->hold_len = depth;
  if (last) {
    f->finished = 1;
    vl_ac_scan_init(&f->sc);
  }
  view_out(f, out);
  return VL_OK;
nomem:
  f->failed = 1;
  memset(out, 0, sizeof *out);
  return VL_ENOMEM;
}

int vl_sf_finish(vl_sf *f, vl_sf_out *out)
{
  return vl_sf_feed(f, NULL, 0, 1, out);
}

void vl_sf_stats(const vl_sf *f, vl_sf_info *info)
{
  info->bytes_in = f->pos;
  info->content_bytes = f->counts[0];
  info->thinking_bytes = f->counts[1];
  info->blocks = f->blocks;
  info->abort_at = f->abort_at;
  info->held = f->hold_len;
  info->thinking = f->thinking;
  info->tag = f->tag;
  info->aborted = f->aborted;
  info->finished = f->finished;
}

int vl_sf_strip(const vl_sf_config *cfg, const void *p, size_t n, char *content, size_t *content_len,
                char *thinking, size_t *thinking_len)
{
  vl_sf_out o;
  vl_sf *f = vl_sf_new(cfg, VL_SF_NO_LIMIT);
  int st;
  *content_len = *thinking_len = 0;
  if (!f) return VL_ENOMEM;
  st = vl_sf_feed(f, p, n, 1, &o);
  if (st == VL_OK) {
    if (o.content_len) memcpy(content, o.content, o.content_len);
    if (o.thinking_len) memcpy(thinking, o.thinking, o.thinking_len);
    *content_len = o.content_len;
    *thinking_len = o.thinking_len;
  }
  vl_sf_free(f);
  return st;
}
