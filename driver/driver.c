/* SPDX-License-Identifier: MIT */
/* The driver instance: life cycle, lookups, host settings and status. */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "driver/driver_impl.h"
#include "driver/join_line.h"
#include "driver/log.h"
#include "driver/mtu.h"
#include "driver/store.h"
#include "netlink/link.h"
#include "netlink/nft.h"
#include "netlink/nl.h"

bool id_list_has(const struct id_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], id) == 0)
			return true;
	return false;
}

int id_list_add(struct id_list *l, const char *id)
{
	char (*v)[DOCKER_ID_LEN + 1];

	if (id_list_has(l, id))
		return 0;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	snprintf(l->v[l->n++], sizeof(*v), "%s", id);
	return 0;
}

void id_list_del(struct id_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], id) == 0) {
			memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
			l->n--;
			return;
		}
	}
}

void id_list_clear(struct id_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const char *short_id(const char *id, char buf[13])
{
	snprintf(buf, 13, "%s", id);
	return buf;
}

struct state_pool *driver_pool_by_network(struct driver *d, const char *network_id)
{
	for (size_t i = 0; i < d->st.npools; i++)
		if (d->st.pools[i].network_id[0] && strcmp(d->st.pools[i].network_id, network_id) == 0)
			return &d->st.pools[i];
	return NULL;
}

void driver_pool_id(const struct state_pool *p, char out[DRIVER_POOL_ID_MAX])
{
	char slice[CIDR_STR_MAX];

	cidr_format(&p->slice, slice);
	snprintf(out, DRIVER_POOL_ID_MAX, "%s/%s", p->address_space, slice);
}

struct state_pool *driver_pool_by_id(struct driver *d, const char *pool_id)
{
	char id[DRIVER_POOL_ID_MAX];

	for (size_t i = 0; i < d->st.npools; i++) {
		driver_pool_id(&d->st.pools[i], id);
		if (strcmp(id, pool_id) == 0)
			return &d->st.pools[i];
	}
	return NULL;
}

int driver_pool_id_check(const char *pool_id, struct errbuf *e)
{
	const char *slash = strchr(pool_id, '/');
	struct cidr c;

	if (!slash || slash == pool_id || cidr_parse(slash + 1, &c) < 0)
		return errbuf_set(e, -EINVAL, "invalid pool ID '%.80s': wgnet's pool IDs look like "
				  "wgnet-local/10.210.3.0/24", pool_id);
	return 0;
}

struct state_endpoint *driver_endpoint_by_id(struct driver *d, const char *endpoint_id)
{
	for (size_t i = 0; i < d->st.nendpoints; i++)
		if (strcmp(d->st.endpoints[i].id, endpoint_id) == 0)
			return &d->st.endpoints[i];
	return NULL;
}

static int save_state(struct driver *d, const struct state *st, struct errbuf *e)
{
	struct errbuf se = { 0 };
	int ret;

	ret = state_save(d->state_path, st, &se);
	/* The JSON tree of a big state is megabytes of short-lived blocks between the long-lived
	 * ones: hand the freed pages back instead of keeping them resident. */
	malloc_trim(0);
	if (ret > 0) {
		/* renamed into place: it is what the next start reads, so it counts as saved */
		log_warn("state saved to %s, but %s, ignoring", d->state_path, se.msg);
		return 0;
	}
	if (ret < 0)
		return errbuf_set(e, ret, "could not save the state to %s: %s", d->state_path,
				  se.msg);
	return 0;
}

int driver_save(struct driver *d, struct errbuf *e)
{
	return save_state(d, &d->st, e);
}

int driver_commit(struct driver *d, struct state *next, struct errbuf *e)
{
	int ret = save_state(d, next, e);

	if (ret < 0) {
		state_release(next);
		return ret;
	}
	state_release(&d->st);
	d->st = *next;
	*next = (struct state){ 0 };
	return 0;
}

void driver_clock_text(time_t t, char out[16])
{
	struct tm tm;

	strftime(out, 16, "%H:%M:%S", localtime_r(&t, &tm));
}

void driver_thread_start(struct driver *d, void *(*fn)(void *), pthread_t *t, bool *running,
			 const char *what)
{
	if (*running)
		return;
	if (pthread_create(t, NULL, fn, d) == 0)
		*running = true;
	else
		log_warn("could not start the %s thread, ignoring", what);
}

void driver_thread_stop(struct driver *d, pthread_cond_t *wake, pthread_t *t, bool *running)
{
	if (!*running)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	if (wake)
		pthread_cond_broadcast(wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(*t, NULL);
	*running = false;
}

/* The state directory and its parents; it holds the private key: 0700. */
static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* "<name>.XXXXXX" of an atomic write (file_write_atomic) that a kill -9 interrupted before its
 * rename. */
static void temp_files_remove(const char *dir)
{
	static const char *const names[] = { STATE_FILE_NAME ".", KEYS_FILE_NAME ".",
					     STORE_FILE_NAME "." };
	struct dirent *de;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((de = readdir(dp))) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			size_t n = strlen(names[i]);

			if (strncmp(de->d_name, names[i], n) != 0 || strlen(de->d_name + n) != 6)
				continue;
			if (unlinkat(dirfd(dp), de->d_name, 0) == 0)
				log_info("removed %s/%s, left by an interrupted save", dir, de->d_name);
		}
	}
	closedir(dp);
}

int driver_new(const struct driver_config *cfg, struct driver **out, struct errbuf *e)
{
	const char *dir = cfg->state_dir ? cfg->state_dir : "/var/lib/wgnet";
	struct errbuf step = { 0 };
	bool mesh_up = false;
	struct driver *d;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d)
		return errbuf_set(e, -ENOMEM, "out of memory");
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->du_cond, NULL);
	pthread_cond_init(&d->res_cond, NULL);
	if ((size_t)snprintf(d->state_path, sizeof(d->state_path), "%s/%s", dir, STATE_FILE_NAME) >=
	    sizeof(d->state_path)) {
		ret = errbuf_set(e, -ENAMETOOLONG, "state directory path too long: %s", dir);
		goto fail;
	}
	snprintf(d->iptables, sizeof(d->iptables), "%s", cfg->iptables ? cfg->iptables : "iptables");
	d->no_iptables = cfg->no_iptables;
	d->cfg_mtu = cfg->mtu;
	snprintf(d->key_path, sizeof(d->key_path), "%s/%s", dir, KEYS_FILE_NAME);
	snprintf(d->wg_mode, sizeof(d->wg_mode), "%s", cfg->wg_backend ? cfg->wg_backend : "auto");
	snprintf(d->wg_program, sizeof(d->wg_program), "%s",
		 cfg->wg_userspace ? cfg->wg_userspace : "");
	snprintf(d->wg_cgroup_root, sizeof(d->wg_cgroup_root), "%s",
		 cfg->wg_cgroup_root ? cfg->wg_cgroup_root : "");
	if (strcmp(d->wg_mode, "auto") != 0 && strcmp(d->wg_mode, "kernel") != 0 &&
	    strcmp(d->wg_mode, "userspace") != 0) {
		ret = errbuf_set(e, -EINVAL, "unknown WireGuard backend '%s': auto, kernel or "
				 "userspace", d->wg_mode);
		goto fail;
	}

	ret = mkdir_p(dir);
	if (ret < 0) {
		errbuf_set(e, ret, "could not create the state directory %s: %s", dir,
			   strerror(-ret));
		goto fail;
	}
	temp_files_remove(dir);
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
	resolve_start(d);
	mesh_watchdog_start(d);
	firewall_watch_start(d);
	ret = store_new(d, dir, e);
	if (ret < 0)
		goto fail;
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
	mesh_watchdog_stop(d);
	firewall_watch_stop(d);
	freeable = resolve_stop(d);
	firewall_docker_user_stop(d);
	keys_wipe(&d->keys);
	if (d->nl)
		nl_close(d->nl);
	state_release(&d->st);
	id_list_clear(&d->replay_pools);
	id_list_clear(&d->replay_addrs);
	free(d->pending_ages);
	if (!freeable)
		return;		/* the resolver thread still holds d; the process is ending */
	pthread_cond_destroy(&d->du_cond);
	pthread_cond_destroy(&d->res_cond);
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

/* "host<index>": unique in the cluster like the index itself (hostnames need not be);
 * `wgnet init --name` gives a nicer one. */
static void default_host_name(char *out, size_t size, unsigned index)
{
	snprintf(out, size, "host%u", index);
}

int driver_host_init(struct driver *d, const struct host_init_req *req, struct errbuf *e)
{
	char from[sizeof(d->mtu_from)];
	struct errbuf step = { 0 };
	struct state old;
	unsigned mtu;
	int ret = 0;

	if (req->index < 1 || req->index > 65535)
		return errbuf_set(e, -EINVAL, "host index %u out of range: use 1..65535, unique in "
				  "the cluster", req->index);
	if (req->mtu && (req->mtu < MTU_MIN || req->mtu > MTU_MAX_JUMBO))
		return errbuf_set(e, -EINVAL, "MTU %u out of range %u..%u", req->mtu, MTU_MIN,
				  MTU_MAX_JUMBO);
	if (req->endpoint && req->endpoint[0]) {
		ret = endpoint_check(req->endpoint, e);
		if (ret < 0)
			return ret;
	}
	if (req->name && !host_name_valid(req->name))
		return errbuf_set(e, -EINVAL, "host name '%.64s' is not 1..63 of A-Z a-z 0-9 . _ -",
				  req->name);
	if (req->listen_port > 65535)
		return errbuf_set(e, -EINVAL, "listen port %u out of range 1..65535",
				  req->listen_port);

	pthread_mutex_lock(&d->lock);
	if (d->st.npools && d->st.host_index && req->index != d->st.host_index) {
		ret = errbuf_set(e, -EBUSY, "this host already has index %u and %zu wgnet pool(s) "
				 "use it: remove those networks before changing the index",
				 d->st.host_index, d->st.npools);
		goto out;
	}
	for (size_t i = 0; i < d->st.npeers; i++) {
		if (d->st.peers[i].index == req->index) {
			ret = errbuf_set(e, -EEXIST, "index %u belongs to peer %s: each host needs "
					 "its own", req->index, d->st.peers[i].name);
			goto out;
		}
	}
	/* without --mtu (here or wgnetd's), from the uplink; networks made before keep theirs */
	mtu = req->mtu ? req->mtu : d->cfg_mtu;
	if (req->mtu)
		snprintf(from, sizeof(from), "--mtu");
	else if (mtu)
		snprintf(from, sizeof(from), "wgnetd's --mtu (WGNET_MTU)");
	else if (mtu_derive(d, &mtu, from, sizeof(from)) < 0) {
		mtu = d->st.mtu ? d->st.mtu : DRIVER_DEFAULT_MTU;
		snprintf(from, sizeof(from), "no route to the peers nor a default route: kept; "
			 "wgnet init --mtu N sets it");
	}
	old = d->st;
	d->st.host_index = req->index;
	if (req->endpoint)
		snprintf(d->st.host_endpoint, sizeof(d->st.host_endpoint), "%s", req->endpoint);
	d->st.mtu = mtu;
	if (req->listen_port)
		d->st.listen_port = (uint16_t)req->listen_port;
	if (req->name)
		snprintf(d->st.host_name, sizeof(d->st.host_name), "%s", req->name);
	if (!d->st.host_name[0])
		default_host_name(d->st.host_name, sizeof(d->st.host_name), req->index);
	ret = driver_save(d, e);
	if (ret < 0) {
		d->st.host_index = old.host_index;
		d->st.mtu = old.mtu;
		d->st.listen_port = old.listen_port;
		memcpy(d->st.host_endpoint, old.host_endpoint, sizeof(old.host_endpoint));
		memcpy(d->st.host_name, old.host_name, sizeof(old.host_name));
		goto out;
	}
	memcpy(d->mtu_from, from, sizeof(d->mtu_from));
	log_info("host index %u%s%s, MTU %u (%s)", req->index,
		 d->st.host_endpoint[0] ? ", endpoint " : "", d->st.host_endpoint, mtu, from);
	/* kept when the mesh fails: local networks work without it, and init runs again */
	ret = mesh_start(d, &step);
	if (ret < 0)
		errbuf_set(e, ret, "host index %u is saved, but %.440s", req->index, step.msg);
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int driver_status_get(struct driver *d, struct driver_status *out, struct errbuf *e)
{
	struct driver_status s = { 0 };
	struct link_info li;
	size_t n = 0;
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	s.host_index = d->st.host_index;
	s.mtu = d->st.mtu;
	memcpy(s.mtu_from, d->mtu_from, sizeof(s.mtu_from));
	text_clean(s.host_endpoint, sizeof(s.host_endpoint), d->st.host_endpoint);
	s.networks = calloc(d->st.npools ? d->st.npools : 1, sizeof(*s.networks));
	if (!s.networks) {
		ret = errbuf_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < d->st.npools; i++) {
		const struct state_pool *p = &d->st.pools[i];
		struct status_network *sn = &s.networks[n];

		if (!p->network_id[0]) {
			s.pending_pools++;
			continue;
		}
		memcpy(sn->network_id, p->network_id, sizeof(sn->network_id));
		cidr_format(&p->pool, sn->pool);
		cidr_format(&p->slice, sn->slice);
		addr_format(p->gateway, sn->gateway);
		names_bridge(p->network_id, sn->bridge);
		sn->mtu = p->mtu;
		sn->internal = p->internal;
		sn->bridge_up = link_get(d->nl, sn->bridge, &li) == 0 && li.up;
		for (size_t j = 0; j < d->st.nendpoints; j++)
			if (strcmp(d->st.endpoints[j].network_id, p->network_id) == 0)
				sn->endpoints++;
		n++;
	}
	s.nnetworks = n;
	s.firewall_failed = d->firewall_failed;
	s.firewall_ok = !d->firewall_failed &&
			((n == 0 && !(d->st.host_index && d->st.has_host_key)) ||
			 nft_exists() == 1);
	firewall_watch_status(d, s.firewall_note, sizeof(s.firewall_note));
	for (size_t i = 0; i < d->st.nhost_allow; i++)
		state_port_format(&d->st.host_allow[i], s.host_allow.v[i]);
	s.host_allow.n = d->st.nhost_allow;
	ret = mesh_status_fill(d, &s);
	if (ret == 0)
		store_status_fill(d, &s);
	if (ret < 0) {
		driver_status_release(&s);
		ret = errbuf_set(e, ret, "out of memory");
		goto out;
	}
	*out = s;
	s.networks = NULL;
out:
	pthread_mutex_unlock(&d->lock);
	free(s.networks);
	return ret;
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
