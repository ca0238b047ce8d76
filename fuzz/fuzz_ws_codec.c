/* libFuzzer harness for the WebSocket decoder (src/ws/codec.c).
 *
 * Input: byte 0 picks max_message (16 << (b % 13)), bytes 1-4 pick the chunking
 * (byte 1 is the largest chunk, 0 meaning one byte at a time; bytes 2-4 seed the
 * chunk sizes), the rest is the client byte stream.
 *
 * Checks: every event obeys the RFC (TEXT is valid UTF-8, data messages fit the
 * limit, control payloads <= 125, close codes valid), the return code is one we
 * document, chunked feeding gives exactly the events and result of whole feeding,
 * no buffers are held after an error or a close, and an encoder frame built from the
 * same bytes decodes back to them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"
#include "ws/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Not assert: these checks have side effects and must survive NDEBUG. */
#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

struct tally {
	uint32_t max;
	size_t n;
	uint64_t hash;
};

static void mix(uint64_t *h, const void *p, size_t len)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < len; i++) {
		*h ^= b[i];
		*h *= 0x100000001b3ull;
	}
}

static void on_event(void *ud, enum ws_event ev, uint16_t code, const uint8_t *p, size_t len)
{
	struct tally *t = ud;

	CHECK(p != NULL);
	switch (ev) {
	case WS_EV_TEXT:
		CHECK(utf8_valid(p, len));
		/* fall through */
	case WS_EV_BINARY:
		CHECK(len <= t->max);
		CHECK(code == 0);
		break;
	case WS_EV_PING:
	case WS_EV_PONG:
		CHECK(len <= WS_CONTROL_MAX);
		CHECK(code == 0);
		break;
	case WS_EV_CLOSE:
		CHECK(len <= WS_REASON_MAX);
		CHECK(utf8_valid(p, len));
		CHECK(ws_close_code_valid(code) || (code == WS_CLOSE_NO_STATUS && len == 0));
		break;
	default:
		CHECK(0);
	}
	t->n++;
	uint32_t head[3] = { (uint32_t)ev, code, (uint32_t)len };
	mix(&t->hash, head, sizeof(head));
	mix(&t->hash, p, len);
	/* touch every byte so ASan sees any out-of-bounds data */
	volatile uint8_t sink = 0;
	for (size_t i = 0; i < len; i++)
		sink ^= p[i];
	(void)sink;
}

static void check_rc(int rc)
{
	CHECK(rc == 0 || rc == WS_CLOSE_PROTOCOL || rc == WS_CLOSE_BAD_DATA ||
	       rc == WS_CLOSE_TOO_BIG);
}

static void round_trip(const uint8_t *p, size_t len)
{
	static const uint8_t key[4] = { 0xa5, 0x01, 0x7e, 0xc3 };
	struct buf *b = ws_frame(WS_OP_BINARY, p, len);
	CHECK(b != NULL);
	size_t hl = b->len - len;
	uint8_t *m = malloc(b->len + 4);
	CHECK(m != NULL);
	memcpy(m, b->data, hl);
	m[1] |= 0x80;
	memcpy(m + hl, key, 4);
	for (size_t i = 0; i < len; i++)
		m[hl + 4 + i] = b->data[hl + i] ^ key[i & 3];

	struct ws_decoder d;
	struct tally t = { .max = (uint32_t)len, .hash = 0xcbf29ce484222325ull };
	struct tally want = t;
	ws_decoder_init(&d, (uint32_t)len);
	CHECK(ws_decoder_feed(&d, m, b->len + 4, on_event, &t) == 0);
	ws_decoder_free(&d);
	on_event(&want, WS_EV_BINARY, 0, p, len);
	CHECK(t.n == 1 && t.hash == want.hash);
	free(m);
	buf_unref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	uint32_t max = 16u << (data[0] % 13);
	unsigned biggest = data[1];
	uint32_t seed = (uint32_t)data[2] << 16 | (uint32_t)data[3] << 8 | data[4];
	const uint8_t *in = data + 5;
	size_t len = size - 5;

	/* whole */
	struct ws_decoder d;
	struct tally whole = { .max = max, .hash = 0xcbf29ce484222325ull };
	ws_decoder_init(&d, max);
	int rc_whole = ws_decoder_feed(&d, in, len, on_event, &whole);
	check_rc(rc_whole);
	if (rc_whole != 0) {
		CHECK(d.msg == NULL && d.ctl == NULL);
		CHECK(ws_decoder_feed(&d, in, len, on_event, &whole) == rc_whole);
	}
	ws_decoder_free(&d);

	/* chunked */
	struct tally chunked = { .max = max, .hash = 0xcbf29ce484222325ull };
	int rc = 0;
	size_t off = 0;
	ws_decoder_init(&d, max);
	while (off < len && rc == 0) {
		size_t n = 1;
		if (biggest > 0) {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 8) % biggest;
		}
		if (n > len - off)
			n = len - off;
		rc = ws_decoder_feed(&d, in + off, n, on_event, &chunked);
		off += n;
	}
	ws_decoder_free(&d);
	CHECK(rc == rc_whole);
	CHECK(chunked.n == whole.n);
	CHECK(chunked.hash == whole.hash);

	round_trip(in, len < 70000 ? len : 70000);
	return 0;
}
