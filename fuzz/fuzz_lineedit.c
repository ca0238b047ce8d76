/* libFuzzer harness: arbitrary bytes through the key decoder and the line editor,
 * in chunk sizes chosen by the input itself.  Checks that every finished line is
 * valid UTF-8 without control characters and within the limit, that consumption is
 * honest, and that the echo is valid UTF-8. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "term/lineedit.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(struct lineedit *le, unsigned limit)
{
	size_t len;
	const char *line = le_line(le, &len);
	if (strlen(line) != len)
		abort();
	if (!utf8_valid((const uint8_t *)line, len))
		abort();
	uint32_t state = UTF8_ACCEPT, cp = 0;
	unsigned n = 0;
	for (size_t i = 0; i < len; i++) {
		if (utf8_step(&state, &cp, (uint8_t)line[i]) != UTF8_ACCEPT)
			continue;
		n++;
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			abort();
	}
	if (n > limit)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	uint8_t flags = data[0];
	unsigned limit = 1u + data[1] % 64u;
	uint32_t rng = 0x9e3779b9u ^ data[2];
	data += 3;
	size -= 3;

	struct lineedit *le = le_new(limit);
	struct sbuf echo = SBUF_INIT;
	le_set_hidden(le, flags & 1);
	le_set_width(le, (flags & 2) ? 20 : 80);
	if (flags & 4)
		le_set_prompt(le, "\x1b[1;36mchat\x1b[0m> ");

	size_t off = 0;
	while (off < size) {
		rng = rng * 1103515245u + 12345u;
		size_t chunk = 1 + (rng >> 16) % 17;
		if (chunk > size - off)
			chunk = size - off;
		size_t used = 0;
		if ((flags & 8) && (rng & 0x100)) {
			struct key k;
			int got = le_hotkey(le, data + off, chunk, &used, &k);
			assert(used <= chunk && (got || used == chunk));
			if (got && k.type == KEY_CHAR && (k.cp < 0x20 || (k.cp >= 0x7f && k.cp < 0xa0)))
				abort();
			if (used == 0)
				abort();
			off += used;
			continue;
		}
		enum le_result r = le_feed(le, data + off, chunk, &used, &echo);
		if (used > chunk || (r == LE_MORE && used != chunk) || (r != LE_MORE && used == 0))
			abort();
		off += used;
		check_line(le, limit);
		if (r == LE_LINE) {
			if (!le_done(le))
				abort();
			le_reset(le);
		}
		if (rng & 0x200) {
			le_erase(le, &echo);
			le_redraw(le, &echo);
		}
		if (!utf8_valid(echo.data, echo.len))
			abort();
		sbuf_reset(&echo);
	}
	sbuf_free(&echo);
	le_free(le);
	return 0;
}
