#include "metrics/collect.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "bbs/bbs.h"
#include "bbs/password.h"
#include "bbs/session.h"
#include "chat/registry.h"
#include "cluster/cluster.h"
#include "http/transport.h"
#include "net/conn.h"
#include "store/queue.h"
#include "store/store.h"

#define TRANSPORTS_MAX 8
#define ROOMS_MAX 64

struct gauges {
	char names[TRANSPORTS_MAX][32];     /* "websocket+tls": the rows point here */
	size_t n_names;
	struct metrics_row conns[TRANSPORTS_MAX];
	size_t n_conns;
	struct metrics_row callers[TRANSPORTS_MAX * SESSION_ACTIVITY_COUNT];
	size_t n_callers;
	uint64_t queued, queued_max;
};

/* The row for (a, b), made on first sight; NULL if the table is full. */
static struct metrics_row *row(struct metrics_row *rows, size_t *n, size_t max, const char *a,
                               const char *b)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(rows[i].a, a) == 0 && (b == NULL || strcmp(rows[i].b, b) == 0))
			return &rows[i];
	if (*n == max)
		return NULL;
	rows[*n] = (struct metrics_row){ a, b, 0 };
	return &rows[(*n)++];
}

/* A connection's transport as the page names it: with the layer under it when it
 * has one of another name ("websocket+tls"; SSH's layer is SSH itself). */
static const char *transport_of(struct gauges *g, const struct conn *c)
{
	char name[sizeof(g->names[0])];
	const char *t = conn_transport_name(c), *layer = conn_layer_name(c);
	if (layer == NULL || strcmp(layer, t) == 0)
		return t;
	snprintf(name, sizeof(name), "%s+%s", t, layer);
	for (size_t i = 0; i < g->n_names; i++)
		if (strcmp(g->names[i], name) == 0)
			return g->names[i];
	if (g->n_names == TRANSPORTS_MAX)
		return t;
	memcpy(g->names[g->n_names], name, sizeof(name));
	return g->names[g->n_names++];
}

static void count_conn(struct conn *c, void *ud)
{
	struct gauges *g = ud;
	struct metrics_row *r = row(g->conns, &g->n_conns, TRANSPORTS_MAX, transport_of(g, c),
	                            NULL);
	if (r != NULL)
		r->n++;
	uint64_t q = conn_queued_bytes(c);
	g->queued += q;
	if (q > g->queued_max)
		g->queued_max = q;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void metrics_collect(const struct metrics_sources *src, struct sbuf *out)
{
	struct gauges g = { .n_conns = 0 };
	struct metrics_row rooms[ROOMS_MAX];
	size_t n_rooms = 0;
	uint64_t in_use = 0;

	conn_foreach(src->conns, count_conn, &g);
	struct bbs *bbs = src->bbs;
	for (unsigned n = 1; n <= bbs_node_slots(bbs); n++) {
		struct session *s = bbs_node_session(bbs, n);
		if (s == NULL)
			continue;
		in_use++;
		const struct session_state *st = session_state(s);
		struct conn *c = session_conn(s);
		if (st == NULL || c == NULL)
			continue;
		struct metrics_row *r = row(g.callers, &g.n_callers,
		                            sizeof(g.callers) / sizeof(g.callers[0]),
		                            transport_of(&g, c), session_activity_name(st->activity));
		if (r != NULL)
			r->n++;
	}
	struct chat_registry *reg = bbs_chat(bbs);
	for (size_t i = 0; i < chat_registry_count(reg) && n_rooms < ROOMS_MAX; i++) {
		const struct chat_room *room = chat_registry_room_at(reg, i);
		rooms[n_rooms++] = (struct metrics_row){ chat_room_name(room), NULL,
		                                         chat_room_count(room) };
	}

	struct cluster *cl = bbs_cluster(bbs);
	struct cluster_stats cs;
	cluster_get_stats(cl, &cs);

	struct store_stats db;
	store_queue_db_stats(bbs_queue(bbs), &db);

	struct metrics_input in = {
		.version = src->version,
		.sqlite_version = store_sqlite_version(),
		.libuv_version = uv_version_string(),
		.now_ms = wall_ms(),
		.start_ms = src->start_ms,
		.server = src->server,
		.net = &src->conns->stats,
		.http = src->site ? http_site_stats(src->site) : NULL,
		.bbs = bbs_stats(bbs),
		.password = password_stats(),
		.chat = chat_registry_stats(reg),
		.store = &db,
		.store_queue = store_queue_stats(bbs_queue(bbs)),
		.connections = g.conns,
		.n_connections = g.n_conns,
		.callers = g.callers,
		.n_callers = g.n_callers,
		.rooms = rooms,
		.n_rooms = n_rooms,
		.nodes = bbs_node_count(bbs),
		.nodes_in_use = in_use,
		.queued_bytes = g.queued,
		.queued_bytes_max = g.queued_max,
		.cluster = cl != NULL ? &cs : NULL,
		.cluster_connected = cluster_connected(cl),
		.cluster_peers = cluster_peers(cl),
		.cluster_remote_lines = cluster_remote_lines(cl),
	};
	metrics_render(out, &in);
}
