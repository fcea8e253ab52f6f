/* SPDX-License-Identifier: MIT */
/* What both WireGuard backends share. */
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
