/*
 * fuzz_indexer.c: libFuzzer target for the tree-sitter indexer (core/indexer.c with the
 * vendored runtime and every grammar). Byte 0 picks the language (mod VL_IX_NLANG), byte 1
 * the symbol cap (0: none); the rest is the source. Checks: extraction returns VL_OK (or a
 * skip) within its limits; every symbol's strings lie inside the arena and are
 * NUL-terminated, its kind is valid, positions are 1-based and inside the input, its name
 * is the bytes at its line and column; the symbol cap holds; the index of that one file
 * serialises, loads back and serialises to the same bytes; a load of a truncated or
 * bit-flipped copy fails cleanly or gives an index that serialises to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "indexer.h"
#include "vl_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vl_indexer *ix;
static vl_ix_worker *w;

static void check_file(const vl_ix_file *f, const char *src, size_t len, uint32_t cap)
{
  uint32_t i;
  if (cap) CHECK(f->nsym <= cap);
  if (f->nsym) CHECK(f->str && f->nstr > 0 && f->str[f->nstr - 1] == '\0');
  for (i = 0; i < f->nsym; i++) {
    const vl_ix_symbol *s = &f->sym[i];
    const char *p = src;
    uint32_t line = 1;
    CHECK(s->kind < VL_IX_NKIND);
    CHECK(s->name < f->nstr && s->name_len < f->nstr - s->name && f->str[s->name + s->name_len] == '\0');
    CHECK(s->scope < f->nstr && s->scope_len < f->nstr - s->scope && f->str[s->scope + s->scope_len] == '\0');
    CHECK(s->sig < f->nstr && s->sig_len <= VL_IX_SIG_MAX && f->str[s->sig + s->sig_len] == '\0');
    CHECK(s->name_len > 0);
    CHECK(s->start_byte <= s->end_byte && s->end_byte <= len);
    CHECK(s->line >= 1 && s->col >= 1 && s->end_line >= s->line);
    /* the name is at (line, col) */
    while (line < s->line) {
      const char *nl = (const char *)memchr(p, '\n', (size_t)(src + len - p));
      CHECK(nl != NULL);
      p = nl + 1;
      line++;
    }
    CHECK((size_t)(src + len - p) >= (size_t)(s->col - 1) + s->name_len);
    CHECK(memcmp(p + s->col - 1, f->str + s->name, s->name_len) == 0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  vl_ix_limits lim;
  vl_ix_file f;
  vl_ix_index idx, back;
  char *buf = NULL, *buf2 = NULL;
  size_t n = 0, n2 = 0;
  int lang, st;
  if (size < 2) return 0;
  if (!ix) {
    CHECK(vl_indexer_new(&ix) == VL_OK);
    CHECK(vl_indexer_prepare(ix, (1u << VL_IX_NLANG) - 1, NULL, NULL) == VL_OK);
    w = vl_ix_worker_new();
    CHECK(w != NULL);
  }
  lang = data[0] % VL_IX_NLANG;
  memset(&lim, 0, sizeof lim);
  lim.max_bytes = 1 << 16;
  lim.timeout_us = 500000;
  lim.max_symbols = data[1];
  memset(&f, 0, sizeof f);
  st = vl_indexer_extract(ix, w, lang, (const char *)data + 2, size - 2, &lim, &f);
  CHECK(st == VL_OK || st == VL_ENOMEM);
  if (st != VL_OK) return 0;
  check_file(&f, (const char *)data + 2, size - 2, lim.max_symbols);
  /* a one-file index round trip */
  f.path = (char *)malloc(8);
  CHECK(f.path != NULL);
  memcpy(f.path, "in.file", 8);
  f.path_len = 7;
  idx.files = &f;
  idx.n = idx.cap = 1;
  CHECK(vl_indexer_serialize(ix, &idx, &buf, &n) == VL_OK);
  CHECK(vl_indexer_deserialize(ix, buf, n, &back) == VL_OK);
  CHECK(back.n == 1);
  CHECK(vl_indexer_serialize(ix, &back, &buf2, &n2) == VL_OK);
  CHECK(n2 == n && memcmp(buf, buf2, n) == 0);
  vl_ix_index_free(&back);
  free(buf2);
  /* damaged copies never crash */
  if (n > 0) {
    size_t cut = data[1] % n;
    st = vl_indexer_deserialize(ix, buf, cut, &back);
    CHECK(st == VL_EPARSE || st == VL_ETYPE);
    buf[(size_t)(data[0] * 7919u) % n] ^= (char)(1u << (data[1] & 7));
    st = vl_indexer_deserialize(ix, buf, n, &back);
    CHECK(st == VL_OK || st == VL_EPARSE || st == VL_ETYPE);
    if (st == VL_OK) vl_ix_index_free(&back);
  }
  free(buf);
  vl_ix_file_clear(&f);
  free(f.path);
  return 0;
}
