/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_NETWORK_H
#define WGNET_DRIVER_NETWORK_H

#include <stdbool.h>

#include "driver/errbuf.h"
#include "driver/state.h"
#include "driver/status.h"

struct driver;

/* The network's bridge with the gateway address (and no other), MTU, no IPv6, up; one of that
 * name is adopted (driver/network.c). Lock held. */
int network_bridge_ensure(struct driver *d, const struct state_pool *p, bool *created,
			  struct errbuf *e);

/* The networks of `wgnet status` and of the metrics: pool, slice, bridge (links: whether it is
 * up in the kernel, else left false), endpoints and addresses used. Lock held; -ENOMEM. */
int network_status_fill(struct driver *d, struct driver_status *s, bool links);

#endif
