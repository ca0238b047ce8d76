/* Allocation that cannot fail: out of memory logs and aborts.  Used for small,
 * bounded allocations; buffers sized by what a peer sends use plain malloc and
 * handle NULL. */
#ifndef CARRIER_UTIL_XALLOC_H
#define CARRIER_UTIL_XALLOC_H

#include <stddef.h>
#include <stdlib.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
