/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/cidr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static struct cidr C(const char *s)
{
	struct cidr c = { 0 };

	assert_int_equal(cidr_parse_host(s, &c), 0);
	return c;
}

static const struct {
	const char *s;
	uint32_t addr;
	uint8_t len;
} cidr_good[] = {
	{ "0.0.0.0/0", 0, 0 },
	{ "10.0.0.0/8", IP(10, 0, 0, 0), 8 },
	{ "10.210.0.0/16", IP(10, 210, 0, 0), 16 },
	{ "192.168.1.0/24", IP(192, 168, 1, 0), 24 },
	{ "128.0.0.0/1", IP(128, 0, 0, 0), 1 },
	{ "10.0.0.0/31", IP(10, 0, 0, 0), 31 },
	{ "10.210.3.4/32", IP(10, 210, 3, 4), 32 },
	{ "255.255.255.255/32", UINT32_MAX, 32 },
	{ "100.64.0.0/10", IP(100, 64, 0, 0), 10 },
};

/* Wrong for both cidr_parse and cidr_parse_host. */
static const char *const cidr_bad[] = {
	"", "10.0.0.0", "10.0.0.0/", "/8", "10.0.0/8", "10.0.0.0.0/8", "010.0.0.0/8",
	"10.00.0.0/16",
	"10.0.0.0/08", "10.0.0.0/00", "256.0.0.0/8", "10.0.0.0/33", "10.0.0.0/100", " 10.0.0.0/8",
	"10.0.0.0/8 ", "10.0.0.0/8x", "10..0.0/8", "1000.0.0.0/8", "-1.0.0.0/8", "+1.0.0.0/8",
	"10.0.0.0/-1", "10.0.0.0/+8", "0x0a.0.0.0/8", "10.0.0.0//8", "10.0.0.0/8/8", "10.0.0.0/ 8",
	".10.0.0/8", "10.0.0./8", "10.0.0.0/0000", "4294967296.0.0.0/8", "10.0.0.0/8\n",
	"10,0,0,0/8", "a.b.c.d/8", "10.0.0.0/a", "10.0.0.0\\8", "10.0.0.256/32", "::/0",
	"00.0.0.0/0",
};

static void test_cidr_parse_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cidr_good); i++) {
		struct cidr c = { 0 }, h = { 0 };
		char buf[CIDR_STR_MAX];

		assert_int_equal(cidr_parse(cidr_good[i].s, &c), 0);
		assert_int_equal(c.addr, cidr_good[i].addr);
		assert_int_equal(c.len, cidr_good[i].len);
		assert_int_equal(cidr_parse_host(cidr_good[i].s, &h), 0);
		assert_true(cidr_equal(&c, &h));
		cidr_format(&c, buf);
		assert_string_equal(buf, cidr_good[i].s);	/* round trip */
	}
}

static void test_cidr_parse_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cidr_bad); i++) {
		struct cidr c = { .addr = 0x12345678, .len = 7 };

		if (cidr_parse(cidr_bad[i], &c) != -EINVAL ||
		    cidr_parse_host(cidr_bad[i], &c) != -EINVAL)
			fail_msg("accepted '%s'", cidr_bad[i]);
		/* out-parameter untouched on failure */
		assert_int_equal(c.addr, 0x12345678);
		assert_int_equal(c.len, 7);
	}
	assert_int_equal(cidr_parse(NULL, &(struct cidr){ 0 }), -EINVAL);
	assert_int_equal(cidr_parse_host(NULL, &(struct cidr){ 0 }), -EINVAL);
}

static void test_cidr_parse_host_bits(void **state)
{
	struct cidr c = { 0 };
	char buf[CIDR_STR_MAX];

	(void)state;
	assert_int_equal(cidr_parse("10.1.3.1/24", &c), -EINVAL);
	assert_int_equal(cidr_parse("10.0.0.1/31", &c), -EINVAL);
	assert_int_equal(cidr_parse("0.0.0.1/0", &c), -EINVAL);
	assert_int_equal(cidr_parse("10.211.0.0/15", &c), -EINVAL);
	assert_int_equal(cidr_parse_host("10.1.3.1/24", &c), 0);
	assert_int_equal(c.addr, IP(10, 1, 3, 1));
	assert_int_equal(c.len, 24);
	cidr_format(&c, buf);
	assert_string_equal(buf, "10.1.3.1/24");
	assert_int_equal(cidr_first(&c), IP(10, 1, 3, 0));
	assert_int_equal(cidr_last(&c), IP(10, 1, 3, 255));
	assert_true(cidr_contains(&c, IP(10, 1, 3, 200)));
	assert_false(cidr_contains(&c, IP(10, 1, 4, 0)));
}

static void test_cidr_addr_parse(void **state)
{
	static const char *const good[] = { "0.0.0.0", "10.210.1.2", "255.255.255.255",
					     "1.2.3.4", "192.168.100.10" };
	static const char *const bad[] = { "", "10.210.1", "10.210.1.2.3", "10.210.1.2/24",
					   "010.1.1.1", "1.1.1.01", "256.1.1.1", "1.1.1.1 ",
					   " 1.1.1.1", "1.1.1.", "1..1.1", "1.1.1.1.",
					   "1.1.1.-1", "abc" };
	char buf[CIDR_ADDR_STR_MAX];
	uint32_t a;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		assert_int_equal(cidr_addr_parse(good[i], &a), 0);
		cidr_addr_format(a, buf);
		assert_string_equal(buf, good[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		a = 42;
		if (cidr_addr_parse(bad[i], &a) != -EINVAL)
			fail_msg("cidr_addr_parse accepted '%s'", bad[i]);
		assert_int_equal(a, 42);
	}
	assert_int_equal(cidr_addr_parse(NULL, &a), -EINVAL);
	assert_int_equal(cidr_addr_parse("10.210.1.2", &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 2));
	cidr_addr_format(UINT32_MAX, buf);
	assert_string_equal(buf, "255.255.255.255");
}

static void test_cidr_addr_parse_any(void **state)
{
	uint32_t a = 0;

	(void)state;
	assert_int_equal(cidr_addr_parse_any("10.210.1.2", &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 2));
	assert_int_equal(cidr_addr_parse_any("10.210.1.3/24", &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 3));
	assert_int_equal(cidr_addr_parse_any("10.210.1.4/32", &a), 0);
	assert_int_equal(a, IP(10, 210, 1, 4));
	a = 7;
	assert_int_equal(cidr_addr_parse_any("10.210.1.2/33", &a), -EINVAL);
	assert_int_equal(cidr_addr_parse_any("10.210.1.2/", &a), -EINVAL);
	assert_int_equal(cidr_addr_parse_any("10.210.1/24", &a), -EINVAL);
	assert_int_equal(cidr_addr_parse_any("", &a), -EINVAL);
	assert_int_equal(cidr_addr_parse_any(NULL, &a), -EINVAL);
	assert_int_equal(a, 7);
}

static void test_cidr_mask(void **state)
{
	(void)state;
	assert_int_equal(cidr_mask(0), 0);
	assert_int_equal(cidr_mask(1), 0x80000000u);
	assert_int_equal(cidr_mask(8), 0xff000000u);
	assert_int_equal(cidr_mask(24), 0xffffff00u);
	assert_int_equal(cidr_mask(31), 0xfffffffeu);
	assert_int_equal(cidr_mask(32), 0xffffffffu);
	for (unsigned len = 0; len <= 32; len++) {
		uint32_t m = cidr_mask((uint8_t)len);
		unsigned bits = 0;

		for (uint32_t x = m; x; x <<= 1)
			bits++;
		assert_int_equal(bits, len);	/* len leading ones, then zeros */
		assert_int_equal(__builtin_popcount(m), len);
	}
}

static void test_cidr_first_last(void **state)
{
	struct cidr all = C("0.0.0.0/0"), one = C("10.1.2.3/32"), s24 = C("10.210.1.0/24");
	struct cidr s31 = C("10.0.0.0/31"), top = C("255.255.255.255/32");

	(void)state;
	assert_int_equal(cidr_first(&all), 0);
	assert_int_equal(cidr_last(&all), UINT32_MAX);
	assert_int_equal(cidr_first(&one), IP(10, 1, 2, 3));
	assert_int_equal(cidr_last(&one), IP(10, 1, 2, 3));
	assert_int_equal(cidr_first(&s24), IP(10, 210, 1, 0));
	assert_int_equal(cidr_last(&s24), IP(10, 210, 1, 255));
	assert_int_equal(cidr_first(&s31), IP(10, 0, 0, 0));
	assert_int_equal(cidr_last(&s31), IP(10, 0, 0, 1));
	assert_int_equal(cidr_first(&top), UINT32_MAX);
	assert_int_equal(cidr_last(&top), UINT32_MAX);
}

static void test_cidr_contains(void **state)
{
	struct cidr all = C("0.0.0.0/0"), one = C("10.1.2.3/32"), s24 = C("10.210.1.0/24");

	(void)state;
	assert_true(cidr_contains(&all, 0));
	assert_true(cidr_contains(&all, UINT32_MAX));
	assert_true(cidr_contains(&one, IP(10, 1, 2, 3)));
	assert_false(cidr_contains(&one, IP(10, 1, 2, 2)));
	assert_false(cidr_contains(&one, IP(10, 1, 2, 4)));
	assert_true(cidr_contains(&s24, IP(10, 210, 1, 0)));
	assert_true(cidr_contains(&s24, IP(10, 210, 1, 255)));
	assert_false(cidr_contains(&s24, IP(10, 210, 0, 255)));
	assert_false(cidr_contains(&s24, IP(10, 210, 2, 0)));
	assert_false(cidr_contains(&s24, IP(11, 210, 1, 1)));
}

static void test_cidr_covers_overlaps(void **state)
{
	struct cidr all = C("0.0.0.0/0"), pool = C("10.210.0.0/16"), s1 = C("10.210.1.0/24");
	struct cidr s2 = C("10.210.2.0/24"), sub = C("10.210.1.128/25"), h = C("10.210.1.7/32");
	struct cidr other = C("10.211.0.0/16"), big = C("10.0.0.0/8");

	(void)state;
	assert_true(cidr_covers(&all, &pool));
	assert_true(cidr_covers(&all, &all));
	assert_true(cidr_covers(&pool, &pool));
	assert_true(cidr_covers(&pool, &s1));
	assert_true(cidr_covers(&s1, &sub));
	assert_true(cidr_covers(&s1, &h));
	assert_true(cidr_covers(&h, &h));
	assert_false(cidr_covers(&s1, &pool));	/* inner larger */
	assert_false(cidr_covers(&s1, &s2));
	assert_false(cidr_covers(&pool, &other));
	assert_false(cidr_covers(&pool, &all));
	assert_false(cidr_covers(&sub, &s1));

	assert_true(cidr_overlaps(&pool, &s1));
	assert_true(cidr_overlaps(&s1, &pool));
	assert_true(cidr_overlaps(&all, &h));
	assert_true(cidr_overlaps(&h, &all));
	assert_true(cidr_overlaps(&big, &pool));
	assert_true(cidr_overlaps(&h, &h));
	assert_false(cidr_overlaps(&s1, &s2));
	assert_false(cidr_overlaps(&pool, &other));
	assert_false(cidr_overlaps(&other, &s1));

	assert_true(cidr_equal(&s1, &(struct cidr){ IP(10, 210, 1, 0), 24 }));
	assert_false(cidr_equal(&s1, &s2));
	assert_false(cidr_equal(&s1, &(struct cidr){ IP(10, 210, 1, 0), 25 }));
}

static void test_cidr_slice(void **state)
{
	struct cidr pool = C("10.210.0.0/16"), s = { 0 }, all = C("0.0.0.0/0");
	char buf[CIDR_STR_MAX];

	(void)state;
	assert_int_equal(cidr_slice(&pool, 0, 24, &s), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.210.0.0/24");
	assert_int_equal(cidr_slice(&pool, 1, 24, &s), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.210.1.0/24");
	assert_int_equal(cidr_slice(&pool, 255, 24, &s), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.210.255.0/24");
	assert_true(cidr_covers(&pool, &s));

	s = (struct cidr){ 1, 1 };
	assert_int_equal(cidr_slice(&pool, 256, 24, &s), -ERANGE);
	assert_int_equal(cidr_slice(&pool, UINT32_MAX, 24, &s), -ERANGE);
	assert_int_equal(s.addr, 1);	/* untouched */

	assert_int_equal(cidr_slice(&pool, 3, 26, &s), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.210.0.192/26");
	assert_int_equal(cidr_slice(&pool, 1023, 26, &s), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.210.255.192/26");
	assert_int_equal(cidr_slice(&pool, 1024, 26, &s), -ERANGE);
	assert_int_equal(cidr_slice(&pool, 16383, 30, &s), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.210.255.252/30");
	assert_int_equal(cidr_slice(&pool, 1, 17, &s), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "10.210.128.0/17");
	assert_int_equal(cidr_slice(&pool, 2, 17, &s), -ERANGE);

	assert_int_equal(cidr_slice(&pool, 0, 16, &s), -EINVAL);	/* not smaller than pool */
	assert_int_equal(cidr_slice(&pool, 0, 8, &s), -EINVAL);
	assert_int_equal(cidr_slice(&pool, 0, 31, &s), -EINVAL);
	assert_int_equal(cidr_slice(&pool, 0, 32, &s), -EINVAL);

	/* the widest difference: /0 cut into /30 */
	assert_int_equal(cidr_slice(&all, (1u << 30) - 1, 30, &s), 0);
	cidr_format(&s, buf);
	assert_string_equal(buf, "255.255.255.252/30");
	assert_int_equal(cidr_slice(&all, 1u << 30, 30, &s), -ERANGE);
}

static void test_cidr_format_edges(void **state)
{
	char buf[CIDR_STR_MAX];
	struct cidr c = { UINT32_MAX, 32 };

	(void)state;
	cidr_format(&c, buf);
	assert_string_equal(buf, "255.255.255.255/32");
	assert_int_equal(strlen(buf), CIDR_STR_MAX - 1);
	c = (struct cidr){ 0, 0 };
	cidr_format(&c, buf);
	assert_string_equal(buf, "0.0.0.0/0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_parse_good),
		cmocka_unit_test(test_cidr_parse_bad),
		cmocka_unit_test(test_cidr_parse_host_bits),
		cmocka_unit_test(test_cidr_addr_parse),
		cmocka_unit_test(test_cidr_addr_parse_any),
		cmocka_unit_test(test_cidr_mask),
		cmocka_unit_test(test_cidr_first_last),
		cmocka_unit_test(test_cidr_contains),
		cmocka_unit_test(test_cidr_covers_overlaps),
		cmocka_unit_test(test_cidr_slice),
		cmocka_unit_test(test_cidr_format_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
