/* Adler-style running checksum of the item table. */
#include "checksum.h"

#define MOD_ADLER 65521u

void checksum_init(checksum_state *s)
{
  s->a = 1;
  s->b = 0;
}

void checksum_update(checksum_state *s, const unsigned char *p, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    s->a = (s->a + p[i]) % MOD_ADLER;
    s->b = (s->b + s->a) % MOD_ADLER;
  }
}

uint32_t checksum_final(const checksum_state *s)
{
  return (s->b << 16) | s->a;
}
