/* A histogram of durations, in plain integers: a count, a sum and one counter per
 * bucket, with bounds fixed for the whole program (10 us to 5 s), so the metrics
 * page can print any of them the same way (Prometheus' _bucket, _sum, _count).
 * Adding is a few integer operations; nothing is allocated. */
#ifndef CARRIER_UTIL_HIST_H
#define CARRIER_UTIL_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_BUCKETS 12

/* Upper bounds of the buckets, in nanoseconds, ascending (the last bucket, +Inf,
 * is the count). */
extern const uint64_t hist_bounds_ns[HIST_BUCKETS];

struct hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t bucket[HIST_BUCKETS];   /* observations <= the bound, not cumulative */
	uint64_t max_ns;                 /* the largest observation */
};

static inline void hist_add(struct hist *h, uint64_t ns)
{
	h->count++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	for (size_t i = 0; i < HIST_BUCKETS; i++) {
		if (ns <= hist_bounds_ns[i]) {
			h->bucket[i]++;
			return;
		}
	}
}

#endif
