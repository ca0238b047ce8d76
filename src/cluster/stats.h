/* What the cluster counts: plain integers, owned by the cluster (struct cluster),
 * bumped on the loop thread, read by the control line's stats and the metrics
 * page. */
#ifndef CARRIER_CLUSTER_STATS_H
#define CARRIER_CLUSTER_STATS_H

#include <stdint.h>

#include "cluster/wire.h"

struct cluster_stats {
	uint64_t published;           /* messages sent */
	uint64_t received;            /* messages taken from the bus */
	uint64_t dropped[CLUSTER_WIRE_ERRORS];   /* refused by the decoder, by reason */
	uint64_t misplaced;           /* well formed, but not for the channel it came on */
	uint64_t unroutable;          /* a private event for a handle online nowhere */
	uint64_t connects;            /* times the bus came up */
	uint64_t disconnects;         /* times it went away */
	uint64_t lost_nodes;          /* servers declared gone */
};

/* Every message dropped: refused by the decoder for any reason, or misplaced. */
static inline uint64_t cluster_stats_dropped(const struct cluster_stats *s)
{
	uint64_t n = s->misplaced;
	for (int e = 0; e < CLUSTER_WIRE_ERRORS; e++)
		n += s->dropped[e];
	return n;
}

#endif
