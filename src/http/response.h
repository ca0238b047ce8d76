/* HTTP/1.1 responses built into one refcounted buffer.  No I/O.
 *
 * Every response carries Server, Date, Connection and (unless the status forbids a
 * body: 1xx, 204, 304) Content-Length.  All but 101 carry X-Content-Type-Options:
 * nosniff.  A HEAD response keeps the Content-Length of
 * the body it leaves out. */
#ifndef CARRIER_HTTP_RESPONSE_H
#define CARRIER_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/buf.h"

struct http_header {
	const char *name;
	const char *value;      /* must not contain CR or LF (asserted) */
};

/* Everything borrowed: http_response_build copies what it needs. */
struct http_response {
	int status;
	const char *content_type;       /* NULL: no Content-Type */
	const char *cache_control;      /* NULL: none */
	const char *etag;               /* NULL: none; give it with its quotes */
	const struct http_header *extra;
	size_t n_extra;
	const void *body;               /* may be NULL for HEAD */
	size_t body_len;
	bool head;                      /* a HEAD request: no body bytes */
	bool keep_alive;                /* Connection: keep-alive, else close */
	time_t date;                    /* 0: now */
};

/* The reason phrase of a status ("Not Found"); "Unknown" for codes we never send. */
const char *http_status_reason(int status);

/* Format t as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into out[30],
 * without depending on the locale. */
void http_format_date(time_t t, char out[30]);

/* A complete response, one reference owned by the caller; NULL if out of memory. */
struct buf *http_response_build(const struct http_response *resp);

/* A short text/plain error page for status (400, 403, 404, 405, 413, 414, 426,
 * 431, 500, 505, ...).  405 carries "Allow: GET, HEAD"; 426 (Carrier only asks
 * for WebSocket) carries "Upgrade: websocket" and "Sec-WebSocket-Version: 13".
 * Caller owns the buf. */
struct buf *http_response_error(int status, bool head, bool keep_alive);

/* A redirect: 301 with Location (which must not contain CR or LF) and a short
 * body; Cache-Control: no-store.  Caller owns the buf. */
struct buf *http_response_redirect(const char *location, bool head, bool keep_alive);

/* Where a plain HTTP request should go over TLS: "https://HOST[:PORT]PATH[?QUERY]"
 * into out.  host is the request's Host header (its port, if any, is dropped;
 * https_port is added unless it is 443); path and query are the request's, raw.
 * Returns 0, or 400 if host is missing or not a host name, IPv4 address or
 * [IPv6] address (with an optional :port), or 414 if the result does not fit. */
int http_https_location(const char *host, int https_port, const char *path, const char *query,
                        char *out, size_t len);

#endif
