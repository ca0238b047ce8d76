#include "http/handshake.h"

#include <assert.h>
#include <http_parser.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

#include "http/response.h"

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

bool http_list_has_token(const char *list, const char *token)
{
	size_t tlen = strlen(token);
	const char *p = list;

	if (list == NULL)
		return false;
	while (*p != '\0') {
		while (is_ows(*p) || *p == ',')
			p++;
		const char *start = p;
		while (*p != '\0' && *p != ',')
			p++;
		const char *end = p;
		while (end > start && is_ows(end[-1]))
			end--;
		if ((size_t)(end - start) == tlen && strncasecmp(start, token, tlen) == 0)
			return true;
	}
	return false;
}

static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* 16 bytes in base64 are 22 characters and "==". */
static bool valid_key(const char *key)
{
	if (strlen(key) != 24 || key[22] != '=' || key[23] != '=')
		return false;
	for (int i = 0; i < 22; i++)
		if (!is_b64(key[i]))
			return false;
	return true;
}

/* host[:port], or [v6]:port.  Port absent: *port = def.  False if malformed. */
static bool split_authority(const char *s, size_t len, const char **host, size_t *hlen,
			    unsigned *port, unsigned def)
{
	const char *colon = NULL;

	if (len == 0)
		return false;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (close == NULL)
			return false;
		if ((size_t)(close - s) + 1 < len) {
			if (close[1] != ':')
				return false;
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', len);
	}
	*host = s;
	*hlen = colon != NULL ? (size_t)(colon - s) : len;
	*port = def;
	if (*hlen == 0)
		return false;
	if (colon != NULL) {
		const char *d = colon + 1;
		size_t dlen = len - (size_t)(d - s);
		unsigned v = 0;
		if (dlen == 0 || dlen > 5)
			return false;
		for (size_t i = 0; i < dlen; i++) {
			if (d[i] < '0' || d[i] > '9')
				return false;
			v = v * 10 + (unsigned)(d[i] - '0');
		}
		if (v == 0 || v > 65535)
			return false;
		*port = v;
	}
	for (size_t i = 0; i < *hlen; i++) {
		char c = s[i];
		if (c == '/' || c == '?' || c == '#' || c == '@' || c == '\\' || is_ows(c))
			return false;
	}
	return true;
}

/* Origin "http(s)://host[:port]" names the same host and port as Host. */
static bool same_origin(const char *origin, const char *host)
{
	unsigned def;
	const char *rest;

	if (strncasecmp(origin, "http://", 7) == 0) {
		def = 80;
		rest = origin + 7;
	} else if (strncasecmp(origin, "https://", 8) == 0) {
		def = 443;
		rest = origin + 8;
	} else {
		return false;
	}

	const char *oh, *hh;
	size_t ohl, hhl;
	unsigned op, hp;
	if (!split_authority(rest, strlen(rest), &oh, &ohl, &op, def) ||
	    !split_authority(host, strlen(host), &hh, &hhl, &hp, def))
		return false;
	return ohl == hhl && strncasecmp(oh, hh, ohl) == 0 && op == hp;
}

static bool origin_allowed(const char *origin, const char *host,
			   const char *const *allowed, size_t n_allowed)
{
	if (origin == NULL)
		return true;    /* not a browser: nothing to hijack */
	if (same_origin(origin, host))
		return true;
	for (size_t i = 0; i < n_allowed; i++)
		if (allowed[i] != NULL && strcasecmp(origin, allowed[i]) == 0)
			return true;
	return false;
}

bool ws_handshake_accept(const char *key, char accept[WS_ACCEPT_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	bool ok = false;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL)
		return false;
	if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, key, strlen(key)) == 1 &&
	    EVP_DigestUpdate(ctx, ws_guid, sizeof(ws_guid) - 1) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 20) {
		int n = EVP_EncodeBlock((unsigned char *)accept, md, (int)mdlen);
		ok = n == WS_ACCEPT_LEN;
	}
	EVP_MD_CTX_free(ctx);
	return ok;
}

int ws_handshake_check(const struct http_request *req, const char *const *allowed_origins,
		       size_t n_allowed, char accept[WS_ACCEPT_LEN + 1])
{
	if (req->method != HTTP_GET || req->major != 1 || req->minor < 1)
		return 400;
	if (req->host == NULL || req->host[0] == '\0')
		return 400;
	if (!http_list_has_token(req->upgrade, "websocket") ||
	    !http_list_has_token(req->connection, "upgrade"))
		return 400;
	if (req->ws_version == NULL || strcmp(req->ws_version, "13") != 0)
		return 426;
	if (req->ws_key == NULL || !valid_key(req->ws_key))
		return 400;
	if (!origin_allowed(req->origin, req->host, allowed_origins, n_allowed))
		return 403;
	if (!ws_handshake_accept(req->ws_key, accept))
		return 500;
	return 0;
}

struct buf *ws_handshake_response(const char accept[WS_ACCEPT_LEN + 1])
{
	assert(strlen(accept) == WS_ACCEPT_LEN);
	const struct http_header extra[] = {
		{ "Upgrade", "websocket" },
		{ "Connection", "Upgrade" },
		{ "Sec-WebSocket-Accept", accept },
	};
	struct http_response r = {
		.status = 101,
		.extra = extra,
		.n_extra = sizeof(extra) / sizeof(extra[0]),
	};
	return http_response_build(&r);
}
