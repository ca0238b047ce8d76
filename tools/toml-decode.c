/* toml-decode: the toml-test decoder interface over src/config/toml.
 *
 * TOML on stdin; on success, toml-test's tagged JSON on stdout and exit 0
 * ({"type":"integer","value":"42"} for every scalar, objects for tables, arrays
 * for arrays); on invalid TOML, "line:column: message" on stderr and exit 1. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml.h"
#include "util/sbuf.h"

static void put_json_string(struct sbuf *out, const char *s, size_t len)
{
	sbuf_putc(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': sbuf_puts(out, "\\\""); break;
		case '\\': sbuf_puts(out, "\\\\"); break;
		case '\b': sbuf_puts(out, "\\b"); break;
		case '\f': sbuf_puts(out, "\\f"); break;
		case '\n': sbuf_puts(out, "\\n"); break;
		case '\r': sbuf_puts(out, "\\r"); break;
		case '\t': sbuf_puts(out, "\\t"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				sbuf_printf(out, "\\u%04x", c);
			else
				sbuf_putc(out, c);
		}
	}
	sbuf_putc(out, '"');
}

/* The shortest text that reads back as the same double. */
static void format_float(char *buf, size_t size, double d)
{
	if (isnan(d)) {
		snprintf(buf, size, "nan");
		return;
	}
	if (isinf(d)) {
		snprintf(buf, size, d < 0 ? "-inf" : "inf");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

static void put_tagged(struct sbuf *out, const char *type, const char *value)
{
	sbuf_printf(out, "{\"type\":\"%s\",\"value\":", type);
	put_json_string(out, value, strlen(value));
	sbuf_putc(out, '}');
}

static void put_value(struct sbuf *out, const struct toml_value *v)
{
	char num[64];
	switch (toml_type(v)) {
	case TOML_TABLE:
		sbuf_putc(out, '{');
		for (size_t i = 0; i < toml_table_len(v); i++) {
			size_t klen;
			const char *key = toml_table_key(v, i, &klen);
			if (i > 0)
				sbuf_putc(out, ',');
			put_json_string(out, key, klen);
			sbuf_putc(out, ':');
			put_value(out, toml_table_value(v, i));
		}
		sbuf_putc(out, '}');
		break;
	case TOML_ARRAY:
		sbuf_putc(out, '[');
		for (size_t i = 0; i < toml_array_len(v); i++) {
			if (i > 0)
				sbuf_putc(out, ',');
			put_value(out, toml_array_at(v, i));
		}
		sbuf_putc(out, ']');
		break;
	case TOML_STRING: {
		size_t len;
		const char *s = toml_string(v, &len);
		sbuf_puts(out, "{\"type\":\"string\",\"value\":");
		put_json_string(out, s, len);
		sbuf_putc(out, '}');
		break;
	}
	case TOML_INTEGER:
		snprintf(num, sizeof(num), "%" PRId64, toml_integer(v));
		put_tagged(out, "integer", num);
		break;
	case TOML_FLOAT:
		format_float(num, sizeof(num), toml_float(v));
		put_tagged(out, "float", num);
		break;
	case TOML_BOOL:
		put_tagged(out, "bool", toml_bool(v) ? "true" : "false");
		break;
	case TOML_DATETIME:
		put_tagged(out, "datetime", toml_datetime_text(v));
		break;
	case TOML_DATETIME_LOCAL:
		put_tagged(out, "datetime-local", toml_datetime_text(v));
		break;
	case TOML_DATE_LOCAL:
		put_tagged(out, "date-local", toml_datetime_text(v));
		break;
	case TOML_TIME_LOCAL:
		put_tagged(out, "time-local", toml_datetime_text(v));
		break;
	}
}

int main(void)
{
	struct sbuf in = SBUF_INIT, out = SBUF_INIT;
	for (;;) {
		uint8_t *space = sbuf_reserve(&in, 65536);
		size_t n = fread(space, 1, 65536, stdin);
		in.len += n;
		if (n == 0)
			break;
	}
	if (ferror(stdin)) {
		perror("toml-decode: stdin");
		sbuf_free(&in);
		return 2;
	}

	struct toml_error err;
	struct toml_value *root = toml_parse((const char *)in.data, in.len, &err);
	sbuf_free(&in);
	if (root == NULL) {
		fprintf(stderr, "%d:%d: %s\n", err.line, err.column, err.message);
		return 1;
	}
	put_value(&out, root);
	sbuf_putc(&out, '\n');
	toml_free(root);
	int rc = fwrite(out.data, 1, out.len, stdout) == out.len && fflush(stdout) == 0 ? 0 : 2;
	sbuf_free(&out);
	return rc;
}
