/* fuzz_walk.c: libFuzzer target for the ignore-line matcher of core/walk.c.
 * Input: one byte of flags, then "line\npath". Checks: no crash and bounded time on
 * any pattern (many stars, brackets, '**' segments); a line without glob syntax
 * matches exactly the paths whose last segment equals it; "*" + such a literal
 * matches exactly the last segments ending with the literal; "!" flips the result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "walk.h"

static int plain(const char *s, size_t n)
{
  if (n == 0 || s[0] == '#' || s[0] == '!' || s[n - 1] == ' ') return 0;
  for (size_t i = 0; i < n; i++)
    if (strchr("*?[\\/\r\n", s[i]) || s[i] == 0) return 0;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1) return 0;
  int is_dir = data[0] & 1;
  const char *in = (const char *)data + 1;
  size_t n = size - 1;
  const char *nl = memchr(in, '\n', n);
  if (!nl) return 0;
  size_t ll = (size_t)(nl - in), pl = n - ll - 1;
  if (memchr(nl + 1, 0, pl)) return 0;
  char *path = malloc(pl + 1), *line = malloc(ll + 3);
  if (!path || !line) abort();
  memcpy(path, nl + 1, pl);
  path[pl] = 0;
  memcpy(line, in, ll);
  line[ll] = 0;
  int r = vl_walk_match_line(line, ll, path, is_dir);
  CHECK(r >= -1 && r <= 1);
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t bl = strlen(base);
  if (plain(line, ll) && pl > 0) {
    CHECK(r == (bl == ll && memcmp(base, line, ll) == 0));
    /* "*" + literal: a suffix test on the last segment */
    memmove(line + 1, line, ll + 1);
    line[0] = '*';
    int s = vl_walk_match_line(line, ll + 1, path, is_dir);
    CHECK(s == (bl >= ll && memcmp(base + bl - ll, line + 1, ll) == 0));
    /* "!" + it: the same match, re-including */
    line[0] = '!';
    CHECK(vl_walk_match_line(line, ll + 1, path, is_dir) == -r);
  }
  free(path);
  free(line);
  return 0;
}
