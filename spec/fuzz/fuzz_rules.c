/*
 * fuzz_rules.c: libFuzzer target for the sandboxed rule-pack loader (lua/victor/rules.lua)
 * driven through the embedding API (core/victor_lua.h).
 *
 * One vl_runtime (memory_limit 64 MiB) is created on the first input and reused. Each
 * input, cut at its first NUL (the API takes C strings), is passed as pack source to
 *   vl_runtime_call(rt, "victor.rules", "load_string", 2, {src, "fuzz.lua"}, ...)
 * The loader promises `pack | nil, msg, code`; through vl_runtime_call that is
 *   VL_ETYPE  "... returned a table ..." (a validated pack: a success here),
 *   VL_EINPUT with a code in EPARSE ESANDBOX ELIMIT ERUNTIME ESCHEMA and a message
 *             that starts with the chunk name.
 * Anything else is a finding and aborts with the message (libFuzzer keeps the input):
 * VL_ERUNTIME or VL_ENOMEM (the loader raised instead of reporting bad input: a pack's
 * own error, or a memory error, escaped the sandbox), a malformed message or code.
 *
 * After each input a Lua guard (installed as package.preload["fuzz.guard"]) checks
 * that the load left the host as it found it: the shared string metatable's __index,
 * the standard library tables and _G unchanged, no debug hook left set, the GC
 * running, the JIT as it was. A pack that loaded is also merged over itself and the
 * defaults (rules.merge must answer pack | nil, msg, code, never raise). Every 64
 * inputs a full GC must bring the runtime's memory back near its baseline, so that
 * state which grows with every load is found. Hangs are left to libFuzzer's -timeout
 * and the loader's own budgets.
 *
 * Environment: FUZZ_NO_JIT=1 runs the runtime with jit.off() (to tell LuaJIT JIT
 * problems from ours); FUZZ_SHOW_OUTCOME=1 prints each input's outcome feature (see
 * note_outcome) to stderr, for tuning the vocabulary.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "victor_lua.h"

#define MEMORY_LIMIT ((size_t)64 << 20)
#define GROWTH_SLACK ((size_t)24 << 20)
#define CHUNKNAME "fuzz.lua"

/* Lua code is invisible to libFuzzer's coverage, so each kind of outcome is a
 * feature of its own, hashed into extra counters: the result code plus the words of
 * the message that belong to the vocabulary below (the loader's and Lua's own error
 * wording, schema fields, sandboxed names), in order, up to 16 of them; a quoted
 * name counts only if it is such a word. Text a pack controls (its keys, globals and
 * values) thus cannot make every input look new; a pack's own error(...) message and
 * source quoted by a syntax error (" near ...") are not read at all. */
#define NOUTCOMES 4096
__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t outcomes[NOUTCOMES];

static vl_runtime *rt;
static size_t baseline;
static unsigned long runs;

static const char guard_src[] =
  "local rules = require 'victor.rules'\n"
  "local string_mt = getmetatable('')\n"
  "local snap = {}\n"
  "local function shallow(t) local c = {} for k, v in pairs(t) do c[k] = v end return c end\n"
  "local libs = { 'string', 'table', 'math', 'bit', 'os', 'io', 'debug', 'coroutine', 'package', 'jit' }\n"
  "local function take()\n"
  "  snap.G = shallow(_G)\n"
  "  snap.index = string_mt.__index\n"
  "  snap.mt = shallow(string_mt)\n"
  "  snap.jit = jit and jit.status()\n"
  "  snap.libs = {}\n"
  "  for _, n in ipairs(libs) do if type(_G[n]) == 'table' then snap.libs[n] = shallow(_G[n]) end end\n"
  "end\n"
  "local function same(name, now, was)\n"
  "  for k, v in pairs(was) do\n"
  "    if rawget(now, k) ~= v then return name .. '.' .. tostring(k) .. ' changed' end\n"
  "  end\n"
  "  for k in pairs(now) do\n"
  "    if was[k] == nil then return name .. '.' .. tostring(k) .. ' added' end\n"
  "  end\n"
  "end\n"
  "local M = {}\n"
  "function M.snapshot() take() return true end\n"
  "function M.check()\n"
  "  if getmetatable('') ~= string_mt then return nil, 'string metatable replaced' end\n"
  "  if string_mt.__index ~= snap.index then return nil, 'string metatable __index not restored' end\n"
  "  local p = same('string_mt', string_mt, snap.mt) or same('_G', _G, snap.G)\n"
  "  if p then return nil, p end\n"
  "  for n, was in pairs(snap.libs) do\n"
  "    p = same(n, _G[n], was)\n"
  "    if p then return nil, p end\n"
  "  end\n"
  "  if debug.gethook() then return nil, 'debug hook left set' end\n"
  "  if not collectgarbage('isrunning') then return nil, 'garbage collector left stopped' end\n"
  "  if jit and jit.status() ~= snap.jit then return nil, 'JIT switched on or off' end\n"
  "  return true\n"
  "end\n"
  /* Merge a loaded pack over the defaults and over itself: must not raise. */
  "function M.merge(src, cn)\n"
  "  local pack, msg, code = rules.load_string(src, cn)\n"
  "  if not pack then return 'not loaded: ' .. tostring(code) end\n"
  "  local ok, m, mmsg, mcode = pcall(rules.merge, pack, pack)\n"
  "  if not ok then return nil, 'merge(pack, pack) raised: ' .. tostring(m), 'EMERGE' end\n"
  "  if not m and (type(mmsg) ~= 'string' or type(mcode) ~= 'string') then\n"
  "    return nil, 'merge(pack, pack) failed without msg, code', 'EMERGE'\n"
  "  end\n"
  "  local host = require 'victor.host'\n"
  "  local base = host.defaults()\n"
  "  if base then\n"
  "    ok, m, mmsg, mcode = pcall(rules.merge, base, pack)\n"
  "    if not ok then return nil, 'merge(defaults, pack) raised: ' .. tostring(m), 'EMERGE' end\n"
  "    if not m and (type(mmsg) ~= 'string' or type(mcode) ~= 'string') then\n"
  "      return nil, 'merge(defaults, pack) failed without msg, code', 'EMERGE'\n"
  "    end\n"
  "    if m then\n"
  "      for _, r in ipairs(rules.enabled(m)) do\n"
  "        if type(r.id) ~= 'string' or type(r.kind) ~= 'string' then\n"
  "          return nil, 'merged rule without id/kind', 'EMERGE'\n"
  "        end\n"
  "      end\n"
  "    end\n"
  "  end\n"
  "  return 'ok'\n"
  "end\n"
  "function M.collect() collectgarbage() collectgarbage() return true end\n"
  "return M\n";

static void die(const char *what, int rc)
{
  fprintf(stderr, "fuzz_rules: FINDING: %s: rc %d (%s), code '%s'\n  message: %s\n", what, rc,
          vl_strerror(rc), rt ? vl_runtime_errcode(rt) : "", rt ? vl_runtime_errmsg(rt) : "");
  abort();
}

static void guard_call(const char *fn)
{
  int rc = vl_runtime_call(rt, "fuzz.guard", fn, 0, NULL, NULL, NULL);
  if (rc != VL_OK) die(fn, rc);
}

static void free_runtime(void)
{
  vl_runtime_free(rt);
  rt = NULL;
}

static void setup(void)
{
  vl_config cfg;
  int rc;
  char *install;
  const char *prefix = "package.preload['fuzz.guard'] = function(...)\n";
  size_t n;
  vl_config_init(&cfg);
  cfg.memory_limit = MEMORY_LIMIT;
  rc = vl_runtime_new(&cfg, &rt);
  if (rc != VL_OK) {
    fprintf(stderr, "fuzz_rules: vl_runtime_new failed: %s\n", vl_strerror(rc));
    abort();
  }
  n = strlen(prefix) + sizeof guard_src + 8;
  install = malloc(n);
  if (!install) abort();
  snprintf(install, n, "%s%s\nend\n", prefix, guard_src);
  rc = vl_runtime_run_string(rt, install, "=fuzz_guard");
  free(install);
  if (rc != VL_OK) die("installing the guard", rc);
  if (getenv("FUZZ_NO_JIT") && vl_runtime_run_string(rt, "if jit then jit.off() end", "=fuzz_nojit") != VL_OK)
    die("jit.off", VL_ERUNTIME);
  /* Load the loader and the defaults once, so the snapshot and baseline include them. */
  rc = vl_runtime_run_string(rt, "require 'victor.rules'; require 'victor.host'.defaults()", "=fuzz_setup");
  if (rc != VL_OK) die("requiring victor.rules", rc);
  guard_call("snapshot");
  guard_call("collect");
  baseline = vl_runtime_memory(rt);
  atexit(free_runtime);
}

static const char *const vocab[] = {
  /* loader and Lua VM wording */
  "attempt", "index", "call", "perform", "arithmetic", "concatenate", "compare", "bad", "argument",
  "expected", "got", "undefined", "global", "sandboxed", "may", "not", "use", "memory", "limit",
  "exceeded", "instruction", "budget", "cpu", "time", "pattern", "costly", "callbacks", "nested",
  "deeply", "result", "large", "stack", "overflow", "field", "rule", "unknown", "kind", "required",
  "duplicate", "top", "level", "reserved", "string", "integer", "number", "boolean", "array",
  "table", "nil", "value", "function", "invalid", "order", "sorting", "results", "unpack", "slice",
  "long", "cycle", "plain", "data", "hole", "element", "elements", "key", "pack", "must", "return",
  "error", "object", "local", "upvalue", "method", "precompiled", "bytecode", "allowed", "source",
  "one", "length", "matching", "non", "empty", "least", "most", "unexpected", "symbol",
  "unfinished", "malformed", "escape", "sequence", "ambiguous", "syntax", "loop", "break", "goto",
  "label", "close", "too", "many", "variables", "complex", "enough", "format", "base", "range",
  "out", "contains", "deep", "first", "used", "by", "known", "to", "for", "at",
  /* schema fields, kinds and values */
  "name", "version", "description", "rules", "id", "enabled", "tools", "window", "threshold",
  "action", "warn", "block",
  /* names the sandbox refuses */
  "io", "os", "require", "load", "loadstring", "dofile", "loadfile", "getmetatable", "setmetatable",
  "rawset", "rawget", "rawequal", "setfenv", "getfenv", "pcall", "xpcall", "coroutine", "debug",
  "jit", "ffi", "package", "collectgarbage", "print", "module", "newproxy", "gcinfo", "rep",
  "find", "match", "gmatch", "gsub", "concat", "insert", "remove", "sort", NULL
};

static uint32_t fnv(uint32_t h, const char *p, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
  return h;
}

static int in_vocab(const char *w, size_t n)
{
  int i;
  for (i = 0; vocab[i]; i++)
    if (strlen(vocab[i]) == n && memcmp(vocab[i], w, n) == 0) return 1;
  return 0;
}

/* Identifier characters (LuaJIT also takes bytes >= 0x80 in names): "to1rawget" is
 * one word, not "to" and "rawget". */
static int is_word_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         (unsigned char)c >= 0x80;
}

/* How errors raised by the Lua VM or a library function begin. Any other ERUNTIME
 * message is a pack's own error(...) text: one outcome, whatever it says. */
static const char *const vm_prefixes[] = {
  "attempt to ", "bad argument ", "undefined global ", "rule pack must ", "invalid ", "too many ",
  "stack overflow", "string slice too long", "wrong number ", "table index is ", "(error object ",
  "not enough memory", "loop in ", "C stack overflow", "number has no ", "error in error", NULL
};

static int vm_error(const char *msg)
{
  const char *p = msg;
  int i;
  /* skip "fuzz.lua:12: " */
  if (strncmp(p, CHUNKNAME, strlen(CHUNKNAME)) == 0) {
    p += strlen(CHUNKNAME);
    if (*p == ':') p++;
    while (*p >= '0' && *p <= '9') p++;
    if (*p == ':') p++;
    while (*p == ' ') p++;
  }
  for (i = 0; vm_prefixes[i]; i++)
    if (strncmp(p, vm_prefixes[i], strlen(vm_prefixes[i])) == 0) return 1;
  return 0;
}

static void note_outcome(int rc, const char *code, const char *msg)
{
  uint32_t h = fnv(2166136261u ^ (uint32_t)(rc & 0xff), code, strlen(code));
  const char *p = msg, *nl = strchr(msg, '\n'); /* tracebacks: first line only */
  const char *near = strstr(msg, " near ");       /* syntax errors quote the source */
  const char *end = nl ? nl : msg + strlen(msg);
  int words = 0;
  if (near && near < end) end = near;
  if (strcmp(code, "ERUNTIME") == 0 && !vm_error(msg)) end = msg;  /* the pack's own text */
  while (p < end && words < 16) {
    size_t n = 0;
    if (*p == '\'' || *p == '"') {
      /* A quoted name counts only when it is a vocabulary word; else just '?'. */
      const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));
      if (!q) break;
      n = (size_t)(q - p - 1);
      h = in_vocab(p + 1, n) ? fnv(h, p + 1, n) : fnv(h, "?", 1);
      words++;
      p = q + 1;
      continue;
    }
    if (!is_word_char(*p)) {
      p++;
      continue;
    }
    while (p + n < end && is_word_char(p[n])) n++;
    if (in_vocab(p, n)) {
      h = fnv(h, p, n + 1);
      words++;
    }
    p += n;
  }
  outcomes[h % NOUTCOMES]++;
  if (getenv("FUZZ_SHOW_OUTCOME")) fprintf(stderr, "outcome %4u: %s %.120s\n", h % NOUTCOMES, code, msg);
}

static int known_code(const char *code)
{
  static const char *const codes[] = {"EPARSE", "ESANDBOX", "ELIMIT", "ERUNTIME", "ESCHEMA", NULL};
  int i;
  for (i = 0; codes[i]; i++)
    if (strcmp(code, codes[i]) == 0) return 1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *args[2];
  const char *nul = memchr(data, 0, size);
  size_t n = nul ? (size_t)(nul - (const char *)data) : size;
  char *src;
  int rc;
  if (!rt) setup();
  src = malloc(n + 1);
  if (!src) return 0;
  memcpy(src, data, n);
  src[n] = '\0';
  args[0] = src;
  args[1] = CHUNKNAME;

  rc = vl_runtime_call(rt, "victor.rules", "load_string", 2, args, NULL, NULL);
  note_outcome(rc, vl_runtime_errcode(rt), rc == VL_ETYPE ? "" : vl_runtime_errmsg(rt));
  switch (rc) {
  case VL_ETYPE:
    if (!strstr(vl_runtime_errmsg(rt), "load_string returned a table"))
      die("load_string returned something other than a table", rc);
    rc = vl_runtime_call(rt, "fuzz.guard", "merge", 2, args, NULL, NULL);
    if (rc != VL_OK) die("merging a loaded pack", rc);
    break;
  case VL_EINPUT: {
    const char *msg = vl_runtime_errmsg(rt), *code = vl_runtime_errcode(rt);
    if (!known_code(code)) die("load_string: unknown error code", rc);
    if (strncmp(msg, CHUNKNAME, strlen(CHUNKNAME)) != 0)
      die("load_string: message does not start with the chunk name", rc);
    break;
  }
  case VL_OK: /* nil with no message: not in the contract */
    die("load_string returned nil without a message", rc);
    break;
  default:
    die("load_string raised (the loader must return nil, msg, code)", rc);
  }
  guard_call("check");
  if (++runs % 64 == 0) {
    size_t now;
    guard_call("collect");
    now = vl_runtime_memory(rt);
    if (now > baseline + GROWTH_SLACK) {
      fprintf(stderr, "fuzz_rules: FINDING: memory after a full GC grew from %zu to %zu bytes\n",
              baseline, now);
      abort();
    }
  }
  free(src);
  return 0;
}
