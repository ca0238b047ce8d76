#include "ssh/transport.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "ssh/internal.h"
#include "term/cp437.h"
#include "term/termtype.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#define MAX_FAILURES 3
#define MAX_WINDOW 1000
#define TERM_MAX 40
#define WRITE_CHUNK 32768

enum phase {
	PH_KEX,         /* key exchange */
	PH_AUTH,        /* authenticating */
	PH_AUTHED,      /* in: waiting for the session channel, pty and shell */
	PH_STARTED,     /* the shell: a BBS session */
};

struct ssh_conn {
	uv_poll_t poll;                 /* first: the struct is freed by its close callback */
	int poll_fd;                    /* what the poll watches (ours: see attach) */
	struct conn *conn;              /* NULL once the conn is gone */
	const struct ssh_settings *settings;
	ssh_terminal_fn on_terminal;
	void *ud;
	ssh_session session;
	ssh_channel channel;
	struct ssh_channel_callbacks_struct chan_cbs;
	ssh_message pending_auth;       /* the password being checked */
	void *job;                      /* its check */
	enum phase phase;
	enum charset cs;
	bool told;                      /* the terminal type decided the charset */
	bool finishing;                 /* our channel close is sent; waiting for theirs */
	bool over;                      /* settings->login_over has run */
	bool channel_closed;            /* the peer closed the channel */
	bool polling;
	int events;                     /* what the poll watches */
	unsigned failures;
	unsigned cols, rows;            /* 0: no pty size */
	uint64_t since_ms;
	uint64_t keepalive_ms;          /* when the last keepalive request went */
	int64_t account;
	char term[TERM_MAX + 1];
	char user[33];
};

static const struct transport ssh_utf8_transport, ssh_cp437_transport;
static const struct conn_layer ssh_layer;

const struct transport *ssh_transport(void)
{
	return &ssh_utf8_transport;
}

/* A log line about sc's connection: fmt is "event=ssh_... key=value", the
 * connection's conn= and peer= fields follow. */
#define LOG(level, sc, fmt, ...) \
	level(fmt " conn=%llu peer=%s", __VA_ARGS__, (unsigned long long)conn_id((sc)->conn), \
	      conn_peer((sc)->conn))

/* ---- framing ---- */

struct buf *ssh_frame_utf8(const uint8_t *term, size_t len)
{
	return buf_from(term, len);
}

struct buf *ssh_frame_cp437(const uint8_t *term, size_t len)
{
	struct sbuf s = SBUF_INIT;
	utf8_to_cp437(&s, term, len);
	struct buf *b = buf_from(s.data, s.len);
	sbuf_free(&s);
	return b;
}

/* ---- the poll ---- */

static void pump(struct ssh_conn *sc);
static void watch(struct ssh_conn *sc);

static bool busy(const struct ssh_conn *sc)
{
	return (ssh_get_poll_flags(sc->session) & SSH_WRITE_PENDING) != 0;
}

static void poll_cb(uv_poll_t *p, int status, int events)
{
	struct ssh_conn *sc = (struct ssh_conn *)p;
	if (sc->conn == NULL)
		return;
	if (status < 0) {
		LOG(log_debug, sc, "event=ssh_poll_error error=%s", LOG_Q(uv_strerror(status)));
		conn_close(sc->conn);
		return;
	}
	if (conn_closing(sc->conn)) {
		/* A polite close: what libssh still holds (the last screen, the
		 * channel's close) goes out, and what the client still sends is read
		 * and refused: a socket closed with bytes unread is reset, and a reset
		 * throws away what the client had not read yet (that last screen).
		 * libssh writes from its own poll, which ssh_message_get runs. */
		if (events & UV_WRITABLE)
			ssh_blocking_flush(sc->session, 0);
		ssh_message msg;
		while ((msg = ssh_message_get(sc->session)) != NULL) {
			ssh_message_reply_default(msg);
			ssh_message_free(msg);
		}
		watch(sc);
		conn_layer_ready(sc->conn);      /* drained yet? (see l_busy) */
		return;
	}
	if (events & UV_READABLE)
		conn_touch(sc->conn);
	if (events & UV_WRITABLE)
		ssh_blocking_flush(sc->session, 0);
	pump(sc);
}

/* Read unless a password is being checked; write when libssh holds bytes back. */
static void watch(struct ssh_conn *sc)
{
	int ev = 0;
	if (sc->pending_auth == NULL)
		ev |= UV_READABLE;
	if (busy(sc))
		ev |= UV_WRITABLE;
	if (sc->polling && ev == sc->events)
		return;
	sc->events = ev;
	sc->polling = ev != 0;
	if (ev != 0)
		uv_poll_start(&sc->poll, ev, poll_cb);
	else
		uv_poll_stop(&sc->poll);
}

/* ---- the way in ---- */

static void authed(struct ssh_conn *sc)
{
	sc->phase = PH_AUTHED;
	if (!sc->over) {
		sc->over = true;
		if (sc->settings->login_over != NULL)
			sc->settings->login_over(sc->settings->ud, sc->conn);
	}
}

/* libssh marks these accessors of its request queue deprecated in favour of its
 * server callbacks, but a callback must answer before it returns, and a BBS
 * password is checked on the thread pool: the answer comes later.  They are in
 * libssh 0.10 and 0.11. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static const char *password_of(ssh_message msg)
{
	return ssh_message_auth_password(msg);
}

static void pty_of(ssh_message msg, const char **term, int *cols, int *rows)
{
	if (term != NULL)
		*term = ssh_message_channel_request_pty_term(msg);
	*cols = ssh_message_channel_request_pty_width(msg);
	*rows = ssh_message_channel_request_pty_height(msg);
}
#pragma GCC diagnostic pop

static void login_done(void *arg, int64_t account)
{
	struct ssh_conn *sc = arg;
	ssh_message msg = sc->pending_auth;
	sc->pending_auth = NULL;
	sc->job = NULL;
	if (account > 0) {
		sc->account = account;
		LOG(log_info, sc, "event=ssh_login user=%s", LOG_Q(sc->user));
		authed(sc);
		ssh_message_auth_reply_success(msg, 0);
	} else {
		sc->failures++;
		LOG(log_info, sc, "event=ssh_login_failed user=%s", LOG_Q(sc->user));
		ssh_message_auth_set_methods(msg, SSH_AUTH_METHOD_PASSWORD);
		ssh_message_reply_default(msg);
	}
	ssh_message_free(msg);
	if (sc->failures >= MAX_FAILURES) {
		LOG(log_info, sc, "event=ssh_login_failures failures=%u", sc->failures);
		conn_close(sc->conn);
		return;
	}
	pump(sc);       /* what came in meanwhile */
}

/* Returns true if it kept msg (a password being checked). */
static bool auth_request(struct ssh_conn *sc, ssh_message msg)
{
	if (sc->phase != PH_AUTH) {
		ssh_message_reply_default(msg);
		return false;
	}
	const char *user = ssh_message_auth_user(msg);
	snprintf(sc->user, sizeof(sc->user), "%s", user ? user : "");
	for (char *p = sc->user; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	int method = ssh_message_subtype(msg);
	bool open = !sc->settings->login || strcasecmp(sc->user, "new") == 0;
	if (open && (method == SSH_AUTH_METHOD_NONE || method == SSH_AUTH_METHOD_PASSWORD ||
	             method == SSH_AUTH_METHOD_INTERACTIVE)) {
		authed(sc);
		ssh_message_auth_reply_success(msg, 0);
		return false;
	}
	if (!open && method == SSH_AUTH_METHOD_PASSWORD) {
		const char *pw = password_of(msg);
		sc->job = sc->settings->check.start(sc->settings->check.ud, sc->user, pw ? pw : "",
		                                    login_done, sc);
		if (sc->job != NULL) {
			sc->pending_auth = msg;
			return true;
		}
	}
	ssh_message_auth_set_methods(msg, open ? SSH_AUTH_METHOD_NONE | SSH_AUTH_METHOD_PASSWORD
	                                       : SSH_AUTH_METHOD_PASSWORD);
	ssh_message_reply_default(msg);
	return false;
}

/* ---- the channel ---- */

static int on_data(ssh_session session, ssh_channel channel, void *data, uint32_t len,
                   int is_stderr, void *userdata)
{
	(void)session;
	(void)channel;
	(void)is_stderr;
	struct ssh_conn *sc = userdata;
	struct conn *c = sc->conn;
	if (c == NULL || conn_closing(c) || sc->phase != PH_STARTED)
		return (int)len;
	conn_touch(c);
	if (sc->cs != CHARSET_CP437) {
		conn_deliver_input(c, data, len);
	} else {
		struct sbuf u = SBUF_INIT;
		cp437_to_utf8(&u, data, len);
		conn_deliver_input(c, u.data, u.len);
		sbuf_free(&u);
	}
	return (int)len;
}

static void on_eof(ssh_session session, ssh_channel channel, void *userdata)
{
	(void)session;
	struct ssh_conn *sc = userdata;
	if (channel != sc->channel)
		return;                       /* one given up on and replaced */
	/* The caller's input ended: hang up (before the shell, a channel being
	 * given up on: its close follows). */
	if (sc->conn != NULL && !conn_closing(sc->conn) && sc->phase == PH_STARTED)
		conn_shutdown(sc->conn, 1000, "end of input");
}

static void on_close(ssh_session session, ssh_channel channel, void *userdata)
{
	(void)session;
	struct ssh_conn *sc = userdata;
	if (sc->conn == NULL || channel != sc->channel)
		return;
	if (sc->phase == PH_STARTED)
		conn_close(sc->conn);         /* the caller hung up */
	else
		sc->channel_closed = true;    /* a refused exec, say: pump lets it go */
}

/* Before the shell, a client may close the channel it was refused something on
 * (outside libssh's callbacks: here) and open another.  The channel is let go of
 * before it is closed: libssh may read the client's close (or data) for it while
 * sending ours, and libssh keeps it until that close, so our callbacks come off it
 * first.  (They used to stay: the old channel's close then marked the new one
 * closed, and the session the client opened next was shut in its face.) */
static void forget_channel(struct ssh_conn *sc)
{
	ssh_channel old = sc->channel;
	sc->channel = NULL;
	ssh_remove_channel_callbacks(old, &sc->chan_cbs);
	ssh_channel_close(old);
	ssh_channel_free(old);
	sc->channel_closed = false;
	sc->term[0] = '\0';
	sc->cols = sc->rows = 0;
}

static void channel_open(struct ssh_conn *sc, ssh_message msg)
{
	int type = ssh_message_subtype(msg);
	/* Before the shell, a new session replaces one the client gave up on (its
	 * close may come after the new open: clients do not wait for our reply). */
	if (sc->channel_closed ||
	    (sc->channel != NULL && sc->phase < PH_STARTED && type == SSH_CHANNEL_SESSION))
		forget_channel(sc);
	if (sc->phase < PH_AUTHED || sc->channel != NULL || type != SSH_CHANNEL_SESSION) {
		LOG(log_info, sc, "event=ssh_refused what=%s",
		    type == SSH_CHANNEL_SESSION ? "second_session"
		    : type == SSH_CHANNEL_DIRECT_TCPIP ? "direct-tcpip"
		    : type == SSH_CHANNEL_FORWARDED_TCPIP ? "forwarded-tcpip"
		    : type == SSH_CHANNEL_X11 ? "x11" : "other");
		ssh_message_reply_default(msg);
		return;
	}
	sc->channel = ssh_message_channel_request_open_reply_accept(msg);
	if (sc->channel == NULL) {
		LOG(log_info, sc, "event=ssh_channel_failed error=%s", LOG_Q(ssh_get_error(sc->session)));
		conn_close(sc->conn);
		return;
	}
	memset(&sc->chan_cbs, 0, sizeof(sc->chan_cbs));
	sc->chan_cbs.userdata = sc;
	sc->chan_cbs.channel_data_function = on_data;
	sc->chan_cbs.channel_eof_function = on_eof;
	sc->chan_cbs.channel_close_function = on_close;
	ssh_callbacks_init(&sc->chan_cbs);
	ssh_set_channel_callbacks(sc->channel, &sc->chan_cbs);
}

static void set_size(struct ssh_conn *sc, int cols, int rows)
{
	if (cols < 1 || rows < 1 || cols > MAX_WINDOW || rows > MAX_WINDOW)
		return;
	sc->cols = (unsigned)cols;
	sc->rows = (unsigned)rows;
	if (sc->phase == PH_STARTED)
		conn_deliver_resize(sc->conn, sc->cols, sc->rows);
}

static void set_transport(struct ssh_conn *sc)
{
	conn_set_transport(sc->conn, sc->cs == CHARSET_CP437 ? &ssh_cp437_transport
	                                                     : &ssh_utf8_transport, sc);
}

static void start(struct ssh_conn *sc)
{
	struct conn *c = sc->conn;
	const char *names[1] = { sc->term };
	enum charset cs = sc->term[0] ? term_charset_for_types(names, 1) : CHARSET_UNKNOWN;
	sc->told = cs != CHARSET_UNKNOWN;
	sc->cs = cs == CHARSET_CP437 ? CHARSET_CP437 : CHARSET_UTF8;
	sc->phase = PH_STARTED;
	set_transport(sc);
	LOG(log_debug, sc, "event=ssh_terminal term=%s cols=%u rows=%u charset=%s", LOG_Q(sc->term),
	    sc->cols, sc->rows, sc->cs == CHARSET_CP437 ? "cp437" : "utf-8");
	sc->on_terminal(sc->ud, c);
	if (!conn_closing(c) && sc->cols != 0)
		conn_deliver_resize(c, sc->cols, sc->rows);
}

static void channel_request(struct ssh_conn *sc, ssh_message msg)
{
	if (sc->channel == NULL || ssh_message_channel_request_channel(msg) != sc->channel) {
		ssh_message_reply_default(msg);
		return;
	}
	int cols, rows;
	const char *term;
	switch (ssh_message_subtype(msg)) {
	case SSH_CHANNEL_REQUEST_PTY:
		if (sc->phase == PH_STARTED) {
			ssh_message_reply_default(msg);
			return;
		}
		pty_of(msg, &term, &cols, &rows);
		size_t n = 0;
		for (const char *p = term ? term : ""; *p && n < TERM_MAX; p++)
			if (*p > 0x20 && *p < 0x7f)
				sc->term[n++] = *p;
		sc->term[n] = '\0';
		set_size(sc, cols, rows);
		ssh_message_channel_request_reply_success(msg);
		return;
	case SSH_CHANNEL_REQUEST_WINDOW_CHANGE:
		pty_of(msg, NULL, &cols, &rows);
		set_size(sc, cols, rows);
		ssh_message_channel_request_reply_success(msg);  /* nothing unless asked */
		return;
	case SSH_CHANNEL_REQUEST_SHELL:
		if (sc->phase == PH_STARTED) {
			ssh_message_reply_default(msg);
			return;
		}
		ssh_message_channel_request_reply_success(msg);
		start(sc);
		return;
	case SSH_CHANNEL_REQUEST_EXEC:
		LOG(log_info, sc, "event=ssh_refused what=exec%s", "");
		break;
	case SSH_CHANNEL_REQUEST_SUBSYSTEM: {
		const char *what = ssh_message_channel_request_subsystem(msg);
		LOG(log_info, sc, "event=ssh_refused what=subsystem name=%s", LOG_Q(what ? what : ""));
		break;
	}
	case SSH_CHANNEL_REQUEST_X11:
		LOG(log_info, sc, "event=ssh_refused what=x11%s", "");
		break;
	default:
		break;          /* env and the like: no */
	}
	ssh_message_reply_default(msg);
}

static void pump(struct ssh_conn *sc)
{
	struct conn *c = sc->conn;
	if (sc->phase == PH_KEX) {
		int rc = ssh_handle_key_exchange(sc->session);
		if (rc == SSH_AGAIN) {
			watch(sc);
			return;
		}
		if (rc != SSH_OK) {
			LOG(log_info, sc, "event=ssh_kex_failed error=%s", LOG_Q(ssh_get_error(sc->session)));
			conn_close(c);
			return;
		}
		sc->phase = PH_AUTH;
		ssh_set_auth_methods(sc->session, sc->settings->login
			? SSH_AUTH_METHOD_PASSWORD : SSH_AUTH_METHOD_NONE | SSH_AUTH_METHOD_PASSWORD);
	}
	while (!conn_closing(c) && sc->pending_auth == NULL) {
		ssh_message msg = ssh_message_get(sc->session);
		if (msg == NULL)
			break;
		bool kept = false;
		switch (ssh_message_type(msg)) {
		case SSH_REQUEST_SERVICE: {
			const char *svc = ssh_message_service_service(msg);
			if (svc != NULL && strcmp(svc, "ssh-userauth") == 0)
				ssh_message_service_reply_success(msg);
			else
				ssh_message_reply_default(msg);
			break;
		}
		case SSH_REQUEST_AUTH:
			kept = auth_request(sc, msg);
			break;
		case SSH_REQUEST_CHANNEL_OPEN:
			channel_open(sc, msg);
			break;
		case SSH_REQUEST_CHANNEL:
			channel_request(sc, msg);
			break;
		default:        /* global requests: tcpip-forward and the like */
			LOG(log_debug, sc, "event=ssh_refused what=global_request type=%d", ssh_message_subtype(msg));
			ssh_message_reply_default(msg);
			break;
		}
		if (!kept)
			ssh_message_free(msg);
	}
	if (conn_closing(c)) {
		/* Hung up from inside (a refusal as the shell starts): the writes
		 * libssh holds still need the poll. */
		watch(sc);
		if (!busy(sc))
			conn_layer_ready(c);
		return;
	}
	if (sc->channel_closed)
		forget_channel(sc);
	if (ssh_get_status(sc->session) & (SSH_CLOSED | SSH_CLOSED_ERROR)) {
		LOG(log_debug, sc, "event=ssh_closed error=%s", LOG_Q(ssh_get_error(sc->session)));
		conn_close(c);
		return;
	}
	watch(sc);
	if (!busy(sc) && conn_queued_bytes(c) > 0)
		conn_layer_ready(c);
}

/* ---- the transport ---- */

static void tr_on_read(struct conn *c, const uint8_t *data, size_t len)
{
	/* libssh reads the socket itself (conn_detach_reading): never called. */
	(void)c;
	(void)data;
	(void)len;
}

static void tr_on_tick(struct conn *c, uint64_t now)
{
	struct ssh_conn *sc = conn_transport_data(c);
	const struct ssh_settings *s = sc->settings;
	if (s->keepalive_ms == 0 || sc->phase != PH_STARTED)
		return;
	uint64_t quiet = now - conn_last_read_ms(c);
	if (quiet >= s->keepalive_ms + s->keepalive_timeout_ms) {
		LOG(log_info, sc, "event=ssh_no_answer seconds=%llu", (unsigned long long)quiet / 1000);
		conn_close(c);
	} else if (quiet >= s->keepalive_ms && now - sc->keepalive_ms >= s->keepalive_ms) {
		sc->keepalive_ms = now;
		ssh_send_keepalive(sc->session);
		watch(sc);
	}
}

static void tr_shutdown(struct conn *c, uint16_t code, const char *reason)
{
	(void)code;
	(void)reason;
	conn_close_after_flush(c);
}

static enum charset tr_charset(const struct conn *c, bool *told)
{
	const struct ssh_conn *sc = conn_transport_data(c);
	if (sc->phase != PH_STARTED)
		return CHARSET_UNKNOWN;
	*told = sc->told;
	return sc->cs;
}

static void tr_set_charset(struct conn *c, enum charset cs)
{
	struct ssh_conn *sc = conn_transport_data(c);
	assert(cs == CHARSET_UTF8 || cs == CHARSET_CP437);
	sc->cs = cs;
	set_transport(sc);
}

static int64_t tr_account(const struct conn *c)
{
	const struct ssh_conn *sc = conn_transport_data(c);
	return sc->account;
}

static const struct transport ssh_utf8_transport = {
	.name = "ssh",
	.on_read = tr_on_read,
	.frame = ssh_frame_utf8,
	.on_tick = tr_on_tick,
	.shutdown = tr_shutdown,
	.charset = tr_charset,
	.set_charset = tr_set_charset,
	.account = tr_account,
	.variant = CONN_VARIANT_SSH_UTF8,
};

static const struct transport ssh_cp437_transport = {
	.name = "ssh",
	.on_read = tr_on_read,
	.frame = ssh_frame_cp437,
	.on_tick = tr_on_tick,
	.shutdown = tr_shutdown,
	.charset = tr_charset,
	.set_charset = tr_set_charset,
	.account = tr_account,
	.variant = CONN_VARIANT_SSH_CP437,
};

/* ---- the layer: the conn's output into the channel ---- */

static size_t l_write(struct conn *c, const uv_buf_t *iov, unsigned n)
{
	struct ssh_conn *sc = conn_layer_data(c);
	if (sc->phase != PH_STARTED || sc->channel == NULL || !ssh_channel_is_open(sc->channel) ||
	    busy(sc))
		return 0;
	/* No more than the peer's window (libssh would wait for it to grow) and no
	 * more while libssh holds unsent bytes: what it buffers stays bounded. */
	uint32_t window = ssh_channel_window_size(sc->channel);
	static uint8_t chunk[WRITE_CHUNK];
	size_t max = window < sizeof(chunk) ? window : sizeof(chunk);
	size_t len = 0;
	for (unsigned i = 0; i < n && len < max; i++) {
		size_t take = iov[i].len < max - len ? iov[i].len : max - len;
		memcpy(chunk + len, iov[i].base, take);
		len += take;
	}
	if (len == 0)
		return 0;
	int w = ssh_channel_write(sc->channel, chunk, (uint32_t)len);
	if (w < 0) {
		if (sc->conn != NULL)
			LOG(log_debug, sc, "event=ssh_write_error error=%s", LOG_Q(ssh_get_error(sc->session)));
		conn_close(c);
		return 0;
	}
	watch(sc);
	return (size_t)w;
}

static void l_finish(struct conn *c)
{
	struct ssh_conn *sc = conn_layer_data(c);
	if (sc->channel == NULL || !ssh_channel_is_open(sc->channel))
		return;
	ssh_channel_request_send_exit_status(sc->channel, 0);
	ssh_channel_send_eof(sc->channel);
	ssh_channel_close(sc->channel);
	sc->finishing = true;
	watch(sc);
}

/* Busy while libssh holds bytes, and after the last word until the client has
 * closed its end too (its EOF or close, or gone; the conn's drain timeout bounds
 * the wait): closing the socket first would reset it. */
static bool l_busy(const struct conn *c)
{
	const struct ssh_conn *sc = conn_layer_data(c);
	if (busy(sc))
		return true;
	return sc->finishing && sc->channel != NULL && !ssh_channel_is_eof(sc->channel) &&
	       !(ssh_get_status(sc->session) & (SSH_CLOSED | SSH_CLOSED_ERROR));
}

static void l_on_tick(struct conn *c, uint64_t now)
{
	struct ssh_conn *sc = conn_layer_data(c);
	if (sc->phase == PH_STARTED || now - sc->since_ms < sc->settings->login_timeout_ms)
		return;
	LOG(log_info, sc, "event=ssh_no_shell seconds=%llu",
	    (unsigned long long)sc->settings->login_timeout_ms / 1000);
	conn_close(c);
}

static void poll_closed(uv_handle_t *h)
{
	struct ssh_conn *sc = (struct ssh_conn *)h;
	ssh_disconnect(sc->session);    /* a last word if it can go at once; closes its fd */
	ssh_free(sc->session);
	close(sc->poll_fd);             /* the loop watches it no more */
	free(sc);
}

static void l_destroy(struct conn *c)
{
	struct ssh_conn *sc = conn_layer_data(c);
	if (sc->job != NULL)
		sc->settings->check.cancel(sc->settings->check.ud, sc->job);
	sc->job = NULL;
	if (sc->pending_auth != NULL)
		ssh_message_free(sc->pending_auth);
	sc->pending_auth = NULL;
	if (!sc->over) {
		sc->over = true;
		if (sc->settings->login_over != NULL)
			sc->settings->login_over(sc->settings->ud, c);
	}
	sc->conn = NULL;
	/* The poll goes first: libssh's descriptor is closed only once the loop no
	 * longer watches it. */
	uv_close((uv_handle_t *)&sc->poll, poll_closed);
}

static const struct conn_layer ssh_layer = {
	.name = "ssh",
	.write = l_write,
	.finish = l_finish,
	.busy = l_busy,
	.on_tick = l_on_tick,
	.destroy = l_destroy,
};

void ssh_transport_attach(struct conn *c, const struct ssh_settings *s,
                          ssh_terminal_fn on_terminal, void *ud)
{
	assert(s->loop != NULL && s->host != NULL && on_terminal != NULL);
	/* Three descriptors of one socket: the conn's (closed with it), libssh's
	 * (which libssh closes when it sees an error, at a moment of its choosing),
	 * and the one the loop polls (closed by us, only after the poll is closed).
	 * A descriptor the loop watches must never be closed under it: its number
	 * could be reused by the next accept while the loop still watches it. */
	int fd = conn_detach_reading(c);
	int lfd = fd >= 0 ? dup(fd) : -1;
	int pfd = lfd >= 0 ? dup(fd) : -1;
	ssh_session session = pfd >= 0 ? ssh_new() : NULL;
	if (session == NULL || ssh_bind_accept_fd(s->host->bind, session, lfd) != SSH_OK) {
		log_warn("event=ssh_start_failed conn=%llu peer=%s error=%s", (unsigned long long)conn_id(c),
		         conn_peer(c), LOG_Q(session ? ssh_get_error(s->host->bind) : "out of descriptors"));
		if (session != NULL)
			ssh_free(session);
		else if (lfd >= 0)
			close(lfd);
		if (pfd >= 0)
			close(pfd);
		if (s->login_over != NULL)
			s->login_over(s->ud, c);
		conn_close(c);
		return;
	}
	ssh_set_blocking(session, 0);
	struct ssh_conn *sc = xcalloc(1, sizeof(*sc));
	sc->conn = c;
	sc->settings = s;
	sc->on_terminal = on_terminal;
	sc->ud = ud;
	sc->session = session;
	sc->since_ms = conn_now(c);
	sc->cs = CHARSET_UTF8;
	sc->poll_fd = pfd;
	uv_poll_init_socket(s->loop, &sc->poll, pfd);
	conn_set_transport(c, &ssh_utf8_transport, sc);
	conn_set_layer(c, &ssh_layer, sc);
	pump(sc);                       /* our banner, and the key exchange begins */
}
