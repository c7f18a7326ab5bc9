/*
 * vl_platform.h: the operating-system layer of the pure-C kernels. The kernels that
 * touch the file system or the clock (walk.c, indexer.c) call these functions and
 * nothing else of the OS; vl_platform.c holds a POSIX implementation (Linux, what
 * the kernels used before) and a Win32 one (mingw-w64), chosen by _WIN32.
 *
 * Contract
 * --------
 * Paths are NUL-terminated UTF-8 byte strings; '/' separates components on both
 * systems (Win32 accepts it; paths are converted to UTF-16 with
 * MultiByteToWideChar, invalid UTF-8 fails with EINVAL). Names coming back
 * (vl_plat_readdir) are UTF-8. Functions that fail return -1, NULL or
 * VL_PLAT_NOFD and set errno to a POSIX value (ENOENT, EACCES, ENOTDIR, ENOMEM,
 * EINVAL, else EIO on Win32), so callers can strerror(errno) on both systems.
 * Nothing here prints, aborts or keeps global state; every function is safe to
 * call from several threads at once on different objects (OpenMP regions do).
 *
 * Threads are not part of this layer: the kernels use OpenMP, which libgomp
 * provides on Linux and mingw-w64 alike. Nothing maps files: whole-file reads go
 * through vl_plat_open/vl_plat_read.
 */
#ifndef VL_PLATFORM_H
#define VL_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a path names (vl_plat_info.type). */
enum { VL_PLAT_OTHER, VL_PLAT_FILE, VL_PLAT_DIR, VL_PLAT_LINK };

typedef struct vl_plat_info {
  uint64_t size;     /* bytes, for a regular file (0 or the OS's figure otherwise) */
  int64_t mtime;     /* last modification, seconds since 1970-01-01 UTC */
  uint64_t dev, ino; /* identity of a directory: equal pairs name the same one (POSIX:
                        st_dev/st_ino; Win32: volume serial/file index). Filled for
                        directories; 0 for other types on Win32. */
  int type;          /* VL_PLAT_FILE, VL_PLAT_DIR, VL_PLAT_LINK (only when !follow),
                        VL_PLAT_OTHER (devices, pipes, sockets) */
} vl_plat_info;

/* stat (follow != 0) or lstat (follow == 0) of path. 0, or -1 with errno.
 * Win32: a reparse point (symlink, junction) is VL_PLAT_LINK when !follow. */
int vl_plat_stat(const char *path, int follow, vl_plat_info *out);

/* Directory iteration: every entry but "." and "..", in the OS's order (callers
 * sort). vl_plat_readdir returns the next name, valid until the next call on d, or
 * NULL at the end (or on a read error, errno set). */
typedef struct vl_plat_dir vl_plat_dir;
vl_plat_dir *vl_plat_opendir(const char *path); /* NULL with errno */
const char *vl_plat_readdir(vl_plat_dir *d);
void vl_plat_closedir(vl_plat_dir *d);          /* NULL is a no-op */

/* Read-only files. A handle is an fd (POSIX) or a HANDLE (Win32). */
typedef intptr_t vl_plat_fd;
#define VL_PLAT_NOFD ((vl_plat_fd)-1)
vl_plat_fd vl_plat_open(const char *path);      /* VL_PLAT_NOFD with errno */
int vl_plat_fstat(vl_plat_fd fd, vl_plat_info *out); /* 0, or -1 with errno */
/* Up to n bytes into buf (retried on EINTR): the count, 0 at the end, -1 with errno. */
ptrdiff_t vl_plat_read(vl_plat_fd fd, void *buf, size_t n);
void vl_plat_close(vl_plat_fd fd);              /* VL_PLAT_NOFD is a no-op; keeps errno */

/* A monotonic clock in nanoseconds (CLOCK_MONOTONIC; Win32: QueryPerformanceCounter). */
uint64_t vl_plat_monotonic_ns(void);

#ifdef __cplusplus
}
#endif
#endif
