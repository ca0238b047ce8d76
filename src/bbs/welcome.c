/* The first screen: the board's art, its name, and an input line that answers
 * what the caller types.  (The login prompt takes its place once accounts exist.) */
#include <stdio.h>
#include <string.h>

#include "bbs/states.h"
#include "term/ansi.h"
#include "term/lineedit.h"

static void welcome_enter(struct session *s)
{
	struct sbuf *out = session_out(s);
	const struct config *cfg = bbs_config(session_bbs(s));
	const struct buf *art = bbs_welcome_art(session_bbs(s));

	ansi_reset(out);
	ansi_clear(out);
	if (art != NULL)
		sbuf_append(out, art->data, art->len);
	sbuf_puts(out, "\r\n");
	ansi_fg(out, ANSI_BRIGHT_WHITE);
	sbuf_printf(out, "  Welcome to %s", cfg->bbs_name);
	ansi_reset(out);
	sbuf_puts(out, " - ");
	ansi_fg(out, ANSI_CYAN);
	sbuf_printf(out, "%s\r\n", cfg->tagline);
	ansi_reset(out);
	sbuf_printf(out, "  You are connected to node %llu. Type a line and press Enter.\r\n\r\n",
	            (unsigned long long)conn_id(session_conn(s)));

	struct lineedit *le = session_editor(s);
	le_reset(le);
	le_set_prompt(le, "\x1b[1;32m>\x1b[0m ");
	le_redraw(le, out);
}

static size_t welcome_input(struct session *s, const uint8_t *data, size_t len)
{
	struct lineedit *le = session_editor(s);
	struct sbuf *out = session_out(s);
	size_t used = 0;
	enum le_result r = le_feed(le, data, len, &used, out);
	if (r == LE_LINE) {
		size_t n;
		const char *line = le_line(le, &n);
		ansi_fg(out, ANSI_YELLOW);
		sbuf_puts(out, "You typed: ");
		ansi_reset(out);
		sbuf_append(out, line, n);   /* the editor admits no control characters */
		sbuf_puts(out, "\r\n");
		le_reset(le);
		le_redraw(le, out);
	} else if (r == LE_INTR) {
		le_redraw(le, out);
	}
	return used;
}

static void welcome_resize(struct session *s)
{
	struct lineedit *le = session_editor(s);
	struct sbuf *out = session_out(s);
	le_erase(le, out);
	le_redraw(le, out);
}

const struct session_state state_welcome = {
	.name = "Welcome",
	.enter = welcome_enter,
	.input = welcome_input,
	.resize = welcome_resize,
};
