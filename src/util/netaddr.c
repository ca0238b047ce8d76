#include "util/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static bool parse_ip(const char *s, size_t len, struct net_prefix *out)
{
	char buf[NETADDR_TEXT_MAX];
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->v6 = 0;
		out->bits = 32;
		return true;
	}
	if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		if (memcmp(out->addr, v4_mapped, sizeof(v4_mapped)) == 0) {
			memmove(out->addr, out->addr + 12, 4);
			memset(out->addr + 4, 0, 12);
			out->v6 = 0;
			out->bits = 32;
		} else {
			out->v6 = 1;
			out->bits = 128;
		}
		return true;
	}
	return false;
}

bool net_prefix_parse(const char *s, size_t len, struct net_prefix *out)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	if (!parse_ip(s, alen, out))
		return false;
	if (slash == NULL)
		return true;
	const char *d = slash + 1;
	size_t dlen = len - alen - 1;
	unsigned bits = 0;
	if (dlen == 0 || dlen > 3)
		return false;
	for (size_t i = 0; i < dlen; i++) {
		if (d[i] < '0' || d[i] > '9')
			return false;
		bits = bits * 10 + (unsigned)(d[i] - '0');
	}
	/* A mapped address was turned into IPv4: its prefix length follows. */
	unsigned max = out->v6 ? 128 : 32;
	if (!out->v6 && memchr(s, ':', alen) != NULL) {
		if (bits < 96)
			return false;
		bits -= 96;
	}
	if (bits > max)
		return false;
	/* host bits must be zero */
	for (unsigned b = bits; b < max; b++)
		if (out->addr[b / 8] & (0x80 >> (b % 8)))
			return false;
	out->bits = (uint8_t)bits;
	return true;
}

bool net_addr_parse(const char *s, size_t len, struct net_prefix *out)
{
	if (len >= 2 && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (close == NULL)
			return false;
		size_t rest = len - (size_t)(close - s) - 1;
		if (rest > 0) {                    /* "]:port" */
			if (close[1] != ':' || rest < 2 || rest > 6)
				return false;
			for (size_t i = 2; i <= rest; i++)
				if (close[i] < '0' || close[i] > '9')
					return false;
		}
		return parse_ip(s + 1, (size_t)(close - s) - 1, out) && out->v6;
	}
	const char *colon = memchr(s, ':', len);
	if (colon != NULL && memchr(colon + 1, ':', len - (size_t)(colon - s) - 1) == NULL) {
		/* one colon: IPv4 with a port */
		size_t plen = len - (size_t)(colon - s) - 1;
		if (plen == 0 || plen > 5)
			return false;
		for (size_t i = 0; i < plen; i++)
			if (colon[1 + i] < '0' || colon[1 + i] > '9')
				return false;
		return parse_ip(s, (size_t)(colon - s), out) && !out->v6;
	}
	return parse_ip(s, len, out);
}

bool net_prefix_contains(const struct net_prefix *p, const struct net_prefix *a)
{
	if (p->v6 != a->v6)
		return false;
	unsigned full = p->bits / 8, rest = p->bits % 8;
	if (memcmp(p->addr, a->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (p->addr[full] & mask) == (a->addr[full] & mask);
}

bool net_prefix_any(const struct net_prefix *p, size_t n, const struct net_prefix *a)
{
	for (size_t i = 0; i < n; i++)
		if (net_prefix_contains(&p[i], a))
			return true;
	return false;
}

void net_addr_format(const struct net_prefix *a, char out[NETADDR_TEXT_MAX])
{
	if (inet_ntop(a->v6 ? AF_INET6 : AF_INET, a->addr, out, NETADDR_TEXT_MAX) == NULL)
		snprintf(out, NETADDR_TEXT_MAX, "?");
}
