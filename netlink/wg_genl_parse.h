/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_WG_GENL_PARSE_H
#define WGNET_NETLINK_WG_GENL_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "netlink/wg.h"

/*
 * The replies wg_genl.c reads, as libmnl data callbacks apart from the socket, so that they can
 * be tested without a kernel that has WireGuard.
 */

struct nlmsghdr;

/*
 * A get-device reply being merged: peers may be split over messages, and a peer's allowed IPs
 * continue in the next message under the same public key. Start zeroed; on success take dev,
 * on failure pass dev to wg_device_release().
 */
struct wg_genl_dump {
	uint16_t family;
	struct wg_device dev;
	size_t peers_cap;
	size_t ips_cap;			/* of the last peer's allowed_ips */
	int err;			/* set when the callback returns MNL_CB_ERROR */
};

/* One reply message of a WG_CMD_GET_DEVICE dump; data is a struct wg_genl_dump. */
int wg_genl_parse_device(const struct nlmsghdr *nlh, void *data);

/* The reply to wg_genl_build_family; data is a uint16_t, set to the family's id if present. */
int wg_genl_parse_family(const struct nlmsghdr *nlh, void *data);

#endif
