#include "net/inflight.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "util/xalloc.h"

#define BUCKETS 256
#define ADDR_MAX 48

struct entry {
	struct entry *next;
	unsigned count;
	char addr[ADDR_MAX];
};

struct inflight {
	unsigned max;
	struct entry *buckets[BUCKETS];
};

struct inflight *inflight_new(unsigned max_per_address)
{
	struct inflight *t = xcalloc(1, sizeof(*t));
	t->max = max_per_address;
	return t;
}

void inflight_free(struct inflight *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct entry *next;
		for (struct entry *e = t->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t);
}

/* The address part of "ADDR:PORT" into out. */
static void address(const char *peer, char out[ADDR_MAX])
{
	const char *colon = strrchr(peer, ':');
	size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
	if (n >= ADDR_MAX)
		n = ADDR_MAX - 1;
	memcpy(out, peer, n);
	out[n] = '\0';
}

static struct entry **find(const struct inflight *t, const char *addr)
{
	uint32_t h = 2166136261u;      /* FNV-1a */
	for (const char *p = addr; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	struct entry **e = (struct entry **)&t->buckets[h % BUCKETS];
	while (*e != NULL && strcmp((*e)->addr, addr) != 0)
		e = &(*e)->next;
	return e;
}

bool inflight_take(struct inflight *t, const char *peer)
{
	char addr[ADDR_MAX];
	address(peer, addr);
	struct entry **e = find(t, addr);
	if (*e == NULL) {
		*e = xcalloc(1, sizeof(**e));
		memcpy((*e)->addr, addr, sizeof(addr));
	}
	if ((*e)->count >= t->max)
		return false;
	(*e)->count++;
	return true;
}

void inflight_release(struct inflight *t, const char *peer)
{
	char addr[ADDR_MAX];
	address(peer, addr);
	struct entry **e = find(t, addr);
	assert(*e != NULL && (*e)->count > 0);
	if (*e == NULL)
		return;
	if (--(*e)->count == 0) {
		struct entry *gone = *e;
		*e = gone->next;
		free(gone);
	}
}

unsigned inflight_count(const struct inflight *t, const char *peer)
{
	char addr[ADDR_MAX];
	address(peer, addr);
	struct entry *const *e = find(t, addr);
	return *e ? (*e)->count : 0;
}
