/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_PEERS_H
#define WGNET_DRIVER_PEERS_H

#include "driver/status.h"

struct driver;

/* The host and its peers in `wgnet status` (driver/peers.c), with what the device says of
 * each; lock held. -ENOMEM (s then holds what was filled: driver_status_release). */
int peers_status_fill(struct driver *d, struct driver_status *s);

#endif
