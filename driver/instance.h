/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_INSTANCE_H
#define WGNET_DRIVER_INSTANCE_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include "driver/api.h"
#include "driver/event_ring.h"
#include "driver/id_list.h"
#include "driver/keys.h"
#include "driver/state.h"
#include "driver/store_etcd.h"
#include "driver/store_hosts.h"
#include "netlink/iptables.h"
#include "netlink/wg.h"

/*
 * Private to driver/: the one driver instance, data only (the functions are in each room's
 * header). One lock serves every Docker call and every thread, each holding it only for what
 * it reads or changes, never across slow work (DNS, iptables, a wireguard-go that does not
 * answer). Each part below has one owner, named on it: the other rooms reach that part through
 * the owner's functions, never its fields.
 */

struct dns_names;
struct dns_server;
struct dns_table;
struct mesh_seen;
struct nl;
struct nft_dnat;
struct nft_monitor;
struct resolved;

/* wgnet0, its key and peers, and the watchdog of a userspace WireGuard (driver/mesh.c,
 * driver/mesh_watchdog.c). */
struct mesh_part {
	char key_path[PATH_MAX];
	struct keys keys;		/* loaded at init/start; wiped by mesh_fini */
	/* the pair a rotation switches to (driver/mesh_key.c), kept in its own file until then */
	char next_path[PATH_MAX];
	struct keys next;
	bool has_next;
	char mode[16];			/* "auto", "kernel" or "userspace" */
	char program[PATH_MAX];		/* userspace implementation, "" = wireguard-go */
	char cgroup_root[PATH_MAX];	/* "" = leave wireguard-go in wgnetd's cgroup */
	struct wg_backend wg;		/* valid when ready */
	bool ready;			/* wgnet0 exists and is configured */
	bool watch;			/* mesh_start ran with the userspace backend */
	bool hung;			/* a UAPI call under the lock timed out: skip the device
					 * until the watchdog has checked it */
	/* the watchdog: a userspace device it keeps alive, restarting it with backoff for as
	 * long as it takes */
	time_t next_try;		/* of the next restart, 0 = none due */
	char problem[200];		/* for wgnet status, "" = none */
	unsigned failures;		/* restarts that failed in a row */
	uint64_t restarts, restart_failures;	/* since wgnetd started, for the metrics */
	pthread_t watchdog;
	bool watchdog_running;
	/* the look at the peers every few seconds (driver/mesh_look.c): what it saw last */
	struct mesh_seen *seen;		/* sorted by key */
	size_t nseen;
};

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
	uint64_t rebuilds;		/* after another program's change, since wgnetd started */
	bool running;
	bool pending;			/* a rebuild is due */
	bool closed;			/* failed closed: no peer, DOCKER-USER rules, route_localnet */
};

/* Docker's firewall as the DOCKER-USER thread last read it (driver/firewall_docker.c). */
struct docker_firewall {
	struct iptables_forward fwd;	/* iptables' FORWARD chain */
	bool read;			/* fwd was read at least once */
	time_t bad_since;		/* CLOCK_MONOTONIC: DROP and no jump to DOCKER-USER
					 * since, 0 = not */
	bool warned;			/* and for long enough: logged, in wgnet status */
};

/* Our nftables tables and DOCKER-USER rules (driver/firewall.c, driver/firewall_watch.c). */
struct firewall_part {
	bool failed;			/* the last rebuild of our tables failed */
	struct nft_dnat *dnats;		/* the published ports in the table, sorted */
	size_t ndnats;
	char iptables[PATH_MAX];	/* the iptables binary of the host's dockerd */
	bool no_iptables;
	/* DOCKER-USER, written by a thread of its own without the lock: iptables may wait on
	 * the xtables lock, and no Docker call may wait with it */
	time_t docker_user_checked;	/* last check, 0 = never */
	time_t du_next;			/* CLOCK_MONOTONIC: the thread's next look, done or not */
	struct docker_firewall docker;
	pthread_cond_t du_cond;		/* on CLOCK_MONOTONIC */
	pthread_t du_thread;
	bool du_running, du_pending;
	struct firewall_watch watch;
};

/* Peer endpoints given by name, resolved by a thread of its own without the lock and kept
 * (driver/resolve.c): no Docker call may wait on DNS. */
struct resolver_part {
	pthread_cond_t cond;
	pthread_t thread;
	struct resolved *v;
	size_t n;
	/* called, lock held, when a name got its first answer: the peers are applied again */
	void (*answered)(struct driver *d, const char *name);
	bool running, busy;
};

/* Join-line peers that rotate their key: the new key takes over at its first handshake, which a
 * thread looks for while there is one (driver/peer_rotate.c). */
struct peer_rotate_part {
	pthread_cond_t cond;
	pthread_t thread;
	bool running;
};

/* Membership through etcd (driver/store.c, store_watch.c, store_keeper.c, store_file.c).
 * Under the driver lock, but etcd (fixed while the threads run) and stop. */
#define STORE_RENEW_SECONDS 10		/* keepalive period, a third of the lease */
#define STORE_FAILOVER_SECONDS 15	/* no handshake on an endpoint for this long: next */
#define STORE_SESSION_SECONDS 180	/* WireGuard's reject-after time: a session this young lives */

/* An acknowledgement of host index's next key (key) by this host (by), put only while the
 * claim of index holds claim (the key it rotates from: a late one is not written), or one to
 * take back. */
struct store_ack_due {
	unsigned index, by;
	uint8_t key[KEYS_LEN], claim[KEYS_LEN];
	int64_t lease;			/* this host's, when it was queued */
	bool back;			/* the rotation gave up: deleted */
};

struct store {
	char path[PATH_MAX];
	struct etcd etcd;
	bool configured;
	bool refused;			/* store.json takes a risk the user did not: not used */
	bool leave_pending;
	bool removed;
	atomic_bool stop;
	/* the threads sleep on this, and are woken by stop or store_wake (driver/store_file.c) */
	pthread_mutex_t sleep_lock;
	pthread_cond_t sleep_cond;
	bool wake;
	/* acknowledgements the keeper gives at once, without the driver lock (the watcher queues
	 * them once wgnet0 has the next keys, before it saves the state): under sleep_lock */
	struct store_ack_due *acks_due;
	size_t nacks_due;
	/* those given (or on their way): not given again while the rotation lasts (the watch
	 * does not bring them back: only the rotating host reads them); under the driver lock */
	struct store_ack_due *acks_sent;
	size_t nacks_sent;
	pthread_t watcher, keeper;
	bool running;
	struct store_hosts hosts;
	int64_t rev;
	bool synced;			/* hosts reflect the store at rev */
	bool watch_broke;		/* the watch ended: its next start is a resume */
	bool reachable;
	char error[256];
	struct store_keys mine;		/* peers that came from the store, sorted */
	int64_t lease;
	time_t renewed;
	bool publish;
	bool rotating;			/* wgnet key rotate runs (driver/store_rotate.c): the keeper
					 * leaves this host's record and claim to it */
	bool keeper_busy;		/* the keeper writes this host's record or lease */
	/* this host's names records as the store has them (driver/store_names.c) */
	atomic_bool names_dirty;	/* the store's copy changed: compare again */
	unsigned names_gen;		/* of the local names last put */
	struct dns_table *names_mine;	/* NULL until the first read */
	int64_t names_lease;		/* the lease they were put under */
};

/* This host's containers' names, read from the Docker Engine API by a thread of its own
 * (driver/docker_names.c); under the lock but the thread and stop. */
struct docker_part {
	char socket[PATH_MAX];		/* "" = off */
	pthread_t thread;
	bool running;
	atomic_bool stop;
	char api[16];			/* the API version spoken */
	char version[64];		/* Docker's */
	char error[256];		/* why Docker is not read now, "" when it is */
	int error_code;			/* its negative errno, 0 when Docker is read */
};

/* What changed, as it happened (driver/events.c): every owner appends, plugin/ reads. */
struct events_part {
	struct event_ring ring;
	pthread_cond_t cond;		/* broadcast at each event */
	uint64_t epoch;			/* this run of wgnetd, in microseconds since 1970 */
};

/* Pool leases: when each one not bound to a network yet was made (memory only). */
struct pending_age {
	struct cidr slice;
	time_t at;
};

struct driver {
	pthread_mutex_t lock;
	bool stopping;			/* every thread ends when it sees this */
	char state_path[PATH_MAX];
	struct state st;
	struct nl *nl;
	unsigned cfg_mtu;		/* wgnetd --mtu / WGNET_MTU: init takes it over the uplink's */
	char mtu_from[DRIVER_MTU_FROM_MAX];	/* how the last wgnet init chose st.mtu (memory only) */
	/* the IPAM's (driver/pool.c, network.c, endpoint.c, reconcile.c) */
	struct id_list replay_pools;	/* set at start and at Plugin.Activate */
	struct id_list replay_addrs;	/* pools whose stored addresses dockerd re-requests */
	struct pending_age *pending_ages;
	size_t npending_ages;
	struct mesh_part mesh;
	struct firewall_part fw;
	struct resolver_part res;
	struct peer_rotate_part rot;
	struct events_part events;
	struct store *store;		/* membership through etcd (driver/store*.c) */
	struct docker_part docker;
	struct dns_names *names;	/* what the responder serves (driver/dns_names.c): a lock
					 * of its own, taken inside the driver's, never around it */
	struct dns_server *dns;		/* the responder (driver/dns_server.c): the same */
};

/* Seconds after which a pool lease with no CreateNetwork is considered abandoned. */
#define DRIVER_PENDING_POOL_TTL 120
/* Seconds between two checks of our DOCKER-USER rules from Join. */
#define DRIVER_DOCKER_USER_RECHECK 30

#endif
