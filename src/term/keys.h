/* Incremental key decoder for terminal input (UTF-8 bytes, after the transport has
 * removed its own framing: WebSocket frames, telnet IAC).  Pure, no I/O.
 *
 * Feed it one byte at a time; it reports a key when one is complete.  It keeps its
 * state across calls, so keys split across reads (UTF-8 sequences, CSI sequences,
 * CR LF) decode the same as whole ones.
 *
 *  - Enter: CR, LF, CR LF and CR NUL each give ONE KEY_ENTER (the LF or NUL after a
 *    CR is swallowed, even if it arrives in a later read).
 *  - Backspace: 0x08 and 0x7F.  Ctrl-C, Ctrl-U, Ctrl-W, Tab: their own keys.  Other
 *    C0 controls and C1 controls (U+0080-U+009F) give nothing.
 *  - CSI (ESC [) and SS3 (ESC O) sequences: arrows, Home, End, Insert, Delete,
 *    PgUp, PgDn are reported; anything else is swallowed whole.  A sequence is
 *    abandoned after KEYS_MAX_SEQ bytes or at a byte that cannot belong to it (a
 *    control, a non-ASCII byte), which is then decoded normally, so an Enter is
 *    never lost inside garbage.
 *  - Escape: a lone ESC cannot be told from the start of a sequence until more
 *    input arrives.  ESC ESC reports the first ESC; ESC followed by any other byte
 *    (not [ or O) forgets the ESC and decodes that byte (so Alt-x types x).  An ESC
 *    still pending when input pauses is reported by keys_flush(): call it after a
 *    short idle timeout (or at the end of each read) where Escape matters, such as
 *    hotkey menus.
 *  - Invalid UTF-8 is dropped; a byte that breaks a sequence starts afresh. */
#ifndef CARRIER_TERM_KEYS_H
#define CARRIER_TERM_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#define KEYS_MAX_SEQ 32

enum key_type {
	KEY_CHAR,       /* a printable code point, in key.cp */
	KEY_ENTER,
	KEY_BACKSPACE,
	KEY_TAB,
	KEY_ESC,
	KEY_CTRL_C,
	KEY_CTRL_U,
	KEY_CTRL_W,
	KEY_UP, KEY_DOWN, KEY_RIGHT, KEY_LEFT,
	KEY_HOME, KEY_END, KEY_INSERT, KEY_DELETE, KEY_PGUP, KEY_PGDN,
};

struct key {
	enum key_type type;
	uint32_t cp;    /* KEY_CHAR only; 0 otherwise */
};

/* Embed one per connection; zero it (or keys_init) to start.  12 bytes. */
struct key_decoder {
	uint32_t cp;         /* UTF-8 code point being assembled */
	uint8_t utf8;        /* UTF-8 DFA state */
	uint8_t state;       /* ground / ESC / CSI / SS3 */
	uint8_t seq_len;     /* bytes of the current CSI so far */
	uint8_t param;       /* first CSI parameter, saturating */
	uint8_t flags;       /* after-CR, extra parameters */
};

void keys_init(struct key_decoder *d);

/* Feed one byte.  Returns 1 and fills *out when a key is complete, 0 otherwise. */
int keys_feed(struct key_decoder *d, uint8_t byte, struct key *out);

/* Input has paused: report a pending lone ESC as KEY_ESC (returns 1).  Returns 0
 * and changes nothing if no ESC is pending. */
int keys_flush(struct key_decoder *d, struct key *out);

/* True if an ESC is pending (a caller may start its idle timer). */
bool keys_esc_pending(const struct key_decoder *d);

#endif
