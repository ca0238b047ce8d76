/* TLS without sockets: the context's checks of its files (missing, not PEM, a key
 * that does not match, expired: a warning), and a session stepped by an in-memory
 * OpenSSL client: the handshake (TLS 1.3 preferred, 1.2 allowed, older refused,
 * ALPN http/1.1), data both ways however the bytes are split, one record per
 * write, renegotiation refused, close_notify, garbage, plain HTTP, a record of
 * junk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net/tls.h"
#include "util/sbuf.h"
#include "tlscert.h"

static char dir[] = "/tmp/carrier-tls-XXXXXX";
static char cert[64], key[64], other_key[64], expired[64], garbage[64];

static int group_setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(other_key, sizeof(other_key), "%s/other.pem", dir);
	snprintf(expired, sizeof(expired), "%s/expired.pem", dir);
	snprintf(garbage, sizeof(garbage), "%s/garbage.pem", dir);
	EVP_PKEY *k = tlscert_key(), *k2 = tlscert_key();
	X509 *good = tlscert_self_signed(k, -3600, 86400);
	X509 *old = tlscert_self_signed(k, -86400 * 30, -86400);
	tlscert_write(cert, key, k, good);
	tlscert_write(expired, NULL, k, old);
	X509 *unused = tlscert_self_signed(k2, 0, 60);
	tlscert_write(garbage, other_key, k2, unused);   /* other_key: a key of its own */
	FILE *f = fopen(garbage, "w");
	fputs("this is not a certificate\n", f);
	fclose(f);
	X509_free(good);
	X509_free(old);
	X509_free(unused);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(cert);
	unlink(key);
	unlink(other_key);
	unlink(expired);
	unlink(garbage);
	rmdir(dir);
	return 0;
}

/* ---- the context ---- */

static void test_context_loads_and_describes(void **state)
{
	(void)state;
	char err[256], warn[256], what[256];
	struct tls_context *ctx = tls_context_new(cert, key, err, sizeof(err), warn, sizeof(warn));
	assert_non_null(ctx);
	assert_string_equal(warn, "");
	tls_context_describe(ctx, what, sizeof(what));
	assert_non_null(strstr(what, "CN=localhost"));
	assert_non_null(strstr(what, "expires"));
	tls_context_free(ctx);
}

static void test_context_refuses_bad_files(void **state)
{
	(void)state;
	char err[256], warn[256], want[256];
	char missing[80];
	snprintf(missing, sizeof(missing), "%s/none.pem", dir);

	assert_null(tls_context_new(missing, key, err, sizeof(err), warn, sizeof(warn)));
	snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", missing);
	assert_string_equal(err, want);

	assert_null(tls_context_new(cert, missing, err, sizeof(err), warn, sizeof(warn)));
	snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", missing);
	assert_string_equal(err, want);

	assert_null(tls_context_new(garbage, key, err, sizeof(err), warn, sizeof(warn)));
	snprintf(want, sizeof(want), "%s: not a usable PEM certificate", garbage);
	assert_memory_equal(err, want, strlen(want));

	assert_null(tls_context_new(cert, garbage, err, sizeof(err), warn, sizeof(warn)));
	snprintf(want, sizeof(want), "%s: not a usable PEM private key", garbage);
	assert_memory_equal(err, want, strlen(want));

	assert_null(tls_context_new(cert, other_key, err, sizeof(err), warn, sizeof(warn)));
	snprintf(want, sizeof(want), "%s: does not match the certificate in %s", other_key, cert);
	assert_string_equal(err, want);
	assert_int_equal(ERR_peek_error(), 0);     /* nothing left behind */
}

static void test_expired_certificate_is_a_warning(void **state)
{
	(void)state;
	char err[256], warn[256], want[256];
	struct tls_context *ctx = tls_context_new(expired, key, err, sizeof(err), warn, sizeof(warn));
	assert_non_null(ctx);
	snprintf(want, sizeof(want), "%s: warning: the certificate expired on", expired);
	assert_memory_equal(warn, want, strlen(want));
	tls_context_free(ctx);
}

/* ---- a session and an in-memory client ---- */

struct pair {
	struct tls_context *ctx;
	struct tls_session *server;
	SSL_CTX *cctx;
	SSL *client;
	BIO *c_in, *c_out;          /* the client's: what it reads, what it wrote */
	struct sbuf plain;          /* what the server decrypted */
	int wires;                  /* io->wire calls */
	bool stop;                  /* io->plain returns false */
};

static bool io_plain(void *ud, const uint8_t *data, size_t len)
{
	struct pair *p = ud;
	sbuf_append(&p->plain, data, len);
	return !p->stop;
}

static void io_wire(void *ud, const uint8_t *data, size_t len)
{
	struct pair *p = ud;
	p->wires++;
	BIO_write(p->c_in, data, (int)len);
}

static const struct tls_session_io io = { .plain = io_plain, .wire = io_wire };

static struct pair *pair_new(int min_version, int max_version, const char *alpn, size_t alpn_len)
{
	struct pair *p = calloc(1, sizeof(*p));
	char err[256], warn[256];
	p->ctx = tls_context_new(cert, key, err, sizeof(err), warn, sizeof(warn));
	assert_non_null(p->ctx);
	p->server = tls_session_new(p->ctx, &io, p);
	assert_non_null(p->server);
	p->cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(p->cctx, min_version);
	SSL_CTX_set_max_proto_version(p->cctx, max_version);
	SSL_CTX_set_security_level(p->cctx, 0);
	if (alpn != NULL)
		SSL_CTX_set_alpn_protos(p->cctx, (const unsigned char *)alpn, (unsigned)alpn_len);
	p->client = SSL_new(p->cctx);
	p->c_in = BIO_new(BIO_s_mem());
	p->c_out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(p->c_in, -1);   /* empty: "try again", not EOF */
	SSL_set_bio(p->client, p->c_in, p->c_out);
	SSL_set_connect_state(p->client);
	return p;
}

static void pair_free(struct pair *p)
{
	tls_session_free(p->server);
	tls_context_free(p->ctx);
	SSL_free(p->client);
	SSL_CTX_free(p->cctx);
	sbuf_free(&p->plain);
	free(p);
}

/* Move what the client wrote to the server, step bytes at a time (0: all). */
static enum tls_status to_server(struct pair *p, size_t step)
{
	char *data;
	long n = BIO_get_mem_data(p->c_out, &data);
	enum tls_status st = TLS_OK;
	uint8_t *copy = malloc(n > 0 ? (size_t)n : 1);
	memcpy(copy, data, (size_t)n);
	(void)BIO_reset(p->c_out);
	for (long off = 0; off < n && st == TLS_OK;) {
		size_t len = step && (size_t)(n - off) > step ? step : (size_t)(n - off);
		st = tls_session_feed(p->server, copy + off, len);
		off += (long)len;
	}
	free(copy);
	return st;
}

/* Run the handshake to its end; false if it failed. */
static bool handshake(struct pair *p, size_t step)
{
	for (int i = 0; i < 10; i++) {
		int r = SSL_do_handshake(p->client);
		int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(p->client, r);
		if (to_server(p, step) == TLS_ERROR)
			return false;
		if (r == 1 && tls_session_ready(p->server))
			return true;
		if (r != 1 && e != SSL_ERROR_WANT_READ)
			return false;
	}
	return false;
}

static void test_handshake_tls13_alpn_and_data(void **state)
{
	(void)state;
	struct pair *p = pair_new(TLS1_VERSION, 0, "\x02h2\x08http/1.1", 12);
	assert_true(handshake(p, 0));
	assert_int_equal(SSL_version(p->client), TLS1_3_VERSION);
	const unsigned char *proto;
	unsigned proto_len;
	SSL_get0_alpn_selected(p->client, &proto, &proto_len);
	assert_int_equal(proto_len, 8);
	assert_memory_equal(proto, "http/1.1", 8);
	char what[96];
	tls_session_describe(p->server, what, sizeof(what));
	assert_string_equal(what, "TLSv1.3 TLS_AES_128_GCM_SHA256");

	/* client -> server */
	assert_int_equal(SSL_write(p->client, "GET / HTTP/1.1\r\n\r\n", 18), 18);
	assert_int_equal(to_server(p, 0), TLS_OK);
	assert_int_equal(p->plain.len, 18);
	assert_memory_equal(p->plain.data, "GET / HTTP/1.1\r\n\r\n", 18);

	/* server -> client: one write, one record */
	int before = p->wires;
	uint8_t big[40000];
	memset(big, 'b', sizeof(big));
	assert_int_equal(tls_session_write(p->server, (const uint8_t *)"hello", 5), TLS_OK);
	assert_int_equal(p->wires, before + 1);
	assert_int_equal(tls_session_write(p->server, big, sizeof(big)), TLS_OK);
	uint8_t got[50000];
	size_t n = 0;
	int r;
	while ((r = SSL_read(p->client, got + n, (int)(sizeof(got) - n))) > 0)
		n += (size_t)r;
	assert_int_equal(n, 5 + sizeof(big));
	assert_memory_equal(got, "hello", 5);

	/* the peer's close_notify */
	SSL_shutdown(p->client);
	assert_int_equal(to_server(p, 0), TLS_CLOSED);
	pair_free(p);
}

static void test_byte_by_byte(void **state)
{
	(void)state;
	struct pair *p = pair_new(TLS1_2_VERSION, 0, NULL, 0);
	assert_true(handshake(p, 1));
	for (int i = 0; i < 3; i++)
		assert_int_equal(SSL_write(p->client, "abc", 3), 3);
	assert_int_equal(to_server(p, 1), TLS_OK);
	assert_int_equal(p->plain.len, 9);
	assert_memory_equal(p->plain.data, "abcabcabc", 9);
	pair_free(p);
}

/* The callback may stop reading (the connection closes); what is left of the
 * read is kept, not lost, and comes out at the next feed. */
static void test_stop_keeps_the_rest(void **state)
{
	(void)state;
	struct pair *p = pair_new(TLS1_2_VERSION, 0, NULL, 0);
	assert_true(handshake(p, 0));
	assert_int_equal(SSL_write(p->client, "one", 3), 3);
	assert_int_equal(SSL_write(p->client, "two", 3), 3);
	p->stop = true;
	assert_int_equal(to_server(p, 0), TLS_OK);
	assert_int_equal(p->plain.len, 3);
	p->stop = false;
	assert_int_equal(tls_session_feed(p->server, NULL, 0), TLS_OK);
	assert_int_equal(p->plain.len, 6);
	assert_memory_equal(p->plain.data, "onetwo", 6);
	pair_free(p);
}

static void test_tls12_allowed_older_refused(void **state)
{
	(void)state;
	struct pair *p = pair_new(TLS1_2_VERSION, TLS1_2_VERSION, NULL, 0);
	assert_true(handshake(p, 0));
	assert_int_equal(SSL_version(p->client), TLS1_2_VERSION);
	char what[96];
	tls_session_describe(p->server, what, sizeof(what));
	assert_string_equal(what, "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256");
	/* A TLS 1.2 client asks to renegotiate: refused. */
	assert_int_equal(SSL_renegotiate(p->client), 1);
	SSL_do_handshake(p->client);
	assert_int_equal(to_server(p, 0), TLS_OK);          /* the server says no... */
	assert_int_equal(SSL_do_handshake(p->client), -1);   /* ...and the client hears it */
	assert_int_equal(ERR_GET_REASON(ERR_peek_error()), SSL_R_NO_RENEGOTIATION);
	ERR_clear_error();
	pair_free(p);

	p = pair_new(TLS1_VERSION, TLS1_1_VERSION, NULL, 0);
	assert_false(handshake(p, 0));
	assert_non_null(tls_session_error(p->server));
	pair_free(p);
}

static void test_alpn_without_http11_refused(void **state)
{
	(void)state;
	struct pair *p = pair_new(TLS1_2_VERSION, 0, "\x02h2", 3);
	assert_false(handshake(p, 0));
	assert_non_null(tls_session_error(p->server));
	pair_free(p);
}

static void test_garbage_plain_http_and_junk_records(void **state)
{
	(void)state;
	struct pair *p = pair_new(TLS1_2_VERSION, 0, NULL, 0);
	assert_int_equal(tls_session_feed(p->server, (const uint8_t *)"\x01\x02garbage!", 9), TLS_ERROR);
	assert_non_null(tls_session_error(p->server));
	assert_false(tls_session_plain_http(p->server));
	assert_int_equal(tls_session_feed(p->server, (const uint8_t *)"more", 4), TLS_ERROR);
	pair_free(p);

	p = pair_new(TLS1_2_VERSION, 0, NULL, 0);
	const char *get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_int_equal(tls_session_feed(p->server, (const uint8_t *)get, strlen(get)), TLS_ERROR);
	assert_true(tls_session_plain_http(p->server));
	pair_free(p);

	/* A well-framed handshake record of 16 KB of junk. */
	static uint8_t junk[5 + 16384];
	memset(junk, 0xA5, sizeof(junk));
	memcpy(junk, "\x16\x03\x01\x40\x00", 5);
	p = pair_new(TLS1_2_VERSION, 0, NULL, 0);
	assert_int_equal(tls_session_feed(p->server, junk, sizeof(junk)), TLS_ERROR);
	pair_free(p);

	/* After the handshake, an application record of junk fails to decrypt. */
	p = pair_new(TLS1_2_VERSION, 0, NULL, 0);
	assert_true(handshake(p, 0));
	memcpy(junk, "\x17\x03\x03\x40\x00", 5);
	assert_int_equal(tls_session_feed(p->server, junk, sizeof(junk)), TLS_ERROR);
	assert_int_equal(tls_session_write(p->server, (const uint8_t *)"x", 1), TLS_ERROR);
	pair_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_context_loads_and_describes),
		cmocka_unit_test(test_context_refuses_bad_files),
		cmocka_unit_test(test_expired_certificate_is_a_warning),
		cmocka_unit_test(test_handshake_tls13_alpn_and_data),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_stop_keeps_the_rest),
		cmocka_unit_test(test_tls12_allowed_older_refused),
		cmocka_unit_test(test_alpn_without_http11_refused),
		cmocka_unit_test(test_garbage_plain_http_and_junk_records),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
