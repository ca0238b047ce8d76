/* The chat as a session state: the adapter between a caller's session and the chat
 * engine (src/chat/).  It reads the input line, runs the commands (a table with
 * handlers) and turns what the caller says into events for chat_deliver.  (The
 * member sink through which the engine reaches the caller is the session's:
 * bbs/session.c.)
 *
 * What a caller types is sanitized and bounded before anyone else sees it, and
 * metered by the room's flood bucket. */
#include <stdio.h>
#include <string.h>

#include "bbs/states.h"
#include "chat/command.h"
#include "chat/registry.h"
#include "chat/render.h"
#include "chat/sanitize.h"
#include "term/lineedit.h"
#include "util/log.h"

#define WHO_MAX 512

/* ---- the commands ---- */

struct say {
	struct session *s;
	struct chat_member *m;
	struct chat_registry *reg;
};

static void reply(struct say *c, const struct sbuf *sb)
{
	struct chat_sink *me = chat_member_sink(c->m);
	me->ops->tell(me, sb->data, sb->len);
}

static void notice(struct say *c, const char *text)
{
	struct sbuf sb = SBUF_INIT;
	chat_render_notice(&sb, text);
	reply(c, &sb);
	sbuf_free(&sb);
}

static void say_public(struct say *c, enum chat_kind kind, const char *text)
{
	struct chat_sink *me = chat_member_sink(c->m);
	struct chat_event ev = { .kind = kind, .room = chat_room_name(chat_member_room(c->m)),
	                         .from = me->handle, .text = text, .from_level = me->level };
	chat_deliver(c->reg, &ev);
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
	struct chat_member *target = chat_registry_find(c->reg, to);
	if (target == NULL) {
		snprintf(msg, sizeof(msg), "%s is not online.", to);
		notice(c, msg);
		return;
	}
	if (target == c->m) {
		notice(c, kind == CHAT_PAGE ? "You cannot page yourself." : "Talking to yourself?");
		return;
	}
	const char *name = chat_member_handle(target);
	if (kind == CHAT_DM && chat_member_room(target) != chat_member_room(c->m)) {
		snprintf(msg, sizeof(msg), "%s is not in the chat room. Try /page %s.", name, name);
		notice(c, msg);
		return;
	}
	struct chat_sink *me = chat_member_sink(c->m);
	struct chat_event ev = { .kind = kind, .from = me->handle, .to = name, .text = text,
	                         .from_level = me->level };
	chat_deliver(c->reg, &ev);
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
	const char *to = chat_member_reply_to(c->m);
	if (to[0] == '\0') {
		notice(c, "Nobody has sent you a private message yet.");
		return;
	}
	send_private(c, CHAT_DM, to, a->argv[0]);
}

static void cmd_who(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	static struct chat_who_entry who[WHO_MAX];   /* the loop is single-threaded */
	(void)a;
	size_t n = chat_room_who(chat_member_room(c->m), who, WHO_MAX);
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
	chat_render_help(&sb, t, n, chat_member_sink(c->m)->level);
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
#define COMMANDS_MAX 16
static struct chat_command commands[COMMANDS_MAX];
static size_t n_commands;

static const struct chat_command *table(size_t *n)
{
	if (n_commands == 0) {
		static const struct { int id; void (*fn)(void *, const struct chat_args *); } bind[] = {
			{ CHAT_CMD_ME, cmd_me }, { CHAT_CMD_MSG, cmd_msg }, { CHAT_CMD_REPLY, cmd_reply },
			{ CHAT_CMD_PAGE, cmd_page }, { CHAT_CMD_WHO, cmd_who }, { CHAT_CMD_HELP, cmd_help },
			{ CHAT_CMD_QUIT, cmd_quit }, { CHAT_CMD_SYSOP, cmd_sysop },
		};
		for (size_t i = 0; i < chat_commands_count && n_commands < COMMANDS_MAX; i++) {
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

/* Does this command put words in front of others (and so spend a flood token)? */
static bool speaks(const struct chat_parse *p)
{
	if (p->status == CHAT_PARSE_TEXT)
		return true;
	switch (p->cmd->id) {
	case CHAT_CMD_ME: case CHAT_CMD_MSG: case CHAT_CMD_REPLY: case CHAT_CMD_PAGE:
	case CHAT_CMD_SYSOP:
		return true;
	default:
		return false;
	}
}

/* ---- the state ---- */

/* A finished line, already sanitized. */
static void handle_line(struct session *s, const struct sbuf *clean)
{
	struct say c = { s, session_member(s), bbs_chat(session_bbs(s)) };
	struct sbuf sb = SBUF_INIT;
	struct chat_parse p;
	size_t tn;
	const struct chat_command *t = table(&tn);
	chat_command_parse(t, tn, (const char *)clean->data, clean->len,
	                   chat_member_sink(c.m)->level, &p);
	switch (p.status) {
	case CHAT_PARSE_EMPTY:
		reply(&c, &sb);
		break;
	case CHAT_PARSE_TEXT:
	case CHAT_PARSE_COMMAND:
		if (speaks(&p) && !chat_member_allow(c.m, (int64_t)session_now(s))) {
			uint64_t dropped;
			if (chat_member_flood_notice(c.m, (int64_t)session_now(s), &dropped))
				chat_render_slow_down(&sb, dropped);
			reply(&c, &sb);
			break;
		}
		if (p.status == CHAT_PARSE_TEXT) {
			/* The text is a span of the line: say it as a string of its own. */
			sbuf_append(&sb, p.text, p.text_len);
			sbuf_putc(&sb, '\0');
			say_public(&c, CHAT_PUBLIC, (const char *)sb.data);
		} else if (p.cmd->handler) {
			p.cmd->handler(&c, &p.args);
		}
		break;
	case CHAT_PARSE_UNKNOWN:
		chat_render_unknown(&sb);
		reply(&c, &sb);
		break;
	case CHAT_PARSE_USAGE:
		chat_render_usage(&sb, p.cmd);
		reply(&c, &sb);
		break;
	}
	chat_parse_free(&p);
	sbuf_free(&sb);
}

static size_t chat_input(struct session *s, const uint8_t *data, size_t len)
{
	struct lineedit *le = session_editor(s);
	struct chat_member *m = session_member(s);
	size_t used = 0, typed;
	int r = session_read_line(s, data, len, &used);
	if (r == LE_INTR) {
		le_redraw(le, session_out(s));
	} else if (r == LE_LINE) {
		size_t n;
		const char *line = le_line(le, &n);
		/* Sanitized whole (max_line code points, however many bytes), then the
		 * editor starts a new line, so that notices redraw a fresh prompt. */
		struct sbuf clean = SBUF_INIT;
		chat_sanitize_append(&clean, line, n, bbs_config(session_bbs(s))->chat_max_line);
		le_reset(le);
		chat_member_set_typing(m, false);
		/* The typed line's echo goes: back up over it, the room prints it. */
		sbuf_puts(session_out(s), "\x1b[A\r\x1b[K");
		handle_line(s, &clean);
		sbuf_free(&clean);
		return used;
	}
	le_line(le, &typed);
	chat_member_set_typing(m, typed > 0);
	return used;
}

static void chat_leave(struct session *s)
{
	chat_room_leave(session_member(s));
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

/* From the menu: into the default room, or "full" and back to the menu.  The caller
 * is subscribed first, then shown the room, then announced (coalesced), so that it
 * misses nothing and sees nothing out of order. */
void bbs_chat_enter(struct session *s)
{
	struct chat_registry *reg = bbs_chat(session_bbs(s));
	struct chat_room *room = chat_registry_default(reg);
	struct chat_member *m = session_member(s);
	const struct config *cfg = bbs_config(session_bbs(s));
	if (chat_member_room(m) != NULL)
		return;
	if (chat_room_join(room, m, (int64_t)session_now(s)) == CHAT_ROOM_FULL) {
		chat_render_notice(session_out(s), "The chat room is full. Try again in a little while.");
		bbs_pause_then_menu(s);
		return;
	}
	session_set_state(s, &state_chat);
	struct sbuf *out = session_out(s);
	chat_room_welcome(room, m, out);
	struct lineedit *le = session_editor(s);
	le_reset(le);
	le_set_hidden(le, false);
	le_set_limit(le, cfg->chat_max_line);
	le_set_prompt(le, CHAT_PROMPT);
	le_redraw(le, out);
	session_flush(s);
}
