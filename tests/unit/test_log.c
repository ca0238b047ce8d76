/* Log lines: levels, key=value fields, values quoted when they need it, the journal
 * prefix instead of the time stamp under systemd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

static void test_bare_values(void **state)
{
	(void)state;
	char out[64];
	assert_string_equal(log_quote(out, sizeof(out), "Ada"), "Ada");
	assert_string_equal(log_quote(out, sizeof(out), "127.0.0.1:2323"), "127.0.0.1:2323");
	assert_string_equal(log_quote(out, sizeof(out), "data/carrier.db"), "data/carrier.db");
}

static void test_quoted_values(void **state)
{
	(void)state;
	char out[64];
	assert_string_equal(log_quote(out, sizeof(out), ""), "\"\"");
	assert_string_equal(log_quote(out, sizeof(out), NULL), "\"\"");
	assert_string_equal(log_quote(out, sizeof(out), "no pong"), "\"no pong\"");
	assert_string_equal(log_quote(out, sizeof(out), "a=b"), "\"a=b\"");
	assert_string_equal(log_quote(out, sizeof(out), "say \"hi\""), "\"say \\\"hi\\\"\"");
	assert_string_equal(log_quote(out, sizeof(out), "back\\slash"), "\"back\\\\slash\"");
	/* what a caller could type to forge a field or a line */
	assert_string_equal(log_quote(out, sizeof(out), "x\nINFO event=login"),
	                    "\"x\\x0aINFO event=login\"");
	assert_string_equal(log_quote(out, sizeof(out), "\x1b[31m"), "\"\\x1b[31m\"");
	/* UTF-8 is kept; broken UTF-8 and C1 controls are escaped */
	assert_string_equal(log_quote(out, sizeof(out), "Caf\xc3\xa9"), "\"Caf\xc3\xa9\"");
	assert_string_equal(log_quote(out, sizeof(out), "a\xc3(b"), "\"a\\xc3(b\"");
	assert_string_equal(log_quote(out, sizeof(out), "\xc2\x85"), "\"\\xc2\\x85\"");
}

static void test_cut_to_fit(void **state)
{
	(void)state;
	char out[12];
	char big[100];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* too long to be bare: quoted and cut */
	assert_string_equal(log_quote(out, sizeof(out), big), "\"xxxxxx...\"");
	assert_string_equal(log_quote(out, sizeof(out), "a b c d e f g h"), "\"a b c ...\"");
	/* an escape is never cut in half */
	assert_string_equal(log_quote(out, sizeof(out), "abcde\x01"), "\"abcde...\"");
	char tiny[4];
	assert_string_equal(log_quote(tiny, sizeof(tiny), "a b"), "");
}

static void test_macro_lives_for_the_call(void **state)
{
	(void)state;
	char line[128];
	snprintf(line, sizeof(line), "event=x a=%s b=%s", LOG_Q("one two"), LOG_Q("three"));
	assert_string_equal(line, "event=x a=\"one two\" b=three");
}

static void test_levels(void **state)
{
	(void)state;
	enum log_level l;
	assert_true(log_level_parse("warn", &l));
	assert_int_equal(l, LOG_WARN);
	assert_true(log_level_parse("debug", &l));
	assert_int_equal(l, LOG_DEBUG);
	assert_false(log_level_parse("loud", &l));
	assert_string_equal(log_level_name(LOG_ERROR), "error");
	char line[64];
	log_format_line(line, sizeof(line), LOG_INFO, "event=ready version=1");
	assert_string_equal(line, "INFO event=ready version=1");
}

/* What log_msg writes, read back through a pipe in place of stderr. */
static void capture(int journal, enum log_level level, const char *msg, char *out, size_t len)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	int saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	log_init(journal);
	log_msg(level, "%s", msg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	ssize_t n = read(fds[0], out, len - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fds[0]);
}

static void test_lines(void **state)
{
	(void)state;
	char got[256];
	capture(0, LOG_WARN, "event=x a=1", got, sizeof(got));
	/* 2026-11-25T17:40:12.123Z WARN event=x a=1 */
	assert_int_equal(strlen(got), 24 + strlen(" WARN event=x a=1\n"));
	assert_int_equal(got[10], 'T');
	assert_int_equal(got[23], 'Z');
	assert_string_equal(got + 24, " WARN event=x a=1\n");
	capture(1, LOG_INFO, "event=y", got, sizeof(got));
	assert_string_equal(got, "<6>INFO event=y\n");
	capture(1, LOG_ERROR, "event=z", got, sizeof(got));
	assert_string_equal(got, "<3>ERROR event=z\n");
	/* below the level: nothing */
	log_set_level(LOG_WARN);
	capture(1, LOG_INFO, "event=quiet", got, sizeof(got));
	assert_string_equal(got, "");
	log_set_level(LOG_INFO);
	/* JOURNAL_STREAM naming another stream is not the journal */
	setenv("JOURNAL_STREAM", "1:1", 1);
	assert_false(log_init(-1));
	unsetenv("JOURNAL_STREAM");
	assert_false(log_init(-1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bare_values),
		cmocka_unit_test(test_quoted_values),
		cmocka_unit_test(test_cut_to_fit),
		cmocka_unit_test(test_macro_lives_for_the_call),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
