/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_IPAM_H
#define WGNET_DRIVER_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/cidr.h"
#include "driver/errbuf.h"

/* Pure address arithmetic and bookkeeping; no I/O, no locks (the driver holds its lock). */

#define IPAM_DEFAULT_POOL "10.210.0.0/16"
#define IPAM_DEFAULT_SLICE_LEN 24
#define IPAM_SLICE_OPTION "wgnet.slice"		/* --ipam-opt wgnet.slice=24 */

/* A sorted set of addresses (host order). Zero-initialised = empty. */
struct addr_set {
	uint32_t *v;
	size_t n;
	size_t cap;
};

int addr_set_add(struct addr_set *s, uint32_t a);	/* -EEXIST if present, -ENOMEM */
int addr_set_del(struct addr_set *s, uint32_t a);	/* -ENOENT if absent */
bool addr_set_has(const struct addr_set *s, uint32_t a);
int addr_set_copy(const struct addr_set *src, struct addr_set *dst);
void addr_set_release(struct addr_set *s);

/*
 * This host's slice of pool: slice number host_index, size /slice_len. Errors are worded for
 * the user (pool too small for the slice size, index beyond the pool, slice_len out of 8..30).
 */
int ipam_slice_for(const struct cidr *pool, unsigned host_index, unsigned slice_len,
		   struct cidr *slice, struct errbuf *e);

/* Value of --ipam-opt wgnet.slice: "24" or "/24", 8..30. */
int ipam_slice_len_parse(const char *value, unsigned *out, struct errbuf *e);

/*
 * A free address for a container: inside range (the --ip-range sub-pool, or the slice itself),
 * never the slice's network or broadcast address, not in used. The search starts just after
 * cursor and wraps, so a just-freed address is not handed out again at once (as Docker's IPAM
 * does). -ENOSPC when the range is full.
 */
int ipam_addr_pick(const struct addr_set *used, const struct cidr *slice,
		   const struct cidr *range, uint32_t cursor, uint32_t *out);

/* True when addr may be given to a container or gateway: in slice, not network/broadcast. */
bool ipam_addr_usable(const struct cidr *slice, uint32_t addr);

/*
 * The names responder's address of a pool whose slices are /slice_len: in slice 0, which is
 * never a host's (indexes start at 1), so that it is the same on every host and never routed
 * into the tunnel. The pool's address + 53 (10.210.0.53 for 10.210.0.0/16), or slice 0's last
 * usable address when slices hold fewer than 64 addresses.
 */
uint32_t ipam_responder_addr(const struct cidr *pool, unsigned slice_len);

#endif
