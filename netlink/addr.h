/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_ADDR_H
#define WGNET_NETLINK_ADDR_H

#include <stddef.h>
#include <stdint.h>

#include "netlink/nl.h"

/* IPv4 interface addresses (host byte order in the API). */
struct addr_entry {
	int ifindex;
	uint32_t addr;
	uint8_t prefixlen;
};

int addr_add(struct nl *nl, const char *ifname, uint32_t addr, uint8_t prefixlen); /* -EEXIST */
int addr_del(struct nl *nl, const char *ifname, uint32_t addr, uint8_t prefixlen); /* -EADDRNOTAVAIL */
/* IPv4 addresses of ifname; *out malloc'd (free()). */
int addr_list(struct nl *nl, const char *ifname, struct addr_entry **out, size_t *n);

#endif
