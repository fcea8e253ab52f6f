/* SPDX-License-Identifier: MIT */
/* Join-line peers whose new key takes over at its first handshake: see peer_rotate.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/events.h"
#include "driver/instance.h"
#include "driver/log.h"
#include "driver/mesh.h"
#include "driver/mesh_device.h"
#include "driver/peer_rotate.h"
#include "driver/persist.h"
#include "driver/store_rotate.h"
#include "driver/thread.h"

/* A join-line peer with a next key (store peers rotate through the store). */
static bool rotates(const struct driver *d, const struct state_peer *p)
{
	return p->has_next_key && !store_has_peer(d, p->public_key);
}

/* The peer takes its next key (or, undo, gets its old one back in was). */
static void takeover(struct state_peer *p, struct state_peer *was)
{
	*was = *p;
	memcpy(p->public_key, p->next_key, KEYS_LEN);
	memset(p->next_key, 0, KEYS_LEN);
	p->has_next_key = false;
}

/*
 * Each rotating peer whose next key had a handshake takes it: that host uses it now (nobody
 * else has its private half). Saved, then applied in one batch (the old key goes, the new one
 * takes the allowed IPs). Lock held; false when no peer rotates any more.
 */
static bool takeover_tick(struct driver *d)
{
	const struct wg_peer **sorted = NULL;
	struct wg_device have = { 0 };
	struct state_peer *was = NULL;
	size_t *taken = NULL, n = 0;
	struct errbuf e = { 0 };
	bool waiting = false;

	for (size_t i = 0; i < d->st.npeers && !waiting; i++)
		waiting = rotates(d, &d->st.peers[i]);
	if (!waiting || mesh_device_read(d, &have) < 0)
		return waiting;
	sorted = calloc(have.npeers + 1, sizeof(*sorted));
	taken = calloc(d->st.npeers, sizeof(*taken));
	was = calloc(d->st.npeers, sizeof(*was));
	if (!sorted || !taken || !was)
		goto out;
	for (size_t i = 0; i < have.npeers; i++)
		sorted[i] = &have.peers[i];
	qsort(sorted, have.npeers, sizeof(*sorted), mesh_device_peer_order);
	for (size_t i = 0; i < d->st.npeers; i++) {
		struct state_peer *p = &d->st.peers[i];
		const struct wg_peer *w;

		if (!rotates(d, p))
			continue;
		w = mesh_device_peer_find(sorted, have.npeers, p->next_key);
		if (w && w->last_handshake_sec) {
			takeover(p, &was[n]);
			taken[n++] = i;
		}
	}
	if (n && persist_save(d, &e) < 0) {
		log_error("key rotation: %s", e.msg);
		while (n--)	/* as they were: the next tick tries again */
			d->st.peers[taken[n]] = was[n];
	} else if (n) {
		for (size_t i = 0; i < n; i++) {
			log_info("peer %s: its new key had a handshake: it takes over",
				 d->st.peers[taken[i]].name);
			events_add(d, EVENT_PEER_REKEYED, d->st.peers[taken[i]].name,
				   "its new key took over (its first handshake)");
		}
		mesh_sync_logged(d, "key rotation");
	}
out:
	free(sorted);
	free(taken);
	free(was);
	wg_device_release(&have);
	return true;
}

static void *takeover_main(void *arg)
{
	struct driver *d = arg;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		struct timespec until;

		if (!takeover_tick(d)) {
			pthread_cond_wait(&d->rot.cond, &d->lock);
			continue;
		}
		until = thread_deadline_ms(PEER_ROTATE_POLL_MS);
		pthread_cond_timedwait(&d->rot.cond, &d->lock, &until);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

void peer_rotate_init(struct driver *d)
{
	thread_cond_init(&d->rot.cond);
}

void peer_rotate_start(struct driver *d)
{
	thread_start(d, takeover_main, &d->rot.thread, &d->rot.running, "key rotation");
}

void peer_rotate_stop(struct driver *d)
{
	thread_stop(d, &d->rot.cond, &d->rot.thread, &d->rot.running);
}

void peer_rotate_fini(struct driver *d)
{
	pthread_cond_destroy(&d->rot.cond);
}

void peer_rotate_wake(struct driver *d)
{
	pthread_cond_broadcast(&d->rot.cond);
}
