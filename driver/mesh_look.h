/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_MESH_LOOK_H
#define WGNET_DRIVER_MESH_LOOK_H

/*
 * The look at wgnet0's peers every few seconds (driver/mesh_look.c, of the mesh), which tells
 * when a peer comes up or goes down and when its endpoint moves (events).
 */

struct driver;

/* Lock held (released for the device read): the peers as the device shows them now against
 * the last look, an event for each that came up, went down or moved. Run every 5 s by the
 * mesh's thread (mesh_watchdog.c). */
void mesh_look(struct driver *d);
/* What the looks kept; lock held or the thread stopped. */
void mesh_look_forget(struct driver *d);

#endif
