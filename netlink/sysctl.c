/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netlink/sysctl.h"

#define IP_FORWARD_PATH "/proc/sys/net/ipv4/ip_forward"

/* Writes v ('0' or '1') unless the value already is v; -errno of the open, read or write.
 * Read first on its own: a read-only /proc/sys (a managed plugin's) fails only a change. */
static int sysctl_ensure(const char *path, char v)
{
	char c = 0, line[2] = { v, '\n' };
	int fd, ret = 0;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, &c, 1);
	if (n != 1)
		ret = n < 0 ? -errno : -EIO;
	close(fd);
	if (ret < 0 || c == v)
		return ret;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, line, 2) != 2)
		ret = -errno;
	close(fd);
	return ret;
}

int sysctl_ipv4_forward_enable(void)
{
	/* read-only /proc/sys (managed plugin): fine if dockerd turned it on already */
	return sysctl_ensure(IP_FORWARD_PATH, '1');
}

/* net.<family>.conf.<ifname>.<key> = v */
static int sysctl_if_ensure(const char *family, const char *ifname, const char *key, char v)
{
	char path[64 + IFNAMSIZ];

	if (!ifname[0] || strchr(ifname, '/') || strnlen(ifname, IFNAMSIZ) == IFNAMSIZ)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, ifname, key);
	return sysctl_ensure(path, v);
}

int sysctl_route_localnet_enable(const char *ifname)
{
	return sysctl_if_ensure("ipv4", ifname, "route_localnet", '1');
}

int sysctl_route_localnet_disable(const char *ifname)
{
	return sysctl_if_ensure("ipv4", ifname, "route_localnet", '0');
}

int sysctl_ipv6_disable(const char *ifname)
{
	int ret = sysctl_if_ensure("ipv6", ifname, "disable_ipv6", '1');

	/* no /proc/sys/net/ipv6 at all: a kernel without IPv6 */
	return ret == -ENOENT && access("/proc/sys/net/ipv6", F_OK) < 0 ? 0 : ret;
}
