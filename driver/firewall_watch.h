/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_FIREWALL_WATCH_H
#define WGNET_DRIVER_FIREWALL_WATCH_H

#include <stddef.h>

#include "driver/metrics.h"

struct driver;

/* The firewall watch (driver/firewall_watch.c): rebuilds our tables when another program
 * changes them, and fails closed while they cannot be built. Open subscribes (before the
 * first build, so that nothing after it is missed); start runs the thread. */
void firewall_watch_open(struct driver *d);
void firewall_watch_start(struct driver *d);
void firewall_watch_stop(struct driver *d);
/* What happened to the tables, for `wgnet status`; "" when nothing did. Lock held. */
void firewall_watch_status(const struct driver *d, char *out, size_t size);
/* The firewall's part of the metrics: built as the state wants it, rebuilds; lock held. */
void firewall_metrics_fill(const struct driver *d, struct driver_metrics *m);

#endif
