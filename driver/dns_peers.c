/* SPDX-License-Identifier: MIT */
/* Names asked of the join-line peers: lookups under way and answers kept (dns_peers.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "driver/dns_peers.h"

struct cached {
	struct cidr pool;
	char name[DNS_NAME_TEXT_MAX];
	uint64_t expires;
	struct dns_found found[DNS_PEERS_FOUND_MAX];
	size_t nfound;
};

struct dns_peers {
	struct dns_lookup *lookups[DNS_PEERS_LOOKUPS_MAX];
	struct cached *cache[DNS_PEERS_CACHED_MAX];
};

int dns_peers_new(struct dns_peers **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void dns_peers_free(struct dns_peers *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < DNS_PEERS_LOOKUPS_MAX; i++)
		free(p->lookups[i]);
	for (size_t i = 0; i < DNS_PEERS_CACHED_MAX; i++)
		free(p->cache[i]);
	free(p);
}

static bool same(const struct cidr *pa, const char *na, const struct cidr *pb, const char *nb)
{
	return cidr_equal(pa, pb) && strcmp(na, nb) == 0;
}

bool dns_peers_cached(struct dns_peers *p, const struct cidr *pool, const char *name,
		      uint64_t now, struct dns_found *out, size_t max, size_t *n)
{
	for (size_t i = 0; i < DNS_PEERS_CACHED_MAX; i++) {
		struct cached *c = p->cache[i];

		if (!c || c->expires <= now || !same(&c->pool, c->name, pool, name))
			continue;
		*n = c->nfound < max ? c->nfound : max;
		memcpy(out, c->found, *n * sizeof(*out));
		return true;
	}
	return false;
}

struct dns_lookup *dns_peers_find(struct dns_peers *p, const struct cidr *pool, const char *name)
{
	for (size_t i = 0; i < DNS_PEERS_LOOKUPS_MAX; i++)
		if (p->lookups[i] && same(&p->lookups[i]->pool, p->lookups[i]->name, pool, name))
			return p->lookups[i];
	return NULL;
}

/* An ID no lookup under way has: the answers are told apart by it (and their question) */
static uint16_t id_fresh(const struct dns_peers *p)
{
	uint16_t id = 0;
	bool taken;

	do {
		if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
			id++;
		taken = false;
		for (size_t i = 0; i < DNS_PEERS_LOOKUPS_MAX && !taken; i++)
			taken = p->lookups[i] && p->lookups[i]->id == id;
	} while (taken);
	return id;
}

struct dns_lookup *dns_peers_start(struct dns_peers *p, const struct cidr *pool, const char *name,
				   uint64_t now)
{
	struct dns_lookup *l;

	for (size_t i = 0; i < DNS_PEERS_LOOKUPS_MAX; i++) {
		if (p->lookups[i])
			continue;
		l = calloc(1, sizeof(*l));
		if (!l)
			return NULL;
		l->pool = *pool;
		memcpy(l->name, name, strnlen(name, sizeof(l->name) - 1));
		l->id = id_fresh(p);
		l->deadline = now + DNS_PEERS_TIMEOUT_MS;
		p->lookups[i] = l;
		return l;
	}
	return NULL;
}

void dns_peers_asked(struct dns_lookup *l, uint32_t gateway, unsigned host)
{
	if (l->nasked >= DNS_PEERS_ASKED_MAX)
		return;
	l->asked[l->nasked] = gateway;
	l->asked_host[l->nasked++] = host;
	l->nopen++;
}

bool dns_peers_wait(struct dns_lookup *l, const struct dns_waiter *w)
{
	if (l->nwaiters >= DNS_PEERS_WAITERS_MAX)
		return false;
	l->waiters[l->nwaiters++] = *w;
	return true;
}

struct dns_lookup *dns_peers_answer(struct dns_peers *p, uint32_t gateway,
				    const struct dns_response *r, const uint32_t *addrs, size_t n)
{
	for (size_t i = 0; i < DNS_PEERS_LOOKUPS_MAX; i++) {
		struct dns_lookup *l = p->lookups[i];

		if (!l || l->id != r->id || !r->has_question ||
		    strcmp(l->name, r->question.name) != 0)
			continue;
		for (size_t k = 0; k < l->nasked; k++) {
			if (l->asked[k] != gateway)
				continue;
			l->asked[k] = 0;	/* one answer per peer */
			l->nopen--;
			for (size_t j = 0; j < n && l->nfound < DNS_PEERS_FOUND_MAX; j++)
				l->found[l->nfound++] = (struct dns_found){ addrs[j],
									    l->asked_host[k] };
			return l;
		}
	}
	return NULL;
}

struct dns_lookup *dns_peers_over(struct dns_peers *p, uint64_t now)
{
	for (size_t i = 0; i < DNS_PEERS_LOOKUPS_MAX; i++)
		if (p->lookups[i] && (p->lookups[i]->nopen == 0 || p->lookups[i]->deadline <= now))
			return p->lookups[i];
	return NULL;
}

void dns_peers_done(struct dns_peers *p, struct dns_lookup *l, uint64_t now)
{
	size_t slot = 0;

	for (size_t i = 0; i < DNS_PEERS_LOOKUPS_MAX; i++)
		if (p->lookups[i] == l)
			p->lookups[i] = NULL;
	/* kept in a free or expired slot, else in place of the one that expires first */
	for (size_t i = 0; i < DNS_PEERS_CACHED_MAX; i++) {
		if (!p->cache[i] || p->cache[i]->expires <= now) {
			slot = i;
			break;
		}
		if (p->cache[i]->expires < p->cache[slot]->expires)
			slot = i;
	}
	if (!p->cache[slot])
		p->cache[slot] = malloc(sizeof(*p->cache[slot]));
	if (p->cache[slot]) {
		struct cached *c = p->cache[slot];

		c->pool = l->pool;
		memcpy(c->name, l->name, sizeof(c->name));
		c->expires = now + DNS_PEERS_CACHE_MS;
		c->nfound = l->nfound;
		memcpy(c->found, l->found, l->nfound * sizeof(*c->found));
	}
	free(l);
}

int dns_peers_wait_ms(const struct dns_peers *p, uint64_t now, int max)
{
	int ms = max;

	for (size_t i = 0; i < DNS_PEERS_LOOKUPS_MAX; i++) {
		const struct dns_lookup *l = p->lookups[i];

		if (!l)
			continue;
		if (l->nopen == 0 || l->deadline <= now)
			return 0;
		if (l->deadline - now < (uint64_t)ms)
			ms = (int)(l->deadline - now);
	}
	return ms;
}
