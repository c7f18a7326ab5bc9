/*
 * secrets_avx2.c: the AVX2 keyword prefilter of core/secrets.c (secrets_teddy.h).
 * The Makefile compiles this file alone with -mavx2 (never -march=native);
 * secrets.c calls it only when __builtin_cpu_supports("avx2"). SIMDe keeps it
 * compilable (emulated) where the flag is absent, e.g. the fuzz build.
 */
#include <simde/x86/avx2.h>

#include "secrets_teddy.h"
#include "vl_bits.h"

static simde__m256i bcast(const uint8_t *t16)
{
  return simde_mm256_broadcastsi128_si256(simde_mm_loadu_si128((const simde__m128i *)(const void *)t16));
}

size_t vl_secrets_teddy_avx2(const vl_teddy *t, const unsigned char *p, size_t n, vl_teddy_fn fn, void *ud,
                             uint64_t *nl)
{
  const simde__m256i lo0 = bcast(t->lo[0]), lo1 = bcast(t->lo[1]), lo2 = bcast(t->lo[2]);
  const simde__m256i hi0 = bcast(t->hi[0]), hi1 = bcast(t->hi[1]), hi2 = bcast(t->hi[2]);
  const simde__m256i fold = simde_mm256_set1_epi8(0x20), nib = simde_mm256_set1_epi8(0x0f);
  const simde__m256i zero = simde_mm256_setzero_si256(), lf = simde_mm256_set1_epi8('\n');
  const size_t step = (size_t)1 << VL_TEDDY_NL_SHIFT;
  size_t i = 0;
  uint64_t lines = 0;
  nl[0] = 0;
  for (; i + 34 <= n; i += 32) {
    simde__m256i raw = simde_mm256_loadu_si256((const simde__m256i *)(const void *)(p + i));
    simde__m256i v0 = simde_mm256_or_si256(raw, fold);
    simde__m256i v1 = simde_mm256_or_si256(simde_mm256_loadu_si256((const simde__m256i *)(const void *)(p + i + 1)), fold);
    simde__m256i v2 = simde_mm256_or_si256(simde_mm256_loadu_si256((const simde__m256i *)(const void *)(p + i + 2)), fold);
    simde__m256i r0 = simde_mm256_and_si256(
      simde_mm256_shuffle_epi8(lo0, simde_mm256_and_si256(v0, nib)),
      simde_mm256_shuffle_epi8(hi0, simde_mm256_and_si256(simde_mm256_srli_epi16(v0, 4), nib)));
    simde__m256i r1 = simde_mm256_and_si256(
      simde_mm256_shuffle_epi8(lo1, simde_mm256_and_si256(v1, nib)),
      simde_mm256_shuffle_epi8(hi1, simde_mm256_and_si256(simde_mm256_srli_epi16(v1, 4), nib)));
    simde__m256i r2 = simde_mm256_and_si256(
      simde_mm256_shuffle_epi8(lo2, simde_mm256_and_si256(v2, nib)),
      simde_mm256_shuffle_epi8(hi2, simde_mm256_and_si256(simde_mm256_srli_epi16(v2, 4), nib)));
    simde__m256i r = simde_mm256_and_si256(r0, simde_mm256_and_si256(r1, r2));
    uint32_t mask = ~(uint32_t)simde_mm256_movemask_epi8(simde_mm256_cmpeq_epi8(r, zero));
    if ((i & (step - 1)) == 0) nl[i >> VL_TEDDY_NL_SHIFT] = lines;
    lines += (uint64_t)__builtin_popcount((unsigned)simde_mm256_movemask_epi8(simde_mm256_cmpeq_epi8(raw, lf)));
    while (mask) {
      fn(ud, i + (size_t)vl_ctz32(mask));
      mask &= mask - 1;
    }
  }
  if ((i & (step - 1)) == 0) nl[i >> VL_TEDDY_NL_SHIFT] = lines;
  return i;
}
