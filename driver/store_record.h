/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STORE_RECORD_H
#define WGNET_DRIVER_STORE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/errbuf.h"
#include "driver/keys.h"
#include "driver/state.h"

/*
 * What a host publishes in the store, and where (pure: no I/O).
 *   /wgnet/index/<N>  its claim of index N: its base64 public key, created only if absent
 *   /wgnet/hosts/<N>  its record: {"v":1, "name", "index", "key", "listen_port", "mtu",
 *                     "endpoints": ["HOST:PORT", ...]}
 *   /wgnet/alive/<N>  its liveness: the name, under a lease of STORE_LEASE_TTL seconds
 * A record is checked like a join line (name, index, key, each endpoint), and must sit under
 * its own index.
 */
#define STORE_PREFIX "/wgnet/"
#define STORE_INDEX_PREFIX "/wgnet/index/"
#define STORE_HOSTS_PREFIX "/wgnet/hosts/"
#define STORE_ALIVE_PREFIX "/wgnet/alive/"
#define STORE_KEY_MAX 48
#define STORE_ENDPOINTS_MAX 8
#define STORE_RECORD_MAX 4096
#define STORE_LEASE_TTL 30

struct store_record {
	char name[STATE_NAME_MAX];
	unsigned index;
	uint8_t key[KEYS_LEN];
	uint16_t listen_port;
	unsigned mtu;
	char endpoints[STORE_ENDPOINTS_MAX][STATE_HOST_ENDPOINT_MAX];
	size_t nendpoints;
};

enum store_key_kind { STORE_KEY_OTHER, STORE_KEY_INDEX, STORE_KEY_HOST, STORE_KEY_ALIVE };

/* "/wgnet/hosts/12" -> STORE_KEY_HOST, 12; anything else of ours or not -> STORE_KEY_OTHER */
enum store_key_kind store_key_parse(const char *key, unsigned *index);
void store_key_format(const char *prefix, unsigned index, char out[STORE_KEY_MAX]);

int store_record_parse(const char *text, size_t len, struct store_record *out, struct errbuf *e);
/* malloc'd JSON text */
char *store_record_format(const struct store_record *r);

#endif
