/* A growable scratch byte string, for building output before it is framed.
 *
 * Not shared and not refcounted: the owner appends, reads data/len, then resets or
 * frees it.  Allocation failure is fatal (xalloc), so appends cannot fail. */
#ifndef CARRIER_UTIL_SBUF_H
#define CARRIER_UTIL_SBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct sbuf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

#define SBUF_INIT { NULL, 0, 0 }

void sbuf_append(struct sbuf *s, const void *data, size_t len);
void sbuf_putc(struct sbuf *s, uint8_t c);
void sbuf_puts(struct sbuf *s, const char *str);
void sbuf_put_u64(struct sbuf *s, uint64_t v);    /* in decimal, without printf */
__attribute__((format(printf, 2, 3)))
void sbuf_printf(struct sbuf *s, const char *fmt, ...);
__attribute__((format(printf, 2, 0)))
void sbuf_vprintf(struct sbuf *s, const char *fmt, va_list ap);
/* Make room for n more bytes; returns a pointer to the free space (len unchanged). */
uint8_t *sbuf_reserve(struct sbuf *s, size_t n);
void sbuf_reset(struct sbuf *s);    /* len = 0, keeps the memory */
void sbuf_free(struct sbuf *s);     /* frees the memory, back to SBUF_INIT */

#endif
