/* `carrier user ...`: a table of commands over the store.  Hashing is synchronous
 * here: a command-line tool has no loop to keep responsive. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <pwd.h>

#include "bbs/handle.h"
#include "bbs/moderate.h"
#include "bbs/password.h"
#include "bbs/usercli.h"
#include "store/store.h"
#include "util/log.h"
#include "util/utf8.h"

#define MAX_POS 2

struct args {
	const char *pos[MAX_POS];
	int npos;
	const char *level;         /* --level, add only */
	const char *location;      /* --location, add only */
	struct password_limits lim; /* Argon2id cost, from the config */
};

struct command {
	const char *name;
	int (*run)(struct store *st, const struct args *a);
	int npos;                  /* positional arguments, exactly */
	bool options;              /* takes --level / --location */
	const char *usage;
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("carrier user: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* ---- input ------------------------------------------------------------------------- */

/* One line from fp into buf (without its newline).  0, or -1 at EOF before any
 * character, -2 if the line does not fit. */
static int read_line(FILE *fp, char *buf, size_t len)
{
	if (fgets(buf, (int)len, fp) == NULL)
		return -1;
	size_t n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n') {
		buf[--n] = '\0';
	} else if (n == len - 1 && !feof(fp)) {
		int c;
		while ((c = fgetc(fp)) != EOF && c != '\n')
			;
		return -2;
	}
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

/* Read a line from the terminal without echo. */
static int read_hidden(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	int rc;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	rc = read_line(stdin, buf, len);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	return rc;
}

/* The new password for add and passwd, checked against the rules.  0 or exit 1. */
static int read_password(char *pw, size_t len)
{
	const char *why;
	int rc;

	if (isatty(STDIN_FILENO)) {
		char again[PASSWORD_MAX_BYTES + 2];
		rc = read_hidden("Password: ", pw, len);
		if (rc == 0)
			rc = read_hidden("Again: ", again, sizeof(again));
		if (rc == 0 && strcmp(pw, again) != 0) {
			sodium_memzero(again, sizeof(again));
			return fail("the passwords do not match");
		}
		sodium_memzero(again, sizeof(again));
	} else {
		rc = read_line(stdin, pw, len);
	}
	if (rc == -2)
		return fail("that password is too long (at most %d bytes)", PASSWORD_MAX_BYTES);
	if (rc != 0 || pw[0] == '\0')
		return fail("no password given: write it on stdin, one line");
	if (!password_acceptable(pw, &why))
		return fail("%s", why);
	return 0;
}

static int hash_password(const char *pw, const struct args *a, char out[PASSWORD_HASH_MAX])
{
	if (password_hash(pw, a->lim, out) != 0)
		return fail("cannot hash the password (out of memory?)");
	return 0;
}

static bool parse_level(const char *text, int *level)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < 0 || v > USERCLI_MAX_LEVEL)
		return false;
	*level = (int)v;
	return true;
}

/* A location: fits the column, valid UTF-8, no control characters. */
static bool location_ok(const char *loc)
{
	uint32_t state = UTF8_ACCEPT, cp = 0;
	size_t len = strlen(loc);

	if (len >= STORE_LOCATION_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		uint32_t s = utf8_step(&state, &cp, (uint8_t)loc[i]);
		if (s == UTF8_REJECT)
			return false;
		if (s == UTF8_ACCEPT && (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)))
			return false;
	}
	return state == UTF8_ACCEPT;
}

/* Look a handle up; 0 with *u, or exit 1 with the reason. */
static int find_user(struct store *st, const char *handle, struct store_user *u)
{
	int rc = store_user_get(st, handle, u);
	if (rc == STORE_NOT_FOUND)
		return fail("no user named '%s'", handle);
	if (rc != STORE_OK)
		return fail("database error: %s", store_errmsg(st));
	return 0;
}

/* ---- commands ----------------------------------------------------------------------- */

static int cmd_add(struct store *st, const struct args *a)
{
	const char *handle = a->pos[0], *why;
	const char *location = a->location ? a->location : "";
	char pw[PASSWORD_MAX_BYTES + 2], hash[PASSWORD_HASH_MAX];
	struct store_user u;
	int level = USERCLI_DEFAULT_LEVEL;
	int64_t id;
	int ret = 1;

	if (!handle_valid(handle, &why))
		return fail("'%s' cannot be a handle: %s", handle, why);
	if (a->level != NULL && !parse_level(a->level, &level))
		return fail("--level: expected a number from 0 to %d, got '%s'", USERCLI_MAX_LEVEL,
		            a->level);
	if (!location_ok(location))
		return fail("--location: at most %d bytes of text, no control characters",
		            STORE_LOCATION_MAX - 1);
	/* Refuse a taken handle before asking for a password. */
	int rc = store_user_get(st, handle, &u);
	if (rc == STORE_OK)
		return fail("the handle '%s' is taken (by '%s')", handle, u.handle);
	if (rc != STORE_NOT_FOUND)
		return fail("database error: %s", store_errmsg(st));

	if (read_password(pw, sizeof(pw)) != 0 || hash_password(pw, a, hash) != 0)
		goto out;
	rc = store_user_create(st, handle, hash, location, level, (int64_t)time(NULL), &id);
	if (rc == STORE_EXISTS) {
		fail("the handle '%s' is taken", handle);
		goto out;
	}
	if (rc != STORE_OK) {
		fail("database error: %s", store_errmsg(st));
		goto out;
	}
	printf("added %s (id %lld, level %d)\n", handle, (long long)id, level);
	ret = 0;
out:
	sodium_memzero(pw, sizeof(pw));
	return ret;
}

static void print_user(void *ud, const struct store_user *u)
{
	char when[32] = "never";
	(void)ud;

	if (u->last_on != 0) {
		time_t t = (time_t)u->last_on;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%MZ", &tm);
	}
	printf("%5lld  %-20s %5d %6lld  %-17s  %s\n", (long long)u->id, u->handle, u->level,
	       (long long)u->calls, when, u->location);
}

static int cmd_list(struct store *st, const struct args *a)
{
	(void)a;
	printf("%5s  %-20s %5s %6s  %-17s  %s\n", "ID", "HANDLE", "LEVEL", "CALLS", "LAST ON",
	       "LOCATION");
	if (store_user_list(st, print_user, NULL) != STORE_OK)
		return fail("database error: %s", store_errmsg(st));
	return 0;
}

static int cmd_passwd(struct store *st, const struct args *a)
{
	char pw[PASSWORD_MAX_BYTES + 2], hash[PASSWORD_HASH_MAX];
	struct store_user u;
	int ret = 1;

	if (find_user(st, a->pos[0], &u) != 0)
		return 1;
	if (read_password(pw, sizeof(pw)) != 0 || hash_password(pw, a, hash) != 0)
		goto out;
	/* A new password signs the user out everywhere. */
	if (store_user_set_password(st, u.id, hash) != STORE_OK ||
	    store_token_revoke_user(st, u.id) != STORE_OK) {
		fail("database error: %s", store_errmsg(st));
		goto out;
	}
	printf("password changed for %s\n", u.handle);
	ret = 0;
out:
	sodium_memzero(pw, sizeof(pw));
	return ret;
}

/* Who is at the shell, for the audit log: "shell:USER". */
static void shell_actor(char *out, size_t cap)
{
	struct passwd pw, *found = NULL;
	char buf[1024];
	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &found) == 0 && found != NULL)
		snprintf(out, cap, "shell:%.40s", found->pw_name);
	else
		snprintf(out, cap, "shell:uid%u", (unsigned)getuid());
}

static int cmd_level(struct store *st, const struct args *a)
{
	struct store_user u;
	int level;

	if (!parse_level(a->pos[1], &level))
		return fail("level: expected a number from 0 to %d, got '%s'", USERCLI_MAX_LEVEL,
		            a->pos[1]);
	if (find_user(st, a->pos[0], &u) != 0)
		return 1;
	if (store_user_set_level(st, u.id, level) != STORE_OK)
		return fail("database error: %s", store_errmsg(st));
	char actor[64], detail[32];
	shell_actor(actor, sizeof(actor));
	snprintf(detail, sizeof(detail), "%d -> %d", u.level, level);
	mod_audit(st, actor, "level", u.handle, detail, "");
	printf("%s is now level %d (was %d)\n", u.handle, level, u.level);
	return 0;
}

static int cmd_delete(struct store *st, const struct args *a)
{
	struct store_user u;

	if (find_user(st, a->pos[0], &u) != 0)
		return 1;
	if (store_user_delete(st, u.id) != STORE_OK)
		return fail("database error: %s", store_errmsg(st));
	char actor[64];
	shell_actor(actor, sizeof(actor));
	mod_audit(st, actor, "delete", u.handle, "", "");
	printf("deleted %s\n", u.handle);
	return 0;
}

static const struct command commands[] = {
	{ "add", cmd_add, 1, true, "add HANDLE [--level N] [--location TEXT]  (password on stdin)" },
	{ "list", cmd_list, 0, false, "list" },
	{ "passwd", cmd_passwd, 1, false, "passwd HANDLE  (password on stdin)" },
	{ "level", cmd_level, 2, false, "level HANDLE N" },
	{ "delete", cmd_delete, 1, false, "delete HANDLE" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fputs("usage: carrier [--db PATH] user COMMAND\n", out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %s\n", commands[i].usage);
}

/* If arg is --name or --name=value, what follows the name ("" or "=value"). */
static const char *match_option(const char *arg, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '='))
		return arg + n;
	return NULL;
}

/* Split argv[2..] into positionals and --level/--location (also as --opt=value). */
static int parse_args(const struct command *c, int argc, char **argv, struct args *a)
{
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i], **slot = NULL, *rest;

		if (strcmp(arg, "--") == 0) {
			for (i++; i < argc; i++) {
				if (a->npos == MAX_POS)
					return fail("%s: too many arguments", c->name);
				a->pos[a->npos++] = argv[i];
			}
			break;
		}
		if ((rest = match_option(arg, "--level")) != NULL)
			slot = &a->level;
		else if ((rest = match_option(arg, "--location")) != NULL)
			slot = &a->location;
		if (slot != NULL) {
			if (!c->options)
				return fail("%s: unknown option '%s'", c->name, arg);
			if (*rest == '=')
				*slot = rest + 1;
			else if (i + 1 < argc)
				*slot = argv[++i];
			else
				return fail("%s: %s needs a value", c->name, arg);
			continue;
		}
		if (arg[0] == '-' && arg[1] == '-')
			return fail("%s: unknown option '%s'", c->name, arg);
		if (a->npos == MAX_POS)
			return fail("%s: too many arguments", c->name);
		a->pos[a->npos++] = arg;
	}
	if (a->npos != c->npos) {
		fail("%s: expected %d argument%s", c->name, c->npos, c->npos == 1 ? "" : "s");
		fprintf(stderr, "usage: carrier user %s\n", c->usage);
		return 1;
	}
	return 0;
}

int usercli_main(int argc, char **argv, const char *db_path, struct password_limits lim)
{
	const struct command *c = NULL;
	struct args a = { .npos = 0, .lim = lim };
	char err[512];

	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			c = &commands[i];
	if (c == NULL) {
		fail("unknown command '%s'", argv[1]);
		usage(stderr);
		return 1;
	}
	if (parse_args(c, argc, argv, &a) != 0)
		return 1;

	log_set_level(LOG_WARN);    /* "schema version 1" is not news to a sysop */
	struct store *st = store_open(db_path, err, sizeof(err));
	if (st == NULL)
		return fail("%s", err);
	int ret = c->run(st, &a);
	store_close(st);
	if (fflush(stdout) != 0)
		ret = fail("writing the output: %s", strerror(errno));
	return ret;
}
