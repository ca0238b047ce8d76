/* Calling in: the splash, the node number, the handle and password prompts.
 * Passwords are checked on the thread pool; while a check runs, what the caller
 * types is kept for the next prompt.  One message for every failure; failures
 * are slowed, counted and locked out as configured. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bbs/moderate.h"
#include "bbs/password.h"
#include "bbs/screens.h"
#include "bbs/states.h"
#include "cluster/cluster.h"
#include "store/store.h"
#include "term/ansi.h"
#include "term/lineedit.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

#define LOGIN_TRIES_PER_CALL 3
#define LOGIN_RETRY_DELAY_MS 1500

struct login_flow {
	char handle[32];
	unsigned failures;          /* in this call */
	bool splash_shown;
	bool preauth_tried;         /* the transport's own login was looked at */
	int64_t other_node;         /* already-online offer: the other node */
	char other_server[CLUSTER_NODE_MAX];   /* ... on this server of the cluster ("": here) */
	int64_t user_id;            /* verified, waiting for the offer's answer */
};

static struct login_flow *flow(struct session *s)
{
	return session_flow(s, sizeof(struct login_flow));
}

extern const struct session_state state_password, state_checking, state_login_delay,
	state_already_online;

static void login_failed(struct session *s);
static void login_succeeded(struct session *s, const struct store_user *u);

/* ---- the splash and the handle prompt ---- */

/* A banned account, its password right: told why and until when, and hung up.
 * Only the account's owner (who knows the password) learns of the ban. */
static bool refused_banned(struct session *s, const struct store_user *u)
{
	if (u->banned_until <= (int64_t)time(NULL))
		return false;
	char text[MOD_ANSWER_MAX + 64];
	mod_ban_notice(u->banned_until, u->ban_reason, text, sizeof(text));
	sbuf_puts(session_out(s), "\r\n");
	screen_notice(session_out(s), text);
	log_info("event=login_refused node=%u handle=%s reason=banned", session_node(s),
	         LOG_Q(u->handle));
	session_hangup(s, 1008, "banned");
	return true;
}

static void login_enter(struct session *s)
{
	struct sbuf *out = session_out(s);
	struct login_flow *f = flow(s);
	const struct config *cfg = bbs_config(session_bbs(s));
	if (!f->splash_shown) {
		const struct buf *art = bbs_art(session_bbs(s), ART_WELCOME);
		f->splash_shown = true;
		ansi_reset(out);
		ansi_clear(out);
		if (art)
			sbuf_append(out, art->data, art->len);
		sbuf_puts(out, "\r\n  ");
		ansi_fg(out, ANSI_BRIGHT_WHITE);
		sbuf_puts(out, cfg->bbs_name);
		ansi_reset(out);
		sbuf_puts(out, " - ");
		ansi_fg(out, ANSI_CYAN);
		sbuf_puts(out, cfg->tagline);
		ansi_reset(out);
		sbuf_puts(out, "\r\n  ");
		ansi_fg(out, ANSI_BRIGHT_BLACK);
		sbuf_printf(out, "You are on node %u of %u.", session_node(s),
		            bbs_node_count(session_bbs(s)));
		ansi_reset(out);
		sbuf_puts(out, "\r\n\r\n");
	}
	/* The transport checked the handle and password already (SSH with
	 * ssh_login): straight in, by the same rules as a typed login. */
	int64_t account = conn_account(session_conn(s));
	if (account > 0 && !f->preauth_tried) {
		struct store_user u;
		f->preauth_tried = true;
		if (store_user_get_by_id(bbs_store(session_bbs(s)), account, &u) == STORE_OK) {
			if (!refused_banned(s, &u))
				login_succeeded(s, &u);
			return;
		}
	}
	session_prompt(s, "\x1b[1;37mEnter your handle\x1b[0m (or \x1b[1;33mNEW\x1b[0m): ", false, 20);
}

static size_t login_input(struct session *s, const uint8_t *data, size_t len)
{
	struct lineedit *le = session_editor(s);
	size_t used = 0;
	int r = session_read_line(s, data, len, &used);
	if (r == LE_INTR) {
		le_redraw(le, session_out(s));
	} else if (r == LE_LINE) {
		size_t n;
		const char *line = le_line(le, &n);
		while (n > 0 && line[n - 1] == ' ')
			n--;
		while (n > 0 && *line == ' ') {
			line++;
			n--;
		}
		if (n == 0) {
			le_reset(le);
			le_redraw(le, session_out(s));
		} else if (n == 3 && strncasecmp(line, "new", 3) == 0) {
			session_flow_end(s);    /* registration keeps a flow of its own */
			session_set_state(s, &state_register);
		} else {
			struct login_flow *f = flow(s);
			snprintf(f->handle, sizeof(f->handle), "%.*s", (int)n, line);
			session_set_state(s, &state_password);
		}
	}
	return used;
}

/* The same handle logged in on another node: that node is told and hung up.  Its
 * output is its own, whatever this session has queued. */
static void hang_up_other(struct session *other)
{
	struct sbuf *o = session_out(other);
	sbuf_puts(o, "\r\n");
	screen_notice(o, "You logged in on another node. Goodbye!");
	session_hangup(other, 1000, "logged in elsewhere");
}

/* The page offers a session token: a refresh comes back without a password. */
static void login_control(struct session *s, const char *json, size_t len)
{
	char type[16], token[64];
	if (!json_get_string(json, len, "type", type, sizeof(type)) || strcmp(type, "resume") != 0)
		return;
	if (!json_get_string(json, len, "token", token, sizeof(token)))
		return;
	uint8_t hash[TOKEN_HASH_LEN];
	int64_t uid = 0;
	struct store *st = bbs_store(session_bbs(s));
	struct store_user u;
	if (token_hash(token, hash) != 0 ||
	    store_token_lookup(st, hash, (int64_t)time(NULL), &uid) != STORE_OK ||
	    store_user_get_by_id(st, uid, &u) != STORE_OK || u.banned_until > (int64_t)time(NULL)) {
		/* Expired or revoked: the page forgets it; the caller logs in. */
		conn_send_control(session_conn(s), "{\"type\":\"logout\"}", 17);
		return;
	}
	struct session_user su;
	session_user_from(&su, &u);
	le_erase(session_editor(s), session_out(s));
	/* Someone else on this handle (another tab): the newest one wins. */
	struct session *other = bbs_find_user(session_bbs(s), u.id, s);
	if (other != NULL)
		hang_up_other(other);
	else
		cluster_hangup(bbs_cluster(session_bbs(s)), u.handle,
		               "You logged in on another node. Goodbye!");
	session_flow_end(s);
	session_login(s, &su, true);
	char hello[192] = "Welcome back! Your session was resumed.";
	bbs_telegrams_announce(s, hello, sizeof(hello));
	session_set_notice(s, hello);
	menu_enter_main(s);
}

const struct session_state state_login = {
	.activity = SESSION_LOGIN,
	.name = "Logging In",
	.enter = login_enter,
	.input = login_input,
	.control = login_control,
	.timeout = SESSION_TIMEOUT_LOGIN,
};

/* ---- the password; while it is checked, input waits ---- */

static void password_enter(struct session *s)
{
	session_prompt(s, "\x1b[1;37mPassword\x1b[0m: ", true, 128);
}

/* What a checked password means for handle: the account, if the login stands
 * (true); a wrong one counts against the handle and may lock it out, and a locked
 * handle stays out whatever the password. */
static bool login_outcome(struct bbs *bbs, const char *handle, int ok, struct store_user *u)
{
	struct store *st = bbs_store(bbs);
	struct bbs_stats *stats = bbs_stats(bbs);
	if (store_user_get(st, handle, u) != STORE_OK) {
		stats->logins_failed++;
		return false;
	}
	if (ok && u->locked_until <= (int64_t)time(NULL))
		return true;
	if (u->locked_until > (int64_t)time(NULL))
		stats->logins_locked++;
	else
		stats->logins_failed++;
	if (ok == 0) {
		const struct config *cfg = bbs_config(bbs);
		if (store_user_record_failure(st, u->id, (int64_t)time(NULL),
		                              (int)cfg->max_login_failures,
		                              (int64_t)cfg->lockout_minutes * 60) == STORE_LOCKED) {
			stats->lockouts++;
			log_warn("event=lockout handle=%s failures=%u minutes=%u", LOG_Q(u->handle),
			         cfg->max_login_failures, cfg->lockout_minutes);
		}
	}
	return false;
}

static void verified(void *ud, int ok, int needs_rehash)
{
	struct session *s = ud;
	struct login_flow *f = flow(s);
	struct store_user u;
	session_set_job(s, NULL);
	(void)needs_rehash;
	if (!login_outcome(session_bbs(s), f->handle, ok, &u)) {
		login_failed(s);
		return;
	}
	if (refused_banned(s, &u))
		return;
	login_succeeded(s, &u);
	session_flush(s);
}

/* ---- the same check for a transport that asks for the password itself ---- */

struct bbs_login_check {
	struct bbs *bbs;
	struct password_job *job;
	bbs_login_fn done;
	void *ud;
	char handle[32];
};

static void check_verified(void *ud, int ok, int needs_rehash)
{
	struct bbs_login_check *k = ud;
	struct store_user u;
	(void)needs_rehash;
	int64_t id = login_outcome(k->bbs, k->handle, ok, &u) ? u.id : 0;
	bbs_login_fn done = k->done;
	void *dud = k->ud;
	free(k);
	done(dud, id);
}

struct bbs_login_check *bbs_login_check(struct bbs *bbs, const char *handle, const char *password,
                                        bbs_login_fn done, void *ud)
{
	struct bbs_login_check *k = xcalloc(1, sizeof(*k));
	k->bbs = bbs;
	k->done = done;
	k->ud = ud;
	snprintf(k->handle, sizeof(k->handle), "%s", handle);
	struct store_user u;
	const char *hash = NULL;
	if (strlen(handle) < sizeof(k->handle) &&
	    store_user_get(bbs_store(bbs), k->handle, &u) == STORE_OK)
		hash = u.pwhash;
	struct password_limits lim;
	bbs_password_limits(bbs, &lim);
	/* Unknown handles cost the same as known ones, as at the prompt. */
	if (password_verify_async(bbs_loop(bbs), hash, password, lim, check_verified, k, &k->job) != 0) {
		free(k);
		return NULL;
	}
	return k;
}

void bbs_login_check_cancel(struct bbs_login_check *k)
{
	password_job_cancel(k->job);
	free(k);
}

static size_t password_input(struct session *s, const uint8_t *data, size_t len)
{
	struct lineedit *le = session_editor(s);
	size_t used = 0;
	int r = session_read_line(s, data, len, &used);
	if (r == LE_INTR) {
		session_set_state(s, &state_login);
	} else if (r == LE_LINE) {
		struct login_flow *f = flow(s);
		struct store_user u;
		struct password_limits lim;
		const char *hash = NULL;
		if (store_user_get(bbs_store(session_bbs(s)), f->handle, &u) == STORE_OK)
			hash = u.pwhash;
		bbs_password_limits(session_bbs(s), &lim);
		/* Unknown handles cost the same as known ones: no hint which exist. */
		int err = password_verify_async(bbs_loop(session_bbs(s)), hash, le_line(le, NULL), lim,
		                                verified, s, session_job_slot(s));
		le_reset(le);
		if (err != 0) {
			login_failed(s);
			return used;
		}
		session_set_state(s, &state_checking);
	}
	return used;
}

const struct session_state state_password = {
	.activity = SESSION_LOGIN,
	.name = "Logging In",
	.enter = password_enter,
	.input = password_input,
	.timeout = SESSION_TIMEOUT_LOGIN,
};

const struct session_state state_checking = {
	.activity = SESSION_LOGIN,
	.name = "Logging In",
	.input = session_wait_input,
	.timeout = SESSION_TIMEOUT_LOGIN,
};

static void login_failed(struct session *s)
{
	struct login_flow *f = flow(s);
	struct sbuf *out = session_out(s);
	f->failures++;
	ansi_fg(out, ANSI_BRIGHT_RED);
	sbuf_puts(out, "Login incorrect.");
	ansi_reset(out);
	sbuf_puts(out, "\r\n");
	log_info("event=login_failed node=%u handle=%s", session_node(s), LOG_Q(f->handle));
	if (f->failures >= LOGIN_TRIES_PER_CALL) {
		screen_notice(out, "Too many failed attempts. Goodbye.");
		session_hangup(s, 1000, "login failed");
		return;
	}
	/* Slow down guessing: the next prompt comes after a pause. */
	session_set_state(s, &state_login_delay);
	session_set_wake(s, session_now(s) + LOGIN_RETRY_DELAY_MS);
	session_flush(s);
}

static void delay_tick(struct session *s, uint64_t now)
{
	(void)now;
	session_set_state(s, &state_login);
}

const struct session_state state_login_delay = {
	.activity = SESSION_LOGIN,
	.name = "Logging In",
	.input = session_wait_input,
	.tick = delay_tick,
	.timeout = SESSION_TIMEOUT_LOGIN,
};

static void finish_login(struct session *s, const struct session_user *su)
{
	char hello[192];
	snprintf(hello, sizeof(hello), "Welcome, %s! This is call number %lld.", su->handle,
	         (long long)su->calls + 1);
	session_flow_end(s);
	session_login(s, su, false);
	bbs_telegrams_announce(s, hello, sizeof(hello));
	session_set_notice(s, hello);
	menu_enter_main(s);
}

static void login_succeeded(struct session *s, const struct store_user *u)
{
	struct login_flow *f = flow(s);
	struct session_user su;
	session_user_from(&su, u);
	struct session *other = bbs_find_user(session_bbs(s), u->id, s);
	if (other != NULL) {
		f->user_id = u->id;
		f->other_node = session_node(other);
		f->other_server[0] = '\0';
		session_set_state(s, &state_already_online);
		return;
	}
	/* Online on another server of the cluster: the same question. */
	const char *server = NULL;
	const struct cluster_line *l = cluster_find(bbs_cluster(session_bbs(s)), u->handle, &server);
	if (l != NULL) {
		f->user_id = u->id;
		f->other_node = l->line;
		snprintf(f->other_server, sizeof(f->other_server), "%s", server);
		session_set_state(s, &state_already_online);
		return;
	}
	finish_login(s, &su);
}

/* ---- "you are already online" ---- */

static void online_enter(struct session *s)
{
	struct sbuf *out = session_out(s);
	struct login_flow *f = flow(s);
	ansi_fg(out, ANSI_BRIGHT_YELLOW);
	sbuf_printf(out, "\r\nYou are already online on node %lld.", (long long)f->other_node);
	ansi_reset(out);
	sbuf_puts(out, "\r\nDisconnect that node and continue here? (Y/N) ");
}

static size_t online_input(struct session *s, const uint8_t *data, size_t len)
{
	struct key k;
	size_t used = 0;
	if (!le_hotkey(session_editor(s), data, len, &used, &k))
		return used;
	if (k.type != KEY_CHAR)
		return used;
	struct login_flow *f = flow(s);
	struct sbuf *out = session_out(s);
	if (k.cp == 'y' || k.cp == 'Y') {
		sbuf_puts(out, "Yes\r\n");
		struct session *other = bbs_find_user(session_bbs(s), f->user_id, s);
		if (other != NULL)
			hang_up_other(other);
		struct store_user u;
		if (store_user_get_by_id(bbs_store(session_bbs(s)), f->user_id, &u) != STORE_OK) {
			login_failed(s);
			return used;
		}
		if (other == NULL)
			cluster_hangup(bbs_cluster(session_bbs(s)), u.handle,
			               "You logged in on another node. Goodbye!");
		struct session_user su;
		session_user_from(&su, &u);
		finish_login(s, &su);
	} else if (k.cp == 'n' || k.cp == 'N') {
		sbuf_puts(out, "No\r\n");
		screen_notice(out, "Goodbye.");
		session_hangup(s, 1000, "goodbye");
	}
	return used;
}

const struct session_state state_already_online = {
	.activity = SESSION_LOGIN,
	.name = "Logging In",
	.enter = online_enter,
	.input = online_input,
	.timeout = SESSION_TIMEOUT_LOGIN,
};

/* ---- every line busy ---- */

static void busy_enter(struct session *s)
{
	struct sbuf *out = session_out(s);
	const struct buf *art = bbs_art(session_bbs(s), ART_LINEBUSY);
	ansi_reset(out);
	ansi_clear(out);
	if (art)
		sbuf_append(out, art->data, art->len);
	sbuf_puts(out, "\r\n");
	screen_notice(out, "All lines are busy. Please call again later.");
	session_hangup(s, 1013, "all lines busy");
}

const struct session_state state_line_busy = {
	.activity = SESSION_LINE_BUSY,
	.name = "Line Busy",
	.enter = busy_enter,
	.input = session_wait_input,
};
