/* `carrier ctl VERB [ARGS...]`: the shell's side of the control line.  The words are
 * joined into one request line (ctl/proto.h), sent to the running server's control
 * socket, and the reply printed: the body on stdout (exit 0), or "carrier ctl:
 * MESSAGE" on stderr (exit 1), which is also what a server that is not running
 * gives.  Control characters in a reply are printed as '?'. */
#ifndef CARRIER_CTL_CLIENT_H
#define CARRIER_CTL_CLIENT_H

/* argv[0] is "ctl"; path is the control socket's.  Returns the exit status. */
int ctl_client_main(int argc, char **argv, const char *path);

#endif
