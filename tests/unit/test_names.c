/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver/log.h"
#include "driver/names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char net_id[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char ep_id[] = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

static void test_docker_id_valid(void **state)
{
	char id[DOCKER_ID_LEN + 2];

	(void)state;
	assert_true(names_docker_id_valid(net_id));
	assert_true(names_docker_id_valid(ep_id));
	assert_false(names_docker_id_valid(NULL));
	assert_false(names_docker_id_valid(""));
	assert_false(names_docker_id_valid("0123456789ab"));

	memcpy(id, net_id, sizeof(net_id));
	id[DOCKER_ID_LEN - 1] = 0;			/* 63 */
	assert_false(names_docker_id_valid(id));
	memcpy(id, net_id, sizeof(net_id));
	id[DOCKER_ID_LEN] = 'a';			/* 65 */
	id[DOCKER_ID_LEN + 1] = 0;
	assert_false(names_docker_id_valid(id));
	for (const char *bad = "AFgz -/\n"; *bad; bad++) {
		memcpy(id, net_id, sizeof(net_id));
		id[10] = *bad;
		assert_false(names_docker_id_valid(id));
		memcpy(id, net_id, sizeof(net_id));
		id[DOCKER_ID_LEN - 1] = *bad;
		assert_false(names_docker_id_valid(id));
	}
}

static void test_names_make(void **state)
{
	char n[IFNAMSIZ];

	(void)state;
	names_bridge(net_id, n);
	assert_string_equal(n, "wgb0123456789");
	assert_true(names_is_ours(n));
	names_veth_host(ep_id, n);
	assert_string_equal(n, "wgvfedcba98765");
	assert_true(strlen(n) <= IFNAMSIZ - 1);
	assert_true(names_is_ours(n));
	names_veth_ctr(ep_id, n);
	assert_string_equal(n, "wgcfedcba98765");
	assert_true(names_is_ours(n));
	/* the prefixes are what the header promises */
	assert_memory_equal(n, NAMES_VETH_CTR_PREFIX, 3);
	names_bridge(ep_id, n);
	assert_memory_equal(n, NAMES_BRIDGE_PREFIX, 3);
}

static void test_names_is_ours(void **state)
{
	static const char *const ours[] = { "wgb0123456789", "wgbffffffffff", "wgv0123456789a",
					    "wgc0123456789a", "wgvaaaaaaaaaaa" };
	static const char *const not_ours[] = {
		"", "wgb", "wgv", "wgc", NAMES_WG_DEVICE, "eth0", "lo", "docker0",
		"br-0123456789ab",
		"veth0123456", "wgb012345678",		/* 9 hex */
		"wgb0123456789a",			/* 11 hex */
		"wgv0123456789",			/* 10 hex */
		"wgc0123456789ab",			/* 12 hex */
		"wgb012345678A", "wgb012345678g", "wgv0123456789A", "wgc012345678-a",
		"WGB0123456789", "wgx0123456789", "xwgb0123456789", "wgb 123456789",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ours); i++)
		if (!names_is_ours(ours[i]))
			fail_msg("'%s' should be ours", ours[i]);
	for (size_t i = 0; i < ARRAY_SIZE(not_ours); i++)
		if (names_is_ours(not_ours[i]))
			fail_msg("'%s' should not be ours", not_ours[i]);
	assert_false(names_is_ours(NULL));
}

static void test_log_level_parse(void **state)
{
	static const char *const bad[] = { "", "ERROR", "Info", "warning", "err", "debug ",
					   "trace", "0", "3" };
	enum log_level l = LOG_LEVEL_INFO;

	(void)state;
	assert_int_equal(log_level_parse("error", &l), 0);
	assert_int_equal(l, LOG_LEVEL_ERROR);
	assert_int_equal(log_level_parse("warn", &l), 0);
	assert_int_equal(l, LOG_LEVEL_WARN);
	assert_int_equal(log_level_parse("info", &l), 0);
	assert_int_equal(l, LOG_LEVEL_INFO);
	assert_int_equal(log_level_parse("debug", &l), 0);
	assert_int_equal(l, LOG_LEVEL_DEBUG);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(log_level_parse(bad[i], &l), -EINVAL);
		assert_int_equal(l, LOG_LEVEL_DEBUG);	/* untouched */
	}
	assert_int_equal(log_level_parse(NULL, &l), -EINVAL);
}

/* What log calls between capture_start and capture_end wrote to stderr. */
struct capture {
	int pipe[2];
	int saved;
};

static void capture_start(struct capture *c)
{
	assert_int_equal(pipe2(c->pipe, O_CLOEXEC | O_NONBLOCK), 0);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_true(dup2(c->pipe[1], STDERR_FILENO) >= 0);
}

static void capture_end(struct capture *c, char *buf, size_t size)
{
	ssize_t n;

	assert_true(dup2(c->saved, STDERR_FILENO) >= 0);
	close(c->saved);
	close(c->pipe[1]);
	n = read(c->pipe[0], buf, size - 1);
	close(c->pipe[0]);
	buf[n > 0 ? n : 0] = 0;
}

static void test_log_output(void **state)
{
	struct capture c;
	char buf[4096];

	(void)state;
	unsetenv("JOURNAL_STREAM");
	log_set_level(LOG_LEVEL_INFO);
	capture_start(&c);
	log_error("CreateNetwork %s: could not %s", "0123456789ab", "create");
	log_warn("peer %d: odd, ignoring", 3);
	log_info("started");
	log_debug("hidden at info");
	capture_end(&c, buf, sizeof(buf));
	assert_string_equal(buf, "error: CreateNetwork 0123456789ab: could not create\n"
			    "warn: peer 3: odd, ignoring\ninfo: started\n");

	assert_int_equal(setenv("JOURNAL_STREAM", "8:12345", 1), 0);
	log_set_level(LOG_LEVEL_DEBUG);
	capture_start(&c);
	log_error("e");
	log_warn("w");
	log_info("i");
	log_debug("d");
	capture_end(&c, buf, sizeof(buf));
	assert_string_equal(buf, "<3>error: e\n<4>warn: w\n<6>info: i\n<7>debug: d\n");

	unsetenv("JOURNAL_STREAM");
	log_set_level(LOG_LEVEL_ERROR);
	capture_start(&c);
	log_warn("hidden");
	log_error("multi\nline\rinput");		/* one event stays one line */
	capture_end(&c, buf, sizeof(buf));
	assert_string_equal(buf, "error: multi line input\n");
	log_set_level(LOG_LEVEL_INFO);
}

static void test_log_long_line(void **state)
{
	struct capture c;
	char buf[8192], *big;
	size_t len;

	(void)state;
	big = malloc(5000);
	assert_non_null(big);
	memset(big, 'x', 4999);
	big[4999] = 0;
	log_set_level(LOG_LEVEL_INFO);
	capture_start(&c);
	log_error("%s", big);
	capture_end(&c, buf, sizeof(buf));
	free(big);
	len = strlen(buf);
	assert_true(len > 100 && len < 5000);		/* truncated, not dropped */
	assert_memory_equal(buf, "error: xxx", 10);
	assert_int_equal(buf[len - 1], '\n');
	assert_ptr_equal(strchr(buf, '\n'), buf + len - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_id_valid),
		cmocka_unit_test(test_names_make),
		cmocka_unit_test(test_names_is_ours),
		cmocka_unit_test(test_log_level_parse),
		cmocka_unit_test(test_log_output),
		cmocka_unit_test(test_log_long_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
