/* What the database counts (each store its own): plain integers, bumped on the
 * thread that uses the store (the loop's), read by the metrics page. */
#ifndef CARRIER_STORE_STATS_H
#define CARRIER_STORE_STATS_H

#include <stdint.h>

#include "util/hist.h"

struct store_stats {
	/* Each statement from taking it out of the cache to handing it back: binding,
	 * every step, and the callbacks of a query that walks rows. */
	struct hist statement;
	uint64_t errors;              /* statements that failed (logged) */
	uint64_t busy;                /* ... of which for a lock held elsewhere */
};

/* The store's jobs (store/queue.h), counted on the loop. */
struct store_queue_stats {
	uint64_t jobs;            /* run */
	uint64_t refused;         /* refused: the queue was full */
	uint64_t depth;           /* waiting or running now */
	uint64_t depth_max;
	struct hist wait;         /* from submit to done, loop side (PostgreSQL) */
};

#endif
