/* SPDX-License-Identifier: MIT */
/*
 * wgnet host revoke NAME|KEY: the key goes on the store's revoked list (/wgnet/revoked/<key>),
 * with the next key of a rotation under way, and its host out of the store (claim, record,
 * liveness, acknowledgements, names) in one transaction guarded by its claim, read again from the
 * store until it holds (a rotation between the read and the write revokes its new key too).
 * Every host then refuses that key, now and later (driver/store_plan.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/dns_record.h"
#include "driver/instance.h"
#include "driver/log.h"
#include "driver/store_etcd.h"
#include "driver/store_record.h"

#define REVOKE_TRIES 5

/* The value of exactly key in the store into out (size), "" when absent. */
static int store_get(struct etcd *c, const char *key, char *out, size_t size, struct errbuf *e)
{
	struct etcd_kvs kvs = { 0 };
	int ret = etcd_range_prefix(c, key, &kvs, e);

	out[0] = 0;
	for (size_t i = 0; ret == 0 && i < kvs.n; i++)
		if (strcmp(kvs.v[i].key, key) == 0)
			snprintf(out, size, "%s", kvs.v[i].value);
	etcd_kvs_release(&kvs);
	return ret;
}

/* The host of index that has key as its claim, record key or next key: its name, and every key
 * it has that way (claim, next key). *claimed: the claim is key's. */
struct revoke_target {
	unsigned index;
	char claim[KEYS_B64_LEN];	/* as the store has it, "" = none */
	uint8_t keys[2][KEYS_LEN];	/* to revoke */
	size_t nkeys;
	char name[STATE_NAME_MAX];
};

static int target_read(struct etcd *c, struct revoke_target *t, struct errbuf *e)
{
	char ikey[STORE_KEY_MAX], hkey[STORE_KEY_MAX], text[STORE_RECORD_MAX + 1];
	struct store_record r;
	uint8_t claim[KEYS_LEN];
	int ret;

	store_key_format(STORE_INDEX_PREFIX, t->index, ikey);
	store_key_format(STORE_HOSTS_PREFIX, t->index, hkey);
	ret = store_get(c, ikey, t->claim, sizeof(t->claim), e);
	if (ret == 0)
		ret = store_get(c, hkey, text, sizeof(text), e);
	if (ret < 0)
		return ret;
	/* the claim is who the host is; a rotation's next key goes with it */
	if (keys_from_b64(t->claim, claim) == 0 && t->nkeys < 2 &&
	    memcmp(claim, t->keys[0], KEYS_LEN) != 0)
		memcpy(t->keys[t->nkeys++], claim, KEYS_LEN);
	if (store_record_parse(text, strlen(text), &r, NULL) == 0 && r.has_next && t->nkeys < 2 &&
	    memcmp(r.next_key, t->keys[0], KEYS_LEN) != 0)
		memcpy(t->keys[t->nkeys++], r.next_key, KEYS_LEN);
	return 0;
}

/* One transaction: the keys revoked, and the host out while its claim is what was read. */
static int revoke_txn(struct etcd *c, const struct revoke_target *t, bool *done, struct errbuf *e)
{
	char names[2][STORE_KEY_MAX], ikey[STORE_KEY_MAX], hkey[STORE_KEY_MAX];
	char akey[STORE_KEY_MAX], rkey[STORE_KEY_MAX], nkey[DNS_RECORD_KEY_MAX];
	struct etcd_guard guard = { ikey, t->claim[0] ? t->claim : NULL };
	struct etcd_op ops[7];
	size_t n = 0;

	for (size_t i = 0; i < t->nkeys; i++) {
		store_key_format_revoked(t->keys[i], names[i]);
		ops[n++] = (struct etcd_op){ .key = names[i], .value = t->name };
	}
	store_key_format(STORE_INDEX_PREFIX, t->index, ikey);
	if (t->claim[0]) {
		store_key_format(STORE_HOSTS_PREFIX, t->index, hkey);
		store_key_format(STORE_ALIVE_PREFIX, t->index, akey);
		snprintf(rkey, sizeof(rkey), "%s%u/", STORE_ROTATE_PREFIX, t->index);
		dns_record_key_prefix(t->index, nkey);
		ops[n++] = (struct etcd_op){ .key = hkey };
		ops[n++] = (struct etcd_op){ .key = akey };
		ops[n++] = (struct etcd_op){ .key = ikey };
		ops[n++] = (struct etcd_op){ .key = rkey, .prefix = true };
		ops[n++] = (struct etcd_op){ .key = nkey, .prefix = true };
	}
	/* no host (index 0): the key alone */
	return etcd_txn(c, &guard, t->index ? 1 : 0, ops, n, done, e);
}

/* The host that has key (claim or record key), or whose record is named name; lock held. */
static const struct store_host *target_find(struct store *s, const char *name,
					    const uint8_t key[KEYS_LEN])
{
	for (size_t i = 0; i < s->hosts.n; i++) {	/* one request: a scan */
		const struct store_host *h = &s->hosts.v[i];

		if (name && h->has_record && strcmp(h->rec.name, name) == 0)
			return h;
		if (!name && ((h->has_claim && memcmp(h->claim, key, KEYS_LEN) == 0) ||
			      (h->has_record && memcmp(h->rec.key, key, KEYS_LEN) == 0)))
			return h;
	}
	return NULL;
}

int driver_host_revoke(struct driver *d, const char *host, struct host_revoke_reply *out,
		       struct errbuf *e)
{
	struct store *s = d->store;
	struct revoke_target t = { 0 };
	const struct store_host *h;
	bool by_key = keys_from_b64(host, t.keys[0]) == 0, done = false;
	struct etcd c;
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	if (!s->configured)
		ret = errbuf_set(e, -ENOENT, "this host is in no store (wgnet init --store)");
	else if (s->refused)
		ret = errbuf_set(e, -EINVAL, "the store is not used: %s", s->error);
	h = ret ? NULL : target_find(s, by_key ? NULL : host, t.keys[0]);
	if (!ret && !by_key && !h)
		ret = errbuf_set(e, -ENOENT, "no host named '%.64s' in the store (see wgnet peer "
				 "ls), and not a base64 key", host);
	if (h) {
		t.index = h->index;
		snprintf(t.name, sizeof(t.name), "%s", h->has_record ? h->rec.name : "");
		if (!by_key)
			memcpy(t.keys[0], h->has_claim ? h->claim : h->rec.key, KEYS_LEN);
	}
	t.nkeys = 1;
	if (!ret && (memcmp(t.keys[0], d->st.host_public_key, KEYS_LEN) == 0 ||
		     (h && h->index == d->st.host_index)))
		ret = errbuf_set(e, -EINVAL, "that is this host: wgnet key rotate gives it a new "
				 "key, wgnet leave takes it out of the store");
	c = s->etcd;
	pthread_mutex_unlock(&d->lock);
	if (ret < 0)
		return ret;
	for (int tries = 0; tries < REVOKE_TRIES && !done; tries++) {
		t.nkeys = 1;
		ret = t.index ? target_read(&c, &t, e) : 0;
		if (ret == 0)
			ret = revoke_txn(&c, &t, &done, e);
		if (ret < 0)
			return ret;
	}
	if (!done)
		return errbuf_set(e, -EBUSY, "the claim of index %u kept changing: try again",
				  t.index);
	snprintf(out->name, sizeof(out->name), "%s", t.name);
	out->index = t.index;
	out->keys = t.nkeys;
	out->removed = t.claim[0] != 0;
	log_info("store: host %s (index %u): %zu key(s) revoked%s", t.name[0] ? t.name : "-",
		 t.index, t.nkeys, out->removed ? ", removed from the store" : "");
	return 0;
}
