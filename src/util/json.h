/* Just enough JSON for the page's control messages: look up one member of a
 * top-level object.  Pure and bounded; nested values are skipped, not built. */
#ifndef CARRIER_UTIL_JSON_H
#define CARRIER_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/sbuf.h"

/* The string member key of the object in json[0..len), unescaped into out (NUL-
 * terminated, at most outlen-1 bytes).  False if absent, not a string, too long,
 * or json is not a well-formed object. */
bool json_get_string(const char *json, size_t len, const char *key, char *out, size_t outlen);
/* The integer member key (a JSON number with no fraction or exponent). */
bool json_get_int(const char *json, size_t len, const char *key, int64_t *out);
/* Append s as a JSON string literal (quotes included, control characters escaped). */
void json_put_string(struct sbuf *sb, const char *s);

#endif
