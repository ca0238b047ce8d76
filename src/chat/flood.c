#include "chat/flood.h"

#include <assert.h>
#include <string.h>

#include "util/xalloc.h"

/* ---- token bucket ---- */

void flood_init(struct flood *f, const struct flood_cfg *cfg, int64_t now_ms)
{
	assert(cfg->rate_per_s > 0 && cfg->burst >= 1);
	f->tokens = cfg->burst;
	f->last_ms = now_ms;
	f->notice_ms = INT64_MIN;
	f->dropped = 0;
}

bool flood_allow(struct flood *f, const struct flood_cfg *cfg, int64_t now_ms)
{
	if (now_ms > f->last_ms) {
		f->tokens += (double)(now_ms - f->last_ms) * cfg->rate_per_s / 1000.0;
		if (f->tokens > cfg->burst)
			f->tokens = cfg->burst;
		f->last_ms = now_ms;
	}
	/* A hair of slack so that refills adding up to exactly one token count. */
	if (f->tokens >= 1.0 - 1e-9) {
		f->tokens -= 1.0;
		if (f->tokens < 0)
			f->tokens = 0;
		return true;
	}
	f->dropped++;
	return false;
}

bool flood_notice_due(struct flood *f, const struct flood_cfg *cfg, int64_t now_ms,
		      uint64_t *dropped)
{
	if (f->notice_ms != INT64_MIN && now_ms - f->notice_ms < cfg->notice_ms)
		return false;
	f->notice_ms = now_ms;
	if (dropped)
		*dropped = f->dropped;
	f->dropped = 0;
	return true;
}

/* ---- join/leave coalescing ---- */

struct name_list {
	char **v;
	size_t n, cap;
	size_t more;
};

struct chat_coalesce {
	int64_t window_ms;
	size_t max_names;
	bool open;
	int64_t deadline_ms;
	struct name_list joins, leaves;
};

struct chat_coalesce *chat_coalesce_new(int64_t window_ms, size_t max_names)
{
	assert(window_ms >= 0);
	struct chat_coalesce *c = xcalloc(1, sizeof *c);
	c->window_ms = window_ms;
	c->max_names = max_names;
	return c;
}

static void list_clear(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
	l->more = 0;
}

void chat_coalesce_free(struct chat_coalesce *c)
{
	if (c == NULL)
		return;
	list_clear(&c->joins);
	list_clear(&c->leaves);
	free(c->joins.v);
	free(c->leaves.v);
	free(c);
}

static bool list_remove(struct name_list *l, const char *handle)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], handle) == 0) {
			free(l->v[i]);
			memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof l->v[0]);
			l->n--;
			return true;
		}
	}
	return false;
}

static bool list_has(const struct name_list *l, const char *handle)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], handle) == 0)
			return true;
	}
	return false;
}

static void list_add(struct name_list *l, const char *handle, size_t max)
{
	if (list_has(l, handle))
		return;
	if (l->n >= max) {
		l->more++;
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->v = xrealloc(l->v, l->cap * sizeof l->v[0]);
	}
	l->v[l->n++] = xstrdup(handle);
}

bool chat_coalesce_add(struct chat_coalesce *c, enum chat_kind kind,
		       const char *handle, int64_t now_ms)
{
	assert(kind == CHAT_JOIN || kind == CHAT_LEAVE);
	assert(handle != NULL);
	bool opened = !c->open;
	if (opened) {
		c->open = true;
		c->deadline_ms = now_ms + c->window_ms;
	}
	struct name_list *same = kind == CHAT_JOIN ? &c->joins : &c->leaves;
	struct name_list *other = kind == CHAT_JOIN ? &c->leaves : &c->joins;
	if (!list_remove(other, handle))
		list_add(same, handle, c->max_names);
	return opened;
}

bool chat_coalesce_pending(const struct chat_coalesce *c, int64_t *deadline_ms)
{
	if (c->open && deadline_ms)
		*deadline_ms = c->deadline_ms;
	return c->open;
}

static void fill(const struct name_list *l, enum chat_kind kind, struct chat_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = kind;
	ev->names = (const char *const *)l->v;
	ev->n_names = l->n;
	ev->n_more = l->more;
	if (l->n == 1 && l->more == 0)
		ev->from = l->v[0];
}

void chat_coalesce_take(const struct chat_coalesce *c, struct chat_event *joins,
			struct chat_event *leaves)
{
	fill(&c->joins, CHAT_JOIN, joins);
	fill(&c->leaves, CHAT_LEAVE, leaves);
}

void chat_coalesce_reset(struct chat_coalesce *c)
{
	list_clear(&c->joins);
	list_clear(&c->leaves);
	c->open = false;
}
