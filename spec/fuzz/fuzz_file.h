/* fuzz_file.h: a scratch file per fuzzing process for the targets whose kernel reads
 * a path (the .npy and HNSW loaders): fuzz_file_path(k) names scratch file k (0 or 1)
 * under $TMPDIR (default /tmp), removed at exit; fuzz_file_write puts bytes in it. */
#ifndef VL_FUZZ_FILE_H
#define VL_FUZZ_FILE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_file_names[2][512];

static void fuzz_file_cleanup(void)
{
  remove(fuzz_file_names[0]);
  remove(fuzz_file_names[1]);
}

static const char *fuzz_file_path(int k)
{
  if (!fuzz_file_names[0][0]) {
    const char *dir = getenv("TMPDIR");
    int i;
    for (i = 0; i < 2; i++)
      snprintf(fuzz_file_names[i], sizeof fuzz_file_names[i], "%s/vl_fuzz.%ld.%d", dir && *dir ? dir : "/tmp",
               (long)getpid(), i);
    atexit(fuzz_file_cleanup);
  }
  return fuzz_file_names[k];
}

static void fuzz_file_write(int k, const void *data, size_t size)
{
  FILE *f = fopen(fuzz_file_path(k), "wb");
  if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
    fprintf(stderr, "fuzz: cannot write %s\n", fuzz_file_path(k));
    abort();
  }
}

#endif
