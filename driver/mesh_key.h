/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_MESH_KEY_H
#define WGNET_DRIVER_MESH_KEY_H

#include <stdbool.h>
#include <stdint.h>

#include "driver/errbuf.h"
#include "driver/keys.h"

/*
 * wgnet0's key pair across a rotation (driver/mesh_key.c), lock held. The next pair is made and
 * kept in its own file (private.key.next, 0600) while the peers learn its public half; the
 * switch then makes it the key: one device has one private key, so the switch is a moment, not
 * a transition, and the peers must know the new key before it.
 */

struct driver;

/* The next pair's file read at start, if a rotation was under way. */
void mesh_key_load(struct driver *d);
/* The next pair, made now or kept from an earlier attempt: its public half. */
int mesh_key_next(struct driver *d, uint8_t pub[KEYS_LEN], struct errbuf *e);
/* A rotation is under way: the next pair's public half. */
bool mesh_key_pending(const struct driver *d, uint8_t pub[KEYS_LEN]);
/* The next pair given up (its file removed). */
void mesh_key_forget(struct driver *d);
/*
 * The next pair becomes the key: wgnet0 given it, with a handshake started with every peer at
 * once (keepalive off and on again: WireGuard sends one then), so that a peer that already
 * swapped its entry to the new key does not wait for its own retry (REKEY_TIMEOUT, 5 s) when
 * this host has nothing to send it; then its file renamed over private.key and the state's host
 * key saved. -ENOENT without a next pair. The key file is the authority: stopped before its
 * rename, the next start uses the old key and the switch is done again (the store's keeper, or
 * wgnet key rotate --finish); a failure after it is logged, and the next start applies it.
 */
int mesh_key_switch(struct driver *d, struct errbuf *e);

#endif
