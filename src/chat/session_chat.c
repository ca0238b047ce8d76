/* The chat as a session state: the input line, and the commands as a table.
 * What a caller types is sanitized and bounded before anyone else sees it, and
 * metered by a token bucket. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bbs/session.h"
#include "bbs/states.h"
#include "chat/command.h"
#include "chat/flood.h"
#include "chat/render.h"
#include "chat/room.h"
#include "chat/sanitize.h"
#include "term/lineedit.h"
#include "util/log.h"

#define WHO_MAX 512

struct say {
	struct chat_room *room;
	struct session *s;
};

static void reply(struct say *c, const struct sbuf *sb)
{
	chat_room_tell(c->room, c->s, sb->data, sb->len);
}

static void notice(struct say *c, const char *text)
{
	struct sbuf sb = SBUF_INIT;
	chat_render_notice(&sb, text);
	reply(c, &sb);
	sbuf_free(&sb);
}

static const char *handle_of(struct say *c)
{
	return session_user(c->s)->handle;
}

static unsigned level_of(struct say *c)
{
	return session_user(c->s)->level >= LEVEL_SYSOP ? CHAT_LEVEL_SYSOP : CHAT_LEVEL_USER;
}

static void say_public(struct say *c, enum chat_kind kind, const char *text)
{
	struct chat_event ev = { .kind = kind, .from = handle_of(c), .text = text,
	                         .from_level = level_of(c) };
	chat_room_publish(c->room, &ev);
}

static void cmd_me(void *ctx, const struct chat_args *a)
{
	say_public(ctx, CHAT_ACTION, a->argv[0]);
}

static void cmd_sysop(void *ctx, const struct chat_args *a)
{
	say_public(ctx, CHAT_SYSOP, a->argv[0]);
}

static void send_private(struct say *c, enum chat_kind kind, const char *to, const char *text)
{
	char msg[160];
	struct session *target = chat_room_find_caller(c->room, to);
	if (target == NULL) {
		snprintf(msg, sizeof(msg), "%s is not online.", to);
		notice(c, msg);
		return;
	}
	if (target == c->s) {
		notice(c, kind == CHAT_PAGE ? "You cannot page yourself." : "Talking to yourself?");
		return;
	}
	if (kind == CHAT_DM && !chat_room_has(c->room, target)) {
		snprintf(msg, sizeof(msg), "%s is not in the chat room. Try /page %s.",
		         session_user(target)->handle, session_user(target)->handle);
		notice(c, msg);
		return;
	}
	struct chat_event ev = { .kind = kind, .from = handle_of(c),
	                         .to = session_user(target)->handle, .text = text,
	                         .from_level = level_of(c) };
	chat_room_private(c->room, &ev, c->s, target);
}

static void cmd_msg(void *ctx, const struct chat_args *a)
{
	send_private(ctx, CHAT_DM, a->argv[0], a->argv[1]);
}

static void cmd_page(void *ctx, const struct chat_args *a)
{
	send_private(ctx, CHAT_PAGE, a->argv[0], a->argc > 1 ? a->argv[1] : NULL);
}

static void cmd_reply(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	const char *to = chat_room_reply_to(c->s);
	if (to == NULL || to[0] == '\0') {
		notice(c, "Nobody has sent you a private message yet.");
		return;
	}
	send_private(c, CHAT_DM, to, a->argv[0]);
}

static void cmd_who(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	static struct chat_who_entry who[WHO_MAX];
	(void)a;
	size_t n = chat_room_who(c->room, who, WHO_MAX);
	struct sbuf sb = SBUF_INIT;
	chat_render_who(&sb, who, n, (int64_t)session_now(c->s));
	reply(c, &sb);
	sbuf_free(&sb);
}

static const struct chat_command *table(size_t *n);

static void cmd_help(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	size_t n;
	const struct chat_command *t = table(&n);
	(void)a;
	struct sbuf sb = SBUF_INIT;
	chat_render_help(&sb, t, n, level_of(c));
	reply(c, &sb);
	sbuf_free(&sb);
}

static void cmd_quit(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	(void)a;
	menu_return(c->s);            /* leaving the state leaves the room */
}

/* The default table's rows, with handlers. */
static struct chat_command commands[16];
static size_t n_commands;

static const struct chat_command *table(size_t *n)
{
	if (n_commands == 0) {
		static const struct { int id; void (*fn)(void *, const struct chat_args *); } bind[] = {
			{ CHAT_CMD_ME, cmd_me }, { CHAT_CMD_MSG, cmd_msg }, { CHAT_CMD_REPLY, cmd_reply },
			{ CHAT_CMD_PAGE, cmd_page }, { CHAT_CMD_WHO, cmd_who }, { CHAT_CMD_HELP, cmd_help },
			{ CHAT_CMD_QUIT, cmd_quit }, { CHAT_CMD_SYSOP, cmd_sysop },
		};
		for (size_t i = 0; i < chat_commands_count && n_commands < 16; i++) {
			struct chat_command row = chat_commands[i];
			for (size_t j = 0; j < sizeof(bind) / sizeof(bind[0]); j++)
				if (bind[j].id == row.id)
					row.handler = bind[j].fn;
			commands[n_commands++] = row;
		}
	}
	*n = n_commands;
	return commands;
}

/* ---- the state ---- */

static void handle_line(struct session *s, const char *line, size_t len)
{
	struct chat_room *room = bbs_room(session_bbs(s));
	const struct config *cfg = bbs_config(session_bbs(s));
	struct say c = { room, s };
	char clean[CHAT_SANITIZE_BOUND(1024)];
	size_t n = chat_sanitize(line, len < 1024 ? len : 1024, clean, sizeof(clean), cfg->chat_max_line);
	struct chat_parse p;
	size_t tn;
	const struct chat_command *t = table(&tn);
	chat_command_parse(t, tn, clean, n, level_of(&c), &p);
	switch (p.status) {
	case CHAT_PARSE_EMPTY:
		chat_room_tell(room, s, (const uint8_t *)"", 0);
		break;
	case CHAT_PARSE_TEXT:
	case CHAT_PARSE_COMMAND: {
		bool speaks = p.status == CHAT_PARSE_TEXT ||
		              p.cmd->id == CHAT_CMD_ME || p.cmd->id == CHAT_CMD_MSG ||
		              p.cmd->id == CHAT_CMD_REPLY || p.cmd->id == CHAT_CMD_PAGE ||
		              p.cmd->id == CHAT_CMD_SYSOP;
		if (speaks && !chat_room_allow(room, s)) {
			uint64_t dropped;
			if (chat_room_flood_notice(room, s, &dropped)) {
				struct sbuf sb = SBUF_INIT;
				chat_render_slow_down(&sb, dropped);
				reply(&c, &sb);
				sbuf_free(&sb);
			} else {
				chat_room_tell(room, s, (const uint8_t *)"", 0);
			}
			break;
		}
		if (p.status == CHAT_PARSE_TEXT) {
			char text[sizeof(clean)];
			snprintf(text, sizeof(text), "%.*s", (int)p.text_len, p.text);
			say_public(&c, CHAT_PUBLIC, text);
		} else if (p.cmd->handler) {
			p.cmd->handler(&c, &p.args);
		}
		break;
	}
	case CHAT_PARSE_UNKNOWN: {
		struct sbuf sb = SBUF_INIT;
		chat_render_unknown(&sb);
		reply(&c, &sb);
		sbuf_free(&sb);
		break;
	}
	case CHAT_PARSE_USAGE: {
		struct sbuf sb = SBUF_INIT;
		chat_render_usage(&sb, p.cmd);
		reply(&c, &sb);
		sbuf_free(&sb);
		break;
	}
	}
	chat_parse_free(&p);
}

static size_t chat_input(struct session *s, const uint8_t *data, size_t len)
{
	struct lineedit *le = session_editor(s);
	size_t used = 0;
	int r = session_read_line(s, data, len, &used);
	if (r == LE_INTR) {
		le_redraw(le, session_out(s));
	} else if (r == LE_LINE) {
		size_t n;
		const char *line = le_line(le, &n);
		char copy[1024];
		n = n < sizeof(copy) ? n : sizeof(copy);
		memcpy(copy, line, n);
		le_reset(le);
		/* The typed line's echo goes: back up over it, the room prints it. */
		sbuf_puts(session_out(s), "\x1b[A\r\x1b[K");
		handle_line(s, copy, n);
	}
	return used;
}

static void chat_leave(struct session *s)
{
	chat_room_leave(bbs_room(session_bbs(s)), s);
}

static void chat_resize(struct session *s)
{
	struct lineedit *le = session_editor(s);
	le_erase(le, session_out(s));
	le_redraw(le, session_out(s));
}

const struct session_state state_chat = {
	.name = "In Chat",
	.input = chat_input,
	.leave = chat_leave,
	.resize = chat_resize,
	.timeout = SESSION_TIMEOUT_NONE,
};
