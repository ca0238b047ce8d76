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

#endif
