/* A TOML 1.0.0 parser: text in, a tree of values out.  Pure: no I/O, no globals.
 *
 * The whole document is checked before anything is returned, so a tree is only
 * ever built from valid TOML (held to the toml-test suite, see
 * tests/conformance/test_toml_suite.py).  Errors carry a 1-based line and column
 * (the column counts characters, not bytes) and a human message.
 *
 * Memory: toml_parse returns the root table, owned by the caller and released with
 * toml_free.  Every pointer the accessors return (values, keys, strings, datetime
 * text) is borrowed from that tree and stays valid until toml_free(root).
 *
 * Accessors assert that they are called on a value of the right type; check
 * toml_type first when the document might hold something else.
 *
 * Limits: tables and arrays nest at most TOML_MAX_DEPTH deep (counting every key
 * part of dotted keys and headers); deeper documents are refused with an error.
 * Integers are int64 (larger ones are refused, not wrapped); floats are doubles
 * read with strtod, so LC_NUMERIC must be "C" (the default unless the program
 * calls setlocale); a float too large for a double is refused. */
#ifndef CARRIER_CONFIG_TOML_H
#define CARRIER_CONFIG_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOML_MAX_DEPTH 128

enum toml_type {
	TOML_TABLE,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOL,
	TOML_DATETIME,          /* offset date-time: 1979-05-27T07:32:00Z */
	TOML_DATETIME_LOCAL,    /* local date-time:  1979-05-27T07:32:00 */
	TOML_DATE_LOCAL,        /* local date:       1979-05-27 */
	TOML_TIME_LOCAL,        /* local time:       07:32:00 */
};

struct toml_value;

struct toml_error {
	int line;               /* 1-based */
	int column;             /* 1-based, in characters */
	char message[160];      /* e.g. "expected '=' after key" */
};

/* The parts of a date/time value; fields that its type lacks are 0. */
struct toml_datetime {
	int year, month, day;
	int hour, minute, second;
	int nanosecond;         /* fractional seconds beyond 9 digits are truncated */
	int offset_minutes;     /* TOML_DATETIME only: east of UTC, so -05:00 is -300 */
};

/* Parse text[0..len) (UTF-8; a leading BOM is skipped; need not be NUL-terminated).
 * Returns the root table, owned by the caller (release with toml_free), or NULL
 * with *err filled in.  err may be NULL if the caller does not care why. */
struct toml_value *toml_parse(const char *text, size_t len, struct toml_error *err);

/* Free a tree returned by toml_parse.  NULL is a no-op.  Only call on a root. */
void toml_free(struct toml_value *root);

enum toml_type toml_type(const struct toml_value *v);

/* A short English name for a type ("table", "integer", "offset date-time", ...),
 * for error messages.  Static storage. */
const char *toml_type_name(enum toml_type type);

/* Where a value was defined: the line and column of its key (of the last part of
 * a dotted key or table header).  Array elements report their own position; the
 * root table reports 1:1. */
void toml_position(const struct toml_value *v, int *line, int *column);

/* Tables keep their keys in the order they were first defined. */
size_t toml_table_len(const struct toml_value *t);
/* Key i; NUL-terminated, but a quoted key may hold NUL itself ("\u0000"): *len
 * (if len is not NULL) gives its true length in bytes. */
const char *toml_table_key(const struct toml_value *t, size_t i, size_t *len);
const struct toml_value *toml_table_value(const struct toml_value *t, size_t i);
/* Look a key up; NULL if absent.  The _n form takes keys that may hold NUL. */
const struct toml_value *toml_table_get(const struct toml_value *t, const char *key);
const struct toml_value *toml_table_get_n(const struct toml_value *t, const char *key,
					  size_t len);

size_t toml_array_len(const struct toml_value *a);
const struct toml_value *toml_array_at(const struct toml_value *a, size_t i);

/* NUL-terminated UTF-8; may hold NUL itself ("\u0000"): *len (if not NULL) gives
 * its true length in bytes. */
const char *toml_string(const struct toml_value *v, size_t *len);
int64_t toml_integer(const struct toml_value *v);
double toml_float(const struct toml_value *v);
bool toml_bool(const struct toml_value *v);

/* Date/time values (the four TOML_DATETIME* / TOML_DATE_LOCAL / TOML_TIME_LOCAL
 * types).  The text is normalised the way toml-test writes it: 'T' between date
 * and time, upper-case 'Z', fractional seconds padded to at least 3 digits, e.g.
 * "1979-05-27T07:32:00.500-07:00", "1979-05-27", "07:32:00". */
const char *toml_datetime_text(const struct toml_value *v);
void toml_datetime(const struct toml_value *v, struct toml_datetime *out);

#endif
