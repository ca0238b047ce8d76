/* RFC 6455 framing.  The decoder is a byte-driven state machine: it collects a
 * frame header (2 bytes, the extended length, the masking key), checks it, then
 * unmasks the payload into the message buffer as it arrives, validating text as it
 * goes.  Small unfragmented frames that arrive whole are unmasked on the stack and
 * never touch the heap. */
#include "ws/codec.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"
#include "util/xalloc.h"

_Static_assert(sizeof(struct ws_decoder) <= 64, "ws_decoder must stay small");

enum {
	ST_HEADER,	/* collecting a frame header */
	ST_PAYLOAD,	/* collecting remaining payload bytes */
	ST_DONE,	/* close received or stopped: ignore the rest */
	ST_FAILED,	/* protocol violation: error holds the close code */
};

/* Frames up to this size that arrive whole and unfragmented skip the heap. */
#define WS_SMALL 256

static const uint8_t ws_empty[1];

static int is_control(unsigned op)
{
	return (op & 0x8) != 0;
}

static int opcode_known(unsigned op)
{
	return op <= WS_OP_BINARY || (op >= WS_OP_CLOSE && op <= WS_OP_PONG);
}

int ws_close_code_valid(uint16_t code)
{
	if (code >= 1000 && code <= 1003)
		return 1;
	if (code >= 1007 && code <= 1014)
		return 1;
	return code >= 3000 && code <= 4999;
}

/* dst[i] = src[i] ^ mask[(pos + i) % 4], eight bytes at a time.  dst may equal src. */
static void unmask(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t mask[4],
		   unsigned pos)
{
	uint8_t m[8];
	uint64_t m64;
	size_t i;

	for (i = 0; i < 8; i++)
		m[i] = mask[(pos + i) & 3];
	memcpy(&m64, m, sizeof(m64));
	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, src + i, sizeof(w));
		w ^= m64;
		memcpy(dst + i, &w, sizeof(w));
	}
	for (; i < n; i++)
		dst[i] = src[i] ^ m[i & 7];
}

/* Continue validating text from *state.  Runs of ASCII between complete code
 * points are skipped eight bytes at a time; the rest goes through the DFA. */
static int text_validate(uint32_t *state, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (*state == UTF8_ACCEPT) {
			for (; i + 8 <= n; i += 8) {
				uint64_t w;
				memcpy(&w, p + i, sizeof(w));
				if (w & 0x8080808080808080ull)
					break;
			}
		}
		size_t k = n - i < 16 ? n - i : 16;
		if (!utf8_validate(state, p + i, k))
			return 0;
		i += k;
	}
	return 1;
}

static void drop_buffers(struct ws_decoder *d)
{
	free(d->msg);
	free(d->ctl);
	d->msg = NULL;
	d->ctl = NULL;
	d->msg_len = 0;
	d->msg_cap = 0;
	d->ctl_len = 0;
}

static int fail(struct ws_decoder *d, int code)
{
	assert(code != 0);
	drop_buffers(d);
	d->state = ST_FAILED;
	d->error = (uint16_t)code;
	return code;
}

void ws_decoder_init(struct ws_decoder *d, uint32_t max_message)
{
	memset(d, 0, sizeof(*d));
	d->max_message = max_message;
	d->state = ST_HEADER;
	d->utf8 = UTF8_ACCEPT;
}

void ws_decoder_free(struct ws_decoder *d)
{
	drop_buffers(d);
}

void ws_decoder_stop(struct ws_decoder *d)
{
	d->stopped = 1;
}

/* The payload length is complete (the masking key may still be due): decode it and
 * check the size limit before a byte of payload is buffered. */
static int length_known(struct ws_decoder *d)
{
	unsigned len7 = d->hdr[1] & 0x7f;
	uint64_t len = len7;

	if (len7 == 126) {
		len = (uint64_t)d->hdr[2] << 8 | d->hdr[3];
	} else if (len7 == 127) {
		len = 0;
		for (unsigned i = 2; i < 10; i++)
			len = len << 8 | d->hdr[i];
	}
	if (is_control(d->op)) {
		if (len > WS_CONTROL_MAX)
			return WS_CLOSE_PROTOCOL;
	} else if ((uint64_t)d->msg_len + len > d->max_message) {
		return WS_CLOSE_TOO_BIG;
	}
	assert(len <= UINT32_MAX);
	d->remaining = (uint32_t)len;
	return 0;
}

/* Take one header byte; checks each field as soon as it is known. */
static int header_byte(struct ws_decoder *d, uint8_t b)
{
	unsigned n = d->hdr_len++;

	if (n == 0) {
		unsigned op = b & 0x0f;
		if (b & 0x70)
			return WS_CLOSE_PROTOCOL;	/* RSV1-3: no extensions */
		if (!opcode_known(op))
			return WS_CLOSE_PROTOCOL;
		d->op = (uint8_t)op;
		d->fin = (b & 0x80) != 0;
		if (is_control(op)) {
			if (!d->fin)
				return WS_CLOSE_PROTOCOL;
		} else if (op == WS_OP_CONT) {
			if (d->msg_op == 0)
				return WS_CLOSE_PROTOCOL;
		} else if (d->msg_op != 0) {
			return WS_CLOSE_PROTOCOL;
		}
		d->hdr[0] = b;
		return 0;
	}
	if (n == 1) {
		unsigned len7 = b & 0x7f;
		if (!(b & 0x80))
			return WS_CLOSE_PROTOCOL;	/* client frames must be masked */
		d->hdr[1] = b;
		d->hdr_need = (uint8_t)(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4);
		return d->hdr_need == 6 ? length_known(d) : 0;
	}
	if (n < (unsigned)d->hdr_need - 4u) {
		if (n == 2 && (d->hdr[1] & 0x7f) == 127 && (b & 0x80))
			return WS_CLOSE_PROTOCOL;	/* 64-bit length with MSB set */
		d->hdr[n] = b;
		return n + 1u == (unsigned)d->hdr_need - 4u ? length_known(d) : 0;
	}
	d->mask[n - (d->hdr_need - 4u)] = b;
	return 0;
}

/* The header is complete, masking key included: start on the payload. */
static void header_done(struct ws_decoder *d)
{
	if (d->op == WS_OP_TEXT || d->op == WS_OP_BINARY)
		d->msg_op = d->op;
	d->mask_pos = 0;
	d->state = ST_PAYLOAD;
}

/* A control frame is complete; payload is its unmasked payload (<= 125 bytes). */
static int control_done(struct ws_decoder *d, const uint8_t *p, size_t len,
			ws_event_fn fn, void *ud)
{
	if (d->op == WS_OP_PING) {
		fn(ud, WS_EV_PING, 0, p, len);
		return 0;
	}
	if (d->op == WS_OP_PONG) {
		fn(ud, WS_EV_PONG, 0, p, len);
		return 0;
	}
	assert(d->op == WS_OP_CLOSE);
	uint16_t code = WS_CLOSE_NO_STATUS;
	if (len == 1)
		return WS_CLOSE_PROTOCOL;
	if (len >= 2) {
		code = (uint16_t)(p[0] << 8 | p[1]);
		if (!ws_close_code_valid(code))
			return WS_CLOSE_PROTOCOL;
		if (!utf8_valid(p + 2, len - 2))
			return WS_CLOSE_BAD_DATA;
		p += 2;
		len -= 2;
	}
	/* Nothing after a close frame counts: drop any partial message now. */
	d->state = ST_DONE;
	fn(ud, WS_EV_CLOSE, code, p, len);
	drop_buffers(d);
	return 0;
}

/* A data frame is complete.  On FIN, deliver the message p[0..len) (the assembled
 * buffer or a small frame unmasked on the stack) and forget it. */
static int data_done(struct ws_decoder *d, const uint8_t *p, size_t len,
		     ws_event_fn fn, void *ud)
{
	if (!d->fin)
		return 0;
	int text = d->msg_op == WS_OP_TEXT;
	if (text && d->utf8 != UTF8_ACCEPT)
		return WS_CLOSE_BAD_DATA;	/* truncated code point at the end */
	uint8_t *own = d->msg;
	d->msg = NULL;
	d->msg_len = 0;
	d->msg_cap = 0;
	d->msg_op = 0;
	d->utf8 = UTF8_ACCEPT;
	fn(ud, text ? WS_EV_TEXT : WS_EV_BINARY, 0, p, len);
	free(own);
	return 0;
}

/* The frame's payload is complete (or was empty): back to headers, then deliver. */
static int frame_done(struct ws_decoder *d, const uint8_t *p, size_t len,
		      ws_event_fn fn, void *ud)
{
	d->state = ST_HEADER;
	d->hdr_len = 0;
	d->hdr_need = 0;
	if (p == NULL)
		p = ws_empty;
	if (is_control(d->op))
		return control_done(d, p, len, fn, ud);
	return data_done(d, p, len, fn, ud);
}

/* Make room for need bytes in the message buffer, growing geometrically but never
 * past the end of the current frame (so a peer that announces a big frame and
 * trickles it holds at most twice what it has sent). */
static int msg_reserve(struct ws_decoder *d, uint32_t need)
{
	if (need <= d->msg_cap)
		return 0;
	uint64_t frame_end = (uint64_t)d->msg_len + d->remaining;
	uint64_t cap = (uint64_t)d->msg_cap * 2;
	if (cap < need)
		cap = need;
	if (cap < 64)
		cap = 64;
	if (cap > frame_end)
		cap = frame_end;
	uint8_t *p = realloc(d->msg, (size_t)cap);
	if (p == NULL)
		return WS_CLOSE_INTERNAL;
	d->msg = p;
	d->msg_cap = (uint32_t)cap;
	return 0;
}

/* Take n payload bytes of the current frame (n <= remaining). */
static int payload(struct ws_decoder *d, const uint8_t *src, size_t n,
		   ws_event_fn fn, void *ud)
{
	uint8_t small[WS_SMALL];
	int rc;

	assert(n > 0 && n <= d->remaining);
	if (is_control(d->op)) {
		if (d->ctl == NULL && n == d->remaining) {
			unmask(small, src, n, d->mask, 0);
			d->remaining = 0;
			return frame_done(d, small, n, fn, ud);
		}
		if (d->ctl == NULL)
			d->ctl = xmalloc(WS_CONTROL_MAX);
		unmask(d->ctl + d->ctl_len, src, n, d->mask, d->mask_pos);
		d->ctl_len = (uint8_t)(d->ctl_len + n);
		d->mask_pos = (uint8_t)((d->mask_pos + n) & 3);
		d->remaining -= (uint32_t)n;
		if (d->remaining > 0)
			return 0;
		uint8_t *own = d->ctl;
		size_t len = d->ctl_len;
		d->ctl = NULL;
		d->ctl_len = 0;
		rc = frame_done(d, own, len, fn, ud);
		free(own);
		return rc;
	}

	int text = d->msg_op == WS_OP_TEXT;
	uint32_t st = d->utf8;
	if (d->msg_len == 0 && d->fin && n == d->remaining && n <= WS_SMALL) {
		unmask(small, src, n, d->mask, 0);
		if (text && !text_validate(&st, small, n))
			return WS_CLOSE_BAD_DATA;
		d->utf8 = (uint8_t)st;
		d->remaining = 0;
		return frame_done(d, small, n, fn, ud);
	}
	rc = msg_reserve(d, d->msg_len + (uint32_t)n);
	if (rc != 0)
		return rc;
	uint8_t *dst = d->msg + d->msg_len;
	unmask(dst, src, n, d->mask, d->mask_pos);
	if (text && !text_validate(&st, dst, n))
		return WS_CLOSE_BAD_DATA;
	d->utf8 = (uint8_t)st;
	d->msg_len += (uint32_t)n;
	d->mask_pos = (uint8_t)((d->mask_pos + n) & 3);
	d->remaining -= (uint32_t)n;
	if (d->remaining > 0)
		return 0;
	return frame_done(d, d->msg, d->msg_len, fn, ud);
}

int ws_decoder_feed(struct ws_decoder *d, const uint8_t *data, size_t len,
		    ws_event_fn fn, void *ud)
{
	const uint8_t *p = data, *end = data + len;
	int rc;

	assert(fn != NULL);
	if (d->state == ST_FAILED)
		return d->error;
	while (p < end && d->state != ST_DONE && !d->stopped) {
		if (d->state == ST_HEADER) {
			rc = header_byte(d, *p++);
			if (rc == 0 && d->hdr_len == d->hdr_need) {
				header_done(d);
				if (d->remaining == 0)
					rc = frame_done(d, NULL, 0, fn, ud);
			}
		} else {
			size_t n = (size_t)(end - p);
			if (n > d->remaining)
				n = d->remaining;
			rc = payload(d, p, n, fn, ud);
			p += n;
		}
		if (rc != 0)
			return fail(d, rc);
	}
	if (d->stopped && d->state != ST_DONE) {
		d->state = ST_DONE;
		drop_buffers(d);
	}
	return 0;
}

size_t ws_frame_header(uint8_t out[10], enum ws_opcode op, uint64_t len)
{
	assert(opcode_known(op));
	assert(!is_control(op) || len <= WS_CONTROL_MAX);
	out[0] = (uint8_t)(0x80 | op);
	if (len < 126) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

struct buf *ws_frame(enum ws_opcode op, const void *payload, size_t len)
{
	uint8_t hdr[10];

	assert(payload != NULL || len == 0);
	if (len > UINT32_MAX - sizeof(hdr))
		return NULL;
	size_t hl = ws_frame_header(hdr, op, len);
	struct buf *b = buf_new(hl + len);
	if (b == NULL)
		return NULL;
	memcpy(b->data, hdr, hl);
	if (len > 0)
		memcpy(b->data + hl, payload, len);
	return b;
}

struct buf *ws_close_frame(uint16_t code, const char *reason)
{
	uint8_t p[WS_CONTROL_MAX];
	size_t rlen = reason != NULL ? strlen(reason) : 0;

	assert(ws_close_code_valid(code));
	if (rlen > WS_REASON_MAX) {
		rlen = WS_REASON_MAX;
		/* back up over continuation bytes to the start of a character */
		while (rlen > 0 && ((uint8_t)reason[rlen] & 0xc0) == 0x80)
			rlen--;
	}
	p[0] = (uint8_t)(code >> 8);
	p[1] = (uint8_t)code;
	if (rlen > 0)
		memcpy(p + 2, reason, rlen);
	return ws_frame(WS_OP_CLOSE, p, 2 + rlen);
}
