#include "bbs/bbs.h"

#include <assert.h>
#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bbs/actions.h"
#include "bbs/password.h"
#include "bbs/screens.h"
#include "bbs/session.h"
#include "bbs/states.h"
#include "chat/registry.h"
#include "cluster/cluster.h"
#include "store/queue.h"
#include "store/store.h"
#include "term/art.h"
#include "util/log.h"
#include "util/xalloc.h"

struct bbs {
	uv_loop_t *loop;
	const struct config *cfg;
	struct store *store;             /* the loop's: startup, and every job on SQLite */
	struct store_queue *queue;       /* the jobs (off the loop on PostgreSQL) */
	struct chat_registry *chat;
	struct actions actions;
	struct buf *art[ART_COUNT];
	struct session **nodes;          /* n_slots slots */
	unsigned n_nodes;                /* max_nodes: new callers get one of 1..n_nodes */
	unsigned n_slots;                /* >= n_nodes: more after a reload lowered it */
	struct cluster *cluster;         /* borrowed; NULL: this server alone */
	uv_timer_t checkpoint_timer;     /* checkpoints run off the loop */
	uv_work_t checkpoint_work;
	struct store_checkpointer *checkpointer;   /* the worker's connection */
	uint64_t checkpoint_ms;          /* when the last one was started */
	uint64_t checkpoint_commits;     /* store_wal_commits then */
	bool checkpoint_clean;           /* it folded the whole WAL back (set by the worker) */
	bool checkpointing;
	bool store_stopped;              /* bbs_stop_store: shutting down */
	struct bbs_stats stats;
};

#define CHECKPOINT_INTERVAL_MS 5000
#define CHECKPOINT_FRAMES 1000
#define CHECKPOINT_MAX_AGE_MS 30000

static const char *const art_files[ART_COUNT] = {
	[ART_WELCOME] = "welcome.ans",
	[ART_GOODBYE] = "goodbye.ans",
	[ART_LINEBUSY] = "linebusy.ans",
};

/* The WAL is folded into the database on libuv's thread pool, on a connection of
 * the workers' own (kept between checkpoints; one runs at a time), so the loop
 * never waits for an fsync. */
static void checkpoint_work(uv_work_t *w)
{
	struct bbs *bbs = w->data;
	bool all = false;
	bbs->checkpoint_clean = store_checkpoint(bbs->checkpointer, NULL, &all) == STORE_OK && all;
}

static void checkpoint_done(uv_work_t *w, int status)
{
	struct bbs *bbs = w->data;
	if (status != 0)
		bbs->checkpoint_clean = false;
	bbs->checkpointing = false;
}

/* Every CHECKPOINT_INTERVAL_MS the timer looks at the WAL.  When something was
 * committed since the last checkpoint, or the last one did not fold everything back
 * (it failed, a reader was busy, or it is the first, for a WAL left by a crash),
 * the WAL is folded back once it holds CHECKPOINT_FRAMES pages (SQLite's own
 * threshold), or after CHECKPOINT_MAX_AGE_MS whatever it holds (the kernel's own
 * write-back age: a commit reaches the disk about as soon as it would have without
 * us).  So a few lines of chat every few seconds no longer cost a checkpoint (and
 * its fsync) each. */
static void checkpoint_cb(uv_timer_t *t)
{
	struct bbs *bbs = t->data;
	if (bbs->checkpointing)
		return;
	uint64_t commits = store_wal_commits(bbs->store), now = uv_now(bbs->loop);
	if (bbs->checkpoint_clean && commits == bbs->checkpoint_commits)
		return;
	if (store_wal_frames(bbs->store) < CHECKPOINT_FRAMES &&
	    now - bbs->checkpoint_ms < CHECKPOINT_MAX_AGE_MS)
		return;
	bbs->checkpoint_ms = now;
	bbs->checkpoint_commits = commits;
	bbs->checkpoint_work.data = bbs;
	if (uv_queue_work(bbs->loop, &bbs->checkpoint_work, checkpoint_work, checkpoint_done) == 0)
		bbs->checkpointing = true;
}

static void load_art(struct bbs *bbs)
{
	for (int i = 0; i < ART_COUNT; i++) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof(path), "%s/%s", bbs->cfg->art_dir, art_files[i]);
		buf_unref(bbs->art[i]);
		bbs->art[i] = art_load_utf8(path);
		if (bbs->art[i] == NULL)
			log_warn("event=art_missing path=%s", LOG_Q(path));
	}
}

/* The room settings [chat] gives every room. */
static struct chat_room_settings room_defaults(const struct config *cfg)
{
	return (struct chat_room_settings){
		.scrollback = cfg->chat_scrollback,
		.capacity = cfg->chat_capacity,
		.history = cfg->chat_history,
		.flood_rate = cfg->chat_flood_rate,
		.flood_burst = cfg->chat_flood_burst,
		.coalesce_ms = cfg->chat_coalesce_ms,
		.listed = true,
	};
}

/* The declared rooms: those of [[chat.room]] (the first the default), or one room
 * called [chat] room_name. */
static size_t n_declared(const struct config *cfg)
{
	return cfg->n_chat_rooms > 0 ? cfg->n_chat_rooms : 1;
}

/* The i-th declared room's settings.  The default room's scrollback and topic are
 * kept under the key "", whatever it is called; the others' under their names in
 * lower case. */
static struct chat_room_settings declared(const struct config *cfg, size_t i)
{
	struct chat_room_settings set = room_defaults(cfg);
	if (cfg->n_chat_rooms == 0) {
		snprintf(set.name, sizeof(set.name), "%s", cfg->chat_room_name);
		return set;
	}
	const struct config_room *cr = &cfg->chat_rooms[i];
	snprintf(set.name, sizeof(set.name), "%s", cr->name);
	snprintf(set.topic, sizeof(set.topic), "%s", cr->topic);
	if (i > 0)
		for (size_t k = 0; cr->name[k] != '\0' && k + 1 < sizeof(set.store_key); k++)
			set.store_key[k] = (char)tolower((unsigned char)cr->name[k]);
	if (cr->capacity > 0)
		set.capacity = cr->capacity;
	set.min_rank = (unsigned)cr->min_level;
	set.listed = cr->listed;
	return set;
}

/* What a room a caller makes starts from; capacity 0 when callers may not. */
static void caller_rooms(struct bbs *bbs)
{
	const struct config *cfg = bbs->cfg;
	struct chat_room_settings set = room_defaults(cfg);
	set.capacity = cfg->chat_caller_rooms ? cfg->chat_caller_room_capacity : 0;
	chat_registry_set_caller_rooms(bbs->chat, &set, bbs->loop);
}

/* A declared room at start-up, its history and topic read from the store before
 * the server serves anyone (on PostgreSQL, the loop's own connection).  What it
 * says is written through the queue. */
static struct chat_room *new_room(struct bbs *bbs, const struct chat_room_settings *set)
{
	struct chat_room *r = chat_room_new(set, bbs->loop, bbs->store);
	chat_room_set_queue(r, bbs->queue);
	return r;
}

/* A room a reload declares: what it keeps read through the queue (off the loop on
 * PostgreSQL), then opened on the loop. */
struct open_job {
	struct bbs *bbs;
	struct chat_room_settings set;
	struct chat_room_saved *saved;
};

static void open_work(struct store *st, void *arg)
{
	struct open_job *j = arg;
	j->saved = chat_room_read_saved(st, &j->set);
}

static void open_done(void *arg)
{
	struct open_job *j = arg;
	struct bbs *bbs = j->bbs;
	if (bbs->store_stopped || chat_registry_room(bbs->chat, j->set.name) != NULL) {
		chat_room_saved_free(j->saved);    /* too late, or taken meanwhile */
	} else {
		struct chat_room *r = chat_room_new_saved(&j->set, bbs->loop, bbs->store, j->saved);
		chat_room_set_queue(r, bbs->queue);
		chat_registry_add(bbs->chat, r);
		log_info("event=room_opened room=%s", LOG_Q(j->set.name));
	}
	free(j);
}

static void open_later(struct bbs *bbs, const struct chat_room_settings *set)
{
	struct open_job *j = xcalloc(1, sizeof(*j));
	j->bbs = bbs;
	j->set = *set;
	if (store_queue_submit(bbs->queue, open_work, open_done, j) != 0) {
		log_warn("event=room_not_opened room=%s reason=db_queue_full", LOG_Q(set->name));
		free(j);
	}
}

static void open_rooms(struct bbs *bbs)
{
	for (size_t i = 0; i < n_declared(bbs->cfg); i++) {
		struct chat_room_settings set = declared(bbs->cfg, i);
		chat_registry_add(bbs->chat, new_room(bbs, &set));
	}
	if (bbs->cfg->chat_caller_rooms)
		caller_rooms(bbs);
}

/* The declared rooms again (a reload): the first stays the default (its name may
 * change), the others are found by name and take their new settings in place; a
 * room new to the file opens; a room gone from the file stays until a restart (its
 * callers are not thrown out), and is reported. */
static void reload_rooms(struct bbs *bbs, const struct config *old)
{
	const struct config *cfg = bbs->cfg;
	struct chat_room *def = chat_registry_default(bbs->chat);
	for (size_t i = 0; i < n_declared(cfg); i++) {
		struct chat_room_settings set = declared(cfg, i);
		struct chat_room *r = i == 0 ? def : chat_registry_room(bbs->chat, set.name);
		if (r == def && i > 0) {
			log_warn("event=room_not_opened room=%s reason=default_room_name",
			         LOG_Q(set.name));
			continue;
		}
		if (r != NULL && chat_room_settings(r)->made_by_caller) {
			log_warn("event=room_not_opened room=%s reason=caller_room_by_that_name",
			         LOG_Q(set.name));
			continue;
		}
		if (r != NULL) {
			chat_room_configure(r, &set);
		} else {
			open_later(bbs, &set);
		}
	}
	for (size_t i = 1; i < n_declared(old); i++) {
		struct chat_room_settings was = declared(old, i);
		bool kept = false;
		for (size_t j = 1; j < n_declared(cfg) && !kept; j++)
			kept = strcasecmp(declared(cfg, j).name, was.name) == 0;
		if (!kept && chat_registry_room(bbs->chat, was.name) != NULL)
			log_warn("event=needs_restart setting=chat.room room=%s", LOG_Q(was.name));
	}
	caller_rooms(bbs);
}

struct bbs *bbs_new(uv_loop_t *loop, const struct config *cfg)
{
	char err[256];
	struct bbs *bbs = xcalloc(1, sizeof(*bbs));
	bbs->loop = loop;
	bbs->cfg = cfg;
	if (password_init() != 0) {
		log_error("event=sodium_failed");
		goto fail;
	}
	char where[PATH_MAX];
	store_redact(cfg->db_path, where, sizeof(where));
	bbs->store = store_open(cfg->db_path, err, sizeof(err));
	if (bbs->store == NULL) {
		log_error("event=db_failed path=%s error=%s", LOG_Q(where), LOG_Q(err));
		goto fail;
	}
	bbs->queue = store_queue_new(loop, bbs->store, cfg->db_path, err, sizeof(err));
	if (bbs->queue == NULL) {
		log_error("event=db_failed path=%s error=%s", LOG_Q(where), LOG_Q(err));
		goto fail;
	}
	if (strcmp(cfg->db_path, ":memory:") != 0 && !store_is_url(cfg->db_path)) {
		/* Ours while we run: `carrier restore` refuses until we stop. */
		if (store_claim(bbs->store, cfg->db_path, err, sizeof(err)) != STORE_OK) {
			log_error("event=db_failed path=%s error=%s", LOG_Q(cfg->db_path), LOG_Q(err));
			goto fail;
		}
		store_manual_checkpoints(bbs->store);
		bbs->checkpointer = store_checkpointer_new(cfg->db_path);
		uv_timer_init(loop, &bbs->checkpoint_timer);
		bbs->checkpoint_timer.data = bbs;
		uv_timer_start(&bbs->checkpoint_timer, checkpoint_cb, CHECKPOINT_INTERVAL_MS,
		               CHECKPOINT_INTERVAL_MS);
	}
	int64_t purged = store_token_purge(bbs->store, (int64_t)time(NULL));
	if (purged > 0)
		log_info("event=tokens_purged count=%lld", (long long)purged);
	load_art(bbs);
	bbs->n_nodes = bbs->n_slots = cfg->max_nodes;
	bbs->nodes = xcalloc(bbs->n_slots, sizeof(*bbs->nodes));
	bbs->chat = chat_registry_new();
	open_rooms(bbs);
	if (bbs_read_actions(cfg, &bbs->actions, err, sizeof(err)) != 0) {
		log_error("event=actions_failed error=%s", LOG_Q(err));
		goto fail;
	}
	log_info("event=db_open engine=%s path=%s nodes=%u", store_engine(bbs->store), LOG_Q(where),
	         bbs->n_nodes);
	return bbs;
fail:
	bbs_free(bbs);
	return NULL;
}

void bbs_free(struct bbs *bbs)
{
	if (bbs == NULL)
		return;
	chat_registry_free(bbs->chat);
	actions_free(&bbs->actions);
	for (int i = 0; i < ART_COUNT; i++)
		buf_unref(bbs->art[i]);
	store_queue_free(bbs->queue);
	assert(!bbs->checkpointing);     /* the loop ran until the worker was done */
	store_checkpointer_free(bbs->checkpointer);
	store_close(bbs->store);
	free(bbs->nodes);
	free(bbs);
}

const struct config *bbs_config(const struct bbs *bbs) { return bbs->cfg; }
struct store *bbs_store(struct bbs *bbs) { return bbs->store; }
struct store_queue *bbs_queue(struct bbs *bbs) { return bbs->queue; }
void bbs_stop_store(struct bbs *bbs)
{
	bbs->store_stopped = true;
	store_queue_stop(bbs->queue);
}

struct write_job {
	store_work_fn work;
	size_t size;
	max_align_t arg[];
};

static void write_work(struct store *st, void *arg)
{
	struct write_job *w = arg;
	w->work(st, w->arg);
}

void bbs_db_write(struct bbs *bbs, store_work_fn work, const void *arg, size_t size)
{
	struct write_job *w = xmalloc(sizeof(*w) + size);
	w->work = work;
	w->size = size;
	memcpy(w->arg, arg, size);
	if (store_queue_submit(bbs->queue, write_work, free, w) != 0) {
		log_warn("event=db_write_dropped reason=db_queue_full");
		free(w);
	}
}
uv_loop_t *bbs_loop(const struct bbs *bbs) { return bbs->loop; }
struct chat_registry *bbs_chat(struct bbs *bbs) { return bbs->chat; }
const struct actions *bbs_actions(const struct bbs *bbs) { return &bbs->actions; }
struct bbs_stats *bbs_stats(struct bbs *bbs) { return &bbs->stats; }
const struct buf *bbs_art(const struct bbs *bbs, enum bbs_art which) { return bbs->art[which]; }
unsigned bbs_node_count(const struct bbs *bbs) { return bbs->n_nodes; }
unsigned bbs_node_slots(const struct bbs *bbs) { return bbs->n_slots; }

int bbs_read_actions(const struct config *cfg, struct actions *out, char *err, size_t errlen)
{
	int rc = actions_load(cfg->actions_path, out, err, errlen);
	if (rc > 0)
		log_warn("event=actions_none error=%s", LOG_Q(err));
	return rc < 0 ? -1 : 0;
}

void bbs_reload(struct bbs *bbs, const struct config *old, struct actions *actions)
{
	const struct config *cfg = bbs->cfg;
	load_art(bbs);
	/* More nodes: more slots.  Fewer: callers above the new limit stay until they
	 * leave; nobody new gets those nodes. */
	if (cfg->max_nodes > bbs->n_slots) {
		bbs->nodes = xrealloc(bbs->nodes, cfg->max_nodes * sizeof(*bbs->nodes));
		memset(bbs->nodes + bbs->n_slots, 0,
		       (cfg->max_nodes - bbs->n_slots) * sizeof(*bbs->nodes));
		bbs->n_slots = cfg->max_nodes;
	}
	bbs->n_nodes = cfg->max_nodes;
	reload_rooms(bbs, old);
	/* The actions file, read before the settings were taken (bbs_read_actions). */
	actions_free(&bbs->actions);
	bbs->actions = *actions;
	*actions = (struct actions){ NULL, 0 };
	/* Sessions hold indices into the menus: move them to the new ones while the
	 * old are still here. */
	bool menus_changed = !config_menus_equal(old, cfg);
	for (unsigned n = 1; n <= bbs->n_slots; n++)
		if (bbs->nodes[n - 1] != NULL)
			session_config_changed(bbs->nodes[n - 1], old, menus_changed);
}

void bbs_password_limits(const struct bbs *bbs, struct password_limits *out)
{
	out->opslimit = bbs->cfg->password_ops;
	out->memlimit = bbs->cfg->password_mem;
}

void bbs_set_cluster(struct bbs *bbs, struct cluster *cl) { bbs->cluster = cl; }
struct cluster *bbs_cluster(const struct bbs *bbs) { return bbs->cluster; }

void bbs_hangup_handle(struct bbs *bbs, const char *handle, const char *reason)
{
	struct session *o = NULL;
	for (unsigned i = 0; i < bbs->n_slots && o == NULL; i++) {
		struct session *s = bbs->nodes[i];
		const struct session_user *u = s ? session_user(s) : NULL;
		if (u != NULL && strcasecmp(u->handle, handle) == 0)
			o = s;
	}
	if (o == NULL)
		return;
	log_info("event=cluster_hangup node=%u handle=%s reason=%s", session_node(o),
	         LOG_Q(session_user(o)->handle), LOG_Q(reason));
	struct sbuf *out = session_out(o);
	sbuf_puts(out, "\r\n");
	screen_notice(out, reason[0] != '\0' ? reason : "Disconnected by another server.");
	session_hangup(o, 1000, "hung up by another server");
}

unsigned bbs_node_take(struct bbs *bbs, struct session *s)
{
	/* max_nodes counts every server's lines (callers above a lowered limit
	 * included, here and there). */
	if (bbs->cluster != NULL) {
		size_t used = cluster_remote_lines(bbs->cluster);
		for (unsigned i = 0; i < bbs->n_slots; i++)
			used += bbs->nodes[i] != NULL;
		if (used >= bbs->n_nodes)
			return 0;
	}
	for (unsigned i = 0; i < bbs->n_nodes && i < bbs->n_slots; i++) {
		if (bbs->nodes[i] == NULL && !cluster_line_taken(bbs->cluster, i + 1)) {
			bbs->nodes[i] = s;
			return i + 1;
		}
	}
	return 0;
}

void bbs_node_release(struct bbs *bbs, unsigned node)
{
	if (node >= 1 && node <= bbs->n_slots)
		bbs->nodes[node - 1] = NULL;
}

struct session *bbs_node_session(const struct bbs *bbs, unsigned node)
{
	if (node < 1 || node > bbs->n_slots)
		return NULL;
	return bbs->nodes[node - 1];
}
