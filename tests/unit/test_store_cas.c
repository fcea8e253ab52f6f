/* SPDX-License-Identifier: MIT */
/*
 * The compare-and-swap of a key rotation against a real etcd (started here on 127.0.0.1, plain
 * HTTP, no root needed): the two transactions of store_txn_rotate through the client. A switch
 * swaps the claim from the old key to the new one; a second switch from the same old key (a
 * rotation that raced it) changes nothing; a host whose claim was removed meanwhile, or whose
 * new key was revoked meanwhile, writes nothing and does not come back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "driver/store_etcd.h"
#include "driver/store_record.h"

struct cas {
	pid_t etcd;
	char dir[64];
	struct etcd c;
};

/* A TCP port of 127.0.0.1 that nothing listens on now. */
static unsigned free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static int setup(void **ctx)
{
	struct cas *t = calloc(1, sizeof(*t));
	char client[64], peer[64], cluster[80], url[64];
	struct etcd_kvs kvs = { 0 };

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/wgnet-cas.%d", (int)getpid());
	snprintf(client, sizeof(client), "http://127.0.0.1:%u", free_port());
	snprintf(peer, sizeof(peer), "http://127.0.0.1:%u", free_port());
	snprintf(cluster, sizeof(cluster), "cas=%s", peer);
	t->etcd = fork();
	if (t->etcd == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlives the test, even killed */
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(126);
		execlp("etcd", "etcd", "--name", "cas", "--data-dir", t->dir, "--listen-client-urls",
		       client, "--advertise-client-urls", client, "--listen-peer-urls", peer,
		       "--initial-advertise-peer-urls", peer, "--initial-cluster", cluster,
		       (char *)NULL);
		_exit(127);
	}
	snprintf(url, sizeof(url), "%s", client);
	if (t->etcd < 0 ||
	    etcd_config(&t->c, url, "", "", "", ETCD_ALLOW_HTTP | ETCD_ALLOW_NO_CERT, NULL) < 0)
		return -1;
	for (int i = 0; i < 150 && etcd_range_prefix(&t->c, "/", &kvs, NULL) < 0; i++)
		usleep(100 * 1000);	/* etcd takes a second or two to serve */
	etcd_kvs_release(&kvs);
	*ctx = t;
	return 0;
}

static int teardown(void **ctx)
{
	struct cas *t = *ctx;
	char cmd[96];

	kill(t->etcd, SIGTERM);
	waitpid(t->etcd, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", t->dir);
	free(t);
	return 0;
}

/* The value at key in the store, "" when absent. */
static const char *get(struct cas *t, const char *key)
{
	static char out[4096];
	struct etcd_kvs kvs = { 0 };
	struct errbuf e = { 0 };

	out[0] = 0;
	if (etcd_range_prefix(&t->c, key, &kvs, &e) < 0)
		fail_msg("range %s: %s", key, e.msg);
	for (size_t i = 0; i < kvs.n; i++)
		if (strcmp(kvs.v[i].key, key) == 0)
			snprintf(out, sizeof(out), "%s", kvs.v[i].value);
	etcd_kvs_release(&kvs);
	return out;
}

/* One of the rotation's transactions: whether its guards held. */
static bool rotate(struct cas *t, const struct store_record *r, const uint8_t old[KEYS_LEN],
		   bool do_switch)
{
	struct errbuf e = { 0 };
	struct store_txn x;
	bool done = false;

	assert_int_equal(store_txn_rotate(&x, r, old, do_switch), 0);
	if (etcd_txn(&t->c, x.guards, x.nguards, x.ops, x.nops, &done, &e) < 0)
		fail_msg("txn: %s", e.msg);
	store_txn_release(&x);
	return done;
}

static void record_of(struct store_record *r, unsigned index, uint8_t tag, uint8_t next_tag)
{
	memset(r, 0, sizeof(*r));
	r->index = index;
	r->listen_port = 51820;
	r->mtu = 1420;
	snprintf(r->name, sizeof(r->name), "h%u", index);
	memset(r->key, tag, KEYS_LEN);
	r->has_next = next_tag != 0;
	if (next_tag)
		memset(r->next_key, next_tag, KEYS_LEN);
}

static void claim(struct cas *t, unsigned index, uint8_t tag)
{
	char name[STORE_KEY_MAX], b64[KEYS_B64_LEN];
	uint8_t k[KEYS_LEN];
	bool created = false;

	memset(k, tag, KEYS_LEN);
	keys_b64(k, b64);
	store_key_format(STORE_INDEX_PREFIX, index, name);
	assert_int_equal(etcd_create(&t->c, name, b64, 0, &created, NULL, NULL), 0);
	assert_true(created);
}

static const char *b64_of(uint8_t tag)
{
	static char b64[KEYS_B64_LEN];
	uint8_t k[KEYS_LEN];

	memset(k, tag, KEYS_LEN);
	keys_b64(k, b64);
	return b64;
}

static void test_switch_and_race(void **ctx)
{
	struct cas *t = *ctx;
	struct store_record r;
	uint8_t old[KEYS_LEN];
	char ack[STORE_KEY_MAX];

	memset(old, 0x11, KEYS_LEN);
	claim(t, 5, 0x11);
	record_of(&r, 5, 0x11, 0x22);
	assert_true(rotate(t, &r, old, false));			/* published */
	assert_non_null(strstr(get(t, "/wgnet/hosts/5"), b64_of(0x22)));
	assert_string_equal(get(t, "/wgnet/index/5"), b64_of(0x11));
	store_key_format_ack(5, 6, ack);
	assert_int_equal(etcd_put(&t->c, ack, b64_of(0x22), 0, NULL), 0);
	record_of(&r, 5, 0x22, 0);
	assert_true(rotate(t, &r, old, true));			/* the swap */
	assert_string_equal(get(t, "/wgnet/index/5"), b64_of(0x22));
	assert_null(strstr(get(t, "/wgnet/hosts/5"), "next_key"));
	assert_string_equal(get(t, ack), "");			/* acknowledgements gone */
	/* a second rotation from the same old key lost the race: nothing changes */
	record_of(&r, 5, 0x33, 0);
	assert_false(rotate(t, &r, old, true));
	assert_string_equal(get(t, "/wgnet/index/5"), b64_of(0x22));
	record_of(&r, 5, 0x11, 0x33);
	assert_false(rotate(t, &r, old, false));
	assert_null(strstr(get(t, "/wgnet/hosts/5"), b64_of(0x33)));
}

static void test_removed_does_not_come_back(void **ctx)
{
	struct cas *t = *ctx;
	struct store_record r;
	uint8_t old[KEYS_LEN];

	memset(old, 0x44, KEYS_LEN);
	claim(t, 7, 0x44);
	record_of(&r, 7, 0x44, 0x55);
	assert_true(rotate(t, &r, old, false));
	/* wgnet host rm elsewhere: claim and record go */
	assert_int_equal(etcd_txn(&t->c, NULL, 0, (struct etcd_op[]){ { .key = "/wgnet/index/7" },
			 { .key = "/wgnet/hosts/7" } }, 2, &(bool){ 0 }, NULL), 0);
	record_of(&r, 7, 0x55, 0);
	assert_false(rotate(t, &r, old, true));
	assert_string_equal(get(t, "/wgnet/index/7"), "");
	assert_string_equal(get(t, "/wgnet/hosts/7"), "");
}

static void test_revoked_new_key(void **ctx)
{
	struct cas *t = *ctx;
	struct store_record r;
	uint8_t old[KEYS_LEN], next[KEYS_LEN];
	char revoked[STORE_KEY_MAX];

	memset(old, 0x66, KEYS_LEN);
	memset(next, 0x77, KEYS_LEN);
	claim(t, 8, 0x66);
	store_key_format_revoked(next, revoked);
	assert_int_equal(etcd_put(&t->c, revoked, "h8", 0, NULL), 0);
	record_of(&r, 8, 0x66, 0x77);
	assert_false(rotate(t, &r, old, false));		/* not even published */
	assert_string_equal(get(t, "/wgnet/hosts/8"), "");
	record_of(&r, 8, 0x77, 0);
	assert_false(rotate(t, &r, old, true));
	assert_string_equal(get(t, "/wgnet/index/8"), b64_of(0x66));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_switch_and_race),
		cmocka_unit_test(test_removed_does_not_come_back),
		cmocka_unit_test(test_revoked_new_key),
	};
	int ret;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return ret;
}
