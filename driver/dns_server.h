/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_DNS_SERVER_H
#define WGNET_DRIVER_DNS_SERVER_H

#include "driver/errbuf.h"
#include "driver/state.h"
#include "driver/status.h"

struct driver;

/*
 * The names responder (driver/dns_server.c): for each pool of a network here, UDP and TCP port
 * 53 of its responder address (ipam_responder_addr: 10.210.0.53 for 10.210.0.0/16, the same on
 * every host), put on `lo` with the label "lo:wgnet" (its tag) while a network of the pool
 * exists; and UDP port 53 of this host's gateway of the pool, where the join-line peers ask
 * for this host's own names. A thread of its own serves them with a lock of its own: a query
 * never waits on the driver's lock. It answers a client only from inside the pool of the
 * responder asked (pool A never learns pool B's names), A records of the names it serves, no
 * data (NOERROR, AA) for another type of such a name, REFUSED for the rest (Docker's embedded
 * DNS then asks the next server), with a TTL of DNS_TTL seconds (dns_serve.h); it never
 * forwards.
 */
#define DNS_LO_LABEL "lo:wgnet"

int dns_server_new(struct driver *d, struct errbuf *e);
void dns_server_start(struct driver *d);
/* Joins the thread; the addresses on lo stay (kernel objects outlive wgnetd). */
void dns_server_stop(struct driver *d);
void dns_server_free(struct driver *d);
/* Lock held: addresses, sockets and the peers asked follow the state (its networks' pools,
 * its peers, the host's index). At start and after every change of networks or peers. */
void dns_server_sync(struct driver *d);
/* Lock held: p's responder for wgnet status; the counters. */
void dns_server_network_status(struct driver *d, const struct state_pool *p,
			       struct status_network *out);
void dns_server_status_fill(struct driver *d, struct driver_status *s);

#endif
