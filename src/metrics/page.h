/* The metrics page: Prometheus' text exposition format (version 0.0.4), rendered
 * when it is asked for from the counters each module keeps (their stats.h) and a
 * few gauges read off the live state at that moment.  Pure: counters in, text out;
 * no I/O, no loop.
 *
 * Names follow Prometheus' conventions: carrier_ first, counters end in _total,
 * base units in the name (_seconds, _bytes), histograms with _bucket/_sum/_count.
 * The families are listed in docs/DEPLOY.md ("Reading the metrics"). */
#ifndef CARRIER_METRICS_PAGE_H
#define CARRIER_METRICS_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bbs/stats.h"
#include "chat/stats.h"
#include "cluster/stats.h"
#include "http/stats.h"
#include "net/stats.h"
#include "store/stats.h"
#include "util/hist.h"
#include "util/sbuf.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* What the server itself counts: the loop, reloads, its listeners. */
#define METRICS_LISTENERS_MAX 8
struct server_stats {
	struct hist loop_lag;          /* how late the lag timer fired, each time */
	uint64_t reloads_ok;
	uint64_t reloads_failed;
	bool last_reload_failed;
	uint64_t accepted[METRICS_LISTENERS_MAX];   /* connections, by listener */
	const char *listener[METRICS_LISTENERS_MAX];   /* their names; NULL: unused */
	uint64_t scrapes;              /* metrics pages served */
	uint64_t refused_in_flight;    /* TLS handshakes / SSH logins over the per-address cap */
};

/* A gauge's sample with up to two label values (b may be NULL). */
struct metrics_row {
	const char *a, *b;
	uint64_t n;
};

struct metrics_input {
	const char *version;           /* carrier's */
	const char *sqlite_version;
	const char *libuv_version;
	uint64_t now_ms;               /* wall clock, ms since the epoch */
	uint64_t start_ms;             /* when the server started, likewise */

	/* counters, each module's own; NULL leaves that module's families out */
	const struct server_stats *server;
	const struct net_stats *net;
	const struct http_stats *http;
	const struct bbs_stats *bbs;
	const struct password_stats *password;
	const struct chat_stats *chat;
	const struct store_stats *store;
	const struct store_queue_stats *store_queue;   /* the database's jobs */
	const struct cluster_stats *cluster;     /* NULL: this server alone, no [cluster] */

	/* gauges, read off the live state when the page is asked for */
	const struct metrics_row *connections;   /* a = transport */
	size_t n_connections;
	const struct metrics_row *callers;       /* a = transport, b = activity */
	size_t n_callers;
	const struct metrics_row *rooms;         /* a = room name */
	size_t n_rooms;
	uint64_t nodes;                /* max_nodes */
	uint64_t nodes_in_use;
	uint64_t queued_bytes;         /* every connection's output queue, summed */
	uint64_t queued_bytes_max;     /* the largest one */
	/* with cluster: the bus and the other servers as this one sees them now */
	bool cluster_connected;
	uint64_t cluster_peers;        /* other servers heard on the bus */
	uint64_t cluster_remote_lines; /* lines (callers) they hold */
};

/* The whole page, appended to out. */
void metrics_render(struct sbuf *out, const struct metrics_input *in);

/* A label value as the format wants it, appended: \\ \" and \n escaped, bytes
 * that are not UTF-8 replaced by U+FFFD. */
void metrics_put_label(struct sbuf *out, const char *value);
/* ns as seconds in plain decimal ("0.00001", "2.5", "1"), appended. */
void metrics_put_seconds(struct sbuf *out, uint64_t ns);

/* Hold text[0..len) to the format, as far as this page uses it (for tests and the
 * fuzzer): lines end in '\n'; "# HELP name text" and "# TYPE name type" (counter,
 * gauge or histogram) once per family, before its samples; each sample is
 * name{label="value",...} number, its name the family's (or, for a histogram, the
 * family's with _bucket, _sum or _count), label values escaped and valid UTF-8,
 * no family twice.  Returns 0 if it holds, else the number of the first line that
 * breaks it (1-based). */
size_t metrics_page_check(const char *text, size_t len);

#endif
