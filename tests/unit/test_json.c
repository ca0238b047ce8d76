/* The control-message JSON look-ups: members found, malformed input refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "util/json.h"

static bool get_str(const char *json, const char *key, char *out, size_t n)
{
	return json_get_string(json, strlen(json), key, out, n);
}

static bool get_int(const char *json, const char *key, int64_t *v)
{
	return json_get_int(json, strlen(json), key, v);
}

static void test_resize_message(void **state)
{
	(void)state;
	char type[16];
	int64_t cols = 0, rows = 0;
	const char *m = " {\"type\" : \"resize\", \"cols\":132,\"rows\":43} ";
	assert_true(get_str(m, "type", type, sizeof(type)));
	assert_string_equal(type, "resize");
	assert_true(get_int(m, "cols", &cols));
	assert_true(get_int(m, "rows", &rows));
	assert_int_equal(cols, 132);
	assert_int_equal(rows, 43);
	assert_false(get_int(m, "type", &cols));
	assert_false(get_str(m, "cols", type, sizeof(type)));
	assert_false(get_str(m, "absent", type, sizeof(type)));
}

static void test_escapes_and_nesting(void **state)
{
	(void)state;
	char out[64];
	const char *m = "{\"a\":[1,{\"type\":\"no\"},[]],\"type\":\"r\\u00e9\\n\\\"\\ud83d\\ude00\",\"z\":null}";
	assert_true(get_str(m, "type", out, sizeof(out)));
	assert_string_equal(out, "r\xc3\xa9\n\"\xf0\x9f\x98\x80");
	/* only top-level members count */
	assert_true(get_str("{\"x\":{\"type\":\"inner\"},\"type\":\"outer\"}", "type", out, sizeof(out)));
	assert_string_equal(out, "outer");
}

static void test_malformed_refused(void **state)
{
	(void)state;
	char out[16];
	int64_t v;
	const char *bad[] = {
		"", "{", "}", "[]", "\"type\"", "{\"type\":\"x\"", "{\"type\":\"x\",}",
		"{\"type\" \"x\"}", "{\"type\":\"x\"} trailing", "{\"type\":'x'}",
		"{\"type\":\"a\x01\"}", "{\"type\":\"\\x\"}", "{\"type\":\"\\udc00\"}",
		"{\"type\":\"\\ud800\"}", "{\"type\":\"\xff\"}", "{\"type\":\"\xc3\"}", "{\"n\":01}", "{\"n\":1.}", "{\"n\":-}",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(get_str(bad[i], "type", out, sizeof(out)));
		assert_false(get_int(bad[i], "n", &v));
	}
	/* too long for the buffer: refused, not truncated */
	assert_false(get_str("{\"type\":\"0123456789abcdefXYZ\"}", "type", out, sizeof(out)));
	/* integers: fractions, exponents and overflow refused */
	assert_false(get_int("{\"n\":1.5}", "n", &v));
	assert_false(get_int("{\"n\":1e3}", "n", &v));
	assert_false(get_int("{\"n\":99999999999999999999}", "n", &v));
	assert_true(get_int("{\"n\":-42}", "n", &v));
	assert_int_equal(v, -42);
	/* deep nesting is bounded */
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	char obj[256];
	snprintf(obj, sizeof(obj), "{\"a\":%.*s,\"type\":\"t\"}", 200, deep);
	assert_false(get_str(obj, "type", out, sizeof(out)));
}

static void test_put_string_escapes(void **state)
{
	(void)state;
	struct sbuf sb = SBUF_INIT;
	json_put_string(&sb, "a\"b\\c\x1b[31m\n");
	sbuf_putc(&sb, 0);
	assert_string_equal((char *)sb.data, "\"a\\\"b\\\\c\\u001b[31m\\u000a\"");
	sbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resize_message),
		cmocka_unit_test(test_escapes_and_nesting),
		cmocka_unit_test(test_malformed_refused),
		cmocka_unit_test(test_put_string_escapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
