/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_SYSCTL_H
#define WGNET_NETLINK_SYSCTL_H

/* net.ipv4.ip_forward = 1 (0 if it already was); -EROFS in a managed plugin's read-only /proc/sys. */
int sysctl_ipv4_forward_enable(void);

#endif
