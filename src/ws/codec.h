/* RFC 6455 WebSocket framing: a streaming decoder for client frames and an encoder
 * for server frames.  Pure: bytes in, events or bytes out, no I/O.
 *
 * Server frames are unmasked, so a frame built once (ws_frame) can be queued to
 * every browser by reference.  No extensions are negotiated: RSV bits are errors. */
#ifndef CARRIER_WS_CODEC_H
#define CARRIER_WS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xA,
};

enum ws_event {
	WS_EV_TEXT,	/* a complete text message, valid UTF-8 */
	WS_EV_BINARY,	/* a complete binary message */
	WS_EV_PING,	/* a ping; data is its payload (<= 125 bytes), answer with a pong */
	WS_EV_PONG,	/* a pong; data is its payload */
	WS_EV_CLOSE,	/* a close frame; code is its status (1005 if none), data the reason */
};

/* Close codes (RFC 6455 section 7.4.1) the decoder returns or reports. */
#define WS_CLOSE_NORMAL 1000
#define WS_CLOSE_GOING_AWAY 1001
#define WS_CLOSE_PROTOCOL 1002
#define WS_CLOSE_NO_STATUS 1005
#define WS_CLOSE_BAD_DATA 1007
#define WS_CLOSE_TOO_BIG 1009
#define WS_CLOSE_INTERNAL 1011

/* The largest control frame payload, and the largest close reason. */
#define WS_CONTROL_MAX 125
#define WS_REASON_MAX 123

/* An event from the decoder.  data is borrowed: valid only until the callback
 * returns, never NULL (len may be 0).  For WS_EV_CLOSE, code holds the status code
 * and data/len the UTF-8 reason; for every other event code is 0. */
typedef void (*ws_event_fn)(void *ud, enum ws_event ev, uint16_t code,
			    const uint8_t *data, size_t len);

/* Decoder state, embedded in each connection.  Holds no heap while idle: the buffer
 * of a message being assembled (msg) is malloc'd on its first payload byte and
 * freed once the message is delivered; a control frame whose payload straddles
 * two feeds borrows a small buffer (ctl) until it is delivered.  Fields are
 * private to codec.c. */
struct ws_decoder {
	uint8_t *msg;		/* data message being assembled, or NULL */
	uint8_t *ctl;		/* control payload straddling feeds, or NULL */
	uint32_t msg_len;	/* bytes in msg */
	uint32_t msg_cap;	/* bytes allocated for msg */
	uint32_t max_message;	/* limit on a data message, summed over fragments */
	uint32_t remaining;	/* payload bytes still due in the current frame */
	uint8_t mask[4];	/* masking key of the current frame */
	uint8_t hdr[10];	/* header bytes before the masking key */
	uint8_t hdr_len;	/* header bytes seen so far, key included */
	uint8_t hdr_need;	/* header length once known, key included */
	uint8_t state;		/* reading a header, a payload, or done */
	uint8_t op;		/* opcode of the current frame */
	uint8_t fin;		/* FIN bit of the current frame */
	uint8_t msg_op;		/* TEXT or BINARY while a message is in progress, else 0 */
	uint8_t utf8;		/* UTF-8 validator state across a text message */
	uint8_t ctl_len;	/* bytes in ctl */
	uint8_t mask_pos;	/* payload offset of the current frame, mod 4 */
	uint8_t stopped;	/* ws_decoder_stop was called */
	uint16_t error;		/* the close code returned, once failed */
};

/* Start a decoder.  max_message bounds a data message (all its fragments together);
 * a larger one fails with 1009 as soon as a frame header announces it. */
void ws_decoder_init(struct ws_decoder *d, uint32_t max_message);

/* Free any partial message.  The decoder may be initialised again afterwards. */
void ws_decoder_free(struct ws_decoder *d);

/* Feed bytes received from the client (any chunking, even one byte at a time).
 * Events are delivered through fn as frames complete; fn may be called several
 * times per feed.  data is borrowed for the call only.
 *
 * Returns 0, or a close code on a protocol violation: 1002 (protocol error), 1007
 * (invalid UTF-8), 1009 (message too big), 1011 (out of memory).  After an error the
 * caller closes the connection; feeding again returns the same code and does
 * nothing.  Events already delivered in this call stand.
 *
 * Checks fail as early as the bytes allow: a bad header field at its byte, 1009 as
 * soon as the length field is complete, invalid UTF-8 in the feed that brings it.
 * Non-minimal length encodings are accepted.
 *
 * After a WS_EV_CLOSE event, or after fn calls ws_decoder_stop, the rest of the
 * input is ignored and every later feed returns 0 with no events.  fn must not
 * free or re-initialise d. */
int ws_decoder_feed(struct ws_decoder *d, const uint8_t *data, size_t len,
		    ws_event_fn fn, void *ud);

/* Called from within the callback (or between feeds) to stop decoding for good:
 * the current feed returns 0 right after the callback returns. */
void ws_decoder_stop(struct ws_decoder *d);

/* True if d is a valid close code to receive in a close frame: 1000-1003,
 * 1007-1014 (1012-1014 are IANA registered), 3000-4999. */
int ws_close_code_valid(uint16_t code);

/* Write the header of a single, final, unmasked frame of opcode op whose payload
 * has len bytes.  Returns the header length: 2, 4 or 10. */
size_t ws_frame_header(uint8_t out[10], enum ws_opcode op, uint64_t len);

/* A refcounted buf holding one final unmasked frame: header then payload (copied).
 * One reference belongs to the caller.  NULL if out of memory or too large for a
 * buf.  Control frames (close, ping, pong) must have len <= 125 (asserted). */
struct buf *ws_frame(enum ws_opcode op, const void *payload, size_t len);

/* A close frame carrying code and reason.  reason (may be NULL) is truncated to at
 * most 123 bytes, cut on a UTF-8 character boundary.  code must be one a server
 * may send (asserted: not 1005, 1006 or 1015).  NULL if out of memory. */
struct buf *ws_close_frame(uint16_t code, const char *reason);

#endif
