/* SPDX-License-Identifier: MIT */
/*
 * The watcher: reads every key under /wgnet/ once, then watches from the next revision and
 * applies each change to the peers (resuming from the last revision seen after a break, and
 * reading everything again when that revision was compacted); a peer whose record advertises
 * new endpoints is moved to the first, unless its session is live. Only a removed record
 * removes a peer: the store is never on the data path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/dns_server.h"
#include "driver/events.h"
#include "driver/instance.h"
#include "driver/log.h"
#include "driver/mesh.h"
#include "driver/mesh_device.h"
#include "driver/persist.h"
#include "driver/resolve.h"
#include "driver/store_file.h"
#include "driver/store_keeper.h"
#include "driver/store_names.h"
#include "driver/store_plan.h"
#include "driver/store_watch.h"

static bool sockaddr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
	return true;
}

static int peer_key_order(const void *a, const void *b)
{
	return memcmp(((const struct state_peer *)a)->public_key,
		      ((const struct state_peer *)b)->public_key, KEYS_LEN);
}

/*
 * Peers whose record now advertises another endpoint (moved, sorted by key) get it on the device
 * at once (the device keeps a peer's endpoint otherwise, maybe learnt from its packets): unless
 * their session is live, since then the endpoint in use works and WireGuard follows the peer
 * when it moves. Lock held.
 */
static void endpoints_push(struct driver *d, const struct state_peer *moved, size_t nmoved)
{
	struct wg_device have = { 0 };
	time_t now = time(NULL);

	if (!nmoved || mesh_device_read(d, &have) < 0)
		return;
	for (size_t i = 0; i < have.npeers; i++) {
		const struct wg_peer *wp = &have.peers[i];
		const struct state_peer *p;
		struct state_peer probe;
		struct sockaddr_storage ep;

		memcpy(probe.public_key, wp->public_key, KEYS_LEN);
		p = bsearch(&probe, moved, nmoved, sizeof(*moved), peer_key_order);
		if (!p || !p->endpoint[0])
			continue;
		if (wp->last_handshake_sec && now - wp->last_handshake_sec < STORE_SESSION_SECONDS) {
			log_debug("store: peer %s advertises %s; its live session keeps its endpoint",
				  p->name, p->endpoint);
			continue;
		}
		if (resolve_endpoint(d, p->endpoint, &ep) < 0 || sockaddr_same(&ep, &wp->endpoint))
			continue;
		if (mesh_device_peer_endpoint(d, wp, &ep) < 0)
			log_warn("store: peer %s: could not set endpoint %s", p->name, p->endpoint);
		else
			log_info("store: peer %s: endpoint %s (its record changed)", p->name,
				 p->endpoint);
	}
	wg_device_release(&have);
}

/*
 * The store's valid records into the state's peers in one step, lock held (store_plan_make:
 * peers from the store that no valid record names go, new ones come, changed ones change, and
 * a record that re-keys an index replaces the peer there). Saved and applied when changed.
 */
static void store_apply(struct driver *d)
{
	struct store *s = d->store;
	struct store_plan plan = { 0 };
	struct state_peer *was;
	struct errbuf e = { 0 };
	bool first, mine;
	size_t nwas;

	if (!s->configured || !s->synced || !d->st.host_index)
		return;
	if (store_plan_make(&s->hosts, &d->st, &s->mine, &plan) < 0) {
		log_error("store: out of memory applying revision %lld", (long long)s->rev);
		return;
	}
	if (!plan.changed)
		goto out;
	was = d->st.peers;
	nwas = d->st.npeers;
	d->st.peers = plan.peers;
	d->st.npeers = plan.npeers;
	/* a rotation: the device first (the store, read again at start, has it anyway). A peer
	 * that switched to its new key: each of its packets that comes before drops. A peer's new
	 * next key: it waits for every host's acknowledgement, which the keeper gives once wgnet0
	 * has the key, woken now rather than after two fsyncs */
	first = plan.takeover || plan.pending;
	if (first && mesh_sync(d, &e) < 0)
		log_error("store: %s", e.msg);
	if (plan.pending)
		store_keeper_ack_soon(d);
	if (persist_save(d, &e) < 0) {
		/* back to what was saved: the next change tries again */
		log_error("store: %s", e.msg);
		d->st.peers = was;
		d->st.npeers = nwas;
		if (first)
			mesh_sync_logged(d, "store");
		goto out;
	}
	plan.peers = was;	/* freed with the plan */
	mine = !store_hosts_keys_equal(&s->mine, &plan.mine);
	store_hosts_keys_release(&s->mine);
	s->mine = plan.mine;
	plan.mine = (struct store_keys){ 0 };
	/* store.json names the store's peers: written when they change, not at every apply */
	if (mine && store_file_save(s, &e) < 0)
		log_error("store: %s", e.msg);
	if (!first && mesh_sync(d, &e) < 0)
		log_error("store: %s", e.msg);
	dns_server_sync(d);		/* whose names are served follows the peers */
	endpoints_push(d, plan.moved, plan.nmoved);
	for (size_t i = 0; i < plan.nrekeyed; i++)
		events_add(d, EVENT_PEER_REKEYED, plan.rekeyed[i], "its new key took over (the store's "
			   "claim moved to it)");
	for (size_t i = 0; i < plan.nrevoked; i++)
		events_add(d, EVENT_KEY_REVOKED, plan.revoked[i], "removed: its key is revoked");
	/* after the device has them: bench/store_scale times this line */
	log_info("store: revision %lld applied, %zu peer(s) from the store", (long long)s->rev,
		 s->mine.n);
out:
	store_plan_release(&plan);
}

static int watch_events(void *arg, const struct etcd_event *ev, size_t n, int64_t rev)
{
	struct driver *d = arg;
	struct store *s = d->store;
	bool peers = false;

	pthread_mutex_lock(&d->lock);
	if (!n && !rev && s->watch_broke)	/* bench/store_scale times this line */
		log_info("store: the watch resumed from revision %lld", (long long)s->rev + 1);
	else if (!n && !rev)
		log_debug("store: watching from revision %lld", (long long)s->rev + 1);
	if (!n && !rev)
		s->watch_broke = false;
	for (size_t i = 0; i < n; i++) {
		if (store_names_event(d, ev[i].kv, ev[i].deleted))
			continue;	/* a names record: no peer changes */
		peers |= store_hosts_update(&s->hosts, ev[i].kv, ev[i].deleted);
	}
	if (peers && store_hosts_reindex(&s->hosts) < 0)
		log_error("store: out of memory indexing the hosts by key");
	if (rev > s->rev)
		s->rev = rev;
	store_reachable_note(d, 0, NULL);
	/* liveness, acknowledgements and names change no peer: no plan for them */
	if (peers)
		store_apply(d);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* Everything read again; a peer's failover goes on where it was if its record is the same. */
static void hosts_reset(struct store *s, const struct etcd_kvs *kvs)
{
	struct store_hosts was = s->hosts;

	s->hosts = (struct store_hosts){ 0 };
	for (size_t i = 0; i < kvs->n; i++)
		store_hosts_update(&s->hosts, &kvs->v[i], false);
	for (size_t i = 0; i < s->hosts.n; i++) {
		struct store_host *h = &s->hosts.v[i];
		const struct store_host *o = store_hosts_get(&was, h->index, false);

		if (o && o->has_record && h->has_record && memcmp(&o->rec, &h->rec, sizeof(h->rec)) == 0)
			h->fo = o->fo;
	}
	store_hosts_release(&was);
	if (store_hosts_reindex(&s->hosts) < 0)
		log_error("store: out of memory indexing the hosts by key");
	s->rev = kvs->revision;
	s->synced = true;
}

void *store_watch_main(void *arg)
{
	struct driver *d = arg;
	struct store *s = d->store;
	bool resync = true;

	while (!atomic_load(&s->stop)) {
		struct etcd_kvs kvs = { 0 };
		struct errbuf e = { 0 };
		int64_t from;
		int ret = 0;

		if (resync) {
			ret = etcd_range_prefix(&s->etcd, STORE_PREFIX, &kvs, &e);
			pthread_mutex_lock(&d->lock);
			if (ret == 0) {
				hosts_reset(s, &kvs);
				store_names_reset(d, &kvs);
				store_apply(d);
				resync = false;
			}
			store_reachable_note(d, ret, &e);
			pthread_mutex_unlock(&d->lock);
			etcd_kvs_release(&kvs);
		}
		if (!resync) {
			pthread_mutex_lock(&d->lock);
			from = s->rev + 1;
			pthread_mutex_unlock(&d->lock);
			/* all of /wgnet/ but the acknowledgements (rotate/, last of its prefixes):
			 * only the rotating host needs them, and it reads them (store_rotate.c);
			 * watched, each rotation cost every host an event per host */
			ret = etcd_watch_range(&s->etcd, STORE_PREFIX, STORE_ROTATE_PREFIX, from,
					       watch_events, d, &s->stop, &e);
			if (ret == -ESTALE) {
				log_info("store: revision %lld was compacted: reading everything "
					 "again", (long long)from);
				resync = true;
				continue;
			}
			pthread_mutex_lock(&d->lock);
			if (ret < 0)
				store_reachable_note(d, -ENOTCONN, &e);
			s->watch_broke |= ret < 0;
			pthread_mutex_unlock(&d->lock);
		}
		store_sleep(s, 1000);
	}
	return NULL;
}
