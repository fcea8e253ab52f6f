/* SPDX-License-Identifier: MIT */
/*
 * netlink/conntrack.c against the kernel, in a network namespace of its own: entries made with
 * `conntrack -I` (NATed as a published port's flows are), then conntrack_delete_port, and
 * what is left read back with `conntrack -L`.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "netlink/conntrack.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* host 198.51.100.1 publishes udp 9080 to the container 10.210.1.2:99 */
static const struct conntrack_port udp_port = {
	17, 0, 9080, IP4(10, 210, 1, 2), 99,
};

/* Each flow is told apart by its original source port. */
static const char *const flows[] = {
	/* 40001: DNATed to the container */
	"-p udp -s 192.0.2.9 -d 198.51.100.1 --sport 40001 --dport 9080 --dst-nat 10.210.1.2:99",
	/* 40002: DNATed to another container (what the port led to before) */
	"-p udp -s 192.0.2.9 -d 198.51.100.1 --sport 40002 --dport 9080 --dst-nat 10.210.1.3:99",
	/* 40003: to the host itself (its first datagram came while nothing published it) */
	"-p udp -s 192.0.2.9 -d 198.51.100.1 --sport 40003 --dport 9080",
	/* 5555: a container's own flow to some server's port 9080, masqueraded */
	"-p udp -s 10.210.1.2 -d 203.0.113.5 --sport 5555 --dport 9080 --src-nat 198.51.100.1",
	/* 40004: another port, DNATed to the same container */
	"-p udp -s 192.0.2.9 -d 198.51.100.1 --sport 40004 --dport 9081 --dst-nat 10.210.1.2:99",
	/* 40005: TCP to the same port number, DNATed to the container */
	("-p tcp -s 192.0.2.9 -d 198.51.100.1 --sport 40005 --dport 9080 --state ESTABLISHED "
	 "--dst-nat 10.210.1.2:99"),
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state)
{
	(void)state;
	sh("conntrack -F >/dev/null 2>&1");
	for (size_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++)
		assert_int_equal(sh("conntrack -I %s -t 100 >/dev/null 2>&1", flows[i]), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sh("conntrack -F >/dev/null 2>&1");
	return 0;
}

/* The original source ports of the entries left, sorted, separated by spaces. */
static char *left(void)
{
	FILE *f = popen("conntrack -L 2>/dev/null | sed -nE 's/^[^=]* src=[^ ]+ dst=[^ ]+ "
			"sport=([0-9]+) .*/\\1/p' | sort -n | xargs", "r");
	char *buf = calloc(1, 256);

	assert_non_null(f);
	assert_non_null(buf);
	if (!fgets(buf, 256, f))
		buf[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	assert_int_equal(pclose(f), 0);
	return buf;
}

static void assert_left(const char *want)
{
	char *got = left();

	assert_string_equal(got, want);
	free(got);
}

static void test_setup_made_them(void **state)
{
	(void)state;
	assert_left("5555 40001 40002 40003 40004 40005");
}

/* A port that went: the flows it DNATed to its container, of its protocol and port alone. */
static void test_to_ctr(void **state)
{
	(void)state;
	assert_int_equal(conntrack_delete_port(&udp_port, CONNTRACK_TO_CTR), 1);
	assert_left("5555 40002 40003 40004 40005");
	assert_int_equal(conntrack_delete_port(&udp_port, CONNTRACK_TO_CTR), 0);
}

/* A UDP port that came: its flows that went elsewhere, not the masqueraded one to a server's
 * port of that number, not those already DNATed to the container. */
static void test_elsewhere(void **state)
{
	(void)state;
	assert_int_equal(conntrack_delete_port(&udp_port, CONNTRACK_ELSEWHERE), 2);
	assert_left("5555 40001 40004 40005");
}

/* A port published on one address of the host leaves flows to the others alone. */
static void test_host_ip(void **state)
{
	struct conntrack_port other = udp_port, same = udp_port;

	(void)state;
	other.host_ip = IP4(198, 51, 100, 99);
	same.host_ip = IP4(198, 51, 100, 1);
	assert_int_equal(conntrack_delete_port(&other, CONNTRACK_ELSEWHERE), 0);
	assert_int_equal(conntrack_delete_port(&other, CONNTRACK_TO_CTR), 0);
	assert_left("5555 40001 40002 40003 40004 40005");
	assert_int_equal(conntrack_delete_port(&same, CONNTRACK_TO_CTR), 1);
	assert_left("5555 40002 40003 40004 40005");
}

/* TCP: a connection through a port that went is cut (its entry goes). */
static void test_tcp(void **state)
{
	struct conntrack_port tcp = udp_port;

	(void)state;
	tcp.proto = 6;
	assert_int_equal(conntrack_delete_port(&tcp, CONNTRACK_TO_CTR), 1);
	assert_left("5555 40001 40002 40003 40004");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_setup_made_them, setup, teardown),
		cmocka_unit_test_setup_teardown(test_to_ctr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elsewhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp, setup, teardown),
	};

	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET) (needs root)");
		return 1;
	}
	if (system("ip link set lo up") != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
