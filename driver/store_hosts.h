/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STORE_HOSTS_H
#define WGNET_DRIVER_STORE_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "driver/keys.h"
#include "driver/state.h"
#include "driver/store_etcd.h"
#include "driver/store_record.h"

/*
 * What the store says about each host (no I/O but the log): hosts found by index in a table, by
 * key in a sorted array, so that no lookup scans every host; the revoked keys; the
 * acknowledgements of key rotations. What their records make of this host's peers is
 * store_plan.h's.
 */

/* A peer with several endpoints whose first gives no handshake: driver/store.c's keeper. */
struct store_failover {
	bool active;			/* tried: cur and since hold */
	size_t cur;			/* endpoint tried now */
	time_t since;
	bool settled;			/* a handshake came: its endpoint is kept */
};

struct store_host {
	unsigned index;
	bool has_claim;
	uint8_t claim[KEYS_LEN];
	int64_t claim_rev;
	bool has_record;
	struct store_record rec;
	int64_t rec_rev;
	bool alive;
	int64_t logged_rev;		/* a refused record is logged once per revision */
	struct store_failover fo;	/* of rec.key; reset when the key or endpoints change */
};

/* A sorted set of keys: the peers that came from the store, the revoked keys. */
struct store_keys {
	uint8_t (*v)[KEYS_LEN];
	size_t n;
};

/* Host by has host index's next key on its device (/wgnet/rotate/<index>/<by>). */
struct store_ack {
	unsigned index, by;
	uint8_t key[KEYS_LEN];
};

struct store_hosts {
	struct store_host *v;
	size_t n, cap;
	uint32_t *slot;			/* [65536]: 1 + position in v of index i's host, 0: none */
	uint32_t *by_key;		/* positions of the hosts with a record, by rec.key */
	size_t nby_key;
	size_t nmulti;			/* records with several endpoints: failover has work */
	struct store_keys revoked;	/* no record or peer with one of these keys, ever */
	struct store_ack *acks;		/* of rotations under way: few, and only meanwhile */
	size_t nacks;
};

#define STORE_HOSTS_SLOTS 65536	/* host indexes 1..65535 */

/* The host at index (1..65535), made when create is set; NULL when absent or out of memory. */
struct store_host *store_hosts_get(struct store_hosts *t, unsigned index, bool create);
/* One key of /wgnet/ put or deleted; store_hosts_reindex afterwards. True when it may change
 * the peers (a claim, a record, a revoked key), false for liveness, acknowledgements and keys
 * that are not the hosts'. */
bool store_hosts_update(struct store_hosts *t, const struct etcd_kv *kv, bool deleted);
/* Whether host by acknowledged host index's next key (key). */
bool store_hosts_acked(const struct store_hosts *t, unsigned index, unsigned by,
		       const uint8_t key[KEYS_LEN]);
/* by_key and nmulti after updates; -ENOMEM leaves by_key empty (lookups by key then fail). */
int store_hosts_reindex(struct store_hosts *t);
/* The host of pos (positions in v, sorted as cmp compares) that cmp finds equal to what, or
 * NULL: bsearch with the table as context. */
struct store_host *store_hosts_search(struct store_host *v, const uint32_t *pos, size_t n,
				      int (*cmp)(const struct store_host *h, const void *what),
				      const void *what);
/* The host whose record has this key, NULL if none (several: one of them). */
struct store_host *store_hosts_by_key(const struct store_hosts *t, const uint8_t key[KEYS_LEN]);
void store_hosts_release(struct store_hosts *t);

bool store_hosts_keys_has(const struct store_keys *k, const uint8_t key[KEYS_LEN]);
/* Sorted, repeats dropped. */
void store_hosts_keys_sort(struct store_keys *k);
bool store_hosts_keys_equal(const struct store_keys *a, const struct store_keys *b);
/* One key in or out of a sorted set; -ENOMEM. */
int store_hosts_keys_set(struct store_keys *k, const uint8_t key[KEYS_LEN], bool in);
void store_hosts_keys_release(struct store_keys *k);

#endif
