/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_SYSCTL_H
#define WGNET_NETLINK_SYSCTL_H

/* net.ipv4.ip_forward = 1 (0 if it already was); -EROFS in a managed plugin's read-only /proc/sys. */
int sysctl_ipv4_forward_enable(void);

/* net.ipv4.conf.<ifname>.route_localnet = 1: 127.0.0.1 may be routed out of it after a DNAT. */
int sysctl_route_localnet_enable(const char *ifname);
/* ... = 0 again; -ENOENT when the interface is gone. */
int sysctl_route_localnet_disable(const char *ifname);

/* net.ipv6.conf.<ifname>.disable_ipv6 = 1: no IPv6 address, router advertisement or
 * autoconfiguration on it; 0 on a kernel without IPv6. */
int sysctl_ipv6_disable(const char *ifname);

#endif
