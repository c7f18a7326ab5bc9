#include <stdio.h>
#define MAX_ITEMS 16
#define SQUARE(x) ((x) * (x))

struct point { int x; int y; };
typedef struct point point_t;
enum color { RED, GREEN };
static int counter = 0;

static int helper(int v) { return SQUARE(v); }

int *make(point_t *p)
{
  printf("%d\n", helper(p->x));
  return NULL;
}
