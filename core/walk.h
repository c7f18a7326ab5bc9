/*
 * walk.h: the file walker shared by the kernels that read trees of files (the
 * secret scanner, the code indexer): which files under some roots to read, in a
 * deterministic order, honouring .gitignore.
 *
 * Design note
 * -----------
 * vl_walk lists the files under each root depth-first (directory entries read in
 * full and sorted, so the traversal does not depend on readdir order), then sorts
 * the whole list by path bytewise (strcmp) and drops duplicates (overlapping
 * roots). An entry is either kept (`skip == NULL`) or skipped with a static reason
 * ("too large", "binary", "symlink", "broken symlink", "unreadable", "not a regular
 * file", "too deep"); ignored files are not entries at all.
 *
 * Paths are the root as given, a '/', then the path relative to the root (a root
 * of "." gives bare relative paths; trailing slashes of a root are dropped). A
 * root that is a file is listed as given, whatever the ignore rules say.
 *
 * Ignore rules (gitignore syntax, as git documents it): blank lines and '#'
 * comments are skipped; "\#" and "\!" escape; trailing spaces are dropped unless
 * escaped; "!" re-includes; a trailing "/" matches directories only; a pattern
 * with a "/" at its start or middle is anchored to the directory of the file that
 * holds it, any other pattern matches a name at any depth below it; "*", "?" and
 * "[...]" (with "!" or "^" negation and ranges) never match "/"; "**" as a whole
 * segment matches any number of directories (zero or more when it leads or sits
 * in the middle, one or more when it ends the pattern). The last matching rule wins, deeper files winning over shallower
 * ones; a directory that is ignored is not entered, so nothing below it can be
 * re-included (as in git). Sources, shallow to deep: the caller's `exclude`
 * patterns (anchored at each root), each root's .git/info/exclude, then each
 * directory's .gitignore (when `gitignore`) and `ignore_file` (when set). ".git"
 * is never entered. `include` patterns (same syntax) are a filter: when any are
 * given, a file is kept only if one of them matches its root-relative path.
 * .gitignore files are read whether or not the tree is a git repository.
 *
 * Binary sniffing (unless `keep_binary`): every candidate file's first 8 KiB are
 * read, in parallel (OpenMP, `jobs` threads; the result does not depend on the
 * thread count), and a NUL byte makes it "binary"; a file that cannot be opened
 * is "unreadable". Nothing else reads file contents.
 *
 * Limits: more than `max_files` entries is VL_ELIMIT; directories nest at most
 * VL_WALK_MAX_DEPTH deep below a root (deeper ones are skipped "too deep"); an
 * ignore file over 1 MiB is read up to 1 MiB. With `follow_symlinks`, a link
 * back to a directory being walked is skipped ("symlink loop").
 *
 * Nothing here raises, prints or exits; allocation failure is VL_ENOMEM.
 */
#ifndef VL_WALK_H
#define VL_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "vl_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VL_WALK_DEFAULT_MAX_FILES ((size_t)1000000)
#define VL_WALK_MAX_DEPTH 256
#define VL_WALK_SNIFF_BYTES 8192

typedef struct vl_walk_opts {
  uint64_t max_file_bytes;   /* larger files are skipped "too large"; 0: no cap */
  size_t max_files;          /* 0: VL_WALK_DEFAULT_MAX_FILES */
  int gitignore;             /* read .gitignore files */
  int hidden;                /* enter dot-directories and list dot-files (.git never) */
  int follow_symlinks;       /* else symlinks are skipped "symlink" */
  int keep_binary;           /* else files with a NUL in their first 8 KiB are skipped */
  int jobs;                  /* threads for sniffing; 0: OpenMP's default */
  const char *ignore_file;   /* extra per-directory ignore file name, or NULL */
  const char *const *include;
  size_t ninclude;
  const char *const *exclude;
  size_t nexclude;
} vl_walk_opts;

typedef struct vl_walk_entry {
  const char *path;  /* NUL-terminated, owned by the list */
  uint64_t size;     /* bytes, from stat */
  const char *skip;  /* NULL: kept; else a static reason */
} vl_walk_entry;

typedef struct vl_walk_list vl_walk_list;

/* Walk roots[0..nroots) with opts (NULL: all zero). On success *out owns the list
 * (free with vl_walk_free). On failure *out is NULL and err (errlen bytes, may be
 * 0) says why: VL_EIO for a root that cannot be read ("cannot open 'x': No such
 * file or directory"), VL_ELIMIT, VL_EINVAL (no roots, an empty root), VL_ENOMEM. */
int vl_walk(const char *const *roots, size_t nroots, const vl_walk_opts *opts, vl_walk_list **out,
            char *err, size_t errlen);
size_t vl_walk_count(const vl_walk_list *list);
/* Entry i < count, in path order; valid while the list lives. */
const vl_walk_entry *vl_walk_at(const vl_walk_list *list, size_t i);
void vl_walk_free(vl_walk_list *list);

/* Does one ignore-file line match `path` (relative to the directory of the file
 * that holds the line; `is_dir` says whether it names a directory)? Returns 1 for
 * "ignore", -1 for a "!" line that re-includes it, 0 when the line does not match
 * (or is blank or a comment). */
int vl_walk_match_line(const char *line, size_t len, const char *path, int is_dir);

/* Read a whole file into a malloc'ed, NUL-terminated buffer (the caller frees
 * *buf; *len excludes the NUL). VL_EIO when it cannot be opened or read (errno
 * tells why), VL_ELIMIT when it holds more than max_bytes (0: no cap), VL_ENOMEM. */
int vl_walk_read(const char *path, size_t max_bytes, char **buf, size_t *len);

/* Nonzero when buf[0..n) looks binary: a NUL byte in its first VL_WALK_SNIFF_BYTES. */
int vl_walk_is_binary(const void *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
