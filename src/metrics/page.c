/* The metrics page: each family is its HELP and TYPE lines and its samples, in a
 * fixed order, from the counters given. */
#include "metrics/page.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cluster/wire.h"
#include "util/utf8.h"

static const char *const chat_kinds[CHAT_KIND_COUNT] = {
	[CHAT_PUBLIC] = "public", [CHAT_ACTION] = "action", [CHAT_JOIN] = "join",
	[CHAT_LEAVE] = "leave", [CHAT_DM] = "dm", [CHAT_PAGE] = "page",
	[CHAT_SYSOP] = "sysop", [CHAT_SYSTEM] = "system", [CHAT_INVITE] = "invite",
	[CHAT_TOPIC] = "topic", [CHAT_KICK] = "kick", [CHAT_BROADCAST] = "broadcast",
};

void metrics_put_label(struct sbuf *out, const char *value)
{
	const uint8_t *p = (const uint8_t *)(value ? value : "");
	while (*p != '\0') {
		if (*p == '\\') {
			sbuf_puts(out, "\\\\");
		} else if (*p == '"') {
			sbuf_puts(out, "\\\"");
		} else if (*p == '\n') {
			sbuf_puts(out, "\\n");
		} else if (*p < 0x80) {
			sbuf_putc(out, *p);
		} else {
			/* A whole UTF-8 sequence as is; a broken one becomes U+FFFD. */
			uint32_t state = UTF8_ACCEPT, cp;
			size_t n = 0;
			do
				state = utf8_step(&state, &cp, p[n++]);
			while (state != UTF8_ACCEPT && state != UTF8_REJECT && p[n] != '\0');
			if (state == UTF8_ACCEPT) {
				sbuf_append(out, p, n);
			} else {
				sbuf_puts(out, "\xef\xbf\xbd");
				n = n > 1 ? n - 1 : 1;    /* resume at the byte that broke it */
			}
			p += n;
			continue;
		}
		p++;
	}
}

void metrics_put_seconds(struct sbuf *out, uint64_t ns)
{
	char frac[16];
	uint64_t whole = ns / 1000000000u, rest = ns % 1000000000u;
	if (rest == 0) {
		sbuf_printf(out, "%" PRIu64, whole);
		return;
	}
	snprintf(frac, sizeof(frac), "%09" PRIu64, rest);
	size_t n = strlen(frac);
	while (n > 0 && frac[n - 1] == '0')
		n--;
	sbuf_printf(out, "%" PRIu64 ".%.*s", whole, (int)n, frac);
}

static void family(struct sbuf *out, const char *name, const char *type, const char *help)
{
	/* HELP text is ours: no backslashes or newlines to escape. */
	sbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(struct sbuf *out, const char *name, uint64_t v)
{
	sbuf_printf(out, "%s %" PRIu64 "\n", name, v);
}

/* name{key="value"} v; key2 may be NULL. */
static void sample_l(struct sbuf *out, const char *name, const char *key, const char *value,
                     const char *key2, const char *value2, uint64_t v)
{
	sbuf_printf(out, "%s{%s=\"", name, key);
	metrics_put_label(out, value);
	if (key2 != NULL) {
		sbuf_printf(out, "\",%s=\"", key2);
		metrics_put_label(out, value2);
	}
	sbuf_printf(out, "\"} %" PRIu64 "\n", v);
}

static void counter(struct sbuf *out, const char *name, const char *help, uint64_t v)
{
	family(out, name, "counter", help);
	sample(out, name, v);
}

static void gauge(struct sbuf *out, const char *name, const char *help, uint64_t v)
{
	family(out, name, "gauge", help);
	sample(out, name, v);
}

static void gauge_seconds(struct sbuf *out, const char *name, const char *help, uint64_t ns)
{
	family(out, name, "gauge", help);
	sbuf_printf(out, "%s ", name);
	metrics_put_seconds(out, ns);
	sbuf_putc(out, '\n');
}

/* A histogram of durations in seconds: cumulative buckets, +Inf, sum, count. */
static void histogram(struct sbuf *out, const char *name, const char *help,
                      const struct hist *h)
{
	uint64_t cum = 0;
	family(out, name, "histogram", help);
	for (size_t i = 0; i < HIST_BUCKETS; i++) {
		cum += h->bucket[i];
		sbuf_printf(out, "%s_bucket{le=\"", name);
		metrics_put_seconds(out, hist_bounds_ns[i]);
		sbuf_printf(out, "\"} %" PRIu64 "\n", cum);
	}
	sbuf_printf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->count);
	sbuf_printf(out, "%s_sum ", name);
	metrics_put_seconds(out, h->sum_ns);
	sbuf_printf(out, "\n%s_count %" PRIu64 "\n", name, h->count);
}

static void rows(struct sbuf *out, const char *name, const char *type, const char *help,
                 const char *key, const char *key2, const struct metrics_row *r, size_t n)
{
	family(out, name, type, help);
	for (size_t i = 0; i < n; i++)
		sample_l(out, name, key, r[i].a, key2, key2 ? r[i].b : NULL, r[i].n);
}

static void process(struct sbuf *out, const struct metrics_input *in)
{
	family(out, "carrier_build_info", "gauge",
	       "The version of carrier and of the libraries it runs on (always 1).");
	sbuf_puts(out, "carrier_build_info{version=\"");
	metrics_put_label(out, in->version);
	sbuf_puts(out, "\",sqlite=\"");
	metrics_put_label(out, in->sqlite_version);
	sbuf_puts(out, "\",libuv=\"");
	metrics_put_label(out, in->libuv_version);
	sbuf_puts(out, "\"} 1\n");
	family(out, "carrier_start_time_seconds", "gauge",
	       "When the server started, in seconds since the epoch.");
	sbuf_puts(out, "carrier_start_time_seconds ");
	metrics_put_seconds(out, in->start_ms * 1000000u);
	sbuf_putc(out, '\n');
	gauge_seconds(out, "carrier_uptime_seconds", "How long the server has been running.",
	              in->now_ms > in->start_ms ? (in->now_ms - in->start_ms) * 1000000u : 0);
}

static void server(struct sbuf *out, const struct server_stats *s)
{
	histogram(out, "carrier_loop_lag_seconds",
	          "How late the event loop ran a timer (a busy or blocked loop runs it late).",
	          &s->loop_lag);
	gauge_seconds(out, "carrier_loop_lag_max_seconds",
	              "The latest the event loop has run a timer since the server started.",
	              s->loop_lag.max_ns);
	family(out, "carrier_config_reloads_total", "counter",
	       "Reloads of carrier.toml (SIGHUP), by result; a failed one changes nothing.");
	sample_l(out, "carrier_config_reloads_total", "result", "ok", NULL, NULL, s->reloads_ok);
	sample_l(out, "carrier_config_reloads_total", "result", "failed", NULL, NULL,
	         s->reloads_failed);
	gauge(out, "carrier_config_last_reload_successful",
	      "0 if the last reload was refused (the running settings were kept), else 1.",
	      s->last_reload_failed ? 0 : 1);
	family(out, "carrier_connections_accepted_total", "counter",
	       "Connections accepted, by listener.");
	for (size_t i = 0; i < METRICS_LISTENERS_MAX; i++)
		if (s->listener[i] != NULL)
			sample_l(out, "carrier_connections_accepted_total", "listener", s->listener[i],
			         NULL, NULL, s->accepted[i]);
	counter(out, "carrier_metrics_scrapes_total", "Metrics pages served.", s->scrapes);
}

static void net(struct sbuf *out, const struct metrics_input *in)
{
	const struct net_stats *n = in->net;
	rows(out, "carrier_connections", "gauge",
	     "Open connections, by transport (http: page fetches and upgrades under way).",
	     "transport", NULL, in->connections, in->n_connections);
	counter(out, "carrier_connections_accept_failed_total",
	        "Connections that could not be accepted (out of descriptors...).",
	        n->accept_failed);
	counter(out, "carrier_connections_closed_total", "Connections closed, for any reason.",
	        n->closed);
	counter(out, "carrier_output_limit_closes_total",
	        "Connections closed for letting their own output pass [limits] hard_limit.",
	        n->output_limit);
	counter(out, "carrier_output_dropped_total",
	        "Shared output (chat lines) dropped for connections over [limits] high_water.",
	        n->shared_dropped);
	gauge(out, "carrier_output_queue_bytes",
	      "Bytes queued for sending, summed over every connection.", in->queued_bytes);
	gauge(out, "carrier_output_queue_max_bytes",
	      "Bytes queued for sending on the connection with the most.", in->queued_bytes_max);
	counter(out, "carrier_received_bytes_total", "Bytes read from sockets.", n->bytes_read);
	counter(out, "carrier_sent_bytes_total", "Bytes written to sockets.", n->bytes_written);
	counter(out, "carrier_writes_total", "Writes to sockets (system calls or write requests).",
	        n->writes);
}

/* Refused connections come from three modules; one family, by reason. */
static void refused(struct sbuf *out, const struct metrics_input *in)
{
	const char *name = "carrier_connections_refused_total";
	family(out, name, "counter",
	       "Callers refused, by reason: line_busy (every node in use), origin (a "
	       "WebSocket from a page not allowed), handshake (a bad upgrade), limits (a "
	       "request over a size limit, or too many TLS handshakes or SSH logins under way "
	       "from one address).");
	if (in->bbs)
		sample_l(out, name, "reason", "line_busy", NULL, NULL, in->bbs->line_busy);
	if (in->http) {
		uint64_t in_flight = in->server ? in->server->refused_in_flight : 0;
		sample_l(out, name, "reason", "origin", NULL, NULL, in->http->refused_origin);
		sample_l(out, name, "reason", "handshake", NULL, NULL, in->http->refused_handshake);
		sample_l(out, name, "reason", "limits", NULL, NULL,
		         in->http->refused_limits + in_flight);
	}
}

static void http(struct sbuf *out, const struct http_stats *h)
{
	counter(out, "carrier_http_requests_total", "HTTP requests on the public listener.",
	        h->requests);
	counter(out, "carrier_http_bad_requests_total",
	        "Malformed HTTP requests (400, 405, 505) on the public listener.", h->bad_requests);
	counter(out, "carrier_websocket_upgrades_total", "WebSocket upgrades accepted.",
	        h->upgrades);
	counter(out, "carrier_http_forwarded_total",
	        "Requests whose client address came from a trusted proxy's header.",
	        h->forwarded);
}

static void bbs(struct sbuf *out, const struct metrics_input *in)
{
	const struct bbs_stats *b = in->bbs;
	gauge(out, "carrier_nodes", "Nodes (callers online at once, [bbs] max_nodes).", in->nodes);
	gauge(out, "carrier_nodes_in_use", "Nodes taken by a caller.", in->nodes_in_use);
	rows(out, "carrier_callers", "gauge",
	     "Callers on a node, by transport and activity (login, register, menu, chat, "
	     "line_busy).", "transport", "activity", in->callers, in->n_callers);
	counter(out, "carrier_calls_total", "Callers who got a node.", b->calls);
	family(out, "carrier_logins_total", "counter",
	       "Logins by result: ok (password, session token or new account), failed (no "
	       "such handle or a wrong password), locked (the handle is locked out), unavailable "
	       "(the database did not answer: logins and registrations turned away).");
	sample_l(out, "carrier_logins_total", "result", "ok", NULL, NULL, b->logins_ok);
	sample_l(out, "carrier_logins_total", "result", "failed", NULL, NULL, b->logins_failed);
	sample_l(out, "carrier_logins_total", "result", "locked", NULL, NULL, b->logins_locked);
	sample_l(out, "carrier_logins_total", "result", "unavailable", NULL, NULL,
	         b->logins_unavailable);
	counter(out, "carrier_logins_resumed_total",
	        "Logins with a browser's session token (counted in ok too).", b->logins_resumed);
	counter(out, "carrier_lockouts_total", "Handles locked out after too many failures.",
	        b->lockouts);
	counter(out, "carrier_registrations_total", "New accounts.", b->registrations);
	counter(out, "carrier_idle_timeouts_total", "Callers hung up on for idling.", b->timeouts);
}

static void password(struct sbuf *out, const struct password_stats *p)
{
	gauge(out, "carrier_password_jobs",
	      "Argon2id jobs (logins, new accounts) queued or running on the thread pool.",
	      p->jobs_pending);
	counter(out, "carrier_password_jobs_total", "Argon2id jobs queued.", p->jobs);
}

static void chat(struct sbuf *out, const struct metrics_input *in)
{
	const struct chat_stats *c = in->chat;
	gauge(out, "carrier_chat_rooms", "Chat rooms.", in->n_rooms);
	rows(out, "carrier_chat_members", "gauge", "Callers in each chat room.", "room", NULL,
	     in->rooms, in->n_rooms);
	family(out, "carrier_chat_events_total", "counter", "Chat events, by kind.");
	for (size_t k = 0; k < CHAT_KIND_COUNT; k++)
		sample_l(out, "carrier_chat_events_total", "kind", chat_kinds[k], NULL, NULL,
		         c->events[k]);
	family(out, "carrier_chat_deliveries_total", "counter",
	       "Chat lines handed to callers, by kind: a public line in a room of N callers "
	       "is N deliveries, a private message two (its line and the receipt).");
	for (size_t k = 0; k < CHAT_KIND_COUNT; k++)
		sample_l(out, "carrier_chat_deliveries_total", "kind", chat_kinds[k], NULL, NULL,
		         c->delivered[k]);
	counter(out, "carrier_chat_missed_total",
	        "Chat lines a congested caller missed (told later \"Missed N messages\").",
	        c->missed);
	counter(out, "carrier_chat_flood_refused_total", "Lines refused by flood control.",
	        c->flood_refused);
	counter(out, "carrier_chat_joins_total", "Callers entering a chat room.", c->joins);
	counter(out, "carrier_chat_leaves_total", "Callers leaving a chat room.", c->leaves);
	counter(out, "carrier_chat_room_full_total", "Callers turned away from a full room.",
	        c->full);
}

static void store(struct sbuf *out, const struct store_stats *s)
{
	histogram(out, "carrier_db_statement_seconds",
	          "Database statements, from taking one to handing it back (on the loop with "
	          "SQLite, on the database thread with PostgreSQL).",
	          &s->statement);
	counter(out, "carrier_db_errors_total", "Database statements that failed.", s->errors);
	counter(out, "carrier_db_busy_total",
	        "... of which because another connection held a lock.", s->busy);
}

static void store_queue(struct sbuf *out, const struct store_queue_stats *q)
{
	counter(out, "carrier_db_jobs_total", "Database jobs run (a login's look-ups, a write...).",
	        q->jobs);
	counter(out, "carrier_db_jobs_refused_total",
	        "Database jobs refused because too many were waiting.", q->refused);
	gauge(out, "carrier_db_jobs_waiting", "Database jobs waiting or running now.", q->depth);
	histogram(out, "carrier_db_job_seconds",
	          "Database jobs from being given to their answer on the loop (PostgreSQL: "
	          "the database thread's queue and round trips; SQLite runs them at once).",
	          &q->wait);
}

static void cluster(struct sbuf *out, const struct metrics_input *in)
{
	const struct cluster_stats *c = in->cluster;
	gauge(out, "carrier_cluster_connected", "1 while this server is on the Redis bus, else 0.",
	      in->cluster_connected ? 1 : 0);
	gauge(out, "carrier_cluster_peers", "Other servers of the cluster heard on the bus.",
	      in->cluster_peers);
	gauge(out, "carrier_cluster_remote_lines", "Callers on the other servers of the cluster.",
	      in->cluster_remote_lines);
	counter(out, "carrier_cluster_published_total", "Messages this server put on the bus.",
	        c->published);
	counter(out, "carrier_cluster_received_total", "Messages this server took from the bus.",
	        c->received);
	const char *name = "carrier_cluster_dropped_total";
	family(out, name, "counter",
	       "Messages from the bus dropped, by reason: oversized, malformed, unknown (a type "
	       "or kind not known), invalid (a field missing, out of range or unsafe), "
	       "misplaced (not for the channel it came on).");
	for (int e = CLUSTER_WIRE_OK + 1; e < CLUSTER_WIRE_ERRORS; e++)
		sample_l(out, name, "reason", cluster_wire_error_name((enum cluster_wire_error)e),
		         NULL, NULL, c->dropped[e]);
	sample_l(out, name, "reason", "misplaced", NULL, NULL, c->misplaced);
	counter(out, "carrier_cluster_connects_total", "Times the bus came up.", c->connects);
	counter(out, "carrier_cluster_disconnects_total", "Times the bus went away.",
	        c->disconnects);
	counter(out, "carrier_cluster_lost_nodes_total",
	        "Other servers declared gone after [cluster] lost_after of silence.",
	        c->lost_nodes);
}

void metrics_render(struct sbuf *out, const struct metrics_input *in)
{
	process(out, in);
	if (in->server)
		server(out, in->server);
	if (in->net)
		net(out, in);
	refused(out, in);
	if (in->http)
		http(out, in->http);
	if (in->bbs)
		bbs(out, in);
	if (in->password)
		password(out, in->password);
	if (in->chat)
		chat(out, in);
	if (in->store)
		store(out, in->store);
	if (in->store_queue)
		store_queue(out, in->store_queue);
	if (in->cluster)
		cluster(out, in);
}

/* ---- the format, checked ---- */

#define CHECK_FAMILIES_MAX 256
#define CHECK_NAME_MAX 96

struct check {
	char family[CHECK_NAME_MAX];      /* the family being read */
	char type[16];
	char seen[CHECK_FAMILIES_MAX][CHECK_NAME_MAX];
	size_t n_seen;
};

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* A metric or label name at *p (labels: no ':'); its length, 0 if none. */
static size_t name_len(const char *p, const char *end, bool label)
{
	size_t n = 0;
	while (p + n < end && name_char(p[n], n == 0) && !(label && p[n] == ':'))
		n++;
	return n;
}

static bool number_ok(const char *p, const char *end)
{
	size_t n = (size_t)(end - p);
	if (n == 4 && (memcmp(p, "+Inf", 4) == 0 || memcmp(p, "-Inf", 4) == 0))
		return true;
	if (n == 3 && memcmp(p, "NaN", 3) == 0)
		return true;
	bool digits = false, dot = false;
	for (const char *q = p; q < end; q++) {
		if (*q >= '0' && *q <= '9')
			digits = true;
		else if (*q == '.' && !dot)
			dot = true;
		else if (!(*q == '-' && q == p))
			return false;
	}
	return digits;
}

static bool family_line(struct check *ck, const char *p, const char *end)
{
	bool help = (size_t)(end - p) > 7 && memcmp(p, "# HELP ", 7) == 0;
	bool type = (size_t)(end - p) > 7 && memcmp(p, "# TYPE ", 7) == 0;
	if (!help && !type)
		return false;
	p += 7;
	size_t n = name_len(p, end, false);
	if (n == 0 || n >= CHECK_NAME_MAX || p + n == end || p[n] != ' ')
		return false;
	const char *rest = p + n + 1;
	if (help) {
		/* a new family starts with its HELP */
		for (size_t i = 0; i < ck->n_seen; i++)
			if (strlen(ck->seen[i]) == n && memcmp(ck->seen[i], p, n) == 0)
				return false;
		if (ck->n_seen == CHECK_FAMILIES_MAX)
			return false;
		memcpy(ck->seen[ck->n_seen], p, n);
		ck->seen[ck->n_seen++][n] = '\0';
		memcpy(ck->family, p, n);
		ck->family[n] = '\0';
		ck->type[0] = '\0';
		return true;
	}
	if (strlen(ck->family) != n || memcmp(ck->family, p, n) != 0 || ck->type[0] != '\0')
		return false;
	size_t tl = (size_t)(end - rest);
	if (!((tl == 7 && memcmp(rest, "counter", 7) == 0) || (tl == 5 && memcmp(rest, "gauge", 5) == 0) ||
	      (tl == 9 && memcmp(rest, "histogram", 9) == 0)))
		return false;
	memcpy(ck->type, rest, tl);
	ck->type[tl] = '\0';
	return true;
}

static bool sample_name_ok(const struct check *ck, const char *p, size_t n)
{
	size_t f = strlen(ck->family);
	if (ck->type[0] == '\0' || n < f || memcmp(p, ck->family, f) != 0)
		return false;
	if (n == f)
		return strcmp(ck->type, "histogram") != 0;
	if (strcmp(ck->type, "histogram") != 0)
		return false;
	const char *suffix = p + f;
	size_t sl = n - f;
	return (sl == 7 && memcmp(suffix, "_bucket", 7) == 0) ||
	       (sl == 4 && memcmp(suffix, "_sum", 4) == 0) ||
	       (sl == 6 && memcmp(suffix, "_count", 6) == 0);
}

static bool sample_line(struct check *ck, const char *p, const char *end)
{
	size_t n = name_len(p, end, false);
	if (n == 0 || !sample_name_ok(ck, p, n))
		return false;
	p += n;
	if (p < end && *p == '{') {
		p++;
		for (;;) {
			size_t l = name_len(p, end, true);
			if (l == 0 || p + l + 1 >= end || p[l] != '=' || p[l + 1] != '"')
				return false;
			p += l + 2;
			const char *start = p;
			while (p < end && *p != '"') {
				if (*p == '\\') {
					if (p + 1 == end || (p[1] != '\\' && p[1] != '"' && p[1] != 'n'))
						return false;
					p++;
				}
				p++;
			}
			if (p == end || !utf8_valid((const uint8_t *)start, (size_t)(p - start)))
				return false;
			p++;                       /* the closing quote */
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			if (p < end && *p == '}') {
				p++;
				break;
			}
			return false;
		}
	}
	if (p == end || *p != ' ')
		return false;
	return number_ok(p + 1, end);
}

size_t metrics_page_check(const char *text, size_t len)
{
	struct check ck;                   /* 25 KiB: for tests and the fuzzer */
	memset(&ck, 0, sizeof(ck));
	size_t line = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		line++;
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			return line;
		bool ok = *p == '#' ? family_line(&ck, p, eol) : sample_line(&ck, p, eol);
		if (!ok)
			return line;
		p = eol + 1;
	}
	return 0;
}
