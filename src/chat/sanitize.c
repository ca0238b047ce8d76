#include "chat/sanitize.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <utf8proc.h>

#include "util/utf8.h"

enum cls { KEEP, DROP, SPACE, MARK };

static bool is_variation_selector(uint32_t cp)
{
	return (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef) ||
	       (cp >= 0x180b && cp <= 0x180d);
}

static bool is_noncharacter(uint32_t cp)
{
	return (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
}

static enum cls classify(uint32_t cp)
{
	if (cp < 0x20) {
		if (cp >= 0x09 && cp <= 0x0d)   /* TAB LF VT FF CR */
			return SPACE;
		return DROP;
	}
	if (cp < 0x7f)
		return KEEP;
	if (cp < 0xa0)                          /* DEL and C1 */
		return DROP;
	if (cp == 0x2028 || cp == 0x2029)
		return SPACE;
	if (is_noncharacter(cp))
		return DROP;
	const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
	switch (p->category) {
	case UTF8PROC_CATEGORY_CC:
	case UTF8PROC_CATEGORY_CF:
	case UTF8PROC_CATEGORY_CS:
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
		return DROP;
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		if (p->ignorable && !is_variation_selector(cp))
			return DROP;            /* e.g. U+034F combining grapheme joiner */
		return MARK;
	default:
		break;
	}
	if (p->ignorable && !is_variation_selector(cp))
		return DROP;                    /* Hangul fillers and friends */
	return KEEP;
}

static bool is_space(uint32_t cp)
{
	return cp == ' ' ||
	       utf8proc_category((utf8proc_int32_t)cp) == UTF8PROC_CATEGORY_ZS;
}

struct out {
	char *buf;
	size_t cap;         /* bytes available for text (NUL excluded) */
	size_t len;         /* bytes written */
	size_t keep;        /* length up to the end of the last non-space */
	size_t chars;       /* code points written */
	size_t max_chars;
	unsigned marks;     /* combining marks in a row after the last base */
	bool full;
};

static void emit(struct out *o, uint32_t cp)
{
	if (o->full)
		return;
	enum cls c = classify(cp);
	if (c == DROP)
		return;
	if (c == SPACE)
		cp = ' ';
	if (c == MARK) {
		if (o->len == 0 || o->marks >= CHAT_SANITIZE_MAX_MARKS)
			return;
	}
	bool space = c == SPACE || is_space(cp);
	if (space && o->len == 0)
		return;                         /* leading space */
	uint8_t enc[4];
	size_t n = utf8_encode(cp, enc);
	assert(n > 0);
	if (o->chars >= o->max_chars || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		o->buf[o->len++] = (char)enc[i];
	o->chars++;
	o->marks = c == MARK ? o->marks + 1 : 0;
	if (!space)
		o->keep = o->len;
}

size_t chat_sanitize(const char *in, size_t len, char *out, size_t outcap,
		     size_t max_chars)
{
	assert(out != NULL && outcap >= 1);
	assert(in != NULL || len == 0);
	struct out o = { out, outcap - 1, 0, 0, 0, max_chars, 0, false };
	const uint8_t *p = (const uint8_t *)in;
	uint32_t state = UTF8_ACCEPT, cp = 0;
	for (size_t i = 0; i < len && !o.full; i++) {
		if (state == UTF8_ACCEPT && p[i] >= 0x20 && p[i] < 0x7f) {
			/* Printable ASCII, what nearly every line is made of: emit's
			 * verdict (kept, a space only after text) without its look-ups. */
			if (p[i] == ' ' && o.len == 0)
				continue;
			if (o.chars >= o.max_chars || o.len >= o.cap) {
				o.full = true;
				break;
			}
			o.buf[o.len++] = (char)p[i];
			o.chars++;
			o.marks = 0;
			if (p[i] != ' ')
				o.keep = o.len;
			continue;
		}
		uint32_t prev = state;
		uint32_t s = utf8_step(&state, &cp, p[i]);
		if (s == UTF8_ACCEPT) {
			emit(&o, cp);
		} else if (s == UTF8_REJECT) {
			emit(&o, 0xfffd);
			state = UTF8_ACCEPT;
			if (prev != UTF8_ACCEPT)
				i--;            /* this byte may start a new sequence */
		}
	}
	if (state != UTF8_ACCEPT && !o.full)
		emit(&o, 0xfffd);               /* truncated sequence at the end */
	out[o.keep] = '\0';
	return o.keep;
}

size_t chat_sanitize_append(struct sbuf *sb, const char *in, size_t len,
			    size_t max_chars)
{
	assert(len < SIZE_MAX / 3);
	size_t cap = CHAT_SANITIZE_BOUND(len);
	char *dst = (char *)sbuf_reserve(sb, cap);
	size_t n = chat_sanitize(in, len, dst, cap, max_chars);
	sb->len += n;
	return n;
}
