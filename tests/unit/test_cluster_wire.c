/* The cluster's bus messages (cluster/wire.h): what the encoder writes decodes to
 * the same thing, and what is malformed, oversized, unknown or unsafe is refused
 * with its reason.  Pure, so tested on its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/wire.h"

static struct cluster_msg msg;
static struct sbuf sb;

static enum cluster_wire_error decode(const char *text)
{
	return cluster_wire_decode((const uint8_t *)text, strlen(text), &msg);
}

static enum cluster_wire_error decode_sb(void)
{
	return cluster_wire_decode(sb.data, sb.len, &msg);
}

static void test_event_round_trip(void **state)
{
	(void)state;
	struct chat_event ev = { .kind = CHAT_PUBLIC, .room = "Lobby", .from = "Alice",
	                         .text = "hello, world = fine", .from_level = 10, .seq = 42,
	                         .ts_ms = 1700000000123 };
	assert_true(cluster_wire_event(&sb, "node-a", &ev));
	assert_int_equal(decode_sb(), CLUSTER_WIRE_OK);
	assert_int_equal(msg.type, CLUSTER_MSG_EVENT);
	assert_string_equal(msg.origin, "node-a");
	assert_int_equal(msg.ev.kind, CHAT_PUBLIC);
	assert_string_equal(msg.ev.room, "Lobby");
	assert_string_equal(msg.ev.from, "Alice");
	assert_string_equal(msg.ev.text, "hello, world = fine");
	assert_null(msg.ev.to);
	assert_int_equal(msg.ev.from_level, 10);
	assert_int_equal(msg.ev.seq, 42);
	assert_int_equal(msg.ev.ts_ms, 1700000000123);
	assert_string_equal(msg.ev.origin, "node-a");
}

static void test_coalesced_join(void **state)
{
	(void)state;
	const char *names[] = { "Ann", "Bob Smith", "Cy" };
	struct chat_event ev = { .kind = CHAT_JOIN, .room = "Lobby", .names = names, .n_names = 3,
	                         .n_more = 7 };
	assert_true(cluster_wire_event(&sb, "n1", &ev));
	assert_int_equal(decode_sb(), CLUSTER_WIRE_OK);
	assert_int_equal(msg.ev.kind, CHAT_JOIN);
	assert_int_equal(msg.ev.n_names, 3);
	assert_string_equal(msg.ev.names[1], "Bob Smith");
	assert_int_equal(msg.ev.n_more, 7);
	/* A name with a comma cannot be sent (it would split). */
	const char *bad[] = { "A,B" };
	ev.names = bad;
	ev.n_names = 1;
	assert_false(cluster_wire_event(&sb, "n1", &ev));
}

static void test_private_and_broadcast(void **state)
{
	(void)state;
	struct chat_event dm = { .kind = CHAT_DM, .from = "Alice", .to = "Bob", .text = "psst" };
	assert_true(cluster_wire_event(&sb, "a", &dm));
	assert_int_equal(decode_sb(), CLUSTER_WIRE_OK);
	assert_int_equal(msg.ev.kind, CHAT_DM);
	assert_null(msg.ev.room);
	assert_string_equal(msg.ev.to, "Bob");
	/* A DM with a room, or without its recipient, is not a DM. */
	assert_int_equal(decode("carrier/1 event\no=a\nk=dm\nr=Lobby\nf=A\nt=B\nx=y"),
	                 CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=dm\nf=A\nx=y"), CLUSTER_WIRE_INVALID);
	struct chat_event bc = { .kind = CHAT_BROADCAST, .from = "ctl:root", .text = "down at 5" };
	assert_true(cluster_wire_event(&sb, "a", &bc));
	assert_int_equal(decode_sb(), CLUSTER_WIRE_OK);
	assert_int_equal(msg.ev.kind, CHAT_BROADCAST);
	struct chat_event kick = { .kind = CHAT_KICK, .room = "Lobby", .from = "Mod", .to = "Bob",
	                           .until_ms = 1700000300000 };
	assert_true(cluster_wire_event(&sb, "a", &kick));
	assert_int_equal(decode_sb(), CLUSTER_WIRE_OK);
	assert_int_equal(msg.ev.until_ms, 1700000300000);
}

static void test_presence(void **state)
{
	(void)state;
	struct cluster_line l = { .line = 7, .since = 1700000000, .level = 200 };
	strcpy(l.handle, "Alice");
	strcpy(l.location, "Lisbon, PT");
	strcpy(l.doing, "Chat: Lobby (away)");
	strcpy(l.room, "Lobby");
	strcpy(l.detail, "127.0.0.1:5555 websocket+tls");
	assert_true(cluster_wire_up(&sb, "node-a", &l));
	assert_int_equal(decode_sb(), CLUSTER_WIRE_OK);
	assert_int_equal(msg.type, CLUSTER_MSG_UP);
	assert_memory_equal(&msg.line, &l, sizeof(l));
	assert_true(cluster_wire_down(&sb, "node-a", 7));
	assert_int_equal(decode_sb(), CLUSTER_WIRE_OK);
	assert_int_equal(msg.type, CLUSTER_MSG_DOWN);
	assert_int_equal(msg.line.line, 7);
	assert_true(cluster_wire_beat(&sb, "node-a", 1700000000000, 12));
	assert_int_equal(decode_sb(), CLUSTER_WIRE_OK);
	assert_int_equal(msg.epoch, 1700000000000);
	assert_int_equal(msg.callers, 12);
	assert_true(cluster_wire_bye(&sb, "node-a"));
	assert_int_equal(decode_sb(), CLUSTER_WIRE_OK);
	assert_int_equal(msg.type, CLUSTER_MSG_BYE);
	assert_true(cluster_wire_hangup(&sb, "node-a", "Bob", "You logged in elsewhere."));
	assert_int_equal(decode_sb(), CLUSTER_WIRE_OK);
	assert_string_equal(msg.handle, "Bob");
	assert_string_equal(msg.reason, "You logged in elsewhere.");
	assert_true(cluster_wire_mute(&sb, "node-a", "Bob", "Lobby", 1700000600000, "Hush."));
	assert_int_equal(decode_sb(), CLUSTER_WIRE_OK);
	assert_int_equal(msg.type, CLUSTER_MSG_MUTE);
	assert_string_equal(msg.handle, "Bob");
	assert_string_equal(msg.room, "Lobby");
	assert_int_equal(msg.until_ms, 1700000600000);
	assert_string_equal(msg.reason, "Hush.");
	assert_true(cluster_wire_mute(&sb, "node-a", "Bob", NULL, 0, ""));
	assert_int_equal(decode_sb(), CLUSTER_WIRE_OK);
	assert_null(msg.room);
	assert_int_equal(msg.until_ms, 0);
	assert_int_equal(decode("carrier/1 mute\no=a\nh=Bob"), CLUSTER_WIRE_INVALID);
	/* Line 0 does not exist. */
	assert_int_equal(decode("carrier/1 up\no=a\ni=0"), CLUSTER_WIRE_INVALID);
}

static void test_refused(void **state)
{
	(void)state;
	/* No magic, another version, an unknown type or kind. */
	assert_int_equal(decode(""), CLUSTER_WIRE_MALFORMED);
	assert_int_equal(decode("hello"), CLUSTER_WIRE_MALFORMED);
	assert_int_equal(decode("carrier/2 event\no=a"), CLUSTER_WIRE_MALFORMED);
	assert_int_equal(decode("carrier/1 party\no=a"), CLUSTER_WIRE_UNKNOWN);
	assert_int_equal(decode("carrier/1 event\no=a\nk=shout\nr=L\nf=A"), CLUSTER_WIRE_UNKNOWN);
	/* Structure: a line without '=', a key twice, no origin, a bad origin. */
	assert_int_equal(decode("carrier/1 bye\no=a\njunk"), CLUSTER_WIRE_MALFORMED);
	assert_int_equal(decode("carrier/1 bye\no=a\no=b"), CLUSTER_WIRE_MALFORMED);
	assert_int_equal(decode("carrier/1 bye\n=x"), CLUSTER_WIRE_MALFORMED);
	assert_int_equal(decode("carrier/1 bye"), CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 bye\no=no spaces"), CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 bye\no="), CLUSTER_WIRE_INVALID);
	/* Unknown keys are skipped; a trailing newline is fine. */
	assert_int_equal(decode("carrier/1 bye\no=a\nzz=later\n"), CLUSTER_WIRE_OK);
	/* Control characters anywhere in a value: ESC, BEL, C1 CSI, DEL, CR. */
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nf=A\nx=\x1b[2J"),
	                 CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nf=A\nx=ding\a"),
	                 CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nf=A\nx=\xc2\x9b" "2J"),
	                 CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nf=A\nx=\x7f"),
	                 CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nf=A\x1b\nx=hi"),
	                 CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nf=A\nx=a\rb"),
	                 CLUSTER_WIRE_INVALID);
	/* Not UTF-8: an overlong, a lone continuation, a truncated sequence. */
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nf=A\nx=\xc0\xaf"),
	                 CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nf=A\nx=\x80"),
	                 CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nf=A\nx=\xe2\x82"),
	                 CLUSTER_WIRE_INVALID);
	/* A NUL inside. */
	uint8_t nul[] = "carrier/1 bye\no=a\0b";
	assert_int_equal(cluster_wire_decode(nul, sizeof(nul) - 1, &msg), CLUSTER_WIRE_MALFORMED);
	/* Numbers: digits only, in range. */
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nf=A\nl=256"),
	                 CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nf=A\ns=-1"),
	                 CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nf=A\ns=99999999999999999999"),
	                 CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nf=A\ns=0x10"),
	                 CLUSTER_WIRE_INVALID);
	/* A room with a space, a public line without a sender, names on a line. */
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=the lobby\nf=A"),
	                 CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nx=hi"), CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=public\nr=L\nf=A\nn=B,C"),
	                 CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=join\nr=L\nn=B,,C"), CLUSTER_WIRE_INVALID);
	assert_int_equal(decode("carrier/1 event\no=a\nk=join\nr=L"), CLUSTER_WIRE_INVALID);
}

static void test_sizes(void **state)
{
	(void)state;
	/* Over the whole bound: oversized, whatever it holds. */
	size_t big = CLUSTER_MSG_MAX + 1;
	char *text = malloc(big + 1);
	memset(text, 'x', big);
	text[big] = '\0';
	memcpy(text, "carrier/1 bye\no=a\nq=", 20);
	assert_int_equal(decode(text), CLUSTER_WIRE_OVERSIZED);
	/* A text over CLUSTER_TEXT_MAX in a message that fits. */
	char *line = malloc(CLUSTER_TEXT_MAX + 64);
	int n = snprintf(line, 64, "carrier/1 event\no=a\nk=public\nr=L\nf=A\nx=");
	memset(line + n, 'y', CLUSTER_TEXT_MAX + 1);
	line[n + CLUSTER_TEXT_MAX + 1] = '\0';
	assert_int_equal(decode(line), CLUSTER_WIRE_INVALID);
	line[n + CLUSTER_TEXT_MAX] = '\0';
	assert_int_equal(decode(line), CLUSTER_WIRE_OK);
	/* The encoder refuses what the decoder would. */
	struct chat_event ev = { .kind = CHAT_PUBLIC, .room = "L", .from = "A", .text = line + n };
	assert_true(cluster_wire_event(&sb, "a", &ev));
	line[n + CLUSTER_TEXT_MAX] = 'y';
	assert_false(cluster_wire_event(&sb, "a", &ev));
	ev.text = "bell\a";
	assert_false(cluster_wire_event(&sb, "a", &ev));
	assert_false(cluster_wire_event(&sb, "not a node", &(struct chat_event){
		.kind = CHAT_PUBLIC, .room = "L", .from = "A" }));
	free(line);
	free(text);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(cluster_node_name_ok("bbs1.example.org:8080"));
	assert_true(cluster_node_name_ok("node-a_2"));
	assert_false(cluster_node_name_ok(""));
	assert_false(cluster_node_name_ok("a b"));
	assert_false(cluster_node_name_ok("a/b"));
	char longname[CLUSTER_NODE_MAX + 1];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[CLUSTER_NODE_MAX] = '\0';
	assert_false(cluster_node_name_ok(longname));
	longname[CLUSTER_NODE_MAX - 1] = '\0';
	assert_true(cluster_node_name_ok(longname));
	for (int k = 0; k < CHAT_KIND_COUNT; k++)
		assert_non_null(cluster_kind_name((enum chat_kind)k));
	assert_null(cluster_kind_name(CHAT_KIND_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_round_trip),
		cmocka_unit_test(test_coalesced_join),
		cmocka_unit_test(test_private_and_broadcast),
		cmocka_unit_test(test_presence),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_names),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sbuf_free(&sb);
	return rc;
}
