#include "term/ansi.h"

#include <assert.h>

/* Indexed by enum ansi_color. */
static const char *const fg_seq[ANSI_COLOR_COUNT] = {
	"\x1b[22;30m", "\x1b[22;31m", "\x1b[22;32m", "\x1b[22;33m",
	"\x1b[22;34m", "\x1b[22;35m", "\x1b[22;36m", "\x1b[22;37m",
	"\x1b[1;30m", "\x1b[1;31m", "\x1b[1;32m", "\x1b[1;33m",
	"\x1b[1;34m", "\x1b[1;35m", "\x1b[1;36m", "\x1b[1;37m",
};

static const char *const bg_seq[ANSI_COLOR_COUNT] = {
	"\x1b[40m", "\x1b[41m", "\x1b[42m", "\x1b[43m",
	"\x1b[44m", "\x1b[45m", "\x1b[46m", "\x1b[47m",
	"\x1b[100m", "\x1b[101m", "\x1b[102m", "\x1b[103m",
	"\x1b[104m", "\x1b[105m", "\x1b[106m", "\x1b[107m",
};

void ansi_fg(struct sbuf *sb, enum ansi_color c)
{
	assert((unsigned)c < ANSI_COLOR_COUNT);
	sbuf_puts(sb, fg_seq[c]);
}

void ansi_bg(struct sbuf *sb, enum ansi_color c)
{
	assert((unsigned)c < ANSI_COLOR_COUNT);
	sbuf_puts(sb, bg_seq[c]);
}

void ansi_bold(struct sbuf *sb)
{
	sbuf_puts(sb, "\x1b[1m");
}

void ansi_reset(struct sbuf *sb)
{
	sbuf_puts(sb, "\x1b[0m");
}

void ansi_clear(struct sbuf *sb)
{
	sbuf_puts(sb, "\x1b[2J\x1b[H");
}

void ansi_goto(struct sbuf *sb, unsigned row, unsigned col)
{
	sbuf_printf(sb, "\x1b[%u;%uH", row ? row : 1, col ? col : 1);
}

void ansi_erase_line(struct sbuf *sb)
{
	sbuf_puts(sb, "\x1b[2K");
}

void ansi_erase_eol(struct sbuf *sb)
{
	sbuf_puts(sb, "\x1b[K");
}

void ansi_save_cursor(struct sbuf *sb)
{
	sbuf_puts(sb, "\x1b[s");
}

void ansi_restore_cursor(struct sbuf *sb)
{
	sbuf_puts(sb, "\x1b[u");
}

void ansi_hide_cursor(struct sbuf *sb)
{
	sbuf_puts(sb, "\x1b[?25l");
}

void ansi_show_cursor(struct sbuf *sb)
{
	sbuf_puts(sb, "\x1b[?25h");
}
