/* SPDX-License-Identifier: MIT */
/* Join lines and host keys: format/parse round trip, hostile lines, the 0600 key file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "driver/join_line.h"
#include "driver/keys.h"

#define KEY_B64 "ZmFrZSBwdWJsaWMga2V5IG9mIDMyIGJ5dGVzIGxvbmc="	/* 32 bytes */

static void test_round_trip(void **state)
{
	struct join_line j = { .index = 7 }, back;
	char line[JOIN_LINE_MAX];

	(void)state;
	for (int i = 0; i < KEYS_LEN; i++)
		j.key[i] = (uint8_t)(i * 7 + 1);
	snprintf(j.endpoint, sizeof(j.endpoint), "198.51.100.7:51820");
	snprintf(j.name, sizeof(j.name), "edge-7.example");
	join_line_format(&j, line);
	assert_int_equal(strncmp(line, "wgnet-join v1 index=7 key=", 26), 0);
	assert_int_equal(join_line_parse(line, &back, NULL), 0);
	assert_int_equal(back.index, 7);
	assert_memory_equal(back.key, j.key, KEYS_LEN);
	assert_string_equal(back.endpoint, "198.51.100.7:51820");
	assert_string_equal(back.name, "edge-7.example");

	j.endpoint[0] = 0;	/* behind NAT: no endpoint field at all */
	join_line_format(&j, line);
	assert_null(strstr(line, "endpoint="));
	assert_int_equal(join_line_parse(line, &back, NULL), 0);
	assert_string_equal(back.endpoint, "");
}

static void test_parse_variants(void **state)
{
	struct join_line j;

	(void)state;
	/* any order, unknown fields ignored, trailing newline, default name */
	assert_int_equal(join_line_parse("wgnet-join v1 key=" KEY_B64 " future=1 index=3\n", &j,
					 NULL), 0);
	assert_int_equal(j.index, 3);
	assert_string_equal(j.name, "host3");
	assert_int_equal(join_line_parse("wgnet-join v1 index=4 key=" KEY_B64
					 " endpoint=[2001:db8::1]:51820", &j, NULL), 0);
	assert_string_equal(j.endpoint, "[2001:db8::1]:51820");
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"wgnet-join v2 index=1 key=" KEY_B64,
		"wgnet-join v1",
		"wgnet-join v1 index=1",
		"wgnet-join v1 key=" KEY_B64,
		"wgnet-join v1 index=0 key=" KEY_B64,
		"wgnet-join v1 index=65536 key=" KEY_B64,
		"wgnet-join v1 index=01 key=" KEY_B64,
		"wgnet-join v1 index=-1 key=" KEY_B64,
		"wgnet-join v1 index=1x key=" KEY_B64,
		"wgnet-join v1 index=1 key=abc",
		"wgnet-join v1 index=1 key=ZmFrZSBwdWJsaWMga2V5IG9mIDMxIGJ5dGVzIGxvbg==",
		"wgnet-join v1 index=1 key=ZmFrZSBwdWJsaWMga2V5IG9mIDMzIGJ5dGVzIGxvbmch",
		"wgnet-join v1 index=1 key=" KEY_B64 " key=" KEY_B64,
		"wgnet-join v1 index=1 index=2 key=" KEY_B64,
		"wgnet-join v1 index=1 key=" KEY_B64 " endpoint=nope",
		"wgnet-join v1 index=1 key=" KEY_B64 " endpoint=1.2.3.4:0",
		"wgnet-join v1 index=1 key=" KEY_B64 " endpoint=1.2.3.4:70000",
		"wgnet-join v1 index=1 key=" KEY_B64 " endpoint=a\"b:1",
		"wgnet-join v1 index=1 key=" KEY_B64 " name=bad/name",
		"wgnet-join v1 index=1 key=" KEY_B64 " name=",
		"wgnet-join v1 index=1 key=" KEY_B64 " stray",
	};
	struct join_line j = { .index = 99 };
	struct errbuf e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(join_line_parse(bad[i], &j, &e), -EINVAL);
		assert_true(strlen(e.msg) > 0);
		assert_int_equal(j.index, 99);	/* out untouched */
	}
}

static void test_endpoint_and_name(void **state)
{
	(void)state;
	assert_int_equal(join_line_endpoint_check("host.example:51820", NULL), 0);
	assert_int_equal(join_line_endpoint_check("10.0.0.1:1", NULL), 0);
	assert_int_equal(join_line_endpoint_check("[::1]:65535", NULL), 0);
	assert_int_equal(join_line_endpoint_check("::1:51820", NULL), -EINVAL);
	assert_int_equal(join_line_endpoint_check(":51820", NULL), -EINVAL);
	assert_int_equal(join_line_endpoint_check("host:+5", NULL), -EINVAL);
	assert_int_equal(join_line_endpoint_check("host", NULL), -EINVAL);
	assert_true(join_line_name_valid("a"));
	assert_true(join_line_name_valid("node-1.dc_2"));
	assert_false(join_line_name_valid(""));
	assert_false(join_line_name_valid("with space"));
	assert_false(join_line_name_valid("0123456789012345678901234567890123456789"
					  "012345678901234567890123"));
}

static void test_keys_file(void **state)
{
	char dir[] = "/tmp/wgnet-keys.XXXXXX", path[256];
	uint8_t pub[KEYS_LEN];
	struct keys a, b;
	struct stat st;
	char b64[KEYS_B64_LEN];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/private.key", dir);
	assert_int_equal(keys_load_or_create(path, &a, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(crypto_scalarmult_base(pub, a.priv), 0);
	assert_memory_equal(pub, a.pub, KEYS_LEN);
	assert_int_equal(keys_load_or_create(path, &b, NULL), 0);	/* same pair again */
	assert_memory_equal(a.priv, b.priv, KEYS_LEN);
	assert_memory_equal(a.pub, b.pub, KEYS_LEN);
	keys_b64(a.pub, b64);
	assert_int_equal(strlen(b64), 44);
	assert_int_equal(keys_from_b64(b64, pub), 0);
	assert_memory_equal(pub, a.pub, KEYS_LEN);
	keys_wipe(&b);
	for (int i = 0; i < KEYS_LEN; i++)
		assert_int_equal(b.priv[i], 0);

	f = fopen(path, "w");		/* a damaged key file is an error, not a new key */
	assert_non_null(f);
	fputs("not a key\n", f);
	fclose(f);
	assert_int_equal(keys_load_or_create(path, &b, NULL), -EINVAL);
	unlink(path);
	rmdir(dir);
	keys_wipe(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_variants),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_endpoint_and_name),
		cmocka_unit_test(test_keys_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
