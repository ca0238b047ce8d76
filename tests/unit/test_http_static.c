/* Static files: path normalisation, content types, ETags, and serving from a
 * temporary web root with symlinks pointing in and out of it; the redirect of
 * plain HTTP to https and the extra header (HSTS) a site may add. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/request.h"
#include "http/response.h"
#include "http/static.h"

/* ---- pure parts ---- */

static void test_normalize(void **state)
{
	(void)state;
	static const struct { const char *raw, *want; int status; } cases[] = {
		{ "/", "index.html", 0 },
		{ "//", "index.html", 0 },
		{ "/index.html", "index.html", 0 },
		{ "/a/./b", "a/b", 0 },
		{ "/a//b///c", "a/b/c", 0 },
		{ "/a/../index.html", "index.html", 0 },
		{ "/a/b/../../c", "c", 0 },
		{ "/a/b/..", "a/index.html", 0 },
		{ "/a/.", "a/index.html", 0 },
		{ "/a/", "a/index.html", 0 },
		{ "/a/b/", "a/b/index.html", 0 },
		{ "/.", "index.html", 0 },
		{ "/a/..", "index.html", 0 },
		{ "/%61%2Fb", NULL, 400 },              /* encoded slash */
		{ "/%61pp.js", "app.js", 0 },
		{ "/caf%C3%A9.txt", "caf\xc3\xa9.txt", 0 },
		{ "/a%20b", "a b", 0 },
		{ "/a/%2e/b", "a/b", 0 },
		{ "/a/%2e%2e/c", "c", 0 },
		{ "/..", NULL, 400 },
		{ "/../etc/passwd", NULL, 400 },
		{ "/a/../../etc/passwd", NULL, 400 },
		{ "/%2e%2e/etc/passwd", NULL, 400 },
		{ "/%2E%2E/", NULL, 400 },
		{ "/.%2e/x", NULL, 400 },
		{ "/a/b/../../../x", NULL, 400 },
		{ "/a\\..\\x", NULL, 400 },
		{ "/a%5c..%5cx", NULL, 400 },
		{ "/a%00.html", NULL, 400 },
		{ "/a%0a", NULL, 400 },
		{ "/a%7f", NULL, 400 },
		{ "/a%", NULL, 400 },
		{ "/a%4", NULL, 400 },
		{ "/a%zz", NULL, 400 },
		{ "/a%4g", NULL, 400 },
		{ "/%ff.js", NULL, 400 },               /* not UTF-8 */
		{ "/%c0%ae%c0%ae/x", NULL, 400 },       /* overlong dots */
		{ "", NULL, 400 },
		{ "a/b", NULL, 400 },
		{ "/.git/config", NULL, 404 },
		{ "/a/.env", NULL, 404 },
		{ "/...", NULL, 404 },
		{ "/%2egit", NULL, 404 },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		memset(out, 'x', sizeof(out));
		int got = http_path_normalize(cases[i].raw, out, sizeof(out));
		if (got != cases[i].status)
			fail_msg("%s: got %d, want %d", cases[i].raw, got, cases[i].status);
		if (got == 0 && strcmp(out, cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].raw, out, cases[i].want);
	}
}

static void test_normalize_bounds(void **state)
{
	(void)state;
	char out[16];

	assert_int_equal(http_path_normalize("/", out, 11), 0);
	assert_string_equal(out, "index.html");
	assert_int_equal(http_path_normalize("/", out, 10), 414);
	assert_int_equal(http_path_normalize("/abcdefghij", out, 11), 0);
	assert_int_equal(http_path_normalize("/abcdefghijk", out, 11), 414);
	assert_int_equal(http_path_normalize("/a/", out, 12), 414);
	assert_int_equal(http_path_normalize("/a/", out, 13), 0);
	assert_string_equal(out, "a/index.html");
	assert_int_equal(http_path_normalize("/x", out, 1), 414);
	assert_int_equal(http_path_normalize("/abcdefghijklmnopqrstuvwxyz/../y", out, 16), 414);
}

static void test_content_type(void **state)
{
	(void)state;
	static const struct { const char *name, *type; } cases[] = {
		{ "index.html", "text/html; charset=utf-8" },
		{ "a/b/PAGE.HTML", "text/html; charset=utf-8" },
		{ "app.js", "text/javascript; charset=utf-8" },
		{ "app.css", "text/css; charset=utf-8" },
		{ "app.js.map", "application/json" },
		{ "x.json", "application/json" },
		{ "f.woff", "font/woff" },
		{ "f.woff2", "font/woff2" },
		{ "f.ttf", "font/ttf" },
		{ "i.svg", "image/svg+xml" },
		{ "i.png", "image/png" },
		{ "favicon.ico", "image/x-icon" },
		{ "art/welcome.ans", "application/octet-stream" },
		{ "x.exe", "application/octet-stream" },
		{ "noext", "application/octet-stream" },
		{ "dir.js/noext", "application/octet-stream" },
		{ "trailingdot.", "application/octet-stream" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_string_equal(http_content_type(cases[i].name), cases[i].type);
}

static void test_etag_match(void **state)
{
	(void)state;
	assert_true(http_etag_match("\"abc\"", "\"abc\""));
	assert_true(http_etag_match("W/\"abc\"", "\"abc\""));
	assert_true(http_etag_match("\"x\", \"abc\"", "\"abc\""));
	assert_true(http_etag_match("\"x\",W/\"abc\" , \"y\"", "\"abc\""));
	assert_true(http_etag_match("*", "\"abc\""));
	assert_false(http_etag_match("\"abcd\"", "\"abc\""));
	assert_false(http_etag_match("\"ab\"", "\"abc\""));
	assert_false(http_etag_match("abc", "\"abc\""));
	assert_false(http_etag_match("", "\"abc\""));
	assert_false(http_etag_match("\"abc", "\"abc\""));
	assert_false(http_etag_match("\"x\" junk, \"abc\"", "\"abc\""));
}

/* ---- serving from a real directory ---- */

struct fixture {
	char top[64];           /* temp dir: holds secret.txt and web/ */
	char web[96];
	struct http_static *st;
};

static void put(const char *dir, const char *name, const char *content)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void link_in(const char *dir, const char *name, const char *target)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[256];

	strcpy(f->top, "/tmp/carrier-static-XXXXXX");
	if (mkdtemp(f->top) == NULL)
		return -1;
	snprintf(f->web, sizeof(f->web), "%s/web", f->top);
	mkdir(f->web, 0755);
	put(f->top, "secret.txt", "top secret\n");
	put(f->web, "index.html", "<!doctype html><p>hello</p>\n");
	put(f->web, "app.js", "console.log(1);\n");
	put(f->web, "style.css", "p{}\n");
	put(f->web, "font.woff2", "wOF2");
	put(f->web, "empty.txt", "");
	put(f->web, ".htpasswd", "nope");
	snprintf(path, sizeof(path), "%s/sub", f->web);
	mkdir(path, 0755);
	put(path, "index.html", "sub index\n");
	put(path, "welcome.ans", "\x1b[1mhi\xdb");
	snprintf(path, sizeof(path), "%s/bare", f->web);
	mkdir(path, 0755);
	link_in(f->web, "escape.txt", "../secret.txt");
	link_in(f->web, "abs.txt", "/etc/passwd");
	link_in(f->web, "up", "..");
	link_in(f->web, "alias.js", "app.js");
	link_in(f->web, "subalias", "sub");
	link_in(f->web, "dangling", "nowhere");
	snprintf(path, sizeof(path), "%s/fifo", f->web);
	mkfifo(path, 0644);
	f->st = http_static_new(f->web);
	if (f->st == NULL)
		return -1;
	*state = f;
	return 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	http_static_free(f->st);
	nftw(f->top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

struct reply {
	int status;
	char text[4096];
	const char *body;
};

static void serve(struct fixture *f, int method, const char *path, const char *inm,
		  struct reply *out)
{
	struct http_request req = {
		.method = method, .path = path, .if_none_match = inm,
		.major = 1, .minor = 1, .keep_alive = true,
	};
	int status = -1;
	struct buf *b = http_static_serve(f->st, &req, &status);

	assert_non_null(b);
	assert_true(b->len < sizeof(out->text));
	memcpy(out->text, b->data, b->len);
	out->text[b->len] = '\0';
	buf_unref(b);
	assert_int_equal(atoi(out->text + 9), status);
	out->status = status;
	const char *end = strstr(out->text, "\r\n\r\n");
	assert_non_null(end);
	out->body = end + 4;
}

/* The value of header name in r, copied to out; false if absent. */
static bool header(const struct reply *r, const char *name, char *out, size_t size)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\r\n%s: ", name);
	const char *p = strstr(r->text, pat);
	if (p == NULL || p > r->body)
		return false;
	p += strlen(pat);
	size_t n = strcspn(p, "\r");
	assert_true(n < size);
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static void test_serve_index(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	char v[128];

	serve(f, HTTP_GET, "/", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "<!doctype html><p>hello</p>\n");
	assert_true(header(&r, "Content-Type", v, sizeof(v)));
	assert_string_equal(v, "text/html; charset=utf-8");
	assert_true(header(&r, "Content-Length", v, sizeof(v)));
	assert_int_equal(atoi(v), 28);
	assert_true(header(&r, "Cache-Control", v, sizeof(v)));
	assert_string_equal(v, "no-cache");
	assert_true(header(&r, "X-Content-Type-Options", v, sizeof(v)));
	assert_string_equal(v, "nosniff");
	assert_true(header(&r, "Connection", v, sizeof(v)));
	assert_string_equal(v, "keep-alive");
	assert_true(header(&r, "ETag", v, sizeof(v)));
	assert_int_equal(v[0], '"');

	serve(f, HTTP_GET, "/index.html", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "<!doctype html><p>hello</p>\n");

	serve(f, HTTP_HEAD, "/", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "");
	assert_true(header(&r, "Content-Length", v, sizeof(v)));
	assert_int_equal(atoi(v), 28);

	serve(f, HTTP_GET, "/sub/", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "sub index\n");
	/* links are fine while they resolve inside the root */
	serve(f, HTTP_GET, "/up/web/sub/", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "sub index\n");
	serve(f, HTTP_GET, "/subalias/", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "sub index\n");
}

static void test_serve_assets(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	char v[128];
	static const struct { const char *path, *type; } cases[] = {
		{ "/app.js", "text/javascript; charset=utf-8" },
		{ "/alias.js", "text/javascript; charset=utf-8" },
		{ "/style.css", "text/css; charset=utf-8" },
		{ "/font.woff2", "font/woff2" },
		{ "/sub/welcome.ans", "application/octet-stream" },
		{ "/empty.txt", "text/plain; charset=utf-8" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		serve(f, HTTP_GET, cases[i].path, NULL, &r);
		assert_int_equal(r.status, 200);
		assert_true(header(&r, "Content-Type", v, sizeof(v)));
		assert_string_equal(v, cases[i].type);
		assert_true(header(&r, "Cache-Control", v, sizeof(v)));
		assert_string_equal(v, "public, max-age=86400");
	}
	serve(f, HTTP_GET, "/alias.js", NULL, &r);
	assert_string_equal(r.body, "console.log(1);\n");
	serve(f, HTTP_GET, "/empty.txt", NULL, &r);
	assert_string_equal(r.body, "");
	assert_true(header(&r, "Content-Length", v, sizeof(v)));
	assert_string_equal(v, "0");
}

static void test_serve_refusals(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	static const struct { const char *path; int status; } cases[] = {
		{ "/missing.js", 404 },
		{ "/escape.txt", 404 },         /* symlink to ../secret.txt */
		{ "/abs.txt", 404 },            /* symlink to /etc/passwd */
		{ "/up/secret.txt", 404 },      /* symlink to .. */
		{ "/up/secret.txt/", 404 },
		{ "/dangling", 404 },
		{ "/fifo", 404 },
		{ "/bare", 404 },               /* a directory */
		{ "/bare/", 404 },              /* ... without index.html */
		{ "/sub", 404 },
		{ "/.htpasswd", 404 },
		{ "/index.html/", 404 },
		{ "/../secret.txt", 400 },
		{ "/%2e%2e/secret.txt", 400 },
		{ "/sub/../../secret.txt", 400 },
		{ "/a%00", 400 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		serve(f, HTTP_GET, cases[i].path, NULL, &r);
		if (r.status != cases[i].status)
			fail_msg("%s: got %d, want %d", cases[i].path, r.status, cases[i].status);
		assert_null(strstr(r.body, "secret"));
		assert_null(strstr(r.body, "root:"));
	}
	/* a long path */
	char longp[5000];
	longp[0] = '/';
	memset(longp + 1, 'a', sizeof(longp) - 2);
	longp[sizeof(longp) - 1] = '\0';
	serve(f, HTTP_GET, longp, NULL, &r);
	assert_true(r.status == 414 || r.status == 404);
}

static void test_serve_unreadable(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	char path[256];

	if (geteuid() == 0) {
		printf("# running as root, who reads any file: the unreadable file is not tried\n");
		skip();
	}
	put(f->web, "locked.js", "x");
	snprintf(path, sizeof(path), "%s/locked.js", f->web);
	chmod(path, 0);
	serve(f, HTTP_GET, "/locked.js", NULL, &r);
	assert_int_equal(r.status, 403);
}

static void test_etag_304(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	char etag[128], v[128], inm[300];

	serve(f, HTTP_GET, "/app.js", NULL, &r);
	assert_true(header(&r, "ETag", etag, sizeof(etag)));

	serve(f, HTTP_GET, "/app.js", etag, &r);
	assert_int_equal(r.status, 304);
	assert_string_equal(r.body, "");
	assert_false(header(&r, "Content-Length", v, sizeof(v)));
	assert_true(header(&r, "ETag", v, sizeof(v)));
	assert_string_equal(v, etag);
	assert_true(header(&r, "Cache-Control", v, sizeof(v)));

	snprintf(inm, sizeof(inm), "\"other\", W/%s", etag);
	serve(f, HTTP_GET, "/app.js", inm, &r);
	assert_int_equal(r.status, 304);
	serve(f, HTTP_HEAD, "/app.js", "*", &r);
	assert_int_equal(r.status, 304);
	serve(f, HTTP_GET, "/app.js", "\"other\"", &r);
	assert_int_equal(r.status, 200);
	/* another file's tag does not match */
	serve(f, HTTP_GET, "/style.css", etag, &r);
	assert_int_equal(r.status, 200);

	/* the tag changes with the file */
	put(f->web, "app.js", "console.log(2); // longer\n");
	serve(f, HTTP_GET, "/app.js", etag, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "console.log(2); // longer\n");
	assert_true(header(&r, "ETag", v, sizeof(v)));
	assert_string_not_equal(v, etag);
}

static void test_new_bad_root(void **state)
{
	struct fixture *f = *state;
	char path[256];

	assert_null(http_static_new("/nonexistent/carrier/web"));
	snprintf(path, sizeof(path), "%s/secret.txt", f->top);
	assert_null(http_static_new(path));
	assert_int_equal(errno, ENOTDIR);
	/* a root given through a symlink and with a trailing slash works */
	snprintf(path, sizeof(path), "%s/web/subalias/", f->top);
	struct http_static *s = http_static_new(path);
	assert_non_null(s);
	struct http_request req = { .method = HTTP_GET, .path = "/", .major = 1, .minor = 1 };
	int status = 0;
	struct buf *b = http_static_serve(s, &req, &status);
	assert_int_equal(status, 200);
	assert_non_null(strstr((const char *)b->data, "Connection: close"));
	buf_unref(b);
	req.path = "/../index.html";
	b = http_static_serve(s, &req, &status);
	assert_int_equal(status, 400);
	buf_unref(b);
	http_static_free(s);
}

static void test_https_location(void **state)
{
	(void)state;
	char out[128];
	assert_int_equal(http_https_location("bbs.example.org", 443, "/", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "https://bbs.example.org/");
	assert_int_equal(http_https_location("bbs.example.org:8080", 8443, "/a/b", "x=1&y", out,
	                                     sizeof(out)), 0);
	assert_string_equal(out, "https://bbs.example.org:8443/a/b?x=1&y");
	assert_int_equal(http_https_location("127.0.0.1:80", 443, "/p", "", out, sizeof(out)), 0);
	assert_string_equal(out, "https://127.0.0.1/p?");
	assert_int_equal(http_https_location("[::1]:8080", 4443, "/", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "https://[::1]:4443/");
	/* Nothing but a host name or address (and a port) is echoed back. */
	static const char *const bad[] = {
		NULL, "", ":80", "evil\"<x>", "a b", "a/b", "x:", "x:80a", "x:123456", "[::1",
		"[]", "[::g]", "[::1]x", "a\r\nSet-Cookie: x", "user@host", "h:1:2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (http_https_location(bad[i], 443, "/", NULL, out, sizeof(out)) != 400)
			fail_msg("accepted Host %s", bad[i] ? bad[i] : "(none)");
	char path[200];
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(http_https_location("x", 443, path, NULL, out, sizeof(out)), 414);
}

static void test_redirect_response(void **state)
{
	(void)state;
	struct buf *b = http_response_redirect("https://x:8443/a?b", false, true);
	const char *t = (const char *)b->data;
	assert_memory_equal(t, "HTTP/1.1 301 Moved Permanently\r\n", 32);
	assert_non_null(strstr(t, "\r\nLocation: https://x:8443/a?b\r\n"));
	assert_non_null(strstr(t, "\r\nConnection: keep-alive\r\n"));
	buf_unref(b);
}

static void test_serve_extra_header(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	char v[128];
	http_static_set_header(f->st, "Strict-Transport-Security", "max-age=31536000");
	serve(f, HTTP_GET, "/", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(header(&r, "Strict-Transport-Security", v, sizeof(v)));
	assert_string_equal(v, "max-age=31536000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_normalize_bounds),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_etag_match),
		cmocka_unit_test_setup_teardown(test_serve_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serve_assets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serve_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serve_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_etag_304, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_bad_root, setup, teardown),
		cmocka_unit_test(test_https_location),
		cmocka_unit_test(test_redirect_response),
		cmocka_unit_test_setup_teardown(test_serve_extra_header, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
