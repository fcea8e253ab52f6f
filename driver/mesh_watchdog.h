/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_MESH_WATCHDOG_H
#define WGNET_DRIVER_MESH_WATCHDOG_H

struct driver;

/* A userspace WireGuard that died or hangs is started again and re-applied (a thread of
 * driver/mesh_watchdog.c), with backoff after a failed restart, for as long as it takes. */
void mesh_watchdog_start(struct driver *d);
void mesh_watchdog_stop(struct driver *d);

#endif
