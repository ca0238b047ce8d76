/* Handle rules. */
#include <stddef.h>
#include <string.h>

#include "bbs/handle.h"

/* Folded: lower case, without spaces, '_' and '-'. */
static const char *const reserved[] = {
	"sysop", "sysadmin", "admin", "administrator", "root", "guest", "new", "all",
	"everyone", "everybody", "carrier", "server", "system", "nobody", "anonymous",
	"operator", "moderator", "staff", "support", "postmaster", "webmaster", "bbs",
	"chat", "info", "help", "null", "user", "me", "you", "unknown",
};

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool handle_reserved(const char *h)
{
	char folded[64];
	size_t n = 0;

	for (const char *p = h; *p != '\0'; p++) {
		if (*p == ' ' || *p == '_' || *p == '-')
			continue;
		if (n + 1 >= sizeof(folded))
			return false;    /* longer than any reserved name */
		folded[n++] = lower(*p);
	}
	folded[n] = '\0';
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(folded, reserved[i]) == 0)
			return true;
	return false;
}

bool handle_valid(const char *h, const char **why)
{
	const char *reason = NULL;
	size_t len = strlen(h), alnum = 0;

	if (len < HANDLE_MIN) {
		reason = "A handle needs at least 3 characters.";
		goto out;
	}
	if (len > HANDLE_MAX) {
		reason = "A handle can have at most 20 characters.";
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		char c = h[i];
		alnum += is_alnum(c);
		if (!is_alnum(c) && c != ' ' && c != '_' && c != '-') {
			reason = "Use only letters, digits, spaces, _ and - in a handle.";
			goto out;
		}
		if (c == ' ' && i > 0 && h[i - 1] == ' ') {
			reason = "A handle cannot have two spaces in a row.";
			goto out;
		}
	}
	if (h[0] == ' ' || h[len - 1] == ' ') {
		reason = "A handle cannot start or end with a space.";
		goto out;
	}
	if (alnum == 0)
		reason = "A handle needs at least one letter or digit.";
	else if (handle_reserved(h))
		reason = "That name is reserved.";
out:
	if (why != NULL)
		*why = reason;
	return reason == NULL;
}
