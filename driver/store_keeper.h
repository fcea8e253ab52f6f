/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STORE_KEEPER_H
#define WGNET_DRIVER_STORE_KEEPER_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/errbuf.h"
#include "driver/keys.h"
#include "driver/store_etcd.h"
#include "driver/store_record.h"

struct driver;

/*
 * The keeper (driver/store_keeper.c): this host's record, published (record) with its lease
 * kept alive, *gone when our claim of the index is no more (wgnet host rm elsewhere). Leave:
 * one transaction guarded by our claim (claim, record, liveness, names); then its peers go and
 * the threads end (lock held).
 * The keeper thread, its argument the driver.
 */
void store_keeper_record(const struct driver *d, struct store_record *r);
int store_keeper_publish(struct etcd *c, const struct store_record *r, bool record,
			 int64_t *lease, bool *gone, struct errbuf *e);
int store_keeper_leave_txn(struct etcd *c, unsigned index, const uint8_t claim[KEYS_LEN],
			   bool *done, struct errbuf *e);
void store_keeper_leave_finish(struct driver *d);
/* The acknowledgements of the next keys wgnet0 has now, queued for the keeper to give at once
 * (it needs no lock for them); lock held. */
void store_keeper_ack_soon(struct driver *d);
void *store_keeper_main(void *arg);

#endif
