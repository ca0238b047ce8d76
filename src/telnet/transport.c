#include "telnet/transport.h"

#include <assert.h>
#include <stdlib.h>

#include "util/log.h"
#include "util/xalloc.h"

struct telnet_conn {
	uv_timer_t timer;           /* first: the struct is freed by its close callback */
	struct conn *conn;
	struct telnet_proto *proto;
	const struct telnet_settings *settings;   /* borrowed from the server */
	telnet_terminal_fn on_terminal;
	void *ud;
	uint64_t last_nop_ms;
};

static const struct transport telnet_utf8_transport;
static const struct transport telnet_cp437_transport;
static enum charset tn_charset(const struct conn *c, bool *told);
static void tn_set_charset(struct conn *c, enum charset cs);

const struct transport *telnet_transport(enum charset cs)
{
	return cs == CHARSET_CP437 ? &telnet_cp437_transport : &telnet_utf8_transport;
}

static struct telnet_conn *tconn(const struct conn *c)
{
	enum conn_variant v = conn_variant(c);
	if (v != CONN_VARIANT_TELNET_UTF8 && v != CONN_VARIANT_TELNET_CP437)
		return NULL;
	return conn_transport_data(c);
}

/* ---- the protocol's callbacks ---- */

static void p_send(void *ud, const uint8_t *data, size_t len)
{
	struct telnet_conn *tc = ud;
	struct buf *b = buf_from(data, len);
	if (b == NULL) {
		conn_close(tc->conn);
		return;
	}
	conn_send(tc->conn, b);
	buf_unref(b);
}

static void p_start(void *ud, enum charset cs)
{
	struct telnet_conn *tc = ud;
	struct conn *c = tc->conn;
	conn_set_transport(c, telnet_transport(cs), tc);
	log_debug("event=telnet_terminal conn=%llu peer=%s ttype=%s charset=%s",
	          (unsigned long long)conn_id(c), conn_peer(c), LOG_Q(telnet_proto_ttype(tc->proto)),
	          cs == CHARSET_CP437 ? "cp437" : "utf-8");
	if (!conn_closing(c))
		tc->on_terminal(tc->ud, c);
}

static void p_input(void *ud, const uint8_t *data, size_t len)
{
	struct telnet_conn *tc = ud;
	conn_deliver_input(tc->conn, data, len);
}

static void p_resize(void *ud, unsigned cols, unsigned rows)
{
	struct telnet_conn *tc = ud;
	conn_deliver_resize(tc->conn, cols, rows);
}

static const struct telnet_proto_cbs proto_cbs = {
	.send = p_send,
	.start = p_start,
	.input = p_input,
	.resize = p_resize,
};

/* ---- the timer for negotiation and the charset question ---- */

static void timer_cb(uv_timer_t *t);

static void arm_timer(struct telnet_conn *tc)
{
	uint64_t deadline = telnet_proto_deadline(tc->proto);
	if (deadline == 0 || conn_closing(tc->conn)) {
		uv_timer_stop(&tc->timer);
		return;
	}
	uint64_t now = conn_now(tc->conn);
	uv_timer_start(&tc->timer, timer_cb, deadline > now ? deadline - now : 0, 0);
}

static void timer_cb(uv_timer_t *t)
{
	struct telnet_conn *tc = (struct telnet_conn *)t;
	if (conn_closing(tc->conn))
		return;
	telnet_proto_tick(tc->proto, conn_now(tc->conn));
	arm_timer(tc);
}

/* ---- the vtable ---- */

static void tn_on_read(struct conn *c, const uint8_t *data, size_t len)
{
	struct telnet_conn *tc = conn_transport_data(c);
	telnet_proto_feed(tc->proto, data, len, conn_now(c));
	arm_timer(tc);
}

static void tn_on_tick(struct conn *c, uint64_t now)
{
	struct telnet_conn *tc = conn_transport_data(c);
	uint64_t every = tc->settings->nop_interval_ms;
	if (every == 0 || now - conn_last_read_ms(c) < every || now - tc->last_nop_ms < every)
		return;
	tc->last_nop_ms = now;
	telnet_proto_nop(tc->proto);
}

static void tn_shutdown(struct conn *c, uint16_t code, const char *reason)
{
	(void)code;
	(void)reason;
	conn_close_after_flush(c);
}

static void free_cb(uv_handle_t *h)
{
	free(h);   /* the timer is the first member of struct telnet_conn */
}

static void tn_destroy(struct conn *c)
{
	struct telnet_conn *tc = conn_transport_data(c);
	telnet_proto_free(tc->proto);
	tc->proto = NULL;
	uv_close((uv_handle_t *)&tc->timer, free_cb);
}

static const struct transport telnet_utf8_transport = {
	.name = "telnet",
	.on_read = tn_on_read,
	.frame = telnet_frame_utf8,
	.on_tick = tn_on_tick,
	.shutdown = tn_shutdown,
	.destroy = tn_destroy,
	.charset = tn_charset,
	.set_charset = tn_set_charset,
	.variant = CONN_VARIANT_TELNET_UTF8,
};

static const struct transport telnet_cp437_transport = {
	.name = "telnet",
	.on_read = tn_on_read,
	.frame = telnet_frame_cp437,
	.on_tick = tn_on_tick,
	.shutdown = tn_shutdown,
	.destroy = tn_destroy,
	.charset = tn_charset,
	.set_charset = tn_set_charset,
	.variant = CONN_VARIANT_TELNET_CP437,
};

void telnet_transport_attach(struct conn *c, const struct telnet_settings *s,
                             telnet_terminal_fn on_terminal, void *ud)
{
	assert(s->loop != NULL && on_terminal != NULL);
	struct telnet_conn *tc = xcalloc(1, sizeof(*tc));
	uv_timer_init(s->loop, &tc->timer);
	tc->conn = c;
	tc->settings = s;
	tc->on_terminal = on_terminal;
	tc->ud = ud;
	tc->last_nop_ms = conn_now(c);
	conn_set_transport(c, &telnet_utf8_transport, tc);
	tc->proto = telnet_proto_new(&proto_cbs, tc, conn_now(c), s->negotiate_ms, s->ask_ms);
	if (tc->proto == NULL) {
		log_warn("event=out_of_memory conn=%llu what=telnet", (unsigned long long)conn_id(c));
		conn_close(c);   /* destroy frees tc later */
		return;
	}
	arm_timer(tc);
}

static enum charset tn_charset(const struct conn *c, bool *told)
{
	struct telnet_conn *tc = tconn(c);
	if (tc == NULL || tc->proto == NULL)
		return CHARSET_UNKNOWN;
	*told = telnet_proto_charset_told(tc->proto);
	return telnet_proto_charset(tc->proto);
}

static void tn_set_charset(struct conn *c, enum charset cs)
{
	struct telnet_conn *tc = tconn(c);
	if (tc == NULL || tc->proto == NULL)
		return;
	assert(cs == CHARSET_UTF8 || cs == CHARSET_CP437);
	telnet_proto_set_charset(tc->proto, cs);
	conn_set_transport(c, telnet_transport(cs), tc);
}

const char *telnet_terminal_type(const struct conn *c)
{
	struct telnet_conn *tc = tconn(c);
	return tc != NULL && tc->proto != NULL ? telnet_proto_ttype(tc->proto) : NULL;
}

bool telnet_window(const struct conn *c, unsigned *cols, unsigned *rows)
{
	struct telnet_conn *tc = tconn(c);
	return tc != NULL && tc->proto != NULL && telnet_proto_window(tc->proto, cols, rows);
}
