#include "term/keys.h"

#include <string.h>

#include "util/utf8.h"

enum { ST_GROUND, ST_ESC, ST_CSI, ST_SS3 };

#define F_AFTER_CR   0x01u   /* last key was a CR: swallow one LF or NUL */
#define F_MORE_PARAM 0x02u   /* the CSI had a second parameter or a prefix */

_Static_assert(sizeof(struct key_decoder) <= 16, "key_decoder must stay tiny");

void keys_init(struct key_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

static int emit(struct key *out, enum key_type type, uint32_t cp)
{
	out->type = type;
	out->cp = cp;
	return 1;
}

/* CSI final byte (with its first parameter) -> key, or -1 to swallow. */
static int csi_key(uint8_t final, unsigned param)
{
	switch (final) {
	case 'A': return KEY_UP;
	case 'B': return KEY_DOWN;
	case 'C': return KEY_RIGHT;
	case 'D': return KEY_LEFT;
	case 'H': return KEY_HOME;
	case 'F': return KEY_END;
	case '~':
		switch (param) {
		case 1: case 7: return KEY_HOME;
		case 2: return KEY_INSERT;
		case 3: return KEY_DELETE;
		case 4: case 8: return KEY_END;
		case 5: return KEY_PGUP;
		case 6: return KEY_PGDN;
		}
		return -1;
	}
	return -1;
}

static int ground(struct key_decoder *d, uint8_t b, struct key *out)
{
	if (d->utf8 != UTF8_ACCEPT || b >= 0x80) {
		if (b < 0x80) {
			/* An ASCII byte in mid-sequence: drop the sequence. */
			d->utf8 = UTF8_ACCEPT;
			return ground(d, b, out);
		}
		uint32_t st = d->utf8;
		uint32_t prev = st;
		utf8_step(&st, &d->cp, b);
		if (st == UTF8_REJECT) {
			d->utf8 = UTF8_ACCEPT;
			return prev != UTF8_ACCEPT ? ground(d, b, out) : 0;
		}
		d->utf8 = (uint8_t)st;
		if (st != UTF8_ACCEPT)
			return 0;
		if (d->cp < 0xa0)
			return 0;    /* C1 control */
		return emit(out, KEY_CHAR, d->cp);
	}

	bool after_cr = d->flags & F_AFTER_CR;
	d->flags &= (uint8_t)~F_AFTER_CR;
	switch (b) {
	case '\r':
		d->flags |= F_AFTER_CR;
		return emit(out, KEY_ENTER, 0);
	case '\n':
		return after_cr ? 0 : emit(out, KEY_ENTER, 0);
	case 0x00:
		return 0;
	case 0x08: case 0x7f:
		return emit(out, KEY_BACKSPACE, 0);
	case '\t':
		return emit(out, KEY_TAB, 0);
	case 0x03:
		return emit(out, KEY_CTRL_C, 0);
	case 0x15:
		return emit(out, KEY_CTRL_U, 0);
	case 0x17:
		return emit(out, KEY_CTRL_W, 0);
	case 0x1b:
		d->state = ST_ESC;
		return 0;
	}
	if (b < 0x20)
		return 0;
	return emit(out, KEY_CHAR, b);
}

int keys_feed(struct key_decoder *d, uint8_t b, struct key *out)
{
	int k;

	switch (d->state) {
	case ST_ESC:
		if (b == '[') {
			d->state = ST_CSI;
			d->seq_len = 0;
			d->param = 0;
			d->flags &= (uint8_t)~F_MORE_PARAM;
			return 0;
		}
		if (b == 'O') {
			d->state = ST_SS3;
			return 0;
		}
		if (b == 0x1b)
			return emit(out, KEY_ESC, 0);    /* stay in ST_ESC */
		d->state = ST_GROUND;
		return ground(d, b, out);

	case ST_CSI:
		if (b < 0x20 || b > 0x7e || ++d->seq_len > KEYS_MAX_SEQ) {
			d->state = ST_GROUND;
			return ground(d, b, out);
		}
		if (b >= '0' && b <= '9') {
			if (!(d->flags & F_MORE_PARAM)) {
				unsigned p = d->param * 10u + (b - '0');
				d->param = p > 255 ? 255 : (uint8_t)p;
			}
			return 0;
		}
		if (b <= 0x3f) {    /* ; : < = > ? and intermediates */
			d->flags |= F_MORE_PARAM;
			return 0;
		}
		d->state = ST_GROUND;    /* final byte 0x40-0x7E */
		k = csi_key(b, d->param);
		return k < 0 ? 0 : emit(out, (enum key_type)k, 0);

	case ST_SS3:
		if (b < 0x20 || b > 0x7e) {
			d->state = ST_GROUND;
			return ground(d, b, out);
		}
		d->state = ST_GROUND;
		if (b == 'A' || b == 'B' || b == 'C' || b == 'D' || b == 'H' || b == 'F') {
			k = csi_key(b, 0);
			return emit(out, (enum key_type)k, 0);
		}
		return 0;
	}
	return ground(d, b, out);
}

int keys_flush(struct key_decoder *d, struct key *out)
{
	if (d->state != ST_ESC)
		return 0;
	d->state = ST_GROUND;
	return emit(out, KEY_ESC, 0);
}

bool keys_esc_pending(const struct key_decoder *d)
{
	return d->state == ST_ESC;
}
