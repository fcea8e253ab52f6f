/* SPDX-License-Identifier: MIT */
/*
 * wgnet key rotate with a store (store_rotate.h). WireGuard knows a peer by its public key and
 * a device holds one private key, so the order is: the others first accept the new key (a
 * second peer entry, no allowed IPs), then this host switches (its sessions expire, it starts a
 * handshake with everyone), then the others swap their entry to the new key with the same
 * allowed IPs in one batch, as soon as the swapped claim reaches them. See docs/decisions.md.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "driver/instance.h"
#include "driver/log.h"
#include "driver/mesh_key.h"
#include "driver/store_file.h"
#include "driver/store_keeper.h"
#include "driver/store_rotate.h"

#define ROTATE_POLL_MS 10
#define ACKS_POLL_MS 50		/* the acknowledgements read from the store */

bool store_configured(const struct driver *d)
{
	return d->store->configured || d->store->leave_pending;
}

bool store_has_peer(const struct driver *d, const uint8_t key[KEYS_LEN])
{
	return store_mine_has(d->store, key);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Why this host cannot rotate through the store now, lock held; 0 when it can. */
static int rotate_refusal(const struct driver *d, struct errbuf *e)
{
	const struct store *s = d->store;

	if (s->refused)
		return errbuf_set(e, -EINVAL, "the store is not used: %s", s->error);
	if (s->leave_pending)
		return errbuf_set(e, -EBUSY, "this host is leaving the store (wgnet leave waits for "
				  "it): no key rotation");
	if (s->removed)
		return errbuf_set(e, -ENOENT, "this host was removed from the store: wgnet init "
				  "--store joins again");
	if (!d->st.host_index || !d->st.has_host_key)
		return errbuf_set(e, -EAGAIN, "this host has no wgnet index yet");
	if (s->rotating)
		return errbuf_set(e, -EBUSY, "a key rotation of this host is already under way");
	return 0;
}

/*
 * Who has key, lock held: the store's peers (*all), those of them live (*live: their liveness
 * key exists), those that acknowledged it (*acked) and, returned, the live ones that did. An
 * acknowledgement by a host that is not a peer (revoked, removed) counts for nothing.
 */
static size_t live_acks(struct driver *d, const uint8_t key[KEYS_LEN], size_t *all, size_t *live,
			size_t *acked)
{
	struct store *s = d->store;
	size_t live_acked = 0;

	*all = *live = *acked = 0;
	for (size_t i = 0; i < d->st.npeers; i++) {
		const struct state_peer *p = &d->st.peers[i];
		const struct store_host *h;
		bool has;

		if (!store_mine_has(s, p->public_key))
			continue;
		h = store_hosts_get(&s->hosts, p->index, false);
		has = store_hosts_acked(&s->hosts, d->st.host_index, p->index, key);
		(*all)++;
		*live += h && h->alive;
		*acked += has;
		live_acked += h && h->alive && has;
	}
	return live_acked;
}

/* The names of the store's peers that had not acknowledged key, lock held. */
static void missing_names(struct driver *d, const uint8_t key[KEYS_LEN], char *out, size_t size)
{
	struct store *s = d->store;
	size_t off = 0;

	out[0] = 0;
	for (size_t i = 0; i < d->st.npeers && off < size; i++) {
		const struct state_peer *p = &d->st.peers[i];
		int n;

		if (!store_mine_has(s, p->public_key) ||
		    store_hosts_acked(&s->hosts, d->st.host_index, p->index, key))
			continue;
		n = snprintf(out + off, size - off, "%s%s", off ? ", " : "", p->name);
		off += n > 0 ? (size_t)n : 0;
	}
}

/* This host's acknowledgements as the store has them now, into its hosts' table (the watch
 * leaves them out); a read that fails is tried again at the next poll. */
static void acks_read(struct driver *d, struct etcd *c, unsigned index)
{
	struct store *s = d->store;
	char prefix[STORE_KEY_MAX];
	struct etcd_kvs kvs = { 0 };
	struct errbuf e = { 0 };

	snprintf(prefix, sizeof(prefix), "%s%u/", STORE_ROTATE_PREFIX, index);
	if (etcd_range_prefix(c, prefix, &kvs, &e) < 0)
		return;
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < kvs.n; i++)
		store_hosts_update(&s->hosts, &kvs.v[i], false);
	pthread_mutex_unlock(&d->lock);
	etcd_kvs_release(&kvs);
}

/*
 * Waits for every live host to acknowledge key, at most STORE_ROTATE_WAIT_MS (a host cut off
 * from the store for less than its lease cannot), without the lock. The acknowledgements are
 * read from the store every ACKS_POLL_MS. Fills the counts of out, and the names of those that
 * did not.
 */
static void acks_wait(struct driver *d, struct etcd *c, unsigned index,
		      const uint8_t key[KEYS_LEN], struct key_rotate_reply *out,
		      const struct timespec *t0)
{
	size_t live, live_acked;

	for (;;) {
		acks_read(d, c, index);
		pthread_mutex_lock(&d->lock);
		live_acked = live_acks(d, key, &out->hosts, &live, &out->acked);
		pthread_mutex_unlock(&d->lock);
		if (live_acked >= live || ms_since(t0) >= STORE_ROTATE_WAIT_MS)
			break;
		sleep_ms(ACKS_POLL_MS);
	}
	/* before the switch, which deletes the acknowledgements */
	pthread_mutex_lock(&d->lock);
	live_acks(d, key, &out->hosts, &live, &out->acked);
	missing_names(d, key, out->missing, sizeof(out->missing));
	pthread_mutex_unlock(&d->lock);
}

/* One of the two transactions (store_txn_rotate); *done: its guards held. */
static int rotate_txn(struct etcd *c, const struct store_record *r, const uint8_t old[KEYS_LEN],
		      bool do_switch, bool *done, struct errbuf *e)
{
	struct store_txn t;
	int ret = store_txn_rotate(&t, r, old, do_switch);

	if (ret < 0)
		return errbuf_set(e, ret, "out of memory");
	ret = etcd_txn(c, t.guards, t.nguards, t.ops, t.nops, done, e);
	store_txn_release(&t);
	return ret;
}

/* After a refused or failed publish: nothing of the rotation is kept. Lock held. */
static int rotate_abandon(struct driver *d, int ret, bool reached, struct errbuf *e)
{
	struct store *s = d->store;
	char why[ERRBUF_MSG_MAX];

	mesh_key_forget(d);
	s->rotating = false;
	if (reached)
		return errbuf_set(e, -ESTALE, "this host's claim of index %u no longer holds its "
				  "key (removed with wgnet host rm, or revoked?), or the new key is "
				  "revoked: the key is not rotated", d->st.host_index);
	store_reachable_note(d, ret, e);
	snprintf(why, sizeof(why), "%s", e->msg);
	return errbuf_set(e, ret, "%.300s: the key is not rotated; try again when the store "
			  "answers", why);
}

int store_key_rotate(struct driver *d, struct key_rotate_reply *out, struct errbuf *e)
{
	struct store *s = d->store;
	uint8_t old[KEYS_LEN], next[KEYS_LEN];
	struct store_record r;
	struct timespec t0;
	bool done = false;
	struct etcd c;
	int ret;

	pthread_mutex_lock(&d->lock);
	ret = rotate_refusal(d, e);
	if (ret < 0)
		goto out;
	s->rotating = true;	/* the keeper publishes nothing of this host from now on */
	while (s->keeper_busy) {	/* ... nor finishes a publish begun before */
		pthread_mutex_unlock(&d->lock);
		sleep_ms(ROTATE_POLL_MS);
		pthread_mutex_lock(&d->lock);
	}
	/* a next key kept from an earlier attempt is used again, unless it was revoked since */
	if (mesh_key_pending(d, next) && store_hosts_keys_has(&s->hosts.revoked, next))
		mesh_key_forget(d);
	ret = mesh_key_next(d, next, e);
	if (ret < 0) {
		s->rotating = false;
		goto out;
	}
	memcpy(old, d->st.host_public_key, KEYS_LEN);
	store_keeper_record(d, &r);	/* the old key, and the next one */
	c = s->etcd;
	pthread_mutex_unlock(&d->lock);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = rotate_txn(&c, &r, old, false, &done, e);
	if (ret < 0 || !done) {
		pthread_mutex_lock(&d->lock);
		ret = rotate_abandon(d, ret, ret == 0, e);
		goto out;
	}
	acks_wait(d, &c, r.index, next, out, &t0);
	memcpy(r.key, next, KEYS_LEN);
	r.has_next = false;
	memset(r.next_key, 0, KEYS_LEN);
	ret = rotate_txn(&c, &r, old, true, &done, e);

	pthread_mutex_lock(&d->lock);
	s->rotating = false;
	out->wait_ms = ms_since(&t0);
	if (ret < 0) {
		/* the switch may have reached the store: the keeper finishes it if so */
		char why[ERRBUF_MSG_MAX];

		store_reachable_note(d, ret, e);
		snprintf(why, sizeof(why), "%s", e->msg);
		ret = errbuf_set(e, ret, "%.300s: the new key was published but this host did not "
				 "switch to it; wgnet key rotate again (if the switch reached the "
				 "store, this host completes it when the store answers)", why);
		goto out;
	}
	if (!done) {
		ret = rotate_abandon(d, 0, true, e);
		goto out;
	}
	ret = mesh_key_switch(d, e);
	out->switched = true;
	log_info("store: this host's key rotated: %zu of %zu host(s) had the new key before the "
		 "switch, %ld ms after it was published", out->acked, out->hosts, out->wait_ms);
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}
