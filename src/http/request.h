/* HTTP/1.x request reader: bytes in, one parsed request head out.  No I/O.
 *
 * Built on libhttp-parser 2.9.  A reader is allocated while a connection speaks
 * HTTP (a few KiB) and freed once it upgrades to WebSocket or closes.
 *
 * Bytes may arrive in chunks of any size.  The reader stops at the end of one
 * request and says how many bytes of the last chunk belonged to it; whatever
 * follows is the next pipelined request (feed it after http_reader_reset) or,
 * after a WebSocket upgrade, the first bytes of the new protocol.
 *
 * Only GET and HEAD are served.  Everything is bounded: a request line or URL
 * that is too long is 414, too many header bytes or headers is 431, a body is
 * accepted and discarded only up to HTTP_BODY_MAX bytes (413 beyond),
 * Transfer-Encoding of any kind is 400, other methods 405, versions other than
 * HTTP/1.0 and HTTP/1.1 505, anything malformed 400.  A repeated Host, Origin,
 * Sec-WebSocket-Key, Sec-WebSocket-Version or X-Real-IP header is 400; repeated
 * list headers (Connection, Upgrade, If-None-Match, X-Forwarded-For) are joined
 * with ", ". */
#ifndef CARRIER_HTTP_REQUEST_H
#define CARRIER_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MORE 0
#define HTTP_DONE 1

#define HTTP_URL_MAX 2048          /* request target, bytes (414 beyond) */
#define HTTP_HEAD_MAX 8192         /* request line + headers, bytes (431 beyond) */
#define HTTP_HEADERS_MAX 64        /* header lines (431 beyond) */
#define HTTP_BODY_MAX 1024         /* Content-Length we still accept and discard */

/* All strings are NUL-terminated and owned by the reader: valid from HTTP_DONE
 * until http_reader_reset or http_reader_free.  Header values have surrounding
 * whitespace trimmed; absent headers are NULL. */
struct http_request {
	int method;                 /* HTTP_GET or HTTP_HEAD (enum http_method) */
	bool head;                  /* method == HTTP_HEAD, for modules without http_parser.h */
	const char *path;           /* raw, still percent-encoded, starts with '/';
	                             * the query and fragment are cut off */
	const char *query;          /* raw text after '?', NULL if there is no '?' */
	const char *host;
	const char *origin;
	const char *upgrade;
	const char *connection;
	const char *ws_key;         /* Sec-WebSocket-Key */
	const char *ws_version;     /* Sec-WebSocket-Version */
	const char *if_none_match;
	const char *forwarded_for;  /* X-Forwarded-For (repeats joined) */
	const char *real_ip;        /* X-Real-IP */
	unsigned short major, minor;
	bool keep_alive;            /* HTTP/1.1 without "close", or 1.0 with "keep-alive" */
	bool upgrade_requested;     /* Upgrade + Connection: upgrade both present */
};

struct http_reader;

/* A new reader ready for a request; aborts if out of memory (it is small). */
struct http_reader *http_reader_new(void);

/* Feed the next len bytes of the connection.  Returns:
 *   HTTP_MORE  every byte was consumed (*consumed = len), the request is not
 *              complete yet;
 *   HTTP_DONE  a request is complete; *consumed bytes of data belong to it, the
 *              rest (data + *consumed ...) belongs to what follows;
 *   -status    a negative HTTP status to answer before closing: -400, -405,
 *              -413, -414, -431 or -505.  The reader stays in that error; the
 *              connection should be closed after the response.
 * consumed may be NULL.  Feeding after HTTP_DONE without a reset is a bug. */
int http_reader_feed(struct http_reader *r, const uint8_t *data, size_t len,
		     size_t *consumed);

/* The parsed request; valid after HTTP_DONE until reset/free, NULL before. */
const struct http_request *http_reader_request(const struct http_reader *r);

/* Forget the current request and get ready for the next one. */
void http_reader_reset(struct http_reader *r);

/* NULL is a no-op. */
void http_reader_free(struct http_reader *r);

#endif
