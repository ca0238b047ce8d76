/* IP addresses and prefixes ("10.0.0.0/8", "::1", "192.0.2.7"), parsed and
 * compared.  Pure: text in, answers out (inet_pton, no I/O). */
#ifndef CARRIER_UTIL_NETADDR_H
#define CARRIER_UTIL_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETADDR_TEXT_MAX 46        /* INET6_ADDRSTRLEN: the longest address, with NUL */

/* An address (bits = 32 or 128) or a prefix of one.  IPv4 addresses mapped into
 * IPv6 (::ffff:192.0.2.7) are kept as IPv4, so either spelling matches. */
struct net_prefix {
	uint8_t v6;                  /* 0: IPv4, addr[0..4); 1: IPv6, addr[0..16) */
	uint8_t bits;
	uint8_t addr[16];
};

/* "ADDR" or "ADDR/BITS" (s[0..len), no spaces).  Host bits past the prefix must be
 * zero ("10.1.0.0/8" is refused: it is probably a mistake).  False if malformed. */
bool net_prefix_parse(const char *s, size_t len, struct net_prefix *out);

/* An address alone ("ADDR"), as net_prefix_parse with all its bits.  Also takes
 * "[v6]" and the forms with a port a proxy may write ("192.0.2.7:1234",
 * "[2001:db8::1]:443"), the port dropped. */
bool net_addr_parse(const char *s, size_t len, struct net_prefix *out);

/* Is the address a inside prefix p? */
bool net_prefix_contains(const struct net_prefix *p, const struct net_prefix *a);
/* Is a inside any of p[0..n)? */
bool net_prefix_any(const struct net_prefix *p, size_t n, const struct net_prefix *a);

/* The address as text ("192.0.2.7", "2001:db8::1") into out[NETADDR_TEXT_MAX]. */
void net_addr_format(const struct net_prefix *a, char out[NETADDR_TEXT_MAX]);

#endif
