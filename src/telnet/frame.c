#include "telnet/frame.h"

#include "term/cp437.h"
#include "util/sbuf.h"

#define IAC 0xFF
#define CR '\r'
#define LF '\n'

static size_t escaped_len(const uint8_t *in, size_t len)
{
	size_t n = len;
	for (size_t i = 0; i < len; i++) {
		if (in[i] == IAC)
			n++;
		else if (in[i] == CR && (i + 1 == len || in[i + 1] != LF))
			n++;
	}
	return n;
}

static struct buf *escape(const uint8_t *in, size_t len)
{
	if (len > UINT32_MAX / 2)
		return NULL;
	struct buf *b = buf_new(escaped_len(in, len));
	if (b == NULL)
		return NULL;
	uint8_t *o = b->data;
	for (size_t i = 0; i < len; i++) {
		*o++ = in[i];
		if (in[i] == IAC)
			*o++ = IAC;
		else if (in[i] == CR && (i + 1 == len || in[i + 1] != LF))
			*o++ = '\0';
	}
	return b;
}

struct buf *telnet_frame_utf8(const uint8_t *term, size_t len)
{
	return escape(term, len);
}

struct buf *telnet_frame_cp437(const uint8_t *term, size_t len)
{
	struct sbuf s = SBUF_INIT;
	utf8_to_cp437(&s, term, len);
	struct buf *b = escape(s.data, s.len);
	sbuf_free(&s);
	return b;
}
