/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_KEYS_H
#define WGNET_DRIVER_KEYS_H

#include <stdint.h>

#include "driver/errbuf.h"

/*
 * The host's X25519 key pair (libsodium). The private key lives only in <state dir>/private.key
 * (0600, base64 and a newline, written atomically) and in a struct keys; keys_wipe clears it.
 * Never logged, never in a reply or an error message.
 */
#define KEYS_FILE_NAME "private.key"
#define KEYS_NEXT_FILE_NAME "private.key.next"	/* a rotation's new pair, until it takes over */
#define KEYS_LEN 32
#define KEYS_B64_LEN 45			/* 44 characters + NUL */

struct keys {
	uint8_t priv[KEYS_LEN];
	uint8_t pub[KEYS_LEN];
};

/* Loads the key pair from path, or makes and saves a new one if the file does not exist. */
int keys_load_or_create(const char *path, struct keys *out, struct errbuf *e);
/* The same, -ENOENT (e untouched) when the file does not exist. */
int keys_load(const char *path, struct keys *out, struct errbuf *e);
/* The pair in from becomes the one in to (renamed over it, the directory synced). */
int keys_promote(const char *from, const char *to, struct errbuf *e);
void keys_wipe(struct keys *k);

void keys_b64(const uint8_t key[KEYS_LEN], char out[KEYS_B64_LEN]);
/* Exactly 44 base64 characters of 32 bytes; -EINVAL otherwise. */
int keys_from_b64(const char *s, uint8_t out[KEYS_LEN]);

#endif
