#include "bbs/session.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "bbs/states.h"
#include "term/art.h"
#include "term/lineedit.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SESSION_LINE_LIMIT 240

struct bbs {
	const struct config *cfg;           /* borrowed from the server */
	struct buf *welcome_art;            /* UTF-8, or NULL when missing */
	struct sbuf scratch;                /* output being built, for one session */
	struct session *scratch_owner;
};

struct session {
	struct bbs *bbs;
	struct conn *conn;
	const struct session_state *state;
	struct lineedit *le;
	uint16_t cols, rows;
};

static const struct conn_handler session_handler;

struct bbs *bbs_new(const struct config *cfg)
{
	struct bbs *bbs = xcalloc(1, sizeof(*bbs));
	char path[PATH_MAX + 32];
	bbs->cfg = cfg;
	snprintf(path, sizeof(path), "%s/welcome.ans", cfg->art_dir);
	bbs->welcome_art = art_load_utf8(path);
	if (bbs->welcome_art == NULL)
		log_warn("no welcome art at %s", path);
	return bbs;
}

void bbs_free(struct bbs *bbs)
{
	if (bbs == NULL)
		return;
	buf_unref(bbs->welcome_art);
	sbuf_free(&bbs->scratch);
	free(bbs);
}

const struct config *bbs_config(const struct bbs *bbs) { return bbs->cfg; }
const struct buf *bbs_welcome_art(const struct bbs *bbs) { return bbs->welcome_art; }

struct conn *session_conn(const struct session *s) { return s->conn; }
struct bbs *session_bbs(const struct session *s) { return s->bbs; }
unsigned session_cols(const struct session *s) { return s->cols; }
unsigned session_rows(const struct session *s) { return s->rows; }

struct lineedit *session_editor(struct session *s)
{
	if (s->le == NULL) {
		s->le = le_new(SESSION_LINE_LIMIT);
		le_set_width(s->le, s->cols);
	}
	return s->le;
}

void session_flush(struct session *s)
{
	struct bbs *bbs = s->bbs;
	if (bbs->scratch_owner != s)
		return;
	if (bbs->scratch.len > 0 && s->conn != NULL)
		conn_write_term(s->conn, bbs->scratch.data, bbs->scratch.len);
	sbuf_reset(&bbs->scratch);
	bbs->scratch_owner = NULL;
}

struct sbuf *session_out(struct session *s)
{
	struct bbs *bbs = s->bbs;
	if (bbs->scratch_owner != s) {
		if (bbs->scratch_owner != NULL)
			session_flush(bbs->scratch_owner);
		bbs->scratch_owner = s;
	}
	return &bbs->scratch;
}

void session_set_state(struct session *s, const struct session_state *st)
{
	if (s->state && s->state->leave)
		s->state->leave(s);
	s->state = st;
	if (st && st->enter)
		st->enter(s);
}

void session_open(struct bbs *bbs, struct conn *c)
{
	struct session *s = xcalloc(1, sizeof(*s));
	s->bbs = bbs;
	s->conn = c;
	s->cols = 80;
	s->rows = 24;
	conn_set_handler(c, &session_handler, s);
	session_set_state(s, &state_welcome);
	session_flush(s);
}

void session_hangup(struct session *s)
{
	session_flush(s);
	if (s->conn)
		conn_shutdown(s->conn, 1000, "goodbye");
}

void session_notify_shutdown(struct conn *c)
{
	struct session *s = conn_handler_data(c);
	if (s == NULL || conn_closing(c))
		return;
	sbuf_puts(session_out(s), "\r\n\x1b[1;33m*** The system is going down now. Call again soon! ***\x1b[0m\r\n");
	session_flush(s);
}

static void on_input(struct conn *c, const uint8_t *data, size_t len)
{
	struct session *s = conn_handler_data(c);
	while (len > 0 && s->state && s->state->input && !conn_closing(c)) {
		size_t n = s->state->input(s, data, len);
		if (n == 0)
			break;
		assert(n <= len);
		data += n;
		len -= n;
	}
	if (!conn_closing(c))
		session_flush(s);
}

static void on_resize(struct conn *c, unsigned cols, unsigned rows)
{
	struct session *s = conn_handler_data(c);
	s->cols = (uint16_t)cols;
	s->rows = (uint16_t)rows;
	if (s->le)
		le_set_width(s->le, cols);
	if (s->state && s->state->resize) {
		s->state->resize(s);
		session_flush(s);
	}
}

static void on_close(struct conn *c)
{
	struct session *s = conn_handler_data(c);
	if (s->bbs->scratch_owner == s) {
		sbuf_reset(&s->bbs->scratch);
		s->bbs->scratch_owner = NULL;
	}
	session_set_state(s, NULL);
	s->conn = NULL;
	le_free(s->le);
	free(s);
}

static const struct conn_handler session_handler = {
	.on_input = on_input,
	.on_resize = on_resize,
	.on_close = on_close,
};
