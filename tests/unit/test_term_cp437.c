#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "term/cp437.h"
#include "util/utf8.h"

static void assert_sb(struct sbuf *sb, const char *want)
{
	assert_int_equal(sb->len, strlen(want));
	assert_memory_equal(sb->data, want, sb->len);
	sbuf_reset(sb);
}

static void test_table(void **state)
{
	(void)state;
	assert_int_equal(cp437_to_unicode('A', CP437_TEXT), 'A');
	assert_int_equal(cp437_to_unicode(0xdb, CP437_TEXT), 0x2588);   /* █ */
	assert_int_equal(cp437_to_unicode(0xc9, CP437_TEXT), 0x2554);   /* ╔ */
	assert_int_equal(cp437_to_unicode(0xb0, CP437_TEXT), 0x2591);   /* ░ */
	assert_int_equal(cp437_to_unicode(0x80, CP437_TEXT), 0x00c7);   /* Ç */
	assert_int_equal(cp437_to_unicode(0xe1, CP437_TEXT), 0x00df);   /* ß */
	assert_int_equal(cp437_to_unicode(0xff, CP437_TEXT), 0x00a0);
	assert_int_equal(cp437_to_unicode(0x7f, CP437_TEXT), 0x2302);   /* ⌂ */
	/* glyph mode: the smileys and friends */
	assert_int_equal(cp437_to_unicode(0x01, CP437_GLYPH), 0x263a);
	assert_int_equal(cp437_to_unicode(0x03, CP437_GLYPH), 0x2665);
	assert_int_equal(cp437_to_unicode(0x1b, CP437_GLYPH), 0x2190);
	assert_int_equal(cp437_to_unicode(0x0d, CP437_GLYPH), 0x266a);
	assert_int_equal(cp437_to_unicode(0x00, CP437_GLYPH), 0x20);
	/* text mode: terminal controls stay controls, the rest are glyphs */
	static const uint8_t ctl[] = { 0x07, 0x08, 0x09, 0x0a, 0x0d, 0x1b };
	for (size_t i = 0; i < sizeof(ctl); i++)
		assert_int_equal(cp437_to_unicode(ctl[i], CP437_TEXT), ctl[i]);
	assert_int_equal(cp437_to_unicode(0x01, CP437_TEXT), 0x263a);
	assert_int_equal(cp437_to_unicode(0x10, CP437_TEXT), 0x25ba);
	/* every byte maps to a distinct code point in glyph mode (except NUL/space) */
	for (int a = 1; a < 256; a++)
		for (int b = a + 1; b < 256; b++)
			assert_int_not_equal(cp437_to_unicode((uint8_t)a, CP437_GLYPH),
					     cp437_to_unicode((uint8_t)b, CP437_GLYPH));
}

static void test_reverse(void **state)
{
	(void)state;
	/* round trip for every byte that is a glyph in text mode */
	for (int b = 0x20; b < 256; b++) {
		uint32_t cp = cp437_to_unicode((uint8_t)b, CP437_TEXT);
		assert_int_equal(cp437_from_unicode(cp), b);
	}
	for (int b = 1; b < 0x20; b++) {
		uint32_t cp = cp437_to_unicode((uint8_t)b, CP437_TEXT);
		assert_int_equal(cp437_from_unicode(cp), b);
	}
	assert_int_equal(cp437_from_unicode(0x1b), 0x1b);
	assert_int_equal(cp437_from_unicode(0x2500), 0xc4);     /* ─ */
	assert_int_equal(cp437_from_unicode(0x03b2), 0xe1);     /* β -> ß */
	assert_int_equal(cp437_from_unicode(0x2022), 0xf9);     /* • never BEL */
	assert_int_equal(cp437_from_unicode(0x2190), -1);       /* ← would be ESC */
	assert_int_equal(cp437_from_unicode(0x266a), -1);       /* ♪ would be CR */
	assert_int_equal(cp437_from_unicode(0x20ac), -1);       /* € */
	assert_int_equal(cp437_from_unicode(0x1f600), -1);
	assert_int_equal(cp437_from_unicode(0x110000), -1);
}

static void test_to_utf8(void **state)
{
	(void)state;
	struct sbuf sb = SBUF_INIT;
	static const uint8_t art[] = "\x1b[1;31m\xdb\xdb\xb1\x1b[0m \x01\r\n\xc9\xcd\xbb\x07";
	cp437_to_utf8(&sb, art, sizeof(art) - 1);
	assert_sb(&sb, "\x1b[1;31m██▒\x1b[0m ☺\r\n╔═╗\x07");
	assert_true(utf8_valid(sb.data, sb.len));

	/* split anywhere: same output */
	for (size_t cut = 0; cut < sizeof(art) - 1; cut++) {
		cp437_to_utf8(&sb, art, cut);
		cp437_to_utf8(&sb, art + cut, sizeof(art) - 1 - cut);
		assert_sb(&sb, "\x1b[1;31m██▒\x1b[0m ☺\r\n╔═╗\x07");
	}
	static const uint8_t nul[] = { 'a', 0, 'b' };
	cp437_to_utf8(&sb, nul, 3);
	assert_sb(&sb, "ab");
	sbuf_free(&sb);
}

static void test_from_utf8(void **state)
{
	(void)state;
	struct sbuf sb = SBUF_INIT;
	const char *s = "\x1b[33mCafé ╔═╗ █ €!\r\n";
	utf8_to_cp437(&sb, (const uint8_t *)s, strlen(s));
	assert_sb(&sb, "\x1b[33mCaf\x82 \xc9\xcd\xbb \xdb ?!\r\n");
	/* invalid UTF-8: each bad sequence one '?', the breaking byte kept */
	const char *bad = "a\xc3" "b\xff" "c\xe2\x94";
	utf8_to_cp437(&sb, (const uint8_t *)bad, strlen(bad));
	assert_sb(&sb, "a?b?c?");
	const char *surrogate = "\xed\xa0\x80x";
	utf8_to_cp437(&sb, (const uint8_t *)surrogate, strlen(surrogate));
	/* rejected at the second byte; it and the third are stray continuations */
	assert_sb(&sb, "???x");
	const char *emoji = "\xf0\x9f\x98\x80";
	utf8_to_cp437(&sb, (const uint8_t *)emoji, strlen(emoji));
	assert_sb(&sb, "?");
	sbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_reverse),
		cmocka_unit_test(test_to_utf8),
		cmocka_unit_test(test_from_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
