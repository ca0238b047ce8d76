/* A caller's session: a state table (each state has enter, input, leave) driven by
 * what the connection delivers.  The connection knows nothing of states; states
 * know nothing of transports.
 *
 * Lifetime: created when a connection becomes a terminal, freed when it closes
 * (conn's on_close).  Work that outlives a callback (password hashing) is cancelled
 * then, so no callback ever sees a freed session. */
#ifndef CARRIER_BBS_SESSION_H
#define CARRIER_BBS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bbs/bbs.h"
#include "net/conn.h"
#include "util/sbuf.h"

struct session;
struct lineedit;
struct password_job;

struct session_state {
	const char *name;                         /* what who's online shows */
	void (*enter)(struct session *s);
	/* Consume input; returns how many bytes were used.  Returning 0 while input
	 * remains means "not now" (waiting for the database, a password check, a
	 * delay): the rest is kept, bounded, and replayed when the state changes or
	 * session_resume is called. */
	size_t (*input)(struct session *s, const uint8_t *data, size_t len);
	void (*leave)(struct session *s);
	/* Optional: the terminal changed size; a control message from the page;
	 * a tick (once a second) for timeouts and delays. */
	void (*resize)(struct session *s);
	void (*control)(struct session *s, const char *json, size_t len);
	void (*tick)(struct session *s, uint64_t now_ms);
	/* Idle limit for this state: 1 = the login timeout, 2 = the menu idle
	 * timeout, 0 = none (the chat room has no idle kick). */
	uint8_t timeout;
	/* What the caller is doing, coarsely (enum session_activity): logs and
	 * metrics count callers by it. */
	uint8_t activity;
};

enum session_activity {
	SESSION_LOGIN,           /* connected, not logged in yet */
	SESSION_REGISTER,        /* a new caller making an account */
	SESSION_MENU,            /* the menus and what they run (who, lookup...) */
	SESSION_CHAT,            /* in a chat room */
	SESSION_LINE_BUSY,       /* being told every line is busy */
	SESSION_ACTIVITY_COUNT
};
/* "login", "register", "menu", "chat", "line_busy". */
const char *session_activity_name(unsigned activity);

enum { SESSION_TIMEOUT_NONE, SESSION_TIMEOUT_LOGIN, SESSION_TIMEOUT_IDLE };

/* Make c a terminal session: take a node (or say "line busy" and hang up). */
void session_open(struct bbs *bbs, struct conn *c);
/* Tell the caller the server is going down (before the transport closes). */
void session_notify_shutdown(struct conn *c);

/* ---- for states ---- */
void session_set_state(struct session *s, const struct session_state *st);
const struct session_state *session_state(const struct session *s);
/* Replay kept input into the current state (after a wait is over). */
void session_resume(struct session *s);

struct conn *session_conn(const struct session *s);
struct bbs *session_bbs(const struct session *s);
unsigned session_node(const struct session *s);
unsigned session_cols(const struct session *s);
unsigned session_rows(const struct session *s);
/* True once the terminal has told its size (the page, or telnet NAWS). */
bool session_sized(const struct session *s);
uint64_t session_now(const struct session *s);          /* loop clock, ms */
uint64_t session_connected_ms(const struct session *s);
/* For a sysop's who: "127.0.0.1:50312 websocket idle 3m", into buf. */
const char *session_describe(const struct session *s, char *buf, size_t cap);
/* In a cluster, share what this session's line shows in who's online (handle,
 * where from, what it is doing, its room) with the other servers; called on each
 * change of state, room or away.  Nothing without a cluster. */
void session_presence(struct session *s);

/* Who is calling; 0 / "" before login. */
struct session_user {
	int64_t id;
	char handle[32];
	const char *location;   /* "" if none; the account holds its own copy */
	int level;
	int64_t calls;
	uint64_t login_ms;      /* loop clock at login */
	enum charset charset;   /* the caller's stored choice (telnet) */
	int chat_bell;          /* enum chat_bell, as stored */
	bool chat_quiet;
};
const struct session_user *session_user(const struct session *s);
bool session_logged_in(const struct session *s);
/* What a login reads from the database beside the account, in the same job (so
 * logging in waits for the database once): new telegrams, the ignore list. */
#define SESSION_IGNORES_MAX 64   /* CHAT_IGNORE_MAX */
struct login_extras {
	int64_t new_telegrams;
	unsigned n_ignores;
	char ignores[SESSION_IGNORES_MAX][32];
};
struct store;
/* On the database's side (a job's work): read x for user_id. */
void session_read_extras(struct store *st, int64_t user_id, struct login_extras *x);
/* Record a login (database, token for the page, who's online).  u is copied (its
 * location string too); x is what was read for it (NULL: nothing, a new account). */
void session_login(struct session *s, const struct session_user *u, bool resumed,
                   const struct login_extras *x);
/* What who's online shows for this caller right now ("Main Menu", "In Chat"). */
const char *session_doing(const struct session *s);
void session_set_doing(struct session *s, const char *what);   /* static string */
/* A line the next screen shows the caller (a screen that clears would otherwise
 * wipe it), until that screen is used: copied; NULL clears it. */
void session_set_notice(struct session *s, const char *text);
const char *session_notice(const struct session *s);      /* NULL if none */

/* The session's line editor, created on first use, sized to the terminal. */
struct lineedit *session_editor(struct session *s);
/* A fresh prompt on the editor: text (may carry SGR; borrowed, so a string
 * literal), hidden (passwords echo '*'), at most limit characters. */
void session_prompt(struct session *s, const char *text, bool hidden, unsigned limit);
/* Feed input to the editor, echoing to the session's output; see le_feed. */
int session_read_line(struct session *s, const uint8_t *data, size_t len, size_t *used);
/* The input function of a state that is waiting (a password check, a delay): it
 * takes nothing, so what the caller types is kept for the next state. */
size_t session_wait_input(struct session *s, const uint8_t *data, size_t len);
/* Who a stored account is, as the session keeps it: out->location is borrowed from
 * u until session_login copies it. */
struct store_user;
void session_user_from(struct session_user *out, const struct store_user *u);
/* Output for this caller alone: the session's own buffer, owned by it and by
 * nobody else.  session_flush frames it and queues it on the connection (in
 * order, after anything queued before), then frees it; the session flushes at the
 * end of every event it handles, and the chat sink flushes it before a shared
 * line is queued behind it. */
struct sbuf *session_out(struct session *s);
void session_flush(struct session *s);
/* The caller is leaving: flush and close politely (code for WebSocket callers). */
void session_hangup(struct session *s, uint16_t code, const char *reason);

/* Ask the database and continue with its answer.  work runs with a store, off the
 * loop on PostgreSQL (store/queue.h), on a copy of ctx (size bytes); then done
 * runs on the loop with the session and that copy, unless the caller has gone.
 * Until then what the caller types waits, as it does for a password check; the
 * answer is flushed.  On SQLite both run before this returns.  false (and nothing
 * runs) if the database's queue is full: tell the caller to try again later.
 * One job at a time. */
struct store;
typedef void (*session_db_fn)(struct session *s, void *ctx);
bool session_db(struct session *s, void (*work)(struct store *st, void *ctx),
                session_db_fn done, const void *ctx, size_t size);
bool session_db_waiting(const struct session *s);

/* A pending password job, cancelled if the caller drops. */
void session_set_job(struct session *s, struct password_job *job);
struct password_job **session_job_slot(struct session *s);

/* Data a multi-step flow (registration) keeps across its states: allocated zeroed
 * on first use; session_flow_end wipes and frees it (also done at close). */
void *session_flow(struct session *s, size_t size);
void session_flow_end(struct session *s);
bool session_flow_active(const struct session *s);

/* Wake the current state's tick at (or after) this loop time; 0 cancels. */
void session_set_wake(struct session *s, uint64_t at_ms);
uint64_t session_wake(const struct session *s);

/* The caller's record in the chat engine, or NULL before login.  It is made at
 * login with the session as its sink: shared lines are queued on the connection
 * behind whatever the session had to say, lines for the caller alone are shown
 * above its input line in the chat (on a line of their own elsewhere), and the
 * half-typed line is redrawn under incoming lines. */
struct chat_member;
struct chat_member *session_member(const struct session *s);
/* The session whose member m is (every member the BBS makes is a session's). */
struct session *session_of_member(struct chat_member *m);

/* Where the caller is in the menus: a stack of menus from "main" down, each an
 * index into the config's menus.  Part of the account: only for a session that has
 * logged in. */
#define SESSION_MENU_DEPTH 8
struct session_menu_nav {
	uint32_t stack[SESSION_MENU_DEPTH];
	uint8_t depth;
};
struct session_menu_nav *session_menu_nav(struct session *s);

/* The settings were reloaded (bbs_reload): old is the config before, the bbs's
 * the one now.  The menu stack is moved to the new menus by name (cut where a
 * menu is gone; a caller at a menu that is gone is taken to "main"); a caller
 * sitting at a menu is shown the new one if menus_changed.  Nothing is left
 * pointing into old. */
void session_config_changed(struct session *s, const struct config *old, bool menus_changed);

#endif
