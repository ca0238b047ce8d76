/* The control line's protocol (docs/control.md), pure: one request line in, parsed
 * into a verb and its arguments; the reply's first line.
 *
 * A request is one line of at most CTL_LINE_MAX bytes ending in LF (a CR before it
 * is dropped): a verb, then arguments separated by spaces.  The last argument of a
 * verb takes the rest of the line (a reason, a broadcast's text).  Bytes below 0x20
 * (but for the line end) and DEL are refused, as is anything that is not UTF-8.
 *
 * The reply is the first line "ok" or "error: MESSAGE", then for "ok" any number
 * of lines of text, then the server closes the connection.  One request per
 * connection. */
#ifndef CARRIER_CTL_PROTO_H
#define CARRIER_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_LINE_MAX 4096            /* bytes of a request, with its LF */

enum ctl_verb {
	CTL_HELP,
	CTL_WHO,
	CTL_STATS,
	CTL_KICK,        /* HANDLE [reason] */
	CTL_MUTE,        /* HANDLE [duration] [reason] */
	CTL_UNMUTE,      /* HANDLE */
	CTL_BAN,         /* HANDLE [duration|forever] [reason] */
	CTL_UNBAN,       /* HANDLE */
	CTL_BROADCAST,   /* TEXT */
	CTL_RELOAD,      /* read carrier.toml again, as SIGHUP does */
	CTL_VERB_COUNT
};

struct ctl_request {
	enum ctl_verb verb;
	/* Pointers into the caller's buffer (NUL-terminated in place), NULL if none. */
	const char *handle;       /* kick, mute, unmute, ban, unban */
	const char *text;         /* the reason (kick, mute, ban), the broadcast's text */
	/* mute and ban: the duration given, in seconds; 0 if none was (or "forever"
	 * for a ban). */
	long long seconds;
};

/* Parse line[0..len) (without its LF), writing NULs into it.  True with *req
 * filled; false with a reason in err (a whole sentence, no line end). */
bool ctl_parse(char *line, size_t len, struct ctl_request *req, char *err, size_t errlen);

/* The usage of every verb, one a line (what "help" answers). */
extern const char ctl_usage[];

#endif
