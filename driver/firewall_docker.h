/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_FIREWALL_DOCKER_H
#define WGNET_DRIVER_FIREWALL_DOCKER_H

#include <time.h>

#include "driver/status.h"

/*
 * Docker's own firewall as seen from here (driver/firewall_docker.c): which backend the host's
 * dockerd uses, for `wgnet status`, and a FORWARD policy of DROP that nothing lets wgnet's
 * traffic through (no jump to DOCKER-USER, where wgnet's accepts are), warned about in the log
 * and the status. The DOCKER-USER thread of driver/firewall.c reads iptables without the lock
 * and hands what it read over here. Lock held.
 */

struct driver;
struct iptables_forward;

/* What `iptables -S FORWARD` said (ret 0), or that it could not be read (ret < 0), at now
 * (CLOCK_MONOTONIC seconds); the next look is due by the time returned. */
time_t firewall_docker_seen(struct driver *d, int ret, const struct iptables_forward *f,
			    time_t now);
/* The docker_* part of `wgnet status`. */
void firewall_docker_status(struct driver *d, struct driver_status *s);

#endif
