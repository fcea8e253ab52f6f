/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_MESH_H
#define WGNET_DRIVER_MESH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "driver/errbuf.h"
#include "driver/keys.h"
#include "driver/status.h"

/*
 * The mesh (driver/mesh.c): the one owner of wgnet0, its key pair, peers and pool routes,
 * with driver/mesh_device.c below it for the device's single calls, which every other room
 * uses too. All of them but init and fini need the lock held and do nothing before
 * `wgnet init` (and while the device is unusable).
 */

struct driver;

/* The backend asked for (NULL or "auto", "kernel", "userspace"; -EINVAL worded otherwise), the
 * userspace program (NULL: wireguard-go), the cgroup root a managed plugin moves it under
 * (NULL: none) and where the key file is. */
int mesh_init(struct driver *d, const char *backend, const char *program,
	      const char *cgroup_root, const char *state_dir, struct errbuf *e);
void mesh_fini(struct driver *d);	/* wipes the private key */
/* mesh_start makes wgnet0 and applies everything (at start, at init, after the watchdog
 * restarted wireguard-go); mesh_sync re-applies the peers' allowed IPs and the routes after
 * a network or peer change. */
int mesh_start(struct driver *d, struct errbuf *e);
int mesh_sync(struct driver *d, struct errbuf *e);
/* mesh_sync, logged: for a change whose own call cannot fail because of the mesh (a network,
 * a resolved endpoint); the next change or start retries. */
void mesh_sync_logged(struct driver *d, const char *why);
/* The resolver's answer for a peer endpoint given by name: the peers are applied again. */
void mesh_endpoint_resolved(struct driver *d, const char *name);
/* Every peer off wgnet0: the firewall could not be built. mesh_sync puts them back once it
 * is. */
void mesh_fail_closed(struct driver *d);
/* The host's key pair, made if there is none yet: its public half (the store claims an index
 * with it before wgnet0 exists). */
int mesh_public_key(struct driver *d, uint8_t pub[KEYS_LEN], struct errbuf *e);

#endif
