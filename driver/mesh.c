/* SPDX-License-Identifier: MIT */
/*
 * The WireGuard mesh: the device wgnet0 (kernel, or a userspace implementation when the kernel
 * has none), one peer per remote host whose allowed IPs are its slice of every pool this host
 * has, and one route per pool through wgnet0. Converges by difference: peers the state does not
 * name are removed one by one, never by replacing the whole list, so live peers never drop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "driver/firewall.h"
#include "driver/instance.h"
#include "driver/ipam.h"
#include "driver/log.h"
#include "driver/mesh.h"
#include "driver/mesh_device.h"
#include "driver/persist.h"
#include "driver/resolve.h"
#include "netlink/link.h"
#include "netlink/nl.h"
#include "netlink/route.h"
#include "netlink/wg_userspace.h"
#include "process/cgroup.h"

#define MESH_DEFAULT_KEEPALIVE 25

static bool backend_is_kernel(const struct driver *d)
{
	return strcmp(d->mesh.wg.name, "kernel") == 0;
}

static int backend_pick(struct driver *d, struct errbuf *e)
{
	bool kernel = wg_genl_available() == 0;

	if (strcmp(d->mesh.mode, "kernel") == 0 && !kernel)
		return errbuf_set(e, -EPROTONOSUPPORT, "the kernel has no WireGuard (module "
				  "wireguard), but --wg-backend kernel was given");
	if (kernel && strcmp(d->mesh.mode, "userspace") != 0)
		d->mesh.wg = wg_backend_kernel;
	else
		wg_backend_userspace(&d->mesh.wg, NULL);
	return 0;
}

static int device_kernel_ensure(struct driver *d, struct errbuf *e)
{
	struct link_info li;
	int ret;

	ret = link_get(d->nl, NAMES_WG_DEVICE, &li);
	if (ret == 0 && strcmp(li.kind, "wireguard") != 0)
		return errbuf_set(e, -EEXIST, "a %s link named %s exists and is not WireGuard: "
				  "delete it (ip link del %s)", li.kind[0] ? li.kind : "non-wireguard",
				  NAMES_WG_DEVICE, NAMES_WG_DEVICE);
	if (ret == -ENODEV)
		ret = link_wireguard_create(d->nl, NAMES_WG_DEVICE, d->st.mtu);
	if (ret < 0)
		return errbuf_set(e, ret, "could not create %s: %s", NAMES_WG_DEVICE,
				  nl_strerror(d->nl, ret));
	return 0;
}

static int device_userspace_ensure(struct driver *d, struct errbuf *e)
{
	const char *prog = d->mesh.program[0] ? d->mesh.program : NULL;
	struct link_info li;
	pid_t pid;
	int ret;

	ret = wg_userspace_probe(NULL, NAMES_WG_DEVICE);
	if (ret == 1)
		return 0;	/* adopted: it outlived the previous wgnetd */
	if (ret < 0 && ret != -ETIMEDOUT)
		return errbuf_set(e, ret, "could not check the WireGuard socket of %s: %s",
				  NAMES_WG_DEVICE, strerror(-ret));
	/* A device of that name with nobody serving it is left by a dead process. */
	if (link_get(d->nl, NAMES_WG_DEVICE, &li) == 0)
		link_del(d->nl, NAMES_WG_DEVICE);
	ret = wg_userspace_start(prog, NULL, NAMES_WG_DEVICE, &pid);
	if (ret < 0)
		return errbuf_set(e, ret, "could not start %s for %s: %s",
				  prog ? prog : "wireguard-go", NAMES_WG_DEVICE, strerror(-ret));
	log_info("started %s for %s (pid %d)", prog ? prog : "wireguard-go", NAMES_WG_DEVICE,
		 (int)pid);
	/* managed plugin: dockerd kills the plugin's whole cgroup when it stops the plugin */
	if (d->mesh.cgroup_root[0]) {
		ret = cgroup_move_like(pid, getppid(), d->mesh.cgroup_root);
		if (ret < 0)
			log_warn("could not move %s (pid %d) out of wgnetd's cgroup under %s: %s; "
				 "the tunnel will stop with wgnetd", prog ? prog : "wireguard-go",
				 (int)pid, d->mesh.cgroup_root, strerror(-ret));
	}
	return 0;
}

/* The peer's slice of every pool of a network of this host. */
static int peer_allowed_ips(const struct driver *d, const struct state_peer *sp,
			    struct wg_allowed_ip **out, size_t *n)
{
	struct wg_allowed_ip *v = calloc(d->st.npools ? d->st.npools : 1, sizeof(*v));
	size_t k = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < d->st.npools; i++) {
		const struct state_pool *p = &d->st.pools[i];
		struct cidr slice;
		bool dup = false;

		if (!p->network_id[0] ||
		    ipam_slice_for(&p->pool, sp->index, p->slice.len, &slice, NULL) < 0)
			continue;
		for (size_t j = 0; j < k; j++)
			dup |= v[j].addr == slice.addr && v[j].len == slice.len;
		if (!dup)
			v[k++] = (struct wg_allowed_ip){ .addr = slice.addr, .len = slice.len };
	}
	*out = v;
	*n = k;
	return 0;
}

static void peers_free(struct wg_peer *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].allowed_ips);
	free(v);
}

/* The device as it is: key, port, peers. The caller releases it. */
static int device_read(struct driver *d, struct wg_device *have, struct errbuf *e)
{
	int ret = d->mesh.wg.get_device(&d->mesh.wg, NAMES_WG_DEVICE, have);

	if (ret < 0)
		return errbuf_set(e, ret, "could not read %s: %s", NAMES_WG_DEVICE, strerror(-ret));
	return 0;
}

static bool allowed_ips_have(const struct wg_allowed_ip *v, size_t n,
			     const struct wg_allowed_ip *a)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].addr == a->addr && v[i].len == a->len)
			return true;
	return false;
}

/*
 * A peer the device has (cur) is only given the allowed IPs it lacks, unless one of its own
 * must go: replacing the list empties it for a moment (the kernel removes the old entries
 * before it adds the new ones), and a packet of that moment is dropped. p holds them all.
 */
static void allowed_ips_delta(const struct wg_peer *cur, struct wg_peer *p)
{
	size_t k = 0;

	for (size_t i = 0; i < cur->nallowed_ips; i++)
		if (!allowed_ips_have(p->allowed_ips, p->nallowed_ips, &cur->allowed_ips[i]))
			return;
	for (size_t i = 0; i < p->nallowed_ips; i++)
		if (!allowed_ips_have(cur->allowed_ips, cur->nallowed_ips, &p->allowed_ips[i]))
			p->allowed_ips[k++] = p->allowed_ips[i];
	p->nallowed_ips = k;
	p->replace_allowed_ips = false;
}

/* Nothing of p to set on the device's peer cur: an apply sends only what changes (a store's
 * change is applied on every host, and each would otherwise send every peer again). */
static bool peer_unchanged(const struct wg_peer *cur, const struct wg_peer *p)
{
	return cur && !p->replace_allowed_ips && !p->nallowed_ips &&
	       p->keepalive == cur->keepalive && p->endpoint.ss_family == AF_UNSPEC;
}

/*
 * A peer's next key (it rotates): on the device beside its key, with no allowed IPs and no
 * keepalive, so that the peer's first handshake with it is accepted; it takes the allowed IPs
 * when it takes over. Its endpoint is the one the device uses for the peer (cur), else the
 * configured one.
 */
static void next_key_add(struct driver *d, const struct state_peer *sp, const struct wg_peer *cur,
			 const struct wg_peer *const *sorted, size_t nhave, bool *named,
			 const struct wg_peer *have, struct wg_peer *p)
{
	const struct wg_peer *ncur = mesh_device_peer_find(sorted, nhave, sp->next_key);

	memcpy(p->public_key, sp->next_key, KEYS_LEN);
	p->replace_allowed_ips = !ncur || ncur->nallowed_ips;
	if (ncur)
		named[ncur - have] = true;
	if (ncur && ncur->endpoint.ss_family != AF_UNSPEC)
		return;
	if (cur && cur->endpoint.ss_family != AF_UNSPEC)
		p->endpoint = cur->endpoint;
	else if (sp->endpoint[0])
		resolve_endpoint(d, sp->endpoint, &p->endpoint);
}

/*
 * Every peer of the state with its current allowed IPs, in one set operation; a peer the
 * device already reaches (in have) keeps the endpoint it roamed to, and its allowed IPs
 * change only as far as they must. Peers the state does not name go.
 */
static int peers_apply(struct driver *d, const struct wg_device *have, struct errbuf *e)
{
	/* sorted by key, and which ones the state names: no scan of the device per peer (65,535
	 * peers from a store) */
	const struct wg_peer **sorted = calloc(have->npeers + 1, sizeof(*sorted));
	bool *named = calloc(have->npeers + 1, sizeof(*named));
	struct wg_peer *v = calloc(2 * d->st.npeers + have->npeers + 1, sizeof(*v));
	size_t n = 0;
	int ret;

	if (!sorted || !named || !v) {
		ret = errbuf_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < have->npeers; i++)
		sorted[i] = &have->peers[i];
	qsort(sorted, have->npeers, sizeof(*sorted), mesh_device_peer_order);
	for (size_t i = 0; i < d->st.npeers; i++) {
		const struct state_peer *sp = &d->st.peers[i];
		const struct wg_peer *cur = mesh_device_peer_find(sorted, have->npeers, sp->public_key);
		struct wg_peer *p = &v[n++];

		memcpy(p->public_key, sp->public_key, KEYS_LEN);
		p->keepalive = sp->keepalive;
		p->replace_allowed_ips = true;
		ret = peer_allowed_ips(d, sp, &p->allowed_ips, &p->nallowed_ips);
		if (ret < 0) {
			ret = errbuf_set(e, ret, "out of memory");
			goto out;
		}
		if (cur) {
			named[cur - have->peers] = true;
			allowed_ips_delta(cur, p);
		}
		/* a name being resolved: the resolver thread applies it when it has an answer */
		if (sp->endpoint[0] && !(cur && cur->endpoint.ss_family != AF_UNSPEC) &&
		    resolve_endpoint(d, sp->endpoint, &p->endpoint) < 0)
			log_debug("peer %s: no address for endpoint %s yet", sp->name, sp->endpoint);
		if (peer_unchanged(cur, p)) {
			free(p->allowed_ips);
			*p = (struct wg_peer){ 0 };
			n--;
		}
		if (sp->has_next_key) {
			p = &v[n++];
			next_key_add(d, sp, cur, sorted, have->npeers, named, have->peers, p);
			if (peer_unchanged(mesh_device_peer_find(sorted, have->npeers, sp->next_key), p)) {
				*p = (struct wg_peer){ 0 };
				n--;
			}
		}
	}
	for (size_t i = 0; i < have->npeers; i++) {
		if (named[i])
			continue;
		memcpy(v[n].public_key, have->peers[i].public_key, KEYS_LEN);
		v[n++].remove = true;
	}
	ret = n ? d->mesh.wg.set_peers(&d->mesh.wg, NAMES_WG_DEVICE, v, n) : 0;
	if (ret < 0)
		errbuf_set(e, ret, "could not configure the peers of %s: %s", NAMES_WG_DEVICE,
			   strerror(-ret));
out:
	peers_free(v, n);
	free(sorted);
	free(named);
	return ret;
}

static bool route_wanted(const struct state *st, const struct route *r)
{
	if (strcmp(r->ifname, NAMES_WG_DEVICE) != 0)
		return false;
	for (size_t i = 0; i < st->npools; i++)
		if (st->pools[i].network_id[0] && st->pools[i].pool.addr == r->dst &&
		    st->pools[i].pool.len == r->len)
			return true;
	return false;
}

/* One route per pool through wgnet0; the local slice on its bridge is more specific. */
static int routes_apply(struct driver *d, struct errbuf *e)
{
	struct route *have = NULL;
	size_t nhave = 0;
	int ret, first = 0;

	ret = route_dump_proto(d->nl, NAMES_ROUTE_PROTO, &have, &nhave);
	if (ret < 0)
		return errbuf_set(e, ret, "could not list routes: %s", nl_strerror(d->nl, ret));
	for (size_t i = 0; i < nhave; i++) {
		if (route_wanted(&d->st, &have[i]))
			continue;
		ret = route_del(d->nl, &have[i]);
		if (ret < 0 && ret != -ESRCH && !first)
			first = ret;
	}
	for (size_t i = 0; i < d->st.npools; i++) {
		const struct state_pool *p = &d->st.pools[i];
		struct route r = {
			.dst = p->pool.addr,
			.len = p->pool.len,
			.protocol = NAMES_ROUTE_PROTO,
			.scope = 0,	/* global: dockerd 20.10 loops on scope-link overlaps */
		};
		bool present = false;

		if (!p->network_id[0])
			continue;
		snprintf(r.ifname, sizeof(r.ifname), "%s", NAMES_WG_DEVICE);
		for (size_t j = 0; j < nhave; j++)
			present |= have[j].dst == r.dst && have[j].len == r.len &&
				   strcmp(have[j].ifname, r.ifname) == 0;
		if (present)
			continue;
		ret = route_add(d->nl, &r);
		if (ret < 0 && !first)
			first = ret;
	}
	free(have);
	if (first < 0)
		return errbuf_set(e, first, "could not set the pool routes through %s: %s",
				  NAMES_WG_DEVICE, nl_strerror(d->nl, first));
	return 0;
}

/* MTU and up first: a port in use then fails when it is set (device_configure). */
static int device_set_up(struct driver *d, struct errbuf *e)
{
	struct link_info li;
	int ret;

	ret = link_get(d->nl, NAMES_WG_DEVICE, &li);
	if (ret == 0 && li.mtu != d->st.mtu)
		ret = link_set_mtu(d->nl, NAMES_WG_DEVICE, d->st.mtu);
	if (ret == 0 && !li.up)
		ret = link_set_up(d->nl, NAMES_WG_DEVICE);
	if (ret < 0)
		return errbuf_set(e, ret, "could not bring %s up: %s", NAMES_WG_DEVICE,
				  nl_strerror(d->nl, ret));
	return 0;
}

/*
 * Key and port, only when they differ from the device's (have): wireguard-go closes and opens
 * its UDP socket again at every listen port it is given, the same one too, and a restart of
 * wgnetd must not drop what arrives meanwhile. Up already, both backends bind at once, so a
 * port in use fails here rather than unreported.
 */
static int device_configure(struct driver *d, const struct wg_device *have, struct errbuf *e)
{
	struct wg_device dev = { .has_private_key = true };
	int ret;

	dev.listen_port = d->st.listen_port ? d->st.listen_port : WG_DEFAULT_PORT;
	if (have->has_private_key && have->listen_port == dev.listen_port &&
	    sodium_memcmp(have->private_key, d->mesh.keys.priv, KEYS_LEN) == 0)
		return 0;
	snprintf(dev.ifname, sizeof(dev.ifname), "%s", NAMES_WG_DEVICE);
	memcpy(dev.private_key, d->mesh.keys.priv, KEYS_LEN);
	ret = d->mesh.wg.set_device(&d->mesh.wg, &dev);
	wg_device_release(&dev);
	if (ret == -EADDRINUSE)
		return errbuf_set(e, ret, "could not configure %s: UDP port %u is in use by another "
				  "program (another WireGuard?): stop it, or run wgnet init again "
				  "with --listen-port", NAMES_WG_DEVICE, dev.listen_port);
	if (ret < 0)
		return errbuf_set(e, ret, "could not configure %s (listen port %u): %s",
				  NAMES_WG_DEVICE, dev.listen_port, strerror(-ret));
	return 0;
}

/* Every peer of the device (have) off it: the firewall could not be built. */
static void peers_clear(struct driver *d, const struct wg_device *have)
{
	struct wg_peer *v;
	int ret;

	if (!have->npeers)
		return;
	v = calloc(have->npeers, sizeof(*v));
	if (!v) {
		log_error("out of memory removing the peers of %s after the firewall failed",
			  NAMES_WG_DEVICE);
		return;
	}
	for (size_t i = 0; i < have->npeers; i++) {
		memcpy(v[i].public_key, have->peers[i].public_key, KEYS_LEN);
		v[i].remove = true;
	}
	ret = d->mesh.wg.set_peers(&d->mesh.wg, NAMES_WG_DEVICE, v, have->npeers);
	mesh_device_note_error(d, ret);
	if (ret < 0)
		log_error("could not remove the peers of %s after the firewall failed: %s",
			  NAMES_WG_DEVICE, strerror(-ret));
	peers_free(v, have->npeers);
}

/*
 * Fail closed: the table goes in before any peer. When it cannot, the device keeps no peer:
 * a table we could not write may be another program's, or an old policy.
 */
static int mesh_firewall_first(struct driver *d, const struct wg_device *have, struct errbuf *e)
{
	int ret = firewall_apply(d, &d->st, e);

	if (ret < 0)
		peers_clear(d, have);
	return ret;
}

void mesh_fail_closed(struct driver *d)
{
	struct wg_device have = { 0 };
	struct errbuf e = { 0 };
	int ret;

	if (!mesh_device_usable(d))
		return;		/* mesh_start builds the table first when the device is back */
	ret = device_read(d, &have, &e);
	if (ret < 0) {
		mesh_device_note_error(d, ret);
		log_error("WireGuard device %s: %s", NAMES_WG_DEVICE, e.msg);
		return;
	}
	peers_clear(d, &have);
	wg_device_release(&have);
}

int mesh_start(struct driver *d, struct errbuf *e)
{
	struct wg_device have = { 0 };
	int ret;

	if (!d->st.host_index)
		return 0;
	d->mesh.ready = false;
	ret = keys_load_or_create(d->mesh.key_path, &d->mesh.keys, e);
	if (ret < 0)
		return ret;
	if (!d->st.has_host_key || memcmp(d->st.host_public_key, d->mesh.keys.pub, KEYS_LEN) != 0) {
		memcpy(d->st.host_public_key, d->mesh.keys.pub, KEYS_LEN);
		d->st.has_host_key = true;
		ret = persist_save(d, e);
		if (ret < 0)
			return ret;
	}
	ret = backend_pick(d, e);
	if (ret < 0)
		return ret;
	d->mesh.watch = !backend_is_kernel(d);
	d->mesh.hung = false;
	ret = backend_is_kernel(d) ? device_kernel_ensure(d, e) : device_userspace_ensure(d, e);
	if (ret == 0)
		ret = device_set_up(d, e);
	if (ret == 0)
		ret = device_read(d, &have, e);
	if (ret == 0)
		ret = device_configure(d, &have, e);
	if (ret < 0)
		goto out;
	d->mesh.ready = true;
	ret = mesh_firewall_first(d, &have, e);
	if (ret == 0)
		ret = peers_apply(d, &have, e);
	if (ret == 0)
		ret = routes_apply(d, e);
	firewall_docker_user_sync(d, true);
out:
	wg_device_release(&have);
	if (ret < 0 && d->mesh.watch && !d->mesh.ready && !d->mesh.next_try) {
		/* the watchdog tries again (at start, at init) */
		d->mesh.next_try = time(NULL) + 1;
		snprintf(d->mesh.problem, sizeof(d->mesh.problem), "down: %.180s", e->msg);
	}
	return ret;
}

int mesh_sync(struct driver *d, struct errbuf *e)
{
	struct wg_device have = { 0 };
	int ret;

	if (!mesh_device_usable(d))
		return 0;	/* mesh_start applies everything when it comes back */
	ret = device_read(d, &have, e);
	if (ret == 0 && firewall_failed(d))
		ret = mesh_firewall_first(d, &have, e);
	if (ret == 0)
		ret = peers_apply(d, &have, e);
	wg_device_release(&have);
	mesh_device_note_error(d, ret);
	if (ret == 0)
		ret = routes_apply(d, e);
	return ret;
}

void mesh_sync_logged(struct driver *d, const char *what)
{
	struct errbuf e = { 0 };

	if (mesh_sync(d, &e) < 0)
		log_error("%s: %s", what, e.msg);
}

void mesh_endpoint_resolved(struct driver *d, const char *name)
{
	char what[STATE_HOST_ENDPOINT_MAX + 16];

	snprintf(what, sizeof(what), "peer endpoint %s", name);
	mesh_sync_logged(d, what);
}

int mesh_init(struct driver *d, const char *backend, const char *program,
	      const char *cgroup_root, const char *state_dir, struct errbuf *e)
{
	struct mesh_part *m = &d->mesh;

	if ((size_t)snprintf(m->key_path, sizeof(m->key_path), "%s/%s", state_dir,
			     KEYS_FILE_NAME) >= sizeof(m->key_path) ||
	    (size_t)snprintf(m->next_path, sizeof(m->next_path), "%s/%s", state_dir,
			     KEYS_NEXT_FILE_NAME) >= sizeof(m->next_path))
		return errbuf_set(e, -ENAMETOOLONG, "state directory path too long: %s", state_dir);
	snprintf(m->mode, sizeof(m->mode), "%s", backend ? backend : "auto");
	snprintf(m->program, sizeof(m->program), "%s", program ? program : "");
	snprintf(m->cgroup_root, sizeof(m->cgroup_root), "%s", cgroup_root ? cgroup_root : "");
	if (strcmp(m->mode, "auto") != 0 && strcmp(m->mode, "kernel") != 0 &&
	    strcmp(m->mode, "userspace") != 0)
		return errbuf_set(e, -EINVAL, "unknown WireGuard backend '%s': auto, kernel or "
				  "userspace", m->mode);
	return 0;
}

void mesh_fini(struct driver *d)
{
	keys_wipe(&d->mesh.keys);
	keys_wipe(&d->mesh.next);
}

int mesh_public_key(struct driver *d, uint8_t pub[KEYS_LEN], struct errbuf *e)
{
	int ret = keys_load_or_create(d->mesh.key_path, &d->mesh.keys, e);

	if (ret == 0)
		memcpy(pub, d->mesh.keys.pub, KEYS_LEN);
	return ret;
}
