/* SPDX-License-Identifier: MIT */
/*
 * wgnet key rotate: through the store when there is one (store_rotate.c: all of it at once),
 * else in two steps with join lines: the new pair and its line, which every other host adds
 * (the new key waits there beside the old one), then --finish, the switch (the others' new key
 * takes over at its first handshake: peer_rotate.c).
 */
#include <errno.h>
#include <string.h>

#include "driver/instance.h"
#include "driver/log.h"
#include "driver/mesh_key.h"
#include "driver/peers.h"
#include "driver/store_rotate.h"

/* The join line with the key in use, and how many peers need it (the join lines'). */
static void reply_fill(struct driver *d, struct key_rotate_reply *out)
{
	uint8_t next[KEYS_LEN];
	bool pending = mesh_key_pending(d, next);

	peers_join_line(d, pending ? next : d->st.host_public_key, out->join_line);
	if (!out->old_key[0])
		keys_b64(d->st.host_public_key, out->old_key);
	keys_b64(pending ? next : d->st.host_public_key, out->new_key);
	for (size_t i = 0; i < d->st.npeers; i++)
		out->line_peers += !store_has_peer(d, d->st.peers[i].public_key);
}

/* Without a store: the first call makes the new pair (or shows the one made before), finish
 * switches to it. Lock held. */
static int rotate_join_lines(struct driver *d, bool finish, struct key_rotate_reply *out,
			     struct errbuf *e)
{
	uint8_t next[KEYS_LEN];
	int ret;

	if (!finish) {
		ret = mesh_key_next(d, next, e);
		if (ret == 0)
			log_info("key rotation: a new key pair waits; the other hosts add its join "
				 "line, then wgnet key rotate --finish switches to it");
		return ret;
	}
	if (!mesh_key_pending(d, NULL))
		return errbuf_set(e, -ENOENT, "no key rotation is under way: wgnet key rotate "
				  "first makes the new key and its join line");
	keys_b64(d->st.host_public_key, out->old_key);
	ret = mesh_key_switch(d, e);
	out->switched = ret == 0;
	if (ret == 0)
		log_info("key rotation: this host uses its new key");
	return ret;
}

int driver_key_rotate(struct driver *d, const struct key_rotate_req *req,
		      struct key_rotate_reply *out, struct errbuf *e)
{
	bool store;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&d->lock);
	store = store_configured(d);
	if (!d->st.host_index || !d->st.has_host_key)
		ret = errbuf_set(e, -EAGAIN, "this host has no wgnet index yet: run 'wgnet init' "
				 "first");
	else if (store && req->finish)
		ret = errbuf_set(e, -EINVAL, "with a store, wgnet key rotate switches by itself "
				 "once the other hosts have the new key: no --finish");
	else if (!store)
		ret = rotate_join_lines(d, req->finish, out, e);
	if (ret == 0 && store) {
		keys_b64(d->st.host_public_key, out->old_key);
		pthread_mutex_unlock(&d->lock);		/* it waits for the store */
		ret = store_key_rotate(d, out, e);
		pthread_mutex_lock(&d->lock);
		out->store = true;
	}
	if (ret == 0)
		reply_fill(d, out);
	pthread_mutex_unlock(&d->lock);
	return ret;
}
