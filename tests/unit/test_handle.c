/* Handle rules and the password rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bbs/handle.h"
#include "bbs/password.h"

static void assert_handle_ok(const char *h)
{
	const char *why = "unset";
	if (!handle_valid(h, &why))
		fail_msg("'%s' refused: %s", h, why);
	assert_null(why);
}

static void assert_handle_bad(const char *h, const char *why_part)
{
	const char *why = NULL;
	if (handle_valid(h, &why))
		fail_msg("'%s' accepted", h);
	assert_non_null(why);
	if (strstr(why, why_part) == NULL)
		fail_msg("'%s': reason '%s' lacks '%s'", h, why, why_part);
}

static void test_handle_good(void **state)
{
	(void)state;
	assert_handle_ok("Bob");
	assert_handle_ok("abc");
	assert_handle_ok("Dark Knight");
	assert_handle_ok("x_y-z 42");
	assert_handle_ok("12345678901234567890");    /* 20 */
	assert_handle_ok("A B C");
	assert_handle_ok("-_a");
	assert_handle_ok("Newton");                  /* starts like a reserved name */
	assert_handle_ok("SysOp2");
	assert_handle_ok("Allison");
	assert_true(handle_valid("Bob", NULL));
}

static void test_handle_length(void **state)
{
	(void)state;
	assert_handle_bad("", "at least 3");
	assert_handle_bad("ab", "at least 3");
	assert_handle_bad("123456789012345678901", "at most 20");
	assert_false(handle_valid("ab", NULL));
}

static void test_handle_characters(void **state)
{
	(void)state;
	assert_handle_bad("bob!", "letters");
	assert_handle_bad("bo.b", "letters");
	assert_handle_bad("bob\tx", "letters");
	assert_handle_bad("bob\x1b[2J", "letters");
	assert_handle_bad("bo'b", "letters");
	assert_handle_bad("J\xc3\xbcrgen", "letters");    /* ASCII only */
	assert_handle_bad("\xff\xfe\xfd", "letters");
	assert_handle_bad("---", "letter or digit");
	assert_handle_bad("_ _", "letter or digit");
}

static void test_handle_spaces(void **state)
{
	(void)state;
	assert_handle_bad(" Bob", "start or end");
	assert_handle_bad("Bob ", "start or end");
	assert_handle_bad("Dark  Knight", "two spaces");
}

static void test_handle_reserved(void **state)
{
	(void)state;
	static const char *const names[] = {
		"SysOp", "Sysop", "SYSOP", "sysop", "Sys Op", "sys_op", "S-Y-S-O-P",
		"Guest", "GUEST", "New", "NEW", "new", "All", "Everyone", "Admin", "Root",
		"Carrier", "Server", "System", "Administrator",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_true(handle_reserved(names[i]));
		assert_handle_bad(names[i], "reserved");
	}
	assert_false(handle_reserved("Bob"));
	assert_false(handle_reserved("Newt"));
	assert_false(handle_reserved("a very long name that is longer than the buffer "
	                             "handle_reserved folds into for comparison"));
}

static void test_password_rule(void **state)
{
	(void)state;
	const char *why = NULL;

	assert_true(password_acceptable("12345678", &why));
	assert_null(why);
	assert_true(password_acceptable("correct horse", NULL));
	/* Eight code points, more bytes. */
	assert_true(password_acceptable("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                                "\xc3\xa9\xc3\xa9", NULL));
	assert_false(password_acceptable("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                                 "\xc3\xa9", &why));    /* 7 code points, 14 bytes */
	assert_non_null(strstr(why, "at least 8"));
	assert_false(password_acceptable("1234567", &why));
	assert_non_null(strstr(why, "at least 8"));
	assert_false(password_acceptable("", &why));
	assert_false(password_acceptable("12345678\x07", &why));
	assert_non_null(strstr(why, "control"));
	assert_false(password_acceptable("\x1b[31mpassword", &why));
	assert_false(password_acceptable("password\xc2\x85", &why));    /* C1 NEL */
	assert_false(password_acceptable("password\xff", &why));
	assert_non_null(strstr(why, "valid"));
	assert_false(password_acceptable("password\xc3", &why));        /* truncated */
	assert_non_null(strstr(why, "valid"));

	char big[PASSWORD_MAX_BYTES + 2];
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(password_acceptable(big, &why));
	assert_non_null(strstr(why, "too long"));
	big[PASSWORD_MAX_BYTES] = '\0';
	assert_true(password_acceptable(big, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handle_good),
		cmocka_unit_test(test_handle_length),
		cmocka_unit_test(test_handle_characters),
		cmocka_unit_test(test_handle_spaces),
		cmocka_unit_test(test_handle_reserved),
		cmocka_unit_test(test_password_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
