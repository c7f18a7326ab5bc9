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
 * result is appended at out + *o; *o and *sp are advanced. Returns the first byte not
 * done: after stop - 32, or the start of the 32 bytes that hold a byte >= 0x80. Each
 * step stores 8 bytes at a time up to 32 bytes past the *o it began with, so out needs
 * room for stop - i bytes past *o (norm_piece's invariant o <= i - i0 gives it). Only
 * call it where the CPU has AVX2 and POPCNT. */
size_t vl_dedup_norm_avx2(const unsigned char *s, size_t i, size_t stop, char *out, size_t *o, unsigned *sp);

#endif
