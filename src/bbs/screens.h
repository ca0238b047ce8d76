/* The BBS's screens as pure renderers: a model in, ANSI bytes (UTF-8, CR LF) out.
 * No database, no sockets: the states gather the model, these draw it.  Every
 * string in a model is caller text that has already been cleaned of control
 * characters (handles and locations are checked at registration). */
#ifndef CARRIER_BBS_SCREENS_H
#define CARRIER_BBS_SCREENS_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "util/sbuf.h"

/* A Wildcat-style menu: a framed box with the board's name and the menu title,
 * the items the caller may use with their hotkeys, breadcrumbs and a status line,
 * then the command prompt. */
struct menu_screen {
	const char *bbs_name;
	const char *title;
	const char *const *crumbs;       /* menu titles from the main menu down */
	size_t n_crumbs;
	const struct config_menu_item *const *items;   /* visible items, in order */
	size_t n_items;
	const char *handle;
	unsigned node;
	unsigned minutes_on;
	unsigned cols;                   /* terminal width (the box fits in it) */
	const char *back_hint;           /* "ESC back" or NULL at the top */
	const char *notice;              /* lines for the caller under the box (newlines between), or NULL */
};
void screen_menu(struct sbuf *out, const struct menu_screen *m);
/* The prompt under the menu (also redrawn after a hint). */
void screen_menu_prompt(struct sbuf *out);

/* Who's online: one row per node in use. */
struct who_row {
	unsigned node;
	const char *handle;              /* NULL: still logging in */
	const char *location;
	const char *doing;
	unsigned minutes_on;
	const char *detail;              /* NULL, or a second, dim line (a sysop's view) */
};
void screen_who(struct sbuf *out, const struct who_row *rows, size_t n, unsigned max_nodes);

/* The last callers: most recent first. */
struct caller_row {
	const char *handle;
	const char *location;
	int64_t time;                    /* unix seconds */
	unsigned node;
};
void screen_last_callers(struct sbuf *out, const struct caller_row *rows, size_t n);

/* A caller's profile (user lookup). */
struct profile_view {
	const char *handle;
	const char *location;
	int level;
	int64_t calls;
	int64_t created;
	int64_t last_on;
	int online_node;                 /* 0: offline */
};
void screen_profile(struct sbuf *out, const struct profile_view *p);

/* The goodbye: the art, then the session's time on and the caller's number of calls. */
void screen_goodbye(struct sbuf *out, const uint8_t *art, size_t art_len, const char *handle,
                    unsigned minutes_on, int64_t calls, const char *bbs_name);

/* "Press any key to continue" */
void screen_pause(struct sbuf *out);

/* A yellow system line: "*** text ***" on a line of its own. */
void screen_notice(struct sbuf *out, const char *text);

#endif
