/* Telling systemd how the service is doing (sd_notify(3), Type=notify): ready once
 * the listeners are open, reloading, stopping, and the watchdog's pings.  Without
 * systemd ($NOTIFY_SOCKET unset) every call does nothing and costs next to nothing.
 *
 * The pings come from a timer on the event loop (the server's): a wedged loop stops
 * pinging, and systemd restarts the service after WatchdogSec. */
#ifndef CARRIER_OPS_NOTIFY_H
#define CARRIER_OPS_NOTIFY_H

#include <stdint.h>

/* READY=1 with a STATUS line ("serving: http 127.0.0.1:8080 ..."). */
void ops_notify_ready(const char *status);
/* RELOADING=1 (with MONOTONIC_USEC, for Type=notify-reload), before a reload. */
void ops_notify_reloading(void);
/* STOPPING=1, when the shutdown begins. */
void ops_notify_stopping(void);
/* STATUS=text alone. */
void ops_notify_status(const char *status);

/* The watchdog interval systemd asks for ($WATCHDOG_USEC, for this process), in
 * microseconds; 0 when there is none.  Ping at least twice per interval. */
uint64_t ops_watchdog_usec(void);
void ops_watchdog_ping(void);

#endif
