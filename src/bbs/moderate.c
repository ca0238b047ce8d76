#include "bbs/moderate.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bbs/screens.h"
#include "bbs/session.h"
#include "bbs/states.h"
#include "chat/registry.h"
#include "chat/render.h"
#include "chat/sanitize.h"
#include "cluster/cluster.h"
#include "store/store.h"
#include "util/xalloc.h"
#include "util/duration.h"
#include "util/log.h"
#include "util/sbuf.h"

static void format_when(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm);
}

void mod_ban_notice(int64_t until, const char *reason, char *out, size_t cap)
{
	char when[40];
	if (until == STORE_BAN_FOREVER)
		snprintf(when, sizeof(when), "for good");
	else
		format_when(until, when + snprintf(when, sizeof(when), "until "),
		            sizeof(when) - 6);
	snprintf(out, cap, "This account is banned %s%s%s%s.", when,
	         reason && reason[0] ? " (" : "", reason ? reason : "",
	         reason && reason[0] ? ")" : "");
}

/* ---- the common parts ---- */

void mod_audit(struct store *st, const char *actor, const char *action, const char *target,
               const char *detail, const char *reason)
{
	if (store_audit_add(st, (int64_t)time(NULL), actor, action, target, detail, reason) !=
	    STORE_OK)
		log_error("event=audit_failed action=%s target=%s actor=%s error=%s", LOG_Q(action),
		          LOG_Q(target), LOG_Q(actor), LOG_Q(store_errmsg(st)));
}

/* The audit row of a deed done here, written through the queue. */
struct audit_write {
	char actor[64], action[16], target[STORE_HANDLE_MAX];
	char detail[160], reason[4 * MOD_REASON_MAX + 1];
};

static void audit_work(struct store *st, void *arg)
{
	struct audit_write *w = arg;
	mod_audit(st, w->actor, w->action, w->target, w->detail, w->reason);
}

static void audit_later(struct bbs *bbs, const char *actor, const char *action,
                        const char *target, const char *detail, const char *reason)
{
	struct audit_write *w = xcalloc(1, sizeof(*w));
	snprintf(w->actor, sizeof(w->actor), "%s", actor);
	snprintf(w->action, sizeof(w->action), "%s", action);
	snprintf(w->target, sizeof(w->target), "%s", target ? target : "");
	snprintf(w->detail, sizeof(w->detail), "%s", detail ? detail : "");
	snprintf(w->reason, sizeof(w->reason), "%s", reason ? reason : "");
	bbs_db_write(bbs, audit_work, w, sizeof(*w));
	free(w);
}

__attribute__((format(printf, 2, 3)))
static bool say(char answer[MOD_ANSWER_MAX], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(answer, MOD_ANSWER_MAX, fmt, ap);
	va_end(ap);
	return false;
}

/* A reason as callers will see it: sanitized, bounded. */
struct reason {
	char text[4 * MOD_REASON_MAX + 1];
};

static const char *clean_reason(const char *in, struct reason *r)
{
	if (in == NULL)
		in = "";
	chat_sanitize(in, strlen(in), r->text, sizeof(r->text), MOD_REASON_MAX);
	return r->text;
}

enum scope { SCOPE_NONE, SCOPE_ROOM, SCOPE_ALL };

static bool is_machine(const struct mod_actor *a) { return a->member == NULL; }

static bool is_moderator(const struct bbs *bbs, const struct mod_actor *a)
{
	return is_machine(a) || a->level >= (int)bbs_config(bbs)->moderator_level;
}

static bool is_sysop(const struct mod_actor *a)
{
	return is_machine(a) || a->level >= LEVEL_SYSOP;
}

static bool owns(const struct mod_actor *a, const struct chat_room *room)
{
	return room != NULL && chat_room_owner(room)[0] != '\0' &&
	       strcasecmp(chat_room_owner(room), a->name) == 0;
}

/* How far a's hand reaches over a caller at target_level in room (NULL: none). */
static enum scope reach(const struct bbs *bbs, const struct mod_actor *a, int target_level,
                        const struct chat_room *room)
{
	if (is_machine(a))
		return SCOPE_ALL;
	if (is_moderator(bbs, a) && target_level < a->level)
		return SCOPE_ALL;
	if (owns(a, room) && target_level < (int)bbs_config(bbs)->moderator_level)
		return SCOPE_ROOM;
	return SCOPE_NONE;
}

/* The account behind handle: online (its member, with the level it logged in at)
 * or in the store.  False, with the answer written, if there is none. */
struct target {
	char handle[STORE_HANDLE_MAX];
	int level;
	int64_t id;
	struct chat_member *member;      /* NULL: not online */
};

static bool find_target(struct bbs *bbs, const struct mod_deed *d, struct target *t,
                        char answer[MOD_ANSWER_MAX])
{
	memset(t, 0, sizeof(*t));
	if (d->rc == STORE_ERROR)
		return say(answer, "The database is not answering. Try again later.");
	if (d->rc != STORE_OK)
		return say(answer, "There is no caller called %s.", d->handle);
	t->member = chat_registry_find(bbs_chat(bbs), d->u.handle);
	snprintf(t->handle, sizeof(t->handle), "%s", d->u.handle);
	t->level = d->u.level;
	t->id = d->u.id;
	if (t->member != NULL)
		t->level = (int)chat_member_sink(t->member)->rank;
	return true;
}

static bool refuse_self(const struct mod_actor *a, const struct target *t, const char *verb,
                        char answer[MOD_ANSWER_MAX])
{
	if (!is_machine(a) && strcasecmp(a->name, t->handle) == 0)
		return say(answer, "You cannot %s yourself.", verb);
	return true;
}

/* A line for the target alone, wherever it is in the BBS. */
static void tell_target(struct chat_member *m, const char *text)
{
	if (m == NULL)
		return;
	struct sbuf sb = SBUF_INIT;
	chat_render_notice(&sb, text);
	struct chat_sink *sink = chat_member_sink(m);
	sink->ops->tell(sink, sb.data, sb.len);
	sbuf_free(&sb);
}

static const char *because(const char *reason, char *buf, size_t cap)
{
	if (reason[0] == '\0')
		return "";
	snprintf(buf, cap, " (%s)", reason);
	return buf;
}

/* ---- the deeds ---- */

static bool kick(struct bbs *bbs, const struct mod_actor *a, const struct mod_deed *d,
                 char answer[MOD_ANSWER_MAX])
{
	struct target t;
	struct reason rs;
	const char *reason_in = d->text;
	if (!find_target(bbs, d, &t, answer) || !refuse_self(a, &t, "kick", answer))
		return false;
	struct chat_room *room = NULL;
	if (t.member != NULL) {
		room = chat_member_room(t.member);
	} else {
		/* On another server: its room is here too (declared, or one of the
		 * same name), and the kick reaches it through the room's channel. */
		const struct cluster_line *l = cluster_find(bbs_cluster(bbs), t.handle, NULL);
		if (l == NULL)
			return say(answer, "%s is not online.", t.handle);
		if (l->room[0] != '\0')
			room = chat_registry_room(bbs_chat(bbs), l->room);
	}
	if (room == NULL)
		return say(answer, "%s is not in a chat room.", t.handle);
	if (reach(bbs, a, t.level, room) == SCOPE_NONE) {
		if (!is_moderator(bbs, a) && !owns(a, room))
			return say(answer, "Only moderators, sysops and the room's owner may kick.");
		return say(answer, "You cannot kick %s.", t.handle);
	}
	const char *reason = clean_reason(reason_in, &rs);
	const struct config *cfg = bbs_config(bbs);
	char room_name[64], how_long[32], detail[128];
	snprintf(room_name, sizeof(room_name), "%s", chat_room_name(room));
	duration_format(cfg->kick_s, how_long, sizeof(how_long));
	struct chat_event ev = {
		.kind = CHAT_KICK, .room = room_name, .from = a->name, .to = t.handle,
		.text = reason, .until_ms = chat_wall_ms() + (int64_t)cfg->kick_s * 1000,
	};
	chat_deliver(bbs_chat(bbs), &ev);     /* the room hears; t leaves it (evicted) */
	snprintf(detail, sizeof(detail), "%s, %s", room_name, how_long);
	audit_later(bbs, a->audit, "kick", t.handle, detail, reason);
	log_info("event=kick actor=%s handle=%s room=%s for=%s", LOG_Q(a->audit), LOG_Q(t.handle),
	         LOG_Q(room_name), LOG_Q(how_long));
	snprintf(answer, MOD_ANSWER_MAX, "%s was kicked out of %s for %s.", t.handle, room_name,
	         how_long);
	return true;
}

static bool mute(struct bbs *bbs, const struct mod_actor *a, const struct mod_deed *d,
                 char answer[MOD_ANSWER_MAX])
{
	struct target t;
	struct reason rs;
	const char *reason_in = d->text;
	int64_t seconds = d->seconds;
	if (!find_target(bbs, d, &t, answer) || !refuse_self(a, &t, "mute", answer))
		return false;
	/* A room owner's mute covers its own room, where it is. */
	struct chat_room *own = a->member ? chat_member_room(a->member) : NULL;
	enum scope sc = reach(bbs, a, t.level, own);
	if (sc == SCOPE_NONE) {
		if (!is_moderator(bbs, a) && !owns(a, own))
			return say(answer, "Only moderators, sysops and the room's owner may mute.");
		return say(answer, "You cannot mute %s.", t.handle);
	}
	if (seconds <= 0)
		seconds = bbs_config(bbs)->mute_s;
	const char *reason = clean_reason(reason_in, &rs);
	char how_long[32], detail[128], why[4 * MOD_REASON_MAX + 8], text[sizeof(why) + 256];
	const char *room = sc == SCOPE_ROOM ? chat_room_name(own) : NULL;
	int64_t now = chat_wall_ms();
	if (!chat_registry_mute(bbs_chat(bbs), t.handle, room, now + seconds * 1000, now))
		return say(answer, "Too many mutes are in force; try again later.");
	duration_format(seconds, how_long, sizeof(how_long));
	snprintf(text, sizeof(text), "You have been muted by %s for %s%s%s%s", a->name, how_long,
	         room ? " in " : "", room ? room : "", because(reason, why, sizeof(why)));
	tell_target(t.member, text);
	/* Mutes are held where the caller speaks: every server hears of it. */
	cluster_mute(bbs_cluster(bbs), t.handle, room, now + seconds * 1000,
	             t.member == NULL ? text : "");
	snprintf(detail, sizeof(detail), "%s%s%s", how_long, room ? ", in " : "",
	         room ? room : "");
	audit_later(bbs, a->audit, "mute", t.handle, detail, reason);
	log_info("event=mute actor=%s handle=%s for=%s room=%s", LOG_Q(a->audit), LOG_Q(t.handle),
	         LOG_Q(how_long), LOG_Q(room ? room : ""));
	snprintf(answer, MOD_ANSWER_MAX, "%s is muted for %s%s%s.", t.handle, how_long,
	         room ? " in " : "", room ? room : "");
	return true;
}

static bool unmute(struct bbs *bbs, const struct mod_actor *a, const struct mod_deed *d,
                   char answer[MOD_ANSWER_MAX])
{
	struct target t;
	if (!find_target(bbs, d, &t, answer))
		return false;
	struct chat_room *own = a->member ? chat_member_room(a->member) : NULL;
	if (reach(bbs, a, t.level, own) == SCOPE_NONE)
		return say(answer, "You cannot unmute %s.", t.handle);
	bool here = chat_registry_unmute(bbs_chat(bbs), t.handle);
	bool far = cluster_find(bbs_cluster(bbs), t.handle, NULL) != NULL;
	if (!here && !far)
		return say(answer, "%s is not muted.", t.handle);
	tell_target(t.member, "You may speak again.");
	cluster_mute(bbs_cluster(bbs), t.handle, NULL, 0, t.member == NULL ? "You may speak again." : "");
	audit_later(bbs, a->audit, "unmute", t.handle, "", "");
	log_info("event=unmute actor=%s handle=%s", LOG_Q(a->audit), LOG_Q(t.handle));
	snprintf(answer, MOD_ANSWER_MAX, "%s may speak again.", t.handle);
	return true;
}

/* Why the deed's actor may not ban (or lift the ban of) its account, decided on
 * the account as stored: the same answer in the job that writes the ban and on the
 * loop that announces it.  NULL: it may. */
static bool ban_refused(const struct mod_deed *d, char answer[MOD_ANSWER_MAX])
{
	bool lift = d->verb == MOD_UNBAN;
	if (!d->by_sysop)
		return !say(answer, lift ? "Only sysops may lift a ban." : "Only sysops may ban.");
	if (d->rc == STORE_ERROR)
		return !say(answer, "The database is not answering. Try again later.");
	if (d->rc != STORE_OK)
		return !say(answer, "There is no caller called %s.", d->handle);
	if (lift)
		return d->u.banned_until <= d->now && !say(answer, "%s is not banned.", d->u.handle);
	if (!d->by_machine && strcasecmp(d->by_name, d->u.handle) == 0)
		return !say(answer, "You cannot ban yourself.");
	if (!d->by_machine && d->u.level >= d->by_level)
		return !say(answer, "You cannot ban %s.", d->u.handle);
	return false;
}

static int64_t ban_until(const struct mod_deed *d)
{
	return d->seconds > 0 ? d->now + d->seconds : STORE_BAN_FOREVER;
}

static void ban_detail(const struct mod_deed *d, char *out, size_t cap)
{
	if (d->seconds > 0)
		duration_format(d->seconds, out, cap);
	else
		snprintf(out, cap, "for good");
}

/* On the database's side (mod_deed_read): the ban or its end, the end of the
 * account's tokens and the audit row, in one transaction. */
static void ban_write(struct store *st, struct mod_deed *d)
{
	char answer[MOD_ANSWER_MAX], detail[64];
	if (ban_refused(d, answer))
		return;
	bool lift = d->verb == MOD_UNBAN;
	ban_detail(d, detail, sizeof(detail));
	bool tx = store_begin(st) == STORE_OK;
	d->written = tx &&
		store_user_set_ban(st, d->u.id, lift ? 0 : ban_until(d), lift ? NULL : d->text) ==
			STORE_OK &&
		(lift || store_token_revoke_user(st, d->u.id) == STORE_OK) &&
		store_audit_add(st, d->now, d->by_audit, lift ? "unban" : "ban", d->u.handle,
		                lift ? "" : detail, lift ? "" : d->text) == STORE_OK &&
		store_commit(st) == STORE_OK;
	if (!d->written) {
		store_rollback(st);
		log_error("event=ban_not_saved target=%s actor=%s", LOG_Q(d->u.handle),
		          LOG_Q(d->by_audit));
	}
}

static bool ban(struct bbs *bbs, const struct mod_deed *d, char answer[MOD_ANSWER_MAX])
{
	if (ban_refused(d, answer))
		return false;
	if (!d->written)
		return say(answer, "The ban could not be saved. Try again later.");
	char notice[MOD_ANSWER_MAX + 64], detail[64];
	mod_ban_notice(ban_until(d), d->text, notice, sizeof(notice));
	ban_detail(d, detail, sizeof(detail));
	/* Whoever is on with that account now is shown why and hung up. */
	struct session *s;
	while ((s = bbs_find_user(bbs, d->u.id, NULL)) != NULL) {
		struct sbuf *o = session_out(s);
		sbuf_puts(o, "\r\n");
		screen_notice(o, notice);
		session_hangup(s, 1008, "banned");
	}
	/* ... and on another server of the cluster, by that server. */
	cluster_hangup(bbs_cluster(bbs), d->u.handle, notice);
	log_info("event=ban actor=%s handle=%s detail=%s", LOG_Q(d->by_audit), LOG_Q(d->u.handle),
	         LOG_Q(detail));
	snprintf(answer, MOD_ANSWER_MAX, "%s is banned %s%s.", d->u.handle,
	         d->seconds > 0 ? "for " : "", detail);
	return true;
}

static bool unban(const struct mod_deed *d, char answer[MOD_ANSWER_MAX])
{
	if (ban_refused(d, answer))
		return false;
	if (!d->written)
		return say(answer, "The ban could not be lifted. Try again later.");
	log_info("event=unban actor=%s handle=%s", LOG_Q(d->by_audit), LOG_Q(d->u.handle));
	snprintf(answer, MOD_ANSWER_MAX, "%s may call again.", d->u.handle);
	return true;
}

static bool broadcast(struct bbs *bbs, const struct mod_actor *a, const char *text_in,
                      char answer[MOD_ANSWER_MAX])
{
	if (!is_sysop(a))
		return say(answer, "Only sysops may broadcast.");
	char text[4 * CHAT_LINE_MAX_CHARS + 1];
	if (chat_sanitize(text_in, strlen(text_in), text, sizeof(text), CHAT_LINE_MAX_CHARS) == 0)
		return say(answer, "A broadcast needs some text.");
	struct chat_registry *reg = bbs_chat(bbs);
	struct chat_event ev = { .kind = CHAT_BROADCAST, .from = a->name, .text = text };
	chat_deliver(reg, &ev);
	size_t n = chat_registry_member_count(reg);
	audit_later(bbs, a->audit, "broadcast", "", text, "");
	log_info("event=broadcast actor=%s callers=%zu", LOG_Q(a->audit), n);
	snprintf(answer, MOD_ANSWER_MAX, "Broadcast to %zu caller%s.", n, n == 1 ? "" : "s");
	return true;
}

/* ---- a deed: the target read, then done ---- */

bool mod_deed_init(struct mod_deed *d, const struct mod_actor *a, enum mod_verb verb,
                   const char *handle, int64_t seconds, const char *text)
{
	memset(d, 0, sizeof(*d));
	d->verb = verb;
	d->seconds = seconds;
	d->now = (int64_t)time(NULL);
	d->rc = STORE_NOT_FOUND;
	d->by_machine = is_machine(a);
	d->by_sysop = is_sysop(a);
	d->by_level = a->level;
	snprintf(d->by_name, sizeof(d->by_name), "%s", a->name);
	snprintf(d->by_audit, sizeof(d->by_audit), "%s", a->audit);
	/* A ban's reason is written by the job: cleaned here. */
	if (verb == MOD_BAN) {
		struct reason rs;
		snprintf(d->text, sizeof(d->text), "%s", clean_reason(text, &rs));
	} else {
		snprintf(d->text, sizeof(d->text), "%s", text ? text : "");
	}
	int n = snprintf(d->handle, sizeof(d->handle), "%s", handle ? handle : "");
	return n >= 0 && (size_t)n < sizeof(d->handle);
}

bool mod_deed_needs_read(const struct mod_deed *d)
{
	return d->verb != MOD_BROADCAST;
}

void mod_deed_read(struct store *st, void *deed)
{
	struct mod_deed *d = deed;
	d->rc = d->handle[0] != '\0' && strlen(d->handle) < STORE_HANDLE_MAX
	        ? store_user_get(st, d->handle, &d->u) : STORE_NOT_FOUND;
	if (d->verb == MOD_BAN || d->verb == MOD_UNBAN)
		ban_write(st, d);
}

bool mod_deed_do(struct bbs *bbs, const struct mod_actor *a, const struct mod_deed *d,
                 char answer[MOD_ANSWER_MAX])
{
	switch (d->verb) {
	case MOD_KICK:
		return kick(bbs, a, d, answer);
	case MOD_MUTE:
		return mute(bbs, a, d, answer);
	case MOD_UNMUTE:
		return unmute(bbs, a, d, answer);
	case MOD_BAN:
		return ban(bbs, d, answer);
	case MOD_UNBAN:
		return unban(d, answer);
	case MOD_BROADCAST:
		return broadcast(bbs, a, d->text, answer);
	}
	return say(answer, "not a deed");
}
