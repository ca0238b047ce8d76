#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "chat/command.h"
#include "chat/event.h"
#include "chat/render.h"

static struct chat_parse parse_at(const char *line, unsigned level)
{
	struct chat_parse p;
	chat_command_parse(chat_commands, chat_commands_count, line, strlen(line),
			   level, &p);
	return p;
}

static struct chat_parse parse(const char *line)
{
	return parse_at(line, CHAT_LEVEL_USER);
}

/* line parses as command id with the given arguments (NULL-terminated). */
static void expect_cmd(const char *line, int id, const char *a0, const char *a1)
{
	struct chat_parse p = parse(line);
	assert_int_equal(p.status, CHAT_PARSE_COMMAND);
	assert_non_null(p.cmd);
	assert_int_equal(p.cmd->id, id);
	int want = a0 ? (a1 ? 2 : 1) : 0;
	assert_int_equal(p.args.argc, want);
	if (a0)
		assert_string_equal(p.args.argv[0], a0);
	if (a1)
		assert_string_equal(p.args.argv[1], a1);
	chat_parse_free(&p);
}

static void expect_status(const char *line, unsigned level, enum chat_parse_status st)
{
	struct chat_parse p = parse_at(line, level);
	assert_int_equal(p.status, st);
	chat_parse_free(&p);
}

static void test_public_text(void **state)
{
	(void)state;
	struct chat_parse p = parse("hello there");
	assert_int_equal(p.status, CHAT_PARSE_TEXT);
	assert_int_equal(p.text_len, 11);
	assert_memory_equal(p.text, "hello there", 11);
	assert_null(p.cmd);
	chat_parse_free(&p);

	p = parse("  padded  ");
	assert_int_equal(p.status, CHAT_PARSE_TEXT);
	assert_int_equal(p.text_len, 6);
	assert_memory_equal(p.text, "padded", 6);
	chat_parse_free(&p);

	/* "//" says a line that starts with a slash */
	p = parse("//shrug");
	assert_int_equal(p.status, CHAT_PARSE_TEXT);
	assert_int_equal(p.text_len, 6);
	assert_memory_equal(p.text, "/shrug", 6);
	chat_parse_free(&p);

	/* a slash later in the line is just text */
	p = parse("and/or");
	assert_int_equal(p.status, CHAT_PARSE_TEXT);
	chat_parse_free(&p);

	expect_status("", CHAT_LEVEL_USER, CHAT_PARSE_EMPTY);
	expect_status("    ", CHAT_LEVEL_USER, CHAT_PARSE_EMPTY);
}

static void test_every_command(void **state)
{
	(void)state;
	expect_cmd("/me waves", CHAT_CMD_ME, "waves", NULL);
	expect_cmd("/me waves at   everyone ", CHAT_CMD_ME, "waves at   everyone", NULL);
	expect_cmd("/msg Bob hi there", CHAT_CMD_MSG, "Bob", "hi there");
	expect_cmd("/msg   Bob    hi   there  ", CHAT_CMD_MSG, "Bob", "hi   there");
	expect_cmd("/r thanks!", CHAT_CMD_REPLY, "thanks!", NULL);
	expect_cmd("/page Bob", CHAT_CMD_PAGE, "Bob", NULL);
	expect_cmd("/page Bob come to chat", CHAT_CMD_PAGE, "Bob", "come to chat");
	expect_cmd("/who", CHAT_CMD_WHO, NULL, NULL);
	expect_cmd("/help", CHAT_CMD_HELP, NULL, NULL);
	expect_cmd("/quit", CHAT_CMD_QUIT, NULL, NULL);
	/* extra words after an argument-less command are ignored */
	expect_cmd("/who cares", CHAT_CMD_WHO, NULL, NULL);
	expect_cmd("/quit now please", CHAT_CMD_QUIT, NULL, NULL);
}

static void test_aliases_and_case(void **state)
{
	(void)state;
	expect_cmd("/q", CHAT_CMD_QUIT, NULL, NULL);
	expect_cmd("/Q", CHAT_CMD_QUIT, NULL, NULL);
	expect_cmd("/?", CHAT_CMD_HELP, NULL, NULL);
	expect_cmd("/reply ok", CHAT_CMD_REPLY, "ok", NULL);
	expect_cmd("/MSG Bob Hi", CHAT_CMD_MSG, "Bob", "Hi");
	expect_cmd("/Me Waves", CHAT_CMD_ME, "Waves", NULL);
	expect_cmd("/WHO", CHAT_CMD_WHO, NULL, NULL);
	expect_cmd("/HeLp", CHAT_CMD_HELP, NULL, NULL);
	expect_cmd("/PAGE bob", CHAT_CMD_PAGE, "bob", NULL);
	/* prefixes are not commands */
	expect_status("/he", CHAT_LEVEL_USER, CHAT_PARSE_UNKNOWN);
	expect_status("/quitter", CHAT_LEVEL_USER, CHAT_PARSE_UNKNOWN);
	expect_status("/m Bob hi", CHAT_LEVEL_USER, CHAT_PARSE_UNKNOWN);
}

static void test_usage(void **state)
{
	(void)state;
	const char *lines[] = { "/msg", "/msg Bob", "/msg Bob   ", "/me", "/me   ",
				"/r", "/page", "/REPLY" };
	const int ids[] = { CHAT_CMD_MSG, CHAT_CMD_MSG, CHAT_CMD_MSG, CHAT_CMD_ME,
			    CHAT_CMD_ME, CHAT_CMD_REPLY, CHAT_CMD_PAGE, CHAT_CMD_REPLY };
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct chat_parse p = parse(lines[i]);
		assert_int_equal(p.status, CHAT_PARSE_USAGE);
		assert_non_null(p.cmd);
		assert_int_equal(p.cmd->id, ids[i]);
		chat_parse_free(&p);
	}
	struct chat_parse p = parse("/msg Bob");
	assert_int_equal(p.args.argc, 1);
	assert_string_equal(p.args.argv[0], "Bob");
	struct sbuf sb = SBUF_INIT;
	chat_render_usage(&sb, p.cmd);
	const char want[] = "\x1b[1;33mUsage: /msg <handle> <text>\x1b[0m\r\n";
	assert_int_equal(sb.len, sizeof want - 1);
	assert_memory_equal(sb.data, want, sb.len);
	sbuf_free(&sb);
	chat_parse_free(&p);
	chat_parse_free(&p);    /* twice is fine */
}

static void test_unknown_and_level(void **state)
{
	(void)state;
	expect_status("/frobnicate", CHAT_LEVEL_USER, CHAT_PARSE_UNKNOWN);
	expect_status("/", CHAT_LEVEL_USER, CHAT_PARSE_UNKNOWN);
	expect_status("/ hello", CHAT_LEVEL_USER, CHAT_PARSE_UNKNOWN);
	expect_status("/\xc3\xa9t\xc3\xa9", CHAT_LEVEL_USER, CHAT_PARSE_UNKNOWN);
	/* a sysop command below sysop level is not even admitted to exist */
	expect_status("/sysop hello all", CHAT_LEVEL_USER, CHAT_PARSE_UNKNOWN);
	expect_status("/sysop", CHAT_LEVEL_USER, CHAT_PARSE_UNKNOWN);
	expect_status("/sysop", CHAT_LEVEL_SYSOP, CHAT_PARSE_USAGE);
	struct chat_parse p = parse_at("/SysOp  Server restarts at noon", CHAT_LEVEL_SYSOP);
	assert_int_equal(p.status, CHAT_PARSE_COMMAND);
	assert_int_equal(p.cmd->id, CHAT_CMD_SYSOP);
	assert_int_equal(p.args.argc, 1);
	assert_string_equal(p.args.argv[0], "Server restarts at noon");
	chat_parse_free(&p);
	expect_status("/sysop hi", CHAT_LEVEL_SYSOP + 1, CHAT_PARSE_COMMAND);
	expect_status("/sysop hi", CHAT_LEVEL_SYSOP - 1, CHAT_PARSE_UNKNOWN);

	struct sbuf sb = SBUF_INIT;
	chat_render_unknown(&sb);
	const char want[] = "\x1b[1;33mUnknown command. Type /help for available "
			    "commands.\x1b[0m\r\n";
	assert_int_equal(sb.len, sizeof want - 1);
	assert_memory_equal(sb.data, want, sb.len);
	sbuf_free(&sb);
}

static void test_not_nul_terminated(void **state)
{
	(void)state;
	/* only len bytes are read; a NUL inside ends the line */
	const char buf[] = "/msg Bob hello world";
	struct chat_parse p;
	chat_command_parse(chat_commands, chat_commands_count, buf, 14, 0, &p);
	assert_int_equal(p.status, CHAT_PARSE_COMMAND);
	assert_string_equal(p.args.argv[1], "hello");
	chat_parse_free(&p);
	chat_command_parse(chat_commands, chat_commands_count, "/me a\0b", 7, 0, &p);
	assert_int_equal(p.status, CHAT_PARSE_COMMAND);
	assert_string_equal(p.args.argv[0], "a");
	chat_parse_free(&p);
}

/* A table of one's own, with handlers, and a three-argument command. */
static int calls;
static const char *seen[CHAT_ARGS_MAX];

static void h_give(void *ctx, const struct chat_args *args)
{
	(*(int *)ctx)++;
	calls++;
	for (int i = 0; i < args->argc; i++)
		seen[i] = args->argv[i];
}

static const char *const give_aliases[] = { "g", "hand", NULL };
static const struct chat_command my_table[] = {
	{ .id = 7, .name = "give", .aliases = give_aliases, .min_args = 2,
	  .max_args = 3, .usage = "/give <who> <what> [note]", .help = "Give",
	  .handler = h_give },
	{ .id = 8, .name = "secret", .usage = "/secret", .help = "Hidden",
	  .min_level = 50, .handler = h_give },
};

static void test_custom_table(void **state)
{
	(void)state;
	struct chat_parse p;
	chat_command_parse(my_table, 2, "/HAND bob apple  with love ", 27, 0, &p);
	assert_int_equal(p.status, CHAT_PARSE_COMMAND);
	assert_ptr_equal(p.cmd, &my_table[0]);
	assert_int_equal(p.args.argc, 3);
	int ctx = 0;
	p.cmd->handler(&ctx, &p.args);
	assert_int_equal(ctx, 1);
	assert_int_equal(calls, 1);
	assert_string_equal(seen[0], "bob");
	assert_string_equal(seen[1], "apple");
	assert_string_equal(seen[2], "with love");
	chat_parse_free(&p);

	chat_command_parse(my_table, 2, "/g bob", 6, 0, &p);
	assert_int_equal(p.status, CHAT_PARSE_USAGE);
	chat_parse_free(&p);
	chat_command_parse(my_table, 2, "/secret", 7, 49, &p);
	assert_int_equal(p.status, CHAT_PARSE_UNKNOWN);
	chat_parse_free(&p);
	chat_command_parse(my_table, 2, "/secret", 7, 50, &p);
	assert_int_equal(p.status, CHAT_PARSE_COMMAND);
	assert_ptr_equal(p.cmd, &my_table[1]);
	chat_parse_free(&p);
	/* the default table's commands are not in this one */
	chat_command_parse(my_table, 2, "/quit", 5, 0, &p);
	assert_int_equal(p.status, CHAT_PARSE_UNKNOWN);
	chat_parse_free(&p);

	assert_ptr_equal(chat_command_find(my_table, 2, "GIVE", 4), &my_table[0]);
	assert_ptr_equal(chat_command_find(my_table, 2, "give it", 4), &my_table[0]);
	assert_null(chat_command_find(my_table, 2, "giv", 3));
	assert_null(chat_command_find(my_table, 2, "", 0));
}

static void test_default_table_sane(void **state)
{
	(void)state;
	/* every row: unique names/aliases, sane counts, usage starting with /name */
	for (size_t i = 0; i < chat_commands_count; i++) {
		const struct chat_command *c = &chat_commands[i];
		assert_true(c->min_args >= 0 && c->min_args <= c->max_args);
		assert_true(c->max_args <= CHAT_ARGS_MAX);
		assert_true(c->usage[0] == '/');
		assert_int_equal(strncmp(c->usage + 1, c->name, strlen(c->name)), 0);
		assert_ptr_equal(chat_command_find(chat_commands, chat_commands_count,
						   c->name, strlen(c->name)), c);
		for (const char *const *a = c->aliases; a && *a; a++)
			assert_ptr_equal(chat_command_find(chat_commands,
							   chat_commands_count, *a,
							   strlen(*a)), c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_text),
		cmocka_unit_test(test_every_command),
		cmocka_unit_test(test_aliases_and_case),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_unknown_and_level),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_custom_table),
		cmocka_unit_test(test_default_table_sane),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
