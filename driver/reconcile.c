/* SPDX-License-Identifier: MIT */
/*
 * At start: make the kernel match the state. Missing bridges and veths of live endpoints are
 * made again and links with our name prefixes that no network or endpoint owns are removed
 * (driver_new then rebuilds our table). Everything not tagged as ours is left alone. The links
 * are read in one dump and compared in memory; only what differs costs a request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/endpoint.h"
#include "driver/id_list.h"
#include "driver/instance.h"
#include "driver/log.h"
#include "driver/network.h"
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

/* Endpoint IDs cut to what a veth name keeps of them, sorted: reconcile looks up every link
 * with our prefix, and one lookup per link must not walk every endpoint. */
struct id_prefixes {
	char (*v)[NAMES_VETH_ID_CHARS + 1];
	size_t n;
};

static int prefix_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int id_prefixes_make(const struct state *st, struct id_prefixes *out)
{
	out->n = 0;
	out->v = calloc(st->nendpoints ? st->nendpoints : 1, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (size_t i = 0; i < st->nendpoints; i++)
		snprintf(out->v[out->n++], sizeof(*out->v), "%.*s", NAMES_VETH_ID_CHARS,
			 st->endpoints[i].id);
	qsort(out->v, out->n, sizeof(*out->v), prefix_cmp);
	return 0;
}

/* name, one of our veth names (names_is_ours, not a bridge): an endpoint owns it */
static bool veth_wanted(const struct id_prefixes *ids, const char *name)
{
	_Static_assert(sizeof(NAMES_VETH_HOST_PREFIX) == sizeof(NAMES_VETH_CTR_PREFIX),
		       "both ends' prefixes have one length");
	return bsearch(name + strlen(NAMES_VETH_HOST_PREFIX), ids->v, ids->n, sizeof(*ids->v),
		       prefix_cmp) != NULL;
}

static int link_cmp(const void *a, const void *b)
{
	return strcmp(((const struct link_info *)a)->name, ((const struct link_info *)b)->name);
}

/* links sorted by name */
static const struct link_info *link_find(const struct link_info *links, size_t n,
					 const char *name)
{
	struct link_info key;

	snprintf(key.name, sizeof(key.name), "%s", name);
	return bsearch(&key, links, n, sizeof(*links), link_cmp);
}

/*
 * The endpoint's veth as the start-up dump saw it is already what endpoint_veth_ensure makes:
 * nothing to ask the kernel. A joined endpoint's container end is in its container.
 */
static bool veth_in_place(const struct link_info *links, size_t n, const struct state_pool *p,
			  const struct state_endpoint *ep)
{
	char host[IFNAMSIZ], ctr[IFNAMSIZ], br[IFNAMSIZ];
	const struct link_info *h, *b;

	names_veth_host(ep->id, host);
	names_veth_ctr(ep->id, ctr);
	names_bridge(p->network_id, br);
	h = link_find(links, n, host);
	b = link_find(links, n, br);
	return h && b && strcmp(h->kind, "veth") == 0 && h->master == b->index && h->up &&
	       h->ipv6_none && (ep->joined || link_find(links, n, ctr));
}

int reconcile_all(struct driver *d, struct errbuf *e)
{
	struct id_prefixes ids = { 0 };
	struct link_info *links = NULL, li;
	struct errbuf step = { 0 };
	size_t nlinks = 0, made = 0, removed = 0, failed = 0;
	bool created, dumped;
	char idb[13];
	int err;

	for (size_t i = 0; i < d->st.npools; i++) {
		struct state_pool *p = &d->st.pools[i];

		if (!p->network_id[0])
			continue;
		err = network_bridge_ensure(d, p, &created, &step);
		if (err < 0)
			log_error("reconcile: network %s: %s", names_short_id(p->network_id, idb), step.msg);
		failed += err < 0;
		made += created;
		/* every network dockerd knows may be replayed by its next start */
		if (id_list_add(&d->replay_pools, p->network_id) < 0)
			failed++;
	}
	/* One dump, after the bridges are made: with a thousand endpoints, a request per link
	 * would be most of the start-up. */
	err = link_dump(d->nl, &links, &nlinks);
	dumped = err == 0;
	if (!dumped) {
		log_error("reconcile: could not list links: %s", nl_strerror(d->nl, err));
		failed++;
		nlinks = 0;
	}
	if (nlinks)
		qsort(links, nlinks, sizeof(*links), link_cmp);
	for (size_t i = 0; i < d->st.nendpoints; i++) {
		struct state_endpoint *ep = &d->st.endpoints[i];
		struct state_pool *p = state_pool_by_network(&d->st, ep->network_id);
		char host[IFNAMSIZ];

		if (!p || (dumped && veth_in_place(links, nlinks, p, ep)))
			continue;
		/* A joined endpoint's veth lives in its container; when the container is gone
		 * (a reboot) dockerd deletes the endpoint at its start, nothing to make here. If
		 * it runs, the host end is still here: re-attach it. */
		names_veth_host(ep->id, host);
		if (ep->joined && (dumped ? !link_find(links, nlinks, host) :
				   link_get(d->nl, host, &li) < 0))
			continue;
		err = endpoint_veth_ensure(d, p, ep, &created, &step);
		if (err < 0)
			log_error("reconcile: endpoint %s: %s", names_short_id(ep->id, idb), step.msg);
		failed += err < 0;
		made += created;
	}

	err = id_prefixes_make(&d->st, &ids);
	if (err < 0)
		failed++;
	for (size_t i = 0; err == 0 && i < nlinks; i++) {
		const char *name = links[i].name;
		int ret;

		if (!names_is_ours(name) || strcmp(name, NAMES_WG_DEVICE) == 0)
			continue;
		if (strncmp(name, NAMES_BRIDGE_PREFIX, 3) == 0 ? bridge_wanted(&d->st, name) :
		    veth_wanted(&ids, name))
			continue;
		ret = link_del(d->nl, name);
		if (ret < 0 && ret != -ENODEV) {
			log_error("reconcile: could not delete stale %s: %s", name,
				  nl_strerror(d->nl, ret));
			failed++;
			continue;
		}
		removed++;
		log_info("reconcile: removed stale %s", name);
	}
	free(ids.v);
	free(links);

	/* The firewall and DOCKER-USER are the caller's: once, with the mesh's rules when it
	 * comes up (each nftables commit costs a socket close of ~10 ms in the kernel). */
	/* A failed step is logged and tried again at the next start or request; the daemon
	 * still serves, so dockerd gets worded errors instead of a missing socket. */
	log_info("reconciled: %zu pool(s), %zu endpoint(s), %zu link(s) made, %zu removed, "
		 "%zu step(s) failed", d->st.npools, d->st.nendpoints, made, removed, failed);
	(void)e;
	return 0;
}
