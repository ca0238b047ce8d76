/* TOML 1.0.0 parser: a hand-written recursive-descent parser over the whole text.
 *
 * Shape of the work:
 *   1. check_text: the text must be valid UTF-8 with no control characters other
 *      than tab, LF and CR-before-LF.  This is true of every TOML 1.0 document in
 *      every context (comments and strings included), so the grammar below never
 *      needs to look for them again.
 *   2. parse_document: one expression per line -- a key/value pair, a [table] or
 *      [[array of tables]] header, or nothing -- each optionally followed by a
 *      comment.
 *
 * Redefinition rules are carried by a "kind" on every table:
 *   IMPLICIT  created as an intermediate of a header path ([a.b] creates a): a
 *             later header may define it once; dotted keys may extend it (it then
 *             becomes DOTTED).
 *   HEADER    defined by [header] or as an element of [[header]]: never defined
 *             again; later headers may descend into it, dotted keys from an
 *             enclosing section may not.
 *   DOTTED    created by a dotted key (a.b = 1 creates a): no header may define
 *             it, but headers may define sub-tables inside it.
 *   INLINE    an inline table, or anything inside one: frozen.
 * Arrays carry whether they were made by [[header]] (extensible) or are static.
 *
 * Errors: the first error wins; each function returns -1 (or NULL) after calling
 * fail(), and the partly built tree hangs off the root so one toml_free cleans up.
 */
#include "config/toml.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "util/hex.h"

enum table_kind { TK_IMPLICIT, TK_HEADER, TK_DOTTED, TK_INLINE };

struct kv {
	char *key;              /* owned, NUL-terminated, may hold NUL */
	size_t keylen;
	struct toml_value *val; /* owned */
};

struct toml_value {
	enum toml_type type;
	int line, column;
	union {
		struct {
			struct kv *items;
			size_t len, cap;
			uint32_t *index;        /* open addressing, slot = item + 1; NULL while small */
			size_t index_cap;       /* power of two */
			enum table_kind kind;
		} t;
		struct {
			struct toml_value **items;
			size_t len, cap;
			bool aot;               /* made by [[header]] */
		} a;
		struct {
			char *ptr;              /* owned, NUL-terminated, may hold NUL */
			size_t len;
		} s;
		int64_t i;
		double f;
		bool b;
		struct {
			struct toml_datetime dt;
			char text[40];
		} d;
	} u;
};

#define INDEX_FROM 8            /* tables with at least this many keys get a hash index */

struct keypart {
	char *str;              /* owned until moved into a table */
	size_t len;
	size_t off;             /* where the part starts in the text */
};

struct key {
	struct keypart *parts;
	size_t n, cap;
};

struct parser {
	const char *s;
	size_t len, pos;
	size_t base;            /* first byte after a BOM */
	struct toml_error *err;
	bool failed;
	/* line/column cache: offsets are mostly located in increasing order */
	size_t lc_off;
	int lc_line, lc_col;
	struct toml_value *root;
	struct toml_value *cur; /* table that key/value lines go into */
	int cur_depth;
	struct sbuf scratch;
};

/* ---------------------------------------------------------------- errors */

static void locate(struct parser *p, size_t off, int *line, int *column)
{
	if (off < p->lc_off) {
		p->lc_off = p->base;
		p->lc_line = 1;
		p->lc_col = 1;
	}
	if (off > p->len)
		off = p->len;
	for (size_t i = p->lc_off; i < off; i++) {
		unsigned char c = (unsigned char)p->s[i];
		if (c == '\n') {
			p->lc_line++;
			p->lc_col = 1;
		} else if ((c & 0xC0) != 0x80) {
			p->lc_col++;
		}
	}
	p->lc_off = off;
	*line = p->lc_line;
	*column = p->lc_col;
}

__attribute__((format(printf, 3, 4)))
static int fail(struct parser *p, size_t off, const char *fmt, ...)
{
	if (p->failed)
		return -1;
	p->failed = true;
	if (p->err == NULL)
		return -1;
	locate(p, off, &p->err->line, &p->err->column);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* Quote a key for a message: printable ASCII and UTF-8 as is, the rest escaped,
 * cut at a character boundary if long. */
static const char *show_key(char *out, size_t outsz, const char *k, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)k[i];
		if (o + 8 >= outsz) {
			while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
				o--;
			if (o > 0 && ((unsigned char)out[o - 1] & 0x80))
				o--;
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

/* The raw text of a header or key, for messages. */
static const char *show_raw(char *out, size_t outsz, struct parser *p, size_t from, size_t to)
{
	return show_key(out, outsz, p->s + from, to - from);
}

/* ---------------------------------------------------------------- values */

static struct toml_value *value_new(struct parser *p, enum toml_type type, size_t off)
{
	struct toml_value *v = xcalloc(1, sizeof(*v));
	v->type = type;
	locate(p, off, &v->line, &v->column);
	return v;
}

static void value_free(struct toml_value *v)
{
	if (v == NULL)
		return;
	switch (v->type) {
	case TOML_TABLE:
		for (size_t i = 0; i < v->u.t.len; i++) {
			free(v->u.t.items[i].key);
			value_free(v->u.t.items[i].val);
		}
		free(v->u.t.items);
		free(v->u.t.index);
		break;
	case TOML_ARRAY:
		for (size_t i = 0; i < v->u.a.len; i++)
			value_free(v->u.a.items[i]);
		free(v->u.a.items);
		break;
	case TOML_STRING:
		free(v->u.s.ptr);
		break;
	default:
		break;
	}
	free(v);
}

static uint32_t hash_key(const char *k, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 16777619u;
	}
	return h;
}

static bool key_eq(const struct kv *e, const char *k, size_t n)
{
	return e->keylen == n && memcmp(e->key, k, n) == 0;
}

static size_t table_find(const struct toml_value *t, const char *k, size_t n)
{
	if (t->u.t.index == NULL) {
		for (size_t i = 0; i < t->u.t.len; i++)
			if (key_eq(&t->u.t.items[i], k, n))
				return i;
		return SIZE_MAX;
	}
	size_t mask = t->u.t.index_cap - 1;
	for (size_t h = hash_key(k, n) & mask; t->u.t.index[h] != 0; h = (h + 1) & mask) {
		size_t i = t->u.t.index[h] - 1;
		if (key_eq(&t->u.t.items[i], k, n))
			return i;
	}
	return SIZE_MAX;
}

static void index_put(struct toml_value *t, size_t i)
{
	size_t mask = t->u.t.index_cap - 1;
	const struct kv *e = &t->u.t.items[i];
	size_t h = hash_key(e->key, e->keylen) & mask;
	while (t->u.t.index[h] != 0)
		h = (h + 1) & mask;
	t->u.t.index[h] = (uint32_t)(i + 1);
}

/* Takes ownership of key and v.  The key must not be present. */
static void table_insert(struct toml_value *t, char *key, size_t keylen, struct toml_value *v)
{
	assert(t->type == TOML_TABLE);
	if (t->u.t.len == t->u.t.cap) {
		t->u.t.cap = t->u.t.cap ? 2 * t->u.t.cap : 4;
		t->u.t.items = xrealloc(t->u.t.items, t->u.t.cap * sizeof(*t->u.t.items));
	}
	size_t i = t->u.t.len++;
	t->u.t.items[i] = (struct kv){ key, keylen, v };
	if (t->u.t.len < INDEX_FROM)
		return;
	assert(t->u.t.len < UINT32_MAX);
	if (t->u.t.index == NULL || 2 * t->u.t.len > t->u.t.index_cap) {
		size_t cap = 16;
		while (cap < 4 * t->u.t.len)
			cap *= 2;
		free(t->u.t.index);
		t->u.t.index = xcalloc(cap, sizeof(*t->u.t.index));
		t->u.t.index_cap = cap;
		for (size_t j = 0; j < t->u.t.len; j++)
			index_put(t, j);
	} else {
		index_put(t, i);
	}
}

/* Takes ownership of v. */
static void array_push(struct toml_value *a, struct toml_value *v)
{
	assert(a->type == TOML_ARRAY);
	if (a->u.a.len == a->u.a.cap) {
		a->u.a.cap = a->u.a.cap ? 2 * a->u.a.cap : 4;
		a->u.a.items = xrealloc(a->u.a.items, a->u.a.cap * sizeof(*a->u.a.items));
	}
	a->u.a.items[a->u.a.len++] = v;
}

/* A new table or array at the given depth, or NULL if that is too deep. */
static struct toml_value *container_new(struct parser *p, enum toml_type type, int depth,
					size_t off)
{
	if (depth > TOML_MAX_DEPTH) {
		fail(p, off, "tables and arrays nested more than %d deep", TOML_MAX_DEPTH);
		return NULL;
	}
	return value_new(p, type, off);
}

/* ---------------------------------------------------------------- lexing */

static int peek(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static int peek_at(const struct parser *p, size_t ahead)
{
	return p->pos + ahead < p->len ? (unsigned char)p->s[p->pos + ahead] : -1;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) ||
	       c == '_' || c == '-';
}

static bool at_newline(const struct parser *p)
{
	int c = peek(p);
	return c == '\n' || (c == '\r' && peek_at(p, 1) == '\n');
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

static void skip_comment(struct parser *p)
{
	if (peek(p) != '#')
		return;
	while (p->pos < p->len && p->s[p->pos] != '\n' && p->s[p->pos] != '\r')
		p->pos++;
}

static void skip_newline(struct parser *p)
{
	if (peek(p) == '\r')
		p->pos++;
	assert(peek(p) == '\n');
	p->pos++;
}

/* Whitespace, comments and newlines, as allowed between array elements. */
static void skip_ws_comments_newlines(struct parser *p)
{
	for (;;) {
		skip_ws(p);
		skip_comment(p);
		if (!at_newline(p))
			return;
		skip_newline(p);
	}
}

/* Describe the character at pos for a message. */
static const char *show_here(char *out, size_t outsz, const struct parser *p)
{
	int c = peek(p);
	if (c < 0)
		snprintf(out, outsz, "end of input");
	else if (c == '\n' || c == '\r')
		snprintf(out, outsz, "end of line");
	else if (c < 0x80)
		snprintf(out, outsz, "'%c'", c);
	else {
		size_t n = 1;
		while (p->pos + n < p->len && ((unsigned char)p->s[p->pos + n] & 0xC0) == 0x80)
			n++;
		snprintf(out, outsz, "'%.*s'", (int)n, p->s + p->pos);
	}
	return out;
}

/* After an expression: optional whitespace and comment, then end of line or text. */
static int end_of_line(struct parser *p, const char *after)
{
	skip_ws(p);
	skip_comment(p);
	if (p->pos >= p->len)
		return 0;
	if (at_newline(p)) {
		skip_newline(p);
		return 0;
	}
	char what[16];
	return fail(p, p->pos, "expected end of line after %s, found %s", after,
		    show_here(what, sizeof(what), p));
}

/* Upfront: valid UTF-8, and no control characters but tab, LF and CRLF. */
static int check_text(struct parser *p)
{
	uint32_t state = UTF8_ACCEPT, cp = 0;
	size_t start = p->pos;
	for (size_t i = p->pos; i < p->len; i++) {
		if (state == UTF8_ACCEPT)
			start = i;
		if (utf8_step(&state, &cp, (uint8_t)p->s[i]) == UTF8_REJECT)
			return fail(p, start, "invalid UTF-8");
		if (state != UTF8_ACCEPT)
			continue;
		if (cp == '\r') {
			if (i + 1 < p->len && p->s[i + 1] == '\n')
				continue;
			return fail(p, i, "carriage return not followed by a newline");
		}
		if ((cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7f)
			return fail(p, i, "control character U+%04X is not allowed", (unsigned)cp);
	}
	if (state != UTF8_ACCEPT)
		return fail(p, start, "invalid UTF-8 (truncated sequence)");
	return 0;
}

/* ---------------------------------------------------------------- strings */

/* At the character after a backslash in a basic string. */
static int parse_escape(struct parser *p, struct sbuf *out, bool multi)
{
	size_t esc = p->pos - 1;
	int c = peek(p);
	const char *simple = NULL;
	switch (c) {
	case 'b': simple = "\b"; break;
	case 't': simple = "\t"; break;
	case 'n': simple = "\n"; break;
	case 'f': simple = "\f"; break;
	case 'r': simple = "\r"; break;
	case '"': simple = "\""; break;
	case '\\': simple = "\\"; break;
	default: break;
	}
	if (simple != NULL) {
		sbuf_putc(out, (uint8_t)simple[0]);
		p->pos++;
		return 0;
	}
	if (c == 'u' || c == 'U') {
		int digits = c == 'u' ? 4 : 8;
		uint32_t cp = 0;
		p->pos++;
		for (int i = 0; i < digits; i++) {
			int h = hex_digit(peek(p));
			if (h < 0)
				return fail(p, esc, "\\%c escape needs %d hexadecimal digits",
					    c, digits);
			cp = cp << 4 | (uint32_t)h;
			p->pos++;
		}
		uint8_t enc[4];
		size_t n = (cp >= 0xD800 && cp <= 0xDFFF) ? 0 : utf8_encode(cp, enc);
		if (n == 0)
			return fail(p, esc, "\\%c%0*X is not a Unicode scalar value", c, digits,
				    (unsigned)cp);
		sbuf_append(out, enc, n);
		return 0;
	}
	if (multi && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
		/* line-ending backslash: whitespace up to a newline, then every
		 * whitespace and newline after it are trimmed */
		skip_ws(p);
		if (!at_newline(p))
			return fail(p, esc, "a line-ending backslash must be followed by a newline");
		while (p->pos < p->len) {
			if (at_newline(p))
				skip_newline(p);
			else if (peek(p) == ' ' || peek(p) == '\t')
				p->pos++;
			else
				break;
		}
		return 0;
	}
	if (c < 0)
		return fail(p, esc, "unterminated string");
	if (c > 0x20 && c < 0x7f)
		return fail(p, esc, "invalid escape sequence '\\%c'", c);
	return fail(p, esc, "invalid escape sequence");
}

/* At the opening quote(s).  Appends the decoded string to out. */
static int parse_string_into(struct parser *p, struct sbuf *out)
{
	size_t start = p->pos;
	char q = p->s[p->pos];
	bool basic = q == '"';
	bool multi = peek_at(p, 1) == q && peek_at(p, 2) == q;
	if (!multi) {
		p->pos++;
		for (;;) {
			int c = peek(p);
			if (c < 0 || c == '\n' || c == '\r')
				return fail(p, start, "unterminated string");
			p->pos++;
			if (c == q)
				return 0;
			if (basic && c == '\\') {
				if (parse_escape(p, out, false) < 0)
					return -1;
				continue;
			}
			sbuf_putc(out, (uint8_t)c);
		}
	}
	p->pos += 3;
	if (at_newline(p))
		skip_newline(p);
	for (;;) {
		int c = peek(p);
		if (c < 0)
			return fail(p, start, "unterminated multi-line string");
		if (c == q) {
			size_t n = 0;
			while (peek_at(p, n) == q)
				n++;
			if (n >= 3) {
				if (n > 5)
					return fail(p, p->pos + 5,
						    "too many quotes at the end of a multi-line string");
				for (size_t i = 3; i < n; i++)
					sbuf_putc(out, (uint8_t)q);
				p->pos += n;
				return 0;
			}
			for (size_t i = 0; i < n; i++)
				sbuf_putc(out, (uint8_t)q);
			p->pos += n;
			continue;
		}
		if (c == '\r') {
			skip_newline(p);
			sbuf_putc(out, '\n');
			continue;
		}
		p->pos++;
		if (basic && c == '\\') {
			if (parse_escape(p, out, true) < 0)
				return -1;
			continue;
		}
		sbuf_putc(out, (uint8_t)c);
	}
}

static struct toml_value *parse_string(struct parser *p)
{
	size_t start = p->pos;
	sbuf_reset(&p->scratch);
	if (parse_string_into(p, &p->scratch) < 0)
		return NULL;
	struct toml_value *v = value_new(p, TOML_STRING, start);
	v->u.s.len = p->scratch.len;
	v->u.s.ptr = xmalloc(p->scratch.len + 1);
	if (p->scratch.len)
		memcpy(v->u.s.ptr, p->scratch.data, p->scratch.len);
	v->u.s.ptr[p->scratch.len] = '\0';
	return v;
}

/* ---------------------------------------------------------------- keys */

static void key_clear(struct key *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->parts[i].str);
	free(k->parts);
	k->parts = NULL;
	k->n = k->cap = 0;
}

static int parse_simple_key(struct parser *p, struct keypart *part)
{
	int c = peek(p);
	part->off = p->pos;
	if (c == '"' || c == '\'') {
		if (peek_at(p, 1) == c && peek_at(p, 2) == c)
			return fail(p, p->pos, "a key cannot be a multi-line string");
		sbuf_reset(&p->scratch);
		if (parse_string_into(p, &p->scratch) < 0)
			return -1;
		part->len = p->scratch.len;
		part->str = xmalloc(part->len + 1);
		if (part->len)
			memcpy(part->str, p->scratch.data, part->len);
		part->str[part->len] = '\0';
		return 0;
	}
	size_t start = p->pos;
	while (is_bare(peek(p)))
		p->pos++;
	if (p->pos == start) {
		char what[16];
		return fail(p, p->pos, "expected a key, found %s", show_here(what, sizeof(what), p));
	}
	part->len = p->pos - start;
	part->str = xstrndup(p->s + start, part->len);
	return 0;
}

/* simple-key *( ws '.' ws simple-key ); leaves pos after the last part. */
static int parse_key(struct parser *p, struct key *k)
{
	for (;;) {
		if (k->n == k->cap) {
			k->cap = k->cap ? 2 * k->cap : 4;
			k->parts = xrealloc(k->parts, k->cap * sizeof(*k->parts));
		}
		struct keypart *part = &k->parts[k->n];
		part->str = NULL;
		if (parse_simple_key(p, part) < 0)
			return -1;
		k->n++;
		size_t after = p->pos;
		skip_ws(p);
		if (peek(p) != '.') {
			p->pos = after;
			return 0;
		}
		p->pos++;
		skip_ws(p);
	}
}

/* ---------------------------------------------------------------- numbers */

/* Digits of the given base with single underscores between digits, from t[*i]. */
static int scan_digits(struct parser *p, const char *t, size_t n, size_t *i, int base,
		       size_t off, size_t *ndigits)
{
	size_t start = *i;
	*ndigits = 0;
	while (*i < n) {
		int c = (unsigned char)t[*i];
		int d = hex_digit(c);
		if (c == '_') {
			if (*i == start || *i + 1 >= n || hex_digit((unsigned char)t[*i + 1]) < 0 ||
			    hex_digit((unsigned char)t[*i + 1]) >= base)
				return fail(p, off + *i,
					    "an underscore in a number must sit between two digits");
			(*i)++;
			continue;
		}
		if (d < 0 || d >= base)
			break;
		(*ndigits)++;
		(*i)++;
	}
	return 0;
}

static struct toml_value *make_integer(struct parser *p, size_t off, int64_t val)
{
	struct toml_value *v = value_new(p, TOML_INTEGER, off);
	v->u.i = val;
	return v;
}

static struct toml_value *make_float(struct parser *p, size_t off, double val)
{
	struct toml_value *v = value_new(p, TOML_FLOAT, off);
	v->u.f = val;
	return v;
}

/* Accumulate the digits of t[from..to) (underscores already checked) in base. */
static bool accumulate(const char *t, size_t from, size_t to, int base, bool neg,
		       int64_t *out)
{
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t v = 0;
	for (size_t i = from; i < to; i++) {
		if (t[i] == '_')
			continue;
		uint64_t d = (uint64_t)hex_digit((unsigned char)t[i]);
		if (v > (limit - d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + d;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return true;
}

static struct toml_value *parse_number(struct parser *p)
{
	size_t off = p->pos;
	const char *t = p->s + off;
	size_t n = 0;
	while (off + n < p->len && (is_bare((unsigned char)t[n]) || t[n] == '+' || t[n] == '.'))
		n++;
	p->pos += n;
	size_t i = 0;
	bool sign = false, neg = false;
	if (n > 0 && (t[0] == '+' || t[0] == '-')) {
		sign = true;
		neg = t[0] == '-';
		i = 1;
	}
	if (n - i == 3 && memcmp(t + i, "inf", 3) == 0)
		return make_float(p, off, neg ? -INFINITY : INFINITY);
	if (n - i == 3 && memcmp(t + i, "nan", 3) == 0)
		return make_float(p, off, neg ? -NAN : NAN);

	if (i >= n || !is_digit((unsigned char)t[i])) {
		char name[64];
		fail(p, off, "invalid value \"%s\"", show_raw(name, sizeof(name), p, off, off + n));
		return NULL;
	}

	size_t nd;
	if (n - i >= 2 && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'o' || t[i + 1] == 'b')) {
		int base = t[i + 1] == 'x' ? 16 : t[i + 1] == 'o' ? 8 : 2;
		if (sign) {
			fail(p, off, "hexadecimal, octal and binary integers cannot have a sign");
			return NULL;
		}
		i += 2;
		size_t from = i;
		if (scan_digits(p, t, n, &i, base, off, &nd) < 0)
			return NULL;
		if (nd == 0 || i != n) {
			fail(p, off, "invalid %s integer",
			     base == 16 ? "hexadecimal" : base == 8 ? "octal" : "binary");
			return NULL;
		}
		int64_t val;
		if (!accumulate(t, from, i, base, false, &val)) {
			fail(p, off, "integer does not fit in 64 bits");
			return NULL;
		}
		return make_integer(p, off, val);
	}

	/* decimal integer or float */
	size_t int_from = i;
	if (scan_digits(p, t, n, &i, 10, off, &nd) < 0)
		return NULL;
	if (nd == 0) {
		fail(p, off, "invalid number");
		return NULL;
	}
	if (t[int_from] == '0' && i - int_from > 1) {
		fail(p, off, "leading zeros are not allowed in a decimal number");
		return NULL;
	}
	size_t int_to = i;
	bool is_float = false;
	if (i < n && t[i] == '.') {
		is_float = true;
		i++;
		if (i < n && t[i] == '_') {
			fail(p, off + i, "an underscore in a number must sit between two digits");
			return NULL;
		}
		if (scan_digits(p, t, n, &i, 10, off, &nd) < 0)
			return NULL;
		if (nd == 0) {
			fail(p, off, "a decimal point must be followed by digits");
			return NULL;
		}
	}
	if (i < n && (t[i] == 'e' || t[i] == 'E')) {
		is_float = true;
		i++;
		if (i < n && (t[i] == '+' || t[i] == '-'))
			i++;
		if (i < n && t[i] == '_') {
			fail(p, off + i, "an underscore in a number must sit between two digits");
			return NULL;
		}
		if (scan_digits(p, t, n, &i, 10, off, &nd) < 0)
			return NULL;
		if (nd == 0) {
			fail(p, off, "an exponent needs digits");
			return NULL;
		}
	}
	if (i != n) {
		fail(p, off, "invalid number");
		return NULL;
	}
	if (!is_float) {
		int64_t val;
		if (!accumulate(t, int_from, int_to, 10, neg, &val)) {
			fail(p, off, "integer does not fit in 64 bits");
			return NULL;
		}
		return make_integer(p, off, val);
	}
	sbuf_reset(&p->scratch);
	for (size_t j = 0; j < n; j++)
		if (t[j] != '_')
			sbuf_putc(&p->scratch, (uint8_t)t[j]);
	sbuf_putc(&p->scratch, '\0');
	errno = 0;
	char *end;
	double d = strtod((const char *)p->scratch.data, &end);
	assert(*end == '\0');
	if (errno == ERANGE && isinf(d)) {
		fail(p, off, "float out of range");
		return NULL;
	}
	return make_float(p, off, d);
}

/* ---------------------------------------------------------------- dates */

/* Exactly n digits at pos; returns their value or -1. */
static int fixed_digits(struct parser *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		int c = peek_at(p, (size_t)i);
		if (!is_digit(c))
			return -1;
		v = v * 10 + (c - '0');
	}
	if (is_digit(peek_at(p, (size_t)n)))
		return -1;
	p->pos += (size_t)n;
	return v;
}

static bool expect_char(struct parser *p, char c)
{
	if (peek(p) != c)
		return false;
	p->pos++;
	return true;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
	return month == 2 && leap ? 29 : days[month - 1];
}

static int parse_time_part(struct parser *p, size_t off, struct toml_datetime *dt,
			   bool *has_fraction)
{
	dt->hour = fixed_digits(p, 2);
	if (dt->hour < 0 || !expect_char(p, ':'))
		return fail(p, off, "invalid time: expected HH:MM:SS");
	dt->minute = fixed_digits(p, 2);
	if (dt->minute < 0 || !expect_char(p, ':'))
		return fail(p, off, "invalid time: expected HH:MM:SS (seconds are required)");
	dt->second = fixed_digits(p, 2);
	if (dt->second < 0)
		return fail(p, off, "invalid time: expected HH:MM:SS (seconds are required)");
	if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
		return fail(p, off, "time out of range");
	if (peek(p) == '.') {
		p->pos++;
		if (!is_digit(peek(p)))
			return fail(p, off, "invalid time: expected digits after '.'");
		int scale = 100000000;
		*has_fraction = true;
		while (is_digit(peek(p))) {
			dt->nanosecond += (peek(p) - '0') * scale;
			scale /= 10;
			p->pos++;
		}
	}
	return 0;
}

static struct toml_value *parse_datetime(struct parser *p)
{
	size_t off = p->pos;
	struct toml_datetime dt = { 0 };
	bool has_date = false, has_time = false, has_offset = false, has_fraction = false;
	char offset_text[24] = "";

	if (is_digit(peek(p)) && peek_at(p, 4) == '-') {
		dt.year = fixed_digits(p, 4);
		if (dt.year < 0 || !expect_char(p, '-') || (dt.month = fixed_digits(p, 2)) < 0 ||
		    !expect_char(p, '-') || (dt.day = fixed_digits(p, 2)) < 0) {
			fail(p, off, "invalid date: expected YYYY-MM-DD");
			return NULL;
		}
		if (dt.month < 1 || dt.month > 12 || dt.day < 1 ||
		    dt.day > days_in_month(dt.year, dt.month)) {
			fail(p, off, "date out of range");
			return NULL;
		}
		has_date = true;
		int c = peek(p);
		if (c == 'T' || c == 't' || (c == ' ' && is_digit(peek_at(p, 1)))) {
			p->pos++;
			has_time = true;
		}
	} else {
		has_time = true;
	}
	if (has_time && parse_time_part(p, off, &dt, &has_fraction) < 0)
		return NULL;
	if (has_date && has_time) {
		int c = peek(p);
		if (c == 'Z' || c == 'z') {
			p->pos++;
			has_offset = true;
			strcpy(offset_text, "Z");
		} else if (c == '+' || c == '-') {
			p->pos++;
			int oh = fixed_digits(p, 2), om = -1;
			if (oh >= 0 && expect_char(p, ':'))
				om = fixed_digits(p, 2);
			if (oh < 0 || om < 0) {
				fail(p, off, "invalid time offset: expected +HH:MM or -HH:MM");
				return NULL;
			}
			if (oh > 23 || om > 59) {
				fail(p, off, "time offset out of range");
				return NULL;
			}
			has_offset = true;
			dt.offset_minutes = (c == '-' ? -1 : 1) * (oh * 60 + om);
			snprintf(offset_text, sizeof(offset_text), "%c%02d:%02d", c, oh, om);
		}
	}

	enum toml_type type = has_offset ? TOML_DATETIME :
			      has_date && has_time ? TOML_DATETIME_LOCAL :
			      has_date ? TOML_DATE_LOCAL : TOML_TIME_LOCAL;
	struct toml_value *v = value_new(p, type, off);
	v->u.d.dt = dt;
	/* every field is range-checked above, so the text fits */
	char text[96];
	size_t n = 0;
	if (has_date)
		n += (size_t)snprintf(text, sizeof(text), "%04d-%02d-%02d", dt.year, dt.month,
				      dt.day);
	if (has_time) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%02d:%02d:%02d",
				      has_date ? "T" : "", dt.hour, dt.minute, dt.second);
		if (has_fraction) {
			/* at least milliseconds, no trailing zeros beyond that */
			int ns = dt.nanosecond, digits = 9;
			while (digits > 3 && ns % 10 == 0) {
				ns /= 10;
				digits--;
			}
			n += (size_t)snprintf(text + n, sizeof(text) - n, ".%0*d", digits, ns);
		}
	}
	n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", offset_text);
	assert(n < sizeof(v->u.d.text));
	memcpy(v->u.d.text, text, n + 1);
	return v;
}

/* ---------------------------------------------------------------- containers */

static struct toml_value *parse_value(struct parser *p, int depth);
static int parse_keyval(struct parser *p, struct toml_value *table, int depth);

static struct toml_value *parse_array(struct parser *p, int depth)
{
	size_t start = p->pos;
	struct toml_value *a = container_new(p, TOML_ARRAY, depth, start);
	if (a == NULL)
		return NULL;
	p->pos++;
	for (;;) {
		skip_ws_comments_newlines(p);
		if (peek(p) == ']') {
			p->pos++;
			return a;
		}
		if (peek(p) < 0) {
			fail(p, start, "unterminated array");
			goto err;
		}
		struct toml_value *v = parse_value(p, depth + 1);
		if (v == NULL)
			goto err;
		array_push(a, v);
		skip_ws_comments_newlines(p);
		if (peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (peek(p) == ']') {
			p->pos++;
			return a;
		}
		char what[16];
		fail(p, p->pos, "expected ',' or ']' in array, found %s",
		     show_here(what, sizeof(what), p));
		goto err;
	}
err:
	value_free(a);
	return NULL;
}

static void freeze(struct toml_value *t)
{
	t->u.t.kind = TK_INLINE;
	for (size_t i = 0; i < t->u.t.len; i++)
		if (t->u.t.items[i].val->type == TOML_TABLE)
			freeze(t->u.t.items[i].val);
}

static struct toml_value *parse_inline_table(struct parser *p, int depth)
{
	size_t start = p->pos;
	struct toml_value *t = container_new(p, TOML_TABLE, depth, start);
	if (t == NULL)
		return NULL;
	t->u.t.kind = TK_DOTTED;
	p->pos++;
	skip_ws(p);
	if (peek(p) == '}') {
		p->pos++;
		freeze(t);
		return t;
	}
	for (;;) {
		skip_ws(p);
		if (at_newline(p) || peek(p) == '#') {
			fail(p, p->pos, "an inline table must be on one line");
			goto err;
		}
		if (peek(p) < 0) {
			fail(p, start, "unterminated inline table");
			goto err;
		}
		if (parse_keyval(p, t, depth) < 0)
			goto err;
		skip_ws(p);
		int c = peek(p);
		if (c == ',') {
			p->pos++;
			skip_ws(p);
			if (peek(p) == '}') {
				fail(p, p->pos - 1, "trailing comma not allowed in an inline table");
				goto err;
			}
			continue;
		}
		if (c == '}') {
			p->pos++;
			freeze(t);
			return t;
		}
		if (c < 0) {
			fail(p, start, "unterminated inline table");
			goto err;
		}
		if (at_newline(p) || c == '#') {
			fail(p, p->pos, "an inline table must be on one line");
			goto err;
		}
		char what[16];
		fail(p, p->pos, "expected ',' or '}' in inline table, found %s",
		     show_here(what, sizeof(what), p));
		goto err;
	}
err:
	value_free(t);
	return NULL;
}

static bool match_word(struct parser *p, const char *w)
{
	size_t n = strlen(w);
	if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n) != 0)
		return false;
	if (is_bare(peek_at(p, n)))
		return false;
	p->pos += n;
	return true;
}

/* A value of any kind at pos; depth is the depth it would have in the tree. */
static struct toml_value *parse_value(struct parser *p, int depth)
{
	size_t off = p->pos;
	int c = peek(p);
	char what[16];
	switch (c) {
	case '"':
	case '\'':
		return parse_string(p);
	case '[':
		return parse_array(p, depth);
	case '{':
		return parse_inline_table(p, depth);
	case 't':
	case 'f':
		if (match_word(p, c == 't' ? "true" : "false")) {
			struct toml_value *v = value_new(p, TOML_BOOL, off);
			v->u.b = c == 't';
			return v;
		}
		break;
	case 'i':
	case 'n':
	case '+':
	case '-':
		return parse_number(p);
	default:
		if (!is_digit(c))
			break;
		if ((is_digit(peek_at(p, 1)) && is_digit(peek_at(p, 2)) &&
		     is_digit(peek_at(p, 3)) && peek_at(p, 4) == '-') ||
		    (is_digit(peek_at(p, 1)) && peek_at(p, 2) == ':'))
			return parse_datetime(p);
		return parse_number(p);
	}
	if (c < 0 || at_newline(p) || c == '#' || c == ',' || c == ']' || c == '}')
		fail(p, off, "expected a value, found %s", show_here(what, sizeof(what), p));
	else
		fail(p, off, "invalid value starting with %s", show_here(what, sizeof(what), p));
	return NULL;
}

/* From t (at *depth) down the parts of k but the last, to the table the last part
 * belongs in; NULL after fail().  A missing table is created and takes the part's
 * string.  What may be passed through depends on who asks:
 *   a dotted key (header NULL): IMPLICIT and DOTTED tables, which become DOTTED;
 *     new tables are DOTTED.
 *   a [header] or [[header]] (header: its text, for messages): any table but an
 *     inline one, and the last table of an array of tables; new tables are
 *     IMPLICIT.
 * *depth grows by one for each table passed, two for an array of tables. */
static struct toml_value *walk_key(struct parser *p, struct toml_value *t, struct key *k,
				   int *depth, const char *header)
{
	for (size_t i = 0; i + 1 < k->n; i++) {
		struct keypart *part = &k->parts[i];
		++*depth;
		size_t at = table_find(t, part->str, part->len);
		if (at == SIZE_MAX) {
			struct toml_value *sub = container_new(p, TOML_TABLE, *depth, part->off);
			if (sub == NULL)
				return NULL;
			sub->u.t.kind = header != NULL ? TK_IMPLICIT : TK_DOTTED;
			table_insert(t, part->str, part->len, sub);
			part->str = NULL;
			t = sub;
			continue;
		}
		struct toml_value *e = t->u.t.items[at].val;
		if (header != NULL && e->type == TOML_ARRAY && e->u.a.aot) {
			assert(e->u.a.len > 0);
			++*depth;
			t = e->u.a.items[e->u.a.len - 1];
			assert(t->type == TOML_TABLE);
			continue;
		}
		if (e->type == TOML_TABLE && e->u.t.kind != TK_INLINE &&
		    (header != NULL || e->u.t.kind != TK_HEADER)) {
			if (header == NULL)
				e->u.t.kind = TK_DOTTED;
			t = e;
			continue;
		}
		char name[64];
		show_key(name, sizeof(name), part->str, part->len);
		bool inline_table = e->type == TOML_TABLE && e->u.t.kind == TK_INLINE;
		const char *a = e->type == TOML_ARRAY || e->type == TOML_INTEGER ? "an" : "a";
		if (header == NULL && inline_table)
			fail(p, part->off, "cannot extend inline table \"%s\"", name);
		else if (header == NULL && e->type == TOML_TABLE)
			fail(p, part->off, "cannot use dotted keys to extend table \"%s\" "
			     "defined by a [table] header", name);
		else if (header == NULL)
			fail(p, part->off, "cannot use dotted keys to extend \"%s\": it is %s %s",
			     name, a, toml_type_name(e->type));
		else if (inline_table)
			fail(p, part->off, "%s: cannot extend inline table \"%s\"", header, name);
		else if (e->type == TOML_ARRAY)
			fail(p, part->off, "%s: cannot extend static array \"%s\"", header, name);
		else
			fail(p, part->off, "%s: \"%s\" is already %s %s", header, name, a,
			     toml_type_name(e->type));
		return NULL;
	}
	return t;
}

/* key = value, into table (whose depth is depth); pos at the key. */
static int parse_keyval(struct parser *p, struct toml_value *table, int depth)
{
	struct key k = { 0 };
	char name[64];
	int rc = -1;
	if (parse_key(p, &k) < 0)
		goto out;
	skip_ws(p);
	if (peek(p) != '=') {
		char what[16];
		fail(p, p->pos, "expected '=' after key, found %s",
		     show_here(what, sizeof(what), p));
		goto out;
	}
	p->pos++;
	skip_ws(p);

	struct toml_value *t = walk_key(p, table, &k, &depth, NULL);
	if (t == NULL)
		goto out;
	struct keypart *last = &k.parts[k.n - 1];
	if (table_find(t, last->str, last->len) != SIZE_MAX) {
		fail(p, last->off, "duplicate key \"%s\"",
		     show_key(name, sizeof(name), last->str, last->len));
		goto out;
	}
	int line, column;
	locate(p, last->off, &line, &column);
	struct toml_value *v = parse_value(p, depth + 1);
	if (v == NULL)
		goto out;
	v->line = line;
	v->column = column;
	table_insert(t, last->str, last->len, v);
	last->str = NULL;
	rc = 0;
out:
	key_clear(&k);
	return rc;
}

/* [a.b.c] or [[a.b.c]]; pos at the first '['. */
static int parse_header(struct parser *p)
{
	size_t start = p->pos;
	bool aot = peek_at(p, 1) == '[';
	struct key k = { 0 };
	char name[64];
	int rc = -1;
	p->pos += aot ? 2 : 1;
	skip_ws(p);
	if (parse_key(p, &k) < 0)
		goto out;
	skip_ws(p);
	if (!expect_char(p, ']') || (aot && !expect_char(p, ']'))) {
		char what[16];
		fail(p, p->pos, "expected '%s' to close the table header, found %s",
		     aot ? "]]" : "]", show_here(what, sizeof(what), p));
		goto out;
	}
	show_raw(name, sizeof(name), p, start, p->pos);

	int depth = 0;
	struct toml_value *t = walk_key(p, p->root, &k, &depth, name);
	if (t == NULL)
		goto out;
	struct keypart *last = &k.parts[k.n - 1];
	size_t at = table_find(t, last->str, last->len);
	struct toml_value *e = at == SIZE_MAX ? NULL : t->u.t.items[at].val;
	depth++;
	if (!aot) {
		if (e == NULL) {
			e = container_new(p, TOML_TABLE, depth, last->off);
			if (e == NULL)
				goto out;
			e->u.t.kind = TK_HEADER;
			table_insert(t, last->str, last->len, e);
			last->str = NULL;
		} else if (e->type == TOML_TABLE && e->u.t.kind == TK_IMPLICIT) {
			e->u.t.kind = TK_HEADER;
			locate(p, last->off, &e->line, &e->column);
		} else if (e->type == TOML_TABLE) {
			fail(p, last->off, e->u.t.kind == TK_HEADER ? "table %s is defined twice" :
			     e->u.t.kind == TK_DOTTED ? "table %s was already defined by dotted keys" :
			     "table %s was already defined as an inline table", name);
			goto out;
		} else if (e->type == TOML_ARRAY) {
			fail(p, last->off, "table %s was already defined as an array", name);
			goto out;
		} else {
			fail(p, last->off, "table %s: key was already defined as %s %s", name,
			     e->type == TOML_INTEGER ? "an" : "a", toml_type_name(e->type));
			goto out;
		}
		p->cur = e;
	} else {
		if (e == NULL) {
			e = container_new(p, TOML_ARRAY, depth, last->off);
			if (e == NULL)
				goto out;
			e->u.a.aot = true;
			table_insert(t, last->str, last->len, e);
			last->str = NULL;
		} else if (e->type != TOML_ARRAY || !e->u.a.aot) {
			fail(p, last->off, e->type == TOML_ARRAY ?
			     "array of tables %s: cannot append to a static array" :
			     "array of tables %s: key was already defined as a %s", name,
			     toml_type_name(e->type));
			goto out;
		}
		depth++;
		struct toml_value *elem = container_new(p, TOML_TABLE, depth, last->off);
		if (elem == NULL)
			goto out;
		elem->u.t.kind = TK_HEADER;
		array_push(e, elem);
		p->cur = elem;
	}
	p->cur_depth = depth;
	rc = 0;
out:
	key_clear(&k);
	return rc;
}

static int parse_document(struct parser *p)
{
	while (p->pos < p->len) {
		skip_ws(p);
		int c = peek(p);
		const char *what = "value";
		if (c == '[') {
			if (parse_header(p) < 0)
				return -1;
			what = "table header";
		} else if (c >= 0 && c != '#' && !at_newline(p)) {
			if (parse_keyval(p, p->cur, p->cur_depth) < 0)
				return -1;
		}
		if (end_of_line(p, what) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- API */

struct toml_value *toml_parse(const char *text, size_t len, struct toml_error *err)
{
	struct parser p = {
		.s = text, .len = len, .err = err,
		.lc_line = 1, .lc_col = 1,
		.scratch = SBUF_INIT,
	};
	assert(text != NULL || len == 0);
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		p.pos = p.base = p.lc_off = 3;
	p.root = value_new(&p, TOML_TABLE, p.pos);
	p.root->u.t.kind = TK_HEADER;
	p.cur = p.root;
	if (check_text(&p) < 0 || parse_document(&p) < 0) {
		value_free(p.root);
		p.root = NULL;
	}
	sbuf_free(&p.scratch);
	return p.root;
}

void toml_free(struct toml_value *root)
{
	value_free(root);
}

enum toml_type toml_type(const struct toml_value *v)
{
	assert(v != NULL);
	return v->type;
}

const char *toml_type_name(enum toml_type type)
{
	switch (type) {
	case TOML_TABLE: return "table";
	case TOML_ARRAY: return "array";
	case TOML_STRING: return "string";
	case TOML_INTEGER: return "integer";
	case TOML_FLOAT: return "float";
	case TOML_BOOL: return "boolean";
	case TOML_DATETIME: return "offset date-time";
	case TOML_DATETIME_LOCAL: return "local date-time";
	case TOML_DATE_LOCAL: return "local date";
	case TOML_TIME_LOCAL: return "local time";
	}
	return "unknown";
}

void toml_position(const struct toml_value *v, int *line, int *column)
{
	assert(v != NULL);
	if (line != NULL)
		*line = v->line;
	if (column != NULL)
		*column = v->column;
}

size_t toml_table_len(const struct toml_value *t)
{
	assert(t != NULL && t->type == TOML_TABLE);
	return t->u.t.len;
}

const char *toml_table_key(const struct toml_value *t, size_t i, size_t *len)
{
	assert(t != NULL && t->type == TOML_TABLE && i < t->u.t.len);
	if (len != NULL)
		*len = t->u.t.items[i].keylen;
	return t->u.t.items[i].key;
}

const struct toml_value *toml_table_value(const struct toml_value *t, size_t i)
{
	assert(t != NULL && t->type == TOML_TABLE && i < t->u.t.len);
	return t->u.t.items[i].val;
}

const struct toml_value *toml_table_get_n(const struct toml_value *t, const char *key,
					  size_t len)
{
	assert(t != NULL && t->type == TOML_TABLE && key != NULL);
	size_t i = table_find(t, key, len);
	return i == SIZE_MAX ? NULL : t->u.t.items[i].val;
}

const struct toml_value *toml_table_get(const struct toml_value *t, const char *key)
{
	return toml_table_get_n(t, key, strlen(key));
}

size_t toml_array_len(const struct toml_value *a)
{
	assert(a != NULL && a->type == TOML_ARRAY);
	return a->u.a.len;
}

const struct toml_value *toml_array_at(const struct toml_value *a, size_t i)
{
	assert(a != NULL && a->type == TOML_ARRAY && i < a->u.a.len);
	return a->u.a.items[i];
}

const char *toml_string(const struct toml_value *v, size_t *len)
{
	assert(v != NULL && v->type == TOML_STRING);
	if (len != NULL)
		*len = v->u.s.len;
	return v->u.s.ptr;
}

int64_t toml_integer(const struct toml_value *v)
{
	assert(v != NULL && v->type == TOML_INTEGER);
	return v->u.i;
}

double toml_float(const struct toml_value *v)
{
	assert(v != NULL && v->type == TOML_FLOAT);
	return v->u.f;
}

bool toml_bool(const struct toml_value *v)
{
	assert(v != NULL && v->type == TOML_BOOL);
	return v->u.b;
}

static bool is_datetime(const struct toml_value *v)
{
	return v->type == TOML_DATETIME || v->type == TOML_DATETIME_LOCAL ||
	       v->type == TOML_DATE_LOCAL || v->type == TOML_TIME_LOCAL;
}

const char *toml_datetime_text(const struct toml_value *v)
{
	assert(v != NULL && is_datetime(v));
	return v->u.d.text;
}

void toml_datetime(const struct toml_value *v, struct toml_datetime *out)
{
	assert(v != NULL && is_datetime(v) && out != NULL);
	*out = v->u.d.dt;
}
