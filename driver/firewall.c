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
#include <string.h>
#include <time.h>

#include "driver/driver_impl.h"
#include "driver/log.h"
#include "netlink/iptables.h"
#include "netlink/nft.h"

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

int firewall_apply(struct driver *d, const struct state *st, struct errbuf *e)
{
	struct nft_policy pol = { 0 };
	struct nft_bridge *br = NULL;
	struct nft_dnat *dn = NULL;
	size_t nbr = bound_pools(st), ndn = 0, k = 0;
	int ret;

	for (size_t i = 0; i < st->nendpoints; i++)
		ndn += st->endpoints[i].nports;
	if (!nbr && !ndn) {
		ret = nft_delete();
		if (ret < 0)
			return errbuf_set(e, ret, "could not delete table inet %s: %s",
					  NFT_TABLE_NAME, strerror(-ret));
		return 0;
	}
	br = calloc(nbr ? nbr : 1, sizeof(*br));
	dn = calloc(ndn ? ndn : 1, sizeof(*dn));
	if (!br || !dn) {
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
		br[k].masquerade = !p->internal;
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
	 * even for the moment between reconcile and mesh_start, drops tunnel traffic. */
	pol.wg_ifname = firewall_mesh_on(d) ? NAMES_WG_DEVICE : NULL;
	pol.wg_listen_port = d->st.listen_port ? d->st.listen_port : 51820;
	pol.bridges = br;
	pol.nbridges = nbr;
	pol.dnats = dn;
	pol.ndnats = k;
	ret = nft_apply(&pol);
	if (ret < 0)
		errbuf_set(e, ret, "could not program table inet %s: %s", NFT_TABLE_NAME,
			   strerror(-ret));
out:
	free(br);
	free(dn);
	return ret;
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

static void *docker_user_main(void *arg)
{
	struct driver *d = arg;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		bool want;
		const char *wg_ifname;
		time_t checked;

		while (!d->du_pending && !d->stopping)
			pthread_cond_wait(&d->du_cond, &d->lock);
		if (d->stopping)
			break;
		d->du_pending = false;
		want = bound_pools(&d->st) != 0;
		wg_ifname = firewall_mesh_on(d) ? NAMES_WG_DEVICE : NULL;
		pthread_mutex_unlock(&d->lock);
		checked = docker_user_apply(d->iptables, want, wg_ifname);
		pthread_mutex_lock(&d->lock);
		d->docker_user_checked = checked;
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

void firewall_docker_user_sync(struct driver *d, bool force)
{
	if (d->no_iptables)
		return;
	if (!force && bound_pools(&d->st) && d->docker_user_checked &&
	    time(NULL) - d->docker_user_checked < DRIVER_DOCKER_USER_RECHECK)
		return;
	d->du_pending = true;
	pthread_cond_signal(&d->du_cond);
}

void firewall_docker_user_start(struct driver *d)
{
	if (!d->no_iptables)
		driver_thread_start(d, docker_user_main, &d->du_thread, &d->du_running,
				    "DOCKER-USER");
}

void firewall_docker_user_stop(struct driver *d)
{
	driver_thread_stop(d, &d->du_cond, &d->du_thread, &d->du_running);
}
