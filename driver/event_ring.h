/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_EVENT_RING_H
#define WGNET_DRIVER_EVENT_RING_H

#include <stddef.h>
#include <stdint.h>

/*
 * What changed, as it happened (driver/event_ring.c, pure): a bounded ring of events, each
 * numbered one above the last (the first is 1). A reader asks for what came after the last
 * number it saw: it gets each event once, and learns how many it missed when the ring has
 * moved on past them.
 */
#define EVENT_RING_MAX 256
#define EVENT_SUBJECT_MAX 64
#define EVENT_DETAIL_MAX 200

enum event_kind {
	EVENT_PEER_UP,			/* a handshake within the last 180 s */
	EVENT_PEER_DOWN,		/* none for 180 s */
	EVENT_ENDPOINT_MOVED,		/* the device reaches a peer at another address */
	EVENT_FAILOVER,			/* a store peer is tried at its next endpoint */
	EVENT_FIREWALL_REBUILT,		/* another program changed our tables: rebuilt */
	EVENT_FIREWALL_FAILED,		/* they cannot be built: failed closed */
	EVENT_FIREWALL_OK,		/* built again after failing */
	EVENT_STORE_LOST,
	EVENT_STORE_BACK,
	EVENT_WATCHDOG_RESTART,		/* wireguard-go died or hung and was started again */
	EVENT_WATCHDOG_FAILED,		/* starting it again failed */
	EVENT_KEY_ROTATED,		/* this host switched to its new key */
	EVENT_PEER_REKEYED,		/* a peer's new key took over from its old one */
	EVENT_KEY_REVOKED,		/* a peer went, or this host is out: the key is revoked */
};

struct event {
	uint64_t seq;
	int64_t unix_time;		/* seconds */
	enum event_kind kind;
	char subject[EVENT_SUBJECT_MAX];	/* what it is about: a peer's name, wgnet0, ... */
	char detail[EVENT_DETAIL_MAX];	/* in words; printable ASCII only */
};

struct event_ring {
	struct event v[EVENT_RING_MAX];
	uint64_t last;			/* number of the newest event, 0 = none yet */
};

/* "peer-up", "store-lost", ...: the name scripts read (wgnet events --json). */
const char *event_kind_name(enum event_kind kind);
/* Appends an event numbered last + 1; the oldest goes when the ring is full. Texts are cut
 * to their field, and any byte that is not printable ASCII becomes '?'. */
void event_ring_push(struct event_ring *r, int64_t at, enum event_kind kind, const char *subject,
		     const char *detail);
/* The events numbered above since, oldest first, at most max of them into out (the count is
 * returned); *lost = how many of those the ring no longer holds. */
size_t event_ring_since(const struct event_ring *r, uint64_t since, struct event *out, size_t max,
			uint64_t *lost);

#endif
