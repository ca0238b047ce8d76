/* Refcounted immutable byte buffers: rendered once, shared by every recipient.
 *
 * A buf is created with one reference owned by the caller.  Each output queue that
 * holds it takes its own reference (buf_ref) and drops it (buf_unref) when the bytes
 * are written.  The bytes must not change once a second reference exists. */
#ifndef CARRIER_UTIL_BUF_H
#define CARRIER_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint32_t refs;
	uint32_t len;
	uint8_t data[];
};

/* A buffer of len bytes (uninitialised), one reference, or NULL if out of memory. */
struct buf *buf_new(size_t len);
/* A buffer holding a copy of data[0..len). */
struct buf *buf_from(const void *data, size_t len);
struct buf *buf_ref(struct buf *b);
/* Drop one reference; frees at zero.  NULL is a no-op. */
void buf_unref(struct buf *b);

#endif
