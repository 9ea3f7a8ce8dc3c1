/* The header stands alone: included first, before any system header, it compiles (C
 * programs include it wherever they like). Needs no server. */
#include <authgate.h>

#include <stdio.h>

int main(void) {
  size_t capacity = 0; /* size_t appears in the header's signatures */
  int ok = authgate_version() != NULL && capacity == 0;
  printf("%d passed, %d failed\n", ok, !ok);
  return ok ? 0 : 1;
}
