/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_NETWORK_H
#define WGNET_DRIVER_NETWORK_H

#include <stdbool.h>

#include "driver/errbuf.h"
#include "driver/state.h"

struct driver;

/* The network's bridge with the gateway address (and no other), MTU, no IPv6, up; one of that
 * name is adopted (driver/network.c). Lock held. */
int network_bridge_ensure(struct driver *d, const struct state_pool *p, bool *created,
			  struct errbuf *e);

#endif
