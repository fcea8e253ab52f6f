/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STORE_ROTATE_H
#define WGNET_DRIVER_STORE_ROTATE_H

#include "driver/api.h"

struct driver;

/*
 * wgnet key rotate with a store (driver/store_rotate.c), without the lock held: the new key
 * published as this host's next key, every live host acknowledging it once its wgnet0 has it
 * (or STORE_ROTATE_WAIT_MS), then the compare-and-swap of this host's claim from the old key to
 * the new one with its record, and the switch. Refused, with nothing changed, while the store
 * is unreachable.
 */
#define STORE_ROTATE_WAIT_MS 10000
int store_key_rotate(struct driver *d, struct key_rotate_reply *out, struct errbuf *e);
/* A store is configured: key rotation goes through it. Lock held. */
bool store_configured(const struct driver *d);
/* The peer of this key came from the store (its key changes there). Lock held. */
bool store_has_peer(const struct driver *d, const uint8_t key[KEYS_LEN]);

#endif
