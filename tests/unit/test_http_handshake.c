/* The WebSocket opening handshake: tokens, version, key, origin, accept value. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/handshake.h"
#include "http/request.h"

static const char sample_key[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char sample_accept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/* A valid browser upgrade from http://h.example:8080 to itself. */
static struct http_request good(void)
{
	struct http_request r = {
		.method = HTTP_GET, .path = "/ws", .host = "h.example:8080",
		.origin = "http://h.example:8080", .upgrade = "websocket",
		.connection = "Upgrade", .ws_key = sample_key, .ws_version = "13",
		.major = 1, .minor = 1, .keep_alive = true, .upgrade_requested = true,
	};
	return r;
}

static int check(const struct http_request *r)
{
	char accept[WS_ACCEPT_LEN + 1];
	return ws_handshake_check(r, NULL, 0, accept);
}

static void test_rfc_sample(void **state)
{
	(void)state;
	char accept[WS_ACCEPT_LEN + 1];
	struct http_request r = good();

	assert_true(ws_handshake_accept(sample_key, accept));
	assert_string_equal(accept, sample_accept);
	memset(accept, 'x', sizeof(accept));
	assert_int_equal(ws_handshake_check(&r, NULL, 0, accept), 0);
	assert_string_equal(accept, sample_accept);
}

static void test_response(void **state)
{
	(void)state;
	struct buf *b = ws_handshake_response(sample_accept);
	char *s = malloc(b->len + 1);

	memcpy(s, b->data, b->len);
	s[b->len] = '\0';
	assert_true(strncmp(s, "HTTP/1.1 101 Switching Protocols\r\n", 34) == 0);
	assert_non_null(strstr(s, "\r\nUpgrade: websocket\r\n"));
	assert_non_null(strstr(s, "\r\nConnection: Upgrade\r\n"));
	assert_non_null(strstr(s, "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
	assert_null(strstr(s, "Content-Length"));
	assert_null(strstr(s, "keep-alive"));
	/* ends with the blank line, nothing after */
	assert_string_equal(s + strlen(s) - 4, "\r\n\r\n");
	assert_int_equal(strstr(s, "\r\n\r\n") - s + 4, (long)strlen(s));
	free(s);
	buf_unref(b);
}

static void test_tokens(void **state)
{
	(void)state;
	struct http_request r = good();
	static const char *const upgrades_ok[] = {
		"websocket", "WebSocket", "WEBSOCKET", "h2c, websocket", "websocket ,foo",
		" ,websocket, ",
	};
	static const char *const conns_ok[] = {
		"Upgrade", "upgrade", "keep-alive, Upgrade", "Upgrade,keep-alive",
		"keep-alive ,  UPGRADE  ", "close,upgrade",
	};
	static const char *const upgrades_bad[] = {
		"", "websockets", "web socket", "h2c", "websocket/13x", "xwebsocket",
	};
	static const char *const conns_bad[] = {
		"", "keep-alive", "upgraded", "up grade", "Upgrade-Insecure",
	};

	for (size_t i = 0; i < sizeof(upgrades_ok) / sizeof(*upgrades_ok); i++) {
		for (size_t j = 0; j < sizeof(conns_ok) / sizeof(*conns_ok); j++) {
			r.upgrade = upgrades_ok[i];
			r.connection = conns_ok[j];
			assert_int_equal(check(&r), 0);
		}
	}
	r = good();
	for (size_t i = 0; i < sizeof(upgrades_bad) / sizeof(*upgrades_bad); i++) {
		r.upgrade = upgrades_bad[i];
		assert_int_equal(check(&r), 400);
	}
	r.upgrade = NULL;
	assert_int_equal(check(&r), 400);
	r = good();
	for (size_t i = 0; i < sizeof(conns_bad) / sizeof(*conns_bad); i++) {
		r.connection = conns_bad[i];
		assert_int_equal(check(&r), 400);
	}
	r.connection = NULL;
	assert_int_equal(check(&r), 400);
	assert_true(http_list_has_token("a, b ,\tc", "c"));
	assert_false(http_list_has_token(NULL, "c"));
}

static void test_method_version_host(void **state)
{
	(void)state;
	struct http_request r = good();

	r.method = HTTP_HEAD;
	assert_int_equal(check(&r), 400);
	r = good();
	r.minor = 0;
	assert_int_equal(check(&r), 400);
	r = good();
	r.host = NULL;
	assert_int_equal(check(&r), 400);
	r.host = "";
	assert_int_equal(check(&r), 400);
}

static void test_ws_version(void **state)
{
	(void)state;
	struct http_request r = good();
	static const char *const bad[] = { "8", "12", "14", "13, 8", "", "013", "13x" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		r.ws_version = bad[i];
		assert_int_equal(check(&r), 426);
	}
	r.ws_version = NULL;
	assert_int_equal(check(&r), 426);
}

static void test_key(void **state)
{
	(void)state;
	struct http_request r = good();
	static const char *const bad[] = {
		"",
		"dGhlIHNhbXBsZSBub25jZQ",        /* no padding */
		"dGhlIHNhbXBsZSBub25jZQ=",       /* short padding */
		"dGhlIHNhbXBsZSBub25jZQ===",
		"dGhlIHNhbXBsZSBub25jZSE=",      /* 17 bytes */
		"dGhlIHNhbXBsZSBub25j",          /* 15 bytes */
		"dGhlIHNhbXBsZSBub25jZ*==",      /* not base64 */
		"dGhlIHNhbXBsZ SBub25jZQ==",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		r.ws_key = bad[i];
		assert_int_equal(check(&r), 400);
	}
	r.ws_key = NULL;
	assert_int_equal(check(&r), 400);
	r.ws_key = "AAAAAAAAAAAAAAAAAAAAAA==";
	assert_int_equal(check(&r), 0);
	r.ws_key = "+/+/+/+/+/+/+/+/+/+/+w==";
	assert_int_equal(check(&r), 0);
}

static void test_origin(void **state)
{
	(void)state;
	struct http_request r = good();
	char accept[WS_ACCEPT_LEN + 1];
	const char *const allowed[] = { "https://bbs.example.org", "http://localhost:3000" };

	/* no Origin: a non-browser client */
	r.origin = NULL;
	assert_int_equal(check(&r), 0);

	static const struct { const char *host, *origin; int want; } cases[] = {
		{ "h.example:8080", "http://h.example:8080", 0 },
		{ "h.example:8080", "https://h.example:8080", 0 },
		{ "H.Example:8080", "HTTP://h.EXAMPLE:8080", 0 },
		{ "h.example", "http://h.example", 0 },
		{ "h.example:80", "http://h.example", 0 },
		{ "h.example", "http://h.example:80", 0 },
		{ "h.example", "https://h.example", 0 },
		{ "h.example:443", "https://h.example", 0 },
		{ "[::1]:8080", "http://[::1]:8080", 0 },
		{ "127.0.0.1:8080", "http://127.0.0.1:8080", 0 },
		{ "h.example:8080", "http://h.example:8081", 403 },
		{ "h.example:8080", "http://h.example", 403 },
		{ "h.example", "https://h.example:80", 403 },
		{ "h.example:8080", "http://evil.example:8080", 403 },
		{ "h.example:8080", "http://h.example.evil:8080", 403 },
		{ "h.example:8080", "http://evil.h.example:8080", 403 },
		{ "h.example:8080", "ws://h.example:8080", 403 },
		{ "h.example:8080", "file://h.example:8080", 403 },
		{ "h.example:8080", "null", 403 },
		{ "h.example:8080", "", 403 },
		{ "h.example:8080", "http://", 403 },
		{ "h.example:8080", "http://h.example:8080/", 403 },
		{ "h.example:8080", "http://u@h.example:8080", 403 },
		{ "h.example:8080", "http://h.example:8080:8080", 403 },
		{ "h.example:8080", "h.example:8080", 403 },
		{ "[::1]:8080", "http://[::2]:8080", 403 },
		{ "h.example:x", "http://h.example:x", 403 },
		{ "h.example:0", "http://h.example:0", 403 },
		{ "h.example:99999", "http://h.example:99999", 403 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		r = good();
		r.host = cases[i].host;
		r.origin = cases[i].origin;
		int got = check(&r);
		if (got != cases[i].want)
			fail_msg("Host %s, Origin %s: got %d, want %d", cases[i].host,
				 cases[i].origin, got, cases[i].want);
	}

	/* the allowed list: exact matches only (ASCII case aside) */
	r = good();
	r.origin = "https://bbs.example.org";
	assert_int_equal(check(&r), 403);
	assert_int_equal(ws_handshake_check(&r, allowed, 2, accept), 0);
	r.origin = "HTTPS://BBS.example.org";
	assert_int_equal(ws_handshake_check(&r, allowed, 2, accept), 0);
	r.origin = "http://localhost:3000";
	assert_int_equal(ws_handshake_check(&r, allowed, 2, accept), 0);
	r.origin = "https://bbs.example.org:443";
	assert_int_equal(ws_handshake_check(&r, allowed, 2, accept), 403);
	r.origin = "https://bbs.example.org.evil";
	assert_int_equal(ws_handshake_check(&r, allowed, 2, accept), 403);
	r.origin = "http://localhost:3000";
	assert_int_equal(ws_handshake_check(&r, allowed, 1, accept), 403);
	/* the same origin still passes with a list */
	r = good();
	assert_int_equal(ws_handshake_check(&r, allowed, 2, accept), 0);
}

/* The reader and the handshake together, as the transport uses them. */
static void test_parsed_request(void **state)
{
	(void)state;
	const char *in = "GET /ws HTTP/1.1\r\n"
			 "Host: localhost:8080\r\n"
			 "Connection: keep-alive, Upgrade\r\n"
			 "Upgrade: websocket\r\n"
			 "Origin: http://localhost:8080\r\n"
			 "Sec-WebSocket-Version: 13\r\n"
			 "Sec-WebSocket-Key:   dGhlIHNhbXBsZSBub25jZQ==  \r\n"
			 "\r\n";
	struct http_reader *rd = http_reader_new();
	char accept[WS_ACCEPT_LEN + 1];

	assert_int_equal(http_reader_feed(rd, (const uint8_t *)in, strlen(in), NULL), HTTP_DONE);
	assert_int_equal(ws_handshake_check(http_reader_request(rd), NULL, 0, accept), 0);
	assert_string_equal(accept, sample_accept);
	http_reader_free(rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_sample),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_method_version_host),
		cmocka_unit_test(test_ws_version),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_parsed_request),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
