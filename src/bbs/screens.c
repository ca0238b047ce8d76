#include "bbs/screens.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "term/ansi.h"
#include "util/utf8.h"

/* Display width of UTF-8 text, counting each code point as one column (menus and
 * names are checked to be narrow text; the line editor refuses wide control). */
static size_t text_cols(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Append s, cut to at most cols columns (on a code point boundary). */
static size_t put_cut(struct sbuf *out, const char *s, size_t cols)
{
	size_t n = 0;
	const char *p = s;
	while (*p) {
		if (((unsigned char)*p & 0xc0) != 0x80) {
			if (n == cols)
				break;
			n++;
		}
		p++;
	}
	sbuf_append(out, s, (size_t)(p - s));
	return n;
}

static void put_pad(struct sbuf *out, const char *s, size_t cols)
{
	size_t n = put_cut(out, s ? s : "", cols);
	for (; n < cols; n++)
		sbuf_putc(out, ' ');
}

static void repeat(struct sbuf *out, const char *glyph, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sbuf_puts(out, glyph);
}

static void hline(struct sbuf *out, const char *left, const char *fill, const char *right,
                  size_t inner)
{
	ansi_fg(out, ANSI_BLUE);
	sbuf_puts(out, left);
	repeat(out, fill, inner);
	sbuf_puts(out, right);
	ansi_reset(out);
	sbuf_puts(out, "\r\n");
}

static void box_side(struct sbuf *out)
{
	ansi_fg(out, ANSI_BLUE);
	sbuf_puts(out, "║");
	ansi_reset(out);
}

void screen_menu(struct sbuf *out, const struct menu_screen *m)
{
	size_t width = m->cols >= 80 ? 79 : (m->cols > 40 ? m->cols - 1 : 39);
	size_t inner = width - 2;

	ansi_reset(out);
	ansi_clear(out);
	hline(out, "╔", "═", "╗", inner);

	/* Title bar: board name left, menu title right. */
	box_side(out);
	sbuf_putc(out, ' ');
	ansi_fg(out, ANSI_BRIGHT_CYAN);
	size_t title_cols = text_cols(m->title);
	size_t name_room = inner - 2 > title_cols ? inner - 2 - title_cols : 0;
	size_t used = put_cut(out, m->bbs_name, name_room);
	for (; used < name_room; used++)
		sbuf_putc(out, ' ');
	ansi_fg(out, ANSI_BRIGHT_WHITE);
	put_cut(out, m->title, inner - 2 - name_room);
	sbuf_putc(out, ' ');
	ansi_reset(out);
	box_side(out);
	sbuf_puts(out, "\r\n");
	hline(out, "╟", "─", "╢", inner);

	/* Items in two columns when there is room, else one. */
	size_t ncol = inner >= 60 ? 2 : 1;
	size_t colw = (inner - 2) / ncol;
	size_t rows = (m->n_items + ncol - 1) / ncol;
	for (size_t r = 0; r < rows; r++) {
		box_side(out);
		sbuf_puts(out, "  ");
		size_t line = 2;
		for (size_t c = 0; c < ncol; c++) {
			size_t i = c * rows + r;
			if (i >= m->n_items)
				break;
			const struct config_menu_item *it = m->items[i];
			ansi_fg(out, ANSI_BRIGHT_BLUE);
			sbuf_putc(out, '[');
			ansi_fg(out, ANSI_BRIGHT_YELLOW);
			sbuf_putc(out, (uint8_t)it->hotkey);
			ansi_fg(out, ANSI_BRIGHT_BLUE);
			sbuf_putc(out, ']');
			ansi_fg(out, ANSI_WHITE);
			sbuf_putc(out, ' ');
			size_t cell = colw > 4 ? colw - 4 : 0;
			if (c + 1 == ncol || i + rows >= m->n_items)
				cell = inner - line - 4;
			put_pad(out, it->name, cell);
			line += 4 + cell;
		}
		ansi_reset(out);
		for (; line < inner; line++)
			sbuf_putc(out, ' ');
		box_side(out);
		sbuf_puts(out, "\r\n");
	}
	hline(out, "╚", "═", "╝", inner);

	/* Breadcrumbs below the main menu (its title is already on the bar), and who
	 * is calling. */
	if (m->n_crumbs > 1) {
		sbuf_putc(out, ' ');
		ansi_fg(out, ANSI_CYAN);
		for (size_t i = 0; i < m->n_crumbs; i++) {
			if (i)
				sbuf_puts(out, " › ");
			sbuf_puts(out, m->crumbs[i]);
		}
		if (m->back_hint) {
			ansi_fg(out, ANSI_BRIGHT_BLACK);
			sbuf_printf(out, "  (%s)", m->back_hint);
		}
		ansi_reset(out);
		sbuf_puts(out, "\r\n");
	}
	sbuf_putc(out, ' ');
	ansi_fg(out, ANSI_BRIGHT_BLACK);
	sbuf_printf(out, "Node %u · ", m->node);
	ansi_fg(out, ANSI_GREEN);
	sbuf_puts(out, m->handle);
	ansi_fg(out, ANSI_BRIGHT_BLACK);
	sbuf_printf(out, " · %u min on", m->minutes_on);
	ansi_reset(out);
	sbuf_puts(out, "\r\n");
	/* The notice: a line each for its parts between newlines. */
	for (const char *p = m->notice; p != NULL && *p != '\0'; ) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char part[256];
		snprintf(part, sizeof(part), "%.*s", (int)len, p);
		sbuf_putc(out, ' ');
		ansi_fg(out, ANSI_BRIGHT_GREEN);
		put_cut(out, part, width - 1);
		ansi_reset(out);
		sbuf_puts(out, "\r\n");
		p = nl ? nl + 1 : p + len;
	}
	sbuf_puts(out, "\r\n");
	screen_menu_prompt(out);
}

void screen_menu_prompt(struct sbuf *out)
{
	sbuf_puts(out, "\r");
	ansi_erase_line(out);
	ansi_fg(out, ANSI_BRIGHT_WHITE);
	sbuf_puts(out, " Command");
	ansi_fg(out, ANSI_BRIGHT_YELLOW);
	sbuf_puts(out, " » ");
	ansi_reset(out);
}

static void heading(struct sbuf *out, const char *title)
{
	ansi_reset(out);
	ansi_clear(out);
	ansi_fg(out, ANSI_BRIGHT_CYAN);
	sbuf_printf(out, " %s\r\n", title);
	ansi_fg(out, ANSI_BLUE);
	sbuf_puts(out, " ");
	repeat(out, "─", 76);
	ansi_reset(out);
	sbuf_puts(out, "\r\n");
}

void screen_who(struct sbuf *out, const struct who_row *rows, size_t n, unsigned max_nodes)
{
	heading(out, "Who's Online");
	ansi_fg(out, ANSI_BRIGHT_WHITE);
	sbuf_puts(out, " Node  Handle                Location            Doing                     On\r\n");
	ansi_reset(out);
	for (size_t i = 0; i < n; i++) {
		const struct who_row *r = &rows[i];
		ansi_fg(out, ANSI_BRIGHT_BLACK);
		sbuf_printf(out, " %4u  ", r->node);
		if (r->handle) {
			ansi_fg(out, ANSI_BRIGHT_GREEN);
			put_pad(out, r->handle, 20);
		} else {
			ansi_fg(out, ANSI_BRIGHT_BLACK);
			put_pad(out, "(logging in)", 20);
		}
		sbuf_puts(out, "  ");
		ansi_fg(out, ANSI_CYAN);
		put_pad(out, r->location, 18);
		sbuf_puts(out, "  ");
		ansi_fg(out, ANSI_YELLOW);
		put_pad(out, r->doing, 22);
		ansi_fg(out, ANSI_WHITE);
		sbuf_printf(out, "  %3um\r\n", r->minutes_on);
		if (r->detail != NULL) {
			ansi_fg(out, ANSI_BRIGHT_BLACK);
			sbuf_puts(out, "       ");
			put_pad(out, r->detail, 72);
			sbuf_puts(out, "\r\n");
		}
	}
	ansi_fg(out, ANSI_BRIGHT_BLACK);
	sbuf_printf(out, "\r\n %zu of %u nodes in use.\r\n", n, max_nodes);
	ansi_reset(out);
}

static void format_time(int64_t t, char *buf, size_t len)
{
	if (t <= 0) {
		snprintf(buf, len, "never");
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

void screen_last_callers(struct sbuf *out, const struct caller_row *rows, size_t n)
{
	heading(out, "Last Callers");
	ansi_fg(out, ANSI_BRIGHT_WHITE);
	sbuf_puts(out, " When              Node  Handle                Location\r\n");
	ansi_reset(out);
	for (size_t i = 0; i < n; i++) {
		char when[32];
		format_time(rows[i].time, when, sizeof(when));
		ansi_fg(out, ANSI_WHITE);
		sbuf_printf(out, " %-16s  %4u  ", when, rows[i].node);
		ansi_fg(out, ANSI_BRIGHT_GREEN);
		put_pad(out, rows[i].handle, 20);
		sbuf_puts(out, "  ");
		ansi_fg(out, ANSI_CYAN);
		put_pad(out, rows[i].location, 30);
		ansi_reset(out);
		sbuf_puts(out, "\r\n");
	}
	if (n == 0)
		sbuf_puts(out, " Nobody has called yet.\r\n");
}

void screen_profile(struct sbuf *out, const struct profile_view *p)
{
	char first[32], last[32];
	format_time(p->created, first, sizeof(first));
	format_time(p->last_on, last, sizeof(last));
	heading(out, "User Lookup");
	static const char *const labels[] = { "Handle", "Location", "Level", "Calls",
	                                      "First on", "Last on", "Status" };
	char level[16], calls[24], status[32];
	snprintf(level, sizeof(level), "%d%s", p->level, p->level >= LEVEL_SYSOP ? " (SysOp)" : "");
	snprintf(calls, sizeof(calls), "%lld", (long long)p->calls);
	if (p->online_node)
		snprintf(status, sizeof(status), "online, node %d", p->online_node);
	else
		snprintf(status, sizeof(status), "offline");
	const char *values[] = { p->handle, p->location[0] ? p->location : "-", level, calls,
	                         first, last, status };
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		ansi_fg(out, ANSI_CYAN);
		sbuf_printf(out, " %10s: ", labels[i]);
		ansi_fg(out, i == 0 ? ANSI_BRIGHT_GREEN : ANSI_WHITE);
		put_cut(out, values[i], 60);
		ansi_reset(out);
		sbuf_puts(out, "\r\n");
	}
}

void screen_goodbye(struct sbuf *out, const uint8_t *art, size_t art_len, const char *handle,
                    unsigned minutes_on, int64_t calls, const char *bbs_name)
{
	ansi_reset(out);
	ansi_clear(out);
	if (art)
		sbuf_append(out, art, art_len);
	sbuf_puts(out, "\r\n ");
	ansi_fg(out, ANSI_BRIGHT_WHITE);
	sbuf_printf(out, "Thanks for calling %s, ", bbs_name);
	ansi_fg(out, ANSI_BRIGHT_GREEN);
	sbuf_puts(out, handle);
	ansi_fg(out, ANSI_BRIGHT_WHITE);
	sbuf_puts(out, "!\r\n ");
	ansi_fg(out, ANSI_WHITE);
	sbuf_printf(out, "You were on for %u minute%s. That was call number %lld.\r\n",
	            minutes_on, minutes_on == 1 ? "" : "s", (long long)calls);
	ansi_reset(out);
}

void screen_pause(struct sbuf *out)
{
	sbuf_puts(out, "\r\n ");
	ansi_fg(out, ANSI_BRIGHT_BLACK);
	sbuf_puts(out, "Press any key to continue...");
	ansi_reset(out);
}

void screen_notice(struct sbuf *out, const char *text)
{
	ansi_fg(out, ANSI_BRIGHT_YELLOW);
	sbuf_printf(out, "*** %s ***", text);
	ansi_reset(out);
	sbuf_puts(out, "\r\n");
}
