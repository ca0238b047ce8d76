#include "ctl/server.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/exec.h"
#include "ctl/proto.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

struct ctl_client {
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_write_t write;
	uv_shutdown_t shutdown;
	struct ctl_server *cs;
	struct ctl_client *next;
	struct sbuf reply;
	struct ctl_job *job;             /* a deed waiting for the database */
	char verb[32];                   /* the request's, for the log */
	char actor[48];                  /* "ctl:USER" for the audit log */
	size_t len;
	bool answered, closing;
	bool eof;                        /* the client has finished sending */
	int open_handles;
	char line[CTL_LINE_MAX + 1];
};

struct ctl_server {
	uv_loop_t *loop;
	struct bbs *bbs;
	uv_pipe_t listener;
	bool listening, closed;
	struct ctl_client *clients;
	unsigned n_clients;
	ctl_reload_fn reload;            /* the server's, for "reload" */
	const struct net_stats *net;     /* the connections' counters, for "stats" */
	void *reload_ud;
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
};

/* ---- a client ---- */

static void client_handle_closed(uv_handle_t *h)
{
	struct ctl_client *c = h->data;
	if (--c->open_handles > 0)
		return;
	struct ctl_server *cs = c->cs;
	for (struct ctl_client **p = &cs->clients; *p != NULL; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	cs->n_clients--;
	if (c->job != NULL)
		ctl_cancel(c->job);
	sbuf_free(&c->reply);
	free(c);
}

static void client_close(struct ctl_client *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->pipe, client_handle_closed);
	uv_close((uv_handle_t *)&c->timer, client_handle_closed);
}

static void shut(uv_shutdown_t *req, int status)
{
	(void)req;
	(void)status;
}

/* The reply is out: our side is closed for writing, and whatever the client still
 * sends is read and dropped until it closes too (or its time is up), so that it
 * reads the reply rather than a reset. */
static void written(uv_write_t *w, int status)
{
	struct ctl_client *c = w->data;
	if (status != 0 || c->closing || c->eof ||
	    uv_shutdown(&c->shutdown, (uv_stream_t *)&c->pipe, shut) != 0)
		client_close(c);
}

/* The reply, then the connection is closed (after it is written and the client
 * has closed its end, or when the client's time is up, whichever is first). */
static void answer(struct ctl_client *c, bool ok, const struct sbuf *body)
{
	if (c->answered || c->closing)
		return;
	c->answered = true;
	if (ok) {
		sbuf_puts(&c->reply, "ok\n");
		sbuf_append(&c->reply, body->data, body->len);
	} else {
		sbuf_puts(&c->reply, "error: ");
		sbuf_append(&c->reply, body->data, body->len);
		sbuf_putc(&c->reply, '\n');
	}
	uv_buf_t b = uv_buf_init((char *)c->reply.data, (unsigned)c->reply.len);
	c->write.data = c;
	if (uv_write(&c->write, (uv_stream_t *)&c->pipe, &b, 1, written) != 0)
		client_close(c);
}

static void answer_error(struct ctl_client *c, const char *text)
{
	struct sbuf sb = SBUF_INIT;
	sbuf_puts(&sb, text);
	answer(c, false, &sb);
	sbuf_free(&sb);
}

static void executed(void *ud, bool ok, const struct sbuf *body)
{
	struct ctl_client *c = ud;
	c->job = NULL;
	log_info("event=ctl actor=%s command=%s result=%s", LOG_Q(c->actor), LOG_Q(c->verb),
	         ok ? "ok" : "error");
	answer(c, ok, body);
}

static void run(struct ctl_client *c, size_t len)
{
	struct ctl_request req;
	char err[160];
	struct sbuf body = SBUF_INIT;
	snprintf(c->verb, sizeof(c->verb), "%.*s", (int)(memchr(c->line, ' ', len) ?
	         (size_t)((char *)memchr(c->line, ' ', len) - c->line) : len), c->line);
	if (!ctl_parse(c->line, len, &req, err, sizeof(err))) {
		sbuf_puts(&body, err);
		executed(c, false, &body);
	} else if (req.verb == CTL_RELOAD) {
		/* The server's business, not the BBS's: its hook. */
		if (c->cs->reload == NULL) {
			sbuf_puts(&body, "this server cannot reload");
			executed(c, false, &body);
		} else {
			bool ok = c->cs->reload(c->cs->reload_ud, &body) == 0;
			if (ok)
				sbuf_puts(&body, "settings reloaded\n");
			executed(c, ok, &body);
		}
	} else {
		c->job = ctl_execute(c->cs->bbs, &req, c->actor, c->cs->net, executed, c);
	}
	sbuf_free(&body);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_client *c = h->data;
	(void)suggested;
	if (c->answered || c->job != NULL)   /* after the request: read and dropped */
		*buf = uv_buf_init(c->line, CTL_LINE_MAX);
	else
		*buf = uv_buf_init(c->line + c->len, (unsigned)(CTL_LINE_MAX - c->len));
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_client *c = s->data;
	(void)buf;
	if (n < 0) {
		if (n == UV_EOF && c->job != NULL) {
			/* It sent its request and closed its end: the answer, still on its
			 * way from the database, closes ours. */
			c->eof = true;
			uv_read_stop(s);
			return;
		}
		client_close(c);            /* gone (or done): nothing more to do */
		return;
	}
	if (c->answered || c->job != NULL)
		return;    /* one request a connection: the rest is dropped */
	size_t from = c->len;
	c->len += (size_t)n;
	char *nl = memchr(c->line + from, '\n', c->len - from);
	if (nl != NULL) {
		/* Not uv_read_stop: the reply's last word is a clean close. */
		run(c, (size_t)(nl - c->line));
		return;
	}
	if (c->len >= CTL_LINE_MAX)
		answer_error(c, "the line is too long (at most 4096 bytes)");
}

static void timeout_cb(uv_timer_t *t)
{
	struct ctl_client *c = t->data;
	log_info("event=ctl_timeout actor=%s", LOG_Q(c->actor));
	client_close(c);
}

/* Who is on the other end: only the server's own user and root are served. */
static bool peer_allowed(struct ctl_client *c)
{
	uv_os_fd_t fd;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return false;
	struct passwd pw, *found = NULL;
	char buf[1024];
	if (getpwuid_r(cred.uid, &pw, buf, sizeof(buf), &found) == 0 && found != NULL)
		snprintf(c->actor, sizeof(c->actor), "ctl:%.40s", found->pw_name);
	else
		snprintf(c->actor, sizeof(c->actor), "ctl:uid%u", (unsigned)cred.uid);
	return cred.uid == 0 || cred.uid == geteuid();
}

static void connection_cb(uv_stream_t *listener, int status)
{
	struct ctl_server *cs = listener->data;
	if (status != 0)
		return;
	struct ctl_client *c = xcalloc(1, sizeof(*c));
	c->cs = cs;
	c->next = cs->clients;
	cs->clients = c;
	cs->n_clients++;
	uv_pipe_init(cs->loop, &c->pipe, 0);
	c->pipe.data = c;
	uv_timer_init(cs->loop, &c->timer);
	c->timer.data = c;
	c->open_handles = 2;
	if (uv_accept(listener, (uv_stream_t *)&c->pipe) != 0) {
		client_close(c);
		return;
	}
	uv_timer_start(&c->timer, timeout_cb, CTL_TIMEOUT_MS, 0);
	uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb);
	if (!peer_allowed(c)) {
		log_warn("event=ctl_refused actor=%s reason=not_the_servers_user", LOG_Q(c->actor));
		answer_error(c, "not allowed: only the server's own user may use the control line");
		return;
	}
	if (cs->n_clients > CTL_CLIENTS_MAX) {
		answer_error(c, "busy: too many control connections at once, try again");
		return;
	}
}

/* ---- the listener ---- */

/* Is something answering on path?  (A server that died leaves a file nobody
 * answers on.) */
static bool answering(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool up = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return up;
}

void ctl_server_set_net_stats(struct ctl_server *cs, const struct net_stats *net)
{
	cs->net = net;
}

void ctl_server_on_reload(struct ctl_server *cs, ctl_reload_fn fn, void *ud)
{
	cs->reload = fn;
	cs->reload_ud = ud;
}

struct ctl_server *ctl_server_new(uv_loop_t *loop, struct bbs *bbs, const char *path,
                                  char *err, size_t errlen)
{
	struct ctl_server *cs = xcalloc(1, sizeof(*cs));
	cs->loop = loop;
	cs->bbs = bbs;
	if (strlen(path) >= sizeof(cs->path)) {
		snprintf(err, errlen, "%s: the path is too long for a Unix socket", path);
		free(cs);
		return NULL;
	}
	snprintf(cs->path, sizeof(cs->path), "%s", path);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket; not touching it", path);
			free(cs);
			return NULL;
		}
		if (answering(path)) {
			snprintf(err, errlen, "%s: another carrier is running on this control socket "
			         "(the same database?); not starting", path);
			free(cs);
			return NULL;
		}
		unlink(path);               /* left by a server that is gone */
		log_info("event=ctl_stale_socket_replaced path=%s", LOG_Q(path));
	}
	/* Bound with umask 0177: the socket is 0600 from the start, no moment when
	 * others could connect.  The descriptor is libuv's only once it listens. */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int rc = fd < 0 ? -errno : 0;
	if (rc == 0) {
		mode_t old = umask(0177);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0)
			rc = -errno;
		umask(old);
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot listen: %s", path, strerror(-rc));
		if (fd >= 0)
			close(fd);
		free(cs);
		return NULL;
	}
	uv_pipe_init(loop, &cs->listener, 0);
	cs->listener.data = cs;
	cs->listening = true;
	rc = uv_pipe_open(&cs->listener, fd);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&cs->listener, 16, connection_cb);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot listen: %s", path, uv_strerror(rc));
		ctl_server_free(cs);        /* the loop has not run: nothing to wait for */
		return NULL;
	}
	log_info("event=ctl_listen path=%s", LOG_Q(path));
	return cs;
}

void ctl_server_close(struct ctl_server *cs)
{
	if (cs == NULL || cs->closed)
		return;
	cs->closed = true;
	if (cs->listening) {
		uv_close((uv_handle_t *)&cs->listener, NULL);
		cs->listening = false;
	}
	for (struct ctl_client *c = cs->clients; c != NULL; c = c->next)
		client_close(c);
}

void ctl_server_free(struct ctl_server *cs)
{
	if (cs == NULL)
		return;
	ctl_server_close(cs);
	if (cs->path[0] != '\0')
		unlink(cs->path);
	/* Clients still closing would write into freed memory: the loop has run out
	 * before this is called, so there are none. */
	free(cs);
}
