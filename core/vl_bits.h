/* vl_bits.h: bit and byte helpers shared by the kernels' scans (header-only, pure C).
 * The compiler's builtins where there are any, a loop otherwise. */
#ifndef VL_BITS_H
#define VL_BITS_H

#include <stddef.h>
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
/* ASCII lowercase of byte c (other bytes unchanged). */
static inline unsigned char vl_ascii_lower(unsigned char c)
{
  return (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

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
/* ASCII lowercase of byte c (other bytes unchanged). */
static inline unsigned char vl_ascii_lower(unsigned char c)
{
  return (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

#endif
}

/* ASCII lowercase of byte c (other bytes unchanged). */
static inline unsigned char vl_ascii_lower(unsigned char c)
{
  return (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

/* Whether p[0..n) equals w[0..n) (lowercase where letters) up to ASCII case. */
static inline int vl_ascii_eq_lower(const unsigned char *p, const unsigned char *w, size_t n)
{
  size_t j;
  for (j = 0; j < n && vl_ascii_lower(p[j]) == w[j]; j++) {}
  return j == n;
}

#endif
