/* Handshakes in flight per address: the limit, per address (the port ignored,
 * IPv6 too), release, and entries gone once nothing is counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "net/inflight.h"

static void test_limit_per_address(void **state)
{
	(void)state;
	struct inflight *t = inflight_new(2);
	assert_true(inflight_take(t, "10.0.0.1:1000"));
	assert_true(inflight_take(t, "10.0.0.1:1001"));
	assert_false(inflight_take(t, "10.0.0.1:1002"));      /* the port does not matter */
	assert_true(inflight_take(t, "10.0.0.2:1000"));       /* another address does */
	assert_true(inflight_take(t, "::1:5000"));
	assert_true(inflight_take(t, "::1:5001"));
	assert_false(inflight_take(t, "::1:5002"));
	assert_int_equal(inflight_count(t, "10.0.0.1:9"), 2);
	assert_int_equal(inflight_count(t, "::1:9"), 2);
	assert_int_equal(inflight_count(t, "::2:9"), 0);
	inflight_release(t, "10.0.0.1:1000");
	assert_int_equal(inflight_count(t, "10.0.0.1:9"), 1);
	assert_true(inflight_take(t, "10.0.0.1:1003"));
	inflight_release(t, "10.0.0.1:1001");
	inflight_release(t, "10.0.0.1:1003");
	inflight_release(t, "10.0.0.2:1000");
	assert_int_equal(inflight_count(t, "10.0.0.1:9"), 0);
	inflight_free(t);            /* with ::1 still counted: freed all the same */
}

static void test_many_addresses(void **state)
{
	(void)state;
	struct inflight *t = inflight_new(1);
	char peer[48];
	for (int i = 0; i < 5000; i++) {
		snprintf(peer, sizeof(peer), "10.%d.%d.1:80", i / 256, i % 256);
		assert_true(inflight_take(t, peer));
		assert_false(inflight_take(t, peer));
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(peer, sizeof(peer), "10.%d.%d.1:81", i / 256, i % 256);
		assert_int_equal(inflight_count(t, peer), 1);
		inflight_release(t, peer);
		assert_int_equal(inflight_count(t, peer), 0);
	}
	inflight_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_per_address),
		cmocka_unit_test(test_many_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
