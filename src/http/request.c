#include "http/request.h"

#include <assert.h>
#include <http_parser.h>
#include <string.h>

#include "util/xalloc.h"

/* The headers we keep.  A list header may repeat (values joined with ", "); any
 * other repeats are ambiguous and refused. */
enum { H_HOST, H_ORIGIN, H_UPGRADE, H_CONNECTION, H_WS_KEY, H_WS_VERSION,
       H_IF_NONE_MATCH, H_FORWARDED_FOR, H_REAL_IP, H_COUNT };

static const struct {
	const char *name;       /* lower case */
	bool list;
} kept[H_COUNT] = {
	[H_HOST] = { "host", false },
	[H_ORIGIN] = { "origin", false },
	[H_UPGRADE] = { "upgrade", true },
	[H_CONNECTION] = { "connection", true },
	[H_WS_KEY] = { "sec-websocket-key", false },
	[H_WS_VERSION] = { "sec-websocket-version", false },
	[H_IF_NONE_MATCH] = { "if-none-match", true },
	[H_FORWARDED_FOR] = { "x-forwarded-for", true },
	[H_REAL_IP] = { "x-real-ip", false },
};

#define NAME_CAP 24             /* longer than any kept name */
#define ARENA_CAP 4096          /* URL + kept header values */

enum state { S_URL, S_FIELD, S_VALUE, S_HEADERS_DONE };

struct http_reader {
	http_parser parser;
	int status;             /* > 0: the error we stopped with (sticky) */
	bool done;
	enum state state;
	int cur;                /* kept header of the current line, -1 if ignored */
	uint8_t method_state;   /* scan_method: 0 before, 1 in the word, 2 done */
	uint8_t method_len;
	char method[8];
	size_t name_len;        /* may exceed NAME_CAP: then no kept header */
	char name[NAME_CAP];
	size_t head_seen;       /* bytes fed before the head was complete */
	size_t url_len;
	unsigned n_headers;
	size_t value_start;
	int off[H_COUNT];       /* arena offset of each kept value, -1 if absent */
	size_t used;
	struct http_request req;
	char arena[ARENA_CAP];
};

static int fail(struct http_reader *r, int status)
{
	if (r->status == 0)
		r->status = status;
	return -1;
}

/* Append to the arena, always leaving room for one terminating NUL. */
static bool arena_append(struct http_reader *r, const char *data, size_t n)
{
	if (n >= ARENA_CAP - r->used)
		return false;
	memcpy(r->arena + r->used, data, n);
	r->used += n;
	return true;
}

static void arena_terminate(struct http_reader *r)
{
	assert(r->used < ARENA_CAP);
	r->arena[r->used++] = '\0';
}

static void finish_url(struct http_reader *r)
{
	if (r->state == S_URL) {
		arena_terminate(r);
		r->state = S_FIELD;
	}
}

static int lookup(const char *name, size_t len)
{
	if (len > NAME_CAP)
		return -1;
	for (int i = 0; i < H_COUNT; i++)
		if (strlen(kept[i].name) == len && memcmp(kept[i].name, name, len) == 0)
			return i;
	return -1;
}

static void end_value(struct http_reader *r)
{
	if (r->state != S_VALUE)
		return;
	if (r->cur >= 0) {
		while (r->used > r->value_start &&
		       (r->arena[r->used - 1] == ' ' || r->arena[r->used - 1] == '\t'))
			r->used--;
		arena_terminate(r);
		r->off[r->cur] = (int)r->value_start;
	}
	r->state = S_FIELD;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
	struct http_reader *r = p->data;

	if (p->method != HTTP_GET && p->method != HTTP_HEAD)
		return fail(r, 405);
	if (r->url_len + n > HTTP_URL_MAX || !arena_append(r, at, n))
		return fail(r, 414);
	r->url_len += n;
	return 0;
}

/* RFC 9110 tchar: what a header name may be made of. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
	struct http_reader *r = p->data;

	finish_url(r);
	if (r->state == S_VALUE || r->n_headers == 0) {
		end_value(r);
		if (++r->n_headers > HTTP_HEADERS_MAX)
			return fail(r, 431);
		r->name_len = 0;
	}
	for (size_t i = 0; i < n; i++, r->name_len++) {
		if (!is_tchar((unsigned char)at[i]))
			return fail(r, 400);
		if (r->name_len < NAME_CAP) {
			char c = at[i];
			r->name[r->name_len] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
	}
	return 0;
}

static int begin_value(struct http_reader *r)
{
	r->state = S_VALUE;
	r->cur = lookup(r->name, r->name_len);
	if (r->cur < 0)
		return 0;
	r->value_start = r->used;
	if (r->off[r->cur] >= 0) {
		if (!kept[r->cur].list)
			return fail(r, 400);
		const char *old = r->arena + r->off[r->cur];
		if (!arena_append(r, old, strlen(old)) || !arena_append(r, ", ", 2))
			return fail(r, 431);
	}
	return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
	struct http_reader *r = p->data;

	if (r->state == S_FIELD && begin_value(r) != 0)
		return -1;
	if (r->cur >= 0 && !arena_append(r, at, n))
		return fail(r, 431);
	return 0;
}

static const char *value(const struct http_reader *r, int h)
{
	return r->off[h] < 0 ? NULL : r->arena + r->off[h];
}

/* Cut the stored URL into path and query, in place. */
static int split_url(struct http_reader *r)
{
	struct http_parser_url u;
	char *url = r->arena;

	http_parser_url_init(&u);
	if (http_parser_parse_url(url, r->url_len, 0, &u) != 0)
		return fail(r, 400);
	if (!(u.field_set & (1 << UF_PATH))) {
		/* absolute-form without a path: "http://host" */
		if (!(u.field_set & (1 << UF_SCHEMA)))
			return fail(r, 400);
		r->req.path = "/";
		r->req.query = NULL;
		return 0;
	}
	char *path = url + u.field_data[UF_PATH].off;
	char *end = path + u.field_data[UF_PATH].len;
	if (path[0] != '/')
		return fail(r, 400);
	r->req.path = path;
	r->req.query = NULL;
	if (*end == '?') {
		char *q = end + 1;
		char *qend = q;
		while (*qend != '\0' && *qend != '#')
			qend++;
		*qend = '\0';
		r->req.query = q;
	}
	*end = '\0';
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct http_reader *r = p->data;

	finish_url(r);
	end_value(r);
	r->state = S_HEADERS_DONE;
	if (p->http_major != 1 || p->http_minor > 1)
		return fail(r, 505);
	if (p->uses_transfer_encoding || (p->flags & F_CHUNKED))
		return fail(r, 400);
	if ((p->flags & F_CONTENTLENGTH) && p->content_length > HTTP_BODY_MAX)
		return fail(r, 413);
	if (split_url(r) != 0)
		return -1;

	struct http_request *q = &r->req;
	q->method = p->method;
	q->head = p->method == HTTP_HEAD;
	q->host = value(r, H_HOST);
	q->origin = value(r, H_ORIGIN);
	q->upgrade = value(r, H_UPGRADE);
	q->connection = value(r, H_CONNECTION);
	q->ws_key = value(r, H_WS_KEY);
	q->ws_version = value(r, H_WS_VERSION);
	q->if_none_match = value(r, H_IF_NONE_MATCH);
	q->forwarded_for = value(r, H_FORWARDED_FOR);
	q->real_ip = value(r, H_REAL_IP);
	q->major = p->http_major;
	q->minor = p->http_minor;
	q->keep_alive = http_should_keep_alive(p) != 0;
	q->upgrade_requested = p->upgrade;
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct http_reader *r = p->data;

	r->done = true;
	http_parser_pause(p, 1);        /* stop right after this request */
	return 0;
}

static const http_parser_settings settings = {
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_message_complete = on_message_complete,
};

static int map_errno(enum http_errno e)
{
	return e == HPE_HEADER_OVERFLOW ? 431 : 400;
}

/* The method word is judged here, before http-parser sees any of it, so that the
 * verdict does not depend on where chunks end: a word of method characters other
 * than GET or HEAD is 405, anything else in its place 400.  Scans data[0..n) up to
 * and including the space after the word; *used says how far.  Once GET or HEAD is
 * complete it is handed to http-parser.  Returns 0 or the status. */
static int scan_method(struct http_reader *r, const uint8_t *data, size_t n, size_t *used)
{
	size_t i;

	for (i = 0; i < n && r->method_state != 2; i++) {
		uint8_t c = data[i];
		if (r->method_state == 0 && (c == '\r' || c == '\n'))
			continue;       /* blank lines before a request are allowed */
		r->method_state = 1;
		if (c == ' ') {
			r->method_state = 2;
			if (r->method_len == 0)
				return 400;
			if (!(r->method_len == 3 && memcmp(r->method, "GET", 3) == 0) &&
			    !(r->method_len == 4 && memcmp(r->method, "HEAD", 4) == 0))
				return 405;
			r->method[r->method_len] = ' ';
			size_t want = (size_t)r->method_len + 1;
			size_t got = http_parser_execute(&r->parser, &settings, r->method, want);
			if (got != want || HTTP_PARSER_ERRNO(&r->parser) != HPE_OK)
				return 400;
		} else if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_')) {
			return 400;
		} else if (r->method_len == sizeof(r->method) - 1) {
			return 405;     /* longer than GET or HEAD */
		} else {
			r->method[r->method_len++] = (char)c;
		}
	}
	*used = i;
	return 0;
}

int http_reader_feed(struct http_reader *r, const uint8_t *data, size_t len,
		     size_t *consumed)
{
	size_t off = 0;

	assert(!r->done);
	if (consumed != NULL)
		*consumed = 0;
	if (r->status != 0)
		return -r->status;
	while (off < len) {
		size_t n = len - off;
		bool in_head = r->state != S_HEADERS_DONE;

		if (in_head) {
			size_t room = HTTP_HEAD_MAX - r->head_seen;
			if (room == 0) {
				r->status = r->state == S_URL ? 414 : 431;
				return -r->status;
			}
			if (n > room)
				n = room;
		}
		if (r->method_state != 2) {
			size_t used = 0;
			int bad = scan_method(r, data + off, n, &used);
			if (bad != 0) {
				r->status = bad;
				return -r->status;
			}
			r->head_seen += used;
			off += used;
			continue;
		}
		size_t got = http_parser_execute(&r->parser, &settings,
						 (const char *)data + off, n);
		if (in_head)
			r->head_seen += got;
		off += got;
		if (r->status != 0)
			return -r->status;
		if (r->done) {
			if (consumed != NULL)
				*consumed = off;
			return HTTP_DONE;
		}
		enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
		if (e != HPE_OK || got != n) {
			r->status = map_errno(e);
			return -r->status;
		}
	}
	if (consumed != NULL)
		*consumed = len;
	return HTTP_MORE;
}

const struct http_request *http_reader_request(const struct http_reader *r)
{
	return r->done ? &r->req : NULL;
}

void http_reader_reset(struct http_reader *r)
{
	memset(r, 0, offsetof(struct http_reader, arena));
	http_parser_init(&r->parser, HTTP_REQUEST);
	r->parser.data = r;
	r->state = S_URL;
	r->cur = -1;
	for (int i = 0; i < H_COUNT; i++)
		r->off[i] = -1;
}

struct http_reader *http_reader_new(void)
{
	struct http_reader *r = xmalloc(sizeof(*r));

	http_reader_reset(r);
	return r;
}

void http_reader_free(struct http_reader *r)
{
	free(r);
}
