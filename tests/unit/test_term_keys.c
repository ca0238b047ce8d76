#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "term/keys.h"

#define MAXK 64

/* Decode s (len bytes) split into chunks of the given size; returns the count. */
static size_t decode(const char *s, size_t len, struct key *keys, struct key_decoder *d)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		struct key k;
		if (keys_feed(d, (uint8_t)s[i], &k)) {
			assert_true(n < MAXK);
			keys[n++] = k;
		}
	}
	return n;
}

static size_t decode_str(const char *s, size_t len, struct key *keys)
{
	struct key_decoder d;
	keys_init(&d);
	return decode(s, len, keys, &d);
}

#define DEC(lit, keys) decode_str(lit, sizeof(lit) - 1, keys)

static void test_size(void **state)
{
	(void)state;
	assert_true(sizeof(struct key_decoder) <= 16);
}

static void test_printable(void **state)
{
	(void)state;
	struct key k[MAXK];
	size_t n = DEC("a Z~\xc3\xa9\xe2\x94\x80\xf0\x9f\x98\x80", k);
	assert_int_equal(n, 7);
	uint32_t want[] = { 'a', ' ', 'Z', '~', 0xe9, 0x2500, 0x1f600 };
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(k[i].type, KEY_CHAR);
		assert_int_equal(k[i].cp, want[i]);
	}
}

static void test_enter_forms(void **state)
{
	(void)state;
	struct key k[MAXK];
	/* CR, LF, CRLF, CR NUL: one Enter each; CR CR two; LF LF two */
	assert_int_equal(DEC("\r", k), 1);
	assert_int_equal(k[0].type, KEY_ENTER);
	assert_int_equal(DEC("\n", k), 1);
	assert_int_equal(DEC("\r\n", k), 1);
	assert_int_equal(DEC("a\r\0b", k), 3);
	assert_int_equal(k[1].type, KEY_ENTER);
	assert_int_equal(k[2].cp, 'b');
	assert_int_equal(DEC("\r\r", k), 2);
	assert_int_equal(DEC("\n\n", k), 2);
	assert_int_equal(DEC("\r\n\r\n", k), 2);
	/* the LF after a CR is swallowed only directly after it */
	assert_int_equal(DEC("\rx\n", k), 3);

	/* CR LF split across two reads */
	struct key_decoder d;
	keys_init(&d);
	assert_int_equal(decode("hi\r", 3, k, &d), 3);
	assert_int_equal(k[2].type, KEY_ENTER);
	assert_int_equal(decode("\nyo", 3, k, &d), 2);
	assert_int_equal(k[0].cp, 'y');
}

static void test_controls(void **state)
{
	(void)state;
	struct key k[MAXK];
	size_t n = DEC("\x08\x7f\x03\x15\x17\t\x01\x02\x07\x0c", k);
	assert_int_equal(n, 6);
	assert_int_equal(k[0].type, KEY_BACKSPACE);
	assert_int_equal(k[1].type, KEY_BACKSPACE);
	assert_int_equal(k[2].type, KEY_CTRL_C);
	assert_int_equal(k[3].type, KEY_CTRL_U);
	assert_int_equal(k[4].type, KEY_CTRL_W);
	assert_int_equal(k[5].type, KEY_TAB);
	/* C1 controls in UTF-8 are dropped */
	assert_int_equal(DEC("\xc2\x9b" "A", k), 1);
	assert_int_equal(k[0].cp, 'A');
}

static void test_sequences(void **state)
{
	(void)state;
	struct key k[MAXK];
	size_t n = DEC("\x1b[A\x1b[B\x1b[C\x1b[D\x1bOH\x1bOF\x1b[1~\x1b[4~\x1b[3~\x1b[H\x1b[F"
		       "\x1b[1;5C\x1b[5~\x1b[6~\x1b[2~", k);
	enum key_type want[] = { KEY_UP, KEY_DOWN, KEY_RIGHT, KEY_LEFT, KEY_HOME, KEY_END,
				 KEY_HOME, KEY_END, KEY_DELETE, KEY_HOME, KEY_END, KEY_RIGHT,
				 KEY_PGUP, KEY_PGDN, KEY_INSERT };
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(k[i].type, want[i]);

	/* unknown sequences swallowed whole */
	n = DEC("\x1b[?1;2c\x1b[200~x\x1b[15~\x1bOP\x1b[38;5;1m" "y", k);
	assert_int_equal(n, 2);
	assert_int_equal(k[0].cp, 'x');
	assert_int_equal(k[1].cp, 'y');

	/* a sequence split across reads */
	struct key_decoder d;
	keys_init(&d);
	assert_int_equal(decode("\x1b", 1, k, &d), 0);
	assert_true(keys_esc_pending(&d));
	assert_int_equal(decode("[", 1, k, &d), 0);
	assert_int_equal(decode("3", 1, k, &d), 0);
	assert_int_equal(decode("~", 1, k, &d), 1);
	assert_int_equal(k[0].type, KEY_DELETE);
}

static void test_sequence_bounds(void **state)
{
	(void)state;
	struct key k[MAXK];
	/* a control byte inside a CSI aborts it and is decoded: Enter never lost */
	size_t n = DEC("\x1b[12\rz", k);
	assert_int_equal(n, 2);
	assert_int_equal(k[0].type, KEY_ENTER);
	assert_int_equal(k[1].cp, 'z');

	/* an endless parameter string is abandoned after KEYS_MAX_SEQ bytes */
	char buf[KEYS_MAX_SEQ + 8];
	buf[0] = 0x1b;
	buf[1] = '[';
	memset(buf + 2, '1', sizeof(buf) - 2);
	n = decode_str(buf, sizeof(buf), k);
	assert_int_equal(n, sizeof(buf) - 2 - KEYS_MAX_SEQ);
	assert_int_equal(k[0].cp, '1');
}

static void test_escape(void **state)
{
	(void)state;
	struct key k[MAXK];
	struct key_decoder d;
	keys_init(&d);
	struct key one;
	assert_int_equal(keys_flush(&d, &one), 0);
	/* lone ESC: reported by flush */
	assert_int_equal(decode("\x1b", 1, k, &d), 0);
	assert_int_equal(keys_flush(&d, &one), 1);
	assert_int_equal(one.type, KEY_ESC);
	assert_int_equal(keys_flush(&d, &one), 0);
	/* ESC ESC: first one reported at once, second pending */
	assert_int_equal(decode("\x1b\x1b", 2, k, &d), 1);
	assert_int_equal(k[0].type, KEY_ESC);
	assert_true(keys_esc_pending(&d));
	assert_int_equal(keys_flush(&d, &one), 1);
	/* ESC then a letter (Alt-x): the letter is typed */
	assert_int_equal(decode("\x1bx", 2, k, &d), 1);
	assert_int_equal(k[0].cp, 'x');
	/* ESC then CR: Enter */
	assert_int_equal(decode("\x1b\r", 2, k, &d), 1);
	assert_int_equal(k[0].type, KEY_ENTER);
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	struct key k[MAXK];
	/* truncated lead + ASCII; lone continuation; overlong; surrogate; 0xff */
	size_t n = DEC("\xc3" "a\x80" "b\xc0\xaf" "c\xed\xa0\x80" "d\xff" "e\xe2\x82" "\xc3\xa9", k);
	uint32_t want[] = { 'a', 'b', 'c', 'd', 'e', 0xe9 };
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(k[i].type, KEY_CHAR);
		assert_int_equal(k[i].cp, want[i]);
	}
	/* UTF-8 split across reads */
	struct key_decoder d;
	keys_init(&d);
	assert_int_equal(decode("\xe2\x94", 2, k, &d), 0);
	assert_int_equal(decode("\x80", 1, k, &d), 1);
	assert_int_equal(k[0].cp, 0x2500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_enter_forms),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_sequence_bounds),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_invalid_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
