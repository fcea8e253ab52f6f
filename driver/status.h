/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STATUS_H
#define WGNET_DRIVER_STATUS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/api.h"

/* `wgnet status`, filled by each room for its part (driver_status_get, driver/driver.c). */

/* A peer is up with a handshake younger than this: WireGuard rekeys every 2 minutes while
 * traffic flows, and one that old means none has. */
#define STATUS_PEER_UP_SECONDS 180

struct status_network {
	char network_id[DOCKER_ID_LEN + 1];
	char pool[CIDR_STR_MAX];
	char slice[CIDR_STR_MAX];
	char gateway[CIDR_ADDR_STR_MAX];
	char bridge[IFNAMSIZ];
	unsigned mtu;
	bool internal;
	bool bridge_up;			/* the bridge exists in the kernel */
	size_t endpoints;
	char responder[CIDR_ADDR_STR_MAX];	/* the names responder's address of the pool */
	bool responder_up;		/* it listens on UDP and TCP port 53 */
	char responder_error[200];	/* why not, "" when it does */
	size_t addresses_used;		/* of the slice: gateway, aux and containers */
	size_t addresses;		/* usable addresses of the slice */
};
struct status_peer {
	char name[DRIVER_NAME_MAX];
	unsigned index;
	char public_key[DRIVER_KEY_B64_MAX];
	uint8_t key[32];		/* public_key as it is */
	char endpoint[STATE_HOST_ENDPOINT_MAX];	/* what the device uses now, "" = none */
	char configured_endpoint[STATE_HOST_ENDPOINT_MAX];
	unsigned keepalive;
	bool on_device;			/* the device has it: the three below are its */
	int64_t latest_handshake;	/* unix seconds, 0 = never */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	char (*allowed_ips)[CIDR_STR_MAX];
	size_t nallowed_ips;
	bool from_store;		/* its record is in the store (else: a join line) */
	char next_key[DRIVER_KEY_B64_MAX];	/* it rotates to this key, "" = it does not */
	int alive;			/* store peers: 1 its liveness key exists, 0 not; -1 n/a */
};
struct status_store {
	bool configured;		/* wgnet init --store */
	char urls[512];
	bool reachable;
	char error[256];		/* why not, "" when reachable */
	long long revision;		/* the last one seen */
	bool leave_pending;		/* wgnet leave waits for the store */
	bool removed;			/* our record was removed (wgnet host rm elsewhere) */
	size_t hosts;			/* records in the store */
};
/* The names served (driver/docker_names.c, dns_server.c). */
struct status_names {
	char docker_socket[108];	/* "" = names from Docker are off */
	char docker_api[16];		/* the API version spoken, "" = not connected */
	char docker_version[64];
	char docker_error[256];		/* why Docker is not read, "" when it is */
	size_t local, remote;		/* names served: this host's, the other hosts' */
	uint64_t queries, answered, refused, peer_queries;
};
struct driver_status {
	unsigned host_index;		/* 0 = not initialised */
	char host_endpoint[STATE_HOST_ENDPOINT_MAX];
	char host_name[DRIVER_NAME_MAX];
	char public_key[DRIVER_KEY_B64_MAX];	/* "" before init */
	char next_key[DRIVER_KEY_B64_MAX];	/* a rotation's new key, "" = none under way */
	unsigned listen_port;
	const char *backend;		/* "kernel", "userspace" or "none" */
	char wg_problem[200];		/* what the watchdog last did or failed to do, "" = none */
	bool device_up;
	char join_line[DRIVER_JOIN_LINE_MAX];	/* "" before init */
	struct status_peer *peers;
	size_t npeers;
	unsigned mtu;
	char mtu_from[DRIVER_MTU_FROM_MAX];	/* "" until wgnet init in this run of wgnetd */
	bool firewall_ok;		/* tables inet and bridge wgnet present when they should be */
	bool firewall_failed;		/* its last rebuild failed: no peer is configured */
	char firewall_note[256];	/* what another program did to it and what came of it */
	char docker_firewall[16];	/* the host dockerd's backend: "iptables", "nftables", "" */
	char docker_firewall_seen[128];	/* what says so, or what was looked for */
	char docker_forward_warning[300];	/* "" = none (driver/firewall_docker.c) */
	struct driver_host_ports host_allow;
	struct status_network *networks;
	size_t nnetworks;
	size_t pending_pools;		/* RequestPool answered, no CreateNetwork yet */
	struct status_store store;
	struct status_names names;
};

#endif
