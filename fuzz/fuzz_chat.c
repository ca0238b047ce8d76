/* libFuzzer harness for the pure chat modules: arbitrary bytes through the
 * sanitizer, the command parser (every command: talking, rooms, a caller's own
 * settings, help), every renderer (invitations, topics, the status line, help for
 * one command, away replies among them) and the room-name rule.
 *
 * Input: byte 0 options (level, view, max_chars), bytes 1 and 2 the lengths of a
 * handle and a recipient, then those fields, then the text.  Checks:
 *  - sanitized text is NUL-terminated valid UTF-8 with no C0, DEL, C1, bidi or
 *    zero-width character, within the limits, and sanitizing it again changes
 *    nothing;
 *  - the parser's results keep their promises (argument counts, non-empty
 *    arguments, text inside the line);
 *  - rendered bytes, even from raw unsanitized strings, hold no control byte but
 *    the renderer's own SGR sequences (ESC [ digits/; m), CR LF pairs, and one BEL
 *    at the very start of a DM's or page's recipient view;  they are valid UTF-8. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat/command.h"
#include "chat/event.h"
#include "chat/flood.h"
#include "chat/render.h"
#include "chat/room.h"
#include "chat/sanitize.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool forbidden_cp(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff || cp == 0x061c;
}

static void check_sanitized(const char *s, size_t len, size_t max_chars)
{
	if (s[len] != '\0' || strlen(s) != len)
		abort();
	if (!utf8_valid((const uint8_t *)s, len))
		abort();
	uint32_t state = UTF8_ACCEPT, cp = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (utf8_step(&state, &cp, (uint8_t)s[i]) != UTF8_ACCEPT)
			continue;
		n++;
		if (forbidden_cp(cp))
			abort();
	}
	if (n > max_chars)
		abort();
	if (len > 0 && (s[0] == ' ' || s[len - 1] == ' '))
		abort();
}

/* The rendered bytes: only our own control sequences. */
static void check_rendered(const struct sbuf *sb, bool bell_allowed)
{
	const uint8_t *d = sb->data;
	size_t n = sb->len;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = d[i];
		if (c == 0x1b) {
			if (i + 1 >= n || d[i + 1] != '[')
				abort();
			size_t j = i + 2;
			while (j < n && ((d[j] >= '0' && d[j] <= '9') || d[j] == ';'))
				j++;
			if (j >= n || d[j] != 'm')
				abort();
			i = j;
		} else if (c == '\a') {
			if (!bell_allowed || i != 0)
				abort();
		} else if (c == '\r') {
			if (i + 1 >= n || d[i + 1] != '\n')
				abort();
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			abort();
		}
	}
	if (!utf8_valid(d, n))
		abort();
	uint32_t state = UTF8_ACCEPT, cp = 0;
	for (size_t i = 0; i < n; i++) {
		if (utf8_step(&state, &cp, d[i]) == UTF8_ACCEPT && cp >= 0x80 &&
		    forbidden_cp(cp))
			abort();
	}
	if (n > 0 && (n < 2 || d[n - 2] != '\r' || d[n - 1] != '\n'))
		abort();
}

static void check_parse(const char *line, size_t len, unsigned level)
{
	struct chat_parse p;
	chat_command_parse(chat_commands, chat_commands_count, line, len, level, &p);
	switch (p.status) {
	case CHAT_PARSE_EMPTY:
		break;
	case CHAT_PARSE_TEXT:
		if (p.text < line || p.text + p.text_len > line + len || p.text_len == 0)
			abort();
		break;
	case CHAT_PARSE_COMMAND:
	case CHAT_PARSE_USAGE:
		if (p.cmd == NULL || level < p.cmd->min_level)
			abort();
		if (p.args.argc > p.cmd->max_args)
			abort();
		if ((p.status == CHAT_PARSE_COMMAND) != (p.args.argc >= p.cmd->min_args))
			abort();
		for (int i = 0; i < p.args.argc; i++) {
			const char *a = p.args.argv[i];
			if (a[0] == '\0' || a[0] == ' ' || a[strlen(a) - 1] == ' ')
				abort();
			if (i + 1 < p.args.argc && strchr(a, ' '))
				abort();
		}
		break;
	case CHAT_PARSE_UNKNOWN:
		if (p.cmd != NULL)
			abort();
		break;
	default:
		abort();
	}
	chat_parse_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	uint8_t opt = data[0];
	size_t hlen = data[1] % 48, tlen = data[2] % 48;
	data += 3;
	size -= 3;
	if (hlen > size)
		hlen = size;
	if (tlen > size - hlen)
		tlen = size - hlen;
	char *handle = strndup((const char *)data, hlen);
	char *to = strndup((const char *)data + hlen, tlen);
	const char *text = (const char *)data + hlen + tlen;
	size_t text_len = size - hlen - tlen;
	char *raw = strndup(text, text_len);   /* stops at the first NUL */
	unsigned level = (opt & 1) ? CHAT_LEVEL_SYSOP : CHAT_LEVEL_USER;
	size_t max_chars = (opt & 2) ? SIZE_MAX : (size_t)(opt >> 2);

	/* sanitizer */
	size_t cap = CHAT_SANITIZE_BOUND(text_len);
	if (opt & 0x80)
		cap = 1 + (opt & 0x3f);
	char *clean = malloc(cap);
	size_t n = chat_sanitize(text, text_len, clean, cap, max_chars);
	if (n >= cap)
		abort();
	check_sanitized(clean, n, max_chars);
	char *again = malloc(cap);
	if (chat_sanitize(clean, n, again, cap, max_chars) != n ||
	    memcmp(again, clean, n + 1) != 0)
		abort();
	free(again);

	/* parser, on clean and on raw input */
	check_parse(clean, n, level);
	check_parse(text, text_len, level);

	/* renderers, fed raw strings */
	struct sbuf sb = SBUF_INIT;
	const char *const names[] = { handle, to, raw, handle };
	for (int k = 0; k < CHAT_KIND_COUNT; k++) {
		for (int v = 0; v < 3; v++) {
			struct chat_event ev = {
				.seq = 1, .ts_ms = (int64_t)opt * 123456789, .kind = k,
				.from = handle, .to = to, .text = raw, .room = to,
				.from_level = level,
			};
			if ((k == CHAT_JOIN || k == CHAT_LEAVE) && v == 1) {
				ev.names = names;
				ev.n_names = opt % 5;
				ev.n_more = opt % 3;
			}
			chat_render(&sb, &ev, (enum chat_view)v);
			check_rendered(&sb, ((k == CHAT_DM || k == CHAT_PAGE || k == CHAT_INVITE) &&
					     v == CHAT_VIEW_RECIPIENT) || k == CHAT_BROADCAST);
			sbuf_reset(&sb);
		}
	}
	chat_render_system(&sb, raw);
	chat_render_notice(&sb, raw);
	chat_render_missed(&sb, opt);
	chat_render_slow_down(&sb, opt);
	chat_render_unknown(&sb);
	chat_render_help(&sb, chat_commands, chat_commands_count, level);
	chat_render_help_one(&sb, &chat_commands[opt % chat_commands_count]);
	chat_render_away(&sb, handle, (opt & 16) ? raw : NULL);
	struct chat_who_entry who[] = { { handle, 0, level, NULL, NULL },
					{ to, -1000 * opt, 0, raw, NULL },
					{ raw, INT64_MIN, 0, "", raw } };
	chat_render_who(&sb, who, 3, (int64_t)opt * 60000);
	chat_render_welcome(&sb, raw, (opt & 32) ? to : NULL, names, opt % 5);
	check_rendered(&sb, false);
	sbuf_reset(&sb);
	/* the status line: one row, no line end, its width within the terminal's */
	chat_render_status(&sb, to, raw, opt, opt & 1, 20 + opt);
	sbuf_puts(&sb, "\r\n");
	check_rendered(&sb, false);
	sbuf_reset(&sb);
	/* a room's name: letters, digits, - and _, 1 to 20 of them */
	if (chat_room_name_ok(handle)) {
		size_t hl = strlen(handle);
		if (hl == 0 || hl > CHAT_ROOM_NAME_MAX)
			abort();
		for (size_t i = 0; i < hl; i++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
			            handle[i]))
				abort();
	}

	/* the coalescer */
	struct chat_coalesce *c = chat_coalesce_new(250, 2);
	chat_coalesce_add(c, CHAT_JOIN, handle, 0);
	chat_coalesce_add(c, (opt & 4) ? CHAT_LEAVE : CHAT_JOIN, to, 1);
	chat_coalesce_add(c, (opt & 8) ? CHAT_LEAVE : CHAT_JOIN, raw, 2);
	chat_coalesce_add(c, CHAT_LEAVE, handle, 3);
	struct chat_event j, l;
	chat_coalesce_take(c, &j, &l);
	chat_render(&sb, &j, CHAT_VIEW_RECIPIENT);
	chat_render(&sb, &l, CHAT_VIEW_RECIPIENT);
	check_rendered(&sb, false);
	chat_coalesce_free(c);

	sbuf_free(&sb);
	free(clean);
	free(raw);
	free(to);
	free(handle);
	return 0;
}
