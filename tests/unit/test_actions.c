/* The actions (socials) table: the shipped file loads with at least 20 actions, each
 * mistake is named by file:line:column, verbs are found case-insensitively, and the
 * aimed form puts the target in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "bbs/actions.h"

static int load(const char *text, struct actions *a, char *err)
{
	return actions_load_text(text, strlen(text), "actions.toml", a, err, 256);
}

static void test_shipped(void **state)
{
	(void)state;
	struct actions a;
	char err[256];
	assert_int_equal(actions_load("art/actions.toml", &a, err, sizeof(err)), 0);
	assert_true(a.n >= 20);
	const struct action *smile = actions_find(&a, "SMILE", 5);
	assert_non_null(smile);
	struct sbuf sb = SBUF_INIT;
	action_text(smile, NULL, &sb);
	sbuf_putc(&sb, '\0');
	assert_string_equal((const char *)sb.data, "smiles.");
	sbuf_reset(&sb);
	action_text(smile, "Bob", &sb);
	sbuf_putc(&sb, '\0');
	assert_string_equal((const char *)sb.data, "smiles at Bob.");
	sbuf_free(&sb);
	/* sorted, unique */
	for (size_t i = 1; i < a.n; i++)
		assert_true(strcmp(a.v[i - 1].verb, a.v[i].verb) < 0);
	assert_null(actions_find(&a, "smil", 4));
	actions_free(&a);
	assert_int_equal(actions_load("no/such/file.toml", &a, err, sizeof(err)), 1);
	assert_int_equal(a.n, 0);
}

static void expect(const char *text, const char *want)
{
	struct actions a;
	char err[256] = "";
	assert_int_equal(load(text, &a, err), -1);
	assert_int_equal(a.n, 0);
	if (strcmp(err, want) != 0)
		fail_msg("want  %s\nhave  %s", want, err);
}

static void test_mistakes(void **state)
{
	(void)state;
	expect("x = 1\n", "actions.toml:1:1: expected a list of actions, each written as [[action]]");
	expect("[[action]]\nverb = \"Smile\"\nalone = \"a\"\naimed = \"{target}\"\n",
	       "actions.toml:2:1: \"verb\" must be 1 to 20 lower-case letters");
	expect("[[action]]\nverb = \"smile\"\naimed = \"at {target}\"\n",
	       "actions.toml:1:3: \"alone\" must be 1 to 120 bytes of text");
	expect("[[action]]\nverb = \"smile\"\nalone = \"a\"\naimed = \"at nobody\"\n",
	       "actions.toml:4:1: \"aimed\" must be 1 to 120 bytes of text with {target} in it once");
	expect("[[action]]\nverb = \"smile\"\nalone = \"a\"\naimed = \"{target}{target}\"\n",
	       "actions.toml:4:1: \"aimed\" must be 1 to 120 bytes of text with {target} in it once");
	expect("[[action]]\nverb = \"smile\"\nalone = \"a\\u001b[2J\"\naimed = \"{target}\"\n",
	       "actions.toml:3:1: \"alone\" must be 1 to 120 bytes of text");
	expect("[[action]]\nverb = \"a\"\nalone = \"x\"\naimed = \"{target}\"\n"
	       "[[action]]\nverb = \"a\"\nalone = \"x\"\naimed = \"{target}\"\n",
	       "actions.toml:6:1: this verb is defined twice");
	expect("[[action]\n", "actions.toml:1:10: expected ']]' to close the table header, found end of line");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_mistakes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
