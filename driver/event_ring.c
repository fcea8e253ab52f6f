/* SPDX-License-Identifier: MIT */
/* The ring of events (pure): numbered, bounded, read from any number on. */
#include <string.h>

#include "driver/event_ring.h"

const char *event_kind_name(enum event_kind kind)
{
	switch (kind) {
	case EVENT_PEER_UP:
		return "peer-up";
	case EVENT_PEER_DOWN:
		return "peer-down";
	case EVENT_ENDPOINT_MOVED:
		return "endpoint-moved";
	case EVENT_FAILOVER:
		return "failover";
	case EVENT_FIREWALL_REBUILT:
		return "firewall-rebuilt";
	case EVENT_FIREWALL_FAILED:
		return "firewall-failed";
	case EVENT_FIREWALL_OK:
		return "firewall-ok";
	case EVENT_STORE_LOST:
		return "store-lost";
	case EVENT_STORE_BACK:
		return "store-back";
	case EVENT_WATCHDOG_RESTART:
		return "watchdog-restart";
	case EVENT_WATCHDOG_FAILED:
		return "watchdog-failed";
	case EVENT_KEY_ROTATED:
		return "key-rotated";
	case EVENT_PEER_REKEYED:
		return "peer-rekeyed";
	case EVENT_KEY_REVOKED:
		return "key-revoked";
	}
	return "unknown";
}

/* Printable ASCII, spaces kept: what a terminal and a JSON string take as they are. */
static void copy_printable(char *out, size_t size, const char *s)
{
	size_t i;

	for (i = 0; s && s[i] && i + 1 < size; i++)
		out[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
	out[i] = 0;
}

void event_ring_push(struct event_ring *r, int64_t at, enum event_kind kind, const char *subject,
		     const char *detail)
{
	struct event *ev = &r->v[r->last % EVENT_RING_MAX];

	ev->seq = ++r->last;
	ev->unix_time = at;
	ev->kind = kind;
	copy_printable(ev->subject, sizeof(ev->subject), subject);
	copy_printable(ev->detail, sizeof(ev->detail), detail);
}

size_t event_ring_since(const struct event_ring *r, uint64_t since, struct event *out, size_t max,
			uint64_t *lost)
{
	/* the oldest number the ring still holds */
	uint64_t first = r->last > EVENT_RING_MAX ? r->last - EVENT_RING_MAX + 1 : 1;
	size_t n = 0;

	*lost = 0;
	if (since >= r->last)
		return 0;
	if (since + 1 < first) {
		*lost = first - since - 1;
		since = first - 1;
	}
	for (uint64_t s = since + 1; s <= r->last && n < max; s++)
		out[n++] = r->v[(s - 1) % EVENT_RING_MAX];
	return n;
}
