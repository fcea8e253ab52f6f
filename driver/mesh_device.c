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

static void endpoint_text(const struct sockaddr_storage *ss, char *out, size_t size)
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

/*
 * The device's side of `wgnet status`: backend, state, and for each peer of s (those of the
 * state, in its order) where the device reaches it, its last handshake and traffic.
 */
int mesh_device_status_fill(struct driver *d, struct driver_status *s)
{
	const struct wg_peer **sorted = NULL;
	struct wg_device have = { 0 };
	struct link_info li;

	s->backend = d->mesh.ready ? d->mesh.wg.name : "none";
	snprintf(s->wg_problem, sizeof(s->wg_problem), "%s",
		 d->mesh.hung ? "not answering: being checked" : d->mesh.problem);
	s->device_up = link_get(d->nl, NAMES_WG_DEVICE, &li) == 0 && li.up;
	if (mesh_device_read(d, &have) < 0 || !have.npeers)
		goto out;
	sorted = calloc(have.npeers, sizeof(*sorted));
	if (!sorted) {
		wg_device_release(&have);
		return -ENOMEM;
	}
	for (size_t i = 0; i < have.npeers; i++)
		sorted[i] = &have.peers[i];
	qsort(sorted, have.npeers, sizeof(*sorted), mesh_device_peer_order);
	for (size_t i = 0; i < s->npeers && i < d->st.npeers; i++) {
		const struct wg_peer *cur = mesh_device_peer_find(sorted, have.npeers,
						      d->st.peers[i].public_key);
		struct status_peer *out = &s->peers[i];

		if (!cur)
			continue;
		endpoint_text(&cur->endpoint, out->endpoint, sizeof(out->endpoint));
		out->latest_handshake = cur->last_handshake_sec;
		out->rx_bytes = cur->rx_bytes;
		out->tx_bytes = cur->tx_bytes;
	}
out:
	free(sorted);
	wg_device_release(&have);
	return 0;
}
