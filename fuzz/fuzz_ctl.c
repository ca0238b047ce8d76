/* libFuzzer harness for the control line's parser: any bytes as a request line, a
 * request or a reason out, never a crash, a leak or undefined behaviour.  What it
 * gives is checked: strings inside the line and free of control characters, a
 * reason only for verbs that take one, a duration only for mute and ban. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/proto.h"
#include "util/duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, const char *line, size_t len)
{
	if (s == NULL)
		return;
	if (s < line || s >= line + len + 1 || s[0] == '\0' || s[0] == ' ')
		__builtin_trap();
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > CTL_LINE_MAX)
		return 0;
	char *line = malloc(size + 1);
	memcpy(line, data, size);
	struct ctl_request req;
	char err[160];
	if (ctl_parse(line, size, &req, err, sizeof(err))) {
		check_str(req.handle, line, size);
		check_str(req.text, line, size);
		if (req.handle != NULL && strchr(req.handle, ' ') != NULL)
			__builtin_trap();
		if (req.seconds != 0 && req.verb != CTL_MUTE && req.verb != CTL_BAN)
			__builtin_trap();
		if (req.seconds < 0 || req.seconds > 366LL * 86400)
			__builtin_trap();
	} else if (err[0] == '\0' || memchr(err, '\n', strlen(err)) != NULL) {
		__builtin_trap();
	}
	/* The durations on their own, NUL-terminated. */
	char word[32];
	size_t n = size < sizeof(word) - 1 ? size : sizeof(word) - 1;
	memcpy(word, data, n);
	word[n] = '\0';
	int64_t secs = -1;
	if (duration_parse(word, true, &secs)) {
		char text[64];
		duration_format(secs, text, sizeof(text));
		if (secs < 0 || strlen(text) == 0)
			__builtin_trap();
	}
	free(line);
	return 0;
}
