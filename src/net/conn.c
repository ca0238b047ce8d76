#include "net/conn.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "util/xalloc.h"

#define IOV_BATCH 64
#define READ_BUF_SIZE 65536

/* A queue of shared buffers, the first partly written. */
struct outq {
	struct buf **ring;
	uint32_t cap, head, len;
	uint32_t head_off;             /* bytes of ring[head] already written */
	size_t queued;                 /* bytes queued, not yet written */
};

struct conn {
	uv_tcp_t tcp;                  /* first: the handle's address is the conn's */
	struct conn_set *set;
	struct conn *prev, *next;      /* set->head list */
	struct conn *pending_next;     /* set->pending list */
	const struct transport *transport;
	void *tdata;
	const struct conn_layer *layer;   /* NULL: the transport's output is the wire's */
	void *ldata;
	const struct conn_handler *handler;
	const struct conn_handler *freer;  /* the handler, once closing: for on_free */
	void *hdata;

	struct outq out;               /* the transport's output: water marks apply */
	struct outq wire;              /* with a layer: its bytes for the socket */
	struct outq *wq;               /* the queue wreq writes from */
	uv_write_t *wreq;              /* in flight, or NULL */
	uint32_t wreq_nbufs;           /* buffers covered by wreq */
	uint64_t dropped;              /* shared output dropped while congested */

	uint64_t id;
	uint64_t last_read_ms;
	uint64_t close_deadline_ms;
	bool dropping;
	bool pending;                  /* on set->pending */
	bool flushing;                 /* flush() is running: it sees what is queued */
	bool closing;                  /* conn_close ran */
	bool flush_then_close;
	bool finished;                 /* the layer's finish ran */
	bool linked;                   /* on set->head */
	char peer[64];                 /* "ip:port", "[ip6]:port", or a proxy's client */
	struct net_prefix peer_addr;   /* the peer's address (or the proxy's client) */
};

static void conn_free_cb(uv_handle_t *h);

void conn_set_init(struct conn_set *set, struct server *srv, const struct conn_limits *limits)
{
	memset(set, 0, sizeof(*set));
	set->server = srv;
	set->limits = *limits;
	set->next_id = 1;
}

/* The loop is single-threaded and read callbacks consume their bytes before
 * returning, so every connection reads into one buffer: an idle connection holds
 * no read buffer at all. */
static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
	static char read_buf[READ_BUF_SIZE];
	out->base = read_buf;
	out->len = sizeof(read_buf);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct conn *c = (struct conn *)s;
	if (nread < 0) {
		if (nread != UV_EOF && nread != UV_ECONNRESET)
			log_debug("event=read_error conn=%llu error=%s", (unsigned long long)c->id,
			          LOG_Q(uv_strerror((int)nread)));
		conn_close(c);
		return;
	}
	if (nread == 0 || c->closing)
		return;
	c->set->stats.bytes_read += (uint64_t)nread;
	c->last_read_ms = uv_now(s->loop);
	if (c->layer != NULL && c->layer->on_read != NULL)
		c->layer->on_read(c, (const uint8_t *)b->base, (size_t)nread);
	else
		c->transport->on_read(c, (const uint8_t *)b->base, (size_t)nread);
}

struct conn *conn_accept(struct conn_set *set, uv_stream_t *listener, const struct transport *t)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	if (uv_tcp_init(listener->loop, &c->tcp) != 0) {
		set->stats.accept_failed++;
		free(c);
		return NULL;
	}
	c->set = set;
	c->transport = t;
	c->id = set->next_id++;
	c->last_read_ms = uv_now(listener->loop);
	int err = uv_accept(listener, (uv_stream_t *)&c->tcp);
	if (err != 0) {
		set->stats.accept_failed++;
		log_warn("event=accept_failed error=%s", LOG_Q(uv_strerror(err)));
		uv_close((uv_handle_t *)&c->tcp, conn_free_cb);
		return NULL;
	}
	uv_tcp_nodelay(&c->tcp, 1);

	struct sockaddr_storage ss;
	int len = sizeof(ss);
	snprintf(c->peer, sizeof(c->peer), "?");
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
		char ip[NETADDR_TEXT_MAX] = "?";
		int port = 0;
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
			uv_ip4_name(sin, ip, sizeof(ip));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
			uv_ip6_name(sin6, ip, sizeof(ip));
			port = ntohs(sin6->sin6_port);
		}
		net_addr_parse(ip, strlen(ip), &c->peer_addr);
		/* an IPv4 peer on a dual-stack socket reads as IPv4 */
		bool v6 = c->peer_addr.v6;
		if (ss.ss_family == AF_INET6 && !v6)
			net_addr_format(&c->peer_addr, ip);
		snprintf(c->peer, sizeof(c->peer), "%s%s%s:%d", v6 ? "[" : "", ip, v6 ? "]" : "", port);
	}

	c->next = set->head;
	if (set->head)
		set->head->prev = c;
	set->head = c;
	set->count++;
	set->stats.accepted++;
	c->linked = true;

	err = uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
	if (err != 0) {
		log_warn("event=read_start_failed conn=%llu error=%s", (unsigned long long)c->id,
		         LOG_Q(uv_strerror(err)));
		conn_close(c);
		return NULL;
	}
	return c;
}

void conn_set_transport(struct conn *c, const struct transport *t, void *tdata)
{
	c->transport = t;
	c->tdata = tdata;
}

void conn_set_layer(struct conn *c, const struct conn_layer *l, void *ldata)
{
	assert(c->out.len == 0 && c->wire.len == 0);
	c->layer = l;
	c->ldata = ldata;
}

void *conn_layer_data(const struct conn *c) { return c->ldata; }

int conn_detach_reading(struct conn *c)
{
	uv_os_fd_t fd;
	uv_read_stop((uv_stream_t *)&c->tcp);
	return uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 ? fd : -1;
}

void conn_touch(struct conn *c)
{
	c->last_read_ms = uv_now(c->tcp.loop);
}

void *conn_transport_data(const struct conn *c) { return c->tdata; }
void *conn_handler_data(const struct conn *c) { return c->hdata; }
enum conn_variant conn_variant(const struct conn *c) { return c->transport->variant; }
uint64_t conn_id(const struct conn *c) { return c->id; }
const char *conn_peer(const struct conn *c) { return c->peer; }
const char *conn_transport_name(const struct conn *c) { return c->transport->name; }
const char *conn_layer_name(const struct conn *c) { return c->layer ? c->layer->name : NULL; }
const struct net_prefix *conn_peer_addr(const struct conn *c) { return &c->peer_addr; }

void conn_set_client(struct conn *c, const struct net_prefix *client)
{
	c->peer_addr = *client;
	net_addr_format(client, c->peer);
}
bool conn_closing(const struct conn *c) { return c->closing; }
uint64_t conn_last_read_ms(const struct conn *c) { return c->last_read_ms; }
size_t conn_queued_bytes(const struct conn *c) { return c->out.queued; }
uint64_t conn_now(const struct conn *c) { return uv_now(c->tcp.loop); }

enum charset conn_charset(const struct conn *c, bool *told)
{
	*told = false;
	return c->transport->charset ? c->transport->charset(c, told) : CHARSET_UNKNOWN;
}

int64_t conn_account(const struct conn *c)
{
	return c->transport->account ? c->transport->account(c) : 0;
}

void conn_set_charset(struct conn *c, enum charset cs)
{
	if (c->transport->set_charset)
		c->transport->set_charset(c, cs);
}

void conn_set_handler(struct conn *c, const struct conn_handler *h, void *hdata)
{
	c->handler = h;
	c->hdata = hdata;
}

static void mark_pending(struct conn *c)
{
	if (c->pending || c->flushing || c->wreq != NULL)
		return;
	c->pending = true;
	c->pending_next = c->set->pending;
	c->set->pending = c;
}

static void q_push(struct outq *q, struct buf *b)
{
	if (q->len == q->cap) {
		uint32_t cap = q->cap ? q->cap * 2 : 8;
		struct buf **ring = xmalloc(cap * sizeof(*ring));
		for (uint32_t i = 0; i < q->len; i++)
			ring[i] = q->ring[(q->head + i) % q->cap];
		free(q->ring);
		q->ring = ring;
		q->cap = cap;
		q->head = 0;
	}
	q->ring[(q->head + q->len) % q->cap] = buf_ref(b);
	q->len++;
	q->queued += b->len;
}

static void q_clear(struct outq *q)
{
	while (q->len > 0) {
		buf_unref(q->ring[q->head]);
		q->head = (q->head + 1) % q->cap;
		q->len--;
	}
	free(q->ring);
	memset(q, 0, sizeof(*q));
}

static void enqueue(struct conn *c, struct buf *b)
{
	q_push(&c->out, b);
	mark_pending(c);
}

bool conn_send_shared(struct conn *c, struct buf *b)
{
	if (c->closing)
		return false;
	if (c->dropping || c->out.queued + b->len > c->set->limits.high_water) {
		c->dropping = true;
		c->dropped++;
		c->set->stats.shared_dropped++;
		return false;
	}
	enqueue(c, b);
	c->set->pace.shared_pending = true;
	return true;
}

void conn_send(struct conn *c, struct buf *b)
{
	if (c->closing && !c->flush_then_close)
		return;
	enqueue(c, b);
	if (c->out.queued > c->set->limits.hard_limit) {
		c->set->stats.output_limit++;
		log_warn("event=output_limit conn=%llu peer=%s limit=%zu", (unsigned long long)c->id,
		         c->peer, c->set->limits.hard_limit);
		conn_close(c);
	}
}

void conn_send_wire(struct conn *c, struct buf *b)
{
	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	q_push(&c->wire, b);
	mark_pending(c);
	if (c->wire.queued > c->set->limits.hard_limit) {
		c->set->stats.output_limit++;
		log_warn("event=output_limit conn=%llu peer=%s layer=%s limit=%zu",
		         (unsigned long long)c->id, c->peer, c->layer ? c->layer->name : "wire",
		         c->set->limits.hard_limit);
		conn_close(c);
	}
}

void conn_layer_ready(struct conn *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->tcp))
		mark_pending(c);
}

void conn_send_control(struct conn *c, const char *json, size_t len)
{
	if (!c->closing && c->transport->send_control)
		c->transport->send_control(c, json, len);
}

void conn_write_term(struct conn *c, const void *data, size_t len)
{
	if (len == 0 || c->transport->frame == NULL)
		return;
	struct buf *b = c->transport->frame(data, len);
	if (b == NULL) {
		conn_close(c);
		return;
	}
	conn_send(c, b);
	buf_unref(b);
}

struct buf *conn_frame_cached(struct conn *c, struct buf *cache[CONN_VARIANT_COUNT],
                              const uint8_t *term, size_t len)
{
	enum conn_variant v = c->transport->variant;
	if (v == CONN_VARIANT_NONE || c->transport->frame == NULL)
		return NULL;
	if (cache[v] == NULL)
		cache[v] = c->transport->frame(term, len);
	return cache[v];
}

void conn_receive(struct conn *c, const uint8_t *data, size_t len)
{
	if (!c->closing && len > 0)
		c->transport->on_read(c, data, len);
}

void conn_deliver_input(struct conn *c, const uint8_t *data, size_t len)
{
	if (!c->closing && c->handler && c->handler->on_input)
		c->handler->on_input(c, data, len);
}

void conn_deliver_resize(struct conn *c, unsigned cols, unsigned rows)
{
	if (!c->closing && c->handler && c->handler->on_resize)
		c->handler->on_resize(c, cols, rows);
}

void conn_deliver_control(struct conn *c, const char *json, size_t len)
{
	if (!c->closing && c->handler && c->handler->on_control)
		c->handler->on_control(c, json, len);
}

/* Drop n written bytes from the head of the queue. */
static void consume(struct outq *q, size_t n)
{
	q->queued -= n;
	while (n > 0) {
		assert(q->len > 0);
		struct buf *b = q->ring[q->head];
		size_t left = b->len - q->head_off;
		if (n < left) {
			q->head_off += (uint32_t)n;
			return;
		}
		n -= left;
		buf_unref(b);
		q->head_off = 0;
		q->head = (q->head + 1) % q->cap;
		q->len--;
	}
	while (q->len > 0 && q->ring[q->head]->len == q->head_off) {
		buf_unref(q->ring[q->head]);
		q->head_off = 0;
		q->head = (q->head + 1) % q->cap;
		q->len--;
	}
}

static uint32_t gather(const struct outq *q, uv_buf_t *iov)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < q->len && n < IOV_BATCH; i++) {
		struct buf *b = q->ring[(q->head + i) % q->cap];
		uint32_t off = i == 0 ? q->head_off : 0;
		if (b->len == off)
			continue;
		iov[n].base = (char *)b->data + off;
		iov[n].len = b->len - off;
		n++;
	}
	return n;
}

static bool layer_busy(const struct conn *c)
{
	return c->layer != NULL && c->layer->busy != NULL && c->layer->busy(c);
}

/* Nothing of this conn's is on its way out any more. */
static bool drained(const struct conn *c)
{
	return c->out.queued == 0 && c->wire.queued == 0 && c->wreq == NULL && !layer_busy(c);
}

static void after_progress(struct conn *c)
{
	if (c->dropping && c->out.queued <= c->set->limits.low_water) {
		uint64_t dropped = c->dropped;
		c->dropping = false;
		c->dropped = 0;
		if (c->handler && c->handler->on_drain && !c->closing)
			c->handler->on_drain(c, dropped);
	}
	if (!c->flush_then_close || c->out.queued != 0)
		return;
	if (c->layer != NULL && c->layer->finish != NULL && !c->finished) {
		c->finished = true;
		c->layer->finish(c);      /* may queue wire bytes: flushed next pass */
	}
	if (drained(c))
		conn_close(c);
}

static void flush(struct conn *c);

static void write_cb(uv_write_t *req, int status)
{
	struct conn *c = req->data;
	struct outq *q = c->wq;
	free(req);
	c->wreq = NULL;
	c->wq = NULL;
	if (status < 0) {
		if (status != UV_ECANCELED)
			log_debug("event=write_error conn=%llu error=%s", (unsigned long long)c->id,
			          LOG_Q(uv_strerror(status)));
		conn_close(c);
		return;
	}
	/* A successful uv_write wrote everything it was given. */
	size_t n = 0;
	for (uint32_t i = 0; i < c->wreq_nbufs; i++) {
		struct buf *b = q->ring[(q->head + i) % q->cap];
		n += b->len - (i == 0 ? q->head_off : 0);
	}
	c->set->stats.bytes_written += n;
	consume(q, n);
	if (!uv_is_closing((uv_handle_t *)&c->tcp))
		flush(c);
}

/* Write q to the socket: what it takes now, the rest through uv_write.  False if
 * a write is in flight now or the conn closed. */
static bool write_queue(struct conn *c, struct outq *q)
{
	uv_buf_t iov[IOV_BATCH];
	while (q->len > 0) {
		uint32_t n = gather(q, iov);
		if (n == 0) {
			consume(q, 0);
			break;
		}
		int w = uv_try_write((uv_stream_t *)&c->tcp, iov, n);
		c->set->stats.writes++;
		if (w > 0) {
			c->set->stats.bytes_written += (uint64_t)w;
			consume(q, (size_t)w);
			continue;
		}
		if (w != UV_EAGAIN) {
			conn_close(c);
			return false;
		}
		/* The socket is full: hand the rest to libuv and wait for its callback.
		 * Partly written buffers are handled by gather's head offset. */
		c->wreq = xmalloc(sizeof(*c->wreq));
		c->wreq->data = c;
		c->wq = q;
		c->wreq_nbufs = n;
		c->set->stats.writes++;
		int err = uv_write(c->wreq, (uv_stream_t *)&c->tcp, iov, n, write_cb);
		if (err != 0) {
			free(c->wreq);
			c->wreq = NULL;
			c->wq = NULL;
			conn_close(c);
		}
		return false;
	}
	return true;
}

/* Hand the transport's output to the layer while the layer's own backlog is
 * short.  False if it took nothing. */
static bool feed_layer(struct conn *c)
{
	uv_buf_t iov[IOV_BATCH];
	bool took_any = false;
	while (c->out.len > 0 && c->wire.queued < CONN_WIRE_BATCH &&
	       !uv_is_closing((uv_handle_t *)&c->tcp)) {
		uint32_t n = gather(&c->out, iov);
		if (n == 0) {
			consume(&c->out, 0);
			break;
		}
		size_t took = c->layer->write(c, iov, n);
		if (took == 0)
			break;
		consume(&c->out, took);
		took_any = true;
	}
	return took_any;
}

static void flush(struct conn *c)
{
	if (c->wreq != NULL || uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	c->flushing = true;
	bool more = true;
	if (c->layer == NULL) {
		more = write_queue(c, &c->out);
	} else {
		while (more) {
			more = write_queue(c, &c->wire);
			if (!more || c->out.len == 0 || !feed_layer(c))
				break;
		}
		/* What the layer made last goes out now. */
		if (more && !uv_is_closing((uv_handle_t *)&c->tcp))
			more = write_queue(c, &c->wire);
	}
	c->flushing = false;
	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	after_progress(c);
}

uint64_t conn_pace_due(const struct conn_pace *p, uint64_t now_ns)
{
	if (!p->shared_pending || p->hold_ns == 0)
		return 0;
	uint64_t at = p->last_shared_ns + p->hold_ns;
	return p->last_shared_ns != 0 && now_ns < at ? at : 0;
}

uint64_t conn_flush_paced(struct conn_set *set, uint64_t now_ns)
{
	if (set->pending == NULL)
		return 0;
	uint64_t at = conn_pace_due(&set->pace, now_ns);
	if (at != 0)
		return at;
	bool shared = set->pace.shared_pending;
	conn_flush_pending(set);
	/* The window starts when the flush is over: a flush to many recipients takes
	 * long enough that lines pile up meanwhile, and those go in the next one. */
	if (shared)
		set->pace.last_shared_ns = uv_hrtime();
	return 0;
}

void conn_flush_pending(struct conn_set *set)
{
	set->pace.shared_pending = false;
	while (set->pending != NULL) {
		struct conn *c = set->pending;
		set->pending = c->pending_next;
		c->pending_next = NULL;
		c->pending = false;
		flush(c);
	}
}

static void unlink_pending(struct conn *c)
{
	if (!c->pending)
		return;
	for (struct conn **p = &c->set->pending; *p; p = &(*p)->pending_next) {
		if (*p == c) {
			*p = c->pending_next;
			break;
		}
	}
	c->pending = false;
}

static void conn_free_cb(uv_handle_t *h)
{
	struct conn *c = (struct conn *)h;
	if (c->linked) {
		if (c->prev)
			c->prev->next = c->next;
		else if (c->set->head == c)
			c->set->head = c->next;
		if (c->next)
			c->next->prev = c->prev;
		c->set->count--;
		c->set->stats.closed++;
		unlink_pending(c);
	}
	if (c->transport && c->transport->destroy)
		c->transport->destroy(c);
	if (c->layer && c->layer->destroy)
		c->layer->destroy(c);
	if (c->freer && c->freer->on_free)
		c->freer->on_free(c->hdata);
	q_clear(&c->out);
	q_clear(&c->wire);
	free(c);
}

/* Tell the handler once, whichever way the close began. */
static void begin_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	const struct conn_handler *h = c->handler;
	c->handler = NULL;
	c->freer = h;
	if (h && h->on_close)
		h->on_close(c);
}

void conn_close(struct conn *c)
{
	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	begin_close(c);
	c->flush_then_close = false;
	unlink_pending(c);
	uv_close((uv_handle_t *)&c->tcp, conn_free_cb);
}

void conn_close_after_flush(struct conn *c)
{
	if (c->closing || uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	begin_close(c);                  /* no more input, no more shared output */
	uv_read_stop((uv_stream_t *)&c->tcp);
	bool last_word = c->layer != NULL && c->layer->finish != NULL && !c->finished;
	if (drained(c) && !last_word) {
		conn_close(c);
		return;
	}
	c->flush_then_close = true;
	c->close_deadline_ms = uv_now(c->tcp.loop) + c->set->limits.drain_timeout_ms;
	mark_pending(c);
}

void conn_shutdown(struct conn *c, uint16_t code, const char *reason)
{
	if (c->closing)
		return;
	if (c->transport->shutdown)
		c->transport->shutdown(c, code, reason);
	else
		conn_close_after_flush(c);
}

void conn_foreach(struct conn_set *set, conn_visit_fn fn, void *ud)
{
	struct conn *next;
	for (struct conn *c = set->head; c != NULL; c = next) {
		next = c->next;
		fn(c, ud);
	}
}

void conn_sweep(struct conn_set *set, uint64_t now_ms)
{
	struct conn *next;
	for (struct conn *c = set->head; c != NULL; c = next) {
		next = c->next;
		if (c->flush_then_close && now_ms >= c->close_deadline_ms) {
			conn_close(c);
			continue;
		}
		/* An idle connection gives its output rings back (a busy one keeps them:
		 * no allocation per message). */
		if (c->wreq == NULL && !c->pending) {
			if (c->out.ring != NULL && c->out.len == 0)
				q_clear(&c->out);
			if (c->wire.ring != NULL && c->wire.len == 0)
				q_clear(&c->wire);
		}
		if (!c->closing && c->layer != NULL && c->layer->on_tick)
			c->layer->on_tick(c, now_ms);
		if (!c->closing && c->transport->on_tick)
			c->transport->on_tick(c, now_ms);
		if (!c->closing && c->handler && c->handler->on_tick)
			c->handler->on_tick(c, now_ms);
	}
}
