#include "ctl/client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/proto.h"
#include "util/sbuf.h"

#define REPLY_TIMEOUT_S 10

__attribute__((format(printf, 1, 2)))
static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "carrier ctl: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

static int connect_to(const char *path, int *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return fail("%s: the path is too long for a Unix socket", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return fail("no server is running (%s: %s)", path, strerror(e));
		if (e == EACCES)
			return fail("%s: %s (the control line is for the server's own user)", path,
			            strerror(e));
		return fail("%s: %s", path, strerror(e));
	}
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	*out = fd;
	return 0;
}

static bool send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		data += n;
		len -= (size_t)n;
	}
	return true;
}

/* What the server says, with control characters but the line ends made visible. */
static void print_clean(FILE *out, const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fputc((s[i] < 0x20 && s[i] != '\n') || s[i] == 0x7f ? '?' : s[i], out);
}

int ctl_client_main(int argc, char **argv, const char *path)
{
	if (argc < 2) {
		fprintf(stderr, "usage: carrier ctl VERB [ARGS...]\n\n%s", ctl_usage);
		return 2;
	}
	struct sbuf line = SBUF_INIT, reply = SBUF_INIT;
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			sbuf_putc(&line, ' ');
		sbuf_puts(&line, argv[i]);
	}
	sbuf_putc(&line, '\n');
	int rc = 0, fd = -1;
	if (line.len > CTL_LINE_MAX) {
		rc = fail("the request is too long (at most %d bytes)", CTL_LINE_MAX);
		goto out;
	}
	if ((rc = connect_to(path, &fd)) != 0)
		goto out;
	if (!send_all(fd, (const char *)line.data, line.len)) {
		rc = fail("%s: %s", path, strerror(errno));
		goto out;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		uint8_t buf[4096];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail("%s: no reply: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		sbuf_append(&reply, buf, (size_t)n);
	}
	const uint8_t *nl = reply.len ? memchr(reply.data, '\n', reply.len) : NULL;
	size_t first = nl ? (size_t)(nl - reply.data) : reply.len;
	if (first == 2 && memcmp(reply.data, "ok", 2) == 0) {
		print_clean(stdout, nl + 1, reply.len - first - 1);
	} else if (first > 7 && memcmp(reply.data, "error: ", 7) == 0) {
		fputs("carrier ctl: ", stderr);
		print_clean(stderr, reply.data + 7, first - 7);
		fputc('\n', stderr);
		rc = 1;
	} else {
		rc = fail("%s: the server gave no answer", path);
	}
out:
	if (fd >= 0)
		close(fd);
	sbuf_free(&line);
	sbuf_free(&reply);
	return rc;
}
