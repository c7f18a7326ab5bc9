/*
 * dedup.c: block and line deduplication and the one-pass normaliser (dedup.h).
 *
 * xxHash is used header-only (XXH_INLINE_ALL), as in signature.c. The sets are
 * open-addressing tables of indices (0 = empty) sized to a power of two at least
 * twice the number of possible entries, so a probe sequence always ends.
 */
#include "dedup.h"
#include "dedup_norm.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>
#include <simde/x86/sse2.h>

#include "vl_bits.h"

typedef unsigned char u8;

/* Small functions of the per-line and per-16-byte loops, inlined whatever the
 * compiler's estimate. */
#if defined(__GNUC__) || defined(__clang__)
#define DD_INLINE static inline __attribute__((always_inline))
#else
#define DD_INLINE static inline
#endif

/* Whether norm_piece may call vl_dedup_norm_avx2 (x86 with AVX2 and POPCNT). */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define DD_HAVE_AVX2() (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
#else
#define DD_HAVE_AVX2() 0
#endif

/* vl_dedup_set_avx2: 0 keeps norm_piece on its SSE2 path even where AVX2 is there. */
static int dd_avx2_allowed = 1;

int vl_dedup_set_avx2(int on)
{
  if (on && !DD_HAVE_AVX2()) return VL_EINVAL;
  dd_avx2_allowed = on != 0;
  return VL_OK;
}

int vl_dedup_avx2_active(void)
{
  return dd_avx2_allowed && DD_HAVE_AVX2();
}

/* Byte length of a White_Space code point at s[i] (well-formed UTF-8), else 0.
 * With no_lf, "\n" is not counted (horizontal space for the normaliser). */
static size_t ws_len(const u8 *s, size_t i, size_t n, int no_lf)
{
  u8 c = s[i];
  if (c < 0x80) {
    if (c == ' ' || (c >= 9 && c <= 13)) return (no_lf && c == '\n') ? 0 : 1;
    return 0;
  }
  if (c == 0xC2) {
    if (i + 1 < n && (s[i + 1] == 0x85 || s[i + 1] == 0xA0)) return 2;
    return 0;
  }
  if (i + 2 >= n) return 0;
  if (c == 0xE1) return (s[i + 1] == 0x9A && s[i + 2] == 0x80) ? 3 : 0;
  if (c == 0xE2) {
    u8 b = s[i + 1], d = s[i + 2];
    if (b == 0x80 && ((d >= 0x80 && d <= 0x8A) || d == 0xA8 || d == 0xA9 || d == 0xAF)) return 3;
    if (b == 0x81 && d == 0x9F) return 3;
    return 0;
  }
  if (c == 0xE3) return (s[i + 1] == 0x80 && s[i + 2] == 0x80) ? 3 : 0;
  return 0;
}

/* normalize_block in two steps. First norm_end finds where the key's bytes end:
 * trailing White_Space is dropped, then a run of . , ; : (Victor strips the
 * punctuation after trimming, and a space before it stays). Then [0, end) is
 * normalised forwards with a state (norm_state): `sp`, the byte before was White
 * Space; `any`, a byte was written. The first byte of a space run writes ' '
 * (unless nothing was written yet: leading space), the others nothing. Ending at
 * `end`, the forward pass needs no look back, so it can run in pieces (norm_piece):
 * a block's key can be hashed or compared without holding all of it. */
typedef struct norm_state {
  size_t i, end;  /* next input byte; where the key's bytes end */
  int sp, any;
} norm_state;

static size_t norm_end(const u8 *s, size_t n)
{
  size_t e = n;
  for (;;) {  /* White_Space code points from the end (none of their bytes can be */
    u8 c;     /* inside another one, so reading backwards agrees with ws_len) */
    if (!e) return 0;
    c = s[e - 1];
    if (c == ' ' || (c >= 9 && c <= 13)) e--;
    else if (e >= 3 && ws_len(s, e - 3, n, 0) == 3) e -= 3;
    else if (e >= 2 && ws_len(s, e - 2, n, 0) == 2) e -= 2;
    else break;
  }
  while (e && (s[e - 1] == '.' || s[e - 1] == ',' || s[e - 1] == ';' || s[e - 1] == ':')) e--;
  return e;
}

/* One byte or White_Space code point at s[ns->i] (look-ahead up to ns->end). */
static inline void norm_step(const u8 *s, norm_state *ns, char *out, size_t *o)
{
  u8 c = s[ns->i];
  size_t w = c < 0x80 ? (c == ' ' || (c >= 9 && c <= 13)) : ws_len(s, ns->i, ns->end, 0);
  if (w) {
    if (!ns->sp && ns->any) out[(*o)++] = ' ';
    ns->sp = 1;
    ns->i += w;
    return;
  }
  out[(*o)++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
  ns->sp = 0;
  ns->any = 1;
  ns->i++;
}

/* 16 ASCII bytes as normalize_block writes them: ASCII spaces as ' ', 'A'..'Z'
 * lowered; *ws gets the mask of the spaces (a lane holding a byte >= 0x80 gives
 * some byte and bit: the caller ignores it). 'A'..'Z' are the bytes b with
 * b + 63 below -102 as signed bytes; a space, once the letters are lowered, becomes
 * ' ' as the larger of itself and ' ' (every other byte stays: max with 0). */
DD_INLINE simde__m128i norm16(simde__m128i v, unsigned *ws)
{
  const simde__m128i wsv = simde_mm_or_si128(
      simde_mm_cmpeq_epi8(v, simde_mm_set1_epi8(' ')),
      simde_mm_and_si128(simde_mm_cmpgt_epi8(v, simde_mm_set1_epi8(8)),
                         simde_mm_cmpgt_epi8(simde_mm_set1_epi8(14), v)));
  const simde__m128i up = simde_mm_cmpgt_epi8(simde_mm_set1_epi8(-102), simde_mm_add_epi8(v, simde_mm_set1_epi8(63)));
  *ws = (unsigned)simde_mm_movemask_epi8(wsv);
  v = simde_mm_add_epi8(v, simde_mm_and_si128(up, simde_mm_set1_epi8(32)));
  return simde_mm_max_epu8(v, simde_mm_and_si128(wsv, simde_mm_set1_epi8(' ')));
}

/* One norm_step from the SIMD loops' position (*i, space flag *sp), which it advances:
 * how norm_piece's vector loops hand a byte >= 0x80 to the scalar path. */
static inline void scalar_step(const u8 *s, norm_state *ns, char *out, size_t *o, size_t *i, unsigned *sp)
{
  ns->i = *i;
  ns->sp = (int)*sp;
  norm_step(s, ns, out, o);
  *i = ns->i;
  *sp = (unsigned)ns->sp;
}

/* Normalise from ns->i up to about cap input bytes (to ns->end at most; a code
 * point may run 2 bytes past) into out (room for cap bytes: the output is never
 * longer than the input it came from); returns the bytes written. With rend > 0,
 * s[0..rend) may be read and out has 16 more bytes of room: the last bytes before
 * stop are then normalised 16 at a time too (the lanes from stop on are ignored). */
static size_t norm_piece(const u8 *s, norm_state *ns, char *out, size_t cap, size_t rend)
{
  const size_t stop = ns->end - ns->i > cap ? ns->i + cap : ns->end;
  const size_t readable = rend > stop ? rend : stop;
  const int avx2 = dd_avx2_allowed && DD_HAVE_AVX2();
  size_t i, o = 0;
  unsigned sp;
  while (ns->i < stop && !ns->any) norm_step(s, ns, out, &o);  /* leading space */
  /* 16 bytes at a time: the ASCII bytes before the first byte >= 0x80 (lim of them)
   * are normalised at once and stored with one 16-byte store at out[o]; the output
   * is valid up to the first space that follows a space (`drop`), where the run of
   * spaces is skipped and the next 16 are read from there. A byte >= 0x80 first
   * takes one norm_step. o <= i - i0 (i0: the first byte of the piece) throughout,
   * so the store ends before i + 16 <= stop, inside out's stop - i0 bytes (i + 32
   * for the two stores of the 32-byte loop). */
  sp = (unsigned)ns->sp;
  for (i = ns->i; i + 32 <= stop;) {  /* the same, 32 bytes (two vectors) at a time */
    simde__m128i v0, v1;
    uint32_t hi, ws, drop, lim = 32, valid = 0xFFFFFFFFu;
    unsigned w0, w1;
    if (avx2) {  /* all-ASCII runs, without a branch on the data (dedup_avx2.c) */
      i = vl_dedup_norm_avx2(s, i, stop, readable, out, &o, &sp);
      if (i + 32 > stop) break;
    }
    v0 = simde_mm_loadu_si128((const simde__m128i *)(const void *)(s + i));
    v1 = simde_mm_loadu_si128((const simde__m128i *)(const void *)(s + i + 16));
    hi = (uint32_t)simde_mm_movemask_epi8(v0) | ((uint32_t)simde_mm_movemask_epi8(v1) << 16);
    if (hi) {
      if (hi & 1u) {
        scalar_step(s, ns, out, &o, &i, &sp);
        continue;
      }
      lim = (uint32_t)vl_ctz32(hi);
      valid = (1u << lim) - 1u;
    }
    v0 = norm16(v0, &w0);
    v1 = norm16(v1, &w1);
    ws = ((uint32_t)w0 | ((uint32_t)w1 << 16)) & valid;
    drop = ws & ((ws << 1) | sp);
    simde_mm_storeu_si128((simde__m128i *)(void *)(out + o), v0);
    simde_mm_storeu_si128((simde__m128i *)(void *)(out + o + 16), v1);
    if (!drop) {
      o += lim;
      i += lim;
      sp = (ws >> (lim - 1)) & 1u;
    } else {
      uint32_t j = (uint32_t)vl_ctz32(drop);
      o += j;
      i += j + (uint32_t)vl_ctz64(~((uint64_t)ws >> j));
      sp = 1;
    }
  }
  while (i < stop && i + 16 <= readable) {
    simde__m128i v = simde_mm_loadu_si128((const simde__m128i *)(const void *)(s + i));
    unsigned hi = (unsigned)simde_mm_movemask_epi8(v), ws, drop, lim = 16, valid = 0xFFFFu;
    if (stop - i < 16) hi |= (0xFFFFu << (stop - i)) & 0xFFFFu;  /* past stop: as if >= 0x80 */
    if (hi) {
      if (hi & 1u) {  /* a byte >= 0x80 (a code point, or invalid UTF-8) */
        scalar_step(s, ns, out, &o, &i, &sp);
        continue;
      }
      lim = (unsigned)vl_ctz32(hi);
      valid = (1u << lim) - 1u;
    }
    v = norm16(v, &ws);
    ws &= valid;
    drop = ws & ((ws << 1) | sp);
    simde_mm_storeu_si128((simde__m128i *)(void *)(out + o), v);
    if (!drop) {
      o += lim;
      i += lim;
      sp = (ws >> (lim - 1)) & 1u;
    } else {
      unsigned j = (unsigned)vl_ctz32(drop);
      o += j;
      i += j + (unsigned)vl_ctz32(~(ws >> j));
      sp = 1;
    }
  }
  ns->i = i;
  ns->sp = (int)sp;
  while (ns->i < stop) norm_step(s, ns, out, &o);
  return o;
}

/* normalize_block of s[0..n) into out; rend as for norm_piece. */
static size_t normalize_into(const u8 *s, size_t n, char *out, size_t rend)
{
  norm_state ns;
  ns.i = 0;
  ns.end = norm_end(s, n);
  ns.sp = ns.any = 0;
  return norm_piece(s, &ns, out, n, rend);
}

size_t vl_dedup_normalize_block(const char *str, size_t n, char *out)
{
  return normalize_into((const u8 *)str, n, out, 0);
}

/* A block's key read piece by piece into a buffer of KEY_PIECE bytes (PIECE_ROOM
 * with the slack of norm_piece). */
#ifndef VL_DEDUP_KEY_PIECE
#define VL_DEDUP_KEY_PIECE 16384
#endif
#define KEY_PIECE VL_DEDUP_KEY_PIECE
#define PIECE_ROOM (KEY_PIECE + 16)

typedef struct key_reader {
  norm_state ns;
  char *buf;
  size_t len, pos;
  size_t rend;  /* the input's length: norm_piece may read up to it */
} key_reader;

static void key_open(key_reader *r, const u8 *s, size_t a, size_t b, char *buf, size_t rend)
{
  r->rend = rend;
  r->ns.i = a;
  r->ns.end = a + norm_end(s + a, b - a);
  r->ns.sp = r->ns.any = 0;
  r->buf = buf;
  r->len = r->pos = 0;
}

/* The next piece (at least one byte) into r->buf[0..r->len), or 0 at the end. */
static int key_next(key_reader *r, const u8 *s)
{
  r->pos = 0;
  r->len = 0;
  while (!r->len && r->ns.i < r->ns.end) r->len = norm_piece(s, &r->ns, r->buf, KEY_PIECE, r->rend);
  return r->len != 0;
}

/* XXH3-64 and length of the key of s[a..b). */
static uint64_t key_hash(const u8 *s, size_t a, size_t b, char *buf, size_t *len, size_t rend)
{
  key_reader r;
  XXH3_state_t st;
  key_open(&r, s, a, b, buf, rend);
  if (!key_next(&r, s)) {
    *len = 0;
    return XXH3_64bits(buf, 0);
  }
  if (r.ns.i >= r.ns.end) {  /* one piece: the usual block */
    *len = r.len;
    return XXH3_64bits(buf, r.len);
  }
  XXH3_64bits_reset(&st);
  *len = 0;
  do {
    XXH3_64bits_update(&st, buf, r.len);
    *len += r.len;
  } while (key_next(&r, s));
  return XXH3_64bits_digest(&st);
}

/* The key of the open block, hashed while the block grows: once HASH_AHEAD bytes
 * wait, the bytes before the current line are normalised and hashed if that line
 * starts with a byte that no key can end after (not White_Space or . , ; :, so
 * norm_end of the whole block cannot cut before it). A long block is then read
 * once from memory, not once by the line scan and again, out of cache, for its key. */
#ifndef VL_DEDUP_HASH_AHEAD  /* the fuzz build sets small ones, to reach every path */
#define VL_DEDUP_HASH_AHEAD (256 * 1024)
#endif
#define HASH_AHEAD VL_DEDUP_HASH_AHEAD

typedef struct key_hasher {
  XXH3_state_t st;
  norm_state ns;   /* ns.i: the first byte not hashed yet */
  size_t len;      /* key bytes hashed so far */
  size_t start;    /* the block begun (VL_DEDUP_NONE: none) */
  char *buf;       /* PIECE_ROOM bytes of scratch */
  size_t rend;     /* the input's length */
} key_hasher;

static void hash_ahead_now(key_hasher *kh, const u8 *s, size_t bstart, size_t pos)
{
  if (kh->start != bstart) {
    kh->start = bstart;
    kh->ns.i = bstart;
    kh->ns.sp = kh->ns.any = 0;
    kh->len = 0;
    XXH3_64bits_reset(&kh->st);
  }
  kh->ns.end = pos;  /* s[pos - 1] is "\n": no code point runs past it */
  while (kh->ns.i < pos) {
    size_t o = norm_piece(s, &kh->ns, kh->buf, KEY_PIECE, kh->rend);
    XXH3_64bits_update(&kh->st, kh->buf, o);
    kh->len += o;
  }
}

/* Called at each line start pos > bstart of the open block (the test inlined: it is
 * made once per line). */
DD_INLINE void hash_ahead(key_hasher *kh, const u8 *s, size_t bstart, size_t pos)
{
  u8 c = s[pos];
  if (kh->start == bstart ? pos - kh->ns.i < HASH_AHEAD : pos - bstart < HASH_AHEAD) return;
  if (c <= ' ' || c >= 0x80 || c == '.' || c == ',' || c == ';' || c == ':') return;
  hash_ahead_now(kh, s, bstart, pos);
}

/* XXH3-64 and length of the key of the block s[a..b), finishing what hash_ahead began. */
static uint64_t block_hash(key_hasher *kh, const u8 *s, size_t a, size_t b, size_t *len)
{
  if (kh->start != a) return key_hash(s, a, b, kh->buf, len, kh->rend);
  kh->start = VL_DEDUP_NONE;
  kh->ns.end = kh->ns.i + norm_end(s + kh->ns.i, b - kh->ns.i);
  while (kh->ns.i < kh->ns.end) {
    size_t o = norm_piece(s, &kh->ns, kh->buf, KEY_PIECE, kh->rend);
    XXH3_64bits_update(&kh->st, kh->buf, o);
    kh->len += o;
  }
  *len = kh->len;
  return XXH3_64bits_digest(&kh->st);
}

/* Whether the keys of s[a1..b1) and s[a2..b2) are equal (the same bytes always are). */
static int keys_equal(const u8 *s, size_t a1, size_t b1, size_t a2, size_t b2, char *buf1, char *buf2,
                      size_t rend)
{
  key_reader x, y;
  if (b1 - a1 == b2 - a2 && memcmp(s + a1, s + a2, b1 - a1) == 0) return 1;
  key_open(&x, s, a1, b1, buf1, rend);
  key_open(&y, s, a2, b2, buf2, rend);
  for (;;) {
    size_t m;
    if (x.pos == x.len && !key_next(&x, s)) return y.pos == y.len && !key_next(&y, s);
    if (y.pos == y.len && !key_next(&y, s)) return 0;
    m = x.len - x.pos < y.len - y.pos ? x.len - x.pos : y.len - y.pos;
    if (memcmp(x.buf + x.pos, y.buf + y.pos, m) != 0) return 0;
    x.pos += m;
    y.pos += m;
  }
}

/* Simple lowercase mappings (UnicodeData.txt, Unicode 14) of U+0080..U+07FF whose
 * target is also below U+0800: runs {first, last, delta, stride}, sorted by first.
 * Generated with Python 3.11 (str.lower of each code point, one code point long,
 * plus U+0130 -> U+0069, its simple mapping). U+023A and U+023E are left out:
 * their lowercase is a 3-byte code point. */
typedef struct lower_run {
  uint16_t first, last;
  int16_t delta;
  uint8_t stride;
} lower_run;

static const lower_run lower_runs[] = {
  {0x00C0, 0x00D6, 32, 1}, {0x00D8, 0x00DE, 32, 1}, {0x0100, 0x012E, 1, 2},
  {0x0130, 0x0130, -199, 1}, {0x0132, 0x0136, 1, 2}, {0x0139, 0x0147, 1, 2},
  {0x014A, 0x0176, 1, 2}, {0x0178, 0x0178, -121, 1}, {0x0179, 0x017D, 1, 2},
  {0x0181, 0x0181, 210, 1}, {0x0182, 0x0184, 1, 2}, {0x0186, 0x0186, 206, 1},
  {0x0187, 0x0187, 1, 1}, {0x0189, 0x018A, 205, 1}, {0x018B, 0x018B, 1, 1},
  {0x018E, 0x018E, 79, 1}, {0x018F, 0x018F, 202, 1}, {0x0190, 0x0190, 203, 1},
  {0x0191, 0x0191, 1, 1}, {0x0193, 0x0193, 205, 1}, {0x0194, 0x0194, 207, 1},
  {0x0196, 0x0196, 211, 1}, {0x0197, 0x0197, 209, 1}, {0x0198, 0x0198, 1, 1},
  {0x019C, 0x019C, 211, 1}, {0x019D, 0x019D, 213, 1}, {0x019F, 0x019F, 214, 1},
  {0x01A0, 0x01A4, 1, 2}, {0x01A6, 0x01A6, 218, 1}, {0x01A7, 0x01A7, 1, 1},
  {0x01A9, 0x01A9, 218, 1}, {0x01AC, 0x01AC, 1, 1}, {0x01AE, 0x01AE, 218, 1},
  {0x01AF, 0x01AF, 1, 1}, {0x01B1, 0x01B2, 217, 1}, {0x01B3, 0x01B5, 1, 2},
  {0x01B7, 0x01B7, 219, 1}, {0x01B8, 0x01B8, 1, 1}, {0x01BC, 0x01BC, 1, 1}, {0x01C4, 0x01C4, 2, 1},
  {0x01C5, 0x01C5, 1, 1}, {0x01C7, 0x01C7, 2, 1}, {0x01C8, 0x01C8, 1, 1}, {0x01CA, 0x01CA, 2, 1},
  {0x01CB, 0x01DB, 1, 2}, {0x01DE, 0x01EE, 1, 2}, {0x01F1, 0x01F1, 2, 1}, {0x01F2, 0x01F4, 1, 2},
  {0x01F6, 0x01F6, -97, 1}, {0x01F7, 0x01F7, -56, 1}, {0x01F8, 0x021E, 1, 2},
  {0x0220, 0x0220, -130, 1}, {0x0222, 0x0232, 1, 2}, {0x023B, 0x023B, 1, 1},
  {0x023D, 0x023D, -163, 1}, {0x0241, 0x0241, 1, 1}, {0x0243, 0x0243, -195, 1},
  {0x0244, 0x0244, 69, 1}, {0x0245, 0x0245, 71, 1}, {0x0246, 0x024E, 1, 2}, {0x0370, 0x0372, 1, 2},
  {0x0376, 0x0376, 1, 1}, {0x037F, 0x037F, 116, 1}, {0x0386, 0x0386, 38, 1},
  {0x0388, 0x038A, 37, 1}, {0x038C, 0x038C, 64, 1}, {0x038E, 0x038F, 63, 1},
  {0x0391, 0x03A1, 32, 1}, {0x03A3, 0x03AB, 32, 1}, {0x03CF, 0x03CF, 8, 1}, {0x03D8, 0x03EE, 1, 2},
  {0x03F4, 0x03F4, -60, 1}, {0x03F7, 0x03F7, 1, 1}, {0x03F9, 0x03F9, -7, 1},
  {0x03FA, 0x03FA, 1, 1}, {0x03FD, 0x03FF, -130, 1}, {0x0400, 0x040F, 80, 1},
  {0x0410, 0x042F, 32, 1}, {0x0460, 0x0480, 1, 2}, {0x048A, 0x04BE, 1, 2}, {0x04C0, 0x04C0, 15, 1},
  {0x04C1, 0x04CD, 1, 2}, {0x04D0, 0x052E, 1, 2}, {0x0531, 0x0556, 48, 1}
};

static unsigned lower_cp(unsigned cp)
{
  size_t i;
  for (i = 0; i < sizeof lower_runs / sizeof lower_runs[0] && lower_runs[i].first <= cp; i++) {
    const lower_run *r = &lower_runs[i];
    if (cp <= r->last && (cp - r->first) % r->stride == 0) return (unsigned)((int)cp + r->delta);
  }
  return cp;
}

/* Length of a zero-width code point at s[i], else 0. */
static size_t zw_len(const u8 *s, size_t i, size_t n)
{
  if (i + 2 >= n) return 0;
  if (s[i] == 0xE2) {
    if (s[i + 1] == 0x80 && s[i + 2] >= 0x8B && s[i + 2] <= 0x8D) return 3;
    if (s[i + 1] == 0x81 && s[i + 2] == 0xA0) return 3;
  } else if (s[i] == 0xEF && s[i + 1] == 0xBB && s[i + 2] == 0xBF) {
    return 3;
  }
  return 0;
}

/* End of an ANSI sequence starting at s[i] == ESC, or i when none starts there. */
static size_t ansi_end(const u8 *s, size_t i, size_t n)
{
  size_t j;
  if (i + 1 >= n) return i;
  if (s[i + 1] == '[') {
    j = i + 2;
    while (j < n && s[j] >= 0x20 && s[j] <= 0x3F) j++;
    if (j < n && s[j] >= 0x40 && s[j] <= 0x7E) j++;
    return j;
  }
  if (s[i + 1] == ']') {
    for (j = i + 2; j < n; j++) {
      u8 b = s[j];
      if (b == 0x07) return j + 1;
      if (b == 0x1B) return (j + 1 < n && s[j + 1] == '\\') ? j + 2 : j;
      if (b < 0x20) return j;
    }
    return n;
  }
  return i;
}

size_t vl_norm_apply(unsigned flags, const char *str, size_t n, char *out)
{
  const u8 *s = (const u8 *)str;
  const int ansi = (flags & VL_NORM_ANSI) != 0, zw = (flags & VL_NORM_ZERO_WIDTH) != 0;
  const int crlf = (flags & VL_NORM_CRLF) != 0, collapse = (flags & VL_NORM_COLLAPSE_WS) != 0;
  const int trim = (flags & VL_NORM_TRIM_LINES) != 0;
  const int lower = (flags & (VL_NORM_LOWER_ASCII | VL_NORM_LOWER_UNICODE)) != 0;
  const int lower_u = (flags & VL_NORM_LOWER_UNICODE) != 0;
  const int spaces = collapse || trim;
  size_t i = 0, o = 0, w, ws_start = VL_DEDUP_NONE;
  while (i < n) {
    u8 c = s[i];
    if (c == 0x1B && ansi) {
      size_t j = ansi_end(s, i, n);
      if (j != i) { i = j; continue; }
    } else if ((c == 0xE2 || c == 0xEF) && zw && (w = zw_len(s, i, n)) != 0) {
      i += w;
      continue;
    }
    if (c == '\n' || (c == '\r' && crlf && i + 1 < n && s[i + 1] == '\n')) {
      if (trim && ws_start != VL_DEDUP_NONE) o = ws_start;
      ws_start = VL_DEDUP_NONE;
      out[o++] = '\n';
      i += c == '\r' ? 2 : 1;
      continue;
    }
    if (spaces && (w = ws_len(s, i, n, 1)) != 0) {
      if (ws_start == VL_DEDUP_NONE) {
        ws_start = o;
        if (collapse) out[o++] = ' ';
      }
      if (!collapse) { memcpy(out + o, s + i, w); o += w; }
      i += w;
      continue;
    }
    ws_start = VL_DEDUP_NONE;
    if (lower_u && c >= 0xC2 && c <= 0xDF && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
      unsigned cp = ((unsigned)(c & 0x1F) << 6) | (s[i + 1] & 0x3F), lc = lower_cp(cp);
      if (lc < 0x80) {
        out[o++] = (char)lc;
      } else {
        out[o++] = (char)(0xC0 | (lc >> 6));
        out[o++] = (char)(0x80 | (lc & 0x3F));
      }
      i += 2;
      continue;
    }
    out[o++] = (char)((lower && c >= 'A' && c <= 'Z') ? c + 32 : c);
    i++;
  }
  if (trim && ws_start != VL_DEDUP_NONE) o = ws_start;
  return o;
}

/* ---- line ends ------------------------------------------------------------------ */

#if defined(__GNUC__) || defined(__clang__)
#define VL_PREFETCH(p) __builtin_prefetch(p)
#else
#define VL_PREFETCH(p) ((void)(p))
#endif
/* The line scan reads ahead of itself by this many bytes (the input is read once,
 * front to back; hardware prefetchers alone leave it waiting on memory). */
#define DELIM_PREFETCH 2048

/* Finds the delimiters of s[0..n) in order, 64 bytes at a time: `mask` has a bit for
 * each delimiter of the window at `base` not yet returned. Cheaper than a memchr
 * call per line when lines are short. */
typedef struct delim_iter {
  const u8 *s;
  size_t n, base;
  uint64_t mask;
  u8 delim;
} delim_iter;

static uint64_t delim_window(const u8 *s, size_t n, size_t base, u8 delim)
{
  uint64_t m = 0;
  if (base + 64 <= n) {
    const simde__m128i d = simde_mm_set1_epi8((char)delim);
    const u8 *p = s + base;
    if (base + 64 + DELIM_PREFETCH <= n) VL_PREFETCH(p + DELIM_PREFETCH);
#define DELIM16(k) ((uint64_t)(unsigned)simde_mm_movemask_epi8(simde_mm_cmpeq_epi8( \
    simde_mm_loadu_si128((const simde__m128i *)(const void *)(p + 16 * (k))), d)) << (16 * (k)))
    m = DELIM16(0) | DELIM16(1) | DELIM16(2) | DELIM16(3);
#undef DELIM16
  } else {
    size_t j;
    for (j = base; j < n; j++)
      if (s[j] == delim) m |= (uint64_t)1 << (j - base);
  }
  return m;
}

static void delim_init(delim_iter *it, const u8 *s, size_t n, u8 delim)
{
  it->s = s;
  it->n = n;
  it->base = 0;
  it->delim = delim;
  it->mask = n ? delim_window(s, n, 0, delim) : 0;
}

/* The position of the next delimiter, or n when there is none (inlined: it runs
 * once per line). */
DD_INLINE size_t delim_next(delim_iter *it)
{
  size_t j;
  while (!it->mask) {
    it->base += 64;
    if (it->base >= it->n) {
      it->base = it->n;
      return it->n;
    }
    it->mask = delim_window(it->s, it->n, it->base, it->delim);
  }
  j = it->base + (size_t)vl_ctz64(it->mask);
  it->mask &= it->mask - 1;
  return j;
}

/* ---- blocks --------------------------------------------------------------------- */

/* Line s[a..b) starts with a byte that makes it neither blank nor a fence marker
 * (the usual text line: a quick test before line_kind). */
DD_INLINE int text_line(const u8 *s, size_t a, size_t b)
{
  return a < b && s[a] > ' ' && s[a] != '`' && s[a] != '~';
}


/* Fence marker of line s[a..b): its character and run length, or 0. */
static int fence_marker(const u8 *s, size_t a, size_t b, u8 *ch, size_t *len)
{
  size_t i = a, k;
  while (i < b && i - a < 3 && s[i] == ' ') i++;
  if (i >= b || (s[i] != '`' && s[i] != '~')) return 0;
  *ch = s[i];
  for (k = i; k < b && s[k] == *ch; k++) {}
  if (k - i < 3) return 0;
  *len = k - i;
  i = k;  /* the rest of the line: the info string */
  if (*ch == '`')
    for (; i < b; i++)
      if (s[i] == '`') return 0;
  return 1;
}

enum { LINE_TEXT, LINE_BLANK, LINE_FENCE };

/* Kind of line s[a..b) (no "\n" inside): blank when it holds only " \t\r\v\f"; a
 * fence opener (fence_marker: *ch, *len) when its first other byte is a '`' or '~'
 * at most 3 bytes in; else text. One pass over the leading spaces. */
DD_INLINE int line_kind(const u8 *s, size_t a, size_t b, u8 *ch, size_t *len)
{
  size_t i = a;
  if (b - a >= 16) {  /* indentation: the first other byte of 16 by one compare (no loop) */
    const simde__m128i v = simde_mm_loadu_si128((const simde__m128i *)(const void *)(s + a));
    const unsigned other = ~(unsigned)simde_mm_movemask_epi8(simde_mm_or_si128(
        simde_mm_cmpeq_epi8(v, simde_mm_set1_epi8(' ')),
        simde_mm_and_si128(simde_mm_cmpgt_epi8(v, simde_mm_set1_epi8(8)),
                           simde_mm_cmpgt_epi8(simde_mm_set1_epi8(14), v)))) & 0xFFFFu;
    i = other ? a + (size_t)vl_ctz32(other) : a + 16;
  }
  while (i < b && (s[i] == ' ' || (unsigned)(s[i] - 9) < 5u)) i++;
  if (i == b) return LINE_BLANK;
  if (i - a <= 3 && (s[i] == '`' || s[i] == '~') && fence_marker(s, a, b, ch, len)) return LINE_FENCE;
  return LINE_TEXT;
}

static int fence_closes(const u8 *s, size_t a, size_t b, u8 ch, size_t len)
{
  size_t i = a, k;
  while (i < b && i - a < 3 && s[i] == ' ') i++;
  for (k = i; k < b && s[k] == ch; k++) {}
  if (k - i < len) return 0;
  for (; k < b; k++)
    if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r') return 0;
  return 1;
}

/* Appends a block and hashes its key at once, while its bytes are still in the
 * cache. */
static int push_block(vl_dedup *d, const u8 *s, size_t start, size_t last_eol, size_t end, size_t line,
                      int fence, key_hasher *kh)
{
  vl_dedup_block *b;
  size_t stop = last_eol;
  if (d->nblocks == d->capblocks) {
    size_t cap = d->capblocks ? d->capblocks * 2 : 64;
    vl_dedup_block *nb = realloc(d->blocks, cap * sizeof *nb);
    if (!nb) return VL_ENOMEM;
    d->blocks = nb;
    d->capblocks = cap;
  }
  if (stop < end && s[stop] == '\n' && stop > start && s[stop - 1] == '\r') stop--;
  b = &d->blocks[d->nblocks++];
  b->start = start;
  b->stop = stop;
  b->end = end;
  b->line = line;
  b->fence = fence;
  b->first = VL_DEDUP_NONE;
  b->id = block_hash(kh, s, start, stop, &b->key_len);
  return VL_OK;
}

/* A set slot keeps the id beside the index, so a probe that misses never touches
 * the block array. A slot is in use when its gen is the scan's d->setgen, so a new
 * scan starts with an empty set without clearing it. */
typedef struct vl_dedup_slot {
  uint64_t id;
  uint32_t idx;  /* block index + 1 */
  uint32_t gen;  /* in use when it is the scan's d->setgen */
} set_slot;

/* Hash-set probes go to random places of a set larger than the caches: each is
 * prefetched this many blocks (or lines) before it is made. */
#define PREFETCH_AHEAD 8

static size_t pow2_at_least(size_t x)
{
  size_t p = 16;
  while (p < x) p <<= 1;
  return p;
}

/* ---- near duplicates (design note: SimHash) -------------------------------------- */

static void simhash_add(int *acc, uint64_t h)
{
  int i;
  for (i = 0; i < 64; i++) acc[i] += ((h >> i) & 1) ? 1 : -1;
}

int vl_dedup_simhash(const char *key, size_t n, uint64_t *out)
{
  size_t ws[3], we[3], i = 0, nw = 0, s0, e;
  int acc[64], b;
  uint64_t h = 0;
  memset(acc, 0, sizeof acc);
  while (i < n) {
    while (i < n && key[i] == ' ') i++;
    if (i >= n) break;
    s0 = i;
    while (i < n && key[i] != ' ') i++;
    e = i;
    nw++;
    ws[0] = ws[1]; we[0] = we[1];
    ws[1] = ws[2]; we[1] = we[2];
    ws[2] = s0; we[2] = e;
    if (nw >= 3) simhash_add(acc, XXH3_64bits(key + ws[0], we[2] - ws[0]));
  }
  if (nw == 0) return 0;
  if (nw < 3) {  /* 1 or 2 words: word 1-grams */
    for (b = 3 - (int)nw; b < 3; b++) simhash_add(acc, XXH3_64bits(key + ws[b], we[b] - ws[b]));
  }
  for (b = 0; b < 64; b++)
    if (acc[b] > 0) h |= (uint64_t)1 << b;
  *out = h;
  return 1;
}

static int popcount64(uint64_t x)  /* SWAR, pure C99 */
{
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return (int)((x * 0x0101010101010101ULL) >> 56);
}

/* A bucket of the band index: (band, value) and up to VL_DEDUP_NEAR_BUCKET block
 * indices in insertion order (a chain of nodes). */
typedef struct nbucket {
  uint64_t value;
  unsigned band, count;
  size_t head, tail;  /* node indices + 1; 0 = none */
} nbucket;

typedef struct nnode {
  size_t blk, next;   /* next: node index + 1 */
} nnode;

static uint64_t band_value(uint64_t h, unsigned band, unsigned nbands)
{
  unsigned lo = band * 64 / nbands, hi = (band + 1) * 64 / nbands, w = hi - lo;
  uint64_t v = h >> lo;
  return w >= 64 ? v : v & (((uint64_t)1 << w) - 1);
}

static size_t bucket_slot(uint64_t v, unsigned band, size_t mask)
{
  uint64_t x = (v ^ ((uint64_t)band * 0x9E3779B97F4A7C15ULL)) * 0xBF58476D1CE4E5B9ULL;
  return (size_t)(x ^ (x >> 31)) & mask;
}

/* Second pass of near mode: mark blocks within Hamming distance `t` of an earlier
 * kept block (design note). */
static int mark_near(vl_dedup *d, const u8 *s, size_t min_block_length, unsigned t)
{
  const unsigned nbands = t >= 64 ? 0 : t + 1;
  size_t i, j, mask = 0, first_any = VL_DEDUP_NONE, nnodes = 0, nbuckets = 0, keycap = 0;
  char *key = NULL;
  uint64_t *sh = NULL;
  nbucket *bk = NULL;
  nnode *nodes = NULL;
  int st = VL_OK;
  d->near_removed = 0;
  if (d->nblocks == 0) return VL_OK;
  d->near_dist = malloc(d->nblocks);
  sh = malloc(d->nblocks * sizeof *sh);
  for (i = 0; i < d->nblocks; i++)  /* blocks that may be indexed */
    if (d->blocks[i].first == VL_DEDUP_NONE && d->blocks[i].key_len >= min_block_length) nbuckets++;
  if (nbands && nbuckets) {
    mask = pow2_at_least(2 * nbuckets * nbands) - 1;
    bk = calloc(mask + 1, sizeof *bk);
    nodes = malloc(nbuckets * nbands * sizeof *nodes);
  }
  if (!d->near_dist || !sh || (nbands && nbuckets && (!bk || !nodes))) {
    st = VL_ENOMEM;
    goto done;
  }
  memset(d->near_dist, VL_DEDUP_NEAR_NONE, d->nblocks);
  for (i = 0; i < d->nblocks; i++) {
    vl_dedup_block *b = &d->blocks[i];
    size_t best = VL_DEDUP_NONE;
    unsigned band;
    int bestd = 0;
    if (b->first != VL_DEDUP_NONE || b->key_len < min_block_length) continue;
    if (b->stop - b->start > keycap) {  /* the key, whole, for its shingles */
      char *nk = realloc(key, b->stop - b->start);
      if (!nk) {
        st = VL_ENOMEM;
        goto done;
      }
      key = nk;
      keycap = b->stop - b->start;
    }
    if (!vl_dedup_simhash(key, vl_dedup_normalize_block((const char *)s + b->start, b->stop - b->start, key), &sh[i]))
      continue;
    if (!nbands) {
      if (first_any != VL_DEDUP_NONE) { best = first_any; bestd = popcount64(sh[i] ^ sh[first_any]); }
    } else {
      for (band = 0; band < nbands; band++) {
        uint64_t v = band_value(sh[i], band, nbands);
        size_t h, nd;
        for (h = bucket_slot(v, band, mask); bk[h].count; h = (h + 1) & mask) {
          if (bk[h].band != band || bk[h].value != v) continue;
          for (nd = bk[h].head; nd; nd = nodes[nd - 1].next) {
            int dist;
            j = nodes[nd - 1].blk;
            if (best != VL_DEDUP_NONE && j >= best) continue;
            dist = popcount64(sh[i] ^ sh[j]);
            if (dist <= (int)t) { best = j; bestd = dist; }
          }
          break;
        }
      }
    }
    if (best != VL_DEDUP_NONE) {
      b->first = best;
      d->near_dist[i] = (unsigned char)bestd;
      d->removed++;
      d->near_removed++;
      continue;
    }
    /* kept: index it */
    if (first_any == VL_DEDUP_NONE) first_any = i;
    for (band = 0; band < nbands; band++) {
      uint64_t v = band_value(sh[i], band, nbands);
      size_t h;
      for (h = bucket_slot(v, band, mask); bk[h].count; h = (h + 1) & mask)
        if (bk[h].band == band && bk[h].value == v) break;
      if (!bk[h].count) {
        bk[h].band = band;
        bk[h].value = v;
      } else if (bk[h].count >= VL_DEDUP_NEAR_BUCKET) {
        continue;  /* full: later blocks are not indexed under this band value */
      }
      nodes[nnodes].blk = i;
      nodes[nnodes].next = 0;
      if (bk[h].tail) nodes[bk[h].tail - 1].next = nnodes + 1;
      else bk[h].head = nnodes + 1;
      bk[h].tail = ++nnodes;
      bk[h].count++;
    }
  }
done:
  free(key);
  free(sh);
  free(bk);
  free(nodes);
  return st;
}

int vl_dedup_scan(vl_dedup *d, const char *str, size_t n, size_t min_block_length)
{
  return vl_dedup_scan_near(d, str, n, min_block_length, -1);
}

/* Split s[0..n) into blocks, each hashed as it closes (or as it grows, when long). */
static int split_blocks(vl_dedup *d, const u8 *s, size_t n, key_hasher *kh)
{
  size_t pos = 0, line = 1;
  size_t pstart = 0, pline = 0, peol = 0, pend = 0;  /* open paragraph (pline 0: none) */
  size_t fstart = 0, fline = 0, flen = 0;            /* open fence (fline 0: none) */
  u8 fch = 0;
  int st;
  delim_iter it;
  delim_init(&it, s, n, '\n');
  while (pos < n) {
    size_t eol = delim_next(&it), next = eol < n ? eol + 1 : n;
    u8 ch;
    size_t len;
    const int kind = text_line(s, pos, eol) ? LINE_TEXT : line_kind(s, pos, eol, &ch, &len);
    if (fline) {
      if (fence_closes(s, pos, eol, fch, flen)) {
        if ((st = push_block(d, s, fstart, eol, next, fline, 1, kh)) != VL_OK) return st;
        fline = 0;
      } else {
        hash_ahead(kh, s, fstart, pos);
      }
    } else if (kind == LINE_BLANK) {
      if (pline) {
        if ((st = push_block(d, s, pstart, peol, pend, pline, 0, kh)) != VL_OK) return st;
        pline = 0;
      }
    } else if (kind == LINE_FENCE) {
      if (pline) {
        if ((st = push_block(d, s, pstart, peol, pend, pline, 0, kh)) != VL_OK) return st;
        pline = 0;
      }
      fstart = pos; fline = line; fch = ch; flen = len;
    } else {
      if (!pline) { pstart = pos; pline = line; }
      else hash_ahead(kh, s, pstart, pos);
      peol = eol;
      pend = next;
    }
    pos = next;
    line++;
  }
  if (pline && (st = push_block(d, s, pstart, peol, pend, pline, 0, kh)) != VL_OK) return st;
  if (fline) {  /* unclosed: the fence runs to the end of the input */
    size_t eol = n;
    if (n > fstart && s[n - 1] == '\n') eol = n - 1;
    if ((st = push_block(d, s, fstart, eol, n, fline, 1, kh)) != VL_OK) return st;
  }
  return VL_OK;
}

/* mark_exact's prefetch pipeline for repeats: a block whose id already sits in its
 * home slot is most likely a repeat, and keys_equal will compare it with an earlier
 * block far back in the input. Stage 0 prefetches that block's record; stage 1, a few
 * blocks later (the record now in cache), the first bytes of both texts. A guess
 * only: the probe proper is made again, in order. */
DD_INLINE void repeat_prefetch(const vl_dedup *d, const set_slot *set, size_t mask, size_t j, const u8 *s,
                               int stage)
{
  const vl_dedup_block *b = &d->blocks[j], *o;
  const set_slot *h = &set[(size_t)b->id & mask];
  if (h->gen != d->setgen || h->id != b->id) return;
  o = &d->blocks[h->idx - 1];
  if (!stage) {
    VL_PREFETCH(o);
  } else {
    size_t k, len = o->stop - o->start;
    if (len > 512) len = 512;
    for (k = 0; k < len; k += 64) {
      VL_PREFETCH(s + o->start + k);
      VL_PREFETCH(s + b->start + k);
    }
  }
}

/* Mark the exact repeats: a set of ids, probes prefetched blocks ahead; equal
 * ids are confirmed by comparing the keys (bufs: 2 PIECE_ROOM bytes; n: the input's length). */
static int mark_exact(vl_dedup *d, const u8 *s, size_t n, size_t min_block_length, char *bufs)
{
  size_t i, mask = pow2_at_least(2 * d->nblocks) - 1;
  set_slot *set;
  uint32_t gen;
  if (d->nblocks >= UINT32_MAX) return VL_ELIMIT;
  if (d->setcap < mask + 1) {  /* else the last scan's set: its slots of older gens are free */
    free(d->set);
    d->setcap = 0;
    if (!(d->set = calloc(mask + 1, sizeof *set))) return VL_ENOMEM;
    d->setcap = mask + 1;
  }
  set = d->set;
  if (!(gen = ++d->setgen)) {  /* wrapped: gen 0 is never in use (calloc'ed slots hold it) */
    memset(set, 0, d->setcap * sizeof *set);
    gen = d->setgen = 1;
  }
  for (i = 0; i < d->nblocks; i++) {
    vl_dedup_block *b = &d->blocks[i];
    size_t h;
    if (i + 6 * PREFETCH_AHEAD < d->nblocks) VL_PREFETCH(&set[(size_t)d->blocks[i + 6 * PREFETCH_AHEAD].id & mask]);
    if (i + 4 * PREFETCH_AHEAD < d->nblocks) repeat_prefetch(d, set, mask, i + 4 * PREFETCH_AHEAD, s, 0);
    if (i + 2 * PREFETCH_AHEAD < d->nblocks) repeat_prefetch(d, set, mask, i + 2 * PREFETCH_AHEAD, s, 1);
    if (b->key_len < min_block_length) continue;  /* short: never a duplicate, not remembered */
    for (h = (size_t)b->id & mask;; h = (h + 1) & mask) {
      const vl_dedup_block *o;
      if (set[h].gen != gen) {
        set[h].id = b->id;
        set[h].idx = (uint32_t)(i + 1);
        set[h].gen = gen;
        break;
      }
      if (set[h].id != b->id) continue;
      o = &d->blocks[set[h].idx - 1];
      if (o->key_len == b->key_len &&
          keys_equal(s, o->start, o->stop, b->start, b->stop, bufs, bufs + PIECE_ROOM, n)) {
        b->first = set[h].idx - 1;
        d->removed++;
        break;
      }
    }
  }
  return VL_OK;
}

int vl_dedup_scan_near(vl_dedup *d, const char *str, size_t n, size_t min_block_length, int near)
{
  const u8 *s = (const u8 *)str;
  char *bufs = malloc(2 * PIECE_ROOM);
  key_hasher kh;
  int st;
  d->nblocks = 0;
  d->removed = d->near_removed = 0;
  free(d->near_dist);
  d->near_dist = NULL;
  if (!bufs) return VL_ENOMEM;
  kh.start = VL_DEDUP_NONE;
  kh.buf = bufs;
  kh.rend = n;
  st = split_blocks(d, s, n, &kh);
  if (st == VL_OK && d->nblocks) st = mark_exact(d, s, n, min_block_length, bufs);
  free(bufs);
  if (st != VL_OK || near < 0) return st;
  return mark_near(d, s, min_block_length, near > 64 ? 64 : (unsigned)near);
}

void vl_dedup_free(vl_dedup *d)
{
  free(d->blocks);
  free(d->near_dist);
  free(d->set);
  d->blocks = NULL;
  d->near_dist = NULL;
  d->set = NULL;
  d->nblocks = d->capblocks = d->removed = d->near_removed = d->setcap = 0;
}

void vl_dedup_render(const vl_dedup *d, const char *s, size_t n, char *out, size_t *out_len)
{
  size_t o = 0, i, last = 0, sep_a = 0, sep_b = 0;
  int removed = 0;
  if (d->nblocks == 0) {
    memcpy(out, s, n);
    *out_len = n;
    return;
  }
  memcpy(out, s, d->blocks[0].end);  /* leading blank lines and the first block */
  o = d->blocks[0].end;
  for (i = 1; i < d->nblocks; i++) {
    const vl_dedup_block *b = &d->blocks[i], *p = &d->blocks[i - 1];
    if (b->start > p->end) { sep_a = p->end; sep_b = b->start; }
    if (b->first != VL_DEDUP_NONE) { removed = 1; continue; }
    if (sep_b > sep_a) {
      memcpy(out + o, s + sep_a, sep_b - sep_a);
      o += sep_b - sep_a;
    } else if (removed && !d->blocks[last].fence && !b->fence) {
      out[o++] = '\n';
    }
    memcpy(out + o, s + b->start, b->end - b->start);
    o += b->end - b->start;
    sep_a = sep_b = 0;
    removed = 0;
    last = i;
  }
  i = d->blocks[d->nblocks - 1].end;
  memcpy(out + o, s + i, n - i);
  *out_len = o + n - i;
}

/* ---- lines ----------------------------------------------------------------------- */

/* A line set slot: the high half of the line's id beside its index, so a probe
 * that misses never touches the line array (0 = empty, else index + 1). */
typedef struct line_slot {
  uint32_t tag, idx;
} line_slot;

/* A kept line: its place in the input. */
typedef struct line_ent {
  size_t off, len;
} line_ent;

/* A line waiting for its set probe: the probes are made PREFETCH_AHEAD lines
 * after the line is hashed and its slot prefetched. */
typedef struct line_pending {
  size_t off, len;
  uint64_t id;
} line_pending;

/* The set and the kept lines of vl_dedup_lines; both grow by doubling, the set
 * when it would be half full (its slots are rebuilt from the kept lines). */
typedef struct line_set {
  line_slot *slots;
  size_t mask;
  line_ent *ents;
  size_t *counts;  /* NULL unless counts are wanted */
  size_t kept, cap;
} line_set;

static void line_slot_put(line_slot *slots, size_t mask, uint64_t id, size_t idx1)
{
  size_t h = (size_t)id & mask;
  while (slots[h].idx) h = (h + 1) & mask;
  slots[h].tag = (uint32_t)(id >> 32);
  slots[h].idx = (uint32_t)idx1;
}

/* Room for one more kept line. */
static int line_set_reserve(line_set *ls, const u8 *s)
{
  if (ls->kept == ls->cap) {
    size_t cap = ls->cap * 2;
    line_ent *e = realloc(ls->ents, cap * sizeof *e);
    if (!e) return VL_ENOMEM;
    ls->ents = e;
    if (ls->counts) {
      size_t *c = realloc(ls->counts, cap * sizeof *c);
      if (!c) return VL_ENOMEM;
      ls->counts = c;
    }
    ls->cap = cap;
  }
  if (2 * (ls->kept + 1) > ls->mask + 1) {
    size_t mask = ls->mask * 2 + 1, i;
    line_slot *slots;
    if (mask > (size_t)UINT32_MAX) return VL_ELIMIT;
    if (!(slots = calloc(mask + 1, sizeof *slots))) return VL_ENOMEM;
    for (i = 0; i < ls->kept; i++)
      line_slot_put(slots, mask, XXH3_64bits(s + ls->ents[i].off, ls->ents[i].len), i + 1);
    free(ls->slots);
    ls->slots = slots;
    ls->mask = mask;
  }
  return VL_OK;
}

int vl_dedup_lines(const char *str, size_t n, unsigned char delim, char *out, size_t *out_len,
                   size_t *nlines, size_t *nkept, size_t **counts)
{
  const u8 *s = (const u8 *)str;
  size_t pos = 0, o = 0, lines = 0, head = 0, tail = 0;
  line_set ls;
  line_pending ring[PREFETCH_AHEAD];
  delim_iter it;
  int rc = VL_OK;
  *out_len = *nlines = *nkept = 0;
  if (counts) *counts = NULL;
  if (n == 0) return VL_OK;
  memset(&ls, 0, sizeof ls);
  ls.cap = 1024;
  ls.mask = pow2_at_least(2 * (n / 64 + 1024)) - 1;  /* a guess: lines of 64 bytes */
  ls.slots = calloc(ls.mask + 1, sizeof *ls.slots);
  ls.ents = malloc(ls.cap * sizeof *ls.ents);
  if (counts) ls.counts = malloc(ls.cap * sizeof *ls.counts);
  if (!ls.slots || !ls.ents || (counts && !ls.counts)) {
    rc = VL_ENOMEM;
    goto done;
  }
  delim_init(&it, s, n, delim);
  while (pos < n || head != tail) {
    line_pending *q;
    size_t h;
    if (pos < n) {  /* hash the next line, prefetch its slot, queue it */
      size_t eol = delim_next(&it);
      q = &ring[head++ % PREFETCH_AHEAD];
      q->off = pos;
      q->len = eol - pos;
      q->id = XXH3_64bits(s + pos, q->len);
      VL_PREFETCH(&ls.slots[(size_t)q->id & ls.mask]);
      pos = eol < n ? eol + 1 : n;
      if (head - tail < PREFETCH_AHEAD && pos < n) continue;
    }
    q = &ring[tail++ % PREFETCH_AHEAD];
    lines++;
    for (h = (size_t)q->id & ls.mask;; h = (h + 1) & ls.mask) {
      const line_slot *sl = &ls.slots[h];
      const line_ent *e;
      if (!sl->idx) {  /* new: keep it */
        if ((rc = line_set_reserve(&ls, s)) != VL_OK) goto done;
        ls.ents[ls.kept].off = q->off;
        ls.ents[ls.kept].len = q->len;
        if (ls.counts) ls.counts[ls.kept] = 1;
        ls.kept++;
        line_slot_put(ls.slots, ls.mask, q->id, ls.kept);
        memcpy(out + o, s + q->off, q->len);
        o += q->len;
        out[o++] = (char)delim;
        break;
      }
      if (sl->tag != (uint32_t)(q->id >> 32)) continue;
      e = &ls.ents[sl->idx - 1];
      if (e->len == q->len && memcmp(s + e->off, s + q->off, q->len) == 0) {
        if (ls.counts) ls.counts[sl->idx - 1]++;
        break;
      }
    }
  }
  *out_len = o;
  *nlines = lines;
  *nkept = ls.kept;
  if (counts) {
    *counts = ls.counts;
    ls.counts = NULL;
  }
done:
  free(ls.slots);
  free(ls.ents);
  free(ls.counts);
  return rc;
}

/* ---- streaming ------------------------------------------------------------------- */

/* The bounded key set of a stream: open addressing over slots that keep the id and
 * the key's place in one arena. A slot is in use when its gen is the set's: clearing
 * the set is gen + 1 (a memset only when gen wraps), so a full set, or a reused
 * stream, starts again at no cost and keeps its table. Grows by doubling up to the
 * cap; a full set is cleared (design note). A key of 4 GiB or more is never kept
 * (its block is always written). */
typedef struct kslot {
  uint64_t id;
  size_t off;
  uint32_t len, gen;
} kslot;

typedef struct kset {
  kslot *slots;
  uint32_t gen;  /* >= 1 once cleared (a new set is cleared by reset) */
  size_t mask, count, evictions;
  char *keys;
  size_t klen, kcap;
} kset;

/* Blocks mode defers each complete block's set probe until STREAM_PENDING blocks
 * wait or the feed (finish) ends: each block's slot is prefetched when its key is
 * hashed, and the earlier key a repeat compares with just before the probes, so the
 * probes of a batch do not each wait on memory. The output is the same: the waiting
 * blocks are decided and written in order, before the feed returns. */
#define STREAM_PENDING 16

typedef struct pend_block {
  size_t a, e;        /* the block (absolute offsets) */
  size_t koff, klen;  /* its key in the set's arena */
  size_t sepoff, sepn;  /* its own separator in psep (sepn 0: none) */
  uint64_t id;
  int fence;
} pend_block;

struct vl_dedup_stream {
  vl_dedup_stream_opts o;
  int state;                 /* 0 open, 1 finished, VL_ENOMEM failed */
  char *buf;                 /* input bytes [base, base + blen) */
  size_t base, blen, bcap;
  size_t line;               /* start of the incomplete line */
  size_t nl_from;            /* where the search for its end goes on */
  /* blocks mode */
  int in_para, in_fence, dropped, last_fence;
  size_t bstart, pend, flen, run_start;
  u8 fch;
  char *sep;                 /* the separator the next kept block writes */
  size_t seplen, sepcap;
  char *osep;                /* the open block's own separator (the blank run before it) */
  size_t oseplen, osepcap;
  /* complete blocks waiting for their set probe (design note: stream pipeline) */
  pend_block queue[STREAM_PENDING];
  size_t npend;
  size_t ptail;              /* where the next pending key goes in the arena */
  char *psep;                /* the pending blocks' own separators */
  size_t pseplen, psepcap;
  char *out;
  size_t olen, ocap;
  size_t bytes_in, bytes_out, units, removed;
  kset set;
};

static int grow(char **p, size_t *cap, size_t need)
{
  size_t c = *cap ? *cap : 256;
  char *np;
  if (need <= *cap && *p) return VL_OK;  /* allocated even for 0 bytes: never NULL after */
  while (c < need) {
    if (c > ((size_t)-1) / 2) return VL_ENOMEM;
    c *= 2;
  }
  np = realloc(*p, c);
  if (!np) return VL_ENOMEM;
  *p = np;
  *cap = c;
  return VL_OK;
}

static void kset_clear(kset *k)
{
  if (!++k->gen) {  /* wrapped: gen 0 is never in use (calloc'ed slots hold it) */
    if (k->slots) memset(k->slots, 0, (k->mask + 1) * sizeof *k->slots);
    k->gen = 1;
  }
  k->count = 0;
  k->klen = 0;
}

static int kset_grow(kset *k)
{
  size_t nmask = k->slots ? k->mask * 2 + 1 : 15, i, h;
  kslot *ns = calloc(nmask + 1, sizeof *ns);
  if (!ns) return VL_ENOMEM;
  for (i = 0; k->slots && i <= k->mask; i++) {
    if (k->slots[i].gen != k->gen) continue;
    for (h = (size_t)k->slots[i].id & nmask; ns[h].gen == k->gen; h = (h + 1) & nmask) {}
    ns[h] = k->slots[i];
  }
  free(k->slots);
  k->slots = ns;
  k->mask = nmask;
  return VL_OK;
}

/* Look up the key at keys + koff (len bytes, id its XXH3-64; in the arena's spare
 * room, koff >= klen): 1 when seen, 0 when it was added (moved down to klen), or
 * VL_ENOMEM. */
static int kset_add(kset *k, size_t koff, size_t len, uint64_t id, size_t max_entries, size_t max_key_bytes)
{
  size_t h;
  if (len > UINT32_MAX) return 0;
  if (k->slots) {
    for (h = (size_t)id & k->mask; k->slots[h].gen == k->gen; h = (h + 1) & k->mask) {
      const kslot *e = &k->slots[h];
      if (e->id == id && e->len == len && memcmp(k->keys + e->off, k->keys + koff, len) == 0) return 1;
    }
  }
  if (k->count >= max_entries || (k->count && k->klen + len > max_key_bytes)) {
    /* full: drop the generation, keep the new key */
    kset_clear(k);
    k->evictions++;
  }
  if (koff != k->klen) memmove(k->keys + k->klen, k->keys + koff, len);
  if (!k->slots || (k->count + 1) * 2 > k->mask + 1) {
    int st = kset_grow(k);
    if (st != VL_OK) return st;
  }
  for (h = (size_t)id & k->mask; k->slots[h].gen == k->gen; h = (h + 1) & k->mask) {}
  k->slots[h].id = id;
  k->slots[h].off = k->klen;
  k->slots[h].len = (uint32_t)len;
  k->slots[h].gen = k->gen;
  k->klen += len;
  k->count++;
  return 0;
}

static void kset_free(kset *k)
{
  free(k->slots);
  free(k->keys);
  memset(k, 0, sizeof *k);
}

vl_dedup_stream *vl_dedup_stream_new(void)
{
  vl_dedup_stream *st = calloc(1, sizeof *st);
  if (st && vl_dedup_stream_reset(st, NULL) != VL_OK) {
    free(st);
    return NULL;
  }
  return st;
}

int vl_dedup_stream_reset(vl_dedup_stream *st, const vl_dedup_stream_opts *opts)
{
  vl_dedup_stream_opts o;
  if (!st) return VL_EINVAL;
  if (opts) {
    o = *opts;
  } else {
    memset(&o, 0, sizeof o);
    o.delimiter = '\n';
    o.min_block_length = VL_DEDUP_DEFAULT_MIN_BLOCK;
  }
  if (o.lines && o.delimiter != '\n' && o.delimiter != 0) return VL_EINVAL;
  if (!o.max_entries) o.max_entries = VL_DEDUP_STREAM_DEFAULT_MAX_ENTRIES;
  if (!o.max_key_bytes) o.max_key_bytes = VL_DEDUP_STREAM_DEFAULT_MAX_KEY_BYTES;
  st->o = o;
  st->state = 0;
  st->base = st->blen = st->line = st->nl_from = 0;
  st->in_para = st->in_fence = st->dropped = st->last_fence = 0;
  st->bstart = st->pend = st->flen = st->run_start = 0;
  st->fch = 0;
  st->seplen = st->olen = st->oseplen = st->npend = st->ptail = st->pseplen = 0;
  st->bytes_in = st->bytes_out = st->units = st->removed = 0;
  kset_clear(&st->set);  /* a reused stream keeps its table and key arena */
  st->set.evictions = 0;
  return VL_OK;
}

void vl_dedup_stream_free(vl_dedup_stream *st)
{
  if (!st) return;
  free(st->buf);
  free(st->sep);
  free(st->osep);
  free(st->psep);
  free(st->out);
  kset_free(&st->set);
  free(st);
}

static int emit(vl_dedup_stream *st, const char *p, size_t n)
{
  int rc;
  if (n == 0) return VL_OK;
  if ((rc = grow(&st->out, &st->ocap, st->olen + n)) != VL_OK) return rc;
  memcpy(st->out + st->olen, p, n);
  st->olen += n;
  return VL_OK;
}

/* Decide the waiting blocks in order: drop the repeats, write the others. */
static int stream_drain(vl_dedup_stream *st)
{
  kset *k = &st->set;
  size_t j;
  int rc;
  for (j = 0; j < st->npend && k->slots; j++) {  /* the earlier keys the repeats compare with */
    const pend_block *b = &st->queue[j];
    const kslot *e = &k->slots[(size_t)b->id & k->mask];
    if (e->gen == k->gen && e->id == b->id) VL_PREFETCH(k->keys + e->off);
  }
  for (j = 0; j < st->npend; j++) {
    const pend_block *b = &st->queue[j];
    int seen = 0;
    if (b->sepn) {  /* its own separator replaces the one carried over */
      if ((rc = grow(&st->sep, &st->sepcap, b->sepn)) != VL_OK) return rc;
      memcpy(st->sep, st->psep + b->sepoff, b->sepn);
      st->seplen = b->sepn;
    }
    if (b->klen >= st->o.min_block_length &&
        (seen = kset_add(k, b->koff, b->klen, b->id, st->o.max_entries, st->o.max_key_bytes)) < 0)
      return seen;
    if (seen) {
      st->removed++;
      st->dropped = 1;
      continue;
    }
    if (st->seplen) {
      if ((rc = emit(st, st->sep, st->seplen)) != VL_OK) return rc;
    } else if (st->dropped && !st->last_fence && !b->fence) {
      if ((rc = emit(st, "\n", 1)) != VL_OK) return rc;
    }
    if ((rc = emit(st, st->buf + (b->a - st->base), b->e - b->a)) != VL_OK) return rc;
    st->seplen = 0;
    st->dropped = 0;
    st->last_fence = b->fence;
  }
  st->npend = st->pseplen = 0;
  st->ptail = k->klen;
  return VL_OK;
}

/* The block [a, e) (absolute) is complete: normalise and hash its key, prefetch its
 * set slot, and queue it for stream_drain. */
static int block_done(vl_dedup_stream *st, size_t a, size_t e, int fence)
{
  const char *p = st->buf + (a - st->base);
  size_t n = e - a;
  int rc;
  kset *k = &st->set;
  pend_block *b;
  if (st->npend == STREAM_PENDING && (rc = stream_drain(st)) != VL_OK) return rc;
  b = &st->queue[st->npend++];
  st->units++;
  /* the key of [a, e) equals that of [start, stop): the terminator is trimmed;
   * normalised straight into the set's arena after the other waiting keys (16 bytes
   * of slack: the input is read up to the end of the buffer) */
  if ((rc = grow(&k->keys, &k->kcap, st->ptail + n + 16)) != VL_OK) return rc;
  b->a = a;
  b->e = e;
  b->fence = fence;
  b->koff = st->ptail;
  b->klen = normalize_into((const u8 *)p, n, k->keys + b->koff, st->blen - (a - st->base));
  b->id = XXH3_64bits(k->keys + b->koff, b->klen);
  st->ptail += b->klen;
  if (k->slots) VL_PREFETCH(&k->slots[(size_t)b->id & k->mask]);
  b->sepoff = st->pseplen;
  b->sepn = st->oseplen;
  if (st->oseplen) {
    if ((rc = grow(&st->psep, &st->psepcap, st->pseplen + st->oseplen)) != VL_OK) return rc;
    memcpy(st->psep + st->pseplen, st->osep, st->oseplen);
    st->pseplen += st->oseplen;
    st->oseplen = 0;
  }
  st->in_para = st->in_fence = 0;
  st->run_start = e;
  return VL_OK;
}

/* A block starts at a: the blank run before it, when not empty, is its own separator
 * (written before it when kept; when dropped, carried to the next kept block unless
 * that one has its own). */
static int block_start(vl_dedup_stream *st, size_t a)
{
  st->oseplen = 0;
  if (a > st->run_start) {
    size_t n = a - st->run_start;
    int rc = grow(&st->osep, &st->osepcap, n);
    if (rc != VL_OK) return rc;
    memcpy(st->osep, st->buf + (st->run_start - st->base), n);
    st->oseplen = n;
  }
  st->bstart = a;
  return VL_OK;
}

/* One complete line [a, eol), next after its terminator (absolute offsets). */
static int stream_line(vl_dedup_stream *st, size_t a, size_t eol, size_t next)
{
  const u8 *s = (const u8 *)st->buf;
  const size_t ra = a - st->base, re = eol - st->base;  /* offsets in buf */
  int kind;
  u8 ch;
  size_t len;
  int rc;
  if (st->o.lines) {
    kset *k = &st->set;
    size_t n = eol - a;
    int seen;
    st->units++;
    if ((rc = grow(&k->keys, &k->kcap, k->klen + n)) != VL_OK) return rc;
    memcpy(k->keys + k->klen, s + ra, n);
    seen = kset_add(k, k->klen, n, XXH3_64bits(k->keys + k->klen, n), st->o.max_entries, st->o.max_key_bytes);
    if (seen < 0) return seen;
    if (seen) {
      st->removed++;
      return VL_OK;
    }
    if ((rc = emit(st, (const char *)s + ra, n)) != VL_OK) return rc;
    return emit(st, (const char *)&st->o.delimiter, 1);
  }
  if (st->in_fence) {
    if (fence_closes(s, ra, re, st->fch, st->flen)) return block_done(st, st->bstart, next, 1);
  } else if ((kind = text_line(s, ra, re) ? LINE_TEXT : line_kind(s, ra, re, &ch, &len)) == LINE_BLANK) {
    if (st->in_para) return block_done(st, st->bstart, st->pend, 0);
  } else if (kind == LINE_FENCE) {
    if (st->in_para && (rc = block_done(st, st->bstart, st->pend, 0)) != VL_OK) return rc;
    if ((rc = block_start(st, a)) != VL_OK) return rc;
    st->in_fence = 1;
    st->fch = ch;
    st->flen = len;
  } else {
    if (!st->in_para) {
      if ((rc = block_start(st, a)) != VL_OK) return rc;
      st->in_para = 1;
    }
    st->pend = next;
  }
  return VL_OK;
}

/* Drop input bytes no longer needed; moves memory only when at least as much is
 * dropped as kept, so the copying stays linear overall. */
static size_t stream_need(const vl_dedup_stream *st)
{
  if (st->o.lines) return st->line;
  return (st->in_para || st->in_fence) ? st->bstart : st->run_start;
}

static void stream_compact(vl_dedup_stream *st)
{
  size_t need = stream_need(st), drop, keep;
  drop = need - st->base;
  keep = st->blen - drop;
  if (drop == 0 || drop < keep) return;
  memmove(st->buf, st->buf + drop, keep);
  st->base = need;
  st->blen = keep;
}

int vl_dedup_stream_feed(vl_dedup_stream *st, const char *p, size_t n, const char **out, size_t *out_len)
{
  const u8 delim = st->o.lines ? st->o.delimiter : (u8)'\n';
  size_t end;
  int rc;
  *out = "";
  *out_len = 0;
  if (st->state == 1) return VL_EINVAL;
  if (st->state != 0) return st->state;
  st->olen = 0;
  if (n && (rc = grow(&st->buf, &st->bcap, st->blen + n)) != VL_OK) goto fail;
  if (n) memcpy(st->buf + st->blen, p, n);
  st->blen += n;
  st->bytes_in += n;
  end = st->base + st->blen;
  if (st->nl_from < end) {
    const size_t from = st->nl_from, rn = end - from;
    delim_iter it;
    delim_init(&it, (const u8 *)st->buf + (from - st->base), rn, delim);
    for (;;) {  /* st->buf does not move before stream_compact */
      size_t k = delim_next(&it), eol = from + k;
      if (k == rn) break;
      /* the usual line, a text line inside a paragraph, without the call */
      if (st->in_para && !st->o.lines && text_line((const u8 *)st->buf, st->line - st->base, eol - st->base))
        st->pend = eol + 1;
      else if ((rc = stream_line(st, st->line, eol, eol + 1)) != VL_OK)
        goto fail;
      st->line = eol + 1;
    }
    st->nl_from = end;
  }
  if (st->npend && (rc = stream_drain(st)) != VL_OK) goto fail;
  stream_compact(st);
  st->bytes_out += st->olen;
  *out = st->out ? st->out : "";
  *out_len = st->olen;
  return VL_OK;
fail:
  st->state = rc;
  return rc;
}

int vl_dedup_stream_finish(vl_dedup_stream *st, const char **out, size_t *out_len)
{
  size_t end = st->base + st->blen;
  int rc;
  *out = "";
  *out_len = 0;
  if (st->state == 1) return VL_EINVAL;
  if (st->state != 0) return st->state;
  st->olen = 0;
  if (st->line < end && (rc = stream_line(st, st->line, end, end)) != VL_OK) goto fail;
  st->line = st->nl_from = end;
  if (!st->o.lines) {
    if (st->in_para && (rc = block_done(st, st->bstart, st->pend, 0)) != VL_OK) goto fail;
    if (st->in_fence && (rc = block_done(st, st->bstart, end, 1)) != VL_OK) goto fail;
    if (st->npend && (rc = stream_drain(st)) != VL_OK) goto fail;
    /* the trailing blank lines (all of the input when it has no block) */
    if (end > st->run_start && (rc = emit(st, st->buf + (st->run_start - st->base), end - st->run_start)) != VL_OK)
      goto fail;
    st->run_start = end;
  }
  st->seplen = 0;
  st->base = end;
  st->blen = 0;
  st->bytes_out += st->olen;
  st->state = 1;
  *out = st->out ? st->out : "";
  *out_len = st->olen;
  return VL_OK;
fail:
  st->state = rc;
  return rc;
}

void vl_dedup_stream_stats(const vl_dedup_stream *st, vl_dedup_stream_info *s)
{
  s->bytes_in = st->bytes_in;
  s->bytes_out = st->bytes_out;
  s->units = st->units;
  s->removed = st->removed;
  s->entries = st->set.count;
  s->evictions = st->set.evictions;
  s->held = st->base + st->blen - stream_need(st) + (st->oseplen ? st->oseplen : st->seplen);
}
