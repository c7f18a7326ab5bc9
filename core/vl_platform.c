/*
 * vl_platform.c: the operating-system layer (see vl_platform.h for the contract):
 * POSIX and Win32 implementations of files, directories and the clock.
 */
#include "vl_platform.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#endif

#ifndef _WIN32
/* ---- POSIX ----------------------------------------------------------------- */

static void from_stat(const struct stat *sb, vl_plat_info *out)
{
  out->size = (uint64_t)sb->st_size;
  out->mtime = (int64_t)sb->st_mtime;
  out->dev = (uint64_t)sb->st_dev;
  out->ino = (uint64_t)sb->st_ino;
  out->type = S_ISREG(sb->st_mode)   ? VL_PLAT_FILE
              : S_ISDIR(sb->st_mode) ? VL_PLAT_DIR
              : S_ISLNK(sb->st_mode) ? VL_PLAT_LINK
                                     : VL_PLAT_OTHER;
}

int vl_plat_stat(const char *path, int follow, vl_plat_info *out)
{
  struct stat sb;
  if ((follow ? stat(path, &sb) : lstat(path, &sb)) != 0) return -1;
  from_stat(&sb, out);
  return 0;
}

struct vl_plat_dir {
  DIR *d;
};

vl_plat_dir *vl_plat_opendir(const char *path)
{
  vl_plat_dir *d = malloc(sizeof *d);
  if (!d) {
    errno = ENOMEM;
    return NULL;
  }
  d->d = opendir(path);
  if (!d->d) {
    int saved = errno;
    free(d);
    errno = saved;
    return NULL;
  }
  return d;
}

const char *vl_plat_readdir(vl_plat_dir *d)
{
  struct dirent *de;
  while ((de = readdir(d->d)) != NULL) {
    const char *nm = de->d_name;
    if (nm[0] == '.' && (nm[1] == 0 || (nm[1] == '.' && nm[2] == 0))) continue;
    return nm;
  }
  return NULL;
}

void vl_plat_closedir(vl_plat_dir *d)
{
  if (!d) return;
  closedir(d->d);
  free(d);
}

vl_plat_fd vl_plat_open(const char *path)
{
  int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
  return fd < 0 ? VL_PLAT_NOFD : (vl_plat_fd)fd;
}

int vl_plat_fstat(vl_plat_fd fd, vl_plat_info *out)
{
  struct stat sb;
  if (fstat((int)fd, &sb) != 0) return -1;
  from_stat(&sb, out);
  return 0;
}

ptrdiff_t vl_plat_read(vl_plat_fd fd, void *buf, size_t n)
{
  for (;;) {
    ssize_t got = read((int)fd, buf, n);
    if (got < 0 && errno == EINTR) continue;
    return (ptrdiff_t)got;
  }
}

void vl_plat_close(vl_plat_fd fd)
{
  int saved = errno;
  if (fd != VL_PLAT_NOFD) close((int)fd);
  errno = saved;
}

uint64_t vl_plat_monotonic_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#else
/* ---- Win32 ----------------------------------------------------------------- */

static void set_errno_from(DWORD e)
{
  switch (e) {
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
  case ERROR_INVALID_NAME:
  case ERROR_INVALID_DRIVE:
  case ERROR_BAD_NETPATH:
    errno = ENOENT;
    break;
  case ERROR_ACCESS_DENIED:
  case ERROR_SHARING_VIOLATION:
  case ERROR_LOCK_VIOLATION:
    errno = EACCES;
    break;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY:
    errno = ENOMEM;
    break;
  case ERROR_DIRECTORY:
    errno = ENOTDIR;
    break;
  case ERROR_FILENAME_EXCED_RANGE:
    errno = ENAMETOOLONG;
    break;
  default:
    errno = EIO;
  }
}

/* UTF-8 -> a malloc'ed UTF-16 string, with room for `extra` more WCHARs; NULL with errno. */
static WCHAR *widen(const char *s, size_t extra)
{
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
  WCHAR *w;
  if (n <= 0) {
    errno = EINVAL;
    return NULL;
  }
  w = malloc(((size_t)n + extra) * sizeof *w);
  if (!w) {
    errno = ENOMEM;
    return NULL;
  }
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
  return w;
}

/* FILETIME (100 ns ticks since 1601) -> seconds since 1970 */
static int64_t unix_time(FILETIME ft)
{
  uint64_t t = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
  return (int64_t)(t / 10000000u) - INT64_C(11644473600);
}

static int type_of(DWORD attrs, int follow)
{
  if (!follow && (attrs & FILE_ATTRIBUTE_REPARSE_POINT)) return VL_PLAT_LINK;
  if (attrs & FILE_ATTRIBUTE_DIRECTORY) return VL_PLAT_DIR;
  if (attrs & FILE_ATTRIBUTE_DEVICE) return VL_PLAT_OTHER;
  return VL_PLAT_FILE;
}

static void from_info(const BY_HANDLE_FILE_INFORMATION *bi, int follow, vl_plat_info *out)
{
  out->type = type_of(bi->dwFileAttributes, follow);
  out->size = out->type == VL_PLAT_FILE ? ((uint64_t)bi->nFileSizeHigh << 32) | bi->nFileSizeLow : 0;
  out->mtime = unix_time(bi->ftLastWriteTime);
  out->dev = bi->dwVolumeSerialNumber;
  out->ino = ((uint64_t)bi->nFileIndexHigh << 32) | bi->nFileIndexLow;
}

/* Attributes alone (one call) for files and links; directories, and anything that a
 * followed link leads to, are opened (FILE_READ_ATTRIBUTES, which no sharing mode
 * blocks) for their identity and their target's attributes. */
int vl_plat_stat(const char *path, int follow, vl_plat_info *out)
{
  WIN32_FILE_ATTRIBUTE_DATA fa;
  BY_HANDLE_FILE_INFORMATION bi;
  HANDLE h;
  WCHAR *w = widen(path, 0);
  if (!w) return -1;
  if (!GetFileAttributesExW(w, GetFileExInfoStandard, &fa)) {
    set_errno_from(GetLastError());
    free(w);
    return -1;
  }
  memset(out, 0, sizeof *out);
  int is_link = (fa.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
  int is_dir = (fa.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  if (is_link ? !follow : !is_dir) {
    free(w);
    out->type = type_of(fa.dwFileAttributes, follow);
    if (out->type == VL_PLAT_FILE) out->size = ((uint64_t)fa.nFileSizeHigh << 32) | fa.nFileSizeLow;
    out->mtime = unix_time(fa.ftLastWriteTime);
    return 0;
  }
  h = CreateFileW(w, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                  OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | (follow ? 0 : FILE_FLAG_OPEN_REPARSE_POINT), NULL);
  free(w);
  if (h == INVALID_HANDLE_VALUE) {
    set_errno_from(GetLastError());
    return -1;
  }
  if (!GetFileInformationByHandle(h, &bi)) {
    set_errno_from(GetLastError());
    CloseHandle(h);
    return -1;
  }
  CloseHandle(h);
  from_info(&bi, follow, out);
  return 0;
}

struct vl_plat_dir {
  HANDLE h;
  int pending;           /* fd holds an entry not returned yet (the first one) */
  WIN32_FIND_DATAW fd;
  char name[MAX_PATH * 3 + 1]; /* a UTF-16 name of at most MAX_PATH units, in UTF-8 */
};

vl_plat_dir *vl_plat_opendir(const char *path)
{
  size_t n = strlen(path);
  WCHAR *w = widen(path, 3);
  vl_plat_dir *d;
  size_t wl;
  if (!w) return NULL;
  d = malloc(sizeof *d);
  if (!d) {
    free(w);
    errno = ENOMEM;
    return NULL;
  }
  wl = wcslen(w);
  if (n > 0 && path[n - 1] != '/' && path[n - 1] != '\\') w[wl++] = L'\\';
  w[wl++] = L'*';
  w[wl] = 0;
  d->h = FindFirstFileExW(w, FindExInfoBasic, &d->fd, FindExSearchNameMatch, NULL, 0);
  free(w);
  if (d->h == INVALID_HANDLE_VALUE) {
    set_errno_from(GetLastError());
    free(d);
    return NULL;
  }
  d->pending = 1;
  return d;
}

const char *vl_plat_readdir(vl_plat_dir *d)
{
  for (;;) {
    const WCHAR *nm;
    if (!d->pending) {
      if (!FindNextFileW(d->h, &d->fd)) {
        DWORD e = GetLastError();
        if (e != ERROR_NO_MORE_FILES) set_errno_from(e);
        return NULL;
      }
    }
    d->pending = 0;
    nm = d->fd.cFileName;
    if (nm[0] == L'.' && (nm[1] == 0 || (nm[1] == L'.' && nm[2] == 0))) continue;
    if (WideCharToMultiByte(CP_UTF8, 0, nm, -1, d->name, (int)sizeof d->name, NULL, NULL) <= 0) continue;
    return d->name;
  }
}

void vl_plat_closedir(vl_plat_dir *d)
{
  if (!d) return;
  FindClose(d->h);
  free(d);
}

vl_plat_fd vl_plat_open(const char *path)
{
  HANDLE h;
  WCHAR *w = widen(path, 0);
  if (!w) return VL_PLAT_NOFD;
  h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                  FILE_ATTRIBUTE_NORMAL | FILE_FLAG_SEQUENTIAL_SCAN, NULL);
  free(w);
  if (h == INVALID_HANDLE_VALUE) {
    set_errno_from(GetLastError());
    return VL_PLAT_NOFD;
  }
  return (vl_plat_fd)h;
}

int vl_plat_fstat(vl_plat_fd fd, vl_plat_info *out)
{
  BY_HANDLE_FILE_INFORMATION bi;
  if (!GetFileInformationByHandle((HANDLE)fd, &bi)) {
    set_errno_from(GetLastError());
    return -1;
  }
  from_info(&bi, 1, out);
  return 0;
}

ptrdiff_t vl_plat_read(vl_plat_fd fd, void *buf, size_t n)
{
  DWORD got = 0;
  if (n > 0x40000000u) n = 0x40000000u; /* ReadFile takes a DWORD */
  if (!ReadFile((HANDLE)fd, buf, (DWORD)n, &got, NULL)) {
    DWORD e = GetLastError();
    if (e == ERROR_HANDLE_EOF || e == ERROR_BROKEN_PIPE) return 0;
    set_errno_from(e);
    return -1;
  }
  return (ptrdiff_t)got;
}

void vl_plat_close(vl_plat_fd fd)
{
  int saved = errno;
  if (fd != VL_PLAT_NOFD) CloseHandle((HANDLE)fd);
  errno = saved;
}

uint64_t vl_plat_monotonic_ns(void)
{
  LARGE_INTEGER c, f;
  QueryPerformanceCounter(&c);
  QueryPerformanceFrequency(&f);
  return (uint64_t)(c.QuadPart / f.QuadPart) * 1000000000u +
         (uint64_t)(c.QuadPart % f.QuadPart) * 1000000000u / (uint64_t)f.QuadPart;
}
#endif
