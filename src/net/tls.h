/* TLS for web callers (OpenSSL): a layer below the HTTP/WebSocket transport, which
 * never knows it is there (struct conn_layer in net/conn.h).  Only this module
 * includes <openssl/ssl.h>.
 *
 * Two parts:
 *  - struct tls_context: a certificate chain and key (PEM files) and the protocol
 *    settings.  TLS 1.2 and 1.3 only (1.3 preferred: OpenSSL picks the highest
 *    both sides have), ECDHE with AES-GCM or ChaCha20-Poly1305 only, no
 *    renegotiation, no compression, ALPN "http/1.1", stateless session tickets.
 *    A context is made once at start-up and again on every reload (SIGHUP); each
 *    connection keeps the one it started with (OpenSSL counts the references), so
 *    a reload never drops anyone.
 *  - struct tls_session: the server side of one connection without sockets,
 *    stepped by the bytes that arrive: wire bytes in, plaintext out through a
 *    callback; plaintext in, wire bytes out through another.  OpenSSL reads and
 *    writes through a BIO of ours over memory (nothing blocks, nothing waits on a
 *    socket): input is borrowed from the caller for the call (what OpenSSL has not
 *    taken when the call ends is kept, at most one read), output goes straight to
 *    the callback, record by record.  With SSL_MODE_RELEASE_BUFFERS an idle
 *    session holds no record buffers.  Unit tests and the fuzzer drive it
 *    directly; tls_attach glues it to a conn.
 *
 * Bounded: a handshake that does not finish within the settings' time is closed;
 * garbage instead of a ClientHello, or a record that fails to parse or decrypt,
 * ends the connection (after OpenSSL's alert, if it made one); a client that
 * speaks plain HTTP to the TLS port is told so in plain HTTP and closed. */
#ifndef CARRIER_NET_TLS_H
#define CARRIER_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/conn.h"

/* ---- the context ---- */

struct tls_context;

/* Load the certificate chain (PEM: the leaf first, then intermediates) and the
 * private key.  NULL on failure, with err set to "FILE: reason" (a missing or
 * unreadable file, not PEM, a key that does not match the certificate).  On
 * success warn is "" or "FILE: warning: ..." (an expired certificate, or one not
 * valid yet: a renewal that lands late must not stop the board). */
struct tls_context *tls_context_new(const char *cert_path, const char *key_path,
                                    char *err, size_t err_len, char *warn, size_t warn_len);
/* Drop this reference; connections that use the context keep it alive. */
void tls_context_free(struct tls_context *ctx);   /* NULL is a no-op */
/* "CN=example.org, expires Jan  1 00:00:00 2027 GMT", for the log. */
void tls_context_describe(const struct tls_context *ctx, char *out, size_t len);

/* ---- one connection's TLS, without sockets ---- */

struct tls_session;

struct tls_session_io {
	/* Decrypted application data; borrowed.  Return false to stop reading (the
	 * connection is closing). */
	bool (*plain)(void *ud, const uint8_t *data, size_t len);
	/* Bytes for the peer (records, alerts); borrowed. */
	void (*wire)(void *ud, const uint8_t *data, size_t len);
};

enum tls_status {
	TLS_OK = 0,      /* more may come */
	TLS_CLOSED,      /* the peer sent close_notify */
	TLS_ERROR,       /* fatal: close (an alert may have been passed to wire) */
};

/* A session on ctx (it takes its own reference); io is borrowed. */
struct tls_session *tls_session_new(struct tls_context *ctx, const struct tls_session_io *io,
                                    void *ud);
void tls_session_free(struct tls_session *s);   /* NULL is a no-op */
/* Bytes from the peer, any split; borrowed.  Steps the handshake, then passes
 * application data to io->plain. */
enum tls_status tls_session_feed(struct tls_session *s, const uint8_t *data, size_t len);
/* Encrypt data (after the handshake): TLS_OK, or TLS_ERROR. */
enum tls_status tls_session_write(struct tls_session *s, const uint8_t *data, size_t len);
/* Send close_notify (once, if the handshake finished and nothing failed). */
void tls_session_shutdown(struct tls_session *s);
bool tls_session_ready(const struct tls_session *s);       /* handshake done */
/* Why it failed (a static string), or NULL. */
const char *tls_session_error(const struct tls_session *s);
/* The peer spoke plain HTTP instead of TLS. */
bool tls_session_plain_http(const struct tls_session *s);
/* "TLSv1.3 TLS_AES_128_GCM_SHA256", after the handshake. */
void tls_session_describe(const struct tls_session *s, char *out, size_t len);

/* ---- the layer ---- */

struct tls_settings {
	uint64_t handshake_timeout_ms;
	/* Called once when the handshake has finished, or the conn closes before it
	 * did (the in-flight count per address); may be NULL. */
	void (*handshake_over)(void *ud, struct conn *c);
	void *ud;
};

/* Put a freshly accepted c behind TLS on ctx (settings borrowed, must outlive c).
 * The transport goes on top as usual. */
void tls_attach(struct conn *c, struct tls_context *ctx, const struct tls_settings *s);

#endif
