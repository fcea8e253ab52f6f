/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_DRIVER_H
#define WGNET_DRIVER_DRIVER_H

#include <stdbool.h>

#include "driver/api.h"
#include "driver/errbuf.h"
#include "driver/status.h"

/*
 * The driver's life cycle and status (driver/driver.c), and with api.h and status.h all that
 * plugin/ may call.
 */

struct driver_config {
	const char *state_dir;		/* default /var/lib/wgnet */
	const char *iptables;		/* iptables binary for DOCKER-USER; NULL = "iptables" */
	bool no_iptables;		/* tests: never touch DOCKER-USER */
	const char *wg_backend;		/* "auto" (NULL), "kernel" or "userspace" */
	const char *wg_userspace;	/* userspace WireGuard program; NULL = wireguard-go */
	const char *wg_cgroup_root;	/* managed plugin: cgroupfs root to move wireguard-go out of
					 * the plugin's cgroup (to wgnetd's parent's); NULL = never */
	unsigned listen_port;		/* for a host whose state names none; 0 = 51820 */
	unsigned mtu;			/* for a host whose state names none, and for wgnet init
					 * without --mtu instead of the uplink's; 0 = none */
	const char *docker_socket;	/* the Docker Engine API, for the names of this host's
					 * containers; NULL = /run/docker.sock, "" = none */
};

struct driver;

/* Loads the state and reconciles the kernel with it. */
int driver_new(const struct driver_config *cfg, struct driver **out, struct errbuf *e);
/* Frees memory only: kernel objects stay (containers keep working while wgnetd is down). */
void driver_free(struct driver *d);

/* Plugin.Activate: a (new) dockerd is talking to us; it may replay pools next. */
void driver_activated(struct driver *d);

int driver_status_get(struct driver *d, struct driver_status *out, struct errbuf *e);
void driver_status_release(struct driver_status *s);

#endif
