#include "term/lineedit.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "util/utf8.h"
#include "util/xalloc.h"

struct lineedit {
	char *text;             /* NULL until the first character; NUL-terminated */
	const char *prompt;     /* borrowed (a string literal, in practice), or NULL */
	struct key_decoder kd;
	uint16_t len;           /* bytes of text */
	uint16_t cap;           /* bytes allocated for text */
	uint16_t ncp;           /* code points of text */
	uint16_t width;         /* display columns of text (as echoed) */
	uint16_t limit;         /* max code points */
	uint16_t cols;          /* terminal width */
	uint16_t prompt_w;      /* display columns of the prompt */
	bool hidden;
	bool done;
};

_Static_assert(sizeof(struct lineedit) <= 48, "one per connection: keep it small");
_Static_assert(LE_MAX_LIMIT * 4 + 1 <= UINT16_MAX, "text length must fit uint16_t");

/* ---- code points and widths ---- */

static unsigned cp_width(uint32_t cp)
{
	int w = utf8proc_charwidth((utf8proc_int32_t)cp);
	return w < 0 ? 0 : (unsigned)w;
}

static unsigned shown_width(const struct lineedit *le, uint32_t cp)
{
	return le->hidden ? 1 : cp_width(cp);
}

static bool is_mark(uint32_t cp)
{
	utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
	return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_ME ||
	       c == UTF8PROC_CATEGORY_MC;
}

static bool acceptable(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return false;
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_CN: case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF:
	case UTF8PROC_CATEGORY_CS: case UTF8PROC_CATEGORY_CO:
	case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
		return false;
	default:
		return true;
	}
}

/* Decode the (valid) code point starting at s[*i]; advances *i. */
static uint32_t next_cp(const char *s, size_t len, size_t *i)
{
	uint32_t state = UTF8_ACCEPT, cp = 0;
	while (*i < len) {
		utf8_step(&state, &cp, (uint8_t)s[(*i)++]);
		if (state == UTF8_ACCEPT)
			return cp;
		if (state == UTF8_REJECT)
			break;
	}
	return 0xfffd;
}

/* Byte offset where the last code point of s[0..len) starts (len > 0). */
static size_t last_cp_start(const char *s, size_t len)
{
	size_t i = len - 1;
	while (i > 0 && ((uint8_t)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

static void recount(struct lineedit *le)
{
	size_t i = 0;
	unsigned n = 0, w = 0;
	while (i < le->len) {
		w += shown_width(le, next_cp(le->text, le->len, &i));
		n++;
	}
	le->ncp = (uint16_t)n;
	le->width = (uint16_t)w;
}

/* Display width of a prompt: SGR and other escape sequences take no room. */
static unsigned prompt_width(const char *p)
{
	const uint8_t *s = (const uint8_t *)p;
	size_t len = strlen(p), i = 0;
	unsigned w = 0;
	uint32_t state = UTF8_ACCEPT, cp = 0;

	while (i < len) {
		uint8_t b = s[i++];
		if (b == 0x1b) {
			if (i < len && s[i] == '[') {
				i++;
				while (i < len && (s[i] < 0x40 || s[i] > 0x7e))
					i++;
			}
			i++;    /* the final byte, or the byte after a two-byte ESC */
			continue;
		}
		if (b < 0x20 || b == 0x7f)
			continue;
		if (utf8_step(&state, &cp, b) == UTF8_ACCEPT)
			w += cp_width(cp);
		else if (state == UTF8_REJECT)
			state = UTF8_ACCEPT, w++;
	}
	return w;
}

/* ---- display ---- */

static unsigned avail_cols(const struct lineedit *le)
{
	/* The cursor must never reach the last column (no pending wrap). */
	unsigned room = le->cols - 1u;
	return le->prompt_w + 10u < room ? room - le->prompt_w : 10u;
}

static bool fits(const struct lineedit *le, unsigned text_width)
{
	return text_width <= avail_cols(le);
}

static void put_stars(struct sbuf *out, unsigned n)
{
	while (n--)
		sbuf_putc(out, '*');
}

/* Prompt and the tail of the input that fits, cursor at the end. */
static void draw(const struct lineedit *le, struct sbuf *out)
{
	if (le->prompt != NULL)
		sbuf_puts(out, le->prompt);
	if (le->len == 0)
		return;
	unsigned room = avail_cols(le);
	if (le->hidden) {
		put_stars(out, le->width < room ? le->width : room);
		return;
	}
	size_t start = le->len;
	unsigned w = 0;
	while (start > 0) {
		size_t s = last_cp_start(le->text, start);
		size_t j = s;
		unsigned cw = cp_width(next_cp(le->text, le->len, &j));
		if (w + cw > room)
			break;
		w += cw;
		start = s;
	}
	/* Do not start the visible part with a mark: it would combine with the prompt. */
	while (start < le->len) {
		size_t j = start;
		uint32_t cp = next_cp(le->text, le->len, &j);
		if (!is_mark(cp) || cp_width(cp) > 0)
			break;
		start = j;
	}
	sbuf_append(out, le->text + start, le->len - start);
}

static void redraw_line(const struct lineedit *le, struct sbuf *out)
{
	sbuf_putc(out, '\r');
	draw(le, out);
	sbuf_puts(out, "\x1b[K");
}

void le_erase(const struct lineedit *le, struct sbuf *out)
{
	if (le->done)
		return;
	sbuf_puts(out, "\r\x1b[K");
}

void le_redraw(const struct lineedit *le, struct sbuf *out)
{
	if (le->done)
		return;
	draw(le, out);
}

/* ---- editing ---- */

static void bell(struct sbuf *out)
{
	sbuf_putc(out, 0x07);
}

/* The editing steps echo what they can in place and return true when the row must
 * be redrawn instead.  Once a redraw is pending (dirty), they echo nothing more:
 * le_feed redraws once at the end, so a pasted line that scrolls sideways costs
 * one redraw, not one per character. */
static bool insert(struct lineedit *le, uint32_t cp, struct sbuf *echo, bool dirty)
{
	bool ascii = cp >= 0x20 && cp < 0x7f;   /* acceptable, one column, not a mark */
	if ((!ascii && !acceptable(cp)) || le->ncp >= le->limit ||
	    (!ascii && le->ncp == 0 && is_mark(cp) && cp_width(cp) == 0)) {
		bell(echo);
		return false;
	}
	uint8_t enc[4];
	size_t n = utf8_encode(cp, enc);
	assert(n > 0);    /* keys only reports valid code points */
	if ((size_t)le->len + n + 1 > le->cap) {
		size_t cap = le->cap ? le->cap : 32;
		while (cap < (size_t)le->len + n + 1)
			cap *= 2;
		size_t max = (size_t)le->limit * 4 + 1;
		if (cap > max && max >= (size_t)le->len + n + 1)
			cap = max;
		le->text = xrealloc(le->text, cap);
		le->cap = (uint16_t)cap;
	}
	bool fitted = fits(le, le->width);
	unsigned w = ascii ? 1 : shown_width(le, cp);
	memcpy(le->text + le->len, enc, n);
	le->len = (uint16_t)(le->len + n);
	le->text[le->len] = '\0';
	le->ncp++;
	le->width = (uint16_t)(le->width + w);

	if (!fitted || !fits(le, le->width))
		return true;
	if (!dirty) {
		if (le->hidden)
			sbuf_putc(echo, '*');
		else
			sbuf_append(echo, enc, n);
	}
	return false;
}

static bool backspace(struct lineedit *le, struct sbuf *echo, bool dirty)
{
	if (le->len == 0)
		return false;
	bool fitted = fits(le, le->width);
	size_t s = last_cp_start(le->text, le->len), j = s;
	unsigned w = shown_width(le, next_cp(le->text, le->len, &j));
	le->len = (uint16_t)s;
	le->text[s] = '\0';
	le->ncp--;
	le->width = (uint16_t)(le->width - w);

	if (!fitted || w == 0)
		return true;
	if (!dirty) {
		for (unsigned i = 0; i < w; i++)
			sbuf_putc(echo, '\b');
		for (unsigned i = 0; i < w; i++)
			sbuf_putc(echo, ' ');
		for (unsigned i = 0; i < w; i++)
			sbuf_putc(echo, '\b');
	}
	return false;
}

static bool kill_word(struct lineedit *le)
{
	if (le->len == 0)
		return false;
	size_t end = le->len;
	while (end > 0 && le->text[end - 1] == ' ')
		end--;
	while (end > 0 && le->text[end - 1] != ' ')
		end--;
	le->len = (uint16_t)end;
	le->text[end] = '\0';
	recount(le);
	return true;
}

static void clear_text(struct lineedit *le)
{
	free(le->text);
	le->text = NULL;
	le->len = le->cap = le->ncp = le->width = 0;
}

static bool kill_line(struct lineedit *le)
{
	if (le->len == 0)
		return false;
	clear_text(le);
	return true;
}

/* A CR's LF or NUL already in this chunk belongs to the Enter: take it too. */
static size_t take_crlf(struct lineedit *le, const uint8_t *data, size_t len, size_t i)
{
	struct key k;
	if (data[i] == '\r' && i + 1 < len && (data[i + 1] == '\n' || data[i + 1] == 0)) {
		int got = keys_feed(&le->kd, data[i + 1], &k);
		assert(got == 0);
		(void)got;
		return i + 2;
	}
	return i + 1;
}

enum le_result le_feed(struct lineedit *le, const uint8_t *data, size_t len,
		       size_t *consumed, struct sbuf *echo)
{
	struct key k;
	bool dirty = false;

	if (le->done) {
		*consumed = 0;
		return LE_LINE;
	}
	for (size_t i = 0; i < len; i++) {
		if (!keys_feed(&le->kd, data[i], &k))
			continue;
		switch (k.type) {
		case KEY_CHAR:
			dirty = insert(le, k.cp, echo, dirty) || dirty;
			break;
		case KEY_BACKSPACE:
			dirty = backspace(le, echo, dirty) || dirty;
			break;
		case KEY_CTRL_U:
			dirty = kill_line(le) || dirty;
			break;
		case KEY_CTRL_W:
			dirty = kill_word(le) || dirty;
			break;
		case KEY_ENTER:
			if (dirty)
				redraw_line(le, echo);
			sbuf_puts(echo, "\r\n");
			le->done = true;
			*consumed = take_crlf(le, data, len, i);
			return LE_LINE;
		case KEY_CTRL_C:
			if (dirty)
				redraw_line(le, echo);
			sbuf_puts(echo, "^C\r\n");
			clear_text(le);
			*consumed = i + 1;
			return LE_INTR;
		default:
			break;    /* navigation keys, Tab, Escape: swallowed */
		}
	}
	if (dirty)
		redraw_line(le, echo);
	*consumed = len;
	return LE_MORE;
}

int le_hotkey(struct lineedit *le, const uint8_t *data, size_t len, size_t *consumed,
	      struct key *out)
{
	for (size_t i = 0; i < len; i++) {
		if (keys_feed(&le->kd, data[i], out)) {
			*consumed = out->type == KEY_ENTER ? take_crlf(le, data, len, i) : i + 1;
			return 1;
		}
	}
	*consumed = len;
	return 0;
}

int le_hotkey_flush(struct lineedit *le, struct key *out)
{
	return keys_flush(&le->kd, out);
}

/* ---- life cycle ---- */

static uint16_t clamp_limit(unsigned limit)
{
	assert(limit >= 1 && limit <= LE_MAX_LIMIT);
	return (uint16_t)limit;
}

struct lineedit *le_new(unsigned limit)
{
	struct lineedit *le = xcalloc(1, sizeof(*le));
	le->limit = clamp_limit(limit);
	le->cols = 80;
	return le;
}

void le_free(struct lineedit *le)
{
	if (le == NULL)
		return;
	free(le->text);
	free(le);
}

void le_set_prompt(struct lineedit *le, const char *prompt)
{
	le->prompt = NULL;
	le->prompt_w = 0;
	if (prompt != NULL && *prompt != '\0') {
		le->prompt = prompt;
		unsigned w = prompt_width(prompt);
		le->prompt_w = (uint16_t)(w > 1000 ? 1000 : w);
	}
}

void le_set_hidden(struct lineedit *le, bool hidden)
{
	le->hidden = hidden;
	recount(le);
}

void le_set_width(struct lineedit *le, unsigned cols)
{
	le->cols = (uint16_t)(cols < 20 ? 20 : cols > 1000 ? 1000 : cols);
}

void le_set_limit(struct lineedit *le, unsigned limit)
{
	le->limit = clamp_limit(limit);
}

bool le_done(const struct lineedit *le)
{
	return le->done;
}

const char *le_line(const struct lineedit *le, size_t *len)
{
	if (len != NULL)
		*len = le->len;
	return le->text != NULL ? le->text : "";
}

void le_reset(struct lineedit *le)
{
	clear_text(le);
	le->done = false;
}
