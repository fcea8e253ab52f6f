/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_ADDR_H
#define WGNET_NETLINK_ADDR_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/nl.h"

/* IPv4 interface addresses (host byte order in the API). */
struct addr_entry {
	int ifindex;
	uint32_t addr;
	uint8_t prefixlen;
	char label[IFNAMSIZ];		/* IFA_LABEL, "" when it has none */
};

int addr_add(struct nl *nl, const char *ifname, uint32_t addr, uint8_t prefixlen); /* -EEXIST */
/* With a label ("lo:wgnet": the link's name, a colon, a tag), the mark of an address of ours
 * on a link that is not: reconciling finds it by the label. -EEXIST, -EINVAL (bad label). */
int addr_add_label(struct nl *nl, const char *ifname, uint32_t addr, uint8_t prefixlen,
		   const char *label);
int addr_del(struct nl *nl, const char *ifname, uint32_t addr, uint8_t prefixlen); /* -EADDRNOTAVAIL */
/* IPv4 addresses of ifname; *out malloc'd (free()). */
int addr_list(struct nl *nl, const char *ifname, struct addr_entry **out, size_t *n);

#endif
