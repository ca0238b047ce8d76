#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "term/ansi.h"

static void assert_sb(struct sbuf *sb, const char *want)
{
	assert_int_equal(sb->len, strlen(want));
	assert_memory_equal(sb->data, want, sb->len);
	sbuf_reset(sb);
}

static void test_colors(void **state)
{
	(void)state;
	struct sbuf sb = SBUF_INIT;
	ansi_fg(&sb, ANSI_RED);
	assert_sb(&sb, "\x1b[22;31m");
	ansi_fg(&sb, ANSI_BRIGHT_WHITE);
	assert_sb(&sb, "\x1b[1;37m");
	ansi_fg(&sb, ANSI_BLACK);
	assert_sb(&sb, "\x1b[22;30m");
	ansi_bg(&sb, ANSI_BLUE);
	assert_sb(&sb, "\x1b[44m");
	ansi_bg(&sb, ANSI_BRIGHT_CYAN);
	assert_sb(&sb, "\x1b[106m");
	/* every colour gives a distinct sequence */
	for (int a = 0; a < ANSI_COLOR_COUNT; a++) {
		for (int b = a + 1; b < ANSI_COLOR_COUNT; b++) {
			struct sbuf x = SBUF_INIT, y = SBUF_INIT;
			ansi_fg(&x, (enum ansi_color)a);
			ansi_fg(&y, (enum ansi_color)b);
			assert_false(x.len == y.len && memcmp(x.data, y.data, x.len) == 0);
			sbuf_free(&x);
			sbuf_free(&y);
		}
	}
	sbuf_free(&sb);
}

static void test_cursor_and_erase(void **state)
{
	(void)state;
	struct sbuf sb = SBUF_INIT;
	ansi_reset(&sb);
	assert_sb(&sb, "\x1b[0m");
	ansi_bold(&sb);
	assert_sb(&sb, "\x1b[1m");
	ansi_clear(&sb);
	assert_sb(&sb, "\x1b[2J\x1b[H");
	ansi_goto(&sb, 12, 40);
	assert_sb(&sb, "\x1b[12;40H");
	ansi_goto(&sb, 0, 0);
	assert_sb(&sb, "\x1b[1;1H");
	ansi_erase_line(&sb);
	assert_sb(&sb, "\x1b[2K");
	ansi_erase_eol(&sb);
	assert_sb(&sb, "\x1b[K");
	ansi_save_cursor(&sb);
	assert_sb(&sb, "\x1b[s");
	ansi_restore_cursor(&sb);
	assert_sb(&sb, "\x1b[u");
	ansi_hide_cursor(&sb);
	assert_sb(&sb, "\x1b[?25l");
	ansi_show_cursor(&sb);
	assert_sb(&sb, "\x1b[?25h");
	/* appends, never overwrites */
	ansi_fg(&sb, ANSI_GREEN);
	ansi_bg(&sb, ANSI_BLACK);
	assert_sb(&sb, "\x1b[22;32m\x1b[40m");
	sbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_colors),
		cmocka_unit_test(test_cursor_and_erase),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
