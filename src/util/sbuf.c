#include "util/sbuf.h"

#include <stdio.h>
#include <string.h>

#include "util/xalloc.h"

uint8_t *sbuf_reserve(struct sbuf *s, size_t n)
{
	if (s->cap - s->len < n) {
		size_t cap = s->cap ? s->cap : 64;
		while (cap - s->len < n)
			cap *= 2;
		s->data = xrealloc(s->data, cap);
		s->cap = cap;
	}
	return s->data + s->len;
}

void sbuf_append(struct sbuf *s, const void *data, size_t len)
{
	if (len == 0)
		return;
	memcpy(sbuf_reserve(s, len), data, len);
	s->len += len;
}

void sbuf_putc(struct sbuf *s, uint8_t c)
{
	*sbuf_reserve(s, 1) = c;
	s->len++;
}

void sbuf_puts(struct sbuf *s, const char *str)
{
	sbuf_append(s, str, strlen(str));
}

void sbuf_put_u64(struct sbuf *s, uint64_t v)
{
	char digits[20];
	size_t n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	uint8_t *p = sbuf_reserve(s, n);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)digits[n - 1 - i];
	s->len += n;
}

void sbuf_vprintf(struct sbuf *s, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	char small[256];
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sbuf_append(s, small, (size_t)n);
	} else {
		char *p = (char *)sbuf_reserve(s, (size_t)n + 1);
		vsnprintf(p, (size_t)n + 1, fmt, ap2);
		s->len += (size_t)n;
	}
	va_end(ap2);
}

void sbuf_printf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sbuf_vprintf(s, fmt, ap);
	va_end(ap);
}

void sbuf_reset(struct sbuf *s)
{
	s->len = 0;
}

void sbuf_free(struct sbuf *s)
{
	free(s->data);
	s->data = NULL;
	s->len = s->cap = 0;
}
