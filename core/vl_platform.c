/*
 * vl_platform.c: the operating-system layer (see vl_platform.h for the contract):
 * POSIX and Win32 implementations of files, directories and the clock, the regex
 * wrapper, and the portable ERE engine that Win32 uses (built everywhere).
 */
#include "vl_platform.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
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

struct vl_plat_re {
  regex_t re;
};

vl_plat_re *vl_plat_re_new(const char *pattern)
{
  vl_plat_re *r = malloc(sizeof *r);
  if (!r) return NULL;
  if (regcomp(&r->re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
    free(r);
    return NULL;
  }
  return r;
}

int vl_plat_re_search(const vl_plat_re *re, const char *s)
{
  return regexec(&re->re, s, 0, NULL, 0) == 0;
}

void vl_plat_re_free(vl_plat_re *re)
{
  if (!re) return;
  regfree(&re->re);
  free(re);
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

vl_plat_re *vl_plat_re_new(const char *pattern)
{
  return (vl_plat_re *)vl_plat_ere_new(pattern);
}

int vl_plat_re_search(const vl_plat_re *re, const char *s)
{
  return vl_plat_ere_search((const vl_plat_ere *)re, s);
}

void vl_plat_re_free(vl_plat_re *re)
{
  vl_plat_ere_free((vl_plat_ere *)re);
}
#endif

/* ---- the portable ERE engine ------------------------------------------------ */

enum { ERE_CHAR, ERE_ANY, ERE_SET, ERE_BOL, ERE_EOL, ERE_GROUP };
#define ERE_INF UINT_MAX
#define ERE_MAX_NEST 32
#define ERE_MAX_DEPTH 2000

typedef struct ere_alt ere_alt;
typedef struct ere_term {
  int kind;
  unsigned char c;
  unsigned char set[32]; /* ERE_SET: one bit per byte */
  ere_alt *group;
  unsigned min, max;
} ere_term;
typedef struct ere_seq {
  ere_term *t;
  size_t n;
} ere_seq;
struct ere_alt {
  ere_seq *s;
  size_t n;
};
struct vl_plat_ere {
  ere_alt *root;
};

static void alt_free(ere_alt *a)
{
  if (!a) return;
  for (size_t i = 0; i < a->n; i++) {
    for (size_t j = 0; j < a->s[i].n; j++) alt_free(a->s[i].t[j].group);
    free(a->s[i].t);
  }
  free(a->s);
  free(a);
}

typedef struct ere_parser {
  const char *p;
  int nest;
} ere_parser;

static int class_has(const char *name, size_t len, int c)
{
#define ERE_CLASS(n, f) \
  if (len == sizeof n - 1 && memcmp(name, n, len) == 0) return f(c) != 0;
  ERE_CLASS("alpha", isalpha)
  ERE_CLASS("digit", isdigit)
  ERE_CLASS("alnum", isalnum)
  ERE_CLASS("upper", isupper)
  ERE_CLASS("lower", islower)
  ERE_CLASS("space", isspace)
  ERE_CLASS("punct", ispunct)
  ERE_CLASS("xdigit", isxdigit)
  ERE_CLASS("cntrl", iscntrl)
  ERE_CLASS("print", isprint)
  ERE_CLASS("graph", isgraph)
  ERE_CLASS("blank", isblank)
#undef ERE_CLASS
  return -1;
}

/* bracket expression after '[': fills set, leaves p past ']'; -1 when malformed */
static int parse_bracket(ere_parser *ps, unsigned char *set)
{
  const char *p = ps->p;
  int neg = 0, first = 1;
  memset(set, 0, 32);
  if (*p == '^') {
    neg = 1;
    p++;
  }
  while (*p && (*p != ']' || first)) {
    unsigned lo = (unsigned char)*p, hi;
    first = 0;
    if (*p == '[' && (p[1] == '.' || p[1] == '=')) return -1;
    if (*p == '[' && p[1] == ':') {
      const char *name = p + 2, *e = strstr(name, ":]");
      if (!e || class_has(name, (size_t)(e - name), 'a') < 0) return -1;
      for (int c = 1; c < 256; c++)
        if (class_has(name, (size_t)(e - name), c) > 0) set[c >> 3] |= (unsigned char)(1u << (c & 7));
      p = e + 2;
      continue;
    }
    p++;
    hi = lo;
    if (*p == '-' && p[1] && p[1] != ']') {
      hi = (unsigned char)p[1];
      if (hi < lo) return -1;
      p += 2;
    }
    for (unsigned c = lo; c <= hi; c++) set[c >> 3] |= (unsigned char)(1u << (c & 7));
  }
  if (*p != ']') return -1;
  if (neg)
    for (int i = 0; i < 32; i++) set[i] = (unsigned char)~set[i];
  set[0] &= (unsigned char)~1u; /* never NUL */
  ps->p = p + 1;
  return 0;
}

static int parse_alt(ere_parser *ps, ere_alt **out);

static int parse_bound(ere_parser *ps, unsigned *v)
{
  unsigned n = 0;
  if (!isdigit((unsigned char)*ps->p)) return -1;
  while (isdigit((unsigned char)*ps->p)) {
    n = n * 10 + (unsigned)(*ps->p++ - '0');
    if (n > 255) return -1;
  }
  *v = n;
  return 0;
}

static int parse_quant(ere_parser *ps, ere_term *t)
{
  char q = *ps->p;
  if (q != '*' && q != '+' && q != '?' && q != '{') return 0;
  if (t->kind == ERE_BOL || t->kind == ERE_EOL) return -1;
  ps->p++;
  if (q == '*') t->min = 0, t->max = ERE_INF;
  if (q == '+') t->min = 1, t->max = ERE_INF;
  if (q == '?') t->min = 0, t->max = 1;
  if (q == '{') {
    if (parse_bound(ps, &t->min) < 0) return -1;
    t->max = t->min;
    if (*ps->p == ',') {
      ps->p++;
      t->max = ERE_INF;
      if (*ps->p != '}' && (parse_bound(ps, &t->max) < 0 || t->max < t->min)) return -1;
    }
    if (*ps->p++ != '}') return -1;
  }
  q = *ps->p;
  return q == '*' || q == '+' || q == '?' || q == '{' ? -1 : 0; /* no stacked quantifiers */
}

static int parse_seq(ere_parser *ps, ere_seq *sq)
{
  size_t cap = 0;
  while (*ps->p && *ps->p != '|' && *ps->p != ')') {
    ere_term t;
    char c = *ps->p++;
    memset(&t, 0, sizeof t);
    t.min = t.max = 1;
    switch (c) {
    case '(':
      if (++ps->nest > ERE_MAX_NEST || parse_alt(ps, &t.group) < 0) {
        alt_free(t.group);
        return -1;
      }
      ps->nest--;
      if (*ps->p++ != ')') {
        alt_free(t.group);
        return -1;
      }
      t.kind = ERE_GROUP;
      break;
    case '^': t.kind = ERE_BOL; break;
    case '$': t.kind = ERE_EOL; break;
    case '.': t.kind = ERE_ANY; break;
    case '[':
      t.kind = ERE_SET;
      if (parse_bracket(ps, t.set) < 0) return -1;
      break;
    case '*': case '+': case '?': case '{':
      return -1;
    case '\\':
      c = *ps->p++;
      if (!c || isalnum((unsigned char)c)) return -1;
      /* fallthrough */
    default:
      t.kind = ERE_CHAR;
      t.c = (unsigned char)c;
    }
    if (parse_quant(ps, &t) < 0) {
      alt_free(t.group);
      return -1;
    }
    if (sq->n == cap) {
      size_t ncap = cap ? cap * 2 : 8;
      ere_term *nt = realloc(sq->t, ncap * sizeof *nt);
      if (!nt) {
        alt_free(t.group);
        return -1;
      }
      sq->t = nt;
      cap = ncap;
    }
    sq->t[sq->n++] = t;
  }
  return 0;
}

static int parse_alt(ere_parser *ps, ere_alt **out)
{
  ere_alt *a = calloc(1, sizeof *a);
  size_t cap = 0;
  *out = a;
  if (!a) return -1;
  for (;;) {
    if (a->n == cap) {
      size_t ncap = cap ? cap * 2 : 2;
      ere_seq *ns = realloc(a->s, ncap * sizeof *ns);
      if (!ns) return -1;
      a->s = ns;
      cap = ncap;
    }
    memset(&a->s[a->n], 0, sizeof a->s[0]);
    a->n++;
    if (parse_seq(ps, &a->s[a->n - 1]) < 0) return -1;
    if (*ps->p != '|') return 0;
    ps->p++;
  }
}

vl_plat_ere *vl_plat_ere_new(const char *pattern)
{
  ere_parser ps;
  vl_plat_ere *re = malloc(sizeof *re);
  if (!re) return NULL;
  ps.p = pattern;
  ps.nest = 0;
  if (parse_alt(&ps, &re->root) < 0 || *ps.p != 0) {
    alt_free(re->root);
    free(re);
    return NULL;
  }
  return re;
}

void vl_plat_ere_free(vl_plat_ere *re)
{
  if (!re) return;
  alt_free(re->root);
  free(re);
}

/* Matching: backtracking with continuations (what follows the current term), so a
 * boolean answer needs no leftmost-longest bookkeeping. */
typedef struct ere_kont {
  const ere_seq *seq;  /* continue at seq->t[idx] ... */
  size_t idx;
  const ere_term *rep; /* ... or at iteration `count` of rep, the last one began at start */
  unsigned count;
  const char *start;
  const struct ere_kont *next;
} ere_kont;

typedef struct ere_ctx {
  const char *bos;
  long steps;
  int depth;
} ere_ctx;

static int m_seq(ere_ctx *c, const ere_seq *sq, size_t i, const char *s, const ere_kont *k);
static int m_rep(ere_ctx *c, const ere_term *t, unsigned count, const char *prev, const char *s,
                 const ere_kont *k);

static int m_cont(ere_ctx *c, const char *s, const ere_kont *k)
{
  if (!k) return 1;
  if (k->rep) return m_rep(c, k->rep, k->count, k->start, s, k->next);
  return m_seq(c, k->seq, k->idx, s, k->next);
}

static int one_byte(const ere_term *t, unsigned char b)
{
  if (!b) return 0;
  if (t->kind == ERE_CHAR) return b == t->c;
  if (t->kind == ERE_ANY) return 1;
  return (t->set[b >> 3] >> (b & 7)) & 1;
}

static int m_rep(ere_ctx *c, const ere_term *t, unsigned count, const char *prev, const char *s,
                 const ere_kont *k)
{
  int r = 0;
  if (++c->steps > VL_PLAT_ERE_STEPS || c->depth >= ERE_MAX_DEPTH) return 0;
  c->depth++;
  if (t->kind == ERE_CHAR || t->kind == ERE_ANY || t->kind == ERE_SET) {
    /* a one-byte atom: take the longest run, then give back one byte at a time */
    size_t n = 0;
    while (n < t->max && one_byte(t, (unsigned char)s[n])) n++;
    for (size_t j = n + 1; j-- > t->min && !r && c->steps <= VL_PLAT_ERE_STEPS;) {
      c->steps++;
      r = m_cont(c, s + j, k);
    }
  } else if (t->kind != ERE_GROUP) {
    if (t->kind == ERE_BOL ? s == c->bos : *s == 0) r = m_cont(c, s, k);
  } else if (count > 0 && prev == s) {
    r = m_cont(c, s, k); /* an empty iteration: more of them change nothing */
  } else {
    if (count < t->max) {
      ere_kont again = {NULL, 0, t, count + 1, s, k};
      for (size_t i = 0; i < t->group->n && !r; i++) r = m_seq(c, &t->group->s[i], 0, s, &again);
    }
    if (!r && count >= t->min) r = m_cont(c, s, k);
  }
  c->depth--;
  return r;
}

static int m_seq(ere_ctx *c, const ere_seq *sq, size_t i, const char *s, const ere_kont *k)
{
  if (i == sq->n) return m_cont(c, s, k);
  ere_kont after = {sq, i + 1, NULL, 0, NULL, k};
  return m_rep(c, &sq->t[i], 0, NULL, s, &after);
}

int vl_plat_ere_search(const vl_plat_ere *re, const char *s)
{
  ere_ctx c;
  const char *p = s;
  c.bos = s;
  c.steps = 0;
  c.depth = 0;
  for (;;) {
    for (size_t i = 0; i < re->root->n; i++)
      if (m_seq(&c, &re->root->s[i], 0, p, NULL)) return 1;
    if (!*p || c.steps > VL_PLAT_ERE_STEPS) return 0;
    p++;
  }
}
