/* ANSI/ECMA-48 output: colours, attributes, cursor and erase sequences, appended to
 * a caller-owned sbuf.  Pure: no I/O, no state.
 *
 * Colours are the 16 of the classic BBS palette.  Bright foregrounds are written as
 * bold + normal colour ("ESC[1;31m"), which every BBS client and xterm.js (with its
 * default drawBoldTextInBrightColors) show bright; a normal foreground clears bold
 * ("ESC[22;31m").  Bright backgrounds use the aixterm codes 100-107, understood by
 * xterm.js and SyncTERM. */
#ifndef CARRIER_TERM_ANSI_H
#define CARRIER_TERM_ANSI_H

#include "util/sbuf.h"

enum ansi_color {
	ANSI_BLACK, ANSI_RED, ANSI_GREEN, ANSI_YELLOW,
	ANSI_BLUE, ANSI_MAGENTA, ANSI_CYAN, ANSI_WHITE,
	ANSI_BRIGHT_BLACK, ANSI_BRIGHT_RED, ANSI_BRIGHT_GREEN, ANSI_BRIGHT_YELLOW,
	ANSI_BRIGHT_BLUE, ANSI_BRIGHT_MAGENTA, ANSI_BRIGHT_CYAN, ANSI_BRIGHT_WHITE,
	ANSI_COLOR_COUNT
};

void ansi_fg(struct sbuf *sb, enum ansi_color c);
void ansi_bg(struct sbuf *sb, enum ansi_color c);
void ansi_bold(struct sbuf *sb);               /* ESC[1m */
void ansi_reset(struct sbuf *sb);              /* ESC[0m: all attributes off */
void ansi_clear(struct sbuf *sb);              /* clear screen, cursor home */
void ansi_goto(struct sbuf *sb, unsigned row, unsigned col);  /* 1-based */
void ansi_erase_line(struct sbuf *sb);         /* erase whole line, cursor stays */
void ansi_erase_eol(struct sbuf *sb);          /* erase from cursor to end of line */
void ansi_save_cursor(struct sbuf *sb);        /* ESC[s */
void ansi_restore_cursor(struct sbuf *sb);     /* ESC[u */
void ansi_hide_cursor(struct sbuf *sb);        /* ESC[?25l */
void ansi_show_cursor(struct sbuf *sb);        /* ESC[?25h */

#endif
