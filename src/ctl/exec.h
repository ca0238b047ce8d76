/* The control line's verbs, run against the BBS as the machine's sysop: who's on,
 * the counters, and the moderation of bbs/moderate.h. */
#ifndef CARRIER_CTL_EXEC_H
#define CARRIER_CTL_EXEC_H

#include <stdbool.h>

#include "bbs/bbs.h"
#include "ctl/proto.h"
#include "net/stats.h"
#include "util/sbuf.h"

/* Run req for actor (the audit log's name for the machine's user: "ctl:root").
 * net is the connections' counters for `stats` (NULL: not shown).  True with the
 * reply's body (lines ending in LF, possibly none) appended to out; false with one
 * line saying why (no line end). */
bool ctl_execute(struct bbs *bbs, const struct ctl_request *req, const char *actor,
                 const struct net_stats *net, struct sbuf *out);

#endif
