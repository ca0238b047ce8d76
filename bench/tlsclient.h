/* The client side of TLS for the load generators (chatload, wsload): OpenSSL over
 * memory BIOs, so that each generator keeps its own non-blocking socket and its own
 * epoll loop (chatload still reads the kernel's receive timestamps with recvmsg).
 * Bytes read from the socket go into rbio with BIO_write; what OpenSSL has to send
 * is taken out of wbio by tlsc_drain. */
#ifndef CARRIER_BENCH_TLSCLIENT_H
#define CARRIER_BENCH_TLSCLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

/* A client context: TLS 1.2 or later, ALPN http/1.1, no session cache (every
 * connection pays a full handshake, as a first visit does), record buffers released
 * when idle.  NULL on failure. */
SSL_CTX *tlsc_ctx(void);
/* A client session for one connection with its two memory BIOs (owned by the
 * session: SSL_free frees them), in connect state, SNI "localhost".  NULL on
 * failure. */
SSL *tlsc_new(SSL_CTX *ctx, BIO **rbio, BIO **wbio);
/* Hand what OpenSSL wrote into wbio to send(ud, bytes, n), a record at a time;
 * false as soon as send returns false. */
bool tlsc_drain(BIO *wbio, bool (*send)(void *ud, const void *bytes, size_t n), void *ud);

#endif
