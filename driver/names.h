/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_NAMES_H
#define WGNET_DRIVER_NAMES_H

#include <net/if.h>
#include <stdbool.h>

/* Every kernel object name wgnet makes is made here: tests and users grep for these. */
#define DOCKER_ID_LEN 64
#define NAMES_WG_DEVICE "wgnet0"
#define NAMES_BRIDGE_PREFIX "wgb"	/* + first 10 hex of the network ID */
#define NAMES_VETH_ID_CHARS 11		/* of the endpoint ID, in both veth names */
#define NAMES_VETH_HOST_PREFIX "wgv"	/* + first 11 hex of the endpoint ID */
#define NAMES_VETH_CTR_PREFIX "wgc"	/* + first 11 hex of the endpoint ID */
#define NAMES_NFT_TABLE "wgnet"		/* family inet */
#define NAMES_ROUTE_PROTO 77		/* rtm_protocol of our routes */

bool names_docker_id_valid(const char *id);	/* exactly 64 lowercase hex digits */
void names_bridge(const char *network_id, char out[IFNAMSIZ]);
void names_veth_host(const char *endpoint_id, char out[IFNAMSIZ]);
void names_veth_ctr(const char *endpoint_id, char out[IFNAMSIZ]);
bool names_is_ours(const char *ifname);	/* wgb/wgv/wgc prefix + hex tail of the right length */
/* The first 12 characters of a Docker ID, as Docker shows them: for messages. */
const char *names_short_id(const char *id, char buf[13]);

#endif
