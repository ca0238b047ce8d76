/* chatload: the chat fan-out load generator (docs/BENCHMARKS.md), raw epoll, one thread.
 *
 * Opens N connections (WebSocket, telnet, IRC or a plain broadcast WebSocket), brings
 * each into the room (Carrier: log in or register through the BBS prompts, press C;
 * IRC: NICK/USER, JOIN after the MOTD; broadcast peers: the upgrade is all), then M of them talk:
 * at a total rate (--rate) or as fast as the server takes them (--window lines in
 * flight per sender, a line counting as delivered when a witness caller who does not
 * talk receives it).  Every line carries its sender, sequence number and send time
 * (CLOCK_MONOTONIC ns): "~B<sender>.<seq>.<ns>~xxxx".  Every receiver decodes its
 * transport, strips escape sequences, splits lines, finds the stamp after ": " (":"
 * for IRC, at the start for broadcast peers) and records the latency in a
 * log-linear histogram.  Counted: lines sent, deliveries, losses (sent x receivers -
 * delivered), `*** Missed N messages ***` notices (sum of N) and flood notices.
 *
 * Other modes: --echo (one caller types a character at the chat prompt every
 * --echo-ms and times its echo), --relogin (callers log in and hang up, over and
 * over, for --duration), --storm (N join at once, then all hang up at once).
 *
 * Latency is measured twice: from the send stamp to the moment this program's loop
 * read the bytes (lat_*: includes the generator's own queueing), and to the kernel's
 * receive timestamp of those bytes (lat_k_*: SO_TIMESTAMPNS, taken when the segment
 * reached the socket, so the generator's loop cannot inflate it).  Where one read
 * takes several segments the kernel reports one stamp for all (Linux: the last
 * segment's), so a line that arrived earlier in the same read is timed as late as
 * the read's newest bytes: lat_k errs, if at all, on the slow side.
 *
 * With --tls the WebSocket callers speak wss: OpenSSL on the client side over memory
 * BIOs (so the kernel's receive timestamps are still read with recvmsg), session
 * tickets not reused (every caller does a full handshake).
 *
 * It reports its own CPU time (getrusage); a run where it used over 70% of its core
 * is marked INVALID.  The last line is "RESULT k=v ..." (bench/chat.py reads it).
 */
#include <arpa/inet.h>
#include <errno.h>
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
#define LINE_MAX_BYTES 2048
#define ROOM_LINE_KEEP 160           /* bytes of a line kept in the room */
#define MAX_EVENTS 1024
#define MAX_SRC_ADDRS 64
#define HIST_SUB 64                 /* sub-buckets per power of two: ~1.6% */
#define HIST_BUCKETS (64 * HIST_SUB)

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum proto { P_WS, P_TELNET, P_IRC, P_WSB, P_SIO };
static const char *const proto_names[] = { "ws", "telnet", "irc", "wsb", "sio" };
#define N_PROTOS 5
#define MAX_PORTS 8                 /* --ports: servers of one cluster */

enum state {
	S_IDLE, S_CONNECTING, S_TLS, S_HANDSHAKE, S_LOGIN, S_ROOM, S_CLOSED,
};

enum role { R_RECEIVER, R_SENDER, R_SLOW, R_ECHO };

/* Telnet input decoder states */
enum tn { TN_DATA, TN_IAC, TN_OPT, TN_SB, TN_SB_IAC, TN_CR };

struct conn {
	int fd;
	uint8_t state, proto, role, step;
	uint8_t tn, tn_cmd;
	bool in_payload, witness, cr;
	/* WebSocket frame reader */
	uint8_t hdr[14], hdr_len, hdr_need, op;
	uint64_t remaining;
	/* handshake / telnet subnegotiation scratch */
	char *resp;
	uint16_t resp_len;
	char accept[29];
	/* the current line, escape sequences stripped */
	char *line;
	uint16_t line_len;
	uint8_t esc;                    /* 0 none, 1 after ESC, 2 in CSI, 3 in OSC/other */
	/* output not yet taken by the socket */
	uint8_t *out;
	uint32_t out_len, out_off;
	/* --tls: the client's TLS over memory BIOs (rbio: what was read; wbio: to send) */
	SSL *ssl;
	BIO *rbio, *wbio;
	/* sender */
	uint32_t seq, outstanding;
	uint64_t next_send, last_sent;
	/* echo probe */
	uint64_t echo_sent;
	uint32_t index;
	uint64_t t_start, t_room;
};

struct hist {
	uint64_t n, max, sum;
	uint64_t b[HIST_BUCKETS];
};

static struct {
	/* options */
	const char *host;
	int port, tport;
	double telnet_frac;
	enum proto proto;
	unsigned conns, senders, inflight, window, size, echo_ms;
	double rate, duration, warmup, timeout, slow_frac, drain;
	const char *prefix, *password, *ttype, *channel;
	unsigned first;
	bool do_register, echo, relogin, storm, self_echo, quiet, trace, aligned, tls;
	unsigned rooms;                 /* --rooms K: caller i joins room rm<i % K> */
	SSL_CTX *ssl_ctx;
	struct in_addr src[MAX_SRC_ADDRS];
	unsigned n_src;
	/* state */
	int ep;
	struct conn *c;
	struct sockaddr_in dst, tdst;
	unsigned started, inflight_now, in_room, failed, closed_in_room, logins;
	char first_error[200];
	uint64_t rng, t0, t_all_in, t_measure, t_stop;
	bool measuring, sending;
	volatile sig_atomic_t stop;
	/* counts */
	uint64_t sent, sent_measured, delivered, delivered_warm, missed, missed_notices,
	         flood_notices, bad_stamps, dup_or_late, bytes_in, refused, stalls;
	uint64_t cap_ns, old_stamps;
	unsigned run_id;
	struct rusage ru_measure, ru_stop;
	uint64_t expected;              /* sum over measured lines of its receivers */
	struct hist lat, lat_k, echo_lat;
	uint64_t rx_k;                  /* the current read's kernel timestamp (monotonic ns), 0 if none */
	uint64_t no_rx_k;               /* measured deliveries without one */
	unsigned receivers_now;         /* conns in the room that read */
	unsigned *room_receivers;       /* --rooms: those in each room */
	char req_head[400];
	size_t req_head_len;
	/* --ports P1,P2,...: caller i talks to server i % n_ports (a cluster's nodes) */
	unsigned n_ports;
	int ports[MAX_PORTS];
	struct sockaddr_in pdst[MAX_PORTS];
	char preq_head[MAX_PORTS][400];
	uint64_t delivered_port[MAX_PORTS];   /* measured deliveries to each server's callers */
	struct hist lat_k_cross;        /* kernel-time latency, sender and receiver on different servers */
} g;

static void count_receiver(const struct conn *c, int delta);

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_next(void)
{
	g.rng ^= g.rng >> 12;
	g.rng ^= g.rng << 25;
	g.rng ^= g.rng >> 27;
	return g.rng * 0x2545F4914F6CDD1DULL;
}

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...);
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "chatload: ");
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

/* ---- histogram (log-linear, ns) ---------------------------------------------- */

static unsigned hist_index(uint64_t v)
{
	if (v < HIST_SUB)
		return (unsigned)v;
	unsigned lz = (unsigned)__builtin_clzll(v);
	unsigned e = 63 - lz;                     /* v in [2^e, 2^(e+1)) */
	unsigned shift = e - 6;                   /* HIST_SUB == 2^6 */
	return (e - 5) * HIST_SUB + (unsigned)((v >> shift) - HIST_SUB);
}

static uint64_t hist_value(unsigned i)
{
	if (i < HIST_SUB)
		return i;
	unsigned e = i / HIST_SUB + 5, sub = i % HIST_SUB;
	unsigned shift = e - 6;
	/* middle of the bucket */
	return ((uint64_t)(HIST_SUB + sub) << shift) + ((1ull << shift) >> 1);
}

static void hist_add(struct hist *h, uint64_t v)
{
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
	h->b[hist_index(v)]++;
}

static uint64_t hist_pct(const struct hist *h, double p)
{
	if (h->n == 0)
		return 0;
	uint64_t rank = (uint64_t)(p * (double)h->n + 0.999999);
	if (rank == 0)
		rank = 1;
	uint64_t acc = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		acc += h->b[i];
		if (acc >= rank) {
			uint64_t v = hist_value(i);
			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}

/* ---- connection plumbing ------------------------------------------------------- */

static void conn_release(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	SSL_free(c->ssl);           /* and its BIOs */
	c->ssl = NULL;
	c->rbio = c->wbio = NULL;
	free(c->resp);
	free(c->line);
	free(c->out);
	c->resp = c->line = NULL;
	c->out = NULL;
	c->out_len = c->out_off = 0;
}

__attribute__((format(printf, 2, 3)))
static void conn_fail(struct conn *c, const char *fmt, ...)
{
	if (c->state == S_CLOSED)
		return;
	if (c->state == S_ROOM) {
		g.closed_in_room++;
		g.in_room--;
		count_receiver(c, -1);
	} else {
		g.failed++;
		if (c->state != S_IDLE)
			g.inflight_now--;
	}
	if (g.first_error[0] == '\0') {
		va_list ap;
		va_start(ap, fmt);
		int n = snprintf(g.first_error, sizeof(g.first_error), "conn %u: ", c->index);
		vsnprintf(g.first_error + n, sizeof(g.first_error) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	c->state = S_CLOSED;
	conn_release(c);
}

static void set_events(struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };
	if (epoll_ctl(g.ep, EPOLL_CTL_MOD, c->fd, &e) != 0)
		die("epoll_ctl: %s", strerror(errno));
}

static uint32_t read_events(const struct conn *c)
{
	return c->role == R_SLOW && c->state == S_ROOM ? 0 : EPOLLIN;
}

/* Bytes for the socket as they are (TLS records, or plain traffic). */
static bool sock_send(struct conn *c, const void *data, size_t len)
{
	if (c->out_len == 0) {
		ssize_t w = send(c->fd, data, len, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			conn_fail(c, "send: %s", strerror(errno));
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
	set_events(c, read_events(c) | EPOLLOUT);
	return true;
}

static bool send_cb(void *c, const void *data, size_t len)
{
	return sock_send(c, data, len);
}

/* What OpenSSL wrote into the memory BIO, to the socket. */
static bool tls_drain(struct conn *c)
{
	return tlsc_drain(c->wbio, send_cb, c);
}

/* Bytes of the protocol: encrypted first with --tls. */
static bool conn_send(struct conn *c, const void *data, size_t len)
{
	if (c->ssl == NULL)
		return sock_send(c, data, len);
	if (SSL_write(c->ssl, data, (int)len) != (int)len) {
		conn_fail(c, "SSL_write failed");
		return false;
	}
	return tls_drain(c);
}

static void conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			conn_fail(c, "send: %s", strerror(errno));
			return;
		}
		c->out_off += (uint32_t)w;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	set_events(c, read_events(c));
}

/* Terminal bytes the caller types, framed for its transport. */
static bool conn_type(struct conn *c, const char *text, size_t len)
{
	if (c->proto == P_WS || c->proto == P_WSB || c->proto == P_SIO) {
		uint8_t f[14 + LINE_MAX_BYTES];
		size_t h;
		if (len > LINE_MAX_BYTES)
			len = LINE_MAX_BYTES;
		f[0] = c->proto == P_WS ? 0x82 : 0x81;     /* binary terminal bytes; text */
		if (len < 126) {
			f[1] = (uint8_t)(0x80 | len);
			h = 2;
		} else {
			f[1] = 0x80 | 126;
			f[2] = (uint8_t)(len >> 8);
			f[3] = (uint8_t)len;
			h = 4;
		}
		uint32_t key = (uint32_t)rng_next();
		memcpy(f + h, &key, 4);
		for (size_t i = 0; i < len; i++)
			f[h + 4 + i] = (uint8_t)text[i] ^ f[h + (i & 3)];
		return conn_send(c, f, h + 4 + len);
	}
	return conn_send(c, text, len);     /* telnet: ASCII, no IAC; IRC: as is */
}

static void ws_control(struct conn *c, uint8_t op, const uint8_t *p, size_t len)
{
	uint8_t f[6 + 125];
	if (len > 125)
		len = 125;
	uint32_t key = (uint32_t)rng_next();
	f[0] = (uint8_t)(0x80 | op);
	f[1] = (uint8_t)(0x80 | len);
	memcpy(f + 2, &key, 4);
	for (size_t i = 0; i < len; i++)
		f[6 + i] = p[i] ^ f[2 + (i & 3)];
	conn_send(c, f, 6 + len);
}

/* ---- the room ---------------------------------------------------------------- */

static void handle_of(const struct conn *c, char *out, size_t size)
{
	snprintf(out, size, "%s%05u", g.prefix, g.first + c->index);
}

/* Those who read the lines said in c's room (all, without --rooms). */
static void count_receiver(const struct conn *c, int delta)
{
	if (c->role == R_SLOW || c->role == R_ECHO)
		return;
	g.receivers_now += (unsigned)delta;
	if (g.rooms > 0)
		g.room_receivers[c->index % g.rooms] += (unsigned)delta;
}

static unsigned receivers_of(const struct conn *c)
{
	return g.rooms > 0 ? g.room_receivers[c->index % g.rooms] : g.receivers_now;
}

static void entered_room(struct conn *c, uint64_t t)
{
	c->state = S_ROOM;
	c->t_room = t;
	g.in_room++;
	g.inflight_now--;
	g.logins++;
	count_receiver(c, 1);
	if (c->role == R_SLOW && c->out_len == 0)
		set_events(c, 0);
	if (g.relogin) {
		/* hang up and call again */
		c->state = S_CLOSED;
		g.in_room--;
		count_receiver(c, -1);
		conn_release(c);
		c->state = S_IDLE;
	}
}

/* Login script: the text to wait for, then what to type.  */
struct step {
	const char *expect;
	const char *send;       /* "%h" handle, "%p" password, else literal */
};

static const struct step login_steps[] = {
	{ "Enter your handle", "%h\r" },
	{ "Password", "%p\r" },
	{ "Command", "C" },
	{ "*** Welcome to", NULL },
};
static const struct step register_steps[] = {
	{ "Enter your handle", "NEW\r" },
	{ "Choose a handle", "%h\r" },
	{ "Choose a password", "%p\r" },
	{ "password again", "%p\r" },
	{ "calling from", "\r" },
	{ "Command", "C" },
	{ "*** Welcome to", NULL },
};
static const struct step login_rooms_steps[] = {
	{ "Enter your handle", "%h\r" },
	{ "Password", "%p\r" },
	{ "Command", "C" },
	{ "*** Welcome to", "/join %r\r" },
	{ "*** Welcome to rm", NULL },
};
static const struct step relogin_steps[] = {
	{ "Enter your handle", "%h\r" },
	{ "Password", "%p\r" },
	{ "Command", NULL },
};

static const struct step *steps(size_t *n)
{
	if (g.relogin) {
		*n = sizeof(relogin_steps) / sizeof(relogin_steps[0]);
		return relogin_steps;
	}
	if (g.do_register) {
		*n = sizeof(register_steps) / sizeof(register_steps[0]);
		return register_steps;
	}
	if (g.rooms > 0) {
		*n = sizeof(login_rooms_steps) / sizeof(login_rooms_steps[0]);
		return login_rooms_steps;
	}
	*n = sizeof(login_steps) / sizeof(login_steps[0]);
	return login_steps;
}

static void send_step(struct conn *c, const char *tmpl)
{
	char out[256], h[32];
	size_t n = 0;
	handle_of(c, h, sizeof(h));
	for (const char *p = tmpl; *p && n < sizeof(out) - 40; p++) {
		if (p[0] == '%' && p[1] == 'h') {
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", h);
			p++;
		} else if (p[0] == '%' && p[1] == 'p') {
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", g.password);
			p++;
		} else if (p[0] == '%' && p[1] == 'r') {
			n += (size_t)snprintf(out + n, sizeof(out) - n, "rm%u", c->index % g.rooms);
			p++;
		} else {
			out[n++] = *p;
		}
	}
	conn_type(c, out, n);
}

/* Check the login script against the current (partial) line. */
static void login_progress(struct conn *c, uint64_t t)
{
	size_t n;
	const struct step *st = steps(&n);
	while (c->state == S_LOGIN && c->step < n) {
		const char *e = st[c->step].expect;
		if (memmem(c->line, c->line_len, e, strlen(e)) == NULL) {
			if ((c->proto == P_TELNET) && memmem(c->line, c->line_len, "Press 1 or 2", 12)) {
				conn_type(c, "1", 1);
				c->line_len = 0;
			}
			return;
		}
		c->line_len = 0;        /* consumed: a later step must match newer text */
		if (st[c->step].send)
			send_step(c, st[c->step].send);
		if (c->state == S_CLOSED)
			return;
		c->step++;
		if (c->step == n)
			entered_room(c, t);
	}
}

/* "<hex run>.<sender>.<seq>.<ns>~" */
static bool parse_stamp(const char *p, unsigned *run, unsigned long *sender, unsigned long *seq,
                        unsigned long long *ns)
{
	uint64_t v[4] = { 0 };
	for (int k = 0; k < 4; k++) {
		const char *start = p;
		for (;; p++) {
			unsigned d;
			if (*p >= '0' && *p <= '9')
				d = (unsigned)(*p - '0');
			else if (k == 0 && *p >= 'a' && *p <= 'f')
				d = (unsigned)(*p - 'a' + 10);
			else
				break;
			v[k] = v[k] * (k == 0 ? 16 : 10) + d;
		}
		if (p == start || *p++ != (k == 3 ? '~' : '.'))
			return false;
	}
	*run = (unsigned)v[0];
	*sender = (unsigned long)v[1];
	*seq = (unsigned long)v[2];
	*ns = (unsigned long long)v[3];
	return true;
}

/* A line arrived in the room. */
static void on_stamp(struct conn *c, const char *p, size_t len, uint64_t t)
{
	/* "~B<sender>.<seq>.<ns>~" (measured) or "~W..." (warm-up) */
	bool measured = p[1] == 'B';
	unsigned long sender = 0, seq = 0;
	unsigned long long ns = 0;
	char buf[64];
	size_t k = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
	memcpy(buf, p + 2, k > 2 ? k - 2 : 0);
	buf[k > 2 ? k - 2 : 0] = '\0';
	unsigned run = 0;
	if (!parse_stamp(buf, &run, &sender, &seq, &ns) || sender >= g.conns || ns > t) {
		g.bad_stamps++;
		return;
	}
	if (run != g.run_id) {
		/* scrollback from an earlier run */
		g.old_stamps++;
		g.bad_stamps++;
		return;
	}
	if (c->witness) {
		struct conn *s = &g.c[sender];
		if (s->outstanding > 0)
			s->outstanding--;
	}
	if (c->role == R_SLOW)
		return;
	if (!measured) {
		g.delivered_warm++;
		return;
	}
	g.delivered++;
	hist_add(&g.lat, t - ns);
	if (g.rx_k >= ns)
		hist_add(&g.lat_k, g.rx_k - ns);
	else
		g.no_rx_k++;
	if (g.n_ports > 0) {
		g.delivered_port[c->index % g.n_ports]++;
		if (sender % g.n_ports != c->index % g.n_ports && g.rx_k >= ns)
			hist_add(&g.lat_k_cross, g.rx_k - ns);
	}
}

static void on_line(struct conn *c, uint64_t t)
{
	const char *l = c->line;
	size_t n = c->line_len;
	if (c->state == S_LOGIN) {
		login_progress(c, t);
		c->line_len = 0;
		return;
	}
	c->line_len = 0;
	if (c->state != S_ROOM || n < 3)
		return;
	if (c->proto == P_IRC && n > 5 && memcmp(l, "PING ", 5) == 0) {
		char pong[256];
		int k = snprintf(pong, sizeof(pong), "PONG %.*s\r\n", (int)(n - 5 > 200 ? 200 : n - 5), l + 5);
		conn_send(c, pong, (size_t)k);
		return;
	}
	const char *m = memchr(l, '~', n);
	while (m != NULL) {
		size_t pos = (size_t)(m - l);
		if (pos + 2 < n && (m[1] == 'B' || m[1] == 'W')) {
			bool ok = (pos >= 2 && l[pos - 2] == ':' && l[pos - 1] == ' ') ||
			          (c->proto == P_IRC && pos >= 1 && l[pos - 1] == ':') ||
			          (c->proto == P_WSB && pos == 0) ||
			          (c->proto == P_SIO && pos >= 1 && l[pos - 1] == '"');
			if (ok) {
				on_stamp(c, m, n - pos, t);
				return;
			}
		}
		m = memchr(m + 1, '~', n - pos - 1);
	}
	const char *x = memmem(l, n, "*** Missed ", 11);
	if (x != NULL) {
		g.missed_notices++;
		g.missed += strtoull(x + 11, NULL, 10);
		return;
	}
	x = memmem(l, n, "Slow down! ", 11);
	if (x != NULL) {
		/* "*** Slow down! N lines were not sent ***": the room refused them */
		uint64_t k = strtoull(x + 11, NULL, 10);
		g.flood_notices++;
		g.refused += k;
		c->outstanding = c->outstanding > k ? c->outstanding - (uint32_t)k : 0;
		if (g.measuring || g.t_stop)
			g.expected -= k * g.receivers_now < g.expected ? k * g.receivers_now : g.expected;
	}
}

/* Terminal bytes (transport decoded): strip escapes, split lines. */
static void term_bytes(struct conn *c, const uint8_t *p, size_t len, uint64_t t)
{
	if (c->role == R_ECHO && c->state == S_ROOM && c->echo_sent) {
		if (memchr(p, 'a', len)) {
			hist_add(&g.echo_lat, t - c->echo_sent);
			c->echo_sent = 0;
		}
		return;
	}
	if (c->line == NULL) {
		c->line = malloc(LINE_MAX_BYTES);
		if (c->line == NULL)
			die("out of memory");
	}
	/* in the room only the head of a line matters (the stamp, a notice) */
	size_t keep = c->state == S_ROOM ? ROOM_LINE_KEEP : LINE_MAX_BYTES;
	size_t i = 0;
	while (i < len) {
		uint8_t b = p[i];
		if (c->line_len >= keep && b != '\n') {
			/* the rest of this line does not matter: jump to its end */
			const uint8_t *nl = memchr(p + i, '\n', len - i);
			c->esc = 0;
			if (nl == NULL)
				break;
			i = (size_t)(nl - p);
			continue;
		}
		if (c->esc) {
			if (c->esc == 1)
				c->esc = b == '[' ? 2 : (b == ']' ? 3 : 0);
			else if (c->esc == 2 && b >= 0x40 && b <= 0x7e)
				c->esc = 0;
			else if (c->esc == 3 && (b == 0x07 || b == 0x1b))
				c->esc = 0;
			i++;
			continue;
		}
		if (b >= 0x20) {
			/* a run of printable bytes */
			size_t j = i + 1;
			while (j < len && p[j] >= 0x20)
				j++;
			if (c->cr)
				c->line_len = 0;
			c->cr = false;
			size_t n = j - i;
			if (c->line_len + n > keep)
				n = keep > c->line_len ? keep - c->line_len : 0;
			memcpy(c->line + c->line_len, p + i, n);
			c->line_len = (uint16_t)(c->line_len + n);
			i = j;
			continue;
		}
		i++;
		if (b == 0x1b) {
			c->esc = 1;
		} else if (b == '\n') {
			c->cr = false;
			on_line(c, t);
			if (c->state == S_CLOSED || c->state == S_IDLE)
				return;
			keep = c->state == S_ROOM ? ROOM_LINE_KEEP : LINE_MAX_BYTES;
		} else if (b == '\r' || b == 0) {
			/* a bare CR starts the line over (the room does that over its prompt) */
			if (c->state != S_LOGIN && c->proto != P_IRC)
				c->cr = true;
		}
	}
	if (c->state == S_LOGIN)
		login_progress(c, t);
}

/* ---- telnet ------------------------------------------------------------------------ */

enum { IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240 };
enum { TO_BINARY = 0, TO_ECHO = 1, TO_SGA = 3, TO_TTYPE = 24, TO_NAWS = 31 };

static void telnet_option(struct conn *c, uint8_t cmd, uint8_t opt)
{
	uint8_t r[3] = { IAC, 0, opt };
	if (cmd == WILL)
		r[1] = (opt == TO_ECHO || opt == TO_SGA || opt == TO_BINARY) ? DO : DONT;
	else if (cmd == DO)
		r[1] = (opt == TO_TTYPE || opt == TO_NAWS || opt == TO_BINARY || opt == TO_SGA) ? WILL : WONT;
	else
		return;                     /* WONT/DONT: nothing to say for our options */
	conn_send(c, r, 3);
	if (cmd == DO && opt == TO_NAWS) {
		static const uint8_t naws[] = { IAC, SB, TO_NAWS, 0, 80, 0, 24, IAC, SE };
		conn_send(c, naws, sizeof(naws));
	}
}

static void telnet_sb_end(struct conn *c)
{
	/* resp holds the subnegotiation: TTYPE SEND is 24 1 */
	if (c->resp_len >= 2 && (uint8_t)c->resp[0] == TO_TTYPE && c->resp[1] == 1) {
		uint8_t r[64];
		size_t n = 0, tl = strlen(g.ttype);
		r[n++] = IAC; r[n++] = SB; r[n++] = TO_TTYPE; r[n++] = 0;
		memcpy(r + n, g.ttype, tl);
		n += tl;
		r[n++] = IAC; r[n++] = SE;
		conn_send(c, r, n);
	}
	c->resp_len = 0;
}

static void telnet_bytes(struct conn *c, const uint8_t *p, size_t len, uint64_t t)
{
	uint8_t data[4096];
	size_t n = 0;
	if (c->resp == NULL && (c->resp = malloc(64)) == NULL)
		die("out of memory");
	for (size_t i = 0; i < len && c->state != S_CLOSED && c->state != S_IDLE; i++) {
		uint8_t b = p[i];
		switch (c->tn) {
		case TN_DATA:
			if (b == IAC) {
				c->tn = TN_IAC;
			} else {
				/* a run of data bytes goes through uncopied */
				const uint8_t *iac = memchr(p + i, IAC, len - i);
				size_t run = iac ? (size_t)(iac - (p + i)) : len - i;
				if (n > 0) {
					term_bytes(c, data, n, t);
					n = 0;
					if (c->state == S_CLOSED || c->state == S_IDLE)
						return;
				}
				term_bytes(c, p + i, run, t);
				i += run - 1;
			}
			break;
		case TN_IAC:
			if (b == IAC) {
				data[n++] = b;
				c->tn = TN_DATA;
			} else if (b == SB) {
				c->tn = TN_SB;
				c->resp_len = 0;
			} else if (b >= WILL && b <= DONT) {
				c->tn_cmd = b;
				c->tn = TN_OPT;
			} else {
				c->tn = TN_DATA;
			}
			break;
		case TN_OPT:
			telnet_option(c, c->tn_cmd, b);
			c->tn = TN_DATA;
			break;
		case TN_SB:
			if (b == IAC)
				c->tn = TN_SB_IAC;
			else if (c->resp_len < 64)
				c->resp[c->resp_len++] = (char)b;
			break;
		case TN_SB_IAC:
			if (b == SE) {
				telnet_sb_end(c);
				c->tn = TN_DATA;
			} else {
				if (c->resp_len < 64)
					c->resp[c->resp_len++] = (char)b;
				c->tn = TN_SB;
			}
			break;
		default:
			c->tn = TN_DATA;
		}
		if (n == sizeof(data)) {
			term_bytes(c, data, n, t);
			n = 0;
		}
	}
	if (n > 0 && c->state != S_CLOSED && c->state != S_IDLE)
		term_bytes(c, data, n, t);
}

/* ---- WebSocket ------------------------------------------------------------------- */

static void expected_accept(const char *key, char out[29])
{
	char cat[24 + sizeof(WS_GUID)];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	snprintf(cat, sizeof(cat), "%s%s", key, WS_GUID);
	if (!EVP_Digest(cat, strlen(cat), md, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
		die("SHA-1 failed");
	EVP_EncodeBlock((unsigned char *)out, md, 20);
}

static void ws_request(struct conn *c)
{
	uint8_t raw[16];
	char key[25];
	for (int i = 0; i < 16; i += 8) {
		uint64_t r = rng_next();
		memcpy(raw + i, &r, 8);
	}
	EVP_EncodeBlock((unsigned char *)key, raw, 16);
	expected_accept(key, c->accept);
	char req[sizeof(g.req_head) + 64];
	const char *head = g.n_ports > 0 ? g.preq_head[c->index % g.n_ports] : g.req_head;
	int n = snprintf(req, sizeof(req), "%s%s\r\nSec-WebSocket-Version: 13\r\n\r\n", head, key);
	conn_send(c, req, (size_t)n);
}

/* Returns bytes used by the response head, or -1 on failure. */
static ssize_t ws_handshake(struct conn *c, const uint8_t *p, size_t len, uint64_t t)
{
	if (c->resp == NULL && (c->resp = malloc(2049)) == NULL)
		die("out of memory");
	for (size_t i = 0; i < len; i++) {
		if (c->resp_len == 2048) {
			conn_fail(c, "response head too long");
			return -1;
		}
		c->resp[c->resp_len++] = (char)p[i];
		if (c->resp_len >= 4 && memcmp(c->resp + c->resp_len - 4, "\r\n\r\n", 4) == 0) {
			c->resp[c->resp_len] = '\0';
			if (strncmp(c->resp, "HTTP/1.1 101", 12) != 0 ||
			    strcasestr(c->resp, c->accept) == NULL) {
				conn_fail(c, "bad handshake: %.40s", c->resp);
				return -1;
			}
			free(c->resp);
			c->resp = NULL;
			c->resp_len = 0;
			c->state = S_LOGIN;
			if (c->proto == P_WSB)
				entered_room(c, t);
			return (ssize_t)i + 1;
		}
	}
	return (ssize_t)len;
}

/* Socket.IO (Engine.IO v4 over WebSocket, the default namespace): "0{...}" open ->
 * connect the namespace with "40"; "40{...}" connected: in the room; "2" ping ->
 * "3" pong; "42[\"m\",\"~B...~xxx\"]" a line.  Collected in c->resp. */
static void sio_packet(struct conn *c, uint64_t t)
{
	const char *m = c->resp;
	size_t n = c->resp_len;
	c->resp_len = 0;
	if (n >= 1 && m[0] == '0') {
		conn_type(c, "40", 2);
	} else if (n >= 2 && m[0] == '4' && m[1] == '0') {
		if (c->state == S_LOGIN)
			entered_room(c, t);
	} else if (n == 1 && m[0] == '2') {
		conn_type(c, "3", 1);
	} else if (n >= 2 && m[0] == '4' && m[1] == '2' && c->state == S_ROOM) {
		if (c->line == NULL && (c->line = malloc(LINE_MAX_BYTES)) == NULL)
			die("out of memory");
		size_t k = n < ROOM_LINE_KEEP ? n : ROOM_LINE_KEEP;
		memcpy(c->line, m, k);
		c->line_len = (uint16_t)k;
		on_line(c, t);
	}
}

static void ws_bytes(struct conn *c, const uint8_t *p, size_t len, uint64_t t)
{
	while (len > 0 && c->state != S_CLOSED && c->state != S_IDLE) {
		if (!c->in_payload) {
			c->hdr[c->hdr_len++] = *p++;
			len--;
			if (c->hdr_len == 2) {
				uint8_t l7 = c->hdr[1] & 0x7f;
				c->hdr_need = (uint8_t)(2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0));
				if (c->hdr[1] & 0x80) {
					conn_fail(c, "masked server frame");
					return;
				}
			}
			if (c->hdr_len >= 2 && c->hdr_len == c->hdr_need) {
				uint64_t l = c->hdr[1] & 0x7f;
				if (l == 126)
					l = (uint64_t)c->hdr[2] << 8 | c->hdr[3];
				else if (l == 127)
					for (int i = 2, k = 0; k < 8; i++, k++)
						l = (k == 0 ? 0 : l << 8) | c->hdr[i];
				c->op = c->hdr[0] & 0x0f;
				c->remaining = l;
				c->hdr_len = 0;
				c->in_payload = true;
				if (c->op >= 8) {
					if (c->resp == NULL && (c->resp = malloc(2049)) == NULL)
						die("out of memory");
					c->resp_len = 0;
				}
				if (l == 0)
					goto frame_end;
			}
			continue;
		}
		size_t k = len < c->remaining ? len : (size_t)c->remaining;
		if (c->op >= 8) {
			memcpy(c->resp + c->resp_len, p, k);
			c->resp_len = (uint16_t)(c->resp_len + k);
		} else if (c->proto == P_SIO) {
			/* an Engine.IO packet: its head is all that matters */
			if (c->resp == NULL && (c->resp = malloc(2049)) == NULL)
				die("out of memory");
			size_t room = c->resp_len < 2048 ? 2048 - c->resp_len : 0;
			size_t take = k < room ? k : room;
			memcpy(c->resp + c->resp_len, p, take);
			c->resp_len = (uint16_t)(c->resp_len + take);
		} else if (c->op != 1 || c->proto == P_WSB) {
			term_bytes(c, p, k, t);     /* text frames from Carrier are control JSON */
		}
		p += k;
		len -= k;
		c->remaining -= k;
		if (c->remaining > 0)
			continue;
frame_end:
		c->in_payload = false;
		if (c->op == 9) {
			ws_control(c, 0xA, (const uint8_t *)c->resp, c->resp_len);
		} else if (c->op == 8) {
			conn_fail(c, "close frame");
			return;
		} else if (c->proto == P_WSB && (c->hdr[0] & 0x80) && c->op < 8) {
			; /* message boundaries: handled below */
		}
		if (c->proto == P_WSB && c->op < 8 && c->state == S_ROOM)
			term_bytes(c, (const uint8_t *)"\n", 1, t);
		if (c->proto == P_SIO && c->op < 8)
			sio_packet(c, t);
	}
}

/* ---- IRC ---------------------------------------------------------------------- */

static void irc_bytes(struct conn *c, const uint8_t *p, size_t len, uint64_t t)
{
	if (c->state == S_LOGIN) {
		/* wait for the end of our JOIN's NAMES list (366), answer PINGs meanwhile */
		for (size_t i = 0; i < len; i++) {
			if (c->line == NULL && (c->line = malloc(LINE_MAX_BYTES)) == NULL)
				die("out of memory");
			if (p[i] == '\n') {
				char *l = c->line;
				size_t n = c->line_len;
				c->line_len = 0;
				if (n > 5 && memcmp(l, "PING ", 5) == 0) {
					char pong[256];
					int k = snprintf(pong, sizeof(pong), "PONG %.*s\n", (int)(n - 5 > 200 ? 200 : n - 5), l + 5);
					conn_send(c, pong, (size_t)k);
					continue;
				}
				/* the command (or numeric) is the token after the prefix */
				const char *sp = n > 0 && l[0] == ':' ? memchr(l, ' ', n) : NULL;
				const char *cmd = sp ? sp + 1 : l;
				size_t rest = n - (size_t)(cmd - l);
				if (rest >= 4 && (memcmp(cmd, "376 ", 4) == 0 || memcmp(cmd, "422 ", 4) == 0)) {
					/* registered (end of MOTD, or none): now JOIN.  Sent any
					 * earlier, InspIRCd refuses it (451: not registered yet). */
					char join[96];
					int k = snprintf(join, sizeof(join), "JOIN %s\r\n", g.channel);
					conn_send(c, join, (size_t)k);
					continue;
				}
				if (rest >= 4 && memcmp(cmd, "366 ", 4) == 0) {
					entered_room(c, t);
					if (c->state != S_ROOM)
						return;
					term_bytes(c, p + i + 1, len - i - 1, t);
					return;
				} else if ((rest >= 4 && (memcmp(cmd, "433 ", 4) == 0 || memcmp(cmd, "465 ", 4) == 0 ||
				                          memcmp(cmd, "451 ", 4) == 0)) ||
				           (n >= 5 && memcmp(l, "ERROR", 5) == 0)) {
					conn_fail(c, "IRC: %.*s", (int)(n > 120 ? 120 : n), l);
					return;
				}
			} else if (p[i] != '\r' && c->line_len < LINE_MAX_BYTES) {
				c->line[c->line_len++] = (char)p[i];
			}
		}
		return;
	}
	term_bytes(c, p, len, t);
}

/* ---- connect ----------------------------------------------------------------------- */

static void conn_start(struct conn *c, uint64_t t)
{
	uint32_t index = c->index;
	uint8_t role = c->role, proto = c->proto;
	bool witness = c->witness;
	memset(c, 0, sizeof(*c));
	c->index = index;
	c->role = role;
	c->proto = proto;
	c->witness = witness;
	c->fd = -1;
	c->t_start = t;
	c->state = S_CONNECTING;
	g.inflight_now++;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		conn_fail(c, "socket: %s", strerror(errno));
		return;
	}
	c->fd = fd;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (g.n_src > 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		sa.sin_addr = g.src[index % g.n_src];
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			conn_fail(c, "bind: %s", strerror(errno));
			return;
		}
	}
	struct epoll_event e = { .events = EPOLLOUT | EPOLLIN, .data.ptr = c };
	if (epoll_ctl(g.ep, EPOLL_CTL_ADD, fd, &e) != 0)
		die("epoll_ctl: %s", strerror(errno));
	const struct sockaddr_in *dst = c->proto == P_TELNET ? &g.tdst : &g.dst;
	if (g.n_ports > 0)
		dst = &g.pdst[c->index % g.n_ports];
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) != 0 && errno != EINPROGRESS)
		conn_fail(c, "connect: %s", strerror(errno));
}

/* The TLS handshake, stepped by what arrived; at its end, the WebSocket's. */
static void tls_step(struct conn *c)
{
	int r = SSL_do_handshake(c->ssl);
	if (!tls_drain(c))
		return;
	if (r == 1) {
		c->state = S_HANDSHAKE;
		ws_request(c);
		return;
	}
	int e = SSL_get_error(c->ssl, r);
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
		char why[120];
		ERR_error_string_n(ERR_get_error(), why, sizeof(why));
		conn_fail(c, "TLS handshake: %s", why);
	}
}

static void conn_connected(struct conn *c, uint64_t t)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		conn_fail(c, "connect: %s", strerror(err));
		return;
	}
	set_events(c, EPOLLIN);
	if (g.tls && (c->proto == P_WS || c->proto == P_WSB)) {
		c->ssl = tlsc_new(g.ssl_ctx, &c->rbio, &c->wbio);
		if (c->ssl == NULL)
			die("out of memory (TLS)");
		c->state = S_TLS;
		tls_step(c);
		return;
	}
	switch (c->proto) {
	case P_WS:
	case P_WSB:
	case P_SIO:
		c->state = S_HANDSHAKE;
		ws_request(c);
		break;
	case P_TELNET:
		c->state = S_LOGIN;
		break;
	case P_IRC: {
		char h[32], msg[256];
		handle_of(c, h, sizeof(h));
		int n = snprintf(msg, sizeof(msg), "NICK %s\r\nUSER %s 0 * :bench\r\n", h, h);
		c->state = S_LOGIN;
		conn_send(c, msg, (size_t)n);
		break;
	}
	}
	(void)t;
}

/* The kernel's receive timestamp in a recvmsg's control data (CLOCK_REALTIME), as
 * CLOCK_MONOTONIC ns; 0 if there is none. */
static uint64_t rx_timestamp(struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		struct timespec rx, real, mono;
		memcpy(&rx, CMSG_DATA(cm), sizeof(rx));
		clock_gettime(CLOCK_REALTIME, &real);
		clock_gettime(CLOCK_MONOTONIC, &mono);
		int64_t off = ((int64_t)real.tv_sec - mono.tv_sec) * 1000000000 +
		              (real.tv_nsec - mono.tv_nsec);
		int64_t k = (int64_t)rx.tv_sec * 1000000000 + rx.tv_nsec - off;
		return k > 0 ? (uint64_t)k : 0;
	}
	return 0;
}

/* Bytes of the protocol (decrypted, with --tls). */
static void received(struct conn *c, const uint8_t *p, size_t len, uint64_t t)
{
	if (g.trace && c->index == 0)
		fwrite(p, 1, len, stderr);
	if (c->state == S_HANDSHAKE) {
		ssize_t used = ws_handshake(c, p, len, t);
		if (used < 0)
			return;
		p += used;
		len -= (size_t)used;
	}
	if (len == 0)
		return;
	switch (c->proto) {
	case P_WS:
	case P_WSB:
	case P_SIO: ws_bytes(c, p, len, t); break;
	case P_TELNET: telnet_bytes(c, p, len, t); break;
	case P_IRC: irc_bytes(c, p, len, t); break;
	}
}

static void conn_readable(struct conn *c, uint64_t t)
{
	static uint8_t rbuf[65536];
	union { char buf[CMSG_SPACE(sizeof(struct timespec)) * 2]; struct cmsghdr align; } ctl;
	for (;;) {
		struct iovec iov = { rbuf, sizeof(rbuf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
		                     .msg_controllen = sizeof(ctl.buf) };
		ssize_t n = recvmsg(c->fd, &mh, 0);
		g.rx_k = n > 0 ? rx_timestamp(&mh) : 0;
		if (n == 0) {
			conn_fail(c, "EOF in state %d step %d", c->state, c->step);
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			conn_fail(c, "recv: %s", strerror(errno));
			return;
		}
		g.bytes_in += (uint64_t)n;
		if (c->ssl == NULL) {
			received(c, rbuf, (size_t)n, t);
		} else {
			/* TLS: into OpenSSL, and whatever it decrypts onward. */
			BIO_write(c->rbio, rbuf, (int)n);
			if (c->state == S_TLS)
				tls_step(c);
			static uint8_t plain[65536];
			int k;
			while (c->ssl != NULL && c->state != S_TLS && c->state != S_CLOSED &&
			       (k = SSL_read(c->ssl, plain, sizeof(plain))) > 0)
				received(c, plain, (size_t)k, t);
			if (c->ssl != NULL && c->state != S_CLOSED)
				tls_drain(c);      /* e.g. an answer to a key update */
		}
		if (c->state == S_CLOSED || c->state == S_IDLE)
			return;
		if ((size_t)n < sizeof(rbuf))
			return;
	}
}

static void conn_event(struct conn *c, uint32_t ev, uint64_t t)
{
	if (c->state == S_CLOSED || c->state == S_IDLE)
		return;
	if (c->state == S_CONNECTING) {
		if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_connected(c, t);
		return;
	}
	if (ev & EPOLLIN)
		conn_readable(c, t);
	if (c->state == S_CLOSED || c->state == S_IDLE)
		return;
	if ((ev & EPOLLOUT) && c->out_len > 0)
		conn_flush(c);
	if (c->state != S_CLOSED && (ev & (EPOLLERR | EPOLLHUP)) && !(ev & EPOLLIN))
		conn_fail(c, "hangup");
}

/* ---- talking ------------------------------------------------------------------------- */

static void say(struct conn *c, uint64_t t)
{
	char text[LINE_MAX_BYTES + 4];
	int n = snprintf(text, sizeof(text), "~%c%x.%u.%u.%" PRIu64 "~", g.measuring ? 'B' : 'W',
	                 g.run_id, c->index, c->seq++, t);
	size_t len = (size_t)n;
	while (len < g.size && len < LINE_MAX_BYTES)
		text[len++] = 'x';
	if (g.proto == P_IRC) {
		char msg[LINE_MAX_BYTES + 64];
		int k = snprintf(msg, sizeof(msg), "PRIVMSG %s :%.*s\r\n", g.channel, (int)len, text);
		conn_send(c, msg, (size_t)k);
	} else if (c->proto == P_SIO) {
		char msg[LINE_MAX_BYTES + 32];
		int k = snprintf(msg, sizeof(msg), "42[\"m\",\"%.*s\"]", (int)len, text);
		conn_type(c, msg, (size_t)k);
	} else {
		text[len++] = '\r';
		if (c->proto == P_WSB)
			len--;
		conn_type(c, text, len);
	}
	g.sent++;
	c->outstanding++;
	if (g.measuring) {
		g.sent_measured++;
		/* everyone reading in the room, the sender too unless the server echoes
		 * nobody their own lines (IRC) */
		g.expected += receivers_of(c) - (g.self_echo || c->role != R_SENDER ? 0 : 1);
	}
}

/* Returns the ms until the next line is due (-1: none pending by time). */
static int talk(uint64_t t)
{
	int wait = -1;
	for (unsigned i = 0; i < g.conns; i++) {
		struct conn *c = &g.c[i];
		if (c->role != R_SENDER || c->state != S_ROOM)
			continue;
		if (g.rate <= 0) {
			/* a line the room dropped without a word never comes back: after a
			 * second without progress the window opens again */
			if (c->outstanding >= g.window && t - c->last_sent > 1000000000u) {
				g.stalls++;
				c->outstanding = 0;
			}
			while (c->outstanding < g.window && c->state == S_ROOM &&
			       (g.cap_ns == 0 || t >= c->next_send)) {
				say(c, t);
				c->last_sent = t;
				if (g.cap_ns)
					c->next_send = (c->next_send + g.cap_ns > t ? c->next_send : t) + g.cap_ns;
			}
			if (g.cap_ns && c->outstanding < g.window && c->next_send > t) {
				int ms = (int)((c->next_send - t) / 1000000);
				if (wait < 0 || ms < wait)
					wait = ms;
			}
			continue;
		}
		double interval = (double)g.senders / g.rate * 1e9;
		unsigned burst = 0;
		/* Phases spread over the interval: the room hears a line every
		 * 1/rate s, not `senders` lines at once (unless --aligned). */
		if (c->next_send == 0)
			c->next_send = t + (g.aligned ? 0 : (uint64_t)(interval * c->index / g.senders));
		while (c->next_send <= t && burst++ < 4 && c->state == S_ROOM) {
			say(c, t);
			c->next_send += (uint64_t)interval;
		}
		if (c->next_send <= t)
			c->next_send = t + (uint64_t)interval;   /* behind: do not bunch up */
		int ms = (int)((c->next_send - t) / 1000000);
		if (wait < 0 || ms < wait)
			wait = ms;
	}
	return wait;
}

static void echo_probe(uint64_t t)
{
	for (unsigned i = 0; i < g.conns; i++) {
		struct conn *c = &g.c[i];
		if (c->role != R_ECHO || c->state != S_ROOM)
			continue;
		if (c->echo_sent == 0 && t >= c->next_send) {
			/* type "a", later erase it: the line never grows */
			if (c->seq++ % 2)
				conn_type(c, "\x7f", 1);
			c->echo_sent = t;
			conn_type(c, "a", 1);
			c->next_send = t + (uint64_t)g.echo_ms * 1000000u;
		}
	}
}

/* ---- main loop ------------------------------------------------------------------ */

static void check_timeouts(uint64_t t)
{
	uint64_t limit = (uint64_t)(g.timeout * 1e9);
	for (unsigned i = 0; i < g.conns; i++) {
		struct conn *c = &g.c[i];
		if (c->state >= S_CONNECTING && c->state <= S_LOGIN && t - c->t_start > limit)
			conn_fail(c, "timeout in state %d step %d (line: %.*s)", c->state, c->step,
			          c->line ? (int)(c->line_len > 80 ? 80 : c->line_len) : 0,
			          c->line ? c->line : "");
	}
}

/* One epoll_wait and its events.  While talking at a rate, the senders get their turn
 * every 32 events too: a line falls due on time even while a burst of deliveries is
 * being read (else every sender behind at once would send at once, and the bursts
 * would be the generator's, not the room's). */
static int talk(uint64_t t);

static void poll_once(int timeout, bool talking)
{
	struct epoll_event evs[MAX_EVENTS];
	int n = epoll_wait(g.ep, evs, MAX_EVENTS, timeout);
	if (n < 0) {
		if (errno == EINTR)
			return;
		die("epoll_wait: %s", strerror(errno));
	}
	uint64_t t = now_ns();
	for (int i = 0; i < n; i++) {
		if (i > 0 && i % 32 == 0) {
			t = now_ns();
			if (talking && g.rate > 0)
				talk(t);
		}
		conn_event(evs[i].data.ptr, evs[i].events, t);
	}
}

/* Bring everyone in (or, with --relogin, keep calling until `until`). */
static void establish(uint64_t until)
{
	uint64_t last_check = now_ns(), last_progress = last_check;
	unsigned next = 0;
	while (!g.stop) {
		uint64_t t = now_ns();
		while (g.inflight_now < g.inflight) {
			if (g.relogin) {
				/* find an idle slot */
				unsigned k;
				for (k = 0; k < g.conns && g.c[(next + k) % g.conns].state != S_IDLE; k++)
					;
				if (k == g.conns)
					break;
				next = (next + k) % g.conns;
				conn_start(&g.c[next], t);
				next = (next + 1) % g.conns;
			} else if (g.started < g.conns) {
				conn_start(&g.c[g.started++], t);
			} else {
				break;
			}
		}
		if (!g.relogin && g.in_room + g.failed + g.closed_in_room >= g.conns)
			return;
		if (until && t >= until)
			return;
		if (g.relogin)
			echo_probe(t);
		poll_once(g.relogin ? 1 : 50, false);
		t = now_ns();
		if (t - last_check > 200000000u) {
			check_timeouts(t);
			last_check = t;
		}
		if (!g.quiet && t - last_progress > 1000000000u) {
			fprintf(stderr, "chatload: %u in the room, %u failed, %u in flight\n", g.in_room,
			        g.failed, g.inflight_now);
			last_progress = t;
		}
	}
}

static void run_for(uint64_t until, bool talking)
{
	while (!g.stop) {
		uint64_t t = now_ns();
		if (t >= until)
			return;
		int wait = 100;
		if (talking) {
			int w = talk(t);
			if (w >= 0 && w < wait)
				wait = w;
		}
		if (g.echo) {
			echo_probe(t);
			wait = 1;
		}
		uint64_t left_ms = (until - t) / 1000000 + 1;
		if ((uint64_t)wait > left_ms)
			wait = (int)left_ms;
		poll_once(wait, talking);
	}
}

/* Wait until every expected delivery arrived or nothing arrives for `quiet_s`. */
static void drain(double max_s)
{
	uint64_t t = now_ns(), until = t + (uint64_t)(max_s * 1e9), last = t;
	uint64_t seen = g.delivered + g.missed;
	while (!g.stop && now_ns() < until) {
		if (g.delivered + g.missed >= g.expected)
			return;
		poll_once(20, false);
		t = now_ns();
		if (g.delivered + g.missed != seen) {
			seen = g.delivered + g.missed;
			last = t;
		} else if (t - last > 1000000000u) {
			return;
		}
	}
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void report(double measured_s, double establish_s, double wall_s)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
	double busy = wall_s > 0 ? 100 * cpu / wall_s : 0;
	/* while lines flowed, if they did: that is when the generator must keep up */
	double mcpu = 0, mbusy = busy;
	if (g.t_stop && measured_s > 0) {
		mcpu = tv_s(g.ru_stop.ru_utime) + tv_s(g.ru_stop.ru_stime) -
		       tv_s(g.ru_measure.ru_utime) - tv_s(g.ru_measure.ru_stime);
		mbusy = 100 * mcpu / measured_s;
	}
	bool valid = !(mbusy > 70 && (g.t_stop ? measured_s : wall_s) > 0.5);
	uint64_t lost = g.expected > g.delivered + g.missed ? g.expected - g.delivered - g.missed : 0;
	double rate = measured_s > 0 ? (double)g.delivered / measured_s : 0;
	const struct hist *h = g.echo ? &g.echo_lat : &g.lat;
	printf("chatload: %u %s callers (%u senders), %u in the room, %u failed%s%s\n", g.conns,
	       proto_names[g.proto], g.senders, g.in_room, g.failed,
	       g.first_error[0] ? "; first error: " : "", g.first_error);
	printf("  establish %.3f s; measured %.3f s: sent %" PRIu64 ", delivered %" PRIu64
	       " (%.0f/s), expected %" PRIu64 ", lost %" PRIu64 ", missed (notices) %" PRIu64
	       " (%" PRIu64 "), flood notices %" PRIu64 "\n",
	       establish_s, measured_s, g.sent_measured, g.delivered, rate, g.expected, lost,
	       g.missed, g.missed_notices, g.flood_notices);
	printf("  %s latency us: median %.1f p99 %.1f max %.1f (n=%" PRIu64 ")\n",
	       g.echo ? "echo" : "delivery", (double)hist_pct(h, 0.5) / 1e3,
	       (double)hist_pct(h, 0.99) / 1e3, (double)h->max / 1e3, h->n);
	if (!g.echo)
		printf("  by kernel receive time us: median %.1f p99 %.1f max %.1f (n=%" PRIu64
		       ", %" PRIu64 " without a timestamp)\n", (double)hist_pct(&g.lat_k, 0.5) / 1e3,
		       (double)hist_pct(&g.lat_k, 0.99) / 1e3, (double)g.lat_k.max / 1e3, g.lat_k.n,
		       g.no_rx_k);
	if (g.n_ports > 0) {
		printf("  across servers, by kernel receive time us: median %.1f p99 %.1f (n=%" PRIu64
		       "); deliveries per server:", (double)hist_pct(&g.lat_k_cross, 0.5) / 1e3,
		       (double)hist_pct(&g.lat_k_cross, 0.99) / 1e3, g.lat_k_cross.n);
		for (unsigned i = 0; i < g.n_ports; i++)
			printf(" %" PRIu64, g.delivered_port[i]);
		printf("\n");
		printf("PORTS lat_x_median_us=%.1f lat_x_p99_us=%.1f lat_x_n=%" PRIu64,
		       (double)hist_pct(&g.lat_k_cross, 0.5) / 1e3,
		       (double)hist_pct(&g.lat_k_cross, 0.99) / 1e3, g.lat_k_cross.n);
		for (unsigned i = 0; i < g.n_ports; i++)
			printf(" delivered_%u=%" PRIu64, i, g.delivered_port[i]);
		printf("\n");
	}
	printf("  chatload CPU %.3f s (user %.3f, sys %.3f) over %.3f s = %.0f%% of one core; "
	       "while measuring %.0f%%%s\n", cpu, tv_s(ru.ru_utime), tv_s(ru.ru_stime), wall_s, busy, mbusy,
	       valid ? "" : "  INVALID: the generator may be the bottleneck");
	printf("RESULT proto=%s conns=%u senders=%u in_room=%u failed=%u logins=%u establish_s=%.3f "
	       "measured_s=%.3f sent=%" PRIu64 " delivered=%" PRIu64 " expected=%" PRIu64
	       " lost=%" PRIu64 " missed=%" PRIu64 " missed_notices=%" PRIu64 " flood_notices=%" PRIu64
	       " refused=%" PRIu64 " stalls=%" PRIu64 " bad_stamps=%" PRIu64 " rate=%.0f lat_n=%" PRIu64 " lat_median_us=%.1f lat_p99_us=%.1f"
	       " lat_max_us=%.1f lat_mean_us=%.1f lat_k_n=%" PRIu64 " lat_k_median_us=%.1f"
	       " lat_k_p99_us=%.1f lat_k_max_us=%.1f cpu_s=%.3f wall_s=%.3f cpu_pct=%.0f"
	       " measure_cpu_pct=%.0f valid=%d\n",
	       proto_names[g.proto], g.conns, g.senders, g.in_room, g.failed, g.logins, establish_s,
	       measured_s, g.sent_measured, g.delivered, g.expected, lost, g.missed, g.missed_notices,
	       g.flood_notices, g.refused, g.stalls, g.bad_stamps, rate, h->n, (double)hist_pct(h, 0.5) / 1e3,
	       (double)hist_pct(h, 0.99) / 1e3, (double)h->max / 1e3,
	       h->n ? (double)h->sum / (double)h->n / 1e3 : 0.0, g.lat_k.n,
	       (double)hist_pct(&g.lat_k, 0.5) / 1e3, (double)hist_pct(&g.lat_k, 0.99) / 1e3,
	       (double)g.lat_k.max / 1e3, cpu, wall_s, busy, mbusy, valid);
	fflush(stdout);
}

static void usage(FILE *out)
{
	fprintf(out,
	"usage: chatload -p PORT [options]\n"
	"  -p, --port PORT         server port (WebSocket, IRC or broadcast peer)\n"
	"      --ports P1,P2,...   several servers of one cluster: caller i uses P[i %% n];\n"
	"                          a PORTS line adds the latency across servers and the\n"
	"                          deliveries to each server's callers\n"
	"      --host ADDR         127.0.0.0/8 address (default 127.0.0.1)\n"
	"  -P, --proto P           ws (Carrier WebSocket), telnet, irc, wsb (plain broadcast\n"
	"                          WebSocket peer), sio (Socket.IO: Engine.IO v4 over\n"
	"                          WebSocket, event \"m\"); default ws\n"
	"  -T, --telnet-port PORT  Carrier's telnet port (with --proto telnet or --telnet-frac)\n"
	"      --telnet-frac F     this fraction of callers on telnet, the rest on WebSocket\n"
	"      --ttype NAME        terminal type a telnet caller gives (default xterm: UTF-8;\n"
	"                          ANSI: CP437)\n"
	"  -n, --conns N           callers (default 1000)\n"
	"  -m, --senders M         of them talking (default 10)\n"
	"  -r, --rate R            lines per second in total (default 0: each sender keeps\n"
	"                          --window lines in flight, as fast as the server takes them)\n"
	"  -w, --window W          lines in flight per sender with --rate 0 (default 4)\n"
	"      --sender-cap R      with --rate 0, at most R lines/s per sender (Carrier's flood\n"
	"                          control allows at most 1000 by config)\n"
	"  -s, --size BYTES        line length (default 64)\n"
	"  -d, --duration S        measured seconds (default 5)\n"
	"      --warmup S          unmeasured talk first (default 1)\n"
	"      --slow-frac F       this fraction of the listeners stop reading once in the room\n"
	"  -c, --inflight K        callers connecting/logging in at once (default 64)\n"
	"      --prefix TEXT       handles are TEXT%%05u (default b)\n"
	"      --first N           number of the first handle (default 0)\n"
	"      --password PW       (default benchpass1)\n"
	"      --register          register each handle through NEW instead of logging in\n"
	"      --channel NAME      IRC channel (default #room)\n"
	"      --no-self-echo      the server does not send a sender its own lines (auto for irc)\n"
	"      --echo              one caller types 'a' at the chat prompt every --echo-ms and\n"
	"                          times the echo (others: --conns - 1 receivers)\n"
	"      --echo-ms MS        (default 10)\n"
	"      --relogin           callers log in to the menu and hang up, again and again,\n"
	"                          for --duration\n"
	"      --storm             all join at once (-c N), then all hang up at once\n"
	"      --src A[-B]         source address range on 127.0.0.0/8\n"
	"  -t, --timeout S         a caller not in the room by then fails (default 60)\n"
	"      --trace             copy caller 0's received bytes to stderr\n"
	"      --rooms K           Carrier: caller i goes on to room rm<i %% K> (/join), and a\n"
	"                          line counts as delivered to its room's callers only\n"
	"      --aligned           with --rate, all senders in phase: every 1/(rate/senders) s\n"
	"                          the room gets `senders` lines at once (the schedule before\n"
	"                          2026-12-01); by default their phases are spread evenly\n"
	"      --tls               WebSocket callers over TLS (wss; -p is the https port)\n"
	"  -q, --quiet\n");
}

static void parse_src(const char *arg)
{
	char lo[32], hi[32];
	const char *dash = strchr(arg, '-');
	snprintf(lo, sizeof(lo), "%.*s", dash ? (int)(dash - arg) : (int)strlen(arg), arg);
	snprintf(hi, sizeof(hi), "%s", dash ? dash + 1 : lo);
	struct in_addr a, b;
	if (inet_pton(AF_INET, lo, &a) != 1 || inet_pton(AF_INET, hi, &b) != 1)
		die("--src: bad range '%s'", arg);
	uint32_t x = ntohl(a.s_addr), y = ntohl(b.s_addr);
	if ((x >> 24) != 127 || (y >> 24) != 127 || y < x || y - x >= MAX_SRC_ADDRS)
		die("--src: at most %d addresses on 127.0.0.0/8", MAX_SRC_ADDRS);
	for (uint32_t i = x; i <= y; i++)
		g.src[g.n_src++].s_addr = htonl(i);
}

static void parse_args(int argc, char **argv)
{
	enum { O_HOST = 300, O_FRAC, O_TTYPE, O_WARM, O_SLOW, O_PREFIX, O_FIRST, O_PW, O_REG,
	       O_CHAN, O_NOSELF, O_ECHO, O_ECHOMS, O_RELOGIN, O_STORM, O_SRC, O_TRACE, O_HELP, O_CAP, O_ALIGNED,
	       O_ROOMS, O_TLS, O_PORTS };
	static const struct option lopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "host", required_argument, NULL, O_HOST },
		{ "proto", required_argument, NULL, 'P' },
		{ "telnet-port", required_argument, NULL, 'T' },
		{ "telnet-frac", required_argument, NULL, O_FRAC },
		{ "ttype", required_argument, NULL, O_TTYPE },
		{ "conns", required_argument, NULL, 'n' },
		{ "senders", required_argument, NULL, 'm' },
		{ "rate", required_argument, NULL, 'r' },
		{ "window", required_argument, NULL, 'w' },
		{ "size", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, O_WARM },
		{ "slow-frac", required_argument, NULL, O_SLOW },
		{ "inflight", required_argument, NULL, 'c' },
		{ "prefix", required_argument, NULL, O_PREFIX },
		{ "first", required_argument, NULL, O_FIRST },
		{ "password", required_argument, NULL, O_PW },
		{ "register", no_argument, NULL, O_REG },
		{ "channel", required_argument, NULL, O_CHAN },
		{ "no-self-echo", no_argument, NULL, O_NOSELF },
		{ "echo", no_argument, NULL, O_ECHO },
		{ "echo-ms", required_argument, NULL, O_ECHOMS },
		{ "sender-cap", required_argument, NULL, O_CAP },
		{ "relogin", no_argument, NULL, O_RELOGIN },
		{ "storm", no_argument, NULL, O_STORM },
		{ "src", required_argument, NULL, O_SRC },
		{ "timeout", required_argument, NULL, 't' },
		{ "trace", no_argument, NULL, O_TRACE },
		{ "aligned", no_argument, NULL, O_ALIGNED },
		{ "rooms", required_argument, NULL, O_ROOMS },
		{ "tls", no_argument, NULL, O_TLS },
		{ "ports", required_argument, NULL, O_PORTS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	g.host = "127.0.0.1";
	g.conns = 1000;
	g.senders = 10;
	g.window = 4;
	g.size = 64;
	g.duration = 5;
	g.warmup = 1;
	g.inflight = 64;
	g.prefix = "b";
	g.password = "benchpass1";
	g.channel = "#room";
	g.ttype = "xterm";
	g.timeout = 60;
	g.echo_ms = 10;
	g.self_echo = true;
	g.drain = 5;
	int ch;
	while ((ch = getopt_long(argc, argv, "p:P:T:n:m:r:w:s:d:c:t:q", lopts, NULL)) != -1) {
		switch (ch) {
		case 'p': g.port = atoi(optarg); break;
		case O_HOST: g.host = optarg; break;
		case 'P':
			for (g.proto = 0; g.proto < N_PROTOS && strcmp(optarg, proto_names[g.proto]); g.proto++)
				;
			if (g.proto == N_PROTOS)
				die("--proto: ws, telnet, irc, wsb or sio");
			break;
		case 'T': g.tport = atoi(optarg); break;
		case O_FRAC: g.telnet_frac = atof(optarg); break;
		case O_TTYPE: g.ttype = optarg; break;
		case 'n': g.conns = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'm': g.senders = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': g.rate = atof(optarg); break;
		case 'w': g.window = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': g.size = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': g.duration = atof(optarg); break;
		case O_WARM: g.warmup = atof(optarg); break;
		case O_SLOW: g.slow_frac = atof(optarg); break;
		case 'c': g.inflight = (unsigned)strtoul(optarg, NULL, 10); break;
		case O_PREFIX: g.prefix = optarg; break;
		case O_FIRST: g.first = (unsigned)strtoul(optarg, NULL, 10); break;
		case O_PW: g.password = optarg; break;
		case O_REG: g.do_register = true; break;
		case O_CHAN: g.channel = optarg; break;
		case O_NOSELF: g.self_echo = false; break;
		case O_ECHO: g.echo = true; break;
		case O_CAP: g.cap_ns = (uint64_t)(1e9 / atof(optarg)); break;
		case O_ECHOMS: g.echo_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case O_RELOGIN: g.relogin = true; break;
		case O_STORM: g.storm = true; break;
		case O_SRC: parse_src(optarg); break;
		case 't': g.timeout = atof(optarg); break;
		case O_TRACE: g.trace = true; break;
		case O_ALIGNED: g.aligned = true; break;
		case O_ROOMS: g.rooms = (unsigned)strtoul(optarg, NULL, 10); break;
		case O_TLS: g.tls = true; break;
		case O_PORTS: {
			char *save = NULL;
			for (char *tok = strtok_r(optarg, ",", &save); tok != NULL;
			     tok = strtok_r(NULL, ",", &save)) {
				if (g.n_ports == MAX_PORTS)
					die("--ports: at most %d", MAX_PORTS);
				g.ports[g.n_ports++] = atoi(tok);
			}
			if (g.n_ports > 0 && g.port == 0)
				g.port = g.ports[0];
			break;
		}
		case 'q': g.quiet = true; break;
		case O_HELP: usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (g.proto == P_TELNET && g.tport == 0)
		g.tport = g.port;
	if (g.port <= 0 || g.conns == 0 || g.inflight == 0 || g.size > LINE_MAX_BYTES - 16 ||
	    (g.telnet_frac > 0 && g.tport <= 0)) {
		usage(stderr);
		exit(2);
	}
	if (g.proto == P_IRC)
		g.self_echo = false;
	if (g.echo || g.relogin || g.storm)
		g.senders = 0;
	if (g.senders + (g.rate <= 0 && g.senders ? 1u : 0u) > g.conns)
		die("--senders: need a caller who only listens besides them");
	struct in_addr a;
	if (inet_pton(AF_INET, g.host, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127)
		die("--host: 127.0.0.0/8 only");
	g.dst = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)g.port),
	                              .sin_addr = a };
	g.tdst = g.dst;
	g.tdst.sin_port = htons((uint16_t)g.tport);
	const char *path = g.proto == P_SIO ? "/socket.io/?EIO=4&transport=websocket" : "/ws";
	int n = snprintf(g.req_head, sizeof(g.req_head),
	                 "GET %s HTTP/1.1\r\nHost: %s:%d\r\nOrigin: %s://%s:%d\r\n"
	                 "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ",
	                 path, g.host, g.port, g.tls ? "https" : "http", g.host, g.port);
	g.req_head_len = (size_t)n;
	for (unsigned i = 0; i < g.n_ports; i++) {
		g.pdst[i] = g.dst;
		g.pdst[i].sin_port = htons((uint16_t)g.ports[i]);
		snprintf(g.preq_head[i], sizeof(g.preq_head[i]),
		         "GET %s HTTP/1.1\r\nHost: %s:%d\r\nOrigin: http://%s:%d\r\n"
		         "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ",
		         path, g.host, g.ports[i], g.host, g.ports[i]);
	}
	if (g.tls) {
		/* The client a browser would be: TLS 1.2 or 1.3, no certificate check (the
		 * server's is self-signed), no session reuse (each caller pays a full
		 * handshake, as a first visit does). */
		g.ssl_ctx = tlsc_ctx();
		if (g.ssl_ctx == NULL)
			die("SSL_CTX_new failed");
	}
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	raise_nofile();
	if (getrandom(&g.rng, sizeof(g.rng), 0) != sizeof(g.rng) || g.rng == 0)
		g.rng = now_ns() | 1;
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	g.run_id = (unsigned)(rng_next() & 0xffff);
	g.c = calloc(g.conns, sizeof(*g.c));
	if (g.c == NULL)
		die("out of memory");
	if (g.rooms > 0) {
		if (g.rate <= 0)
			die("--rooms needs --rate (the closed loop's witness hears one room)");
		g.room_receivers = calloc(g.rooms, sizeof(*g.room_receivers));
		if (g.room_receivers == NULL)
			die("out of memory");
	}
	/* roles: senders first; the last caller is the witness; slow readers spread out */
	unsigned n_slow = (unsigned)(g.slow_frac * (double)(g.conns - g.senders) + 0.5);
	unsigned n_tel = (unsigned)(g.telnet_frac * (double)g.conns + 0.5);
	for (unsigned i = 0; i < g.conns; i++) {
		struct conn *c = &g.c[i];
		c->fd = -1;
		c->index = i;
		c->role = i < g.senders ? R_SENDER : R_RECEIVER;
		c->proto = (uint8_t)g.proto;
		if (g.telnet_frac > 0 && i % 2 == 0 && i / 2 < n_tel)
			c->proto = P_TELNET;
	}
	if (g.telnet_frac >= 1)
		for (unsigned i = 0; i < g.conns; i++)
			g.c[i].proto = P_TELNET;
	for (unsigned k = 0; k < n_slow; k++) {
		unsigned i = g.senders + (unsigned)((uint64_t)k * (g.conns - g.senders) / n_slow);
		if (i < g.conns - 1)
			g.c[i].role = R_SLOW;
	}
	g.c[g.conns - 1].witness = true;
	if (g.echo)
		g.c[0].role = R_ECHO;

	g.ep = epoll_create1(EPOLL_CLOEXEC);
	if (g.ep < 0)
		die("epoll_create1: %s", strerror(errno));
	char warm[29];
	expected_accept("dGhlIHNhbXBsZSBub25jZQ==", warm);

	g.t0 = now_ns();
	double establish_s = 0, measured_s = 0;
	if (g.relogin) {
		printf("MARK start\n");
		fflush(stdout);
		establish(g.t0 + (uint64_t)(g.duration * 1e9));
		measured_s = (double)(now_ns() - g.t0) / 1e9;
	} else {
		if (g.storm)
			g.inflight = g.conns;
		establish(0);
		g.t_all_in = now_ns();
		establish_s = (double)(g.t_all_in - g.t0) / 1e9;
		if (!g.quiet)
			fprintf(stderr, "chatload: %u in the room after %.2f s\n", g.in_room, establish_s);
		if (g.storm) {
			/* let the joins settle (coalescing windows), then everyone hangs up */
			run_for(now_ns() + 1000000000u, false);
			printf("MARK drop\n");
			fflush(stdout);
			for (unsigned i = 0; i < g.conns; i++)
				if (g.c[i].state != S_CLOSED)
					conn_release(&g.c[i]);
		} else {
			run_for(now_ns() + (uint64_t)(g.warmup * 1e9), g.senders > 0);
			g.measuring = true;
			printf("MARK start\n");
			fflush(stdout);
			getrusage(RUSAGE_SELF, &g.ru_measure);
			g.t_measure = now_ns();
			run_for(g.t_measure + (uint64_t)(g.duration * 1e9), g.senders > 0);
			g.t_stop = now_ns();
			getrusage(RUSAGE_SELF, &g.ru_stop);
			printf("MARK stop\n");
			fflush(stdout);
			g.measuring = false;
			measured_s = (double)(g.t_stop - g.t_measure) / 1e9;
			if (g.senders > 0)
				drain(g.drain);
		}
	}
	report(measured_s, establish_s, (double)(now_ns() - g.t0) / 1e9);
	for (unsigned i = 0; i < g.conns; i++)
		conn_release(&g.c[i]);
	free(g.c);
	close(g.ep);
	return g.failed == 0 ? 0 : 1;
}
