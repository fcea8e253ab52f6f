/* SPDX-License-Identifier: MIT */
/* Endpoints: an address on the slice, a veth pair on the bridge, published ports. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "driver/firewall.h"
#include "driver/id_list.h"
#include "driver/instance.h"
#include "driver/log.h"
#include "driver/persist.h"
#include "netlink/link.h"
#include "netlink/nl.h"

/* Like Docker's bridge driver: 02:42 and the IPv4 address, stable across restarts. */
static void mac_from_addr(uint32_t a, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	mac[2] = (uint8_t)(a >> 24);
	mac[3] = (uint8_t)(a >> 16);
	mac[4] = (uint8_t)(a >> 8);
	mac[5] = (uint8_t)a;
}

static int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	if (mac[0] & 1)
		return -EINVAL;		/* multicast */
	return 0;
}

static void mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

int endpoint_veth_ensure(struct driver *d, const struct state_pool *p,
			 const struct state_endpoint *ep, bool *created, struct errbuf *e)
{
	char host[IFNAMSIZ], ctr[IFNAMSIZ], br[IFNAMSIZ];
	struct link_info li, bl;
	int ret;

	names_veth_host(ep->id, host);
	names_veth_ctr(ep->id, ctr);
	names_bridge(p->network_id, br);
	*created = false;
	ret = link_get(d->nl, host, &li);
	if (ret == 0 && strcmp(li.kind, "veth") != 0)
		return errbuf_set(e, -EEXIST, "a %s link named %s exists and is not a veth of "
				  "wgnet: delete it (ip link del %s)", li.kind[0] ? li.kind : "non-veth",
				  host, host);
	if (ret == 0 && !ep->joined && link_get(d->nl, ctr, &bl) == -ENODEV) {
		/* Not joined, so our container end should be here: its peer is someone
		 * else's link with our name. Make a pair that Join can hand out. */
		ret = link_del(d->nl, host);
		if (ret < 0)
			return errbuf_set(e, ret, "could not replace link %s: %s", host,
					  nl_strerror(d->nl, ret));
		ret = -ENODEV;
	}
	if (ret == 0) {
		/* still there (e.g. its bridge was re-made): put it back on the bridge */
		ret = link_get(d->nl, br, &bl);
		if (ret == 0 && li.master != bl.index)
			ret = link_set_master(d->nl, host, br);
		if (ret == 0)
			ret = link_set_ipv6_none(d->nl, host);
		if (ret == 0 && !li.up)
			ret = link_set_up(d->nl, host);
		if (ret < 0)
			return errbuf_set(e, ret, "could not attach %s to %s: %s", host, br,
					  nl_strerror(d->nl, ret));
		firewall_link_no_ipv6(host);
		return 0;
	}
	if (ret != -ENODEV)
		return errbuf_set(e, ret, "could not read link %s: %s", host,
				  nl_strerror(d->nl, ret));
	/* A container-side end left in this namespace without its pair is garbage. */
	if (link_get(d->nl, ctr, &li) == 0)
		link_del(d->nl, ctr);
	ret = link_veth_create(d->nl, host, ctr, p->mtu, br, ep->mac);
	if (ret < 0)
		return errbuf_set(e, ret, "could not create veth pair %s/%s: %s", host, ctr,
				  nl_strerror(d->nl, ret));
	firewall_link_no_ipv6(host);
	*created = true;
	return 0;
}

void endpoint_veth_remove(struct driver *d, const struct state_endpoint *ep)
{
	char name[IFNAMSIZ];
	int ret;

	/* Deleting either end deletes the pair; after Leave the container end is back here. */
	names_veth_host(ep->id, name);
	ret = link_del(d->nl, name);
	if (ret == -ENODEV) {
		names_veth_ctr(ep->id, name);
		ret = link_del(d->nl, name);
	}
	if (ret < 0 && ret != -ENODEV)
		log_warn("could not delete veth %s: %s, ignoring", name, nl_strerror(d->nl, ret));
}

static int ports_copy(const struct port_binding *src, size_t n, struct port_binding **out)
{
	struct port_binding *v = NULL;

	if (n) {
		v = calloc(n, sizeof(*v));
		if (!v)
			return -ENOMEM;
		memcpy(v, src, n * sizeof(*v));
	}
	*out = v;
	return 0;
}

static int endpoint_create_locked(struct driver *d, const struct endpoint_create_req *req,
				  struct endpoint_create_reply *reply, struct errbuf *e)
{
	char idb[13], idb2[13], slice_s[CIDR_STR_MAX];
	struct state_endpoint *ep, *other, gone;
	struct state_pool *p;
	struct cidr a;
	bool created, added = false, fw = false;
	int ret;

	p = state_pool_by_network(&d->st, req->network_id);
	if (!p)
		return errbuf_set(e, -ENOENT, "network %s is not a wgnet network of this host",
				  names_short_id(req->network_id, idb));
	if (req->address6 && req->address6[0])
		return errbuf_set(e, -EINVAL, "IPv6 addresses are not supported by wgnet yet");
	if (!req->address || !req->address[0])
		return errbuf_set(e, -EINVAL, "the endpoint has no IPv4 address: the network must "
				  "use --ipam-driver wgnet");
	ret = cidr_parse_host(req->address, &a);
	cidr_format(&p->slice, slice_s);
	if (ret < 0 || !ipam_addr_usable(&p->slice, a.addr) || a.len != p->slice.len)
		return errbuf_set(e, -EINVAL, "address '%s' is not in this host's slice %s",
				  req->address, slice_s);
	other = state_endpoint_by_id(&d->st, req->endpoint_id);
	if (other) {
		if (strcmp(other->network_id, req->network_id) != 0 || other->addr != a.addr)
			return errbuf_set(e, -EEXIST, "endpoint %s already exists with another "
					  "network or address", names_short_id(req->endpoint_id, idb));
		/* a retried CreateEndpoint */
		ret = endpoint_veth_ensure(d, p, other, &created, e);
		if (ret < 0)
			return ret;
		mac_format(other->mac, reply->mac);
		return 0;
	}
	if (a.addr == p->gateway)
		return errbuf_set(e, -EADDRINUSE, "address %s is the network's gateway",
				  req->address);
	for (size_t i = 0; i < d->st.nendpoints; i++) {
		const struct state_endpoint *o = &d->st.endpoints[i];

		if (o->addr == a.addr && strcmp(o->network_id, req->network_id) == 0)
			return errbuf_set(e, -EADDRINUSE, "address %s is in use by endpoint %s",
					  req->address, names_short_id(o->id, idb));
		/* Docker's IDs are random, but two that start alike would share one veth */
		if (strncmp(o->id, req->endpoint_id, NAMES_VETH_ID_CHARS) == 0)
			return errbuf_set(e, -EEXIST, "endpoint %s starts with the same %d characters "
					  "as endpoint %s, which name its veth: remove the container "
					  "and create it again to get another endpoint ID",
					  names_short_id(req->endpoint_id, idb), NAMES_VETH_ID_CHARS,
					  names_short_id(o->id, idb2));
	}

	ep = state_endpoint_add(&d->st);
	if (!ep)
		return errbuf_set(e, -ENOMEM, "out of memory");
	memcpy(ep->id, req->endpoint_id, sizeof(ep->id));
	memcpy(ep->network_id, req->network_id, sizeof(ep->network_id));
	ep->addr = a.addr;
	reply->mac[0] = 0;
	if (req->mac && req->mac[0]) {
		ret = mac_parse(req->mac, ep->mac);
		if (ret < 0) {
			ret = errbuf_set(e, ret, "invalid MAC address '%s'", req->mac);
			goto undo_state;
		}
	} else {
		mac_from_addr(a.addr, ep->mac);
		mac_format(ep->mac, reply->mac);	/* dockerd fills in what we chose */
	}
	/* Ports in req are published only once ProgramExternalConnectivity names this endpoint
	 * as the container's gateway endpoint. */
	/* the address was allocated by RequestAddress; record it if it came another way */
	if (!addr_set_has(&p->addrs, a.addr)) {
		ret = addr_set_add(&p->addrs, a.addr);
		if (ret < 0) {
			ret = errbuf_set(e, ret, "out of memory");
			goto undo_state;
		}
		added = true;
	}
	id_list_del(&d->replay_addrs, req->network_id);
	ret = endpoint_veth_ensure(d, p, ep, &created, e);
	if (ret < 0)
		goto undo_state;
	/* its port's source check (table bridge wgnet) before the container can send */
	fw = true;
	ret = firewall_port(d, &d->st, ep, true, e);
	if (ret == 0)
		ret = persist_save(d, e);
	if (ret < 0) {
		endpoint_veth_remove(d, ep);
		goto undo_state;
	}
	log_debug("endpoint %s: %s", names_short_id(req->endpoint_id, idb), req->address);
	return 0;
undo_state:
	reply->mac[0] = 0;
	if (added)
		addr_set_del(&p->addrs, a.addr);
	gone = d->st.endpoints[d->st.nendpoints - 1];	/* its veth name and address */
	gone.ports = NULL;				/* freed with it */
	state_endpoint_remove(&d->st, d->st.nendpoints - 1);
	if (fw)
		firewall_port(d, &d->st, &gone, false, NULL);
	return ret;
}

int driver_endpoint_create(struct driver *d, const struct endpoint_create_req *req,
			   struct endpoint_create_reply *reply, struct errbuf *e)
{
	int ret;

	pthread_mutex_lock(&d->lock);
	ret = endpoint_create_locked(d, req, reply, e);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

static struct state_endpoint *endpoint_find(struct driver *d, const char *network_id,
					    const char *endpoint_id)
{
	struct state_endpoint *ep = state_endpoint_by_id(&d->st, endpoint_id);

	return ep && strcmp(ep->network_id, network_id) == 0 ? ep : NULL;
}

/*
 * Leave, Revoke and DeleteEndpoint: the firewall without the endpoint's ports, then the state
 * saved; a failed save puts the firewall back, so memory, disk and kernel still agree and a
 * retry does it all again. leave: it is no longer in a sandbox; remove: it goes altogether
 * (its veth only once saved: the one step that cannot be undone).
 */
static int endpoint_release(struct driver *d, struct state_endpoint *ep, bool leave, bool remove,
			    struct errbuf *e)
{
	size_t i = (size_t)(ep - d->st.endpoints);
	bool had_ports = ep->nports != 0;
	struct state_endpoint gone = *ep;
	struct state next;
	int ret;

	if (!had_ports && !remove && (!leave || (!ep->joined && !ep->sandbox[0])))
		return 0;	/* nothing to change */
	ret = state_copy(&d->st, &next);
	if (ret < 0)
		return errbuf_set(e, ret, "out of memory");
	if (remove) {
		state_endpoint_remove(&next, i);
	} else {
		free(next.endpoints[i].ports);
		next.endpoints[i].ports = NULL;
		next.endpoints[i].nports = 0;
		if (leave) {
			next.endpoints[i].joined = false;
			next.endpoints[i].sandbox[0] = 0;
		}
	}
	if (had_ports) {
		ret = firewall_apply(d, &next, e);
		if (ret < 0) {
			state_release(&next);
			return ret;
		}
	} else if (remove) {
		/* its anti-spoofing element only: a failure leaves one for a veth that goes */
		firewall_port(d, &next, &gone, false, NULL);
	}
	ret = persist_commit(d, &next, e);
	if (ret < 0) {
		if (had_ports)
			firewall_apply(d, &d->st, NULL);
		else if (remove)
			firewall_port(d, &d->st, &gone, true, NULL);
		return ret;
	}
	gone.ports = NULL;	/* freed with the old state */
	if (remove)
		endpoint_veth_remove(d, &gone);
	return 0;
}

int driver_endpoint_delete(struct driver *d, const char *network_id, const char *endpoint_id,
			   struct errbuf *e)
{
	struct state_endpoint *ep;
	char idb[13];
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	ep = endpoint_find(d, network_id, endpoint_id);
	if (!ep) {
		log_debug("DeleteEndpoint %s: unknown, already deleted", names_short_id(endpoint_id, idb));
		goto out;
	}
	/* No Revoke comes after a live-restore or plugin restart: undo ports here too. */
	ret = endpoint_release(d, ep, true, true, e);
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int driver_endpoint_info(struct driver *d, const char *network_id, const char *endpoint_id,
			 struct port_binding **ports, size_t *nports, struct errbuf *e)
{
	struct state_endpoint *ep;
	char idb[13];
	int ret;

	pthread_mutex_lock(&d->lock);
	ep = endpoint_find(d, network_id, endpoint_id);
	if (!ep)
		ret = errbuf_set(e, -ENOENT, "endpoint %s is not known on network %.12s",
				 names_short_id(endpoint_id, idb), network_id);
	else if ((ret = ports_copy(ep->ports, ep->nports, ports)) < 0)
		errbuf_set(e, ret, "out of memory");
	else
		*nports = ep->nports;
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int driver_join(struct driver *d, const struct join_req *req, struct join_reply *reply,
		struct errbuf *e)
{
	char idb[13], old[STATE_SANDBOX_MAX];
	struct state_endpoint *ep;
	struct state_pool *p;
	bool old_joined, created;
	int ret;

	pthread_mutex_lock(&d->lock);
	ep = endpoint_find(d, req->network_id, req->endpoint_id);
	if (!ep) {
		ret = errbuf_set(e, -ENOENT, "endpoint %s is not known on network %.12s",
				 names_short_id(req->endpoint_id, idb), req->network_id);
		goto out;
	}
	if (strlen(req->sandbox_key) >= sizeof(ep->sandbox)) {
		ret = errbuf_set(e, -EINVAL, "sandbox key too long");
		goto out;
	}
	p = state_pool_by_network(&d->st, req->network_id);
	/* the veth may have vanished since CreateEndpoint; Join is the last chance to fix it */
	ret = endpoint_veth_ensure(d, p, ep, &created, e);
	if (ret < 0)
		goto out;
	memcpy(old, ep->sandbox, sizeof(old));
	old_joined = ep->joined;
	snprintf(ep->sandbox, sizeof(ep->sandbox), "%s", req->sandbox_key);
	ep->joined = true;
	ret = persist_save(d, e);
	if (ret < 0) {
		memcpy(ep->sandbox, old, sizeof(old));
		ep->joined = old_joined;
		goto out;
	}
	names_veth_ctr(ep->id, reply->src_name);
	cidr_addr_format(p->gateway, reply->gateway);
	firewall_docker_user_sync(d, false);
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* Leave (leave) and RevokeExternalConnectivity of an endpoint that may be gone already. */
static int endpoint_release_by_id(struct driver *d, const char *network_id,
				  const char *endpoint_id, bool leave, struct errbuf *e)
{
	struct state_endpoint *ep;
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	ep = endpoint_find(d, network_id, endpoint_id);
	if (ep)
		ret = endpoint_release(d, ep, leave, false, e);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int driver_leave(struct driver *d, const char *network_id, const char *endpoint_id,
		 struct errbuf *e)
{
	return endpoint_release_by_id(d, network_id, endpoint_id, true, e);
}

/* Published already: by another endpoint, or by an earlier binding of this request. */
static bool host_port_taken(struct driver *d, const struct port_binding *mine, size_t nmine,
			    uint8_t proto, uint16_t port)
{
	for (size_t j = 0; j < nmine; j++)
		if (mine[j].proto == proto && port >= mine[j].host_port &&
		    port <= mine[j].host_port_end)
			return true;
	for (size_t i = 0; i < d->st.nendpoints; i++)
		for (size_t j = 0; j < d->st.endpoints[i].nports; j++) {
			const struct port_binding *b = &d->st.endpoints[i].ports[j];

			if (b->proto == proto && port >= b->host_port && port <= b->host_port_end)
				return true;
		}
	return false;
}

/*
 * A program of this host listens on it (a server, or docker-proxy for Docker's own bridge
 * networks): our DNAT would take its connections from it. Bound with SO_REUSEADDR, only a
 * listener or another bound socket makes the bind fail, not connections in TIME_WAIT.
 */
static bool host_port_listened(uint8_t proto, uint32_t ip, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(ip) };
	int one = 1, fd, type = proto == 17 ? SOCK_DGRAM : SOCK_STREAM;
	bool used;

	fd = socket(AF_INET, type | SOCK_CLOEXEC, proto == 132 ? IPPROTO_SCTP : 0);
	if (fd < 0)
		return false;		/* no SCTP in this kernel: nobody listens on it */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	used = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == EADDRINUSE;
	close(fd);
	return used;
}

static const char *proto_word(uint8_t proto)
{
	return proto == 6 ? "tcp" : proto == 17 ? "udp" : "sctp";
}

static int ports_resolve(struct driver *d, const struct external_req *req,
			 struct port_binding **out, struct errbuf *e)
{
	struct port_binding *v;
	int ret;

	ret = ports_copy(req->ports, req->nports, &v);
	if (ret < 0)
		return errbuf_set(e, ret, "out of memory");
	for (size_t i = 0; i < req->nports; i++) {
		struct port_binding *b = &v[i];
		unsigned lo = b->host_port, hi = b->host_port_end, port;
		bool ephemeral = !lo, listened = false;

		if (b->proto != 6 && b->proto != 17 && b->proto != 132) {
			ret = errbuf_set(e, -EINVAL, "unsupported protocol %u for a published port",
					 b->proto);
			goto fail;
		}
		if (!b->port) {
			ret = errbuf_set(e, -EINVAL, "published port without a container port");
			goto fail;
		}
		if (ephemeral) {	/* -P: an ephemeral port, as Docker picks them */
			lo = 49153;
			hi = 65535;
		}
		if (hi < lo)
			hi = lo;
		for (port = lo; port <= hi; port++) {
			if (host_port_taken(d, v, i, b->proto, (uint16_t)port))
				continue;
			if (!host_port_listened(b->proto, b->host_ip, (uint16_t)port))
				break;
			listened = true;
		}
		if (port > hi) {
			ret = errbuf_set(e, -EADDRINUSE, "host port %s/%u%s is already %s on this host: "
					 "publish another one", proto_word(b->proto), lo,
					 hi > lo ? " (and the rest of its range)" : "",
					 listened ? "in use by a program listening on it" :
						    "published by another container");
			goto fail;
		}
		b->host_port = b->host_port_end = (uint16_t)port;
	}
	*out = v;
	return 0;
fail:
	free(v);
	return ret;
}

int driver_program_external(struct driver *d, const struct external_req *req, struct errbuf *e)
{
	struct state_endpoint *ep;
	struct port_binding *ports = NULL, *old;
	size_t nold;
	char idb[13];
	int ret;

	pthread_mutex_lock(&d->lock);
	ep = endpoint_find(d, req->network_id, req->endpoint_id);
	if (!ep) {
		ret = errbuf_set(e, -ENOENT, "endpoint %s is not known on network %.12s",
				 names_short_id(req->endpoint_id, idb), req->network_id);
		goto out;
	}
	old = ep->ports;
	nold = ep->nports;
	ep->ports = NULL;
	ep->nports = 0;		/* its own old ports do not block the new ones */
	ret = ports_resolve(d, req, &ports, e);
	if (ret < 0)
		goto restore;
	ep->ports = ports;
	ep->nports = req->nports;
	if (nold || req->nports) {
		ret = firewall_apply(d, &d->st, e);
		if (ret < 0)
			goto restore;
	}
	ret = persist_save(d, e);
	if (ret < 0)
		goto restore;
	free(old);
	goto out;
restore:
	free(ports);
	ep->ports = old;
	ep->nports = nold;
	if (ret < 0 && (nold || req->nports))
		firewall_apply(d, &d->st, NULL);
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int driver_revoke_external(struct driver *d, const char *network_id, const char *endpoint_id,
			   struct errbuf *e)
{
	return endpoint_release_by_id(d, network_id, endpoint_id, false, e);
}
