#include "ops/notify.h"

#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "util/log.h"

static void notify(const char *state)
{
	int rc = sd_notify(0, state);
	if (rc < 0)
		log_warn("event=notify_failed state=%s error=%d", LOG_Q(state), rc);
}

void ops_notify_ready(const char *status)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	notify(msg);
}

void ops_notify_reloading(void)
{
	struct timespec ts;
	char msg[96];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	         (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
	notify(msg);
}

void ops_notify_stopping(void)
{
	notify("STOPPING=1\nSTATUS=stopping");
}

void ops_notify_status(const char *status)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "STATUS=%s", status);
	notify(msg);
}

uint64_t ops_watchdog_usec(void)
{
	uint64_t usec = 0;
	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

void ops_watchdog_ping(void)
{
	sd_notify(0, "WATCHDOG=1");
}
