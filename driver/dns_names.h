/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_DNS_NAMES_H
#define WGNET_DRIVER_DNS_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "driver/dns_record.h"
#include "driver/dns_table.h"

/*
 * The names this host serves (driver/dns_names.c): its own containers' (from Docker), the other
 * hosts' (from the store) and the names Docker gives the networks here. A lock of its own,
 * under which nothing slow runs: the responder reads it at every query, never waiting on the
 * driver's lock; writers may hold the driver's lock (never the other way round).
 */

struct dns_names;

/* A record of this host's, and the container it belongs to. */
struct dns_local {
	char container[DOCKER_ID_LEN + 1];
	struct dns_record rec;
};

int dns_names_new(struct dns_names **out);
void dns_names_free(struct dns_names *n);

/* The records of one container now (none: it has no endpoint of ours any more): 1 when that
 * changed what is served, 0 when not, -ENOMEM. */
int dns_names_local_container(struct dns_names *n, const char *container,
			      const struct dns_record *recs, size_t nrecs);
/* Every local record anew (a full read of Docker): 1 changed, 0 not, -ENOMEM. */
int dns_names_local_reset(struct dns_names *n, const struct dns_local *all, size_t nall);
/* Bumped at every change of the local records: the keeper publishes when it moved. */
unsigned dns_names_local_gen(struct dns_names *n);
/* A copy of the local records (release each, free the array) and their generation. */
int dns_names_local_copy(struct dns_names *n, struct dns_record **out, size_t *nout,
			 unsigned *gen);

/* The name Docker gives this host's network of pool (for `<name>.<network>`), "" = none. */
void dns_names_network_set(struct dns_names *n, const struct cidr *pool, const char *name);

/* Other hosts' records (the store): put, delete, and a full read (mark, puts, sweep). */
int dns_names_store_put(struct dns_names *n, unsigned host, const struct dns_record *r);
void dns_names_store_del(struct dns_names *n, unsigned host, const char *endpoint);
void dns_names_store_mark(struct dns_names *n);
void dns_names_store_sweep(struct dns_names *n);

/* The addresses of qname in pool: `name`, or `name.<network>` with this host's name of the
 * pool's network, as Docker answers them on one host. Local records have host 0. */
size_t dns_names_lookup(struct dns_names *n, const struct cidr *pool, const char *qname,
			struct dns_hit *out, size_t max);

/* Names (one per name of a record) this host serves of its own and of the others. */
void dns_names_count(struct dns_names *n, size_t *local, size_t *remote);
/* Every record, with its source and host, for `wgnet names`; fn must not call back. */
void dns_names_each(struct dns_names *n,
		    void (*fn)(void *arg, enum dns_source source, unsigned host,
			       const struct dns_record *r),
		    void *arg);

#endif
