/* Handle rules: what a caller may call themselves.
 *
 * 3 to 20 characters, each an ASCII letter, digit, space, '_' or '-'.  ASCII only,
 * deliberately: every terminal (CP437 telnet clients included) can show and type
 * it, and no two handles can look alike through Unicode confusables or case
 * folding.  No leading, trailing or doubled spaces; at least one letter or digit.  Reserved names (SysOp, Guest,
 * New, All, ...) are refused without regard to case, spaces, '_' or '-', so
 * "sys op" and "S_Y_S_O_P" are refused too.  Uniqueness is the store's job
 * (case-insensitive). */
#ifndef CARRIER_BBS_HANDLE_H
#define CARRIER_BBS_HANDLE_H

#include <stdbool.h>

#define HANDLE_MIN 3
#define HANDLE_MAX 20

/* True if h may be registered.  On false, *why (if non-NULL) is a static sentence
 * for the caller. */
bool handle_valid(const char *h, const char **why);
/* True if h is a reserved name (by the folding above). */
bool handle_reserved(const char *h);

#endif
