/* SPDX-License-Identifier: MIT */
/*
 * The state as the driver holds it: copying, growing and shrinking its arrays, lookups, and
 * what ties its objects together (state_check), which the loader checks after parsing and
 * state_save before writing. The JSON codec is state_parse.c and state_dump.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/state.h"

#define FIELD_MSG_MAX 200

int state_bad(const struct parse_ctx *c, const char *where, const char *key, const char *fmt, ...)
{
	char msg[FIELD_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return errbuf_set(c->e, -EINVAL, "%s: %s%s%s: %s", c->src, where,
			  where[0] && key[0] ? "." : "", key, msg);
}

const char *state_proto_name(uint8_t proto)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 132:
		return "sctp";
	}
	return NULL;
}

int state_proto_parse(const char *s, uint8_t *out)
{
	static const uint8_t protos[] = { 6, 17, 132 };

	for (size_t i = 0; i < sizeof(protos); i++) {
		if (strcmp(s, state_proto_name(protos[i])) == 0) {
			*out = protos[i];
			return 0;
		}
	}
	return -EINVAL;
}

static int cmp_pool_ptr(const void *a, const void *b)
{
	return strcmp((*(const struct state_pool *const *)a)->network_id,
		      (*(const struct state_pool *const *)b)->network_id);
}

static int cmp_pool_key(const void *key, const void *elem)
{
	return strcmp(key, (*(const struct state_pool *const *)elem)->network_id);
}

static int cmp_endpoint_ptr(const void *a, const void *b)
{
	return strcmp((*(const struct state_endpoint *const *)a)->id,
		      (*(const struct state_endpoint *const *)b)->id);
}

/* Pools of created networks sorted by network ID, so endpoints find theirs in O(log n). */
struct pool_index {
	const struct state_pool **v;
	size_t n;
};

static int index_pools(const struct parse_ctx *c, const struct state *s, struct pool_index *ix)
{
	size_t n = 0;

	if (!s->npools)
		return 0;
	ix->v = calloc(s->npools, sizeof(*ix->v));
	if (!ix->v)
		return errbuf_set(c->e, -ENOMEM, "%s: out of memory", c->src);
	for (size_t i = 0; i < s->npools; i++)
		if (s->pools[i].network_id[0])
			ix->v[n++] = &s->pools[i];
	ix->n = n;
	if (n)
		qsort(ix->v, n, sizeof(*ix->v), cmp_pool_ptr);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(ix->v[i]->network_id, ix->v[i - 1]->network_id) == 0) {
			size_t a = (size_t)(ix->v[i - 1] - s->pools);
			size_t b = (size_t)(ix->v[i] - s->pools);
			char where[32];

			snprintf(where, sizeof(where), "pools[%zu]", a > b ? a : b);
			return state_bad(c, where, "network_id", "same network as pools[%zu]",
				   a > b ? b : a);
		}
	}
	return 0;
}

/* Every endpoint in a network of the state, inside its slice. */
static int check_endpoint_pools(const struct parse_ctx *c, const struct state *s,
				const struct pool_index *pools)
{
	char where[32], a[CIDR_ADDR_STR_MAX], t[CIDR_STR_MAX];

	for (size_t i = 0; i < s->nendpoints; i++) {
		const struct state_endpoint *ep = &s->endpoints[i];
		const struct state_pool *const *p;

		snprintf(where, sizeof(where), "endpoints[%zu]", i);
		p = pools->n ? bsearch(ep->network_id, pools->v, pools->n, sizeof(*pools->v),
				       cmp_pool_key) : NULL;
		if (!p)
			return state_bad(c, where, "network_id", "no pool has this network_id");
		if (!cidr_contains(&(*p)->slice, ep->addr)) {
			cidr_addr_format(ep->addr, a);
			cidr_format(&(*p)->slice, t);
			return state_bad(c, where, "address", "%s is outside its network's slice %s", a, t);
		}
	}
	return 0;
}

static int check_endpoint_ids(const struct parse_ctx *c, const struct state *s)
{
	const struct state_endpoint **v;
	int ret = 0;

	if (s->nendpoints < 2)
		return 0;
	v = calloc(s->nendpoints, sizeof(*v));
	if (!v)
		return errbuf_set(c->e, -ENOMEM, "%s: out of memory", c->src);
	for (size_t i = 0; i < s->nendpoints; i++)
		v[i] = &s->endpoints[i];
	qsort(v, s->nendpoints, sizeof(*v), cmp_endpoint_ptr);
	for (size_t i = 1; i < s->nendpoints && !ret; i++) {
		if (strcmp(v[i]->id, v[i - 1]->id) == 0) {
			size_t a = (size_t)(v[i - 1] - s->endpoints);
			size_t b = (size_t)(v[i] - s->endpoints);
			char where[32];

			snprintf(where, sizeof(where), "endpoints[%zu]", a > b ? a : b);
			ret = state_bad(c, where, "id", "same endpoint as endpoints[%zu]", a > b ? b : a);
		}
	}
	free(v);
	return ret;
}

static int peer_cmp_index(const struct state_peer *x, const struct state_peer *y)
{
	return (x->index > y->index) - (x->index < y->index);
}

static int peer_cmp_name(const struct state_peer *x, const struct state_peer *y)
{
	return strcmp(x->name, y->name);
}

struct peer_field {
	const char *key;
	int (*cmp)(const struct state_peer *x, const struct state_peer *y);
};

static int peer_order(const void *a, const void *b, void *arg)
{
	const struct peer_field *f = arg;
	const struct state_peer *x = *(const struct state_peer *const *)a;
	const struct state_peer *y = *(const struct state_peer *const *)b;
	int r = f->cmp(x, y);

	return r ? r : (x > y) - (x < y);	/* equal ones in file order */
}

/* A peer's key or the next key of its rotation: no two peers may share either. */
struct peer_key {
	const uint8_t *key;
	size_t peer;
	const char *field;
};

static int peer_key_order(const void *a, const void *b)
{
	const struct peer_key *x = a, *y = b;
	int r = memcmp(x->key, y->key, 32);

	return r ? r : (x->peer > y->peer) - (x->peer < y->peer);
}

static int check_peer_keys(const struct parse_ctx *c, const struct state *s)
{
	struct peer_key *v = calloc(2 * s->npeers + 1, sizeof(*v));
	size_t n = 0;
	char where[32];
	int ret = 0;

	if (!v)
		return errbuf_set(c->e, -ENOMEM, "%s: out of memory", c->src);
	for (size_t i = 0; i < s->npeers; i++) {
		v[n++] = (struct peer_key){ s->peers[i].public_key, i, "public_key" };
		if (s->peers[i].has_next_key)
			v[n++] = (struct peer_key){ s->peers[i].next_key, i, "next_key" };
	}
	qsort(v, n, sizeof(*v), peer_key_order);
	for (size_t i = 0; i < n && !ret; i++) {
		snprintf(where, sizeof(where), "peers[%zu]", v[i].peer);
		if (s->has_host_key && memcmp(v[i].key, s->host_public_key, 32) == 0)
			ret = state_bad(c, where, v[i].field, "is this host's own key");
		else if (i && memcmp(v[i - 1].key, v[i].key, 32) == 0)
			ret = state_bad(c, where, v[i].field, "repeats peers[%zu]%s%s", v[i - 1].peer,
					v[i - 1].field == v[i].field ? "" : ".",
					v[i - 1].field == v[i].field ? "" : v[i - 1].field);
	}
	free(v);
	return ret;
}

/* Sorted rather than pairwise: a hostile file must not cost O(n^2) (65535 peers fit). */
static int check_peers(const struct parse_ctx *c, const struct state *s)
{
	struct peer_field fields[] = {
		{ "index", peer_cmp_index },
		{ "name", peer_cmp_name },
	};
	const struct state_peer **v = NULL;
	char where[32];
	int ret = 0;

	for (size_t i = 0; i < s->npeers; i++) {
		const struct state_peer *p = &s->peers[i];

		snprintf(where, sizeof(where), "peers[%zu]", i);
		if (s->host_index && p->index == s->host_index)
			return state_bad(c, where, "index", "%u is this host's own index", p->index);
	}
	ret = check_peer_keys(c, s);
	if (ret < 0 || s->npeers < 2)
		return ret;
	v = calloc(s->npeers, sizeof(*v));
	if (!v)
		return errbuf_set(c->e, -ENOMEM, "%s: out of memory", c->src);
	for (size_t i = 0; i < s->npeers; i++)
		v[i] = &s->peers[i];
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		qsort_r(v, s->npeers, sizeof(*v), peer_order, &fields[f]);
		for (size_t i = 1; i < s->npeers; i++) {
			if (fields[f].cmp(v[i - 1], v[i]) != 0)
				continue;
			snprintf(where, sizeof(where), "peers[%td]", v[i] - s->peers);
			ret = state_bad(c, where, fields[f].key, "repeats peers[%td]",
				  v[i - 1] - s->peers);
			goto out;
		}
	}
out:
	free(v);
	return ret;
}

/*
 * What ties the objects of a state together, checked by the loader after it parsed them and by
 * state_save before it writes: a state that would not load is never written. No two pools of one
 * network, every endpoint in its network's slice and no two with one ID, no two peers with one
 * index (their slices would be one), key or name, and none with this host's index or key.
 */
int state_check(const struct parse_ctx *c, const struct state *s)
{
	struct pool_index ix = { 0 };
	int ret;

	ret = index_pools(c, s, &ix);
	if (ret == 0)
		ret = check_endpoint_pools(c, s, &ix);
	if (ret == 0)
		ret = check_endpoint_ids(c, s);
	if (ret == 0)
		ret = check_peers(c, s);
	free(ix.v);
	return ret;
}

int state_port_parse(const char *s, struct state_port *out)
{
	char proto[8];
	unsigned port;
	int n = 0;

	char first;

	/* digits only after the slash, no sign, space or leading zero */
	if (sscanf(s, "%7[a-z]/%5u%n", proto, &port, &n) != 2 || s[n] || !port || port > 65535)
		return -EINVAL;
	first = s[strlen(proto) + 1];
	if (first < '1' || first > '9' || state_proto_parse(proto, &out->proto) < 0)
		return -EINVAL;
	out->port = (uint16_t)port;
	return 0;
}

void state_port_format(const struct state_port *p, char out[STATE_PORT_STR_MAX])
{
	const char *name = state_proto_name(p->proto);

	snprintf(out, STATE_PORT_STR_MAX, "%s/%u", name ? name : "?", p->port);
}

int state_port_cmp(const void *a, const void *b)
{
	const struct state_port *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

void state_release(struct state *s)
{
	for (size_t i = 0; i < s->npools; i++)
		addr_set_release(&s->pools[i].addrs);
	for (size_t i = 0; i < s->nendpoints; i++)
		free(s->endpoints[i].ports);
	free(s->pools);
	free(s->endpoints);
	free(s->peers);
	*s = (struct state){ 0 };
}

int state_copy(const struct state *src, struct state *dst)
{
	struct state s = *src;
	int ret = 0;

	s.pools = NULL;
	s.npools = 0;
	s.endpoints = NULL;
	s.nendpoints = 0;
	s.peers = NULL;
	s.npeers = 0;
	if (src->npeers) {
		s.peers = calloc(src->npeers, sizeof(*s.peers));
		if (!s.peers) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy(s.peers, src->peers, src->npeers * sizeof(*s.peers));
		s.npeers = src->npeers;
	}
	if (src->npools) {
		s.pools = calloc(src->npools, sizeof(*s.pools));
		if (!s.pools) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < src->npools; i++) {
		s.pools[i] = src->pools[i];
		s.pools[i].addrs = (struct addr_set){ 0 };
		s.npools++;
		ret = addr_set_copy(&src->pools[i].addrs, &s.pools[i].addrs);
		if (ret < 0)
			goto out;
	}
	if (src->nendpoints) {
		s.endpoints = calloc(src->nendpoints, sizeof(*s.endpoints));
		if (!s.endpoints) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < src->nendpoints; i++) {
		struct state_endpoint *ep = &s.endpoints[i];

		*ep = src->endpoints[i];
		ep->ports = NULL;
		ep->nports = 0;
		s.nendpoints++;
		if (src->endpoints[i].nports) {
			ep->ports = calloc(src->endpoints[i].nports, sizeof(*ep->ports));
			if (!ep->ports) {
				ret = -ENOMEM;
				goto out;
			}
			memcpy(ep->ports, src->endpoints[i].ports,
			       src->endpoints[i].nports * sizeof(*ep->ports));
			ep->nports = src->endpoints[i].nports;
		}
	}
	*dst = s;
	s = (struct state){ 0 };
out:
	state_release(&s);
	return ret;
}

struct state_pool *state_pool_add(struct state *s)
{
	struct state_pool *v;

	v = reallocarray(s->pools, s->npools + 1, sizeof(*v));
	if (!v)
		return NULL;
	s->pools = v;
	v = &s->pools[s->npools++];
	memset(v, 0, sizeof(*v));
	return v;
}

void state_pool_remove(struct state *s, size_t i)
{
	if (i >= s->npools)
		return;
	addr_set_release(&s->pools[i].addrs);
	memmove(&s->pools[i], &s->pools[i + 1], (s->npools - i - 1) * sizeof(*s->pools));
	s->npools--;
}

struct state_endpoint *state_endpoint_add(struct state *s)
{
	struct state_endpoint *v;

	v = reallocarray(s->endpoints, s->nendpoints + 1, sizeof(*v));
	if (!v)
		return NULL;
	s->endpoints = v;
	v = &s->endpoints[s->nendpoints++];
	memset(v, 0, sizeof(*v));
	return v;
}

void state_endpoint_remove(struct state *s, size_t i)
{
	if (i >= s->nendpoints)
		return;
	free(s->endpoints[i].ports);
	memmove(&s->endpoints[i], &s->endpoints[i + 1],
		(s->nendpoints - i - 1) * sizeof(*s->endpoints));
	s->nendpoints--;
}

struct state_peer *state_peer_add(struct state *s)
{
	struct state_peer *v;

	v = reallocarray(s->peers, s->npeers + 1, sizeof(*v));
	if (!v)
		return NULL;
	s->peers = v;
	v = &s->peers[s->npeers++];
	memset(v, 0, sizeof(*v));
	return v;
}

void state_peer_remove(struct state *s, size_t i)
{
	if (i >= s->npeers)
		return;
	memmove(&s->peers[i], &s->peers[i + 1], (s->npeers - i - 1) * sizeof(*s->peers));
	s->npeers--;
}

struct state_pool *state_pool_by_network(struct state *s, const char *network_id)
{
	for (size_t i = 0; i < s->npools; i++)
		if (s->pools[i].network_id[0] && strcmp(s->pools[i].network_id, network_id) == 0)
			return &s->pools[i];
	return NULL;
}

struct state_endpoint *state_endpoint_by_id(struct state *s, const char *endpoint_id)
{
	for (size_t i = 0; i < s->nendpoints; i++)
		if (strcmp(s->endpoints[i].id, endpoint_id) == 0)
			return &s->endpoints[i];
	return NULL;
}
