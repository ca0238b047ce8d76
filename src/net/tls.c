#include "net/tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "util/log.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#define TLS_RECORD_MAX 16384     /* plaintext bytes per record */

/* ---- the context ---- */

struct tls_context {
	SSL_CTX *ctx;
};

/* Forward secrecy and AEAD only (all of TLS 1.3's are). */
static const char tls12_ciphers[] =
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char tls13_suites[] =
	"TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384";

/* The last OpenSSL error of this thread as text, and the queue cleared. */
static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return r ? r : "unknown error";
}

/* ALPN: HTTP/1.1 is all we speak.  A client that offers only other protocols
 * gets the alert RFC 7301 asks for. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	static const unsigned char h11[] = "\x08http/1.1";
	unsigned char *sel = NULL;
	unsigned char sel_len = 0;
	if (SSL_select_next_proto(&sel, &sel_len, h11, sizeof(h11) - 1, in, inlen) ==
	    OPENSSL_NPN_NEGOTIATED) {
		*out = sel;
		*outlen = sel_len;
		return SSL_TLSEXT_ERR_OK;
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static bool readable(const char *path, char *err, size_t err_len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno));
		return false;
	}
	fclose(f);
	return true;
}

static void check_dates(SSL_CTX *ctx, const char *cert_path, char *warn, size_t warn_len)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	if (x == NULL)
		return;
	const ASN1_TIME *after = X509_get0_notAfter(x), *before = X509_get0_notBefore(x);
	const ASN1_TIME *t = NULL;
	const char *what = NULL;
	if (X509_cmp_current_time(after) < 0) {
		t = after;
		what = "the certificate expired on";
	} else if (X509_cmp_current_time(before) > 0) {
		t = before;
		what = "the certificate is not valid before";
	}
	if (t == NULL)
		return;
	char when[64] = "?";
	BIO *b = BIO_new(BIO_s_mem());
	if (b != NULL && ASN1_TIME_print(b, t) == 1) {
		int n = BIO_read(b, when, sizeof(when) - 1);
		when[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
	snprintf(warn, warn_len, "%s: warning: %s %s; serving it anyway", cert_path, what, when);
}

struct tls_context *tls_context_new(const char *cert_path, const char *key_path,
                                    char *err, size_t err_len, char *warn, size_t warn_len)
{
	warn[0] = '\0';
	err[0] = '\0';
	ERR_clear_error();
	if (!readable(cert_path, err, err_len) || !readable(key_path, err, err_len))
		return NULL;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		snprintf(err, err_len, "%s: %s", cert_path, ssl_reason());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* The server's order: AES-128-GCM first (cheapest where AES-NI is, and the
	 * fan-out encrypts every line once per caller), ChaCha20 for a client that
	 * puts it first (one without AES hardware). */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	                         SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
	                      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* No server-side cache: resumption by stateless tickets (one per handshake)
	 * costs the server no memory per client. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, tls13_suites) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
		snprintf(err, err_len, "%s: %s", cert_path, ssl_reason());
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
		snprintf(err, err_len, "%s: not a usable PEM certificate (%s)", cert_path,
		         ssl_reason());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1) {
		unsigned long e = ERR_peek_last_error();
		if (ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH) {
			ERR_clear_error();
			snprintf(err, err_len, "%s: does not match the certificate in %s", key_path,
			         cert_path);
		} else {
			snprintf(err, err_len, "%s: not a usable PEM private key (%s)", key_path,
			         ssl_reason());
		}
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		snprintf(err, err_len, "%s: does not match the certificate in %s", key_path,
		         cert_path);
		goto fail;
	}
	check_dates(ctx, cert_path, warn, warn_len);
	struct tls_context *tc = xcalloc(1, sizeof(*tc));
	tc->ctx = ctx;
	return tc;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

void tls_context_free(struct tls_context *tc)
{
	if (tc == NULL)
		return;
	SSL_CTX_free(tc->ctx);
	free(tc);
}

void tls_context_describe(const struct tls_context *tc, char *out, size_t len)
{
	X509 *x = SSL_CTX_get0_certificate(tc->ctx);
	char subject[128] = "?", when[64] = "?";
	if (x != NULL) {
		X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
		BIO *b = BIO_new(BIO_s_mem());
		if (b != NULL && ASN1_TIME_print(b, X509_get0_notAfter(x)) == 1) {
			int n = BIO_read(b, when, sizeof(when) - 1);
			when[n > 0 ? n : 0] = '\0';
		}
		BIO_free(b);
	}
	snprintf(out, len, "%s, expires %s", subject, when);
}

/* ---- the session ---- */

struct tls_session {
	SSL *ssl;
	const struct tls_session_io *io;
	void *ud;
	const uint8_t *in;             /* the bytes of the current feed, borrowed */
	size_t in_len;
	struct sbuf rest;              /* input OpenSSL had not taken when a feed ended */
	size_t rest_off;
	const char *why;               /* why it failed */
	bool failed, ready, shut, plain_http;
	/* the layer's */
	struct conn *conn;
	const struct tls_settings *settings;
	uint64_t since_ms;
	bool over;                     /* settings->handshake_over has run */
};

static BIO_METHOD *bio_method;

static int bio_write(BIO *b, const char *data, int len)
{
	struct tls_session *s = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	if (len > 0)
		s->io->wire(s->ud, (const uint8_t *)data, (size_t)len);
	return len;
}

static int bio_read(BIO *b, char *out, int outl)
{
	struct tls_session *s = BIO_get_data(b);
	size_t want = outl > 0 ? (size_t)outl : 0;
	BIO_clear_retry_flags(b);
	if (s->rest.len > s->rest_off) {
		size_t n = s->rest.len - s->rest_off;
		if (n > want)
			n = want;
		memcpy(out, s->rest.data + s->rest_off, n);
		s->rest_off += n;
		if (s->rest_off == s->rest.len) {
			sbuf_free(&s->rest);
			s->rest_off = 0;
		}
		return (int)n;
	}
	if (s->in_len > 0) {
		size_t n = s->in_len < want ? s->in_len : want;
		memcpy(out, s->in, n);
		s->in += n;
		s->in_len -= n;
		return (int)n;
	}
	BIO_set_retry_read(b);
	return -1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *method(void)
{
	/* The loop is the only thread that makes sessions. */
	if (bio_method == NULL) {
		bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "carrier");
		if (bio_method == NULL)
			abort();
		BIO_meth_set_write(bio_method, bio_write);
		BIO_meth_set_read(bio_method, bio_read);
		BIO_meth_set_ctrl(bio_method, bio_ctrl);
		BIO_meth_set_create(bio_method, bio_create);
	}
	return bio_method;
}

struct tls_session *tls_session_new(struct tls_context *tc, const struct tls_session_io *io,
                                    void *ud)
{
	struct tls_session *s = xcalloc(1, sizeof(*s));
	s->io = io;
	s->ud = ud;
	s->ssl = SSL_new(tc->ctx);
	BIO *bio = BIO_new(method());
	if (s->ssl == NULL || bio == NULL) {
		BIO_free(bio);
		SSL_free(s->ssl);
		free(s);
		ERR_clear_error();
		return NULL;
	}
	BIO_set_data(bio, s);
	SSL_set_bio(s->ssl, bio, bio);   /* one BIO both ways; the SSL owns it */
	SSL_set_accept_state(s->ssl);
	return s;
}

void tls_session_free(struct tls_session *s)
{
	if (s == NULL)
		return;
	SSL_free(s->ssl);
	sbuf_free(&s->rest);
	free(s);
}

static enum tls_status fail(struct tls_session *s, int err)
{
	s->failed = true;
	if (err == SSL_ERROR_SSL) {
		unsigned long e = ERR_peek_last_error();
		if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_HTTP_REQUEST)
			s->plain_http = true;
		s->why = ssl_reason();
	} else if (err == SSL_ERROR_SYSCALL) {
		s->why = "unexpected end of stream";
		ERR_clear_error();
	} else {
		s->why = "internal error";
		ERR_clear_error();
	}
	return TLS_ERROR;
}

static enum tls_status pump(struct tls_session *s)
{
	if (!s->ready) {
		int r = SSL_do_handshake(s->ssl);
		if (r != 1) {
			int e = SSL_get_error(s->ssl, r);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return TLS_OK;
			return fail(s, e);
		}
		s->ready = true;
	}
	uint8_t plain[TLS_RECORD_MAX];
	for (;;) {
		int n = SSL_read(s->ssl, plain, sizeof(plain));
		if (n > 0) {
			if (!s->io->plain(s->ud, plain, (size_t)n))
				return TLS_OK;
			continue;
		}
		int e = SSL_get_error(s->ssl, n);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return TLS_OK;
		if (e == SSL_ERROR_ZERO_RETURN)
			return TLS_CLOSED;
		return fail(s, e);
	}
}

enum tls_status tls_session_feed(struct tls_session *s, const uint8_t *data, size_t len)
{
	if (s->failed)
		return TLS_ERROR;
	ERR_clear_error();
	s->in = data;
	s->in_len = len;
	enum tls_status st = pump(s);
	/* Kept for next time, unless there is no next time. */
	if (s->in_len > 0 && st == TLS_OK)
		sbuf_append(&s->rest, s->in, s->in_len);
	s->in = NULL;
	s->in_len = 0;
	return st;
}

enum tls_status tls_session_write(struct tls_session *s, const uint8_t *data, size_t len)
{
	if (s->failed || !s->ready || s->shut)
		return TLS_ERROR;
	ERR_clear_error();
	while (len > 0) {
		int chunk = len > INT32_MAX ? INT32_MAX : (int)len;
		int n = SSL_write(s->ssl, data, chunk);
		if (n <= 0)
			return fail(s, SSL_get_error(s->ssl, n));
		data += n;
		len -= (size_t)n;
	}
	return TLS_OK;
}

void tls_session_shutdown(struct tls_session *s)
{
	if (s->failed || !s->ready || s->shut)
		return;
	s->shut = true;
	ERR_clear_error();
	SSL_shutdown(s->ssl);
	ERR_clear_error();
}

bool tls_session_ready(const struct tls_session *s) { return s->ready; }
const char *tls_session_error(const struct tls_session *s) { return s->failed ? s->why : NULL; }
bool tls_session_plain_http(const struct tls_session *s) { return s->plain_http; }

void tls_session_describe(const struct tls_session *s, char *out, size_t len)
{
	snprintf(out, len, "%s %s", SSL_get_version(s->ssl),
	         SSL_CIPHER_get_name(SSL_get_current_cipher(s->ssl)));
}

/* ---- the layer ---- */

static void handshake_over(struct tls_session *s)
{
	if (!s->over) {
		s->over = true;
		if (s->settings->handshake_over != NULL)
			s->settings->handshake_over(s->settings->ud, s->conn);
	}
}

static bool l_plain(void *ud, const uint8_t *data, size_t len)
{
	struct conn *c = ud;
	conn_receive(c, data, len);
	return !conn_closing(c);
}

static void l_wire(void *ud, const uint8_t *data, size_t len)
{
	struct conn *c = ud;
	struct buf *b = buf_from(data, len);
	if (b == NULL) {
		conn_close(c);
		return;
	}
	conn_send_wire(c, b);
	buf_unref(b);
}

static const struct tls_session_io layer_io = { .plain = l_plain, .wire = l_wire };

static const char plain_http_answer[] =
	"HTTP/1.1 400 Bad Request\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Length: 39\r\n"
	"Connection: close\r\n"
	"\r\n"
	"This port speaks HTTPS: use https://.\r\n";

static void l_on_read(struct conn *c, const uint8_t *data, size_t len)
{
	struct tls_session *s = conn_layer_data(c);
	bool was_ready = s->ready;
	enum tls_status st = tls_session_feed(s, data, len);
	if (s->ready && !was_ready) {
		char what[96];
		tls_session_describe(s, what, sizeof(what));
		log_debug("event=tls_ready conn=%llu peer=%s session=%s", (unsigned long long)conn_id(c),
		          conn_peer(c), LOG_Q(what));
		handshake_over(s);
		conn_layer_ready(c);          /* anything queued meanwhile can go now */
	}
	if (st == TLS_OK)
		return;
	if (st == TLS_ERROR) {
		log_info("event=tls_error conn=%llu peer=%s error=%s", (unsigned long long)conn_id(c),
		         conn_peer(c), LOG_Q(s->why));
		if (s->plain_http) {
			struct buf *b = buf_from(plain_http_answer, sizeof(plain_http_answer) - 1);
			if (b != NULL) {
				conn_send_wire(c, b);
				buf_unref(b);
			}
		}
	}
	/* The alert OpenSSL made, or our close_notify after the peer's, then close. */
	conn_close_after_flush(c);
}

static size_t l_write(struct conn *c, const uv_buf_t *iov, unsigned n)
{
	struct tls_session *s = conn_layer_data(c);
	if (!s->ready || s->failed || s->shut)
		return 0;
	/* Everything queued since the last flush as one record (lines of a chat
	 * burst, a screen and its prompt): one AEAD pass and one header for them. */
	static uint8_t record[TLS_RECORD_MAX];
	size_t len = 0;
	for (unsigned i = 0; i < n && len < sizeof(record); i++) {
		size_t take = iov[i].len < sizeof(record) - len ? iov[i].len : sizeof(record) - len;
		memcpy(record + len, iov[i].base, take);
		len += take;
	}
	if (tls_session_write(s, record, len) != TLS_OK) {
		log_info("event=tls_error conn=%llu peer=%s error=%s", (unsigned long long)conn_id(c),
		         conn_peer(c), LOG_Q(s->why));
		conn_close(c);
		return 0;
	}
	return len;
}

static void l_finish(struct conn *c)
{
	tls_session_shutdown(conn_layer_data(c));
}

static void l_on_tick(struct conn *c, uint64_t now)
{
	struct tls_session *s = conn_layer_data(c);
	if (s->ready || now - s->since_ms < s->settings->handshake_timeout_ms)
		return;
	log_info("event=tls_timeout conn=%llu peer=%s ms=%llu", (unsigned long long)conn_id(c),
	         conn_peer(c), (unsigned long long)s->settings->handshake_timeout_ms);
	conn_close(c);
}

static void l_destroy(struct conn *c)
{
	struct tls_session *s = conn_layer_data(c);
	handshake_over(s);
	tls_session_free(s);
}

static const struct conn_layer tls_layer = {
	.name = "tls",
	.on_read = l_on_read,
	.write = l_write,
	.finish = l_finish,
	.on_tick = l_on_tick,
	.destroy = l_destroy,
};

void tls_attach(struct conn *c, struct tls_context *ctx, const struct tls_settings *settings)
{
	struct tls_session *s = tls_session_new(ctx, &layer_io, c);
	if (s == NULL) {
		log_warn("event=out_of_memory conn=%llu peer=%s what=tls", (unsigned long long)conn_id(c),
		         conn_peer(c));
		if (settings->handshake_over != NULL)
			settings->handshake_over(settings->ud, c);
		conn_close(c);
		return;
	}
	s->conn = c;
	s->settings = settings;
	s->since_ms = conn_now(c);
	conn_set_layer(c, &tls_layer, s);
}
