/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_PEER_ROTATE_H
#define WGNET_DRIVER_PEER_ROTATE_H

struct driver;

/*
 * Join-line peers that rotate their key (driver/peer_rotate.c): the new key of a line added
 * with `wgnet peer add` waits on wgnet0 without allowed IPs; its first handshake says that host
 * switched to it, and it takes the allowed IPs while the old key goes, in one batch. A thread
 * looks at wgnet0 every PEER_ROTATE_POLL_MS while such a peer exists, and sleeps otherwise.
 * Store peers rotate through the store, never here.
 */
#define PEER_ROTATE_POLL_MS 50
void peer_rotate_init(struct driver *d);
void peer_rotate_start(struct driver *d);
void peer_rotate_stop(struct driver *d);
void peer_rotate_fini(struct driver *d);
/* A peer got a next key: look. Lock held. */
void peer_rotate_wake(struct driver *d);

#endif
