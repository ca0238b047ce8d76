/* Connections still proving themselves -- a TLS handshake, an SSH key exchange and
 * login -- counted per peer address, so that one address cannot hold many of them
 * at once (the rest are refused at accept).  Those that finish stop counting;
 * those that never do are closed by their own timeouts.  Loop thread only. */
#ifndef CARRIER_NET_INFLIGHT_H
#define CARRIER_NET_INFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

struct inflight;

struct inflight *inflight_new(unsigned max_per_address);
void inflight_free(struct inflight *t);   /* NULL is a no-op */

/* peer is "ADDR:PORT" (conn_peer); the port is ignored.  Count one more from ADDR,
 * or return false (and count nothing) if it has max_per_address already. */
bool inflight_take(struct inflight *t, const char *peer);
/* One from ADDR is done (or gone).  Each successful take is released once. */
void inflight_release(struct inflight *t, const char *peer);
/* How many from ADDR are counted now. */
unsigned inflight_count(const struct inflight *t, const char *peer);

#endif
