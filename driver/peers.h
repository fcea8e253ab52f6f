/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_PEERS_H
#define WGNET_DRIVER_PEERS_H

#include <stdint.h>

#include "driver/keys.h"
#include "driver/status.h"

struct driver;

/* The host and its peers in `wgnet status` (driver/peers.c), with what the device says of
 * each (mesh_device_status_fill); lock held. -ENOMEM (s then holds what was filled:
 * driver_status_release). */
int peers_status_fill(struct driver *d, struct driver_status *s);
/* The same from the state alone, in its order: the metrics read the device without the lock
 * (mesh_device_status_merge). */
int peers_state_fill(struct driver *d, struct driver_status *s);
/* This host's join line, with key (its own, or the next one of a rotation); lock held. */
void peers_join_line(const struct driver *d, const uint8_t key[KEYS_LEN],
		     char out[DRIVER_JOIN_LINE_MAX]);

#endif
