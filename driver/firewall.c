/* SPDX-License-Identifier: MIT */
/*
 * The firewall policy as plain lists, built from the state on every change and handed to
 * netlink/nft.c, which replaces `inet wgnet` in one batch. Docker's DOCKER-USER chain gets
 * only the fixed accepts of netlink/iptables.c; the isolation lives in our table, whose drops
 * are final whatever Docker's chains accept.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "driver/firewall.h"
#include "driver/firewall_docker.h"
#include "driver/instance.h"
#include "driver/ipam.h"
#include "driver/log.h"
#include "driver/thread.h"
#include "netlink/conntrack.h"
#include "netlink/iptables.h"
#include "netlink/nft.h"
#include "netlink/route.h"
#include "netlink/sysctl.h"

#define UPLINKS_MAX 16

static size_t bound_pools(const struct state *st)
{
	size_t n = 0;

	for (size_t i = 0; i < st->npools; i++)
		n += st->pools[i].network_id[0] != 0;
	return n;
}

static const struct state_pool *pool_of(const struct state *st, const char *network_id)
{
	for (size_t i = 0; i < st->npools; i++)
		if (strcmp(st->pools[i].network_id, network_id) == 0)
			return &st->pools[i];
	return NULL;
}

static bool firewall_mesh_on(const struct driver *d)
{
	return d->st.host_index && d->st.has_host_key;
}

/*
 * The uplinks: devices of the IPv4 default routes, read at every rebuild (the table is rebuilt
 * at each network, endpoint and port change). Never a wgnet device: a default route through
 * the tunnel or a bridge opens nothing more.
 */
static size_t uplinks_read(struct driver *d, char (*out)[IFNAMSIZ])
{
	struct route *r = NULL;
	size_t n = 0, k = 0;
	int ret;

	ret = route_dump_default(d->nl, &r, &n);
	if (ret < 0) {
		log_warn("could not read the default routes (%s): containers reach only their "
			 "bridge and the mesh until the next change", strerror(-ret));
		return 0;
	}
	for (size_t i = 0; i < n && k < UPLINKS_MAX; i++) {
		bool seen = false;

		if (!r[i].ifname[0] || names_is_ours(r[i].ifname) ||
		    strcmp(r[i].ifname, NAMES_WG_DEVICE) == 0)
			continue;
		for (size_t j = 0; j < k; j++)
			seen = seen || strcmp(out[j], r[i].ifname) == 0;
		if (!seen)
			memcpy(out[k++], r[i].ifname, IFNAMSIZ);
	}
	free(r);
	return k;
}

/* Published ports on 127.0.0.1 leave through the bridge with that source after the output
 * DNAT; the kernel routes them only with route_localnet (Docker sets it the same way): on for
 * the bridges that publish ports, off again on those whose last port went. Off on all of ours
 * when failing closed: without the table's localnet chain it would let containers reach the
 * host's loopback services. */
void firewall_localnet(const struct state *st, bool on)
{
	char br[IFNAMSIZ];
	int ret;

	for (size_t i = 0; i < st->npools; i++) {
		bool ports = false;

		if (!st->pools[i].network_id[0])
			continue;
		for (size_t j = 0; j < st->nendpoints && !ports; j++)
			ports = st->endpoints[j].nports &&
				strcmp(st->endpoints[j].network_id, st->pools[i].network_id) == 0;
		names_bridge(st->pools[i].network_id, br);
		if (on && ports)
			ret = sysctl_route_localnet_enable(br);
		else
			ret = sysctl_route_localnet_disable(br);
		if (ret < 0 && on && ports)
			log_warn("could not set route_localnet on %s (%s): published ports will not "
				 "answer on 127.0.0.1, ignoring", br, strerror(-ret));
		else if (ret < 0 && ret != -ENOENT)
			log_error("could not turn route_localnet off on %s: %s", br, strerror(-ret));
	}
}

void firewall_link_no_ipv6(const char *ifname)
{
	int ret = sysctl_ipv6_disable(ifname);

	/* a managed plugin's /proc/sys is read-only: the link was made without an IPv6 address
	 * (link_set_ipv6_none) and table bridge wgnet drops IPv6 from containers either way */
	if (ret == -EROFS || ret == -EACCES || ret == -EPERM)
		log_debug("could not turn IPv6 off on %s (%s): read-only /proc/sys", ifname,
			  strerror(-ret));
	else if (ret < 0)
		log_warn("could not turn IPv6 off on %s (%s), ignoring", ifname, strerror(-ret));
}

static int dnat_cmp(const void *a, const void *b)
{
	const struct nft_dnat *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->host_port != y->host_port)
		return x->host_port < y->host_port ? -1 : 1;
	if (x->host_ip != y->host_ip)
		return x->host_ip < y->host_ip ? -1 : 1;
	if (x->host_port_end != y->host_port_end)
		return x->host_port_end < y->host_port_end ? -1 : 1;
	if (x->ctr_ip != y->ctr_ip)
		return x->ctr_ip < y->ctr_ip ? -1 : 1;
	return x->ctr_port < y->ctr_port ? -1 : x->ctr_port > y->ctr_port;
}

static const char *proto_name(uint8_t proto)
{
	return proto == 6 ? "tcp" : proto == 17 ? "udp" : "sctp";
}

static void dnat_flows_forget(const struct nft_dnat *x, enum conntrack_which which)
{
	for (unsigned port = x->host_port; port <= x->host_port_end; port++) {
		struct conntrack_port p = { x->proto, x->host_ip, (uint16_t)port, x->ctr_ip,
					    x->ctr_port };
		int ret = conntrack_delete_port(&p, which);

		if (ret > 0)
			log_debug("host port %s/%u: %d conntrack entr%s of flows %s deleted",
				  proto_name(x->proto), port, ret, ret == 1 ? "y" : "ies",
				  which == CONNTRACK_TO_CTR ? "it no longer leads" :
							       "it now leads");
		else if (ret < 0)
			log_warn("host port %s/%u: could not delete conntrack entries (%s): its "
				 "flows keep their old way until they are idle",
				 proto_name(x->proto), port, strerror(-ret));
	}
}

/*
 * A flow's conntrack entry keeps the NAT of its first packet, and a UDP client that keeps
 * sending keeps it forever. So when the table's DNATs change, the entries they no longer
 * decide go: those of the flows a port that went DNATed to its container (the gateway moved
 * to another network, the endpoint left), and those of the flows to a new UDP port that went
 * elsewhere meanwhile (to the host, or to the Docker bridge that published it before), as
 * Docker's bridge driver does for its own ports. now becomes the list kept (freed later).
 */
static void dnats_settle(struct driver *d, struct nft_dnat *now, size_t n)
{
	struct nft_dnat *old = d->fw.dnats;
	size_t nold = d->fw.ndnats, i = 0, j = 0;

	if (n)
		qsort(now, n, sizeof(*now), dnat_cmp);
	while (i < nold || j < n) {
		int c = i == nold ? 1 : j == n ? -1 : dnat_cmp(&old[i], &now[j]);

		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		if (c < 0)
			dnat_flows_forget(&old[i - 1], CONNTRACK_TO_CTR);
		else if (c > 0 && now[j - 1].proto == 17)
			dnat_flows_forget(&now[j - 1], CONNTRACK_ELSEWHERE);
	}
	free(old);
	d->fw.dnats = n ? now : NULL;
	d->fw.ndnats = n;
	if (!n)
		free(now);
}

bool firewall_wanted(const struct driver *d, const struct state *st)
{
	size_t ndn = 0;

	for (size_t i = 0; i < st->nendpoints; i++)
		ndn += st->endpoints[i].nports;
	return bound_pools(st) || ndn || firewall_mesh_on(d);
}

static int firewall_build(struct driver *d, const struct state *st, struct errbuf *e)
{
	char uplinks[UPLINKS_MAX][IFNAMSIZ];
	struct nft_port allow[STATE_HOST_ALLOW_MAX];
	struct nft_policy pol = { 0 };
	struct nft_bridge *br = NULL;
	struct nft_dnat *dn = NULL;
	struct nft_ctr_port *cp = NULL;
	uint32_t *resp = NULL;
	size_t nbr = bound_pools(st), ndn = 0, k = 0;
	int ret;

	for (size_t i = 0; i < st->nendpoints; i++)
		ndn += st->endpoints[i].nports;
	/* the input chain closes the host to the mesh, with or without networks */
	if (!firewall_wanted(d, st)) {
		ret = nft_delete();
		if (ret < 0)
			return errbuf_set(e, ret, "could not delete table inet %s: %s",
					  NFT_TABLE_NAME, strerror(-ret));
		dnats_settle(d, NULL, 0);
		return 0;
	}
	br = calloc(nbr ? nbr : 1, sizeof(*br));
	dn = calloc(ndn ? ndn : 1, sizeof(*dn));
	cp = calloc(st->nendpoints + 1, sizeof(*cp));
	resp = calloc(nbr ? nbr : 1, sizeof(*resp));
	if (!br || !dn || !cp || !resp) {
		ret = errbuf_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < st->npools; i++) {
		const struct state_pool *p = &st->pools[i];

		if (!p->network_id[0])
			continue;
		names_bridge(p->network_id, br[k].ifname);
		br[k].pool_addr = p->pool.addr;
		br[k].pool_len = p->pool.len;
		br[k].slice_addr = p->slice.addr;
		br[k].slice_len = p->slice.len;
		br[k].internal = p->internal;
		resp[k] = ipam_responder_addr(&p->pool, p->slice.len);	/* dns_server.c's */
		k++;
	}
	k = 0;
	for (size_t i = 0; i < st->nendpoints; i++) {
		const struct state_endpoint *ep = &st->endpoints[i];
		const struct state_pool *p = pool_of(st, ep->network_id);

		for (size_t j = 0; p && j < ep->nports; j++) {
			const struct port_binding *b = &ep->ports[j];

			dn[k] = (struct nft_dnat){
				.proto = b->proto,
				.host_ip = b->host_ip,
				.host_port = b->host_port,
				.host_port_end = b->host_port_end,
				.ctr_ip = ep->addr,
				.ctr_port = b->port,
			};
			names_bridge(p->network_id, dn[k].bridge);
			k++;
		}
	}
	/* From init on, not only once wgnet0 is configured: a table without the tunnel rules,
	 * even for the moment between reconcile and the start of the mesh, drops tunnel traffic. */
	pol.wg_ifname = firewall_mesh_on(d) ? NAMES_WG_DEVICE : NULL;
	pol.bridges = br;
	pol.nbridges = nbr;
	pol.dnats = dn;
	pol.ndnats = k;
	pol.uplinks = (const char (*)[IFNAMSIZ])uplinks;
	pol.nuplinks = uplinks_read(d, uplinks);
	for (size_t i = 0; i < st->nhost_allow; i++)
		allow[i] = (struct nft_port){ st->host_allow[i].proto, st->host_allow[i].port };
	pol.host_allow = allow;
	pol.nhost_allow = st->nhost_allow;
	for (size_t i = 0; i < st->nendpoints; i++) {
		names_veth_host(st->endpoints[i].id, cp[i].ifname);
		memcpy(cp[i].mac, st->endpoints[i].mac, sizeof(cp[i].mac));
		cp[i].addr = st->endpoints[i].addr;
	}
	pol.ports = cp;
	pol.nports = st->nendpoints;
	pol.responders = resp;
	pol.nresponders = nbr;
	ret = nft_apply(&pol);
	if (ret == 0) {
		firewall_localnet(st, true);	/* after the table: its localnet chain guards 127/8 */
		dnats_settle(d, dn, k);
		dn = NULL;			/* kept: the ports now in the table */
	}
	if (ret < 0)
		errbuf_set(e, ret, "could not program table inet %s: %s", NFT_TABLE_NAME,
			   strerror(-ret));
out:
	free(br);
	free(dn);
	free(cp);
	free(resp);
	return ret;
}

void firewall_init(struct driver *d, const char *iptables, bool no_iptables)
{
	thread_cond_init(&d->fw.du_cond);		/* du_next: immune to clock steps */
	snprintf(d->fw.iptables, sizeof(d->fw.iptables), "%s", iptables ? iptables : "iptables");
	d->fw.no_iptables = no_iptables;
}

void firewall_fini(struct driver *d)
{
	pthread_cond_destroy(&d->fw.du_cond);
	free(d->fw.dnats);
	d->fw.dnats = NULL;
}

bool firewall_failed(const struct driver *d)
{
	return d->fw.failed;
}

void firewall_status_fill(struct driver *d, struct driver_status *s)
{
	s->firewall_failed = d->fw.failed;
	s->firewall_ok = !d->fw.failed && (!firewall_wanted(d, &d->st) || nft_exists() == 1);
	firewall_docker_status(d, s);
	firewall_docker_user_sync(d, true);	/* and a look at iptables for the next one */
}

/* Remembered for `wgnet status` and for the mesh, which configures no peer without it. */
int firewall_apply(struct driver *d, const struct state *st, struct errbuf *e)
{
	int ret = firewall_build(d, st, e);

	d->fw.failed = ret < 0;
	return ret;
}

/*
 * One container port's source check, added or removed in place (an element of `bridge
 * wgnet`'s set, both tables otherwise untouched): every docker run and rm otherwise rebuilt
 * them whole. Whenever the in-place change cannot be made (the last rebuild failed, the table
 * is not there), the whole table is rebuilt from st, which already says what should be.
 */
int firewall_port(struct driver *d, const struct state *st, const struct state_endpoint *ep,
		  bool add, struct errbuf *e)
{
	struct nft_ctr_port cp = { .addr = ep->addr };
	int ret;

	names_veth_host(ep->id, cp.ifname);
	memcpy(cp.mac, ep->mac, sizeof(cp.mac));
	if (!d->fw.failed) {
		ret = nft_port_update(&cp, add);
		if (ret == 0)
			return 0;
		log_debug("could not %s %s in table bridge %s in place (%s): rebuilding it",
			  add ? "add" : "remove", cp.ifname, NFT_TABLE_NAME, strerror(-ret));
	}
	return firewall_apply(d, st, e);
}

/* The iptables part, without the lock; 0 or a time of the check for docker_user_checked. */
static time_t docker_user_apply(const char *iptables, bool want, const char *wg_ifname)
{
	int ret;

	if (!want) {
		ret = iptables_docker_user_remove(iptables);
		if (ret < 0)
			log_warn("could not remove wgnet's DOCKER-USER rules (%s), ignoring",
				 strerror(-ret));
		return 0;
	}
	ret = iptables_docker_user_ensure(iptables, wg_ifname);
	if (ret == -ENOENT) {
		/* dockerd creates the chain when it starts, maybe after us: we check again at
		 * its next call. Docker's nftables backend has no such chain and needs none. */
		log_debug("no DOCKER-USER chain yet, nothing to accept through");
		return 0;
	}
	if (ret < 0) {
		log_warn("could not add wgnet's DOCKER-USER rules with %s (%s): Docker's FORWARD "
			 "policy may drop container traffic", iptables, strerror(-ret));
		return 0;
	}
	return time(NULL);
}

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Lock held: until there is work, or the next look at Docker's firewall is due. */
static void docker_user_wait(struct driver *d)
{
	struct timespec at = { .tv_sec = d->fw.du_next };

	while (!d->fw.du_pending && !d->stopping) {
		if (pthread_cond_timedwait(&d->fw.du_cond, &d->lock, &at) == ETIMEDOUT)
			d->fw.du_pending = true;
	}
}

/*
 * DOCKER-USER and Docker's FORWARD chain, when a Docker call or the firewall asks and every
 * DOCKER_CHECK seconds (firewall_docker.c): our accepts come back after a firewall reload, and
 * a FORWARD chain that drops our traffic is seen even when dockerd calls nothing.
 */
static void *docker_user_main(void *arg)
{
	struct driver *d = arg;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		struct iptables_forward fwd;
		const char *wg_ifname;
		time_t checked;
		bool want;
		int ret;

		docker_user_wait(d);
		if (d->stopping)
			break;
		d->fw.du_pending = false;
		want = bound_pools(&d->st) != 0 && !d->fw.failed;	/* fail closed */
		wg_ifname = firewall_mesh_on(d) ? NAMES_WG_DEVICE : NULL;
		pthread_mutex_unlock(&d->lock);
		checked = docker_user_apply(d->fw.iptables, want, wg_ifname);
		ret = iptables_forward_read(d->fw.iptables, &fwd);
		pthread_mutex_lock(&d->lock);
		d->fw.docker_user_checked = checked;
		d->fw.du_next = firewall_docker_seen(d, ret, &fwd, mono_now());
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

void firewall_docker_user_sync(struct driver *d, bool force)
{
	if (d->fw.no_iptables)
		return;
	if (!force && bound_pools(&d->st) && d->fw.docker_user_checked &&
	    time(NULL) - d->fw.docker_user_checked < DRIVER_DOCKER_USER_RECHECK)
		return;
	d->fw.du_pending = true;
	pthread_cond_signal(&d->fw.du_cond);
}

void firewall_docker_user_start(struct driver *d)
{
	if (!d->fw.no_iptables)
		thread_start(d, docker_user_main, &d->fw.du_thread, &d->fw.du_running,
				    "DOCKER-USER");
}

void firewall_docker_user_stop(struct driver *d)
{
	thread_stop(d, &d->fw.du_cond, &d->fw.du_thread, &d->fw.du_running);
}
