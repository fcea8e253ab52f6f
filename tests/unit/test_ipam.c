/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/cidr.h"
#include "driver/errbuf.h"
#include "driver/ipam.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static struct cidr C(const char *s)
{
	struct cidr c = { 0 };

	assert_int_equal(cidr_parse(s, &c), 0);
	return c;
}

static void assert_sorted(const struct addr_set *s)
{
	for (size_t i = 1; i < s->n; i++)
		assert_true(s->v[i - 1] < s->v[i]);
	assert_true(s->n <= s->cap);
}

static void test_addr_set_basic(void **state)
{
	struct addr_set s = { 0 };

	(void)state;
	assert_false(addr_set_has(&s, 1));
	assert_int_equal(addr_set_del(&s, 1), -ENOENT);
	assert_int_equal(addr_set_add(&s, IP(10, 0, 0, 5)), 0);
	assert_int_equal(addr_set_add(&s, IP(10, 0, 0, 1)), 0);
	assert_int_equal(addr_set_add(&s, IP(10, 0, 0, 9)), 0);
	assert_int_equal(addr_set_add(&s, 0), 0);
	assert_int_equal(addr_set_add(&s, UINT32_MAX), 0);
	assert_int_equal(addr_set_add(&s, IP(10, 0, 0, 5)), -EEXIST);	/* dup */
	assert_int_equal(addr_set_add(&s, 0), -EEXIST);
	assert_int_equal(s.n, 5);
	assert_sorted(&s);
	assert_int_equal(s.v[0], 0);
	assert_int_equal(s.v[1], IP(10, 0, 0, 1));
	assert_int_equal(s.v[4], UINT32_MAX);
	assert_true(addr_set_has(&s, IP(10, 0, 0, 9)));
	assert_true(addr_set_has(&s, 0));
	assert_true(addr_set_has(&s, UINT32_MAX));
	assert_false(addr_set_has(&s, IP(10, 0, 0, 6)));
	assert_false(addr_set_has(&s, UINT32_MAX - 1));

	assert_int_equal(addr_set_del(&s, IP(10, 0, 0, 5)), 0);
	assert_int_equal(addr_set_del(&s, IP(10, 0, 0, 5)), -ENOENT);
	assert_false(addr_set_has(&s, IP(10, 0, 0, 5)));
	assert_int_equal(addr_set_del(&s, 0), 0);
	assert_int_equal(addr_set_del(&s, UINT32_MAX), 0);
	assert_int_equal(s.n, 2);
	assert_sorted(&s);
	assert_int_equal(s.v[0], IP(10, 0, 0, 1));
	assert_int_equal(s.v[1], IP(10, 0, 0, 9));

	addr_set_release(&s);
	assert_null(s.v);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.cap, 0);
	addr_set_release(&s);				/* twice is harmless */
	assert_int_equal(addr_set_add(&s, 3), 0);	/* usable again */
	assert_true(addr_set_has(&s, 3));
	addr_set_release(&s);
}

static void test_addr_set_many(void **state)
{
	struct addr_set s = { 0 };
	const uint32_t n = 5000;

	(void)state;
	/* an order that is neither ascending nor descending: i * 7919 mod n */
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(addr_set_add(&s, IP(10, 0, 0, 0) + (i * 7919u) % n), 0);
	assert_int_equal(s.n, n);
	assert_sorted(&s);
	assert_true(s.cap >= n && s.cap < 4 * n);	/* doubling, not one by one */
	for (uint32_t i = 0; i < n; i++) {
		assert_true(addr_set_has(&s, IP(10, 0, 0, 0) + i));
		assert_int_equal(addr_set_add(&s, IP(10, 0, 0, 0) + i), -EEXIST);
	}
	assert_false(addr_set_has(&s, IP(10, 0, 0, 0) + n));
	assert_false(addr_set_has(&s, IP(10, 0, 0, 0) - 1));
	for (uint32_t i = 0; i < n; i += 2)
		assert_int_equal(addr_set_del(&s, IP(10, 0, 0, 0) + i), 0);
	assert_int_equal(s.n, n / 2);
	assert_sorted(&s);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(addr_set_has(&s, IP(10, 0, 0, 0) + i), i % 2 == 1);
	addr_set_release(&s);
}

static void test_addr_set_copy(void **state)
{
	struct addr_set a = { 0 }, b, empty;

	(void)state;
	assert_int_equal(addr_set_copy(&a, &empty), 0);
	assert_int_equal(empty.n, 0);
	assert_false(addr_set_has(&empty, 0));
	assert_int_equal(addr_set_add(&empty, 1), 0);	/* a usable empty set */
	addr_set_release(&empty);

	for (uint32_t i = 1; i <= 20; i++)
		assert_int_equal(addr_set_add(&a, i * 3), 0);
	memset(&b, 0x5a, sizeof(b));			/* dst may be uninitialised */
	assert_int_equal(addr_set_copy(&a, &b), 0);
	assert_int_equal(b.n, a.n);
	assert_ptr_not_equal(b.v, a.v);
	assert_memory_equal(b.v, a.v, a.n * sizeof(*a.v));
	/* independent: changing one leaves the other */
	assert_int_equal(addr_set_del(&b, 3), 0);
	assert_int_equal(addr_set_add(&b, 4), 0);
	assert_int_equal(addr_set_add(&b, 1000), 0);
	assert_true(addr_set_has(&a, 3));
	assert_false(addr_set_has(&a, 4));
	assert_false(addr_set_has(&b, 3));
	assert_true(addr_set_has(&b, 1000));
	assert_sorted(&b);
	addr_set_release(&a);
	assert_true(addr_set_has(&b, 60));
	addr_set_release(&b);
}

static void test_slice_for(void **state)
{
	struct cidr pool = C(IPAM_DEFAULT_POOL), s = { 0 };
	struct errbuf e = { 0 };
	char buf[CIDR_STR_MAX];

	(void)state;
	assert_int_equal(ipam_slice_for(&pool, 1, IPAM_DEFAULT_SLICE_LEN, &s, &e), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.210.1.0/24");
	assert_int_equal(ipam_slice_for(&pool, 2, 24, &s, &e), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.210.2.0/24");
	assert_int_equal(ipam_slice_for(&pool, 255, 24, &s, &e), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.210.255.0/24");

	s = (struct cidr){ 7, 7 };
	assert_int_equal(ipam_slice_for(&pool, 256, 24, &s, &e), -ERANGE);
	assert_int_equal(e.code, -ERANGE);
	assert_non_null(strstr(e.msg, "host index 256"));
	assert_non_null(strstr(e.msg, "10.210.0.0/16"));
	assert_non_null(strstr(e.msg, "256 slices"));
	assert_non_null(strstr(e.msg, "wgnet.slice=25"));	/* the smallest size that fits */
	assert_int_equal(s.addr, 7);				/* untouched */
	assert_int_equal(ipam_slice_for(&pool, 300, 24, &s, &e), -ERANGE);
	assert_non_null(strstr(e.msg, "host index 300"));
	assert_non_null(strstr(e.msg, "wgnet.slice=25"));
	assert_int_equal(ipam_slice_for(&pool, 1000, 24, &s, &e), -ERANGE);
	assert_non_null(strstr(e.msg, "wgnet.slice=26"));
	assert_int_equal(ipam_slice_for(&pool, 1u << 14, 30, &s, &e), -ERANGE);
	assert_null(strstr(e.msg, "wgnet.slice="));		/* no size fits: only the pool */
	assert_non_null(strstr(e.msg, "larger --subnet"));

	/* host indexes start at 1: slice 0 is never handed out */
	memset(&e, 0, sizeof(e));
	assert_int_equal(ipam_slice_for(&pool, 0, 24, &s, &e), -EINVAL);
	assert_int_equal(e.code, -EINVAL);
	assert_true(e.msg[0] != 0);

	/* slice sizes */
	assert_int_equal(ipam_slice_for(&pool, 5, 26, &s, &e), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.210.1.64/26");
	assert_int_equal(ipam_slice_for(&pool, 1, 30, &s, &e), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.210.0.4/30");
	assert_int_equal(ipam_slice_for(&pool, 1, 17, &s, &e), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.210.128.0/17");
	assert_int_equal(ipam_slice_for(&pool, 2, 17, &s, &e), -ERANGE);
	assert_int_equal(ipam_slice_for(&pool, 1, 31, &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "8 to 30"));
	assert_int_equal(ipam_slice_for(&pool, 1, 7, &s, &e), -EINVAL);
	assert_int_equal(ipam_slice_for(&pool, 1, 16, &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "too small"));
	assert_int_equal(ipam_slice_for(&pool, 1, 8, &s, &e), -EINVAL);

	pool = C("10.0.0.0/24");
	assert_int_equal(ipam_slice_for(&pool, 1, 24, &s, &e), -EINVAL);
	assert_string_equal(e.msg, "pool 10.0.0.0/24 is too small for /24 slices: use a larger "
			    "--subnet or --ipam-opt wgnet.slice=N with N > 24");
	assert_int_equal(ipam_slice_for(&pool, 1, 28, &s, &e), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.0.0.16/28");
	pool = C("10.0.0.0/8");
	assert_int_equal(ipam_slice_for(&pool, 65535, 24, &s, &e), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.255.255.0/24");
	pool = C("10.0.0.0/30");
	assert_int_equal(ipam_slice_for(&pool, 1, 30, &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "too small"));

	/* e may be NULL */
	assert_int_equal(ipam_slice_for(&pool, 1, 30, &s, NULL), -EINVAL);
}

static void test_slice_len_parse(void **state)
{
	static const struct {
		const char *s;
		unsigned v;
	} good[] = { { "24", 24 }, { "/24", 24 }, { "8", 8 }, { "/8", 8 }, { "30", 30 },
		     { "/30", 30 }, { "16", 16 }, { "26", 26 } };
	static const char *const bad[] = { "", "/", "7", "31", "32", "0", "024", "/024", "//24",
					   "24/", " 24", "24 ", "+24", "-24", "2 4", "24a", "x",
					   "1000", "99999999999999999999", "/ 24", "0x18" };
	struct errbuf e = { 0 };
	unsigned v;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		v = 0;
		assert_int_equal(ipam_slice_len_parse(good[i].s, &v, &e), 0);
		assert_int_equal(v, good[i].v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		v = 99;
		memset(&e, 0, sizeof(e));
		if (ipam_slice_len_parse(bad[i], &v, &e) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(v, 99);
		assert_int_equal(e.code, -EINVAL);
		assert_non_null(strstr(e.msg, IPAM_SLICE_OPTION));
	}
	assert_int_equal(ipam_slice_len_parse(NULL, &v, &e), -EINVAL);
	assert_int_equal(ipam_slice_len_parse("bad", &v, NULL), -EINVAL);
}

static void test_addr_usable(void **state)
{
	struct cidr s = C("10.210.1.0/24");

	(void)state;
	assert_false(ipam_addr_usable(&s, IP(10, 210, 1, 0)));
	assert_false(ipam_addr_usable(&s, IP(10, 210, 1, 255)));
	assert_true(ipam_addr_usable(&s, IP(10, 210, 1, 1)));
	assert_true(ipam_addr_usable(&s, IP(10, 210, 1, 254)));
	assert_false(ipam_addr_usable(&s, IP(10, 210, 2, 1)));
	assert_false(ipam_addr_usable(&s, IP(10, 210, 0, 254)));
	s = C("10.0.0.0/30");
	assert_true(ipam_addr_usable(&s, IP(10, 0, 0, 1)));
	assert_true(ipam_addr_usable(&s, IP(10, 0, 0, 2)));
	assert_false(ipam_addr_usable(&s, IP(10, 0, 0, 3)));
}

static void test_addr_pick_first(void **state)
{
	struct cidr s = C("10.210.1.0/24");
	struct addr_set used = { 0 };
	uint32_t a = 0;

	(void)state;
	/* nothing used: .1 (the gateway is taken the same way) */
	assert_int_equal(ipam_addr_pick(&used, &s, &s, 0, &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 1));
	/* gateway .1 used: the first container gets .2 */
	assert_int_equal(addr_set_add(&used, IP(10, 210, 1, 1)), 0);
	assert_int_equal(ipam_addr_pick(&used, &s, &s, 0, &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 2));
	/* the cursor is the last pick: the next one follows it */
	assert_int_equal(addr_set_add(&used, a), 0);
	assert_int_equal(ipam_addr_pick(&used, &s, &s, a, &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 3));
	/* a freed address below the cursor is not reused at once */
	assert_int_equal(addr_set_add(&used, a), 0);
	assert_int_equal(addr_set_del(&used, IP(10, 210, 1, 2)), 0);
	assert_int_equal(ipam_addr_pick(&used, &s, &s, IP(10, 210, 1, 3), &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 4));
	/* a cursor outside the slice starts at its beginning */
	assert_int_equal(ipam_addr_pick(&used, &s, &s, IP(10, 210, 7, 7), &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 2));
	/* skips a run of used addresses after the cursor */
	for (uint32_t i = 10; i < 20; i++)
		assert_int_equal(addr_set_add(&used, IP(10, 210, 1, i)), 0);
	assert_int_equal(ipam_addr_pick(&used, &s, &s, IP(10, 210, 1, 9), &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 20));
	addr_set_release(&used);
}

static void test_addr_pick_wrap(void **state)
{
	struct cidr s = C("10.210.1.0/24");
	struct addr_set used = { 0 };
	uint32_t a = 0;

	(void)state;
	assert_int_equal(addr_set_add(&used, IP(10, 210, 1, 1)), 0);
	/* cursor at the last usable address: wrap to the start, skipping network and gateway */
	assert_int_equal(ipam_addr_pick(&used, &s, &s, IP(10, 210, 1, 254), &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 2));
	/* cursor on broadcast: same */
	assert_int_equal(ipam_addr_pick(&used, &s, &s, IP(10, 210, 1, 255), &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 2));
	/* everything after the cursor used: wrap and take the first free one before it */
	for (uint32_t i = 100; i <= 254; i++)
		assert_int_equal(addr_set_add(&used, IP(10, 210, 1, i)), 0);
	assert_int_equal(addr_set_add(&used, IP(10, 210, 1, 2)), 0);
	assert_int_equal(ipam_addr_pick(&used, &s, &s, IP(10, 210, 1, 150), &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 3));
	/* only the cursor's own address free: it is handed out last */
	for (uint32_t i = 3; i < 100; i++)
		assert_int_equal(addr_set_add(&used, IP(10, 210, 1, i)), 0);
	assert_int_equal(addr_set_del(&used, IP(10, 210, 1, 150)), 0);
	assert_int_equal(ipam_addr_pick(&used, &s, &s, IP(10, 210, 1, 150), &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 150));
	addr_set_release(&used);
}

static void test_addr_pick_range(void **state)
{
	struct cidr s = C("10.210.1.0/24"), r = C("10.210.1.128/25"), low = C("10.210.1.0/28");
	struct cidr outside = C("10.210.2.0/25");
	struct addr_set used = { 0 };
	uint32_t a = 0;

	(void)state;
	assert_int_equal(addr_set_add(&used, IP(10, 210, 1, 1)), 0);
	/* sub-pool: the first address of the range is usable in the slice */
	assert_int_equal(ipam_addr_pick(&used, &s, &r, 0, &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 128));
	assert_int_equal(ipam_addr_pick(&used, &s, &r, IP(10, 210, 1, 5), &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 128));	/* cursor outside the range */
	assert_int_equal(ipam_addr_pick(&used, &s, &r, IP(10, 210, 1, 200), &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 201));
	/* the range's last address is the slice's broadcast: never handed out */
	assert_int_equal(ipam_addr_pick(&used, &s, &r, IP(10, 210, 1, 253), &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 254));
	assert_int_equal(ipam_addr_pick(&used, &s, &r, IP(10, 210, 1, 254), &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 128));
	/* a range at the slice's start never gives the network address */
	assert_int_equal(ipam_addr_pick(&used, &s, &low, 0, &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 2));
	/* a range that does not meet the slice has nothing */
	assert_int_equal(ipam_addr_pick(&used, &s, &outside, 0, &a), -ENOSPC);
	/* fill the sub-pool: -ENOSPC, though the slice has room */
	for (uint32_t i = 128; i <= 254; i++)
		assert_int_equal(addr_set_add(&used, IP(10, 210, 1, i)), 0);
	a = 42;
	assert_int_equal(ipam_addr_pick(&used, &s, &r, IP(10, 210, 1, 200), &a), -ENOSPC);
	assert_int_equal(a, 42);
	assert_int_equal(ipam_addr_pick(&used, &s, &s, IP(10, 210, 1, 200), &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 2));
	addr_set_release(&used);
}

/* Pick until full: every usable address exactly once, never network or broadcast. */
static void pick_all(const char *slice, const char *range, unsigned expect)
{
	struct cidr s = C(slice), r = C(range);
	struct addr_set used = { 0 };
	uint32_t a, cursor = 0;
	unsigned n = 0;

	while (ipam_addr_pick(&used, &s, &r, cursor, &a) == 0) {
		assert_true(ipam_addr_usable(&s, a));
		assert_true(cidr_contains(&r, a));
		assert_true(a != cidr_first(&s) && a != cidr_last(&s));
		assert_int_equal(addr_set_add(&used, a), 0);	/* never handed out twice */
		/* in order while nothing is freed */
		if (n)
			assert_int_equal(a, cursor + 1);
		cursor = a;
		n++;
		assert_true(n <= expect);
	}
	assert_int_equal(n, expect);
	assert_int_equal(ipam_addr_pick(&used, &s, &r, 0, &a), -ENOSPC);
	assert_int_equal(ipam_addr_pick(&used, &s, &r, cursor, &a), -ENOSPC);
	if (!expect)
		return;
	/* one freed: it is found again from any cursor */
	assert_int_equal(addr_set_del(&used, cursor), 0);
	assert_int_equal(ipam_addr_pick(&used, &s, &r, cursor, &a), 0);
	assert_int_equal(a, cursor);
	assert_int_equal(ipam_addr_pick(&used, &s, &r, 0, &a), 0);
	assert_int_equal(a, cursor);
	addr_set_release(&used);
}

static void test_addr_pick_exhaust(void **state)
{
	(void)state;
	pick_all("10.210.1.0/24", "10.210.1.0/24", 254);
	pick_all("10.210.1.0/30", "10.210.1.0/30", 2);
	pick_all("10.210.1.0/24", "10.210.1.64/26", 64);
	pick_all("10.210.1.0/24", "10.210.1.192/26", 63);
	pick_all("10.210.1.0/24", "10.210.1.7/32", 1);
	pick_all("10.210.1.0/24", "10.210.1.0/32", 0);
	pick_all("10.210.0.0/16", "10.210.0.0/16", 65534);	/* large, still quick */
	pick_all("0.0.0.0/24", "0.0.0.0/24", 254);
	pick_all("255.255.255.0/24", "255.255.255.0/24", 254);
}

/* The worst case: a full /16 but for the address just before the cursor, found after a wrap. */
static void test_addr_pick_worst(void **state)
{
	struct cidr s = C("10.210.0.0/16");
	struct addr_set used = { 0 };
	uint32_t a = 0;

	(void)state;
	for (uint32_t x = cidr_first(&s) + 1; x < cidr_last(&s); x++)
		if (x != IP(10, 210, 100, 99))
			assert_int_equal(addr_set_add(&used, x), 0);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(ipam_addr_pick(&used, &s, &s, IP(10, 210, 100, 100), &a), 0);
		assert_int_equal(a, IP(10, 210, 100, 99));
	}
	assert_int_equal(addr_set_add(&used, a), 0);
	assert_int_equal(ipam_addr_pick(&used, &s, &s, IP(10, 210, 100, 100), &a), -ENOSPC);
	addr_set_release(&used);
}

static void test_addr_pick_tiny(void **state)
{
	struct cidr s31 = C("10.0.0.0/31"), s32 = C("255.255.255.255/32"), z = C("0.0.0.0/32");
	struct addr_set used = { 0 };
	uint32_t a;

	(void)state;
	assert_int_equal(ipam_addr_pick(&used, &s31, &s31, 0, &a), -ENOSPC);
	assert_int_equal(ipam_addr_pick(&used, &s32, &s32, 0, &a), -ENOSPC);
	assert_int_equal(ipam_addr_pick(&used, &z, &z, UINT32_MAX, &a), -ENOSPC);
}

/* slice 0's address 53 (the same on every host), or its last usable one in small slices */
static void test_responder_addr(void **state)
{
	struct cidr pool = C("10.210.0.0/16");

	(void)state;
	assert_int_equal(ipam_responder_addr(&pool, 24), IP(10, 210, 0, 53));
	assert_int_equal(ipam_responder_addr(&pool, 26), IP(10, 210, 0, 53));
	assert_int_equal(ipam_responder_addr(&pool, 27), IP(10, 210, 0, 30));
	assert_int_equal(ipam_responder_addr(&pool, 30), IP(10, 210, 0, 2));
	pool = C("172.20.64.0/18");
	assert_int_equal(ipam_responder_addr(&pool, 20), IP(172, 20, 64, 53));
}

static void test_errbuf(void **state)
{
	struct errbuf e = { 0 };
	char big[2 * ERRBUF_MSG_MAX];

	(void)state;
	assert_int_equal(errbuf_set(&e, -EINVAL, "bad %s at %d", "thing", 7), -EINVAL);
	assert_int_equal(e.code, -EINVAL);
	assert_string_equal(e.msg, "bad thing at 7");
	assert_int_equal(errbuf_set(NULL, -ENOENT, "x"), -ENOENT);
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(errbuf_set(&e, -E2BIG, "%s", big), -E2BIG);
	assert_int_equal(strlen(e.msg), ERRBUF_MSG_MAX - 1);	/* truncated, terminated */
}

static void test_errbuf_http_status(void **state)
{
	static const struct {
		int code;
		int status;
	} map[] = {
		{ -EMSGSIZE, 413 },
		{ -EINVAL, 400 }, { -ERANGE, 400 }, { -EPROTO, 400 }, { -EAFNOSUPPORT, 400 },
		{ -EOPNOTSUPP, 400 }, { -E2BIG, 400 }, { -ENAMETOOLONG, 400 },
		{ -ENOENT, 404 }, { -ENODEV, 404 },
		{ -EEXIST, 409 }, { -EBUSY, 409 }, { -EADDRINUSE, 409 }, { -ENOSPC, 409 },
		{ -EAGAIN, 503 }, { -ENOTCONN, 503 },
		{ -ENOMEM, 500 }, { -EIO, 500 }, { -EPERM, 500 }, { -EACCES, 500 }, { -1000, 500 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (errbuf_http_status(map[i].code) != map[i].status)
			fail_msg("code %d: %d, expected %d", map[i].code,
				 errbuf_http_status(map[i].code), map[i].status);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_set_basic),
		cmocka_unit_test(test_addr_set_many),
		cmocka_unit_test(test_addr_set_copy),
		cmocka_unit_test(test_slice_for),
		cmocka_unit_test(test_slice_len_parse),
		cmocka_unit_test(test_addr_usable),
		cmocka_unit_test(test_addr_pick_first),
		cmocka_unit_test(test_addr_pick_wrap),
		cmocka_unit_test(test_addr_pick_range),
		cmocka_unit_test(test_addr_pick_exhaust),
		cmocka_unit_test(test_addr_pick_worst),
		cmocka_unit_test(test_addr_pick_tiny),
		cmocka_unit_test(test_responder_addr),
		cmocka_unit_test(test_errbuf),
		cmocka_unit_test(test_errbuf_http_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
