/* The BBS's pure screen renderers, asserted through libvterm: what a caller's
 * terminal shows, at 80 columns and on a narrow one.  And the command table: every
 * command a menu may name (config.c) has a handler (commands.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "bbs/screens.h"
#include "bbs/states.h"
#include "config/config.h"
#include "vt.h"

struct screen {
	int rows, cols;
	char text[60][512];
	int fg[60][200];
};

/* Run bytes through libvterm and read the screen back as UTF-8 rows. */
static void render(const struct sbuf *sb, int cols, int rows, struct screen *out)
{
	struct vt v;
	vt_open(&v, cols, rows);
	vt_write(&v, sb->data, sb->len);
	out->rows = rows;
	out->cols = cols;
	for (int r = 0; r < rows; r++) {
		vt_row(&v, r, out->text[r], sizeof(out->text[r]));
		for (int c = 0; c < cols; c++) {
			VTermScreenCell cell;
			vterm_screen_get_cell(v.vs, (VTermPos){ r, c }, &cell);
			out->fg[r][c] = VTERM_COLOR_IS_INDEXED(&cell.fg) ? cell.fg.indexed.idx : -1;
		}
	}
	vt_close(&v);
}

static int find_row(const struct screen *s, const char *needle)
{
	for (int r = 0; r < s->rows; r++)
		if (strstr(s->text[r], needle))
			return r;
	return -1;
}

static const struct config_menu_item items[] = {
	{ .hotkey = 'C', .name = "Chat", .type = CONFIG_ITEM_COMMAND, .command = "chat" },
	{ .hotkey = 'W', .name = "Who's Online", .type = CONFIG_ITEM_COMMAND, .command = "who" },
	{ .hotkey = 'L', .name = "Last Callers", .type = CONFIG_ITEM_COMMAND, .command = "last_callers" },
	{ .hotkey = 'S', .name = "System", .type = CONFIG_ITEM_SUBMENU, .submenu = "system" },
	{ .hotkey = 'G', .name = "Goodbye", .type = CONFIG_ITEM_COMMAND, .command = "logoff" },
};

static void menu_at(unsigned cols, struct screen *scr)
{
	const struct config_menu_item *vis[5];
	for (int i = 0; i < 5; i++)
		vis[i] = &items[i];
	const char *crumbs[] = { "Main Menu", "System" };
	struct menu_screen m = {
		.bbs_name = "Carrier BBS", .title = "System", .crumbs = crumbs, .n_crumbs = 2,
		.items = vis, .n_items = 5, .handle = "Alice", .node = 3, .minutes_on = 7,
		.cols = cols, .back_hint = "ESC goes back",
	};
	struct sbuf sb = SBUF_INIT;
	screen_menu(&sb, &m);
	render(&sb, (int)cols, 30, scr);
	sbuf_free(&sb);
}

static void test_menu_80_columns(void **state)
{
	(void)state;
	static struct screen s;
	menu_at(80, &s);
	/* A closed frame: corners on the first and last rows of the box. */
	assert_non_null(strstr(s.text[0], "╔"));
	assert_non_null(strstr(s.text[0], "╗"));
	int bottom = find_row(&s, "╚");
	assert_true(bottom > 2);
	assert_non_null(strstr(s.text[bottom], "╝"));
	/* The board name and the menu title on the title bar. */
	assert_non_null(strstr(s.text[1], "Carrier BBS"));
	assert_non_null(strstr(s.text[1], "System"));
	/* Every item with its hotkey, the hotkey in bright yellow (palette 3, bold). */
	const char *want[] = { "[C] Chat", "[W] Who's Online", "[L] Last Callers", "[S] System", "[G] Goodbye" };
	for (int i = 0; i < 5; i++) {
		int r = find_row(&s, want[i]);
		assert_true(r > 1 && r < bottom);
		const char *at = strstr(s.text[r], want[i]);
		/* column of the hotkey: count code points before it */
		int col = 0;
		for (const char *p = s.text[r]; p < at + 1; p++)
			if (((unsigned char)*p & 0xc0) != 0x80)
				col++;
		assert_int_equal(s.fg[r][col], 3);
	}
	/* Breadcrumbs, the back hint, who is calling, and the prompt. */
	assert_true(find_row(&s, "Main Menu › System") > bottom);
	assert_true(find_row(&s, "ESC goes back") > bottom);
	assert_true(find_row(&s, "Node 3 · Alice · 7 min on") > bottom);
	assert_true(find_row(&s, "Command »") > bottom);
	/* Nothing wraps past the width: the right edge lines up on every box row. */
	for (int r = 0; r <= bottom; r++) {
		size_t cps = 0;
		for (const char *p = s.text[r]; *p; p++)
			if (((unsigned char)*p & 0xc0) != 0x80)
				cps++;
		assert_int_equal(cps, 79);
	}
}

static void test_menu_narrow_terminal(void **state)
{
	(void)state;
	static struct screen s;
	menu_at(44, &s);
	int bottom = find_row(&s, "╚");
	assert_true(bottom > 0);
	for (int r = 0; r <= bottom; r++) {
		size_t cps = 0;
		for (const char *p = s.text[r]; *p; p++)
			if (((unsigned char)*p & 0xc0) != 0x80)
				cps++;
		assert_true(cps <= 44);
	}
	assert_true(find_row(&s, "[G] Goodbye") > 0);
}

static void test_who_and_goodbye(void **state)
{
	(void)state;
	static struct screen s;
	struct who_row rows[] = {
		{ 1, "Alice", "Lisbon", "In Chat", 12, NULL },
		{ 2, NULL, "", "Logging In", 0, "127.0.0.1:4000 telnet idle 3s" },
	};
	struct sbuf sb = SBUF_INIT;
	screen_who(&sb, rows, 2, 32);
	render(&sb, 80, 24, &s);
	int r = find_row(&s, "Alice");
	assert_true(r > 0);
	assert_non_null(strstr(s.text[r], "Lisbon"));
	assert_non_null(strstr(s.text[r], "In Chat"));
	assert_non_null(strstr(s.text[r], "12m"));
	assert_true(find_row(&s, "(logging in)") > r);
	/* A sysop's view: the detail on a line of its own under its caller. */
	assert_int_equal(find_row(&s, "127.0.0.1:4000 telnet idle 3s"),
	                 find_row(&s, "(logging in)") + 1);
	assert_true(find_row(&s, "2 of 32 nodes in use.") > r);

	sbuf_reset(&sb);
	screen_goodbye(&sb, NULL, 0, "Alice", 1, 42, "Carrier BBS");
	render(&sb, 80, 24, &s);
	assert_true(find_row(&s, "Thanks for calling Carrier BBS, Alice!") >= 0);
	assert_true(find_row(&s, "You were on for 1 minute. That was call number 42.") >= 0);
	sbuf_free(&sb);
}

static void test_every_menu_command_has_a_handler(void **state)
{
	(void)state;
	extern const struct config_command config_commands[];
	extern const size_t config_n_commands;
	for (size_t i = 0; i < config_n_commands; i++)
		assert_true(bbs_command_exists(config_commands[i].name));
	assert_false(bbs_command_exists("format_c"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_menu_80_columns),
		cmocka_unit_test(test_menu_narrow_terminal),
		cmocka_unit_test(test_who_and_goodbye),
		cmocka_unit_test(test_every_menu_command_has_a_handler),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
