#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "chat/command.h"
#include "chat/event.h"
#include "chat/render.h"
#include "util/utf8.h"

/* 1970-01-01 12:34:56 UTC */
#define TS ((int64_t)(12 * 3600 + 34 * 60 + 56) * 1000)

#define GREY    "\x1b[22;37m"
#define GREEN   "\x1b[22;32m"
#define LGREEN  "\x1b[1;32m"
#define WHITE   "\x1b[1;37m"
#define YELLOW  "\x1b[1;33m"
#define CYAN    "\x1b[1;36m"
#define MAGENTA "\x1b[1;35m"
#define EOL     "\x1b[0m\r\n"

static int setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static void expect_sb(struct sbuf *sb, const char *want)
{
	if (sb->len != strlen(want) || (sb->len && memcmp(sb->data, want, sb->len) != 0)) {
		print_error("got  \"%.*s\"\nwant \"%s\"\n", (int)sb->len,
			    (const char *)sb->data, want);
		fail();
	}
	sbuf_reset(sb);
}

static void expect_render(const struct chat_event *ev, enum chat_view view,
			  const char *want)
{
	struct sbuf sb = SBUF_INIT;
	chat_render(&sb, ev, view);
	expect_sb(&sb, want);
	sbuf_free(&sb);
}

/* Strip our SGR sequences (ESC [ digits/; m); fail on any other ESC or control
 * byte except CR LF at line ends and BEL; count BELs.  Returns a malloc'd string. */
static char *strip_sgr(const struct sbuf *sb, int *bells)
{
	char *out = malloc(sb->len + 1);
	size_t o = 0;
	*bells = 0;
	for (size_t i = 0; i < sb->len; i++) {
		uint8_t c = sb->data[i];
		if (c == 0x1b) {
			assert_true(i + 1 < sb->len && sb->data[i + 1] == '[');
			size_t j = i + 2;
			while (j < sb->len && ((sb->data[j] >= '0' && sb->data[j] <= '9') ||
					       sb->data[j] == ';'))
				j++;
			assert_true(j < sb->len && sb->data[j] == 'm');
			i = j;
			continue;
		}
		if (c == '\a') {
			(*bells)++;
			continue;
		}
		if (c == '\r') {
			assert_true(i + 1 < sb->len && sb->data[i + 1] == '\n');
			out[o++] = '\r';
			continue;
		}
		if (c != '\n')
			assert_true(c >= 0x20 && c != 0x7f);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	assert_true(utf8_valid((const uint8_t *)out, o));
	return out;
}

static void test_public(void **state)
{
	(void)state;
	struct chat_event ev = { .seq = 1, .ts_ms = TS, .kind = CHAT_PUBLIC,
				 .from = "Alice", .text = "hello world",
				 .from_level = CHAT_LEVEL_USER };
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      GREY "[12:34] " GREEN "Alice: " LGREEN "hello world" EOL);
	/* the sender sees the same line */
	expect_render(&ev, CHAT_VIEW_SENDER,
		      GREY "[12:34] " GREEN "Alice: " LGREEN "hello world" EOL);
	/* a sysop talks in white */
	ev.from = "Sysop";
	ev.from_level = CHAT_LEVEL_SYSOP;
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      GREY "[12:34] " GREEN "Sysop: " WHITE "hello world" EOL);
	/* an empty line still renders; a missing handle shows as "?" */
	ev.from = NULL;
	ev.text = NULL;
	ev.from_level = 0;
	expect_render(&ev, CHAT_VIEW_RECIPIENT, GREY "[12:34] " GREEN "?: " LGREEN EOL);
}

static void test_local_time(void **state)
{
	(void)state;
	struct chat_event ev = { .ts_ms = TS, .kind = CHAT_PUBLIC, .from = "A",
				 .text = "x" };
	setenv("TZ", "EST5", 1);
	tzset();
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      GREY "[07:34] " GREEN "A: " LGREEN "x" EOL);
	setenv("TZ", "UTC", 1);
	tzset();
	ev.ts_ms = TS + 3600 * 1000 * 11 + 26 * 60 * 1000;   /* 23:60:56 -> 00:00 */
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      GREY "[00:00] " GREEN "A: " LGREEN "x" EOL);
}

static void test_action(void **state)
{
	(void)state;
	struct chat_event ev = { .ts_ms = TS, .kind = CHAT_ACTION, .from = "Alice",
				 .text = "waves" };
	expect_render(&ev, CHAT_VIEW_RECIPIENT, CYAN "* Alice waves" EOL);
	ev.text = "";
	expect_render(&ev, CHAT_VIEW_RECIPIENT, CYAN "* Alice" EOL);
}

static void test_join_leave(void **state)
{
	(void)state;
	struct chat_event ev = { .ts_ms = TS, .kind = CHAT_JOIN, .from = "Alice" };
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      YELLOW "*** Alice has joined the chat ***" EOL);
	ev.kind = CHAT_LEAVE;
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      YELLOW "*** Alice has left the chat ***" EOL);
}

static void test_coalesced(void **state)
{
	(void)state;
	const char *const names[] = { "Alice", "Bob", "Carol", "Dave", "Eve" };
	struct chat_event ev = { .kind = CHAT_JOIN, .names = names };
	ev.n_names = 1;
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      YELLOW "*** Alice has joined the chat ***" EOL);
	ev.n_names = 2;
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      YELLOW "*** Alice and Bob have joined the chat ***" EOL);
	ev.n_names = 3;
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      YELLOW "*** Alice, Bob and Carol have joined the chat ***" EOL);
	ev.n_names = 4;
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      YELLOW "*** Alice, Bob, Carol and 1 other have joined the chat ***" EOL);
	ev.n_names = 5;
	ev.kind = CHAT_LEAVE;
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      YELLOW "*** Alice, Bob, Carol and 2 others have left the chat ***" EOL);
	ev.n_names = 2;
	ev.n_more = 37;
	ev.kind = CHAT_JOIN;
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      YELLOW "*** Alice, Bob and 37 others have joined the chat ***" EOL);
	ev.n_names = 0;
	ev.n_more = 40;
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      YELLOW "*** 40 callers have joined the chat ***" EOL);
	ev.n_more = 1;
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      YELLOW "*** 1 caller has joined the chat ***" EOL);
	/* an empty window renders nothing at all */
	ev.n_more = 0;
	expect_render(&ev, CHAT_VIEW_RECIPIENT, "");
}

static void test_dm(void **state)
{
	(void)state;
	struct chat_event ev = { .ts_ms = TS, .kind = CHAT_DM, .from = "Alice",
				 .to = "Bob", .text = "psst" };
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      "\a" GREY "[12:34] " MAGENTA "*Alice* (private): psst" EOL);
	expect_render(&ev, CHAT_VIEW_SENDER,
		      GREY "[12:34] " MAGENTA "-> Bob (private): psst" EOL);
}

static void test_page(void **state)
{
	(void)state;
	struct chat_event ev = { .ts_ms = TS, .kind = CHAT_PAGE, .from = "Alice",
				 .to = "Bob", .text = "come to chat" };
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      "\a" WHITE "*** Page from Alice: come to chat ***" EOL);
	expect_render(&ev, CHAT_VIEW_SENDER, YELLOW "*** Page sent to Bob ***" EOL);
	ev.text = NULL;
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      "\a" WHITE "*** Alice is paging you! ***" EOL);
	ev.text = "\x1b\x07 ";    /* nothing left after sanitizing */
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      "\a" WHITE "*** Alice is paging you! ***" EOL);
	expect_render(&ev, CHAT_VIEW_SENDER, YELLOW "*** Page sent to Bob ***" EOL);
}

static void test_sysop_and_system(void **state)
{
	(void)state;
	struct chat_event ev = { .ts_ms = TS, .kind = CHAT_SYSOP, .from = "Root",
				 .text = "Reboot at noon", .from_level = 255 };
	expect_render(&ev, CHAT_VIEW_RECIPIENT,
		      GREY "[12:34] " YELLOW "SysOp: " WHITE "Reboot at noon" EOL);
	struct chat_event sys = { .kind = CHAT_SYSTEM, .text = "Bob is not online." };
	expect_render(&sys, CHAT_VIEW_RECIPIENT, YELLOW "Bob is not online." EOL);

	struct sbuf sb = SBUF_INIT;
	chat_render_system(&sb, "Bob is not online.");
	expect_sb(&sb, YELLOW "Bob is not online." EOL);
	chat_render_notice(&sb, "The room is full");
	expect_sb(&sb, YELLOW "*** The room is full ***" EOL);
	chat_render_missed(&sb, 1234);
	expect_sb(&sb, YELLOW "*** Missed 1234 messages ***" EOL);
	chat_render_missed(&sb, 1);
	expect_sb(&sb, YELLOW "*** Missed 1 message ***" EOL);
	chat_render_slow_down(&sb, 3);
	expect_sb(&sb, YELLOW "*** Slow down! 3 lines were not sent ***" EOL);
	chat_render_slow_down(&sb, 1);
	expect_sb(&sb, YELLOW "*** Slow down! 1 line was not sent ***" EOL);
	sbuf_free(&sb);
}

static void test_hostile_strings(void **state)
{
	(void)state;
	/* handle and text full of controls: the only controls out are our own */
	struct chat_event ev = { .ts_ms = TS, .from = "Ev\x1bil\a\xc2\x9b",
				 .to = "B\rob", .text = "\x1b[2J\x07hi\rFake: x\xe2\x80\xae",
				 .room = "R\x1b[2Joom" };
	const char *want[] = {
		[CHAT_PUBLIC] = "[12:34] Evil: [2Jhi Fake: x\r\n",
		[CHAT_ACTION] = "* Evil [2Jhi Fake: x\r\n",
		[CHAT_JOIN] = "*** Evil has joined the chat ***\r\n",
		[CHAT_LEAVE] = "*** Evil has left the chat ***\r\n",
		[CHAT_DM] = "[12:34] *Evil* (private): [2Jhi Fake: x\r\n",
		[CHAT_PAGE] = "*** Page from Evil: [2Jhi Fake: x ***\r\n",
		[CHAT_SYSOP] = "[12:34] SysOp: [2Jhi Fake: x\r\n",
		[CHAT_SYSTEM] = "[2Jhi Fake: x\r\n",
		[CHAT_INVITE] = "*** Evil invites you to R[2Joom: /join R[2Joom ***\r\n",
		[CHAT_TOPIC] = "*** Evil set the topic: [2Jhi Fake: x ***\r\n",
		[CHAT_KICK] = "*** B ob was kicked by Evil ([2Jhi Fake: x) ***\r\n",
		[CHAT_BROADCAST] = "*** Broadcast from Evil: [2Jhi Fake: x ***\r\n",
	};
	for (int k = 0; k < CHAT_KIND_COUNT; k++) {
		ev.kind = (enum chat_kind)k;
		struct sbuf sb = SBUF_INIT;
		chat_render(&sb, &ev, CHAT_VIEW_RECIPIENT);
		int bells;
		char *text = strip_sgr(&sb, &bells);
		assert_string_equal(text, want[k]);
		assert_int_equal(bells, k == CHAT_DM || k == CHAT_PAGE || k == CHAT_INVITE ||
		                        k == CHAT_BROADCAST);
		if (bells)
			assert_int_equal(sb.data[0], '\a');
		free(text);
		sbuf_reset(&sb);
		chat_render(&sb, &ev, CHAT_VIEW_SENDER);
		text = strip_sgr(&sb, &bells);
		assert_int_equal(bells, k == CHAT_BROADCAST);   /* the same for everyone */
		if (k == CHAT_DM)
			assert_string_equal(text, "[12:34] -> B ob (private): [2Jhi Fake: x\r\n");
		free(text);
		sbuf_free(&sb);
	}
	/* an overlong handle is cut to CHAT_RENDER_HANDLE_MAX characters */
	char longname[100];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	struct chat_event j = { .kind = CHAT_JOIN, .from = longname };
	struct sbuf sb = SBUF_INIT;
	chat_render(&sb, &j, CHAT_VIEW_RECIPIENT);
	int bells;
	char *text = strip_sgr(&sb, &bells);
	char want_join[200];
	snprintf(want_join, sizeof want_join, "*** %.*s has joined the chat ***\r\n",
		 CHAT_RENDER_HANDLE_MAX, longname);
	assert_string_equal(text, want_join);
	free(text);
	sbuf_free(&sb);
}

static void test_help(void **state)
{
	(void)state;
	struct sbuf sb = SBUF_INIT;
	chat_render_help(&sb, chat_commands, chat_commands_count, CHAT_LEVEL_USER);
	int bells;
	char *text = strip_sgr(&sb, &bells);
	assert_int_equal(bells, 0);
	assert_non_null(strstr(text, "Commands (/help <command> tells more):\r\n"));
	/* grouped: each group's usages on its line(s), wrapped under 80 columns */
	assert_non_null(strstr(text, " Talking  /me <action>  /msg <handle> <text>"));
	assert_non_null(strstr(text, " Rooms    /join <room>  /list  /who"));
	assert_non_null(strstr(text, " You      /ignore [handle]"));
	assert_non_null(strstr(text, " Help     /help [command]  /quit"));
	assert_null(strstr(text, "/sysop"));
	assert_null(strstr(text, "SysOp"));
	size_t lines = 0;
	for (const char *p = text, *line = text; (p = strchr(p, '\n')) != NULL; line = ++p) {
		assert_true((size_t)(p - line) <= 80);
		lines++;
	}
	assert_true(lines <= 16);          /* one screen */
	for (size_t i = 0; i < chat_commands_count; i++)
		if (chat_commands[i].min_level == 0)
			assert_non_null(strstr(text, chat_commands[i].usage));
	free(text);
	sbuf_reset(&sb);

	chat_render_help(&sb, chat_commands, chat_commands_count, CHAT_LEVEL_SYSOP);
	text = strip_sgr(&sb, &bells);
	assert_non_null(strstr(text, " SysOp    /sysop <text>"));
	free(text);
	sbuf_reset(&sb);

	const struct chat_command *quit = chat_command_find(chat_commands, chat_commands_count, "q", 1);
	chat_render_help_one(&sb, quit);
	text = strip_sgr(&sb, &bells);
	assert_string_equal(text, "Usage: /quit\r\n  Leave the chat (also /q)\r\n");
	free(text);
	sbuf_free(&sb);
}

static void test_invite_topic_status(void **state)
{
	(void)state;
	struct sbuf sb = SBUF_INIT;
	int bells;
	struct chat_event inv = { .kind = CHAT_INVITE, .from = "Ada", .to = "Bob", .room = "Lair" };
	chat_render(&sb, &inv, CHAT_VIEW_RECIPIENT);
	char *text = strip_sgr(&sb, &bells);
	assert_int_equal(bells, 1);
	assert_string_equal(text, "*** Ada invites you to Lair: /join Lair ***\r\n");
	free(text);
	sbuf_reset(&sb);
	chat_render(&sb, &inv, CHAT_VIEW_RECIPIENT_QUIET);
	text = strip_sgr(&sb, &bells);
	assert_int_equal(bells, 0);
	free(text);
	sbuf_reset(&sb);
	chat_render(&sb, &inv, CHAT_VIEW_SENDER);
	text = strip_sgr(&sb, &bells);
	assert_string_equal(text, "*** Invitation to Lair sent to Bob ***\r\n");
	free(text);
	sbuf_reset(&sb);

	struct chat_event topic = { .kind = CHAT_TOPIC, .from = "Ada", .text = "cats \x07" };
	chat_render(&sb, &topic, CHAT_VIEW_RECIPIENT);
	text = strip_sgr(&sb, &bells);
	assert_int_equal(bells, 0);
	assert_string_equal(text, "*** Ada set the topic: cats ***\r\n");
	free(text);
	sbuf_reset(&sb);
	topic.text = "";
	chat_render(&sb, &topic, CHAT_VIEW_RECIPIENT);
	text = strip_sgr(&sb, &bells);
	assert_string_equal(text, "*** Ada cleared the topic ***\r\n");
	free(text);
	sbuf_reset(&sb);

	/* The DM's recipient without its bell. */
	struct chat_event dm = { .kind = CHAT_DM, .from = "Ada", .to = "Bob", .text = "hi", .ts_ms = TS };
	chat_render(&sb, &dm, CHAT_VIEW_RECIPIENT_QUIET);
	text = strip_sgr(&sb, &bells);
	assert_int_equal(bells, 0);
	assert_non_null(strstr(text, "*Ada* (private): hi"));
	free(text);
	sbuf_reset(&sb);

	/* The status line fits: the topic is cut, the rest stays. */
	chat_render_status(&sb, "Lobby", "a very long topic indeed, longer than anything "
	                   "that could fit on one row of an eighty column terminal screen",
	                   12, false, 80);
	text = strip_sgr(&sb, &bells);
	assert_true(strlen(text) <= 79);
	assert_non_null(strstr(text, " Lobby | a very long"));
	assert_non_null(strstr(text, " | 12 here | /help "));
	free(text);
	sbuf_reset(&sb);
	chat_render_status(&sb, "Den", "", 1, true, 80);
	text = strip_sgr(&sb, &bells);
	assert_string_equal(text, " Den (private) | 1 here | /help ");
	free(text);
	sbuf_reset(&sb);

	struct chat_who_entry away[] = {
		{ "Ada", 0, CHAT_LEVEL_USER, "lunch", NULL },
		{ "Bob", 0, CHAT_LEVEL_USER, "", "node 3  10.0.0.1:2000 telnet idle 5m\x1b[2J" } };
	chat_render_who(&sb, away, 2, 0);
	text = strip_sgr(&sb, &bells);
	assert_non_null(strstr(text, "Ada                 <1m away: lunch\r\n"));
	/* A sysop's view: a line under the caller (sanitized like everything else). */
	assert_non_null(strstr(text, "Bob                 <1m away\r\n"
	                             "      node 3  10.0.0.1:2000 telnet idle 5m[2J\r\n"));
	free(text);
	sbuf_free(&sb);
}

static void test_who(void **state)
{
	(void)state;
	int64_t now = 10LL * 3600 * 1000;
	const struct chat_who_entry who[] = {
		{ "Alice", now - 30 * 1000, CHAT_LEVEL_USER, NULL, NULL },
		{ "Bob", now - 12 * 60 * 1000, CHAT_LEVEL_USER, NULL, NULL },
		{ "\xe6\x97\xa5\xe6\x9c\xac", now - (2 * 60 + 5) * 60 * 1000, CHAT_LEVEL_USER, NULL, NULL },
		{ "Root", now + 5000, CHAT_LEVEL_SYSOP, NULL, NULL },     /* clock skew: <1m */
	};
	struct sbuf sb = SBUF_INIT;
	chat_render_who(&sb, who, 4, now);
	expect_sb(&sb,
		  YELLOW "In the room (4):" EOL
		  GREEN "  Alice               " GREY "<1m" EOL
		  GREEN "  Bob                 " GREY "12m" EOL
		  GREEN "  \xe6\x97\xa5\xe6\x9c\xac                " GREY "2h 05m" EOL
		  GREEN "  Root                " GREY "<1m" YELLOW " (SysOp)" EOL);
	chat_render_who(&sb, NULL, 0, now);
	expect_sb(&sb, YELLOW "In the room (0):" EOL);
	/* A time at the far end of the clock: a long stay, not an overflow (UBSan). */
	const struct chat_who_entry ancient[] = { { "Old", INT64_MIN, CHAT_LEVEL_USER, NULL, NULL } };
	chat_render_who(&sb, ancient, 1, now);
	assert_non_null(memmem(sb.data, sb.len, "2562047788015h", 14));
	sbuf_reset(&sb);
	sbuf_free(&sb);
}

static void test_welcome(void **state)
{
	(void)state;
	const char *const names[] = { "Alice", "Bob" };
	struct sbuf sb = SBUF_INIT;
	chat_render_welcome(&sb, "Main Hall", "", names, 2);
	expect_sb(&sb,
		  YELLOW "*** Welcome to Main Hall ***" EOL
		  GREY "Here now: " GREEN "Alice and Bob" EOL
		  GREY "Type " WHITE "/help" GREY " for commands, " WHITE "/quit" GREY
		  " to leave." EOL);
	chat_render_welcome(&sb, NULL, NULL, NULL, 0);
	expect_sb(&sb,
		  YELLOW "*** Welcome to the chat ***" EOL
		  GREY "You are the only one here." EOL
		  GREY "Type " WHITE "/help" GREY " for commands, " WHITE "/quit" GREY
		  " to leave." EOL);
	/* many callers: ten names, then a count */
	const char *many[15];
	for (int i = 0; i < 15; i++)
		many[i] = "X";
	chat_render_welcome(&sb, "R\x1b", "all \x1b[2Jabout R", many, 15);
	int bells;
	char *text = strip_sgr(&sb, &bells);
	assert_non_null(strstr(text, "Welcome to R ***"));
	assert_non_null(strstr(text, "Topic: all [2Jabout R\r\n"));    /* ESC gone */
	assert_non_null(strstr(text, "Here now: X, X, X, X, X, X, X, X, X, X and 5 others\r\n"));
	free(text);
	sbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public),
		cmocka_unit_test(test_invite_topic_status),
		cmocka_unit_test(test_local_time),
		cmocka_unit_test(test_action),
		cmocka_unit_test(test_join_leave),
		cmocka_unit_test(test_coalesced),
		cmocka_unit_test(test_dm),
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_sysop_and_system),
		cmocka_unit_test(test_hostile_strings),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_who),
		cmocka_unit_test(test_welcome),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
