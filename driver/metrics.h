/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_METRICS_H
#define WGNET_DRIVER_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/errbuf.h"
#include "driver/status.h"

/*
 * What the metrics show (driver_metrics_get, driver/metrics.c): a copy taken under the lock
 * from the rooms that own each part, and the device's counters read after the lock was
 * released. plugin/ formats it (Prometheus text) without any lock.
 */
struct driver_metrics {
	struct driver_status st;	/* host, peers, networks and store (no kernel look: the
					 * bridges' and the firewall's words are not filled) */
	bool device_read;		/* the peers' handshakes and counters are the device's */
	bool firewall_programmed;	/* our tables are as the state wants them */
	uint64_t firewall_rebuilds;	/* after another program changed them */
	uint64_t watchdog_restarts;	/* of the userspace WireGuard, and those that failed */
	uint64_t watchdog_restart_failures;
	uint64_t events;		/* the number of the last event */
};

int driver_metrics_get(struct driver *d, struct driver_metrics *out, struct errbuf *e);
void driver_metrics_release(struct driver_metrics *m);

#endif
