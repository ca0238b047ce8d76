/* libFuzzer harness for the TLS session (src/net/tls.c): OpenSSL's server side
 * behind our BIO over memory, driven by whatever a client might send.
 *
 * Input: byte 0 is the largest chunk the rest is fed in (0: all at once); byte 1
 * picks what comes first: even, the bytes go straight to a fresh session (a
 * ClientHello or garbage); odd, an in-memory OpenSSL client completes a real
 * handshake first, then the bytes arrive as if they were its records.
 *
 * Checks: a failed session stays failed and writes no more; nothing is decrypted
 * before the handshake has finished; what the session writes in answer to one
 * feed is bounded (no amplification past a handshake flight); plaintext written
 * after the handshake makes wire bytes and the close_notify goes once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "net/tls.h"
#include "../tests/unit/tlscert.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static struct tls_context *ctx;
static SSL_CTX *client_ctx;

struct run {
	struct tls_session *s;
	size_t wire;             /* bytes written by the session in the current feed */
	size_t plain;
	BIO *to_client;          /* mode 1: where the session's bytes go */
};

static bool io_plain(void *ud, const uint8_t *data, size_t len)
{
	struct run *r = ud;
	(void)data;
	CHECK(tls_session_ready(r->s));
	r->plain += len;
	return true;
}

static void io_wire(void *ud, const uint8_t *data, size_t len)
{
	struct run *r = ud;
	r->wire += len;
	if (r->to_client != NULL)
		BIO_write(r->to_client, data, (int)len);
}

static const struct tls_session_io io = { .plain = io_plain, .wire = io_wire };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char dir[] = "/tmp/carrier-fuzz-tls-XXXXXX";
	char cert[64], key[64], err[256], warn[256];
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(cert, sizeof(cert), "%s/c.pem", dir);
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	tlscert_make(cert, key);
	ctx = tls_context_new(cert, key, err, sizeof(err), warn, sizeof(warn));
	if (ctx == NULL)
		abort();
	unlink(cert);
	unlink(key);
	rmdir(dir);
	client_ctx = SSL_CTX_new(TLS_client_method());
	return 0;
}

/* A real handshake with an in-memory client; false if it did not finish. */
static bool handshake(struct run *r, SSL **client)
{
	BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(in, -1);
	*client = SSL_new(client_ctx);
	SSL_set_bio(*client, in, out);
	SSL_set_connect_state(*client);
	r->to_client = in;
	for (int i = 0; i < 8; i++) {
		int rc = SSL_do_handshake(*client);
		char *p;
		long n = BIO_get_mem_data(out, &p);
		if (n > 0) {
			uint8_t *copy = malloc((size_t)n);
			memcpy(copy, p, (size_t)n);
			(void)BIO_reset(out);
			enum tls_status st = tls_session_feed(r->s, copy, (size_t)n);
			free(copy);
			if (st != TLS_OK)
				return false;
		}
		if (rc == 1 && tls_session_ready(r->s))
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t max = data[0];
	bool after_handshake = data[1] & 1;
	data += 2;
	size -= 2;

	struct run r = { 0 };
	SSL *client = NULL;
	r.s = tls_session_new(ctx, &io, &r);
	CHECK(r.s != NULL);
	if (after_handshake && !handshake(&r, &client))
		goto out;

	bool failed = false, closed = false;
	for (size_t off = 0; off < size;) {
		size_t n = max == 0 || size - off < max ? size - off : max;
		r.wire = 0;
		enum tls_status st = tls_session_feed(r.s, data + off, n);
		off += n;
		CHECK(st == TLS_OK || st == TLS_CLOSED || st == TLS_ERROR);
		/* A handshake flight (certificate included) or an alert, never more. */
		CHECK(r.wire <= 8192);
		if (st == TLS_ERROR) {
			failed = true;
			CHECK(tls_session_error(r.s) != NULL);
			r.wire = 0;
			CHECK(tls_session_feed(r.s, data, size) == TLS_ERROR);   /* sticky */
			CHECK(r.wire == 0);
			CHECK(tls_session_write(r.s, (const uint8_t *)"x", 1) == TLS_ERROR);
			break;
		}
		if (st == TLS_CLOSED) {
			closed = true;
			break;
		}
	}
	if (!failed && !closed && tls_session_ready(r.s)) {
		r.wire = 0;
		CHECK(tls_session_write(r.s, (const uint8_t *)"hello", 5) == TLS_OK);
		CHECK(r.wire > 5);
		tls_session_shutdown(r.s);
		size_t after = r.wire;
		tls_session_shutdown(r.s);
		CHECK(r.wire == after);
	}
out:
	tls_session_free(r.s);
	SSL_free(client);
	return 0;
}
