/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_ROUTE_MTU_H
#define WGNET_NETLINK_ROUTE_MTU_H

#include <net/if.h>

#include "netlink/nl.h"

/*
 * The MTU of the first hop the kernel takes towards dst (AF_INET or AF_INET6, the address in
 * network byte order), or through the main table's default route of that family (the one of
 * lowest metric) when dst is NULL: the route's own mtu when it has one, else its device's.
 * ifname gets the device. -ENETUNREACH without such a route.
 */
int route_mtu(struct nl *nl, int family, const void *dst, unsigned *mtu, char ifname[IFNAMSIZ]);

#endif
