/* The chat as a session state: the adapter between a caller's session and the chat
 * engine (src/chat/).  It draws the caller's screen (line by line, or split: the
 * conversation in a scroll region, a status line, the input line pinned at the
 * bottom), reads the input line, runs the commands (a table with handlers), turns
 * what the caller says into events for chat_deliver, and keeps the caller's own
 * settings (ignore list, bell, quiet) in the account.  (The member sink through
 * which the engine reaches the caller is the session's: bbs/session.c.)
 *
 * What a caller types is sanitized and bounded before anyone else sees it, and
 * metered by the room's flood bucket. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bbs/actions.h"
#include "bbs/moderate.h"
#include "bbs/states.h"
#include "chat/command.h"
#include "chat/registry.h"
#include "chat/render.h"
#include "chat/sanitize.h"
#include "cluster/cluster.h"
#include "store/store.h"
#include "term/lineedit.h"
#include "util/duration.h"
#include "util/log.h"

#define WHO_MAX 512
#define SPLIT_MIN_COLS 80
#define SPLIT_MIN_ROWS 20
#define OFFER_TEXT_MAX (4 * LE_MAX_LIMIT + 1)

/* A telegram offered after a /msg or /page to a caller who is not online: the
 * next line answers it. */
struct offer {
	int64_t to_id;
	char to[32];
	char text[OFFER_TEXT_MAX];
};

/* ---- the screen ---- */

static bool split(struct session *s)
{
	return chat_member_layout(session_member(s)) == CHAT_LAYOUT_SPLIT;
}

void bbs_chat_show(struct session *s, const uint8_t *term, size_t len)
{
	struct sbuf *out = session_out(s);
	if (split(s)) {
		sbuf_puts(out, CHAT_SPLIT_BEFORE);
		sbuf_append(out, term, len);
		sbuf_puts(out, CHAT_SPLIT_AFTER);
		return;
	}
	struct lineedit *le = session_editor(s);
	le_erase(le, out);
	sbuf_append(out, term, len);
	le_redraw(le, out);
}

/* The whole chat screen: the layout the terminal allows, the room's welcome and
 * scrollback, (split) the title and status lines, and the input line. */
static void draw_screen(struct session *s)
{
	struct chat_member *m = session_member(s);
	struct chat_room *room = chat_member_room(m);
	struct sbuf *out = session_out(s);
	unsigned rows = session_rows(s), cols = session_cols(s);
	bool can_split = session_sized(s) && cols >= SPLIT_MIN_COLS && rows >= SPLIT_MIN_ROWS;
	chat_member_set_layout(m, can_split ? CHAT_LAYOUT_SPLIT : CHAT_LAYOUT_LINE);
	if (!can_split) {
		sbuf_puts(out, "\x1b[0m\x1b[r\x1b[2J\x1b[H");
		chat_room_welcome(room, m, out);
	} else {
		/* A title row, the conversation in rows 2..rows-2 (its bottom row kept
		 * blank), the status line, the input line.  The region does not start at
		 * the top row: xterm.js keeps a saved cursor in its buffer's coordinates,
		 * which a region from the top row shifts as it scrolls. */
		const struct config *cfg = bbs_config(session_bbs(s));
		sbuf_printf(out, "\x1b[0m\x1b[2J\x1b[H\x1b[0;1;37;44m %s \xc2\xb7 Teleconference\x1b[K"
		            "\x1b[0m\x1b[2;%ur\x1b[%u;1H", cfg->bbs_name, rows - 2, rows - 2);
		chat_room_welcome(room, m, out);
		sbuf_printf(out, "\x1b[%u;1H", rows - 1);
		chat_room_status(room, cols, out);
		sbuf_printf(out, "\x1b[K\x1b[0m\x1b[%u;1H", rows);
	}
	le_redraw(session_editor(s), out);
}

/* ---- the commands ---- */

struct say {
	struct session *s;
	struct chat_member *m;
	struct chat_registry *reg;
};

static struct chat_room *room_of(struct say *c)
{
	return chat_member_room(c->m);
}

static const char *me(struct say *c)
{
	return chat_member_handle(c->m);
}

/* A caller online on another server of the cluster (NULL if none, or alone). */
static const struct cluster_line *elsewhere(struct say *c, const char *handle)
{
	return cluster_find(bbs_cluster(session_bbs(c->s)), handle, NULL);
}

static void reply(struct say *c, const struct sbuf *sb)
{
	struct chat_sink *sink = chat_member_sink(c->m);
	sink->ops->tell(sink, sb->data, sb->len);
}

__attribute__((format(printf, 2, 3)))
static void notice(struct say *c, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	struct sbuf sb = SBUF_INIT;
	chat_render_notice(&sb, text);
	reply(c, &sb);
	sbuf_free(&sb);
}

static void say_in_room(struct say *c, enum chat_kind kind, const char *text)
{
	struct chat_sink *sink = chat_member_sink(c->m);
	struct chat_event ev = { .kind = kind, .room = chat_room_name(room_of(c)),
	                         .from = sink->handle, .text = text, .from_level = sink->level };
	chat_deliver(c->reg, &ev);
}

static void cmd_me(void *ctx, const struct chat_args *a)
{
	say_in_room(ctx, CHAT_ACTION, a->argv[0]);
}

static void cmd_sysop(void *ctx, const struct chat_args *a)
{
	say_in_room(ctx, CHAT_SYSOP, a->argv[0]);
}

/* ---- what the chat asks the database ---- */

/* What a chat command does once the database has answered. */
enum chat_after {
	AFTER_OFFER,        /* /msg or /page to a caller not online: offer a telegram */
	AFTER_TELEGRAM,     /* /telegram: leave one */
	AFTER_LEAVE,        /* "send it as a telegram?" yes: leave it */
	AFTER_INVITE,       /* /invite a caller not online */
	AFTER_IGNORE,       /* /ignore */
};

struct chat_job {
	enum chat_after after;
	char handle[32];            /* looked up (or, AFTER_LEAVE, the addressee) */
	int64_t to_id;              /* AFTER_LEAVE */
	char from[32];              /* the caller */
	char text[OFFER_TEXT_MAX];
	int64_t now;
	int telegram_max, telegram_rate;
	int rc;                     /* the look-up's */
	int sent;                   /* the telegram's (-100: not tried) */
	struct store_user u;
};

static void chat_work(struct store *st, void *arg)
{
	struct chat_job *j = arg;
	j->sent = -100;
	if (j->after == AFTER_LEAVE) {
		j->rc = STORE_OK;
		j->u.id = j->to_id;
		snprintf(j->u.handle, sizeof(j->u.handle), "%s", j->handle);
	} else {
		j->rc = store_user_get(st, j->handle, &j->u);
	}
	if (j->rc == STORE_OK && (j->after == AFTER_LEAVE || j->after == AFTER_TELEGRAM) &&
	    strcasecmp(j->u.handle, j->from) != 0)
		j->sent = store_telegram_add(st, j->u.id, j->from, j->text, j->now, j->telegram_max,
		                             j->telegram_rate);
}

static void telegram_sent(struct say *c, int rc, const char *to)
{
	const struct config *cfg = bbs_config(session_bbs(c->s));
	switch (rc) {
	case STORE_OK:
		notice(c, "Telegram left for %s: they will see it next call.", to);
		log_info("event=telegram from=%s to=%s", LOG_Q(me(c)), LOG_Q(to));
		break;
	case STORE_TELEGRAMS_FULL:
		notice(c, "%s has %u telegrams waiting already: no more until they read them.",
		       to, cfg->telegram_max);
		break;
	case STORE_TELEGRAMS_RATE:
		notice(c, "You have sent %u telegrams this hour: wait a while.", cfg->telegram_rate);
		break;
	default:
		notice(c, "The telegram could not be saved. Try again later.");
		break;
	}
}

static void offer_telegram(struct say *c, const struct store_user *u, const char *text);
static void invite_named(struct say *c, struct chat_member *who, const struct cluster_line *far,
                         const char *name);
static void ignore_account(struct say *c, const struct store_user *u);

static void chat_done(struct session *s, void *arg)
{
	struct chat_job *j = arg;
	struct chat_member *m = session_member(s);
	if (m == NULL || chat_member_room(m) == NULL)
		return;    /* out of the chat meanwhile (kicked, say): the answer has no place */
	struct say c = { s, m, bbs_chat(session_bbs(s)) };
	if (j->rc == STORE_ERROR) {
		notice(&c, "The database is not answering. Try again later.");
		return;
	}
	if (j->rc != STORE_OK) {
		notice(&c, "There is no caller called %s.", j->handle);
		return;
	}
	switch (j->after) {
	case AFTER_OFFER:
		offer_telegram(&c, &j->u, j->text);
		break;
	case AFTER_TELEGRAM:
	case AFTER_LEAVE:
		if (j->sent == -100)
			notice(&c, "A telegram to yourself? Try a notebook.");
		else
			telegram_sent(&c, j->sent, j->u.handle);
		break;
	case AFTER_INVITE:
		if (chat_room_may_run(room_of(&c), m))
			invite_named(&c, NULL, NULL, j->u.handle);
		break;
	case AFTER_IGNORE:
		ignore_account(&c, &j->u);
		break;
	}
}

/* Ask the database about handle, then carry on as after says. */
static void ask(struct say *c, enum chat_after after, const char *handle, int64_t to_id,
                const char *text)
{
	const struct config *cfg = bbs_config(session_bbs(c->s));
	static struct chat_job j;     /* copied by session_db; keeps it off the stack */
	memset(&j, 0, sizeof(j));
	j.after = after;
	j.to_id = to_id;
	j.now = (int64_t)time(NULL);
	j.telegram_max = (int)cfg->telegram_max;
	j.telegram_rate = (int)cfg->telegram_rate;
	snprintf(j.handle, sizeof(j.handle), "%s", handle);
	snprintf(j.from, sizeof(j.from), "%s", me(c));
	snprintf(j.text, sizeof(j.text), "%s", text ? text : "");
	if (strlen(handle) >= sizeof(j.handle)) {
		notice(c, "There is no caller called %s.", handle);
		return;
	}
	if (!session_db(c->s, chat_work, chat_done, &j, sizeof(j)))
		notice(c, "The database is busy. Try again in a moment.");
}

/* /msg or /page to a handle that exists but is not online: offer a telegram. */
static void offer_telegram(struct say *c, const struct store_user *u, const char *text)
{
	if (text == NULL || text[0] == '\0') {
		notice(c, "%s is not online. /telegram %s <text> leaves a message.", u->handle,
		       u->handle);
		return;
	}
	struct offer *o = session_flow(c->s, sizeof(struct offer));
	o->to_id = u->id;
	snprintf(o->to, sizeof(o->to), "%s", u->handle);
	snprintf(o->text, sizeof(o->text), "%s", text);
	notice(c, "%s is not online.", u->handle);
	struct lineedit *le = session_editor(c->s);
	le_set_prompt(le, "\x1b[1;33mSend it as a telegram? (Y/N)\x1b[0m ");
	le_erase(le, session_out(c->s));
	le_redraw(le, session_out(c->s));
}

static void send_private(struct say *c, enum chat_kind kind, const char *to, const char *text)
{
	struct chat_member *target = chat_registry_find(c->reg, to);
	const struct cluster_line *far = target == NULL ? elsewhere(c, to) : NULL;
	if (far != NULL) {
		/* On another server: the event goes there (chat_deliver publishes it
		 * to that server alone); the sender's receipt is written here. */
		char name[CLUSTER_HANDLE_MAX];
		snprintf(name, sizeof(name), "%s", far->handle);
		if (kind == CHAT_DM && strcasecmp(far->room, chat_room_name(room_of(c))) != 0) {
			notice(c, "%s is not in the chat room. Try /page %s.", name, name);
			return;
		}
		struct chat_sink *sink = chat_member_sink(c->m);
		struct chat_event ev = { .kind = kind, .from = sink->handle, .to = name,
		                         .text = text, .from_level = sink->level };
		chat_deliver(c->reg, &ev);
		return;
	}
	if (target == NULL) {
		ask(c, AFTER_OFFER, to, 0, text);
		return;
	}
	if (target == c->m) {
		notice(c, kind == CHAT_PAGE ? "You cannot page yourself." : "Talking to yourself?");
		return;
	}
	const char *name = chat_member_handle(target);
	if (kind == CHAT_DM && chat_member_room(target) != room_of(c)) {
		notice(c, "%s is not in the chat room. Try /page %s.", name, name);
		return;
	}
	struct chat_sink *sink = chat_member_sink(c->m);
	struct chat_event ev = { .kind = kind, .from = sink->handle, .to = name, .text = text,
	                         .from_level = sink->level };
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

static void cmd_telegram(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	ask(c, AFTER_TELEGRAM, a->argv[0], 0, a->argv[1]);
}

struct far_who {
	struct chat_who_entry *who;
	char (*detail)[128];
	size_t n;
	int64_t now_ms, wall_s;
	const char *room;
	bool sysop;
};

static void add_far_who(void *ud, const char *node, const struct cluster_line *l)
{
	struct far_who *fw = ud;
	if (fw->n >= WHO_MAX || l->handle[0] == '\0' || strcasecmp(l->room, fw->room) != 0)
		return;
	int64_t on_ms = (fw->wall_s - l->since) * 1000;
	struct chat_who_entry *e = &fw->who[fw->n];
	*e = (struct chat_who_entry){ l->handle, fw->now_ms - (on_ms > 0 ? on_ms : 0), l->level,
	                              NULL, NULL };
	if (fw->sysop) {
		snprintf(fw->detail[fw->n], sizeof(fw->detail[fw->n]), "node %u on %.40s  %.60s", l->line,
		         node, l->detail);
		e->detail = fw->detail[fw->n];
	}
	fw->n++;
}

static void cmd_who(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	static struct chat_who_entry who[WHO_MAX];   /* the loop is single-threaded */
	(void)a;
	static char detail[WHO_MAX][128];
	size_t n = chat_room_who(room_of(c), who, WHO_MAX);
	size_t here = n;
	/* The room's callers on the other servers of a cluster. */
	struct far_who fw = { who, detail, n, (int64_t)session_now(c->s), (int64_t)time(NULL),
	                      chat_room_name(room_of(c)),
	                      session_user(c->s)->level >= LEVEL_SYSOP };
	cluster_each(bbs_cluster(session_bbs(c->s)), add_far_who, &fw);
	n = fw.n;
	/* A sysop sees where each caller is calling from. */
	if (session_user(c->s)->level >= LEVEL_SYSOP) {
		for (size_t i = 0; i < here; i++) {
			struct chat_member *m = chat_registry_find(c->reg, who[i].handle);
			if (m == NULL)
				continue;
			struct session *o = session_of_member(m);
			char where[96];
			snprintf(detail[i], sizeof(detail[i]), "node %u  %s", session_node(o),
			         session_describe(o, where, sizeof(where)));
			who[i].detail = detail[i];
		}
	}
	struct sbuf sb = SBUF_INIT;
	chat_render_who(&sb, who, n, (int64_t)session_now(c->s));
	reply(c, &sb);
	sbuf_free(&sb);
}

/* May this caller see that room in /list and /where? */
static bool visible(struct say *c, struct chat_room *r)
{
	return !chat_room_private(r) || r == room_of(c) ||
	       chat_member_sink(c->m)->level >= CHAT_LEVEL_SYSOP;
}

static void cmd_list(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	struct sbuf sb = SBUF_INIT;
	(void)a;
	chat_render_system(&sb, "Rooms:");
	for (size_t i = 0; i < chat_registry_count(c->reg); i++) {
		struct chat_room *r = chat_registry_room_at(c->reg, i);
		if (!chat_room_settings(r)->listed || !visible(c, r))
			continue;
		struct sbuf line = SBUF_INIT;
		sbuf_printf(&line, "  %-20s %4zu here%s%s%s", chat_room_name(r), chat_room_count(r),
		            chat_room_private(r) ? "  (private)" : "",
		            chat_room_topic(r)[0] ? "  " : "", chat_room_topic(r));
		sbuf_putc(&line, '\0');
		chat_render_system(&sb, (const char *)line.data);
		sbuf_free(&line);
	}
	reply(c, &sb);
	sbuf_free(&sb);
}

static void cmd_where(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	struct chat_member *who = chat_registry_find(c->reg, a->argv[0]);
	const struct cluster_line *far = who == NULL ? elsewhere(c, a->argv[0]) : NULL;
	if (far != NULL) {
		struct chat_room *fr = far->room[0] ? chat_registry_room(c->reg, far->room) : NULL;
		if (far->room[0] == '\0')
			notice(c, "%s is online, not in a chat room.", far->handle);
		else if (fr != NULL && !visible(c, fr))
			notice(c, "%s is in a private room.", far->handle);
		else
			notice(c, "%s is in %s.", far->handle, far->room);
		return;
	}
	if (who == NULL) {
		notice(c, "%s is not online.", a->argv[0]);
		return;
	}
	struct chat_room *r = chat_member_room(who);
	if (r == NULL)
		notice(c, "%s is online, not in a chat room.", chat_member_handle(who));
	else if (!visible(c, r))
		notice(c, "%s is in a private room.", chat_member_handle(who));
	else
		notice(c, "%s is in %s.", chat_member_handle(who), chat_room_name(r));
}

static void enter_room(struct say *c, struct chat_room *to);

static void cmd_join(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	const char *name = a->argv[0];
	struct chat_room *to = chat_registry_room(c->reg, name);
	if (to == room_of(c)) {
		notice(c, "You are in %s already.", chat_room_name(to));
		return;
	}
	if (to == NULL) {
		if (!chat_room_name_ok(name)) {
			notice(c, "A room's name is 1 to %d letters, digits, - or _.", CHAT_ROOM_NAME_MAX);
			return;
		}
		if (!bbs_config(session_bbs(c->s))->chat_caller_rooms) {
			notice(c, "There is no room called %s. /list shows the rooms.", name);
			return;
		}
		to = chat_registry_make_room(c->reg, name, me(c));
		if (to == NULL) {
			notice(c, "A room called %s cannot be opened now.", name);
			return;
		}
		log_info("event=room_open handle=%s room=%s", LOG_Q(me(c)), LOG_Q(name));
	}
	enter_room(c, to);
}

/* text sanitized into out (NUL-terminated) if it has at most max characters. */
static bool bounded(const char *text, size_t max, struct sbuf *out)
{
	struct sbuf cut = SBUF_INIT;
	chat_sanitize_append(out, text, strlen(text), SIZE_MAX);
	chat_sanitize_append(&cut, text, strlen(text), max);
	bool ok = cut.len == out->len;
	sbuf_free(&cut);
	sbuf_putc(out, '\0');
	return ok;
}

static void cmd_topic(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	struct chat_room *r = room_of(c);
	if (!chat_room_may_run(r, c->m)) {
		notice(c, "Only the room's owner or a sysop may set its topic.");
		return;
	}
	struct sbuf topic = SBUF_INIT;
	if (!bounded(a->argc > 0 ? a->argv[0] : "", CHAT_TOPIC_MAX, &topic))
		notice(c, "A topic is at most %d characters.", CHAT_TOPIC_MAX);
	else
		say_in_room(c, CHAT_TOPIC, (const char *)topic.data);
	sbuf_free(&topic);
}

static void cmd_private(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	struct chat_room *r = room_of(c);
	(void)a;
	if (chat_room_owner(r)[0] == '\0' && chat_member_sink(c->m)->level < CHAT_LEVEL_SYSOP) {
		notice(c, "Only a room a caller opened can be made private. /join <name> opens one.");
		return;
	}
	if (!chat_room_may_run(r, c->m)) {
		notice(c, "Only %s, who opened this room, may make it private.", chat_room_owner(r));
		return;
	}
	bool now = !chat_room_private(r);
	chat_room_set_private(r, now);
	char text[160];
	snprintf(text, sizeof(text), now ? "%s made the room private: invitation only"
	                                 : "%s opened the room to everyone", me(c));
	say_in_room(c, CHAT_SYSTEM, text);
}

static void cmd_invite(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	struct chat_room *r = room_of(c);
	if (!chat_room_may_run(r, c->m)) {
		notice(c, "Only the room's owner or a sysop may invite callers.");
		return;
	}
	struct chat_member *who = chat_registry_find(c->reg, a->argv[0]);
	const struct cluster_line *far = who == NULL ? elsewhere(c, a->argv[0]) : NULL;
	const char *name = who ? chat_member_handle(who) : far ? far->handle : NULL;
	if (name == NULL) {
		ask(c, AFTER_INVITE, a->argv[0], 0, NULL);    /* not online: does it exist? */
		return;
	}
	invite_named(c, who, far, name);
}

/* The invitation itself, to a caller found online (who, or far on another server)
 * or in the database (neither). */
static void invite_named(struct say *c, struct chat_member *who, const struct cluster_line *far,
                         const char *name)
{
	struct chat_room *r = room_of(c);
	char invited[CLUSTER_HANDLE_MAX];
	snprintf(invited, sizeof(invited), "%s", name);
	name = invited;
	chat_room_invite(r, name);
	if (who == NULL && far == NULL) {
		notice(c, "%s may come in now (they are not online to be told).", name);
		return;
	}
	struct chat_sink *sink = chat_member_sink(c->m);
	struct chat_event ev = { .kind = CHAT_INVITE, .room = chat_room_name(r), .from = sink->handle,
	                         .to = name, .from_level = sink->level };
	chat_deliver(c->reg, &ev);
}

static void cmd_uninvite(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	struct chat_room *r = room_of(c);
	if (!chat_room_may_run(r, c->m)) {
		notice(c, "Only the room's owner or a sysop may take invitations back.");
		return;
	}
	if (chat_room_uninvite(r, a->argv[0]))
		notice(c, "%s is no longer invited.", a->argv[0]);
	else
		notice(c, "%s was not invited.", a->argv[0]);
}

/* ---- the caller's own settings ---- */

static void cmd_ignore(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	if (a->argc == 0) {
		size_t n;
		const char *const *list = chat_member_ignored(c->m, &n);
		if (n == 0) {
			notice(c, "You are ignoring nobody. /ignore <handle> to start.");
			return;
		}
		struct sbuf sb = SBUF_INIT;
		sbuf_puts(&sb, "You are ignoring:");
		for (size_t i = 0; i < n; i++)
			sbuf_printf(&sb, "%s %s", i ? "," : "", list[i]);
		sbuf_putc(&sb, '\0');
		notice(c, "%s", (const char *)sb.data);
		sbuf_free(&sb);
		return;
	}
	ask(c, AFTER_IGNORE, a->argv[0], 0, NULL);
}

struct ignore_write {
	int64_t user_id;
	char handle[32];
	int64_t now;             /* 0: remove */
};

static void ignore_work(struct store *st, void *arg)
{
	struct ignore_write *w = arg;
	if (w->now != 0)
		store_ignore_add(st, w->user_id, w->handle, w->now);
	else
		store_ignore_remove(st, w->user_id, w->handle);
}

static void ignore_write(struct say *c, const char *handle, int64_t now)
{
	struct ignore_write w = { .user_id = session_user(c->s)->id, .now = now };
	snprintf(w.handle, sizeof(w.handle), "%s", handle);
	bbs_db_write(session_bbs(c->s), ignore_work, &w, sizeof(w));
}

/* /ignore, the account found. */
static void ignore_account(struct say *c, const struct store_user *found)
{
	const struct store_user *u = found;
	if (strcasecmp(u->handle, me(c)) == 0) {
		notice(c, "You cannot ignore yourself.");
		return;
	}
	if (chat_member_ignores(c->m, u->handle)) {
		notice(c, "You are ignoring %s already.", u->handle);
		return;
	}
	if (!chat_member_ignore(c->m, u->handle)) {
		notice(c, "You are ignoring %d callers: /unignore one first.", CHAT_IGNORE_MAX);
		return;
	}
	ignore_write(c, u->handle, (int64_t)time(NULL));
	notice(c, "You will hear nothing from %s (they are not told).", u->handle);
}

static void cmd_unignore(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	if (!chat_member_unignore(c->m, a->argv[0])) {
		notice(c, "You are not ignoring %s.", a->argv[0]);
		return;
	}
	ignore_write(c, a->argv[0], 0);
	notice(c, "You hear %s again.", a->argv[0]);
}

static void cmd_away(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	struct sbuf msg = SBUF_INIT;
	if (!bounded(a->argc > 0 ? a->argv[0] : "", CHAT_AWAY_MAX, &msg)) {
		notice(c, "An away message is at most %d characters.", CHAT_AWAY_MAX);
	} else {
		chat_member_set_away(c->m, (const char *)msg.data);
		session_presence(c->s);
		if (msg.data[0] != '\0')
			notice(c, "You are away: %s", (const char *)msg.data);
		else
			notice(c, "You are away.");
	}
	sbuf_free(&msg);
}

static void cmd_back(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	(void)a;
	if (chat_member_away(c->m) == NULL) {
		notice(c, "You were not away.");
		return;
	}
	chat_member_set_away(c->m, NULL);
	session_presence(c->s);
	notice(c, "Welcome back.");
}

struct settings_write {
	int64_t user_id;
	int bell;
	bool quiet;
};

static void settings_work(struct store *st, void *arg)
{
	struct settings_write *w = arg;
	store_user_set_chat(st, w->user_id, w->bell, w->quiet);
}

static void save_settings(struct say *c)
{
	struct settings_write w = { session_user(c->s)->id, (int)chat_member_bell(c->m),
	                            chat_member_quiet(c->m) };
	bbs_db_write(session_bbs(c->s), settings_work, &w, sizeof(w));
}

static void cmd_bell(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	static const struct { const char *word; enum chat_bell bell; const char *what; } modes[] = {
		{ "on", CHAT_BELL_ON, "private messages, invitations and pages ring" },
		{ "off", CHAT_BELL_OFF, "nothing rings" },
		{ "page", CHAT_BELL_PAGE, "only pages ring" },
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcasecmp(a->argv[0], modes[i].word) == 0) {
			chat_member_set_bell(c->m, modes[i].bell);
			save_settings(c);
			notice(c, "Bell %s: %s.", modes[i].word, modes[i].what);
			return;
		}
	}
	notice(c, "Usage: /bell on|off|page");
}

static void cmd_quiet(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	(void)a;
	bool now = !chat_member_quiet(c->m);
	chat_member_set_quiet(c->m, now);
	save_settings(c);
	notice(c, now ? "Quiet: joins and leaves are hidden. /quiet again shows them."
	              : "Joins and leaves are shown again.");
}

static void cmd_actions(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	const struct actions *acts = bbs_actions(session_bbs(c->s));
	(void)a;
	if (acts->n == 0) {
		notice(c, "There are no actions on this board.");
		return;
	}
	struct sbuf sb = SBUF_INIT, line = SBUF_INIT;
	chat_render_system(&sb, "Actions (/verb alone, or /verb <handle> at someone here):");
	sbuf_puts(&line, " ");
	for (size_t i = 0; i < acts->n; i++) {
		if (line.len + strlen(acts->v[i].verb) + 2 > 78) {
			sbuf_putc(&line, '\0');
			chat_render_system(&sb, (const char *)line.data);
			sbuf_reset(&line);
			sbuf_puts(&line, " ");
		}
		sbuf_printf(&line, " /%s", acts->v[i].verb);
	}
	sbuf_putc(&line, '\0');
	chat_render_system(&sb, (const char *)line.data);
	reply(c, &sb);
	sbuf_free(&sb);
	sbuf_free(&line);
}

/* /VERB [handle]: an action from the table, aimed at someone in the room or not. */
static bool act(struct say *c, const char *verb, size_t len, const char *args)
{
	const struct action *ac = actions_find(bbs_actions(session_bbs(c->s)), verb, len);
	if (ac == NULL)
		return false;
	const char *target = NULL;
	char name[64];
	if (args != NULL && args[0] != '\0') {
		size_t n = strcspn(args, " ");
		snprintf(name, sizeof(name), "%.*s", (int)n, args);
		struct chat_member *who = chat_registry_find(c->reg, name);
		const struct cluster_line *far = who == NULL ? elsewhere(c, name) : NULL;
		if (far != NULL && strcasecmp(far->room, chat_room_name(room_of(c))) == 0) {
			snprintf(name, sizeof(name), "%s", far->handle);
			target = name;
		} else if (who == NULL || chat_member_room(who) != room_of(c)) {
			notice(c, "%s is not in this room.", name);
			return true;
		} else {
			target = chat_member_handle(who);
		}
	}
	struct sbuf text = SBUF_INIT;
	action_text(ac, target, &text);
	sbuf_putc(&text, '\0');
	say_in_room(c, CHAT_ACTION, (const char *)text.data);
	sbuf_free(&text);
	return true;
}

static const struct chat_command *table(size_t *n);

static void cmd_help(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	size_t n;
	const struct chat_command *t = table(&n);
	struct sbuf sb = SBUF_INIT;
	unsigned level = chat_member_sink(c->m)->level;
	if (a->argc > 0) {
		const char *name = a->argv[0][0] == '/' ? a->argv[0] + 1 : a->argv[0];
		const struct chat_command *cmd = chat_command_find(t, n, name, strlen(name));
		const struct action *ac = actions_find(bbs_actions(session_bbs(c->s)), name,
		                                       strlen(name));
		if (cmd != NULL && level >= cmd->min_level) {
			chat_render_help_one(&sb, cmd);
		} else if (ac != NULL) {
			char usage[64];
			snprintf(usage, sizeof(usage), "/%s [handle] (an action: /actions lists them)",
			         ac->verb);
			chat_render_system(&sb, usage);
		} else {
			notice(c, "There is no command /%s. /help lists them.", name);
			return;
		}
	} else {
		chat_render_help(&sb, t, n, level);
	}
	reply(c, &sb);
	sbuf_free(&sb);
}

/* ---- moderation (bbs/moderate.h decides who may) ---- */

static struct mod_actor actor_of(struct say *c)
{
	return (struct mod_actor){ .name = me(c), .audit = me(c),
	                           .level = session_user(c->s)->level, .member = c->m };
}

static void answer(struct say *c, const char *text)
{
	notice(c, "%s", text);
}

/* "[minutes|time] [reason]": a leading duration, if there is one, then the reason. */
static const char *split_duration(const char *rest, bool forever, int64_t *seconds)
{
	*seconds = 0;
	if (rest == NULL)
		return NULL;
	char word[24];
	size_t n = strcspn(rest, " ");
	if (n == 0 || n >= sizeof(word))
		return rest;
	memcpy(word, rest, n);
	word[n] = '\0';
	if (!duration_parse(word, forever, seconds))
		return rest;
	rest += n;
	while (*rest == ' ')
		rest++;
	return rest;
}

/* The moderation commands: each is bbs/moderate.h's, as this caller, answered in
 * one line, once the target's account has been read.  Mute and ban take an
 * optional duration before the reason. */
static void deed_done(struct session *s, void *arg)
{
	struct mod_deed *d = arg;
	struct chat_member *m = session_member(s);
	if (m == NULL || chat_member_room(m) == NULL)
		return;    /* out of the chat meanwhile: the deed is not done */
	struct say c = { s, m, bbs_chat(session_bbs(s)) };
	struct mod_actor who = actor_of(&c);
	char text[MOD_ANSWER_MAX];
	mod_deed_do(session_bbs(s), &who, d, text);
	answer(&c, text);
}

static void moderate(void *ctx, int cmd, const struct chat_args *a)
{
	struct say *c = ctx;
	static struct mod_deed d;     /* copied by session_db; keeps it off the stack */
	const char *handle = a->argv[0];
	const char *rest = a->argc > 1 ? a->argv[1] : NULL;
	int64_t seconds = 0;
	enum mod_verb verb;
	switch (cmd) {
	case CHAT_CMD_KICK:
		verb = MOD_KICK;
		break;
	case CHAT_CMD_MUTE:
		verb = MOD_MUTE;
		rest = split_duration(rest, false, &seconds);
		break;
	case CHAT_CMD_UNMUTE:
		verb = MOD_UNMUTE;
		break;
	case CHAT_CMD_BAN:
		verb = MOD_BAN;
		rest = split_duration(rest, true, &seconds);
		break;
	case CHAT_CMD_UNBAN:
		verb = MOD_UNBAN;
		break;
	default:                      /* CHAT_CMD_BROADCAST: the whole text */
		verb = MOD_BROADCAST;
		rest = a->argv[0];
		handle = NULL;
		break;
	}
	struct mod_actor who = actor_of(c);
	mod_deed_init(&d, &who, verb, handle, seconds, rest);
	if (!mod_deed_needs_read(&d))
		deed_done(c->s, &d);
	else if (!session_db(c->s, mod_deed_read, deed_done, &d, sizeof(d)))
		notice(c, "The database is busy. Try again in a moment.");
}

static void cmd_kick(void *ctx, const struct chat_args *a) { moderate(ctx, CHAT_CMD_KICK, a); }
static void cmd_mute(void *ctx, const struct chat_args *a) { moderate(ctx, CHAT_CMD_MUTE, a); }
static void cmd_unmute(void *ctx, const struct chat_args *a) { moderate(ctx, CHAT_CMD_UNMUTE, a); }
static void cmd_ban(void *ctx, const struct chat_args *a) { moderate(ctx, CHAT_CMD_BAN, a); }
static void cmd_unban(void *ctx, const struct chat_args *a) { moderate(ctx, CHAT_CMD_UNBAN, a); }
static void cmd_broadcast(void *ctx, const struct chat_args *a)
{
	moderate(ctx, CHAT_CMD_BROADCAST, a);
}

static void cmd_quit(void *ctx, const struct chat_args *a)
{
	struct say *c = ctx;
	(void)a;
	menu_return(c->s);            /* leaving the state leaves the room */
}

/* The default table's rows, with handlers. */
#define COMMANDS_MAX 40
static struct chat_command commands[COMMANDS_MAX];
static size_t n_commands;

static const struct chat_command *table(size_t *n)
{
	if (n_commands == 0) {
		static const struct { int id; void (*fn)(void *, const struct chat_args *); } bind[] = {
			{ CHAT_CMD_ME, cmd_me }, { CHAT_CMD_MSG, cmd_msg }, { CHAT_CMD_REPLY, cmd_reply },
			{ CHAT_CMD_PAGE, cmd_page }, { CHAT_CMD_WHO, cmd_who }, { CHAT_CMD_HELP, cmd_help },
			{ CHAT_CMD_QUIT, cmd_quit }, { CHAT_CMD_SYSOP, cmd_sysop },
			{ CHAT_CMD_JOIN, cmd_join }, { CHAT_CMD_LIST, cmd_list },
			{ CHAT_CMD_TOPIC, cmd_topic }, { CHAT_CMD_WHERE, cmd_where },
			{ CHAT_CMD_PRIVATE, cmd_private }, { CHAT_CMD_INVITE, cmd_invite },
			{ CHAT_CMD_UNINVITE, cmd_uninvite }, { CHAT_CMD_IGNORE, cmd_ignore },
			{ CHAT_CMD_UNIGNORE, cmd_unignore }, { CHAT_CMD_AWAY, cmd_away },
			{ CHAT_CMD_BACK, cmd_back }, { CHAT_CMD_BELL, cmd_bell },
			{ CHAT_CMD_QUIET, cmd_quiet }, { CHAT_CMD_ACTIONS, cmd_actions },
			{ CHAT_CMD_TELEGRAM, cmd_telegram }, { CHAT_CMD_KICK, cmd_kick },
			{ CHAT_CMD_MUTE, cmd_mute }, { CHAT_CMD_UNMUTE, cmd_unmute },
			{ CHAT_CMD_BAN, cmd_ban }, { CHAT_CMD_UNBAN, cmd_unban },
			{ CHAT_CMD_BROADCAST, cmd_broadcast },
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
	case CHAT_CMD_SYSOP: case CHAT_CMD_TOPIC: case CHAT_CMD_INVITE: case CHAT_CMD_TELEGRAM:
		return true;
	default:
		return false;
	}
}

/* Is the caller muted where these words would go (the room, or privately)?  It is
 * told so, and for how much longer. */
static bool muted(struct say *c, bool in_room)
{
	struct chat_room *r = room_of(c);
	int64_t now = chat_wall_ms();
	int64_t until = chat_registry_muted(c->reg, me(c), in_room && r ? chat_room_name(r) : NULL,
	                                    now);
	if (until == 0)
		return false;
	char left[32];
	duration_format((until - now + 59999) / 60000 * 60, left, sizeof(left));
	notice(c, "You are muted: %s to go.", left);
	return true;
}

/* Do these words go to the room (rather than to one caller)? */
static bool in_room(const struct chat_parse *p)
{
	if (p->status == CHAT_PARSE_TEXT)
		return true;
	switch (p->cmd->id) {
	case CHAT_CMD_MSG: case CHAT_CMD_REPLY: case CHAT_CMD_PAGE: case CHAT_CMD_TELEGRAM:
	case CHAT_CMD_INVITE:
		return false;
	default:
		return true;
	}
}

/* A flood token for one more line; the caller is told (at most so often) if not. */
static bool allowed(struct say *c)
{
	int64_t now = (int64_t)session_now(c->s);
	if (chat_member_allow(c->m, now))
		return true;
	uint64_t dropped;
	struct sbuf sb = SBUF_INIT;
	if (chat_member_flood_notice(c->m, now, &dropped))
		chat_render_slow_down(&sb, dropped);
	reply(c, &sb);
	sbuf_free(&sb);
	return false;
}

/* ---- the state ---- */

/* The answer to a telegram offer. */
static void answer_offer(struct say *c, const char *line)
{
	struct offer *o = session_flow(c->s, sizeof(struct offer));
	struct lineedit *le = session_editor(c->s);
	le_set_prompt(le, CHAT_PROMPT);
	if (line[0] == 'y' || line[0] == 'Y')
		ask(c, AFTER_LEAVE, o->to, o->to_id, o->text);
	else
		notice(c, "Not sent.");
	session_flow_end(c->s);
}

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
	/* Typing a line (anything but /away itself) means the caller is back. */
	if (chat_member_away(c.m) != NULL && p.status != CHAT_PARSE_EMPTY &&
	    !(p.status == CHAT_PARSE_COMMAND && p.cmd->id == CHAT_CMD_AWAY) &&
	    !(p.status == CHAT_PARSE_COMMAND && p.cmd->id == CHAT_CMD_BACK))
		chat_member_set_away(c.m, NULL);
	switch (p.status) {
	case CHAT_PARSE_EMPTY:
		reply(&c, &sb);
		break;
	case CHAT_PARSE_TEXT:
	case CHAT_PARSE_COMMAND:
		if (speaks(&p) && (muted(&c, in_room(&p)) || !allowed(&c)))
			break;
		if (p.status == CHAT_PARSE_TEXT) {
			/* The text is a span of the line: say it as a string of its own. */
			sbuf_append(&sb, p.text, p.text_len);
			sbuf_putc(&sb, '\0');
			say_in_room(&c, CHAT_PUBLIC, (const char *)sb.data);
		} else if (p.cmd->handler) {
			p.cmd->handler(&c, &p.args);
		}
		break;
	case CHAT_PARSE_UNKNOWN: {
		/* Not a command: an action, or nothing known. */
		const char *line = (const char *)clean->data + 1;
		size_t vlen = strcspn(line, " ");
		const char *args = line[vlen] ? line + vlen + 1 : NULL;
		while (args && *args == ' ')
			args++;
		if (actions_find(bbs_actions(session_bbs(s)), line, vlen) != NULL) {
			if (!muted(&c, true) && allowed(&c))
				act(&c, line, vlen, args);
		} else {
			chat_render_unknown(&sb);
			reply(&c, &sb);
		}
		break;
	}
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
		sbuf_putc(&clean, '\0');
		clean.len--;
		le_reset(le);
		chat_member_set_typing(m, false);
		/* The typed line's echo goes: (line by line) back up over it, the room
		 * prints it; (split) the input row is cleared. */
		sbuf_puts(session_out(s), split(s) ? "\r\x1b[K" : "\x1b[A\r\x1b[K");
		struct say c = { s, m, bbs_chat(session_bbs(s)) };
		if (session_flow_active(s))
			answer_offer(&c, (const char *)clean.data);
		else
			handle_line(s, &clean);
		sbuf_free(&clean);
		if (session_state(s) == &state_chat && split(s)) {
			le_erase(le, session_out(s));
			le_redraw(le, session_out(s));
		}
		return used;
	}
	le_line(le, &typed);
	chat_member_set_typing(m, typed > 0 && !split(s));
	return used;
}

static void chat_leave(struct session *s)
{
	chat_room_leave(session_member(s));
	chat_member_set_layout(session_member(s), CHAT_LAYOUT_LINE);
	session_flow_end(s);
	/* The whole screen back for the menu. */
	sbuf_puts(session_out(s), "\x1b[0m\x1b[r\x1b[2J\x1b[H");
}

static void chat_resize(struct session *s)
{
	draw_screen(s);
}

const struct session_state state_chat = {
	.activity = SESSION_CHAT,
	.name = "In Chat",
	.input = chat_input,
	.leave = chat_leave,
	.resize = chat_resize,
	.timeout = SESSION_TIMEOUT_NONE,
};

/* How long m is still kept out of r, rounded up to minutes, as words. */
static void kept_out_for(const struct chat_room *r, const struct chat_member *m, char *out,
                         size_t cap)
{
	int64_t now = chat_wall_ms();
	int64_t until = chat_room_kicked_until(r, chat_member_handle(m), now);
	duration_format(until > now ? (until - now + 59999) / 60000 * 60 : 60, out, cap);
}

/* Into room `to` from the one the caller is in: the gates first (refused: it stays
 * where it is), then it leaves, is subscribed, then shown the room, then announced
 * (coalesced), so that it misses nothing and sees nothing out of order. */
static void enter_room(struct say *c, struct chat_room *to)
{
	switch (chat_room_admits(to, c->m)) {
	case CHAT_JOINED:
		break;
	case CHAT_ROOM_FULL:
		notice(c, "%s is full. Try again in a little while.", chat_room_name(to));
		return;
	case CHAT_ROOM_PRIVATE:
		notice(c, "%s is private: you need an invitation.", chat_room_name(to));
		return;
	case CHAT_ROOM_LEVEL:
		notice(c, "%s is not open to your level.", chat_room_name(to));
		return;
	case CHAT_ROOM_KICKED: {
		char left[32];
		kept_out_for(to, c->m, left, sizeof(left));
		notice(c, "You were kicked out of %s: you may come back in %s.", chat_room_name(to),
		       left);
		return;
	}
	}
	chat_room_leave(c->m);
	chat_room_join(to, c->m, (int64_t)session_now(c->s));
	session_presence(c->s);
	draw_screen(c->s);
}

/* From the menu: into the default room, or "full" and back to the menu. */
void bbs_chat_enter(struct session *s)
{
	struct chat_registry *reg = bbs_chat(session_bbs(s));
	struct chat_room *room = chat_registry_default(reg);
	struct chat_member *m = session_member(s);
	const struct config *cfg = bbs_config(session_bbs(s));
	if (chat_member_room(m) != NULL)
		return;
	enum chat_join_result r = chat_room_join(room, m, (int64_t)session_now(s));
	if (r != CHAT_JOINED) {
		char text[128], left[32];
		if (r == CHAT_ROOM_KICKED) {
			kept_out_for(room, m, left, sizeof(left));
			snprintf(text, sizeof(text), "You were kicked out of %s: you may come back "
			         "in %s.", chat_room_name(room), left);
		} else {
			snprintf(text, sizeof(text), "%s", r == CHAT_ROOM_FULL
			         ? "The chat room is full. Try again in a little while."
			         : "The chat room is not open to you.");
		}
		chat_render_notice(session_out(s), text);
		bbs_pause_then_menu(s);
		return;
	}
	session_set_state(s, &state_chat);
	struct lineedit *le = session_editor(s);
	le_reset(le);
	le_set_hidden(le, false);
	le_set_limit(le, cfg->chat_max_line);
	le_set_prompt(le, CHAT_PROMPT);
	draw_screen(s);
	session_flush(s);
}

/* Kicked out of the room (chat/room.c has taken the member out already): back to the
 * menu, told by whom and for how long. */
void bbs_chat_evicted(struct session *s, const struct chat_event *ev)
{
	if (session_state(s) != &state_chat)
		return;
	char text[512], left[32];
	int64_t now = chat_wall_ms();
	duration_format(ev->until_ms > now ? (ev->until_ms - now + 59999) / 60000 * 60 : 60,
	                    left, sizeof(left));
	snprintf(text, sizeof(text), "%s kicked you out of %s%s%s%s. You may come back in %s.",
	         ev->from ? ev->from : "A moderator", ev->room ? ev->room : "the room",
	         ev->text && ev->text[0] ? " (" : "", ev->text ? ev->text : "",
	         ev->text && ev->text[0] ? ")" : "", left);
	session_set_notice(s, text);
	menu_return(s);
	session_flush(s);
}

/* ---- the caller's settings, at login ---- */

void bbs_chat_login(struct session *s, const struct login_extras *x)
{
	struct chat_member *m = session_member(s);
	const struct session_user *u = session_user(s);
	int bell = u->chat_bell;
	chat_member_set_bell(m, bell == CHAT_BELL_OFF || bell == CHAT_BELL_PAGE
	                        ? (enum chat_bell)bell : CHAT_BELL_ON);
	chat_member_set_quiet(m, u->chat_quiet);
	for (unsigned i = 0; x != NULL && i < x->n_ignores; i++)
		chat_member_ignore(m, x->ignores[i]);
}

const char *bbs_chat_doing(struct session *s, char *buf, size_t cap)
{
	struct chat_member *m = session_member(s);
	struct chat_room *r = m ? chat_member_room(m) : NULL;
	if (r == NULL)
		return session_doing(s);
	snprintf(buf, cap, "Chat: %s%s", chat_room_private(r) ? "(private)" : chat_room_name(r),
	         chat_member_away(m) != NULL ? " (away)" : "");
	return buf;
}
