/* What a caller types, made safe to show to everyone else.  Pure: no I/O, no state.
 *
 * chat_sanitize copies `in` to `out` and guarantees that the result is valid UTF-8,
 * NUL-terminated, and holds no character that could act on a terminal or spoof the
 * text around it:
 *  - C0 controls (ESC, BEL, BS, NUL, …), DEL and C1 controls (U+0080..U+009F, e.g.
 *    U+009B, the one-character CSI) are dropped; TAB, LF, VT, FF, CR and the Unicode
 *    line/paragraph separators (U+2028, U+2029) become a space (so "\rFake: x" can
 *    only ever read as the caller's own words);
 *  - format characters (category Cf: bidi embeddings/overrides/isolates
 *    U+202A..U+202E, U+2066..U+2069, U+200E/F, U+061C; zero-width U+200B..U+200D,
 *    U+2060..U+2064, U+FEFF, soft hyphen, tag characters …) are dropped, and so are
 *    the other default-ignorable code points (Hangul fillers and the like, which
 *    print blank), except variation selectors (emoji presentation needs them);
 *    noncharacters (U+FDD0..U+FDEF, U+xxFFFE/F) are dropped;
 *  - invalid UTF-8 (overlongs, surrogates, stray continuation bytes, truncated
 *    sequences) becomes U+FFFD, one per maximal invalid subsequence;
 *  - combining marks are limited to CHAT_SANITIZE_MAX_MARKS in a row after a base
 *    character (no "zalgo" towers painting over other lines), and a combining mark
 *    cannot start the text;
 *  - spaces (ASCII and the other Zs spaces) are trimmed at both ends; inside the
 *    text they are kept as typed;
 *  - at most max_chars code points are kept (SIZE_MAX for no limit) and at most
 *    outcap - 1 bytes; the cut always falls between code points.
 * Dropped characters are simply gone: the characters around them close up.
 *
 * The function is idempotent: sanitizing its own output changes nothing. */
#ifndef CARRIER_CHAT_SANITIZE_H
#define CARRIER_CHAT_SANITIZE_H

#include <stddef.h>

#include "util/sbuf.h"

#define CHAT_SANITIZE_MAX_MARKS 4

/* A sensible bound for one chat line, in code points (the room may use its own). */
#define CHAT_LINE_MAX_CHARS 400

/* in: len bytes, anything (may contain NUL).  out: outcap >= 1 bytes, caller-owned.
 * Returns the output length in bytes (out[ret] == '\0'). */
size_t chat_sanitize(const char *in, size_t len, char *out, size_t outcap,
		     size_t max_chars);

/* The same, appended to sb (no NUL is counted in sb->len, though one is written
 * after the text).  Returns the number of bytes appended. */
size_t chat_sanitize_append(struct sbuf *sb, const char *in, size_t len,
			    size_t max_chars);

/* Worst-case output size in bytes for len input bytes, including the NUL: each
 * input byte yields at most 3 output bytes (an invalid byte becomes U+FFFD). */
#define CHAT_SANITIZE_BOUND(len) (3 * (len) + 1)

#endif
