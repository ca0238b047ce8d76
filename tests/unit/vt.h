/* Unit-test helper: a terminal (libvterm) that bytes are written to, read back as
 * UTF-8 rows with trailing blanks trimmed.  Header-only; include it from one test
 * file at a time. */
#ifndef CARRIER_TESTS_UNIT_VT_H
#define CARRIER_TESTS_UNIT_VT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <vterm.h>

#define VT_ROW_MAX 1024

struct vt {
	VTerm *vt;
	VTermScreen *vs;
	int rows, cols;
};

static inline void vt_open(struct vt *v, int cols, int rows)
{
	v->vt = vterm_new(rows, cols);
	v->rows = rows;
	v->cols = cols;
	vterm_set_utf8(v->vt, 1);
	v->vs = vterm_obtain_screen(v->vt);
	vterm_screen_reset(v->vs, 1);
}

static inline void vt_close(struct vt *v)
{
	if (v->vt != NULL)
		vterm_free(v->vt);
	v->vt = NULL;
}

static inline void vt_write(struct vt *v, const void *data, size_t len)
{
	vterm_input_write(v->vt, (const char *)data, len);
}

/* Row r as UTF-8 into out (cap >= 4 * cols + 1), trailing blanks trimmed. */
static inline void vt_row(const struct vt *v, int r, char *out, size_t cap)
{
	size_t n = 0;
	for (int c = 0; c < v->cols && n + 4 < cap; c++) {
		VTermScreenCell cell;
		vterm_screen_get_cell(v->vs, (VTermPos){ r, c }, &cell);
		uint32_t ch = cell.chars[0] ? cell.chars[0] : ' ';
		if (ch < 0x80) {
			out[n++] = (char)ch;
		} else if (ch < 0x800) {
			out[n++] = (char)(0xc0 | (ch >> 6));
			out[n++] = (char)(0x80 | (ch & 0x3f));
		} else if (ch < 0x10000) {
			out[n++] = (char)(0xe0 | (ch >> 12));
			out[n++] = (char)(0x80 | ((ch >> 6) & 0x3f));
			out[n++] = (char)(0x80 | (ch & 0x3f));
		} else {
			out[n++] = (char)(0xf0 | (ch >> 18));
			out[n++] = (char)(0x80 | ((ch >> 12) & 0x3f));
			out[n++] = (char)(0x80 | ((ch >> 6) & 0x3f));
			out[n++] = (char)(0x80 | (ch & 0x3f));
		}
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* The first row containing needle, or -1. */
static inline int vt_find(const struct vt *v, const char *needle)
{
	char row[VT_ROW_MAX];
	for (int r = 0; r < v->rows; r++) {
		vt_row(v, r, row, sizeof(row));
		if (strstr(row, needle) != NULL)
			return r;
	}
	return -1;
}

/* The cursor's row and column. */
static inline void vt_cursor(const struct vt *v, int *row, int *col)
{
	VTermPos pos;
	vterm_state_get_cursorpos(vterm_obtain_state(v->vt), &pos);
	*row = pos.row;
	*col = pos.col;
}

#endif
