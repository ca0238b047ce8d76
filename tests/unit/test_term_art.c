#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <utf8proc.h>

#include "term/art.h"
#include "util/log.h"
#include "util/utf8.h"

/* Art files are looked up in $CARRIER_ART_DIR, else ./art (tests run from the
 * repository root). */
static const char *art_path(const char *name)
{
	static char path[512];
	const char *dir = getenv("CARRIER_ART_DIR");
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "art", name);
	return path;
}

static const char *const shipped[] = { "welcome.ans", "goodbye.ans", "linebusy.ans" };

struct extent {
	unsigned max_col;   /* columns used: rightmost cell written + 1 */
	unsigned rows;      /* rows touched */
};

/* Walk rendered UTF-8 the way a terminal would: CR, LF, SGR, cursor forward,
 * printable glyphs (each must be one column wide).  Anything else fails. */
static struct extent measure(const uint8_t *p, size_t len)
{
	struct extent e = { 0, 0 };
	unsigned col = 0, row = 0;
	uint32_t st = UTF8_ACCEPT, cp = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t b = p[i];
		if (st == UTF8_ACCEPT && b == 0x1b) {
			assert_true(i + 1 < len);
			assert_int_equal(p[i + 1], '[');
			size_t j = i + 2;
			unsigned n = 0;
			while (j < len && ((p[j] >= '0' && p[j] <= '9') || p[j] == ';'))
				n = p[j] == ';' ? 0 : n * 10 + (unsigned)(p[j] - '0'), j++;
			assert_true(j < len);
			if (p[j] == 'C')
				col += n ? n : 1;
			else
				assert_int_equal(p[j], 'm');
			i = j;
			continue;
		}
		if (st == UTF8_ACCEPT && b == '\r') {
			col = 0;
			continue;
		}
		if (st == UTF8_ACCEPT && b == '\n') {
			assert_true(i > 0 && p[i - 1] == '\r');    /* CR LF only */
			row++;
			continue;
		}
		utf8_step(&st, &cp, b);
		assert_int_not_equal(st, UTF8_REJECT);
		if (st != UTF8_ACCEPT)
			continue;
		assert_true(cp >= 0x20);
		assert_int_equal(utf8proc_charwidth((utf8proc_int32_t)cp), 1);
		col++;
		if (col > e.max_col)
			e.max_col = col;
		if (row + 1 > e.rows)
			e.rows = row + 1;
	}
	assert_int_equal(st, UTF8_ACCEPT);
	return e;
}

static void test_shipped_art(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		struct buf *u = art_load_utf8(art_path(shipped[i]));
		struct buf *c = art_load_cp437(art_path(shipped[i]));
		assert_non_null(u);
		assert_non_null(c);
		assert_true(utf8_valid(u->data, u->len));
		/* SAUCE and EOF gone */
		assert_null(memchr(c->data, 0x1a, c->len));
		assert_null(memmem(c->data, c->len, "SAUCE00", 7));
		assert_null(memmem(u->data, u->len, "SAUCE00", 7));
		/* 79 columns at most: a full 80th column makes some BBS terminals wrap */
		struct extent e = measure(u->data, u->len);
		assert_true(e.max_col > 20);
		assert_true(e.max_col <= 79);
		assert_true(e.rows >= 5);
		assert_true(e.rows <= 20);
		/* CP437 box drawing and blocks (0xB0-0xDF) are really there */
		size_t boxes = 0;
		for (size_t j = 0; j < c->len; j++)
			boxes += c->data[j] >= 0xb0 && c->data[j] <= 0xdf;
		assert_true(boxes >= 40);
		buf_unref(u);
		buf_unref(c);
	}
	/* the welcome shows the board's name and ends with attributes reset */
	struct buf *w = art_load_utf8(art_path("welcome.ans"));
	assert_non_null(w);
	assert_non_null(memmem(w->data, w->len, "█", 3));
	assert_non_null(memmem(w->data, w->len, "╔", 3));
	assert_true(w->len > 6);
	assert_memory_equal(w->data + w->len - 6, "\x1b[0m\r\n", 6);
	buf_unref(w);
}

static char *write_tmp(const void *data, size_t len)
{
	char *path = strdup("/tmp/carrier-art-XXXXXX");
	assert_non_null(path);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

/* art + 0x1A + [COMNT] + SAUCE */
static size_t make_sauced(uint8_t *out, const char *art, unsigned comments)
{
	size_t n = strlen(art);
	memcpy(out, art, n);
	out[n++] = 0x1a;
	if (comments) {
		memcpy(out + n, "COMNT", 5);
		n += 5;
		memset(out + n, 'c', 64 * comments);
		n += 64 * comments;
	}
	uint8_t *s = out + n;
	memset(s, ' ', 128);
	memcpy(s, "SAUCE00", 7);
	s[104] = (uint8_t)comments;
	return n + 128;
}

static void test_strip_sauce(void **state)
{
	(void)state;
	uint8_t f[1024];
	size_t n = make_sauced(f, "AB\r\n", 0);
	assert_int_equal(art_strip_sauce(f, n), 4);
	n = make_sauced(f, "ABC\r\n", 2);
	assert_int_equal(art_strip_sauce(f, n), 5);
	/* no SAUCE: cut at the EOF mark, or keep everything */
	assert_int_equal(art_strip_sauce((const uint8_t *)"xy\x1azz", 5), 2);
	assert_int_equal(art_strip_sauce((const uint8_t *)"xyz", 3), 3);
	/* a comment count that does not fit the file is not trusted */
	n = make_sauced(f, "Q", 0);
	f[n - 128 + 104] = 200;
	assert_int_equal(art_strip_sauce(f, n), 1);
}

static void test_load_files(void **state)
{
	(void)state;
	uint8_t f[1024];
	/* LF-only lines gain CRs; CP437 becomes UTF-8; escapes untouched */
	size_t n = make_sauced(f, "\x1b[1;34m\xc9\xcd\xbb\n\xba\x01\xba\r\n", 1);
	char *path = write_tmp(f, n);
	struct buf *u = art_load_utf8(path);
	assert_non_null(u);
	const char *want = "\x1b[1;34m╔═╗\r\n║☺║\r\n";
	assert_int_equal(u->len, strlen(want));
	assert_memory_equal(u->data, want, u->len);
	struct buf *c = art_load_cp437(path);
	assert_non_null(c);
	assert_int_equal(c->len, 16);    /* raw: no CR added, SAUCE gone */
	assert_memory_equal(c->data, "\x1b[1;34m\xc9\xcd\xbb\n\xba\x01\xba\r\n", 16);
	buf_unref(u);
	buf_unref(c);
	unlink(path);
	free(path);

	/* errors: missing, empty after stripping, too large */
	assert_null(art_load_utf8("/nonexistent/carrier/art.ans"));
	assert_null(art_load_cp437("/nonexistent/carrier/art.ans"));
	path = write_tmp("\x1a", 1);
	assert_null(art_load_cp437(path));
	assert_null(art_load_utf8(path));
	unlink(path);
	free(path);
	size_t big = ART_MAX_BYTES + 1;
	char *blob = malloc(big);
	assert_non_null(blob);
	memset(blob, 'x', big);
	path = write_tmp(blob, big);
	assert_null(art_load_cp437(path));
	unlink(path);
	free(path);
	free(blob);
}

int main(void)
{
	log_set_level(LOG_ERROR + 1);    /* the error cases log; keep the output clean */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_art),
		cmocka_unit_test(test_strip_sauce),
		cmocka_unit_test(test_load_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
