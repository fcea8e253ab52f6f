/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STATE_H
#define WGNET_DRIVER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/cidr.h"
#include "driver/errbuf.h"
#include "driver/ipam.h"
#include "driver/names.h"

/*
 * Everything wgnet must remember across restarts, as plain data. driver/ owns the only
 * instance and mutates it under its lock; state_save() writes it atomically as JSON.
 */
#define STATE_FILE_NAME "state.json"
#define STATE_VERSION 1
#define STATE_HOST_ENDPOINT_MAX 262	/* "host:port", host up to 253 chars */
#define STATE_SANDBOX_MAX 256
#define STATE_NAME_MAX 64		/* host and peer names: [A-Za-z0-9._-]{1,63} */
#define STATE_FILE_MAX (64 << 20)	/* refuse to load anything larger */

struct port_binding {
	uint8_t proto;		/* 6 tcp, 17 udp, 132 sctp */
	uint16_t port;		/* container port */
	uint32_t host_ip;	/* 0 = any */
	uint16_t host_port;
	uint16_t host_port_end;	/* == host_port for a single port */
};

/* A port of this host opened to the mesh: `wgnet host allow tcp/53`. */
#define STATE_HOST_ALLOW_MAX 64
#define STATE_PORT_STR_MAX 12		/* "sctp/65535" */
struct state_port {
	uint8_t proto;		/* 6 tcp, 17 udp, 132 sctp */
	uint16_t port;		/* 1..65535 */
};

/*
 * A pool lease from IpamDriver.RequestPool; once CreateNetwork names it, it is that network.
 * PoolID = "<address space>/<slice CIDR>", derived, never stored.
 */
struct state_pool {
	char network_id[DOCKER_ID_LEN + 1];	/* "" until CreateNetwork */
	char address_space[32];		/* "wgnet-local" or "wgnet-global" */
	struct cidr pool;		/* the cluster pool, as the user asked (or the default) */
	struct cidr slice;		/* this host's slice of it */
	bool has_sub_pool;
	struct cidr sub_pool;		/* --ip-range, inside slice */
	bool default_pool;		/* requested without --subnet */
	uint32_t gateway;		/* 0 until the gateway is requested / the network created */
	unsigned mtu;			/* bridge and veth MTU */
	bool internal;			/* --internal: no masquerade to the uplink */
	struct addr_set addrs;		/* allocated: gateway, aux and container addresses */
	uint32_t cursor;		/* last dynamically allocated address */
};

struct state_endpoint {
	char id[DOCKER_ID_LEN + 1];
	char network_id[DOCKER_ID_LEN + 1];
	uint32_t addr;			/* container address (prefix = the slice's) */
	uint8_t mac[6];
	bool joined;
	char sandbox[STATE_SANDBOX_MAX];	/* SandboxKey from Join, "" before */
	struct port_binding *ports;	/* published ports (ProgramExternalConnectivity) */
	size_t nports;
};

/* A remote host of the mesh (wgnet peer add). Its allowed IPs are derived, never stored. */
struct state_peer {
	char name[STATE_NAME_MAX];
	unsigned index;			/* its slice number, 1..65535 */
	uint8_t public_key[32];
	char endpoint[STATE_HOST_ENDPOINT_MAX];	/* "" = none (behind NAT) */
	uint16_t keepalive;		/* seconds, 0 = off */
	/* a rotation of its key under way: the new key sits on wgnet0 beside the old one, with no
	 * allowed IPs, until it takes over (driver/peer_rotate.c, store_hosts.c) */
	bool has_next_key;
	uint8_t next_key[32];
};

struct state {
	unsigned host_index;		/* 0 = not initialised (wgnet init --index N) */
	char host_endpoint[STATE_HOST_ENDPOINT_MAX];	/* "" = none */
	unsigned mtu;			/* WireGuard MTU = bridge MTU, default 1420 */
	char host_name[STATE_NAME_MAX];	/* "" until init */
	uint16_t listen_port;		/* 0 = the default 51820 */
	bool has_host_key;
	uint8_t host_public_key[32];	/* the private key is in its own 0600 file */
	struct state_peer *peers;
	size_t npeers;
	struct state_pool *pools;
	size_t npools;
	struct state_endpoint *endpoints;
	size_t nendpoints;
	struct state_port host_allow[STATE_HOST_ALLOW_MAX];	/* sorted, no duplicates */
	size_t nhost_allow;
};

/* A missing file gives an empty state and 0. Anything malformed is -EINVAL with the reason. */
int state_load(const char *path, struct state *out, struct errbuf *e);
/* Parses a state document from memory (used by state_load and the fuzz target). */
int state_parse(const char *buf, size_t len, struct state *out, struct errbuf *e);
/* Serialises to a malloc'd NUL-terminated JSON string. */
int state_dump(const struct state *s, char **out);
/*
 * Checked first as the loader checks it: a state that would not load (two peers with one index,
 * key or name, a peer with this host's index or key, an endpoint outside its network's slice...)
 * is -EINVAL, e says why, and nothing is written. Then file_write_atomic (driver/file_write.h):
 * 1 (e worded) when only the directory's fsync failed: the file is in place and is the state
 * now, so the caller must not treat it as unsaved; it warns instead.
 */
int state_save(const char *path, const struct state *s, struct errbuf *e);
void state_release(struct state *s);	/* frees everything, leaves a zeroed state */

/* Helpers for the driver: deep copy (for rollback) and array maintenance. */
int state_copy(const struct state *src, struct state *dst);
struct state_pool *state_pool_add(struct state *s);		/* zeroed, NULL on ENOMEM */
void state_pool_remove(struct state *s, size_t i);
struct state_endpoint *state_endpoint_add(struct state *s);	/* zeroed, NULL on ENOMEM */
void state_endpoint_remove(struct state *s, size_t i);
struct state_peer *state_peer_add(struct state *s);		/* zeroed, NULL on ENOMEM */
void state_peer_remove(struct state *s, size_t i);
/* Lookups: the network's pool (not a pending lease), the endpoint; NULL when absent. */
struct state_pool *state_pool_by_network(struct state *s, const char *network_id);
struct state_endpoint *state_endpoint_by_id(struct state *s, const char *endpoint_id);
/* "tcp/53" (tcp, udp or sctp; port 1..65535) <-> struct state_port; -EINVAL if malformed. */
int state_port_parse(const char *s, struct state_port *out);
void state_port_format(const struct state_port *p, char out[STATE_PORT_STR_MAX]);

/* For the state's JSON codec (state_parse.c, state_dump.c), which state_check serves too. */

/* Where a parse error is reported: "state" or the file's path, then the field. */
struct parse_ctx {
	const char *src;
	struct errbuf *e;
};

/* -EINVAL, e worded "<src>: <where>.<key>: <why>". */
int state_bad(const struct parse_ctx *c, const char *where, const char *key, const char *fmt,
	      ...) __attribute__((format(printf, 4, 5)));
/*
 * What ties the objects of a state together, checked by the loader after it parsed them and by
 * state_save before it writes: a state that would not load is never written. No two pools of
 * one network, every endpoint in its network's slice and no two with one ID, no two peers with
 * one index (their slices would be one), key or name, and none with this host's index or key.
 */
int state_check(const struct parse_ctx *c, const struct state *s);
/* "tcp", "udp", "sctp" <-> 6, 17, 132 (NULL / -EINVAL for others) */
const char *state_proto_name(uint8_t proto);
int state_proto_parse(const char *s, uint8_t *out);
/* qsort order of struct state_port: protocol, then port */
int state_port_cmp(const void *a, const void *b);

#endif
