/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_MESH_LOOK_H
#define WGNET_DRIVER_MESH_LOOK_H

#include <stdbool.h>

#include "driver/metrics.h"
#include "driver/status.h"
#include "netlink/wg.h"

/*
 * wgnet0 as observers see it (driver/mesh_look.c, of the mesh): the peers of `wgnet status`,
 * the counters of the metrics, and the look every few seconds that tells when a peer comes
 * up or goes down and when its endpoint moves (events).
 */

struct driver;

/*
 * The device read without the lock (a wireguard-go may take 1.5 s to answer): what the read
 * needs is copied with the lock held (mesh_reader_take), the read runs without it
 * (mesh_reader_read: -ENODEV while the device is unusable), and a failure is noted with the
 * lock held again (mesh_note_error, driver/mesh.h).
 */
struct mesh_reader {
	struct wg_backend wg;
	bool usable;
};
void mesh_reader_take(const struct driver *d, struct mesh_reader *r);
int mesh_reader_read(const struct mesh_reader *r, struct wg_device *out);

/* Backend, state, and what the device says of each peer of s (those of the state, in its
 * order): the device's side of `wgnet status`. Lock held; the device is read under it. */
int mesh_status_fill(struct driver *d, struct driver_status *s);
/* What the device (have) says of the peers of s, found by key: endpoint, last handshake,
 * traffic. No lock: s and have are copies. */
int mesh_status_merge(const struct wg_device *have, struct driver_status *s);
/* The mesh's part of the metrics and a reader for its device; lock held. */
void mesh_metrics_fill(const struct driver *d, struct driver_metrics *m, struct mesh_reader *r);

/* Lock held (released for the device read): the peers as the device shows them now against
 * the last look, an event for each that came up, went down or moved. Run every few seconds
 * by the mesh's thread (mesh_watchdog.c). */
void mesh_look(struct driver *d);
/* What the looks kept; lock held or the thread stopped. */
void mesh_look_forget(struct driver *d);

#endif
