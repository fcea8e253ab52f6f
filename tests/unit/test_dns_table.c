/* SPDX-License-Identifier: MIT */
/*
 * The names table (dns_table.c) and the names records (dns_record.c): a name of several
 * records gives all their addresses, pools stay apart, a record replaced or removed leaves no
 * trace, a full read sweeps what it did not see, 10,000 names stay found; names normalised,
 * records through the store's JSON and keys, hostile records refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/dns_record.h"
#include "driver/dns_table.h"

#define IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static struct cidr pool_a = { IP(10, 210, 0, 0), 16 };
static struct cidr pool_b = { IP(10, 211, 0, 0), 16 };

/* endpoint IDs: 64 hex digits from a number */
static void endpoint_of(unsigned n, char out[DOCKER_ID_LEN + 1])
{
	snprintf(out, DOCKER_ID_LEN + 1, "%064x", n);
}

/* a record of endpoint n in pool at addr, with the names given (NULL-terminated) */
static void record(struct dns_record *r, unsigned n, const struct cidr *pool, uint32_t addr,
		   const char *const *names)
{
	memset(r, 0, sizeof(*r));
	endpoint_of(n, r->endpoint);
	r->pool = *pool;
	r->addr = addr;
	for (size_t i = 0; names[i]; i++)
		assert_int_equal(dns_record_name_add(r, names[i]), 0);
}

static int setup(void **state)
{
	struct dns_table *t = NULL;

	if (dns_table_new(&t) < 0)
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	dns_table_free(*state);
	return 0;
}

static void put(struct dns_table *t, enum dns_source src, unsigned host, unsigned n,
		const struct cidr *pool, uint32_t addr, const char *const *names)
{
	struct dns_record r;

	record(&r, n, pool, addr, names);
	assert_true(dns_table_put(t, src, host, &r) >= 0);
	dns_record_release(&r);
}

static size_t addrs_of(struct dns_table *t, const struct cidr *pool, const char *name,
		       uint32_t *out)
{
	struct dns_hit hits[16];
	size_t n = dns_table_lookup(t, pool, name, hits, 16);

	for (size_t i = 0; i < n && i < 16; i++)
		out[i] = hits[i].addr;
	return n;
}

static bool has(const uint32_t *v, size_t n, uint32_t a)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == a)
			return true;
	return false;
}

/* one alias on two hosts (a service scaled across them): both addresses */
static void test_scaled(void **state)
{
	struct dns_table *t = *state;
	uint32_t got[16];
	size_t n;

	put(t, DNS_SOURCE_STORE, 1, 1, &pool_a, IP(10, 210, 1, 2),
	    (const char *const[]){ "demo_web_1", "web", NULL });
	put(t, DNS_SOURCE_STORE, 2, 2, &pool_a, IP(10, 210, 2, 2),
	    (const char *const[]){ "demo_web_2", "web", NULL });
	n = addrs_of(t, &pool_a, "web", got);
	assert_int_equal(n, 2);
	assert_true(has(got, n, IP(10, 210, 1, 2)) && has(got, n, IP(10, 210, 2, 2)));
	assert_int_equal(addrs_of(t, &pool_a, "demo_web_2", got), 1);
	assert_int_equal(got[0], IP(10, 210, 2, 2));
	assert_int_equal(dns_table_records(t, DNS_SOURCE_STORE), 2);
	assert_int_equal(dns_table_names(t, DNS_SOURCE_STORE), 4);
	assert_int_equal(dns_table_records(t, DNS_SOURCE_LOCAL), 0);
}

/* pool B never sees pool A's names, even the same name */
static void test_pools_apart(void **state)
{
	struct dns_table *t = *state;
	struct dns_hit hits[4];
	uint32_t got[16];

	put(t, DNS_SOURCE_STORE, 1, 1, &pool_a, IP(10, 210, 1, 2), (const char *const[]){ "db", NULL });
	assert_int_equal(dns_table_lookup(t, &pool_b, "db", hits, 4), 0);
	put(t, DNS_SOURCE_LOCAL, 0, 2, &pool_b, IP(10, 211, 3, 9), (const char *const[]){ "db", NULL });
	assert_int_equal(addrs_of(t, &pool_b, "db", got), 1);
	assert_int_equal(got[0], IP(10, 211, 3, 9));
	assert_int_equal(dns_table_lookup(t, &pool_b, "db", hits, 4), 1);
	assert_int_equal(hits[0].host, 0);
	assert_int_equal(hits[0].source, DNS_SOURCE_LOCAL);
	assert_int_equal(addrs_of(t, &pool_a, "db", got), 1);
	assert_int_equal(got[0], IP(10, 210, 1, 2));
}

/* a record put again: the same is no change; another replaces it whole */
static void test_replace_del(void **state)
{
	struct dns_table *t = *state;
	struct dns_record r;
	uint32_t got[16];

	record(&r, 7, &pool_a, IP(10, 210, 3, 7), (const char *const[]){ "old", "both", NULL });
	assert_int_equal(dns_table_put(t, DNS_SOURCE_STORE, 3, &r), 1);
	assert_int_equal(dns_table_put(t, DNS_SOURCE_STORE, 3, &r), 0);
	dns_record_release(&r);
	record(&r, 7, &pool_a, IP(10, 210, 3, 8), (const char *const[]){ "new", "both", NULL });
	assert_int_equal(dns_table_put(t, DNS_SOURCE_STORE, 3, &r), 1);
	assert_non_null(dns_table_get(t, DNS_SOURCE_STORE, 3, r.endpoint));
	assert_null(dns_table_get(t, DNS_SOURCE_STORE, 4, r.endpoint));
	assert_null(dns_table_get(t, DNS_SOURCE_LOCAL, 3, r.endpoint));
	assert_int_equal(addrs_of(t, &pool_a, "old", got), 0);
	assert_int_equal(addrs_of(t, &pool_a, "both", got), 1);
	assert_int_equal(got[0], IP(10, 210, 3, 8));
	assert_int_equal(dns_table_records(t, DNS_SOURCE_STORE), 1);
	assert_int_equal(dns_table_names(t, DNS_SOURCE_STORE), 2);
	assert_true(dns_table_del(t, DNS_SOURCE_STORE, 3, r.endpoint));
	assert_false(dns_table_del(t, DNS_SOURCE_STORE, 3, r.endpoint));
	assert_int_equal(addrs_of(t, &pool_a, "new", got), 0);
	assert_int_equal(addrs_of(t, &pool_a, "both", got), 0);
	assert_int_equal(dns_table_records(t, DNS_SOURCE_STORE), 0);
	assert_int_equal(dns_table_names(t, DNS_SOURCE_STORE), 0);
	dns_record_release(&r);
}

/* a full read: what it put stays, what it did not goes, the other source is untouched */
static void test_mark_sweep(void **state)
{
	struct dns_table *t = *state;
	uint32_t got[16];

	put(t, DNS_SOURCE_STORE, 1, 1, &pool_a, IP(10, 210, 1, 2), (const char *const[]){ "a", NULL });
	put(t, DNS_SOURCE_STORE, 2, 2, &pool_a, IP(10, 210, 2, 2), (const char *const[]){ "b", NULL });
	put(t, DNS_SOURCE_LOCAL, 0, 3, &pool_a, IP(10, 210, 9, 2), (const char *const[]){ "c", NULL });
	dns_table_mark(t, DNS_SOURCE_STORE);
	put(t, DNS_SOURCE_STORE, 2, 2, &pool_a, IP(10, 210, 2, 2), (const char *const[]){ "b", NULL });
	assert_int_equal(dns_table_sweep(t, DNS_SOURCE_STORE), 1);
	assert_int_equal(addrs_of(t, &pool_a, "a", got), 0);
	assert_int_equal(addrs_of(t, &pool_a, "b", got), 1);
	assert_int_equal(addrs_of(t, &pool_a, "c", got), 1);
	assert_int_equal(dns_table_records(t, DNS_SOURCE_STORE), 1);
	assert_int_equal(dns_table_records(t, DNS_SOURCE_LOCAL), 1);
}

/* 10,000 names over 2,500 records (the tables grow many times): each found, then all gone */
static void test_ten_thousand(void **state)
{
	struct dns_table *t = *state;
	char n1[32], n2[32], n3[32], n4[32], ep[DOCKER_ID_LEN + 1];
	uint32_t got[16];

	for (unsigned i = 0; i < 2500; i++) {
		snprintf(n1, sizeof(n1), "svc%u", i);
		snprintf(n2, sizeof(n2), "svc%u.v1", i);
		snprintf(n3, sizeof(n3), "demo_svc%u_1", i);
		snprintf(n4, sizeof(n4), "%012x", i);
		put(t, DNS_SOURCE_STORE, 1 + i % 20, i, &pool_a, IP(10, 210, 1 + i % 20, 2 + i / 20),
		    (const char *const[]){ n1, n2, n3, n4, NULL });
	}
	assert_int_equal(dns_table_names(t, DNS_SOURCE_STORE), 10000);
	for (unsigned i = 0; i < 2500; i++) {
		snprintf(n3, sizeof(n3), "demo_svc%u_1", i);
		assert_int_equal(addrs_of(t, &pool_a, n3, got), 1);
		assert_int_equal(got[0], IP(10, 210, 1 + i % 20, 2 + i / 20));
	}
	for (unsigned i = 0; i < 2500; i++) {
		endpoint_of(i, ep);
		assert_true(dns_table_del(t, DNS_SOURCE_STORE, 1 + i % 20, ep));
	}
	assert_int_equal(dns_table_names(t, DNS_SOURCE_STORE), 0);
	assert_int_equal(addrs_of(t, &pool_a, "svc7", got), 0);
}

static void test_name_norm(void **state)
{
	static const char *const bad[] = { "", ".", "a..b", ".a", "a.", "a b", "a/b", "é",
					   "a\nb", "web*", NULL };
	char out[256], long_label[80], long_name[300];

	(void)state;
	assert_true(dns_record_name_norm("Web-1_x.V2", out));
	assert_string_equal(out, "web-1_x.v2");
	for (size_t i = 0; bad[i]; i++)
		assert_false(dns_record_name_norm(bad[i], out));
	memset(long_label, 'a', 64);
	long_label[64] = 0;
	assert_false(dns_record_name_norm(long_label, out));
	long_label[63] = 0;
	assert_true(dns_record_name_norm(long_label, out));
	for (size_t i = 0; i < 253; i++)
		long_name[i] = i % 50 == 49 ? '.' : 'x';
	long_name[253] = 0;
	assert_true(dns_record_name_norm(long_name, out));
	long_name[253] = 'x';
	long_name[254] = 0;
	assert_false(dns_record_name_norm(long_name, out));
}

/* names are added once, lower case, up to the limits */
static void test_record_names(void **state)
{
	struct dns_record r = { 0 };
	char name[16];
	size_t n = 0;

	(void)state;
	assert_int_equal(dns_record_name_add(&r, "Web"), 0);
	assert_int_equal(dns_record_name_add(&r, "WEB"), 0);
	assert_int_equal(dns_record_name_add(&r, "bad name"), -EINVAL);
	assert_int_equal(r.nnames, 1);
	for (unsigned i = 1; i < DNS_RECORD_NAMES_MAX; i++) {
		snprintf(name, sizeof(name), "n%u", i);
		assert_int_equal(dns_record_name_add(&r, name), 0);
	}
	assert_int_equal(dns_record_name_add(&r, "one-too-many"), -E2BIG);
	for (const char *x = dns_record_name_next(&r, NULL); x; x = dns_record_name_next(&r, x))
		n++;
	assert_int_equal(n, DNS_RECORD_NAMES_MAX);
	assert_string_equal(dns_record_name_next(&r, NULL), "web");
	dns_record_release(&r);
	assert_null(dns_record_name_next(&r, NULL));
}

static int parse(const char *text, struct dns_record *r)
{
	struct errbuf e = { 0 };
	int ret = dns_record_parse(text, strlen(text), r, &e);

	if (ret < 0)
		assert_true(e.msg[0] != 0);	/* always worded */
	return ret;
}

static void test_record_json(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"v\":2,\"pool\":\"10.210.0.0/16\",\"addr\":\"10.210.2.5\",\"names\":[\"web\"]}",
		"{\"v\":1,\"pool\":\"10.210.0.0/16\",\"addr\":\"10.211.2.5\",\"names\":[\"web\"]}",
		"{\"v\":1,\"pool\":\"10.210.0.1/16\",\"addr\":\"10.210.2.5\",\"names\":[\"web\"]}",
		"{\"v\":1,\"pool\":\"10.210.0.0/16\",\"addr\":\"10.210.2.5\",\"names\":[]}",
		"{\"v\":1,\"pool\":\"10.210.0.0/16\",\"addr\":\"10.210.2.5\",\"names\":[\"w b\"]}",
		"{\"v\":1,\"pool\":\"10.210.0.0/16\",\"addr\":\"10.210.2.5\",\"names\":[5]}",
		"{\"v\":1,\"pool\":\"10.210.0.0/16\",\"addr\":\"10.210.2.5\",\"names\":\"web\"}",
		"{\"v\":1,\"v\":1,\"pool\":\"10.210.0.0/16\",\"addr\":\"10.210.2.5\",\"names\":[\"web\"]}",
		"{\"v\":1,\"pool\":\"10.210.0.0/16\",\"names\":[\"web\"]}",
		NULL,
	};
	struct dns_record r, back = { 0 };
	char *text;

	(void)state;
	record(&r, 9, &pool_a, IP(10, 210, 2, 5), (const char *const[]){ "web", "demo_web_1", NULL });
	text = dns_record_format(&r);
	assert_non_null(text);
	assert_string_equal(text, "{\"addr\":\"10.210.2.5\",\"names\":[\"web\",\"demo_web_1\"],"
				  "\"pool\":\"10.210.0.0/16\",\"v\":1}");
	assert_int_equal(parse(text, &back), 0);
	free(text);
	assert_string_equal(back.endpoint, "");	/* the key names it */
	memcpy(back.endpoint, r.endpoint, sizeof(r.endpoint));
	assert_true(dns_record_equal(&r, &back));
	dns_record_release(&back);
	dns_record_release(&r);
	for (size_t i = 0; bad[i]; i++) {
		memset(&back, 0x5a, sizeof(back));
		assert_int_equal(parse(bad[i], &back), -EINVAL);
	}
}

static void test_record_keys(void **state)
{
	char key[DNS_RECORD_KEY_MAX], ep[DOCKER_ID_LEN + 1], got[DOCKER_ID_LEN + 1];
	unsigned index = 0;

	(void)state;
	endpoint_of(0xabc, ep);
	dns_record_key(12, ep, key);
	assert_string_equal(key, "/wgnet/names/12/"
				 "0000000000000000000000000000000000000000000000000000000000000abc");
	assert_true(dns_record_key_parse(key, &index, got));
	assert_int_equal(index, 12);
	assert_string_equal(got, ep);
	dns_record_key_prefix(65535, key);
	assert_string_equal(key, "/wgnet/names/65535/");
	assert_false(dns_record_key_parse(key, &index, got));
#define EP_HEX "0000000000000000000000000000000000000000000000000000000000000abc"
	assert_false(dns_record_key_parse("/wgnet/names/0/" EP_HEX, &index, got));
	assert_false(dns_record_key_parse("/wgnet/names/65536/" EP_HEX, &index, got));
	assert_false(dns_record_key_parse("/wgnet/names/01/" EP_HEX, &index, got));
	assert_false(dns_record_key_parse("/wgnet/names/1/" EP_HEX "0", &index, got));
	assert_false(dns_record_key_parse("/wgnet/names/1/" "0000000000000000000000000000000000000000"
					  "000000000000000000000000ABC", &index, got));
	assert_false(dns_record_key_parse("/wgnet/hosts/1", &index, got));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scaled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pools_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ten_thousand, setup, teardown),
		cmocka_unit_test(test_name_norm),
		cmocka_unit_test(test_record_names),
		cmocka_unit_test(test_record_json),
		cmocka_unit_test(test_record_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
