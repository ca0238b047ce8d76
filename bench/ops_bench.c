/* Micro-benchmarks of what running for real costs on the loop (docs/BENCHMARKS.md,
 * "Running for real"): rendering the metrics page, adding to a histogram, reading
 * the monotonic clock (twice per database statement, against a statement's own
 * time), one loop-lag measure.
 *
 *   make bench-ops            (build/bench/ops_bench [ROOMS] [TRANSPORTS])
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "metrics/page.h"
#include "store/store.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t sink;

static void never_cb(uv_timer_t *t)
{
	(void)t;
	abort();               /* the loop is never run while the timer is armed */
}

int main(int argc, char **argv)
{
	size_t n_rooms = argc > 1 ? (size_t)atoi(argv[1]) : 1;
	size_t n_transports = argc > 2 ? (size_t)atoi(argv[2]) : 2;
	const char *tnames[] = { "websocket", "telnet", "ssh", "websocket-tls" };
	const char *acts[] = { "login", "register", "menu", "chat", "line_busy" };
	static struct metrics_row rooms[256], callers[32], conns[8];
	static char names[256][32];
	struct server_stats server = { .listener = { "http", "telnet", "metrics" } };
	struct net_stats net = { .accepted = 123456 };
	struct http_stats http = { .requests = 99999 };
	struct bbs_stats bbs = { .logins_ok = 4242 };
	struct password_stats pw = { .jobs = 5000 };
	struct chat_stats chat = { .missed = 7 };
	struct store_stats store = { .errors = 0 };
	for (int i = 0; i < 1000; i++) {
		hist_add(&server.loop_lag, (uint64_t)i * 1000);
		hist_add(&store.statement, (uint64_t)i * 37);
	}
	for (size_t i = 0; i < n_rooms && i < 256; i++) {
		snprintf(names[i], sizeof(names[i]), "Room %zu", i);
		rooms[i] = (struct metrics_row){ names[i], NULL, i * 3 };
	}
	size_t nc = 0;
	for (size_t t = 0; t < n_transports && t < 4; t++) {
		conns[t] = (struct metrics_row){ tnames[t], NULL, 100 + t };
		for (size_t a = 0; a < 5; a++)
			callers[nc++] = (struct metrics_row){ tnames[t], acts[a], a * 10 };
	}
	struct metrics_input in = {
		.version = "0.1.0", .sqlite_version = "3.40.1", .libuv_version = "1.44.2",
		.now_ms = 1700000000000, .start_ms = 1690000000000,
		.server = &server, .net = &net, .http = &http, .bbs = &bbs, .password = &pw,
		.chat = &chat, .store = &store,
		.connections = conns, .n_connections = n_transports,
		.callers = callers, .n_callers = nc, .rooms = rooms, .n_rooms = n_rooms,
		.nodes = 1000, .nodes_in_use = 900,
	};

	/* the page */
	struct sbuf out = SBUF_INIT;
	metrics_render(&out, &in);
	size_t bytes = out.len;
	int iters = 20000;
	double t0 = now_s();
	for (int i = 0; i < iters; i++) {
		sbuf_reset(&out);
		metrics_render(&out, &in);
	}
	double render = (now_s() - t0) / iters;
	sbuf_free(&out);

	/* a histogram add */
	struct hist h = { 0 };
	int adds = 20000000;
	volatile uint64_t x = 97;     /* keeps the compiler from folding the loop */
	t0 = now_s();
	for (int i = 0; i < adds; i++)
		hist_add(&h, (uint64_t)(i & 0xfffff) * x);
	double add = (now_s() - t0) / adds;
	sink += h.count + h.sum_ns + h.bucket[5];

	/* the monotonic clock, as store_stmt/store_done read it */
	struct timespec ts;
	int reads = 20000000;
	t0 = now_s();
	for (int i = 0; i < reads; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		sink += (uint64_t)ts.tv_nsec;
	}
	double clock = (now_s() - t0) / reads;

	/* one loop-lag measure, as the sweep timer takes it: uv_hrtime, a histogram
	 * add, the timer's next due time */
	uv_loop_t loop;
	uv_timer_t timer;
	uv_loop_init(&loop);
	uv_timer_init(&loop, &timer);
	uv_timer_start(&timer, never_cb, 1000, 1000);
	int ticks = 5000000;
	uint64_t due = 0;
	t0 = now_s();
	for (int i = 0; i < ticks; i++) {
		uint64_t t = uv_hrtime();
		hist_add(&h, t > due ? t - due : 0);
		due = (uv_now(&loop) + uv_timer_get_due_in(&timer)) * 1000000u;
	}
	double tick = (now_s() - t0) / ticks;
	uv_timer_stop(&timer);
	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);

	/* a statement, timed as the store times it: a user looked up by handle */
	char dir[] = "/tmp/carrier-opsbench-XXXXXX", path[64], err[256];
	double stmt = 0;
	if (mkdtemp(dir) != NULL) {
		snprintf(path, sizeof(path), "%s/b.db", dir);
		struct store *st = store_open(path, err, sizeof(err));
		if (st != NULL) {
			char handle[32];
			for (int i = 0; i < 1000; i++) {
				snprintf(handle, sizeof(handle), "user%d", i);
				store_user_create(st, handle, "$argon2id$x", NULL, 10, 1, NULL);
			}
			struct store_user u;
			int gets = 200000;
			t0 = now_s();
			for (int i = 0; i < gets; i++) {
				snprintf(handle, sizeof(handle), "user%d", i % 1000);
				store_user_get(st, handle, &u);
			}
			stmt = (now_s() - t0) / gets;
			store_close(st);
		}
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}

	printf("metrics page: %zu rooms, %zu transports: %zu bytes, %.1f us per render\n",
	       n_rooms, n_transports, bytes, render * 1e6);
	printf("hist_add: %.1f ns\n", add * 1e9);
	printf("clock_gettime(CLOCK_MONOTONIC): %.1f ns (twice per database statement)\n",
	       clock * 1e9);
	printf("loop-lag measure (hrtime, hist_add, due time): %.1f ns, once a second\n",
	       tick * 1e9);
	printf("a statement (user by handle, timed): %.2f us; its two clock reads: %.1f%%\n",
	       stmt * 1e6, stmt > 0 ? 200.0 * clock / stmt : 0.0);
	return sink == 42 ? 1 : 0;
}
