#include "metrics/listener.h"

#include <string.h>

#include "http/response.h"
#include "metrics/page.h"
#include "util/xalloc.h"

#define HEADER_TIMEOUT_MS 10000      /* a request must arrive whole within this */
#define IDLE_TIMEOUT_MS 120000       /* a kept-alive scraper may wait this long */

struct metrics_site {
	metrics_page_fn page;
	void *ud;
};

struct metrics_conn {
	struct metrics_site *site;
	struct http_reader *reader;
	uint64_t since_ms;
	bool partial;
};

struct metrics_site *metrics_site_new(metrics_page_fn page, void *ud)
{
	struct metrics_site *site = xcalloc(1, sizeof(*site));
	site->page = page;
	site->ud = ud;
	return site;
}

void metrics_site_free(struct metrics_site *site)
{
	free(site);
}

int metrics_route(const struct http_request *req)
{
	return strcmp(req->path, "/metrics") == 0 ? 200 : 404;
}

static void answer(struct conn *c, struct metrics_conn *mc, const struct http_request *req)
{
	bool head = req->head;
	struct buf *b;
	if (metrics_route(req) == 200) {
		struct sbuf page = SBUF_INIT;
		mc->site->page(mc->site->ud, &page);
		struct http_response resp = {
			.status = 200,
			.content_type = METRICS_CONTENT_TYPE,
			.cache_control = "no-store",
			.body = page.data,
			.body_len = page.len,
			.head = head,
			.keep_alive = req->keep_alive,
		};
		b = http_response_build(&resp);
		sbuf_free(&page);
	} else {
		b = http_response_error(404, head, req->keep_alive);
	}
	if (b == NULL) {
		conn_close(c);
		return;
	}
	conn_send(c, b);
	buf_unref(b);
	if (!req->keep_alive)
		conn_close_after_flush(c);
}

static void metrics_on_read(struct conn *c, const uint8_t *data, size_t len)
{
	struct metrics_conn *mc = conn_transport_data(c);
	while (len > 0 && !conn_closing(c)) {
		size_t used = 0;
		if (!mc->partial) {
			mc->partial = true;
			mc->since_ms = conn_now(c);
		}
		int r = http_reader_feed(mc->reader, data, len, &used);
		if (r == HTTP_MORE)
			return;
		if (r < 0) {
			struct buf *b = http_response_error(-r, false, false);
			if (b != NULL) {
				conn_send(c, b);
				buf_unref(b);
			}
			conn_close_after_flush(c);
			return;
		}
		data += used;
		len -= used;
		answer(c, mc, http_reader_request(mc->reader));
		http_reader_reset(mc->reader);
		mc->partial = false;
		mc->since_ms = conn_now(c);
	}
}

static void metrics_on_tick(struct conn *c, uint64_t now)
{
	struct metrics_conn *mc = conn_transport_data(c);
	uint64_t limit = mc->partial ? HEADER_TIMEOUT_MS : IDLE_TIMEOUT_MS;
	if (now - mc->since_ms >= limit)
		conn_close(c);
}

static void metrics_destroy(struct conn *c)
{
	struct metrics_conn *mc = conn_transport_data(c);
	if (mc == NULL)
		return;
	http_reader_free(mc->reader);
	free(mc);
}

static const struct transport transport = {
	.name = "metrics",
	.on_read = metrics_on_read,
	.on_tick = metrics_on_tick,
	.destroy = metrics_destroy,
	.variant = CONN_VARIANT_NONE,
};

const struct transport *metrics_transport(void)
{
	return &transport;
}

void metrics_transport_attach(struct conn *c, struct metrics_site *site)
{
	struct metrics_conn *mc = xcalloc(1, sizeof(*mc));
	mc->site = site;
	mc->reader = http_reader_new();
	mc->since_ms = conn_now(c);
	conn_set_transport(c, &transport, mc);
}
