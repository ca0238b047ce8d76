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
#include "store/queue.h"
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
	char password[4 * 128 + 4]; /* typed (128 code points), while its hash is looked up */
};

static struct login_flow *flow(struct session *s)
{
	return session_flow(s, sizeof(struct login_flow));
}

extern const struct session_state state_password, state_checking, state_login_delay,
	state_already_online;

static void login_failed(struct session *s);
static void login_succeeded(struct session *s, const struct store_user *u,
                            const struct login_extras *x);

/* ---- what a login asks the database, in one job ---- */

enum account_by { BY_HANDLE, BY_ID, BY_TOKEN };

struct account_job {
	/* asked */
	enum account_by by;
	char handle[32];
	int64_t id;
	uint8_t token[TOKEN_HASH_LEN];
	int verdict;               /* the password check: 1 right, 0 wrong, -1 none */
	bool extras;               /* read the login's extras too */
	int64_t now;
	int max_failures;
	int64_t lock_seconds;
	/* answered */
	int rc;                    /* STORE_OK, STORE_NOT_FOUND or STORE_ERROR */
	bool locked_now;           /* this wrong password locked the account */
	struct store_user u;
	struct login_extras x;
};

static void account_work(struct store *st, void *arg)
{
	struct account_job *j = arg;
	if (j->by == BY_TOKEN) {
		j->rc = store_token_lookup(st, j->token, j->now, &j->id);
		if (j->rc != STORE_OK)
			return;
	}
	j->rc = j->by == BY_HANDLE ? store_user_get(st, j->handle, &j->u)
	                           : store_user_get_by_id(st, j->id, &j->u);
	if (j->rc != STORE_OK)
		return;
	if (j->verdict == 0)
		j->locked_now = store_user_record_failure(st, j->u.id, j->now, j->max_failures,
		                                          j->lock_seconds) == STORE_LOCKED;
	else if (j->extras && j->u.locked_until <= j->now)
		session_read_extras(st, j->u.id, &j->x);
}

static struct account_job account_ask(struct session *s, enum account_by by)
{
	const struct config *cfg = bbs_config(session_bbs(s));
	return (struct account_job){
		.by = by, .verdict = -1, .extras = true, .now = (int64_t)time(NULL),
		.max_failures = (int)cfg->max_login_failures,
		.lock_seconds = (int64_t)cfg->lockout_minutes * 60,
	};
}

/* The database did not answer (or its queue is full): nothing is counted against
 * the caller, who is asked to try again later. */
static void db_unavailable(struct session *s)
{
	struct sbuf *out = session_out(s);
	sbuf_puts(out, "\r\n");
	screen_notice(out, "The user database is not answering. Please try again later.");
	bbs_stats(session_bbs(s))->logins_unavailable++;
	log_warn("event=login_unavailable node=%u", session_node(s));
	session_hangup(s, 1013, "database unavailable");
}

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

static void handle_prompt(struct session *s)
{
	session_prompt(s, "\x1b[1;37mEnter your handle\x1b[0m (or \x1b[1;33mNEW\x1b[0m): ", false, 20);
}

static void preauth_done(struct session *s, void *arg)
{
	struct account_job *j = arg;
	if (j->rc == STORE_ERROR)
		db_unavailable(s);
	else if (j->rc != STORE_OK)
		handle_prompt(s);
	else if (!refused_banned(s, &j->u))
		login_succeeded(s, &j->u, &j->x);
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
		f->preauth_tried = true;
		struct account_job j = account_ask(s, BY_ID);
		j.id = account;
		if (!session_db(s, account_work, preauth_done, &j, sizeof(j)))
			db_unavailable(s);
		return;
	}
	handle_prompt(s);
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
static void resume_done(struct session *s, void *arg)
{
	struct account_job *j = arg;
	struct store_user *u = &j->u;
	if (j->rc != STORE_OK || u->banned_until > (int64_t)time(NULL)) {
		/* Expired or revoked (or the database is away): the page forgets it; the
		 * caller logs in. */
		conn_send_control(session_conn(s), "{\"type\":\"logout\"}", 17);
		return;
	}
	if (session_logged_in(s))
		return;    /* two resumes in flight: the first one won */
	struct session_user su;
	session_user_from(&su, u);
	le_erase(session_editor(s), session_out(s));
	/* Someone else on this handle (another tab): the newest one wins. */
	struct session *other = bbs_find_user(session_bbs(s), u->id, s);
	if (other != NULL)
		hang_up_other(other);
	else
		cluster_hangup(bbs_cluster(session_bbs(s)), u->handle,
		               "You logged in on another node. Goodbye!");
	session_flow_end(s);
	session_login(s, &su, true, &j->x);
	char hello[192] = "Welcome back! Your session was resumed.";
	bbs_telegrams_announce(s, j->x.new_telegrams, hello, sizeof(hello));
	session_set_notice(s, hello);
	menu_enter_main(s);
}

static void login_control(struct session *s, const char *json, size_t len)
{
	char type[16], token[64];
	if (!json_get_string(json, len, "type", type, sizeof(type)) || strcmp(type, "resume") != 0)
		return;
	if (!json_get_string(json, len, "token", token, sizeof(token)))
		return;
	if (session_db_waiting(s))
		return;    /* a login is being looked up already */
	struct account_job j = account_ask(s, BY_TOKEN);
	if (token_hash(token, j.token) != 0 || !session_db(s, account_work, resume_done, &j, sizeof(j)))
		conn_send_control(session_conn(s), "{\"type\":\"logout\"}", 17);
	explicit_bzero(token, sizeof(token));
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

/* What a checked password means (j, its account read after the check): true if
 * the login stands; a wrong one has counted against the handle (and may have
 * locked it out), and a locked handle stays out whatever the password. */
static bool login_outcome(struct bbs *bbs, const struct account_job *j)
{
	struct bbs_stats *stats = bbs_stats(bbs);
	if (j->rc != STORE_OK) {
		stats->logins_failed++;
		return false;
	}
	if (j->verdict == 1 && j->u.locked_until <= j->now)
		return true;
	if (j->u.locked_until > j->now)
		stats->logins_locked++;
	else
		stats->logins_failed++;
	if (j->locked_now) {
		const struct config *cfg = bbs_config(bbs);
		stats->lockouts++;
		log_warn("event=lockout handle=%s failures=%u minutes=%u", LOG_Q(j->u.handle),
		         cfg->max_login_failures, cfg->lockout_minutes);
	}
	return false;
}

static void outcome_done(struct session *s, void *arg)
{
	struct account_job *j = arg;
	if (j->rc == STORE_ERROR) {
		db_unavailable(s);
		return;
	}
	if (!login_outcome(session_bbs(s), j)) {
		login_failed(s);
		return;
	}
	if (refused_banned(s, &j->u))
		return;
	login_succeeded(s, &j->u, &j->x);
}

static void verified(void *ud, int ok, int needs_rehash)
{
	struct session *s = ud;
	struct login_flow *f = flow(s);
	session_set_job(s, NULL);
	(void)needs_rehash;
	struct account_job j = account_ask(s, BY_HANDLE);
	snprintf(j.handle, sizeof(j.handle), "%s", f->handle);
	j.verdict = ok ? 1 : 0;
	if (!session_db(s, account_work, outcome_done, &j, sizeof(j)))
		db_unavailable(s);
	session_flush(s);
}

/* ---- the same check for a transport that asks for the password itself ---- */

struct bbs_login_check {
	struct bbs *bbs;
	struct password_job *job;  /* the password being checked, or NULL */
	bool db_pending;           /* the database is being asked (k is the job's) */
	bool cancelled;            /* ... and nobody waits for the answer any more */
	bool returned;             /* bbs_login_check has returned it */
	bool failed_early;         /* refused before it returned (done must not run) */
	bbs_login_fn done;
	void *ud;
	char *password;            /* until it is checked; wiped */
	struct account_job j;
};

static void check_free(struct bbs_login_check *k)
{
	if (k->password != NULL) {
		explicit_bzero(k->password, strlen(k->password));
		free(k->password);
	}
	explicit_bzero(k, sizeof(*k));
	free(k);
}

static void check_answer(struct bbs_login_check *k, int64_t id)
{
	if (!k->returned) {
		/* Still inside bbs_login_check (SQLite answers at once): it returns
		 * NULL, and done never runs, as its contract says. */
		k->failed_early = true;
		return;
	}
	bbs_login_fn done = k->done;
	void *dud = k->ud;
	check_free(k);
	done(dud, id);
}

static void check_work(struct store *st, void *arg)
{
	account_work(st, &((struct bbs_login_check *)arg)->j);
}

/* The database has answered k: false (and k is freed) if nobody waits any more. */
static bool check_back(struct bbs_login_check *k)
{
	k->db_pending = false;
	if (!k->cancelled)
		return true;
	check_free(k);
	return false;
}

/* The account after the check: the login stands or not. */
static void check_outcome(void *arg)
{
	struct bbs_login_check *k = arg;
	if (!check_back(k))
		return;
	/* A banned account's owner gets in to be told why (the preauthenticated
	 * login refuses it with the reason). */
	check_answer(k, login_outcome(k->bbs, &k->j) ? k->j.u.id : 0);
}

static void check_verified(void *ud, int ok, int needs_rehash)
{
	struct bbs_login_check *k = ud;
	(void)needs_rehash;
	k->job = NULL;
	k->j.verdict = ok ? 1 : 0;
	k->j.extras = false;
	k->j.now = (int64_t)time(NULL);
	k->db_pending = true;
	if (store_queue_submit(bbs_queue(k->bbs), check_work, check_outcome, k) != 0) {
		k->db_pending = false;
		check_answer(k, 0);
	}
}

/* The account's hash (or none: an unknown handle costs the same as a known one,
 * as at the prompt), then the password's check. */
static void check_hash(void *arg)
{
	struct bbs_login_check *k = arg;
	if (!check_back(k))
		return;
	struct password_limits lim;
	bbs_password_limits(k->bbs, &lim);
	const char *hash = k->j.rc == STORE_OK ? k->j.u.pwhash : NULL;
	int err = k->j.rc == STORE_ERROR ? -1
	          : password_verify_async(bbs_loop(k->bbs), hash, k->password, lim, check_verified,
	                                  k, &k->job);
	explicit_bzero(k->password, strlen(k->password));
	if (err != 0)
		check_answer(k, 0);
}

struct bbs_login_check *bbs_login_check(struct bbs *bbs, const char *handle, const char *password,
                                        bbs_login_fn done, void *ud)
{
	const struct config *cfg = bbs_config(bbs);
	struct bbs_login_check *k = xcalloc(1, sizeof(*k));
	k->bbs = bbs;
	k->done = done;
	k->ud = ud;
	k->password = xstrdup(password);
	k->j = (struct account_job){
		.by = BY_HANDLE, .verdict = -1, .now = (int64_t)time(NULL),
		.max_failures = (int)cfg->max_login_failures,
		.lock_seconds = (int64_t)cfg->lockout_minutes * 60,
	};
	if (strlen(handle) >= sizeof(k->j.handle)) {
		k->j.rc = STORE_NOT_FOUND;
		check_hash(k);    /* an impossible handle: the same wait, then no */
	} else {
		snprintf(k->j.handle, sizeof(k->j.handle), "%s", handle);
		k->db_pending = true;
		if (store_queue_submit(bbs_queue(bbs), check_work, check_hash, k) != 0)
			k->failed_early = true;
	}
	if (k->failed_early) {
		check_free(k);
		return NULL;
	}
	k->returned = true;
	return k;
}

void bbs_login_check_cancel(struct bbs_login_check *k)
{
	if (k->db_pending) {
		k->cancelled = true;    /* freed when the database answers */
		return;
	}
	password_job_cancel(k->job);
	check_free(k);
}

static void hash_done(struct session *s, void *arg)
{
	struct account_job *j = arg;
	struct login_flow *f = flow(s);
	struct password_limits lim;
	if (j->rc == STORE_ERROR) {
		explicit_bzero(f->password, sizeof(f->password));
		db_unavailable(s);
		return;
	}
	bbs_password_limits(session_bbs(s), &lim);
	/* Unknown handles cost the same as known ones: no hint which exist. */
	int err = password_verify_async(bbs_loop(session_bbs(s)),
	                                j->rc == STORE_OK ? j->u.pwhash : NULL, f->password, lim,
	                                verified, s, session_job_slot(s));
	explicit_bzero(f->password, sizeof(f->password));
	if (err != 0) {
		login_failed(s);
		return;
	}
	session_set_state(s, &state_checking);
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
		/* Kept (in the flow, wiped at its end) while the hash is looked up. */
		snprintf(f->password, sizeof(f->password), "%s", le_line(le, NULL));
		le_reset(le);
		struct account_job j = account_ask(s, BY_HANDLE);
		snprintf(j.handle, sizeof(j.handle), "%s", f->handle);
		j.extras = false;
		session_set_state(s, &state_checking);
		if (!session_db(s, account_work, hash_done, &j, sizeof(j)))
			db_unavailable(s);
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

static void finish_login(struct session *s, const struct session_user *su,
                         const struct login_extras *x)
{
	char hello[192];
	snprintf(hello, sizeof(hello), "Welcome, %s! This is call number %lld.", su->handle,
	         (long long)su->calls + 1);
	session_flow_end(s);
	session_login(s, su, false, x);
	bbs_telegrams_announce(s, x->new_telegrams, hello, sizeof(hello));
	session_set_notice(s, hello);
	menu_enter_main(s);
}

static void login_succeeded(struct session *s, const struct store_user *u,
                            const struct login_extras *x)
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
	finish_login(s, &su, x);
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

/* "Yes": the other node goes, and this login goes on with the account as it is now. */
static void takeover_done(struct session *s, void *arg)
{
	struct account_job *j = arg;
	struct login_flow *f = flow(s);
	if (j->rc == STORE_ERROR) {
		db_unavailable(s);
		return;
	}
	if (j->rc != STORE_OK) {
		login_failed(s);
		return;
	}
	struct session *other = bbs_find_user(session_bbs(s), f->user_id, s);
	if (other != NULL)
		hang_up_other(other);
	else
		cluster_hangup(bbs_cluster(session_bbs(s)), j->u.handle,
		               "You logged in on another node. Goodbye!");
	struct session_user su;
	session_user_from(&su, &j->u);
	finish_login(s, &su, &j->x);
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
		struct account_job j = account_ask(s, BY_ID);
		j.id = f->user_id;
		if (!session_db(s, account_work, takeover_done, &j, sizeof(j)))
			db_unavailable(s);
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
