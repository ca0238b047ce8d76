/* libFuzzer harness for addresses, prefixes and the client behind a trusted proxy
 * (util/netaddr, http/forwarded).
 *
 * Input, one field a line: the trusted prefixes (space-separated), the peer's
 * address, an X-Forwarded-For value, an X-Real-IP value (a missing line is an
 * absent header).
 *
 * Checks: a parsed prefix contains its own network address and not more than its
 * bits say; an address prints and parses back to itself; a client is named only for
 * a trusted peer, is itself an address that prints and parses back, and is not a
 * trusted proxy unless every hop of X-Forwarded-For is; the answer never depends on
 * anything right of a non-trusted hop. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/forwarded.h"
#include "util/netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)
#define TRUSTED_MAX 8

static void check_addr(const struct net_prefix *a)
{
	char text[NETADDR_TEXT_MAX];
	struct net_prefix b;
	CHECK(a->bits == (a->v6 ? 128 : 32));
	net_addr_format(a, text);
	CHECK(net_addr_parse(text, strlen(text), &b));
	CHECK(memcmp(a, &b, sizeof(b)) == 0);
	CHECK(net_prefix_contains(a, &b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char *field[4] = { NULL, NULL, NULL, NULL };
	char *p = text;
	for (int i = 0; i < 4 && p != NULL; i++) {
		field[i] = p;
		p = strchr(p, '\n');
		if (p != NULL)
			*p++ = '\0';
	}

	struct net_prefix trusted[TRUSTED_MAX];
	size_t n = 0;
	for (char *tok = field[0]; tok != NULL && *tok != '\0' && n < TRUSTED_MAX;) {
		char *sp = strchr(tok, ' ');
		size_t len = sp ? (size_t)(sp - tok) : strlen(tok);
		struct net_prefix pre;
		if (net_prefix_parse(tok, len, &pre)) {
			CHECK(pre.bits <= (pre.v6 ? 128 : 32));
			/* the network address itself is inside */
			struct net_prefix net = pre;
			net.bits = pre.v6 ? 128 : 32;
			CHECK(net_prefix_contains(&pre, &net));
			trusted[n++] = pre;
		}
		tok = sp ? sp + 1 : NULL;
	}

	struct net_prefix peer, client;
	if (field[1] != NULL && net_addr_parse(field[1], strlen(field[1]), &peer)) {
		check_addr(&peer);
		bool named = http_forwarded_client(&peer, field[2], field[3], trusted, n, &client);
		if (named) {
			CHECK(net_prefix_any(trusted, n, &peer));
			check_addr(&client);
			/* a trusted client only when every hop of X-Forwarded-For is trusted
			 * (or it came from X-Real-IP, there being no X-Forwarded-For) */
			if (field[2] != NULL && field[2][0] != '\0' &&
			    net_prefix_any(trusted, n, &client)) {
				for (char *hop = field[2]; hop != NULL;) {
					char *comma = strchr(hop, ',');
					size_t len = comma ? (size_t)(comma - hop) : strlen(hop);
					while (len > 0 && (*hop == ' ' || *hop == '\t')) {
						hop++;
						len--;
					}
					while (len > 0 && (hop[len - 1] == ' ' || hop[len - 1] == '\t'))
						len--;
					struct net_prefix h;
					CHECK(net_addr_parse(hop, len, &h) && net_prefix_any(trusted, n, &h));
					hop = comma ? comma + 1 : NULL;
				}
			}
		}
		/* from an untrusted peer, nothing is ever believed */
		if (!net_prefix_any(trusted, n, &peer))
			CHECK(!named);
	}
	free(text);
	return 0;
}
