/* Actions (socials): verbs a caller acts out in the chat, alone or aimed at someone
 * in the room: /smile gives "* Ada smiles.", /smile Bob "* Ada smiles at Bob.".
 * The table is data, read at start from a TOML file (art/actions.toml):
 *
 *   [[action]]
 *   verb = "smile"                 # 1-20 lower-case letters
 *   alone = "smiles."              # what follows the handle
 *   aimed = "smiles at {target}."  # {target} once: the handle aimed at
 *
 * A verb that is also a chat command is shadowed by the command. */
#ifndef CARRIER_BBS_ACTIONS_H
#define CARRIER_BBS_ACTIONS_H

#include <stddef.h>

#include "util/sbuf.h"

#define ACTION_VERB_MAX 21           /* with the NUL */
#define ACTION_TEXT_MAX 121
#define ACTIONS_MAX 200

struct action {
	char verb[ACTION_VERB_MAX];
	char alone[ACTION_TEXT_MAX];
	char aimed[ACTION_TEXT_MAX];
};

struct actions {
	struct action *v;                 /* sorted by verb */
	size_t n;
};

/* Read path into *out (empty first).  0 on success; 1 if there is no such file
 * (*out stays empty); -1 if it is malformed: err gets "path:line:column: reason".
 * On failure *out holds nothing. */
int actions_load(const char *path, struct actions *out, char *err, size_t errlen);
/* The same on text[0..len); path names it in messages. */
int actions_load_text(const char *text, size_t len, const char *path, struct actions *out,
                      char *err, size_t errlen);
void actions_free(struct actions *a);

/* The action with this verb (ASCII case-insensitive), or NULL. */
const struct action *actions_find(const struct actions *a, const char *verb, size_t len);

/* What follows the actor's handle: the alone form (target NULL) or the aimed one
 * with target put in; appended to out. */
void action_text(const struct action *a, const char *target, struct sbuf *out);

#endif
