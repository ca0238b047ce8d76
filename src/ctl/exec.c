#include "ctl/exec.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bbs/moderate.h"
#include "bbs/session.h"
#include "bbs/states.h"
#include "chat/registry.h"
#include "chat/stats.h"
#include "cluster/cluster.h"
#include "net/conn.h"
#include "store/queue.h"
#include "store/store.h"
#include "util/xalloc.h"

/* A line held by another server of the cluster. */
struct far_who {
	struct sbuf *out;
	unsigned n;
};

static void far_who_line(void *ud, const char *node, const struct cluster_line *l)
{
	struct far_who *fw = ud;
	char where[CLUSTER_FIELD_MAX + CLUSTER_NODE_MAX + 8];
	snprintf(where, sizeof(where), "%s on %s", l->detail, node);
	sbuf_printf(fw->out, "%4u  %-20s %-24s %-8s %s\n", l->line,
	            l->handle[0] ? l->handle : "(logging in)", l->doing, "-", where);
	fw->n++;
}

static void who(struct bbs *bbs, struct sbuf *out)
{
	unsigned n = 0;
	sbuf_printf(out, "%4s  %-20s %-24s %-8s %s\n", "node", "handle", "doing", "on",
	            "address via idle");
	for (unsigned node = 1; node <= bbs_node_slots(bbs); node++) {
		struct session *s = bbs_node_session(bbs, node);
		if (s == NULL)
			continue;
		const struct session_user *u = session_user(s);
		char doing[64], where[128];
		unsigned on = (unsigned)((session_now(s) - session_connected_ms(s)) / 60000);
		char on_text[16];
		snprintf(on_text, sizeof(on_text), "%um", on);
		sbuf_printf(out, "%4u  %-20s %-24s %-8s %s\n", node,
		            u->id ? u->handle : "(logging in)", bbs_chat_doing(s, doing, sizeof(doing)),
		            on_text, session_describe(s, where, sizeof(where)));
		n++;
	}
	struct far_who fw = { out, 0 };
	cluster_each(bbs_cluster(bbs), far_who_line, &fw);
	n += fw.n;
	sbuf_printf(out, "%u of %u nodes in use\n", n, bbs_node_count(bbs));
}

static void stats(struct bbs *bbs, const struct net_stats *net, struct sbuf *out)
{
	unsigned callers = 0, logged_in = 0;
	size_t queued = 0;
	for (unsigned node = 1; node <= bbs_node_slots(bbs); node++) {
		struct session *s = bbs_node_session(bbs, node);
		if (s == NULL)
			continue;
		callers++;
		if (session_logged_in(s))
			logged_in++;
		if (session_conn(s) != NULL)
			queued += conn_queued_bytes(session_conn(s));
	}
	struct chat_registry *reg = bbs_chat(bbs);
	size_t in_rooms = 0;
	for (size_t i = 0; i < chat_registry_count(reg); i++)
		in_rooms += chat_room_count(chat_registry_room_at(reg, i));
	sbuf_printf(out, "nodes %u\n", bbs_node_count(bbs));
	sbuf_printf(out, "callers %u\n", callers);
	sbuf_printf(out, "logged_in %u\n", logged_in);
	sbuf_printf(out, "rooms %zu\n", chat_registry_count(reg));
	sbuf_printf(out, "in_rooms %zu\n", in_rooms);
	sbuf_printf(out, "queued_bytes %zu\n", queued);
	/* Since the start: lines handed to members, shared lines a congested member
	 * did not get, lines refused as a flood; output dropped or hung up on. */
	const struct chat_stats *cs = chat_registry_stats(reg);
	uint64_t delivered = 0;
	for (size_t k = 0; k < CHAT_KIND_COUNT; k++)
		delivered += cs->delivered[k];
	sbuf_printf(out, "deliveries %" PRIu64 "\n", delivered);
	sbuf_printf(out, "missed %" PRIu64 "\n", cs->missed);
	sbuf_printf(out, "flood_refused %" PRIu64 "\n", cs->flood_refused);
	if (net != NULL) {
		sbuf_printf(out, "shared_dropped %" PRIu64 "\n", net->shared_dropped);
		sbuf_printf(out, "output_limit_closed %" PRIu64 "\n", net->output_limit);
	}
	/* The database: its jobs, and logins turned away because it did not answer. */
	const struct store_queue_stats *q = store_queue_stats(bbs_queue(bbs));
	sbuf_printf(out, "db_engine %s\n", store_engine(bbs_store(bbs)));
	sbuf_printf(out, "db_jobs %" PRIu64 "\n", q->jobs);
	sbuf_printf(out, "db_jobs_waiting %" PRIu64 "\n", q->depth);
	sbuf_printf(out, "db_jobs_refused %" PRIu64 "\n", q->refused);
	sbuf_printf(out, "logins_unavailable %" PRIu64 "\n", bbs_stats(bbs)->logins_unavailable);
	/* With [cluster]: this server on the bus, and the lines the others hold. */
	struct cluster *cl = bbs_cluster(bbs);
	if (cl != NULL) {
		struct cluster_stats st;
		cluster_get_stats(cl, &st);
		sbuf_printf(out, "cluster_node %s\n", cluster_node(cl));
		sbuf_printf(out, "cluster_connected %d\n", cluster_connected(cl));
		sbuf_printf(out, "cluster_remote_lines %zu\n", cluster_remote_lines(cl));
		sbuf_printf(out, "cluster_published %" PRIu64 "\n", st.published);
		sbuf_printf(out, "cluster_received %" PRIu64 "\n", st.received);
		sbuf_printf(out, "cluster_dropped %" PRIu64 "\n", cluster_stats_dropped(&st));
		sbuf_printf(out, "cluster_lost_nodes %" PRIu64 "\n", st.lost_nodes);
		sbuf_printf(out, "cluster_reconnects %" PRIu64 "\n", st.connects);
	}
}

struct ctl_job {
	struct bbs *bbs;
	char actor[64];
	ctl_done_fn done;
	void *ud;
	bool cancelled;          /* nobody waits */
	bool returned;           /* ctl_execute has returned it */
	bool finished;           /* answered before it returned */
	struct mod_deed deed;
};

static void answer_text(ctl_done_fn done, void *ud, bool ok, const char *text)
{
	struct sbuf body = SBUF_INIT;
	sbuf_puts(&body, text);
	if (ok)
		sbuf_putc(&body, '\n');
	done(ud, ok, &body);
	sbuf_free(&body);
}

static void deed_work(struct store *st, void *arg)
{
	mod_deed_read(st, &((struct ctl_job *)arg)->deed);
}

static void deed_done(void *arg)
{
	struct ctl_job *j = arg;
	if (!j->cancelled) {
		struct mod_actor a = { .name = bbs_config(j->bbs)->sysop, .audit = j->actor,
		                       .member = NULL };
		char answer[MOD_ANSWER_MAX];
		bool ok = mod_deed_do(j->bbs, &a, &j->deed, answer);
		answer_text(j->done, j->ud, ok, answer);
	}
	if (j->returned)
		free(j);
	else
		j->finished = true;
}

struct ctl_job *ctl_execute(struct bbs *bbs, const struct ctl_request *req, const char *actor,
                            const struct net_stats *net, ctl_done_fn done, void *ud)
{
	struct sbuf out = SBUF_INIT;
	enum mod_verb verb;
	switch (req->verb) {
	case CTL_HELP:
		sbuf_puts(&out, ctl_usage);
		goto answered;
	case CTL_WHO:
		who(bbs, &out);
		goto answered;
	case CTL_STATS:
		stats(bbs, net, &out);
		goto answered;
	case CTL_KICK: verb = MOD_KICK; break;
	case CTL_MUTE: verb = MOD_MUTE; break;
	case CTL_UNMUTE: verb = MOD_UNMUTE; break;
	case CTL_BAN: verb = MOD_BAN; break;
	case CTL_UNBAN: verb = MOD_UNBAN; break;
	case CTL_BROADCAST: verb = MOD_BROADCAST; break;
	default:
		answer_text(done, ud, false, "not a command");
		return NULL;
	}
	struct ctl_job *j = xcalloc(1, sizeof(*j));
	j->bbs = bbs;
	j->done = done;
	j->ud = ud;
	snprintf(j->actor, sizeof(j->actor), "%s", actor);
	struct mod_actor a = { .name = bbs_config(bbs)->sysop, .audit = j->actor, .member = NULL };
	mod_deed_init(&j->deed, &a, verb, req->handle, req->seconds, req->text);
	if (!mod_deed_needs_read(&j->deed)) {
		deed_done(j);
	} else if (store_queue_submit(bbs_queue(bbs), deed_work, deed_done, j) != 0) {
		free(j);
		answer_text(done, ud, false, "the database is busy; try again in a moment");
		return NULL;
	}
	if (j->finished) {
		free(j);
		return NULL;
	}
	j->returned = true;
	return j;
answered:
	done(ud, true, &out);
	sbuf_free(&out);
	return NULL;
}

void ctl_cancel(struct ctl_job *job)
{
	job->cancelled = true;    /* freed when the database answers */
}
