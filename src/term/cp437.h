/* Code page 437 <-> Unicode.  Pure tables and converters, no I/O.
 *
 * CP437 bytes 0x00-0x1F and 0x7F double as graphic glyphs (☺ ☻ ♥ … ⌂) on a PC screen.
 * In CP437_TEXT mode the bytes a terminal stream needs as controls -- NUL, BEL, BS,
 * TAB, LF, CR and ESC -- stay controls (so the escape sequences in ANSI art still
 * work) and every other byte is its glyph; CP437_GLYPH mode maps all 256 bytes to
 * glyphs (NUL shows as a space). */
#ifndef CARRIER_TERM_CP437_H
#define CARRIER_TERM_CP437_H

#include <stddef.h>
#include <stdint.h>

#include "util/sbuf.h"

enum cp437_mode { CP437_TEXT, CP437_GLYPH };

/* The Unicode code point for CP437 byte b. */
uint32_t cp437_to_unicode(uint8_t b, enum cp437_mode mode);

/* The CP437 byte showing cp, or -1 if none does.  ASCII (U+0000-U+007F) maps to
 * itself, so controls and escape sequences pass through.  Glyphs whose byte is a
 * text-mode control (• ◘ ○ ◙ ♪ ←) are not produced; • maps to ∙ (0xF9) instead.
 * A few look-alikes map too: β→ß, μ→µ, Ω (ohm) →Ω, ∅→φ, ∈→ε. */
int cp437_from_unicode(uint32_t cp);

/* Append the UTF-8 form of a CP437 text/ANSI stream (CP437_TEXT mode).  Escape
 * sequences are pure ASCII and come out untouched; NUL bytes are dropped.  Stateless:
 * any split of the input gives the same output. */
void cp437_to_utf8(struct sbuf *out, const uint8_t *in, size_t len);

/* Append the CP437 form of complete UTF-8 text.  Unmappable code points and each
 * invalid or truncated UTF-8 sequence become '?'. */
void utf8_to_cp437(struct sbuf *out, const uint8_t *in, size_t len);

#endif
