/* ANSI art loader: CP437 .ans files (see art/), with an optional SAUCE record.
 *
 * The SAUCE record (and its COMNT block) at the end of a file is metadata, not art:
 * it is stripped, and so is everything from the first 0x1A (the DOS end-of-file
 * mark) on.  These are the only functions in src/term/ that do I/O. */
#ifndef CARRIER_TERM_ART_H
#define CARRIER_TERM_ART_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define ART_MAX_BYTES (256u * 1024u)

/* The art proper: the length of data[0..len) once SAUCE and EOF are cut.  Pure. */
size_t art_strip_sauce(const uint8_t *data, size_t len);

/* The art as raw CP437 bytes minus SAUCE, for CP437 callers.  A new buf with one
 * reference owned by the caller, or NULL (logged) if the file cannot be read, is
 * empty after stripping, or is larger than ART_MAX_BYTES. */
struct buf *art_load_cp437(const char *path);

/* The art converted to UTF-8, every line ending CR LF (a lone LF gains a CR).
 * Ownership and errors as art_load_cp437. */
struct buf *art_load_utf8(const char *path);

#endif
