/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STORE_FILE_H
#define WGNET_DRIVER_STORE_FILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "driver/errbuf.h"
#include "driver/instance.h"
#include "driver/keys.h"

/* store.json (driver/store_file.c): the store's address, TLS files and risks, the peers that
 * came from it, a pending leave (written with file_write_atomic; e may be NULL). */
int store_file_save(const struct store *s, struct errbuf *e);
int store_file_load(struct store *s, struct errbuf *e);
/* A peer of the state came from the store (its key is in store.json). */
bool store_mine_has(const struct store *s, const uint8_t key[KEYS_LEN]);
/* The outcome of a request (ret, e): reachable or not and why, logged and told (an event)
 * once per outage, and when it is back. Lock held. */
void store_reachable_note(struct driver *d, int ret, const struct errbuf *e);
/* ms milliseconds, or less when stop is set or store_wake is called (the threads wait so);
 * true when store_wake was. */
bool store_sleep(struct store *s, unsigned ms);
void store_wake(struct store *s);

#endif
