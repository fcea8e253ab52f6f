/* SPDX-License-Identifier: MIT */
/* What both WireGuard backends share. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/wg.h"

void wg_device_release(struct wg_device *dev)
{
	size_t i;

	if (!dev)
		return;
	for (i = 0; i < dev->npeers; i++)
		free(dev->peers[i].allowed_ips);
	free(dev->peers);
	dev->peers = NULL;
	dev->npeers = 0;
	explicit_bzero(dev->private_key, sizeof(dev->private_key));
	dev->has_private_key = false;
}

int wg_peer_check(const struct wg_peer *p)
{
	if (p->remove)
		return 0;
	if (p->endpoint.ss_family != AF_UNSPEC && p->endpoint.ss_family != AF_INET &&
	    p->endpoint.ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (p->nallowed_ips && !p->allowed_ips)
		return -EINVAL;
	for (size_t i = 0; i < p->nallowed_ips; i++)
		if (p->allowed_ips[i].len > 32)
			return -EINVAL;
	return 0;
}

int wg_peers_check(const struct wg_peer *peers, size_t n)
{
	int ret;

	if (n && !peers)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		ret = wg_peer_check(&peers[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}
