#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "chat/flood.h"
#include "chat/render.h"

static const struct flood_cfg cfg = { .rate_per_s = 1.0, .burst = 3.0,
				      .notice_ms = 5000 };

static void test_burst_then_refuse(void **state)
{
	(void)state;
	struct flood f;
	flood_init(&f, &cfg, 1000);
	assert_true(flood_allow(&f, &cfg, 1000));
	assert_true(flood_allow(&f, &cfg, 1000));
	assert_true(flood_allow(&f, &cfg, 1000));
	assert_false(flood_allow(&f, &cfg, 1000));
	assert_false(flood_allow(&f, &cfg, 1500));
	assert_false(flood_allow(&f, &cfg, 1999));
	/* one token back after one second */
	assert_true(flood_allow(&f, &cfg, 2000));
	assert_false(flood_allow(&f, &cfg, 2000));
}

static void test_steady_rate(void **state)
{
	(void)state;
	/* 2 lines a second, burst 5: a caller sending 10 a second for 10 s gets
	 * 5 + 2 * 10 lines through (give or take the last refill) */
	const struct flood_cfg c = { 2.0, 5.0, 1000 };
	struct flood f;
	flood_init(&f, &c, 0);
	int ok = 0;
	for (int64_t t = 0; t < 10000; t += 100)
		ok += flood_allow(&f, &c, t);
	assert_true(ok >= 24 && ok <= 25);
	/* a caller at exactly the rate is never refused */
	flood_init(&f, &c, 0);
	for (int64_t t = 0; t < 60000; t += 500)
		assert_true(flood_allow(&f, &c, t));
}

static void test_refill_capped(void **state)
{
	(void)state;
	struct flood f;
	flood_init(&f, &cfg, 0);
	for (int i = 0; i < 3; i++)
		assert_true(flood_allow(&f, &cfg, 0));
	/* a long silence refills to burst, no more */
	int ok = 0;
	for (int i = 0; i < 10; i++)
		ok += flood_allow(&f, &cfg, 3600 * 1000);
	assert_int_equal(ok, 3);
	/* partial refills add up: 0.5 + 0.5 s */
	assert_false(flood_allow(&f, &cfg, 3600 * 1000 + 500));
	assert_true(flood_allow(&f, &cfg, 3600 * 1000 + 1000));
}

static void test_clock_backwards(void **state)
{
	(void)state;
	struct flood f;
	flood_init(&f, &cfg, 10000);
	for (int i = 0; i < 3; i++)
		assert_true(flood_allow(&f, &cfg, 10000));
	assert_false(flood_allow(&f, &cfg, 5000));    /* no refill from the past */
	assert_false(flood_allow(&f, &cfg, 10500));
	assert_true(flood_allow(&f, &cfg, 11000));
}

static void test_notice_once_per_interval(void **state)
{
	(void)state;
	struct flood f;
	flood_init(&f, &cfg, 0);
	for (int i = 0; i < 3; i++)
		assert_true(flood_allow(&f, &cfg, 0));
	uint64_t dropped = 99;
	assert_false(flood_allow(&f, &cfg, 0));
	assert_true(flood_notice_due(&f, &cfg, 0, &dropped));
	assert_int_equal(dropped, 1);
	int notices = 0;
	for (int64_t t = 10; t < 4990; t += 10) {
		if (!flood_allow(&f, &cfg, t) && flood_notice_due(&f, &cfg, t, NULL))
			notices++;
	}
	assert_int_equal(notices, 0);
	/* the next refusal after the interval is told, with the count since */
	bool told = false;
	for (int64_t t = 5000; !told; t += 10) {
		if (!flood_allow(&f, &cfg, t))
			told = flood_notice_due(&f, &cfg, t, &dropped);
		assert_true(t < 6000);
	}
	/* 498 attempts in [10, 4990), 4 of them let through by refills, plus this one */
	assert_int_equal(dropped, 498 - 4 + 1);
}

/* ---- coalescing ---- */

static void expect_names(const struct chat_event *ev, enum chat_kind kind,
			 const char *const *want, size_t n, size_t more)
{
	assert_int_equal(ev->kind, kind);
	assert_int_equal(ev->n_names, n);
	assert_int_equal(ev->n_more, more);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(ev->names[i], want[i]);
	if (n == 1 && more == 0)
		assert_string_equal(ev->from, want[0]);
	else
		assert_null(ev->from);
}

static void test_coalesce_window(void **state)
{
	(void)state;
	struct chat_coalesce *c = chat_coalesce_new(250, 1000);
	int64_t deadline = 0;
	assert_false(chat_coalesce_pending(c, &deadline));
	assert_true(chat_coalesce_add(c, CHAT_JOIN, "Alice", 1000));
	assert_true(chat_coalesce_pending(c, &deadline));
	assert_int_equal(deadline, 1250);
	assert_false(chat_coalesce_add(c, CHAT_JOIN, "Bob", 1100));
	assert_false(chat_coalesce_add(c, CHAT_LEAVE, "Dave", 1200));
	assert_false(chat_coalesce_add(c, CHAT_JOIN, "Carol", 1240));
	assert_true(chat_coalesce_pending(c, &deadline));
	assert_int_equal(deadline, 1250);     /* later adds don't extend it */

	struct chat_event j, l;
	chat_coalesce_take(c, &j, &l);
	const char *const jw[] = { "Alice", "Bob", "Carol" };
	const char *const lw[] = { "Dave" };
	expect_names(&j, CHAT_JOIN, jw, 3, 0);
	expect_names(&l, CHAT_LEAVE, lw, 1, 0);

	struct sbuf sb = SBUF_INIT;
	chat_render(&sb, &j, CHAT_VIEW_RECIPIENT);
	chat_render(&sb, &l, CHAT_VIEW_RECIPIENT);
	const char want[] =
		"\x1b[1;33m*** Alice, Bob and Carol have joined the chat ***\x1b[0m\r\n"
		"\x1b[1;33m*** Dave has left the chat ***\x1b[0m\r\n";
	assert_int_equal(sb.len, sizeof want - 1);
	assert_memory_equal(sb.data, want, sb.len);
	sbuf_free(&sb);

	chat_coalesce_reset(c);
	assert_false(chat_coalesce_pending(c, NULL));
	chat_coalesce_take(c, &j, &l);
	assert_int_equal(j.n_names + j.n_more + l.n_names + l.n_more, 0);
	/* a new window opens with the next add */
	assert_true(chat_coalesce_add(c, CHAT_LEAVE, "Bob", 5000));
	assert_true(chat_coalesce_pending(c, &deadline));
	assert_int_equal(deadline, 5250);
	chat_coalesce_free(c);
	chat_coalesce_free(NULL);
}

static void test_coalesce_cancel(void **state)
{
	(void)state;
	struct chat_coalesce *c = chat_coalesce_new(250, 1000);
	struct chat_event j, l;
	/* came and went before anyone was told: nothing at all */
	chat_coalesce_add(c, CHAT_JOIN, "Alice", 0);
	chat_coalesce_add(c, CHAT_LEAVE, "Alice", 10);
	chat_coalesce_take(c, &j, &l);
	assert_int_equal(j.n_names + l.n_names, 0);
	/* dropped and came back: nothing either */
	chat_coalesce_add(c, CHAT_LEAVE, "Bob", 20);
	chat_coalesce_add(c, CHAT_JOIN, "Bob", 30);
	chat_coalesce_take(c, &j, &l);
	assert_int_equal(j.n_names + l.n_names, 0);
	struct sbuf sb = SBUF_INIT;
	chat_render(&sb, &j, CHAT_VIEW_RECIPIENT);
	chat_render(&sb, &l, CHAT_VIEW_RECIPIENT);
	assert_int_equal(sb.len, 0);
	sbuf_free(&sb);
	/* join, leave, join: one join; names keep their order, the middle one removed */
	chat_coalesce_add(c, CHAT_JOIN, "A", 40);
	chat_coalesce_add(c, CHAT_JOIN, "B", 40);
	chat_coalesce_add(c, CHAT_JOIN, "C", 40);
	chat_coalesce_add(c, CHAT_LEAVE, "B", 50);
	chat_coalesce_add(c, CHAT_JOIN, "Carol", 60);
	chat_coalesce_add(c, CHAT_JOIN, "Carol", 61);     /* duplicate ignored */
	chat_coalesce_take(c, &j, &l);
	const char *const jw[] = { "A", "C", "Carol" };
	expect_names(&j, CHAT_JOIN, jw, 3, 0);
	assert_int_equal(l.n_names, 0);
	/* handles compare exactly */
	chat_coalesce_add(c, CHAT_LEAVE, "a", 70);
	chat_coalesce_take(c, &j, &l);
	assert_int_equal(j.n_names, 3);
	const char *const lw[] = { "a" };
	expect_names(&l, CHAT_LEAVE, lw, 1, 0);
	chat_coalesce_free(c);
}

static void test_coalesce_storm(void **state)
{
	(void)state;
	/* 500 come back at once; names kept up to max_names, the rest counted */
	struct chat_coalesce *c = chat_coalesce_new(250, 100);
	char name[32];
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof name, "caller%03d", i);
		chat_coalesce_add(c, CHAT_JOIN, name, i / 10);
	}
	struct chat_event j, l;
	chat_coalesce_take(c, &j, &l);
	assert_int_equal(j.n_names, 100);
	assert_int_equal(j.n_more, 400);
	assert_string_equal(j.names[0], "caller000");
	assert_string_equal(j.names[99], "caller099");
	struct sbuf sb = SBUF_INIT;
	chat_render(&sb, &j, CHAT_VIEW_RECIPIENT);
	const char want[] = "\x1b[1;33m*** caller000, caller001, caller002 and 497 "
			    "others have joined the chat ***\x1b[0m\r\n";
	assert_int_equal(sb.len, sizeof want - 1);
	assert_memory_equal(sb.data, want, sb.len);
	sbuf_free(&sb);
	chat_coalesce_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_refuse),
		cmocka_unit_test(test_steady_rate),
		cmocka_unit_test(test_refill_capped),
		cmocka_unit_test(test_clock_backwards),
		cmocka_unit_test(test_notice_once_per_interval),
		cmocka_unit_test(test_coalesce_window),
		cmocka_unit_test(test_coalesce_cancel),
		cmocka_unit_test(test_coalesce_storm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
