/* SPDX-License-Identifier: MIT */
/* Store records and key names: round trip, hostile records refused like join lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/store_record.h"

#define KEY_B64 "ZmFrZSBwdWJsaWMga2V5IG9mIDMyIGJ5dGVzIGxvbmc="	/* 32 bytes */

static int parse(const char *text, struct store_record *r)
{
	struct errbuf e = { 0 };
	int ret = store_record_parse(text, strlen(text), r, &e);

	if (ret < 0)
		assert_true(e.msg[0] != 0);	/* always worded */
	return ret;
}

static void test_round_trip(void **state)
{
	struct store_record r = { .index = 12, .listen_port = 51821, .mtu = 1420 }, back;
	char *text;

	(void)state;
	for (int i = 0; i < KEYS_LEN; i++)
		r.key[i] = (uint8_t)(i * 5 + 3);
	snprintf(r.name, sizeof(r.name), "edge-12");
	snprintf(r.endpoints[r.nendpoints++], STATE_HOST_ENDPOINT_MAX, "192.0.2.12:51821");
	snprintf(r.endpoints[r.nendpoints++], STATE_HOST_ENDPOINT_MAX, "[2001:db8::12]:51821");
	text = store_record_format(&r);
	assert_non_null(text);
	assert_int_equal(parse(text, &back), 0);
	free(text);
	assert_string_equal(back.name, "edge-12");
	assert_int_equal(back.index, 12);
	assert_memory_equal(back.key, r.key, KEYS_LEN);
	assert_int_equal(back.listen_port, 51821);
	assert_int_equal(back.mtu, 1420);
	assert_int_equal(back.nendpoints, 2);
	assert_string_equal(back.endpoints[1], "[2001:db8::12]:51821");
}

#define REC(name, index, key, eps) \
	"{\"v\":1,\"name\":\"" name "\",\"index\":" index ",\"key\":\"" key "\"," \
	"\"listen_port\":51820,\"mtu\":1420,\"endpoints\":" eps "}"

static void test_hostile(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		REC("bad name!", "3", KEY_B64, "[]"),
		REC("h3", "0", KEY_B64, "[]"),
		REC("h3", "65536", KEY_B64, "[]"),
		REC("h3", "\"3\"", KEY_B64, "[]"),
		REC("h3", "3", "c2hvcnQ=", "[]"),
		REC("h3", "3", KEY_B64, "[\"no-port\"]"),
		REC("h3", "3", KEY_B64, "[\"192.0.2.1:0\"]"),
		REC("h3", "3", KEY_B64, "[3]"),
		REC("h3", "3", KEY_B64, "\"192.0.2.1:51820\""),
		REC("h3", "3", KEY_B64, "[\"a:1\",\"a:1\",\"a:1\",\"a:1\",\"a:1\",\"a:1\",\"a:1\","
		    "\"a:1\",\"a:1\"]"),
		"{\"v\":2,\"name\":\"h3\",\"index\":3,\"key\":\"" KEY_B64 "\",\"listen_port\":51820,"
		"\"mtu\":1420,\"endpoints\":[]}",
		"{\"v\":1,\"v\":1,\"name\":\"h3\",\"index\":3,\"key\":\"" KEY_B64 "\","
		"\"listen_port\":51820,\"mtu\":1420,\"endpoints\":[]}",
		"{\"v\":1,\"name\":\"h3\",\"index\":3,\"key\":\"" KEY_B64 "\",\"listen_port\":51820,"
		"\"mtu\":100,\"endpoints\":[]}",
	};
	struct store_record r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0x5a, sizeof(r));
		if (parse(bad[i], &r) != -EINVAL)
			fail_msg("accepted record %zu: %s", i, bad[i]);
		assert_int_equal(r.index, 0x5a5a5a5a);	/* nothing written */
	}
	/* unknown keys are fine: later versions may add some; no endpoint: behind NAT */
	assert_int_equal(parse("{\"v\":1,\"name\":\"h3\",\"index\":3,\"key\":\"" KEY_B64
			       "\",\"listen_port\":51820,\"mtu\":1420,\"endpoints\":[],\"x\":1}",
			       &r), 0);
	assert_int_equal(r.nendpoints, 0);
}

static void test_keys(void **state)
{
	char key[STORE_KEY_MAX];
	unsigned index = 0;

	(void)state;
	store_key_format(STORE_HOSTS_PREFIX, 42, key);
	assert_string_equal(key, "/wgnet/hosts/42");
	assert_int_equal(store_key_parse(key, &index), STORE_KEY_HOST);
	assert_int_equal(index, 42);
	assert_int_equal(store_key_parse("/wgnet/index/65535", &index), STORE_KEY_INDEX);
	assert_int_equal(index, 65535);
	assert_int_equal(store_key_parse("/wgnet/alive/1", &index), STORE_KEY_ALIVE);
	assert_int_equal(store_key_parse("/wgnet/alive/0", &index), STORE_KEY_OTHER);
	assert_int_equal(store_key_parse("/wgnet/alive/01", &index), STORE_KEY_OTHER);
	assert_int_equal(store_key_parse("/wgnet/hosts/65536", &index), STORE_KEY_OTHER);
	assert_int_equal(store_key_parse("/wgnet/hosts/4x", &index), STORE_KEY_OTHER);
	assert_int_equal(store_key_parse("/wgnet/hosts/", &index), STORE_KEY_OTHER);
	assert_int_equal(store_key_parse("/wgnet/other/4", &index), STORE_KEY_OTHER);
	assert_int_equal(store_key_parse("/elsewhere", &index), STORE_KEY_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
