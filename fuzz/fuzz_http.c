/* libFuzzer harness for the HTTP request reader, path normalisation and the
 * WebSocket handshake check (src/http/).
 *
 * Input: byte 0 is the largest chunk (0: one byte at a time), byte 1 seeds the
 * chunk sizes, the rest is the client byte stream, fed as pipelined requests.
 *
 * Checks: every result is one we document; DONE never consumes more than it was
 * given and MORE consumes everything; a parsed request holds a GET/HEAD and a path
 * starting with '/'; whatever http_path_normalize accepts stays inside the root
 * (no "..", no dotfile, no leading or doubled '/', no backslash or control byte);
 * a handshake that passes gives a 28-character accept value; the https redirect
 * built from a request's Host echoes nothing but a host name or address (no
 * quote, space, CR, LF or '@' before the path) and makes a 301; and feeding in
 * chunks gives exactly the same requests, handshake results and consumed counts
 * as feeding whole, and fails exactly when it does.  (Which error status it fails
 * with may differ when two faults sit in one header line: http-parser reports
 * data in spans that end where chunks end, so our limit and its syntax check can
 * see the same line in either order.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "http/handshake.h"
#include "http/request.h"
#include "http/response.h"
#include "http/static.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Not assert: these checks have side effects and must survive NDEBUG. */
#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static void mix(uint64_t *h, const void *p, size_t len)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < len; i++)
		*h = (*h ^ b[i]) * 1099511628211ull;
}

static void mix_str(uint64_t *h, const char *s)
{
	if (s == NULL)
		mix(h, "\xff", 1);
	else
		mix(h, s, strlen(s) + 1);
}

static void check_normalized(const char *raw)
{
	char out[256];
	int rc = http_path_normalize(raw, out, sizeof(out));

	CHECK(rc == 0 || rc == 400 || rc == 404 || rc == 414);
	if (rc != 0)
		return;
	size_t n = strlen(out);
	CHECK(n > 0 && n < sizeof(out));
	CHECK(out[0] != '/' && out[n - 1] != '/');
	CHECK(strstr(out, "//") == NULL);
	CHECK(strchr(out, '\\') == NULL);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
	/* no segment is ".", ".." or a dotfile */
	for (const char *seg = out; seg != NULL; seg = strchr(seg, '/')) {
		if (*seg == '/')
			seg++;
		CHECK(*seg != '.');
	}
}

static void check_location(const char *host, const char *path, const char *query)
{
	char loc[HTTP_URL_MAX + 300];
	int rc = http_https_location(host, 8443, path, query, loc, sizeof(loc));
	CHECK(rc == 0 || rc == 400 || rc == 414);
	if (rc != 0)
		return;
	CHECK(strncmp(loc, "https://", 8) == 0);
	const char *end = loc + 8 + strcspn(loc + 8, "/");
	for (const char *p = loc + 8; p < end; p++)
		CHECK(strchr("\"' <>@\\\r\n\t", *p) == NULL && (unsigned char)*p > 0x20 &&
		      (unsigned char)*p < 0x7f);
	CHECK(strpbrk(loc, "\r\n") == NULL);
	struct buf *b = http_response_redirect(loc, false, true);
	CHECK(b != NULL);
	buf_unref(b);
}

static void check_request(const struct http_request *q, uint64_t *h)
{
	static const char *const allowed[] = { "https://bbs.example.org" };
	char accept[WS_ACCEPT_LEN + 1];

	CHECK(q->method == HTTP_GET || q->method == HTTP_HEAD);
	CHECK(q->path != NULL && q->path[0] == '/');
	CHECK(q->major == 1 && q->minor <= 1);
	mix(h, &q->method, sizeof(q->method));
	mix_str(h, q->path);
	mix_str(h, q->query);
	mix_str(h, q->host);
	mix_str(h, q->origin);
	mix_str(h, q->upgrade);
	mix_str(h, q->connection);
	mix_str(h, q->ws_key);
	mix_str(h, q->ws_version);
	mix_str(h, q->if_none_match);
	mix_str(h, q->forwarded_for);
	mix_str(h, q->real_ip);
	mix(h, &q->keep_alive, sizeof(q->keep_alive));

	check_normalized(q->path);
	int rc = ws_handshake_check(q, allowed, 1, accept);
	CHECK(rc == 0 || rc == 400 || rc == 403 || rc == 426);
	if (rc == 0) {
		CHECK(strlen(accept) == WS_ACCEPT_LEN);
		struct buf *b = ws_handshake_response(accept);
		CHECK(b != NULL);
		buf_unref(b);
	}
	mix(h, &rc, sizeof(rc));
	check_location(q->host, q->path, q->query);
}

/* Feed the stream as pipelined requests, in chunks of at most max (0: whole). */
static uint64_t run(const uint8_t *data, size_t size, size_t max, uint8_t seed)
{
	struct http_reader *r = http_reader_new();
	uint64_t h = 14695981039346656037ull;
	size_t off = 0;
	uint32_t rng = seed * 2654435761u + 1;

	while (off < size) {
		size_t n = size - off;
		if (max > 0) {
			rng = rng * 1103515245u + 12345u;
			size_t want = 1 + (rng >> 16) % max;
			if (n > want)
				n = want;
		}
		size_t used = 12345;
		int rc = http_reader_feed(r, data + off, n, &used);
		if (rc == HTTP_MORE) {
			CHECK(used == n);
			off += n;
			continue;
		}
		if (rc < 0) {
			CHECK(rc == -400 || rc == -405 || rc == -413 || rc == -414 ||
			      rc == -431 || rc == -505);
			CHECK(http_reader_request(r) == NULL);
			/* sticky */
			CHECK(http_reader_feed(r, (const uint8_t *)"x", 1, NULL) == rc);
			struct buf *b = http_response_error(-rc, false, false);
			CHECK(b != NULL);
			buf_unref(b);
			mix(&h, "error", 5);
			break;
		}
		CHECK(rc == HTTP_DONE);
		CHECK(used <= n);
		const struct http_request *q = http_reader_request(r);
		CHECK(q != NULL);
		check_request(q, &h);
		mix(&h, "done", 4);
		off += used;
		mix(&h, &off, sizeof(off));
		http_reader_reset(r);
	}
	http_reader_free(r);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t max = data[0];
	uint8_t seed = data[1];
	data += 2;
	size -= 2;

	uint64_t whole = run(data, size, 0, 0);
	uint64_t chunked = run(data, size, max == 0 ? 1 : max, seed);
	CHECK(whole == chunked);

	/* the raw bytes as a path, too */
	char path[512];
	size_t n = size < sizeof(path) - 2 ? size : sizeof(path) - 2;
	path[0] = '/';
	memcpy(path + 1, data, n);
	path[n + 1] = '\0';
	check_normalized(path);
	/* ...and as a Host header */
	check_location(path + 1, "/", NULL);
	return 0;
}
