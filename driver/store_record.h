/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STORE_RECORD_H
#define WGNET_DRIVER_STORE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/errbuf.h"
#include "driver/keys.h"
#include "driver/state.h"
#include "driver/store_etcd.h"

/*
 * What a host publishes in the store, and where (pure: no I/O).
 *   /wgnet/index/<N>  its claim of index N: its base64 public key, created only if absent
 *   /wgnet/hosts/<N>  its record: {"v":1, "name", "index", "key", "listen_port", "mtu",
 *                     "endpoints": ["HOST:PORT", ...], "next_key" while it rotates its key}
 *   /wgnet/alive/<N>  its liveness: the name, under a lease of STORE_LEASE_TTL seconds
 *   /wgnet/rotate/<N>/<M>  host M has host N's next key on its device: that key, under M's
 *                     lease (host N switches once every live host has said so); the last
 *                     prefix: the hosts watch /wgnet/ up to it, and only host N reads these
 *   /wgnet/revoked/<base64 key>  a key no host accepts again: the name it had
 * A record is checked like a join line (name, index, key, each endpoint), and must sit under
 * its own index.
 */
#define STORE_PREFIX "/wgnet/"
#define STORE_INDEX_PREFIX "/wgnet/index/"
#define STORE_HOSTS_PREFIX "/wgnet/hosts/"
#define STORE_ALIVE_PREFIX "/wgnet/alive/"
#define STORE_ROTATE_PREFIX "/wgnet/rotate/"
#define STORE_REVOKED_PREFIX "/wgnet/revoked/"
#define STORE_KEY_MAX 64
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
	bool has_next;			/* the host rotates its key to next_key */
	uint8_t next_key[KEYS_LEN];
};

enum store_key_kind { STORE_KEY_OTHER, STORE_KEY_INDEX, STORE_KEY_HOST, STORE_KEY_ALIVE };

/* "/wgnet/hosts/12" -> STORE_KEY_HOST, 12; anything else of ours or not -> STORE_KEY_OTHER */
enum store_key_kind store_key_parse(const char *key, unsigned *index);
void store_key_format(const char *prefix, unsigned index, char out[STORE_KEY_MAX]);
/* "/wgnet/revoked/<base64 key>" -> true and the key */
bool store_key_parse_revoked(const char *key, uint8_t out[KEYS_LEN]);
void store_key_format_revoked(const uint8_t key[KEYS_LEN], char out[STORE_KEY_MAX]);
/* "/wgnet/rotate/<index>/<by>" -> true, index and by (1..65535) */
bool store_key_parse_ack(const char *key, unsigned *index, unsigned *by);
void store_key_format_ack(unsigned index, unsigned by, char out[STORE_KEY_MAX]);

int store_record_parse(const char *text, size_t len, struct store_record *out, struct errbuf *e);
/* malloc'd JSON text */
char *store_record_format(const struct store_record *r);

/*
 * The two writes of a key rotation, each one transaction guarded by the host's claim of its
 * index still holding its old key (a host removed or revoked meanwhile, or a second rotation,
 * cannot write) and by its new key not being revoked:
 *   publish: hosts/<N> = the record with next_key (r->has_next), the old key still claiming N;
 *   switch:  index/<N> = the new key (r->key, r->has_next false: the compare-and-swap of the
 *            claim), hosts/<N> = r, and the acknowledgements under rotate/<N>/ deleted.
 * old is the key that claims N now; the new key is r->next_key (publish) or r->key (switch).
 * Fills t (its names and texts too: store_txn_release); -ENOMEM.
 */
struct store_txn {
	struct etcd_guard guards[2];
	struct etcd_op ops[3];
	size_t nguards, nops;
	char names[4][STORE_KEY_MAX];
	char old_b64[KEYS_B64_LEN], new_b64[KEYS_B64_LEN];
	char *record;
};
int store_txn_rotate(struct store_txn *t, const struct store_record *r,
		     const uint8_t old[KEYS_LEN], bool do_switch);
void store_txn_release(struct store_txn *t);

#endif
