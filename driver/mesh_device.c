/* SPDX-License-Identifier: MIT */
/*
 * wgnet0's calls, for the mesh and for the rooms above it (peers.c, the store): each one skips
 * a device that is not configured or was found hung, and marks it hung when a call times out
 * (the watchdog then checks it at once), so that no caller can forget either.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/instance.h"
#include "driver/log.h"
#include "driver/mesh_device.h"
#include "netlink/link.h"

int mesh_device_peer_order(const void *a, const void *b)
{
	return memcmp((*(const struct wg_peer *const *)a)->public_key,
		      (*(const struct wg_peer *const *)b)->public_key, KEYS_LEN);
}

/* The device's peer with this key in have sorted by key (mesh_device_peer_order), NULL if none. */
const struct wg_peer *mesh_device_peer_find(const struct wg_peer *const *sorted, size_t n,
				       const uint8_t key[KEYS_LEN])
{
	struct wg_peer probe;
	const struct wg_peer *p = &probe, *const *f;

	memcpy(probe.public_key, key, KEYS_LEN);
	f = n ? bsearch(&p, sorted, n, sizeof(*sorted), mesh_device_peer_order) : NULL;
	return f ? *f : NULL;
}

bool mesh_device_usable(const struct driver *d)
{
	return d->mesh.ready && !d->mesh.hung;
}

void mesh_device_note_error(struct driver *d, int ret)
{
	if (ret == -ETIMEDOUT && d->mesh.watch && !d->mesh.hung) {
		d->mesh.hung = true;
		log_warn("the userspace WireGuard of %s did not answer in time: leaving it to the "
			 "watchdog", NAMES_WG_DEVICE);
	}
}

int mesh_device_read(struct driver *d, struct wg_device *out)
{
	int ret;

	if (!mesh_device_usable(d))
		return -ENODEV;
	ret = d->mesh.wg.get_device(&d->mesh.wg, NAMES_WG_DEVICE, out);
	mesh_device_note_error(d, ret);
	return ret;
}

/* One peer's change, the device's other peers as they are. */
static int peer_set(struct driver *d, struct wg_peer *one)
{
	int ret;

	if (!mesh_device_usable(d))
		return -ENODEV;
	ret = d->mesh.wg.set_peers(&d->mesh.wg, NAMES_WG_DEVICE, one, 1);
	mesh_device_note_error(d, ret);
	return ret;
}

int mesh_device_peer_endpoint(struct driver *d, const struct wg_peer *cur,
			   const struct sockaddr_storage *endpoint)
{
	struct wg_peer one = { .endpoint = *endpoint, .keepalive = cur->keepalive };

	memcpy(one.public_key, cur->public_key, KEYS_LEN);
	return peer_set(d, &one);
}

int mesh_device_peer_remove(struct driver *d, const uint8_t key[KEYS_LEN])
{
	struct wg_peer one = { .remove = true };

	memcpy(one.public_key, key, KEYS_LEN);
	return peer_set(d, &one);
}

void mesh_device_endpoint_text(const struct sockaddr_storage *ss, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	out[0] = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(out, size, "%s:%u", a, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(out, size, "[%s]:%u", a, ntohs(in6->sin6_port));
	}
}

const struct wg_peer **mesh_device_peers_sort(const struct wg_device *have)
{
	const struct wg_peer **sorted = calloc(have->npeers + 1, sizeof(*sorted));

	if (!sorted)
		return NULL;
	for (size_t i = 0; i < have->npeers; i++)
		sorted[i] = &have->peers[i];
	qsort(sorted, have->npeers, sizeof(*sorted), mesh_device_peer_order);
	return sorted;
}

int mesh_device_status_merge(const struct wg_device *have, struct driver_status *s)
{
	const struct wg_peer **sorted;

	if (!have->npeers)
		return 0;
	sorted = mesh_device_peers_sort(have);
	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < s->npeers; i++) {
		struct status_peer *out = &s->peers[i];
		const struct wg_peer *cur = mesh_device_peer_find(sorted, have->npeers, out->key);

		if (!cur)
			continue;
		out->on_device = true;
		mesh_device_endpoint_text(&cur->endpoint, out->endpoint, sizeof(out->endpoint));
		out->latest_handshake = cur->last_handshake_sec;
		out->rx_bytes = cur->rx_bytes;
		out->tx_bytes = cur->tx_bytes;
	}
	free(sorted);
	return 0;
}

static void problem_fill(const struct driver *d, struct driver_status *s)
{
	s->backend = d->mesh.ready ? d->mesh.wg.name : "none";
	snprintf(s->wg_problem, sizeof(s->wg_problem), "%s",
		 d->mesh.hung ? "not answering: being checked" : d->mesh.problem);
}

/*
 * The device's side of `wgnet status`: backend, state, and for each peer of s (those of the
 * state, in its order) where the device reaches it, its last handshake and traffic.
 */
int mesh_device_status_fill(struct driver *d, struct driver_status *s)
{
	struct wg_device have = { 0 };
	struct link_info li;
	int ret = 0;

	problem_fill(d, s);
	s->device_up = link_get(d->nl, NAMES_WG_DEVICE, &li) == 0 && li.up;
	if (mesh_device_read(d, &have) == 0)
		ret = mesh_device_status_merge(&have, s);
	wg_device_release(&have);
	return ret;
}

void mesh_device_reader_take(const struct driver *d, struct mesh_device_reader *r)
{
	r->wg = d->mesh.wg;
	r->usable = mesh_device_usable(d);
}

int mesh_device_reader_read(const struct mesh_device_reader *r, struct wg_device *out)
{
	if (!r->usable)
		return -ENODEV;
	return r->wg.get_device(&r->wg, NAMES_WG_DEVICE, out);
}

void mesh_device_metrics_fill(const struct driver *d, struct driver_metrics *m,
			      struct mesh_device_reader *r)
{
	problem_fill(d, &m->st);
	m->watchdog_restarts = d->mesh.restarts;
	m->watchdog_restart_failures = d->mesh.restart_failures;
	mesh_device_reader_take(d, r);
}
