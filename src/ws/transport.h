/* The WebSocket transport: a connection after its HTTP upgrade.  Binary frames
 * carry terminal bytes both ways; text frames carry JSON control messages
 * (docs/protocol.md).  Answers pings, pings quiet peers, drops dead ones. */
#ifndef CARRIER_WS_TRANSPORT_H
#define CARRIER_WS_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "net/conn.h"

struct ws_settings {
	uint32_t max_message;
	uint64_t ping_interval_ms;
	uint64_t ping_timeout_ms;
};

/* Switch c to WebSocket (settings borrowed, must outlive c). */
void ws_transport_attach(struct conn *c, const struct ws_settings *settings);

/* Frame terminal bytes as one binary message (a new buf, one reference). */
struct buf *ws_transport_frame(const uint8_t *term, size_t len);

/* Send a text frame (a control message) to c alone. */
void ws_transport_send_text(struct conn *c, const char *text, size_t len);

#endif
