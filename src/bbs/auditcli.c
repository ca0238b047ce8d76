#include "bbs/auditcli.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "util/duration.h"
#include "util/log.h"

static int usage(FILE *out, int rc)
{
	fprintf(out, "usage: carrier [--db PATH] audit [--since WHEN] [--handle HANDLE]\n"
	             "  WHEN: 2026-12-01, \"2026-12-01 18:30\" (UTC), or 2h, 7d back from now\n");
	return rc;
}

/* WHEN as Unix seconds; false if it is no date, time or length of time. */
static bool parse_since(const char *text, int64_t *out)
{
	int64_t back;
	if (duration_parse(text, false, &back)) {
		*out = (int64_t)time(NULL) - back;
		return true;
	}
	struct tm tm = { 0 };
	const char *end = strptime(text, "%Y-%m-%d", &tm);
	if (end == NULL)
		return false;
	if (*end == ' ' || *end == 'T')
		end = strptime(end + 1, "%H:%M", &tm);
	if (end == NULL || *end != '\0')
		return false;
	*out = (int64_t)timegm(&tm);
	return true;
}

static const char *or_dash(const char *s)
{
	return s[0] ? s : "-";
}

static void print_row(void *ud, const struct store_audit *r)
{
	char when[32];
	time_t t = (time_t)r->at;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	printf("%s  %-16s %-10s %-16s %s  %s\n", when, r->actor, r->action, or_dash(r->target),
	       or_dash(r->detail), or_dash(r->reason));
	(*(unsigned *)ud)++;
}

int auditcli_main(int argc, char **argv, const char *db_path)
{
	int64_t since = 0;
	const char *handle = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "help") == 0)
			return usage(stdout, 0);
		if (i + 1 < argc && strcmp(argv[i], "--since") == 0) {
			if (!parse_since(argv[++i], &since)) {
				fprintf(stderr, "carrier audit: --since: not a date, time or length of "
				                "time: '%s'\n", argv[i]);
				return 1;
			}
		} else if (i + 1 < argc && strcmp(argv[i], "--handle") == 0) {
			handle = argv[++i];
		} else {
			fprintf(stderr, "carrier audit: unexpected argument '%s'\n", argv[i]);
			return usage(stderr, 1);
		}
	}
	char err[512];
	log_set_level(LOG_WARN);
	struct store *st = store_open(db_path, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "carrier audit: %s\n", err);
		return 1;
	}
	unsigned n = 0;
	printf("%-19s  %-16s %-10s %-16s %s  %s\n", "when (UTC)", "who", "what", "whom",
	       "details", "reason");
	int rc = store_audit_list(st, since, handle, print_row, &n);
	store_close(st);
	if (rc != STORE_OK) {
		fprintf(stderr, "carrier audit: database error\n");
		return 1;
	}
	printf("%u row%s\n", n, n == 1 ? "" : "s");
	return 0;
}
