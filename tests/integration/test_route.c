/* SPDX-License-Identifier: MIT */
/*
 * netlink/route.c against the kernel, in a network namespace of its own: routes through a
 * bridge, tagged with protocol 77, and what a dump of that protocol leaves out.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/rtnetlink.h>

#include <cmocka.h>

#include "netlink/addr.h"
#include "netlink/link.h"
#include "netlink/nl.h"
#include "netlink/route.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define PROTO 77
#define BR "wgbrt0"
#define BR2 "wgbrt1"
#define NMANY 300

static struct nl *nl;

static struct route own(uint32_t dst, uint8_t len, const char *dev)
{
	struct route r = { .dst = dst, .len = len, .protocol = PROTO, .scope = RT_SCOPE_UNIVERSE };

	snprintf(r.ifname, sizeof(r.ifname), "%s", dev);
	return r;
}

static int setup(void **state)
{
	(void)state;
	if (link_bridge_create(nl, BR, 0) < 0 || link_set_up(nl, BR) < 0)
		return -1;
	if (link_bridge_create(nl, BR2, 0) < 0 || link_set_up(nl, BR2) < 0)
		return -1;
	return 0;
}

/* Deleting the bridges takes their routes with them. */
static int teardown(void **state)
{
	int ret;

	(void)state;
	ret = link_del(nl, BR);
	assert_true(ret == 0 || ret == -ENODEV);
	ret = link_del(nl, BR2);
	assert_true(ret == 0 || ret == -ENODEV);
	return system("ip route flush table 100 2>/dev/null") < 0 ? -1 : 0;
}

static size_t dump(uint8_t proto, struct route **out)
{
	size_t n = 12345;

	*out = NULL;
	assert_int_equal(route_dump_proto(nl, proto, out, &n), 0);
	assert_non_null(*out);
	assert_int_not_equal(n, 12345);
	return n;
}

static bool has(const struct route *v, size_t n, const struct route *r)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].dst == r->dst && v[i].len == r->len && v[i].protocol == r->protocol &&
		    v[i].scope == r->scope && strcmp(v[i].ifname, r->ifname) == 0)
			return true;
	return false;
}

static void test_add_dump_del(void **state)
{
	struct route a = own(IP4(10, 210, 0, 0), 16, BR);
	struct route b = own(IP4(10, 211, 3, 0), 24, BR2);
	struct route *v;
	size_t n;

	(void)state;
	n = dump(PROTO, &v);
	assert_int_equal(n, 0);
	free(v);

	assert_int_equal(route_add(nl, &a), 0);
	assert_int_equal(route_add(nl, &b), 0);
	n = dump(PROTO, &v);
	assert_int_equal(n, 2);
	assert_true(has(v, n, &a));
	assert_true(has(v, n, &b));
	free(v);

	/* NLM_F_REPLACE: adding again is fine, and moving it to the other bridge replaces it */
	assert_int_equal(route_add(nl, &a), 0);
	snprintf(a.ifname, sizeof(a.ifname), "%s", BR2);
	assert_int_equal(route_add(nl, &a), 0);
	n = dump(PROTO, &v);
	assert_int_equal(n, 2);
	assert_true(has(v, n, &a));
	free(v);

	assert_int_equal(route_del(nl, &a), 0);
	assert_int_equal(route_del(nl, &a), -ESRCH);
	n = dump(PROTO, &v);
	assert_int_equal(n, 1);
	assert_true(has(v, n, &b));
	assert_false(has(v, n, &a));
	free(v);

	/* a route of ours with the wrong device is not ours to delete */
	snprintf(b.ifname, sizeof(b.ifname), "%s", BR);
	assert_int_equal(route_del(nl, &b), -ESRCH);
	snprintf(b.ifname, sizeof(b.ifname), "%s", BR2);
	assert_int_equal(route_del(nl, &b), 0);
	n = dump(PROTO, &v);
	assert_int_equal(n, 0);
	free(v);
}

static void test_errors(void **state)
{
	struct route r = own(IP4(10, 212, 0, 0), 16, "wgnosuch0");
	struct route *v;

	(void)state;
	assert_int_equal(route_add(nl, &r), -ENODEV);
	assert_int_equal(route_del(nl, &r), -ESRCH);	/* its device is gone, so is it */
	r = own(IP4(10, 212, 0, 0), 16, BR);
	assert_int_equal(route_del(nl, &r), -ESRCH);
	r = own(IP4(10, 212, 0, 1), 16, BR);		/* host bits */
	assert_int_equal(route_add(nl, &r), -EINVAL);
	r = own(IP4(10, 212, 0, 0), 33, BR);
	assert_int_equal(route_add(nl, &r), -EINVAL);
	r = own(IP4(10, 212, 0, 0), 16, "");
	assert_int_equal(route_add(nl, &r), -EINVAL);
	assert_int_equal(dump(PROTO, &v), 0);
	free(v);
}

static void test_other_routes_left_out(void **state)
{
	struct route mine = own(IP4(10, 213, 0, 0), 16, BR);
	struct route stat = own(IP4(10, 214, 0, 0), 16, BR);
	struct route *v;
	size_t n;

	(void)state;
	stat.protocol = RTPROT_STATIC;
	assert_int_equal(route_add(nl, &mine), 0);
	assert_int_equal(route_add(nl, &stat), 0);
	/* proto kernel: the prefix route of an address */
	assert_int_equal(addr_add(nl, BR, IP4(10, 215, 0, 1), 24), 0);
	/* proto 77, but another table */
	assert_int_equal(system("ip route add 10.216.0.0/16 dev " BR " table 100 proto 77"), 0);

	n = dump(PROTO, &v);
	assert_int_equal(n, 1);
	assert_true(has(v, n, &mine));
	free(v);

	n = dump(RTPROT_STATIC, &v);
	assert_int_equal(n, 1);
	assert_true(has(v, n, &stat));
	free(v);

	n = dump(RTPROT_KERNEL, &v);
	assert_true(n >= 1);
	assert_int_equal(v[0].protocol, RTPROT_KERNEL);
	free(v);

	/* the device taken away takes its routes */
	assert_int_equal(link_del(nl, BR), 0);
	n = dump(PROTO, &v);
	assert_int_equal(n, 0);
	free(v);
	assert_int_equal(route_del(nl, &mine), -ESRCH);
}

/* More than one dump message: the kernel splits at about 4 KiB to 32 KiB. */
static void test_many(void **state)
{
	struct route r, *v;
	size_t n, i;

	(void)state;
	for (i = 0; i < NMANY; i++) {
		r = own(IP4(10, 100 + i / 256, i % 256, 0), 24, i % 2 ? BR : BR2);
		assert_int_equal(route_add(nl, &r), 0);
	}
	n = dump(PROTO, &v);
	assert_int_equal(n, NMANY);
	for (i = 0; i < NMANY; i++) {
		r = own(IP4(10, 100 + i / 256, i % 256, 0), 24, i % 2 ? BR : BR2);
		assert_true(has(v, n, &r));
	}
	free(v);
	for (i = 0; i < NMANY; i += 2) {
		r = own(IP4(10, 100 + i / 256, i % 256, 0), 24, BR2);
		assert_int_equal(route_del(nl, &r), 0);
	}
	n = dump(PROTO, &v);
	assert_int_equal(n, NMANY / 2);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_dump_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_routes_left_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
	};
	int ret;

	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET) (needs root)");
		return 1;
	}
	if (nl_open(&nl) < 0 || link_set_up(nl, "lo") < 0) {
		fprintf(stderr, "cannot open rtnetlink\n");
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	nl_close(nl);
	return ret;
}
