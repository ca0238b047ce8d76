/* Unit tests for src/config/toml: the API, ordering, positions, errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/toml.h"
#include "util/sbuf.h"

static struct toml_value *parse_ok(const char *text)
{
	struct toml_error err;
	struct toml_value *root = toml_parse(text, strlen(text), &err);
	if (root == NULL)
		fail_msg("unexpected error %d:%d: %s\n--- in:\n%s", err.line, err.column,
			 err.message, text);
	assert_int_equal(toml_type(root), TOML_TABLE);
	return root;
}

/* Parse must fail at line:column with a message containing `needle`. */
static void expect_error(const char *text, size_t len, int line, int column, const char *needle)
{
	struct toml_error err;
	struct toml_value *root = toml_parse(text, len, &err);
	if (root != NULL) {
		toml_free(root);
		fail_msg("accepted invalid document:\n%s", text);
	}
	if (err.line != line || err.column != column || strstr(err.message, needle) == NULL)
		fail_msg("want %d:%d \"%s\", have %d:%d \"%s\"", line, column, needle,
			 err.line, err.column, err.message);
}

#define EXPECT_ERROR(text, line, column, needle) \
	expect_error(text, sizeof(text) - 1, line, column, needle)

static const struct toml_value *get(const struct toml_value *t, const char *key,
				    enum toml_type type)
{
	const struct toml_value *v = toml_table_get(t, key);
	if (v == NULL)
		fail_msg("key \"%s\" missing", key);
	assert_int_equal(toml_type(v), type);
	return v;
}

static void test_scalars(void **state)
{
	struct toml_value *root = parse_ok(
		"str = \"tab\\there \\u00e9\\U0001F600\"\n"
		"lit = 'C:\\path\\'\n"
		"nul = \"a\\u0000b\"\n"
		"int = -17\n"
		"hex = 0xDEAD_beef\n"
		"oct = 0o755\n"
		"bin = 0b1010\n"
		"big = 9_223_372_036_854_775_807\n"
		"small = -9223372036854775808\n"
		"flt = 6.626e-34\n"
		"neg0 = -0.0\n"
		"pinf = +inf\n"
		"ninf = -inf\n"
		"nan = nan\n"
		"yes = true\n"
		"no = false\n");
	size_t len;
	assert_string_equal(toml_string(get(root, "str", TOML_STRING), &len),
			    "tab\there \xc3\xa9\xf0\x9f\x98\x80");
	assert_int_equal(len, 15);
	assert_string_equal(toml_string(get(root, "lit", TOML_STRING), NULL), "C:\\path\\");
	const char *nul = toml_string(get(root, "nul", TOML_STRING), &len);
	assert_int_equal(len, 3);
	assert_memory_equal(nul, "a\0b", 3);
	assert_int_equal(toml_integer(get(root, "int", TOML_INTEGER)), -17);
	assert_int_equal(toml_integer(get(root, "hex", TOML_INTEGER)), 0xdeadbeef);
	assert_int_equal(toml_integer(get(root, "oct", TOML_INTEGER)), 0755);
	assert_int_equal(toml_integer(get(root, "bin", TOML_INTEGER)), 10);
	assert_true(toml_integer(get(root, "big", TOML_INTEGER)) == INT64_MAX);
	assert_true(toml_integer(get(root, "small", TOML_INTEGER)) == INT64_MIN);
	assert_true(toml_float(get(root, "flt", TOML_FLOAT)) == 6.626e-34);
	double neg0 = toml_float(get(root, "neg0", TOML_FLOAT));
	assert_true(neg0 == 0.0 && signbit(neg0));
	assert_true(isinf(toml_float(get(root, "pinf", TOML_FLOAT))) &&
		    toml_float(get(root, "pinf", TOML_FLOAT)) > 0);
	assert_true(toml_float(get(root, "ninf", TOML_FLOAT)) < 0);
	assert_true(isnan(toml_float(get(root, "nan", TOML_FLOAT))));
	assert_true(toml_bool(get(root, "yes", TOML_BOOL)));
	assert_false(toml_bool(get(root, "no", TOML_BOOL)));
	assert_null(toml_table_get(root, "absent"));
	toml_free(root);
}

static void test_datetimes(void **state)
{
	struct toml_value *root = parse_ok(
		"odt = 1979-05-27t07:32:00.5-07:30\n"
		"utc = 1979-05-27 07:32:00z\n"
		"ldt = 1979-05-27T07:32:00.123456789123\n"
		"ld = 2000-02-29\n"
		"lt = 23:59:60\n");
	const struct toml_value *v = get(root, "odt", TOML_DATETIME);
	assert_string_equal(toml_datetime_text(v), "1979-05-27T07:32:00.500-07:30");
	struct toml_datetime dt;
	toml_datetime(v, &dt);
	assert_int_equal(dt.year, 1979);
	assert_int_equal(dt.month, 5);
	assert_int_equal(dt.day, 27);
	assert_int_equal(dt.hour, 7);
	assert_int_equal(dt.minute, 32);
	assert_int_equal(dt.second, 0);
	assert_int_equal(dt.nanosecond, 500000000);
	assert_int_equal(dt.offset_minutes, -450);
	assert_string_equal(toml_datetime_text(get(root, "utc", TOML_DATETIME)),
			    "1979-05-27T07:32:00Z");
	v = get(root, "ldt", TOML_DATETIME_LOCAL);
	assert_string_equal(toml_datetime_text(v), "1979-05-27T07:32:00.123456789");
	toml_datetime(v, &dt);
	assert_int_equal(dt.nanosecond, 123456789);
	assert_string_equal(toml_datetime_text(get(root, "ld", TOML_DATE_LOCAL)), "2000-02-29");
	assert_string_equal(toml_datetime_text(get(root, "lt", TOML_TIME_LOCAL)), "23:59:60");
	toml_free(root);

	EXPECT_ERROR("d = 1900-02-29\n", 1, 5, "date out of range");
	EXPECT_ERROR("d = 2023-04-31\n", 1, 5, "date out of range");
	EXPECT_ERROR("d = 2023-04-30T24:00:00\n", 1, 5, "time out of range");
	EXPECT_ERROR("d = 07:32\n", 1, 5, "seconds are required");
	EXPECT_ERROR("d = 1979-05-27T07:32:00+7:00\n", 1, 5, "offset");
}

static void test_strings(void **state)
{
	struct toml_value *root = parse_ok(
		"a = \"\"\"\nline one\r\nline two \\\n     joined\"\"\"\"\n"
		"b = '''\r\nraw \\n ''quotes'''''\n"
		"c = \"\"\"\\\n\n   \"\"\"\n");
	assert_string_equal(toml_string(get(root, "a", TOML_STRING), NULL),
			    "line one\nline two joined\"");
	assert_string_equal(toml_string(get(root, "b", TOML_STRING), NULL),
			    "raw \\n ''quotes''");
	assert_string_equal(toml_string(get(root, "c", TOML_STRING), NULL), "");
	toml_free(root);

	EXPECT_ERROR("s = \"abc\n", 1, 5, "unterminated string");
	EXPECT_ERROR("s = \"a\\qb\"\n", 1, 7, "invalid escape sequence '\\q'");
	EXPECT_ERROR("s = \"\\uDFFF\"\n", 1, 6, "not a Unicode scalar value");
	EXPECT_ERROR("s = \"\\U00110000\"\n", 1, 6, "not a Unicode scalar value");
	EXPECT_ERROR("s = \"\\u12\"\n", 1, 6, "hexadecimal digits");
	EXPECT_ERROR("s = \"\"\"a\\  b\"\"\"\n", 1, 9, "line-ending backslash");
	EXPECT_ERROR("s = '''abc\n", 1, 5, "unterminated multi-line string");
}

static void test_table_order_and_lookup(void **state)
{
	struct toml_value *root = parse_ok(
		"zeta = 1\n"
		"alpha = 2\n"
		"\"quoted key\" = 3\n"
		"dotted.inner = 4\n"
		"mid = 5\n"
		"[later]\n"
		"[dotted.more]\n");
	static const char *const order[] = {
		"zeta", "alpha", "quoted key", "dotted", "mid", "later",
	};
	assert_int_equal(toml_table_len(root), 6);
	for (size_t i = 0; i < 6; i++) {
		size_t len;
		const char *k = toml_table_key(root, i, &len);
		assert_string_equal(k, order[i]);
		assert_int_equal(len, strlen(order[i]));
		assert_ptr_equal(toml_table_value(root, i), toml_table_get(root, order[i]));
	}
	const struct toml_value *dotted = get(root, "dotted", TOML_TABLE);
	assert_int_equal(toml_table_len(dotted), 2);
	assert_string_equal(toml_table_key(dotted, 0, NULL), "inner");
	assert_string_equal(toml_table_key(dotted, 1, NULL), "more");
	toml_free(root);

	/* a key holding NUL is found only by its full length */
	root = parse_ok("\"a\\u0000b\" = 1\na = 2\n");
	assert_int_equal(toml_integer(toml_table_get_n(root, "a\0b", 3)), 1);
	assert_int_equal(toml_integer(toml_table_get(root, "a")), 2);
	size_t len;
	assert_memory_equal(toml_table_key(root, 0, &len), "a\0b", 3);
	assert_int_equal(len, 3);
	toml_free(root);
}

/* Big tables use a hash index: every key must still be found, order kept. */
static void test_large_table(void **state)
{
	struct sbuf doc = SBUF_INIT;
	enum { N = 2000 };
	for (int i = N - 1; i >= 0; i--)
		sbuf_printf(&doc, "k%d = %d\n", i, i * 3);
	sbuf_putc(&doc, '\0');
	struct toml_value *root = parse_ok((const char *)doc.data);
	assert_int_equal(toml_table_len(root), N);
	char key[16];
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(toml_integer(get(root, key, TOML_INTEGER)), i * 3);
		assert_string_equal(toml_table_key(root, (size_t)(N - 1 - i), NULL), key);
	}
	assert_null(toml_table_get(root, "k2000"));
	toml_free(root);

	sbuf_reset(&doc);
	sbuf_puts(&doc, "a = 1\n");
	for (int i = 0; i < 50; i++)
		sbuf_printf(&doc, "x%d = 1\n", i);
	sbuf_puts(&doc, "x17 = 2\n");
	expect_error((const char *)doc.data, doc.len, 52, 1, "duplicate key \"x17\"");
	sbuf_free(&doc);
}

static void test_arrays_of_tables(void **state)
{
	struct toml_value *root = parse_ok(
		"[[fruits]]\n"
		"name = \"apple\"\n"
		"[fruits.physical]\n"
		"color = \"red\"\n"
		"[[fruits.varieties]]\n"
		"name = \"red delicious\"\n"
		"[[fruits.varieties]]\n"
		"name = \"granny smith\"\n"
		"[[fruits]]\n"
		"name = \"banana\"\n"
		"[[fruits.varieties]]\n"
		"name = \"plantain\"\n"
		"[other]\n"
		"mixed = [1, \"two\", [3.0], {four = 4}]\n");
	const struct toml_value *fruits = get(root, "fruits", TOML_ARRAY);
	assert_int_equal(toml_array_len(fruits), 2);
	const struct toml_value *apple = toml_array_at(fruits, 0);
	assert_string_equal(toml_string(get(apple, "name", TOML_STRING), NULL), "apple");
	assert_string_equal(toml_string(get(get(apple, "physical", TOML_TABLE), "color",
					    TOML_STRING), NULL), "red");
	const struct toml_value *vars = get(apple, "varieties", TOML_ARRAY);
	assert_int_equal(toml_array_len(vars), 2);
	assert_string_equal(toml_string(get(toml_array_at(vars, 1), "name", TOML_STRING), NULL),
			    "granny smith");
	const struct toml_value *banana = toml_array_at(fruits, 1);
	vars = get(banana, "varieties", TOML_ARRAY);
	assert_int_equal(toml_array_len(vars), 1);
	assert_string_equal(toml_string(get(toml_array_at(vars, 0), "name", TOML_STRING), NULL),
			    "plantain");
	assert_null(toml_table_get(banana, "physical"));

	const struct toml_value *mixed = get(get(root, "other", TOML_TABLE), "mixed", TOML_ARRAY);
	assert_int_equal(toml_array_len(mixed), 4);
	assert_int_equal(toml_type(toml_array_at(mixed, 0)), TOML_INTEGER);
	assert_int_equal(toml_type(toml_array_at(mixed, 1)), TOML_STRING);
	assert_int_equal(toml_type(toml_array_at(mixed, 2)), TOML_ARRAY);
	assert_true(toml_float(toml_array_at(toml_array_at(mixed, 2), 0)) == 3.0);
	assert_int_equal(toml_integer(get(toml_array_at(mixed, 3), "four", TOML_INTEGER)), 4);
	toml_free(root);
}

static void check_pos(const struct toml_value *v, int line, int column)
{
	int l = -1, c = -1;
	toml_position(v, &l, &c);
	if (l != line || c != column)
		fail_msg("position: want %d:%d, have %d:%d", line, column, l, c);
}

static void test_positions(void **state)
{
	struct toml_value *root = parse_ok(
		"# comment\n"
		"port = 8080\n"
		"  server . \"host\" = 'h\xc3\xa9'\n"
		"list = [\n"
		"  1,\n"
		"    \"x\",\n"
		"]\n"
		"[a.b]\n"
		"\tk = 1\n"
		"[[arr]]\n"
		"[[arr]]\n");
	check_pos(root, 1, 1);
	check_pos(get(root, "port", TOML_INTEGER), 2, 1);
	const struct toml_value *server = get(root, "server", TOML_TABLE);
	check_pos(server, 3, 3);
	check_pos(get(server, "host", TOML_STRING), 3, 12);
	const struct toml_value *list = get(root, "list", TOML_ARRAY);
	check_pos(list, 4, 1);
	check_pos(toml_array_at(list, 0), 5, 3);
	check_pos(toml_array_at(list, 1), 6, 5);
	const struct toml_value *a = get(root, "a", TOML_TABLE);
	check_pos(a, 8, 2);
	const struct toml_value *b = get(a, "b", TOML_TABLE);
	check_pos(b, 8, 4);
	check_pos(get(b, "k", TOML_INTEGER), 9, 2);
	const struct toml_value *arr = get(root, "arr", TOML_ARRAY);
	check_pos(arr, 10, 3);
	check_pos(toml_array_at(arr, 1), 11, 3);
	toml_free(root);

	/* an implicit table takes the position of the header that defines it */
	root = parse_ok("[x.y]\n[x]\n");
	check_pos(get(root, "x", TOML_TABLE), 2, 2);
	toml_free(root);
}

static void test_error_positions(void **state)
{
	EXPECT_ERROR("key value\n", 1, 5, "expected '=' after key");
	EXPECT_ERROR("a = 1\nb = \nc = 3\n", 2, 5, "expected a value");
	/* columns count characters, not bytes */
	EXPECT_ERROR("s = \"\xc3\xa9\xc3\xa9\xc3\xa9\" x\n", 1, 11, "expected end of line");
	EXPECT_ERROR("a = 1\r\nb = @\r\n", 2, 5, "invalid value");
	EXPECT_ERROR("a = 1\n\n  a = 2\n", 3, 3, "duplicate key \"a\"");
	EXPECT_ERROR("[t]\nx = 1\n[t]\n", 3, 2, "defined twice");
	EXPECT_ERROR("a = \"x\x01\"\n", 1, 7, "control character U+0001");
	EXPECT_ERROR("a = 1\n# \xff\n", 2, 3, "invalid UTF-8");
	EXPECT_ERROR("a = 1\rb = 2\n", 1, 6, "carriage return");
	EXPECT_ERROR("a = [1 2]\n", 1, 8, "expected ',' or ']'");
	EXPECT_ERROR("t = {a = 1,}\n", 1, 11, "trailing comma");
	EXPECT_ERROR("t = {a = 1\n}\n", 1, 11, "one line");
	EXPECT_ERROR("[a\n", 1, 3, "expected ']'");
	EXPECT_ERROR("\xef\xbb\xbf" "x = 1 2\n", 1, 7, "expected end of line");
	/* a NUL byte in the text is a control character, not the end */
	expect_error("a = 1\0b", 7, 1, 6, "control character U+0000");

	/* err may be NULL */
	assert_null(toml_parse("= 1", 3, NULL));
}

static void test_numbers_refused(void **state)
{
	EXPECT_ERROR("n = 9223372036854775808\n", 1, 5, "64 bits");
	EXPECT_ERROR("n = -9223372036854775809\n", 1, 5, "64 bits");
	EXPECT_ERROR("n = 0x1_0000_0000_0000_0000\n", 1, 5, "64 bits");
	EXPECT_ERROR("n = 012\n", 1, 5, "leading zeros");
	EXPECT_ERROR("n = 1__2\n", 1, 6, "underscore");
	EXPECT_ERROR("n = 1_\n", 1, 6, "underscore");
	EXPECT_ERROR("n = +0x1\n", 1, 5, "sign");
	EXPECT_ERROR("n = 1.\n", 1, 5, "decimal point");
	EXPECT_ERROR("n = 1e\n", 1, 5, "exponent");
	EXPECT_ERROR("n = 1e999\n", 1, 5, "out of range");
	EXPECT_ERROR("n = infinity\n", 1, 5, "invalid value");
}

static void test_redefinition(void **state)
{
	EXPECT_ERROR("a.b = 1\n[a]\n", 2, 2, "dotted keys");
	EXPECT_ERROR("[a.b]\n[a]\nb.c = 1\n", 3, 1, "defined by a [table] header");
	EXPECT_ERROR("t = {x = 1}\nt.y = 2\n", 2, 1, "inline table");
	EXPECT_ERROR("t = {x = 1}\n[t.sub]\n", 2, 2, "inline table");
	EXPECT_ERROR("arr = [1]\n[[arr]]\n", 2, 3, "static array");
	EXPECT_ERROR("[[arr]]\n[arr]\n", 2, 2, "array");
	EXPECT_ERROR("a = 1\na.b = 2\n", 2, 1, "integer");
	EXPECT_ERROR("[[a.b]]\n[[a]]\n", 2, 3, "already defined");
	EXPECT_ERROR("x = {a = {b = 1}, a.c = 2}\n", 1, 19, "inline table");

	/* allowed: sub-tables of dotted tables, dotted keys through implicit tables */
	struct toml_value *root = parse_ok(
		"[fruit]\n"
		"apple.color = \"red\"\n"
		"[fruit.apple.texture]\n"
		"smooth = true\n"
		"[x.y.z]\n"
		"[x]\n"
		"y.w = 1\n");
	assert_true(toml_bool(get(get(get(get(root, "fruit", TOML_TABLE), "apple", TOML_TABLE),
				      "texture", TOML_TABLE), "smooth", TOML_BOOL)));
	assert_int_equal(toml_table_len(get(get(root, "x", TOML_TABLE), "y", TOML_TABLE)), 2);
	toml_free(root);
}

static void test_depth_limit(void **state)
{
	struct sbuf doc = SBUF_INIT;
	/* exactly at the limit is fine */
	sbuf_puts(&doc, "a = ");
	for (int i = 0; i < TOML_MAX_DEPTH; i++)
		sbuf_putc(&doc, '[');
	for (int i = 0; i < TOML_MAX_DEPTH; i++)
		sbuf_putc(&doc, ']');
	sbuf_putc(&doc, '\0');
	struct toml_value *root = parse_ok((const char *)doc.data);
	toml_free(root);

	/* one deeper is refused, as are long dotted keys and headers */
	sbuf_reset(&doc);
	sbuf_puts(&doc, "a = ");
	for (int i = 0; i < 100000; i++)
		sbuf_putc(&doc, '[');
	expect_error((const char *)doc.data, doc.len, 1, 4 + TOML_MAX_DEPTH + 1, "nested");
	sbuf_reset(&doc);
	for (int i = 0; i < 1000; i++)
		sbuf_puts(&doc, "k.");
	sbuf_puts(&doc, "k = 1\n");
	expect_error((const char *)doc.data, doc.len, 1, 2 * TOML_MAX_DEPTH + 1, "nested");
	sbuf_reset(&doc);
	sbuf_puts(&doc, "[k");
	for (int i = 0; i < 1000; i++)
		sbuf_puts(&doc, ".k");
	sbuf_puts(&doc, "]\n");
	expect_error((const char *)doc.data, doc.len, 1, 2 * TOML_MAX_DEPTH + 2, "nested");
	sbuf_free(&doc);
}

static void test_empty_and_comments(void **state)
{
	struct toml_value *root = parse_ok("");
	assert_int_equal(toml_table_len(root), 0);
	toml_free(root);
	root = parse_ok("# only a comment \t\xc3\xa9\n\n   \n\t# another");
	assert_int_equal(toml_table_len(root), 0);
	toml_free(root);
	root = parse_ok("a = 1 # trailing\n[t] # header comment\nb = [ # in array\n  2, # x\n]\n");
	assert_int_equal(toml_table_len(root), 2);
	assert_int_equal(toml_array_len(get(get(root, "t", TOML_TABLE), "b", TOML_ARRAY)), 1);
	toml_free(root);
	toml_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_datetimes),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_table_order_and_lookup),
		cmocka_unit_test(test_large_table),
		cmocka_unit_test(test_arrays_of_tables),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_error_positions),
		cmocka_unit_test(test_numbers_refused),
		cmocka_unit_test(test_redefinition),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_empty_and_comments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
