/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STORE_IMPL_H
#define WGNET_DRIVER_STORE_IMPL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "driver/errbuf.h"
#include "driver/keys.h"
#include "driver/store_etcd.h"
#include "driver/store_hosts.h"
#include "driver/store_record.h"

/*
 * Private to the store's rooms: store.c (verbs and life cycle) above store_watch.c (the watcher:
 * records into peers) and store_keeper.c (this host's record, lease, leave, failover), both
 * above store_file.c (store.json, whether the store answers). Everything in struct store is
 * under the driver lock, but etcd (fixed while the threads run) and stop.
 */

struct driver;

#define STORE_RENEW_SECONDS 10		/* keepalive period, a third of the lease */
#define STORE_FAILOVER_SECONDS 15	/* no handshake on an endpoint for this long: next */
#define STORE_SESSION_SECONDS 180	/* WireGuard's reject-after time: a session this young lives */

struct store {
	char path[PATH_MAX];
	struct etcd etcd;
	bool configured;
	bool refused;			/* store.json takes a risk the user did not: not used */
	bool leave_pending;
	bool removed;
	atomic_bool stop;
	pthread_t watcher, keeper;
	bool running;
	struct store_hosts hosts;
	int64_t rev;
	bool synced;			/* hosts reflect the store at rev */
	bool reachable;
	char error[256];
	struct store_keys mine;		/* peers that came from the store, sorted */
	int64_t lease;
	time_t renewed;
	bool publish;
};

/* store_file.c: store.json, the store's address, TLS files and risks, the peers that came
 * from it, a pending leave (written with file_write_atomic; e may be NULL) */
int store_file_save(const struct store *s, struct errbuf *e);
int store_file_load(struct store *s, struct errbuf *e);
/* a peer of the state came from the store (its key is in store.json) */
bool store_mine_has(const struct store *s, const uint8_t key[KEYS_LEN]);
/* the outcome of a request (ret, e): reachable or not and why, logged once per outage */
void store_reachable_note(struct store *s, int ret, const struct errbuf *e);
/* ms milliseconds, or less when stop is set */
void store_sleep(const atomic_bool *stop, unsigned ms);

/* store_watch.c: the watcher thread (its argument: the driver) */
void *store_watch_main(void *arg);

/* store_keeper.c: this host's record, published (record) with its lease kept alive; *gone
 * when our claim of the index is no more (wgnet host rm elsewhere). Leave: one transaction
 * guarded by our claim; then its peers go and the threads end (lock held). The keeper
 * thread (its argument: the driver). */
void store_keeper_record(const struct driver *d, struct store_record *r);
int store_keeper_publish(struct etcd *c, const struct store_record *r, bool record,
			 int64_t *lease, bool *gone, struct errbuf *e);
int store_keeper_leave_txn(struct etcd *c, unsigned index, const uint8_t claim[KEYS_LEN],
			   bool *done, struct errbuf *e);
void store_keeper_leave_finish(struct driver *d);
void *store_keeper_main(void *arg);

#endif
