/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_FIREWALL_H
#define WGNET_DRIVER_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>

#include "driver/errbuf.h"
#include "driver/state.h"
#include "driver/status.h"

/*
 * The firewall (driver/firewall.c): the one owner of wgnet's nftables tables (`inet wgnet`,
 * `bridge wgnet`), its DOCKER-USER rules and the sysctls of its links. Lock held, but in
 * init and fini.
 */

struct driver;

/* iptables: the binary of the host's dockerd ("iptables" if NULL); no_iptables: never
 * touch DOCKER-USER (tests). */
void firewall_init(struct driver *d, const char *iptables, bool no_iptables);
void firewall_fini(struct driver *d);
/* Rebuild our tables from st (delete them when st has no network and no mesh); whether the
 * last rebuild failed is firewall_failed(). */
int firewall_apply(struct driver *d, const struct state *st, struct errbuf *e);
bool firewall_failed(const struct driver *d);
/* st has networks, published ports or a mesh: our tables should exist. */
bool firewall_wanted(const struct driver *d, const struct state *st);
/* A container port (ep's veth, MAC and address) added to or removed from the set of what
 * container ports may send, alone; the whole rebuild of st when that cannot be done. */
int firewall_port(struct driver *d, const struct state *st, const struct state_endpoint *ep,
		  bool add, struct errbuf *e);
/* DOCKER-USER accepts: ensured while networks exist, removed when the last one goes. The
 * work is handed to a thread (started by firewall_docker_user_start), so this never waits on
 * iptables. */
void firewall_docker_user_sync(struct driver *d, bool force);
void firewall_docker_user_start(struct driver *d);
void firewall_docker_user_stop(struct driver *d);
/* IPv6 off on one of our links (a bridge or a host-side veth): wgnet networks are IPv4 only,
 * and a container's router advertisement must not configure the host. Logged, never fatal. */
void firewall_link_no_ipv6(const char *ifname);
/* route_localnet on (published ports on 127.0.0.1) or off (failing closed) on our bridges
 * that publish ports. */
void firewall_localnet(const struct state *st, bool on);
/* The firewall of `wgnet status`: failed, ok (the tables there when they should be), and
 * Docker's (driver/firewall_docker.c). */
void firewall_status_fill(struct driver *d, struct driver_status *s);

#endif
