#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <utf8proc.h>

#include "term/lineedit.h"
#include "util/utf8.h"

/* ---- a one-row screen, enough to check what the caller sees ---- */

#define SCOLS 200
struct screen {
	uint32_t cell[SCOLS];   /* 0 = blank, 1 = right half of a wide char */
	unsigned cur, maxcur, bells, lines;
};

static void screen_feed(struct screen *s, const uint8_t *p, size_t len)
{
	uint32_t st = UTF8_ACCEPT, cp = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t b = p[i];
		if (b == 0x1b) {
			assert_true(i + 1 < len && p[i + 1] == '[');
			size_t j = i + 2;
			while (j < len && !(p[j] >= 0x40 && p[j] <= 0x7e))
				j++;
			assert_true(j < len);
			if (p[j] == 'K')
				for (unsigned c = s->cur; c < SCOLS; c++)
					s->cell[c] = 0;
			i = j;
			continue;
		}
		if (b == '\r') { s->cur = 0; continue; }
		if (b == '\n') { memset(s->cell, 0, sizeof(s->cell)); s->lines++; continue; }
		if (b == '\b') { if (s->cur > 0) s->cur--; continue; }
		if (b == 0x07) { s->bells++; continue; }
		assert_true(b >= 0x20);
		if (utf8_step(&st, &cp, b) != UTF8_ACCEPT) {
			assert_int_not_equal(st, UTF8_REJECT);
			continue;
		}
		int w = utf8proc_charwidth((utf8proc_int32_t)cp);
		if (w == 0)
			continue;
		assert_true(s->cur + (unsigned)w <= SCOLS);
		s->cell[s->cur] = cp;
		if (w == 2)
			s->cell[s->cur + 1] = 1;
		s->cur += (unsigned)w;
		if (s->cur > s->maxcur)
			s->maxcur = s->cur;
	}
}

/* The row as UTF-8 text, trailing blanks trimmed. */
static const char *screen_text(const struct screen *s)
{
	static char out[SCOLS * 4 + 1];
	size_t n = 0, keep = 0;
	for (unsigned c = 0; c < SCOLS; c++) {
		uint32_t cp = s->cell[c];
		if (cp == 1)
			continue;
		n += utf8_encode(cp ? cp : ' ', (uint8_t *)out + n);
		if (cp && cp != ' ')
			keep = n;
	}
	out[keep] = '\0';
	return out;
}

/* ---- helpers ---- */

static struct sbuf echo;

static int setup(void **state)
{
	(void)state;
	echo = (struct sbuf)SBUF_INIT;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sbuf_free(&echo);
	return 0;
}

static enum le_result feed(struct lineedit *le, const char *s, size_t len, size_t *used)
{
	return le_feed(le, (const uint8_t *)s, len, used, &echo);
}
#define FEED(le, lit, used) feed(le, lit, sizeof(lit) - 1, used)

static void assert_echo(const char *want)
{
	assert_int_equal(echo.len, strlen(want));
	assert_memory_equal(echo.data, want, echo.len);
	sbuf_reset(&echo);
}

/* ---- tests ---- */

static void test_basic_line(void **state)
{
	(void)state;
	struct lineedit *le = le_new(80);
	size_t used, len;
	assert_string_equal(le_line(le, &len), "");
	assert_int_equal(len, 0);
	assert_int_equal(FEED(le, "hel", &used), LE_MORE);
	assert_int_equal(used, 3);
	assert_false(le_done(le));
	assert_int_equal(FEED(le, "lo\r", &used), LE_LINE);
	assert_int_equal(used, 3);
	assert_true(le_done(le));
	assert_string_equal(le_line(le, &len), "hello");
	assert_int_equal(len, 5);
	assert_echo("hello\r\n");
	/* nothing more is consumed until reset */
	assert_int_equal(FEED(le, "x", &used), LE_LINE);
	assert_int_equal(used, 0);
	le_reset(le);
	assert_string_equal(le_line(le, NULL), "");
	assert_false(le_done(le));
	le_free(le);
}

static void test_type_ahead(void **state)
{
	(void)state;
	struct lineedit *le = le_new(80);
	size_t used;
	const char in[] = "abc\r\ndef\r\0ghi\nrest";
	size_t off = 0, n = sizeof(in) - 1;
	const char *want[] = { "abc", "def", "ghi" };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(feed(le, in + off, n - off, &used), LE_LINE);
		assert_string_equal(le_line(le, NULL), want[i]);
		off += used;
		le_reset(le);
	}
	assert_int_equal(off, n - 4);
	assert_int_equal(feed(le, in + off, n - off, &used), LE_MORE);
	assert_int_equal(used, 4);
	assert_string_equal(le_line(le, NULL), "rest");
	le_free(le);
}

static void test_split_crlf(void **state)
{
	(void)state;
	struct lineedit *le = le_new(80);
	size_t used;
	assert_int_equal(FEED(le, "abc\r", &used), LE_LINE);
	assert_int_equal(used, 4);
	le_reset(le);
	/* the LF of that CR LF arrives in the next read: not a second, empty line */
	assert_int_equal(FEED(le, "\nx", &used), LE_MORE);
	assert_int_equal(used, 2);
	assert_string_equal(le_line(le, NULL), "x");
	/* and the hotkey reader shares the decoder: */
	struct key k;
	assert_int_equal(FEED(le, "\r", &used), LE_LINE);
	le_reset(le);
	assert_int_equal(le_hotkey(le, (const uint8_t *)"\nq", 2, &used, &k), 1);
	assert_int_equal(used, 2);
	assert_int_equal(k.type, KEY_CHAR);
	assert_int_equal(k.cp, 'q');
	le_free(le);
}

static void test_backspace_wide(void **state)
{
	(void)state;
	struct lineedit *le = le_new(80);
	size_t used;
	struct screen s = { 0 };
	/* a, euro sign (3 bytes, 1 column), CJK (3 bytes, 2 columns), emoji */
	FEED(le, "a\xe2\x82\xac\xe4\xb8\xad", &used);
	screen_feed(&s, echo.data, echo.len);
	assert_string_equal(screen_text(&s), "a€中");
	assert_int_equal(s.cur, 4);
	sbuf_reset(&echo);
	FEED(le, "\x7f", &used);
	assert_echo("\b\b  \b\b");
	assert_string_equal(le_line(le, NULL), "a€");
	FEED(le, "\x08", &used);
	assert_echo("\b \b");
	assert_string_equal(le_line(le, NULL), "a");
	FEED(le, "\x7f\x7f\x7f", &used);
	assert_echo("\b \b");    /* backspace on an empty line does nothing */
	assert_string_equal(le_line(le, NULL), "");
	le_free(le);
}

static void test_kill_line_and_word(void **state)
{
	(void)state;
	struct lineedit *le = le_new(80);
	size_t used;
	le_set_prompt(le, "> ");
	FEED(le, "hello big world  ", &used);
	sbuf_reset(&echo);
	FEED(le, "\x17", &used);
	assert_string_equal(le_line(le, NULL), "hello big ");
	assert_echo("\r> hello big \x1b[K");
	FEED(le, "\x17", &used);
	assert_string_equal(le_line(le, NULL), "hello ");
	sbuf_reset(&echo);
	FEED(le, "\x15", &used);
	assert_string_equal(le_line(le, NULL), "");
	assert_echo("\r> \x1b[K");
	FEED(le, "ok\r", &used);
	assert_string_equal(le_line(le, NULL), "ok");
	le_free(le);
}

static void test_limit(void **state)
{
	(void)state;
	struct lineedit *le = le_new(3);
	size_t used;
	FEED(le, "ab\xc3\xa9\xc3\xa9" "d", &used);
	assert_string_equal(le_line(le, NULL), "ab\xc3\xa9");
	assert_echo("ab\xc3\xa9\x07\x07");
	FEED(le, "\x7f" "z\r", &used);
	assert_string_equal(le_line(le, NULL), "abz");
	le_free(le);
}

static void test_refused(void **state)
{
	(void)state;
	struct lineedit *le = le_new(80);
	size_t used;
	struct screen s = { 0 };
	/* controls, escape sequences and Tab never reach the line */
	FEED(le, "a\x01\x1b[A\x1b[3~\tb\x1b", &used);
	assert_string_equal(le_line(le, NULL), "ab");
	assert_echo("ab");
	/* bidi override, zero-width joiner, private use: refused with a bell */
	FEED(le, "\xe2\x80\xae\xe2\x80\x8d\xee\x80\x80", &used);
	assert_string_equal(le_line(le, NULL), "ab");
	assert_echo("\x07\x07\x07");
	le_reset(le);
	/* a combining mark cannot start the line, but may follow a letter */
	FEED(le, "\xcc\x81" "e\xcc\x81", &used);
	assert_string_equal(le_line(le, NULL), "e\xcc\x81");
	screen_feed(&s, echo.data, echo.len);
	assert_int_equal(s.bells, 1);
	assert_int_equal(s.cur, 1);
	/* backspace removes the mark alone (one code point) and redraws */
	sbuf_reset(&echo);
	FEED(le, "\x7f", &used);
	assert_string_equal(le_line(le, NULL), "e");
	screen_feed(&s, echo.data, echo.len);
	assert_string_equal(screen_text(&s), "e");
	assert_int_equal(s.cur, 1);
	le_free(le);
}

static void test_hidden(void **state)
{
	(void)state;
	struct lineedit *le = le_new(32);
	size_t used;
	le_set_prompt(le, "Password: ");
	le_set_hidden(le, true);
	le_redraw(le, &echo);
	assert_echo("Password: ");
	FEED(le, "s3\xe4\xb8\xad", &used);
	assert_echo("***");
	FEED(le, "\x7f", &used);
	assert_echo("\b \b");
	FEED(le, "!\r", &used);
	assert_echo("*\r\n");
	assert_string_equal(le_line(le, NULL), "s3!");
	le_free(le);
}

static void test_ctrl_c(void **state)
{
	(void)state;
	struct lineedit *le = le_new(80);
	size_t used;
	assert_int_equal(FEED(le, "abc\x03xyz", &used), LE_INTR);
	assert_int_equal(used, 4);
	assert_echo("abc^C\r\n");
	assert_false(le_done(le));
	assert_string_equal(le_line(le, NULL), "");
	assert_int_equal(FEED(le, "xyz\r", &used), LE_LINE);
	assert_string_equal(le_line(le, NULL), "xyz");
	le_free(le);
}

static void test_erase_redraw(void **state)
{
	(void)state;
	struct lineedit *le = le_new(80);
	size_t used;
	struct screen s = { 0 };
	le_set_prompt(le, "\x1b[1;32m[chat]\x1b[0m ");
	le_redraw(le, &echo);
	FEED(le, "half typ\xc3\xa9", &used);
	screen_feed(&s, echo.data, echo.len);
	assert_string_equal(screen_text(&s), "[chat] half typé");
	sbuf_reset(&echo);

	/* a chat line arrives */
	le_erase(le, &echo);
	screen_feed(&s, echo.data, echo.len);
	assert_string_equal(screen_text(&s), "");
	assert_int_equal(s.cur, 0);
	sbuf_puts(&echo, "<bob> hi all\r\n");
	le_redraw(le, &echo);
	screen_feed(&s, echo.data, echo.len);
	assert_int_equal(s.lines, 1);
	assert_string_equal(screen_text(&s), "[chat] half typé");
	assert_int_equal(s.cur, 16);
	sbuf_reset(&echo);
	/* typing continues where it was */
	FEED(le, "d\r", &used);
	assert_string_equal(le_line(le, NULL), "half typéd");
	/* after Enter the editor draws nothing until reset */
	sbuf_reset(&echo);
	le_erase(le, &echo);
	le_redraw(le, &echo);
	assert_int_equal(echo.len, 0);
	le_free(le);
}

static void test_horizontal_scroll(void **state)
{
	(void)state;
	struct lineedit *le = le_new(200);
	size_t used;
	struct screen s = { 0 };
	le_set_width(le, 30);
	le_set_prompt(le, "> ");
	le_redraw(le, &echo);
	const char *text = "the quick brown fox jumps over the lazy dog 0123456789";
	for (const char *p = text; *p; p++) {
		feed(le, p, 1, &used);
		screen_feed(&s, echo.data, echo.len);
		sbuf_reset(&echo);
		assert_true(s.maxcur <= 29);    /* never the last column */
	}
	assert_string_equal(le_line(le, NULL), text);
	/* the row shows the prompt and the tail of the input, cursor at the end */
	const char *row = screen_text(&s);
	assert_memory_equal(row, "> ", 2);
	size_t shown = strlen(row) - 2;
	assert_int_equal(shown, 27);
	assert_string_equal(row + 2, text + strlen(text) - shown);
	assert_int_equal(s.cur, 29);
	/* wide characters scroll too */
	FEED(le, "\x15", &used);
	for (int i = 0; i < 20; i++)
		FEED(le, "\xe4\xb8\xad", &used);
	screen_feed(&s, echo.data, echo.len);
	assert_true(s.maxcur <= 29);
	/* backspace all the way: the row shrinks back to the prompt */
	for (int i = 0; i < 20; i++)
		FEED(le, "\x7f", &used);
	screen_feed(&s, echo.data, echo.len);
	assert_string_equal(screen_text(&s), ">");
	assert_int_equal(s.cur, 2);
	le_free(le);
}

/* Any split of the input gives the same line and the same echo. */
/* What the row shows when Enter arrives (the echo up to its CR LF), and the bells. */
static const char *row_before_enter(const struct sbuf *e)
{
	static char out[2][SCOLS * 4 + 32];
	static int which;
	struct screen scr;
	memset(&scr, 0, sizeof(scr));
	size_t n = e->len;
	for (size_t i = 0; i + 1 < e->len; i++) {
		if (e->data[i] == '\r' && e->data[i + 1] == '\n') {
			n = i;
			break;
		}
	}
	screen_feed(&scr, e->data, n);
	which ^= 1;
	snprintf(out[which], sizeof(out[which]), "%s|bells=%u|cur=%u", screen_text(&scr), scr.bells, scr.cur);
	return out[which];
}

/* A pasted line much wider than the terminal: one redraw per chunk, not one per
 * character (the echo must not grow with the square of the line). */
static void test_paste_wider_than_screen_is_cheap(void **state)
{
	(void)state;
	char in[600];
	memset(in, 'x', sizeof(in));
	struct lineedit *le = le_new(1000);
	le_set_width(le, 40);
	size_t used;
	assert_int_equal(feed(le, in, sizeof(in), &used), LE_MORE);
	assert_true(echo.len < 200);
	struct screen scr;
	memset(&scr, 0, sizeof(scr));
	screen_feed(&scr, echo.data, echo.len);
	assert_true(scr.maxcur < 40);
	assert_int_equal(strlen(le_line(le, NULL)), sizeof(in));
	le_free(le);
}

static void test_chunking(void **state)
{
	(void)state;
	const char in[] = "h\xc3\xa9llo\x1b[D w\xe4\xb8\xadrld\x7f\x17" "again\x1b[1;5C\r\nnext";
	size_t n = sizeof(in) - 1;
	struct lineedit *ref = le_new(40);
	size_t used;
	assert_int_equal(feed(ref, in, n, &used), LE_LINE);
	size_t ref_used = used;
	struct sbuf want = SBUF_INIT;
	sbuf_append(&want, echo.data, echo.len);
	sbuf_reset(&echo);
	for (size_t chunk = 1; chunk <= n; chunk++) {
		struct lineedit *le = le_new(40);
		size_t off = 0;
		enum le_result r = LE_MORE;
		while (off < n && r == LE_MORE) {
			size_t take = n - off < chunk ? n - off : chunk;
			r = feed(le, in + off, take, &used);
			off += used;
		}
		assert_int_equal(r, LE_LINE);
		assert_string_equal(le_line(le, NULL), le_line(ref, NULL));
		/* The bytes may differ (redraws are batched per chunk); the screen may not. */
		assert_string_equal(row_before_enter(&echo), row_before_enter(&want));
		/* the CR's LF is consumed with it unless the chunk ended at the CR */
		assert_true(off == ref_used || off == ref_used - 1);
		sbuf_reset(&echo);
		le_free(le);
	}
	assert_string_equal(le_line(ref, NULL), "h\xc3\xa9llo again");
	sbuf_free(&want);
	le_free(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basic_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paste_wider_than_screen_is_cheap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_crlf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backspace_wide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_line_and_word, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hidden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctrl_c, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase_redraw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_horizontal_scroll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunking, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
