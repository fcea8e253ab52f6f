/* SPDX-License-Identifier: MIT */
/* wgnet0's key pair across a rotation: the next pair, and the switch to it (mesh_key.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/events.h"
#include "driver/instance.h"
#include "driver/log.h"
#include "driver/mesh_device.h"
#include "driver/mesh_key.h"
#include "driver/persist.h"

void mesh_key_load(struct driver *d)
{
	struct errbuf e = { 0 };
	int ret = keys_load(d->mesh.next_path, &d->mesh.next, &e);

	d->mesh.has_next = ret == 0;
	if (ret < 0 && ret != -ENOENT)
		log_error("%s, ignoring", e.msg);
	else if (ret == 0)
		log_info("a key rotation is under way: %s is kept", d->mesh.next_path);
}

int mesh_key_next(struct driver *d, uint8_t pub[KEYS_LEN], struct errbuf *e)
{
	int ret = 0;

	if (!d->mesh.has_next)
		ret = keys_load_or_create(d->mesh.next_path, &d->mesh.next, e);
	if (ret < 0)
		return ret;
	d->mesh.has_next = true;
	memcpy(pub, d->mesh.next.pub, KEYS_LEN);
	return 0;
}

bool mesh_key_pending(const struct driver *d, uint8_t pub[KEYS_LEN])
{
	if (d->mesh.has_next && pub)
		memcpy(pub, d->mesh.next.pub, KEYS_LEN);
	return d->mesh.has_next;
}

void mesh_key_forget(struct driver *d)
{
	if (unlink(d->mesh.next_path) < 0 && errno != ENOENT)
		log_warn("could not remove %s: %s, ignoring", d->mesh.next_path, strerror(errno));
	keys_wipe(&d->mesh.next);
	d->mesh.has_next = false;
}

/* Every peer of the state once with keepalive off, then on: a keepalive goes out, which starts
 * a handshake (the device's sessions expired with the key). */
static int handshakes_start(struct driver *d)
{
	struct wg_peer *v = calloc(3 * d->st.npeers + 1, sizeof(*v));
	size_t n = 0;
	int ret;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < d->st.npeers; i++) {
		const struct state_peer *p = &d->st.peers[i];

		memcpy(v[n++].public_key, p->public_key, KEYS_LEN);
		memcpy(v[n].public_key, p->public_key, KEYS_LEN);
		v[n++].keepalive = p->keepalive ? p->keepalive : 1;
		if (!p->keepalive)	/* the one it has, once the keepalive has left */
			memcpy(v[n++].public_key, p->public_key, KEYS_LEN);
	}
	ret = n ? d->mesh.wg.set_peers(&d->mesh.wg, NAMES_WG_DEVICE, v, n) : 0;
	free(v);
	return ret;
}

/* wgnet0 given the next private key, and a handshake started with every peer. */
static int device_switch(struct driver *d)
{
	struct wg_device dev = { .has_private_key = true };
	int ret;

	if (!mesh_device_usable(d))
		return 0;		/* mesh_start gives it the key when it is back */
	snprintf(dev.ifname, sizeof(dev.ifname), "%s", NAMES_WG_DEVICE);
	memcpy(dev.private_key, d->mesh.next.priv, KEYS_LEN);
	ret = d->mesh.wg.set_device(&d->mesh.wg, &dev);
	wg_device_release(&dev);
	if (ret == 0)
		ret = handshakes_start(d);
	mesh_device_note_error(d, ret);
	return ret;
}

int mesh_key_switch(struct driver *d, struct errbuf *e)
{
	struct errbuf step = { 0 };
	int ret, dret;

	if (!d->mesh.has_next)
		return errbuf_set(e, -ENOENT, "no key rotation is under way");
	/* the device first: the peers swap their entry when the store tells them, and every
	 * millisecond between the two loses packets; the files after (a stop in between: the
	 * pending key is still there, and the switch is done again) */
	dret = device_switch(d);
	ret = keys_promote(d->mesh.next_path, d->mesh.key_path, e);
	if (ret < 0)
		return ret;
	d->mesh.keys = d->mesh.next;
	keys_wipe(&d->mesh.next);
	d->mesh.has_next = false;
	memcpy(d->st.host_public_key, d->mesh.keys.pub, KEYS_LEN);
	d->st.has_host_key = true;
	if (persist_save(d, &step) < 0)	/* the next start takes the key from its file */
		log_error("key rotation: %s", step.msg);
	events_add(d, EVENT_KEY_ROTATED, NAMES_WG_DEVICE, "this host uses its new key now%s",
		   dret < 0 ? " (wgnet0 takes it at the next start)" : "");
	if (dret < 0)
		return errbuf_set(e, dret, "the new key is saved, but %s could not take it: %s (it "
				  "does at the next start)", NAMES_WG_DEVICE, strerror(-dret));
	return 0;
}
