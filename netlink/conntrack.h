/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_CONNTRACK_H
#define WGNET_NETLINK_CONNTRACK_H

#include <stdint.h>

/*
 * Connection tracking (ctnetlink over libmnl, IPv4): the entries of the flows to one published
 * port. A flow's entry keeps the NAT its first packet got, whatever the rules say later: a
 * UDP client that keeps sending keeps its entry alive, and with it a DNAT that is gone, or the
 * absence of one that came since. So when a port's DNAT goes or comes, the entries it no
 * longer decides are deleted, and the next packet of each flow meets the rules as they are.
 * Addresses and ports in host byte order.
 */
struct conntrack_port {
	uint8_t proto;			/* 6 tcp, 17 udp, 132 sctp */
	uint32_t host_ip;		/* the flows' original destination; 0 = any address */
	uint16_t host_port;		/* and destination port */
	uint32_t ctr_ip;		/* where the DNAT sends them: the replies' source */
	uint16_t ctr_port;
};

enum conntrack_which {
	CONNTRACK_TO_CTR,		/* the flows DNATed to ctr_ip:ctr_port */
	CONNTRACK_ELSEWHERE,		/* the flows to the port that go anywhere else */
};

/* Deletes those entries: how many, or -errno (-EPROTONOSUPPORT: no ctnetlink here). */
int conntrack_delete_port(const struct conntrack_port *p, enum conntrack_which which);

#endif
