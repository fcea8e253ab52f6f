/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_CIDR_H
#define WGNET_DRIVER_CIDR_H

#include <stdbool.h>
#include <stdint.h>

/* IPv4 only for now. Addresses are in host byte order everywhere above netlink/. */
#define CIDR_STR_MAX 19		/* "255.255.255.255/32" + NUL */
#define CIDR_ADDR_STR_MAX 16	/* "255.255.255.255" + NUL */

struct cidr {
	uint32_t addr;
	uint8_t len;		/* 0..32 */
};

/* "a.b.c.d/n", strict: no leading zeros, no spaces, host bits must be zero (-EINVAL otherwise). */
int cidr_parse(const char *s, struct cidr *out);
/* "a.b.c.d/n" keeping host bits (an interface address such as a gateway "10.1.3.1/24"). */
int cidr_parse_host(const char *s, struct cidr *out);
/* "a.b.c.d" only. */
int cidr_addr_parse(const char *s, uint32_t *out);
/* "a.b.c.d" or "a.b.c.d/n" (prefix ignored), as dockerd sends addresses in different calls. */
int cidr_addr_parse_any(const char *s, uint32_t *out);

void cidr_format(const struct cidr *c, char out[CIDR_STR_MAX]);
void cidr_addr_format(uint32_t addr, char out[CIDR_ADDR_STR_MAX]);

uint32_t cidr_mask(uint8_t len);		/* 24 -> 0xffffff00, 0 -> 0 */
uint32_t cidr_first(const struct cidr *c);	/* network address */
uint32_t cidr_last(const struct cidr *c);	/* broadcast address */
bool cidr_contains(const struct cidr *c, uint32_t addr);
bool cidr_covers(const struct cidr *outer, const struct cidr *inner);
bool cidr_overlaps(const struct cidr *a, const struct cidr *b);
bool cidr_equal(const struct cidr *a, const struct cidr *b);

/*
 * Slice number `index` of size /slice_len inside pool: pool.addr + index * 2^(32 - slice_len).
 * -EINVAL if slice_len <= pool->len or slice_len > 30; -ERANGE if index does not fit.
 */
int cidr_slice(const struct cidr *pool, unsigned index, unsigned slice_len, struct cidr *out);

#endif
