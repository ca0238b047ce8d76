/* `carrier user ...`: the sysop's account commands, against the same database the
 * server uses (SQLite WAL lets both work at once).
 *
 *   carrier [--db PATH] user add HANDLE [--level N] [--location TEXT]
 *   carrier [--db PATH] user list
 *   carrier [--db PATH] user passwd HANDLE
 *   carrier [--db PATH] user level HANDLE N
 *   carrier [--db PATH] user delete HANDLE
 *
 * add and passwd read the password from stdin: one line, or, on a terminal, typed
 * twice without echo.  Exit status 0 on success, 1 with a message on stderr. */
#ifndef CARRIER_BBS_USERCLI_H
#define CARRIER_BBS_USERCLI_H

#define USERCLI_DEFAULT_LEVEL 10
#define USERCLI_MAX_LEVEL 255

/* argv[0] is "user" (or any name), argv[1] the command, then its arguments; argv is
 * only read.  Returns the process exit status. */
struct password_limits;
/* lim: the Argon2id cost for new hashes (the config's password_ops/_mem). */
int usercli_main(int argc, char **argv, const char *db_path, struct password_limits lim);

#endif
