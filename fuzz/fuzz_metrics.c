/* libFuzzer harness for the metrics listener's request path and the metrics page
 * (src/metrics/).
 *
 * Input: byte 0 seeds the counters; then, up to the first NUL, room names one a
 * line (any bytes: the page must escape or replace what the format forbids); the
 * rest is what a scraper sends, fed to the request reader as pipelined requests.
 *
 * Checks: the page holds to the exposition format whatever the names and counters
 * (metrics_page_check), every room shows up as a sample; a complete request is
 * routed to 200 exactly when its path is /metrics, else 404. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/request.h"
#include "metrics/listener.h"
#include "metrics/page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)
#define ROOMS 8

static uint64_t next(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 11;
}

static void page(const uint8_t *names, size_t len, uint8_t seed)
{
	char text[ROOMS][80];
	struct metrics_row rooms[ROOMS];
	size_t n = 0, at = 0;
	while (at <= len && n < ROOMS) {
		const uint8_t *nl = memchr(names + at, '\n', len - at);
		size_t l = nl ? (size_t)(nl - names - at) : len - at;
		size_t k = l < sizeof(text[0]) - 1 ? l : sizeof(text[0]) - 1;
		memcpy(text[n], names + at, k);
		text[n][k] = '\0';
		rooms[n] = (struct metrics_row){ text[n], NULL, n };
		n++;
		at += l + 1;
	}
	uint64_t s = seed;
	struct server_stats server = { .listener = { "http", "telnet" } };
	struct net_stats net;
	struct http_stats http;
	struct bbs_stats bbs;
	struct password_stats pw;
	struct chat_stats chat;
	struct store_stats store = { 0 };
	struct cluster_stats cluster;
	uint64_t *all[] = { (uint64_t *)&net, (uint64_t *)&http, (uint64_t *)&bbs,
	                    (uint64_t *)&pw, (uint64_t *)&chat, (uint64_t *)&cluster };
	size_t sizes[] = { sizeof(net), sizeof(http), sizeof(bbs), sizeof(pw), sizeof(chat),
	                   sizeof(cluster) };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		for (size_t j = 0; j < sizes[i] / sizeof(uint64_t); j++)
			all[i][j] = next(&s) >> (next(&s) % 64);
	for (int i = 0; i < 20; i++) {
		hist_add(&server.loop_lag, next(&s) >> (next(&s) % 64));
		hist_add(&store.statement, next(&s) >> (next(&s) % 64));
	}
	struct metrics_row callers[] = { { "websocket", text[0], 1 }, { "telnet", "login", 2 } };
	struct metrics_input in = {
		.version = text[0], .sqlite_version = "3", .libuv_version = "1",
		.now_ms = next(&s), .start_ms = next(&s),
		.server = &server, .net = &net, .http = &http, .bbs = &bbs, .password = &pw,
		.chat = &chat, .store = &store, .cluster = (seed & 1) ? &cluster : NULL,
		.cluster_connected = (seed & 2) != 0, .cluster_peers = next(&s) % 8,
		.cluster_remote_lines = next(&s),
		.callers = callers, .n_callers = 2, .rooms = rooms, .n_rooms = n,
	};
	struct sbuf out = SBUF_INIT;
	metrics_render(&out, &in);
	CHECK(metrics_page_check((const char *)out.data, out.len) == 0);
	/* one carrier_chat_members sample per room */
	size_t samples = 0;
	for (const uint8_t *p = out.data; (p = memmem(p, out.len - (size_t)(p - out.data),
	                                              "\ncarrier_chat_members{", 22)) != NULL; p++)
		samples++;
	CHECK(samples == n);
	sbuf_free(&out);
}

static void requests(const uint8_t *data, size_t size)
{
	struct http_reader *r = http_reader_new();
	size_t off = 0;
	while (off < size) {
		size_t used = 0;
		int rc = http_reader_feed(r, data + off, size - off, &used);
		if (rc != HTTP_DONE)
			break;
		const struct http_request *q = http_reader_request(r);
		int status = metrics_route(q);
		CHECK(status == (strcmp(q->path, "/metrics") == 0 ? 200 : 404));
		off += used;
		http_reader_reset(r);
	}
	http_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t seed = data[0];
	data++;
	size--;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t names = nul ? (size_t)(nul - data) : size;
	page(data, names, seed);
	if (nul != NULL)
		requests(nul + 1, size - names - 1);
	return 0;
}
