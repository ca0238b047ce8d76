/* The metrics page from the live server: each module's counters, and the gauges
 * read off the state at this moment (connections by transport, callers by
 * transport and activity, members per room, output queues).  Walks every
 * connection and node once: called only when a scraper asks. */
#ifndef CARRIER_METRICS_COLLECT_H
#define CARRIER_METRICS_COLLECT_H

#include <stdint.h>

#include "metrics/page.h"

struct bbs;
struct conn_set;
struct http_site;

struct metrics_sources {
	const char *version;
	uint64_t start_ms;                    /* wall clock, ms since the epoch */
	const struct server_stats *server;
	struct conn_set *conns;
	const struct http_site *site;
	struct bbs *bbs;
};

/* The page, appended to out. */
void metrics_collect(const struct metrics_sources *src, struct sbuf *out);

#endif
