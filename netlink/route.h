/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_ROUTE_H
#define WGNET_NETLINK_ROUTE_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/nl.h"

/*
 * IPv4 unicast routes of the main table, through a device (no gateway). wgnet tags its own
 * with rtm_protocol 77, so that a dump of that protocol is exactly what it made.
 */
struct route {
	uint32_t dst;			/* host byte order */
	uint8_t len;
	char ifname[IFNAMSIZ];
	uint8_t protocol;		/* rtm_protocol */
	uint8_t scope;			/* RT_SCOPE_UNIVERSE (0) for wgnet's */
};

/* Adds or replaces the route to dst/len; -ENODEV if the device is absent. */
int route_add(struct nl *nl, const struct route *r);
/* -ESRCH if absent (also when its device is gone: the kernel took the route with it). */
int route_del(struct nl *nl, const struct route *r);
/* Main-table IPv4 routes of that rtm_protocol; *out is malloc'd (free()), even when *n is 0. */
int route_dump_proto(struct nl *nl, uint8_t protocol, struct route **out, size_t *n);
/* Main-table IPv4 default routes (0.0.0.0/0, any protocol): the uplinks; the same contract.
 * A multipath route has no single device and leaves ifname empty. */
int route_dump_default(struct nl *nl, struct route **out, size_t *n);

#endif
