/* SPDX-License-Identifier: MIT */
/* NetworkDriver.CreateNetwork / DeleteNetwork: a pool lease becomes a bridge with its gateway. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/dns_server.h"
#include "driver/endpoint.h"
#include "driver/firewall.h"
#include "driver/id_list.h"
#include "driver/instance.h"
#include "driver/log.h"
#include "driver/mesh.h"
#include "driver/persist.h"
#include "netlink/addr.h"
#include "netlink/link.h"
#include "netlink/nl.h"
#include "netlink/sysctl.h"

/* Every IPv4 address of the bridge but the gateway's goes: an adopted bridge (or one changed by
 * hand) must route the slice only, as one wgnet made does. */
static int bridge_only_gateway(struct driver *d, const char *br, const struct state_pool *p)
{
	struct addr_entry *a = NULL;
	size_t n = 0, i;
	int ret;

	ret = addr_list(d->nl, br, &a, &n);
	for (i = 0; ret >= 0 && i < n; i++) {
		if (a[i].addr == p->gateway && a[i].prefixlen == p->slice.len)
			continue;
		ret = addr_del(d->nl, br, a[i].addr, a[i].prefixlen);
		if (ret == -EADDRNOTAVAIL)
			ret = 0;
	}
	free(a);
	return ret < 0 ? ret : 0;
}

/* The bridge with the gateway address (and no other), MTU and up; an existing one of that name
 * is adopted (it is ours by name: left by a crash or a previous run). */
int network_bridge_ensure(struct driver *d, const struct state_pool *p, bool *created,
			  struct errbuf *e)
{
	char br[IFNAMSIZ];
	struct link_info li;
	uint8_t mac[6];
	int ret;

	names_bridge(p->network_id, br);
	*created = false;
	ret = link_get(d->nl, br, &li);
	if (ret == -ENODEV) {
		/* At the default MTU, then set: the kernel keeps an MTU set on a bridge when its
		 * last port goes, but one given at creation falls back to 1500 then. */
		ret = link_bridge_create(d->nl, br, 0);
		if (ret < 0)
			return errbuf_set(e, ret, "could not create bridge %s: %s", br,
					  nl_strerror(d->nl, ret));
		*created = true;
		ret = link_set_mtu(d->nl, br, p->mtu);
		if (ret < 0)
			goto fail;
	} else if (ret < 0) {
		return errbuf_set(e, ret, "could not read link %s: %s", br, nl_strerror(d->nl, ret));
	} else if (strcmp(li.kind, "bridge") != 0) {
		return errbuf_set(e, -EEXIST, "a %s link named %s exists and is not a bridge: "
				  "delete it (ip link del %s)", li.kind[0] ? li.kind : "non-bridge",
				  br, br);
	} else if (li.mtu != p->mtu) {
		ret = link_set_mtu(d->nl, br, p->mtu);
		if (ret < 0)
			goto fail;
	}
	/* A fixed MAC, 02:42 and the gateway address (never a container's, which carry their
	 * own address): without it the bridge's MAC follows its ports and containers lose the
	 * gateway until their ARP entry for it expires. */
	mac[0] = 0x02;
	mac[1] = 0x42;
	mac[2] = (uint8_t)(p->gateway >> 24);
	mac[3] = (uint8_t)(p->gateway >> 16);
	mac[4] = (uint8_t)(p->gateway >> 8);
	mac[5] = (uint8_t)p->gateway;
	ret = link_set_address(d->nl, br, mac);
	if (ret < 0)
		goto fail;
	/* the others first: deleting a primary address takes its secondaries, which the gateway
	 * would be if it were added next to one of the same subnet */
	if (!*created) {
		ret = bridge_only_gateway(d, br, p);
		if (ret < 0)
			goto fail;
	}
	ret = addr_add(d->nl, br, p->gateway, p->slice.len);
	if (ret < 0 && ret != -EEXIST)
		goto fail;
	if (!*created) {
		ret = link_set_ipv6_none(d->nl, br);
		if (ret < 0)
			goto fail;
	}
	firewall_link_no_ipv6(br);
	ret = link_set_up(d->nl, br);
	if (ret < 0)
		goto fail;
	return 0;
fail:
	errbuf_set(e, ret, "could not set up bridge %s: %s", br, nl_strerror(d->nl, ret));
	if (*created)
		link_del(d->nl, br);
	*created = false;
	return ret;
}

/* Peers' allowed IPs and the pool routes follow the networks; the network itself is made
 * (or gone) either way, and the next change or start retries a failure. */
static void network_mesh_sync(struct driver *d, const char *network_id)
{
	char what[32], idb[13];

	snprintf(what, sizeof(what), "network %s", names_short_id(network_id, idb));
	mesh_sync_logged(d, what);
	dns_server_sync(d);		/* the pool's responder comes or goes with it */
}

static int mtu_option(const char *s, unsigned host_mtu, unsigned *out, struct errbuf *e)
{
	char *end;
	long v;

	if (!s || !s[0]) {
		*out = host_mtu;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 576 || v > (long)host_mtu)
		return errbuf_set(e, -EINVAL, "invalid com.docker.network.driver.mtu '%s': use "
				  "576..%u (the WireGuard MTU of this host)", s, host_mtu);
	*out = (unsigned)v;
	return 0;
}

static int network_create_locked(struct driver *d, const struct network_create_req *req,
				 struct errbuf *e)
{
	char idb[13], pool_s[CIDR_STR_MAX];
	struct state_pool *p;
	struct cidr slice, gw = { 0 };
	bool created = false;
	unsigned mtu = 0;
	int ret;

	p = state_pool_by_network(&d->st, req->network_id);
	if (p) {	/* a retried CreateNetwork: make sure the kernel has it all */
		ret = network_bridge_ensure(d, p, &created, e);
		return ret < 0 ? ret : firewall_apply(d, &d->st, e);
	}

	if (req->n_ipv4_data == 0)
		return errbuf_set(e, -EINVAL, "no IPv4 pool: create the network with "
				  "--ipam-driver wgnet and an IPv4 --subnet");
	if (strcmp(req->address_space, DRIVER_ADDRESS_SPACE_LOCAL) != 0 &&
	    strcmp(req->address_space, DRIVER_ADDRESS_SPACE_GLOBAL) != 0)
		return errbuf_set(e, -EINVAL, "this network's addresses come from another IPAM "
				  "(address space '%s'), which does not coordinate subnets across "
				  "hosts: add --ipam-driver wgnet (compose: ipam: driver: wgnet)",
				  req->address_space);
	if (req->n_ipv4_data > 1)
		return errbuf_set(e, -EINVAL, "a wgnet network has exactly one IPv4 --subnet");
	if (req->n_ipv6_data || req->enable_ipv6)
		return errbuf_set(e, -EINVAL, "IPv6 is not supported by wgnet yet: create the "
				  "network without --ipv6");
	ret = cidr_parse(req->pool, &slice);
	if (ret < 0)
		return errbuf_set(e, ret, "invalid IPv4Data pool '%s'", req->pool);
	for (size_t i = 0; i < d->st.npools; i++) {
		if (cidr_equal(&d->st.pools[i].slice, &slice) &&
		    strcmp(d->st.pools[i].address_space, req->address_space) == 0) {
			p = &d->st.pools[i];
			break;
		}
	}
	if (!p)
		return errbuf_set(e, -ENOENT, "pool %s was not handed out by wgnet's IPAM: create "
				  "the network with --ipam-driver wgnet", req->pool);
	if (p->network_id[0])
		return errbuf_set(e, -EBUSY, "pool %s is already used by wgnet network %s",
				  req->pool, names_short_id(p->network_id, idb));
	if (req->gateway && req->gateway[0]) {
		ret = cidr_parse_host(req->gateway, &gw);
		if (ret < 0 || !ipam_addr_usable(&p->slice, gw.addr))
			return errbuf_set(e, -EINVAL, "invalid gateway '%s' for slice %s",
					  req->gateway, req->pool);
	}
	ret = mtu_option(req->mtu, d->st.mtu, &mtu, e);
	if (ret < 0)
		return ret;

	/* Kernel first, state last: nothing is recorded that does not exist. */
	memcpy(p->network_id, req->network_id, sizeof(p->network_id));
	if (gw.addr && gw.addr != p->gateway) {
		if (p->gateway)
			addr_set_del(&p->addrs, p->gateway);
		p->gateway = gw.addr;
		ret = addr_set_add(&p->addrs, gw.addr);
		if (ret < 0 && ret != -EEXIST)
			goto undo_state;
	}
	if (!p->gateway) {
		/* RequestPool's Data gateway path: dockerd made no gateway request */
		p->gateway = cidr_first(&p->slice) + 1;
		addr_set_add(&p->addrs, p->gateway);
	}
	p->mtu = mtu;
	p->internal = req->internal;
	ret = network_bridge_ensure(d, p, &created, e);
	if (ret < 0)
		goto undo_state;
	ret = firewall_apply(d, &d->st, e);
	if (ret < 0)
		goto undo_bridge;
	ret = persist_save(d, e);
	if (ret < 0)
		goto undo_firewall;
	ret = sysctl_ipv4_forward_enable();
	if (ret < 0)
		log_warn("could not enable net.ipv4.ip_forward (%s): containers will not reach "
			 "other hosts until it is on, ignoring", strerror(-ret));
	firewall_docker_user_sync(d, true);
	cidr_format(&p->pool, pool_s);
	log_info("network %s: pool %s, slice %s, bridge created", names_short_id(p->network_id, idb),
		 pool_s, req->pool);
	network_mesh_sync(d, p->network_id);
	return 0;

undo_firewall:
	p->network_id[0] = 0;
	firewall_apply(d, &d->st, NULL);
undo_bridge:
	if (created) {
		char br[IFNAMSIZ];

		names_bridge(req->network_id, br);
		link_del(d->nl, br);
	}
undo_state:
	p->network_id[0] = 0;
	return ret < 0 ? ret : -EIO;
}

int driver_network_create(struct driver *d, const struct network_create_req *req,
			  struct errbuf *e)
{
	int ret;

	pthread_mutex_lock(&d->lock);
	ret = network_create_locked(d, req, e);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int driver_network_delete(struct driver *d, const char *network_id, struct errbuf *e)
{
	char br[IFNAMSIZ], idb[13];
	struct state_endpoint *gone = NULL;
	struct state_pool *p;
	struct state next;
	size_t i, ngone = 0;
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	p = state_pool_by_network(&d->st, network_id);
	if (!p) {
		log_debug("DeleteNetwork %s: unknown, already deleted", names_short_id(network_id, idb));
		goto out;
	}
	/*
	 * The state without the network is saved before any kernel object goes (a failed save
	 * changes nothing; the firewall, rebuilt first, is put back). Endpoints dockerd forgot
	 * to delete (a forced cleanup) go with their network.
	 */
	gone = calloc(d->st.nendpoints ? d->st.nendpoints : 1, sizeof(*gone));
	ret = gone ? state_copy(&d->st, &next) : -ENOMEM;
	if (ret < 0) {
		ret = errbuf_set(e, ret, "out of memory");
		goto out;
	}
	for (i = next.nendpoints; i-- > 0;) {
		if (strcmp(next.endpoints[i].network_id, network_id) == 0) {
			gone[ngone] = next.endpoints[i];
			gone[ngone++].ports = NULL;
			state_endpoint_remove(&next, i);
		}
	}
	state_pool_remove(&next, (size_t)(p - d->st.pools));
	ret = firewall_apply(d, &next, e);
	if (ret < 0)
		log_error("DeleteNetwork %s: %s, going on", names_short_id(network_id, idb), e->msg);
	ret = persist_commit(d, &next, e);
	if (ret < 0) {
		firewall_apply(d, &d->st, NULL);
		goto out;
	}
	id_list_del(&d->replay_pools, network_id);
	id_list_del(&d->replay_addrs, network_id);
	for (i = 0; i < ngone; i++)
		endpoint_veth_remove(d, &gone[i]);
	names_bridge(network_id, br);
	ret = link_del(d->nl, br);
	if (ret < 0 && ret != -ENODEV)
		log_error("DeleteNetwork %s: could not delete bridge %s: %s (it goes at the next "
			  "start)", names_short_id(network_id, idb), br, nl_strerror(d->nl, ret));
	ret = 0;
	firewall_docker_user_sync(d, true);
	log_info("network %s deleted", names_short_id(network_id, idb));
	network_mesh_sync(d, network_id);
out:
	free(gone);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int network_status_fill(struct driver *d, struct driver_status *s, bool links)
{
	struct link_info li;
	size_t n = 0;

	s->networks = calloc(d->st.npools ? d->st.npools : 1, sizeof(*s->networks));
	if (!s->networks)
		return -ENOMEM;
	for (size_t i = 0; i < d->st.npools; i++) {
		const struct state_pool *p = &d->st.pools[i];
		struct status_network *sn = &s->networks[n];

		if (!p->network_id[0]) {
			s->pending_pools++;
			continue;
		}
		memcpy(sn->network_id, p->network_id, sizeof(sn->network_id));
		cidr_format(&p->pool, sn->pool);
		cidr_format(&p->slice, sn->slice);
		cidr_addr_format(p->gateway, sn->gateway);
		names_bridge(p->network_id, sn->bridge);
		sn->mtu = p->mtu;
		sn->internal = p->internal;
		sn->bridge_up = links && link_get(d->nl, sn->bridge, &li) == 0 && li.up;
		dns_server_network_status(d, p, sn);
		for (size_t j = 0; j < d->st.nendpoints; j++)
			if (strcmp(d->st.endpoints[j].network_id, p->network_id) == 0)
				sn->endpoints++;
		sn->addresses_used = p->addrs.n;
		/* but the network's and the broadcast address (slices are /8../30) */
		sn->addresses = ((size_t)1 << (32 - p->slice.len)) - 2;
		n++;
	}
	s->nnetworks = n;
	return 0;
}
