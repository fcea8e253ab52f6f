/* SPDX-License-Identifier: MIT */
/* The store's hosts by index and by key, revoked keys and acknowledgements: see store_hosts.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/log.h"
#include "driver/store_hosts.h"


struct store_host *store_hosts_get(struct store_hosts *t, unsigned index, bool create)
{
	struct store_host *v;

	if (index < 1 || index >= STORE_HOSTS_SLOTS)
		return NULL;
	if (t->slot && t->slot[index])
		return &t->v[t->slot[index] - 1];
	if (!create)
		return NULL;
	if (!t->slot) {
		t->slot = calloc(STORE_HOSTS_SLOTS, sizeof(*t->slot));
		if (!t->slot)
			return NULL;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;

		v = reallocarray(t->v, cap, sizeof(*v));
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	v = &t->v[t->n++];
	memset(v, 0, sizeof(*v));
	v->index = index;
	t->slot[index] = (uint32_t)t->n;
	return v;
}

static bool endpoints_same(const struct store_record *a, const struct store_record *b)
{
	if (a->nendpoints != b->nendpoints)
		return false;
	for (size_t i = 0; i < a->nendpoints; i++)
		if (strcmp(a->endpoints[i], b->endpoints[i]) != 0)
			return false;
	return true;
}

/* An acknowledgement put (key) or deleted (NULL). */
static void ack_update(struct store_hosts *t, unsigned index, unsigned by, const uint8_t *key)
{
	struct store_ack *v;
	size_t i;

	for (i = 0; i < t->nacks; i++)
		if (t->acks[i].index == index && t->acks[i].by == by)
			break;
	if (!key) {
		if (i < t->nacks)
			t->acks[i] = t->acks[--t->nacks];
		return;
	}
	if (i == t->nacks) {
		v = reallocarray(t->acks, t->nacks + 1, sizeof(*v));
		if (!v)
			return;		/* the rotation waits less long for it, no more */
		t->acks = v;
		t->nacks++;
	}
	t->acks[i] = (struct store_ack){ .index = index, .by = by };
	memcpy(t->acks[i].key, key, KEYS_LEN);
}

bool store_hosts_acked(const struct store_hosts *t, unsigned index, unsigned by,
		       const uint8_t key[KEYS_LEN])
{
	for (size_t i = 0; i < t->nacks; i++)
		if (t->acks[i].index == index && t->acks[i].by == by)
			return memcmp(t->acks[i].key, key, KEYS_LEN) == 0;
	return false;
}

/* The keys that are not the hosts' own: revoked keys and acknowledgements. */
static bool update_other(struct store_hosts *t, const struct etcd_kv *kv, bool deleted)
{
	uint8_t key[KEYS_LEN];
	unsigned index, by;

	if (store_key_parse_revoked(kv->key, key)) {
		if (store_hosts_keys_set(&t->revoked, key, !deleted) < 0)
			log_error("store: out of memory noting a revoked key");
		return true;
	}
	if (store_key_parse_ack(kv->key, &index, &by))
		ack_update(t, index, by, deleted || keys_from_b64(kv->value, key) < 0 ? NULL : key);
	return false;
}

bool store_hosts_update(struct store_hosts *t, const struct etcd_kv *kv, bool deleted)
{
	struct store_record was;
	struct errbuf e = { 0 };
	struct store_host *h;
	unsigned index;
	enum store_key_kind kind = store_key_parse(kv->key, &index);

	if (kind == STORE_KEY_OTHER)
		return update_other(t, kv, deleted);
	h = store_hosts_get(t, index, !deleted);
	if (!h)
		return false;
	switch (kind) {
	case STORE_KEY_INDEX:
		h->has_claim = !deleted && keys_from_b64(kv->value, h->claim) == 0;
		h->claim_rev = kv->create_rev;
		if (!deleted && !h->has_claim)
			log_warn("store: claim of index %u is not a key, ignoring", index);
		break;
	case STORE_KEY_HOST:
		h->rec_rev = kv->mod_rev;
		was = h->rec;
		if (deleted) {
			h->has_record = false;
			h->fo = (struct store_failover){ 0 };
		} else if (store_record_parse(kv->value, kv->value_len, &h->rec, &e) < 0) {
			log_warn("store: record of index %u refused: %s", index, e.msg);
		} else {
			/* another key or new endpoints: failover starts again at the first */
			if (!h->has_record || memcmp(was.key, h->rec.key, KEYS_LEN) != 0 ||
			    !endpoints_same(&was, &h->rec))
				h->fo = (struct store_failover){ 0 };
			h->has_record = true;
		}
		break;
	case STORE_KEY_ALIVE:
		h->alive = !deleted;
		return false;	/* shown, never acted on */
	case STORE_KEY_OTHER:
		break;
	}
	return true;
}

static int host_key_order(const void *a, const void *b, void *arg)
{
	const struct store_host *v = arg;

	return memcmp(v[*(const uint32_t *)a].rec.key, v[*(const uint32_t *)b].rec.key, KEYS_LEN);
}

int store_hosts_reindex(struct store_hosts *t)
{
	uint32_t *v;
	size_t n = 0;

	t->nby_key = 0;
	t->nmulti = 0;
	if (!t->n)
		return 0;
	v = reallocarray(t->by_key, t->n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->by_key = v;
	for (size_t i = 0; i < t->n; i++) {
		if (!t->v[i].has_record)
			continue;
		v[n++] = (uint32_t)i;
		t->nmulti += t->v[i].rec.nendpoints >= 2;
	}
	qsort_r(v, n, sizeof(*v), host_key_order, t->v);
	t->nby_key = n;
	return 0;
}

struct store_host *store_hosts_search(struct store_host *v, const uint32_t *pos, size_t n,
				      int (*cmp)(const struct store_host *h, const void *what),
				      const void *what)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cmp(&v[pos[mid]], what);

		if (r == 0)
			return &v[pos[mid]];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int host_key_is(const struct store_host *h, const void *key)
{
	return memcmp(h->rec.key, key, KEYS_LEN);
}

struct store_host *store_hosts_by_key(const struct store_hosts *t, const uint8_t key[KEYS_LEN])
{
	return store_hosts_search(t->v, t->by_key, t->nby_key, host_key_is, key);
}

void store_hosts_release(struct store_hosts *t)
{
	free(t->v);
	free(t->slot);
	free(t->by_key);
	store_hosts_keys_release(&t->revoked);
	free(t->acks);
	*t = (struct store_hosts){ 0 };
}

static int key_order(const void *a, const void *b)
{
	return memcmp(a, b, KEYS_LEN);
}

bool store_hosts_keys_has(const struct store_keys *k, const uint8_t key[KEYS_LEN])
{
	return k->n && bsearch(key, k->v, k->n, sizeof(*k->v), key_order);
}

void store_hosts_keys_sort(struct store_keys *k)
{
	size_t n = 0;

	if (!k->n)
		return;
	qsort(k->v, k->n, sizeof(*k->v), key_order);
	for (size_t i = 0; i < k->n; i++)
		if (!n || memcmp(k->v[n - 1], k->v[i], KEYS_LEN) != 0)
			memmove(k->v[n++], k->v[i], KEYS_LEN);
	k->n = n;
}

bool store_hosts_keys_equal(const struct store_keys *a, const struct store_keys *b)
{
	return a->n == b->n && (!a->n || memcmp(a->v, b->v, a->n * KEYS_LEN) == 0);
}

int store_hosts_keys_set(struct store_keys *k, const uint8_t key[KEYS_LEN], bool in)
{
	size_t lo = 0, hi = k->n;
	uint8_t (*v)[KEYS_LEN];

	while (lo < hi) {	/* the first position not below key */
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(k->v[mid], key, KEYS_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < k->n && memcmp(k->v[lo], key, KEYS_LEN) == 0) {
		if (!in)
			memmove(k->v[lo], k->v[lo + 1], (k->n-- - lo - 1) * KEYS_LEN);
		return 0;
	}
	if (!in)
		return 0;
	v = reallocarray(k->v, k->n + 1, KEYS_LEN);
	if (!v)
		return -ENOMEM;
	k->v = v;
	memmove(k->v[lo + 1], k->v[lo], (k->n++ - lo) * KEYS_LEN);
	memcpy(k->v[lo], key, KEYS_LEN);
	return 0;
}

void store_hosts_keys_release(struct store_keys *k)
{
	free(k->v);
	*k = (struct store_keys){ 0 };
}
