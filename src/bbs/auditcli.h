/* `carrier audit [--since WHEN] [--handle HANDLE]`: the audit log (what sysops and
 * moderators did, from the chat, the control line or the shell), oldest first, one
 * row a line: when (UTC), who, what, to whom, the particulars, why.
 *
 * WHEN is a date "2026-12-01", a time "2026-12-01 18:30" (UTC), or a length of
 * time back from now ("2h", "7d").  HANDLE keeps the rows it did or had done to
 * it.  Exit status 0, or 1 with a message on stderr. */
#ifndef CARRIER_BBS_AUDITCLI_H
#define CARRIER_BBS_AUDITCLI_H

/* argv[0] is "audit"; argv is only read.  Returns the exit status. */
int auditcli_main(int argc, char **argv, const char *db_path);

#endif
