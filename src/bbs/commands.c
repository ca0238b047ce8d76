/* What menu items run.  Commands are a table: config.c lists the names a menu may
 * use, this file binds each to its handler (a test checks the two agree). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bbs/screens.h"
#include "bbs/states.h"
#include "cluster/cluster.h"
#include "store/store.h"
#include "term/ansi.h"
#include "term/lineedit.h"
#include "util/log.h"

#define WHO_MAX 256
#define LAST_CALLERS_MAX 100

struct session *bbs_find_user(struct bbs *bbs, int64_t user_id, const struct session *except)
{
	for (unsigned n = 1; n <= bbs_node_slots(bbs); n++) {
		struct session *o = bbs_node_session(bbs, n);
		if (o && o != except && session_user(o)->id == user_id &&
		    session_conn(o) && !conn_closing(session_conn(o)))
			return o;
	}
	return NULL;
}

/* ---- press any key ---- */

static size_t pause_input(struct session *s, const uint8_t *data, size_t len)
{
	struct key k;
	size_t used = 0;
	if (le_hotkey(session_editor(s), data, len, &used, &k) ||
	    (used == len && le_hotkey_flush(session_editor(s), &k)))
		menu_return(s);
	return used;
}

const struct session_state state_pause = {
	.activity = SESSION_MENU,
	.name = "Main Menu",
	.input = pause_input,
	.timeout = SESSION_TIMEOUT_IDLE,
};

void bbs_pause_then_menu(struct session *s)
{
	screen_pause(session_out(s));
	session_set_state(s, &state_pause);
}

/* ---- who's online ---- */

/* The other servers' lines, after this one's (a cluster). */
struct far_rows {
	struct who_row *rows;
	char (*detail)[96];
	size_t n;
	int64_t wall_s;
	bool sysop;
};

static void add_far_row(void *ud, const char *node, const struct cluster_line *l)
{
	struct far_rows *fr = ud;
	if (fr->n >= WHO_MAX)
		return;
	int64_t on_s = fr->wall_s - l->since;
	fr->rows[fr->n] = (struct who_row){
		.node = l->line,
		.handle = l->handle[0] ? l->handle : NULL,
		.location = l->location,
		.doing = l->doing,
		.minutes_on = on_s > 0 ? (unsigned)(on_s / 60) : 0,
	};
	if (fr->sysop) {
		snprintf(fr->detail[fr->n], sizeof(fr->detail[fr->n]), "on %.30s  %.60s", node,
		         l->detail);
		fr->rows[fr->n].detail = fr->detail[fr->n];
	}
	fr->n++;
}

static int by_node(const void *a, const void *b)
{
	const struct who_row *x = a, *y = b;
	return (x->node > y->node) - (x->node < y->node);
}

static void cmd_who(struct session *s)
{
	struct bbs *bbs = session_bbs(s);
	static struct who_row rows[WHO_MAX];     /* the loop is single-threaded */
	static char doing[WHO_MAX][48], detail[WHO_MAX][96];
	size_t n = 0;
	uint64_t now = session_now(s);
	bool sysop = session_user(s)->level >= LEVEL_SYSOP;
	for (unsigned node = 1; node <= bbs_node_slots(bbs) && n < WHO_MAX; node++) {
		struct session *o = bbs_node_session(bbs, node);
		if (o == NULL)
			continue;
		const struct session_user *u = session_user(o);
		rows[n] = (struct who_row){
			.node = node,
			.handle = u->id ? u->handle : NULL,
			.location = u->location,
			.doing = bbs_chat_doing(o, doing[n], sizeof(doing[n])),
			.minutes_on = (unsigned)((now - session_connected_ms(o)) / 60000),
			.detail = sysop ? session_describe(o, detail[n], sizeof(detail[n])) : NULL,
		};
		n++;
	}
	struct far_rows fr = { rows, detail, n, (int64_t)time(NULL), sysop };
	cluster_each(bbs_cluster(bbs), add_far_row, &fr);
	n = fr.n;
	qsort(rows, n, sizeof(rows[0]), by_node);
	screen_who(session_out(s), rows, n, bbs_node_count(bbs));
	bbs_pause_then_menu(s);
}

/* ---- last callers ---- */

struct callers {
	struct caller_row rows[LAST_CALLERS_MAX];
	char text[LAST_CALLERS_MAX][2][64];
	size_t n;
};

static void collect_caller(void *ud, const struct store_caller *c)
{
	struct callers *cs = ud;
	if (cs->n >= LAST_CALLERS_MAX)
		return;
	size_t i = cs->n++;
	snprintf(cs->text[i][0], sizeof(cs->text[i][0]), "%s", c->handle ? c->handle : "");
	snprintf(cs->text[i][1], sizeof(cs->text[i][1]), "%s", c->location ? c->location : "");
	cs->rows[i] = (struct caller_row){ cs->text[i][0], cs->text[i][1], c->time, (unsigned)c->node };
}

struct callers_job {
	int want;
	struct callers cs;
};

static void callers_work(struct store *st, void *arg)
{
	struct callers_job *j = arg;
	j->cs.n = 0;
	if (store_last_callers(st, j->want, collect_caller, &j->cs) != STORE_OK)
		j->want = -1;
}

static void callers_done(struct session *s, void *arg)
{
	struct callers_job *j = arg;
	if (j->want < 0)
		screen_notice(session_out(s), "The list of callers could not be read. Try again later.");
	else
		screen_last_callers(session_out(s), j->cs.rows, j->cs.n);
	bbs_pause_then_menu(s);
}

static void db_busy(struct session *s)
{
	screen_notice(session_out(s), "The database is busy. Try again in a moment.");
	bbs_pause_then_menu(s);
}

static void cmd_last_callers(struct session *s)
{
	static struct callers_job j;  /* the loop is single-threaded; keeps it off the stack */
	unsigned want = bbs_config(session_bbs(s))->last_callers;
	j.want = (int)(want < LAST_CALLERS_MAX ? want : LAST_CALLERS_MAX);
	if (!session_db(s, callers_work, callers_done, &j, sizeof(j)))
		db_busy(s);
}

/* ---- profiles ---- */

static void show_profile(struct session *s, const struct store_user *u)
{
	struct session *on = bbs_find_user(session_bbs(s), u->id, NULL);
	struct profile_view p = {
		.handle = u->handle,
		.location = u->location,
		.level = u->level,
		.calls = u->calls,
		.created = u->created,
		.last_on = u->last_on,
		.online_node = on ? (int)session_node(on) : 0,
	};
	screen_profile(session_out(s), &p);
	bbs_pause_then_menu(s);
}

/* A profile read by id (yourself) or by handle. */
struct profile_job {
	int64_t id;               /* > 0: by id */
	char handle[32];
	int rc;
	struct store_user u;
};

static void profile_work(struct store *st, void *arg)
{
	struct profile_job *j = arg;
	j->rc = j->id > 0 ? store_user_get_by_id(st, j->id, &j->u)
	                  : store_user_get(st, j->handle, &j->u);
}

static void profile_done(struct session *s, void *arg)
{
	struct profile_job *j = arg;
	if (j->rc == STORE_OK) {
		show_profile(s, &j->u);
		return;
	}
	screen_notice(session_out(s), j->rc == STORE_ERROR
	              ? "The database is not answering. Try again later."
	              : j->id > 0 ? "Your account could not be read." : "No caller by that handle.");
	bbs_pause_then_menu(s);
}

static void profile_of(struct session *s, int64_t id, const char *handle)
{
	struct profile_job j = { .id = id };
	snprintf(j.handle, sizeof(j.handle), "%s", handle ? handle : "");
	if (!session_db(s, profile_work, profile_done, &j, sizeof(j)))
		db_busy(s);
}

static void cmd_profile(struct session *s)
{
	profile_of(s, session_user(s)->id, NULL);
}

static void lookup_enter(struct session *s)
{
	session_prompt(s, "\r\n\x1b[1;37mLook up which handle?\x1b[0m (Enter for yourself): ",
	               false, 20);
}

static size_t lookup_input(struct session *s, const uint8_t *data, size_t len)
{
	struct lineedit *le = session_editor(s);
	size_t used = 0;
	int r = session_read_line(s, data, len, &used);
	if (r == LE_INTR) {
		menu_return(s);
	} else if (r == LE_LINE) {
		size_t n;
		const char *h = le_line(le, &n);
		if (n == 0)
			cmd_profile(s);
		else if (n < 32)
			profile_of(s, 0, h);
		else
			profile_done(s, &(struct profile_job){ .rc = STORE_NOT_FOUND });
	}
	return used;
}

static const struct session_state state_lookup = {
	.activity = SESSION_MENU,
	.name = "User Lookup",
	.enter = lookup_enter,
	.input = lookup_input,
	.timeout = SESSION_TIMEOUT_IDLE,
};

static void cmd_user_lookup(struct session *s)
{
	session_set_state(s, &state_lookup);
}

/* ---- logging off ---- */

static void revoke_work(struct store *st, void *arg)
{
	store_token_revoke_user(st, *(int64_t *)arg);
}

void bbs_logoff(struct session *s)
{
	const struct session_user *u = session_user(s);
	const struct buf *art = bbs_art(session_bbs(s), ART_GOODBYE);
	unsigned minutes = (unsigned)((session_now(s) - u->login_ms) / 60000);
	bbs_db_write(session_bbs(s), revoke_work, &u->id, sizeof(u->id));
	conn_send_control(session_conn(s), "{\"type\":\"logout\"}", 17);
	screen_goodbye(session_out(s), art ? art->data : NULL, art ? art->len : 0, u->handle,
	               minutes, u->calls, bbs_config(session_bbs(s))->bbs_name);
	log_info("event=logoff node=%u handle=%s minutes=%u", session_node(s), LOG_Q(u->handle),
	         minutes);
	session_hangup(s, 1000, "goodbye");
}

/* ---- the table ---- */

struct bbs_command {
	const char *name;
	void (*run)(struct session *s);
};

static const struct bbs_command commands[] = {
	{ "chat", bbs_chat_enter },
	{ "who", cmd_who },
	{ "last_callers", cmd_last_callers },
	{ "profile", cmd_profile },
	{ "user_lookup", cmd_user_lookup },
	{ "logoff", bbs_logoff },
	{ "telegrams", bbs_telegrams_read },
};

static const struct bbs_command *find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

bool bbs_command_exists(const char *name)
{
	return find(name) != NULL;
}

bool bbs_command_run(struct session *s, const char *name)
{
	const struct bbs_command *c = find(name);
	if (c == NULL)
		return false;
	c->run(s);
	return true;
}
