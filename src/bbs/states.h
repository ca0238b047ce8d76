/* The session states, each in the file named beside it. */
#ifndef CARRIER_BBS_STATES_H
#define CARRIER_BBS_STATES_H

#include "bbs/session.h"

/* login.c: the connection ceremony, the handle and password prompts, resuming
 * with a token, the offer to disconnect an older node, line busy. */
extern const struct session_state state_login;
extern const struct session_state state_line_busy;
/* register.c: a new caller's handle, password (twice), location. */
extern const struct session_state state_register;
/* menu.c: the Wildcat-style menus, their hotkeys, submenus. */
extern const struct session_state state_menu;
/* commands.c: what menu items run (who, last callers, user lookup, logoff...). */
extern const struct session_state state_pause;
/* chat.c: in a chat room, reading lines and running the chat commands. */
extern const struct session_state state_chat;

/* From the menu into the default chat room (or "the room is full", then back to
 * the menu). */
void bbs_chat_enter(struct session *s);
/* A session has logged in: its chat member gets the caller's settings (ignore
 * list, bell, quiet) as read with the account (x may be NULL: none). */
void bbs_chat_login(struct session *s, const struct login_extras *x);
/* The caller was kicked out of its room (the chat engine's sink op evicted): back
 * to the menu with a notice. */
struct chat_event;
void bbs_chat_evicted(struct session *s, const struct chat_event *ev);
/* Lines for a caller in the chat alone, into its output in its layout (above the
 * half-typed input line, or into the split screen's conversation). */
void bbs_chat_show(struct session *s, const uint8_t *term, size_t len);
/* What who's online shows for a caller in the chat: "Chat: Lobby", "Chat
 * (private)", with " (away)"; written to buf. */
const char *bbs_chat_doing(struct session *s, char *buf, size_t cap);
/* menu command "telegrams": read the telegrams left for the caller. */
void bbs_telegrams_read(struct session *s);
/* After login: "You have N new telegrams" with a bell, as part of the greeting. */
void bbs_telegrams_announce(struct session *s, int64_t n, char *notice, size_t cap);

/* Go to the main menu (after login), or back to the current menu. */
void menu_enter_main(struct session *s);
void menu_return(struct session *s);
/* The menus were reloaded while the caller sat at one (its stack already moved to
 * the new ones): what it is doing names the new menu, and if they changed the
 * caller is shown the new one at once. */
void menu_reloaded(struct session *s, bool changed);
/* Run the named menu command; false if no such command exists. */
bool bbs_command_run(struct session *s, const char *name);
/* True if the BBS implements the command (config validation's counterpart). */
bool bbs_command_exists(const char *name);
/* Sign off: goodbye screen, token revoked, hang up. */
void bbs_logoff(struct session *s);
/* Show text then "press any key", then return to the menu. */
void bbs_pause_then_menu(struct session *s);

/* The session of user id online, other than except; NULL if none. */
struct session *bbs_find_user(struct bbs *bbs, int64_t user_id, const struct session *except);

#endif
