/*
 * dedup_norm.h: the vector step of the dedup normaliser that lives in its own unit
 * (core/dedup_avx2.c, compiled with -mavx2); internal to dedup.c.
 */
#ifndef VL_DEDUP_NORM_H
#define VL_DEDUP_NORM_H

#include <stddef.h>
#include <stdint.h>

/* Normalise s[i..) 32 bytes at a time while i + 32 <= stop and the 32 bytes are all
 * ASCII (below 0x80): ASCII White_Space becomes ' ', A-Z are lowered, and a space
 * that follows a space (*sp: whether the byte before s[i] was one) is dropped. The
 * result is appended at out + *o; *o and *sp are advanced. When fewer than 32 bytes
 * are left, all ASCII, and s may be read up to i + 32 <= readable, they are done too
 * (the lanes from stop on ignored). Returns the first byte not done: stop, or the
 * start of the (up to) 32 bytes that hold a byte >= 0x80, or the start of the last
 * < 32 bytes when they cannot be read as 32. Stores 8 bytes at a time: out needs room
 * for stop - i bytes past *o, and 16 more when readable > stop (norm_piece's
 * invariant o <= i - i0 and its 16 bytes of slack give both). Only call it where the
 * CPU has AVX2 and POPCNT. */
size_t vl_dedup_norm_avx2(const unsigned char *s, size_t i, size_t stop, size_t readable, char *out, size_t *o,
                          unsigned *sp);

#endif
