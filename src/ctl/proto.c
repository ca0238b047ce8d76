#include "ctl/proto.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/duration.h"
#include "util/utf8.h"

/* What follows a verb: nothing; a handle, then (for some) a duration, then (for
 * some) the rest of the line as a reason; or the rest of the line as text. */
enum shape { BARE, HANDLE, HANDLE_REASON, HANDLE_DURATION_REASON, TEXT };

struct verb_spec {
	const char *name;
	enum shape shape;
	bool forever;                    /* the duration may be "forever" */
	const char *usage;
};

static const struct verb_spec verbs[CTL_VERB_COUNT] = {
	[CTL_HELP] = { "help", BARE, false, "help" },
	[CTL_WHO] = { "who", BARE, false, "who" },
	[CTL_STATS] = { "stats", BARE, false, "stats" },
	[CTL_KICK] = { "kick", HANDLE_REASON, false, "kick HANDLE [reason]" },
	[CTL_MUTE] = { "mute", HANDLE_DURATION_REASON, false,
	               "mute HANDLE [30s|10m|2h|1d] [reason]" },
	[CTL_UNMUTE] = { "unmute", HANDLE, false, "unmute HANDLE" },
	[CTL_BAN] = { "ban", HANDLE_DURATION_REASON, true,
	              "ban HANDLE [30m|2h|7d|forever] [reason]" },
	[CTL_UNBAN] = { "unban", HANDLE, false, "unban HANDLE" },
	[CTL_BROADCAST] = { "broadcast", TEXT, false, "broadcast TEXT" },
	[CTL_RELOAD] = { "reload", BARE, false, "reload" },
};

const char ctl_usage[] =
	"who\n"
	"stats\n"
	"kick HANDLE [reason]\n"
	"mute HANDLE [30s|10m|2h|1d] [reason]\n"
	"unmute HANDLE\n"
	"ban HANDLE [30m|2h|7d|forever] [reason]\n"
	"unban HANDLE\n"
	"broadcast TEXT\n"
	"reload\n"
	"help\n";

__attribute__((format(printf, 3, 4)))
static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

/* The next word of s (after spaces), NUL-terminated in place; *s moves past it. */
static char *word(char **s)
{
	char *p = *s;
	while (*p == ' ')
		p++;
	if (*p == '\0') {
		*s = p;
		return NULL;
	}
	char *start = p;
	while (*p != '\0' && *p != ' ')
		p++;
	if (*p == ' ')
		*p++ = '\0';
	*s = p;
	return start;
}

/* The rest of the line, spaces trimmed at both ends; NULL if nothing is left. */
static char *rest(char *s)
{
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	return n ? s : NULL;
}

bool ctl_parse(char *line, size_t len, struct ctl_request *req, char *err, size_t errlen)
{
	memset(req, 0, sizeof(*req));
	if (len > 0 && line[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f)
			return fail(err, errlen, "control characters are not allowed");
	}
	if (!utf8_valid((const uint8_t *)line, len))
		return fail(err, errlen, "the line is not UTF-8");
	line[len] = '\0';
	char *p = line;
	char *name = word(&p);
	if (name == NULL)
		return fail(err, errlen, "an empty line: try \"help\"");
	const struct verb_spec *v = NULL;
	for (int i = 0; i < CTL_VERB_COUNT && v == NULL; i++) {
		if (strcasecmp(verbs[i].name, name) == 0) {
			v = &verbs[i];
			req->verb = (enum ctl_verb)i;
		}
	}
	if (v == NULL)
		return fail(err, errlen, "unknown command \"%.40s\": try \"help\"", name);
	switch (v->shape) {
	case BARE:
		break;
	case TEXT:
		req->text = rest(p);
		p += strlen(p);
		if (req->text == NULL)
			return fail(err, errlen, "usage: %s", v->usage);
		break;
	case HANDLE:
	case HANDLE_REASON:
	case HANDLE_DURATION_REASON:
		req->handle = word(&p);
		if (req->handle == NULL)
			return fail(err, errlen, "usage: %s", v->usage);
		if (v->shape == HANDLE)
			break;
		if (v->shape == HANDLE_DURATION_REASON) {
			/* A duration, if the next word is one. */
			char *q = p;
			char *next = word(&q);
			int64_t secs;
			if (next != NULL && duration_parse(next, v->forever, &secs)) {
				req->seconds = secs;
				p = q;
			} else if (next != NULL && *q != '\0') {
				next[strlen(next)] = ' ';  /* not a duration: the reason, whole */
			}
		}
		req->text = rest(p);
		p += strlen(p);
		break;
	}
	if (rest(p) != NULL)
		return fail(err, errlen, "usage: %s", v->usage);
	return true;
}
