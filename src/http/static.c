#include "http/static.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/response.h"
#include "util/log.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "util/hex.h"

struct http_static {
	char *root;             /* realpath of the web root */
	size_t root_len;
	struct http_header extra;   /* one more header on every file, or name NULL */
};

int http_path_normalize(const char *raw, char *out, size_t out_size)
{
	static const char index_name[] = "index.html";
	size_t o = 0;           /* bytes of out in use, no NUL yet */
	bool dir = true;        /* the path so far names a directory */
	const char *p = raw;

	assert(out_size > 0);
	if (*p != '/')
		return 400;
	p++;
	while (*p != '\0') {
		/* one segment, decoded into out after a separator */
		size_t seg = o;
		if (o > 0) {
			if (o + 1 >= out_size)
				return 414;
			out[o++] = '/';
			seg = o;
		}
		while (*p != '\0' && *p != '/') {
			unsigned char c = (unsigned char)*p++;
			if (c == '%') {
				int hi = hex_digit(p[0]);
				int lo = hi < 0 ? -1 : hex_digit(p[1]);
				if (lo < 0)
					return 400;
				c = (unsigned char)(hi << 4 | lo);
				p += 2;
				if (c == '/')
					return 400;
			}
			if (c < 0x20 || c == 0x7f || c == '\\')
				return 400;
			if (o + 1 >= out_size)
				return 414;
			out[o++] = (char)c;
		}
		bool slash = *p == '/';
		if (slash)
			p++;
		size_t len = o - seg;
		const char *s = out + seg;
		if (len == 0 || (len == 1 && s[0] == '.')) {
			o = seg > 0 ? seg - 1 : 0;      /* drop it and its separator */
			dir = true;
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			o = seg > 0 ? seg - 1 : 0;
			if (o == 0)
				return 400;             /* above the root */
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;                    /* and the separator before it */
			dir = true;
		} else if (s[0] == '.') {
			return 404;
		} else {
			if (!utf8_valid((const uint8_t *)s, len))
				return 400;
			dir = slash;    /* "a/" names a directory */
		}
	}
	if (dir) {
		size_t need = (o > 0 ? 1 : 0) + sizeof(index_name);
		if (need > out_size - o)
			return 414;
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, index_name, sizeof(index_name));
		o += sizeof(index_name) - 1;
	}
	out[o] = '\0';
	return 0;
}

const char *http_content_type(const char *name)
{
	static const struct {
		const char *ext;
		const char *type;
	} types[] = {
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "js", "text/javascript; charset=utf-8" },
		{ "mjs", "text/javascript; charset=utf-8" },
		{ "css", "text/css; charset=utf-8" },
		{ "json", "application/json" },
		{ "map", "application/json" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "woff", "font/woff" },
		{ "woff2", "font/woff2" },
		{ "ttf", "font/ttf" },
		{ "otf", "font/otf" },
		{ "svg", "image/svg+xml" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "gif", "image/gif" },
		{ "webp", "image/webp" },
		{ "ico", "image/x-icon" },
		{ "wasm", "application/wasm" },
		{ "webmanifest", "application/manifest+json" },
		/* CP437 art: raw bytes for the terminal, never text for the browser */
		{ "ans", "application/octet-stream" },
	};
	const char *slash = strrchr(name, '/');
	const char *base = slash != NULL ? slash + 1 : name;
	const char *dot = strrchr(base, '.');

	if (dot != NULL && dot != base) {
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	}
	return "application/octet-stream";
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

bool http_etag_match(const char *inm, const char *etag)
{
	const char *p = inm;

	if (strncmp(etag, "W/", 2) == 0)
		etag += 2;
	size_t elen = strlen(etag);
	for (;;) {
		while (is_ows(*p) || *p == ',')
			p++;
		if (*p == '\0')
			return false;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"')
			return false;
		const char *close = strchr(p + 1, '"');
		if (close == NULL)
			return false;
		size_t len = (size_t)(close - p) + 1;
		if (len == elen && memcmp(p, etag, len) == 0)
			return true;
		p = close + 1;
		while (is_ows(*p))
			p++;
		if (*p != ',' && *p != '\0')
			return false;
	}
}

struct http_static *http_static_new(const char *root)
{
	char *real = realpath(root, NULL);
	struct stat st;

	if (real == NULL)
		return NULL;
	if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
		free(real);
		errno = ENOTDIR;
		return NULL;
	}
	struct http_static *s = xcalloc(1, sizeof(*s));
	s->root = real;
	s->root_len = strlen(real);
	if (s->root_len == 1)   /* "/": the prefix test below wants no trailing '/' */
		s->root_len = 0;
	return s;
}

void http_static_set_header(struct http_static *s, const char *name, const char *value)
{
	s->extra = (struct http_header){ name, value };
}

void http_static_free(struct http_static *s)
{
	if (s == NULL)
		return;
	free(s->root);
	free(s);
}

static struct buf *answer_error(int code, const struct http_request *req, int *status)
{
	if (status != NULL)
		*status = code;
	return http_response_error(code, req->method == HTTP_HEAD, req->keep_alive);
}

/* Open rel below the root, refusing anything that resolves outside it.  Returns
 * an fd, or -status. */
static int open_inside(const struct http_static *s, const char *rel)
{
	char full[PATH_MAX];
	char real[PATH_MAX];

	int n = snprintf(full, sizeof(full), "%.*s/%s", (int)s->root_len, s->root, rel);
	if (n < 0 || (size_t)n >= sizeof(full))
		return -414;
	if (realpath(full, real) == NULL)
		return errno == EACCES ? -403 : -404;
	if (strncmp(real, s->root, s->root_len) != 0 || real[s->root_len] != '/')
		return -404;    /* a symlink out of the root */
	/* realpath resolved every link; O_NOFOLLOW refuses one swapped in since. */
	int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == EACCES ? -403 : -404;
	return fd;
}

static bool read_all(int fd, uint8_t *data, size_t want, size_t *got)
{
	size_t n = 0;

	while (n < want) {
		ssize_t r = read(fd, data + n, want - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return false;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*got = n;
	return true;
}

static bool is_html(const char *rel)
{
	const char *dot = strrchr(rel, '.');
	return dot != NULL && (strcasecmp(dot, ".html") == 0 || strcasecmp(dot, ".htm") == 0);
}

struct buf *http_static_serve(struct http_static *s, const struct http_request *req,
			      int *status)
{
	char rel[PATH_MAX];
	char etag[64];
	struct stat st;
	uint8_t *data = NULL;
	size_t got = 0;
	struct buf *b = NULL;
	int code = 200;

	int rc = http_path_normalize(req->path, rel, sizeof(rel));
	if (rc != 0)
		return answer_error(rc, req, status);
	int fd = open_inside(s, rel);
	if (fd < 0)
		return answer_error(-fd, req, status);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		code = 404;
		goto err;
	}
	if ((unsigned long long)st.st_size > HTTP_STATIC_FILE_MAX) {
		log_warn("event=file_too_large path=%s bytes=%lld", LOG_Q(rel),
			 (long long)st.st_size);
		code = 500;
		goto err;
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
		 (unsigned long long)st.st_mtim.tv_nsec);

	struct http_response resp = {
		.status = 200,
		.content_type = http_content_type(rel),
		.cache_control = is_html(rel) ? "no-cache" : "public, max-age=86400",
		.etag = etag,
		.extra = s->extra.name ? &s->extra : NULL,
		.n_extra = s->extra.name ? 1 : 0,
		.head = req->method == HTTP_HEAD,
		.keep_alive = req->keep_alive,
	};
	if (req->if_none_match != NULL && http_etag_match(req->if_none_match, etag)) {
		resp.status = 304;
		resp.content_type = NULL;
	} else if (resp.head) {
		resp.body_len = (size_t)st.st_size;     /* the length without the bytes */
	} else {
		data = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
		if (data == NULL) {
			code = 500;
			goto err;
		}
		if (!read_all(fd, data, (size_t)st.st_size, &got)) {
			log_warn("event=file_error path=%s error=%s", LOG_Q(rel), LOG_Q(strerror(errno)));
			code = errno == EACCES ? 403 : 500;
			goto err;
		}
		resp.body = data;
		resp.body_len = got;
	}
	close(fd);
	b = http_response_build(&resp);
	free(data);
	if (status != NULL)
		*status = resp.status;
	return b;
err:
	close(fd);
	free(data);
	return answer_error(code, req, status);
}
