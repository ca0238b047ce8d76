/* libFuzzer harness for the telnet transport's input path (src/telnet/proto.c, over
 * libtelnet) and its output framing (src/telnet/frame.c).
 *
 * Input: byte 0 seeds the chunking (0: one byte at a time), byte 1 picks where the
 * stream is cut in two; the rest is the client byte stream.  The first part is fed
 * during negotiation, then negotiation time runs out (the question is asked or the
 * session starts), then the second part is fed, then the question times out.
 *
 * Checks: input and resizes only after one start, sizes in 1..1000, CP437 input
 * arrives as valid UTF-8, the terminal type is short printable ASCII, chunked
 * feeding sends the same wire bytes and makes the same decisions as whole feeding
 * (input may differ only by the line ends swallowed after the charset answer), and
 * both framings escape every IAC and bare CR and unescape to what went in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "telnet/frame.h"
#include "telnet/proto.h"
#include "util/sbuf.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Not assert: these checks have side effects and must survive NDEBUG. */
#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

struct run {
	struct sbuf sent;
	struct sbuf input;     /* without CR, LF, NUL */
	int starts, resizes;
	enum charset cs;
	unsigned cols, rows;
};

static void r_send(void *ud, const uint8_t *d, size_t n)
{
	struct run *r = ud;
	sbuf_append(&r->sent, d, n);
}

static void r_start(void *ud, enum charset cs)
{
	struct run *r = ud;
	CHECK(r->starts == 0);
	CHECK(cs == CHARSET_UTF8 || cs == CHARSET_CP437);
	r->starts++;
	r->cs = cs;
}

static void r_input(void *ud, const uint8_t *d, size_t n)
{
	struct run *r = ud;
	CHECK(r->starts == 1);
	CHECK(n > 0);
	if (r->cs == CHARSET_CP437)
		CHECK(utf8_valid(d, n));
	for (size_t i = 0; i < n; i++) {
		if (d[i] != '\r' && d[i] != '\n' && d[i] != '\0')
			sbuf_putc(&r->input, d[i]);
	}
}

static void r_resize(void *ud, unsigned cols, unsigned rows)
{
	struct run *r = ud;
	CHECK(r->starts == 1);
	CHECK(cols >= 1 && cols <= 1000 && rows >= 1 && rows <= 1000);
	r->resizes++;
	r->cols = cols;
	r->rows = rows;
}

static const struct telnet_proto_cbs cbs = {
	.send = r_send, .start = r_start, .input = r_input, .resize = r_resize,
};

static void feed(struct telnet_proto *p, const uint8_t *d, size_t n, uint64_t now,
                 uint32_t *seed, unsigned max_chunk)
{
	while (n > 0) {
		size_t k = n;
		if (max_chunk != 256) {
			*seed = *seed * 1103515245u + 12345u;
			k = max_chunk == 0 ? 1 : 1 + (*seed >> 8) % max_chunk;
			if (k > n)
				k = n;
		}
		telnet_proto_feed(p, d, k, now);
		d += k;
		n -= k;
	}
}

static void run(struct run *r, const uint8_t *d, size_t n, size_t cut, unsigned max_chunk,
                uint32_t seed)
{
	memset(r, 0, sizeof(*r));
	struct telnet_proto *p = telnet_proto_new(&cbs, r, 0, 500, 10000);
	CHECK(p != NULL);
	feed(p, d, cut, 1, &seed, max_chunk);
	telnet_proto_tick(p, 500);
	/* Started, or asked: during the first part, or now. */
	CHECK(telnet_proto_started(p) || telnet_proto_deadline(p) == 1 + 10000 ||
	      telnet_proto_deadline(p) == 500 + 10000);
	feed(p, d + cut, n - cut, 600, &seed, max_chunk);
	telnet_proto_tick(p, 20000);
	CHECK(telnet_proto_started(p));
	CHECK(r->starts == 1);
	CHECK(telnet_proto_deadline(p) == 0);
	const char *tt = telnet_proto_ttype(p);
	size_t len = strlen(tt);
	CHECK(len <= TELNET_TTYPE_LEN);
	for (size_t i = 0; i < len; i++)
		CHECK(tt[i] >= 0x20 && tt[i] <= 0x7e);
	telnet_proto_nop(p);
	telnet_proto_free(p);
}

static void check_frame(struct buf *b, const uint8_t *in, size_t n)
{
	CHECK(b != NULL);
	size_t j = 0;
	for (size_t i = 0; i < b->len; i++) {
		uint8_t c = b->data[i];
		if (in != NULL) {
			CHECK(j < n && in[j] == c);
			j++;
		}
		if (c == 0xff) {
			CHECK(i + 1 < b->len && b->data[i + 1] == 0xff);
			i++;
		} else if (c == '\r') {
			CHECK(i + 1 < b->len && (b->data[i + 1] == '\n' || b->data[i + 1] == '\0'));
			if (b->data[i + 1] == '\0')
				i++;
		}
	}
	if (in != NULL)
		CHECK(j == n);
	buf_unref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned chunk = data[0];
	size_t rest = size - 2;
	size_t cut = rest == 0 ? 0 : (size_t)data[1] * rest / 255;
	const uint8_t *d = data + 2;

	struct run whole, parts;
	run(&whole, d, rest, cut, 256, 0);
	run(&parts, d, rest, cut, chunk, chunk * 2654435761u);
	CHECK(whole.sent.len == parts.sent.len);
	CHECK(whole.sent.len == 0 || memcmp(whole.sent.data, parts.sent.data, whole.sent.len) == 0);
	CHECK(whole.cs == parts.cs);
	CHECK(whole.resizes == parts.resizes);
	CHECK(whole.cols == parts.cols && whole.rows == parts.rows);
	CHECK(whole.input.len == parts.input.len);
	CHECK(whole.input.len == 0 || memcmp(whole.input.data, parts.input.data, whole.input.len) == 0);
	sbuf_free(&whole.sent);
	sbuf_free(&whole.input);
	sbuf_free(&parts.sent);
	sbuf_free(&parts.input);

	check_frame(telnet_frame_utf8(d, rest), d, rest);
	check_frame(telnet_frame_cp437(d, rest), NULL, 0);
	return 0;
}
