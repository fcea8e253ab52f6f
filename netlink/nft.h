/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_NFT_H
#define WGNET_NETLINK_NFT_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The table `inet wgnet`, replaced whole in one nftables batch (libnftnl over libmnl): the
 * kernel applies all of it or none. The policy arrives as plain lists (driver/firewall.c);
 * this file knows nothing of Docker. Addresses in host byte order.
 */
#define NFT_TABLE_NAME "wgnet"

struct nft_bridge {
	char ifname[IFNAMSIZ];		/* wgb... */
	uint32_t pool_addr;		/* the network's cluster pool */
	uint32_t slice_addr;		/* this host's slice of it (on the bridge) */
	uint8_t pool_len;
	uint8_t slice_len;
	bool internal;			/* --internal: own bridge and the tunnel only, no masquerade */
};

/* A port of this host opened to the mesh (`wgnet host allow tcp/53`). */
struct nft_port {
	uint8_t proto;			/* 6 tcp, 17 udp, 132 sctp */
	uint16_t port;
};

struct nft_dnat {
	uint8_t proto;			/* 6 tcp, 17 udp, 132 sctp */
	uint32_t host_ip;		/* 0 = any local address */
	uint16_t host_port;
	uint16_t host_port_end;		/* == host_port for one port */
	uint32_t ctr_ip;
	uint16_t ctr_port;
	char bridge[IFNAMSIZ];		/* the container's bridge */
};

/*
 * Forward: from a wgnet bridge only to the same bridge, to wg_ifname for its own pool (with a
 * source of its slice other than the gateway) and, unless internal, to the uplinks; into a
 * bridge only from the same bridge, the tunnel (to the local slice), replies and published
 * ports. Input: on wg_ifname only replies, ICMP errors, echo requests, UDP port 53 of the
 * local slices (the names the peers ask for) and host_allow; the responders only from the
 * bridges and the host itself.
 */
/* A container's port on its bridge and the only MAC and IPv4 source it may send from. */
struct nft_ctr_port {
	char ifname[IFNAMSIZ];		/* wgv... */
	uint8_t mac[6];			/* the container's eth0 */
	uint32_t addr;
};

struct nft_policy {
	const char *wg_ifname;		/* "wgnet0": tunnel rules; NULL = no tunnel yet */
	const struct nft_bridge *bridges;
	size_t nbridges;
	const struct nft_dnat *dnats;
	size_t ndnats;
	const char (*uplinks)[IFNAMSIZ];	/* devices of the default routes */
	size_t nuplinks;
	const struct nft_port *host_allow;	/* opened to wg_ifname on input */
	size_t nhost_allow;
	const struct nft_ctr_port *ports;	/* table bridge wgnet: no spoofed source */
	size_t nports;
	/* the names responders' addresses (on lo): reached from the bridges and the host only;
	 * and UDP port 53 of the local slices (the gateways) open to wg_ifname, for the peers */
	const uint32_t *responders;
	size_t nresponders;
};

/* Replace (or create) the table, and `bridge wgnet` beside it, with exactly this policy,
 * atomically. */
int nft_apply(const struct nft_policy *p);
/* One container port added to or removed from `bridge wgnet`'s set, the rest of both tables
 * left alone: -ENOENT when the table, its set or (removing) the element is not there. */
int nft_port_update(const struct nft_ctr_port *port, bool add);
/* Delete both tables; 0 if they were not there. */
int nft_delete(void);
/* 1 if both tables exist, 0 if not, -errno on failure. */
int nft_exists(void);
/* Another program's table: 1 if family ("ip", "ip6", "inet", "bridge") has one of that
 * name, 0 if not, -errno (-EINVAL: another family). */
int nft_table_exists(const char *family, const char *name);

#endif
