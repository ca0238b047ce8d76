/* vtscreen: what a terminal would show.  Reads raw terminal output (UTF-8 + ANSI)
 * on stdin, runs it through libvterm, and prints the screen as JSON:
 *   {"cols":80,"rows":24,"cursor":[row,col],"text":["row 0", ...],
 *    "fg":["..22..", ...], "bold":["..BB..", ...], "bells":N}
 * fg holds one character per cell: '0'-'9','a'-'f' for palette colours 0-15, '.'
 * for the default colour, '*' for anything else.  Tests assert screens through
 * this, not by grepping bytes.
 *   usage: vtscreen [COLS ROWS] < bytes */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vterm.h>

static int bells;

static int on_bell(void *user)
{
	(void)user;
	bells++;
	return 1;
}


static void put_json_char(uint32_t ch)
{
	if (ch == '"' || ch == '\\') {
		printf("\\%c", (char)ch);
	} else if (ch < 0x20) {
		printf("\\u%04x", ch);
	} else if (ch < 0x80) {
		putchar((int)ch);
	} else if (ch < 0x800) {
		putchar(0xc0 | (ch >> 6));
		putchar(0x80 | (ch & 0x3f));
	} else if (ch < 0x10000) {
		putchar(0xe0 | (ch >> 12));
		putchar(0x80 | ((ch >> 6) & 0x3f));
		putchar(0x80 | (ch & 0x3f));
	} else {
		putchar(0xf0 | (ch >> 18));
		putchar(0x80 | ((ch >> 12) & 0x3f));
		putchar(0x80 | ((ch >> 6) & 0x3f));
		putchar(0x80 | (ch & 0x3f));
	}
}

int main(int argc, char **argv)
{
	int cols = argc > 2 ? atoi(argv[1]) : 80;
	int rows = argc > 2 ? atoi(argv[2]) : 24;
	if (cols < 1 || rows < 1 || cols > 1000 || rows > 1000) {
		fprintf(stderr, "usage: vtscreen [COLS ROWS] < bytes\n");
		return 2;
	}
	VTerm *vt = vterm_new(rows, cols);
	vterm_set_utf8(vt, 1);
	VTermScreen *screen = vterm_obtain_screen(vt);
	static VTermScreenCallbacks cbs = { .bell = on_bell };
	vterm_screen_set_callbacks(screen, &cbs, NULL);
	vterm_screen_reset(screen, 1);

	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		vterm_input_write(vt, buf, n);

	VTermPos cursor;
	vterm_state_get_cursorpos(vterm_obtain_state(vt), &cursor);
	printf("{\"cols\":%d,\"rows\":%d,\"cursor\":[%d,%d],\"bells\":%d,\"text\":[",
	       cols, rows, cursor.row, cursor.col, bells);
	for (int r = 0; r < rows; r++) {
		VTermScreenCell cell;
		int last = -1;
		for (int c = 0; c < cols; c++) {
			vterm_screen_get_cell(screen, (VTermPos){ r, c }, &cell);
			if (cell.chars[0] != 0 && cell.chars[0] != ' ')
				last = c;
		}
		printf("%s\"", r ? "," : "");
		for (int c = 0; c <= last; c++) {
			vterm_screen_get_cell(screen, (VTermPos){ r, c }, &cell);
			if (cell.chars[0] == 0) {
				if (c > 0) {
					VTermScreenCell prev;
					vterm_screen_get_cell(screen, (VTermPos){ r, c - 1 }, &prev);
					if (prev.width == 2)
						continue;   /* the right half of a wide character */
				}
				putchar(' ');
				continue;
			}
			for (int i = 0; i < VTERM_MAX_CHARS_PER_CELL && cell.chars[i]; i++)
				put_json_char(cell.chars[i]);
		}
		putchar('"');
	}
	printf("],\"fg\":[");
	for (int r = 0; r < rows; r++) {
		printf("%s\"", r ? "," : "");
		for (int c = 0; c < cols; c++) {
			VTermScreenCell cell;
			vterm_screen_get_cell(screen, (VTermPos){ r, c }, &cell);
			char ch = '*';
			if (VTERM_COLOR_IS_DEFAULT_FG(&cell.fg))
				ch = '.';
			else if (VTERM_COLOR_IS_INDEXED(&cell.fg) && cell.fg.indexed.idx < 16)
				ch = "0123456789abcdef"[cell.fg.indexed.idx];
			putchar(ch);
		}
		putchar('"');
	}
	printf("],\"bold\":[");
	for (int r = 0; r < rows; r++) {
		printf("%s\"", r ? "," : "");
		for (int c = 0; c < cols; c++) {
			VTermScreenCell cell;
			vterm_screen_get_cell(screen, (VTermPos){ r, c }, &cell);
			putchar(cell.attrs.bold ? 'B' : '.');
		}
		putchar('"');
	}
	printf("]}\n");
	vterm_free(vt);
	return 0;
}
