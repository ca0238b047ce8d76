#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "chat/sanitize.h"
#include "util/utf8.h"

#define FFFD "\xef\xbf\xbd"

/* Sanitize `in` (len bytes) with a roomy buffer and compare with want. */
static void check_n(const char *in, size_t len, size_t max_chars, const char *want)
{
	char out[512];
	size_t n = chat_sanitize(in, len, out, sizeof out, max_chars);
	assert_int_equal(n, strlen(out));
	assert_string_equal(out, want);
	assert_true(utf8_valid((const uint8_t *)out, n));
	/* idempotent */
	char again[512];
	size_t m = chat_sanitize(out, n, again, sizeof again, max_chars);
	assert_int_equal(m, n);
	assert_string_equal(again, out);
}

static void check(const char *in, const char *want)
{
	check_n(in, strlen(in), SIZE_MAX, want);
}

static void test_plain(void **state)
{
	(void)state;
	check("hello, world", "hello, world");
	check("h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
	      "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
	check("a  b", "a  b");                 /* inner spaces kept */
	check("", "");
	/* an emoji with its variation selector keeps it */
	check("\xe2\x9d\xa4\xef\xb8\x8f", "\xe2\x9d\xa4\xef\xb8\x8f");
}

static void test_c0_and_escapes(void **state)
{
	(void)state;
	check("hi\x1b[2Jthere", "hi[2Jthere");
	check("\x1b]0;pwned\x07title", "]0;pwnedtitle");
	check("ring\x07\x07\x07", "ring");
	check("back\x08\x08\x08space", "backspace");
	check("ok\rFake: line", "ok Fake: line");
	check("\rFake: line", "Fake: line");
	check("a\tb\nc\x0b" "d\x0c" "e", "a b c d e");
	check("x\x7fy", "xy");
	check_n("a\0b", 3, SIZE_MAX, "ab");
	/* nothing below 0x20 and no DEL survives, for every byte */
	for (int c = 0; c < 0x20; c++) {
		char in[3] = { 'a', (char)c, 'b' };
		char out[16];
		size_t n = chat_sanitize(in, 3, out, sizeof out, SIZE_MAX);
		for (size_t i = 0; i < n; i++)
			assert_true((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
	}
}

static void test_c1(void **state)
{
	(void)state;
	/* U+009B, the 8-bit CSI, properly encoded: dropped */
	check("a\xc2\x9b" "31mred", "a31mred");
	check("\xc2\x80\xc2\x85\xc2\x9f", "");
	/* a raw 0x9b byte is not UTF-8 at all: replaced */
	check("a\x9b" "2J", "a" FFFD "2J");
	/* U+00A0 no-break space is kept inside, trimmed at the ends */
	check("a\xc2\xa0" "b", "a\xc2\xa0" "b");
	check("\xc2\xa0" "a\xc2\xa0", "a");
}

static void test_unicode_format(void **state)
{
	(void)state;
	check("abc\xe2\x80\xae" "fdp.exe", "abcfdp.exe");            /* RLO */
	check("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad" "x", "x");
	check("\xe2\x81\xa6" "a\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "a"); /* isolates */
	check("Al\xe2\x80\x8bice", "Alice");                        /* ZWSP */
	check("a\xe2\x80\x8c\xe2\x80\x8d\xe2\x80\x8e\xe2\x80\x8f" "b", "ab");
	check("\xef\xbb\xbfhi", "hi");                              /* BOM */
	check("a\xe2\x81\xa0" "b", "ab");                           /* word joiner */
	check("a\xc2\xad" "b", "ab");                               /* soft hyphen */
	check("a\xd8\x9c" "b", "ab");                               /* ALM */
	check("one\xe2\x80\xa8two\xe2\x80\xa9three", "one two three");
	check("\xe3\x85\xa4" "x", "x");                             /* Hangul filler */
	check("a\xef\xb7\x90" "b\xef\xbf\xbe", "ab");               /* noncharacters */
	check("a\xf3\xa0\x80\x81" "b", "ab");                       /* language tag */
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	check("\xc0\xaf", FFFD FFFD);                   /* overlong '/' */
	check("\xed\xa0\x80" "x", FFFD FFFD FFFD "x");  /* surrogate */
	check("ab\xe2\x82", "ab" FFFD);                 /* truncated at the end */
	check("\xe2\x82X", FFFD "X");                   /* cut short, next char kept */
	check("\x80\x80", FFFD FFFD);                   /* stray continuations */
	check("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* above U+10FFFF */
	check("\xff", FFFD);
	check("\xf0\x9f\x98\x80\xf0\x9f", "\xf0\x9f\x98\x80" FFFD);
}

static void test_trim(void **state)
{
	(void)state;
	check("   hi   ", "hi");
	check("  ", "");
	check("\x1b \x07 ", "");
	check("\xe3\x80\x80hi\xe3\x80\x80", "hi");       /* ideographic space */
	check(" \t a b \r\n", "a b");
}

static void test_marks(void **state)
{
	(void)state;
	/* e + six acute accents: four are kept */
	check("e\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81!",
	      "e\xcc\x81\xcc\x81\xcc\x81\xcc\x81!");
	/* a mark cannot start the text */
	check("\xcc\x81" "a", "a");
	check(" \xcc\x81" "a", "a");
	/* a dropped control does not restart the count */
	check("e\xcc\x81\xcc\x81\x01\xcc\x81\xcc\x81\xcc\x81",
	      "e\xcc\x81\xcc\x81\xcc\x81\xcc\x81");
	/* a new base, ASCII or not, does */
	check("e\xcc\x81\xcc\x81\xcc\x81\xcc\x81" "a\xcc\x81",
	      "e\xcc\x81\xcc\x81\xcc\x81\xcc\x81" "a\xcc\x81");
	check("e\xcc\x81\xcc\x81\xcc\x81\xcc\x81" " \xcc\x81", "e\xcc\x81\xcc\x81\xcc\x81\xcc\x81 \xcc\x81");
}

static void test_bounds(void **state)
{
	(void)state;
	check_n("h\xc3\xa9llo", 6, 3, "h\xc3\xa9l");
	check_n("ab cd", 5, 3, "ab");                   /* trailing space trimmed */
	check_n("abc", 3, 0, "");

	const char *jp = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";   /* 3 x 3 bytes */
	char out[16];
	/* 7 bytes: room for 6 + NUL, so two characters, never half of the third */
	assert_int_equal(chat_sanitize(jp, 9, out, 7, SIZE_MAX), 6);
	assert_string_equal(out, "\xe6\x97\xa5\xe6\x9c\xac");
	assert_int_equal(chat_sanitize(jp, 9, out, 9, SIZE_MAX), 6);
	assert_string_equal(out, "\xe6\x97\xa5\xe6\x9c\xac");
	assert_int_equal(chat_sanitize(jp, 9, out, 10, SIZE_MAX), 9);
	assert_int_equal(chat_sanitize(jp, 9, out, 1, SIZE_MAX), 0);
	assert_string_equal(out, "");
	/* a 4-byte emoji with 3 bytes of room */
	assert_int_equal(chat_sanitize("a\xf0\x9f\x98\x80", 5, out, 4, SIZE_MAX), 1);
	assert_string_equal(out, "a");
	/* replacement characters count as characters and as 3 bytes */
	assert_int_equal(chat_sanitize("\xff\xff\xff", 3, out, 16, 2), 6);
	/* a lot of garbage stays within outcap */
	char big[300];
	memset(big, 0xff, sizeof big);
	char small[32];
	size_t n = chat_sanitize(big, sizeof big, small, sizeof small, SIZE_MAX);
	assert_true(n < sizeof small);
	assert_int_equal(n, 30);
	assert_true(utf8_valid((const uint8_t *)small, n));
}

static void test_append(void **state)
{
	(void)state;
	struct sbuf sb = SBUF_INIT;
	sbuf_puts(&sb, "> ");
	assert_int_equal(chat_sanitize_append(&sb, "\x1b[31mhi\x07", 8, SIZE_MAX), 6);
	assert_int_equal(sb.len, 8);
	assert_memory_equal(sb.data, "> [31mhi", 8);
	assert_int_equal(chat_sanitize_append(&sb, "\xff", 1, SIZE_MAX), 3);
	assert_int_equal(sb.len, 11);
	assert_memory_equal(sb.data + 8, FFFD, 3);
	assert_int_equal(chat_sanitize_append(&sb, NULL, 0, SIZE_MAX), 0);
	assert_int_equal(sb.len, 11);
	sbuf_free(&sb);
}

/* Printable ASCII takes a short cut past the Unicode look-ups; mixed with what does
 * not, it must agree with a plain model of the rules: spaces (' ', U+00A0) dropped at
 * the start and trimmed at the end, combining marks (U+0301) only after a base and at
 * most CHAT_SANITIZE_MAX_MARKS in a row, and the first character that does not fit
 * (max_chars, or the bytes of out) ends the text. */
static void test_ascii_agrees(void **state)
{
	(void)state;
	/* "\xff" and a lone "\xc3" (no piece starts with a continuation byte) are
	 * each one U+FFFD; after "\xc3" the next byte is looked at again. */
	static const char *const alphabet[] = { " ", "a", "Z", "~", "!", "\xc2\xa0", "\xc3\xa9",
	                                        "\xcc\x81", "\xcc\x81", "\xcc\x81", "\x1b",
	                                        "\xff", "\xc3" };
	uint32_t seed = 12345;
	for (int round = 0; round < 20000; round++) {
		char in[80], want[96], out[96];
		size_t len = 0, wlen = 0, keep = 0, chars = 0;
		unsigned marks = 0;
		bool full = false;
		seed = seed * 1103515245u + 12345u;
		size_t max_chars = (seed >> 16) % 24;
		seed = seed * 1103515245u + 12345u;
		size_t outcap = 1 + (seed >> 16) % 48;
		seed = seed * 1103515245u + 12345u;
		size_t pieces = (seed >> 16) % 24;
		for (size_t k = 0; k < pieces; k++) {
			seed = seed * 1103515245u + 12345u;
			const char *c = alphabet[(seed >> 16) % (sizeof alphabet / sizeof *alphabet)];
			size_t n = strlen(c);
			memcpy(in + len, c, n);
			len += n;
			if (c[0] == '\xff' || strcmp(c, "\xc3") == 0) {
				c = FFFD;
				n = 3;
			}
			bool space = c[0] == ' ' || c[0] == '\xc2', mark = c[0] == '\xcc';
			if (full || c[0] == '\x1b' || (space && wlen == 0) ||
			    (mark && (wlen == 0 || marks >= CHAT_SANITIZE_MAX_MARKS)))
				continue;
			if (chars >= max_chars || wlen + n > outcap - 1) {
				full = true;
				continue;
			}
			memcpy(want + wlen, c, n);
			wlen += n;
			chars++;
			marks = mark ? marks + 1 : 0;
			if (!space)
				keep = wlen;
		}
		want[keep] = '\0';
		size_t got = chat_sanitize(in, len, out, outcap, max_chars);
		assert_int_equal(got, keep);
		assert_string_equal(out, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_c0_and_escapes),
		cmocka_unit_test(test_c1),
		cmocka_unit_test(test_unicode_format),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_ascii_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
