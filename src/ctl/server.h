/* The control line, server side: a Unix domain socket (mode 0600, the server's user)
 * through which the machine's sysop drives the running BBS with `carrier ctl`.
 * One request line, one reply, then the connection is closed (ctl/proto.h,
 * docs/control.md).
 *
 * The server never waits on a control client: a request is read into a bounded
 * buffer (CTL_LINE_MAX; a longer line is answered with an error and closed), a
 * client has CTL_TIMEOUT_MS from connecting to be answered and gone, at most
 * CTL_CLIENTS_MAX are served at once (more are told the line is busy), and only
 * the server's own user (or root) is served, whatever the file's mode.
 *
 * Start-up: a socket file left by a server that died is replaced; one another
 * server still answers on is not (ctl_server_new fails, saying so); a path that
 * exists and is not a socket is never touched.  Used only on the loop thread. */
#ifndef CARRIER_CTL_SERVER_H
#define CARRIER_CTL_SERVER_H

#include <stddef.h>
#include <uv.h>

#include "bbs/bbs.h"

#define CTL_TIMEOUT_MS 5000
#define CTL_CLIENTS_MAX 8

struct ctl_server;

/* Listen at path.  NULL with a reason in err if it cannot (another server is
 * running, the path is taken or too long, no permission). */
struct ctl_server *ctl_server_new(uv_loop_t *loop, struct bbs *bbs, const char *path,
                                  char *err, size_t errlen);
/* The reload verb (what SIGHUP does): fn reads the settings again and returns 0, or
 * -1 with why (one or more lines, no final line end) appended to why.  Until set,
 * "reload" answers that it cannot. */
struct sbuf;
typedef int (*ctl_reload_fn)(void *ud, struct sbuf *why);
void ctl_server_on_reload(struct ctl_server *cs, ctl_reload_fn fn, void *ud);
/* The connections' counters `stats` reports (borrowed; NULL: not shown). */
struct net_stats;
void ctl_server_set_net_stats(struct ctl_server *cs, const struct net_stats *net);
/* Stop listening and close every client (the loop must run for their handles to
 * close).  Idempotent. */
void ctl_server_close(struct ctl_server *cs);
/* After the loop has run out: remove the socket file and free.  NULL is a no-op. */
void ctl_server_free(struct ctl_server *cs);

#endif
