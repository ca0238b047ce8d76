#include "util/json.h"

#include <string.h>

#include "util/utf8.h"
#include "util/hex.h"

#define JSON_MAX_DEPTH 16

struct scan {
	const char *p, *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool hex4(struct scan *s, uint32_t *v)
{
	if (s->end - s->p < 4)
		return false;
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hex_digit(s->p[i]);
		if (h < 0)
			return false;
		*v = *v << 4 | (uint32_t)h;
	}
	s->p += 4;
	return true;
}

/* Scan a string at s->p (on the opening quote).  If out is not NULL, unescape into
 * it; *outlen receives the length, or the scan fails when it would overflow. */
static bool scan_string(struct scan *s, char *out, size_t cap, size_t *outlen)
{
	size_t n = 0;
	uint32_t u8 = UTF8_ACCEPT;      /* raw bytes must be valid UTF-8 */
	if (s->p >= s->end || *s->p != '"')
		return false;
	s->p++;
	while (s->p < s->end) {
		unsigned char ch = (unsigned char)*s->p++;
		uint8_t enc[4];
		size_t elen = 1;
		enc[0] = ch;
		if (!utf8_validate(&u8, &ch, 1))
			return false;
		if (u8 != UTF8_ACCEPT)
			goto copy;             /* inside a multi-byte sequence */
		if (ch == '"') {
			if (outlen)
				*outlen = n;
			if (out)
				out[n] = '\0';
			return true;
		}
		if (ch < 0x20)
			return false;
		if (ch == '\\') {
			if (s->p >= s->end)
				return false;
			char e = *s->p++;
			switch (e) {
			case '"': case '\\': case '/': enc[0] = (uint8_t)e; break;
			case 'b': enc[0] = '\b'; break;
			case 'f': enc[0] = '\f'; break;
			case 'n': enc[0] = '\n'; break;
			case 'r': enc[0] = '\r'; break;
			case 't': enc[0] = '\t'; break;
			case 'u': {
				uint32_t cp, lo;
				if (!hex4(s, &cp))
					return false;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
						return false;
					s->p += 2;
					if (!hex4(s, &lo) || lo < 0xdc00 || lo > 0xdfff)
						return false;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					return false;
				}
				elen = utf8_encode(cp, enc);
				if (elen == 0)
					return false;
				break;
			}
			default:
				return false;
			}
		}
copy:
		if (out) {
			if (n + elen >= cap)
				return false;
			memcpy(out + n, enc, elen);
		}
		n += elen;
	}
	return false;
}

static bool scan_value(struct scan *s, int depth);

static bool scan_container(struct scan *s, int depth, char close, bool object)
{
	if (depth > JSON_MAX_DEPTH)
		return false;
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return true;
	}
	for (;;) {
		skip_ws(s);
		if (object) {
			if (!scan_string(s, NULL, 0, NULL))
				return false;
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return false;
			s->p++;
		}
		if (!scan_value(s, depth + 1))
			return false;
		skip_ws(s);
		if (s->p >= s->end)
			return false;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p == close) {
			s->p++;
			return true;
		}
		return false;
	}
}

static bool scan_literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return false;
	s->p += n;
	return true;
}

static bool scan_number(struct scan *s)
{
	const char *start = s->p;
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return false;
	if (*s->p == '0')
		s->p++;
	else
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return false;
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return false;
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	return s->p > start;
}

static bool scan_value(struct scan *s, int depth)
{
	skip_ws(s);
	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '"': return scan_string(s, NULL, 0, NULL);
	case '{': return scan_container(s, depth, '}', true);
	case '[': return scan_container(s, depth, ']', false);
	case 't': return scan_literal(s, "true");
	case 'f': return scan_literal(s, "false");
	case 'n': return scan_literal(s, "null");
	default: return scan_number(s);
	}
}

/* Find key among the top-level members; leaves s->p on its value. */
static bool find_member(struct scan *s, const char *key)
{
	char name[64];
	size_t nlen;
	bool found = false;
	const char *value_at = NULL;

	skip_ws(s);
	if (s->p >= s->end || *s->p != '{')
		return false;
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == '}')
		return false;
	for (;;) {
		skip_ws(s);
		struct scan save = *s;
		if (!scan_string(s, name, sizeof(name), &nlen)) {
			/* a long name cannot be ours; skip it */
			*s = save;
			if (!scan_string(s, NULL, 0, NULL))
				return false;
			nlen = (size_t)-1;
		}
		skip_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return false;
		s->p++;
		skip_ws(s);
		if (!found && nlen == strlen(key) && memcmp(name, key, nlen) == 0) {
			found = true;
			value_at = s->p;
		}
		if (!scan_value(s, 1))
			return false;
		skip_ws(s);
		if (s->p >= s->end)
			return false;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p != '}')
			return false;
		s->p++;
		skip_ws(s);
		if (s->p != s->end || !found)
			return false;
		s->p = value_at;
		return true;
	}
}

bool json_get_string(const char *json, size_t len, const char *key, char *out, size_t outlen)
{
	struct scan s = { json, json + len };
	size_t n;
	if (outlen == 0 || !find_member(&s, key))
		return false;
	return scan_string(&s, out, outlen, &n);
}

bool json_get_int(const char *json, size_t len, const char *key, int64_t *out)
{
	struct scan s = { json, json + len };
	if (!find_member(&s, key))
		return false;
	bool neg = false;
	if (s.p < s.end && *s.p == '-') {
		neg = true;
		s.p++;
	}
	uint64_t v = 0;
	const char *digits = s.p;
	while (s.p < s.end && *s.p >= '0' && *s.p <= '9') {
		if (v > (uint64_t)INT64_MAX / 10)
			return false;
		v = v * 10 + (uint64_t)(*s.p - '0');
		s.p++;
	}
	if (s.p == digits || v > (uint64_t)INT64_MAX)
		return false;
	if (s.p < s.end && (*s.p == '.' || *s.p == 'e' || *s.p == 'E'))
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

void json_put_string(struct sbuf *sb, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	sbuf_putc(sb, '"');
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\') {
			sbuf_putc(sb, '\\');
			sbuf_putc(sb, *p);
		} else if (*p < 0x20 || *p == 0x7f) {
			char esc[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };
			sbuf_append(sb, esc, 6);
		} else {
			sbuf_putc(sb, *p);
		}
	}
	sbuf_putc(sb, '"');
}
