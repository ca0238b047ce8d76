#include "bbs/session.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bbs/password.h"
#include "bbs/states.h"
#include "chat/registry.h"
#include "cluster/cluster.h"
#include "store/queue.h"
#include "store/store.h"
#include "term/ansi.h"
#include "term/lineedit.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SESSION_LINE_LIMIT 240
#define TYPEAHEAD_MAX 512

/* What a session holds once its caller has logged in. */
struct account {
	struct session_user user;
	struct chat_sink sink;           /* how the chat engine reaches this caller */
	struct chat_member *member;      /* its record in the chat engine */
	struct session_menu_nav menu;
	struct session *session;
};

struct session {
	struct bbs *bbs;
	struct conn *conn;
	const struct session_state *state;
	struct lineedit *le;
	struct password_job *job;
	struct session_job *db_job;      /* a database job the caller waits for */
	void *flow;
	struct account *acct;            /* NULL until login: idle callers hold none */
	struct sbuf out;                 /* this caller's output for the current event */
	struct sbuf typeahead;           /* input a waiting state has not taken */
	char *notice;
	const char *doing;
	uint64_t connected_ms;
	uint64_t last_input_ms;
	uint64_t wake_ms;
	uint32_t flow_size;
	unsigned node;
	uint16_t cols, rows;
	bool in_input;                   /* on_input is running: do not replay */
	bool sized;                      /* the terminal told its size */
};

static const struct conn_handler session_handler;

struct conn *session_conn(const struct session *s) { return s->conn; }
struct bbs *session_bbs(const struct session *s) { return s->bbs; }
unsigned session_node(const struct session *s) { return s->node; }
unsigned session_cols(const struct session *s) { return s->cols; }
unsigned session_rows(const struct session *s) { return s->rows; }
bool session_sized(const struct session *s) { return s->sized; }
uint64_t session_now(const struct session *s) { return uv_now(bbs_loop(s->bbs)); }
uint64_t session_connected_ms(const struct session *s) { return s->connected_ms; }

const char *session_describe(const struct session *s, char *buf, size_t cap)
{
	uint64_t idle_s = (session_now(s) - s->last_input_ms) / 1000;
	char idle[24];
	if (idle_s < 60)
		snprintf(idle, sizeof(idle), "%us", (unsigned)idle_s);
	else if (idle_s < 3600)
		snprintf(idle, sizeof(idle), "%um", (unsigned)(idle_s / 60));
	else
		snprintf(idle, sizeof(idle), "%uh%02um", (unsigned)(idle_s / 3600),
		         (unsigned)(idle_s / 60 % 60));
	const char *via = s->conn ? conn_transport_name(s->conn) : "-";
	const char *layer = s->conn ? conn_layer_name(s->conn) : NULL;
	snprintf(buf, cap, "%s %s%s%s idle %s", s->conn ? conn_peer(s->conn) : "-", via,
	         layer && strcmp(layer, via) != 0 ? "+" : "",
	         layer && strcmp(layer, via) != 0 ? layer : "", idle);
	return buf;
}
void session_presence(struct session *s)
{
	struct cluster *cl = bbs_cluster(s->bbs);
	if (cl == NULL || s->node == 0 || s->conn == NULL || conn_closing(s->conn))
		return;
	struct cluster_line l = { .line = s->node };
	char doing[96];
	if (s->acct != NULL) {
		struct chat_member *m = s->acct->member;
		struct chat_room *r = m ? chat_member_room(m) : NULL;
		snprintf(l.handle, sizeof(l.handle), "%s", s->acct->user.handle);
		snprintf(l.location, sizeof(l.location), "%s", s->acct->user.location);
		if (r != NULL)
			snprintf(l.room, sizeof(l.room), "%s", chat_room_name(r));
		l.level = s->acct->sink.level;
	}
	snprintf(l.doing, sizeof(l.doing), "%s", bbs_chat_doing(s, doing, sizeof(doing)));
	l.since = (int64_t)time(NULL) - (int64_t)((session_now(s) - s->connected_ms) / 1000);
	const char *via = conn_transport_name(s->conn);
	const char *layer = conn_layer_name(s->conn);
	snprintf(l.detail, sizeof(l.detail), "%s %s%s%s", conn_peer(s->conn), via,
	         layer && strcmp(layer, via) != 0 ? "+" : "",
	         layer && strcmp(layer, via) != 0 ? layer : "");
	cluster_line_set(cl, &l);
}

static const struct session_user nobody = { .location = "" };
const struct session_user *session_user(const struct session *s) { return s->acct ? &s->acct->user : &nobody; }
bool session_logged_in(const struct session *s) { return s->acct != NULL; }
const struct session_state *session_state(const struct session *s) { return s->state; }
void session_set_wake(struct session *s, uint64_t at_ms) { s->wake_ms = at_ms; }
uint64_t session_wake(const struct session *s) { return s->wake_ms; }
struct chat_member *session_member(const struct session *s) { return s->acct ? s->acct->member : NULL; }
void session_set_job(struct session *s, struct password_job *job) { s->job = job; }
struct password_job **session_job_slot(struct session *s) { return &s->job; }

void session_config_changed(struct session *s, const struct config *old, bool menus_changed)
{
	if (s->acct == NULL)
		return;
	const struct config *cfg = bbs_config(s->bbs);
	struct session_menu_nav *nav = &s->acct->menu;
	uint8_t depth = 0;
	for (uint8_t i = 0; i < nav->depth; i++) {
		const struct config_menu *m = config_menu_find(cfg, old->menus[nav->stack[i]].name);
		if (m == NULL)
			break;                   /* gone: the caller goes back to its parent */
		nav->stack[depth++] = (uint32_t)(m - cfg->menus);
	}
	nav->depth = depth;
	if (s->state == &state_menu)
		menu_reloaded(s, menus_changed);
}

const char *session_activity_name(unsigned activity)
{
	static const char *const names[SESSION_ACTIVITY_COUNT] = {
		[SESSION_LOGIN] = "login", [SESSION_REGISTER] = "register",
		[SESSION_MENU] = "menu", [SESSION_CHAT] = "chat", [SESSION_LINE_BUSY] = "line_busy",
	};
	return activity < SESSION_ACTIVITY_COUNT ? names[activity] : "other";
}

struct session_menu_nav *session_menu_nav(struct session *s)
{
	assert(s->acct != NULL);
	return &s->acct->menu;
}

/* ---- the chat member sink: how the chat engine reaches this caller ---- */

_Static_assert(CHAT_FRAME_VARIANTS >= CONN_VARIANT_COUNT,
               "a chat frame caches one buffer per output variant");

static struct session *sink_session(struct chat_sink *sink)
{
	struct account *a = (struct account *)((char *)sink - offsetof(struct account, sink));
	return a->session;
}

struct session *session_of_member(struct chat_member *m)
{
	return sink_session(chat_member_sink(m));
}

static bool sink_send_shared(struct chat_sink *sink, struct chat_frame *f,
                             enum chat_layout layout)
{
	struct session *s = sink_session(sink);
	if (s->conn == NULL)
		return false;
	/* What this caller was being shown goes out before the shared line. */
	if (s->out.len > 0)
		session_flush(s);
	struct buf *b = conn_frame_cached(s->conn, f->cache[layout], f->term[layout],
	                                  f->len[layout]);
	return b != NULL && conn_send_shared(s->conn, b);
}

/* Lines for this caller alone: in the chat, above the half-typed input (or into the
 * split screen's conversation); elsewhere in the BBS (a page at the menu), on a
 * line of their own. */
static void sink_tell(struct chat_sink *sink, const uint8_t *term, size_t len)
{
	struct session *s = sink_session(sink);
	if (s->conn == NULL)
		return;
	if (s->state == &state_chat) {
		bbs_chat_show(s, term, len);
	} else {
		sbuf_puts(&s->out, "\r\n");
		sbuf_append(&s->out, term, len);
	}
	session_flush(s);
}

static void sink_redraw_input(struct chat_sink *sink)
{
	struct session *s = sink_session(sink);
	struct lineedit *le = session_editor(s);
	le_erase(le, &s->out);
	le_redraw(le, &s->out);
	session_flush(s);
}

static void sink_evicted(struct chat_sink *sink, const struct chat_event *ev)
{
	struct session *s = sink_session(sink);
	if (s->conn != NULL)
		bbs_chat_evicted(s, ev);
}

static const struct chat_sink_ops sink_ops = {
	.send_shared = sink_send_shared,
	.tell = sink_tell,
	.redraw_input = sink_redraw_input,
	.evicted = sink_evicted,
};

const char *session_doing(const struct session *s)
{
	if (s->doing)
		return s->doing;
	return s->state ? s->state->name : "";
}

void session_set_doing(struct session *s, const char *what)
{
	s->doing = what;
}

void session_set_notice(struct session *s, const char *text)
{
	free(s->notice);
	s->notice = text ? xstrdup(text) : NULL;
}

const char *session_notice(const struct session *s)
{
	return s->notice;
}

struct lineedit *session_editor(struct session *s)
{
	if (s->le == NULL) {
		s->le = le_new(SESSION_LINE_LIMIT);
		le_set_width(s->le, s->cols);
	}
	return s->le;
}

void session_prompt(struct session *s, const char *text, bool hidden, unsigned limit)
{
	struct lineedit *le = session_editor(s);
	le_reset(le);
	le_set_hidden(le, hidden);
	le_set_limit(le, limit);
	le_set_prompt(le, text);
	le_redraw(le, session_out(s));
}

int session_read_line(struct session *s, const uint8_t *data, size_t len, size_t *used)
{
	return le_feed(session_editor(s), data, len, used, session_out(s));
}

size_t session_wait_input(struct session *s, const uint8_t *data, size_t len)
{
	(void)s; (void)data; (void)len;
	return 0;
}

void session_user_from(struct session_user *out, const struct store_user *u)
{
	*out = (struct session_user){ .id = u->id, .level = u->level, .calls = u->calls,
	                              .charset = u->charset, .location = u->location,
	                              .chat_bell = u->chat_bell, .chat_quiet = u->chat_quiet };
	snprintf(out->handle, sizeof(out->handle), "%s", u->handle);
}

void session_flush(struct session *s)
{
	if (s->out.len > 0 && s->conn != NULL)
		conn_write_term(s->conn, s->out.data, s->out.len);
	/* The connection framed a copy: an idle session keeps no output buffer. */
	sbuf_free(&s->out);
}

struct sbuf *session_out(struct session *s)
{
	return &s->out;
}

void *session_flow(struct session *s, size_t size)
{
	if (s->flow == NULL) {
		s->flow = xcalloc(1, size);
		s->flow_size = (uint32_t)size;
	}
	assert(s->flow_size == size);
	return s->flow;
}

bool session_flow_active(const struct session *s)
{
	return s->flow != NULL;
}

void session_flow_end(struct session *s)
{
	if (s->flow == NULL)
		return;
	explicit_bzero(s->flow, s->flow_size);   /* may hold a password */
	free(s->flow);
	s->flow = NULL;
	s->flow_size = 0;
}

/* Feed input to the state until it is used up or the state waits (for its own
 * reasons, or for the database). */
static void feed(struct session *s, const uint8_t *data, size_t len)
{
	while (len > 0 && s->db_job == NULL && s->state && s->state->input && s->conn &&
	       !conn_closing(s->conn)) {
		size_t n = s->state->input(s, data, len);
		if (n == 0)
			break;
		assert(n <= len);
		data += n;
		len -= n;
	}
	if (len > 0 && s->conn && !conn_closing(s->conn)) {
		/* The state is waiting: keep what is left, within reason. */
		size_t room = TYPEAHEAD_MAX - s->typeahead.len;
		sbuf_append(&s->typeahead, data, len < room ? len : room);
	}
}

/* ---- waiting for the database ---- */

struct session_job {
	struct session *s;               /* NULL once the caller has gone */
	store_work_fn work;
	session_db_fn done;
	size_t size;
	max_align_t ctx[];               /* the caller's, copied */
};

static void sjob_work(struct store *st, void *arg)
{
	struct session_job *j = arg;
	j->work(st, j->ctx);
}

static void sjob_done(void *arg)
{
	struct session_job *j = arg;
	struct session *s = j->s;
	if (s != NULL) {
		s->db_job = NULL;
		if (s->conn != NULL && !conn_closing(s->conn)) {
			bool outer = !s->in_input;
			j->done(s, j->ctx);
			/* Called from the queue (not from our own input): what the caller
			 * typed meanwhile goes on, and the answer goes out. */
			if (outer && s->conn != NULL) {
				session_resume(s);
				session_flush(s);
			}
		}
	}
	explicit_bzero(j, sizeof(*j) + j->size);   /* a job may carry a password hash */
	free(j);
}

bool session_db(struct session *s, store_work_fn work, session_db_fn done, const void *ctx,
                size_t size)
{
	assert(s->db_job == NULL);
	struct session_job *j = xmalloc(sizeof(*j) + size);
	*j = (struct session_job){ .s = s, .work = work, .done = done, .size = size };
	memcpy(j->ctx, ctx, size);
	s->db_job = j;
	if (store_queue_submit(bbs_queue(s->bbs), sjob_work, sjob_done, j) != 0) {
		s->db_job = NULL;
		free(j);
		return false;
	}
	return true;
}

bool session_db_waiting(const struct session *s)
{
	return s->db_job != NULL;
}

void session_resume(struct session *s)
{
	if (s->in_input || s->typeahead.len == 0)
		return;
	struct sbuf pending = s->typeahead;
	s->typeahead = (struct sbuf)SBUF_INIT;
	s->in_input = true;
	feed(s, pending.data, pending.len);
	s->in_input = false;
	sbuf_free(&pending);
	if (s->conn)
		session_flush(s);
}

void session_set_state(struct session *s, const struct session_state *st)
{
	if (s->state && s->state->leave)
		s->state->leave(s);
	s->state = st;
	s->doing = NULL;
	s->wake_ms = 0;
	s->last_input_ms = s->conn ? session_now(s) : 0;
	if (st && st->enter)
		st->enter(s);
	if (st)
		session_presence(s);
	/* Type-ahead kept for a waiting state belongs to whatever comes next. */
	if (st && s->conn && !conn_closing(s->conn))
		session_resume(s);
}

void session_hangup(struct session *s, uint16_t code, const char *reason)
{
	session_flush(s);
	if (s->conn)
		conn_shutdown(s->conn, code, reason);
}

void session_open(struct bbs *bbs, struct conn *c)
{
	struct session *s = xcalloc(1, sizeof(*s));
	s->bbs = bbs;
	s->conn = c;
	s->cols = 80;
	s->rows = 24;
	s->connected_ms = session_now(s);
	conn_set_handler(c, &session_handler, s);
	s->node = bbs_node_take(bbs, s);
	if (s->node == 0) {
		bbs_stats(bbs)->line_busy++;
		log_info("event=line_busy conn=%llu peer=%s nodes=%u", (unsigned long long)conn_id(c),
		         conn_peer(c), bbs_node_count(bbs));
		session_set_state(s, &state_line_busy);
		return;
	}
	bbs_stats(bbs)->calls++;
	log_info("event=connect conn=%llu node=%u peer=%s", (unsigned long long)conn_id(c), s->node,
	         conn_peer(c));
	session_set_state(s, &state_login);
	session_flush(s);
}

_Static_assert(SESSION_IGNORES_MAX == CHAT_IGNORE_MAX, "a login reads every ignore");
_Static_assert(sizeof(((struct login_extras *)0)->ignores[0]) == STORE_HANDLE_MAX,
               "an ignored handle is a stored handle");

static void extras_ignore(void *ud, const char *handle)
{
	struct login_extras *x = ud;
	if (x->n_ignores < SESSION_IGNORES_MAX)
		snprintf(x->ignores[x->n_ignores++], sizeof(x->ignores[0]), "%s", handle);
}

void session_read_extras(struct store *st, int64_t user_id, struct login_extras *x)
{
	x->n_ignores = 0;
	x->new_telegrams = store_telegram_count(st, user_id, true);
	store_ignore_list(st, user_id, extras_ignore, x);
}

/* ---- what a login writes: nobody waits for these ---- */

struct login_write {
	int64_t user_id;
	int64_t now;
	int node;
	int charset;                     /* >= 0: remember this character set */
	bool token;                      /* add the token hash */
	uint8_t hash[TOKEN_HASH_LEN];
	int64_t expires;
};

static void login_write_work(struct store *st, void *arg)
{
	struct login_write *w = arg;
	if (store_user_record_login(st, w->user_id, w->now, w->node) != STORE_OK)
		log_warn("event=login_not_recorded user=%lld", (long long)w->user_id);
	if (w->charset >= 0)
		store_user_set_charset(st, w->user_id, (enum charset)w->charset);
	if (w->token && store_token_add(st, w->hash, w->user_id, w->expires) != STORE_OK)
		log_warn("event=token_not_stored user=%lld", (long long)w->user_id);
}

static void login_write_done(void *arg)
{
	explicit_bzero(arg, sizeof(struct login_write));
	free(arg);
}

/* Telnet callers: a terminal type that names its character set wins; otherwise
 * the choice stored in the account (from an earlier call) is applied, and a new
 * choice is remembered for next time (-1: nothing to remember).  Other transports
 * have no say. */
static int remember_charset(struct session *s)
{
	bool told;
	enum charset now = conn_charset(s->conn, &told);
	enum charset stored = s->acct->user.charset;
	if (now == CHARSET_UNKNOWN)
		return -1;
	if (!told && stored != CHARSET_UNKNOWN) {
		conn_set_charset(s->conn, stored);
		return -1;
	}
	if (now == stored)
		return -1;
	s->acct->user.charset = now;
	return (int)now;
}

void session_login(struct session *s, const struct session_user *u, bool resumed,
                   const struct login_extras *x)
{
	const struct config *cfg = bbs_config(s->bbs);
	int64_t now = (int64_t)time(NULL);

	if (s->acct == NULL) {
		s->acct = xcalloc(1, sizeof(*s->acct));
		s->acct->session = s;
	}
	struct account *a = s->acct;
	chat_member_free(a->member);         /* a resumed session logging in again */
	if (a->user.location != NULL && a->user.location[0] != '\0')
		free((char *)a->user.location);
	a->user = *u;
	a->user.location = u->location && u->location[0] ? xstrdup(u->location) : "";
	a->user.login_ms = session_now(s);
	a->user.calls++;                     /* this call, recorded below */
	a->sink = (struct chat_sink){
		.ops = &sink_ops,
		.handle = a->user.handle,
		.level = a->user.level >= LEVEL_SYSOP ? CHAT_LEVEL_SYSOP : CHAT_LEVEL_USER,
		.rank = a->user.level < 0 ? 0u : (unsigned)a->user.level,
	};
	a->member = chat_member_new(bbs_chat(s->bbs), &a->sink);
	bbs_chat_login(s, x);
	bbs_stats(s->bbs)->logins_ok++;
	if (resumed)
		bbs_stats(s->bbs)->logins_resumed++;
	log_info("event=login conn=%llu node=%u handle=%s resumed=%d",
	         (unsigned long long)conn_id(s->conn), s->node, LOG_Q(u->handle), resumed);

	struct login_write *w = xcalloc(1, sizeof(*w));
	*w = (struct login_write){ .user_id = u->id, .now = now, .node = (int)s->node,
	                           .charset = remember_charset(s) };
	if (!resumed) {
		/* A token lets the page come back after a refresh without a password.
		 * The page may have it before the store does: a resume is a later job
		 * of the same queue, so it finds it. */
		uint8_t raw[TOKEN_RAW_LEN];
		char text[TOKEN_TEXT_LEN];
		w->expires = now + (int64_t)cfg->session_days * 86400;
		token_new(raw, text);
		if (token_hash(text, w->hash) == 0) {
			w->token = true;
			struct sbuf js = SBUF_INIT;
			sbuf_puts(&js, "{\"type\":\"session\",\"token\":");
			json_put_string(&js, text);
			sbuf_printf(&js, ",\"expires\":%lld}", (long long)w->expires);
			conn_send_control(s->conn, (const char *)js.data, js.len);
			sbuf_free(&js);
		}
		explicit_bzero(raw, sizeof(raw));
		explicit_bzero(text, sizeof(text));
	}
	if (store_queue_submit(bbs_queue(s->bbs), login_write_work, login_write_done, w) != 0)
		login_write_done(w);
}

void session_notify_shutdown(struct conn *c)
{
	struct session *s = conn_handler_data(c);
	if (s == NULL || conn_closing(c))
		return;
	struct sbuf *out = &s->out;
	if (s->le)
		le_erase(s->le, out);
	sbuf_puts(out, "\r\n");
	ansi_fg(out, ANSI_BRIGHT_YELLOW);
	sbuf_puts(out, "*** The system is going down now. Call again soon! ***");
	ansi_reset(out);
	sbuf_puts(out, "\r\n");
	session_flush(s);
}

static void on_input(struct conn *c, const uint8_t *data, size_t len)
{
	struct session *s = conn_handler_data(c);
	s->last_input_ms = session_now(s);
	if (s->typeahead.len > 0) {
		/* Still waiting: queue behind what is already kept. */
		size_t room = TYPEAHEAD_MAX - s->typeahead.len;
		sbuf_append(&s->typeahead, data, len < room ? len : room);
		return;
	}
	s->in_input = true;
	feed(s, data, len);
	s->in_input = false;
	if (s->conn && !conn_closing(c))
		session_flush(s);
}

static void on_resize(struct conn *c, unsigned cols, unsigned rows)
{
	struct session *s = conn_handler_data(c);
	s->cols = (uint16_t)cols;
	s->rows = (uint16_t)rows;
	s->sized = true;
	if (s->le)
		le_set_width(s->le, cols);
	if (s->state && s->state->resize) {
		s->state->resize(s);
		session_flush(s);
	}
}

static void on_control(struct conn *c, const char *json, size_t len)
{
	struct session *s = conn_handler_data(c);
	if (s->state && s->state->control) {
		s->state->control(s, json, len);
		if (s->conn && !conn_closing(c))
			session_flush(s);
	}
}

static void on_drain(struct conn *c, uint64_t dropped)
{
	struct session *s = conn_handler_data(c);
	if (s->acct != NULL)
		chat_member_drained(s->acct->member, dropped);
}

static void on_tick(struct conn *c, uint64_t now)
{
	struct session *s = conn_handler_data(c);
	const struct config *cfg = bbs_config(s->bbs);
	if (s->state == NULL)
		return;
	if (s->wake_ms != 0 && now >= s->wake_ms && s->state->tick) {
		s->wake_ms = 0;
		s->state->tick(s, now);
		if (s->conn && !conn_closing(c))
			session_flush(s);
		return;
	}
	unsigned limit_s = 0;
	if (s->state->timeout == SESSION_TIMEOUT_LOGIN)
		limit_s = cfg->login_timeout_s;
	else if (s->state->timeout == SESSION_TIMEOUT_IDLE)
		limit_s = cfg->idle_timeout_s;
	if (limit_s != 0 && s->job == NULL && s->db_job == NULL &&
	    now - s->last_input_ms >= (uint64_t)limit_s * 1000) {
		struct sbuf *out = &s->out;
		if (s->le)
			le_erase(s->le, out);
		sbuf_puts(out, "\r\n");
		ansi_fg(out, ANSI_BRIGHT_YELLOW);
		sbuf_printf(out, "*** No input for %u seconds: disconnecting. ***", limit_s);
		ansi_reset(out);
		sbuf_puts(out, "\r\n");
		bbs_stats(s->bbs)->timeouts++;
		log_info("event=timeout node=%u activity=%s seconds=%u", s->node,
		         session_activity_name(s->state->activity), limit_s);
		session_hangup(s, 1000, "timed out");
	}
}

static void on_close(struct conn *c)
{
	struct session *s = conn_handler_data(c);
	sbuf_free(&s->out);                  /* nobody is listening any more */
	if (s->job) {
		password_job_cancel(s->job);
		s->job = NULL;
	}
	if (s->db_job) {
		s->db_job->s = NULL;    /* it finishes without us */
		s->db_job = NULL;
	}
	/* Leave the state first (the chat announces the departure), then the node. */
	session_set_state(s, NULL);
	s->conn = NULL;
	if (s->acct != NULL) {
		chat_member_free(s->acct->member);
		s->acct->member = NULL;
		log_info("event=hangup node=%u handle=%s", s->node, LOG_Q(s->acct->user.handle));
	}
	if (s->node) {
		cluster_line_drop(bbs_cluster(s->bbs), s->node);
		bbs_node_release(s->bbs, s->node);
	}
	session_flow_end(s);
	sbuf_free(&s->typeahead);
	session_set_notice(s, NULL);
}

/* The connection is gone and no call of ours is on the stack: free. */
static void on_free(void *hdata)
{
	struct session *s = hdata;
	sbuf_free(&s->out);
	le_free(s->le);
	if (s->acct != NULL && s->acct->user.location[0] != '\0')
		free((char *)s->acct->user.location);
	free(s->acct);
	free(s);
}

static const struct conn_handler session_handler = {
	.on_input = on_input,
	.on_resize = on_resize,
	.on_control = on_control,
	.on_drain = on_drain,
	.on_tick = on_tick,
	.on_close = on_close,
	.on_free = on_free,
};
