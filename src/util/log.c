#include "util/log.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/utf8.h"

static enum log_level min_level = LOG_INFO;
static int to_journal = -1;          /* -1: not decided yet */

static const char *const level_words[] = { "DEBUG", "INFO", "WARN", "ERROR" };
static const char *const level_names[] = { "debug", "info", "warn", "error" };
/* syslog priorities, as sd-daemon.h's SD_DEBUG ... SD_ERR */
static const char *const level_prio[] = { "<7>", "<6>", "<4>", "<3>" };

void log_set_level(enum log_level level)
{
	min_level = level;
}

enum log_level log_get_level(void)
{
	return min_level;
}

bool log_level_parse(const char *name, enum log_level *level)
{
	for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum log_level)i;
			return true;
		}
	}
	return false;
}

const char *log_level_name(enum log_level level)
{
	return level_names[level];
}

/* systemd sets JOURNAL_STREAM=DEV:INODE for a service whose stderr is the
 * journal; the child of a shell of that service inherits the variable but not
 * (necessarily) the stream, hence the comparison. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

bool log_init(int journal)
{
	to_journal = journal >= 0 ? journal != 0 : stderr_is_journal();
	return to_journal;
}

void log_format_line(char *out, size_t len, enum log_level level, const char *msg)
{
	snprintf(out, len, "%s %s", level_words[level], msg);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level < min_level)
		return;
	if (to_journal < 0)
		log_init(-1);

	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	char line[1100];
	int n;
	if (to_journal) {
		n = snprintf(line, sizeof(line), "%s%s %s\n", level_prio[level], level_words[level],
		             msg);
	} else {
		struct timespec ts;
		struct tm tm;
		char stamp[32];
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(line, sizeof(line), "%s.%03ldZ %s %s\n", stamp, ts.tv_nsec / 1000000L,
		             level_words[level], msg);
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* One write per line, so lines from the thread pool never interleave. */
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}

static bool bare_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '=' && c != '\\';
}

const char *log_quote(char *out, size_t len, const char *s)
{
	if (len == 0)
		return out;
	out[0] = '\0';
	if (s == NULL)
		s = "";
	size_t slen = strlen(s);
	bool bare = slen > 0;
	for (size_t i = 0; i < slen && bare; i++)
		bare = bare_ok((unsigned char)s[i]);
	if (bare && slen < len) {
		memcpy(out, s, slen + 1);
		return out;
	}
	if (len < 6) {                   /* no room for even "..." in quotes */
		return out;
	}
	/* Quoted: room is kept for the closing quote, "..." and the NUL. */
	size_t o = 0, limit = len - 5;
	out[o++] = '"';
	size_t i = 0;
	bool cut = false;
	while (i < slen) {
		unsigned char c = (unsigned char)s[i];
		char piece[8];
		size_t plen = 0, used = 1;
		if (c == '"' || c == '\\') {
			piece[0] = '\\';
			piece[1] = (char)c;
			plen = 2;
		} else if (c >= 0x20 && c < 0x7f) {
			piece[0] = (char)c;
			plen = 1;
		} else if (c >= 0x80) {
			/* A whole valid UTF-8 sequence (not a C1 control) is kept as is. */
			uint32_t state = UTF8_ACCEPT, cp = 0;
			size_t j = i;
			while (j < slen && j - i < 4) {
				state = utf8_step(&state, &cp, (uint8_t)s[j++]);
				if (state == UTF8_ACCEPT || state == UTF8_REJECT)
					break;
			}
			if (state == UTF8_ACCEPT && cp >= 0xA0) {
				plen = j - i;
				memcpy(piece, s + i, plen);
				used = plen;
			}
		}
		if (plen == 0) {
			snprintf(piece, sizeof(piece), "\\x%02x", c);
			plen = 4;
		}
		if (o + plen > limit) {
			cut = true;
			break;
		}
		memcpy(out + o, piece, plen);
		o += plen;
		i += used;
	}
	if (cut) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
