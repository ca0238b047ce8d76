#include "chat/render.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#include "chat/sanitize.h"
#include "term/ansi.h"
#include "util/utf8.h"

#define C_TIME     ANSI_WHITE
#define C_HANDLE   ANSI_GREEN
#define C_TEXT     ANSI_BRIGHT_GREEN
#define C_SYSOP    ANSI_BRIGHT_WHITE
#define C_ACTION   ANSI_BRIGHT_CYAN
#define C_SYSTEM   ANSI_BRIGHT_YELLOW
#define C_PRIVATE  ANSI_BRIGHT_MAGENTA
#define C_PAGE     ANSI_BRIGHT_WHITE
#define C_DIM      ANSI_WHITE
#define C_EMPH     ANSI_BRIGHT_WHITE

/* ---- pieces ---- */

static size_t put_text(struct sbuf *sb, const char *s, size_t max_chars)
{
	if (s == NULL)
		return 0;
	return chat_sanitize_append(sb, s, strlen(s), max_chars);
}

static void put_handle(struct sbuf *sb, const char *s)
{
	if (put_text(sb, s, CHAT_RENDER_HANDLE_MAX) == 0)
		sbuf_putc(sb, '?');
}

static void eol(struct sbuf *sb)
{
	sbuf_puts(sb, "\x1b[0m\r\n");
}

static void timestamp(struct sbuf *sb, int64_t ts_ms)
{
	time_t t = (time_t)(ts_ms / 1000);
	struct tm tm;
	ansi_fg(sb, C_TIME);
	if (localtime_r(&t, &tm) == NULL || tm.tm_hour < 0 || tm.tm_hour > 23 ||
	    tm.tm_min < 0 || tm.tm_min > 59) {
		sbuf_puts(sb, "[--:--] ");
		return;
	}
	/* by hand: on every line, and printf would be most of its cost */
	char hm[9] = { '[', (char)('0' + tm.tm_hour / 10), (char)('0' + tm.tm_hour % 10), ':',
	               (char)('0' + tm.tm_min / 10), (char)('0' + tm.tm_min % 10), ']', ' ', 0 };
	sbuf_append(sb, hm, 8);
}

static bool is_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* Display columns of (already sanitized) UTF-8 text. */
static size_t text_width(const uint8_t *s, size_t len)
{
	uint32_t state = UTF8_ACCEPT, cp = 0;
	size_t w = 0;
	for (size_t i = 0; i < len; i++) {
		if (utf8_step(&state, &cp, s[i]) != UTF8_ACCEPT)
			continue;
		int cw = utf8proc_charwidth((utf8proc_int32_t)cp);
		w += cw > 0 ? (size_t)cw : 0;
	}
	return w;
}

/* Sanitized s, then spaces up to `cols` columns (at least one space). */
static void put_padded(struct sbuf *sb, const char *s, size_t max_chars, size_t cols)
{
	size_t start = sb->len;
	if (put_text(sb, s, max_chars) == 0)
		sbuf_putc(sb, '?');
	size_t w = text_width(sb->data + start, sb->len - start);
	do
		sbuf_putc(sb, ' ');
	while (++w < cols);
}

/* "A", "A and B", "A, B and C", "A, B, C and 5 others", "37 callers".
 * Returns how many callers that is. */
static size_t put_names(struct sbuf *sb, const char *const *names, size_t n_names,
			size_t n_more, size_t max_shown)
{
	size_t shown = n_names < max_shown ? n_names : max_shown;
	size_t others = (n_names - shown) + n_more;
	size_t parts = shown + (others > 0);
	if (shown == 0) {
		sbuf_printf(sb, "%zu caller%s", others, others == 1 ? "" : "s");
		return others;
	}
	for (size_t i = 0; i < shown; i++) {
		if (i > 0)
			sbuf_puts(sb, i + 1 == parts ? " and " : ", ");
		put_handle(sb, names[i]);
	}
	if (others > 0)
		sbuf_printf(sb, " and %zu other%s", others, others == 1 ? "" : "s");
	return shown + others;
}

/* ---- events ---- */

static void render_public(struct sbuf *sb, const struct chat_event *ev)
{
	timestamp(sb, ev->ts_ms);
	ansi_fg(sb, C_HANDLE);
	put_handle(sb, ev->from);
	sbuf_puts(sb, ": ");
	ansi_fg(sb, ev->from_level >= CHAT_LEVEL_SYSOP ? C_SYSOP : C_TEXT);
	put_text(sb, ev->text, SIZE_MAX);
	eol(sb);
}

static void render_action(struct sbuf *sb, const struct chat_event *ev)
{
	ansi_fg(sb, C_ACTION);
	sbuf_puts(sb, "* ");
	put_handle(sb, ev->from);
	if (!is_empty(ev->text)) {
		sbuf_putc(sb, ' ');
		put_text(sb, ev->text, SIZE_MAX);
	}
	eol(sb);
}

static void render_presence(struct sbuf *sb, const struct chat_event *ev)
{
	const char *what = ev->kind == CHAT_JOIN ? "joined" : "left";
	size_t count;
	if (ev->names == NULL && ev->n_more == 0) {
		ansi_fg(sb, C_SYSTEM);
		sbuf_puts(sb, "*** ");
		put_handle(sb, ev->from);
		count = 1;
	} else {
		if (ev->n_names + ev->n_more == 0)
			return;                 /* an empty coalesced window */
		ansi_fg(sb, C_SYSTEM);
		sbuf_puts(sb, "*** ");
		count = put_names(sb, ev->names, ev->names ? ev->n_names : 0, ev->n_more,
				  CHAT_RENDER_NAMES_MAX);
	}
	sbuf_printf(sb, " %s %s the chat ***", count == 1 ? "has" : "have", what);
	eol(sb);
}

static void render_dm(struct sbuf *sb, const struct chat_event *ev,
		      enum chat_view view)
{
	if (view == CHAT_VIEW_RECIPIENT)
		sbuf_putc(sb, '\a');
	timestamp(sb, ev->ts_ms);
	ansi_fg(sb, C_PRIVATE);
	if (view == CHAT_VIEW_SENDER) {
		sbuf_puts(sb, "-> ");
		put_handle(sb, ev->to);
	} else {
		sbuf_putc(sb, '*');
		put_handle(sb, ev->from);
		sbuf_putc(sb, '*');
	}
	sbuf_puts(sb, " (private): ");
	put_text(sb, ev->text, SIZE_MAX);
	eol(sb);
}

static void render_page(struct sbuf *sb, const struct chat_event *ev,
			enum chat_view view)
{
	if (view == CHAT_VIEW_SENDER) {
		ansi_fg(sb, C_SYSTEM);
		sbuf_puts(sb, "*** Page sent to ");
		put_handle(sb, ev->to);
		sbuf_puts(sb, " ***");
		eol(sb);
		return;
	}
	if (view == CHAT_VIEW_RECIPIENT)
		sbuf_putc(sb, '\a');
	ansi_fg(sb, C_PAGE);
	size_t mark = sb->len;
	sbuf_puts(sb, "*** Page from ");
	put_handle(sb, ev->from);
	sbuf_puts(sb, ": ");
	if (put_text(sb, ev->text, SIZE_MAX) == 0) {
		sb->len = mark;
		sbuf_puts(sb, "*** ");
		put_handle(sb, ev->from);
		sbuf_puts(sb, " is paging you!");
	}
	sbuf_puts(sb, " ***");
	eol(sb);
}

static void render_invite(struct sbuf *sb, const struct chat_event *ev,
			  enum chat_view view)
{
	if (view == CHAT_VIEW_SENDER) {
		ansi_fg(sb, C_SYSTEM);
		sbuf_puts(sb, "*** Invitation to ");
		put_text(sb, ev->room, 64);
		sbuf_puts(sb, " sent to ");
		put_handle(sb, ev->to);
		sbuf_puts(sb, " ***");
		eol(sb);
		return;
	}
	if (view == CHAT_VIEW_RECIPIENT)
		sbuf_putc(sb, '\a');
	ansi_fg(sb, C_PAGE);
	sbuf_puts(sb, "*** ");
	put_handle(sb, ev->from);
	sbuf_puts(sb, " invites you to ");
	put_text(sb, ev->room, 64);
	sbuf_puts(sb, ": /join ");
	put_text(sb, ev->room, 64);
	sbuf_puts(sb, " ***");
	eol(sb);
}

static void render_topic(struct sbuf *sb, const struct chat_event *ev)
{
	ansi_fg(sb, C_SYSTEM);
	sbuf_puts(sb, "*** ");
	put_handle(sb, ev->from);
	if (is_empty(ev->text)) {
		sbuf_puts(sb, " cleared the topic ***");
	} else {
		sbuf_puts(sb, " set the topic: ");
		put_text(sb, ev->text, SIZE_MAX);
		sbuf_puts(sb, " ***");
	}
	eol(sb);
}

static void render_kick(struct sbuf *sb, const struct chat_event *ev)
{
	ansi_fg(sb, C_SYSTEM);
	sbuf_puts(sb, "*** ");
	put_handle(sb, ev->to);
	sbuf_puts(sb, " was kicked by ");
	put_handle(sb, ev->from);
	if (!is_empty(ev->text)) {
		sbuf_puts(sb, " (");
		put_text(sb, ev->text, SIZE_MAX);
		sbuf_putc(sb, ')');
	}
	sbuf_puts(sb, " ***");
	eol(sb);
}

static void render_broadcast(struct sbuf *sb, const struct chat_event *ev)
{
	sbuf_putc(sb, '\a');
	ansi_fg(sb, C_SYSTEM);
	sbuf_puts(sb, "*** Broadcast from ");
	put_handle(sb, ev->from);
	sbuf_puts(sb, ": ");
	put_text(sb, ev->text, SIZE_MAX);
	sbuf_puts(sb, " ***");
	eol(sb);
}

static void render_sysop(struct sbuf *sb, const struct chat_event *ev)
{
	timestamp(sb, ev->ts_ms);
	ansi_fg(sb, C_SYSTEM);
	sbuf_puts(sb, "SysOp: ");
	ansi_fg(sb, C_SYSOP);
	put_text(sb, ev->text, SIZE_MAX);
	eol(sb);
}

void chat_render(struct sbuf *sb, const struct chat_event *ev, enum chat_view view)
{
	switch (ev->kind) {
	case CHAT_PUBLIC:
		render_public(sb, ev);
		break;
	case CHAT_ACTION:
		render_action(sb, ev);
		break;
	case CHAT_JOIN:
	case CHAT_LEAVE:
		render_presence(sb, ev);
		break;
	case CHAT_DM:
		render_dm(sb, ev, view);
		break;
	case CHAT_PAGE:
		render_page(sb, ev, view);
		break;
	case CHAT_SYSOP:
		render_sysop(sb, ev);
		break;
	case CHAT_SYSTEM:
		chat_render_system(sb, ev->text);
		break;
	case CHAT_INVITE:
		render_invite(sb, ev, view);
		break;
	case CHAT_TOPIC:
		render_topic(sb, ev);
		break;
	case CHAT_KICK:
		render_kick(sb, ev);
		break;
	case CHAT_BROADCAST:
		render_broadcast(sb, ev);
		break;
	default:
		assert(!"chat_render: bad kind");
		break;
	}
}

/* ---- lines without an event ---- */

void chat_render_system(struct sbuf *sb, const char *text)
{
	ansi_fg(sb, C_SYSTEM);
	put_text(sb, text, SIZE_MAX);
	eol(sb);
}

void chat_render_away(struct sbuf *sb, const char *handle, const char *message)
{
	ansi_fg(sb, C_SYSTEM);
	sbuf_puts(sb, "*** ");
	put_handle(sb, handle);
	sbuf_puts(sb, " is away");
	if (!is_empty(message)) {
		sbuf_puts(sb, ": ");
		put_text(sb, message, SIZE_MAX);
	}
	sbuf_puts(sb, " ***");
	eol(sb);
}

void chat_render_notice(struct sbuf *sb, const char *text)
{
	ansi_fg(sb, C_SYSTEM);
	sbuf_puts(sb, "*** ");
	put_text(sb, text, SIZE_MAX);
	sbuf_puts(sb, " ***");
	eol(sb);
}

void chat_render_missed(struct sbuf *sb, uint64_t n)
{
	ansi_fg(sb, C_SYSTEM);
	sbuf_printf(sb, "*** Missed %" PRIu64 " message%s ***", n, n == 1 ? "" : "s");
	eol(sb);
}

void chat_render_slow_down(struct sbuf *sb, uint64_t dropped)
{
	ansi_fg(sb, C_SYSTEM);
	sbuf_printf(sb, "*** Slow down! %" PRIu64 " line%s not sent ***", dropped,
		    dropped == 1 ? " was" : "s were");
	eol(sb);
}

void chat_render_usage(struct sbuf *sb, const struct chat_command *cmd)
{
	ansi_fg(sb, C_SYSTEM);
	sbuf_puts(sb, "Usage: ");
	put_text(sb, cmd->usage, SIZE_MAX);
	eol(sb);
}

void chat_render_unknown(struct sbuf *sb)
{
	chat_render_system(sb, CHAT_MSG_UNKNOWN);
}

void chat_render_help(struct sbuf *sb, const struct chat_command *table, size_t n,
		      unsigned level)
{
	enum { INDENT = 10, WIDTH = 79 };
	ansi_fg(sb, C_SYSTEM);
	sbuf_puts(sb, "Commands (/help <command> tells more):");
	eol(sb);
	/* Each group once, in the order its first command comes; its usages wrapped. */
	for (size_t g = 0; g < n; g++) {
		const char *group = table[g].group ? table[g].group : "";
		bool seen = false, any = false;
		for (size_t k = 0; k < g && !seen; k++)
			seen = strcmp(table[k].group ? table[k].group : "", group) == 0;
		for (size_t i = g; i < n && !any; i++)
			any = strcmp(table[i].group ? table[i].group : "", group) == 0 &&
			      level >= table[i].min_level;
		if (seen || !any)
			continue;
		ansi_fg(sb, C_SYSTEM);
		sbuf_putc(sb, ' ');
		put_padded(sb, group, INDENT - 2, INDENT - 1);
		size_t col = INDENT;
		bool first = true;
		for (size_t i = g; i < n; i++) {
			const struct chat_command *c = &table[i];
			if (strcmp(c->group ? c->group : "", group) != 0 || level < c->min_level)
				continue;
			size_t w = strlen(c->usage);
			if (!first && col + 2 + w > WIDTH) {
				eol(sb);
				sbuf_printf(sb, "%*s", INDENT, "");
				col = INDENT;
				first = true;
			}
			if (!first)
				sbuf_puts(sb, "  ");
			ansi_fg(sb, C_EMPH);
			put_text(sb, c->usage, 60);
			col += (first ? 0 : 2) + w;
			first = false;
		}
		eol(sb);
	}
	ansi_fg(sb, C_DIM);
	sbuf_puts(sb, "Anything else you type is said to the room (// for a line starting with /).");
	eol(sb);
}

void chat_render_help_one(struct sbuf *sb, const struct chat_command *c)
{
	ansi_fg(sb, C_SYSTEM);
	sbuf_puts(sb, "Usage: ");
	ansi_fg(sb, C_EMPH);
	put_text(sb, c->usage, SIZE_MAX);
	eol(sb);
	ansi_fg(sb, C_DIM);
	sbuf_puts(sb, "  ");
	put_text(sb, c->help, SIZE_MAX);
	for (const char *const *a = c->aliases; a && *a; a++) {
		sbuf_puts(sb, a == c->aliases ? " (also /" : ", /");
		put_text(sb, *a, 16);
		if (a[1] == NULL)
			sbuf_putc(sb, ')');
	}
	eol(sb);
}

static void put_duration(struct sbuf *sb, int64_t ms)
{
	int64_t min = ms > 0 ? ms / 60000 : 0;
	if (min < 1)
		sbuf_puts(sb, "<1m");
	else if (min < 60)
		sbuf_printf(sb, "%" PRId64 "m", min);
	else
		sbuf_printf(sb, "%" PRId64 "h %02" PRId64 "m", min / 60, min % 60);
}

void chat_render_who(struct sbuf *sb, const struct chat_who_entry *who, size_t n,
		     int64_t now_ms)
{
	ansi_fg(sb, C_SYSTEM);
	sbuf_printf(sb, "In the room (%zu):", n);
	eol(sb);
	for (size_t i = 0; i < n; i++) {
		ansi_fg(sb, C_HANDLE);
		sbuf_puts(sb, "  ");
		put_padded(sb, who[i].handle, CHAT_RENDER_HANDLE_MAX, 20);
		ansi_fg(sb, C_DIM);
		/* In unsigned arithmetic: a time far in the past cannot overflow. */
		int64_t since = who[i].since_ms;
		uint64_t ago = (uint64_t)now_ms - (uint64_t)since;
		put_duration(sb, since > now_ms ? 0 : ago > INT64_MAX ? INT64_MAX : (int64_t)ago);
		if (who[i].level >= CHAT_LEVEL_SYSOP) {
			ansi_fg(sb, C_SYSTEM);
			sbuf_puts(sb, " (SysOp)");
		}
		if (who[i].away != NULL) {
			ansi_fg(sb, C_DIM);
			sbuf_puts(sb, " away");
			if (!is_empty(who[i].away)) {
				sbuf_puts(sb, ": ");
				put_text(sb, who[i].away, 80);
			}
		}
		eol(sb);
		if (who[i].detail != NULL) {
			ansi_fg(sb, C_DIM);
			sbuf_puts(sb, "      ");
			put_text(sb, who[i].detail, 72);
			eol(sb);
		}
	}
}

void chat_render_welcome(struct sbuf *sb, const char *room, const char *topic,
			 const char *const *names, size_t n)
{
	ansi_fg(sb, C_SYSTEM);
	sbuf_puts(sb, "*** Welcome to ");
	if (put_text(sb, room, 60) == 0)
		sbuf_puts(sb, "the chat");
	sbuf_puts(sb, " ***");
	eol(sb);
	if (!is_empty(topic)) {
		ansi_fg(sb, C_DIM);
		sbuf_puts(sb, "Topic: ");
		ansi_fg(sb, C_EMPH);
		put_text(sb, topic, SIZE_MAX);
		eol(sb);
	}
	ansi_fg(sb, C_DIM);
	if (n == 0 || names == NULL) {
		sbuf_puts(sb, "You are the only one here.");
	} else {
		sbuf_puts(sb, "Here now: ");
		ansi_fg(sb, C_HANDLE);
		put_names(sb, names, n, 0, CHAT_RENDER_WELCOME_NAMES_MAX);
	}
	eol(sb);
	ansi_fg(sb, C_DIM);
	sbuf_puts(sb, "Type ");
	ansi_fg(sb, C_EMPH);
	sbuf_puts(sb, "/help");
	ansi_fg(sb, C_DIM);
	sbuf_puts(sb, " for commands, ");
	ansi_fg(sb, C_EMPH);
	sbuf_puts(sb, "/quit");
	ansi_fg(sb, C_DIM);
	sbuf_puts(sb, " to leave.");
	eol(sb);
}

void chat_render_status(struct sbuf *sb, const char *room, const char *topic, size_t count,
			bool private_, unsigned cols)
{
	char tail[64];
	snprintf(tail, sizeof(tail), " | %zu here | /help ", count);
	struct sbuf head = SBUF_INIT;
	sbuf_putc(&head, ' ');
	put_text(&head, room, 60);
	if (private_)
		sbuf_puts(&head, " (private)");
	size_t room_w = text_width(head.data, head.len) + strlen(tail);
	size_t budget = cols > room_w + 1 ? cols - 1 - room_w : 0;
	sbuf_puts(sb, "\x1b[0;1;37;44m");
	sbuf_append(sb, head.data, head.len);
	if (!is_empty(topic) && budget > 6) {
		/* " | " and as much of the topic as fits, cut between characters */
		size_t start = sb->len;
		sbuf_puts(sb, " | ");
		size_t mark = sb->len;
		put_text(sb, topic, SIZE_MAX);
		while (sb->len > mark && text_width(sb->data + start, sb->len - start) > budget) {
			do
				sb->len--;
			while (sb->len > mark && (sb->data[sb->len] & 0xc0) == 0x80);
		}
	}
	sbuf_puts(sb, tail);
	sbuf_free(&head);
}
