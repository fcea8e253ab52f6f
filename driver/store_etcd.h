/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STORE_ETCD_H
#define WGNET_DRIVER_STORE_ETCD_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/errbuf.h"
#include "driver/store_etcd_http.h"

/*
 * A small client of etcd v3's JSON gateway (/v3/kv/..., /v3/lease/..., /v3/watch) over
 * libcurl, with TLS client certificates. Keys and values are bytes (base64 on the wire, done
 * here); revisions and lease IDs are int64 (strings on the wire). Every call tries the
 * cluster's URLs in turn, starting with the last one that answered. Blocking; no state but
 * the configuration, so any thread may call it. Errors: -ENOTCONN when no member answered
 * (the message says why), -EPROTO for an answer we cannot read, -EIO for an etcd error.
 */

struct etcd_kv {
	char *key;			/* NUL-terminated (keys are ours: text) */
	char *value;			/* NUL-terminated; value_len without it */
	size_t value_len;
	int64_t create_rev;
	int64_t mod_rev;
	int64_t lease;
};

struct etcd_kvs {
	struct etcd_kv *v;
	size_t n;
	int64_t revision;		/* the store's revision when it answered */
};

/* "URL[,URL...]", the TLS files and allow (ETCD_ALLOW_*); -EINVAL worded. */
int etcd_config(struct etcd *c, const char *urls, const char *ca, const char *cert,
		const char *key, unsigned allow, struct errbuf *e);
/* -EINVAL, worded with the risk and the flag that takes it, for a risk c->allow does not name. */
int etcd_check_risks(const struct etcd *c, struct errbuf *e);
/* The URLs again, comma-separated. */
void etcd_urls_text(const struct etcd *c, char *out, size_t size);

void etcd_kvs_release(struct etcd_kvs *kvs);

/* Every key that starts with prefix. */
int etcd_range_prefix(struct etcd *c, const char *prefix, struct etcd_kvs *out, struct errbuf *e);
/* lease 0 = none */
int etcd_put(struct etcd *c, const char *key, const char *value, int64_t lease, struct errbuf *e);
/* Creates key = value only if it does not exist (one transaction). *created says which; when
 * it existed, *existing (if not NULL) gets it; the caller releases it. */
int etcd_create(struct etcd *c, const char *key, const char *value, int64_t lease,
		bool *created, struct etcd_kvs *existing, struct errbuf *e);

/* One transaction: if every guard holds (a key has a value, or does not exist), put and delete
 * (a key, or every key under it) in one step; *done says whether the guards held. */
struct etcd_guard {
	const char *key;
	const char *value;		/* NULL = the key must not exist */
};
struct etcd_op {
	const char *key;
	const char *value;		/* NULL = delete */
	int64_t lease;
	bool prefix;			/* delete every key that starts with key */
};
int etcd_txn(struct etcd *c, const struct etcd_guard *guards, size_t nguards,
	     const struct etcd_op *ops, size_t nops, bool *done, struct errbuf *e);
/* The body etcd_txn sends (the caller frees it with json_decref), NULL without memory. */
json_t *etcd_txn_body(const struct etcd_guard *guards, size_t nguards, const struct etcd_op *ops,
		      size_t nops);

int etcd_lease_grant(struct etcd *c, int64_t ttl, int64_t *id, struct errbuf *e);
/* *ttl <= 0: the lease is gone (expired or revoked). */
int etcd_lease_keepalive(struct etcd *c, int64_t id, int64_t *ttl, struct errbuf *e);

/* One event of a watch: a put (value set) or a delete (value NULL). */
struct etcd_event {
	const struct etcd_kv *kv;
	bool deleted;
};
/*
 * Watches every key from key up to end (excluded; NULL: every key under key, as a prefix) from
 * revision start (0 = now) and calls cb for each batch of
 * events with the highest revision they carry (0 for the stream's first answer, which holds
 * none), until *stop is set, the stream breaks or cb returns < 0. Never the answers' header
 * revision: that is the store's latest, and a stream that breaks while it still catches up from
 * start would make a resume skip the events between.
 * Returns -ESTALE when start was compacted away (the caller reads everything again),
 * -ENOTCONN when the stream could not be opened or broke.
 */
typedef int (*etcd_watch_cb)(void *arg, const struct etcd_event *ev, size_t n, int64_t rev);
int etcd_watch_range(struct etcd *c, const char *key, const char *end, int64_t start,
		     etcd_watch_cb cb, void *arg, const atomic_bool *stop, struct errbuf *e);

/* For the client's own files (store_etcd_watch.c): the first key after every key that starts with prefix (range_end); int64
 * fields as proto3 JSON sends them (strings); a key or value as base64; one kv. */
char *etcd_prefix_end(const char *prefix);
int64_t etcd_json_int64(const json_t *o, const char *key);
json_t *etcd_json_b64(const char *s);
json_t *etcd_json_int64_str(int64_t v);
int etcd_kv_parse(const json_t *o, struct etcd_kv *kv);
void etcd_kv_release(struct etcd_kv *kv);

#endif
