/* SPDX-License-Identifier: MIT */
/* The driver instance: its life cycle (the threads of every room start and stop here) and
 * `wgnet status`. The top room: it calls the others, none calls it. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/dns_names.h"
#include "driver/dns_server.h"
#include "driver/docker_engine.h"
#include "driver/docker_names.h"
#include "driver/driver.h"
#include "driver/events.h"
#include "driver/firewall.h"
#include "driver/firewall_watch.h"
#include "driver/id_list.h"
#include "driver/instance.h"
#include "driver/join_line.h"
#include "driver/log.h"
#include "driver/mesh.h"
#include "driver/mesh_device.h"
#include "driver/mesh_key.h"
#include "driver/mesh_watchdog.h"
#include "driver/metrics.h"
#include "driver/network.h"
#include "driver/peer_rotate.h"
#include "driver/peers.h"
#include "driver/persist.h"
#include "driver/reconcile.h"
#include "driver/resolve.h"
#include "driver/store.h"
#include "netlink/nl.h"

int driver_new(const struct driver_config *cfg, struct driver **out, struct errbuf *e)
{
	static const char *const files[] = { STATE_FILE_NAME, KEYS_FILE_NAME, KEYS_NEXT_FILE_NAME,
					     STORE_FILE_NAME };
	const char *dir = cfg->state_dir ? cfg->state_dir : "/var/lib/wgnet";
	struct errbuf step = { 0 };
	bool mesh_up = false;
	struct driver *d;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d)
		return errbuf_set(e, -ENOMEM, "out of memory");
	pthread_mutex_init(&d->lock, NULL);
	events_init(d);
	firewall_init(d, cfg->iptables, cfg->no_iptables);
	resolve_init(d);
	peer_rotate_init(d);
	docker_names_init(d, cfg->docker_socket ? cfg->docker_socket : DOCKER_SOCKET_DEFAULT);
	if (dns_names_new(&d->names) < 0) {
		ret = errbuf_set(e, -ENOMEM, "out of memory");
		goto fail;
	}
	ret = dns_server_new(d, e);
	if (ret < 0)
		goto fail;
	if ((size_t)snprintf(d->state_path, sizeof(d->state_path), "%s/%s", dir, STATE_FILE_NAME) >=
	    sizeof(d->state_path)) {
		ret = errbuf_set(e, -ENAMETOOLONG, "state directory path too long: %s", dir);
		goto fail;
	}
	d->cfg_mtu = cfg->mtu;
	ret = mesh_init(d, cfg->wg_backend, cfg->wg_userspace, cfg->wg_cgroup_root, dir, e);
	if (ret < 0)
		goto fail;
	ret = persist_dir_prepare(dir, files, sizeof(files) / sizeof(files[0]), e);
	if (ret < 0)
		goto fail;
	ret = state_load(d->state_path, &d->st, e);
	if (ret < 0)
		goto fail;
	/* wgnetd's defaults (the managed plugin's settings): `wgnet init` may override them */
	if (d->st.mtu == 0)
		d->st.mtu = cfg->mtu ? cfg->mtu : DRIVER_DEFAULT_MTU;
	if (d->st.listen_port == 0)
		d->st.listen_port = (uint16_t)cfg->listen_port;
	ret = nl_open(&d->nl);
	if (ret < 0) {
		errbuf_set(e, ret, "could not open an rtnetlink socket: %s", strerror(-ret));
		goto fail;
	}
	firewall_watch_open(d);		/* before our first build: nothing after it is missed */
	ret = reconcile_all(d, e);
	if (ret < 0)
		goto fail;
	mesh_key_load(d);	/* a rotation under way goes on */
	if (d->st.host_index) {
		/* The mesh failing (no WireGuard at all?) must not take the local networks down. */
		mesh_up = mesh_start(d, &step) == 0;
		if (!mesh_up)
			log_error("WireGuard device %s: %s", NAMES_WG_DEVICE, step.msg);
	}
	/* our table, once: mesh_start has built it when it got that far */
	if (!mesh_up && firewall_apply(d, &d->st, &step) < 0)
		log_error("reconcile: %s", step.msg);
	/* once, after the mesh: a no-op if mesh_start has just done it */
	firewall_docker_user_sync(d, false);
	firewall_docker_user_start(d);
	resolve_start(d, mesh_endpoint_resolved);
	mesh_watchdog_start(d);
	firewall_watch_start(d);
	peer_rotate_start(d);
	ret = store_new(d, dir, e);
	if (ret < 0)
		goto fail;
	/* the names responder: its addresses and sockets, then the names from Docker (libcurl
	 * is set up by store_new) */
	pthread_mutex_lock(&d->lock);
	dns_server_sync(d);
	pthread_mutex_unlock(&d->lock);
	dns_server_start(d);
	docker_names_start(d);
	malloc_trim(0);		/* the loaded state's JSON tree, the link and peer dumps */
	*out = d;
	return 0;
fail:
	driver_free(d);
	return ret;
}

void driver_free(struct driver *d)
{
	bool freeable;

	if (!d)
		return;
	store_free(d);		/* its threads take the lock: first */
	peer_rotate_stop(d);
	docker_names_stop(d);
	dns_server_stop(d);
	mesh_watchdog_stop(d);
	firewall_watch_stop(d);
	freeable = resolve_stop(d);
	firewall_docker_user_stop(d);
	mesh_fini(d);
	if (d->nl)
		nl_close(d->nl);
	state_release(&d->st);
	id_list_clear(&d->replay_pools);
	id_list_clear(&d->replay_addrs);
	free(d->pending_ages);
	dns_server_free(d);
	dns_names_free(d->names);
	if (!freeable)
		return;		/* the resolver thread still holds d; the process is ending */
	firewall_fini(d);
	resolve_fini(d);
	peer_rotate_fini(d);
	events_fini(d);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void driver_activated(struct driver *d)
{
	pthread_mutex_lock(&d->lock);
	/* A new dockerd: it replays the pools of its stored networks (RequiresRequestReplay),
	 * and it has forgotten any pool lease that never became a network. */
	id_list_clear(&d->replay_pools);
	for (size_t i = 0; i < d->st.npools; i++)
		if (d->st.pools[i].network_id[0] &&
		    id_list_add(&d->replay_pools, d->st.pools[i].network_id) < 0)
			log_warn("out of memory noting pool replays, ignoring");
	firewall_docker_user_sync(d, true);
	pthread_mutex_unlock(&d->lock);
}

/* The host's own part of the status and the metrics; lock held. */
static void host_fill(const struct driver *d, struct driver_status *s)
{
	s->host_index = d->st.host_index;
	s->mtu = d->st.mtu;
	memcpy(s->mtu_from, d->mtu_from, sizeof(s->mtu_from));
	join_line_text_clean(s->host_endpoint, sizeof(s->host_endpoint), d->st.host_endpoint);
	for (size_t i = 0; i < d->st.nhost_allow; i++)
		state_port_format(&d->st.host_allow[i], s->host_allow.v[i]);
	s->host_allow.n = d->st.nhost_allow;
}

int driver_status_get(struct driver *d, struct driver_status *out, struct errbuf *e)
{
	struct driver_status s = { 0 };
	int ret;

	pthread_mutex_lock(&d->lock);
	host_fill(d, &s);
	ret = network_status_fill(d, &s, true);
	if (ret < 0) {
		ret = errbuf_set(e, ret, "out of memory");
		goto out;
	}
	firewall_status_fill(d, &s);
	firewall_watch_status(d, s.firewall_note, sizeof(s.firewall_note));
	ret = peers_status_fill(d, &s);
	if (ret == 0)
		store_status_fill(d, &s);
	docker_names_status_fill(d, &s);
	dns_server_status_fill(d, &s);
	if (ret < 0) {
		ret = errbuf_set(e, ret, "out of memory");
		goto out;
	}
	*out = s;
	s = (struct driver_status){ 0 };
out:
	pthread_mutex_unlock(&d->lock);
	driver_status_release(&s);
	return ret;
}

struct names_list {
	struct driver_name *v;
	size_t n, cap;
	int ret;
};

static void names_list_add(void *arg, enum dns_source source, unsigned host,
			   const struct dns_record *r)
{
	struct names_list *l = arg;

	(void)source;
	for (const char *name = dns_record_name_next(r, NULL); name && l->ret == 0;
	     name = dns_record_name_next(r, name)) {
		struct driver_name *v;

		if (l->n == l->cap) {
			l->cap = l->cap ? 2 * l->cap : 64;
			v = reallocarray(l->v, l->cap, sizeof(*v));
			if (!v) {
				l->ret = -ENOMEM;
				return;
			}
			l->v = v;
		}
		v = &l->v[l->n++];
		snprintf(v->name, sizeof(v->name), "%s", name);
		cidr_addr_format(r->addr, v->addr);
		cidr_format(&r->pool, v->pool);
		v->host = host;
	}
}

int driver_names_list(struct driver *d, struct driver_name **out, size_t *n, struct errbuf *e)
{
	struct names_list l = { 0 };

	dns_names_each(d->names, names_list_add, &l);
	if (l.ret < 0) {
		free(l.v);
		return errbuf_set(e, l.ret, "out of memory");
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

void driver_status_release(struct driver_status *s)
{
	for (size_t i = 0; i < s->npeers; i++)
		free(s->peers[i].allowed_ips);
	free(s->peers);
	s->peers = NULL;
	s->npeers = 0;
	free(s->networks);
	s->networks = NULL;
	s->nnetworks = 0;
}

/*
 * The lock is held for copies only: the state's parts first, then the device is read without
 * it (a userspace WireGuard may take 1.5 s) and merged into the copy.
 */
int driver_metrics_get(struct driver *d, struct driver_metrics *out, struct errbuf *e)
{
	struct driver_metrics m = { 0 };
	struct wg_device have = { 0 };
	struct mesh_device_reader r;
	int ret;

	pthread_mutex_lock(&d->lock);
	host_fill(d, &m.st);
	ret = network_status_fill(d, &m.st, false);
	if (ret == 0)
		ret = peers_state_fill(d, &m.st);
	if (ret == 0)
		store_status_fill(d, &m.st);
	docker_names_status_fill(d, &m.st);
	dns_server_status_fill(d, &m.st);
	firewall_metrics_fill(d, &m);
	mesh_device_metrics_fill(d, &m, &r);
	m.events = events_last(d);
	pthread_mutex_unlock(&d->lock);
	if (ret < 0) {
		driver_metrics_release(&m);
		return errbuf_set(e, ret, "out of memory");
	}
	ret = mesh_device_reader_read(&r, &have);
	if (ret == 0)
		m.device_read = mesh_device_status_merge(&have, &m.st) == 0;
	wg_device_release(&have);
	if (ret == -ETIMEDOUT) {	/* the watchdog checks it at once */
		pthread_mutex_lock(&d->lock);
		mesh_device_note_error(d, ret);
		pthread_mutex_unlock(&d->lock);
	}
	*out = m;
	return 0;
}

void driver_metrics_release(struct driver_metrics *m)
{
	driver_status_release(&m->st);
}
