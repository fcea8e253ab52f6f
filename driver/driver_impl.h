/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_DRIVER_IMPL_H
#define WGNET_DRIVER_DRIVER_IMPL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include "driver/driver.h"
#include "driver/keys.h"
#include "driver/state.h"
#include "netlink/wg.h"

/* Private to driver/: the one driver instance and helpers its files share. */

struct nl;
struct nft_monitor;

/* The firewall watch (driver/firewall_watch.c): another program changed or deleted our
 * tables. Under the lock, but the monitor, which only its thread reads. */
struct firewall_watch {
	struct nft_monitor *monitor;	/* NULL: the periodic check alone */
	pthread_t thread;
	char cause[128];		/* what another program last did to them, "" = nothing */
	char error[200];		/* why the last rebuild failed, "" = it did not */
	time_t cause_at;		/* when that was seen */
	time_t rebuilt_at;		/* of the last rebuild that worked, 0 = none */
	time_t last;			/* of the last rebuild tried */
	time_t next_try;		/* of the next one while they fail */
	time_t next_check;		/* of the next look at which tables exist */
	bool running;
	bool pending;			/* a rebuild is due */
	bool closed;			/* failed closed: no peer, DOCKER-USER rules, route_localnet */
};

/* Network IDs whose pools dockerd may replay (RequestPool for a pool already in use). */
struct id_list {
	char (*v)[DOCKER_ID_LEN + 1];
	size_t n;
};

struct driver {
	pthread_mutex_t lock;
	char state_path[PATH_MAX];
	char iptables[PATH_MAX];
	struct state st;
	char mtu_from[DRIVER_MTU_FROM_MAX];	/* how the last wgnet init chose st.mtu (memory only) */
	struct nl *nl;
	struct id_list replay_pools;	/* set at start and at Plugin.Activate */
	struct id_list replay_addrs;	/* pools whose stored addresses dockerd re-requests */
	time_t docker_user_checked;	/* last DOCKER-USER check, 0 = never */
	/* the WireGuard mesh (driver/mesh.c) */
	char key_path[PATH_MAX];
	char wg_mode[16];		/* "auto", "kernel" or "userspace" */
	char wg_program[PATH_MAX];	/* userspace implementation, "" = wireguard-go */
	char wg_cgroup_root[PATH_MAX];	/* "" = leave wireguard-go in wgnetd's cgroup */
	struct wg_backend wg;		/* valid when wg_ready */
	/* the watchdog (driver/mesh.c): a userspace device it keeps alive, restarting it with
	 * backoff for as long as it takes */
	time_t wg_next_try;		/* of the next restart, 0 = none due */
	char wg_problem[200];		/* for wgnet status, "" = none */
	struct keys keys;		/* loaded at init/start; wiped by driver_free */
	pthread_t watchdog;
	/* DOCKER-USER, written by a thread of its own without the lock (driver/firewall.c):
	 * iptables may wait on the xtables lock, and no Docker call may wait with it */
	pthread_cond_t du_cond;
	pthread_t du_thread;
	/* peer endpoints given by name, resolved by a thread of its own without the lock and
	 * kept (driver/resolve.c): no Docker call may wait on DNS */
	pthread_cond_t res_cond;
	pthread_t res_thread;
	struct resolved *resolved;
	size_t nresolved;
	struct store *store;		/* membership through etcd (driver/store.c) */
	struct firewall_watch fw;
	struct pending_age {		/* when each unbound pool lease was made (memory only) */
		struct cidr slice;
		time_t at;
	} *pending_ages;
	size_t npending_ages;
	unsigned cfg_mtu;		/* wgnetd --mtu / WGNET_MTU: init takes it over the uplink's */
	unsigned wg_failures;		/* watchdog: restarts that failed in a row */
	bool no_iptables;
	bool firewall_failed;		/* the last rebuild of inet wgnet failed */
	bool wg_ready;			/* wgnet0 exists and is configured */
	bool wg_watch;			/* mesh_start ran with the userspace backend */
	bool wg_hung;			/* a UAPI call under the lock timed out: skip the device
					 * until the watchdog has checked it */
	bool watchdog_running;
	bool stopping;			/* every thread ends when it sees this */
	bool du_running, du_pending;	/* the DOCKER-USER thread */
	bool res_running, res_busy;	/* the resolver thread */
};

/* Seconds after which a pool lease with no CreateNetwork is considered abandoned. */
#define DRIVER_PENDING_POOL_TTL 120
/* Seconds between two checks of our DOCKER-USER rules from Join. */
#define DRIVER_DOCKER_USER_RECHECK 30

bool id_list_has(const struct id_list *l, const char *id);
int id_list_add(struct id_list *l, const char *id);
void id_list_del(struct id_list *l, const char *id);
void id_list_clear(struct id_list *l);

/* Lookups in d->st; NULL / -1 when absent. */
struct state_pool *driver_pool_by_network(struct driver *d, const char *network_id);
struct state_pool *driver_pool_by_id(struct driver *d, const char *pool_id);
struct state_endpoint *driver_endpoint_by_id(struct driver *d, const char *endpoint_id);
void driver_pool_id(const struct state_pool *p, char out[DRIVER_POOL_ID_MAX]);
/* -EINVAL (worded) unless pool_id has the shape "<address space>/<CIDR>". */
int driver_pool_id_check(const char *pool_id, struct errbuf *e);
/* The first 12 characters of a Docker ID, for messages. */
const char *short_id(const char *id, char buf[13]);

/* "10:52:01", local time, for `wgnet status`. */
void driver_clock_text(time_t t, char out[16]);

/* The driver's threads (watchdog, DOCKER-USER, resolver): started once; stopped by setting
 * d->stopping and waking wake (NULL for a thread that only sleeps), then joined. */
void driver_thread_start(struct driver *d, void *(*fn)(void *), pthread_t *t, bool *running,
			 const char *what);
void driver_thread_stop(struct driver *d, pthread_cond_t *wake, pthread_t *t, bool *running);

/* Persist d->st; on failure the error is worded in e. */
int driver_save(struct driver *d, struct errbuf *e);
/*
 * Saves next and makes it d->st; on failure d->st is untouched. next is consumed either way.
 * Removals go through it before any kernel object goes: a failed save then leaves memory,
 * disk and kernel as they were, and a retry does everything again, the save too.
 */
int driver_commit(struct driver *d, struct state *next, struct errbuf *e);

/* Firewall (driver/firewall.c): rebuild `inet wgnet` from the state (delete it when the
 * state has no network and no mesh); d->firewall_failed says how the last one went. */
int firewall_apply(struct driver *d, const struct state *st, struct errbuf *e);
/* A container port (ep's veth, ep's address) added to or removed from the anti-spoofing set
 * alone; the whole rebuild of st when that cannot be done. */
int firewall_port(struct driver *d, const struct state *st, const struct state_endpoint *ep,
		  bool add, struct errbuf *e);
/* DOCKER-USER accepts: ensured while networks exist, removed when the last one goes. Lock
 * held; the work is handed to a thread (started by firewall_docker_user_start), so this never
 * waits on iptables. */
void firewall_docker_user_sync(struct driver *d, bool force);
/* IPv6 off on one of our links (a bridge or a host-side veth): wgnet networks are IPv4 only,
 * and a container's router advertisement must not configure the host. Logged, never fatal. */
void firewall_link_no_ipv6(const char *ifname);
void firewall_docker_user_start(struct driver *d);
void firewall_docker_user_stop(struct driver *d);
/* st has networks, published ports or a mesh: our tables should exist. */
bool firewall_wanted(const struct driver *d, const struct state *st);

/* The firewall watch (driver/firewall_watch.c): rebuilds our tables when another program
 * changes them, and fails closed while they cannot be built. Open subscribes (before the
 * first build, so that nothing after it is missed); start runs the thread. */
void firewall_watch_open(struct driver *d);
void firewall_watch_start(struct driver *d);
void firewall_watch_stop(struct driver *d);
/* What happened to the tables, for `wgnet status`; "" when nothing did. Lock held. */
void firewall_watch_status(const struct driver *d, char *out, size_t size);

/* Peer endpoints (driver/resolve.c), lock held. "a.b.c.d:port" and "[v6]:port" are parsed at
 * once; a name is looked up by a thread, which applies the peers again when it has an answer.
 * 0 and *out set, -EAGAIN while the name is being resolved, -EHOSTUNREACH if it did not
 * resolve (tried again every RESOLVE_RETRY seconds). */
int resolve_endpoint(struct driver *d, const char *endpoint, struct sockaddr_storage *out);
void resolve_start(struct driver *d);
/* false if the thread is still in a lookup: it is left to end on its own (it touches nothing
 * but the lock and d->stopping then), so d must not be freed. */
bool resolve_stop(struct driver *d);

/* Kernel objects of one network / endpoint (driver/network.c, driver/endpoint.c). */
int network_bridge_ensure(struct driver *d, const struct state_pool *p, bool *created,
			  struct errbuf *e);
int endpoint_veth_ensure(struct driver *d, const struct state_pool *p,
			 const struct state_endpoint *ep, bool *created, struct errbuf *e);
void endpoint_veth_remove(struct driver *d, const struct state_endpoint *ep);

/* The mesh (driver/mesh.c): device, peers, pool routes. mesh_start makes wgnet0 and applies
 * everything (at start and at init); mesh_sync re-applies peers' allowed IPs and the routes
 * after a network or peer change. Both need the lock held and do nothing before init. */
int mesh_start(struct driver *d, struct errbuf *e);
int mesh_sync(struct driver *d, struct errbuf *e);
/* Every peer off wgnet0: the firewall could not be built (lock held). mesh_sync puts them
 * back once it is. */
void mesh_fail_closed(struct driver *d);
/* The device can be used: configured, and no call found it hung. */
bool mesh_usable(const struct driver *d);
/* After a failed call to the device, lock held: a timeout marks it hung (the watchdog then
 * checks it at once, without the lock, and replaces it if it does not answer). */
void mesh_note_error(struct driver *d, int ret);
/* A userspace WireGuard that died or hangs is started again and re-applied (a thread),
 * with backoff after a failed restart, for as long as it takes. */
void mesh_watchdog_start(struct driver *d);
/* Host key, backend, join line and peers of `wgnet status`; lock held. */
int mesh_status_fill(struct driver *d, struct driver_status *s);
void mesh_watchdog_stop(struct driver *d);

/* The store (driver/store.c): its threads start when a store is configured and stop
 * (without the lock) in driver_free; status fill with the lock held. */
int store_new(struct driver *d, const char *state_dir, struct errbuf *e);
void store_free(struct driver *d);
void store_status_fill(struct driver *d, struct driver_status *s);

/* Start-up reconciliation (driver/reconcile.c). */
int reconcile_all(struct driver *d, struct errbuf *e);

#endif
