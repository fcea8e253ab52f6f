/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_MESH_DEVICE_H
#define WGNET_DRIVER_MESH_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "driver/keys.h"
#include "driver/metrics.h"
#include "driver/status.h"
#include "netlink/wg.h"

/*
 * wgnet0's single calls (driver/mesh_device.c), lock held: each does nothing while the device
 * is not usable (not configured, or found hung) and marks it hung when a call times out, the
 * watchdog then checking it at once, without the lock.
 */

struct driver;
struct wg_device;
struct wg_peer;

/* The device can be used: configured, and no call found it hung. */
bool mesh_device_usable(const struct driver *d);
/* After a failed call to the device: a timeout marks it hung. */
void mesh_device_note_error(struct driver *d, int ret);
/* The device's peers as they are (endpoints, handshakes); the caller releases *out
 * (wg_device_release). -ENODEV while the device is unusable. */
int mesh_device_read(struct driver *d, struct wg_device *out);
/* One peer of the device (cur, from mesh_device_read) given another endpoint, its keepalive
 * kept; or a peer removed. The others are untouched. */
int mesh_device_peer_endpoint(struct driver *d, const struct wg_peer *cur,
			      const struct sockaddr_storage *endpoint);
int mesh_device_peer_remove(struct driver *d, const uint8_t key[KEYS_LEN]);
/* A device's peers sorted by key (the array of pointers is the caller's), and one found in
 * them: no scan of the device per peer (65,535 peers from a store). mesh_device_peers_sort
 * makes the array (NULL: ENOMEM). */
int mesh_device_peer_order(const void *a, const void *b);
const struct wg_peer **mesh_device_peers_sort(const struct wg_device *have);
const struct wg_peer *mesh_device_peer_find(const struct wg_peer *const *sorted, size_t n,
					    const uint8_t key[KEYS_LEN]);
/* "192.0.2.1:51820", "[2001:db8::1]:51820", "" for none */
void mesh_device_endpoint_text(const struct sockaddr_storage *ss, char *out, size_t size);
/* The device's side of `wgnet status`: backend, state, each peer's endpoint, handshake and
 * traffic (s->peers are those of the state, in its order). */
int mesh_device_status_fill(struct driver *d, struct driver_status *s);
/* What the device (have) says of the peers of s, found by key: endpoint, last handshake,
 * traffic. No lock: s and have are copies. */
int mesh_device_status_merge(const struct wg_device *have, struct driver_status *s);

/*
 * The device read without the lock (a wireguard-go may take 1.5 s to answer): what the read
 * needs is copied with the lock held (mesh_device_reader_take), the read runs without it
 * (mesh_device_reader_read: -ENODEV while the device is unusable), and a failure is noted with
 * the lock held again (mesh_device_note_error).
 */
struct mesh_device_reader {
	struct wg_backend wg;
	bool usable;
};
void mesh_device_reader_take(const struct driver *d, struct mesh_device_reader *r);
int mesh_device_reader_read(const struct mesh_device_reader *r, struct wg_device *out);
/* The mesh's part of the metrics (backend, watchdog's counts) and a reader for its device;
 * lock held. */
void mesh_device_metrics_fill(const struct driver *d, struct driver_metrics *m,
			      struct mesh_device_reader *r);

#endif
