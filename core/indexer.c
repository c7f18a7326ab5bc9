/*
 * indexer.c: tree-sitter symbol extraction, the parallel file batch and the on-disk
 * index (indexer.h). Queries come from build/gen/vl_ts_queries.c, generated from
 * the queries folder and the grammars' tags.scm by scripts/gen-queries.lua.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <tree_sitter/api.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "indexer.h"
#include "vl_platform.h"
#include "vl_status.h"

#define VL_STR_(x) #x
#define VL_OMP(x) _Pragma(VL_STR_(x))

/* Generated: one query source per language (NUL-terminated), in VL_IX_* order. */
extern const char *const vl_ts_query_src[VL_IX_NLANG];

const TSLanguage *tree_sitter_python(void);
const TSLanguage *tree_sitter_javascript(void);
const TSLanguage *tree_sitter_typescript(void);
const TSLanguage *tree_sitter_tsx(void);
const TSLanguage *tree_sitter_go(void);
const TSLanguage *tree_sitter_rust(void);
const TSLanguage *tree_sitter_c(void);
const TSLanguage *tree_sitter_cpp(void);
const TSLanguage *tree_sitter_java(void);
const TSLanguage *tree_sitter_lua(void);
const TSLanguage *tree_sitter_ruby(void);
const TSLanguage *tree_sitter_bash(void);
const TSLanguage *tree_sitter_json(void);

typedef const TSLanguage *(*lang_fn)(void);
static const lang_fn lang_fns[VL_IX_NLANG] = {
  tree_sitter_python, tree_sitter_javascript, tree_sitter_typescript, tree_sitter_tsx,
  tree_sitter_go, tree_sitter_rust, tree_sitter_c, tree_sitter_cpp, tree_sitter_java,
  tree_sitter_lua, tree_sitter_ruby, tree_sitter_bash, tree_sitter_json,
};
static const char *const lang_names[VL_IX_NLANG] = {
  "python", "javascript", "typescript", "tsx", "go", "rust", "c", "cpp", "java", "lua",
  "ruby", "bash", "json",
};
static const char *const kind_names[VL_IX_NKIND] = {
  "function", "method", "class", "struct", "interface", "enum", "module", "constant",
  "variable", "type", "macro", "field", "call", "import", "typeref",
};
static const char *const skip_names[VL_IX_NSKIP] = {
  "", "too large", "timeout", "binary", "unreadable", "unknown language", "out of memory",
};

const char *vl_indexer_lang_name(int lang)
{
  return lang >= 0 && lang < VL_IX_NLANG ? lang_names[lang] : NULL;
}

const char *vl_indexer_kind_name(int kind)
{
  return kind >= 0 && kind < VL_IX_NKIND ? kind_names[kind] : NULL;
}

const char *vl_indexer_skip_name(int skip)
{
  return skip >= 0 && skip < VL_IX_NSKIP ? skip_names[skip] : NULL;
}

int vl_indexer_lang_id(const char *name)
{
  int i;
  for (i = 0; name && i < VL_IX_NLANG; i++)
    if (strcmp(name, lang_names[i]) == 0) return i;
  return -1;
}

/* ---- compiled queries ------------------------------------------------------ */

enum { ROLE_NONE, ROLE_NAME, ROLE_DEF, ROLE_REF, ROLE_SCOPE };
enum { PRED_EQ, PRED_NOT_EQ, PRED_MATCH, PRED_NOT_MATCH, PRED_ANY_OF, PRED_NOT_ANY_OF };

typedef struct pred {
  int op;
  uint32_t capture;
  const char **strs; /* eq: 1 string (or NULL with capture2), any-of: nstr */
  uint32_t nstr;
  int capture2;      /* #eq? @a @b; -1 otherwise */
  pcre2_code *re;     /* #match?, #not-match?: PCRE2, searched anywhere in the capture */
} pred;

typedef struct pattern {
  pred *preds;
  uint32_t npred;
} pattern;

typedef struct lang_query {
  TSQuery *q;
  const TSLanguage *lang;
  uint8_t *role;  /* per capture id */
  uint8_t *kind;  /* per capture id */
  pattern *pats;  /* per pattern */
  uint32_t ncap, npat;
} lang_query;

struct vl_indexer {
  lang_query lq[VL_IX_NLANG];
  uint64_t fingerprint;
};

struct vl_ix_worker {
  TSParser *parser;
  TSQueryCursor *cursor;
};

static int kind_of_capture(const char *s, int def)
{
  static const struct { const char *n; int k; } defs[] = {
    {"function", VL_IX_FUNCTION}, {"method", VL_IX_METHOD}, {"class", VL_IX_CLASS},
    {"struct", VL_IX_STRUCT}, {"interface", VL_IX_INTERFACE}, {"enum", VL_IX_ENUM},
    {"module", VL_IX_MODULE}, {"constant", VL_IX_CONSTANT}, {"variable", VL_IX_VARIABLE},
    {"type", VL_IX_TYPE}, {"macro", VL_IX_MACRO}, {"field", VL_IX_FIELD},
  };
  static const struct { const char *n; int k; } refs[] = {
    {"call", VL_IX_CALL}, {"send", VL_IX_CALL}, {"import", VL_IX_IMPORT},
    {"type", VL_IX_TYPEREF}, {"class", VL_IX_TYPEREF}, {"implementation", VL_IX_TYPEREF},
    {"interface", VL_IX_TYPEREF},
  };
  size_t i;
  if (def) {
    for (i = 0; i < sizeof defs / sizeof defs[0]; i++)
      if (strcmp(s, defs[i].n) == 0) return defs[i].k;
  } else {
    for (i = 0; i < sizeof refs / sizeof refs[0]; i++)
      if (strcmp(s, refs[i].n) == 0) return refs[i].k;
  }
  return -1;
}

static void free_query(lang_query *lq)
{
  uint32_t i, j;
  if (lq->pats) {
    for (i = 0; i < lq->npat; i++) {
      for (j = 0; j < lq->pats[i].npred; j++) {
        pcre2_code_free(lq->pats[i].preds[j].re);
        free(lq->pats[i].preds[j].strs);
      }
      free(lq->pats[i].preds);
    }
  }
  free(lq->pats);
  free(lq->role);
  free(lq->kind);
  if (lq->q) ts_query_delete(lq->q);
  memset(lq, 0, sizeof *lq);
}

/* Parse pattern p's predicates; a pattern whose predicates cannot be evaluated
 * (#is-not? local, an unknown one, a bad regex) is disabled. */
static int load_predicates(lang_query *lq, uint32_t p)
{
  uint32_t nsteps, i = 0;
  const TSQueryPredicateStep *st = ts_query_predicates_for_pattern(lq->q, p, &nsteps);
  pattern *pt = &lq->pats[p];
  while (i < nsteps) {
    uint32_t end = i, len;
    const char *op;
    pred pr;
    while (end < nsteps && st[end].type != TSQueryPredicateStepTypeDone) end++;
    if (st[i].type != TSQueryPredicateStepTypeString) goto disable;
    op = ts_query_string_value_for_id(lq->q, st[i].value_id, &len);
    if (op[len - 1] == '!') { i = end + 1; continue; } /* directives: @doc only */
    memset(&pr, 0, sizeof pr);
    pr.capture2 = -1;
    if (strcmp(op, "eq?") == 0) pr.op = PRED_EQ;
    else if (strcmp(op, "not-eq?") == 0) pr.op = PRED_NOT_EQ;
    else if (strcmp(op, "match?") == 0) pr.op = PRED_MATCH;
    else if (strcmp(op, "not-match?") == 0) pr.op = PRED_NOT_MATCH;
    else if (strcmp(op, "any-of?") == 0) pr.op = PRED_ANY_OF;
    else if (strcmp(op, "not-any-of?") == 0) pr.op = PRED_NOT_ANY_OF;
    else goto disable;
    if (end - i < 3 || st[i + 1].type != TSQueryPredicateStepTypeCapture) goto disable;
    pr.capture = st[i + 1].value_id;
    if ((pr.op == PRED_EQ || pr.op == PRED_NOT_EQ) &&
        st[i + 2].type == TSQueryPredicateStepTypeCapture) {
      pr.capture2 = (int)st[i + 2].value_id;
    } else {
      uint32_t k;
      pr.nstr = end - i - 2;
      pr.strs = (const char **)calloc(pr.nstr, sizeof *pr.strs);
      if (!pr.strs) return VL_ENOMEM;
      for (k = 0; k < pr.nstr; k++) {
        if (st[i + 2 + k].type != TSQueryPredicateStepTypeString) { free(pr.strs); goto disable; }
        pr.strs[k] = ts_query_string_value_for_id(lq->q, st[i + 2 + k].value_id, &len);
      }
      if (pr.op == PRED_MATCH || pr.op == PRED_NOT_MATCH) {
        int ecode;
        PCRE2_SIZE eoff;
        pr.re = pcre2_compile((PCRE2_SPTR)pr.strs[0], PCRE2_ZERO_TERMINATED, 0, &ecode, &eoff, NULL);
        if (!pr.re) { free(pr.strs); goto disable; }
      }
    }
    {
      pred *np = (pred *)realloc(pt->preds, (pt->npred + 1) * sizeof *np);
      if (!np) {
        pcre2_code_free(pr.re);
        free(pr.strs);
        return VL_ENOMEM;
      }
      pt->preds = np;
      pt->preds[pt->npred++] = pr;
    }
    i = end + 1;
  }
  return VL_OK;
disable:
  ts_query_disable_pattern(lq->q, p);
  return VL_OK;
}

static int compile_query(lang_query *lq, int lang, uint32_t *err_off)
{
  const char *src = vl_ts_query_src[lang];
  TSQueryError qe;
  uint32_t i;
  lq->lang = lang_fns[lang]();
  lq->q = ts_query_new(lq->lang, src, (uint32_t)strlen(src), err_off, &qe);
  if (!lq->q) return qe == TSQueryErrorNone ? VL_ENOMEM : VL_EPARSE;
  lq->ncap = ts_query_capture_count(lq->q);
  lq->npat = ts_query_pattern_count(lq->q);
  lq->role = (uint8_t *)calloc(lq->ncap + 1, 1);
  lq->kind = (uint8_t *)calloc(lq->ncap + 1, 1);
  lq->pats = (pattern *)calloc(lq->npat + 1, sizeof *lq->pats);
  if (!lq->role || !lq->kind || !lq->pats) return VL_ENOMEM;
  for (i = 0; i < lq->ncap; i++) {
    uint32_t len;
    const char *n = ts_query_capture_name_for_id(lq->q, i, &len);
    int k;
    if (strcmp(n, "name") == 0) lq->role[i] = ROLE_NAME;
    else if (strncmp(n, "definition.", 11) == 0 && (k = kind_of_capture(n + 11, 1)) >= 0) {
      lq->role[i] = ROLE_DEF;
      lq->kind[i] = (uint8_t)k;
    } else if (strncmp(n, "reference.", 10) == 0 && (k = kind_of_capture(n + 10, 0)) >= 0) {
      lq->role[i] = ROLE_REF;
      lq->kind[i] = (uint8_t)k;
    } else if (strncmp(n, "scope", 5) == 0) {
      lq->role[i] = ROLE_SCOPE;
    }
  }
  for (i = 0; i < lq->npat; i++) {
    int st = load_predicates(lq, i);
    if (st != VL_OK) return st;
  }
  return VL_OK;
}

int vl_indexer_new(vl_indexer **out)
{
  vl_indexer *ix;
  int l;
  XXH3_state_t hs;
  *out = NULL;
  ix = (vl_indexer *)calloc(1, sizeof *ix);
  if (!ix) return VL_ENOMEM;
  XXH3_64bits_reset(&hs);
  for (l = 0; l < VL_IX_NLANG; l++) {
    const TSLanguage *tl = lang_fns[l]();
    uint32_t v[2];
    v[0] = ts_language_abi_version(tl);
    v[1] = ts_language_symbol_count(tl);
    XXH3_64bits_update(&hs, vl_ts_query_src[l], strlen(vl_ts_query_src[l]) + 1);
    XXH3_64bits_update(&hs, v, sizeof v);
  }
  {
    uint32_t v[3] = {VL_IX_FORMAT_VERSION, TREE_SITTER_LANGUAGE_VERSION, (uint32_t)sizeof(vl_ix_symbol)};
    XXH3_64bits_update(&hs, v, sizeof v);
  }
  ix->fingerprint = XXH3_64bits_digest(&hs);
  *out = ix;
  return VL_OK;
}

int vl_indexer_prepare(vl_indexer *ix, uint32_t lang_mask, int *err_lang, uint32_t *err_off)
{
  int l;
  if (err_lang) *err_lang = -1;
  if (err_off) *err_off = 0;
  for (l = 0; l < VL_IX_NLANG; l++) {
    uint32_t off = 0;
    int st;
    if (!(lang_mask & (1u << l)) || ix->lq[l].q) continue;
    st = compile_query(&ix->lq[l], l, &off);
    if (st != VL_OK) {
      free_query(&ix->lq[l]);
      if (err_lang) *err_lang = l;
      if (err_off) *err_off = off;
      return st;
    }
  }
  return VL_OK;
}

int vl_indexer_prepared(const vl_indexer *ix, int lang)
{
  return lang >= 0 && lang < VL_IX_NLANG && ix->lq[lang].q != NULL;
}

void vl_indexer_free(vl_indexer *ix)
{
  int l;
  if (!ix) return;
  for (l = 0; l < VL_IX_NLANG; l++) free_query(&ix->lq[l]);
  free(ix);
}

uint64_t vl_indexer_fingerprint(const vl_indexer *ix)
{
  return ix->fingerprint;
}

vl_ix_worker *vl_ix_worker_new(void)
{
  vl_ix_worker *w = (vl_ix_worker *)calloc(1, sizeof *w);
  if (!w) return NULL;
  w->parser = ts_parser_new();
  w->cursor = ts_query_cursor_new();
  if (!w->parser || !w->cursor) {
    vl_ix_worker_free(w);
    return NULL;
  }
  return w;
}

void vl_ix_worker_free(vl_ix_worker *w)
{
  if (!w) return;
  if (w->parser) ts_parser_delete(w->parser);
  if (w->cursor) ts_query_cursor_delete(w->cursor);
  free(w);
}

/* ---- extraction ------------------------------------------------------------ */

typedef struct raw {
  uint32_t name_s, name_e;  /* name node bytes */
  uint32_t node_s, node_e;  /* definition/reference node bytes */
  uint32_t line, col, end_line, node_line;
  uint32_t pattern;
  uint8_t kind, scope_only, recovered; /* recovered: a #define found by recover_defines */
} raw;

typedef struct build {
  raw *r;
  size_t n, cap;
  char *str;
  size_t nstr, capstr;
} build;

static int push_raw(build *b, const raw *x)
{
  if (b->n == b->cap) {
    size_t nc = b->cap ? b->cap * 2 : 64;
    raw *nr = (raw *)realloc(b->r, nc * sizeof *nr);
    if (!nr) return VL_ENOMEM;
    b->r = nr;
    b->cap = nc;
  }
  b->r[b->n++] = *x;
  return VL_OK;
}

static int push_str(build *b, const char *s, size_t n, uint32_t *off)
{
  if (b->nstr + n + 1 > b->capstr) {
    size_t nc = b->capstr ? b->capstr : 256;
    char *ns;
    while (nc < b->nstr + n + 1) nc *= 2;
    ns = (char *)realloc(b->str, nc);
    if (!ns) return VL_ENOMEM;
    b->str = ns;
    b->capstr = nc;
  }
  *off = (uint32_t)b->nstr;
  if (n) memcpy(b->str + b->nstr, s, n);
  b->nstr += n;
  b->str[b->nstr++] = '\0';
  return VL_OK;
}

static bool text_eq(const char *src, TSNode a, const char *s)
{
  uint32_t as = ts_node_start_byte(a), ae = ts_node_end_byte(a);
  size_t n = strlen(s);
  return ae - as == n && memcmp(src + as, s, n) == 0;
}

/* #match? / #not-match?: PCRE2 searched anywhere in the capture's first 255 bytes
 * (the patterns come from the query files we ship; no UTF check, bytes as given). A
 * match-data allocation failure counts as no match. */
static bool re_search(const pcre2_code *re, const char *s, size_t n)
{
  pcre2_match_data *md = pcre2_match_data_create(1, NULL);
  int rc;
  if (!md) return false;
  rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
  pcre2_match_data_free(md);
  return rc >= 0;
}

static bool pred_ok(const lang_query *lq, const TSQueryMatch *m, const char *src)
{
  const pattern *pt = &lq->pats[m->pattern_index];
  uint32_t i, c, k;
  char buf[256];
  for (i = 0; i < pt->npred; i++) {
    const pred *p = &pt->preds[i];
    for (c = 0; c < m->capture_count; c++) {
      TSNode nd;
      bool r = false;
      if (m->captures[c].index != p->capture) continue;
      nd = m->captures[c].node;
      switch (p->op) {
      case PRED_EQ:
      case PRED_NOT_EQ:
        if (p->capture2 >= 0) {
          uint32_t d;
          for (d = 0; d < m->capture_count; d++) {
            if ((int)m->captures[d].index != p->capture2) continue;
            {
              TSNode o = m->captures[d].node;
              uint32_t as = ts_node_start_byte(nd), ae = ts_node_end_byte(nd);
              uint32_t bs = ts_node_start_byte(o), be = ts_node_end_byte(o);
              r = ae - as == be - bs && memcmp(src + as, src + bs, ae - as) == 0;
            }
          }
        } else {
          r = text_eq(src, nd, p->strs[0]);
        }
        if (r != (p->op == PRED_EQ)) return false;
        break;
      case PRED_ANY_OF:
      case PRED_NOT_ANY_OF:
        for (k = 0; k < p->nstr && !r; k++) r = text_eq(src, nd, p->strs[k]);
        if (r != (p->op == PRED_ANY_OF)) return false;
        break;
      default: {
        uint32_t s = ts_node_start_byte(nd), e = ts_node_end_byte(nd);
        size_t n = e - s < sizeof buf - 1 ? e - s : sizeof buf - 1;
        memcpy(buf, src + s, n);
        buf[n] = '\0';
        r = re_search(p->re, buf, n);
        if (r != (p->op == PRED_MATCH)) return false;
      }
      }
    }
  }
  return true;
}

/* definition.class / definition.type refined by the node type */
static int refine_kind(int kind, TSNode node)
{
  const char *t = ts_node_type(node);
  if (kind != VL_IX_CLASS && kind != VL_IX_TYPE) return kind;
  if (strstr(t, "struct") || strstr(t, "union")) return VL_IX_STRUCT;
  if (strstr(t, "enum")) return VL_IX_ENUM;
  if (strstr(t, "interface") || strcmp(t, "trait_item") == 0) return VL_IX_INTERFACE;
  if (strcmp(t, "type_item") == 0 || strcmp(t, "type_definition") == 0 ||
      strcmp(t, "type_alias_declaration") == 0)
    return VL_IX_TYPE;
  return kind;
}

static int kind_rank(int k)
{
  switch (k) {
  case VL_IX_STRUCT: case VL_IX_ENUM: case VL_IX_INTERFACE: return 4;
  case VL_IX_FUNCTION: case VL_IX_METHOD: case VL_IX_CLASS: case VL_IX_MODULE:
  case VL_IX_MACRO: return 3;
  case VL_IX_TYPE: case VL_IX_CONSTANT: return 2;
  case VL_IX_VARIABLE: case VL_IX_FIELD: return 1;
  default: return 0;
  }
}

/* order for dedup: name range, then best first */
static int cmp_name(const void *a, const void *b)
{
  const raw *x = (const raw *)a, *y = (const raw *)b;
  int dx, dy;
  if (x->name_s != y->name_s) return x->name_s < y->name_s ? -1 : 1;
  if (x->name_e != y->name_e) return x->name_e < y->name_e ? -1 : 1;
  if (x->scope_only != y->scope_only) return x->scope_only ? 1 : -1;
  if (x->recovered != y->recovered) return x->recovered ? -1 : 1;
  dx = x->kind < VL_IX_REF_FIRST;
  dy = y->kind < VL_IX_REF_FIRST;
  if (dx != dy) return dx ? -1 : 1;
  if (kind_rank(x->kind) != kind_rank(y->kind)) return kind_rank(x->kind) > kind_rank(y->kind) ? -1 : 1;
  if (x->pattern != y->pattern) return x->pattern < y->pattern ? -1 : 1;
  return 0;
}

/* order of output: node start asc, node end desc (containers before contents) */
static int cmp_node(const void *a, const void *b)
{
  const raw *x = (const raw *)a, *y = (const raw *)b;
  if (x->node_s != y->node_s) return x->node_s < y->node_s ? -1 : 1;
  if (x->node_e != y->node_e) return x->node_e > y->node_e ? -1 : 1;
  if (x->name_s != y->name_s) return x->name_s < y->name_s ? -1 : 1;
  if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
  return 0;
}

static bool is_container(int k)
{
  return k == VL_IX_CLASS || k == VL_IX_STRUCT || k == VL_IX_INTERFACE || k == VL_IX_ENUM ||
         k == VL_IX_MODULE || k == VL_IX_FUNCTION || k == VL_IX_METHOD;
}

static bool is_classlike(int k)
{
  return k == VL_IX_CLASS || k == VL_IX_STRUCT || k == VL_IX_INTERFACE || k == VL_IX_ENUM;
}

/* Python, JS/TS, Ruby, Lua: no const keyword: ALL_CAPS names are constants */
static int case_kind(int lang, int kind, const char *s, size_t n)
{
  size_t i;
  int upper = 0;
  if (kind != VL_IX_CONSTANT && kind != VL_IX_VARIABLE) return kind;
  if (lang != VL_IX_PYTHON && lang != VL_IX_JAVASCRIPT && lang != VL_IX_TYPESCRIPT &&
      lang != VL_IX_TSX && lang != VL_IX_LUA && lang != VL_IX_RUBY)
    return kind;
  if (lang == VL_IX_RUBY && kind == VL_IX_CONSTANT) return kind; /* Ruby: capitalised = constant */
  for (i = 0; i < n; i++) {
    if (s[i] >= 'a' && s[i] <= 'z') return VL_IX_VARIABLE;
    if (s[i] >= 'A' && s[i] <= 'Z') upper = 1;
  }
  return upper && n >= 2 ? VL_IX_CONSTANT : VL_IX_VARIABLE;
}

typedef struct deadline {
  uint64_t end_ns; /* vl_plat_monotonic_ns() */
  bool expired;
} deadline;

static bool past(deadline *d)
{
  /* tree-sitter calls this every 100 parse operations: check the clock each time (vDSO) */
  if (vl_plat_monotonic_ns() >= d->end_ns) {
    d->expired = true;
    return true;
  }
  return false;
}

static bool on_progress(TSParseState *st)
{
  return past((deadline *)st->payload);
}

static bool on_query_progress(TSQueryCursorState *st)
{
  return past((deadline *)st->payload);
}

static void utf8_cut(const char *s, size_t *n)
{
  /* do not end inside a multi-byte sequence */
  size_t k = *n;
  while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
  *n = k;
}

void vl_ix_file_clear(vl_ix_file *f)
{
  free(f->sym);
  free(f->str);
  f->sym = NULL;
  f->str = NULL;
  f->nsym = f->nstr = 0;
  f->has_error = f->truncated = 0;
  f->skip = VL_IX_SKIP_NONE;
}

static int finish(build *b, int lang, const char *src, size_t len, const vl_ix_limits *lim,
                  vl_ix_file *out)
{
  size_t i, j, nout = 0;
  /* stack of open containers: index into b->r */
  size_t *stack = NULL, sp = 0;
  char *scope = NULL;
  size_t scope_len = 0, scope_cap = 0;
  uint32_t *scope_mark = NULL; /* scope_len before each stack entry */
  vl_ix_symbol *syms = NULL;
  int st = VL_ENOMEM;
  (void)len;
  if (b->n == 0) return VL_OK;
  qsort(b->r, b->n, sizeof *b->r, cmp_name);
  for (i = 0, j = 0; i < b->n; i++) {
    if (j > 0 && b->r[j - 1].name_s == b->r[i].name_s && b->r[j - 1].name_e == b->r[i].name_e &&
        !b->r[i].scope_only && !b->r[j - 1].scope_only)
      continue;
    b->r[j++] = b->r[i];
  }
  b->n = j;
  qsort(b->r, b->n, sizeof *b->r, cmp_node);
  stack = (size_t *)malloc(b->n * sizeof *stack);
  scope_mark = (uint32_t *)malloc(b->n * sizeof *scope_mark);
  syms = (vl_ix_symbol *)calloc(b->n, sizeof *syms);
  if (!stack || !scope_mark || !syms) goto out;
  for (i = 0; i < b->n; i++) {
    raw *r = &b->r[i];
    vl_ix_symbol *s;
    while (sp > 0 && !(b->r[stack[sp - 1]].node_e >= r->node_e && b->r[stack[sp - 1]].node_s <= r->node_s &&
                       !(b->r[stack[sp - 1]].node_e == r->node_e && b->r[stack[sp - 1]].node_s == r->node_s &&
                         b->r[stack[sp - 1]].name_s == r->name_s))) {
      sp--;
      scope_len = scope_mark[sp];
    }
    if (r->kind == VL_IX_FUNCTION && sp > 0 && is_classlike(b->r[stack[sp - 1]].kind))
      r->kind = VL_IX_METHOD;
    /* a variable inside a function body is a local: not a definition of the file */
    if (r->kind == VL_IX_VARIABLE && sp > 0 &&
        (b->r[stack[sp - 1]].kind == VL_IX_FUNCTION || b->r[stack[sp - 1]].kind == VL_IX_METHOD))
      continue;
    if (!r->scope_only) {
      if (lim->max_symbols && nout >= lim->max_symbols) {
        out->truncated = 1;
      } else {
        s = &syms[nout++];
        s->kind = r->kind;
        if (push_str(b, src + r->name_s, r->name_e - r->name_s, &s->name) != VL_OK) goto out;
        s->name_len = r->name_e - r->name_s;
        if (push_str(b, scope ? scope : "", scope_len, &s->scope) != VL_OK) goto out;
        s->scope_len = (uint32_t)scope_len;
        s->start_byte = r->node_s;
        s->end_byte = r->node_e;
        s->line = r->line;
        s->col = r->col;
        s->end_line = r->end_line;
        if (r->kind < VL_IX_REF_FIRST) {
          const char *p = src + r->node_s, *e = src + r->node_e;
          const char *nl = (const char *)memchr(p, '\n', (size_t)(e - p));
          size_t n;
          if (nl) e = nl;
          while (p < e && (*p == ' ' || *p == '\t')) p++;
          while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '{')) e--;
          while (e > p && (e[-1] == ' ' || e[-1] == '\t')) e--;
          n = (size_t)(e - p);
          if (n > VL_IX_SIG_MAX) {
            n = VL_IX_SIG_MAX;
            utf8_cut(p, &n);
          }
          if (push_str(b, p, n, &s->sig) != VL_OK) goto out;
          s->sig_len = (uint32_t)n;
        } else {
          if (push_str(b, "", 0, &s->sig) != VL_OK) goto out;
        }
      }
    }
    if (r->scope_only || is_container(r->kind)) {
      size_t nl = r->name_e - r->name_s, need = scope_len + 1 + nl + 1;
      scope_mark[sp] = (uint32_t)scope_len;
      stack[sp++] = i;
      if (need > scope_cap) {
        size_t nc = scope_cap ? scope_cap : 64;
        char *ns;
        while (nc < need) nc *= 2;
        ns = (char *)realloc(scope, nc);
        if (!ns) goto out;
        scope = ns;
        scope_cap = nc;
      }
      if (scope_len) scope[scope_len++] = '.';
      memcpy(scope + scope_len, src + r->name_s, nl);
      scope_len += nl;
    }
  }
  /* strings were pushed after syms referenced offsets: the arena only grew, offsets hold */
  out->sym = syms;
  out->nsym = (uint32_t)nout;
  out->str = b->str;
  out->nstr = (uint32_t)b->nstr;
  b->str = NULL;
  syms = NULL;
  (void)lang;
  st = VL_OK;
out:
  free(stack);
  free(scope_mark);
  free(scope);
  free(syms);
  return st;
}

typedef struct strbuf {
  const char *s;
  uint32_t n;
} strbuf;

static const char *buf_read(void *payload, uint32_t at, TSPoint pos, uint32_t *nread)
{
  const strbuf *b = (const strbuf *)payload;
  (void)pos;
  if (at >= b->n) {
    *nread = 0;
    return "";
  }
  *nread = b->n - at;
  return b->s + at;
}

static int ident_byte(unsigned char c)
{
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* C and C++, on a tree with errors only: every `#define NAME` directive that starts a line
 * (outside comments and continued lines), as a macro definition. tree-sitter's error
 * recovery leaves such lines without a preproc_def node when a macro call with no `;` comes
 * before them (OpenSSL's `DECLARE_ASN1_FUNCTIONS(T)` lines): the `#define` token and the
 * name end up in ERROR nodes, apart, or the name in a misparsed declaration. Where the query
 * also captured the name (as a function, a type, ...), the macro wins (cmp_name ranks a
 * recovered entry first; finish() drops the other). */
static int recover_defines(build *b, const char *src, size_t len, uint32_t pat)
{
  size_t i = 0;
  uint32_t row = 0;
  int in_comment = 0, cont = 0;
  while (i < len && i < UINT32_MAX) {
    const char *nl = (const char *)memchr(src + i, '\n', len - i);
    size_t ls = i, le = nl ? (size_t)(nl - src) : len, p = ls;
    while (p < le && (src[p] == ' ' || src[p] == '\t')) p++;
    if (!in_comment && !cont && p < le && src[p] == '#') {
      p++;
      while (p < le && (src[p] == ' ' || src[p] == '\t')) p++;
      if (le - p > 6 && memcmp(src + p, "define", 6) == 0 && (src[p + 6] == ' ' || src[p + 6] == '\t')) {
        size_t ns;
        p += 6;
        while (p < le && (src[p] == ' ' || src[p] == '\t')) p++;
        ns = p;
        while (p < le && ident_byte((unsigned char)src[p])) p++;
        if (p > ns && !(src[ns] >= '0' && src[ns] <= '9')) {
          raw r;
          memset(&r, 0, sizeof r);
          r.name_s = (uint32_t)ns;
          r.name_e = (uint32_t)p;
          r.node_s = (uint32_t)ls;
          r.node_e = (uint32_t)le;
          r.line = r.end_line = r.node_line = row + 1;
          r.col = (uint32_t)(ns - ls) + 1;
          r.pattern = pat;
          r.kind = VL_IX_MACRO;
          r.recovered = 1;
          if (push_raw(b, &r) != VL_OK) return VL_ENOMEM;
        }
      }
    }
    /* the comment state at the end of the line (string and character literals skipped) */
    for (p = ls; p < le; p++) {
      if (in_comment) {
        if (src[p] == '*' && p + 1 < le && src[p + 1] == '/') { in_comment = 0; p++; }
      } else if (src[p] == '/' && p + 1 < le && src[p + 1] == '*') {
        in_comment = 1;
        p++;
      } else if (src[p] == '/' && p + 1 < le && src[p + 1] == '/') {
        break;
      } else if (src[p] == '"' || src[p] == '\'') {
        char q = src[p];
        for (p++; p < le && src[p] != q; p++)
          if (src[p] == '\\') p++;
      }
    }
    cont = le > ls && (src[le - 1] == '\\' || (src[le - 1] == '\r' && le - ls > 1 && src[le - 2] == '\\'));
    row++;
    i = le + 1;
  }
  return VL_OK;
}

int vl_indexer_extract(const vl_indexer *ix, vl_ix_worker *w, int lang, const char *src,
                       size_t len, const vl_ix_limits *lim, vl_ix_file *out)
{
  const lang_query *lq;
  TSTree *tree;
  TSQueryMatch m;
  build b;
  deadline d;
  TSParseOptions po;
  TSQueryCursorOptions qo;
  TSInput in;
  strbuf sb;
  int st = VL_OK;
  static const vl_ix_limits nolim = {0, 0, 0};
  if (!ix || !w || !out || lang < 0 || lang >= VL_IX_NLANG || (!src && len)) return VL_EINVAL;
  if (!lim) lim = &nolim;
  vl_ix_file_clear(out);
  out->lang = (uint8_t)lang;
  if ((lim->max_bytes && len > lim->max_bytes) || len >= UINT32_MAX) {
    out->skip = VL_IX_SKIP_TOO_LARGE;
    return VL_OK;
  }
  lq = &ix->lq[lang];
  if (!lq->q) return VL_EINVAL;
  if (!ts_parser_set_language(w->parser, lq->lang)) return VL_EINVAL;
  memset(&d, 0, sizeof d);
  d.end_ns = vl_plat_monotonic_ns();
  if (lim->timeout_us) {
    /* saturating: a timeout of centuries never expires */
    uint64_t add = lim->timeout_us > (UINT64_MAX - d.end_ns) / 1000u ? UINT64_MAX - d.end_ns : lim->timeout_us * 1000u;
    d.end_ns += add;
  }
  po.payload = &d;
  po.progress_callback = lim->timeout_us ? on_progress : NULL;
  sb.s = src ? src : "";
  sb.n = (uint32_t)len;
  in.payload = &sb;
  in.read = buf_read;
  in.encoding = TSInputEncodingUTF8;
  in.decode = NULL;
  tree = ts_parser_parse_with_options(w->parser, NULL, in, po);
  if (!tree) {
    ts_parser_reset(w->parser);
    if (d.expired) {
      out->skip = VL_IX_SKIP_TIMEOUT;
      return VL_OK;
    }
    return VL_ENOMEM;
  }
  out->has_error = ts_node_has_error(ts_tree_root_node(tree));
  memset(&b, 0, sizeof b);
  /* the query shares the parse's deadline: a cancelled query ends next_match early */
  qo.payload = &d;
  qo.progress_callback = lim->timeout_us ? on_query_progress : NULL;
  ts_query_cursor_exec_with_options(w->cursor, lq->q, ts_tree_root_node(tree), &qo);
  while (ts_query_cursor_next_match(w->cursor, &m)) {
    uint32_t c;
    int have_name = 0, have_node = 0;
    TSNode name, node;
    raw r;
    memset(&r, 0, sizeof r);
    memset(&name, 0, sizeof name);
    memset(&node, 0, sizeof node);
    for (c = 0; c < m.capture_count; c++) {
      uint32_t id = m.captures[c].index;
      switch (lq->role[id]) {
      case ROLE_NAME:
        if (!have_name) { name = m.captures[c].node; have_name = 1; }
        break;
      case ROLE_DEF:
      case ROLE_REF:
        node = m.captures[c].node;
        r.kind = lq->kind[id];
        have_node = 1;
        break;
      case ROLE_SCOPE:
        node = m.captures[c].node;
        r.scope_only = 1;
        r.kind = VL_IX_MODULE; /* a named container, neither class-like nor a function */
        have_node = 1;
        break;
      default:
        break;
      }
    }
    if (!have_name || !have_node) continue;
    if (lq->pats[m.pattern_index].npred && !pred_ok(lq, &m, src)) continue;
    r.name_s = ts_node_start_byte(name);
    r.name_e = ts_node_end_byte(name);
    if (r.name_e <= r.name_s) continue;
    r.node_s = ts_node_start_byte(node);
    r.node_e = ts_node_end_byte(node);
    if (r.node_s > r.name_s) r.node_s = r.name_s; /* e.g. @reference on the arguments */
    if (r.node_e < r.name_e) r.node_e = r.name_e;
    r.line = ts_node_start_point(name).row + 1;
    r.col = ts_node_start_point(name).column + 1;
    r.end_line = ts_node_end_point(node).row + 1;
    r.pattern = m.pattern_index;
    if (!r.scope_only) {
      r.kind = (uint8_t)refine_kind(r.kind, node);
      r.kind = (uint8_t)case_kind(lang, r.kind, src + r.name_s, r.name_e - r.name_s);
    }
    if (push_raw(&b, &r) != VL_OK) { st = VL_ENOMEM; break; }
  }
  ts_tree_delete(tree);
  if (st == VL_OK && out->has_error && (lang == VL_IX_C || lang == VL_IX_CPP))
    st = recover_defines(&b, src ? src : "", len, lq->npat);
  if (st == VL_OK && d.expired) {
    free(b.r);
    free(b.str);
    vl_ix_file_clear(out);
    out->lang = (uint8_t)lang;
    out->skip = VL_IX_SKIP_TIMEOUT;
    return VL_OK;
  }
  if (st == VL_OK) st = finish(&b, lang, src, len, lim, out);
  free(b.r);
  free(b.str);
  if (st != VL_OK) vl_ix_file_clear(out);
  return st;
}

/* ---- files ----------------------------------------------------------------- */

static int read_file(const char *path, size_t max_bytes, char **buf, size_t *len, int *skip)
{
  vl_plat_fd fd = vl_plat_open(path);
  vl_plat_info sb;
  char *p;
  size_t got = 0;
  *buf = NULL;
  *len = 0;
  if (fd == VL_PLAT_NOFD) { *skip = VL_IX_SKIP_UNREADABLE; return VL_EIO; }
  if (vl_plat_fstat(fd, &sb) != 0 || sb.type != VL_PLAT_FILE || sb.size >= SIZE_MAX) {
    vl_plat_close(fd);
    *skip = VL_IX_SKIP_UNREADABLE;
    return VL_EIO;
  }
  if (max_bytes && sb.size > max_bytes) {
    vl_plat_close(fd);
    *len = (size_t)sb.size;
    *skip = VL_IX_SKIP_TOO_LARGE;
    return VL_ELIMIT;
  }
  p = (char *)malloc((size_t)sb.size + 1);
  if (!p) { vl_plat_close(fd); *skip = VL_IX_SKIP_NOMEM; return VL_ENOMEM; }
  while (got < (size_t)sb.size) {
    ptrdiff_t r = vl_plat_read(fd, p + got, (size_t)sb.size - got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  vl_plat_close(fd);
  p[got] = '\0';
  *buf = p;
  *len = got;
  return VL_OK;
}

static int file_cmp_path(const void *key, const void *elt)
{
  return strcmp((const char *)key, ((const vl_ix_file *)elt)->path);
}

/* prev is in the order it was added; look up by a sorted index of pointers */
typedef struct lookup {
  const vl_ix_file **by_path;
  const vl_ix_file **by_hash; /* (hash, size, lang, path) order: renamed or copied files */
  size_t n;
} lookup;

static int cmp_filehash(const void *a, const void *b)
{
  const vl_ix_file *x = *(const vl_ix_file *const *)a, *y = *(const vl_ix_file *const *)b;
  if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
  if (x->size != y->size) return x->size < y->size ? -1 : 1;
  if (x->lang != y->lang) return x->lang < y->lang ? -1 : 1;
  return strcmp(x->path, y->path);
}

/* the first previous file with this content and language that was indexed (not skipped) */
static const vl_ix_file *lookup_content(const lookup *lk, uint64_t hash, uint64_t size, uint8_t lang)
{
  size_t lo = 0, hi = lk->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const vl_ix_file *f = lk->by_hash[mid];
    int c = f->hash != hash ? (f->hash < hash ? -1 : 1)
          : f->size != size ? (f->size < size ? -1 : 1)
          : f->lang != lang ? (f->lang < lang ? -1 : 1) : 0;
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  for (; lo < lk->n; lo++) {
    const vl_ix_file *f = lk->by_hash[lo];
    if (f->hash != hash || f->size != size || f->lang != lang) break;
    if (f->skip == VL_IX_SKIP_NONE) return f;
  }
  return NULL;
}

static int cmp_fileptr(const void *a, const void *b)
{
  return strcmp((*(const vl_ix_file *const *)a)->path, (*(const vl_ix_file *const *)b)->path);
}

static const vl_ix_file *lookup_find(const lookup *lk, const char *path)
{
  size_t lo = 0, hi = lk->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = file_cmp_path(path, lk->by_path[mid]);
    if (c == 0) return lk->by_path[mid];
    if (c < 0) hi = mid; else lo = mid + 1;
  }
  return NULL;
}

static int copy_file_syms(vl_ix_file *dst, const vl_ix_file *src)
{
  if (src->nsym) {
    dst->sym = (vl_ix_symbol *)malloc(src->nsym * sizeof *dst->sym);
    if (!dst->sym) return VL_ENOMEM;
    memcpy(dst->sym, src->sym, src->nsym * sizeof *dst->sym);
  }
  if (src->nstr) {
    dst->str = (char *)malloc(src->nstr);
    if (!dst->str) return VL_ENOMEM;
    memcpy(dst->str, src->str, src->nstr);
  }
  dst->nsym = src->nsym;
  dst->nstr = src->nstr;
  dst->has_error = src->has_error;
  dst->truncated = src->truncated;
  dst->skip = src->skip;
  return VL_OK;
}

/* Phase 1: read, hash, reuse. Leaves *buf set when the file must be parsed. */
static void load_one(vl_ix_file *f, const lookup *lk, const vl_ix_limits *lim, char **bufp, size_t *lenp)
{
  char *buf = NULL;
  size_t len = 0;
  int skip = VL_IX_SKIP_NONE, st;
  const vl_ix_file *old;
  *bufp = NULL;
  *lenp = 0;
  if (f->lang >= VL_IX_NLANG) {
    f->skip = VL_IX_SKIP_LANGUAGE;
    return;
  }
  st = read_file(f->path, lim->max_bytes, &buf, &len, &skip);
  f->size = len;
  if (st != VL_OK) {
    f->skip = (uint8_t)skip;
    return;
  }
  f->hash = XXH3_64bits(buf, len);
  if (memchr(buf, '\0', len < 8192 ? len : 8192)) {
    f->skip = VL_IX_SKIP_BINARY;
    free(buf);
    return;
  }
  old = lk ? lookup_find(lk, f->path) : NULL;
  if (old && !(old->hash == f->hash && old->size == f->size && old->lang == f->lang)) old = NULL;
  /* a renamed or copied file: the same content under another path (symbols do not hold
   * the path, so they carry over as they are) */
  if (!old && lk && lk->by_hash) old = lookup_content(lk, f->hash, f->size, f->lang);
  if (old && old->skip != VL_IX_SKIP_NOMEM && old->skip != VL_IX_SKIP_UNREADABLE) {
    if (copy_file_syms(f, old) != VL_OK) {
      vl_ix_file_clear(f);
      f->skip = VL_IX_SKIP_NOMEM;
    }
    f->reused = 1;
    free(buf);
    return;
  }
  *bufp = buf;
  *lenp = len;
}

int vl_indexer_add(vl_indexer *ix, vl_ix_index *idx, size_t n, const char *const *paths,
                   const int *langs, const vl_ix_index *prev, const vl_ix_limits *lim, int jobs,
                   int *err_lang, uint32_t *err_off)
{
  size_t i, base;
  lookup lk, *lkp = NULL;
  static const vl_ix_limits nolim = {0, 0, 0};
  int nt = jobs, st;
  uint32_t mask = 0;
  char **bufs;
  size_t *lens;
  if (!ix || !idx || (n && (!paths || !langs))) return VL_EINVAL;
  if (!lim) lim = &nolim;
  if (idx->n + n > idx->cap) {
    size_t nc = idx->cap ? idx->cap : 64;
    vl_ix_file *nf;
    while (nc < idx->n + n) nc *= 2;
    nf = (vl_ix_file *)realloc(idx->files, nc * sizeof *nf);
    if (!nf) return VL_ENOMEM;
    idx->files = nf;
    idx->cap = nc;
  }
  bufs = (char **)calloc(n ? n : 1, sizeof *bufs);
  lens = (size_t *)calloc(n ? n : 1, sizeof *lens);
  if (!bufs || !lens) {
    free(bufs);
    free(lens);
    return VL_ENOMEM;
  }
  base = idx->n;
  for (i = 0; i < n; i++) {
    vl_ix_file *f = &idx->files[base + i];
    size_t pl = strlen(paths[i]);
    memset(f, 0, sizeof *f);
    f->path = (char *)malloc(pl + 1);
    if (!f->path) {
      size_t k;
      for (k = 0; k < i; k++) free(idx->files[base + k].path);
      free(bufs);
      free(lens);
      return VL_ENOMEM;
    }
    memcpy(f->path, paths[i], pl + 1);
    f->path_len = (uint32_t)pl;
    f->lang = (uint8_t)(langs[i] >= 0 && langs[i] < VL_IX_NLANG ? langs[i] : VL_IX_NLANG);
  }
  idx->n += n;
  if (prev && prev->n) {
    lk.n = prev->n;
    lk.by_path = (const vl_ix_file **)malloc(prev->n * sizeof *lk.by_path);
    lk.by_hash = (const vl_ix_file **)malloc(prev->n * sizeof *lk.by_hash);
    if (lk.by_path) {
      for (i = 0; i < prev->n; i++) lk.by_path[i] = &prev->files[i];
      qsort(lk.by_path, lk.n, sizeof *lk.by_path, cmp_fileptr);
      lkp = &lk;
    }
    if (lk.by_hash) {
      for (i = 0; i < prev->n; i++) lk.by_hash[i] = &prev->files[i];
      qsort(lk.by_hash, lk.n, sizeof *lk.by_hash, cmp_filehash);
    }
  }
#ifdef _OPENMP
  if (nt <= 0) nt = omp_get_max_threads();
#else
  nt = 1;
#endif
  if ((size_t)nt > n) nt = n > 0 ? (int)n : 1;
  {
    long k;
    VL_OMP(omp parallel for schedule(dynamic, 4) num_threads(nt) if(nt > 1))
    for (k = 0; k < (long)n; k++)
      load_one(&idx->files[base + (size_t)k], lkp, lim, &bufs[k], &lens[k]);
  }
  if (prev && prev->n) {
    free(lk.by_path);
    free(lk.by_hash);
  }
  /* compile only the queries of languages that have something to parse */
  for (i = 0; i < n; i++)
    if (bufs[i]) mask |= 1u << idx->files[base + i].lang;
  st = vl_indexer_prepare(ix, mask, err_lang, err_off);
  if (st != VL_OK) {
    for (i = 0; i < n; i++) free(bufs[i]);
    free(bufs);
    free(lens);
    return st;
  }
  VL_OMP(omp parallel num_threads(nt) if(nt > 1))
  {
    vl_ix_worker *w = vl_ix_worker_new();
    long k;
    VL_OMP(omp for schedule(dynamic, 1))
    for (k = 0; k < (long)n; k++) {
      vl_ix_file *f = &idx->files[base + (size_t)k];
      if (!bufs[k]) continue;
      if (!w || vl_indexer_extract(ix, w, f->lang, bufs[k], lens[k], lim, f) != VL_OK) {
        vl_ix_file_clear(f);
        f->skip = VL_IX_SKIP_NOMEM;
      }
      free(bufs[k]);
      bufs[k] = NULL;
    }
    vl_ix_worker_free(w);
  }
  free(bufs);
  free(lens);
  return VL_OK;
}

void vl_ix_index_free(vl_ix_index *idx)
{
  size_t i;
  if (!idx) return;
  for (i = 0; i < idx->n; i++) {
    vl_ix_file_clear(&idx->files[i]);
    free(idx->files[i].path);
  }
  free(idx->files);
  memset(idx, 0, sizeof *idx);
}

/* ---- on-disk format ---------------------------------------------------------- */

static const char MAGIC[8] = {'V', 'L', 'I', 'D', 'X', '\r', '\n', '\032'};
#define HDR_SIZE 48
#define FILE_HDR 40

static void put32(char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

int vl_indexer_serialize(const vl_indexer *ix, const vl_ix_index *idx, char **buf, size_t *len)
{
  size_t i, total = HDR_SIZE;
  char *p, *q;
  *buf = NULL;
  *len = 0;
  for (i = 0; i < idx->n; i++) {
    const vl_ix_file *f = &idx->files[i];
    total += FILE_HDR + f->path_len + (size_t)f->nsym * sizeof(vl_ix_symbol) + f->nstr;
  }
  p = (char *)malloc(total);
  if (!p) return VL_ENOMEM;
  q = p + HDR_SIZE;
  for (i = 0; i < idx->n; i++) {
    const vl_ix_file *f = &idx->files[i];
    put32(q, f->path_len);
    q[4] = (char)f->lang;
    q[5] = (char)f->skip;
    q[6] = (char)f->has_error;
    q[7] = (char)f->truncated;
    put64(q + 8, f->hash);
    put64(q + 16, f->size);
    put32(q + 24, f->nsym);
    put32(q + 28, f->nstr);
    memset(q + 32, 0, 8);
    q += FILE_HDR;
    memcpy(q, f->path, f->path_len);
    q += f->path_len;
    if (f->nsym) memcpy(q, f->sym, f->nsym * sizeof(vl_ix_symbol));
    q += (size_t)f->nsym * sizeof(vl_ix_symbol);
    if (f->nstr) memcpy(q, f->str, f->nstr);
    q += f->nstr;
  }
  memcpy(p, MAGIC, 8);
  put32(p + 8, VL_IX_FORMAT_VERSION);
  put32(p + 12, (uint32_t)sizeof(vl_ix_symbol));
  put64(p + 16, ix->fingerprint);
  put64(p + 24, (uint64_t)idx->n);
  put64(p + 32, (uint64_t)(total - HDR_SIZE));
  put64(p + 40, XXH3_64bits(p + HDR_SIZE, total - HDR_SIZE));
  *buf = p;
  *len = total;
  return VL_OK;
}

static bool sym_ok(const vl_ix_symbol *s, uint32_t nstr)
{
  return s->kind < VL_IX_NKIND && s->name < nstr && s->name_len < nstr - s->name &&
         s->scope < nstr && s->scope_len < nstr - s->scope && s->sig < nstr &&
         s->sig_len < nstr - s->sig && s->start_byte <= s->end_byte;
}

int vl_indexer_deserialize(const vl_indexer *ix, const char *buf, size_t len, vl_ix_index *idx)
{
  uint64_t nfiles, payload;
  const char *q, *end;
  size_t i;
  memset(idx, 0, sizeof *idx);
  if (len < HDR_SIZE || memcmp(buf, MAGIC, 8) != 0) return VL_EPARSE;
  if (get32(buf + 8) != VL_IX_FORMAT_VERSION || get32(buf + 12) != sizeof(vl_ix_symbol) ||
      get64(buf + 16) != ix->fingerprint)
    return VL_ETYPE;
  nfiles = get64(buf + 24);
  payload = get64(buf + 32);
  if (payload != len - HDR_SIZE || nfiles > payload / FILE_HDR) return VL_EPARSE;
  if (XXH3_64bits(buf + HDR_SIZE, (size_t)payload) != get64(buf + 40)) return VL_EPARSE;
  idx->files = (vl_ix_file *)calloc(nfiles ? (size_t)nfiles : 1, sizeof *idx->files);
  if (!idx->files) return VL_ENOMEM;
  idx->cap = nfiles ? (size_t)nfiles : 1;
  q = buf + HDR_SIZE;
  end = buf + len;
  for (i = 0; i < nfiles; i++) {
    vl_ix_file *f = &idx->files[i];
    uint32_t pl, nsym, nstr, k;
    if ((size_t)(end - q) < FILE_HDR) goto bad;
    pl = get32(q);
    nsym = get32(q + 24);
    nstr = get32(q + 28);
    if ((size_t)(end - q - FILE_HDR) < (size_t)pl + (size_t)nsym * sizeof(vl_ix_symbol) + nstr) goto bad;
    if ((unsigned char)q[4] > VL_IX_NLANG || (unsigned char)q[5] >= VL_IX_NSKIP) goto bad;
    if (nsym && (nstr == 0 || q[FILE_HDR + pl + (size_t)nsym * sizeof(vl_ix_symbol) + nstr - 1] != '\0')) goto bad;
    f->path = (char *)malloc((size_t)pl + 1);
    if (!f->path) goto nomem;
    idx->n = i + 1;
    memcpy(f->path, q + FILE_HDR, pl);
    f->path[pl] = '\0';
    if (memchr(f->path, '\0', pl)) goto bad;
    f->path_len = pl;
    f->lang = (uint8_t)q[4];
    f->skip = (uint8_t)q[5];
    f->has_error = (uint8_t)q[6];
    f->truncated = (uint8_t)q[7];
    f->hash = get64(q + 8);
    f->size = get64(q + 16);
    q += FILE_HDR + pl;
    if (nsym) {
      f->sym = (vl_ix_symbol *)malloc((size_t)nsym * sizeof *f->sym);
      if (!f->sym) goto nomem;
      memcpy(f->sym, q, (size_t)nsym * sizeof *f->sym);
      for (k = 0; k < nsym; k++)
        if (!sym_ok(&f->sym[k], nstr)) goto bad;
    }
    f->nsym = nsym;
    q += (size_t)nsym * sizeof(vl_ix_symbol);
    if (nstr) {
      f->str = (char *)malloc(nstr);
      if (!f->str) goto nomem;
      memcpy(f->str, q, nstr);
    }
    f->nstr = nstr;
    q += nstr;
  }
  if (q != end) goto bad;
  return VL_OK;
bad:
  vl_ix_index_free(idx);
  return VL_EPARSE;
nomem:
  vl_ix_index_free(idx);
  return VL_ENOMEM;
}
