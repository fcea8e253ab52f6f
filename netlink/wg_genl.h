/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_WG_GENL_H
#define WGNET_NETLINK_WG_GENL_H

#include <stddef.h>
#include <stdint.h>

#include "netlink/wg.h"

/*
 * The message builders and the reply parser of wg_genl.c, apart from the socket so that they
 * can be tested without a kernel that has WireGuard. The kernel takes far bigger messages than
 * this; 16 KiB keeps a nest's u16 length and one receive buffer safe.
 */
#define WG_GENL_MSG_MAX 16384

struct nlmsghdr;

/* WG_CMD_SET_DEVICE with the name, the private key (if any) and the port (if not 0). */
int wg_genl_build_device(void *buf, size_t size, uint16_t family, uint32_t seq,
			 const struct wg_device *dev);

/*
 * One WG_CMD_SET_DEVICE message in buf (at most size bytes) with as many of peers[0..n) as fit.
 * *allowed_done is in and out: how many allowed IPs of peers[0] earlier messages carried, then
 * how many of peers[*consumed] this and earlier messages carried (not 0 only when a peer with
 * too many allowed IPs for one message is split). *consumed is how many peers are complete.
 * A peer that does not fit whole is left for the next message, unless it is the first.
 * Returns the message length, -EMSGSIZE if not even one allowed IP fits, -EINVAL or
 * -EAFNOSUPPORT for a bad name, prefix or endpoint. Removed peers carry only key and flag.
 */
int wg_genl_build_peers(void *buf, size_t size, uint16_t family, uint32_t seq, const char *ifname,
			const struct wg_peer *peers, size_t n, size_t *consumed,
			size_t *allowed_done);

/* WG_CMD_GET_DEVICE dump request for ifname. */
int wg_genl_build_get(void *buf, size_t size, uint16_t family, uint32_t seq, const char *ifname);

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

/* libmnl data callback for one reply message; data is a struct wg_genl_dump. */
int wg_genl_parse_device(const struct nlmsghdr *nlh, void *data);

#endif
