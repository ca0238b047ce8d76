/* UTF-8: an incremental validator/decoder (a DFA after Bjoern Hoehrmann), usable
 * across buffer boundaries, and an encoder.  Rejects overlongs, surrogates and
 * code points above U+10FFFF, as RFC 3629 and RFC 6455 require. */
#ifndef CARRIER_UTIL_UTF8_H
#define CARRIER_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTF8_ACCEPT 0u
#define UTF8_REJECT 12u

/* Feed one byte.  Returns the new state: UTF8_ACCEPT when *cp holds a complete code
 * point, UTF8_REJECT on invalid input (sticky: stays REJECT), anything else while
 * a sequence is incomplete.  Start with state = UTF8_ACCEPT. */
uint32_t utf8_step(uint32_t *state, uint32_t *cp, uint8_t byte);

/* Run the validator over a buffer, continuing from *state.  Returns false as soon
 * as the input is invalid.  A complete text has *state == UTF8_ACCEPT at the end. */
bool utf8_validate(uint32_t *state, const uint8_t *data, size_t len);

/* True if data[0..len) is complete, valid UTF-8. */
bool utf8_valid(const uint8_t *data, size_t len);

/* Encode cp into out (at least 4 bytes); returns the length, 0 if cp is invalid. */
size_t utf8_encode(uint32_t cp, uint8_t out[4]);

#endif
