/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_API_H
#define WGNET_DRIVER_API_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/cidr.h"
#include "driver/errbuf.h"
#include "driver/event_ring.h"
#include "driver/names.h"
#include "driver/state.h"

/*
 * One function per Docker verb or CLI command: what plugin/ may call besides the life cycle
 * (driver/driver.h). Each is defined in its verb's room (network.c, endpoint.c, pool.c,
 * peers.c, host.c, host_allow.c, store.c). Requests arrive already parsed and shape-checked
 * (plugin/ checks JSON types and ID syntax); the driver checks meaning, does the kernel work,
 * saves the state, and on failure leaves kernel and state as they were. Every call takes the
 * driver's lock, so callers may come from any thread.
 */

#define DRIVER_ADDRESS_SPACE_LOCAL "wgnet-local"
#define DRIVER_ADDRESS_SPACE_GLOBAL "wgnet-global"
#define DRIVER_POOL_ID_MAX 64		/* "wgnet-global/255.255.255.255/32" */
#define DRIVER_DEFAULT_MTU 1420
#define DRIVER_JOIN_LINE_MAX 512
#define DRIVER_MTU_FROM_MAX 96
#define DRIVER_NAME_MAX 64
#define DRIVER_KEY_B64_MAX 45

struct driver;

/* ---- IpamDriver ---- */
struct ipam_pool_req {
	const char *address_space;	/* "" = local */
	const char *pool;		/* "" = the default pool */
	const char *sub_pool;		/* "" = none */
	const char *slice_opt;		/* value of --ipam-opt wgnet.slice, NULL = default */
	bool v6;
};
struct ipam_pool_reply {
	char pool_id[DRIVER_POOL_ID_MAX];
	char pool[CIDR_STR_MAX];	/* this host's slice */
};
int driver_ipam_request_pool(struct driver *d, const struct ipam_pool_req *req,
			     struct ipam_pool_reply *reply, struct errbuf *e);
int driver_ipam_release_pool(struct driver *d, const char *pool_id, struct errbuf *e);

struct ipam_addr_req {
	const char *pool_id;
	const char *address;		/* "" = any free one */
	bool gateway;			/* Options.RequestAddressType = com.docker.network.gateway */
};
/* reply: "a.b.c.d/len" */
int driver_ipam_request_address(struct driver *d, const struct ipam_addr_req *req,
				char reply[CIDR_STR_MAX], struct errbuf *e);
int driver_ipam_release_address(struct driver *d, const char *pool_id, const char *address,
				struct errbuf *e);

/* ---- NetworkDriver ---- */
struct network_create_req {
	const char *network_id;
	const char *address_space;	/* IPv4Data[0].AddressSpace ("" if no IPv4Data) */
	const char *pool;		/* IPv4Data[0].Pool */
	const char *gateway;		/* IPv4Data[0].Gateway, "a.b.c.d/len" or "" */
	size_t n_ipv4_data;		/* number of IPv4Data entries */
	size_t n_ipv6_data;
	bool internal;			/* com.docker.network.internal */
	bool enable_ipv6;
	const char *mtu;		/* generic option com.docker.network.driver.mtu, NULL = none */
};
int driver_network_create(struct driver *d, const struct network_create_req *req,
			  struct errbuf *e);
int driver_network_delete(struct driver *d, const char *network_id, struct errbuf *e);

struct endpoint_create_req {
	const char *network_id;
	const char *endpoint_id;
	const char *address;		/* Interface.Address "a.b.c.d/len" */
	const char *address6;		/* Interface.AddressIPv6, must be "" */
	const char *mac;		/* Interface.MacAddress, "" = we choose */
	const struct port_binding *ports;	/* com.docker.network.portmap */
	size_t nports;
};
struct endpoint_create_reply {
	char mac[18];			/* "" = nothing to fill in */
};
int driver_endpoint_create(struct driver *d, const struct endpoint_create_req *req,
			   struct endpoint_create_reply *reply, struct errbuf *e);
int driver_endpoint_delete(struct driver *d, const char *network_id, const char *endpoint_id,
			   struct errbuf *e);
/* EndpointOperInfo: 0 if the endpoint exists, with a malloc'd copy of its published ports
 * (host ports chosen) in *ports (NULL when none; the caller frees it). */
int driver_endpoint_info(struct driver *d, const char *network_id, const char *endpoint_id,
			 struct port_binding **ports, size_t *nports, struct errbuf *e);

struct join_req {
	const char *network_id;
	const char *endpoint_id;
	const char *sandbox_key;
};
struct join_reply {
	char src_name[IFNAMSIZ];	/* container-side veth; DstPrefix is always "eth" */
	char gateway[CIDR_ADDR_STR_MAX];	/* "" for --internal networks */
};
int driver_join(struct driver *d, const struct join_req *req, struct join_reply *reply,
		struct errbuf *e);
int driver_leave(struct driver *d, const char *network_id, const char *endpoint_id,
		 struct errbuf *e);

struct external_req {
	const char *network_id;
	const char *endpoint_id;
	const struct port_binding *ports;	/* Options com.docker.network.portmap */
	size_t nports;
};
int driver_program_external(struct driver *d, const struct external_req *req, struct errbuf *e);
int driver_revoke_external(struct driver *d, const char *network_id, const char *endpoint_id,
			   struct errbuf *e);

/* ---- control API (wgnet CLI) ---- */
struct host_init_req {
	unsigned index;			/* 1..65535 */
	const char *endpoint;		/* "host:port" or NULL */
	unsigned mtu;			/* 0 = from the uplink (driver/mtu.h) */
	unsigned listen_port;		/* 0 = keep / default 51820 */
	const char *name;		/* NULL = keep / the machine's hostname */
};
int driver_host_init(struct driver *d, const struct host_init_req *req, struct errbuf *e);

/* This host's join line for `wgnet peer add` on the others; -EAGAIN before init. */
int driver_join_line(struct driver *d, char out[DRIVER_JOIN_LINE_MAX], struct errbuf *e);

struct peer_add_req {
	const char *join_line;
	const char *endpoint;		/* NULL = the line's */
	bool no_endpoint;		/* ignore the line's endpoint (the peer is behind NAT) */
	int keepalive;			/* -1 = default 25 s */
};
/* *rotates: the line is a known peer's (its index and name) with a new key, which now waits
 * beside the old one until that host uses it (wgnet key rotate there). */
int driver_peer_add(struct driver *d, const struct peer_add_req *req,
		    char name[DRIVER_NAME_MAX], bool *rotates, struct errbuf *e);
/* By name or base64 public key; -ENOENT if unknown. */
int driver_peer_rm(struct driver *d, const char *peer, char name[DRIVER_NAME_MAX],
		   struct errbuf *e);

/* Ports of this host open to the mesh ("tcp/53"), sorted. */
struct driver_host_ports {
	char v[STATE_HOST_ALLOW_MAX][STATE_PORT_STR_MAX];
	size_t n;
};
/* port NULL: only the list. allow: open it (0 if it already was); else close it (-ENOENT if
 * it was not open). The list after the change in *out. */
int driver_host_allow(struct driver *d, const char *port, bool allow,
		      struct driver_host_ports *out, struct errbuf *e);

/* `wgnet names`: every name the responder serves, one per name of each record (driver.c). */
struct driver_name {
	char name[256];
	char addr[CIDR_ADDR_STR_MAX];
	char pool[CIDR_STR_MAX];
	unsigned host;			/* the host that published it, 0 = this one */
};
int driver_names_list(struct driver *d, struct driver_name **out, size_t *n, struct errbuf *e);

/* ---- wgnet events ---- */
#define DRIVER_EVENTS_BATCH 64
struct driver_events {
	struct event v[DRIVER_EVENTS_BATCH];
	size_t n;
	uint64_t lost;			/* events after since that the ring no longer holds */
	uint64_t last;			/* the newest number there is, 0 = none yet */
	uint64_t epoch;			/* this run of wgnetd (numbers start at 1 in each) */
};
/* The events numbered above since, oldest first, at most DRIVER_EVENTS_BATCH (driver/events.c);
 * an epoch that is not 0 and not this run's reads from the first one. */
void driver_events_get(struct driver *d, uint64_t since, uint64_t epoch, struct driver_events *out);
/* Lock not held: the newest number once it is above seen, or after ms, or when the driver
 * stops, whichever comes first. */
uint64_t driver_events_wait(struct driver *d, uint64_t seen, unsigned ms);

/*
 * wgnet key rotate: a new key pair for this host. With a store, all of it: the new key
 * published, every live host acknowledging it, the claim swapped, the switch. With join lines,
 * two steps: the new pair and its join line (the other hosts add it: it waits beside the old
 * key), then finish (the switch). Defined in key_rotate.c.
 */
struct key_rotate_req {
	bool finish;			/* join lines: switch to the new key now */
};
#define DRIVER_ROTATE_MISSING_MAX 256
struct key_rotate_reply {
	char old_key[DRIVER_KEY_B64_MAX];
	char new_key[DRIVER_KEY_B64_MAX];
	bool store;			/* through the store */
	bool switched;			/* this host uses the new key now */
	size_t hosts;			/* store: the store's peers */
	size_t acked;			/* ... that had the new key before the switch */
	char missing[DRIVER_ROTATE_MISSING_MAX];	/* ... the others' names, ", " between */
	long wait_ms;			/* from publishing the new key to the switch */
	size_t line_peers;		/* peers from join lines: each needs the new line */
	char join_line[DRIVER_JOIN_LINE_MAX];	/* with the new key */
};
int driver_key_rotate(struct driver *d, const struct key_rotate_req *req,
		      struct key_rotate_reply *out, struct errbuf *e);

/* wgnet host revoke NAME|KEY: the key (and the next key of its rotation) on the store's revoked
 * list, which every host refuses from then on, and its host out of the store. Defined in
 * store_revoke.c. */
struct host_revoke_reply {
	char name[DRIVER_NAME_MAX];	/* "" when no host of the store had the key */
	unsigned index;			/* 0 the same */
	size_t keys;			/* revoked: 1, or 2 with the next key of a rotation */
	bool removed;			/* its claim, record and liveness went */
};
int driver_host_revoke(struct driver *d, const char *host, struct host_revoke_reply *out,
		       struct errbuf *e);

/* A peer of `wgnet status` is up: a handshake within the last 180 s. */
struct status_peer;
bool driver_peer_up(const struct status_peer *p);

#endif
