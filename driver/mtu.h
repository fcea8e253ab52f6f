/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_MTU_H
#define WGNET_DRIVER_MTU_H

#include <stddef.h>

struct driver;

/* WireGuard's overhead on an IPv6 underlay: IPv6 40 + UDP 8 + WireGuard 32 bytes. */
#define MTU_WG_OVERHEAD 80
#define MTU_MIN 1280			/* IPv6's minimum, inside the tunnel too */
#define MTU_MAX_PLAIN 1420		/* an underlay of 1500 or less */
#define MTU_MAX_JUMBO 9000		/* --mtu's upper bound too */

/*
 * The WireGuard MTU for an underlay MTU: minus MTU_WG_OVERHEAD, within 1280..1420, or up to
 * 9000 when the underlay has jumbo frames (more than 1500).
 */
unsigned mtu_for_underlay(unsigned underlay);

/*
 * The WireGuard MTU from the uplink (d->lock held): the smallest first-hop MTU of the routes
 * towards the peers whose endpoints are IP addresses, else of the default route (IPv4, then
 * IPv6). from gets how it was found, e.g. "eth0 (MTU 1400) towards the peers".
 * -ENETUNREACH when no route tells.
 */
int mtu_derive(struct driver *d, unsigned *mtu, char *from, size_t size);

#endif
