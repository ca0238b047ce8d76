#include "ws/transport.h"

#include <string.h>

#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "ws/codec.h"

struct ws_state {
	struct ws_decoder dec;
	const struct ws_settings *settings;   /* borrowed from the server */
	uint64_t ping_sent_ms;                /* 0: no ping outstanding */
	bool close_sent;
};

static void send_close(struct conn *c, struct ws_state *ws, uint16_t code, const char *reason)
{
	if (!ws->close_sent) {
		ws->close_sent = true;
		struct buf *b = ws_close_frame(code, reason);
		if (b != NULL) {
			conn_send(c, b);
			buf_unref(b);
		}
	}
	conn_close_after_flush(c);
}

static void on_control(struct conn *c, const uint8_t *data, size_t len)
{
	const char *json = (const char *)data;
	char type[16];
	if (!json_get_string(json, len, "type", type, sizeof(type)))
		return;   /* not ours to understand: ignored, as the protocol says */
	if (strcmp(type, "resize") == 0) {
		int64_t cols, rows;
		if (json_get_int(json, len, "cols", &cols) && json_get_int(json, len, "rows", &rows) &&
		    cols > 0 && cols <= 1000 && rows > 0 && rows <= 1000)
			conn_deliver_resize(c, (unsigned)cols, (unsigned)rows);
		return;
	}
	conn_deliver_control(c, json, len);
}

static void on_event(void *ud, enum ws_event ev, uint16_t code, const uint8_t *data, size_t len)
{
	struct conn *c = ud;
	struct ws_state *ws = conn_transport_data(c);
	struct buf *b;

	switch (ev) {
	case WS_EV_BINARY:
		conn_deliver_input(c, data, len);
		break;
	case WS_EV_TEXT:
		on_control(c, data, len);
		break;
	case WS_EV_PING:
		b = ws_frame(WS_OP_PONG, data, len);
		if (b != NULL) {
			conn_send(c, b);
			buf_unref(b);
		}
		break;
	case WS_EV_PONG:
		ws->ping_sent_ms = 0;
		break;
	case WS_EV_CLOSE:
		/* Echo the peer's code (RFC 6455 5.5.1); 1005 means it gave none. */
		send_close(c, ws, code == WS_CLOSE_NO_STATUS ? WS_CLOSE_NORMAL : code, NULL);
		break;
	}
	if (conn_closing(c))
		ws_decoder_stop(&ws->dec);
}

static void ws_on_read(struct conn *c, const uint8_t *data, size_t len)
{
	struct ws_state *ws = conn_transport_data(c);
	int err = ws_decoder_feed(&ws->dec, data, len, on_event, c);
	if (err != 0 && !conn_closing(c)) {
		static const char *const reasons[] = {
			[0] = "protocol error", [1] = "invalid UTF-8", [2] = "message too big",
		};
		const char *why = err == WS_CLOSE_BAD_DATA ? reasons[1]
		                : err == WS_CLOSE_TOO_BIG ? reasons[2] : reasons[0];
		log_info("event=ws_error conn=%llu peer=%s error=%s code=%d", (unsigned long long)conn_id(c),
		         conn_peer(c), LOG_Q(why), err);
		send_close(c, ws, (uint16_t)err, why);
	}
}

static void ws_on_tick(struct conn *c, uint64_t now)
{
	struct ws_state *ws = conn_transport_data(c);
	if (ws->ping_sent_ms != 0) {
		if (now - ws->ping_sent_ms >= ws->settings->ping_timeout_ms) {
			log_info("event=ws_no_pong conn=%llu peer=%s", (unsigned long long)conn_id(c),
			         conn_peer(c));
			conn_close(c);
		}
		return;
	}
	if (now - conn_last_read_ms(c) >= ws->settings->ping_interval_ms) {
		struct buf *b = ws_frame(WS_OP_PING, "carrier", 7);
		if (b != NULL) {
			conn_send(c, b);
			buf_unref(b);
		}
		ws->ping_sent_ms = now;
	}
}

static void ws_shutdown(struct conn *c, uint16_t code, const char *reason)
{
	send_close(c, conn_transport_data(c), code, reason);
}

static void ws_destroy(struct conn *c)
{
	struct ws_state *ws = conn_transport_data(c);
	ws_decoder_free(&ws->dec);
	free(ws);
}

struct buf *ws_transport_frame(const uint8_t *term, size_t len)
{
	return ws_frame(WS_OP_BINARY, term, len);
}

static const struct transport ws_transport = {
	.name = "websocket",
	.on_read = ws_on_read,
	.frame = ws_transport_frame,
	.on_tick = ws_on_tick,
	.shutdown = ws_shutdown,
	.destroy = ws_destroy,
	.send_control = ws_transport_send_text,
	.variant = CONN_VARIANT_WS,
};

void ws_transport_attach(struct conn *c, const struct ws_settings *settings)
{
	struct ws_state *ws = xcalloc(1, sizeof(*ws));
	ws_decoder_init(&ws->dec, settings->max_message);
	ws->settings = settings;
	conn_set_transport(c, &ws_transport, ws);
}

void ws_transport_send_text(struct conn *c, const char *text, size_t len)
{
	struct buf *b = ws_frame(WS_OP_TEXT, text, len);
	if (b != NULL) {
		conn_send(c, b);
		buf_unref(b);
	}
}
