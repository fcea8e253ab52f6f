/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_ENDPOINT_H
#define WGNET_DRIVER_ENDPOINT_H

#include <stdbool.h>

#include "driver/errbuf.h"
#include "driver/state.h"

struct driver;

/* The endpoint's veth pair on its network's bridge (driver/endpoint.c). Lock held. */
int endpoint_veth_ensure(struct driver *d, const struct state_pool *p,
			 const struct state_endpoint *ep, bool *created, struct errbuf *e);
void endpoint_veth_remove(struct driver *d, const struct state_endpoint *ep);

#endif
