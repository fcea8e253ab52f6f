/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_EVENTS_H
#define WGNET_DRIVER_EVENTS_H

#include <stdint.h>

#include "driver/event_ring.h"

/*
 * The driver's events (driver/events.c), a base room: every owner tells what changed (a peer
 * up or down, the firewall rebuilt, the store lost...) and plugin/ reads them for `wgnet
 * events` (driver_events_get and driver_events_wait, api.h). It calls nothing above it.
 */

struct driver;

void events_init(struct driver *d);
void events_fini(struct driver *d);
/* Lock held: numbered and kept in the ring, and whoever waits wakes. The detail is formatted
 * like printf; both texts are cut to fit. */
void events_add(struct driver *d, enum event_kind kind, const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The number of the last event, 0 = none yet; lock held. */
uint64_t events_last(const struct driver *d);

#endif
