/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver/ipam.h"

#define ADDR_SET_MIN_CAP 16
#define SLICE_LEN_MIN 8
#define SLICE_LEN_MAX 30

/* Index of the first element >= a (n if none). */
static size_t lower_bound(const struct addr_set *s, uint32_t a)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool addr_set_has(const struct addr_set *s, uint32_t a)
{
	size_t i = lower_bound(s, a);

	return i < s->n && s->v[i] == a;
}

int addr_set_add(struct addr_set *s, uint32_t a)
{
	size_t i = lower_bound(s, a);

	if (i < s->n && s->v[i] == a)
		return -EEXIST;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : ADDR_SET_MIN_CAP;
		uint32_t *v;

		if (cap > SIZE_MAX / sizeof(*v))
			return -ENOMEM;
		v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->v[i] = a;
	s->n++;
	return 0;
}

int addr_set_del(struct addr_set *s, uint32_t a)
{
	size_t i = lower_bound(s, a);

	if (i == s->n || s->v[i] != a)
		return -ENOENT;
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
	s->n--;
	return 0;
}

/* dst is overwritten, not released: it may be uninitialised. */
int addr_set_copy(const struct addr_set *src, struct addr_set *dst)
{
	struct addr_set c = { 0 };

	if (src->n) {
		c.v = malloc(src->n * sizeof(*c.v));
		if (!c.v)
			return -ENOMEM;
		memcpy(c.v, src->v, src->n * sizeof(*c.v));
		c.n = src->n;
		c.cap = src->n;
	}
	*dst = c;
	return 0;
}

void addr_set_release(struct addr_set *s)
{
	free(s->v);
	*s = (struct addr_set){ 0 };
}

/* The smallest prefix length in len_min..30 whose slices of pool include slice number index. */
static unsigned slice_len_fitting(unsigned pool_len, unsigned index, unsigned len_min)
{
	for (unsigned len = len_min; len <= SLICE_LEN_MAX; len++)
		if (len > pool_len && (uint64_t)index < (uint64_t)1 << (len - pool_len))
			return len;
	return 0;
}

int ipam_slice_for(const struct cidr *pool, unsigned host_index, unsigned slice_len,
		   struct cidr *slice, struct errbuf *e)
{
	char pool_s[CIDR_STR_MAX];
	unsigned fit;
	int ret;

	cidr_format(pool, pool_s);
	if (slice_len < SLICE_LEN_MIN || slice_len > SLICE_LEN_MAX)
		return errbuf_set(e, -EINVAL, "slice size /%u is out of range: --ipam-opt %s=N "
				  "takes N from %d to %d", slice_len, IPAM_SLICE_OPTION,
				  SLICE_LEN_MIN, SLICE_LEN_MAX);
	if (host_index < 1)
		return errbuf_set(e, -EINVAL, "host index %u is invalid: host indexes start at 1 "
				  "(wgnet init --index N)", host_index);
	if (slice_len <= pool->len) {
		if (pool->len >= SLICE_LEN_MAX)
			return errbuf_set(e, -EINVAL, "pool %s is too small for /%u slices: use a "
					  "larger --subnet (slices are /%d at most)", pool_s,
					  slice_len, SLICE_LEN_MAX);
		return errbuf_set(e, -EINVAL, "pool %s is too small for /%u slices: use a larger "
				  "--subnet or --ipam-opt %s=N with N > %u", pool_s, slice_len,
				  IPAM_SLICE_OPTION, pool->len);
	}
	ret = cidr_slice(pool, host_index, slice_len, slice);
	if (ret == -ERANGE) {
		unsigned long long n = 1ULL << (slice_len - pool->len);

		fit = slice_len_fitting(pool->len, host_index, slice_len + 1);
		if (fit)
			return errbuf_set(e, ret, "host index %u has no /%u slice in pool %s "
					  "(%llu slices): use a larger --subnet or smaller slices "
					  "(--ipam-opt %s=%u or more)", host_index, slice_len,
					  pool_s, n, IPAM_SLICE_OPTION, fit);
		return errbuf_set(e, ret, "host index %u has no /%u slice in pool %s (%llu "
				  "slices): use a larger --subnet", host_index, slice_len, pool_s,
				  n);
	}
	if (ret < 0)
		return errbuf_set(e, ret, "cannot make /%u slice %u of pool %s", slice_len,
				  host_index, pool_s);
	return 0;
}

int ipam_slice_len_parse(const char *value, unsigned *out, struct errbuf *e)
{
	const char *s = value;
	unsigned v = 0;
	size_t n;

	if (!s)
		return errbuf_set(e, -EINVAL, "%s needs a value from %d to %d, such as 24",
				  IPAM_SLICE_OPTION, SLICE_LEN_MIN, SLICE_LEN_MAX);
	if (*s == '/')
		s++;
	for (n = 0; s[n] >= '0' && s[n] <= '9' && n < 3; n++)
		v = v * 10 + (unsigned)(s[n] - '0');
	if (n == 0 || s[n] || (n > 1 && s[0] == '0') || v < SLICE_LEN_MIN || v > SLICE_LEN_MAX)
		return errbuf_set(e, -EINVAL, "invalid %s '%s': expected a prefix length from %d "
				  "to %d, such as 24", IPAM_SLICE_OPTION, value, SLICE_LEN_MIN,
				  SLICE_LEN_MAX);
	*out = v;
	return 0;
}

bool ipam_addr_usable(const struct cidr *slice, uint32_t addr)
{
	return cidr_contains(slice, addr) && addr != cidr_first(slice) && addr != cidr_last(slice);
}

uint32_t ipam_responder_addr(const struct cidr *pool, unsigned slice_len)
{
	uint32_t size = 1u << (32 - (slice_len > 30 ? 30 : slice_len));

	return cidr_first(pool) + (size >= 64 ? 53 : size - 2);
}

/* The first address in [from, to] that is not in used. */
static bool first_free(const struct addr_set *used, uint64_t from, uint64_t to, uint32_t *out)
{
	size_t i = lower_bound(used, (uint32_t)from);

	/* both sorted: one pass over each, O(range + used) */
	for (uint64_t a = from; a <= to; a++) {
		while (i < used->n && used->v[i] < a)
			i++;
		if (i == used->n || used->v[i] != a) {
			*out = (uint32_t)a;
			return true;
		}
	}
	return false;
}

int ipam_addr_pick(const struct addr_set *used, const struct cidr *slice,
		   const struct cidr *range, uint32_t cursor, uint32_t *out)
{
	/* 64-bit: the bounds of 0.0.0.0/32 or 255.255.255.255/32 are one past uint32_t */
	int64_t lo = (int64_t)cidr_first(slice) + 1, hi = (int64_t)cidr_last(slice) - 1;
	int64_t start;
	uint32_t a;

	if ((int64_t)cidr_first(range) > lo)
		lo = cidr_first(range);
	if ((int64_t)cidr_last(range) < hi)
		hi = cidr_last(range);
	if (lo > hi)
		return -ENOSPC;
	start = (int64_t)cursor >= lo && (int64_t)cursor < hi ? (int64_t)cursor + 1 : lo;
	if (first_free(used, (uint64_t)start, (uint64_t)hi, &a) ||
	    (start > lo && first_free(used, (uint64_t)lo, (uint64_t)start - 1, &a))) {
		*out = a;
		return 0;
	}
	return -ENOSPC;
}
