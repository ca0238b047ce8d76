/* The control line's verbs, run against the BBS as the machine's sysop: who's on,
 * the counters, and the moderation of bbs/moderate.h. */
#ifndef CARRIER_CTL_EXEC_H
#define CARRIER_CTL_EXEC_H

#include <stdbool.h>

#include "bbs/bbs.h"
#include "ctl/proto.h"
#include "net/stats.h"
#include "util/sbuf.h"

/* The answer to a request: true with the reply's body (lines ending in LF, possibly
 * none); false with one line saying why (no line end).  body is borrowed. */
typedef void (*ctl_done_fn)(void *ud, bool ok, const struct sbuf *body);

/* Run req for actor (the audit log's name for the machine's user: "ctl:root").
 * net is the connections' counters for `stats` (NULL: not shown).  The answer goes
 * to done: before this returns (NULL), or, for a deed whose target is read from
 * the database off the loop (PostgreSQL), later (the job returned, which
 * ctl_cancel drops if nobody waits for the answer any more).  req's strings are
 * copied. */
struct ctl_job;
struct ctl_job *ctl_execute(struct bbs *bbs, const struct ctl_request *req, const char *actor,
                            const struct net_stats *net, ctl_done_fn done, void *ud);
void ctl_cancel(struct ctl_job *job);

#endif
