/* The server side of the WebSocket opening handshake, RFC 6455 section 4.2.  Pure. */
#ifndef CARRIER_HTTP_HANDSHAKE_H
#define CARRIER_HTTP_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"
#include "util/buf.h"

#define WS_ACCEPT_LEN 28        /* base64 of a SHA-1 digest */

/* Check that req is a valid upgrade to WebSocket.  Returns 0 and fills accept[]
 * (NUL-terminated Sec-WebSocket-Accept value) if it is, else the status to
 * answer (see http_response_error):
 *   400  not GET, not HTTP/1.1, no Host, Upgrade lacking the token "websocket",
 *        Connection lacking the token "upgrade" (tokens are case-insensitive, in
 *        comma-separated lists, in any order), or a Sec-WebSocket-Key that is not
 *        the base64 of exactly 16 bytes;
 *   426  Sec-WebSocket-Version absent or not 13;
 *   403  an Origin header that is neither same-origin (http or https, host[:port]
 *        equal to the Host header, default ports implied) nor, compared without
 *        regard to ASCII case, one of allowed_origins[0..n_allowed) (borrowed).
 * A request without Origin (a non-browser client) passes the origin check.
 * 500 if SHA-1 could not be computed. */
int ws_handshake_check(const struct http_request *req, const char *const *allowed_origins,
		       size_t n_allowed, char accept[WS_ACCEPT_LEN + 1]);

/* Compute the Sec-WebSocket-Accept value for a client key:
 * base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).  False if the
 * digest could not be computed. */
bool ws_handshake_accept(const char *key, char accept[WS_ACCEPT_LEN + 1]);

/* True if list (a comma-separated header value) holds token, ignoring ASCII case
 * and surrounding whitespace. */
bool http_list_has_token(const char *list, const char *token);

/* The "101 Switching Protocols" response; one reference owned by the caller, NULL
 * if out of memory. */
struct buf *ws_handshake_response(const char accept[WS_ACCEPT_LEN + 1]);

#endif
