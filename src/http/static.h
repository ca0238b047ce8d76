/* Static files: the browser front end served from one web root directory.
 *
 * Path handling is pure (http_path_normalize, http_content_type, http_etag_match);
 * only http_static_serve touches the disk.  It reads whole files (they are small:
 * the page, its bundle, fonts) with blocking calls on the loop thread. */
#ifndef CARRIER_HTTP_STATIC_H
#define CARRIER_HTTP_STATIC_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"
#include "http/response.h"
#include "util/buf.h"

#define HTTP_STATIC_FILE_MAX (16u << 20)        /* larger files answer 500 */

/* Turn a raw request path (percent-encoded, starting with '/', no query) into a
 * path relative to the web root, written NUL-terminated to out[0..out_size).
 * Percent escapes are decoded first; then empty and "." segments vanish and ".."
 * drops the segment before it.  A path naming a directory ("/", "/a/", "/a/.")
 * gets "index.html" appended.  Returns 0 on success, else the status to answer:
 *   400  malformed escape, NUL, backslash, control byte, encoded '/', invalid
 *        UTF-8, no leading '/', or ".." climbing above the root;
 *   404  a segment starting with '.' (dotfiles are never served);
 *   414  the result does not fit in out_size.
 * Examples: "/" -> "index.html", "/a/./b//c" -> "a/b/c",
 * "/a/../index.html" -> "index.html", "/../x" and "/%2e%2e/x" -> 400. */
int http_path_normalize(const char *raw, char *out, size_t out_size);

/* The Content-Type for a file name, by its extension (case-insensitive);
 * "application/octet-stream" when unknown.  Static strings. */
const char *http_content_type(const char *name);

/* True if an If-None-Match value (a list of entity tags, "W/" prefixes allowed,
 * or "*") matches etag (given with its quotes) under weak comparison. */
bool http_etag_match(const char *if_none_match, const char *etag);

struct http_static;

/* A server for the files below root.  The root is resolved once (realpath);
 * returns NULL with errno set if it cannot be resolved or is not a directory. */
struct http_static *http_static_new(const char *root);
void http_static_free(struct http_static *s);
/* One more header on every file served (e.g. Strict-Transport-Security); both
 * strings borrowed (static), without CR or LF. */
void http_static_set_header(struct http_static *s, const char *name, const char *value);

/* Answer a GET or HEAD request from the web root: 200 with the file, 304 when
 * If-None-Match matches its ETag, 404 when there is no such regular file inside
 * the root (symlinks are followed only while they stay inside it), 400/414 from
 * http_path_normalize, 403 when the file is unreadable, 500 when too large.
 * Returns the complete response, one reference owned by the caller, and sets
 * *status (may be NULL) to its status code; NULL only when out of memory. */
struct buf *http_static_serve(struct http_static *s, const struct http_request *req,
			      int *status);

#endif
