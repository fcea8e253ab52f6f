/* SPDX-License-Identifier: MIT */
/*
 * Store records and key names: round trip, hostile records refused like join lines; a key
 * rotation's next key, revoked keys and acknowledgements; the two transactions of a rotation
 * (what they compare and what they write), down to the body etcd gets.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "driver/dns_record.h"
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

#define NEXT_B64 "bmV4dCBwdWJsaWMga2V5IG9mIDMyIGJ5dGVzIGxvbmc="	/* 32 bytes */

static void test_next_key(void **state)
{
	struct store_record r = { .index = 7, .listen_port = 51820, .mtu = 1420 }, back;
	char *text;

	(void)state;
	memset(r.key, 1, KEYS_LEN);
	memset(r.next_key, 2, KEYS_LEN);
	r.has_next = true;
	snprintf(r.name, sizeof(r.name), "h7");
	text = store_record_format(&r);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"next_key\":\""));
	assert_int_equal(parse(text, &back), 0);
	free(text);
	assert_true(back.has_next);
	assert_memory_equal(back.next_key, r.next_key, KEYS_LEN);
	/* no next key: none in the text, none parsed (records are compared with memcmp) */
	r.has_next = false;
	memset(r.next_key, 0, KEYS_LEN);
	text = store_record_format(&r);
	assert_null(strstr(text, "next_key"));
	assert_int_equal(parse(text, &back), 0);
	free(text);
	assert_memory_equal(&back, &r, sizeof(r));
	/* a next key that is no key, or the record's own key */
	assert_int_equal(parse("{\"v\":1,\"name\":\"h3\",\"index\":3,\"key\":\"" KEY_B64
			       "\",\"listen_port\":51820,\"mtu\":1420,\"endpoints\":[],"
			       "\"next_key\":\"c2hvcnQ=\"}", &back), -EINVAL);
	assert_int_equal(parse("{\"v\":1,\"name\":\"h3\",\"index\":3,\"key\":\"" KEY_B64
			       "\",\"listen_port\":51820,\"mtu\":1420,\"endpoints\":[],"
			       "\"next_key\":\"" KEY_B64 "\"}", &back), -EINVAL);
	assert_int_equal(parse("{\"v\":1,\"name\":\"h3\",\"index\":3,\"key\":\"" KEY_B64
			       "\",\"listen_port\":51820,\"mtu\":1420,\"endpoints\":[],"
			       "\"next_key\":3}", &back), -EINVAL);
}

static void test_revoked_and_ack_keys(void **state)
{
	uint8_t key[KEYS_LEN], back[KEYS_LEN];
	char name[STORE_KEY_MAX];
	unsigned index = 0, by = 0;

	(void)state;
	assert_int_equal(keys_from_b64(KEY_B64, key), 0);
	store_key_format_revoked(key, name);
	assert_string_equal(name, "/wgnet/revoked/" KEY_B64);
	assert_true(store_key_parse_revoked(name, back));
	assert_memory_equal(back, key, KEYS_LEN);
	/* neither a host's key: the hosts' parser leaves it alone */
	assert_int_equal(store_key_parse(name, &index), STORE_KEY_OTHER);
	assert_false(store_key_parse_revoked("/wgnet/revoked/c2hvcnQ=", back));
	assert_false(store_key_parse_revoked("/wgnet/revoked/" KEY_B64 "x", back));
	assert_false(store_key_parse_revoked("/wgnet/hosts/" KEY_B64, back));

	store_key_format_ack(12, 345, name);
	assert_string_equal(name, "/wgnet/rotate/12/345");
	assert_true(store_key_parse_ack(name, &index, &by));
	assert_int_equal(index, 12);
	assert_int_equal(by, 345);
	assert_int_equal(store_key_parse(name, &index), STORE_KEY_OTHER);
	assert_false(store_key_parse_ack("/wgnet/rotate/12", &index, &by));
	assert_false(store_key_parse_ack("/wgnet/rotate/12/", &index, &by));
	assert_false(store_key_parse_ack("/wgnet/rotate/0/3", &index, &by));
	assert_false(store_key_parse_ack("/wgnet/rotate/3/65536", &index, &by));
	assert_false(store_key_parse_ack("/wgnet/rotate/3/4/5", &index, &by));
	assert_false(store_key_parse_ack("/wgnet/rotate/1234567/4", &index, &by));
}

/* The watch of /wgnet/ ends where the acknowledgements begin (store_watch.c): every other prefix
 * sorts before rotate/, so that each host still sees every record, claim and name. */
static void test_prefixes_before_acks(void **ctx)
{
	static const char *const watched[] = { STORE_INDEX_PREFIX, STORE_HOSTS_PREFIX,
					       STORE_ALIVE_PREFIX, STORE_REVOKED_PREFIX,
					       DNS_RECORD_PREFIX };

	(void)ctx;
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		assert_true(strncmp(watched[i], STORE_PREFIX, strlen(STORE_PREFIX)) == 0);
		assert_true(strcmp(watched[i], STORE_ROTATE_PREFIX) < 0);
	}
}

/* The compare-and-swap of a rotation: guarded by the claim holding the old key and the new key
 * not revoked; publish writes the record with its next key, switch swaps the claim, writes the
 * record with the new key and deletes the acknowledgements, all in one transaction. */
static void test_rotation_txn(void **state)
{
	struct store_record r = { .index = 9, .listen_port = 51820, .mtu = 1420 };
	uint8_t old[KEYS_LEN];
	struct store_txn t;
	struct store_record back;

	(void)state;
	assert_int_equal(keys_from_b64(KEY_B64, old), 0);
	memcpy(r.key, old, KEYS_LEN);
	assert_int_equal(keys_from_b64(NEXT_B64, r.next_key), 0);
	r.has_next = true;
	snprintf(r.name, sizeof(r.name), "h9");

	assert_int_equal(store_txn_rotate(&t, &r, old, false), 0);
	assert_int_equal(t.nguards, 2);
	assert_string_equal(t.guards[0].key, "/wgnet/index/9");
	assert_string_equal(t.guards[0].value, KEY_B64);
	assert_string_equal(t.guards[1].key, "/wgnet/revoked/" NEXT_B64);
	assert_null(t.guards[1].value);				/* absent */
	assert_int_equal(t.nops, 1);
	assert_string_equal(t.ops[0].key, "/wgnet/hosts/9");
	assert_int_equal(parse(t.ops[0].value, &back), 0);
	assert_memory_equal(back.key, old, KEYS_LEN);		/* still the old key */
	assert_true(back.has_next);
	assert_memory_equal(back.next_key, r.next_key, KEYS_LEN);
	store_txn_release(&t);
	/* a switch takes a record without a next key, a publish one with */
	assert_int_equal(store_txn_rotate(&t, &r, old, true), -EINVAL);

	memcpy(r.key, r.next_key, KEYS_LEN);
	memset(r.next_key, 0, KEYS_LEN);
	r.has_next = false;
	assert_int_equal(store_txn_rotate(&t, &r, old, true), 0);
	assert_int_equal(t.nguards, 2);
	assert_string_equal(t.guards[0].key, "/wgnet/index/9");
	assert_string_equal(t.guards[0].value, KEY_B64);	/* the old key still holds it */
	assert_string_equal(t.guards[1].key, "/wgnet/revoked/" NEXT_B64);
	assert_null(t.guards[1].value);
	assert_int_equal(t.nops, 3);
	assert_string_equal(t.ops[0].key, "/wgnet/index/9");
	assert_string_equal(t.ops[0].value, NEXT_B64);		/* the swap */
	assert_string_equal(t.ops[1].key, "/wgnet/hosts/9");
	assert_int_equal(parse(t.ops[1].value, &back), 0);
	assert_memory_equal(back.key, r.key, KEYS_LEN);
	assert_false(back.has_next);
	assert_string_equal(t.ops[2].key, "/wgnet/rotate/9/");
	assert_null(t.ops[2].value);
	assert_true(t.ops[2].prefix);
	store_txn_release(&t);
	assert_int_equal(store_txn_rotate(&t, &r, old, false), -EINVAL);
}

/* What etcd gets for such a transaction: keys and values in base64, "absent" as a create
 * revision of 0, a prefix deleted as a range to the prefix's end. */
static void test_txn_body(void **state)
{
	struct etcd_guard g[2] = { { "/wgnet/index/9", "old" }, { "/wgnet/revoked/k", NULL } };
	struct etcd_op ops[2] = { { .key = "/wgnet/index/9", .value = "new", .lease = 7 },
				  { .key = "/wgnet/rotate/9/", .prefix = true } };
	json_t *body = etcd_txn_body(g, 2, ops, 2);
	char *text;

	(void)state;
	assert_non_null(body);
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text,
		"{\"compare\":["
		"{\"key\":\"L3dnbmV0L2luZGV4Lzk=\",\"result\":\"EQUAL\",\"target\":\"VALUE\","
		"\"value\":\"b2xk\"},"
		"{\"create_revision\":\"0\",\"key\":\"L3dnbmV0L3Jldm9rZWQvaw==\",\"result\":"
		"\"EQUAL\",\"target\":\"CREATE\"}],"
		"\"success\":["
		"{\"request_put\":{\"key\":\"L3dnbmV0L2luZGV4Lzk=\",\"lease\":\"7\",\"value\":"
		"\"bmV3\"}},"
		"{\"request_delete_range\":{\"key\":\"L3dnbmV0L3JvdGF0ZS85Lw==\",\"range_end\":"
		"\"L3dnbmV0L3JvdGF0ZS85MA==\"}}]}");
	free(text);
	json_decref(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_prefixes_before_acks),
		cmocka_unit_test(test_next_key),
		cmocka_unit_test(test_revoked_and_ack_keys),
		cmocka_unit_test(test_rotation_txn),
		cmocka_unit_test(test_txn_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
