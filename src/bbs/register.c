/* A new caller: handle, password typed twice without echo, optional location.
 * Nothing is written until the last step, in one INSERT: a caller who drops half
 * way leaves nothing behind.  The password is hashed on the thread pool. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bbs/handle.h"
#include "bbs/password.h"
#include "bbs/screens.h"
#include "bbs/states.h"
#include "store/store.h"
#include "term/ansi.h"
#include "term/lineedit.h"
#include "util/log.h"

struct reg_flow {
	char handle[32];
	char password[PASSWORD_MAX_BYTES + 1];
	char location[STORE_LOCATION_MAX];
	char hash[PASSWORD_HASH_MAX];
};

static struct reg_flow *flow(struct session *s)
{
	return session_flow(s, sizeof(struct reg_flow));
}

extern const struct session_state state_reg_password, state_reg_confirm, state_reg_location,
	state_reg_saving;

static void problem(struct session *s, const char *text)
{
	struct sbuf *out = session_out(s);
	ansi_fg(out, ANSI_BRIGHT_RED);
	sbuf_puts(out, text);
	ansi_reset(out);
	sbuf_puts(out, "\r\n");
}

/* Read a line from the editor; returns it (NUL-terminated) or NULL if none yet.
 * Ctrl-C abandons registration and returns to the login prompt. */
static const char *line(struct session *s, const uint8_t *data, size_t len, size_t *used, size_t *n)
{
	int r = session_read_line(s, data, len, used);
	if (r == LE_INTR) {
		session_flow_end(s);
		session_set_state(s, &state_login);
		return NULL;
	}
	if (r != LE_LINE)
		return NULL;
	return le_line(session_editor(s), n);
}

/* ---- handle ---- */

static void handle_enter(struct session *s)
{
	struct sbuf *out = session_out(s);
	sbuf_puts(out, "\r\n");
	ansi_fg(out, ANSI_BRIGHT_CYAN);
	sbuf_puts(out, "New caller registration");
	ansi_reset(out);
	sbuf_puts(out, "\r\nA handle is 3 to 20 letters, digits, spaces, _ or -. Ctrl-C cancels.\r\n");
	session_prompt(s, "\x1b[1;37mChoose a handle\x1b[0m: ", false, 20);
}

/* The database did not answer: nothing is saved, and the caller is asked to come
 * back later. */
static void unavailable(struct session *s)
{
	problem(s, "The user database is not answering. Please try again later.");
	bbs_stats(session_bbs(s))->logins_unavailable++;
	log_warn("event=login_unavailable node=%u during=registration", session_node(s));
	session_flow_end(s);
	session_hangup(s, 1013, "database unavailable");
}

/* Is the handle free? */
struct handle_job {
	char handle[32];
	int rc;
};

static void handle_work(struct store *st, void *arg)
{
	struct handle_job *j = arg;
	struct store_user u;
	j->rc = store_user_get(st, j->handle, &u);
}

static void handle_done(struct session *s, void *arg)
{
	struct handle_job *j = arg;
	if (j->rc == STORE_ERROR) {
		unavailable(s);
	} else if (j->rc == STORE_OK) {
		problem(s, "That handle is taken. Try another.");
		session_prompt(s, "\x1b[1;37mChoose a handle\x1b[0m: ", false, 20);
	} else {
		snprintf(flow(s)->handle, sizeof(flow(s)->handle), "%s", j->handle);
		session_set_state(s, &state_reg_password);
	}
}

static size_t handle_input(struct session *s, const uint8_t *data, size_t len)
{
	size_t used = 0, n;
	const char *h = line(s, data, len, &used, &n);
	if (h == NULL)
		return used;
	const char *why = NULL;
	if (!handle_valid(h, &why)) {
		problem(s, why ? why : "That handle is not allowed.");
		session_prompt(s, "\x1b[1;37mChoose a handle\x1b[0m: ", false, 20);
		return used;
	}
	struct handle_job j = { .rc = STORE_ERROR };
	snprintf(j.handle, sizeof(j.handle), "%s", h);
	if (!session_db(s, handle_work, handle_done, &j, sizeof(j)))
		unavailable(s);
	return used;
}

const struct session_state state_register = {
	.activity = SESSION_REGISTER,
	.name = "Registering",
	.enter = handle_enter,
	.input = handle_input,
	.timeout = SESSION_TIMEOUT_LOGIN,
};

/* ---- password, twice ---- */

static void password_enter(struct session *s)
{
	session_prompt(s, "\x1b[1;37mChoose a password\x1b[0m (8 or more characters): ", true, PASSWORD_MAX_BYTES / 4);
}

static size_t password_input(struct session *s, const uint8_t *data, size_t len)
{
	size_t used = 0, n;
	const char *pw = line(s, data, len, &used, &n);
	if (pw == NULL)
		return used;
	const char *why = NULL;
	if (!password_acceptable(pw, &why)) {
		problem(s, why ? why : "That password is not allowed.");
		password_enter(s);
	} else {
		snprintf(flow(s)->password, sizeof(flow(s)->password), "%s", pw);
		le_reset(session_editor(s));      /* wipe the editor's copy */
		session_set_state(s, &state_reg_confirm);
	}
	return used;
}

const struct session_state state_reg_password = {
	.activity = SESSION_REGISTER,
	.name = "Registering",
	.enter = password_enter,
	.input = password_input,
	.timeout = SESSION_TIMEOUT_LOGIN,
};

static void confirm_enter(struct session *s)
{
	session_prompt(s, "\x1b[1;37mType the password again\x1b[0m: ", true, PASSWORD_MAX_BYTES / 4);
}

static size_t confirm_input(struct session *s, const uint8_t *data, size_t len)
{
	size_t used = 0, n;
	const char *pw = line(s, data, len, &used, &n);
	if (pw == NULL)
		return used;
	if (strcmp(pw, flow(s)->password) != 0) {
		le_reset(session_editor(s));
		problem(s, "The passwords differ. Once more.");
		session_set_state(s, &state_reg_password);
	} else {
		le_reset(session_editor(s));
		session_set_state(s, &state_reg_location);
	}
	return used;
}

const struct session_state state_reg_confirm = {
	.activity = SESSION_REGISTER,
	.name = "Registering",
	.enter = confirm_enter,
	.input = confirm_input,
	.timeout = SESSION_TIMEOUT_LOGIN,
};

/* ---- location, then save ---- */

static void location_enter(struct session *s)
{
	session_prompt(s, "\x1b[1;37mWhere are you calling from?\x1b[0m (optional): ", false, 40);
}

static bool is_sysop_handle(const struct config *cfg, const char *h)
{
	for (size_t i = 0; i < cfg->n_sysop_handles; i++)
		if (strcasecmp(cfg->sysop_handles[i], h) == 0)
			return true;
	return false;
}

/* The new account, saved. */
struct create_job {
	char handle[32];
	char hash[PASSWORD_HASH_MAX];
	char location[STORE_LOCATION_MAX];
	int level;
	int64_t now;
	int rc;
	int64_t id;
};

static void create_work(struct store *st, void *arg)
{
	struct create_job *j = arg;
	j->rc = store_user_create(st, j->handle, j->hash, j->location, j->level, j->now, &j->id);
}

static void created(struct session *s, void *arg)
{
	struct create_job *j = arg;
	struct reg_flow *f = flow(s);
	struct bbs *bbs = session_bbs(s);
	if (j->rc == STORE_EXISTS) {
		problem(s, "Someone took that handle a moment ago. Choose another.");
		session_set_state(s, &state_register);
		return;
	}
	if (j->rc == STORE_ERROR) {
		unavailable(s);
		return;
	}
	if (j->rc != STORE_OK) {
		problem(s, "Sorry, your account could not be saved.");
		session_flow_end(s);
		session_set_state(s, &state_login);
		return;
	}
	bbs_stats(bbs)->registrations++;
	log_info("event=register node=%u handle=%s level=%d", session_node(s), LOG_Q(j->handle),
	         j->level);
	struct session_user su = { .id = j->id, .level = j->level, .calls = 0,
	                           .location = f->location };
	snprintf(su.handle, sizeof(su.handle), "%s", j->handle);
	char hello[96];
	snprintf(hello, sizeof(hello), "Welcome aboard, %s!", su.handle);
	session_set_notice(s, hello);
	session_login(s, &su, false, NULL);  /* copies the location out of the flow */
	session_flow_end(s);
	menu_enter_main(s);
}

static void hashed(void *ud, int ok, const char *hash)
{
	struct session *s = ud;
	struct reg_flow *f = flow(s);
	const struct config *cfg = bbs_config(session_bbs(s));
	session_set_job(s, NULL);
	if (!ok) {
		problem(s, "Sorry, something went wrong. Please try again.");
		session_flow_end(s);
		session_set_state(s, &state_login);
		session_flush(s);
		return;
	}
	struct create_job j = {
		.level = is_sysop_handle(cfg, f->handle) ? LEVEL_SYSOP : LEVEL_USER,
		.now = (int64_t)time(NULL),
	};
	snprintf(j.handle, sizeof(j.handle), "%s", f->handle);
	snprintf(j.hash, sizeof(j.hash), "%s", hash);
	snprintf(j.location, sizeof(j.location), "%s", f->location);
	if (!session_db(s, create_work, created, &j, sizeof(j)))
		unavailable(s);
	explicit_bzero(&j, sizeof(j));
	session_flush(s);
}

static size_t location_input(struct session *s, const uint8_t *data, size_t len)
{
	size_t used = 0, n;
	const char *loc = line(s, data, len, &used, &n);
	if (loc == NULL)
		return used;
	struct reg_flow *f = flow(s);
	while (*loc == ' ')
		loc++;
	snprintf(f->location, sizeof(f->location), "%s", loc);
	struct password_limits lim;
	bbs_password_limits(session_bbs(s), &lim);
	if (password_hash_async(bbs_loop(session_bbs(s)), f->password, lim, hashed, s,
	                        session_job_slot(s)) != 0) {
		problem(s, "Sorry, something went wrong. Please try again.");
		session_flow_end(s);
		session_set_state(s, &state_login);
		return used;
	}
	explicit_bzero(f->password, sizeof(f->password));
	struct sbuf *out = session_out(s);
	ansi_fg(out, ANSI_BRIGHT_BLACK);
	sbuf_puts(out, "Creating your account...");
	ansi_reset(out);
	sbuf_puts(out, "\r\n");
	session_set_state(s, &state_reg_saving);
	return used;
}

const struct session_state state_reg_location = {
	.activity = SESSION_REGISTER,
	.name = "Registering",
	.enter = location_enter,
	.input = location_input,
	.timeout = SESSION_TIMEOUT_LOGIN,
};

const struct session_state state_reg_saving = {
	.activity = SESSION_REGISTER,
	.name = "Registering",
	.input = session_wait_input,
	.timeout = SESSION_TIMEOUT_LOGIN,
};
