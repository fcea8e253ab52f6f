/* SPDX-License-Identifier: MIT */
/*
 * At start: make the kernel match the state. Missing bridges and veths of live endpoints are
 * made again, our table is rebuilt, and links with our name prefixes that no network or
 * endpoint owns are removed. Everything not tagged as ours is left alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver/driver_impl.h"
#include "driver/log.h"
#include "netlink/link.h"
#include "netlink/nl.h"

static bool bridge_wanted(const struct state *st, const char *name)
{
	char br[IFNAMSIZ];

	for (size_t i = 0; i < st->npools; i++) {
		if (!st->pools[i].network_id[0])
			continue;
		names_bridge(st->pools[i].network_id, br);
		if (strcmp(br, name) == 0)
			return true;
	}
	return false;
}

static bool veth_wanted(const struct state *st, const char *name)
{
	char host[IFNAMSIZ], ctr[IFNAMSIZ];

	for (size_t i = 0; i < st->nendpoints; i++) {
		names_veth_host(st->endpoints[i].id, host);
		names_veth_ctr(st->endpoints[i].id, ctr);
		if (strcmp(host, name) == 0 || strcmp(ctr, name) == 0)
			return true;
	}
	return false;
}

int reconcile_all(struct driver *d, struct errbuf *e)
{
	struct link_info *links = NULL;
	struct errbuf step = { 0 };
	size_t nlinks = 0, made = 0, removed = 0, failed = 0;
	char idb[13];
	bool created;
	int err;

	for (size_t i = 0; i < d->st.npools; i++) {
		struct state_pool *p = &d->st.pools[i];

		if (!p->network_id[0])
			continue;
		err = network_bridge_ensure(d, p, &created, &step);
		if (err < 0)
			log_error("reconcile: network %s: %s", short_id(p->network_id, idb), step.msg);
		failed += err < 0;
		made += created;
		/* every network dockerd knows may be replayed by its next start */
		if (id_list_add(&d->replay_pools, p->network_id) < 0)
			failed++;
	}
	for (size_t i = 0; i < d->st.nendpoints; i++) {
		struct state_endpoint *ep = &d->st.endpoints[i];
		struct state_pool *p = driver_pool_by_network(d, ep->network_id);

		/* A joined endpoint's veth lives in its container; when the container is gone
		 * (a reboot) dockerd deletes the endpoint at its start, nothing to make here. */
		if (!p || ep->joined)
			continue;
		err = endpoint_veth_ensure(d, p, ep, &created, &step);
		if (err < 0)
			log_error("reconcile: endpoint %s: %s", short_id(ep->id, idb), step.msg);
		failed += err < 0;
		made += created;
	}
	for (size_t i = 0; i < d->st.nendpoints; i++) {
		struct state_endpoint *ep = &d->st.endpoints[i];
		struct state_pool *p = driver_pool_by_network(d, ep->network_id);
		char host[IFNAMSIZ];
		struct link_info li;

		/* joined: the host end is still here if the container runs; re-attach it */
		names_veth_host(ep->id, host);
		if (p && ep->joined && link_get(d->nl, host, &li) == 0) {
			err = endpoint_veth_ensure(d, p, ep, &created, &step);
			if (err < 0)
				log_error("reconcile: endpoint %s: %s", short_id(ep->id, idb),
					  step.msg);
			failed += err < 0;
		}
	}

	err = link_dump(d->nl, &links, &nlinks);
	if (err < 0) {
		log_error("reconcile: could not list links: %s", nl_strerror(d->nl, err));
		failed += err < 0;
	}
	for (size_t i = 0; i < nlinks; i++) {
		const char *name = links[i].name;

		if (!names_is_ours(name) || strcmp(name, NAMES_WG_DEVICE) == 0)
			continue;
		if (strncmp(name, NAMES_BRIDGE_PREFIX, 3) == 0 ? bridge_wanted(&d->st, name) :
		    veth_wanted(&d->st, name))
			continue;
		err = link_del(d->nl, name);
		if (err < 0 && err != -ENODEV) {
			log_error("reconcile: could not delete stale %s: %s", name,
				  nl_strerror(d->nl, err));
			failed += err < 0;
			continue;
		}
		removed++;
		log_info("reconcile: removed stale %s", name);
	}
	free(links);

	err = firewall_apply(d, &d->st, &step);
	if (err < 0)
		log_error("reconcile: %s", step.msg);
	failed += err < 0;
	firewall_docker_user_sync(d, true);
	/* A failed step is logged and tried again at the next start or request; the daemon
	 * still serves, so dockerd gets worded errors instead of a missing socket. */
	log_info("reconciled: %zu pool(s), %zu endpoint(s), %zu link(s) made, %zu removed, "
		 "%zu step(s) failed", d->st.npools, d->st.nendpoints, made, removed, failed);
	(void)e;
	return 0;
}
