/* Telegrams: messages left for a caller who was not online (from the chat, /telegram
 * or a /msg or /page offered as one).  At login the caller is told how many are
 * new, with a bell; the menu command "telegrams" shows them, oldest first, marks them
 * read and offers to delete the read ones. */
#include <stdio.h>
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

void bbs_telegrams_announce(struct session *s, char *notice, size_t cap)
{
	int64_t n = store_telegram_count(bbs_store(session_bbs(s)), session_user(s)->id, true);
	if (n <= 0)
		return;
	size_t len = strlen(notice);
	snprintf(notice + len, cap - len, "%sYou have %lld new telegram%s: press T to read %s.",
	         len ? "\n" : "", (long long)n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
	sbuf_putc(session_out(s), '\a');
}

struct shown {
	struct sbuf *out;
	int64_t last_id;
	unsigned n;
};

static void show_one(void *ud, const struct store_telegram *t)
{
	struct shown *sh = ud;
	if (sh->n++ >= TELEGRAMS_SHOWN)
		return;
	char when[32] = "?";
	time_t at = (time_t)t->sent;
	struct tm tm;
	if (localtime_r(&at, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	ansi_fg(sh->out, t->read ? ANSI_WHITE : ANSI_BRIGHT_WHITE);
	sbuf_puts(sh->out, "\r\n From ");
	chat_sanitize_append(sh->out, t->sender, strlen(t->sender), 32);
	sbuf_printf(sh->out, ", %s%s", when, t->read ? "" : "  (new)");
	ansi_reset(sh->out);
	sbuf_puts(sh->out, "\r\n   ");
	ansi_fg(sh->out, ANSI_BRIGHT_GREEN);
	chat_sanitize_append(sh->out, t->text, strlen(t->text), SIZE_MAX);
	ansi_reset(sh->out);
	sbuf_puts(sh->out, "\r\n");
	sh->last_id = t->id;
}

/* ---- "delete the ones you have read?" ---- */

static size_t delete_input(struct session *s, const uint8_t *data, size_t len)
{
	struct key k;
	size_t used = 0;
	if (!le_hotkey(session_editor(s), data, len, &used, &k) || k.type != KEY_CHAR)
		return used;
	struct sbuf *out = session_out(s);
	if (k.cp == 'y' || k.cp == 'Y') {
		int64_t gone = store_telegram_delete_read(bbs_store(session_bbs(s)), session_user(s)->id);
		sbuf_puts(out, "Yes\r\n");
		char text[64];
		snprintf(text, sizeof(text), "%lld telegram%s deleted.", (long long)gone,
		         gone == 1 ? "" : "s");
		screen_notice(out, text);
		bbs_pause_then_menu(s);
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

void bbs_telegrams_read(struct session *s)
{
	struct store *st = bbs_store(session_bbs(s));
	struct sbuf *out = session_out(s);
	int64_t uid = session_user(s)->id;
	struct shown sh = { .out = out };
	ansi_reset(out);
	ansi_clear(out);
	ansi_fg(out, ANSI_BRIGHT_YELLOW);
	sbuf_puts(out, " Telegrams");
	ansi_reset(out);
	sbuf_puts(out, "\r\n");
	store_telegram_list(st, uid, show_one, &sh);
	if (sh.n == 0) {
		screen_notice(out, "No telegrams. Nobody has left you one.");
		bbs_pause_then_menu(s);
		return;
	}
	if (sh.n > TELEGRAMS_SHOWN) {
		char more[80];
		snprintf(more, sizeof(more), "... and %u more after these.", sh.n - TELEGRAMS_SHOWN);
		screen_notice(out, more);
	}
	store_telegram_mark_read(st, uid, sh.last_id);
	sbuf_puts(out, "\r\n");
	ansi_fg(out, ANSI_BRIGHT_WHITE);
	sbuf_puts(out, " Delete the telegrams you have read? (Y/N) ");
	ansi_reset(out);
	session_set_state(s, &state_telegram_delete);
}
