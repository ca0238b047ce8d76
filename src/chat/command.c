#include "chat/command.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "chat/event.h"
#include "util/xalloc.h"

static const char *const help_aliases[] = { "?", NULL };
static const char *const quit_aliases[] = { "q", NULL };
static const char *const reply_aliases[] = { "reply", NULL };

static const char *const ignore_aliases[] = { "squelch", NULL };

#define TALK "Talking"
#define ROOMS "Rooms"
#define YOU "You"
#define HELP "Help"
#define MOD "Moderation"
#define SYSOP "SysOp"

const struct chat_command chat_commands[] = {
	{ .id = CHAT_CMD_ME, .name = "me", .min_args = 1, .max_args = 1, .group = TALK,
	  .usage = "/me <action>", .help = "Act it out: * Handle waves" },
	{ .id = CHAT_CMD_MSG, .name = "msg", .min_args = 2, .max_args = 2, .group = TALK,
	  .usage = "/msg <handle> <text>",
	  .help = "Private message, seen by the two of you only" },
	{ .id = CHAT_CMD_REPLY, .name = "r", .aliases = reply_aliases, .group = TALK,
	  .min_args = 1, .max_args = 1, .usage = "/r <text>",
	  .help = "Reply to your last private message" },
	{ .id = CHAT_CMD_PAGE, .name = "page", .min_args = 1, .max_args = 2, .group = TALK,
	  .usage = "/page <handle> [text]",
	  .help = "Ring a caller's bell, anywhere on the board" },
	{ .id = CHAT_CMD_TELEGRAM, .name = "telegram", .min_args = 2, .max_args = 2,
	  .group = TALK, .usage = "/telegram <handle> <text>",
	  .help = "Leave a message for a caller to read next call" },
	{ .id = CHAT_CMD_ACTIONS, .name = "actions", .group = TALK, .usage = "/actions",
	  .help = "The actions: /smile, /smile <handle>..." },
	{ .id = CHAT_CMD_JOIN, .name = "join", .min_args = 1, .max_args = 1, .group = ROOMS,
	  .usage = "/join <room>", .help = "Go to a room (a new name opens a room of yours)" },
	{ .id = CHAT_CMD_LIST, .name = "list", .group = ROOMS, .usage = "/list",
	  .help = "The rooms, their topics, who is in each" },
	{ .id = CHAT_CMD_WHO, .name = "who", .group = ROOMS, .usage = "/who",
	  .help = "Who is in this room" },
	{ .id = CHAT_CMD_WHERE, .name = "where", .min_args = 1, .max_args = 1, .group = ROOMS,
	  .usage = "/where <handle>", .help = "Which room a caller is in" },
	{ .id = CHAT_CMD_TOPIC, .name = "topic", .max_args = 1, .group = ROOMS,
	  .usage = "/topic [text]", .help = "Set this room's topic (its owner; none clears)" },
	{ .id = CHAT_CMD_PRIVATE, .name = "private", .group = ROOMS, .usage = "/private",
	  .help = "Make your room invitation-only (again: open it)" },
	{ .id = CHAT_CMD_INVITE, .name = "invite", .min_args = 1, .max_args = 1, .group = ROOMS,
	  .usage = "/invite <handle>", .help = "Invite a caller into your room" },
	{ .id = CHAT_CMD_UNINVITE, .name = "uninvite", .min_args = 1, .max_args = 1,
	  .group = ROOMS, .usage = "/uninvite <handle>", .help = "Take an invitation back" },
	{ .id = CHAT_CMD_IGNORE, .name = "ignore", .aliases = ignore_aliases, .max_args = 1,
	  .group = YOU, .usage = "/ignore [handle]",
	  .help = "Hear nothing from a caller (none: your list)" },
	{ .id = CHAT_CMD_UNIGNORE, .name = "unignore", .min_args = 1, .max_args = 1,
	  .group = YOU, .usage = "/unignore <handle>", .help = "Hear a caller again" },
	{ .id = CHAT_CMD_AWAY, .name = "away", .max_args = 1, .group = YOU,
	  .usage = "/away [message]", .help = "Mark yourself away (typing a line ends it)" },
	{ .id = CHAT_CMD_BACK, .name = "back", .group = YOU, .usage = "/back",
	  .help = "You are back" },
	{ .id = CHAT_CMD_BELL, .name = "bell", .min_args = 1, .max_args = 1, .group = YOU,
	  .usage = "/bell on|off|page", .help = "What rings: messages and pages, nothing, pages" },
	{ .id = CHAT_CMD_QUIET, .name = "quiet", .group = YOU, .usage = "/quiet",
	  .help = "Hide joins and leaves (again: show them)" },
	{ .id = CHAT_CMD_HELP, .name = "help", .aliases = help_aliases, .max_args = 1,
	  .group = HELP, .usage = "/help [command]", .help = "This list, or one command" },
	{ .id = CHAT_CMD_QUIT, .name = "quit", .aliases = quit_aliases, .group = HELP,
	  .usage = "/quit", .help = "Leave the chat" },
	{ .id = CHAT_CMD_KICK, .name = "kick", .min_args = 1, .max_args = 2, .group = MOD,
	  .usage = "/kick <handle> [reason]",
	  .help = "Put a caller out of the room for a while (moderators, room owners)" },
	{ .id = CHAT_CMD_MUTE, .name = "mute", .min_args = 1, .max_args = 2, .group = MOD,
	  .usage = "/mute <handle> [minutes] [reason]",
	  .help = "Silence a caller for a while (moderators, room owners)" },
	{ .id = CHAT_CMD_UNMUTE, .name = "unmute", .min_args = 1, .max_args = 1, .group = MOD,
	  .usage = "/unmute <handle>", .help = "Let a muted caller speak again" },
	{ .id = CHAT_CMD_BAN, .name = "ban", .min_args = 1, .max_args = 2, .group = MOD,
	  .usage = "/ban <handle> [30m|2h|7d|forever] [reason]",
	  .help = "Keep an account off the board (sysops; no time: for good)" },
	{ .id = CHAT_CMD_UNBAN, .name = "unban", .min_args = 1, .max_args = 1, .group = MOD,
	  .usage = "/unban <handle>", .help = "Lift a ban (sysops)" },
	{ .id = CHAT_CMD_BROADCAST, .name = "broadcast", .min_args = 1, .max_args = 1,
	  .group = MOD, .usage = "/broadcast <text>",
	  .help = "A line with a bell to every caller on the board (sysops)" },
	{ .id = CHAT_CMD_SYSOP, .name = "sysop", .min_args = 1, .max_args = 1, .group = SYSOP,
	  .usage = "/sysop <text>", .help = "Official announcement to the room",
	  .min_level = CHAT_LEVEL_SYSOP },
};

const size_t chat_commands_count = sizeof chat_commands / sizeof chat_commands[0];

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool name_is(const char *name, const char *s, size_t len)
{
	return strlen(name) == len && strncasecmp(name, s, len) == 0;
}

const struct chat_command *chat_command_find(const struct chat_command *table,
					     size_t n, const char *name, size_t len)
{
	if (len == 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct chat_command *c = &table[i];
		if (name_is(c->name, name, len))
			return c;
		for (const char *const *a = c->aliases; a && *a; a++) {
			if (name_is(*a, name, len))
				return c;
		}
	}
	return NULL;
}

/* Split s[0..len) (trimmed, no leading blank) into at most max words, the last
 * taking the rest; writes NULs into s. */
static int split_args(char *s, size_t len, int max, const char **argv)
{
	int argc = 0;
	size_t i = 0;
	while (i < len && argc < max) {
		while (i < len && is_blank(s[i]))
			i++;
		if (i == len)
			break;
		argv[argc++] = &s[i];
		if (argc == max)
			break;              /* the rest of the line, already trimmed */
		while (i < len && !is_blank(s[i]))
			i++;
		if (i < len)
			s[i++] = '\0';
	}
	return argc;
}

void chat_command_parse(const struct chat_command *table, size_t n,
			const char *line, size_t len, unsigned level,
			struct chat_parse *out)
{
	assert(line != NULL || len == 0);
	memset(out, 0, sizeof *out);
	/* A NUL ends the line: nothing after it could be shown anyway. */
	const char *nul = len ? memchr(line, '\0', len) : NULL;
	if (nul)
		len = (size_t)(nul - line);
	while (len > 0 && is_blank(line[0])) {
		line++;
		len--;
	}
	while (len > 0 && is_blank(line[len - 1]))
		len--;
	if (len == 0) {
		out->status = CHAT_PARSE_EMPTY;
		return;
	}
	if (line[0] != '/' || (len >= 2 && line[1] == '/')) {
		size_t skip = line[0] == '/' ? 1 : 0;
		out->status = CHAT_PARSE_TEXT;
		out->text = line + skip;
		out->text_len = len - skip;
		return;
	}
	size_t nlen = 1;
	while (nlen < len && !is_blank(line[nlen]))
		nlen++;
	const struct chat_command *cmd = chat_command_find(table, n, line + 1, nlen - 1);
	if (cmd == NULL || level < cmd->min_level) {
		out->status = CHAT_PARSE_UNKNOWN;
		return;
	}
	assert(cmd->max_args >= 0 && cmd->max_args <= CHAT_ARGS_MAX);
	assert(cmd->min_args >= 0 && cmd->min_args <= cmd->max_args);
	out->cmd = cmd;
	size_t i = nlen;
	while (i < len && is_blank(line[i]))
		i++;
	if (i < len && cmd->max_args > 0) {
		out->store = xstrndup(line + i, len - i);
		out->args.argc = split_args(out->store, len - i, cmd->max_args,
					    out->args.argv);
	}
	out->status = out->args.argc < cmd->min_args ? CHAT_PARSE_USAGE
						      : CHAT_PARSE_COMMAND;
}

void chat_parse_free(struct chat_parse *out)
{
	free(out->store);
	out->store = NULL;
	out->args.argc = 0;
}
