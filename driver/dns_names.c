/* SPDX-License-Identifier: MIT */
/* The names this host serves, under a lock of their own: see dns_names.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "driver/dns_names.h"

/* Which container a local record (by endpoint) belongs to. */
struct owner {
	char container[DOCKER_ID_LEN + 1];
	char endpoint[DOCKER_ID_LEN + 1];
};

struct network_name {
	struct cidr pool;
	char name[256];			/* lower case, "" = none */
};

struct dns_names {
	pthread_mutex_t lock;
	struct dns_table *table;
	struct owner *owners;		/* of the local records */
	size_t nowners;
	unsigned local_gen;
	struct network_name *nets;
	size_t nnets;
};

int dns_names_new(struct dns_names **out)
{
	struct dns_names *n = calloc(1, sizeof(*n));
	int ret;

	if (!n)
		return -ENOMEM;
	ret = dns_table_new(&n->table);
	if (ret < 0) {
		free(n);
		return ret;
	}
	pthread_mutex_init(&n->lock, NULL);
	*out = n;
	return 0;
}

void dns_names_free(struct dns_names *n)
{
	if (!n)
		return;
	dns_table_free(n->table);
	free(n->owners);
	free(n->nets);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

/* Lock held: the owners of container's records that recs no longer names go, with them. */
static bool local_drop_others(struct dns_names *n, const char *container,
			      const struct dns_record *recs, size_t nrecs)
{
	bool changed = false;
	size_t k = 0;

	for (size_t i = 0; i < n->nowners; i++) {
		struct owner *o = &n->owners[i];
		bool keep = strcmp(o->container, container) != 0;

		for (size_t j = 0; !keep && j < nrecs; j++)
			keep = strcmp(recs[j].endpoint, o->endpoint) == 0;
		if (!keep) {
			changed |= dns_table_del(n->table, DNS_SOURCE_LOCAL, 0, o->endpoint);
			continue;
		}
		n->owners[k++] = *o;
	}
	n->nowners = k;
	return changed;
}

/* Lock held: rec of container served (its owner noted once). */
static int local_put(struct dns_names *n, const char *container, const struct dns_record *rec)
{
	struct owner *o;
	int ret;

	for (size_t i = 0; i < n->nowners; i++)
		if (strcmp(n->owners[i].endpoint, rec->endpoint) == 0) {
			memcpy(n->owners[i].container, container, DOCKER_ID_LEN + 1);
			return dns_table_put(n->table, DNS_SOURCE_LOCAL, 0, rec);
		}
	o = reallocarray(n->owners, n->nowners + 1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	n->owners = o;
	ret = dns_table_put(n->table, DNS_SOURCE_LOCAL, 0, rec);
	if (ret < 0)
		return ret;
	memcpy(o[n->nowners].container, container, DOCKER_ID_LEN + 1);
	memcpy(o[n->nowners].endpoint, rec->endpoint, DOCKER_ID_LEN + 1);
	n->nowners++;
	return ret;
}

int dns_names_local_container(struct dns_names *n, const char *container,
			      const struct dns_record *recs, size_t nrecs)
{
	bool changed;
	int ret = 0;

	pthread_mutex_lock(&n->lock);
	changed = local_drop_others(n, container, recs, nrecs);
	for (size_t i = 0; i < nrecs && ret >= 0; i++) {
		ret = local_put(n, container, &recs[i]);
		changed |= ret > 0;
	}
	if (changed)
		n->local_gen++;
	pthread_mutex_unlock(&n->lock);
	return ret < 0 ? ret : changed;
}

int dns_names_local_reset(struct dns_names *n, const struct dns_local *all, size_t nall)
{
	size_t before, k = 0;
	bool changed = false;
	int ret = 0;

	pthread_mutex_lock(&n->lock);
	before = dns_table_records(n->table, DNS_SOURCE_LOCAL);
	dns_table_mark(n->table, DNS_SOURCE_LOCAL);
	for (size_t i = 0; i < nall && ret >= 0; i++) {
		ret = local_put(n, all[i].container, &all[i].rec);
		changed |= ret > 0;
	}
	if (ret >= 0) {
		changed |= dns_table_sweep(n->table, DNS_SOURCE_LOCAL) > 0;
		/* the owners of what was swept go too */
		for (size_t i = 0; i < n->nowners; i++) {
			bool kept = false;

			for (size_t j = 0; !kept && j < nall; j++)
				kept = strcmp(all[j].rec.endpoint, n->owners[i].endpoint) == 0;
			if (kept)
				n->owners[k++] = n->owners[i];
		}
		n->nowners = k;
	}
	changed |= before != dns_table_records(n->table, DNS_SOURCE_LOCAL);
	if (changed)
		n->local_gen++;
	pthread_mutex_unlock(&n->lock);
	return ret < 0 ? ret : changed;
}

unsigned dns_names_local_gen(struct dns_names *n)
{
	unsigned gen;

	pthread_mutex_lock(&n->lock);
	gen = n->local_gen;
	pthread_mutex_unlock(&n->lock);
	return gen;
}

struct copy {
	struct dns_record *v;
	size_t n, cap;
	int ret;
};

static void copy_one(void *arg, enum dns_source source, unsigned host, const struct dns_record *r)
{
	struct copy *c = arg;

	(void)host;
	if (source != DNS_SOURCE_LOCAL || c->ret < 0 || c->n >= c->cap)
		return;
	c->ret = dns_record_copy(r, &c->v[c->n]);
	if (c->ret == 0)
		c->n++;
}

int dns_names_local_copy(struct dns_names *n, struct dns_record **out, size_t *nout,
			 unsigned *gen)
{
	struct copy c = { 0 };

	pthread_mutex_lock(&n->lock);
	c.cap = dns_table_records(n->table, DNS_SOURCE_LOCAL);
	c.v = calloc(c.cap ? c.cap : 1, sizeof(*c.v));
	c.ret = c.v ? 0 : -ENOMEM;
	if (c.ret == 0)
		dns_table_each(n->table, copy_one, &c);
	*gen = n->local_gen;
	pthread_mutex_unlock(&n->lock);
	if (c.ret < 0) {
		for (size_t i = 0; i < c.n; i++)
			dns_record_release(&c.v[i]);
		free(c.v);
		return c.ret;
	}
	*out = c.v;
	*nout = c.n;
	return 0;
}

void dns_names_network_set(struct dns_names *n, const struct cidr *pool, const char *name)
{
	struct network_name *v;
	char norm[256] = "";

	if (name && !dns_record_name_norm(name, norm))
		norm[0] = 0;
	pthread_mutex_lock(&n->lock);
	for (size_t i = 0; i < n->nnets; i++) {
		if (cidr_equal(&n->nets[i].pool, pool)) {
			memcpy(n->nets[i].name, norm, sizeof(norm));
			goto out;
		}
	}
	v = reallocarray(n->nets, n->nnets + 1, sizeof(*v));
	if (!v)
		goto out;		/* `<name>.<network>` only is not answered */
	n->nets = v;
	v[n->nnets].pool = *pool;
	memcpy(v[n->nnets++].name, norm, sizeof(norm));
out:
	pthread_mutex_unlock(&n->lock);
}

int dns_names_store_put(struct dns_names *n, unsigned host, const struct dns_record *r)
{
	int ret;

	pthread_mutex_lock(&n->lock);
	ret = dns_table_put(n->table, DNS_SOURCE_STORE, host, r);
	pthread_mutex_unlock(&n->lock);
	return ret < 0 ? ret : 0;
}

void dns_names_store_del(struct dns_names *n, unsigned host, const char *endpoint)
{
	pthread_mutex_lock(&n->lock);
	dns_table_del(n->table, DNS_SOURCE_STORE, host, endpoint);
	pthread_mutex_unlock(&n->lock);
}

void dns_names_store_mark(struct dns_names *n)
{
	pthread_mutex_lock(&n->lock);
	dns_table_mark(n->table, DNS_SOURCE_STORE);
	pthread_mutex_unlock(&n->lock);
}

void dns_names_store_sweep(struct dns_names *n)
{
	pthread_mutex_lock(&n->lock);
	dns_table_sweep(n->table, DNS_SOURCE_STORE);
	pthread_mutex_unlock(&n->lock);
}

size_t dns_names_lookup(struct dns_names *n, const struct cidr *pool, const char *qname,
			struct dns_hit *out, size_t max)
{
	char base[256];
	size_t hits, ql = strlen(qname);

	pthread_mutex_lock(&n->lock);
	hits = dns_table_lookup(n->table, pool, qname, out, max);
	for (size_t i = 0; !hits && i < n->nnets; i++) {
		size_t nl = strlen(n->nets[i].name);

		if (!nl || !cidr_equal(&n->nets[i].pool, pool) || ql <= nl + 1 ||
		    qname[ql - nl - 1] != '.' || strcmp(qname + ql - nl, n->nets[i].name) != 0)
			continue;
		memcpy(base, qname, ql - nl - 1);
		base[ql - nl - 1] = 0;
		hits = dns_table_lookup(n->table, pool, base, out, max);
	}
	pthread_mutex_unlock(&n->lock);
	return hits;
}

void dns_names_count(struct dns_names *n, size_t *local, size_t *remote)
{
	pthread_mutex_lock(&n->lock);
	*local = dns_table_names(n->table, DNS_SOURCE_LOCAL);
	*remote = dns_table_names(n->table, DNS_SOURCE_STORE);
	pthread_mutex_unlock(&n->lock);
}

void dns_names_each(struct dns_names *n,
		    void (*fn)(void *arg, enum dns_source source, unsigned host,
			       const struct dns_record *r),
		    void *arg)
{
	pthread_mutex_lock(&n->lock);
	dns_table_each(n->table, fn, arg);
	pthread_mutex_unlock(&n->lock);
}
