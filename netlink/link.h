/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_LINK_H
#define WGNET_NETLINK_LINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/nl.h"

/* Links through rtnetlink: bridges, veth pairs, up/down, MTU, master, namespaces. */

struct link_info {
	char name[IFNAMSIZ];
	int index;
	int master;			/* ifindex of the master, 0 = none */
	unsigned mtu;
	bool up;			/* IFF_UP */
	bool ipv6_none;			/* no IPv6 address generation (or no IPv6 at all) */
	char kind[16];			/* IFLA_INFO_KIND: "bridge", "veth", "wireguard", "" */
};

/* -EEXIST if a link of that name exists. The bridge is created down, with no IPv6 address
 * to come (link_set_ipv6_none). */
int link_bridge_create(struct nl *nl, const char *name, unsigned mtu);
/* IPv6 address generation off: the link gets no link-local address when it comes up. */
int link_set_ipv6_none(struct nl *nl, const char *name);
/* A kernel WireGuard device, down, no address; -EOPNOTSUPP when the kernel has no WireGuard. */
int link_wireguard_create(struct nl *nl, const char *name, unsigned mtu);
/*
 * A veth pair, both ends with mtu, host end enslaved to master (if not NULL), without IPv6
 * (link_set_ipv6_none) and up, the peer left down in this namespace with peer_mac if not NULL.
 * -EEXIST if either name exists.
 */
int link_veth_create(struct nl *nl, const char *host, const char *peer, unsigned mtu,
		     const char *master, const uint8_t peer_mac[6]);
int link_set_up(struct nl *nl, const char *name);
int link_set_mtu(struct nl *nl, const char *name, unsigned mtu);
/* A bridge given its own MAC keeps it; otherwise it takes its lowest port's, which changes as
 * ports come and go and leaves the neighbours' ARP entries for it stale. */
int link_set_address(struct nl *nl, const char *name, const uint8_t mac[6]);
int link_set_master(struct nl *nl, const char *name, const char *master);
/* Moves name into the namespace of netns_fd, renamed to new_name if not NULL. */
int link_set_netns(struct nl *nl, const char *name, int netns_fd, const char *new_name);
int link_del(struct nl *nl, const char *name);		/* -ENODEV if absent */
int link_get(struct nl *nl, const char *name, struct link_info *out);	/* -ENODEV if absent */
int link_get_index(struct nl *nl, int index, struct link_info *out);	/* -ENODEV if absent */
/* Every link of this namespace; *out is malloc'd (free()), even when *n is 0. */
int link_dump(struct nl *nl, struct link_info **out, size_t *n);

#endif
