/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_WG_UAPI_H
#define WGNET_NETLINK_WG_UAPI_H

#include <sys/un.h>

/*
 * Private to netlink/: the UAPI socket of wg_uapi.c for wg_userspace.c, which starts and
 * watches the process behind it. dir NULL = WG_UAPI_DIR (wg.h).
 */

/* Per send or receive on the socket: callers hold the driver lock, and a wireguard-go that
 * does not answer in this time is left to the watchdog (wg_userspace_check). */
#define WG_UAPI_TIMEOUT_MS 1500

/* <dir>/<ifname>.sock: -EINVAL for a bad interface name, -ENAMETOOLONG. */
int wg_uapi_addr(const char *dir, const char *ifname, struct sockaddr_un *sun);
/*
 * A connection with every send and receive (connect too) bounded by timeout_ms: its fd, or
 * -errno: -ENOENT no socket, -ECONNREFUSED nobody listens on it, -ETIMEDOUT.
 */
int wg_uapi_connect(const struct sockaddr_un *sun, unsigned timeout_ms);
/* get=1 on a connection, the reply read to its end and dropped: 0 if it answered, or the
 * reply's error, -ETIMEDOUT, -EBADMSG, ... The caller closes fd. */
int wg_uapi_ping(int fd);

#endif
