/* Logging: one line per event on stderr, with a level and key=value fields that
 * stay greppable:
 *
 *   2026-11-25T17:40:12.123Z INFO event=login conn=12 node=3 handle=Ada
 *
 * Under systemd, when stderr is the journal ($JOURNAL_STREAM names it), journald
 * adds the time: the line starts with the syslog priority instead ("<6>INFO
 * event=login ..."), which journald turns into the entry's priority.
 *
 * The message is the fields.  It starts with event=NAME (tests/static/test_logs.py
 * holds every call site to that), then key=value pairs, the keys lower-case words.
 * A value that may hold spaces, quotes, '=' or anything from the outside world (a
 * handle someone typed, a file name, an error message) goes through LOG_Q, which
 * writes it bare when it is safe and quoted (with \" \\ and \xNN escapes) when not:
 *
 *   log_info("event=login_failed node=%u handle=%s", node, LOG_Q(typed));
 *
 * Logging is for the loop thread and the thread pool alike: a line is one write. */
#ifndef CARRIER_UTIL_LOG_H
#define CARRIER_UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "debug", "info", "warn" or "error" into *level; false for anything else. */
bool log_level_parse(const char *name, enum log_level *level);
const char *log_level_name(enum log_level level);       /* "info" */

/* Decide once whether stderr is the journal (done by the first line otherwise);
 * true if it is.  Tests force it with journal = 0 or 1; -1 looks. */
bool log_init(int journal);

__attribute__((format(printf, 2, 3)))
void log_msg(enum log_level level, const char *fmt, ...);

/* The line log_msg would write for this message, without the time stamp or
 * priority prefix ("INFO event=..."), into out (truncated to len).  For tests. */
void log_format_line(char *out, size_t len, enum log_level level, const char *msg);

/* s as a field value, in out[0..len): bare if it is non-empty printable ASCII
 * without '"', '=', '\\' or spaces; else quoted, with '"' and '\\' escaped,
 * control characters and bytes that are not valid UTF-8 as \xNN, and cut with
 * "..." when it does not fit.  NULL is "".  Returns out. */
const char *log_quote(char *out, size_t len, const char *s);

#define LOG_Q_MAX 192
/* A quoted value living until the end of the enclosing statement's block. */
#define LOG_Q(s) log_quote((char[LOG_Q_MAX]){ 0 }, LOG_Q_MAX, (s))

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
