/* fuzz_check.h: CHECK(cond) for the libFuzzer targets: on failure print
 * "FINDING: check failed: ..." (scripts/fuzz.sh looks for it) and abort. */
#ifndef VL_FUZZ_CHECK_H
#define VL_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                   \
  do {                                                             \
    if (!(c)) {                                                    \
      fprintf(stderr, "FINDING: check failed: %s (line %d)\n", #c, __LINE__); \
      abort();                                                     \
    }                                                              \
  } while (0)

#endif
