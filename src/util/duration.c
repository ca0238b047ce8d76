#include "util/duration.h"

#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

#define YEAR_S (366 * 86400LL)

bool duration_parse(const char *text, bool allow_forever, int64_t *seconds)
{
	if (strcasecmp(text, "forever") == 0 || strcasecmp(text, "perm") == 0) {
		if (allow_forever)
			*seconds = 0;
		return allow_forever;
	}
	int64_t n = 0;
	const char *p = text;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > YEAR_S)
			return false;
	}
	int64_t unit;
	switch (*p) {
	case '\0': unit = 60; p--; break;      /* a bare number: minutes */
	case 's': case 'S': unit = 1; break;
	case 'm': case 'M': unit = 60; break;
	case 'h': case 'H': unit = 3600; break;
	case 'd': case 'D': unit = 86400; break;
	case 'w': case 'W': unit = 7 * 86400; break;
	default: return false;
	}
	if (p[1] != '\0' || n == 0 || n * unit > YEAR_S)
		return false;
	*seconds = n * unit;
	return true;
}

void duration_format(int64_t seconds, char *out, size_t cap)
{
	static const struct { int64_t s; const char *name; } units[] = {
		{ 7 * 86400, "week" }, { 86400, "day" }, { 3600, "hour" }, { 60, "minute" },
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (seconds >= units[i].s && seconds % units[i].s == 0) {
			int64_t n = seconds / units[i].s;
			snprintf(out, cap, "%" PRId64 " %s%s", n, units[i].name, n == 1 ? "" : "s");
			return;
		}
	}
	snprintf(out, cap, "%" PRId64 " second%s", seconds, seconds == 1 ? "" : "s");
}
