#include "util/buf.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct buf *buf_new(size_t len)
{
	if (len > UINT32_MAX)
		return NULL;
	struct buf *b = malloc(sizeof(*b) + len);
	if (b == NULL)
		return NULL;
	b->refs = 1;
	b->len = (uint32_t)len;
	return b;
}

struct buf *buf_from(const void *data, size_t len)
{
	struct buf *b = buf_new(len);
	if (b != NULL && len > 0)
		memcpy(b->data, data, len);
	return b;
}

struct buf *buf_ref(struct buf *b)
{
	assert(b->refs > 0);
	b->refs++;
	return b;
}

void buf_unref(struct buf *b)
{
	if (b == NULL)
		return;
	assert(b->refs > 0);
	if (--b->refs == 0)
		free(b);
}
