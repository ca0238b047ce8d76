/* A line editor for BBS prompts and the chat line.  Pure: bytes in, echo bytes out
 * (appended to a caller-owned sbuf), no I/O.
 *
 * It decodes keys itself (term/keys.h) and edits one line: printable characters are
 * inserted at the end, Backspace removes one code point, Ctrl-U kills the line,
 * Ctrl-W the last word, Enter finishes it, Ctrl-C abandons it.  Arrows, Home, End,
 * Delete and Tab are swallowed.  Refused input rings the bell (BEL):
 *  - a character beyond the limit (counted in code points);
 *  - controls, format characters (bidi overrides, ZWJ …), unassigned, private-use
 *    and surrogate code points, line/paragraph separators -- so a finished line is
 *    valid UTF-8 with no control characters at all;
 *  - a combining mark at the start of the line (it would combine with the prompt).
 *    Combining marks after a base character are accepted; display widths come from
 *    utf8proc_charwidth.
 *
 * Display: prompt and input are kept on ONE screen row.  When they would not fit in
 * (width - 1) columns the input scrolls sideways and shows its tail, so erasing and
 * redrawing never depends on how a terminal wraps.  A prompt may carry SGR colour
 * sequences; it should be narrower than the width by a dozen columns or so.
 *
 * Hidden mode (passwords) echoes one '*' per code point.
 *
 * Memory: the editor is small (48 bytes); the text buffer is allocated at the first
 * keystroke and freed by le_reset, so an idle connection holds no text buffer. */
#ifndef CARRIER_TERM_LINEEDIT_H
#define CARRIER_TERM_LINEEDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "term/keys.h"
#include "util/sbuf.h"

#define LE_MAX_LIMIT 4096u

struct lineedit;

enum le_result {
	LE_MORE,    /* all input consumed, no line yet */
	LE_LINE,    /* Enter: the line is ready (le_line), input after it not consumed */
	LE_INTR,    /* Ctrl-C: the line was discarded ("^C" echoed and a new line
	             * started); the editor is empty and ready again; input after the
	             * Ctrl-C not consumed.  The caller redraws a prompt if it wants. */
};

/* A new editor holding at most limit code points (1..LE_MAX_LIMIT), 80 columns
 * wide, no prompt.  Free with le_free. */
struct lineedit *le_new(unsigned limit);
void le_free(struct lineedit *le);   /* NULL is a no-op */

/* The prompt is borrowed, not copied (every connection has an editor, so no copy
 * per caller): it must stay valid while the editor uses it -- prompts are string
 * literals.  NULL or "" for none.  Takes effect at the next redraw. */
void le_set_prompt(struct lineedit *le, const char *prompt);
void le_set_hidden(struct lineedit *le, bool hidden);
/* The terminal width in columns (clamped to 20..1000). */
void le_set_width(struct lineedit *le, unsigned cols);
/* Change the limit (1..LE_MAX_LIMIT); text already typed is kept. */
void le_set_limit(struct lineedit *le, unsigned limit);

/* Feed input.  Consumes bytes up to and including an Enter or Ctrl-C (plus the LF
 * or NUL directly after a CR), and sets *consumed to the count; the rest is type-ahead
 * for whoever reads next.  Echo, bells and redraws are appended to echo.
 * Once LE_LINE has been returned, further calls consume nothing and return LE_LINE
 * until le_reset. */
enum le_result le_feed(struct lineedit *le, const uint8_t *data, size_t len,
		       size_t *consumed, struct sbuf *echo);

/* True once Enter has finished the line (until le_reset). */
bool le_done(const struct lineedit *le);

/* The line so far (finished or not): NUL-terminated UTF-8, borrowed, valid until
 * the next call that changes the editor.  *len (if not NULL) gets its byte length. */
const char *le_line(const struct lineedit *le, size_t *len);

/* Empty the line and start a new one; frees the text buffer. */
void le_reset(struct lineedit *le);

/* For output that must appear above the prompt (chat lines arriving while the caller
 * types): le_erase returns the cursor to column 0 and erases the prompt and input;
 * write the message lines (ending in CR LF); then le_redraw writes the prompt and
 * the visible input again, cursor at the end.  Both write nothing after Enter has
 * finished the line.  le_redraw also shows a prompt the first time. */
void le_erase(const struct lineedit *le, struct sbuf *out);
void le_redraw(const struct lineedit *le, struct sbuf *out);

/* Hotkey mode (menus): decode up to one key from data with the editor's own key
 * decoder (so a CR LF split between a line and a hotkey is still one Enter).
 * Returns 1 with *out set when a key is complete; *consumed tells how much input
 * was used.  The line text is not touched. */
int le_hotkey(struct lineedit *le, const uint8_t *data, size_t len, size_t *consumed,
	      struct key *out);
/* Input paused: report a pending lone Escape (see keys_flush). */
int le_hotkey_flush(struct lineedit *le, struct key *out);

#endif
