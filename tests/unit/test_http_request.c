/* The HTTP request reader: chunking, pipelining, every limit and status; and the
 * response builder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/request.h"
#include "http/response.h"
#include "util/sbuf.h"

/* Feed a whole string at once; returns the feed result, *consumed. */
static int feed_all(struct http_reader *r, const char *s, size_t *consumed)
{
	return http_reader_feed(r, (const uint8_t *)s, strlen(s), consumed);
}

static int status_of(const char *s)
{
	struct http_reader *r = http_reader_new();
	size_t used = 0;
	int rc = feed_all(r, s, &used);
	http_reader_free(r);
	return rc;
}

static void test_simple_get(void **state)
{
	(void)state;
	struct http_reader *r = http_reader_new();
	const char *req = "GET /app.js?v=3&x=y#frag HTTP/1.1\r\n"
			  "Host: example.com:8080\r\n"
			  "User-Agent: test\r\n"
			  "Origin: http://example.com:8080\r\n"
			  "If-None-Match: \"abc\"  \r\n"
			  "\r\n";
	size_t used = 99;

	assert_null(http_reader_request(r));
	assert_int_equal(feed_all(r, req, &used), HTTP_DONE);
	assert_int_equal(used, strlen(req));
	const struct http_request *q = http_reader_request(r);
	assert_non_null(q);
	assert_int_equal(q->method, HTTP_GET);
	assert_string_equal(q->path, "/app.js");
	assert_string_equal(q->query, "v=3&x=y");
	assert_string_equal(q->host, "example.com:8080");
	assert_string_equal(q->origin, "http://example.com:8080");
	assert_string_equal(q->if_none_match, "\"abc\"");
	assert_null(q->upgrade);
	assert_null(q->connection);
	assert_null(q->ws_key);
	assert_null(q->ws_version);
	assert_int_equal(q->major, 1);
	assert_int_equal(q->minor, 1);
	assert_true(q->keep_alive);
	assert_false(q->upgrade_requested);
	http_reader_free(r);
}

static void test_head_and_http10(void **state)
{
	(void)state;
	struct http_reader *r = http_reader_new();
	size_t used;

	assert_int_equal(feed_all(r, "HEAD / HTTP/1.0\r\n\r\n", &used), HTTP_DONE);
	const struct http_request *q = http_reader_request(r);
	assert_int_equal(q->method, HTTP_HEAD);
	assert_string_equal(q->path, "/");
	assert_null(q->query);
	assert_null(q->host);
	assert_int_equal(q->minor, 0);
	assert_false(q->keep_alive);

	http_reader_reset(r);
	assert_null(http_reader_request(r));
	assert_int_equal(feed_all(r, "GET /x? HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
				  &used), HTTP_DONE);
	q = http_reader_request(r);
	assert_true(q->keep_alive);
	assert_string_equal(q->path, "/x");
	assert_string_equal(q->query, "");

	http_reader_reset(r);
	assert_int_equal(feed_all(r, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &used),
			 HTTP_DONE);
	assert_false(http_reader_request(r)->keep_alive);
	http_reader_free(r);
}

static const char upgrade_req[] =
	"GET /ws HTTP/1.1\r\n"
	"Host: server.example.com\r\n"
	"upgrade: websocket\r\n"
	"CONNECTION: keep-alive\r\n"
	"Connection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	"Sec-WebSocket-Version: 13\r\n"
	"\r\n";

/* Every split of the request into single bytes gives the same result. */
static void test_byte_by_byte(void **state)
{
	(void)state;
	struct http_reader *r = http_reader_new();
	size_t n = strlen(upgrade_req);

	for (size_t i = 0; i < n; i++) {
		size_t used = 99;
		int rc = http_reader_feed(r, (const uint8_t *)upgrade_req + i, 1, &used);
		assert_int_equal(used, 1);
		assert_int_equal(rc, i + 1 == n ? HTTP_DONE : HTTP_MORE);
	}
	const struct http_request *q = http_reader_request(r);
	assert_string_equal(q->path, "/ws");
	assert_string_equal(q->host, "server.example.com");
	assert_string_equal(q->upgrade, "websocket");
	assert_string_equal(q->connection, "keep-alive, Upgrade");
	assert_string_equal(q->ws_key, "dGhlIHNhbXBsZSBub25jZQ==");
	assert_string_equal(q->ws_version, "13");
	assert_true(q->upgrade_requested);
	http_reader_free(r);
}

/* Every two-piece split, and the bytes after an upgrade are left unconsumed. */
static void test_every_split_and_trailing_frame(void **state)
{
	(void)state;
	struct sbuf s = SBUF_INIT;
	size_t head = strlen(upgrade_req);

	sbuf_puts(&s, upgrade_req);
	sbuf_append(&s, "\x81\x85\x37\xfa\x21\x3d", 6);   /* a WebSocket frame */
	for (size_t cut = 0; cut <= s.len; cut++) {
		struct http_reader *r = http_reader_new();
		size_t used = 0;
		int rc = http_reader_feed(r, s.data, cut, &used);
		if (cut < head) {
			assert_int_equal(rc, HTTP_MORE);
			assert_int_equal(used, cut);
			rc = http_reader_feed(r, s.data + cut, s.len - cut, &used);
			assert_int_equal(rc, HTTP_DONE);
			assert_int_equal(cut + used, head);
		} else {
			assert_int_equal(rc, HTTP_DONE);
			assert_int_equal(used, head);
		}
		assert_string_equal(http_reader_request(r)->ws_key, "dGhlIHNhbXBsZSBub25jZQ==");
		http_reader_free(r);
	}
	sbuf_free(&s);
}

static void test_pipelined(void **state)
{
	(void)state;
	const char *in = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
			 "HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n"
			 "\r\nGET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
			 "GET /d";
	const char *want[] = { "/a", "/b", "/c" };
	struct http_reader *r = http_reader_new();
	const uint8_t *p = (const uint8_t *)in;
	size_t left = strlen(in);

	for (int i = 0; i < 3; i++) {
		size_t used;
		assert_int_equal(http_reader_feed(r, p, left, &used), HTTP_DONE);
		assert_true(used <= left);
		const struct http_request *q = http_reader_request(r);
		assert_string_equal(q->path, want[i]);
		assert_int_equal(q->method, i == 1 ? HTTP_HEAD : HTTP_GET);
		assert_int_equal(q->keep_alive, i != 2);
		p += used;
		left -= used;
		http_reader_reset(r);
	}
	size_t used;
	assert_int_equal(left, 6);
	assert_int_equal(http_reader_feed(r, p, left, &used), HTTP_MORE);
	assert_int_equal(used, 6);
	http_reader_free(r);
}

static void test_small_body_discarded(void **state)
{
	(void)state;
	const char *in = "GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /n HTTP/1.1\r\n\r\n";
	struct http_reader *r = http_reader_new();
	size_t used;

	assert_int_equal(feed_all(r, in, &used), HTTP_DONE);
	assert_int_equal(used, strlen(in) - strlen("GET /n HTTP/1.1\r\n\r\n"));
	http_reader_reset(r);
	assert_int_equal(feed_all(r, in + used, &used), HTTP_DONE);
	assert_string_equal(http_reader_request(r)->path, "/n");
	http_reader_free(r);
}

static void test_methods(void **state)
{
	(void)state;
	assert_int_equal(status_of("POST / HTTP/1.1\r\n\r\n"), -405);
	assert_int_equal(status_of("OPTIONS * HTTP/1.1\r\n\r\n"), -405);
	assert_int_equal(status_of("PUT /x HTTP/1.1\r\n\r\n"), -405);
	assert_int_equal(status_of("DELETE /x HTTP/1.1\r\n\r\n"), -405);
	assert_int_equal(status_of("CONNECT h:443 HTTP/1.1\r\n\r\n"), -405);
	assert_int_equal(status_of("BREW /pot HTTP/1.1\r\n\r\n"), -405);
	assert_int_equal(status_of("M-SEARCH * HTTP/1.1\r\n\r\n"), -405);
	assert_int_equal(status_of("MKCALENDAR / HTTP/1.1\r\n\r\n"), -405);
	assert_int_equal(status_of("\r\nPOST / HTTP/1.1\r\n\r\n"), -405);
	assert_int_equal(status_of("GETS / HTTP/1.1\r\n\r\n"), -405);
	assert_int_equal(status_of("get / HTTP/1.1\r\n\r\n"), -400);
	assert_int_equal(status_of(" / HTTP/1.1\r\n\r\n"), -400);
	assert_int_equal(status_of("GE\tT / HTTP/1.1\r\n\r\n"), -400);
	/* the verdict comes before the URL is complete, however the bytes arrive */
	assert_int_equal(status_of("POST http://h:bad|port/"), -405);
	assert_int_equal(status_of("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), -400);
}

static void test_versions(void **state)
{
	(void)state;
	assert_int_equal(status_of("GET / HTTP/2.0\r\n\r\n"), -505);
	assert_int_equal(status_of("GET / HTTP/1.2\r\n\r\n"), -505);
	assert_int_equal(status_of("GET / HTTP/0.9\r\n\r\n"), -505);
	assert_int_equal(status_of("GET / HTTP/1\r\n\r\n"), -400);
	assert_int_equal(status_of("GET / FTP/1.1\r\n\r\n"), -400);
	assert_int_equal(status_of("GET /\r\n\r\n"), -505);     /* HTTP/0.9 */
}

static void test_malformed(void **state)
{
	(void)state;
	assert_int_equal(status_of("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n"), -400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), -400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nX(y): x\r\n\r\n"), -400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nX-Ok_1.2~!#$%&'*+^`|: x\r\n\r\n"),
			 HTTP_DONE);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nX: a\001b\r\n\r\n"), -400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\n: empty\r\n\r\n"), -400);
	assert_int_equal(status_of("GET /a b HTTP/1.1\r\n\r\n"), -400);
	assert_int_equal(status_of("GET a HTTP/1.1\r\n\r\n"), -400);
	assert_int_equal(status_of("GET / HTTP/1.1\nHost: x\n\n"), HTTP_DONE);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), -400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), -400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nOrigin: a\r\nOrigin: b\r\n\r\n"), -400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nSec-WebSocket-Key: a\r\n"
				   "Sec-WebSocket-Key: b\r\n\r\n"), -400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nContent-Length: 1\r\n"
				   "Content-Length: 2\r\n\r\n"), -400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"), -400);
}

static void test_bodies(void **state)
{
	(void)state;
	char req[128];

	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
		 HTTP_BODY_MAX + 1);
	assert_int_equal(status_of(req), -413);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"),
			 -413);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
				   "0\r\n\r\n"), -400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n"
				   "\r\n"), -400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
				   "Content-Length: 3\r\n\r\n"), -400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), HTTP_DONE);
}

static void test_url_limit(void **state)
{
	(void)state;
	struct sbuf s = SBUF_INIT;

	sbuf_puts(&s, "GET /");
	for (int i = 0; i < HTTP_URL_MAX - 1; i++)
		sbuf_putc(&s, 'a');
	sbuf_puts(&s, " HTTP/1.1\r\n\r\n");
	sbuf_putc(&s, 0);
	assert_int_equal(status_of((const char *)s.data), HTTP_DONE);

	sbuf_reset(&s);
	sbuf_puts(&s, "GET /");
	for (int i = 0; i < HTTP_URL_MAX; i++)
		sbuf_putc(&s, 'a');
	sbuf_puts(&s, " HTTP/1.1\r\n\r\n");
	sbuf_putc(&s, 0);
	assert_int_equal(status_of((const char *)s.data), -414);

	/* fed byte by byte, the limit holds too */
	struct http_reader *r = http_reader_new();
	int rc = HTTP_MORE;
	size_t i;
	for (i = 0; i < s.len && rc == HTTP_MORE; i++)
		rc = http_reader_feed(r, s.data + i, 1, NULL);
	assert_int_equal(rc, -414);
	assert_true(i <= (size_t)HTTP_URL_MAX + 6);
	/* the error is sticky */
	assert_int_equal(http_reader_feed(r, (const uint8_t *)"x", 1, NULL), -414);
	http_reader_free(r);

	/* a request line that never ends, made of spaces after the URL */
	sbuf_reset(&s);
	sbuf_puts(&s, "GET /a");
	for (int k = 0; k < HTTP_HEAD_MAX; k++)
		sbuf_putc(&s, ' ');
	sbuf_putc(&s, 0);
	assert_int_equal(status_of((const char *)s.data), -414);
	sbuf_free(&s);
}

static void test_header_limits(void **state)
{
	(void)state;
	struct sbuf s = SBUF_INIT;

	/* HTTP_HEADERS_MAX headers pass, one more fails */
	sbuf_puts(&s, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < HTTP_HEADERS_MAX; i++)
		sbuf_printf(&s, "X-%d: %d\r\n", i, i);
	sbuf_puts(&s, "\r\n");
	sbuf_putc(&s, 0);
	assert_int_equal(status_of((const char *)s.data), HTTP_DONE);
	sbuf_reset(&s);
	sbuf_puts(&s, "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= HTTP_HEADERS_MAX; i++)
		sbuf_printf(&s, "X-%d: %d\r\n", i, i);
	sbuf_puts(&s, "\r\n");
	sbuf_putc(&s, 0);
	assert_int_equal(status_of((const char *)s.data), -431);

	/* total header bytes, even in headers we do not keep */
	sbuf_reset(&s);
	sbuf_puts(&s, "GET / HTTP/1.1\r\nX-Big: ");
	for (int i = 0; i < HTTP_HEAD_MAX; i++)
		sbuf_putc(&s, 'b');
	sbuf_puts(&s, "\r\n\r\n");
	sbuf_putc(&s, 0);
	assert_int_equal(status_of((const char *)s.data), -431);

	/* whitespace is not free either */
	sbuf_reset(&s);
	sbuf_puts(&s, "GET / HTTP/1.1\r\nX:");
	for (int i = 0; i < HTTP_HEAD_MAX; i++)
		sbuf_putc(&s, ' ');
	sbuf_putc(&s, 0);
	assert_int_equal(status_of((const char *)s.data), -431);

	/* a long kept header overflows the reader's store */
	sbuf_reset(&s);
	sbuf_puts(&s, "GET / HTTP/1.1\r\nOrigin: ");
	for (int i = 0; i < 5000; i++)
		sbuf_putc(&s, 'o');
	sbuf_puts(&s, "\r\n\r\n");
	sbuf_putc(&s, 0);
	assert_int_equal(status_of((const char *)s.data), -431);

	/* many repeated list headers */
	sbuf_reset(&s);
	sbuf_puts(&s, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 60; i++)
		sbuf_puts(&s, "Connection: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
	sbuf_puts(&s, "\r\n");
	sbuf_putc(&s, 0);
	assert_int_equal(status_of((const char *)s.data), -431);
	sbuf_free(&s);
}

static void test_absolute_form(void **state)
{
	(void)state;
	struct http_reader *r = http_reader_new();

	assert_int_equal(feed_all(r, "GET http://h:80/p/q?z=1 HTTP/1.1\r\nHost: h\r\n\r\n", NULL),
			 HTTP_DONE);
	assert_string_equal(http_reader_request(r)->path, "/p/q");
	assert_string_equal(http_reader_request(r)->query, "z=1");
	http_reader_reset(r);
	assert_int_equal(feed_all(r, "GET http://h HTTP/1.1\r\n\r\n", NULL), HTTP_DONE);
	assert_string_equal(http_reader_request(r)->path, "/");
	http_reader_free(r);
}

static void test_empty_and_folded_values(void **state)
{
	(void)state;
	struct http_reader *r = http_reader_new();

	assert_int_equal(feed_all(r, "GET / HTTP/1.1\r\nOrigin:\r\nX:\r\n"
				  "Upgrade: a\r\n\tb\r\nHost:   h  \t\r\n\r\n", NULL), HTTP_DONE);
	const struct http_request *q = http_reader_request(r);
	assert_string_equal(q->origin, "");
	assert_string_equal(q->host, "h");
	assert_non_null(strstr(q->upgrade, "b"));
	http_reader_free(r);
}

/* ---- responses ---- */

static char *as_string(struct buf *b)
{
	char *s = malloc(b->len + 1);
	memcpy(s, b->data, b->len);
	s[b->len] = '\0';
	buf_unref(b);
	return s;
}

static void test_response_build(void **state)
{
	(void)state;
	struct http_header extra = { "X-Test", "1" };
	struct http_response resp = {
		.status = 200, .content_type = "text/html; charset=utf-8",
		.cache_control = "no-cache", .etag = "\"1-2\"", .extra = &extra, .n_extra = 1,
		.body = "<p>hi</p>", .body_len = 9, .keep_alive = true, .date = 784111777,
	};
	char *s = as_string(http_response_build(&resp));

	assert_string_equal(s,
		"HTTP/1.1 200 OK\r\n"
		"Server: Carrier\r\n"
		"Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		"Content-Type: text/html; charset=utf-8\r\n"
		"Content-Length: 9\r\n"
		"ETag: \"1-2\"\r\n"
		"Cache-Control: no-cache\r\n"
		"X-Test: 1\r\n"
		"X-Content-Type-Options: nosniff\r\n"
		"Connection: keep-alive\r\n"
		"\r\n"
		"<p>hi</p>");
	free(s);

	resp.head = true;
	resp.keep_alive = false;
	s = as_string(http_response_build(&resp));
	assert_non_null(strstr(s, "Content-Length: 9\r\n"));
	assert_non_null(strstr(s, "Connection: close\r\n"));
	assert_int_equal(strstr(s, "\r\n\r\n")[4], '\0');
	free(s);

	resp.head = false;
	resp.status = 304;
	s = as_string(http_response_build(&resp));
	assert_true(strncmp(s, "HTTP/1.1 304 Not Modified\r\n", 27) == 0);
	assert_null(strstr(s, "Content-Length"));
	assert_int_equal(strstr(s, "\r\n\r\n")[4], '\0');
	free(s);
}

static void test_response_errors(void **state)
{
	(void)state;
	static const int codes[] = { 400, 403, 404, 405, 413, 414, 426, 431, 500, 505 };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char want[64];
		char *s = as_string(http_response_error(codes[i], false, false));
		snprintf(want, sizeof(want), "HTTP/1.1 %d %s\r\n", codes[i],
			 http_status_reason(codes[i]));
		assert_true(strncmp(s, want, strlen(want)) == 0);
		assert_string_not_equal(http_status_reason(codes[i]), "Unknown");
		assert_non_null(strstr(s, "Content-Type: text/plain"));
		assert_non_null(strstr(s, "Connection: close\r\n"));
		const char *body = strstr(s, "\r\n\r\n") + 4;
		char cl[40];
		snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", strlen(body));
		assert_non_null(strstr(s, cl));
		assert_int_equal(atoi(body), codes[i]);
		assert_int_equal(strstr(s, "Allow: GET, HEAD\r\n") != NULL, codes[i] == 405);
		assert_int_equal(strstr(s, "Sec-WebSocket-Version: 13\r\n") != NULL,
				 codes[i] == 426);
		assert_int_equal(strstr(s, "Upgrade: websocket\r\n") != NULL, codes[i] == 426);
		free(s);
	}
	char *s = as_string(http_response_error(404, true, true));
	assert_int_equal(strstr(s, "\r\n\r\n")[4], '\0');
	assert_non_null(strstr(s, "Connection: keep-alive\r\n"));
	free(s);
}

static void test_date(void **state)
{
	(void)state;
	char d[30];

	http_format_date(0, d);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_format_date(1709208000, d);
	assert_string_equal(d, "Thu, 29 Feb 2024 12:00:00 GMT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_get),
		cmocka_unit_test(test_head_and_http10),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_every_split_and_trailing_frame),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_small_body_discarded),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_url_limit),
		cmocka_unit_test(test_header_limits),
		cmocka_unit_test(test_absolute_form),
		cmocka_unit_test(test_empty_and_folded_values),
		cmocka_unit_test(test_response_build),
		cmocka_unit_test(test_response_errors),
		cmocka_unit_test(test_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
