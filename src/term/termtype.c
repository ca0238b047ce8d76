/* The charset a terminal type implies: see termtype.h. */
#include "term/termtype.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

struct ttype_rule {
	const char *name;
	bool prefix;
	enum charset cs;
};

static const struct ttype_rule ttype_rules[] = {
	{ "ansi", false, CHARSET_CP437 },
	{ "ansi-", true, CHARSET_CP437 },
	{ "ansi.sys", false, CHARSET_CP437 },
	{ "pc-ansi", false, CHARSET_CP437 },
	{ "pcansi", false, CHARSET_CP437 },
	{ "scoansi", false, CHARSET_CP437 },
	{ "syncterm", false, CHARSET_CP437 },
	{ "netrunner", false, CHARSET_CP437 },
	{ "cp437", false, CHARSET_CP437 },
	{ "ibmpc", false, CHARSET_CP437 },
	{ "ibm-pc", false, CHARSET_CP437 },
	{ "qodem", false, CHARSET_CP437 },
	{ "ftelnet", false, CHARSET_CP437 },
	{ "mtelnet", false, CHARSET_CP437 },

	{ "xterm", true, CHARSET_UTF8 },
	{ "rxvt", true, CHARSET_UTF8 },
	{ "screen", true, CHARSET_UTF8 },
	{ "tmux", true, CHARSET_UTF8 },
	{ "linux", false, CHARSET_UTF8 },
	{ "putty", true, CHARSET_UTF8 },
	{ "alacritty", false, CHARSET_UTF8 },
	{ "kitty", false, CHARSET_UTF8 },
	{ "wezterm", false, CHARSET_UTF8 },
	{ "foot", true, CHARSET_UTF8 },
	{ "st", false, CHARSET_UTF8 },
	{ "st-", true, CHARSET_UTF8 },
	{ "konsole", true, CHARSET_UTF8 },
	{ "gnome", true, CHARSET_UTF8 },
	{ "vte", true, CHARSET_UTF8 },
	{ "iterm", true, CHARSET_UTF8 },
	{ "eterm", true, CHARSET_UTF8 },
	{ "mintty", false, CHARSET_UTF8 },
	{ "mlterm", true, CHARSET_UTF8 },
	{ "contour", false, CHARSET_UTF8 },
	{ "ghostty", false, CHARSET_UTF8 },
	{ "cygwin", false, CHARSET_UTF8 },
	{ "utf8", false, CHARSET_UTF8 },
	{ "utf-8", false, CHARSET_UTF8 },
};

#define MTTS_UTF8 4

/* "MTTS <decimal>": true and *bits if name is one. */
static bool mtts_bits(const char *name, unsigned long *bits)
{
	if (strncasecmp(name, "mtts ", 5) != 0)
		return false;
	const char *s = name + 5;
	if (*s < '0' || *s > '9')
		return false;
	unsigned long v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > 100000000UL)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (*s != '\0')
		return false;
	*bits = v;
	return true;
}

static enum charset rule_for(const char *name)
{
	for (size_t i = 0; i < sizeof(ttype_rules) / sizeof(ttype_rules[0]); i++) {
		const struct ttype_rule *r = &ttype_rules[i];
		size_t n = strlen(r->name);
		/* A prefix matches itself too, unless it ends in '-' ("ansi-"). */
		if (r->prefix ? strncasecmp(name, r->name, n) == 0 &&
		                (name[n] != '\0' || r->name[n - 1] != '-')
		              : strcasecmp(name, r->name) == 0)
			return r->cs;
	}
	return CHARSET_UNKNOWN;
}

enum charset term_charset_for_types(const char *const *names, size_t n)
{
	unsigned long bits;
	for (size_t i = 0; i < n; i++) {
		if (mtts_bits(names[i], &bits))
			return (bits & MTTS_UTF8) ? CHARSET_UTF8 : CHARSET_CP437;
	}
	for (size_t i = 0; i < n; i++) {
		enum charset cs = rule_for(names[i]);
		if (cs != CHARSET_UNKNOWN)
			return cs;
	}
	return CHARSET_UNKNOWN;
}
