/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_DNS_RECORD_H
#define WGNET_DRIVER_DNS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/cidr.h"
#include "driver/errbuf.h"
#include "driver/names.h"

/*
 * One container's names on one wgnet network (pure: no I/O): what the names responder serves,
 * what this host publishes in the store, and how (key and JSON, parsed as if hostile).
 *   /wgnet/names/<N>/<endpoint ID>  {"v":1, "pool":"10.210.0.0/16", "addr":"10.210.2.5",
 *                                    "names":["web", "demo_web_1"]}
 * put by host N under its lease: its names go with it.
 */
#define DNS_RECORD_PREFIX "/wgnet/names/"
#define DNS_RECORD_KEY_MAX 96		/* "/wgnet/names/65535/" + 64 hex */
#define DNS_RECORD_NAMES_MAX 32		/* names of one container on one network */
#define DNS_RECORD_NAMES_BYTES 2048	/* all of them, NULs included */
#define DNS_RECORD_TEXT_MAX 8192	/* the JSON of a record */

struct dns_record {
	char endpoint[DOCKER_ID_LEN + 1];	/* the Docker endpoint: the record's identity */
	struct cidr pool;
	uint32_t addr;
	char *names;		/* nnames names, each NUL-terminated, back to back; malloc'd */
	size_t names_len;	/* bytes of names, NULs included */
	size_t nnames;
};

/*
 * Whether text can be a name we serve: dot-separated labels of 1..63 letters, digits, '-' or
 * '_', at most 253 bytes (what dns_query_parse lets through as a name; Docker's own names are
 * [a-zA-Z0-9][a-zA-Z0-9_.-]*). out gets it in lower case (DNS compares names without case).
 */
bool dns_record_name_norm(const char *text, char out[256]);

/*
 * Adds a name (lower-cased): 0, also when it is there already; -EINVAL when it is not a name we
 * can serve (dns_record_name_norm); -E2BIG past DNS_RECORD_NAMES_MAX or _BYTES; -ENOMEM.
 */
int dns_record_name_add(struct dns_record *r, const char *name);
/* The name after prev (NULL: the first), NULL after the last. */
const char *dns_record_name_next(const struct dns_record *r, const char *prev);
bool dns_record_equal(const struct dns_record *a, const struct dns_record *b);
int dns_record_copy(const struct dns_record *src, struct dns_record *dst);
void dns_record_release(struct dns_record *r);	/* leaves it zeroed */

/* "/wgnet/names/<index>/<endpoint>" */
void dns_record_key(unsigned index, const char *endpoint, char out[DNS_RECORD_KEY_MAX]);
/* "/wgnet/names/<index>/" */
void dns_record_key_prefix(unsigned index, char out[DNS_RECORD_KEY_MAX]);
/* A key of ours: its index (1..65535) and endpoint ID (64 lowercase hex); false otherwise. */
bool dns_record_key_parse(const char *key, unsigned *index, char endpoint[DOCKER_ID_LEN + 1]);

/* The record as JSON (malloc'd), without the endpoint: the key names it. NULL: out of memory. */
char *dns_record_format(const struct dns_record *r);
/* A record's JSON, checked: version 1, a pool, an address inside it, 1..DNS_RECORD_NAMES_MAX
 * names each of which dns_record_name_norm takes. -EINVAL / -EMSGSIZE worded; out (endpoint
 * left "") written only on success. */
int dns_record_parse(const char *text, size_t len, struct dns_record *out, struct errbuf *e);

#endif
