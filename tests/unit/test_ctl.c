/* The control line's parser (ctl/proto.h) and the durations sysops type
 * (util/duration.h): pure, so tested on their own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ctl/proto.h"
#include "util/duration.h"

static struct ctl_request req;
static char err[160];
static char line[CTL_LINE_MAX + 1];

static bool parse(const char *text)
{
	snprintf(line, sizeof(line), "%s", text);
	err[0] = '\0';
	return ctl_parse(line, strlen(line), &req, err, sizeof(err));
}

static void test_verbs(void **state)
{
	(void)state;
	assert_true(parse("who"));
	assert_int_equal(req.verb, CTL_WHO);
	assert_null(req.handle);
	assert_true(parse("  STATS \r"));
	assert_int_equal(req.verb, CTL_STATS);
	assert_true(parse("kick Bob"));
	assert_int_equal(req.verb, CTL_KICK);
	assert_string_equal(req.handle, "Bob");
	assert_null(req.text);
	assert_true(parse("kick  Bob   too   loud  "));
	assert_string_equal(req.handle, "Bob");
	assert_string_equal(req.text, "too   loud");
	assert_true(parse("broadcast going down in 5 minutes"));
	assert_int_equal(req.verb, CTL_BROADCAST);
	assert_string_equal(req.text, "going down in 5 minutes");
	assert_true(parse("unban Bob"));
	assert_int_equal(req.verb, CTL_UNBAN);
	assert_true(parse("help"));
	assert_true(parse("reload"));
	assert_int_equal(req.verb, CTL_RELOAD);
	assert_false(parse("reload now"));     /* it takes nothing */
}

static void test_durations_in_requests(void **state)
{
	(void)state;
	assert_true(parse("mute Bob 10m cool off"));
	assert_int_equal(req.seconds, 600);
	assert_string_equal(req.text, "cool off");
	assert_true(parse("mute Bob 5"));
	assert_int_equal(req.seconds, 300);
	assert_null(req.text);
	assert_true(parse("mute Bob tenm is not a time"));
	assert_int_equal(req.seconds, 0);
	assert_string_equal(req.text, "tenm is not a time");
	assert_true(parse("mute Bob forever"));             /* not for a mute: a reason */
	assert_int_equal(req.seconds, 0);
	assert_string_equal(req.text, "forever");
	assert_true(parse("ban Bob forever enough"));
	assert_int_equal(req.seconds, 0);
	assert_string_equal(req.text, "enough");
	assert_true(parse("ban Bob 2h"));
	assert_int_equal(req.seconds, 7200);
	assert_true(parse("ban Bob"));
	assert_int_equal(req.seconds, 0);
}

static void test_refusals(void **state)
{
	(void)state;
	assert_false(parse(""));
	assert_string_equal(err, "an empty line: try \"help\"");
	assert_false(parse("   "));
	assert_false(parse("frob Bob"));
	assert_string_equal(err, "unknown command \"frob\": try \"help\"");
	assert_false(parse("kick"));
	assert_string_equal(err, "usage: kick HANDLE [reason]");
	assert_false(parse("broadcast   "));
	assert_string_equal(err, "usage: broadcast TEXT");
	assert_false(parse("who is there"));
	assert_string_equal(err, "usage: who");
	assert_false(parse("unmute Bob now"));
	assert_false(parse("broadcast \x1b[2Jgone"));
	assert_string_equal(err, "control characters are not allowed");
	assert_false(parse("broadcast a\tb"));
	assert_false(parse("broadcast \xff\xfe"));
	assert_string_equal(err, "the line is not UTF-8");
	/* A NUL inside the line is a control character too. */
	memcpy(line, "kick B\0b", 8);
	assert_false(ctl_parse(line, 8, &req, err, sizeof(err)));
}

static void test_duration(void **state)
{
	(void)state;
	int64_t s = -1;
	assert_true(duration_parse("90", false, &s));
	assert_int_equal(s, 5400);
	assert_true(duration_parse("30s", false, &s));
	assert_int_equal(s, 30);
	assert_true(duration_parse("2H", false, &s));
	assert_int_equal(s, 7200);
	assert_true(duration_parse("7d", false, &s));
	assert_int_equal(s, 7 * 86400);
	assert_true(duration_parse("1w", false, &s));
	assert_int_equal(s, 7 * 86400);
	s = -1;
	assert_false(duration_parse("forever", false, &s));
	assert_int_equal(s, -1);
	assert_true(duration_parse("perm", true, &s));
	assert_int_equal(s, 0);
	const char *bad[] = { "", "0", "0m", "m", "5x", "5mm", "-5", "1 m", "53w", "99999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(duration_parse(bad[i], true, &s));
	char out[32];
	duration_format(300, out, sizeof(out));
	assert_string_equal(out, "5 minutes");
	duration_format(60, out, sizeof(out));
	assert_string_equal(out, "1 minute");
	duration_format(90, out, sizeof(out));
	assert_string_equal(out, "90 seconds");
	duration_format(7200, out, sizeof(out));
	assert_string_equal(out, "2 hours");
	duration_format(86400, out, sizeof(out));
	assert_string_equal(out, "1 day");
	duration_format(14 * 86400, out, sizeof(out));
	assert_string_equal(out, "2 weeks");
	duration_format(1, out, sizeof(out));
	assert_string_equal(out, "1 second");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbs),
		cmocka_unit_test(test_durations_in_requests),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_duration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
