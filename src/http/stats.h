/* What the web listener counts (the site's): plain integers, bumped on the loop
 * thread, read by the metrics page. */
#ifndef CARRIER_HTTP_STATS_H
#define CARRIER_HTTP_STATS_H

#include <stdint.h>

struct http_stats {
	uint64_t requests;            /* complete requests, answered or upgraded */
	uint64_t upgrades;            /* WebSocket upgrades accepted */
	uint64_t refused_origin;      /* upgrades refused for their Origin (403) */
	uint64_t refused_handshake;   /* other bad upgrades (400, 426) */
	uint64_t refused_limits;      /* requests over a size limit (413, 414, 431) */
	uint64_t bad_requests;        /* other malformed requests (400, 405, 505) */
	uint64_t forwarded;           /* requests whose client address a trusted proxy gave */
};

#endif
