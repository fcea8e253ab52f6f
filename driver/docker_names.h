/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_DOCKER_NAMES_H
#define WGNET_DRIVER_DOCKER_NAMES_H

#include "driver/status.h"

struct driver;

/*
 * This host's containers' names, from the Docker Engine API (driver/docker_names.c): a thread
 * follows Docker's events and inspects the containers they name, never from a plugin call
 * (dockerd waits on the plugin while it serves us) and never with the driver's lock held
 * across a request. At start, and whenever the events stream breaks, it reads everything
 * again. socket "" turns it off.
 */
void docker_names_init(struct driver *d, const char *socket);
void docker_names_start(struct driver *d);
void docker_names_stop(struct driver *d);
/* Lock held. */
void docker_names_status_fill(struct driver *d, struct driver_status *s);

#endif
