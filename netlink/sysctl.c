/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "netlink/sysctl.h"

#define IP_FORWARD_PATH "/proc/sys/net/ipv4/ip_forward"

int sysctl_ipv4_forward_enable(void)
{
	char c = 0;
	int fd, ret = 0;

	fd = open(IP_FORWARD_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		/* read-only /proc/sys (managed plugin): fine if dockerd turned it on already */
		fd = open(IP_FORWARD_PATH, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		ret = read(fd, &c, 1) == 1 && c == '1' ? 0 : -EROFS;
		close(fd);
		return ret;
	}
	if (read(fd, &c, 1) != 1)
		ret = -errno;
	else if (c != '1' && pwrite(fd, "1\n", 2, 0) != 2)
		ret = -errno;
	close(fd);
	return ret;
}
