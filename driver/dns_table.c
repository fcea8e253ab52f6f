/* SPDX-License-Identifier: MIT */
/*
 * The names table: records by owner, and every (pool, name) of every record by hash; both
 * tables chained, doubled when they hold more entries than buckets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver/dns_table.h"

#define BUCKETS_MIN 64

struct entry {
	struct entry *next;		/* in its owner bucket */
	enum dns_source source;
	unsigned host;
	bool mark;
	struct dns_record rec;
};

/* One name of one record: what a lookup walks. */
struct name_node {
	struct name_node *next;
	uint32_t hash;
	const char *name;		/* inside entry->rec.names */
	struct entry *entry;
};

struct dns_table {
	struct entry **owners;
	size_t nowners, nentries;
	struct name_node **names;
	size_t nnames_buckets, nnodes;
	size_t records[DNS_SOURCE_COUNT];
	size_t names_count[DNS_SOURCE_COUNT];
};

/* FNV-1a, 32 bits */
static uint32_t hash_bytes(uint32_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t owner_hash(enum dns_source source, unsigned host, const char *endpoint)
{
	uint32_t h = 2166136261u;
	uint32_t s = (uint32_t)source, x = host;

	h = hash_bytes(h, &s, sizeof(s));
	h = hash_bytes(h, &x, sizeof(x));
	return hash_bytes(h, endpoint, strlen(endpoint));
}

static uint32_t name_hash(const struct cidr *pool, const char *name)
{
	uint32_t h = 2166136261u;
	uint8_t len = pool->len;

	h = hash_bytes(h, &pool->addr, sizeof(pool->addr));
	h = hash_bytes(h, &len, sizeof(len));
	return hash_bytes(h, name, strlen(name));
}

int dns_table_new(struct dns_table **out)
{
	struct dns_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->owners = calloc(BUCKETS_MIN, sizeof(*t->owners));
	t->names = calloc(BUCKETS_MIN, sizeof(*t->names));
	if (!t->owners || !t->names) {
		dns_table_free(t);
		return -ENOMEM;
	}
	t->nowners = t->nnames_buckets = BUCKETS_MIN;
	*out = t;
	return 0;
}

void dns_table_free(struct dns_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->owners && i < t->nowners; i++) {
		struct entry *e = t->owners[i], *next;

		for (; e; e = next) {
			next = e->next;
			dns_record_release(&e->rec);
			free(e);
		}
	}
	for (size_t i = 0; t->names && i < t->nnames_buckets; i++) {
		struct name_node *n = t->names[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n);
		}
	}
	free(t->owners);
	free(t->names);
	free(t);
}

/* Twice the buckets when full; staying as it is when memory is short only costs speed. */
static void owners_grow(struct dns_table *t)
{
	size_t n = t->nowners * 2;
	struct entry **v;

	if (t->nentries < t->nowners || !(v = calloc(n, sizeof(*v))))
		return;
	for (size_t i = 0; i < t->nowners; i++) {
		struct entry *e = t->owners[i], *next;

		for (; e; e = next) {
			uint32_t b = owner_hash(e->source, e->host, e->rec.endpoint) & (n - 1);

			next = e->next;
			e->next = v[b];
			v[b] = e;
		}
	}
	free(t->owners);
	t->owners = v;
	t->nowners = n;
}

static void names_grow(struct dns_table *t)
{
	size_t n = t->nnames_buckets * 2;
	struct name_node **v;

	if (t->nnodes < t->nnames_buckets || !(v = calloc(n, sizeof(*v))))
		return;
	for (size_t i = 0; i < t->nnames_buckets; i++) {
		struct name_node *x = t->names[i], *next;

		for (; x; x = next) {
			next = x->next;
			x->next = v[x->hash & (n - 1)];
			v[x->hash & (n - 1)] = x;
		}
	}
	free(t->names);
	t->names = v;
	t->nnames_buckets = n;
}

static struct entry **owner_slot(const struct dns_table *t, enum dns_source source, unsigned host,
				 const char *endpoint)
{
	struct entry **p = &t->owners[owner_hash(source, host, endpoint) & (t->nowners - 1)];

	for (; *p; p = &(*p)->next)
		if ((*p)->source == source && (*p)->host == host &&
		    strcmp((*p)->rec.endpoint, endpoint) == 0)
			return p;
	return p;
}

/* Unlinks the name nodes of an entry (one walk of each name's bucket). */
static void names_unlink(struct dns_table *t, struct entry *e)
{
	for (const char *n = dns_record_name_next(&e->rec, NULL); n;
	     n = dns_record_name_next(&e->rec, n)) {
		uint32_t h = name_hash(&e->rec.pool, n);
		struct name_node **p = &t->names[h & (t->nnames_buckets - 1)];

		for (; *p; p = &(*p)->next) {
			if ((*p)->entry == e && (*p)->name == n) {
				struct name_node *gone = *p;

				*p = gone->next;
				free(gone);
				t->nnodes--;
				break;
			}
		}
	}
	t->names_count[e->source] -= e->rec.nnames;
}

/* The name nodes of an entry, all or none. */
static int names_link(struct dns_table *t, struct entry *e)
{
	struct name_node *made[DNS_RECORD_NAMES_MAX];
	size_t k = 0;

	if (e->rec.nnames > DNS_RECORD_NAMES_MAX)
		return -EINVAL;
	for (const char *n = dns_record_name_next(&e->rec, NULL); n && k < DNS_RECORD_NAMES_MAX;
	     n = dns_record_name_next(&e->rec, n)) {
		made[k] = malloc(sizeof(*made[k]));
		if (!made[k]) {
			while (k--)
				free(made[k]);
			return -ENOMEM;
		}
		made[k]->hash = name_hash(&e->rec.pool, n);
		made[k]->name = n;
		made[k]->entry = e;
		k++;
	}
	for (size_t i = 0; i < k; i++) {
		struct name_node **b = &t->names[made[i]->hash & (t->nnames_buckets - 1)];

		made[i]->next = *b;
		*b = made[i];
	}
	t->nnodes += k;
	t->names_count[e->source] += e->rec.nnames;
	names_grow(t);
	return 0;
}

int dns_table_put(struct dns_table *t, enum dns_source source, unsigned host,
		  const struct dns_record *r)
{
	struct entry **slot = owner_slot(t, source, host, r->endpoint), *e = *slot, *fresh;
	int ret;

	if (e && dns_record_equal(&e->rec, r)) {
		e->mark = false;
		return 0;
	}
	fresh = calloc(1, sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	fresh->source = source;
	fresh->host = host;
	ret = dns_record_copy(r, &fresh->rec);
	if (ret == 0)
		ret = names_link(t, fresh);
	if (ret < 0) {
		dns_record_release(&fresh->rec);
		free(fresh);
		return ret;
	}
	if (e) {			/* the old one goes: the new one takes its place */
		names_unlink(t, e);
		fresh->next = e->next;
		*slot = fresh;
		dns_record_release(&e->rec);
		free(e);
		return 1;
	}
	fresh->next = NULL;
	*slot = fresh;
	t->nentries++;
	t->records[source]++;
	owners_grow(t);
	return 1;
}

const struct dns_record *dns_table_get(const struct dns_table *t, enum dns_source source,
				       unsigned host, const char *endpoint)
{
	const struct entry *e = *owner_slot(t, source, host, endpoint);

	return e ? &e->rec : NULL;
}

static void entry_remove(struct dns_table *t, struct entry **slot)
{
	struct entry *e = *slot;

	names_unlink(t, e);
	*slot = e->next;
	t->nentries--;
	t->records[e->source]--;
	dns_record_release(&e->rec);
	free(e);
}

bool dns_table_del(struct dns_table *t, enum dns_source source, unsigned host,
		   const char *endpoint)
{
	struct entry **slot = owner_slot(t, source, host, endpoint);

	if (!*slot)
		return false;
	entry_remove(t, slot);
	return true;
}

void dns_table_mark(struct dns_table *t, enum dns_source source)
{
	for (size_t i = 0; i < t->nowners; i++)
		for (struct entry *e = t->owners[i]; e; e = e->next)
			if (e->source == source)
				e->mark = true;
}

size_t dns_table_sweep(struct dns_table *t, enum dns_source source)
{
	size_t gone = 0;

	for (size_t i = 0; i < t->nowners; i++) {
		struct entry **p = &t->owners[i];

		while (*p) {
			if ((*p)->source == source && (*p)->mark) {
				entry_remove(t, p);
				gone++;
			} else {
				p = &(*p)->next;
			}
		}
	}
	return gone;
}

size_t dns_table_lookup(const struct dns_table *t, const struct cidr *pool, const char *name,
			struct dns_hit *out, size_t max)
{
	uint32_t h = name_hash(pool, name);
	size_t n = 0;

	for (const struct name_node *x = t->names[h & (t->nnames_buckets - 1)]; x; x = x->next) {
		const struct entry *e = x->entry;

		if (x->hash != h || !cidr_equal(&e->rec.pool, pool) || strcmp(x->name, name) != 0)
			continue;
		if (n < max)
			out[n] = (struct dns_hit){ e->rec.addr, e->host, e->source };
		n++;
	}
	return n;
}

size_t dns_table_records(const struct dns_table *t, enum dns_source source)
{
	return t->records[source];
}

size_t dns_table_names(const struct dns_table *t, enum dns_source source)
{
	return t->names_count[source];
}

void dns_table_each(const struct dns_table *t,
		    void (*fn)(void *arg, enum dns_source source, unsigned host,
			       const struct dns_record *r),
		    void *arg)
{
	for (size_t i = 0; i < t->nowners; i++)
		for (const struct entry *e = t->owners[i]; e; e = e->next)
			fn(arg, e->source, e->host, &e->rec);
}
