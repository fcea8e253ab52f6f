/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "driver/cidr.h"

/*
 * A decimal number at *p of at most max_digits digits and value <= max, no leading zero
 * (inet_aton would read "010" as octal). Advances *p past it.
 */
static int parse_num(const char **p, unsigned max_digits, unsigned max, unsigned *out)
{
	const char *s = *p;
	unsigned v = 0, n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		if (n == max_digits)
			return -EINVAL;
		v = v * 10 + (unsigned)(s[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && s[0] == '0') || v > max)
		return -EINVAL;
	*p = s + n;
	*out = v;
	return 0;
}

/* "a.b.c.d" at *p, advancing past it. */
static int parse_addr(const char **p, uint32_t *out)
{
	const char *s = *p;
	uint32_t a = 0;
	unsigned v;

	for (int i = 0; i < 4; i++) {
		if (i > 0 && *s++ != '.')
			return -EINVAL;
		if (parse_num(&s, 3, 255, &v) < 0)
			return -EINVAL;
		a = a << 8 | v;
	}
	*p = s;
	*out = a;
	return 0;
}

int cidr_parse_host(const char *s, struct cidr *out)
{
	uint32_t a;
	unsigned len;

	if (!s || parse_addr(&s, &a) < 0 || *s++ != '/' || parse_num(&s, 2, 32, &len) < 0 || *s)
		return -EINVAL;
	out->addr = a;
	out->len = (uint8_t)len;
	return 0;
}

int cidr_parse(const char *s, struct cidr *out)
{
	struct cidr c;

	if (cidr_parse_host(s, &c) < 0 || (c.addr & ~cidr_mask(c.len)))
		return -EINVAL;
	*out = c;
	return 0;
}

int cidr_addr_parse(const char *s, uint32_t *out)
{
	uint32_t a;

	if (!s || parse_addr(&s, &a) < 0 || *s)
		return -EINVAL;
	*out = a;
	return 0;
}

int cidr_addr_parse_any(const char *s, uint32_t *out)
{
	struct cidr c;

	if (cidr_addr_parse(s, out) == 0)
		return 0;
	if (cidr_parse_host(s, &c) < 0)
		return -EINVAL;
	*out = c.addr;
	return 0;
}

void cidr_addr_format(uint32_t addr, char out[CIDR_ADDR_STR_MAX])
{
	snprintf(out, CIDR_ADDR_STR_MAX, "%u.%u.%u.%u", (unsigned char)(addr >> 24),
		 (unsigned char)(addr >> 16), (unsigned char)(addr >> 8), (unsigned char)addr);
}

void cidr_format(const struct cidr *c, char out[CIDR_STR_MAX])
{
	char a[CIDR_ADDR_STR_MAX];

	cidr_addr_format(c->addr, a);
	snprintf(out, CIDR_STR_MAX, "%s/%u", a, c->len > 32 ? 32u : c->len);
}

uint32_t cidr_mask(uint8_t len)
{
	if (len == 0)
		return 0;	/* a shift by 32 is undefined */
	if (len >= 32)
		return UINT32_MAX;
	return UINT32_MAX << (32 - len);
}

uint32_t cidr_first(const struct cidr *c)
{
	return c->addr & cidr_mask(c->len);
}

uint32_t cidr_last(const struct cidr *c)
{
	return c->addr | ~cidr_mask(c->len);
}

bool cidr_contains(const struct cidr *c, uint32_t addr)
{
	return ((addr ^ c->addr) & cidr_mask(c->len)) == 0;
}

bool cidr_covers(const struct cidr *outer, const struct cidr *inner)
{
	return inner->len >= outer->len && cidr_contains(outer, inner->addr);
}

bool cidr_overlaps(const struct cidr *a, const struct cidr *b)
{
	uint8_t len = a->len < b->len ? a->len : b->len;

	return ((a->addr ^ b->addr) & cidr_mask(len)) == 0;
}

bool cidr_equal(const struct cidr *a, const struct cidr *b)
{
	return a->addr == b->addr && a->len == b->len;
}

int cidr_slice(const struct cidr *pool, unsigned index, unsigned slice_len, struct cidr *out)
{
	if (slice_len <= pool->len || slice_len > 30)
		return -EINVAL;
	/* 2^(slice_len - pool->len) slices; the difference is at most 30 */
	if ((uint64_t)index >= (uint64_t)1 << (slice_len - pool->len))
		return -ERANGE;
	out->addr = cidr_first(pool) + (uint32_t)((uint64_t)index << (32 - slice_len));
	out->len = (uint8_t)slice_len;
	return 0;
}
