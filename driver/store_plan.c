/* SPDX-License-Identifier: MIT */
/* What the store's records make of this host's peers: see store_plan.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/log.h"
#include "driver/store_plan.h"

enum peer_field { PEER_INDEX, PEER_KEY, PEER_NAME, PEER_FIELDS };

static int peer_order_index(const void *a, const void *b)
{
	const struct state_peer *x = *(const struct state_peer *const *)a;
	const struct state_peer *y = *(const struct state_peer *const *)b;

	return (x->index > y->index) - (x->index < y->index);
}

static int peer_order_key(const void *a, const void *b)
{
	return memcmp((*(const struct state_peer *const *)a)->public_key,
		      (*(const struct state_peer *const *)b)->public_key, KEYS_LEN);
}

static int peer_order_name(const void *a, const void *b)
{
	return strcmp((*(const struct state_peer *const *)a)->name,
		      (*(const struct state_peer *const *)b)->name);
}

static int (*const peer_order[PEER_FIELDS])(const void *, const void *) = {
	peer_order_index, peer_order_key, peer_order_name,
};

static int peer_order_next(const void *a, const void *b)
{
	return memcmp((*(const struct state_peer *const *)a)->next_key,
		      (*(const struct state_peer *const *)b)->next_key, KEYS_LEN);
}

/* What one apply compares, sorted once. */
struct plan_ctx {
	struct store_hosts *t;
	const struct state *st;
	const struct store_keys *mine;
	const struct state_peer **line[PEER_FIELDS];	/* join-line peers, by each field */
	size_t nline;
	const struct state_peer **all;	/* every peer of the state, by key */
	const struct state_peer **nexts;	/* the store's peers that rotate, by next key */
	size_t nnexts;
	bool *valid;			/* per host of t: its record makes a peer */
	uint32_t *valid_names;		/* positions of the valid hosts, by record name */
	size_t nvalid;
};

static bool line_has(const struct plan_ctx *c, enum peer_field f, const struct state_peer *probe)
{
	return c->nline && bsearch(&probe, c->line[f], c->nline, sizeof(*c->line[f]),
				   peer_order[f]);
}

static int plan_sort_peers(struct plan_ctx *c)
{
	const struct state *st = c->st;

	c->all = calloc(st->npeers + 1, sizeof(*c->all));
	c->nexts = calloc(st->npeers + 1, sizeof(*c->nexts));
	for (int f = 0; f < PEER_FIELDS; f++)
		c->line[f] = calloc(st->npeers + 1, sizeof(*c->line[f]));
	if (!c->all || !c->nexts || !c->line[PEER_INDEX] || !c->line[PEER_KEY] ||
	    !c->line[PEER_NAME])
		return -ENOMEM;
	for (size_t i = 0; i < st->npeers; i++) {
		c->all[i] = &st->peers[i];
		if (!store_hosts_keys_has(c->mine, st->peers[i].public_key))
			c->line[PEER_INDEX][c->nline++] = &st->peers[i];
		else if (st->peers[i].has_next_key)
			c->nexts[c->nnexts++] = &st->peers[i];
	}
	qsort(c->all, st->npeers, sizeof(*c->all), peer_order_key);
	qsort(c->nexts, c->nnexts, sizeof(*c->nexts), peer_order_next);
	for (int f = 0; f < PEER_FIELDS; f++) {
		if (f != PEER_INDEX)
			memcpy(c->line[f], c->line[PEER_INDEX], c->nline * sizeof(*c->line[f]));
		qsort(c->line[f], c->nline, sizeof(*c->line[f]), peer_order[f]);
	}
	return 0;
}

/* A record sits under its own index and carries the key that claims it. */
static bool host_claimed(const struct store_host *h)
{
	return h->has_record && h->rec.index == h->index && h->has_claim &&
	       memcmp(h->claim, h->rec.key, KEYS_LEN) == 0;
}

static int rev_order(const struct store_host *x, const struct store_host *y)
{
	return (x->claim_rev > y->claim_rev) - (x->claim_rev < y->claim_rev);
}

static int claim_order_key(const void *a, const void *b, void *arg)
{
	const struct store_host *v = arg, *x = &v[*(const uint32_t *)a], *y = &v[*(const uint32_t *)b];
	int r = memcmp(x->rec.key, y->rec.key, KEYS_LEN);

	return r ? r : rev_order(x, y);
}

static int claim_order_name(const void *a, const void *b, void *arg)
{
	const struct store_host *v = arg, *x = &v[*(const uint32_t *)a], *y = &v[*(const uint32_t *)b];
	int r = strcmp(x->rec.name, y->rec.name);

	return r ? r : rev_order(x, y);
}

#define LOST_KEY 1
#define LOST_NAME 2
#define LOST_NEXT 4

/*
 * Sorted by the field, then by the age of the claim: in each run of one key (or name) the first,
 * the oldest claim, keeps it, unless the next one's claim is as old; all others lose it.
 */
static void claims_judge(const struct store_host *v, uint32_t *cand, size_t n,
			 int (*order)(const void *, const void *, void *), uint8_t bit, uint8_t *lost)
{
	size_t a, b;

	qsort_r(cand, n, sizeof(*cand), order, (void *)v);
	for (a = 0; a < n; a = b) {
		for (b = a + 1; b < n; b++) {
			const struct store_host *x = &v[cand[a]], *y = &v[cand[b]];
			bool same = bit == LOST_KEY ? memcmp(x->rec.key, y->rec.key, KEYS_LEN) == 0 :
						      strcmp(x->rec.name, y->rec.name) == 0;

			if (!same)
				break;
			lost[cand[b]] |= bit;
		}
		if (b - a > 1 && v[cand[a + 1]].claim_rev <= v[cand[a]].claim_rev)
			lost[cand[a]] |= bit;
	}
}

/* A candidate's key or next key (positions in v). */
struct cand_key {
	uint32_t pos;
	bool next;
};

static const uint8_t *cand_key_of(const struct store_host *v, const struct cand_key *k)
{
	return k->next ? v[k->pos].rec.next_key : v[k->pos].rec.key;
}

static int cand_key_order(const void *a, const void *b, void *arg)
{
	return memcmp(cand_key_of(arg, a), cand_key_of(arg, b), KEYS_LEN);
}

/* A next key that is another candidate's key or next key: that record loses (keys alone are
 * claims_judge's). */
static int nexts_judge(const struct store_host *v, const uint32_t *cand, size_t n, uint8_t *lost)
{
	struct cand_key *k = calloc(2 * n + 1, sizeof(*k));
	size_t nk = 0, a, b;

	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		k[nk++] = (struct cand_key){ cand[i], false };
		if (v[cand[i]].rec.has_next)
			k[nk++] = (struct cand_key){ cand[i], true };
	}
	qsort_r(k, nk, sizeof(*k), cand_key_order, (void *)v);
	for (a = 0; a < nk; a = b) {
		for (b = a + 1; b < nk && cand_key_order(&k[a], &k[b], (void *)v) == 0; b++)
			;
		for (size_t i = a; b - a > 1 && i < b; i++)
			if (k[i].next)
				lost[k[i].pos] |= LOST_NEXT;
	}
	free(k);
	return 0;
}

static const struct state_peer *peer_by_key(const struct plan_ctx *c, const uint8_t key[KEYS_LEN]);

/* Why the next key of a record (its host rotates) may not be taken, NULL when it may. */
static const char *next_refusal(const struct plan_ctx *c, const struct store_record *r,
				uint8_t lost)
{
	if (store_hosts_keys_has(&c->t->revoked, r->next_key))
		return "its next key is revoked";
	if (memcmp(r->next_key, c->st->host_public_key, KEYS_LEN) == 0)
		return "its next key is this host's key";
	if ((lost & LOST_NEXT) || peer_by_key(c, r->next_key))
		return "its next key is another host's key or next key";
	return NULL;
}

/* Why the record of h may not become a peer, NULL when it may. */
static const char *host_refusal(const struct plan_ctx *c, const struct store_host *h,
				uint8_t lost)
{
	const struct store_record *r = &h->rec;
	struct state_peer probe = { .index = r->index };

	if (r->index != h->index)
		return "it names another index than its key";
	if (!host_claimed(h))
		return "its key is not the one that claimed the index";
	if (memcmp(r->key, c->st->host_public_key, KEYS_LEN) == 0)
		return "it claims this host's key";
	if (r->index == c->st->host_index)
		return "it claims this host's index";
	memcpy(probe.public_key, r->key, KEYS_LEN);
	snprintf(probe.name, sizeof(probe.name), "%s", r->name);
	if (line_has(c, PEER_INDEX, &probe) || line_has(c, PEER_KEY, &probe) ||
	    line_has(c, PEER_NAME, &probe))
		return "a peer from a join line has its index, key or name";
	if (store_hosts_keys_has(&c->t->revoked, r->key))
		return "its key is revoked";
	if (lost & LOST_KEY)
		return "another host's older record has its key";
	if (lost & LOST_NAME)
		return "another host's older record has its name";
	return r->has_next ? next_refusal(c, r, lost) : NULL;
}

static int valid_name_order(const void *a, const void *b, void *arg)
{
	const struct store_host *v = arg;

	return strcmp(v[*(const uint32_t *)a].rec.name, v[*(const uint32_t *)b].rec.name);
}

/* This host's own record: its key, or across its rotation (switched before the store's record
 * says so) the record's next key. */
static bool record_own(const struct state *st, const struct store_host *h)
{
	return h->index == st->host_index &&
	       (memcmp(h->rec.key, st->host_public_key, KEYS_LEN) == 0 ||
		(h->rec.has_next && memcmp(h->rec.next_key, st->host_public_key, KEYS_LEN) == 0));
}

/* Which records make peers (c->valid, c->valid_names); refusals logged once per revision. */
static int plan_judge(struct plan_ctx *c)
{
	struct store_hosts *t = c->t;
	uint32_t *cand = calloc(t->n + 1, sizeof(*cand));
	uint8_t *lost = calloc(t->n + 1, sizeof(*lost));
	size_t ncand = 0;
	int ret = -ENOMEM;

	c->valid = calloc(t->n + 1, sizeof(*c->valid));
	c->valid_names = calloc(t->n + 1, sizeof(*c->valid_names));
	if (!cand || !lost || !c->valid || !c->valid_names)
		goto out;
	for (size_t i = 0; i < t->n; i++)
		if (host_claimed(&t->v[i]))
			cand[ncand++] = (uint32_t)i;
	claims_judge(t->v, cand, ncand, claim_order_key, LOST_KEY, lost);
	claims_judge(t->v, cand, ncand, claim_order_name, LOST_NAME, lost);
	if (nexts_judge(t->v, cand, ncand, lost) < 0)
		goto out;
	for (size_t i = 0; i < t->n; i++) {
		struct store_host *h = &t->v[i];
		const char *why;

		if (!h->has_record || record_own(c->st, h))
			continue;	/* nothing, or this host's own */
		why = host_refusal(c, h, lost[i]);
		if (why && h->logged_rev != h->rec_rev) {
			log_warn("store: record of index %u (%s) refused: %s", h->index,
				 h->rec.name, why);
			h->logged_rev = h->rec_rev;
		}
		if (why)
			continue;
		c->valid[i] = true;
		c->valid_names[c->nvalid++] = (uint32_t)i;
	}
	qsort_r(c->valid_names, c->nvalid, sizeof(*c->valid_names), valid_name_order, t->v);
	ret = 0;
out:
	free(cand);
	free(lost);
	return ret;
}

static int host_name_is(const struct store_host *h, const void *name)
{
	return strcmp(h->rec.name, name);
}

static bool name_valid_record(const struct plan_ctx *c, const char *name)
{
	return store_hosts_search(c->t->v, c->valid_names, c->nvalid, host_name_is, name);
}

static const char *failover_endpoint(const struct store_host *h)
{
	if (!h->rec.nendpoints)
		return "";
	return h->rec.endpoints[h->fo.active ? h->fo.cur % h->rec.nendpoints : 0];
}

/* The state's peer with this key, NULL if none. */
static const struct state_peer *peer_by_key(const struct plan_ctx *c, const uint8_t key[KEYS_LEN])
{
	struct state_peer probe;
	const struct state_peer *p = &probe, *const *f;

	memcpy(probe.public_key, key, KEYS_LEN);
	f = c->st->npeers ? bsearch(&p, c->all, c->st->npeers, sizeof(*c->all),
				    peer_order_key) : NULL;
	return f ? *f : NULL;
}

/* The store's peer that rotates to this key, NULL if none. */
static const struct state_peer *peer_by_next(const struct plan_ctx *c, const uint8_t key[KEYS_LEN])
{
	struct state_peer probe;
	const struct state_peer *p = &probe, *const *f;

	memcpy(probe.next_key, key, KEYS_LEN);
	f = c->nnexts ? bsearch(&p, c->nexts, c->nnexts, sizeof(*c->nexts), peer_order_next) : NULL;
	return f ? *f : NULL;
}

/* A peer whose key is revoked goes (a join line's too); a revoked next key is dropped. */
static bool plan_revoked(const struct plan_ctx *c, const struct state_peer *old,
			 struct state_peer *np, struct store_plan *p)
{
	bool *changed = &p->changed;

	if (store_hosts_keys_has(&c->t->revoked, old->public_key)) {
		log_warn("store: peer %s removed: its key is revoked", old->name);
		snprintf(p->revoked[p->nrevoked++], STATE_NAME_MAX, "%s", old->name);
		*changed = true;
		return true;
	}
	*np = *old;
	if (np->has_next_key && store_hosts_keys_has(&c->t->revoked, np->next_key)) {
		log_warn("store: peer %s: its next key is revoked: dropped", old->name);
		np->has_next_key = false;
		memset(np->next_key, 0, KEYS_LEN);
		*changed = true;
	}
	return false;
}

/* A store peer no valid record has the key of: kept (refused record) or gone. */
static bool plan_keep_unmatched(const struct plan_ctx *c, const struct state_peer *old)
{
	const struct store_host *h = store_hosts_get(c->t, old->index, false);

	if (h && h->has_record && c->valid[h - c->t->v]) {
		log_info("store: peer %s removed: index %u is claimed by another key now", old->name,
			 old->index);
		return false;
	}
	if (!h || !h->has_record) {
		log_info("store: peer %s removed (its record is gone)", old->name);
		return false;
	}
	/* a refused record that replaced a good one changes nothing: only a removed record removes
	 * a peer; while a valid record does not take its name (index and key: it would be that
	 * record's peer) */
	if (name_valid_record(c, old->name)) {
		log_info("store: peer %s removed: a valid record of another host has its name now",
			 old->name);
		return false;
	}
	return true;
}

/* A peer matched to its record (np already old's copy): the record's key, which may be the one
 * the peer was rotating to, and the record's next key. */
static void plan_take_record(const struct store_host *h, const struct state_peer *old,
			     struct state_peer *np, struct store_plan *p)
{
	bool *changed = &p->changed;

	if (memcmp(old->public_key, h->rec.key, KEYS_LEN) != 0) {
		log_info("store: peer %s: its new key took over", old->name);
		snprintf(p->rekeyed[p->nrekeyed++], STATE_NAME_MAX, "%s", old->name);
		p->takeover = true;
	}
	memcpy(np->public_key, h->rec.key, KEYS_LEN);
	np->has_next_key = h->rec.has_next;
	memcpy(np->next_key, h->rec.next_key, KEYS_LEN);
	p->pending |= np->has_next_key && (!old->has_next_key ||
					   memcmp(np->next_key, old->next_key, KEYS_LEN) != 0);
	*changed |= memcmp(np->public_key, old->public_key, KEYS_LEN) != 0 ||
		    np->has_next_key != old->has_next_key ||
		    (np->has_next_key && memcmp(np->next_key, old->next_key, KEYS_LEN) != 0);
}

static int peer_key_order(const void *a, const void *b)
{
	return memcmp(((const struct state_peer *)a)->public_key,
		      ((const struct state_peer *)b)->public_key, KEYS_LEN);
}

static int plan_build(struct plan_ctx *c, struct store_plan *p)
{
	const struct state *st = c->st;
	struct store_hosts *t = c->t;
	uint32_t *match = calloc(st->npeers + 1, sizeof(*match));	/* 1 + host position */
	bool *matched = calloc(t->n + 1, sizeof(*matched));
	int ret = -ENOMEM;

	p->peers = calloc(st->npeers + c->nvalid + 1, sizeof(*p->peers));
	p->mine.v = calloc(st->npeers + c->nvalid + 1, sizeof(*p->mine.v));
	p->moved = calloc(c->nvalid + 1, sizeof(*p->moved));
	p->rekeyed = calloc(st->npeers + 1, sizeof(*p->rekeyed));
	p->revoked = calloc(st->npeers + 1, sizeof(*p->revoked));
	if (!match || !matched || !p->peers || !p->mine.v || !p->moved || !p->rekeyed ||
	    !p->revoked)
		goto out;
	for (size_t i = 0; i < c->nvalid; i++) {
		const uint8_t *key = t->v[c->valid_names[i]].rec.key;
		const struct state_peer *old = peer_by_key(c, key);

		/* the key a store peer was rotating to: that peer takes it */
		if (!old)
			old = peer_by_next(c, key);
		if (old && !match[old - st->peers]) {
			match[old - st->peers] = c->valid_names[i] + 1;
			matched[c->valid_names[i]] = true;
		}
	}
	for (size_t i = 0; i < st->npeers; i++) {
		const struct state_peer *old = &st->peers[i];
		struct state_peer *np = &p->peers[p->npeers];
		const struct store_host *h;
		const char *ep;

		if (plan_revoked(c, old, np, p))
			continue;
		if (!store_hosts_keys_has(c->mine, old->public_key)) {
			p->npeers++;		/* a join line's */
			continue;
		}
		if (!match[i]) {
			if (!plan_keep_unmatched(c, old)) {
				p->changed = true;
				continue;
			}
			p->npeers++;
			memcpy(p->mine.v[p->mine.n++], old->public_key, KEYS_LEN);
			continue;
		}
		h = &t->v[match[i] - 1];
		ep = failover_endpoint(h);
		plan_take_record(h, old, np, p);
		np->index = h->index;
		snprintf(np->name, sizeof(np->name), "%s", h->rec.name);
		snprintf(np->endpoint, sizeof(np->endpoint), "%s", ep);
		/* the device keeps a known peer's endpoint: the caller moves it */
		if (ep[0] && strcmp(old->endpoint, ep) != 0)
			p->moved[p->nmoved++] = *np;
		p->changed |= np->index != old->index || strcmp(np->name, old->name) != 0 ||
			      strcmp(np->endpoint, old->endpoint) != 0;
		p->npeers++;
		memcpy(p->mine.v[p->mine.n++], np->public_key, KEYS_LEN);
	}
	/* the records no peer has yet, by index */
	for (unsigned index = 1; t->slot && index < STORE_HOSTS_SLOTS; index++) {
		uint32_t pos = t->slot[index];
		const struct store_host *h = pos ? &t->v[pos - 1] : NULL;
		struct state_peer *np = &p->peers[p->npeers];

		if (!h || !c->valid[pos - 1] || matched[pos - 1])
			continue;
		memcpy(np->public_key, h->rec.key, KEYS_LEN);
		np->has_next_key = h->rec.has_next;
		memcpy(np->next_key, h->rec.next_key, KEYS_LEN);
		p->pending |= np->has_next_key;
		np->index = h->index;
		snprintf(np->name, sizeof(np->name), "%s", h->rec.name);
		snprintf(np->endpoint, sizeof(np->endpoint), "%s", failover_endpoint(h));
		np->keepalive = 25;
		p->npeers++;
		memcpy(p->mine.v[p->mine.n++], h->rec.key, KEYS_LEN);
		p->changed = true;
		log_info("store: peer %s added: index %u", h->rec.name, h->index);
	}
	store_hosts_keys_sort(&p->mine);
	qsort(p->moved, p->nmoved, sizeof(*p->moved), peer_key_order);
	ret = 0;
out:
	free(match);
	free(matched);
	return ret;
}

int store_plan_make(struct store_hosts *t, const struct state *st, const struct store_keys *mine,
		    struct store_plan *out)
{
	struct plan_ctx c = { .t = t, .st = st, .mine = mine };
	struct store_plan p = { 0 };
	int ret;

	ret = plan_sort_peers(&c);
	if (ret == 0)
		ret = plan_judge(&c);
	if (ret == 0)
		ret = plan_build(&c, &p);
	if (ret == 0) {
		*out = p;
		p = (struct store_plan){ 0 };
	}
	store_plan_release(&p);
	free(c.all);
	free(c.nexts);
	for (int f = 0; f < PEER_FIELDS; f++)
		free(c.line[f]);
	free(c.valid);
	free(c.valid_names);
	return ret;
}

void store_plan_release(struct store_plan *p)
{
	free(p->peers);
	store_hosts_keys_release(&p->mine);
	free(p->moved);
	free(p->rekeyed);
	free(p->revoked);
	*p = (struct store_plan){ 0 };
}
