/* SPDX-License-Identifier: MIT */
/*
 * Names through the store (store_names.h). The records of other hosts are parsed as if hostile
 * and served as the store has them: a refused one is ignored (logged), a deleted one goes. This
 * host's own are put by the keeper only where the store's copy differs, so that a restart or a
 * read again costs no event on every host; whatever is under our index and not ours is deleted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver/dns_names.h"
#include "driver/dns_record.h"
#include "driver/dns_table.h"
#include "driver/instance.h"
#include "driver/log.h"
#include "driver/store_file.h"
#include "driver/store_names.h"

#define TXN_OPS_MAX 100			/* etcd's --max-txn-ops is 128 by default */

/* Lock held: one record of the store, into the names served or into our own copy. */
static void record_take(struct driver *d, const struct etcd_kv *kv, unsigned index,
			const char *endpoint, bool deleted)
{
	struct store *s = d->store;
	struct dns_record r = { 0 };
	struct errbuf e = { 0 };
	bool ours = index == d->st.host_index;

	if (!deleted && dns_record_parse(kv->value, kv->value_len, &r, &e) < 0) {
		log_warn("store: %s: %s, ignoring", kv->key, e.msg);
		return;
	}
	memcpy(r.endpoint, endpoint, sizeof(r.endpoint));
	if (ours) {
		if (deleted)
			dns_table_del(s->names_mine, DNS_SOURCE_STORE, index, endpoint);
		else if (dns_table_put(s->names_mine, DNS_SOURCE_STORE, index, &r) < 0)
			log_error("store: out of memory noting our names record");
		atomic_store(&s->names_dirty, true);
	} else if (deleted) {
		dns_names_store_del(d->names, index, endpoint);
	} else if (dns_names_store_put(d->names, index, &r) < 0) {
		log_error("store: out of memory taking %s", kv->key);
	}
	dns_record_release(&r);
}

bool store_names_event(struct driver *d, const struct etcd_kv *kv, bool deleted)
{
	char endpoint[DOCKER_ID_LEN + 1];
	unsigned index;

	if (!dns_record_key_parse(kv->key, &index, endpoint))
		return strncmp(kv->key, DNS_RECORD_PREFIX, strlen(DNS_RECORD_PREFIX)) == 0;
	if (d->store->names_mine)
		record_take(d, kv, index, endpoint, deleted);
	return true;
}

void store_names_reset(struct driver *d, const struct etcd_kvs *kvs)
{
	struct store *s = d->store;
	struct dns_table *mine = NULL;

	if (dns_table_new(&mine) < 0) {
		log_error("store: out of memory reading the names");
		return;
	}
	dns_table_free(s->names_mine);
	s->names_mine = mine;
	dns_names_store_mark(d->names);
	for (size_t i = 0; i < kvs->n; i++)
		store_names_event(d, &kvs->v[i], false);
	dns_names_store_sweep(d->names);
	atomic_store(&s->names_dirty, true);
}

bool store_names_due(struct driver *d)
{
	struct store *s = d->store;

	/* names_gen is the keeper's own; a new lease sets names_dirty */
	return atomic_load(&s->names_dirty) || dns_names_local_gen(d->names) != s->names_gen;
}

/* What the store lacks or has wrong of ours: puts (with the lease) and deletes. */
struct plan {
	struct etcd_op *ops;
	char (*keys)[DNS_RECORD_KEY_MAX];
	char **values;
	size_t n, cap;
	const struct dns_record *local;
	size_t nlocal;
	unsigned index;
	int64_t lease;
	bool fresh;			/* a lease our records were not put under: all of them */
	int ret;
};

static void plan_release(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->values[i]);
	free(p->ops);
	free(p->keys);
	free(p->values);
}

/* One operation: value NULL deletes; a put's value (malloc'd) is the plan's then. */
static void plan_add(struct plan *p, const char *endpoint, char *value)
{
	if (p->ret < 0 || p->n == p->cap) {
		free(value);
		p->ret = -ENOMEM;
		return;
	}
	dns_record_key(p->index, endpoint, p->keys[p->n]);
	p->values[p->n] = value;
	p->ops[p->n] = (struct etcd_op){ .key = p->keys[p->n], .value = value,
					 .lease = value ? p->lease : 0 };
	p->n++;
}

static void plan_stale(void *arg, enum dns_source source, unsigned host,
		       const struct dns_record *r)
{
	struct plan *p = arg;
	bool keep = false;

	(void)source, (void)host;
	for (size_t i = 0; i < p->nlocal && !keep; i++)
		keep = strcmp(p->local[i].endpoint, r->endpoint) == 0;
	if (!keep)
		plan_add(p, r->endpoint, NULL);
}

/* Lock held. */
static int plan_make(struct driver *d, struct plan *p)
{
	struct store *s = d->store;

	p->cap = p->nlocal + dns_table_records(s->names_mine, DNS_SOURCE_STORE);
	p->ops = calloc(p->cap + 1, sizeof(*p->ops));
	p->keys = calloc(p->cap + 1, sizeof(*p->keys));
	p->values = calloc(p->cap + 1, sizeof(*p->values));
	if (!p->ops || !p->keys || !p->values)
		return -ENOMEM;
	for (size_t i = 0; i < p->nlocal && p->ret == 0; i++) {
		const struct dns_record *have = dns_table_get(s->names_mine, DNS_SOURCE_STORE,
							       p->index, p->local[i].endpoint);
		char *text;

		if (have && !p->fresh && dns_record_equal(have, &p->local[i]))
			continue;
		text = dns_record_format(&p->local[i]);
		if (!text)
			return -ENOMEM;
		plan_add(p, p->local[i].endpoint, text);
	}
	dns_table_each(s->names_mine, plan_stale, p);
	return p->ret;
}

/* Lock held: operations from..to done, noted in our copy (their events only confirm it). */
static void plan_applied(struct driver *d, const struct plan *p, size_t from, size_t to)
{
	struct store *s = d->store;

	for (size_t i = from; i < to; i++) {
		const char *endpoint = p->keys[i] + strlen(p->keys[i]) - DOCKER_ID_LEN;

		if (!p->ops[i].value) {
			dns_table_del(s->names_mine, DNS_SOURCE_STORE, p->index, endpoint);
			continue;
		}
		for (size_t j = 0; j < p->nlocal; j++)
			if (strcmp(p->local[j].endpoint, endpoint) == 0 &&
			    dns_table_put(s->names_mine, DNS_SOURCE_STORE, p->index,
					  &p->local[j]) < 0)
				atomic_store(&s->names_dirty, true);	/* compare again */
	}
}

void store_names_publish(struct driver *d)
{
	struct store *s = d->store;
	struct dns_record *local = NULL;
	struct plan p = { 0 };
	char ikey[STORE_KEY_MAX], key[KEYS_B64_LEN];
	struct errbuf e = { 0 };
	bool go, done = true;
	unsigned gen = 0;
	size_t nlocal = 0;
	int ret;

	atomic_store(&s->names_dirty, false);
	if (dns_names_local_copy(d->names, &local, &nlocal, &gen) < 0) {
		log_error("store: out of memory publishing our names");
		atomic_store(&s->names_dirty, true);
		return;
	}
	pthread_mutex_lock(&d->lock);
	go = s->configured && s->synced && s->names_mine && s->lease && !s->removed &&
	     d->st.host_index;
	p.local = local;
	p.nlocal = nlocal;
	p.index = d->st.host_index;
	p.lease = s->lease;
	p.fresh = s->lease != s->names_lease;
	ret = go ? plan_make(d, &p) : 0;
	keys_b64(d->st.host_public_key, key);
	pthread_mutex_unlock(&d->lock);
	if (ret < 0)
		log_error("store: out of memory publishing our names");
	store_key_format(STORE_INDEX_PREFIX, p.index, ikey);
	/* in transactions of at most TXN_OPS_MAX, each guarded by our claim of the index */
	for (size_t from = 0; go && ret == 0 && done && from < p.n; from += TXN_OPS_MAX) {
		size_t to = p.n - from > TXN_OPS_MAX ? from + TXN_OPS_MAX : p.n;

		ret = etcd_txn(&s->etcd, &(struct etcd_guard){ ikey, key }, 1, p.ops + from, to - from,
			       &done, &e);
		pthread_mutex_lock(&d->lock);
		store_reachable_note(d, ret, &e);
		if (ret == 0 && done)
			plan_applied(d, &p, from, to);
		pthread_mutex_unlock(&d->lock);
	}
	if (go && p.n && ret == 0 && done)
		log_debug("store: %zu names record(s) of ours put or deleted", p.n);
	/* all of it went, or it is tried again at the next tick; not due until something
	 * changes while the store cannot take them */
	if (!go || (ret == 0 && done)) {
		s->names_gen = gen;
		if (go)
			s->names_lease = p.lease;
	} else {
		atomic_store(&s->names_dirty, true);
	}
	plan_release(&p);
	for (size_t i = 0; i < nlocal; i++)
		dns_record_release(&local[i]);
	free(local);
}

void store_names_forget(struct driver *d)
{
	dns_names_store_mark(d->names);
	dns_names_store_sweep(d->names);
	store_names_free(d);
}

void store_names_free(struct driver *d)
{
	dns_table_free(d->store->names_mine);
	d->store->names_mine = NULL;
}
