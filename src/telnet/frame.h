/* Telnet output framing: terminal bytes (UTF-8) in, wire bytes out.  Pure functions
 * of the bytes (no connection state), so a fan-out frames once per variant and every
 * telnet caller of that variant shares the buffer.
 *
 *  - IAC (0xFF) is doubled.  Never present in valid UTF-8, but a CP437 0xFF (U+00A0,
 *    no-break space) is.
 *  - A CR not followed by LF becomes CR NUL (NVT rule; line editors use a bare CR as
 *    in "\r\x1b[K").  Applied whether or not BINARY was agreed: a terminal ignores
 *    the NUL.  A CR at the very end of the input is not followed by LF, so it gets
 *    its NUL too.
 *  - LF is left alone: our renderers send CR LF already, and a bare LF means "down
 *    one line" to the browser's terminal too, so both transports see the same
 *    screen. */
#ifndef CARRIER_TELNET_FRAME_H
#define CARRIER_TELNET_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* UTF-8 terminal bytes, escaped.  A new buf (one reference), NULL if out of memory
 * or too long for a buf. */
struct buf *telnet_frame_utf8(const uint8_t *term, size_t len);
/* The same after UTF-8 -> CP437 (utf8_to_cp437: unmappable code points and invalid
 * UTF-8 become '?'). */
struct buf *telnet_frame_cp437(const uint8_t *term, size_t len);

#endif
