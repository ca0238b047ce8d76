/* A caller's session: a state table (each state has enter, input, leave) driven
 * by what the connection delivers.  The connection knows nothing of states; states
 * know nothing of transports. */
#ifndef CARRIER_BBS_SESSION_H
#define CARRIER_BBS_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "net/conn.h"
#include "util/sbuf.h"

struct session;
struct bbs;

struct session_state {
	const char *name;                         /* what who's online shows */
	void (*enter)(struct session *s);
	/* Consume input; returns how many bytes were used (the rest is type-ahead for
	 * the next state).  Returning 0 with input left ends this delivery. */
	size_t (*input)(struct session *s, const uint8_t *data, size_t len);
	void (*leave)(struct session *s);
	/* The terminal changed size (optional). */
	void (*resize)(struct session *s);
};

/* What every session shares: art, settings.  Owned by the server. */
struct bbs *bbs_new(const struct config *cfg);
void bbs_free(struct bbs *bbs);

/* Make c a terminal session and show it the first screen. */
void session_open(struct bbs *bbs, struct conn *c);
/* Tell the caller the server is going down (before the transport closes). */
void session_notify_shutdown(struct conn *c);

const struct config *bbs_config(const struct bbs *bbs);
const struct buf *bbs_welcome_art(const struct bbs *bbs);   /* NULL if none */

/* For states. */
void session_set_state(struct session *s, const struct session_state *st);
struct conn *session_conn(const struct session *s);
struct bbs *session_bbs(const struct session *s);
unsigned session_cols(const struct session *s);
unsigned session_rows(const struct session *s);
/* The session's line editor, created on first use, sized to the terminal. */
struct lineedit *session_editor(struct session *s);
/* Output for this caller alone: appended to the session's pending screen bytes
 * and written at the end of the current input/event (one frame per batch). */
struct sbuf *session_out(struct session *s);
void session_flush(struct session *s);
/* The caller is leaving: flush and close politely. */
void session_hangup(struct session *s);

#endif
