#ifndef CHECKSUM_H
#define CHECKSUM_H
#include <stddef.h>
#include <stdint.h>

typedef struct checksum_state {
  uint32_t a, b;
} checksum_state;

void checksum_init(checksum_state *s);
void checksum_update(checksum_state *s, const unsigned char *p, size_t n);
uint32_t checksum_final(const checksum_state *s);
#endif
