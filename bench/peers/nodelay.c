/*
 * nodelay.c -- LD_PRELOAD shim for the IRC peers (optional, off by default).
 *
 * ngIRCd and InspIRCd leave Nagle's algorithm on for client sockets; Carrier,
 * Node's ws and uWebSockets set TCP_NODELAY.  With BENCH_NODELAY=1, ngircd.sh
 * and inspircd.sh build this file into DIR/nodelay.so and preload it, so that
 * every socket the daemon accepts gets TCP_NODELAY too.  Nothing else changes.
 * See README.md ("Fairness caveats") for when to use it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void set_nodelay(int fd)
{
	int one = 1;

	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int (*real)(int, struct sockaddr *, socklen_t *);
	int c;

	*(void **)&real = dlsym(RTLD_NEXT, "accept");
	c = real(fd, addr, len);
	set_nodelay(c);
	return c;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int (*real)(int, struct sockaddr *, socklen_t *, int);
	int c;

	*(void **)&real = dlsym(RTLD_NEXT, "accept4");
	c = real(fd, addr, len, flags);
	set_nodelay(c);
	return c;
}
