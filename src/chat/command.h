/* Chat commands as data, and the parser over them.  Pure: no I/O, no state.
 *
 * A command is a row in a table: name, aliases, argument counts, usage, help,
 * minimum level, handler.  chat_command_parse works over any such table; the default
 * table chat_commands[] holds the teleconference's commands with an id and no
 * handlers, so the room code can either switch on cmd->id or copy the rows into a
 * table of its own that fills in handlers and call cmd->handler itself.
 *
 * The line (already sanitized, see chat/sanitize.h) is one of:
 *  - empty or only spaces:  CHAT_PARSE_EMPTY, nothing to do;
 *  - not starting with '/': CHAT_PARSE_TEXT, public text (the trimmed line);
 *  - "//text":              CHAT_PARSE_TEXT "/text" -- the way to say something
 *                           public that starts with a slash;
 *  - "/name args…":         the name (ASCII, case-insensitive) is looked up among
 *    names and aliases.  Unknown names and commands above the caller's level both
 *    give CHAT_PARSE_UNKNOWN, so nobody learns that sysop commands exist.  Arguments
 *    are split at runs of spaces: each argument but the last is one word, the last
 *    (the max_args-th) takes the rest of the line, inner spaces kept.  Fewer than
 *    min_args gives CHAT_PARSE_USAGE (show "Usage: " + cmd->usage).  Text after a
 *    command that takes no arguments ("/who cares") is ignored. */
#ifndef CARRIER_CHAT_COMMAND_H
#define CARRIER_CHAT_COMMAND_H

#include <stddef.h>

#define CHAT_ARGS_MAX 4

#define CHAT_MSG_UNKNOWN "Unknown command. Type /help for available commands."

struct chat_args {
	int argc;
	const char *argv[CHAT_ARGS_MAX];   /* NUL-terminated, non-empty; owned by the
	                                    * chat_parse they belong to */
};

struct chat_command {
	int id;                            /* the table's own identifier (enum chat_cmd) */
	const char *name;                  /* lower case, without '/' */
	const char *const *aliases;        /* NULL-terminated list, or NULL */
	int min_args;
	int max_args;                      /* 0..CHAT_ARGS_MAX; the last takes the rest */
	const char *usage;                 /* "/msg <handle> <text>" */
	const char *help;                  /* one line for /help */
	unsigned min_level;
	const char *group;                 /* /help lists commands under their group */
	void (*handler)(void *ctx, const struct chat_args *args);   /* may be NULL */
};

/* The ids of the default table's rows. */
enum chat_cmd {
	CHAT_CMD_ME = 1,
	CHAT_CMD_MSG,
	CHAT_CMD_REPLY,
	CHAT_CMD_PAGE,
	CHAT_CMD_WHO,
	CHAT_CMD_HELP,
	CHAT_CMD_QUIT,
	CHAT_CMD_SYSOP,
	CHAT_CMD_JOIN,
	CHAT_CMD_LIST,
	CHAT_CMD_TOPIC,
	CHAT_CMD_WHERE,
	CHAT_CMD_PRIVATE,
	CHAT_CMD_INVITE,
	CHAT_CMD_UNINVITE,
	CHAT_CMD_IGNORE,
	CHAT_CMD_UNIGNORE,
	CHAT_CMD_AWAY,
	CHAT_CMD_BACK,
	CHAT_CMD_BELL,
	CHAT_CMD_QUIET,
	CHAT_CMD_ACTIONS,
	CHAT_CMD_TELEGRAM,
	CHAT_CMD_KICK,
	CHAT_CMD_MUTE,
	CHAT_CMD_UNMUTE,
	CHAT_CMD_BAN,
	CHAT_CMD_UNBAN,
	CHAT_CMD_BROADCAST,
};

/* Talking: /me <action>, /msg <handle> <text>, /r <text> (alias /reply), /page
 * <handle> [text], /telegram <handle> <text>, /actions.  Rooms: /join <room>, /list,
 * /who, /where <handle>, /topic [text], /private, /invite <handle>, /uninvite
 * <handle>.  You: /ignore [handle], /unignore <handle>, /away [message], /back, /bell
 * on|off|page, /quiet.  Help: /help [command] (alias /?), /quit (alias /q).
 * Moderation (open to every level: the handler refuses whoever may not): /kick
 * <handle> [reason], /mute <handle> [minutes] [reason], /unmute <handle>, /ban
 * <handle> [time] [reason], /unban <handle>, /broadcast <text>.  SysOp: /sysop
 * <text>.  Handlers are NULL. */
extern const struct chat_command chat_commands[];
extern const size_t chat_commands_count;

enum chat_parse_status {
	CHAT_PARSE_EMPTY,
	CHAT_PARSE_TEXT,       /* text, text_len */
	CHAT_PARSE_COMMAND,    /* cmd, args */
	CHAT_PARSE_UNKNOWN,    /* reply CHAT_MSG_UNKNOWN */
	CHAT_PARSE_USAGE,      /* cmd: reply with its usage line */
};

struct chat_parse {
	enum chat_parse_status status;
	const struct chat_command *cmd;    /* COMMAND, USAGE: a row of the table */
	const char *text;                  /* TEXT: points into the line (borrowed); */
	size_t text_len;                   /* use text_len, text[text_len] may be  */
	                                   /* a trailing space rather than a NUL   */
	struct chat_args args;             /* COMMAND (and USAGE: what was given)  */
	char *store;                       /* owns the argument strings            */
};

/* Parse line[0..len) (need not be NUL-terminated) for a caller at `level`.
 * Always fills *out; release it with chat_parse_free.  out->text points into line,
 * so line must outlive its use; the argument strings are copies owned by *out. */
void chat_command_parse(const struct chat_command *table, size_t n,
			const char *line, size_t len, unsigned level,
			struct chat_parse *out);

/* Frees the argument strings; *out can be reused.  Safe to call twice. */
void chat_parse_free(struct chat_parse *out);

/* Look a name (without '/', ASCII case-insensitive) up among names and aliases,
 * regardless of level.  NULL if not found. */
const struct chat_command *chat_command_find(const struct chat_command *table,
					     size_t n, const char *name, size_t len);

#endif
