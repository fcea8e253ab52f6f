/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STORE_H
#define WGNET_DRIVER_STORE_H

#include "driver/api.h"
#include "driver/status.h"

/*
 * Membership through etcd (driver/store.c): `wgnet init --store` claims an index and publishes
 * this host's record; every wgnetd watches the records and keeps its peers in step. The store
 * is never on the data path: when it is unreachable nothing is removed. What plugin/ may call.
 */

#define STORE_FILE_NAME "store.json"	/* in the state directory: URLs, TLS files, peers */

struct store_init_req {
	const char *urls;		/* "https://h:2379[,https://h2:2379...]" */
	const char *ca;			/* absolute paths, "" = none */
	const char *cert;
	const char *key;
	bool insecure_http;		/* http:// URLs: the user takes that risk */
	bool no_client_cert;		/* no cert and key: the user takes that risk */
	unsigned index;			/* 0 = the lowest free one */
	const char *endpoint;		/* NULL = every routable address of the host */
	unsigned mtu;			/* 0 = keep / default */
	unsigned listen_port;		/* 0 = keep / default */
	const char *name;		/* NULL = keep / host<index> */
};
int driver_store_init(struct driver *d, const struct store_init_req *req, struct errbuf *e);

/* Removes this host's record, claim and liveness; -EAGAIN (worded) when the store is
 * unreachable: the leave is then kept and applied when the store answers again. */
int driver_store_leave(struct driver *d, struct errbuf *e);
/* Removes another host's record, claim and liveness from the store. */
int driver_store_host_rm(struct driver *d, const char *name, struct errbuf *e);

/* driver.c's: the store's threads start when a store is configured and stop (without the
 * lock) in driver_free; status fill with the lock held. */
int store_new(struct driver *d, const char *state_dir, struct errbuf *e);
void store_free(struct driver *d);
void store_status_fill(struct driver *d, struct driver_status *s);

#endif
