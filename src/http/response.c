#include "http/response.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "util/sbuf.h"

const char *http_status_reason(int status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 426: return "Upgrade Required";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

void http_format_date(time_t t, char out[30])
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 0 || tm.tm_year > 9999 - 1900) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	/* The modulos only tell the compiler what gmtime_r already promises. */
	snprintf(out, 30, "%.3s, %02u %.3s %04u %02u:%02u:%02u GMT",
		 days[tm.tm_wday % 7], (unsigned)tm.tm_mday % 100u, months[tm.tm_mon % 12],
		 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

static bool clean(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

static void header(struct sbuf *s, const char *name, const char *value)
{
	assert(clean(name) && clean(value));
	sbuf_printf(s, "%s: %s\r\n", name, value);
}

struct buf *http_response_build(const struct http_response *resp)
{
	struct sbuf s = SBUF_INIT;
	char date[30];
	int st = resp->status;
	bool bodiless = st < 200 || st == 204 || st == 304;

	assert(st >= 100 && st <= 999);
	assert(resp->head || resp->body != NULL || resp->body_len == 0);
	http_format_date(resp->date != 0 ? resp->date : time(NULL), date);
	sbuf_printf(&s, "HTTP/1.1 %d %s\r\n", st, http_status_reason(st));
	header(&s, "Server", "Carrier");
	header(&s, "Date", date);
	if (resp->content_type != NULL)
		header(&s, "Content-Type", resp->content_type);
	if (!bodiless)
		sbuf_printf(&s, "Content-Length: %zu\r\n", resp->body_len);
	if (resp->etag != NULL)
		header(&s, "ETag", resp->etag);
	if (resp->cache_control != NULL)
		header(&s, "Cache-Control", resp->cache_control);
	for (size_t i = 0; i < resp->n_extra; i++)
		header(&s, resp->extra[i].name, resp->extra[i].value);
	if (st != 101) {
		header(&s, "X-Content-Type-Options", "nosniff");
		header(&s, "Connection", resp->keep_alive ? "keep-alive" : "close");
	}
	sbuf_puts(&s, "\r\n");
	if (!bodiless && !resp->head && resp->body_len > 0)
		sbuf_append(&s, resp->body, resp->body_len);

	struct buf *b = buf_from(s.data, s.len);
	sbuf_free(&s);
	return b;
}

struct buf *http_response_error(int status, bool head, bool keep_alive)
{
	char body[80];
	static const struct http_header allow[] = { { "Allow", "GET, HEAD" } };
	/* Carrier only ever asks for an upgrade to WebSocket. */
	static const struct http_header upgrade[] = {
		{ "Upgrade", "websocket" },
		{ "Sec-WebSocket-Version", "13" },
	};
	int n = snprintf(body, sizeof(body), "%d %s\n", status, http_status_reason(status));
	struct http_response r = {
		.status = status,
		.content_type = "text/plain; charset=utf-8",
		.cache_control = "no-store",
		.extra = status == 405 ? allow : status == 426 ? upgrade : NULL,
		.n_extra = status == 405 ? 1 : status == 426 ? 2 : 0,
		.body = body,
		.body_len = (size_t)n,
		.head = head,
		.keep_alive = keep_alive,
	};

	assert(n > 0 && (size_t)n < sizeof(body));
	return http_response_build(&r);
}

struct buf *http_response_redirect(const char *location, bool head, bool keep_alive)
{
	static const char body[] = "301 Moved Permanently\n";
	struct http_header loc[] = { { "Location", location } };
	struct http_response r = {
		.status = 301,
		.content_type = "text/plain; charset=utf-8",
		.cache_control = "no-store",
		.extra = loc,
		.n_extra = 1,
		.body = body,
		.body_len = sizeof(body) - 1,
		.head = head,
		.keep_alive = keep_alive,
	};
	return http_response_build(&r);
}

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.';
}

int http_https_location(const char *host, int https_port, const char *path, const char *query,
                        char *out, size_t len)
{
	if (host == NULL || *host == '\0')
		return 400;
	/* The name (or address) and where it ends: "[v6]", or up to ':'. */
	size_t n = 0;
	if (host[0] == '[') {
		n = 1;
		while (host[n] != '\0' && host[n] != ']') {
			char c = host[n];
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
			      c == ':' || c == '.'))
				return 400;
			n++;
		}
		if (host[n] != ']' || n == 1)
			return 400;
		n++;
	} else {
		while (host_char(host[n]))
			n++;
		if (n == 0)
			return 400;
	}
	/* Only a port may follow. */
	if (host[n] == ':') {
		const char *p = host + n + 1;
		if (*p == '\0' || strlen(p) > 5 || strspn(p, "0123456789") != strlen(p))
			return 400;
	} else if (host[n] != '\0') {
		return 400;
	}
	char port[8] = "";
	if (https_port != 443)
		snprintf(port, sizeof(port), ":%d", https_port);
	int w = snprintf(out, len, "https://%.*s%s%s%s%s", (int)n, host, port, path,
	                 query ? "?" : "", query ? query : "");
	if (w < 0 || (size_t)w >= len)
		return 414;
	/* The parser never lets CR or LF into a path or query; be sure. */
	return strpbrk(out, "\r\n") ? 400 : 0;
}
