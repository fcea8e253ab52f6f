/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_DNS_TABLE_H
#define WGNET_DRIVER_DNS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/cidr.h"
#include "driver/dns_record.h"

/*
 * The names the responder serves (pure: no I/O, no lock, no log). Records are kept by owner
 * (source, host index, endpoint) and indexed by (pool, name) in a hash table, so a lookup
 * costs one bucket whatever the number of names (10,000 and more), and a record is replaced
 * or removed without a scan. Several records may hold one name (a service scaled across
 * hosts): a lookup gives all their addresses.
 */

enum dns_source {
	DNS_SOURCE_LOCAL,		/* this host's containers, from Docker */
	DNS_SOURCE_STORE,		/* other hosts' records, from the store */
	DNS_SOURCE_COUNT,
};

struct dns_table;

/* One address of a name, and who published it (host 0: this host). */
struct dns_hit {
	uint32_t addr;
	unsigned host;
	enum dns_source source;
};

int dns_table_new(struct dns_table **out);
void dns_table_free(struct dns_table *t);

/* Replaces (or adds) the record of (source, host, r->endpoint), copying r; clears its mark.
 * 1 when that changed the table, 0 when it held that record already; -ENOMEM (or -EINVAL, over
 * DNS_RECORD_NAMES_MAX names) leaves it as it was. */
int dns_table_put(struct dns_table *t, enum dns_source source, unsigned host,
		  const struct dns_record *r);
/* The record of (source, host, endpoint), NULL when none: valid until the table changes. */
const struct dns_record *dns_table_get(const struct dns_table *t, enum dns_source source,
				       unsigned host, const char *endpoint);
/* Removes it; false when it was not there. */
bool dns_table_del(struct dns_table *t, enum dns_source source, unsigned host,
		   const char *endpoint);
/* A full read: mark every record of a source, put what is read (each put clears its mark),
 * then sweep what is still marked. */
void dns_table_mark(struct dns_table *t, enum dns_source source);
size_t dns_table_sweep(struct dns_table *t, enum dns_source source);

/* The addresses of name in pool, at most max in out (the first ones by insertion order); the
 * number of records holding the name is returned. */
size_t dns_table_lookup(const struct dns_table *t, const struct cidr *pool, const char *name,
			struct dns_hit *out, size_t max);

/* Records and names (a name counted once per record) of a source. */
size_t dns_table_records(const struct dns_table *t, enum dns_source source);
size_t dns_table_names(const struct dns_table *t, enum dns_source source);

/* Calls fn for every record (in no particular order); fn must not change the table. */
void dns_table_each(const struct dns_table *t,
		    void (*fn)(void *arg, enum dns_source source, unsigned host,
			       const struct dns_record *r),
		    void *arg);

#endif
