/* Lengths of time as sysops type them and callers read them.  Pure. */
#ifndef CARRIER_UTIL_DURATION_H
#define CARRIER_UTIL_DURATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "90" (minutes), "30s", "15m", "2h", "7d", "1w"; from 1 second up to a year.
 * "forever" (or "perm") gives 0 when allow_forever.  False if text is none of
 * these (*seconds untouched). */
bool duration_parse(const char *text, bool allow_forever, int64_t *seconds);
/* "5 minutes", "2 hours", "1 day", "90 seconds": the largest unit that divides it. */
void duration_format(int64_t seconds, char *out, size_t cap);

#endif
