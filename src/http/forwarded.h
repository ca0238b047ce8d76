/* The real client behind a reverse proxy (nginx, Caddy): the address a trusted
 * proxy passes on in X-Forwarded-For or X-Real-IP.  Pure.
 *
 * Only a request that came from one of the trusted proxies ([server]
 * trusted_proxies) is believed; from anyone else the headers are ignored (anyone
 * can write them).  X-Forwarded-For is read from the right: each proxy appends the
 * address it was connected from, so the right-most entry that is not itself a
 * trusted proxy is the client (entries further left were written by the client and
 * prove nothing).  If every entry is a trusted proxy, the left-most is taken.
 * Without X-Forwarded-For, X-Real-IP (one address) is taken. */
#ifndef CARRIER_HTTP_FORWARDED_H
#define CARRIER_HTTP_FORWARDED_H

#include <stdbool.h>
#include <stddef.h>

#include "util/netaddr.h"

/* The client of a request from peer (the TCP peer's address) with these headers
 * (NULL if absent; xff may be several headers joined with ", "), given the trusted
 * proxies trusted[0..n).  True with *client filled when the headers name it; false
 * (use the peer) when the peer is not trusted, there is no header, or the entry
 * that would be the client is not an address. */
bool http_forwarded_client(const struct net_prefix *peer, const char *xff, const char *x_real_ip,
                           const struct net_prefix *trusted, size_t n,
                           struct net_prefix *client);

#endif
