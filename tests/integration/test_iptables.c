/* SPDX-License-Identifier: MIT */
/*
 * netlink/iptables.c with the real iptables binary, in a network namespace of its own (the
 * iptables-nft ruleset is per namespace). The chain is read back with `iptables -S`.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "netlink/iptables.h"

#define IPT "iptables"
#define IPT_LEGACY "iptables-legacy"	/* the variant that takes the xtables lock */

#define R_IN "-A DOCKER-USER -i wgb+ -m comment --comment wgnet -j ACCEPT\n"
#define R_EST                                                                                    \
	"-A DOCKER-USER -o wgb+ -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment " \
	"wgnet -j ACCEPT\n"
#define R_DNAT "-A DOCKER-USER -o wgb+ -m conntrack --ctstate DNAT -m comment --comment wgnet " \
	       "-j ACCEPT\n"
#define R_WG "-A DOCKER-USER -i wgnet0 -o wgb+ -m comment --comment wgnet -j ACCEPT\n"
#define R_FOREIGN "-A DOCKER-USER -j RETURN\n"
#define R_QUOTED "-A DOCKER-USER -m comment --comment \"not wgnet\" -j RETURN\n"

static void sh(const char *cmd)
{
	int st = system(cmd);

	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("command failed: %s", cmd);
}

/* `iptables -S DOCKER-USER`, which must succeed */
static char *listing(void)
{
	FILE *f = popen(IPT " -w -S DOCKER-USER 2>/dev/null", "r");
	char *buf = calloc(1, 65536);
	size_t len = 0, n;

	assert_non_null(f);
	assert_non_null(buf);
	while ((n = fread(buf + len, 1, 65535 - len, f)) > 0)
		len += n;
	assert_int_equal(pclose(f), 0);
	return buf;
}

static void assert_listing(const char *want)
{
	char *have = listing();

	assert_string_equal(have, want);
	free(have);
}

static int setup_chain(void **state)
{
	(void)state;
	return system(IPT " -w -N DOCKER-USER") == 0 ? 0 : -1;
}

static int teardown_chain(void **state)
{
	(void)state;
	return system(IPT " -w -F DOCKER-USER && " IPT " -w -X DOCKER-USER") == 0 ? 0 : -1;
}

static void test_no_chain(void **state)
{
	(void)state;
	assert_int_equal(iptables_docker_user_ensure(NULL, NULL), -ENOENT);
	assert_int_equal(iptables_docker_user_ensure(IPT, "wgnet0"), -ENOENT);
	assert_int_equal(iptables_docker_user_present("", NULL), 0);
	assert_int_equal(iptables_docker_user_remove(NULL), 0);
	/* no binary at all reads as no chain: there is nothing to accept through */
	assert_int_equal(iptables_docker_user_ensure("/nonexistent/iptables", NULL), -ENOENT);
	assert_int_equal(iptables_docker_user_present("/nonexistent/iptables", NULL), 0);
	assert_int_equal(iptables_docker_user_remove("/nonexistent/iptables"), 0);
}

static void test_ensure_remove(void **state)
{
	(void)state;
	sh(IPT " -w -A DOCKER-USER -j RETURN");
	assert_int_equal(iptables_docker_user_present(NULL, NULL), 0);

	assert_int_equal(iptables_docker_user_ensure(NULL, NULL), 0);
	assert_int_equal(iptables_docker_user_present(NULL, NULL), 1);
	assert_int_equal(iptables_docker_user_present(NULL, "wgnet0"), 0);
	assert_listing("-N DOCKER-USER\n" R_IN R_EST R_DNAT R_FOREIGN);

	assert_int_equal(iptables_docker_user_ensure(IPT, NULL), 0);	/* no duplicates */
	assert_listing("-N DOCKER-USER\n" R_IN R_EST R_DNAT R_FOREIGN);

	assert_int_equal(iptables_docker_user_ensure(NULL, "wgnet0"), 0);
	assert_int_equal(iptables_docker_user_present(NULL, "wgnet0"), 1);
	assert_listing("-N DOCKER-USER\n" R_IN R_EST R_DNAT R_WG R_FOREIGN);

	assert_int_equal(iptables_docker_user_remove(NULL), 0);
	assert_listing("-N DOCKER-USER\n" R_FOREIGN);
	assert_int_equal(iptables_docker_user_present(NULL, NULL), 0);
	assert_int_equal(iptables_docker_user_remove(NULL), 0);
	assert_listing("-N DOCKER-USER\n" R_FOREIGN);
}

/* A rule of ours that went missing comes back at its place; duplicates all go on remove. */
static void test_repair_and_duplicates(void **state)
{
	(void)state;
	assert_int_equal(iptables_docker_user_ensure(NULL, NULL), 0);
	sh(IPT " -w -D DOCKER-USER -o wgb+ -m conntrack --ctstate RELATED,ESTABLISHED "
	       "-m comment --comment wgnet -j ACCEPT");
	assert_int_equal(iptables_docker_user_present(NULL, NULL), 0);
	assert_int_equal(iptables_docker_user_ensure(NULL, NULL), 0);
	assert_listing("-N DOCKER-USER\n" R_IN R_EST R_DNAT);

	sh(IPT " -w -A DOCKER-USER -m comment --comment \"not wgnet\" -j RETURN");
	sh(IPT " -w -A DOCKER-USER -i wgb+ -m comment --comment wgnet -j ACCEPT");
	assert_listing("-N DOCKER-USER\n" R_IN R_EST R_DNAT R_QUOTED R_IN);
	assert_int_equal(iptables_docker_user_remove(IPT), 0);
	assert_listing("-N DOCKER-USER\n" R_QUOTED);
}

/* The xtables lock, at a path of its own (XTABLES_LOCKFILE), held for the test. */
static char lock_path[] = "/tmp/wgnet-it-xtables.XXXXXX";
static int lock_fd = -1;

static int setup_lock(void **state)
{
	(void)state;
	lock_fd = mkstemp(lock_path);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX) < 0)
		return -1;
	return setenv("XTABLES_LOCKFILE", lock_path, 1);
}

/* Also called by main: cmocka 1.1 skips a teardown when its test failed. */
static int teardown_lock(void **state)
{
	(void)state;
	unsetenv("XTABLES_LOCKFILE");
	if (lock_fd >= 0) {
		close(lock_fd);
		unlink(lock_path);
		lock_fd = -1;
	}
	return 0;
}

/* A lock held past -w is an error, never read as "no chain" (there is none here). */
static void test_lock_held(void **state)
{
	(void)state;
	assert_int_equal(iptables_docker_user_ensure(IPT_LEGACY, NULL), -EBUSY);
	assert_int_equal(iptables_docker_user_present(IPT_LEGACY, NULL), -EBUSY);
	assert_int_equal(iptables_docker_user_remove(IPT_LEGACY), -EBUSY);
	assert_int_equal(flock(lock_fd, LOCK_UN), 0);
	assert_int_equal(iptables_docker_user_ensure(IPT_LEGACY, NULL), -ENOENT);
	assert_int_equal(iptables_docker_user_present(IPT_LEGACY, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_chain),
		cmocka_unit_test_setup_teardown(test_ensure_remove, setup_chain, teardown_chain),
		cmocka_unit_test_setup_teardown(test_repair_and_duplicates, setup_chain,
						teardown_chain),
		cmocka_unit_test_setup_teardown(test_lock_held, setup_lock, teardown_lock),
	};
	int ret;

	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET) (needs root)");
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	teardown_lock(NULL);
	return ret;
}
