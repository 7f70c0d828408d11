/* Stand-in for the C library's header, for `cargo xtask check-targets` only (see
   xtask/src/check_targets.rs): the declarations ring's C sources use. Nothing built with it
   is linked or run. */
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
