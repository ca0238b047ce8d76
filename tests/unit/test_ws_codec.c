/* RFC 6455 codec: decoder rules, chunking, encoder round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/sbuf.h"
#include "util/utf8.h"
#include "ws/codec.h"

/* ---- event recorder ---------------------------------------------------- */

struct event {
	enum ws_event ev;
	uint16_t code;
	uint8_t *data;
	size_t len;
};

struct rec {
	struct event ev[64];
	int n;
	int stop_at;		/* call ws_decoder_stop after this many events (0: never) */
	struct ws_decoder *d;
};

static void on_event(void *ud, enum ws_event ev, uint16_t code, const uint8_t *data,
		     size_t len)
{
	struct rec *r = ud;

	assert_non_null(data);
	assert_true(r->n < 64);
	struct event *e = &r->ev[r->n++];
	e->ev = ev;
	e->code = code;
	e->len = len;
	e->data = malloc(len + 1);
	assert_non_null(e->data);
	memcpy(e->data, data, len);
	e->data[len] = 0;
	if (r->stop_at != 0 && r->n == r->stop_at)
		ws_decoder_stop(r->d);
}

static void rec_clear(struct rec *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->ev[i].data);
	r->n = 0;
}

static void assert_event(const struct rec *r, int i, enum ws_event ev, uint16_t code,
			 const void *data, size_t len)
{
	assert_true(i < r->n);
	assert_int_equal(r->ev[i].ev, ev);
	assert_int_equal(r->ev[i].code, code);
	assert_int_equal(r->ev[i].len, len);
	assert_memory_equal(r->ev[i].data, data, len);
}

/* ---- masked frame builder --------------------------------------------- */

static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };

enum { F_FIN = 1, F_NOMASK = 2, F_LEN16 = 4, F_LEN64 = 8 };

/* Append a client frame: flags F_*, rsv bits (0x70 mask), opcode, payload. */
static void frame_ex(struct sbuf *s, int flags, uint8_t rsv, unsigned op, const void *payload,
		     size_t len)
{
	uint8_t mbit = (flags & F_NOMASK) ? 0 : 0x80;

	sbuf_putc(s, (uint8_t)(((flags & F_FIN) ? 0x80 : 0) | rsv | op));
	if (len < 126 && !(flags & (F_LEN16 | F_LEN64))) {
		sbuf_putc(s, (uint8_t)(mbit | len));
	} else if (len <= 0xffff && !(flags & F_LEN64)) {
		sbuf_putc(s, mbit | 126);
		sbuf_putc(s, (uint8_t)(len >> 8));
		sbuf_putc(s, (uint8_t)len);
	} else {
		sbuf_putc(s, mbit | 127);
		for (int i = 7; i >= 0; i--)
			sbuf_putc(s, (uint8_t)((uint64_t)len >> (8 * i)));
	}
	if (mbit)
		sbuf_append(s, key, 4);
	const uint8_t *p = payload;
	for (size_t i = 0; i < len; i++)
		sbuf_putc(s, mbit ? p[i] ^ key[i & 3] : p[i]);
}

static void frame(struct sbuf *s, int fin, unsigned op, const void *payload, size_t len)
{
	frame_ex(s, fin ? F_FIN : 0, 0, op, payload, len);
}

static void frame_str(struct sbuf *s, int fin, unsigned op, const char *str)
{
	frame(s, fin, op, str, strlen(str));
}

/* Decode s whole with a fresh decoder; returns feed's result. */
static int decode(struct rec *r, uint32_t max, const struct sbuf *s)
{
	struct ws_decoder d;

	ws_decoder_init(&d, max);
	r->d = &d;
	int rc = ws_decoder_feed(&d, s->data, s->len, on_event, r);
	assert_null(d.msg);
	assert_null(d.ctl);
	ws_decoder_free(&d);
	r->d = NULL;
	return rc;
}

/* Decode s one byte at a time; stops feeding at the first error. */
static int decode_bytewise(struct rec *r, uint32_t max, const struct sbuf *s)
{
	struct ws_decoder d;
	int rc = 0;

	ws_decoder_init(&d, max);
	r->d = &d;
	for (size_t i = 0; i < s->len && rc == 0; i++)
		rc = ws_decoder_feed(&d, s->data + i, 1, on_event, r);
	ws_decoder_free(&d);
	r->d = NULL;
	return rc;
}

/* Expect s to fail with code, both whole and byte at a time, with no events. */
static void expect_error(const struct sbuf *s, uint32_t max, int code)
{
	struct rec r = { 0 };

	assert_int_equal(decode(&r, max, s), code);
	assert_int_equal(r.n, 0);
	assert_int_equal(decode_bytewise(&r, max, s), code);
	assert_int_equal(r.n, 0);
}

/* ---- decoder: basics --------------------------------------------------- */

static void test_struct_small(void **state)
{
	(void)state;
	assert_true(sizeof(struct ws_decoder) <= 64);
}

static void test_text_and_binary(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct rec r = { 0 };
	const uint8_t bin[] = { 0, 1, 2, 0xff, 0x80, 0x1b };

	(void)state;
	frame_str(&s, 1, WS_OP_TEXT, "Hello, Carrier");
	frame(&s, 1, WS_OP_BINARY, bin, sizeof(bin));
	frame(&s, 1, WS_OP_TEXT, NULL, 0);
	frame(&s, 1, WS_OP_BINARY, NULL, 0);
	assert_int_equal(decode(&r, 1024, &s), 0);
	assert_int_equal(r.n, 4);
	assert_event(&r, 0, WS_EV_TEXT, 0, "Hello, Carrier", 14);
	assert_event(&r, 1, WS_EV_BINARY, 0, bin, sizeof(bin));
	assert_event(&r, 2, WS_EV_TEXT, 0, "", 0);
	assert_event(&r, 3, WS_EV_BINARY, 0, "", 0);
	rec_clear(&r);
	sbuf_free(&s);
}

static void test_lengths_16_64(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct rec r = { 0 };
	size_t big = 70000;
	uint8_t *p = malloc(big);

	(void)state;
	for (size_t i = 0; i < big; i++)
		p[i] = (uint8_t)('a' + i % 26);
	frame(&s, 1, WS_OP_TEXT, p, 300);	/* 16-bit length */
	frame(&s, 1, WS_OP_BINARY, p, big);	/* 64-bit length */
	frame_ex(&s, F_FIN | F_LEN64, 0, WS_OP_TEXT, "abc", 3);	/* non-minimal */
	frame_ex(&s, F_FIN | F_LEN16, 0, WS_OP_PING, "p", 1);	/* non-minimal control */
	frame(&s, 1, WS_OP_TEXT, p, 125);
	frame(&s, 1, WS_OP_TEXT, p, 126);
	frame(&s, 1, WS_OP_TEXT, p, 65535);
	frame(&s, 1, WS_OP_TEXT, p, 65536);
	assert_int_equal(s.data[1], 0x80 | 126);
	assert_int_equal(decode(&r, 100000, &s), 0);
	assert_int_equal(r.n, 8);
	assert_event(&r, 0, WS_EV_TEXT, 0, p, 300);
	assert_event(&r, 1, WS_EV_BINARY, 0, p, big);
	assert_event(&r, 2, WS_EV_TEXT, 0, "abc", 3);
	assert_event(&r, 3, WS_EV_PING, 0, "p", 1);
	assert_event(&r, 4, WS_EV_TEXT, 0, p, 125);
	assert_event(&r, 5, WS_EV_TEXT, 0, p, 126);
	assert_event(&r, 6, WS_EV_TEXT, 0, p, 65535);
	assert_event(&r, 7, WS_EV_TEXT, 0, p, 65536);
	rec_clear(&r);
	free(p);
	sbuf_free(&s);
}

static void test_len64_msb(void **state)
{
	struct sbuf s = SBUF_INIT;
	const uint8_t hdr[] = { 0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1 };

	(void)state;
	sbuf_append(&s, hdr, sizeof(hdr));
	expect_error(&s, 1024, 1002);
	/* detected at the first length byte, before the rest of the header */
	struct ws_decoder d;
	struct rec r = { 0 };
	ws_decoder_init(&d, 1024);
	assert_int_equal(ws_decoder_feed(&d, hdr, 3, on_event, &r), 1002);
	ws_decoder_free(&d);
	sbuf_free(&s);
}

static void test_unmasked(void **state)
{
	struct sbuf s = SBUF_INIT;

	(void)state;
	frame_ex(&s, F_FIN | F_NOMASK, 0, WS_OP_TEXT, "hi", 2);
	expect_error(&s, 1024, 1002);
	sbuf_reset(&s);
	frame_ex(&s, F_FIN | F_NOMASK, 0, WS_OP_PING, "", 0);
	expect_error(&s, 1024, 1002);
	sbuf_free(&s);
}

static void test_rsv_bits(void **state)
{
	struct sbuf s = SBUF_INIT;
	const uint8_t rsv[] = { 0x40, 0x20, 0x10, 0x70 };

	(void)state;
	for (size_t i = 0; i < sizeof(rsv); i++) {
		sbuf_reset(&s);
		frame_ex(&s, F_FIN, rsv[i], WS_OP_TEXT, "x", 1);
		expect_error(&s, 1024, 1002);
		sbuf_reset(&s);
		frame_ex(&s, F_FIN, rsv[i], WS_OP_PING, "", 0);
		expect_error(&s, 1024, 1002);
	}
	sbuf_free(&s);
}

static void test_reserved_opcodes(void **state)
{
	struct sbuf s = SBUF_INIT;
	const unsigned ops[] = { 3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf };

	(void)state;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		sbuf_reset(&s);
		frame(&s, 1, ops[i], "", 0);
		expect_error(&s, 1024, 1002);
	}
	sbuf_free(&s);
}

/* ---- control frames ---------------------------------------------------- */

static void test_control_rules(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct rec r = { 0 };
	uint8_t p[200];

	(void)state;
	memset(p, 'z', sizeof(p));
	const unsigned ops[] = { WS_OP_PING, WS_OP_PONG, WS_OP_CLOSE };
	for (int i = 0; i < 3; i++) {
		sbuf_reset(&s);			/* 126 bytes: too long */
		frame(&s, 1, ops[i], p, 126);
		expect_error(&s, 1024, 1002);
		sbuf_reset(&s);			/* 64-bit length on a control frame */
		frame_ex(&s, F_FIN | F_LEN64, 0, ops[i], p, 200);
		expect_error(&s, 1024, 1002);
		sbuf_reset(&s);			/* fragmented control frame */
		frame(&s, 0, ops[i], "", 0);
		expect_error(&s, 1024, 1002);
	}
	/* 125 is fine, and ping/pong deliver their payload */
	sbuf_reset(&s);
	frame(&s, 1, WS_OP_PING, p, 125);
	frame_str(&s, 1, WS_OP_PONG, "beat");
	frame(&s, 1, WS_OP_PING, NULL, 0);
	assert_int_equal(decode(&r, 1024, &s), 0);
	assert_int_equal(r.n, 3);
	assert_event(&r, 0, WS_EV_PING, 0, p, 125);
	assert_event(&r, 1, WS_EV_PONG, 0, "beat", 4);
	assert_event(&r, 2, WS_EV_PING, 0, "", 0);
	rec_clear(&r);
	sbuf_free(&s);
}

static void test_fragmented_with_interleaved_control(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct rec r = { 0 };

	(void)state;
	frame_str(&s, 0, WS_OP_TEXT, "Hel");
	frame_str(&s, 1, WS_OP_PING, "p1");
	frame_str(&s, 0, WS_OP_CONT, "lo ");
	frame_str(&s, 1, WS_OP_PONG, "p2");
	frame(&s, 0, WS_OP_CONT, NULL, 0);
	frame_str(&s, 1, WS_OP_CONT, "world");
	frame_str(&s, 0, WS_OP_BINARY, "ab");
	frame_str(&s, 1, WS_OP_CONT, "cd");
	assert_int_equal(decode(&r, 1024, &s), 0);
	assert_int_equal(r.n, 4);
	assert_event(&r, 0, WS_EV_PING, 0, "p1", 2);
	assert_event(&r, 1, WS_EV_PONG, 0, "p2", 2);
	assert_event(&r, 2, WS_EV_TEXT, 0, "Hello world", 11);
	assert_event(&r, 3, WS_EV_BINARY, 0, "abcd", 4);
	rec_clear(&r);
	assert_int_equal(decode_bytewise(&r, 1024, &s), 0);
	assert_int_equal(r.n, 4);
	assert_event(&r, 2, WS_EV_TEXT, 0, "Hello world", 11);
	rec_clear(&r);
	sbuf_free(&s);
}

static void test_fragmentation_errors(void **state)
{
	struct sbuf s = SBUF_INIT;

	(void)state;
	frame_str(&s, 1, WS_OP_CONT, "x");		/* nothing to continue */
	expect_error(&s, 1024, 1002);

	sbuf_reset(&s);
	frame_str(&s, 1, WS_OP_TEXT, "done");		/* finished, then CONT */
	frame_str(&s, 0, WS_OP_CONT, "x");
	struct rec r = { 0 };
	assert_int_equal(decode(&r, 1024, &s), 1002);
	assert_int_equal(r.n, 1);
	rec_clear(&r);

	const unsigned second[] = { WS_OP_TEXT, WS_OP_BINARY };
	for (int i = 0; i < 2; i++) {
		sbuf_reset(&s);				/* new message mid-message */
		frame_str(&s, 0, WS_OP_TEXT, "a");
		frame_str(&s, 1, second[i], "b");
		expect_error(&s, 1024, 1002);
		sbuf_reset(&s);
		frame_str(&s, 0, WS_OP_BINARY, "a");
		frame_str(&s, 0, second[i], "b");
		expect_error(&s, 1024, 1002);
	}
	sbuf_free(&s);
}

/* ---- UTF-8 ------------------------------------------------------------- */

static void test_utf8_split(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct rec r = { 0 };
	/* "€𝄞é": 3-, 4- and 2-byte sequences, each split across frames */
	const uint8_t t[] = { 0xe2, 0x82, 0xac, 0xf0, 0x9d, 0x84, 0x9e, 0xc3, 0xa9 };

	(void)state;
	frame(&s, 0, WS_OP_TEXT, t, 1);
	frame(&s, 0, WS_OP_CONT, t + 1, 4);
	frame_str(&s, 1, WS_OP_PING, "");
	frame(&s, 0, WS_OP_CONT, t + 5, 1);
	frame(&s, 0, WS_OP_CONT, t + 6, 2);
	frame(&s, 1, WS_OP_CONT, t + 8, 1);
	assert_int_equal(decode(&r, 1024, &s), 0);
	assert_int_equal(r.n, 2);
	assert_event(&r, 1, WS_EV_TEXT, 0, t, sizeof(t));
	rec_clear(&r);
	assert_int_equal(decode_bytewise(&r, 1024, &s), 0);
	assert_int_equal(r.n, 2);
	assert_event(&r, 1, WS_EV_TEXT, 0, t, sizeof(t));
	rec_clear(&r);
	/* one frame, fed byte by byte */
	sbuf_reset(&s);
	frame(&s, 1, WS_OP_TEXT, t, sizeof(t));
	assert_int_equal(decode_bytewise(&r, 1024, &s), 0);
	assert_int_equal(r.n, 1);
	assert_event(&r, 0, WS_EV_TEXT, 0, t, sizeof(t));
	rec_clear(&r);
	sbuf_free(&s);
}

static void test_utf8_invalid(void **state)
{
	struct sbuf s = SBUF_INIT;
	const char *bad[] = {
		"\xff", "\xc0\xaf", "\xed\xa0\x80" /* surrogate */, "\xf4\x90\x80\x80",
		"ok\x80", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sbuf_reset(&s);
		frame_str(&s, 1, WS_OP_TEXT, bad[i]);
		expect_error(&s, 1024, 1007);
	}
	/* truncated sequence at FIN */
	sbuf_reset(&s);
	frame_str(&s, 1, WS_OP_TEXT, "abc\xe2\x82");
	expect_error(&s, 1024, 1007);
	sbuf_reset(&s);
	frame_str(&s, 0, WS_OP_TEXT, "abc\xe2\x82");
	frame(&s, 1, WS_OP_CONT, NULL, 0);
	expect_error(&s, 1024, 1007);
	/* invalid continuation in the next fragment */
	sbuf_reset(&s);
	frame_str(&s, 0, WS_OP_TEXT, "\xe2");
	frame_str(&s, 0, WS_OP_CONT, "A");
	expect_error(&s, 1024, 1007);
	/* an ASCII run while a sequence is open is still an error */
	sbuf_reset(&s);
	frame_str(&s, 0, WS_OP_TEXT, "\xe2");
	frame_str(&s, 1, WS_OP_CONT, "xxxxxxxxxxxxxxxx\x82\xac");
	expect_error(&s, 1024, 1007);
	/* binary messages are not validated */
	sbuf_reset(&s);
	frame_str(&s, 1, WS_OP_BINARY, "\xff\xfe");
	struct rec r = { 0 };
	assert_int_equal(decode(&r, 1024, &s), 0);
	assert_event(&r, 0, WS_EV_BINARY, 0, "\xff\xfe", 2);
	rec_clear(&r);
	sbuf_free(&s);
}

static void test_utf8_fails_fast(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct ws_decoder d;
	struct rec r = { 0 };
	uint8_t p[1000];

	(void)state;
	memset(p, 'a', sizeof(p));
	p[10] = 0xff;
	frame(&s, 1, WS_OP_TEXT, p, sizeof(p));
	ws_decoder_init(&d, 4096);
	/* header (8 bytes) plus 11 payload bytes: the bad byte is in, the rest is not */
	assert_int_equal(ws_decoder_feed(&d, s.data, 8 + 11, on_event, &r), 1007);
	assert_int_equal(r.n, 0);
	assert_null(d.msg);
	/* sticky */
	assert_int_equal(ws_decoder_feed(&d, s.data + 19, s.len - 19, on_event, &r), 1007);
	assert_int_equal(r.n, 0);
	ws_decoder_free(&d);

	/* in a continuation, fed byte by byte: fails at the bad byte */
	sbuf_reset(&s);
	frame_str(&s, 0, WS_OP_TEXT, "abc");
	size_t start = s.len;
	frame(&s, 1, WS_OP_CONT, p, sizeof(p));
	ws_decoder_init(&d, 4096);
	int rc = 0;
	size_t i;
	for (i = 0; i < s.len && rc == 0; i++)
		rc = ws_decoder_feed(&d, s.data + i, 1, on_event, &r);
	assert_int_equal(rc, 1007);
	assert_int_equal(i, start + 8 + 11);
	ws_decoder_free(&d);
	sbuf_free(&s);
}

/* The ASCII fast path: a bad or good multibyte sequence at every alignment. */
static void test_utf8_every_offset(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct rec r = { 0 };
	uint8_t p[64];

	(void)state;
	for (size_t off = 0; off + 3 <= sizeof(p); off++) {
		memset(p, 'x', sizeof(p));
		memcpy(p + off, "\xe2\x82\xac", 3);
		sbuf_reset(&s);
		frame(&s, 1, WS_OP_TEXT, p, sizeof(p));
		assert_int_equal(decode(&r, 1024, &s), 0);
		assert_event(&r, 0, WS_EV_TEXT, 0, p, sizeof(p));
		rec_clear(&r);
		p[off + 2] = 'x';			/* truncated sequence */
		sbuf_reset(&s);
		frame(&s, 1, WS_OP_TEXT, p, sizeof(p));
		expect_error(&s, 1024, 1007);
		memset(p, 'x', sizeof(p));
		p[off] = 0x80;				/* stray continuation byte */
		sbuf_reset(&s);
		frame(&s, 1, WS_OP_TEXT, p, sizeof(p));
		expect_error(&s, 1024, 1007);
		sbuf_reset(&s);				/* ... in a large frame */
		uint8_t big[600];
		memset(big, 'y', sizeof(big));
		big[300 + off] = 0xc0;
		frame(&s, 1, WS_OP_TEXT, big, sizeof(big));
		expect_error(&s, 1024, 1007);
	}
	sbuf_free(&s);
}

/* ---- size limit -------------------------------------------------------- */

static void test_max_message(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct rec r = { 0 };
	struct ws_decoder d;
	uint8_t p[1001];

	(void)state;
	memset(p, 'm', sizeof(p));
	/* exactly the limit is fine, over it is not */
	frame(&s, 1, WS_OP_TEXT, p, 1000);
	assert_int_equal(decode(&r, 1000, &s), 0);
	assert_event(&r, 0, WS_EV_TEXT, 0, p, 1000);
	rec_clear(&r);
	sbuf_reset(&s);
	frame(&s, 1, WS_OP_BINARY, p, 1001);
	expect_error(&s, 1000, 1009);

	/* detected from the length alone: 2 + 2 bytes, before key and payload */
	ws_decoder_init(&d, 1000);
	assert_int_equal(ws_decoder_feed(&d, s.data, 3, on_event, &r), 0);
	assert_int_equal(ws_decoder_feed(&d, s.data + 3, 1, on_event, &r), 1009);
	assert_null(d.msg);
	ws_decoder_free(&d);
	/* a huge announced length, header only */
	sbuf_reset(&s);
	const uint8_t huge[] = { 0x81, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4 };
	sbuf_append(&s, huge, sizeof(huge));
	expect_error(&s, 1000, 1009);

	/* counted across fragments, control frames excluded */
	sbuf_reset(&s);
	frame(&s, 0, WS_OP_TEXT, p, 600);
	frame(&s, 1, WS_OP_PING, p, 100);
	frame(&s, 1, WS_OP_CONT, p, 400);
	assert_int_equal(decode(&r, 1000, &s), 0);
	assert_int_equal(r.n, 2);
	assert_event(&r, 1, WS_EV_TEXT, 0, p, 1000);
	rec_clear(&r);
	sbuf_reset(&s);
	frame(&s, 0, WS_OP_TEXT, p, 600);
	size_t second = s.len;
	frame(&s, 1, WS_OP_CONT, p, 401);
	ws_decoder_init(&d, 1000);
	assert_int_equal(ws_decoder_feed(&d, s.data, second + 3, on_event, &r), 0);
	assert_int_equal(ws_decoder_feed(&d, s.data + second + 3, 1, on_event, &r), 1009);
	assert_int_equal(r.n, 0);
	ws_decoder_free(&d);
	sbuf_free(&s);
}

/* ---- close ------------------------------------------------------------- */

static void close_payload(struct sbuf *s, uint16_t code, const char *reason)
{
	uint8_t p[256];
	size_t rl = strlen(reason);

	p[0] = (uint8_t)(code >> 8);
	p[1] = (uint8_t)code;
	memcpy(p + 2, reason, rl);
	frame(s, 1, WS_OP_CLOSE, p, 2 + rl);
}

static void test_close(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct rec r = { 0 };

	(void)state;
	frame(&s, 1, WS_OP_CLOSE, NULL, 0);
	assert_int_equal(decode(&r, 1024, &s), 0);
	assert_int_equal(r.n, 1);
	assert_event(&r, 0, WS_EV_CLOSE, 1005, "", 0);
	rec_clear(&r);

	sbuf_reset(&s);
	close_payload(&s, 1000, "bye \xc3\xa9");
	assert_int_equal(decode(&r, 1024, &s), 0);
	assert_int_equal(r.n, 1);
	assert_event(&r, 0, WS_EV_CLOSE, 1000, "bye \xc3\xa9", 6);
	rec_clear(&r);

	sbuf_reset(&s);
	frame(&s, 1, WS_OP_CLOSE, "\x03", 1);		/* one byte payload */
	expect_error(&s, 1024, 1002);

	sbuf_reset(&s);
	close_payload(&s, 1000, "\xff");		/* reason not UTF-8 */
	expect_error(&s, 1024, 1007);
	sbuf_reset(&s);
	close_payload(&s, 1000, "ab\xe2\x82");		/* truncated reason */
	expect_error(&s, 1024, 1007);

	const uint16_t valid[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
				   1012, 1013, 1014, 3000, 3999, 4000, 4999 };
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		sbuf_reset(&s);
		close_payload(&s, valid[i], "");
		assert_int_equal(decode(&r, 1024, &s), 0);
		assert_event(&r, 0, WS_EV_CLOSE, valid[i], "", 0);
		rec_clear(&r);
		assert_true(ws_close_code_valid(valid[i]));
	}
	const uint16_t invalid[] = { 0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000,
				     2999, 5000, 65535 };
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		sbuf_reset(&s);
		close_payload(&s, invalid[i], "");
		expect_error(&s, 1024, 1002);
		assert_false(ws_close_code_valid(invalid[i]));
	}
	sbuf_free(&s);
}

static void test_close_ends_input(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct rec r = { 0 };
	struct ws_decoder d;

	(void)state;
	frame_str(&s, 0, WS_OP_TEXT, "partial");
	close_payload(&s, 1001, "going");
	frame_str(&s, 1, WS_OP_TEXT, "after");
	frame(&s, 1, 0xf, "", 0);			/* would be an error */
	ws_decoder_init(&d, 1024);
	assert_int_equal(ws_decoder_feed(&d, s.data, s.len, on_event, &r), 0);
	assert_int_equal(r.n, 1);
	assert_event(&r, 0, WS_EV_CLOSE, 1001, "going", 5);
	assert_null(d.msg);				/* partial message dropped */
	assert_int_equal(ws_decoder_feed(&d, s.data, s.len, on_event, &r), 0);
	assert_int_equal(r.n, 1);
	ws_decoder_free(&d);
	rec_clear(&r);
	sbuf_free(&s);
}

/* ---- stop, errors, memory ---------------------------------------------- */

static void test_stop(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct rec r = { 0 };
	struct ws_decoder d;

	(void)state;
	frame_str(&s, 1, WS_OP_TEXT, "one");
	frame_str(&s, 1, WS_OP_PING, "two");
	frame_str(&s, 1, WS_OP_TEXT, "three");
	ws_decoder_init(&d, 1024);
	r.d = &d;
	r.stop_at = 2;
	assert_int_equal(ws_decoder_feed(&d, s.data, s.len, on_event, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(ws_decoder_feed(&d, s.data, s.len, on_event, &r), 0);
	assert_int_equal(r.n, 2);
	ws_decoder_free(&d);
	rec_clear(&r);
	sbuf_free(&s);
}

static void test_events_before_error_stand(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct rec r = { 0 };
	struct ws_decoder d;

	(void)state;
	frame_str(&s, 1, WS_OP_TEXT, "good");
	frame_str(&s, 1, WS_OP_PING, "ping");
	frame_str(&s, 1, 0x3, "bad");
	ws_decoder_init(&d, 1024);
	assert_int_equal(ws_decoder_feed(&d, s.data, s.len, on_event, &r), 1002);
	assert_int_equal(r.n, 2);
	assert_int_equal(ws_decoder_feed(&d, (const uint8_t *)"\x81", 1, on_event, &r), 1002);
	assert_int_equal(r.n, 2);
	ws_decoder_free(&d);
	rec_clear(&r);
	sbuf_free(&s);
}

static void test_memory(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct rec r = { 0 };
	struct ws_decoder d;
	uint8_t p[5000];

	(void)state;
	memset(p, 'q', sizeof(p));
	ws_decoder_init(&d, 100000);
	/* idle after a small whole frame, a large one, and a fragmented one */
	frame_str(&s, 1, WS_OP_TEXT, "small");
	frame(&s, 1, WS_OP_BINARY, p, sizeof(p));
	frame(&s, 0, WS_OP_TEXT, p, 10);
	frame(&s, 1, WS_OP_CONT, p, 10);
	assert_int_equal(ws_decoder_feed(&d, s.data, s.len, on_event, &r), 0);
	assert_int_equal(r.n, 3);
	assert_null(d.msg);
	assert_null(d.ctl);
	rec_clear(&r);

	/* a control frame straddling two feeds borrows ctl, then returns it */
	sbuf_reset(&s);
	frame_str(&s, 1, WS_OP_PING, "straddle");
	assert_int_equal(ws_decoder_feed(&d, s.data, s.len - 3, on_event, &r), 0);
	assert_non_null(d.ctl);
	assert_int_equal(ws_decoder_feed(&d, s.data + s.len - 3, 3, on_event, &r), 0);
	assert_null(d.ctl);
	assert_event(&r, 0, WS_EV_PING, 0, "straddle", 8);
	rec_clear(&r);

	/* partial message and partial control frame at free: no leak */
	sbuf_reset(&s);
	frame(&s, 0, WS_OP_BINARY, p, 3000);
	frame_str(&s, 1, WS_OP_PONG, "half");
	assert_int_equal(ws_decoder_feed(&d, s.data, s.len - 2, on_event, &r), 0);
	assert_non_null(d.msg);
	assert_non_null(d.ctl);
	assert_int_equal(r.n, 0);
	ws_decoder_free(&d);
	assert_null(d.msg);
	assert_null(d.ctl);
	sbuf_free(&s);
}

/* ---- chunking equivalence ---------------------------------------------- */

static void build_mixed_stream(struct sbuf *s, uint8_t *big, size_t bigl)
{
	for (size_t i = 0; i < bigl; i++)
		big[i] = (uint8_t)(i * 7 + 3);
	frame_str(s, 1, WS_OP_TEXT, "caf\xc3\xa9 \xe2\x82\xac");
	frame(s, 0, WS_OP_BINARY, big, 200);
	frame_str(s, 1, WS_OP_PING, "mid");
	frame(s, 0, WS_OP_CONT, big + 200, 1000);
	frame(s, 1, WS_OP_CONT, big + 1200, bigl - 1200);
	frame(s, 1, WS_OP_PONG, NULL, 0);
	frame_str(s, 0, WS_OP_TEXT, "\xf0\x9d");
	frame_str(s, 1, WS_OP_PING, "x");
	frame_str(s, 1, WS_OP_CONT, "\x84\x9e!");
	frame(s, 1, WS_OP_BINARY, big, 126);
	close_payload(s, 1000, "done");
}

static void assert_same_events(const struct rec *a, const struct rec *b)
{
	assert_int_equal(a->n, b->n);
	for (int i = 0; i < a->n; i++)
		assert_event(b, i, a->ev[i].ev, a->ev[i].code, a->ev[i].data, a->ev[i].len);
}

static void test_chunking_equivalence(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct rec whole = { 0 }, bytes = { 0 }, chunks = { 0 };
	uint8_t big[3000];

	(void)state;
	build_mixed_stream(&s, big, sizeof(big));
	assert_int_equal(decode(&whole, 1 << 16, &s), 0);
	assert_int_equal(whole.n, 8);
	assert_event(&whole, 1, WS_EV_PING, 0, "mid", 3);
	assert_event(&whole, 2, WS_EV_BINARY, 0, big, sizeof(big));
	assert_event(&whole, 3, WS_EV_PONG, 0, "", 0);
	assert_event(&whole, 5, WS_EV_TEXT, 0, "\xf0\x9d\x84\x9e!", 5);
	assert_event(&whole, 6, WS_EV_BINARY, 0, big, 126);
	assert_event(&whole, 7, WS_EV_CLOSE, 1000, "done", 4);
	assert_int_equal(decode_bytewise(&bytes, 1 << 16, &s), 0);
	assert_same_events(&whole, &bytes);

	/* pseudo-random chunk sizes 1..37 */
	uint32_t seed = 12345;
	for (int round = 0; round < 20; round++) {
		struct ws_decoder d;
		ws_decoder_init(&d, 1 << 16);
		size_t off = 0;
		while (off < s.len) {
			seed = seed * 1103515245u + 12345u;
			size_t n = 1 + (seed >> 16) % 37;
			if (n > s.len - off)
				n = s.len - off;
			assert_int_equal(ws_decoder_feed(&d, s.data + off, n, on_event, &chunks), 0);
			off += n;
		}
		ws_decoder_free(&d);
		assert_same_events(&whole, &chunks);
		rec_clear(&chunks);
	}
	rec_clear(&whole);
	rec_clear(&bytes);
	sbuf_free(&s);
}

/* ---- encoder ----------------------------------------------------------- */

static void test_frame_header(void **state)
{
	uint8_t h[10];

	(void)state;
	assert_int_equal(ws_frame_header(h, WS_OP_TEXT, 0), 2);
	assert_int_equal(h[0], 0x81);
	assert_int_equal(h[1], 0);
	assert_int_equal(ws_frame_header(h, WS_OP_BINARY, 125), 2);
	assert_int_equal(h[0], 0x82);
	assert_int_equal(h[1], 125);
	assert_int_equal(ws_frame_header(h, WS_OP_TEXT, 126), 4);
	assert_memory_equal(h, "\x81\x7e\x00\x7e", 4);
	assert_int_equal(ws_frame_header(h, WS_OP_TEXT, 65535), 4);
	assert_memory_equal(h, "\x81\x7e\xff\xff", 4);
	assert_int_equal(ws_frame_header(h, WS_OP_BINARY, 65536), 10);
	assert_memory_equal(h, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
	assert_int_equal(ws_frame_header(h, WS_OP_BINARY, 0x0102030405060708ull), 10);
	assert_memory_equal(h, "\x82\x7f\x01\x02\x03\x04\x05\x06\x07\x08", 10);
	assert_int_equal(ws_frame_header(h, WS_OP_PONG, 3), 2);
	assert_memory_equal(h, "\x8a\x03", 2);
}

/* Turn a server frame into the client frame a browser would send: mask it. */
static void mask_server_frame(struct sbuf *out, const struct buf *b)
{
	size_t hl = (b->data[1] & 0x7f) == 126 ? 4 : (b->data[1] & 0x7f) == 127 ? 10 : 2;

	assert_true(b->len >= hl);
	assert_int_equal(b->data[1] & 0x80, 0);		/* server frames unmasked */
	sbuf_append(out, b->data, hl);
	out->data[out->len - hl + 1] |= 0x80;
	sbuf_append(out, key, 4);
	for (size_t i = hl; i < b->len; i++)
		sbuf_putc(out, b->data[i] ^ key[(i - hl) & 3]);
}

static void test_encoder_round_trip(void **state)
{
	const size_t lens[] = { 0, 1, 5, 125, 126, 127, 1000, 65535, 65536, 70001 };
	uint8_t *p = malloc(70001);

	(void)state;
	for (size_t i = 0; i < 70001; i++)
		p[i] = (uint8_t)('A' + i % 50);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		const enum ws_opcode ops[] = { WS_OP_TEXT, WS_OP_BINARY, WS_OP_PING, WS_OP_PONG };
		const enum ws_event evs[] = { WS_EV_TEXT, WS_EV_BINARY, WS_EV_PING, WS_EV_PONG };
		for (int k = 0; k < 4; k++) {
			if (k >= 2 && lens[i] > 125)
				continue;
			struct buf *b = ws_frame(ops[k], p, lens[i]);
			assert_non_null(b);
			assert_int_equal(b->refs, 1);
			uint8_t h[10];
			size_t hl = ws_frame_header(h, ops[k], lens[i]);
			assert_int_equal(b->len, hl + lens[i]);
			assert_memory_equal(b->data, h, hl);
			struct sbuf s = SBUF_INIT;
			mask_server_frame(&s, b);
			struct rec r = { 0 };
			assert_int_equal(decode(&r, 100000, &s), 0);
			assert_int_equal(r.n, 1);
			assert_event(&r, 0, evs[k], 0, p, lens[i]);
			rec_clear(&r);
			sbuf_free(&s);
			buf_unref(b);
		}
	}
	free(p);
}

static void test_close_frame(void **state)
{
	struct sbuf s = SBUF_INIT;
	struct rec r = { 0 };
	char reason[400];

	(void)state;
	struct buf *b = ws_close_frame(1000, NULL);
	assert_int_equal(b->len, 4);
	assert_memory_equal(b->data, "\x88\x02\x03\xe8", 4);
	buf_unref(b);

	b = ws_close_frame(1001, "server shutting down");
	mask_server_frame(&s, b);
	assert_int_equal(decode(&r, 1024, &s), 0);
	assert_event(&r, 0, WS_EV_CLOSE, 1001, "server shutting down", 20);
	rec_clear(&r);
	buf_unref(b);

	/* truncation on a character boundary, for 1-, 2-, 3- and 4-byte characters */
	const char *unit[] = { "a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e" };
	const size_t expect[] = { 123, 122, 123, 120 };
	for (int u = 0; u < 4; u++) {
		size_t ul = strlen(unit[u]);
		reason[0] = 0;
		for (size_t n = 0; n + ul < sizeof(reason); n += ul)
			strcat(reason, unit[u]);
		b = ws_close_frame(4000, reason);
		assert_true(b->len <= 2 + 125);
		assert_int_equal(b->len, 2 + 2 + expect[u]);
		assert_true(utf8_valid(b->data + 4, b->len - 4));
		sbuf_reset(&s);
		mask_server_frame(&s, b);
		assert_int_equal(decode(&r, 1024, &s), 0);
		assert_event(&r, 0, WS_EV_CLOSE, 4000, reason, expect[u]);
		rec_clear(&r);
		buf_unref(b);
	}
	/* exactly 123 bytes is kept whole */
	memset(reason, 'r', 123);
	reason[123] = 0;
	b = ws_close_frame(1000, reason);
	assert_int_equal(b->len, 2 + 125);
	buf_unref(b);
	sbuf_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_struct_small),
		cmocka_unit_test(test_text_and_binary),
		cmocka_unit_test(test_lengths_16_64),
		cmocka_unit_test(test_len64_msb),
		cmocka_unit_test(test_unmasked),
		cmocka_unit_test(test_rsv_bits),
		cmocka_unit_test(test_reserved_opcodes),
		cmocka_unit_test(test_control_rules),
		cmocka_unit_test(test_fragmented_with_interleaved_control),
		cmocka_unit_test(test_fragmentation_errors),
		cmocka_unit_test(test_utf8_split),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_utf8_fails_fast),
		cmocka_unit_test(test_utf8_every_offset),
		cmocka_unit_test(test_max_message),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_close_ends_input),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_events_before_error_stand),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_chunking_equivalence),
		cmocka_unit_test(test_frame_header),
		cmocka_unit_test(test_encoder_round_trip),
		cmocka_unit_test(test_close_frame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
