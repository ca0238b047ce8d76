/* Addresses and prefixes, and the client behind a trusted reverse proxy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "http/forwarded.h"
#include "util/netaddr.h"

static struct net_prefix P(const char *s)
{
	struct net_prefix p;
	if (!net_prefix_parse(s, strlen(s), &p))
		fail_msg("not a prefix: %s", s);
	return p;
}

static struct net_prefix A(const char *s)
{
	struct net_prefix a;
	if (!net_addr_parse(s, strlen(s), &a))
		fail_msg("not an address: %s", s);
	return a;
}

static void test_parse(void **state)
{
	(void)state;
	struct net_prefix p;
	const char *good[] = { "127.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "::1", "2001:db8::/32",
	                       "::/0", "::ffff:192.0.2.0/120", "192.0.2.7/32" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(net_prefix_parse(good[i], strlen(good[i]), &p));
	const char *bad[] = { "", "10.1.0.0/8", "10.0.0.0/33", "::1/129", "1.2.3", "10.0.0.0/",
	                      "/8", "10.0.0.0/8x", "localhost", "1.2.3.4:80", "[::1]", "::1/-1",
	                      "10.0.0.0/0008" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (net_prefix_parse(bad[i], strlen(bad[i]), &p))
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(P("::ffff:192.0.2.0/120").v6, 0);      /* mapped: IPv4 */
	assert_int_equal(P("::ffff:192.0.2.0/120").bits, 24);
}

static void test_addresses(void **state)
{
	(void)state;
	struct net_prefix a;
	char text[NETADDR_TEXT_MAX];
	const char *good[][2] = {
		{ "192.0.2.7", "192.0.2.7" }, { "192.0.2.7:1234", "192.0.2.7" },
		{ "[2001:db8::1]:443", "2001:db8::1" }, { "[::1]", "::1" },
		{ "2001:DB8::1", "2001:db8::1" }, { "::ffff:192.0.2.7", "192.0.2.7" },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(net_addr_parse(good[i][0], strlen(good[i][0]), &a));
		net_addr_format(&a, text);
		assert_string_equal(text, good[i][1]);
	}
	const char *bad[] = { "", "unknown", "1.2.3.4:", "1.2.3.4:123456", "[1.2.3.4]",
	                      "[::1]x", "[::1", "1.2.3.4:8a", "_hidden", "10.0.0.0/8" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (net_addr_parse(bad[i], strlen(bad[i]), &a))
			fail_msg("accepted %s", bad[i]);
}

static void test_contains(void **state)
{
	(void)state;
	struct net_prefix ten = P("10.0.0.0/8"), one = P("127.0.0.1"), v6 = P("2001:db8::/32");
	struct net_prefix odd = P("192.168.0.0/23");
	assert_true(net_prefix_contains(&ten, &(struct net_prefix){ 0 }) == false);
	struct net_prefix a = A("10.200.3.4");
	assert_true(net_prefix_contains(&ten, &a));
	a = A("11.0.0.1");
	assert_false(net_prefix_contains(&ten, &a));
	a = A("127.0.0.1");
	assert_true(net_prefix_contains(&one, &a));
	a = A("::ffff:127.0.0.1");                /* the mapped spelling matches */
	assert_true(net_prefix_contains(&one, &a));
	a = A("2001:db8:ffff::1");
	assert_true(net_prefix_contains(&v6, &a));
	assert_false(net_prefix_contains(&ten, &a));
	a = A("192.168.1.255");
	assert_true(net_prefix_contains(&odd, &a));
	a = A("192.168.2.0");
	assert_false(net_prefix_contains(&odd, &a));
	struct net_prefix all = P("0.0.0.0/0");
	a = A("203.0.113.9");
	assert_true(net_prefix_contains(&all, &a));
}

/* The client a request names, or "" where the peer stands. */
static const char *client(const char *peer, const char *xff, const char *real,
                          const char *const *trusted, size_t n)
{
	static char text[NETADDR_TEXT_MAX];
	struct net_prefix t[8], p = A(peer), c;
	for (size_t i = 0; i < n; i++)
		t[i] = P(trusted[i]);
	if (!http_forwarded_client(&p, xff, real, t, n, &c))
		return "";
	net_addr_format(&c, text);
	return text;
}

static void test_forwarded(void **state)
{
	(void)state;
	const char *lo[] = { "127.0.0.1", "::1" };
	const char *nets[] = { "10.0.0.0/8" };
	/* not trusted: the headers are anyone's */
	assert_string_equal(client("198.51.100.1", "203.0.113.7", NULL, lo, 2), "");
	assert_string_equal(client("127.0.0.1", "203.0.113.7", NULL, NULL, 0), "");
	/* one proxy */
	assert_string_equal(client("127.0.0.1", "203.0.113.7", NULL, lo, 2), "203.0.113.7");
	assert_string_equal(client("::1", "2001:db8::5", NULL, lo, 2), "2001:db8::5");
	/* the client wrote a header of its own: what the proxy appended wins */
	assert_string_equal(client("127.0.0.1", "6.6.6.6, 203.0.113.7", NULL, lo, 2), "203.0.113.7");
	/* a chain of trusted proxies is walked past */
	assert_string_equal(client("10.0.0.2", "203.0.113.7, 10.0.0.9, 10.1.1.1", NULL, nets, 1),
	                    "203.0.113.7");
	/* every hop a trusted proxy: the left-most */
	assert_string_equal(client("10.0.0.2", "10.0.0.3,10.0.0.4", NULL, nets, 1), "10.0.0.3");
	/* ports and brackets as some proxies write them */
	assert_string_equal(client("127.0.0.1", " 203.0.113.7:5555 ", NULL, lo, 2), "203.0.113.7");
	assert_string_equal(client("127.0.0.1", "[2001:db8::9]:443", NULL, lo, 2), "2001:db8::9");
	/* X-Real-IP when there is no X-Forwarded-For */
	assert_string_equal(client("127.0.0.1", NULL, "203.0.113.8", lo, 2), "203.0.113.8");
	assert_string_equal(client("127.0.0.1", "203.0.113.7", "203.0.113.8", lo, 2), "203.0.113.7");
	/* nothing that names an address: the peer */
	assert_string_equal(client("127.0.0.1", "unknown", NULL, lo, 2), "");
	assert_string_equal(client("127.0.0.1", "203.0.113.7, garbage", NULL, lo, 2), "");
	assert_string_equal(client("127.0.0.1", "", NULL, lo, 2), "");
	assert_string_equal(client("127.0.0.1", "", "x", lo, 2), "");
	assert_string_equal(client("127.0.0.1", "203.0.113.7,", NULL, lo, 2), "");
	assert_string_equal(client("127.0.0.1", NULL, NULL, lo, 2), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_forwarded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
