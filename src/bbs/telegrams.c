/* Telegrams: messages left for a caller who was not online (from the chat, /telegram
 * or a /msg or /page offered as one).  At login the caller is told how many are
 * new, with a bell; the menu command "telegrams" shows them, oldest first, marks them
 * read and offers to delete the read ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bbs/screens.h"
#include "bbs/states.h"
#include "chat/sanitize.h"
#include "store/store.h"
#include "term/ansi.h"
#include "term/lineedit.h"
#include "util/log.h"

#define TELEGRAMS_SHOWN 50

void bbs_telegrams_announce(struct session *s, int64_t n, char *notice, size_t cap)
{
	if (n <= 0)
		return;
	size_t len = strlen(notice);
	snprintf(notice + len, cap - len, "%sYou have %lld new telegram%s: press T to read %s.",
	         len ? "\n" : "", (long long)n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
	sbuf_putc(session_out(s), '\a');
}

/* The telegrams read for the screen (the first TELEGRAMS_SHOWN, oldest first),
 * and marked read in the same job. */
struct telegram_row {
	int64_t id;
	int64_t sent;
	bool read;
	char sender[32];
	char text[4 * CHAT_LINE_MAX_CHARS + 1];   /* a chat line at most */
};

struct read_job {
	int64_t uid;
	int rc;
	unsigned n;                      /* all of them, shown or not */
	struct telegram_row rows[TELEGRAMS_SHOWN];
};

static void keep_one(void *ud, const struct store_telegram *t)
{
	struct read_job *j = ud;
	if (j->n < TELEGRAMS_SHOWN) {
		struct telegram_row *r = &j->rows[j->n];
		r->id = t->id;
		r->sent = t->sent;
		r->read = t->read;
		snprintf(r->sender, sizeof(r->sender), "%s", t->sender);
		snprintf(r->text, sizeof(r->text), "%s", t->text);
	}
	j->n++;
}

static void read_work(struct store *st, void *arg)
{
	struct read_job *j = arg;
	j->n = 0;
	j->rc = store_telegram_list(st, j->uid, keep_one, j);
	if (j->rc == STORE_OK && j->n > 0) {
		unsigned shown = j->n < TELEGRAMS_SHOWN ? j->n : TELEGRAMS_SHOWN;
		store_telegram_mark_read(st, j->uid, j->rows[shown - 1].id);
	}
}

static void show_one(struct sbuf *out, const struct telegram_row *t)
{
	char when[32] = "?";
	time_t at = (time_t)t->sent;
	struct tm tm;
	if (localtime_r(&at, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	ansi_fg(out, t->read ? ANSI_WHITE : ANSI_BRIGHT_WHITE);
	sbuf_puts(out, "\r\n From ");
	chat_sanitize_append(out, t->sender, strlen(t->sender), 32);
	sbuf_printf(out, ", %s%s", when, t->read ? "" : "  (new)");
	ansi_reset(out);
	sbuf_puts(out, "\r\n   ");
	ansi_fg(out, ANSI_BRIGHT_GREEN);
	chat_sanitize_append(out, t->text, strlen(t->text), SIZE_MAX);
	ansi_reset(out);
	sbuf_puts(out, "\r\n");
}

/* ---- "delete the ones you have read?" ---- */

struct delete_job {
	int64_t uid;
	int64_t gone;
};

static void delete_work(struct store *st, void *arg)
{
	struct delete_job *j = arg;
	j->gone = store_telegram_delete_read(st, j->uid);
}

static void deleted(struct session *s, void *arg)
{
	struct delete_job *j = arg;
	char text[64];
	if (j->gone < 0)
		snprintf(text, sizeof(text), "The telegrams could not be deleted. Try again later.");
	else
		snprintf(text, sizeof(text), "%lld telegram%s deleted.", (long long)j->gone,
		         j->gone == 1 ? "" : "s");
	screen_notice(session_out(s), text);
	bbs_pause_then_menu(s);
}

static size_t delete_input(struct session *s, const uint8_t *data, size_t len)
{
	struct key k;
	size_t used = 0;
	if (!le_hotkey(session_editor(s), data, len, &used, &k) || k.type != KEY_CHAR)
		return used;
	struct sbuf *out = session_out(s);
	if (k.cp == 'y' || k.cp == 'Y') {
		sbuf_puts(out, "Yes\r\n");
		struct delete_job j = { .uid = session_user(s)->id, .gone = -1 };
		if (!session_db(s, delete_work, deleted, &j, sizeof(j)))
			deleted(s, &j);
	} else if (k.cp == 'n' || k.cp == 'N') {
		sbuf_puts(out, "No\r\n");
		menu_return(s);
	}
	return used;
}

static const struct session_state state_telegram_delete = {
	.name = "Telegrams",
	.input = delete_input,
	.timeout = SESSION_TIMEOUT_IDLE,
};

static void telegrams_read(struct session *s, void *arg)
{
	struct read_job *j = arg;
	struct sbuf *out = session_out(s);
	ansi_reset(out);
	ansi_clear(out);
	ansi_fg(out, ANSI_BRIGHT_YELLOW);
	sbuf_puts(out, " Telegrams");
	ansi_reset(out);
	sbuf_puts(out, "\r\n");
	if (j->rc != STORE_OK) {
		screen_notice(out, "Your telegrams could not be read. Try again later.");
		bbs_pause_then_menu(s);
		return;
	}
	if (j->n == 0) {
		screen_notice(out, "No telegrams. Nobody has left you one.");
		bbs_pause_then_menu(s);
		return;
	}
	for (unsigned i = 0; i < j->n && i < TELEGRAMS_SHOWN; i++)
		show_one(out, &j->rows[i]);
	if (j->n > TELEGRAMS_SHOWN) {
		char more[80];
		snprintf(more, sizeof(more), "... and %u more after these.", j->n - TELEGRAMS_SHOWN);
		screen_notice(out, more);
	}
	sbuf_puts(out, "\r\n");
	ansi_fg(out, ANSI_BRIGHT_WHITE);
	sbuf_puts(out, " Delete the telegrams you have read? (Y/N) ");
	ansi_reset(out);
	session_set_state(s, &state_telegram_delete);
}

void bbs_telegrams_read(struct session *s)
{
	static struct read_job j;     /* copied by session_db; keeps it off the stack */
	memset(&j, 0, sizeof(j));
	j.uid = session_user(s)->id;
	j.rc = STORE_ERROR;
	if (!session_db(s, read_work, telegrams_read, &j, sizeof(j)))
		telegrams_read(s, &j);
}
