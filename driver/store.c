/* SPDX-License-Identifier: MIT */
/*
 * Membership through etcd: the verbs (wgnet init --store, leave, host rm), the store's part of
 * `wgnet status`, and its two threads' life: the watcher (store_watch.c) and the keeper
 * (store_keeper.c), run once a store is configured. Store peers live in the state like
 * join-line peers (so they survive restarts without the store); store.json names them. The
 * store is never on the data path: unreachable, it changes nothing; a host whose lease lapsed
 * stays a peer.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "driver/instance.h"
#include "driver/log.h"
#include "driver/mesh.h"
#include "driver/store.h"
#include "driver/store_file.h"
#include "driver/store_keeper.h"
#include "driver/store_names.h"
#include "driver/store_watch.h"
#include "driver/thread.h"

#define STORE_CLAIM_TRIES 256

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Joins threads that ran; no lock held (they take it). */
static void threads_stop(struct store *s)
{
	if (!s->running)
		return;
	atomic_store(&s->stop, true);
	store_wake(s);
	pthread_join(s->watcher, NULL);
	pthread_join(s->keeper, NULL);
	s->running = false;
}

/* publish: the record goes to the store at the keeper's first tick (it may be stale there) */
static void threads_start(struct driver *d, bool publish)
{
	struct store *s = d->store;

	atomic_store(&s->stop, false);
	s->publish = publish;
	if (pthread_create(&s->watcher, NULL, store_watch_main, d) != 0) {
		log_error("store: could not start the watch thread");
		return;
	}
	if (pthread_create(&s->keeper, NULL, store_keeper_main, d) != 0) {
		log_error("store: could not start the keepalive thread");
		atomic_store(&s->stop, true);
		pthread_join(s->watcher, NULL);
		return;
	}
	s->running = true;
}

int store_new(struct driver *d, const char *state_dir, struct errbuf *e)
{
	struct store *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return errbuf_set(e, -ENOMEM, "out of memory");
	pthread_once(&curl_once, curl_init_once);
	pthread_mutex_init(&s->sleep_lock, NULL);
	thread_cond_init(&s->sleep_cond);
	snprintf(s->path, sizeof(s->path), "%s/%s", state_dir, STORE_FILE_NAME);
	d->store = s;
	ret = store_file_load(s, e);
	if (ret < 0)
		return ret;
	if ((s->configured || s->leave_pending) && d->st.host_index && !s->refused)
		threads_start(d, true);
	return 0;
}

void store_free(struct driver *d)
{
	struct store *s = d->store;

	if (!s)
		return;
	threads_stop(s);
	store_names_free(d);
	store_hosts_release(&s->hosts);
	store_hosts_keys_release(&s->mine);
	free(s->acks_due);
	free(s->acks_sent);
	pthread_cond_destroy(&s->sleep_cond);
	pthread_mutex_destroy(&s->sleep_lock);
	free(s);
	d->store = NULL;
}

/* The index this key holds, or the lowest free one claimed now; never for a revoked key. */
static int claim_index(struct etcd *c, const uint8_t pub[KEYS_LEN], unsigned want,
		       unsigned *out, struct errbuf *e)
{
	char ikey[STORE_KEY_MAX], key[KEYS_B64_LEN];
	struct etcd_kvs kvs = { 0 };
	uint8_t taken[65536 / 8] = { 0 };
	bool created = false;
	unsigned idx;
	int ret;

	keys_b64(pub, key);
	store_key_format_revoked(pub, ikey);
	ret = etcd_range_prefix(c, ikey, &kvs, e);
	if (ret == 0 && kvs.n)
		ret = errbuf_set(e, -EPERM, "this host's key is revoked in the store (wgnet host "
				 "revoke): it cannot join with it");
	etcd_kvs_release(&kvs);
	if (ret < 0)
		return ret;
	ret = etcd_range_prefix(c, STORE_INDEX_PREFIX, &kvs, e);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < kvs.n; i++) {
		if (store_key_parse(kvs.v[i].key, &idx) != STORE_KEY_INDEX)
			continue;
		taken[idx / 8] |= (uint8_t)(1u << (idx % 8));
		if (strcmp(kvs.v[i].value, key) == 0 && (!want || want == idx)) {
			*out = idx;	/* ours already: init again */
			etcd_kvs_release(&kvs);
			return 0;
		}
	}
	etcd_kvs_release(&kvs);
	for (unsigned tries = 0; tries < STORE_CLAIM_TRIES; tries++) {
		struct etcd_kvs held = { 0 };

		for (idx = want ? want : 1; !want && idx < 65536; idx++)
			if (!(taken[idx / 8] & (1u << (idx % 8))))
				break;
		if (idx > 65535)
			return errbuf_set(e, -ENOSPC, "every host index 1..65535 is taken");
		store_key_format(STORE_INDEX_PREFIX, idx, ikey);
		ret = etcd_create(c, ikey, key, 0, &created, &held, e);
		if (ret < 0)
			return ret;
		if (created) {
			*out = idx;
			return 0;
		}
		if (want) {
			char hkey[STORE_KEY_MAX], holder[STATE_NAME_MAX] = "";
			struct etcd_kvs rec = { 0 };
			struct store_record r;

			store_key_format(STORE_HOSTS_PREFIX, idx, hkey);
			if (etcd_range_prefix(c, hkey, &rec, NULL) == 0)
				for (size_t i = 0; i < rec.n; i++)
					if (strcmp(rec.v[i].key, hkey) == 0 &&
					    store_record_parse(rec.v[i].value, rec.v[i].value_len,
							       &r, NULL) == 0)
						snprintf(holder, sizeof(holder), "%s", r.name);
			etcd_kvs_release(&rec);
			ret = errbuf_set(e, -EEXIST, "index %u is held by host %s (key %.44s): pick "
					 "another, or leave --index out for the lowest free one",
					 idx, holder[0] ? holder : "(no record)",
					 held.n ? held.v[0].value : "?");
			etcd_kvs_release(&held);
			return ret;
		}
		etcd_kvs_release(&held);
		taken[idx / 8] |= (uint8_t)(1u << (idx % 8));	/* someone was faster */
	}
	return errbuf_set(e, -EBUSY, "could not claim a host index in %d tries",
			  STORE_CLAIM_TRIES);
}

int driver_store_init(struct driver *d, const struct store_init_req *req, struct errbuf *e)
{
	struct store *s = d->store;
	struct host_init_req hreq = {
		.endpoint = req->endpoint, .mtu = req->mtu, .listen_port = req->listen_port,
		.name = req->name,
	};
	struct store_record r;
	uint8_t pub[KEYS_LEN];
	struct etcd c;
	int64_t lease = 0;
	bool gone = false;
	unsigned want;
	int ret;

	if (req->index > 65535)
		return errbuf_set(e, -EINVAL, "host index %u out of range 1..65535", req->index);
	ret = etcd_config(&c, req->urls, req->ca, req->cert, req->key,
			  (req->insecure_http ? ETCD_ALLOW_HTTP : 0) |
			  (req->no_client_cert ? ETCD_ALLOW_NO_CERT : 0), e);
	if (ret == 0)
		ret = etcd_check_risks(&c, e);
	if (ret < 0)
		return ret;
	/* a host that has an index (its networks use its slice) asks for that one */
	pthread_mutex_lock(&d->lock);
	ret = s->rotating ? errbuf_set(e, -EBUSY, "a key rotation of this host is under way: "
				       "init again once it is done") : mesh_public_key(d, pub, e);
	want = req->index ? req->index : d->st.host_index;
	pthread_mutex_unlock(&d->lock);
	if (ret < 0)
		return ret;
	ret = claim_index(&c, pub, want, &hreq.index, e);
	if (ret < 0)
		return ret;
	threads_stop(s);
	ret = driver_host_init(d, &hreq, e);
	if (ret < 0) {
		/* nothing published: the claim alone is harmless, init again */
		pthread_mutex_lock(&d->lock);
		if ((s->configured || s->leave_pending) && !s->refused)
			threads_start(d, true);	/* the store we had goes on */
		pthread_mutex_unlock(&d->lock);
		return ret;
	}
	pthread_mutex_lock(&d->lock);
	s->etcd = c;
	s->configured = true;
	s->refused = false;
	s->leave_pending = false;
	s->removed = false;
	s->synced = false;
	s->lease = 0;
	store_keeper_record(d, &r);
	pthread_mutex_unlock(&d->lock);
	/* published before the answer: the others see this host as soon as init returns */
	ret = store_keeper_publish(&c, &r, true, &lease, &gone, e);
	pthread_mutex_lock(&d->lock);
	if (ret == 0) {
		s->lease = lease;
		s->renewed = time(NULL);
	}
	if (store_file_save(s, e) < 0)
		ret = ret < 0 ? ret : -EIO;
	pthread_mutex_unlock(&d->lock);
	/* published just now: again only if that failed (another put is an event on every host) */
	threads_start(d, ret < 0 || gone);
	if (ret == 0 && gone)
		ret = errbuf_set(e, -EBUSY, "index %u was removed from the store meanwhile: run "
				 "wgnet init again", r.index);
	if (ret == 0)
		log_info("store: host %s joined %s as index %u", r.name, c.urls[0], r.index);
	return ret;
}

int driver_store_leave(struct driver *d, struct errbuf *e)
{
	struct store *s = d->store;
	uint8_t key[KEYS_LEN];
	struct etcd c;
	unsigned index;
	bool done = false;
	int ret;

	pthread_mutex_lock(&d->lock);
	if (!s->configured && !s->leave_pending) {
		pthread_mutex_unlock(&d->lock);
		return errbuf_set(e, -ENOENT, "this host is in no store (wgnet init --store)");
	}
	if (s->refused) {
		ret = errbuf_set(e, -EINVAL, "the store is not used: %s", s->error);
		pthread_mutex_unlock(&d->lock);
		return ret;
	}
	c = s->etcd;
	index = d->st.host_index;
	memcpy(key, d->st.host_public_key, KEYS_LEN);
	pthread_mutex_unlock(&d->lock);
	ret = store_keeper_leave_txn(&c, index, key, &done, e);
	pthread_mutex_lock(&d->lock);
	if (ret == -ENOTCONN && !s->leave_pending) {
		s->leave_pending = true;
		if (store_file_save(s, NULL) < 0)
			log_error("store: could not save the pending leave");
	}
	if (ret == 0 && (s->configured || s->leave_pending))
		store_keeper_leave_finish(d);
	pthread_mutex_unlock(&d->lock);
	if (ret == -ENOTCONN) {
		char why[ERRBUF_MSG_MAX];

		snprintf(why, sizeof(why), "%s", e->msg);	/* e is written next */
		return errbuf_set(e, -EAGAIN, "%.300s: the leave is saved and applies when the "
				  "store answers again (wgnet status shows it pending)", why);
	}
	return ret;
}

int driver_store_host_rm(struct driver *d, const char *name, struct errbuf *e)
{
	struct store *s = d->store;
	const struct store_host *h = NULL;
	uint8_t claim[KEYS_LEN];
	struct etcd c;
	unsigned index = 0;
	bool done = false, configured, refused, self;
	char why[sizeof(s->error)];
	int ret;

	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; s->configured && i < s->hosts.n; i++)	/* one request: a scan */
		if (s->hosts.v[i].has_record && s->hosts.v[i].has_claim &&
		    strcmp(s->hosts.v[i].rec.name, name) == 0)
			h = &s->hosts.v[i];
	if (h) {
		index = h->index;
		memcpy(claim, h->claim, KEYS_LEN);
	}
	c = s->etcd;
	configured = s->configured;
	refused = s->refused;
	memcpy(why, s->error, sizeof(why));
	self = h && index == d->st.host_index;
	pthread_mutex_unlock(&d->lock);
	if (!configured)
		return errbuf_set(e, -ENOENT, "this host is in no store (wgnet init --store)");
	if (refused)
		return errbuf_set(e, -EINVAL, "the store is not used: %s", why);
	if (!h)
		return errbuf_set(e, -ENOENT, "no host named '%.64s' in the store (see wgnet peer "
				  "ls)", name);
	if (self)
		return errbuf_set(e, -EINVAL, "%s is this host: use wgnet leave", name);
	ret = store_keeper_leave_txn(&c, index, claim, &done, e);
	if (ret == 0 && !done)
		ret = errbuf_set(e, -EBUSY, "the claim of index %u changed meanwhile: look again",
				 index);
	if (ret == 0)
		log_info("store: host %s (index %u) removed from the store", name, index);
	return ret;
}

void store_status_fill(struct driver *d, struct driver_status *out)
{
	struct store *s = d->store;
	struct status_store *st = &out->store;

	st->configured = s->configured;
	st->leave_pending = s->leave_pending;
	st->removed = s->removed;
	if (s->configured || s->leave_pending)
		etcd_urls_text(&s->etcd, st->urls, sizeof(st->urls));
	st->reachable = s->reachable;
	snprintf(st->error, sizeof(st->error), "%.255s", s->reachable ? "" : s->error);
	st->revision = s->rev;
	st->hosts = s->hosts.nby_key;	/* those with a record */
	/* peers_status_fill made out->peers[i] of d->st.peers[i] */
	for (size_t i = 0; i < out->npeers && i < d->st.npeers; i++) {
		const struct state_peer *sp = &d->st.peers[i];
		struct status_peer *p = &out->peers[i];
		const struct store_host *h;

		p->from_store = store_mine_has(s, sp->public_key);
		h = p->from_store ? store_hosts_by_key(&s->hosts, sp->public_key) : NULL;
		p->alive = !p->from_store ? -1 : h && h->alive ? 1 : 0;
	}
}
