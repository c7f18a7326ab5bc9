/* vl_compat.h: the Windows shim of `make cross-windows` (mingw-w64), force-included
 * (-include) into core/similarity.c there only; the Linux builds never see it.
 *
 * The one POSIX-only call in the pure-C kernels that build for Windows is
 * posix_memalign (similarity.c: 64-byte aligned matrices). The C runtime of Windows has
 * _aligned_malloc instead, whose blocks must be released by _aligned_free, so in that
 * unit every allocation and release goes through the aligned family: the blocks it
 * hands out (vl_sim_alloc, vl_sim_quantize) are freed there too (vl_sim_free,
 * vl_sim_qfree), and it has no realloc. */
#ifndef VL_WIN32_COMPAT_H
#define VL_WIN32_COMPAT_H
#ifdef _WIN32
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static inline int vl_win_posix_memalign(void **p, size_t align, size_t n)
{
  *p = _aligned_malloc(n ? n : 1, align);
  return *p ? 0 : ENOMEM;
}

static inline void *vl_win_malloc(size_t n)
{
  return _aligned_malloc(n ? n : 1, 16);
}

static inline void *vl_win_calloc(size_t count, size_t size)
{
  void *p;
  size_t n;
  if (size && count > (size_t)-1 / size) return NULL;
  n = count * size;
  p = _aligned_malloc(n ? n : 1, 16);
  if (p) memset(p, 0, n);
  return p;
}

#define posix_memalign vl_win_posix_memalign
#define malloc vl_win_malloc
#define calloc vl_win_calloc
#define free _aligned_free
#endif
#endif
