#include "http/forwarded.h"

#include <string.h>

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The entry s[0..len) with its surrounding blanks trimmed, parsed. */
static bool entry(const char *s, size_t len, struct net_prefix *out)
{
	while (len > 0 && is_ows(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_ows(s[len - 1]))
		len--;
	return net_addr_parse(s, len, out);
}

bool http_forwarded_client(const struct net_prefix *peer, const char *xff, const char *x_real_ip,
                           const struct net_prefix *trusted, size_t n,
                           struct net_prefix *client)
{
	if (n == 0 || !net_prefix_any(trusted, n, peer))
		return false;
	if (xff != NULL) {
		size_t end = strlen(xff);
		struct net_prefix hop;
		bool any = false;
		/* right to left: skip the trusted proxies, stop at the first other */
		for (;;) {
			size_t start = end;
			while (start > 0 && xff[start - 1] != ',')
				start--;
			if (start == end && start == 0 && !any)
				break;                       /* empty */
			if (!entry(xff + start, end - start, &hop))
				return false;                /* a hop that is not an address */
			any = true;
			*client = hop;
			if (!net_prefix_any(trusted, n, &hop) || start == 0)
				return true;                 /* the client, or the left-most */
			end = start - 1;                 /* before the comma */
		}
	}
	if (x_real_ip != NULL)
		return entry(x_real_ip, strlen(x_real_ip), client);
	return false;
}
