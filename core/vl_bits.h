/* vl_bits.h: bit helpers shared by the kernels' SIMD scans (header-only, pure C).
 * The compiler's builtins where there are any, a loop otherwise. */
#ifndef VL_BITS_H
#define VL_BITS_H

#include <stdint.h>

/* Count of trailing zero bits of x != 0. */
static inline int vl_ctz32(unsigned x)
{
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_ctz(x);
#else
  int k = 0;
  while (!(x & 1u)) { x >>= 1; k++; }
  return k;
#endif
}

/* Count of trailing zero bits of x != 0. */
static inline int vl_ctz64(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_ctzll(x);
#else
  int k = 0;
  while (!(x & 1u)) { x >>= 1; k++; }
  return k;
#endif
}

#endif
