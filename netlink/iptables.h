/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_IPTABLES_H
#define WGNET_NETLINK_IPTABLES_H

#include <stdbool.h>

/*
 * The fixed accept rules wgnet needs in Docker's DOCKER-USER chain, written only through the
 * iptables binary dockerd uses (never as native nft rules in iptables-nft's tables). Each rule
 * carries the comment "wgnet" so it can be found and removed. Rules are checked with -C and
 * inserted with -I, never appended, never one per network or peer.
 */
#define IPTABLES_COMMENT "wgnet"

/* 0 when present (now or already), -ENOENT when DOCKER-USER does not exist (no dockerd yet,
 * or Docker's nftables backend), -EBUSY when another program held the xtables lock for the
 * whole -w wait, -errno when the binary fails otherwise. */
int iptables_docker_user_ensure(const char *iptables_bin, const char *wg_ifname);
/* Removes every rule of ours; 0 also when the chain does not exist. */
int iptables_docker_user_remove(const char *iptables_bin);
/* 1 if all our rules are present, 0 if not (or no chain), -errno on failure. */
int iptables_docker_user_present(const char *iptables_bin, const char *wg_ifname);

/* What the filter table's FORWARD chain says of Docker (`iptables -S FORWARD`). */
struct iptables_forward {
	bool policy_drop;		/* -P FORWARD DROP */
	bool to_docker_user;		/* a rule jumps to DOCKER-USER */
	char docker_chain[32];		/* the first other DOCKER* chain it jumps to, "" = none
					 * (DOCKER-FORWARD from 28.0, DOCKER-ISOLATION-STAGE-1 and
					 * DOCKER before) */
};
/* 0 with *out filled, -errno when the binary fails (-EBUSY: the xtables lock stayed held). */
int iptables_forward_read(const char *iptables_bin, struct iptables_forward *out);

#endif
