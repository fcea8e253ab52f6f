/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_MESH_WATCHDOG_H
#define WGNET_DRIVER_MESH_WATCHDOG_H

struct driver;

/* The mesh's thread (driver/mesh_watchdog.c): a look at the peers every 5 s (events), and a
 * userspace WireGuard that died or hangs started again and re-applied, with backoff after a
 * failed restart, for as long as it takes. Stopping it forgets what the looks saw. */
void mesh_watchdog_start(struct driver *d);
void mesh_watchdog_stop(struct driver *d);

#endif
