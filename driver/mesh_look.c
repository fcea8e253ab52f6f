/* SPDX-License-Identifier: MIT */
/*
 * The look at wgnet0 every few seconds, the device read without the lock (a userspace
 * WireGuard may take its time to answer): each peer against what the last look saw, and an
 * event for what changed: up (a handshake within STATUS_PEER_UP_SECONDS), down, or reached at
 * another endpoint.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/events.h"
#include "driver/instance.h"
#include "driver/log.h"
#include "driver/mesh_device.h"
#include "driver/mesh_look.h"

/* A peer as the last look saw it. */
struct mesh_seen {
	uint8_t key[KEYS_LEN];
	bool up;
	char endpoint[64];		/* "" = none */
};

static int seen_order(const void *a, const void *b)
{
	return memcmp(((const struct mesh_seen *)a)->key, ((const struct mesh_seen *)b)->key,
		      KEYS_LEN);
}

static const struct mesh_seen *seen_find(const struct driver *d, const uint8_t key[KEYS_LEN])
{
	struct mesh_seen probe;

	memcpy(probe.key, key, KEYS_LEN);
	return d->mesh.nseen ? bsearch(&probe, d->mesh.seen, d->mesh.nseen, sizeof(probe),
				       seen_order) : NULL;
}

/* How a peer is now (cur: the device's, NULL when the device has none), and the events that
 * make it different from before (NULL: not seen yet, then only an up is told). */
static void peer_compare(struct driver *d, const struct state_peer *sp, const struct wg_peer *cur,
			 const struct mesh_seen *before, struct mesh_seen *now_seen, time_t now)
{
	int64_t hs = cur ? cur->last_handshake_sec : 0;

	memcpy(now_seen->key, sp->public_key, KEYS_LEN);
	now_seen->up = hs && now - hs < STATUS_PEER_UP_SECONDS;
	if (cur)
		mesh_device_endpoint_text(&cur->endpoint, now_seen->endpoint,
					  sizeof(now_seen->endpoint));
	if (now_seen->up && (!before || !before->up)) {
		log_info("peer %s up: handshake %llds ago%s%s", sp->name, (long long)(now - hs),
			 now_seen->endpoint[0] ? ", endpoint " : "", now_seen->endpoint);
		events_add(d, EVENT_PEER_UP, sp->name, "handshake %llds ago%s%s",
			   (long long)(now - hs), now_seen->endpoint[0] ? ", endpoint " : "",
			   now_seen->endpoint);
	} else if (!now_seen->up && before && before->up) {
		log_info("peer %s down: no handshake for %d s", sp->name, STATUS_PEER_UP_SECONDS);
		if (hs)
			events_add(d, EVENT_PEER_DOWN, sp->name, "last handshake %llds ago",
				   (long long)(now - hs));
		else
			events_add(d, EVENT_PEER_DOWN, sp->name, "no session on %s",
				   NAMES_WG_DEVICE);
	}
	if (before && before->endpoint[0] && now_seen->endpoint[0] &&
	    strcmp(before->endpoint, now_seen->endpoint) != 0) {
		log_info("peer %s: endpoint %s, was %s", sp->name, now_seen->endpoint,
			 before->endpoint);
		events_add(d, EVENT_ENDPOINT_MOVED, sp->name, "%s, was %s", now_seen->endpoint,
			   before->endpoint);
	}
}

void mesh_look(struct driver *d)
{
	const struct wg_peer **sorted = NULL;
	struct mesh_seen *now_seen = NULL;
	struct wg_device have = { 0 };
	struct mesh_device_reader r;
	time_t now;
	int ret;

	mesh_device_reader_take(d, &r);
	if (!r.usable)
		return;		/* no event about a device being restarted or rebuilt */
	pthread_mutex_unlock(&d->lock);
	ret = mesh_device_reader_read(&r, &have);
	pthread_mutex_lock(&d->lock);
	if (ret < 0) {
		mesh_device_note_error(d, ret);
		goto out;
	}
	sorted = mesh_device_peers_sort(&have);
	now_seen = calloc(d->st.npeers + 1, sizeof(*now_seen));
	if (!sorted || !now_seen || d->stopping)
		goto out;
	now = time(NULL);
	/* the state's peers, as they are now (one may have come or gone during the read) */
	for (size_t i = 0; i < d->st.npeers; i++) {
		const struct state_peer *sp = &d->st.peers[i];

		peer_compare(d, sp, mesh_device_peer_find(sorted, have.npeers, sp->public_key),
			     seen_find(d, sp->public_key), &now_seen[i], now);
	}
	qsort(now_seen, d->st.npeers, sizeof(*now_seen), seen_order);
	free(d->mesh.seen);
	d->mesh.seen = now_seen;
	d->mesh.nseen = d->st.npeers;
	now_seen = NULL;
out:
	free(now_seen);
	free(sorted);
	wg_device_release(&have);
}

void mesh_look_forget(struct driver *d)
{
	free(d->mesh.seen);
	d->mesh.seen = NULL;
	d->mesh.nseen = 0;
}
