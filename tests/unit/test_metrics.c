/* The metrics page: counters in, Prometheus text out.  Every family once, with its
 * HELP and TYPE; counters where they should be; label values escaped; histograms
 * cumulative; and the format checker itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/page.h"

static char *render(const struct metrics_input *in)
{
	struct sbuf sb = SBUF_INIT;
	metrics_render(&sb, in);
	sbuf_putc(&sb, '\0');
	return (char *)sb.data;
}

/* True if text has this whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#define ASSERT_LINE(text, line) \
	do { if (!has_line(text, line)) fail_msg("no line %s in:\n%s", line, text); } while (0)

struct world {
	struct server_stats server;
	struct net_stats net;
	struct http_stats http;
	struct bbs_stats bbs;
	struct password_stats password;
	struct chat_stats chat;
	struct store_stats store;
	struct store_queue_stats queue;
	struct metrics_row conns[2], callers[3], rooms[2];
	struct metrics_input in;
};

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->server.listener[0] = "http";
	w->server.accepted[0] = 41;
	w->server.listener[1] = "telnet";
	w->server.accepted[1] = 7;
	w->server.reloads_ok = 2;
	w->server.reloads_failed = 1;
	w->server.last_reload_failed = true;
	hist_add(&w->server.loop_lag, 300000);        /* 0.3 ms */
	hist_add(&w->server.loop_lag, 20000000);      /* 20 ms */
	w->net.accepted = 48;
	w->net.shared_dropped = 5;
	w->http.refused_origin = 3;
	w->http.refused_limits = 1;
	w->bbs.line_busy = 4;
	w->bbs.logins_ok = 10;
	w->bbs.logins_failed = 2;
	w->bbs.logins_locked = 1;
	w->bbs.logins_unavailable = 6;
	w->queue.jobs = 40;
	w->queue.refused = 3;
	w->queue.depth = 2;
	hist_add(&w->queue.wait, 2000000);            /* 2 ms */
	w->password.jobs = 13;
	w->password.jobs_pending = 1;
	w->chat.events[CHAT_PUBLIC] = 6;
	w->chat.delivered[CHAT_PUBLIC] = 18;
	w->chat.missed = 2;
	hist_add(&w->store.statement, 20000);
	hist_add(&w->store.statement, 1500000000);
	w->conns[0] = (struct metrics_row){ "websocket", NULL, 3 };
	w->conns[1] = (struct metrics_row){ "telnet", NULL, 1 };
	w->callers[0] = (struct metrics_row){ "websocket", "chat", 2 };
	w->callers[1] = (struct metrics_row){ "websocket", "menu", 1 };
	w->callers[2] = (struct metrics_row){ "telnet", "login", 1 };
	w->rooms[0] = (struct metrics_row){ "Teleconference", NULL, 2 };
	w->rooms[1] = (struct metrics_row){ "a\"b\\c\nd", NULL, 0 };
	w->in = (struct metrics_input){
		.version = "0.1.0", .sqlite_version = "3.40.1", .libuv_version = "1.44.2",
		.now_ms = 1700000060500, .start_ms = 1700000000250,
		.server = &w->server, .net = &w->net, .http = &w->http, .bbs = &w->bbs,
		.password = &w->password, .chat = &w->chat, .store = &w->store,
		.store_queue = &w->queue,
		.connections = w->conns, .n_connections = 2,
		.callers = w->callers, .n_callers = 3,
		.rooms = w->rooms, .n_rooms = 2,
		.nodes = 32, .nodes_in_use = 4, .queued_bytes = 1234, .queued_bytes_max = 1000,
	};
}

static void test_page_holds_the_counters(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	char *text = render(&w.in);
	assert_int_equal(metrics_page_check(text, strlen(text)), 0);
	ASSERT_LINE(text, "carrier_build_info{version=\"0.1.0\",sqlite=\"3.40.1\",libuv=\"1.44.2\"} 1");
	ASSERT_LINE(text, "carrier_start_time_seconds 1700000000.25");
	ASSERT_LINE(text, "carrier_uptime_seconds 60.25");
	ASSERT_LINE(text, "# TYPE carrier_chat_deliveries_total counter");
	ASSERT_LINE(text, "carrier_chat_deliveries_total{kind=\"public\"} 18");
	ASSERT_LINE(text, "carrier_chat_deliveries_total{kind=\"dm\"} 0");
	ASSERT_LINE(text, "carrier_chat_events_total{kind=\"public\"} 6");
	assert_null(strstr(text, "kind=\"\""));      /* every kind has its name */
	ASSERT_LINE(text, "carrier_chat_missed_total 2");
	ASSERT_LINE(text, "carrier_output_dropped_total 5");
	ASSERT_LINE(text, "carrier_connections_refused_total{reason=\"line_busy\"} 4");
	ASSERT_LINE(text, "carrier_connections_refused_total{reason=\"origin\"} 3");
	ASSERT_LINE(text, "carrier_connections_refused_total{reason=\"limits\"} 1");
	ASSERT_LINE(text, "carrier_connections_accepted_total{listener=\"http\"} 41");
	ASSERT_LINE(text, "carrier_connections_accepted_total{listener=\"telnet\"} 7");
	ASSERT_LINE(text, "carrier_connections{transport=\"websocket\"} 3");
	ASSERT_LINE(text, "carrier_callers{transport=\"websocket\",activity=\"chat\"} 2");
	ASSERT_LINE(text, "carrier_callers{transport=\"telnet\",activity=\"login\"} 1");
	ASSERT_LINE(text, "carrier_logins_total{result=\"ok\"} 10");
	ASSERT_LINE(text, "carrier_logins_total{result=\"failed\"} 2");
	ASSERT_LINE(text, "carrier_logins_total{result=\"locked\"} 1");
	ASSERT_LINE(text, "carrier_logins_total{result=\"unavailable\"} 6");
	ASSERT_LINE(text, "carrier_db_jobs_total 40");
	ASSERT_LINE(text, "carrier_db_jobs_refused_total 3");
	ASSERT_LINE(text, "carrier_db_jobs_waiting 2");
	ASSERT_LINE(text, "carrier_db_job_seconds_bucket{le=\"0.001\"} 0");
	ASSERT_LINE(text, "carrier_db_job_seconds_bucket{le=\"0.005\"} 1");
	ASSERT_LINE(text, "carrier_db_job_seconds_count 1");
	ASSERT_LINE(text, "carrier_password_jobs 1");
	ASSERT_LINE(text, "carrier_password_jobs_total 13");
	ASSERT_LINE(text, "carrier_output_queue_bytes 1234");
	ASSERT_LINE(text, "carrier_output_queue_max_bytes 1000");
	ASSERT_LINE(text, "carrier_nodes 32");
	ASSERT_LINE(text, "carrier_nodes_in_use 4");
	ASSERT_LINE(text, "carrier_config_reloads_total{result=\"ok\"} 2");
	ASSERT_LINE(text, "carrier_config_reloads_total{result=\"failed\"} 1");
	ASSERT_LINE(text, "carrier_config_last_reload_successful 0");
	ASSERT_LINE(text, "carrier_chat_rooms 2");
	ASSERT_LINE(text, "carrier_chat_members{room=\"Teleconference\"} 2");
	/* a room name with a quote, a backslash and a newline */
	ASSERT_LINE(text, "carrier_chat_members{room=\"a\\\"b\\\\c\\nd\"} 0");
	free(text);
}

static void test_histograms(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	char *text = render(&w.in);
	/* 0.3 ms falls in the 0.5 ms bucket and every one above it */
	ASSERT_LINE(text, "# TYPE carrier_loop_lag_seconds histogram");
	ASSERT_LINE(text, "carrier_loop_lag_seconds_bucket{le=\"0.0001\"} 0");
	ASSERT_LINE(text, "carrier_loop_lag_seconds_bucket{le=\"0.0005\"} 1");
	ASSERT_LINE(text, "carrier_loop_lag_seconds_bucket{le=\"0.01\"} 1");
	ASSERT_LINE(text, "carrier_loop_lag_seconds_bucket{le=\"0.05\"} 2");
	ASSERT_LINE(text, "carrier_loop_lag_seconds_bucket{le=\"5\"} 2");
	ASSERT_LINE(text, "carrier_loop_lag_seconds_bucket{le=\"+Inf\"} 2");
	ASSERT_LINE(text, "carrier_loop_lag_seconds_sum 0.0203");
	ASSERT_LINE(text, "carrier_loop_lag_seconds_count 2");
	ASSERT_LINE(text, "carrier_loop_lag_max_seconds 0.02");
	ASSERT_LINE(text, "carrier_db_statement_seconds_bucket{le=\"0.00001\"} 0");
	ASSERT_LINE(text, "carrier_db_statement_seconds_bucket{le=\"0.00005\"} 1");
	ASSERT_LINE(text, "carrier_db_statement_seconds_bucket{le=\"1\"} 1");
	ASSERT_LINE(text, "carrier_db_statement_seconds_bucket{le=\"5\"} 2");
	ASSERT_LINE(text, "carrier_db_statement_seconds_sum 1.50002");
	free(text);
}

/* With [cluster]: the bus, the other servers, messages by fate. */
static void test_cluster(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	char *text = render(&w.in);
	assert_null(strstr(text, "carrier_cluster_"));     /* alone: none of it */
	free(text);
	struct cluster_stats cs = { .published = 12, .received = 30, .misplaced = 2,
	                            .connects = 2, .disconnects = 1, .lost_nodes = 1 };
	cs.dropped[CLUSTER_WIRE_MALFORMED] = 3;
	cs.dropped[CLUSTER_WIRE_INVALID] = 4;
	w.in.cluster = &cs;
	w.in.cluster_connected = true;
	w.in.cluster_peers = 2;
	w.in.cluster_remote_lines = 17;
	text = render(&w.in);
	assert_int_equal(metrics_page_check(text, strlen(text)), 0);
	ASSERT_LINE(text, "carrier_cluster_connected 1");
	ASSERT_LINE(text, "carrier_cluster_peers 2");
	ASSERT_LINE(text, "carrier_cluster_remote_lines 17");
	ASSERT_LINE(text, "# TYPE carrier_cluster_published_total counter");
	ASSERT_LINE(text, "carrier_cluster_published_total 12");
	ASSERT_LINE(text, "carrier_cluster_received_total 30");
	ASSERT_LINE(text, "carrier_cluster_dropped_total{reason=\"oversized\"} 0");
	ASSERT_LINE(text, "carrier_cluster_dropped_total{reason=\"malformed\"} 3");
	ASSERT_LINE(text, "carrier_cluster_dropped_total{reason=\"unknown\"} 0");
	ASSERT_LINE(text, "carrier_cluster_dropped_total{reason=\"invalid\"} 4");
	ASSERT_LINE(text, "carrier_cluster_dropped_total{reason=\"misplaced\"} 2");
	assert_null(strstr(text, "reason=\"ok\""));
	ASSERT_LINE(text, "carrier_cluster_connects_total 2");
	ASSERT_LINE(text, "carrier_cluster_disconnects_total 1");
	ASSERT_LINE(text, "carrier_cluster_lost_nodes_total 1");
	assert_int_equal(cluster_stats_dropped(&cs), 9);
	free(text);
}

static void test_modules_left_out(void **state)
{
	(void)state;
	struct metrics_input in = { .version = "x", .sqlite_version = "y", .libuv_version = "z" };
	char *text = render(&in);
	assert_int_equal(metrics_page_check(text, strlen(text)), 0);
	assert_null(strstr(text, "carrier_chat_"));
	assert_null(strstr(text, "carrier_db_"));
	assert_non_null(strstr(text, "carrier_uptime_seconds 0\n"));
	free(text);
}

static void test_seconds(void **state)
{
	(void)state;
	struct sbuf sb = SBUF_INIT;
	uint64_t ns[] = { 0, 1, 10000, 1000000000, 2500000000u, 123456789 };
	const char *want = "0 0.000000001 0.00001 1 2.5 0.123456789 ";
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		metrics_put_seconds(&sb, ns[i]);
		sbuf_putc(&sb, ' ');
	}
	sbuf_putc(&sb, '\0');
	assert_string_equal((char *)sb.data, want);
	sbuf_free(&sb);
}

static void test_labels(void **state)
{
	(void)state;
	struct sbuf sb = SBUF_INIT;
	metrics_put_label(&sb, "Caf\xc3\xa9 \"x\"\\\n");
	metrics_put_label(&sb, "|\xff|\xc3(|\xe2\x82");
	sbuf_putc(&sb, '\0');
	assert_string_equal((char *)sb.data, "Caf\xc3\xa9 \\\"x\\\"\\\\\\n"
	                    "|\xef\xbf\xbd|\xef\xbf\xbd(|\xef\xbf\xbd\xef\xbf\xbd");
	sbuf_free(&sb);
}

static void test_checker_refuses(void **state)
{
	(void)state;
	const char *ok = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 2\n";
	assert_int_equal(metrics_page_check(ok, strlen(ok)), 0);
	static const struct { const char *text; size_t line; } bad[] = {
		{ "a 1\n", 1 },                                          /* no family */
		{ "# HELP a A.\n# TYPE a counter\na 1", 3 },              /* no newline */
		{ "# HELP a A.\n# TYPE a counter\nb 1\n", 3 },            /* another name */
		{ "# HELP a A.\n# TYPE a counter\na{x=\"\n", 3 },         /* unterminated */
		{ "# HELP a A.\n# TYPE a counter\na{x=\"\\q\"} 1\n", 3 }, /* bad escape */
		{ "# HELP a A.\n# TYPE a counter\na{x=\"\xff\"} 1\n", 3 },/* not UTF-8 */
		{ "# HELP a A.\n# TYPE a counter\na one\n", 3 },          /* not a number */
		{ "# HELP a A.\n# TYPE a gauge\na_bucket 1\n", 3 },       /* not a histogram */
		{ "# HELP a A.\n# TYPE a nonsense\n", 2 },
		{ "# HELP a A.\n# TYPE a gauge\n# HELP a A.\n", 3 },      /* a family twice */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(metrics_page_check(bad[i].text, strlen(bad[i].text)), bad[i].line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_holds_the_counters),
		cmocka_unit_test(test_histograms),
		cmocka_unit_test(test_cluster),
		cmocka_unit_test(test_modules_left_out),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_checker_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
