/*
 * fuzz_npy.c: libFuzzer target for the .npy loader of core/similarity.c
 * (vl_sim_npy_load: NumPy format 1.0 / 2.0, '<f4', C order, 1-D or 2-D).
 *
 * The input is the file. Findings (CHECK, abort):
 *   - a load that fails with a code other than EPARSE / ETYPE / EINVAL / ELIMIT, or
 *     without a message;
 *   - a loaded matrix whose shape does not fit the file (rows x dim x 4 bytes beyond
 *     its size), whose stride is short or padding not zero, or that holds a
 *     non-finite value (those are EINVAL);
 *   - saving it and loading the saved file does not give the same rows.
 * ASan catches reads past the header or the data; the size cap (max_bytes 1 MiB)
 * must trip as ELIMIT before any allocation of that size.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_file.h"
#include "similarity.h"
#include "vl_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  vl_sim_matrix m, m2;
  char err[256];
  int rc;
  int64_t r;
  int32_t j;
  if (size > (1u << 16)) return 0;
  fuzz_file_write(0, data, size);
  memset(&m, 0, sizeof m);
  err[0] = '\0';
  rc = vl_sim_npy_load(fuzz_file_path(0), (size_t)1 << 20, &m, err, sizeof err);
  if (rc != VL_OK) {
    CHECK(rc == VL_EPARSE || rc == VL_ETYPE || rc == VL_EINVAL || rc == VL_ELIMIT);
    CHECK(err[0] != '\0');
    return 0;
  }
  CHECK(m.rows >= 0 && m.dim >= 1 && m.stride >= m.dim);
  CHECK((uint64_t)m.rows * (uint64_t)m.dim * 4u <= size);
  CHECK(m.rows == 0 || m.data != NULL);
  for (r = 0; r < m.rows; r++)
    for (j = 0; j < m.stride; j++) {
      float x = m.data[r * m.stride + j];
      if (j < m.dim) CHECK(isfinite(x));
      else CHECK(x == 0.0f);
    }
  rc = vl_sim_npy_save(fuzz_file_path(1), &m, err, sizeof err);
  CHECK(rc == VL_OK);
  memset(&m2, 0, sizeof m2);
  rc = vl_sim_npy_load(fuzz_file_path(1), 0, &m2, err, sizeof err);
  CHECK(rc == VL_OK);
  CHECK(m2.rows == m.rows && m2.dim == m.dim);
  for (r = 0; r < m.rows; r++)
    CHECK(memcmp(m.data + r * m.stride, m2.data + r * m2.stride, (size_t)m.dim * sizeof(float)) == 0);
  vl_sim_free(m.data);
  vl_sim_free(m2.data);
  return 0;
}
