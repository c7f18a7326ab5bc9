/*
 * main.c: the `victor-lua` command line, a thin client of victor_lua.h.
 *
 *   victor-lua [options] [script.lua | - [args...]]
 *   victor-lua COMMAND [args...]        (commands live in lua/victor/cmd/)
 *
 * Exit status: 0 ok, 1 findings (commands that document it, or a script that
 * returns 1), 2 usage or runtime errors. Errors go to stderr as "victor-lua: <msg>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

#include "victor_lua.h"

static const char usage_text[] =
  "usage: victor-lua [options] [script.lua | - [args...]]\n"
  "       victor-lua COMMAND [args...]\n"
  "\n"
  "Runs a Lua script (or job) on LuaJIT with every victor kernel built in:\n"
  "require \"victor.signature\" etc. need no paths. A script's `arg` is set as\n"
  "luajit sets it; if its main chunk returns an integer 0..255, that is the exit\n"
  "status.\n"
  "\n"
  "options:\n"
  "  -e CODE        run the Lua code CODE\n"
  "  -l MODULE      require MODULE and store it in the global MODULE\n"
  "  -v, --version  print victor-lua, LuaJIT and backend versions\n"
  "  -h, --help     print this help\n"
  "  --             stop handling options\n"
  "  -              run standard input\n"
  "\n"
  "environment:\n"
  "  VICTOR_NO_NATIVE=1   use the pure-Lua fallbacks instead of the C kernels\n"
  "\n"
  "exit status: 0 ok, 1 findings (where a command documents it), 2 usage or runtime error\n";

static void die_usage(const char *msg, const char *arg)
{
  fprintf(stderr, "victor-lua: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
  fprintf(stderr, "usage: victor-lua [options] [script.lua | - [args...]]; see 'victor-lua --help'\n");
  exit(2);
}

static int report(vl_runtime *rt, int rc)
{
  const char *msg = vl_runtime_errmsg(rt);
  fprintf(stderr, "victor-lua: %s\n", *msg ? msg : vl_strerror(rc));
  return 2;
}

/* Print a string returned by a victor.cli function. */
static int print_cli(vl_runtime *rt, const char *func, FILE *to)
{
  const char *s;
  size_t n;
  int rc = vl_runtime_call(rt, "victor.cli", func, 0, NULL, &s, &n);
  if (rc != VL_OK) return report(rt, rc);
  if (s) fwrite(s, 1, n, to);
  return 0;
}

static int is_command_name(const char *a)
{
  const char *p;
  if (!(*a >= 'a' && *a <= 'z')) return 0;
  for (p = a; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) return 0;
  return 1;
}

static int run_command(vl_runtime *rt, int argc, char **argv)
{
  const char *s;
  size_t n;
  int rc = vl_runtime_call(rt, "victor.cli", "main", argc, (const char *const *)argv, &s, &n);
  if (rc != VL_OK) return report(rt, rc);
  return s ? atoi(s) : 0;
}

int main(int argc, char **argv)
{
  vl_config cfg;
  vl_runtime *rt;
  int i, rc, status = 0, ran = 0;

#ifdef _WIN32
  /* Bytes in, bytes out, as on POSIX: text mode would turn \n into \r\n on output, \r\n
   * into \n on input (shifting the byte offsets the commands report) and stop at ^Z. */
  _setmode(_fileno(stdin), _O_BINARY);
  _setmode(_fileno(stdout), _O_BINARY);
  _setmode(_fileno(stderr), _O_BINARY);
#endif
  vl_config_init(&cfg);
  cfg.progname = argv[0];
  rc = vl_runtime_new(&cfg, &rt);
  if (rc != VL_OK) {
    fprintf(stderr, "victor-lua: cannot start the Lua runtime: %s\n", vl_strerror(rc));
    return 2;
  }
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-' || strcmp(a, "-") == 0) break;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage_text, stdout);
      fputs("\n", stdout);
      rc = print_cli(rt, "commands_text", stdout);
      vl_runtime_free(rt);
      return rc;
    } else if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
      if ((status = print_cli(rt, "version_text", stdout)) != 0) goto out;
      ran = 1;
    } else if (strcmp(a, "-e") == 0 || strcmp(a, "-l") == 0) {
      if (i + 1 >= argc) die_usage(a[1] == 'e' ? "-e needs a CODE argument" : "-l needs a MODULE argument", NULL);
      if (a[1] == 'e') {
        rc = vl_runtime_run_string(rt, argv[++i], "=(command line)");
      } else {
        const char *mod = argv[++i];
        rc = vl_runtime_call(rt, "victor.cli", "require_global", 1, &mod, NULL, NULL);
      }
      if (rc != VL_OK) {
        status = report(rt, rc);
        goto out;
      }
      ran = 1;
    } else {
      die_usage("unknown option", a);
    }
  }
  if (i < argc) {
    const char *a = argv[i];
    struct stat sb;
    /* A bare word names a command unless it is a regular file here (a script). */
    int is_script = strcmp(a, "-") == 0 || strchr(a, '/') || strstr(a, ".lua") ||
                    (stat(a, &sb) == 0 && S_ISREG(sb.st_mode));
    if (!is_script && is_command_name(a) && !ran) {
      status = run_command(rt, argc - i, argv + i);
      goto out;
    }
    if (strcmp(a, "-") == 0) argv[i] = NULL; /* standard input */
    rc = vl_runtime_run_argv(rt, argc, (const char *const *)argv, i, &status);
    if (rc != VL_OK) status = report(rt, rc);
  } else if (!ran) {
    fputs(usage_text, stderr);
    status = 2;
  }
out:
  vl_runtime_free(rt);
  fflush(stdout);
  return status;
}
