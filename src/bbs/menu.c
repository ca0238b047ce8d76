/* The menus: Wildcat style, single-key hotkeys with type-ahead, submenus with
 * breadcrumbs (ESC or Backspace goes back up), items above the caller's level
 * hidden, an unknown key answered with a hint. */
#include <stdio.h>
#include <string.h>

#include "bbs/screens.h"
#include "bbs/states.h"
#include "term/ansi.h"
#include "term/lineedit.h"

#define MENU_ITEMS_MAX 64

/* The i-th menu of the caller's stack. */
static const struct config_menu *menu_at(struct session *s, unsigned i)
{
	return &bbs_config(session_bbs(s))->menus[session_menu_nav(s)->stack[i]];
}

static const struct config_menu *current(struct session *s)
{
	struct session_menu_nav *nav = session_menu_nav(s);
	return nav->depth ? menu_at(s, nav->depth - 1u) : NULL;
}

/* Push the menu m (one of the config's) on the stack. */
static void push(struct session *s, const struct config_menu *m)
{
	struct session_menu_nav *nav = session_menu_nav(s);
	nav->stack[nav->depth++] = (uint32_t)(m - bbs_config(session_bbs(s))->menus);
}

/* The items this caller may see, in order. */
static size_t visible(struct session *s, const struct config_menu *m,
                      const struct config_menu_item **out)
{
	size_t n = 0;
	int level = session_user(s)->level;
	for (size_t i = 0; i < m->n_items && n < MENU_ITEMS_MAX; i++)
		if (m->items[i].min_level <= level)
			out[n++] = &m->items[i];
	return n;
}

static void draw(struct session *s)
{
	const struct config_menu *m = current(s);
	const struct config_menu_item *items[MENU_ITEMS_MAX];
	const char *crumbs[SESSION_MENU_DEPTH];
	struct session_menu_nav *nav = session_menu_nav(s);
	const struct config *cfg = bbs_config(session_bbs(s));
	for (unsigned i = 0; i < nav->depth; i++)
		crumbs[i] = menu_at(s, i)->title;
	struct menu_screen view = {
		.bbs_name = cfg->bbs_name,
		.title = m->title,
		.crumbs = crumbs,
		.n_crumbs = nav->depth,
		.items = items,
		.n_items = visible(s, m, items),
		.handle = session_user(s)->handle,
		.node = session_node(s),
		.minutes_on = (unsigned)((session_now(s) - session_user(s)->login_ms) / 60000),
		.cols = session_cols(s),
		.back_hint = nav->depth > 1 ? "ESC goes back" : NULL,
		.notice = session_notice(s),
	};
	screen_menu(session_out(s), &view);
}

static void menu_enter(struct session *s)
{
	session_set_doing(s, current(s)->title);
	draw(s);
}

static void hint(struct session *s, const char *text)
{
	struct sbuf *out = session_out(s);
	sbuf_puts(out, "\r");
	ansi_erase_line(out);
	ansi_fg(out, ANSI_BRIGHT_BLACK);
	sbuf_printf(out, " %s", text);
	ansi_reset(out);
	sbuf_puts(out, "\r\n");
	screen_menu_prompt(out);
}

static void go_back(struct session *s)
{
	struct session_menu_nav *nav = session_menu_nav(s);
	if (nav->depth <= 1) {
		hint(s, "This is the main menu. Press G to log off.");
		return;
	}
	nav->depth--;
	session_set_state(s, &state_menu);
}

static void select_item(struct session *s, const struct config_menu_item *it)
{
	struct sbuf *out = session_out(s);
	ansi_fg(out, ANSI_BRIGHT_WHITE);
	sbuf_puts(out, it->name);
	ansi_reset(out);
	sbuf_puts(out, "\r\n");
	if (it->type == CONFIG_ITEM_SUBMENU) {
		struct session_menu_nav *nav = session_menu_nav(s);
		const struct config_menu *sub = config_menu_find(bbs_config(session_bbs(s)), it->submenu);
		if (sub == NULL || nav->depth >= SESSION_MENU_DEPTH) {
			hint(s, "That menu is not available.");
			return;
		}
		push(s, sub);
		session_set_state(s, &state_menu);
		return;
	}
	if (!bbs_command_run(s, it->command))
		hint(s, "That command is not available.");
}

static size_t menu_input(struct session *s, const uint8_t *data, size_t len)
{
	struct key k;
	size_t used = 0;
	if (!le_hotkey(session_editor(s), data, len, &used, &k)) {
		/* A lone ESC at the end of what arrived is the Escape key: sequences
		 * (arrows) come whole in one read from real terminals. */
		if (used != len || !le_hotkey_flush(session_editor(s), &k))
			return used;
	}
	switch (k.type) {
	case KEY_ESC:
	case KEY_BACKSPACE:
		go_back(s);
		return used;
	case KEY_ENTER:
		draw(s);
		return used;
	case KEY_CHAR:
		break;
	default:
		return used;
	}
	session_set_notice(s, NULL);      /* the greeting has been seen */
	uint32_t cp = k.cp;
	if (cp >= 'a' && cp <= 'z')
		cp -= 'a' - 'A';
	const struct config_menu_item *items[MENU_ITEMS_MAX];
	size_t n = visible(s, current(s), items);
	for (size_t i = 0; i < n; i++) {
		if ((uint32_t)(unsigned char)items[i]->hotkey == cp) {
			select_item(s, items[i]);
			return used;
		}
	}
	char text[96];
	snprintf(text, sizeof(text), "No such choice. Press one of the keys in [brackets]%s.",
	         session_menu_nav(s)->depth > 1 ? ", or ESC to go back" : "");
	hint(s, text);
	return used;
}

static void menu_resize(struct session *s)
{
	draw(s);
}

static void menu_leave(struct session *s)
{
	session_set_notice(s, NULL);
}

const struct session_state state_menu = {
	.activity = SESSION_MENU,
	.name = "Main Menu",
	.enter = menu_enter,
	.input = menu_input,
	.resize = menu_resize,
	.leave = menu_leave,
	.timeout = SESSION_TIMEOUT_IDLE,
};

void menu_enter_main(struct session *s)
{
	const struct config_menu *main_menu = config_menu_find(bbs_config(session_bbs(s)), "main");
	session_menu_nav(s)->depth = 0;
	if (main_menu == NULL) {
		bbs_logoff(s);      /* config validation guarantees a main menu */
		return;
	}
	push(s, main_menu);
	session_set_state(s, &state_menu);
}

void menu_reloaded(struct session *s, bool changed)
{
	if (session_menu_nav(s)->depth == 0) {
		const struct config_menu *main_menu =
			config_menu_find(bbs_config(session_bbs(s)), "main");
		if (main_menu == NULL)
			return;           /* config validation guarantees a main menu */
		push(s, main_menu);
	}
	session_set_doing(s, current(s)->title);
	if (!changed)
		return;
	session_set_notice(s, "The menus have been changed. Here they are again.");
	draw(s);
	session_flush(s);
}

void menu_return(struct session *s)
{
	if (session_menu_nav(s)->depth == 0)
		menu_enter_main(s);
	else
		session_set_state(s, &state_menu);
}
