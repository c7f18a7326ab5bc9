/*
 * fuzz_hnsw.c: libFuzzer target for the HNSW index file loader of core/hnsw.c
 * (vl_hnsw_load; format in core/hnsw.h), and for searching whatever it accepts.
 *
 * The first input byte holds flags: bit 0 set: the last 8 bytes of the file are
 * overwritten with the XXH3-64 of the bytes before them, so that damaged files get
 * past the checksum and reach the structural checks (counts, ids, levels, sizes);
 * the rest is the file. Findings (CHECK, abort):
 *   - a load that fails with a code other than EPARSE / ELIMIT / ENOMEM, or without a
 *     message;
 *   - an accepted index on which a search misbehaves: more hits than asked, ids
 *     outside 0..n-1, a repeated id, hits out of order (score descending, index
 *     ascending); a zero query not refused with EINVAL;
 *   - saving an accepted index and loading the saved file fails or changes its size,
 *     dimension or parameters.
 * ASan and UBSan catch the rest (a link table trusted beyond its bounds, say).
 */
#include <stdint.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "fuzz_check.h"
#include "fuzz_file.h"
#include "hnsw.h"
#include "vl_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  uint8_t *buf;
  size_t n;
  vl_hnsw *h = NULL, *h2 = NULL;
  char err[256];
  int rc, p1[4], p2[4];
  if (size < 1 || size > (1u << 16)) return 0;
  n = size - 1;
  buf = malloc(n ? n : 1);
  CHECK(buf != NULL);
  memcpy(buf, data + 1, n);
  if ((data[0] & 1) && n >= 8) {
    uint64_t sum = XXH3_64bits(buf, n - 8);
    int i;
    for (i = 0; i < 8; i++) buf[n - 8 + i] = (uint8_t)(sum >> (8 * i));
  }
  fuzz_file_write(0, buf, n);
  free(buf);
  err[0] = '\0';
  rc = vl_hnsw_load(fuzz_file_path(0), &h, err, sizeof err);
  if (rc != VL_OK) {
    CHECK(rc == VL_EPARSE || rc == VL_ELIMIT || rc == VL_ENOMEM);
    CHECK(err[0] != '\0');
    CHECK(h == NULL);
    return 0;
  }
  {
    int64_t size_n = vl_hnsw_size(h), k = size_n < 5 ? size_n : 5, counts[1] = {-1}, bad = 0, i, j;
    int32_t dim = vl_hnsw_dim(h), stride = vl_sim_stride(dim);
    float *q = vl_sim_alloc(1, stride);
    vl_sim_matrix qm;
    vl_sim_hit hits[5];
    CHECK(size_n >= 0 && dim >= 1);
    CHECK(q != NULL);
    qm.data = q;
    qm.rows = 1;
    qm.dim = dim;
    qm.stride = stride;
    memset(q, 0, (size_t)stride * sizeof(float));
    if (k > 0) {
      rc = vl_hnsw_search(h, &qm, k, 8, -2.0f, 1, hits, counts, &bad);
      CHECK(rc == VL_EINVAL);
      for (j = 0; j < dim; j++) q[j] = (float)((j % 3) - 1) + 0.5f;
      rc = vl_hnsw_search(h, &qm, k, 8, -2.0f, 1, hits, counts, &bad);
      CHECK(rc == VL_OK);
      CHECK(counts[0] >= 0 && counts[0] <= k);
      for (i = 0; i < counts[0]; i++) {
        CHECK(hits[i].index >= 0 && hits[i].index < size_n);
        for (j = 0; j < i; j++) CHECK(hits[j].index != hits[i].index);
        if (i > 0)
          CHECK(hits[i - 1].score > hits[i].score ||
                (hits[i - 1].score == hits[i].score && hits[i - 1].index < hits[i].index));
      }
    }
    vl_sim_free(q);
    rc = vl_hnsw_save(h, fuzz_file_path(1), err, sizeof err);
    CHECK(rc == VL_OK);
    rc = vl_hnsw_load(fuzz_file_path(1), &h2, err, sizeof err);
    CHECK(rc == VL_OK);
    CHECK(vl_hnsw_size(h2) == size_n && vl_hnsw_dim(h2) == dim);
    vl_hnsw_params(h, p1);
    vl_hnsw_params(h2, p2);
    CHECK(memcmp(p1, p2, sizeof p1) == 0);
  }
  vl_hnsw_free(h);
  vl_hnsw_free(h2);
  return 0;
}
