/* SPDX-License-Identifier: MIT */
/* Join lines: wgnet join-line, peer add / rm, and the host and peers of `wgnet status`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>

#include "driver/dns_server.h"
#include "driver/instance.h"
#include "driver/ipam.h"
#include "driver/join_line.h"
#include "driver/log.h"
#include "driver/mesh.h"
#include "driver/mesh_device.h"
#include "driver/mesh_key.h"
#include "driver/peer_rotate.h"
#include "driver/peers.h"
#include "driver/persist.h"
#include "driver/store_rotate.h"

void peers_join_line(const struct driver *d, const uint8_t key[KEYS_LEN],
		     char out[DRIVER_JOIN_LINE_MAX])
{
	struct join_line j = { .index = d->st.host_index };

	memcpy(j.key, key, KEYS_LEN);
	join_line_text_clean(j.endpoint, sizeof(j.endpoint), d->st.host_endpoint);
	if (d->st.host_name[0])
		snprintf(j.name, sizeof(j.name), "%s", d->st.host_name);
	else
		snprintf(j.name, sizeof(j.name), "host%u", d->st.host_index);
	join_line_format(&j, out);
}

int driver_join_line(struct driver *d, char out[DRIVER_JOIN_LINE_MAX], struct errbuf *e)
{
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	if (!d->st.host_index || !d->st.has_host_key)
		ret = errbuf_set(e, -EAGAIN, "this host has no wgnet index yet: run 'wgnet init "
				 "--index N' first");
	else
		peers_join_line(d, d->st.host_public_key, out);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* A key no peer and not this host has (for a peer's next key: but skip's own). */
static int key_check(const struct driver *d, const uint8_t key[KEYS_LEN],
		     const struct state_peer *skip, struct errbuf *e)
{
	char b64[KEYS_B64_LEN];

	if (memcmp(key, d->st.host_public_key, KEYS_LEN) == 0)
		return errbuf_set(e, -EEXIST, "that key is this host's own public key");
	for (size_t i = 0; i < d->st.npeers; i++) {
		const struct state_peer *p = &d->st.peers[i];

		if (p != skip && (memcmp(p->public_key, key, KEYS_LEN) == 0 ||
				  (p->has_next_key && memcmp(p->next_key, key, KEYS_LEN) == 0))) {
			keys_b64(key, b64);
			return errbuf_set(e, -EEXIST, "peer %s already has key %s", p->name, b64);
		}
	}
	return 0;
}

/*
 * The line of a known join-line peer (its index and name) with another key: that host rotates
 * its key. The new key waits on wgnet0 beside the old one, without allowed IPs, and takes over
 * at its first handshake (driver/peer_rotate.c). NULL when the line is not that; *e worded when
 * it is but cannot be taken.
 */
static struct state_peer *rotation_of(struct driver *d, const struct join_line *j, int *ret,
				      struct errbuf *e)
{
	for (size_t i = 0; i < d->st.npeers; i++) {
		struct state_peer *p = &d->st.peers[i];

		if (p->index != j->index || strcmp(p->name, j->name) != 0 ||
		    memcmp(p->public_key, j->key, KEYS_LEN) == 0)
			continue;
		if (store_has_peer(d, p->public_key)) {
			*ret = errbuf_set(e, -EEXIST, "peer %s comes from the store: its key changes "
					  "there (wgnet key rotate on that host)", p->name);
			return NULL;
		}
		*ret = key_check(d, j->key, p, e);
		return *ret < 0 ? NULL : p;
	}
	return NULL;
}

static int peer_check(const struct driver *d, const struct join_line *j, struct errbuf *e)
{
	if (j->index == d->st.host_index)
		return errbuf_set(e, -EEXIST, "index %u is this host's own index: each host needs "
				  "its own (is this the line of this host?)", j->index);
	for (size_t i = 0; i < d->st.npeers; i++) {
		const struct state_peer *p = &d->st.peers[i];

		if (p->index == j->index)
			return errbuf_set(e, -EEXIST, "peer %s already has index %u (its slices would "
					  "overlap): remove it first (wgnet peer rm %s)", p->name,
					  j->index, p->name);
		if (strcmp(p->name, j->name) == 0)
			return errbuf_set(e, -EEXIST, "a peer named %s exists already: remove it "
					  "first (wgnet peer rm %s)", j->name, j->name);
	}
	return key_check(d, j->key, NULL, e);
}

/* The peer rotates to the line's key: saved and applied (the new key waits on wgnet0). */
static int peer_rotation_add(struct driver *d, struct state_peer *p, const struct join_line *j,
			     struct errbuf *e)
{
	struct state_peer was = *p;
	struct errbuf me = { 0 };
	int ret;

	p->has_next_key = true;
	memcpy(p->next_key, j->key, KEYS_LEN);
	ret = persist_save(d, e);
	if (ret < 0) {
		*p = was;
		return ret;
	}
	log_info("peer %s: its new key waits beside the old one until its first handshake",
		 p->name);
	if (mesh_sync(d, &me) < 0)
		log_error("peer %s: %s", p->name, me.msg);
	peer_rotate_wake(d);
	return 0;
}

int driver_peer_add(struct driver *d, const struct peer_add_req *req, char name[DRIVER_NAME_MAX],
		    bool *rotates, struct errbuf *e)
{
	struct errbuf me = { 0 };
	struct state_peer *p;
	struct join_line j;
	int ret;

	ret = join_line_parse(req->join_line, &j, e);
	if (ret < 0)
		return ret;
	if (req->endpoint && req->endpoint[0]) {
		ret = join_line_endpoint_check(req->endpoint, e);
		if (ret < 0)
			return ret;
		snprintf(j.endpoint, sizeof(j.endpoint), "%s", req->endpoint);
	}
	if (req->no_endpoint)
		j.endpoint[0] = 0;
	if (req->keepalive > 65535)
		return errbuf_set(e, -EINVAL, "keepalive %d out of range 0..65535", req->keepalive);

	pthread_mutex_lock(&d->lock);
	if (!d->st.host_index || !d->st.has_host_key) {
		ret = errbuf_set(e, -EAGAIN, "this host has no wgnet index yet: run 'wgnet init "
				 "--index N' first");
		goto out;
	}
	p = rotation_of(d, &j, &ret, e);
	*rotates = p != NULL;
	if (p || ret < 0) {
		ret = ret < 0 ? ret : peer_rotation_add(d, p, &j, e);
		if (ret == 0)
			snprintf(name, DRIVER_NAME_MAX, "%s", j.name);
		goto out;
	}
	ret = peer_check(d, &j, e);
	if (ret < 0)
		goto out;
	p = state_peer_add(&d->st);
	if (!p) {
		ret = errbuf_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	snprintf(p->name, sizeof(p->name), "%s", j.name);
	p->index = j.index;
	memcpy(p->public_key, j.key, KEYS_LEN);
	snprintf(p->endpoint, sizeof(p->endpoint), "%s", j.endpoint);
	p->keepalive = (uint16_t)(req->keepalive < 0 ? 25 : req->keepalive);
	ret = persist_save(d, e);
	if (ret < 0) {
		state_peer_remove(&d->st, d->st.npeers - 1);
		goto out;
	}
	snprintf(name, DRIVER_NAME_MAX, "%s", j.name);
	log_info("peer %s added: index %u%s%s", j.name, j.index, j.endpoint[0] ? ", endpoint " :
		 ", no endpoint", j.endpoint);
	/* Saved: a failure to program it now is retried at the next change or start. */
	if (mesh_sync(d, &me) < 0)
		log_error("peer %s: %s", j.name, me.msg);
	dns_server_sync(d);		/* a join-line peer is asked for names */
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int driver_peer_rm(struct driver *d, const char *peer, char name[DRIVER_NAME_MAX],
		   struct errbuf *e)
{
	uint8_t key[KEYS_LEN];
	struct state_peer gone;
	bool by_key = keys_from_b64(peer, key) == 0;
	size_t i;
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->st.npeers; i++)
		if (strcmp(d->st.peers[i].name, peer) == 0 ||
		    (by_key && memcmp(d->st.peers[i].public_key, key, KEYS_LEN) == 0))
			break;
	if (i == d->st.npeers) {
		ret = errbuf_set(e, -ENOENT, "no peer named or with key '%.64s' (see wgnet peer ls)",
				 peer);
		goto out;
	}
	gone = d->st.peers[i];
	memmove(&d->st.peers[i], &d->st.peers[i + 1], (d->st.npeers - i - 1) * sizeof(gone));
	d->st.npeers--;
	ret = persist_save(d, e);
	if (ret < 0) {
		memmove(&d->st.peers[i + 1], &d->st.peers[i], (d->st.npeers - i) * sizeof(gone));
		d->st.peers[i] = gone;
		d->st.npeers++;
		goto out;
	}
	snprintf(name, DRIVER_NAME_MAX, "%s", gone.name);
	log_info("peer %s removed", gone.name);
	ret = mesh_device_peer_remove(d, gone.public_key);
	if (ret < 0 && ret != -ENODEV)
		log_error("peer %s: could not remove it from %s: %s (it goes at the next start)",
			  gone.name, NAMES_WG_DEVICE, strerror(-ret));
	ret = 0;
	dns_server_sync(d);
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int peers_state_fill(struct driver *d, struct driver_status *s)
{
	snprintf(s->host_name, sizeof(s->host_name), "%s", d->st.host_name);
	s->listen_port = d->st.listen_port ? d->st.listen_port : WG_DEFAULT_PORT;
	if (d->st.host_index && d->st.has_host_key) {
		uint8_t next[KEYS_LEN];

		keys_b64(d->st.host_public_key, s->public_key);
		peers_join_line(d, d->st.host_public_key, s->join_line);
		if (mesh_key_pending(d, next))
			keys_b64(next, s->next_key);
	}
	s->peers = calloc(d->st.npeers ? d->st.npeers : 1, sizeof(*s->peers));
	if (!s->peers)
		return -ENOMEM;
	for (size_t i = 0; i < d->st.npeers; i++) {
		const struct state_peer *sp = &d->st.peers[i];
		struct status_peer *out = &s->peers[i];
		size_t k = 0;

		snprintf(out->name, sizeof(out->name), "%s", sp->name);
		out->index = sp->index;
		keys_b64(sp->public_key, out->public_key);
		memcpy(out->key, sp->public_key, sizeof(out->key));
		if (sp->has_next_key)
			keys_b64(sp->next_key, out->next_key);
		join_line_text_clean(out->configured_endpoint, sizeof(out->configured_endpoint),
				     sp->endpoint);
		out->keepalive = sp->keepalive;
		out->allowed_ips = calloc(d->st.npools ? d->st.npools : 1, sizeof(*out->allowed_ips));
		s->npeers = i + 1;
		if (!out->allowed_ips)
			return -ENOMEM;
		for (size_t j = 0; j < d->st.npools; j++) {
			const struct state_pool *p = &d->st.pools[j];
			struct cidr slice;

			if (p->network_id[0] &&
			    ipam_slice_for(&p->pool, sp->index, p->slice.len, &slice, NULL) == 0)
				cidr_format(&slice, out->allowed_ips[k++]);
		}
		out->nallowed_ips = k;
	}
	return 0;
}

int peers_status_fill(struct driver *d, struct driver_status *s)
{
	int ret = peers_state_fill(d, s);

	return ret < 0 ? ret : mesh_device_status_fill(d, s);
}

bool driver_peer_up(const struct status_peer *p)
{
	return p->latest_handshake && time(NULL) - p->latest_handshake < STATUS_PEER_UP_SECONDS;
}
