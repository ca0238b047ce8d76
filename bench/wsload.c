/* wsload: a WebSocket load generator on raw epoll, one thread.
 *
 * Opens N connections to a WebSocket server on 127.0.0.0/8 with a bounded number of
 * handshakes in flight, completes each handshake (random key, 101 and the accept key
 * checked), reads and discards server frames, answers pings with masked pongs, and
 * measures per connection:
 *   connect     start of connect() to its completion (the TCP handshake)
 *   a2fb        connect completion (the server's accept queue has it) to the first
 *               byte of the first binary frame (the welcome screen)
 *   welcome     connect completion to the end of the first binary message
 * It reports counts, the distributions (median, p99, max), its own CPU time
 * (getrusage) and wall time, then holds the connections open for --hold seconds
 * (0: until SIGINT/SIGTERM), still answering pings, and reports how many survived.
 *
 * With --tls it speaks wss: OpenSSL on the client side over memory BIOs, no session
 * reuse (every connection a full handshake, as a first visit), and it also reports
 *   tls         connect completion to the end of the TLS handshake.
 *
 * The last lines of a report are machine-readable ("RESULT k=v ...", "HELD k=v ...");
 * bench/idle.py reads them.  Later benchmarks grow this file (login, room, latency):
 * the per-connection state machine (conn_*), the frame reader (on_frame_*) and the
 * output queue (conn_send) are the places to extend.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "tlsclient.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define READ_BUF_SIZE 65536
#define HTTP_RESP_MAX 2048          /* a 101 response longer than this is refused */
#define MAX_SRC_ADDRS 64
#define MAX_EVENTS 512

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum conn_state {
	CS_IDLE,            /* not started */
	CS_CONNECTING,      /* connect() in progress */
	CS_TLS,             /* --tls: the TLS handshake */
	CS_HANDSHAKE,       /* request sent, reading the 101 */
	CS_OPEN,            /* WebSocket open, welcome not complete yet */
	CS_WELCOMED,        /* the first binary message arrived whole */
	CS_CLOSED,          /* done (failed, or closed after welcome) */
};

enum fail_kind {
	F_CONNECT,          /* connect() failed */
	F_HANDSHAKE,        /* not a valid 101 */
	F_CLOSED,           /* EOF, reset or close frame before the welcome */
	F_PROTOCOL,         /* a frame the client cannot accept */
	F_TIMEOUT,          /* no welcome within --timeout */
	F_KIND_COUNT
};

static const char *const fail_names[F_KIND_COUNT] = {
	"connect", "handshake", "closed", "protocol", "timeout",
};

/* Per connection.  Small: 20,000 of them live in one process. */
struct wconn {
	int fd;
	uint8_t state;
	/* frame reader */
	uint8_t hdr[14];
	uint8_t hdr_len;
	uint8_t hdr_need;
	uint8_t op;             /* opcode of the current frame */
	uint8_t fin;
	uint8_t msg_op;         /* opcode of the data message in progress, or 0 */
	uint8_t ctl_len;
	bool in_payload;
	bool saw_binary;
	uint8_t matched;        /* bytes of --expect matched so far */
	uint64_t remaining;     /* payload bytes due in the current frame */
	uint8_t *ctl;           /* control payload being read (<= 125), malloc'd */
	/* handshake */
	char *resp;             /* 101 response being read, malloc'd until done */
	uint16_t resp_len;
	char accept[29];        /* the Sec-WebSocket-Accept we expect */
	/* output queue: bytes not yet accepted by the socket */
	uint8_t *out;
	uint32_t out_len, out_off;
	/* --tls: over memory BIOs (rbio: what was read; wbio: what is to be sent) */
	SSL *ssl;
	BIO *rbio, *wbio;
	/* timings, ns on CLOCK_MONOTONIC */
	uint64_t t_start, t_connected, t_tls, t_first_byte, t_welcome;
	uint64_t bytes_in;
};

struct options {
	const char *host;
	int port;
	const char *path;
	unsigned conns;
	unsigned inflight;
	double hold_s;
	double timeout_s;
	double rate;            /* connects started per second, 0: as fast as allowed */
	struct in_addr src[MAX_SRC_ADDRS];
	unsigned n_src;
	bool quiet;
	bool tls;               /* wss */
	const char *dump;       /* per-connection timings, CSV */
	const char *expect;     /* the welcome is complete once this text arrives */
	size_t expect_len;
	uint8_t expect_fail[256];   /* KMP failure function of expect */
};

static struct {
	struct options opt;
	int ep;
	struct wconn *c;
	unsigned started, inflight, welcomed, closed_after, failed;
	unsigned fails[F_KIND_COUNT];
	char first_error[F_KIND_COUNT][160];
	uint64_t t0;
	uint64_t rng;
	uint64_t pings, pongs;
	volatile sig_atomic_t stop;
	struct sockaddr_in dst;
	char req_head[400];     /* the upgrade request up to the key */
	size_t req_head_len;
	SSL_CTX *ssl_ctx;
} g;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_next(void)
{
	/* xorshift64*, seeded from getrandom */
	g.rng ^= g.rng >> 12;
	g.rng ^= g.rng << 25;
	g.rng ^= g.rng >> 27;
	return g.rng * 0x2545F4914F6CDD1DULL;
}

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
static void conn_fail(struct wconn *c, enum fail_kind kind, const char *fmt, ...);

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "wsload: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void on_signal(int sig)
{
	(void)sig;
	g.stop = 1;
}

/* ---- connection lifetime ---------------------------------------------------- */

static void conn_release(struct wconn *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	free(c->resp);
	c->resp = NULL;
	free(c->ctl);
	c->ctl = NULL;
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	SSL_free(c->ssl);        /* and its BIOs */
	c->ssl = NULL;
	c->rbio = c->wbio = NULL;
}

static void conn_fail(struct wconn *c, enum fail_kind kind, const char *fmt, ...)
{
	if (c->state == CS_CLOSED)
		return;
	if (c->state == CS_WELCOMED) {
		/* dropped while held: not a failure to establish */
		g.closed_after++;
	} else {
		g.fails[kind]++;
		g.failed++;
		g.inflight--;
		if (g.first_error[kind][0] == '\0') {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(g.first_error[kind], sizeof(g.first_error[kind]), fmt, ap);
			va_end(ap);
		}
	}
	c->state = CS_CLOSED;
	conn_release(c);
}

static void set_events(struct wconn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };
	if (epoll_ctl(g.ep, EPOLL_CTL_MOD, c->fd, &e) != 0)
		die("epoll_ctl: %s", strerror(errno));
}

/* Queue bytes for the socket (copied).  False if the connection failed. */
static bool sock_send(struct wconn *c, const void *data, size_t len)
{
	if (c->out_len == 0) {
		ssize_t w = send(c->fd, data, len, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			conn_fail(c, F_CLOSED, "send: %s", strerror(errno));
			return false;
		}
		if (w < 0)
			w = 0;
		if ((size_t)w == len)
			return true;
		data = (const uint8_t *)data + w;
		len -= (size_t)w;
	}
	uint8_t *out = realloc(c->out, c->out_len + len);
	if (out == NULL)
		die("out of memory");
	memcpy(out + c->out_len, data, len);
	c->out = out;
	c->out_len += (uint32_t)len;
	set_events(c, EPOLLIN | EPOLLOUT);
	return true;
}

static bool send_cb(void *c, const void *data, size_t len)
{
	return sock_send(c, data, len);
}

/* What OpenSSL wrote into the memory BIO, to the socket. */
static bool tls_drain(struct wconn *c)
{
	return tlsc_drain(c->wbio, send_cb, c);
}

/* Bytes of the protocol, encrypted first with --tls. */
static bool conn_send(struct wconn *c, const void *data, size_t len)
{
	if (c->ssl == NULL)
		return sock_send(c, data, len);
	if (SSL_write(c->ssl, data, (int)len) != (int)len) {
		conn_fail(c, F_CLOSED, "SSL_write failed");
		return false;
	}
	return tls_drain(c);
}

static void conn_flush(struct wconn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			conn_fail(c, F_CLOSED, "send: %s", strerror(errno));
			return;
		}
		c->out_off += (uint32_t)w;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	set_events(c, EPOLLIN);
}

/* A masked client frame (RFC 6455 5.3): payload at most 125 bytes here. */
static bool send_frame(struct wconn *c, uint8_t op, const uint8_t *payload, size_t len)
{
	uint8_t f[2 + 4 + 125];
	if (len > 125)
		len = 125;
	uint32_t key = (uint32_t)rng_next();
	f[0] = (uint8_t)(0x80 | op);
	f[1] = (uint8_t)(0x80 | len);
	memcpy(f + 2, &key, 4);
	for (size_t i = 0; i < len; i++)
		f[6 + i] = payload[i] ^ f[2 + (i & 3)];
	return conn_send(c, f, 6 + len);
}

static void base64(const uint8_t *in, size_t len, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

static void expected_accept(const char *key, char out[29])
{
	char cat[24 + sizeof(WS_GUID)];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	snprintf(cat, sizeof(cat), "%s%s", key, WS_GUID);
	if (!EVP_Digest(cat, strlen(cat), md, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
		die("SHA-1 failed");
	base64(md, 20, out);
}

static void conn_start(struct wconn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->t_start = now_ns();
	c->state = CS_CONNECTING;
	g.started++;
	g.inflight++;

	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		conn_fail(c, F_CONNECT, "socket: %s", strerror(errno));
		return;
	}
	c->fd = fd;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (g.opt.n_src > 0) {
		/* Spread over source addresses; the port is chosen at connect(), per
		 * destination, so each address has the whole ephemeral range. */
		struct sockaddr_in sa = { .sin_family = AF_INET };
		sa.sin_addr = g.opt.src[(g.started - 1) % g.opt.n_src];
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			conn_fail(c, F_CONNECT, "bind %s: %s", inet_ntoa(sa.sin_addr), strerror(errno));
			return;
		}
	}
	struct epoll_event e = { .events = EPOLLOUT | EPOLLIN, .data.ptr = c };
	if (epoll_ctl(g.ep, EPOLL_CTL_ADD, fd, &e) != 0)
		die("epoll_ctl: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&g.dst, sizeof(g.dst)) != 0 && errno != EINPROGRESS) {
		conn_fail(c, F_CONNECT, "connect: %s", strerror(errno));
		return;
	}
}

static void send_upgrade(struct wconn *c);
static void tls_step(struct wconn *c, uint64_t t);

/* connect() completed: the TLS handshake, or the upgrade request. */
static void conn_connected(struct wconn *c, uint64_t t)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		conn_fail(c, F_CONNECT, "connect: %s", strerror(err));
		return;
	}
	c->t_connected = t;
	set_events(c, EPOLLIN);
	if (g.opt.tls) {
		c->ssl = tlsc_new(g.ssl_ctx, &c->rbio, &c->wbio);
		if (c->ssl == NULL)
			die("out of memory (TLS)");
		c->state = CS_TLS;
		tls_step(c, t);
		return;
	}
	send_upgrade(c);
}

/* The upgrade request, with a fresh key. */
static void send_upgrade(struct wconn *c)
{
	c->state = CS_HANDSHAKE;
	uint8_t raw[16];
	char key[25];
	for (int i = 0; i < 16; i += 8) {
		uint64_t r = rng_next();
		memcpy(raw + i, &r, 8);
	}
	base64(raw, 16, key);
	expected_accept(key, c->accept);

	static const char tail[] = "\r\nSec-WebSocket-Version: 13\r\n\r\n";
	char req[sizeof(g.req_head) + 24 + sizeof(tail)];
	memcpy(req, g.req_head, g.req_head_len);
	memcpy(req + g.req_head_len, key, 24);
	memcpy(req + g.req_head_len + 24, tail, sizeof(tail) - 1);
	conn_send(c, req, g.req_head_len + 24 + sizeof(tail) - 1);
}

/* The TLS handshake, stepped by what arrived; at its end, the upgrade. */
static void tls_step(struct wconn *c, uint64_t t)
{
	int r = SSL_do_handshake(c->ssl);
	if (!tls_drain(c))
		return;
	if (r == 1) {
		c->t_tls = t;
		send_upgrade(c);
		return;
	}
	int e = SSL_get_error(c->ssl, r);
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
		char why[120];
		ERR_error_string_n(ERR_get_error(), why, sizeof(why));
		conn_fail(c, F_HANDSHAKE, "TLS: %s", why);
	}
}

/* ---- the 101 ------------------------------------------------------------------ */

static bool header_is(const char *line, size_t len, const char *name, const char **value)
{
	size_t n = strlen(name);
	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return false;
	const char *v = line + n + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	*value = v;
	return true;
}

static bool value_has_token(const char *v, size_t len, const char *token)
{
	size_t tl = strlen(token);
	for (size_t i = 0; i + tl <= len; i++)
		if (strncasecmp(v + i, token, tl) == 0)
			return true;
	return false;
}

/* Validate a complete response head (NUL-terminated, ends with \r\n\r\n). */
static bool check_101(struct wconn *c, const char *resp)
{
	if (strncmp(resp, "HTTP/1.1 101", 12) != 0) {
		const char *eol = strstr(resp, "\r\n");
		conn_fail(c, F_HANDSHAKE, "status: %.*s", (int)(eol ? eol - resp : 40), resp);
		return false;
	}
	bool upgrade = false, connection = false, accept = false;
	const char *line = strstr(resp, "\r\n") + 2;
	for (;;) {
		const char *eol = strstr(line, "\r\n");
		size_t len = (size_t)(eol - line);
		const char *v;
		if (len == 0)
			break;
		if (header_is(line, len, "Upgrade", &v))
			upgrade = value_has_token(v, (size_t)(eol - v), "websocket");
		else if (header_is(line, len, "Connection", &v))
			connection = value_has_token(v, (size_t)(eol - v), "upgrade");
		else if (header_is(line, len, "Sec-WebSocket-Accept", &v))
			accept = (size_t)(eol - v) == 28 && memcmp(v, c->accept, 28) == 0;
		line = eol + 2;
	}
	if (!upgrade || !connection || !accept) {
		conn_fail(c, F_HANDSHAKE, "101 without %s", !upgrade ? "Upgrade: websocket"
		          : !connection ? "Connection: upgrade" : "the right Sec-WebSocket-Accept");
		return false;
	}
	return true;
}

/* Feed handshake bytes; returns how many were the response's (the rest are frames),
 * or -1 if the connection failed. */
static ssize_t feed_handshake(struct wconn *c, const uint8_t *data, size_t len)
{
	if (c->resp == NULL) {
		c->resp = malloc(HTTP_RESP_MAX + 1);
		if (c->resp == NULL)
			die("out of memory");
	}
	size_t used = 0;
	while (used < len) {
		if (c->resp_len == HTTP_RESP_MAX) {
			conn_fail(c, F_HANDSHAKE, "response head over %d bytes", HTTP_RESP_MAX);
			return -1;
		}
		c->resp[c->resp_len++] = (char)data[used++];
		if (c->resp_len >= 4 && memcmp(c->resp + c->resp_len - 4, "\r\n\r\n", 4) == 0) {
			c->resp[c->resp_len] = '\0';
			if (!check_101(c, c->resp))
				return -1;
			free(c->resp);
			c->resp = NULL;
			c->state = CS_OPEN;
			return (ssize_t)used;
		}
	}
	return (ssize_t)used;
}

/* ---- frames ------------------------------------------------------------------ */

static void on_welcome(struct wconn *c, uint64_t t)
{
	c->t_welcome = t;
	c->state = CS_WELCOMED;
	g.welcomed++;
	g.inflight--;
}

/* A whole frame arrived (control payload in c->ctl). */
static void on_frame_end(struct wconn *c, uint64_t t)
{
	switch (c->op) {
	case 0x9:   /* ping: answer with a masked pong carrying the same payload */
		g.pings++;
		if (send_frame(c, 0xA, c->ctl, c->ctl_len))
			g.pongs++;
		break;
	case 0x8:   /* close: echo the code and go */
		if (c->ctl_len >= 2)
			send_frame(c, 0x8, c->ctl, 2);
		else
			send_frame(c, 0x8, NULL, 0);
		if (c->state != CS_CLOSED)
			conn_fail(c, F_CLOSED, "close frame %u", c->ctl_len >= 2 ?
			          (unsigned)(c->ctl[0] << 8 | c->ctl[1]) : 1005u);
		return;
	case 0xA:
		break;
	default:    /* data frame */
		if (c->fin) {
			if (c->msg_op == 0x2 && c->state == CS_OPEN && g.opt.expect == NULL)
				on_welcome(c, t);
			c->msg_op = 0;
		}
		break;
	}
	free(c->ctl);
	c->ctl = NULL;
	c->ctl_len = 0;
}

static bool on_frame_header(struct wconn *c, uint64_t t)
{
	uint8_t b0 = c->hdr[0], b1 = c->hdr[1];
	c->fin = b0 >> 7;
	c->op = b0 & 0x0f;
	if ((b0 & 0x70) != 0 || (b1 & 0x80) != 0) {
		conn_fail(c, F_PROTOCOL, "%s", (b1 & 0x80) ? "masked server frame" : "RSV bits set");
		return false;
	}
	uint64_t len = b1 & 0x7f;
	if (len == 126)
		len = (uint64_t)c->hdr[2] << 8 | c->hdr[3];
	else if (len == 127) {
		len = 0;
		for (int i = 2; i < 10; i++)
			len = len << 8 | c->hdr[i];
	}
	c->remaining = len;
	if (c->op >= 0x8) {
		if (len > 125 || !c->fin) {
			conn_fail(c, F_PROTOCOL, "bad control frame");
			return false;
		}
		c->ctl = malloc(len > 0 ? len : 1);
		if (c->ctl == NULL)
			die("out of memory");
		c->ctl_len = 0;
	} else if (c->op == 0x1 || c->op == 0x2) {
		if (c->msg_op != 0) {
			conn_fail(c, F_PROTOCOL, "new message inside a fragmented one");
			return false;
		}
		c->msg_op = c->op;
	} else if (c->op == 0x0) {
		if (c->msg_op == 0) {
			conn_fail(c, F_PROTOCOL, "continuation without a message");
			return false;
		}
	} else {
		conn_fail(c, F_PROTOCOL, "reserved opcode %u", c->op);
		return false;
	}
	if (c->msg_op == 0x2 && c->op < 0x8 && !c->saw_binary) {
		/* the first byte of the welcome screen's frame arrived in this read */
		c->saw_binary = true;
		c->t_first_byte = t;
	}
	return true;
}

/* Advance the --expect match over binary payload; true once it is complete. */
static bool expect_scan(struct wconn *c, const uint8_t *p, size_t n)
{
	const struct options *o = &g.opt;
	size_t k = c->matched;
	for (size_t i = 0; i < n; i++) {
		while (k > 0 && (uint8_t)o->expect[k] != p[i])
			k = o->expect_fail[k - 1];
		if ((uint8_t)o->expect[k] == p[i])
			k++;
		if (k == o->expect_len) {
			c->matched = 0;
			return true;
		}
	}
	c->matched = (uint8_t)k;
	return false;
}

/* Feed WebSocket bytes; false if the connection ended. */
static bool feed_frames(struct wconn *c, const uint8_t *p, size_t len, uint64_t t)
{
	while (len > 0) {
		if (!c->in_payload) {
			if (c->hdr_len == 0)
				c->hdr_need = 2;
			c->hdr[c->hdr_len++] = *p++;
			len--;
			if (c->hdr_len == 2) {
				uint8_t l7 = c->hdr[1] & 0x7f;
				c->hdr_need = (uint8_t)(2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) +
				                        ((c->hdr[1] & 0x80) ? 4 : 0));
			}
			if (c->hdr_len < c->hdr_need)
				continue;
			c->hdr_len = 0;
			if (!on_frame_header(c, t))
				return false;
			c->in_payload = true;
		}
		size_t n = len < c->remaining ? len : (size_t)c->remaining;
		if (c->op >= 0x8) {
			memcpy(c->ctl + c->ctl_len, p, n);
			c->ctl_len = (uint8_t)(c->ctl_len + n);
		}
		/* data payload: discarded (a later benchmark parses it here), but for
		 * the --expect scan while the welcome is due */
		if (g.opt.expect && c->state == CS_OPEN && c->msg_op == 0x2 && c->op < 0x8 &&
		    expect_scan(c, p, n))
			on_welcome(c, t);
		p += n;
		len -= n;
		c->remaining -= n;
		if (c->remaining == 0) {
			c->in_payload = false;
			on_frame_end(c, t);
			if (c->state == CS_CLOSED)
				return false;
		}
	}
	return true;
}

/* Bytes of the protocol (decrypted, with --tls); false if the conn failed. */
static bool received(struct wconn *c, const uint8_t *p, size_t len, uint64_t t)
{
	if (c->state == CS_HANDSHAKE) {
		ssize_t used = feed_handshake(c, p, len);
		if (used < 0)
			return false;
		p += used;
		len -= (size_t)used;
	}
	return len == 0 || feed_frames(c, p, len, t);
}

static void conn_readable(struct wconn *c, uint64_t t)
{
	static uint8_t rbuf[READ_BUF_SIZE];
	for (;;) {
		ssize_t n = recv(c->fd, rbuf, sizeof(rbuf), 0);
		if (n == 0) {
			conn_fail(c, F_CLOSED, "EOF in state %d", c->state);
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			conn_fail(c, F_CLOSED, "recv: %s", strerror(errno));
			return;
		}
		c->bytes_in += (uint64_t)n;
		if (c->ssl == NULL) {
			if (!received(c, rbuf, (size_t)n, t))
				return;
		} else {
			BIO_write(c->rbio, rbuf, (int)n);
			if (c->state == CS_TLS)
				tls_step(c, t);
			static uint8_t plain[READ_BUF_SIZE];
			int k;
			while (c->ssl != NULL && c->state != CS_TLS && c->state != CS_CLOSED &&
			       (k = SSL_read(c->ssl, plain, sizeof(plain))) > 0)
				if (!received(c, plain, (size_t)k, t))
					return;
			if (c->state == CS_CLOSED)
				return;
			tls_drain(c);
		}
		if ((size_t)n < sizeof(rbuf))
			return;
	}
}

static void conn_event(struct wconn *c, uint32_t ev, uint64_t t)
{
	if (c->state == CS_CONNECTING) {
		if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_connected(c, t);
		return;
	}
	if (ev & EPOLLIN)
		conn_readable(c, t);
	if (c->state == CS_CLOSED)
		return;
	if ((ev & EPOLLOUT) && c->out_len > 0)
		conn_flush(c);
	if (c->state != CS_CLOSED && (ev & (EPOLLERR | EPOLLHUP)) && !(ev & EPOLLIN))
		conn_fail(c, F_CLOSED, "socket error/hangup");
}

/* ---- report -------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct dist {
	uint64_t n, median, p99, max;   /* microseconds */
};

/* Nearest-rank percentiles of v[0..n) (ns), in microseconds; sorts v. */
static struct dist distribution(uint64_t *v, size_t n)
{
	struct dist d = { .n = n };
	if (n == 0)
		return d;
	qsort(v, n, sizeof(*v), cmp_u64);
	d.median = v[(n - 1) / 2] / 1000;
	size_t r99 = (size_t)((n * 99 + 99) / 100);   /* ceil(0.99 n) */
	d.p99 = v[(r99 ? r99 : 1) - 1] / 1000;
	d.max = v[n - 1] / 1000;
	return d;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void dump_timings(const char *path)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "wsload: %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "conn,start_us,connect_us,a2fb_us,welcome_us,bytes_in\n");
	for (unsigned i = 0; i < g.started; i++) {
		const struct wconn *c = &g.c[i];
		double base = (double)c->t_connected;
		fprintf(f, "%u,%.1f,%.1f,%.1f,%.1f,%" PRIu64 "\n", i, (double)(c->t_start - g.t0) / 1e3,
		        c->t_connected ? (double)(c->t_connected - c->t_start) / 1e3 : -1.0,
		        c->t_first_byte ? ((double)c->t_first_byte - base) / 1e3 : -1.0,
		        c->t_welcome ? ((double)c->t_welcome - base) / 1e3 : -1.0, c->bytes_in);
	}
	fclose(f);
}

static void report(uint64_t t_end)
{
	if (g.opt.dump)
		dump_timings(g.opt.dump);
	size_t n = g.opt.conns;
	uint64_t *a2fb = malloc(n * sizeof(uint64_t) + 1);
	uint64_t *conn = malloc(n * sizeof(uint64_t) + 1);
	uint64_t *welc = malloc(n * sizeof(uint64_t) + 1);
	uint64_t *tls = malloc(n * sizeof(uint64_t) + 1);
	if (a2fb == NULL || conn == NULL || welc == NULL || tls == NULL)
		die("out of memory");
	size_t na = 0, nc = 0, nw = 0, nt = 0;
	for (size_t i = 0; i < n; i++) {
		struct wconn *c = &g.c[i];
		if (c->t_connected)
			conn[nc++] = c->t_connected - c->t_start;
		if (c->t_first_byte && c->t_welcome)   /* not a "line busy" screen */
			a2fb[na++] = c->t_first_byte - c->t_connected;
		if (c->t_welcome)
			welc[nw++] = c->t_welcome - c->t_connected;
		if (c->t_tls)
			tls[nt++] = c->t_tls - c->t_connected;
	}
	struct dist dc = distribution(conn, nc), da = distribution(a2fb, na),
	            dw = distribution(welc, nw), dt = distribution(tls, nt);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double wall = (double)(t_end - g.t0) / 1e9;
	double cpu = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);

	printf("wsload: %u connections to %s:%d%s, %u in flight at most, ", g.opt.conns, g.opt.host,
	       g.opt.port, g.opt.path, g.opt.inflight);
	if (g.opt.rate > 0)
		printf("%.0f connects/s at most, ", g.opt.rate);
	printf("%u source address(es)\n", g.opt.n_src ? g.opt.n_src : 1);
	printf("  established (welcome received): %u   failed: %u\n", g.welcomed, g.failed);
	for (int k = 0; k < F_KIND_COUNT; k++)
		if (g.fails[k])
			printf("    %-9s %u (first: %s)\n", fail_names[k], g.fails[k], g.first_error[k]);
	printf("  %-30s %10s %10s %10s\n", "microseconds", "median", "p99", "max");
	printf("  %-30s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", "connect", dc.median, dc.p99, dc.max);
	printf("  %-30s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", "accept to first welcome byte",
	       da.median, da.p99, da.max);
	printf("  %-30s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", "accept to whole welcome",
	       dw.median, dw.p99, dw.max);
	if (g.opt.tls)
		printf("  %-30s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", "TLS handshake",
		       dt.median, dt.p99, dt.max);
	double busy = wall > 0 ? 100 * cpu / wall : 0;
	printf("  wall %.3f s, wsload CPU %.3f s (user %.3f, sys %.3f) = %.0f%% of one core\n",
	       wall, cpu, tv_s(ru.ru_utime), tv_s(ru.ru_stime), busy);
	/* A generator near its core's limit measures itself, not the server. */
	if (busy > 70 && wall > 0.2)
		printf("  INVALID: wsload used over 70%% of its core; it may be the bottleneck "
		       "(spread connects over more source addresses with --src)\n");
	printf("RESULT conns=%u established=%u failed=%u", g.opt.conns, g.welcomed, g.failed);
	for (int k = 0; k < F_KIND_COUNT; k++)
		printf(" fail_%s=%u", fail_names[k], g.fails[k]);
	printf(" connect_median_us=%" PRIu64 " connect_p99_us=%" PRIu64 " connect_max_us=%" PRIu64,
	       dc.median, dc.p99, dc.max);
	printf(" a2fb_median_us=%" PRIu64 " a2fb_p99_us=%" PRIu64 " a2fb_max_us=%" PRIu64,
	       da.median, da.p99, da.max);
	printf(" welcome_median_us=%" PRIu64 " welcome_p99_us=%" PRIu64 " welcome_max_us=%" PRIu64,
	       dw.median, dw.p99, dw.max);
	if (g.opt.tls)
		printf(" tls_median_us=%" PRIu64 " tls_p99_us=%" PRIu64 " tls_max_us=%" PRIu64,
		       dt.median, dt.p99, dt.max);
	printf(" wall_s=%.3f cpu_s=%.3f cpu_user_s=%.3f cpu_sys_s=%.3f cpu_pct=%.0f valid=%d\n", wall,
	       cpu, tv_s(ru.ru_utime), tv_s(ru.ru_stime), busy, !(busy > 70 && wall > 0.2));
	fflush(stdout);
	free(a2fb);
	free(conn);
	free(welc);
	free(tls);
}

/* ---- main ---------------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: wsload [options]\n"
	        "  -h, --host ADDR       server address on 127.0.0.0/8 (default 127.0.0.1)\n"
	        "  -p, --port PORT       server port (required)\n"
	        "      --path PATH       request path (default /ws)\n"
	        "  -n, --conns N         connections to open (default 1000)\n"
	        "  -c, --inflight K      connections connecting or handshaking at once (default 128)\n"
	        "  -H, --hold SECONDS    hold the connections open this long (default 0: until\n"
	        "                        SIGINT/SIGTERM; negative: do not hold)\n"
	        "  -t, --timeout SECONDS a connection without its welcome by then fails (default 20)\n"
	        "  -r, --rate R          start at most R connects per second (default: as fast\n"
	        "                        as --inflight allows)\n"
	        "  -s, --src A[-B]       source address or range, e.g. 127.0.0.1-127.0.0.4\n"
	        "  -q, --quiet           no progress lines on stderr\n"
	        "  -e, --expect TEXT     the welcome is whole once TEXT arrives in binary frames\n"
	        "                        (default: at the end of the first binary message)\n"
	        "  -D, --dump FILE       write per-connection timings (CSV, microseconds)\n"
	        "      --tls             wss: TLS first (the port is the https one)\n"
	        "      --help            this text\n");
}

static void parse_src(const char *arg)
{
	char lo[32], hi[32];
	const char *dash = strchr(arg, '-');
	snprintf(lo, sizeof(lo), "%.*s", dash ? (int)(dash - arg) : (int)strlen(arg), arg);
	snprintf(hi, sizeof(hi), "%s", dash ? dash + 1 : lo);
	struct in_addr a, b;
	if (inet_pton(AF_INET, lo, &a) != 1 || inet_pton(AF_INET, hi, &b) != 1)
		die("--src: bad address range '%s'", arg);
	uint32_t x = ntohl(a.s_addr), y = ntohl(b.s_addr);
	if ((x >> 24) != 127 || (y >> 24) != 127 || y < x || y - x >= MAX_SRC_ADDRS)
		die("--src: want at most %d addresses on 127.0.0.0/8", MAX_SRC_ADDRS);
	for (uint32_t i = x; i <= y; i++)
		g.opt.src[g.opt.n_src++].s_addr = htonl(i);
}

static void parse_args(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "path", required_argument, NULL, 'P' },
		{ "conns", required_argument, NULL, 'n' },
		{ "inflight", required_argument, NULL, 'c' },
		{ "hold", required_argument, NULL, 'H' },
		{ "timeout", required_argument, NULL, 't' },
		{ "src", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "dump", required_argument, NULL, 'D' },
		{ "expect", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, '?' + 256 },
		{ "tls", no_argument, NULL, '?' + 257 },
		{ NULL, 0, NULL, 0 },
	};
	struct options *o = &g.opt;
	o->host = "127.0.0.1";
	o->path = "/ws";
	o->conns = 1000;
	o->inflight = 128;
	o->timeout_s = 20;
	int ch;
	while ((ch = getopt_long(argc, argv, "h:p:n:c:H:t:s:r:qD:e:", lopts, NULL)) != -1) {
		switch (ch) {
		case 'h': o->host = optarg; break;
		case 'p': o->port = atoi(optarg); break;
		case 'P': o->path = optarg; break;
		case 'n': o->conns = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'c': o->inflight = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'H': o->hold_s = atof(optarg); break;
		case 't': o->timeout_s = atof(optarg); break;
		case 's': parse_src(optarg); break;
		case 'r': o->rate = atof(optarg); break;
		case 'q': o->quiet = true; break;
		case 'D': o->dump = optarg; break;
		case 'e': o->expect = optarg; break;
		case '?' + 256: usage(stdout); exit(0);
		case '?' + 257: o->tls = true; break;
		default: usage(stderr); exit(2);
		}
	}
	if (o->port <= 0 || o->port > 65535 || o->conns == 0 || o->inflight == 0) {
		usage(stderr);
		exit(2);
	}
	if (o->expect != NULL) {
		o->expect_len = strlen(o->expect);
		if (o->expect_len == 0 || o->expect_len > 255)
			die("--expect: 1 to 255 bytes");
		/* KMP: expect_fail[i] = length of the longest proper border of expect[0..i] */
		o->expect_fail[0] = 0;
		for (size_t i = 1, k = 0; i < o->expect_len; i++) {
			while (k > 0 && o->expect[i] != o->expect[k])
				k = o->expect_fail[k - 1];
			if (o->expect[i] == o->expect[k])
				k++;
			o->expect_fail[i] = (uint8_t)k;
		}
	}
	memset(&g.dst, 0, sizeof(g.dst));
	g.dst.sin_family = AF_INET;
	g.dst.sin_port = htons((uint16_t)o->port);
	if (inet_pton(AF_INET, o->host, &g.dst.sin_addr) != 1 ||
	    (ntohl(g.dst.sin_addr.s_addr) >> 24) != 127)
		die("--host: only 127.0.0.0/8 addresses, got '%s'", o->host);
	/* the key and the rest follow per connection (conn_connected) */
	int n = snprintf(g.req_head, sizeof(g.req_head),
	                 "GET %s HTTP/1.1\r\n"
	                 "Host: %s:%d\r\n"
	                 "Upgrade: websocket\r\n"
	                 "Connection: Upgrade\r\n"
	                 "Sec-WebSocket-Key: ", o->path, o->host, o->port);
	if (n < 0 || (size_t)n >= sizeof(g.req_head))
		die("--path too long");
	g.req_head_len = (size_t)n;
	if (o->tls) {
		g.ssl_ctx = tlsc_ctx();
		if (g.ssl_ctx == NULL)
			die("SSL_CTX_new failed");
	}
}

static void raise_nofile(unsigned want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		fprintf(stderr, "wsload: cannot raise RLIMIT_NOFILE: %s\n", strerror(errno));
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)want + 16)
		fprintf(stderr, "wsload: warning: RLIMIT_NOFILE %llu is below %u connections\n",
		        (unsigned long long)rl.rlim_cur, want);
}

static void check_timeouts(uint64_t t)
{
	uint64_t limit = (uint64_t)(g.opt.timeout_s * 1e9);
	for (unsigned i = 0; i < g.started; i++) {
		struct wconn *c = &g.c[i];
		if (c->state >= CS_CONNECTING && c->state <= CS_OPEN && t - c->t_start > limit)
			conn_fail(c, F_TIMEOUT, "no welcome after %.1f s (state %d)", g.opt.timeout_s,
			          c->state);
	}
}

static void run_loop(uint64_t until_ns, bool establishing)
{
	struct epoll_event evs[MAX_EVENTS];
	uint64_t last_check = now_ns(), last_progress = last_check;
	while (!g.stop) {
		int timeout = 100;
		if (establishing) {
			unsigned allowed = g.opt.conns;
			if (g.opt.rate > 0) {
				double due = (double)(now_ns() - g.t0) / 1e9 * g.opt.rate + 1;
				allowed = due < (double)g.opt.conns ? (unsigned)due : g.opt.conns;
			}
			while (g.started < allowed && g.inflight < g.opt.inflight)
				conn_start(&g.c[g.started]);
			if (g.welcomed + g.failed == g.opt.conns)
				return;
			if (g.started < g.opt.conns && g.opt.rate > 0)
				timeout = 1;
		}
		uint64_t t = now_ns();
		if (until_ns && t >= until_ns)
			return;
		if (until_ns && (until_ns - t) / 1000000 < (uint64_t)timeout)
			timeout = (int)((until_ns - t) / 1000000) + 1;
		int n = epoll_wait(g.ep, evs, MAX_EVENTS, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}
		for (int i = 0; i < n; i++)
			conn_event(evs[i].data.ptr, evs[i].events, now_ns());
		t = now_ns();
		if (establishing && t - last_check > 100000000u) {
			check_timeouts(t);
			last_check = t;
		}
		if (establishing && !g.opt.quiet && t - last_progress > 1000000000u) {
			fprintf(stderr, "wsload: %u welcomed, %u failed, %u in flight\n", g.welcomed,
			        g.failed, g.inflight);
			last_progress = t;
		}
	}
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	raise_nofile(g.opt.conns);
	if (getrandom(&g.rng, sizeof(g.rng), 0) != sizeof(g.rng) || g.rng == 0)
		g.rng = now_ns() | 1;

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	g.c = calloc(g.opt.conns, sizeof(*g.c));
	if (g.c == NULL)
		die("out of memory");
	for (unsigned i = 0; i < g.opt.conns; i++)
		g.c[i].fd = -1;
	g.ep = epoll_create1(EPOLL_CLOEXEC);
	if (g.ep < 0)
		die("epoll_create1: %s", strerror(errno));

	/* OpenSSL loads its configuration on first use (milliseconds): not on the clock */
	char warm[29];
	expected_accept("dGhlIHNhbXBsZSBub25jZQ==", warm);

	g.t0 = now_ns();
	run_loop(0, true);
	report(now_ns());

	if (g.opt.hold_s >= 0 && !g.stop) {
		uint64_t t = now_ns();
		uint64_t until = g.opt.hold_s > 0 ? t + (uint64_t)(g.opt.hold_s * 1e9) : 0;
		run_loop(until, false);
		unsigned open = 0;
		for (unsigned i = 0; i < g.opt.conns; i++)
			open += g.c[i].state == CS_WELCOMED;
		printf("HELD open=%u dropped=%u seconds=%.1f pings=%" PRIu64 " pongs=%" PRIu64 "\n",
		       open, g.closed_after, (double)(now_ns() - t) / 1e9, g.pings, g.pongs);
		fflush(stdout);
	}

	for (unsigned i = 0; i < g.opt.conns; i++)
		conn_release(&g.c[i]);
	free(g.c);
	close(g.ep);
	return g.welcomed == g.opt.conns ? 0 : 1;
}
