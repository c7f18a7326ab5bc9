/*
 * walk.c: the file walker (see walk.h for the design note): a depth-first
 * listing with gitignore rules, then a sort by path and a parallel binary sniff.
 */
#include "walk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_platform.h"
#ifdef _OPENMP
#include <omp.h>
#endif

#define IGNORE_FILE_MAX ((size_t)1 << 20)
#define PATH_CAP 4096

struct vl_walk_list {
  vl_walk_entry *v;
  size_t n, cap;
};

/* ---- glob matching (one segment, then whole paths by segments) ---- */

/* A bracket expression at p (p[0] == '['): sets *end past its ']' and returns
 * whether byte c is in it; returns -1 when there is no closing ']' (then '[' is a
 * literal). */
static int bracket(const char *p, const char *pe, unsigned char c, const char **end)
{
  const char *q = p + 1;
  int neg = 0, hit = 0;
  if (q < pe && (*q == '!' || *q == '^')) {
    neg = 1;
    q++;
  }
  int first = 1;
  while (q < pe && (*q != ']' || first)) {
    unsigned char lo = (unsigned char)*q, hi;
    if (lo == '\\' && q + 1 < pe) lo = (unsigned char)*++q;
    q++;
    hi = lo;
    if (q + 1 < pe && *q == '-' && q[1] != ']') {
      hi = (unsigned char)q[1];
      if (hi == '\\' && q + 2 < pe) {
        hi = (unsigned char)q[2];
        q++;
      }
      q += 2;
    }
    if (c >= lo && c <= hi) hit = 1;
    first = 0;
  }
  if (q >= pe) return -1;
  *end = q + 1;
  return hit != neg;
}

/* One pattern segment against one name (neither holds '/'): '*' any run, '?' one
 * byte, brackets, backslash escapes. Greedy with one backtrack point, O(len(p) x
 * len(s)): a later '*' can absorb whatever an earlier one would have. */
static int seg_match(const char *p, const char *pe, const char *s, const char *se)
{
  const char *star_p = NULL, *star_s = NULL;
  while (s < se) {
    if (p < pe && *p == '*') {
      while (p < pe && *p == '*') p++;
      star_p = p;
      star_s = s;
      continue;
    }
    if (p < pe) {
      const char *next = p + 1;
      int ok;
      if (*p == '?') {
        ok = 1;
      } else if (*p == '[') {
        int b = bracket(p, pe, (unsigned char)*s, &next);
        ok = b < 0 ? *s == '[' : b;
        if (b < 0) next = p + 1;
      } else if (*p == '\\' && p + 1 < pe) {
        ok = p[1] == *s;
        next = p + 2;
      } else {
        ok = *p == *s;
      }
      if (ok) {
        p = next;
        s++;
        continue;
      }
    }
    if (!star_p) return 0;
    p = star_p;
    s = ++star_s;
  }
  while (p < pe && *p == '*') p++;
  return p == pe;
}

typedef struct seg {
  const char *p;
  size_t n;
} seg;

#define MAX_SEGS 128

static size_t split(const char *s, size_t len, seg *out)
{
  size_t n = 0, i = 0;
  while (i <= len && n < MAX_SEGS) {
    size_t j = i;
    while (j < len && s[j] != '/') j++;
    out[n].p = s + i;
    out[n].n = j - i;
    n++;
    i = j + 1;
  }
  return i <= len ? 0 : n;  /* 0: too many segments, never matches */
}

static int is_starstar(const seg *g)
{
  return g->n == 2 && g->p[0] == '*' && g->p[1] == '*';
}

/* Pattern segments against path segments, by dynamic programming over (pattern
 * suffix, path suffix) so that any number of "**" stays O(np x ns) segment tests:
 * row i of the pattern from row i + 1. A "**" consumes zero or more segments, one
 * or more when it ends the pattern. */
static int segs_match(const seg *p, size_t np, const seg *s, size_t ns)
{
  unsigned char rows[2][MAX_SEGS + 1];
  unsigned char *next = rows[0], *cur = rows[1];
  for (size_t j = 0; j <= ns; j++) next[j] = j == ns;
  for (size_t i = np; i-- > 0;) {
    if (is_starstar(&p[i])) {
      cur[ns] = i + 1 == np ? 0 : next[ns];
      for (size_t j = ns; j-- > 0;) cur[j] = i + 1 == np ? 1 : (next[j] || cur[j + 1]);
    } else {
      cur[ns] = 0;
      for (size_t j = 0; j < ns; j++)
        cur[j] = next[j + 1] && seg_match(p[i].p, p[i].p + p[i].n, s[j].p, s[j].p + s[j].n);
    }
    unsigned char *t = next;
    next = cur;
    cur = t;
  }
  return next[0];
}

/* ---- ignore rules ---- */

typedef struct rule {
  char *pat;       /* the pattern, without '!', leading '/' or trailing '/' */
  size_t len;
  int negate, dir_only, anchored;
} rule;

typedef struct ruleset {
  rule *r;
  size_t n, cap;
  size_t base;     /* length of the relative directory it applies to (0: the root) */
} ruleset;

/* Parse one line into r (pattern pointing into a fresh copy); 0 when blank or a
 * comment, 1 for a rule, VL_ENOMEM. */
static int parse_line(const char *line, size_t len, rule *r)
{
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n')) len--;
  /* trailing spaces unless escaped */
  while (len > 0 && line[len - 1] == ' ' && !(len > 1 && line[len - 2] == '\\')) len--;
  if (len == 0 || line[0] == '#') return 0;
  memset(r, 0, sizeof *r);
  if (line[0] == '!') {
    r->negate = 1;
    line++, len--;
  } else if (line[0] == '\\' && len > 1 && (line[1] == '!' || line[1] == '#')) {
    line++, len--;
  }
  if (len > 0 && line[len - 1] == '/') {
    r->dir_only = 1;
    len--;
  }
  if (len > 0 && line[0] == '/') {
    r->anchored = 1;
    line++, len--;
  }
  if (len == 0) return 0;
  if (memchr(line, '/', len)) r->anchored = 1;
  r->pat = malloc(len + 1);
  if (!r->pat) return VL_ENOMEM;
  memcpy(r->pat, line, len);
  r->pat[len] = 0;
  r->len = len;
  return 1;
}

static int rule_match(const rule *r, const char *path, size_t len, int is_dir)
{
  if (r->dir_only && !is_dir) return 0;
  if (!r->anchored) {
    const char *name = path + len;
    while (name > path && name[-1] != '/') name--;
    return seg_match(r->pat, r->pat + r->len, name, path + len);
  }
  seg ps[MAX_SEGS], ss[MAX_SEGS];
  size_t np = split(r->pat, r->len, ps), ns = split(path, len, ss);
  return np > 0 && ns > 0 && segs_match(ps, np, ss, ns);
}

int vl_walk_match_line(const char *line, size_t len, const char *path, int is_dir)
{
  rule r;
  int st = parse_line(line, len, &r);
  if (st <= 0) return 0;
  int m = rule_match(&r, path, strlen(path), is_dir);
  free(r.pat);
  return m ? (r.negate ? -1 : 1) : 0;
}

static void ruleset_clear(ruleset *rs)
{
  for (size_t i = 0; i < rs->n; i++) free(rs->r[i].pat);
  free(rs->r);
  memset(rs, 0, sizeof *rs);
}

static int ruleset_add(ruleset *rs, const char *line, size_t len)
{
  rule r;
  int st = parse_line(line, len, &r);
  if (st <= 0) return st;
  if (rs->n == rs->cap) {
    size_t cap = rs->cap ? rs->cap * 2 : 8;
    rule *nr = realloc(rs->r, cap * sizeof *nr);
    if (!nr) {
      free(r.pat);
      return VL_ENOMEM;
    }
    rs->r = nr;
    rs->cap = cap;
  }
  rs->r[rs->n++] = r;
  return VL_OK;
}

static int ruleset_parse(ruleset *rs, const char *text, size_t len)
{
  size_t i = 0;
  while (i < len) {
    const char *nl = memchr(text + i, '\n', len - i);
    size_t j = nl ? (size_t)(nl - text) : len;
    int st = ruleset_add(rs, text + i, j - i);
    if (st < 0) return st;
    i = j + 1;
  }
  return VL_OK;
}

/* Load the ignore file at `path` into rs; a missing or unreadable file adds nothing. */
static int ruleset_load(ruleset *rs, const char *path)
{
  char *buf;
  size_t len;
  int st = vl_walk_read(path, 0, &buf, &len);
  if (st == VL_ENOMEM) return st;
  if (st != VL_OK) return VL_OK;
  if (len > IGNORE_FILE_MAX) len = IGNORE_FILE_MAX;
  st = ruleset_parse(rs, buf, len);
  free(buf);
  return st;
}

/* ---- the walk ---- */

typedef struct walker {
  const vl_walk_opts *o;
  vl_walk_list *list;
  ruleset *sets;       /* stack: sets[0..nsets) apply to the current directory */
  size_t nsets, capsets;
  ruleset *includes;   /* the include filter, or NULL */
  size_t max_files;
  char path[PATH_CAP]; /* output path of the current directory */
  size_t plen;
  size_t rel;          /* offset in path where the root-relative part starts */
  uint64_t dev[VL_WALK_MAX_DEPTH + 1]; /* identities of the directories being walked */
  uint64_t ino[VL_WALK_MAX_DEPTH + 1];
  char *err;
  size_t errlen;
} walker;

static int add_entry(walker *w, const char *path, uint64_t size, const char *skip)
{
  vl_walk_list *l = w->list;
  if (l->n >= w->max_files) {
    if (w->errlen) snprintf(w->err, w->errlen, "more than %zu files (max_files)", w->max_files);
    return VL_ELIMIT;
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 256;
    vl_walk_entry *nv = realloc(l->v, cap * sizeof *nv);
    if (!nv) return VL_ENOMEM;
    l->v = nv;
    l->cap = cap;
  }
  char *p = strdup(path);
  if (!p) return VL_ENOMEM;
  l->v[l->n].path = p;
  l->v[l->n].size = size;
  l->v[l->n].skip = skip;
  l->n++;
  return VL_OK;
}

/* Is the root-relative path `rel` ignored? The deepest set first, the last rule
 * of a set first: the first rule that matches decides. A set applies to paths
 * below its base directory, matched relative to it. */
static int ignored(const walker *w, const char *rel, size_t len, int is_dir)
{
  for (size_t k = w->nsets; k-- > 0;) {
    const ruleset *rs = &w->sets[k];
    const char *p = rel + rs->base;
    size_t n = len - rs->base;
    for (size_t i = rs->n; i-- > 0;)
      if (rule_match(&rs->r[i], p, n, is_dir)) return !rs->r[i].negate;
  }
  return 0;
}

static int push_set(walker *w, size_t base)
{
  if (w->nsets == w->capsets) {
    size_t cap = w->capsets ? w->capsets * 2 : 16;
    ruleset *ns = realloc(w->sets, cap * sizeof *ns);
    if (!ns) return VL_ENOMEM;
    w->sets = ns;
    w->capsets = cap;
  }
  memset(&w->sets[w->nsets], 0, sizeof w->sets[0]);
  w->sets[w->nsets].base = base;
  w->nsets++;
  return VL_OK;
}

static void pop_sets(walker *w, size_t keep)
{
  while (w->nsets > keep) ruleset_clear(&w->sets[--w->nsets]);
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Load `name` from the current directory (w->path) as a new set based there. */
static int load_dir_file(walker *w, const char *name, size_t base)
{
  size_t nl = strlen(name);
  if (w->plen + 1 + nl + 1 > PATH_CAP) return VL_OK;
  char *path = w->path;
  size_t at = w->plen;
  if (at > 0 && path[at - 1] != '/') path[at++] = '/';
  memcpy(path + at, name, nl + 1);
  int st = push_set(w, base);
  if (st == VL_OK) st = ruleset_load(&w->sets[w->nsets - 1], at == 0 ? name : path);
  path[w->plen] = 0;
  if (st == VL_OK && w->sets[w->nsets - 1].n == 0) pop_sets(w, w->nsets - 1);
  return st;
}

static int walk_dir(walker *w, int depth);

/* Visit entry `name` of the current directory. */
static int visit(walker *w, const char *name, int depth)
{
  size_t nl = strlen(name), at = w->plen;
  if (name[0] == '.' && (!w->o->hidden || strcmp(name, ".git") == 0)) return VL_OK;
  if (at + 1 + nl + 1 > PATH_CAP) return add_entry(w, name, 0, "path too long");
  if (at > 0 && w->path[at - 1] != '/') w->path[at++] = '/';
  memcpy(w->path + at, name, nl + 1);
  size_t end = at + nl;
  const char *full = w->path;
  const char *rel = w->path + w->rel;
  size_t rlen = end - w->rel;
  vl_plat_info sb;
  int st = VL_OK;
  if (vl_plat_stat(full, 0, &sb) != 0) {
    st = add_entry(w, full, 0, "unreadable");
    goto done;
  }
  if (sb.type == VL_PLAT_LINK) {
    if (!w->o->follow_symlinks) {
      if (!ignored(w, rel, rlen, 0)) st = add_entry(w, full, 0, "symlink");
      goto done;
    }
    if (vl_plat_stat(full, 1, &sb) != 0) {
      if (!ignored(w, rel, rlen, 0)) st = add_entry(w, full, 0, "broken symlink");
      goto done;
    }
  }
  if (sb.type == VL_PLAT_DIR) {
    if (ignored(w, rel, rlen, 1)) goto done;
    if (depth + 1 > VL_WALK_MAX_DEPTH) {
      st = add_entry(w, full, 0, "too deep");
      goto done;
    }
    for (int k = 0; k <= depth; k++)
      if (w->dev[k] == sb.dev && w->ino[k] == sb.ino) {
        st = add_entry(w, full, 0, "symlink loop");
        goto done;
      }
    w->dev[depth + 1] = sb.dev;
    w->ino[depth + 1] = sb.ino;
    size_t saved = w->plen;
    w->plen = end;
    st = walk_dir(w, depth + 1);
    w->plen = saved;
    goto done;
  }
  if (ignored(w, rel, rlen, 0)) goto done;
  if (w->includes) {
    int keep = 0;
    for (size_t i = 0; i < w->includes->n && !keep; i++)
      keep = rule_match(&w->includes->r[i], rel, rlen, 0);
    if (!keep) goto done;
  }
  if (sb.type != VL_PLAT_FILE)
    st = add_entry(w, full, 0, "not a regular file");
  else if (w->o->max_file_bytes && sb.size > w->o->max_file_bytes)
    st = add_entry(w, full, sb.size, "too large");
  else
    st = add_entry(w, full, sb.size, NULL);
done:
  w->path[w->plen] = 0;
  return st;
}

static int walk_dir(walker *w, int depth)
{
  const char *dpath = w->plen ? w->path : ".";
  vl_plat_dir *d = vl_plat_opendir(dpath);
  if (!d) return add_entry(w, w->plen ? w->path : ".", 0, "unreadable");
  char **names = NULL;
  size_t n = 0, cap = 0;
  int st = VL_OK;
  const char *nm;
  while ((nm = vl_plat_readdir(d)) != NULL) {
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 32;
      char **nn = realloc(names, ncap * sizeof *nn);
      if (!nn) {
        st = VL_ENOMEM;
        break;
      }
      names = nn;
      cap = ncap;
    }
    if (!(names[n] = strdup(nm))) {
      st = VL_ENOMEM;
      break;
    }
    n++;
  }
  vl_plat_closedir(d);
  if (st == VL_OK) {
    qsort(names, n, sizeof *names, cmp_str);
    size_t keep = w->nsets;
    /* rules of this directory apply to paths below it: base = its relative length + '/' */
    size_t base = w->plen > w->rel ? w->plen - w->rel + 1 : 0;
    if (w->o->gitignore) st = load_dir_file(w, ".gitignore", base);
    if (st == VL_OK && w->o->ignore_file && *w->o->ignore_file)
      st = load_dir_file(w, w->o->ignore_file, base);
    for (size_t i = 0; i < n && st == VL_OK; i++) st = visit(w, names[i], depth);
    pop_sets(w, keep);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return st;
}

static int walk_root(walker *w, const char *root)
{
  size_t rl = strlen(root);
  while (rl > 1 && root[rl - 1] == '/') rl--;
  if (rl + 2 > PATH_CAP) {
    if (w->errlen) snprintf(w->err, w->errlen, "path too long: '%.64s...'", root);
    return VL_EINVAL;
  }
  int dot = rl == 1 && root[0] == '.';
  memcpy(w->path, root, rl);
  w->path[rl] = 0;
  vl_plat_info sb;
  if (vl_plat_stat(w->path, 1, &sb) != 0) {
    if (w->errlen) snprintf(w->err, w->errlen, "cannot open '%s': %s", w->path, strerror(errno));
    return VL_EIO;
  }
  if (sb.type != VL_PLAT_DIR) {
    if (sb.type != VL_PLAT_FILE) return add_entry(w, w->path, 0, "not a regular file");
    if (w->o->max_file_bytes && sb.size > w->o->max_file_bytes)
      return add_entry(w, w->path, sb.size, "too large");
    return add_entry(w, w->path, sb.size, NULL);
  }
  w->dev[0] = sb.dev;
  w->ino[0] = sb.ino;
  size_t keep = w->nsets;
  int st = VL_OK;
  if (dot) {
    w->plen = 0;
    w->path[0] = 0;
    w->rel = 0;
  } else {
    w->plen = rl;
    w->rel = rl + (w->path[rl - 1] != '/');
  }
  /* the caller's excludes, then .git/info/exclude, anchored at this root */
  if (w->o->nexclude) {
    st = push_set(w, 0);
    for (size_t i = 0; i < w->o->nexclude && st == VL_OK; i++)
      st = ruleset_add(&w->sets[w->nsets - 1], w->o->exclude[i], strlen(w->o->exclude[i]));
  }
  if (st == VL_OK) st = load_dir_file(w, ".git/info/exclude", 0);
  if (st == VL_OK) st = walk_dir(w, 0);
  pop_sets(w, keep);
  return st;
}

static int cmp_entry(const void *a, const void *b)
{
  return strcmp(((const vl_walk_entry *)a)->path, ((const vl_walk_entry *)b)->path);
}

static void sniff(vl_walk_list *l, int jobs)
{
  long n = (long)l->n;
#ifdef _OPENMP
  int threads = jobs > 0 ? jobs : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 16) if (n > 64) num_threads(threads)
#else
  (void)jobs;
#endif
  for (long i = 0; i < n; i++) {
    vl_walk_entry *e = &l->v[i];
    if (e->skip) continue;
    vl_plat_fd fd = vl_plat_open(e->path);
    if (fd == VL_PLAT_NOFD) {
      e->skip = "unreadable";
      continue;
    }
    char buf[VL_WALK_SNIFF_BYTES];
    ptrdiff_t got = vl_plat_read(fd, buf, sizeof buf);
    vl_plat_close(fd);
    if (got < 0)
      e->skip = "unreadable";
    else if (vl_walk_is_binary(buf, (size_t)got))
      e->skip = "binary";
  }
}

int vl_walk(const char *const *roots, size_t nroots, const vl_walk_opts *opts, vl_walk_list **out,
            char *err, size_t errlen)
{
  static const vl_walk_opts zero;
  walker w;
  int st = VL_OK;
  *out = NULL;
  if (errlen) err[0] = 0;
  if (!opts) opts = &zero;
  if (nroots == 0) return VL_EINVAL;
  for (size_t i = 0; i < nroots; i++)
    if (!roots[i] || !roots[i][0]) return VL_EINVAL;
  memset(&w, 0, sizeof w);
  w.o = opts;
  w.err = err;
  w.errlen = errlen;
  w.max_files = opts->max_files ? opts->max_files : VL_WALK_DEFAULT_MAX_FILES;
  w.list = calloc(1, sizeof *w.list);
  ruleset includes;
  memset(&includes, 0, sizeof includes);
  if (!w.list) return VL_ENOMEM;
  for (size_t i = 0; i < opts->ninclude && st == VL_OK; i++)
    st = ruleset_add(&includes, opts->include[i], strlen(opts->include[i]));
  if (opts->ninclude) w.includes = &includes;
  for (size_t i = 0; i < nroots && st == VL_OK; i++) st = walk_root(&w, roots[i]);
  pop_sets(&w, 0);
  free(w.sets);
  ruleset_clear(&includes);
  if (st != VL_OK) {
    vl_walk_free(w.list);
    return st;
  }
  vl_walk_list *l = w.list;
  qsort(l->v, l->n, sizeof *l->v, cmp_entry);
  size_t k = 0;
  for (size_t i = 0; i < l->n; i++) {
    if (k > 0 && strcmp(l->v[k - 1].path, l->v[i].path) == 0) {
      free((char *)l->v[i].path);
      continue;
    }
    l->v[k++] = l->v[i];
  }
  l->n = k;
  if (!opts->keep_binary) sniff(l, opts->jobs);
  *out = l;
  return VL_OK;
}

size_t vl_walk_count(const vl_walk_list *list)
{
  return list ? list->n : 0;
}

const vl_walk_entry *vl_walk_at(const vl_walk_list *list, size_t i)
{
  return list && i < list->n ? &list->v[i] : NULL;
}

void vl_walk_free(vl_walk_list *list)
{
  if (!list) return;
  for (size_t i = 0; i < list->n; i++) free((char *)list->v[i].path);
  free(list->v);
  free(list);
}

int vl_walk_is_binary(const void *buf, size_t n)
{
  return memchr(buf, 0, n < VL_WALK_SNIFF_BYTES ? n : VL_WALK_SNIFF_BYTES) != NULL;
}

int vl_walk_read(const char *path, size_t max_bytes, char **buf, size_t *len)
{
  *buf = NULL;
  *len = 0;
  vl_plat_fd fd = vl_plat_open(path);
  if (fd == VL_PLAT_NOFD) return VL_EIO;
  vl_plat_info sb;
  if (vl_plat_fstat(fd, &sb) != 0) {
    vl_plat_close(fd);
    return VL_EIO;
  }
  if (sb.type == VL_PLAT_DIR) {
    vl_plat_close(fd);
    errno = EISDIR;
    return VL_EIO;
  }
  size_t cap = sb.size > 0 ? (size_t)sb.size + 1 : 4096;
  if (max_bytes && cap > max_bytes + 1) cap = max_bytes + 1;
  char *b = malloc(cap + 1);
  size_t n = 0;
  int st = b ? VL_OK : VL_ENOMEM;
  while (st == VL_OK) {
    if (n == cap) {
      if (max_bytes && n > max_bytes) break;
      size_t ncap = cap * 2;
      char *nb = realloc(b, ncap + 1);
      if (!nb) {
        st = VL_ENOMEM;
        break;
      }
      b = nb;
      cap = ncap;
    }
    ptrdiff_t got = vl_plat_read(fd, b + n, cap - n);
    if (got < 0) {
      st = VL_EIO;
    } else if (got == 0) {
      break;
    } else {
      n += (size_t)got;
    }
  }
  vl_plat_close(fd);
  if (st == VL_OK && max_bytes && n > max_bytes) st = VL_ELIMIT;
  if (st != VL_OK) {
    free(b);
    return st;
  }
  b[n] = 0;
  *buf = b;
  *len = n;
  return VL_OK;
}
