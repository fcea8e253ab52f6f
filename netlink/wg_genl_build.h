/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_WG_GENL_BUILD_H
#define WGNET_NETLINK_WG_GENL_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "netlink/wg.h"

/*
 * The requests of wg_genl.c, built into buf (at most size bytes) apart from the socket, so that
 * they can be tested without a kernel that has WireGuard. Each returns the message's length,
 * -EMSGSIZE when it does not fit, -EINVAL for a bad interface name. The kernel takes far bigger
 * messages than WG_GENL_MSG_MAX; 16 KiB keeps a nest's u16 length and one receive buffer safe.
 */
#define WG_GENL_MSG_MAX 16384

/* 0, or -EINVAL for a name no interface can have: what every request below checks first. */
int wg_genl_build_check_ifname(const char *ifname);

/* CTRL_CMD_GETFAMILY for the wireguard family (WG_GENL_NAME), with an ack. */
int wg_genl_build_family(void *buf, size_t size, uint32_t seq);

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

#endif
