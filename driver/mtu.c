/* SPDX-License-Identifier: MIT */
/* The WireGuard MTU from the uplink's, for `wgnet init` without --mtu (mtu.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "driver/instance.h"
#include "driver/mtu.h"
#include "netlink/route_mtu.h"

unsigned mtu_for_underlay(unsigned underlay)
{
	unsigned v = underlay > MTU_WG_OVERHEAD ? underlay - MTU_WG_OVERHEAD : 0;
	unsigned max = underlay > 1500 ? MTU_MAX_JUMBO : MTU_MAX_PLAIN;

	if (v < MTU_MIN)
		return MTU_MIN;
	return v > max ? max : v;
}

/* The address of "a.b.c.d:port" or "[v6]:port"; false for a name (not resolved here). */
static bool endpoint_literal(const char *ep, int *family, unsigned char addr[16])
{
	char host[64];
	const char *colon = strrchr(ep, ':');
	size_t n;

	if (!colon)
		return false;
	n = (size_t)(colon - ep);
	if (ep[0] == '[' && n >= 2 && ep[n - 1] == ']') {
		ep++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return false;
	memcpy(host, ep, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, addr) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, host, addr) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

int mtu_derive(struct driver *d, unsigned *mtu, char *from, size_t size)
{
	static const int families[] = { AF_INET, AF_INET6 };
	char dev[IFNAMSIZ], best_dev[IFNAMSIZ] = "";
	unsigned char addr[16];
	unsigned m, best = 0;
	int family;

	for (size_t i = 0; i < d->st.npeers; i++) {
		if (!endpoint_literal(d->st.peers[i].endpoint, &family, addr) ||
		    route_mtu(d->nl, family, addr, &m, dev) < 0)
			continue;
		if (!best || m < best) {
			best = m;
			memcpy(best_dev, dev, sizeof(dev));
		}
	}
	if (best) {
		*mtu = mtu_for_underlay(best);
		snprintf(from, size, "%s (MTU %u) towards the peers", best_dev, best);
		return 0;
	}
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		if (route_mtu(d->nl, families[i], NULL, &m, dev) < 0)
			continue;
		*mtu = mtu_for_underlay(m);
		snprintf(from, size, "%s (MTU %u) of the default route", dev, m);
		return 0;
	}
	return -ENETUNREACH;
}
