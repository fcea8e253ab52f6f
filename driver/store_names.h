/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STORE_NAMES_H
#define WGNET_DRIVER_STORE_NAMES_H

#include <stdbool.h>

#include "driver/store_etcd.h"

struct driver;

/*
 * Names through the store (driver/store_names.c): this host's records under
 * /wgnet/names/<index>/, put under its lease (a dead host's names go with it), and the other
 * hosts' records into the names served.
 *
 * The watcher's, lock held: one key under /wgnet/ put or deleted (false: not a names key),
 * and a full read (every key read; the names of a key not read go).
 */
bool store_names_event(struct driver *d, const struct etcd_kv *kv, bool deleted);
void store_names_reset(struct driver *d, const struct etcd_kvs *kvs);
/* The keeper's, without the lock: whether this host's names changed since they were last put,
 * and putting them (what the store has of ours that differs: put with the lease, or deleted),
 * in transactions guarded by our claim of the index. */
bool store_names_due(struct driver *d);
void store_names_publish(struct driver *d);
/* Out of the store (leave), lock held: its names are no longer served. */
void store_names_forget(struct driver *d);
void store_names_free(struct driver *d);

#endif
