/* What the connections count: plain integers, owned by the conn set (struct
 * conn_set's stats), bumped on the loop thread, read by the metrics page. */
#ifndef CARRIER_NET_STATS_H
#define CARRIER_NET_STATS_H

#include <stdint.h>

struct net_stats {
	uint64_t accepted;            /* connections accepted */
	uint64_t accept_failed;       /* accept() failed (e.g. out of descriptors) */
	uint64_t closed;              /* connections closed (any reason) */
	uint64_t output_limit;        /* closed for letting own output pass the hard limit */
	uint64_t shared_dropped;      /* shared buffers dropped for a congested queue */
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t writes;              /* write system calls (uv_try_write / uv_write) */
};

#endif
