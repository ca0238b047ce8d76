/* libFuzzer harness for the TOML parser: arbitrary bytes in, a tree or an error
 * out, never a crash, a leak or undefined behaviour.  On success the whole tree
 * is walked through the public accessors so every value is read back. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const struct toml_value *v)
{
	size_t n = 1, len;
	int line, column;
	toml_position(v, &line, &column);
	if (line < 1 || column < 1)
		__builtin_trap();
	switch (toml_type(v)) {
	case TOML_TABLE:
		for (size_t i = 0; i < toml_table_len(v); i++) {
			const char *key = toml_table_key(v, i, &len);
			/* every key must be found again, and be the same value */
			if (toml_table_get_n(v, key, len) != toml_table_value(v, i))
				__builtin_trap();
			n += walk(toml_table_value(v, i));
		}
		break;
	case TOML_ARRAY:
		for (size_t i = 0; i < toml_array_len(v); i++)
			n += walk(toml_array_at(v, i));
		break;
	case TOML_STRING: {
		const char *s = toml_string(v, &len);
		if (s[len] != '\0')
			__builtin_trap();
		break;
	}
	case TOML_INTEGER:
		(void)toml_integer(v);
		break;
	case TOML_FLOAT:
		(void)toml_float(v);
		break;
	case TOML_BOOL:
		(void)toml_bool(v);
		break;
	default:
		if (strlen(toml_datetime_text(v)) == 0)
			__builtin_trap();
		break;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct toml_error err;
	struct toml_value *root = toml_parse((const char *)data, size, &err);
	if (root == NULL) {
		if (err.line < 1 || err.column < 1 || err.message[0] == '\0' ||
		    memchr(err.message, '\0', sizeof(err.message)) == NULL)
			__builtin_trap();
		return 0;
	}
	walk(root);
	toml_free(root);
	return 0;
}
