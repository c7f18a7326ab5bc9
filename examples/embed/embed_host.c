/*
 * embed_host.c: a small C program that embeds victor-lua through victor_lua.h.
 *
 *   embed-host [--rules PACK.lua]... [--path 'DIR/?.lua'] [--sandbox] MODULE FUNCTION < lines
 *
 * It creates a runtime (sandboxed if asked), merges each rule pack over the
 * built-in defaults, then streams standard input line by line through
 * require(MODULE)[FUNCTION](line) and prints every non-nil result on its own line.
 * A function that reports bad input (nil, msg) gets "error: msg" printed and the
 * stream goes on; a raised error stops with exit status 2. Build: `make examples`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "victor_lua.h"

static int usage(void)
{
  fputs("usage: embed-host [--rules PACK.lua]... [--path 'DIR/?.lua'] [--sandbox] "
        "[--memory BYTES] MODULE FUNCTION < lines\n", stderr);
  return 2;
}

int main(int argc, char **argv)
{
  vl_config cfg;
  vl_runtime *rt;
  const char *packs[16];
  int npacks = 0, i, rc, status = 0;
  char *line = NULL;
  size_t cap = 0;

  vl_config_init(&cfg);
  cfg.progname = "embed-host";
  for (i = 1; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc && npacks < 16) packs[npacks++] = argv[++i];
    else if (strcmp(argv[i], "--path") == 0 && i + 1 < argc) cfg.lua_path = argv[++i];
    else if (strcmp(argv[i], "--memory") == 0 && i + 1 < argc) cfg.memory_limit = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--sandbox") == 0) cfg.sandbox = 1;
    else return usage();
  }
  if (argc - i != 2) return usage();

  rc = vl_runtime_new(&cfg, &rt);
  if (rc != VL_OK) {
    fprintf(stderr, "embed-host: cannot create the runtime: %s\n", vl_strerror(rc));
    return 2;
  }
  for (int p = 0; p < npacks; p++) {
    rc = vl_runtime_load_rules(rt, packs[p]);
    if (rc != VL_OK) {
      fprintf(stderr, "embed-host: %s [%s]\n", vl_runtime_errmsg(rt), vl_runtime_errcode(rt));
      vl_runtime_free(rt);
      return 2;
    }
  }
  for (;;) {
    const char *res;
    size_t n, len;
    int c;
    /* getline without POSIX 2008 dependence on the host: read one line by hand */
    len = 0;
    while ((c = getchar()) != EOF && c != '\n') {
      if (len + 1 >= cap) {
        char *tmp = realloc(line, cap ? cap * 2 : 256);
        if (!tmp) {
          fputs("embed-host: out of memory\n", stderr);
          status = 2;
          goto done;
        }
        line = tmp;
        cap = cap ? cap * 2 : 256;
      }
      line[len++] = (char)c;
    }
    if (c == EOF && len == 0) break;
    if (!line) {
      line = malloc(1);
      if (!line) break;
      cap = 1;
    }
    line[len] = '\0';
    {
      const char *arg = line;
      rc = vl_runtime_call(rt, argv[i], argv[i + 1], 1, &arg, &res, &n);
    }
    if (rc == VL_EINPUT) {
      printf("error: %s\n", vl_runtime_errmsg(rt));
    } else if (rc != VL_OK) {
      fprintf(stderr, "embed-host: %s\n", vl_runtime_errmsg(rt));
      status = 2;
      break;
    } else if (res) {
      fwrite(res, 1, n, stdout);
      putchar('\n');
    }
    if (c == EOF) break;
  }
done:
  free(line);
  vl_runtime_free(rt);
  return status;
}
