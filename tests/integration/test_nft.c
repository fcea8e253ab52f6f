/* SPDX-License-Identifier: MIT */
/*
 * netlink/nft.c (with the batches of nft_batch.c and the rules of nft_rule.c) against the
 * kernel, in a network namespace of its own: the table is read back with the nft binary (JSON
 * for sets and chains, text for the rules).
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>
#include <jansson.h>

#include "netlink/nft.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const struct nft_bridge two_bridges[] = {
	{ "wgb1", IP4(10, 210, 0, 0), IP4(10, 210, 1, 0), 16, 24, false },
	{ "wgb2", IP4(10, 220, 0, 0), IP4(10, 220, 3, 0), 16, 24, true },
};

static const char two_uplinks[][IFNAMSIZ] = { "eth0", "up1" };
static const struct nft_port two_allowed[] = { { 6, 53 }, { 17, 5353 } };
static const struct nft_ctr_port one_port[] = {
	{ "wgv0123456789a", { 0x02, 0x42, 10, 210, 1, 5 }, IP4(10, 210, 1, 5) },
};

/* the third only for the host itself: no prerouting rule (moby#45610) */
static const struct nft_dnat three_dnats[] = {
	{ 6, 0, 8080, 8080, IP4(10, 210, 1, 5), 80, "wgb1" },
	{ 17, IP4(192, 0, 2, 1), 5000, 5010, IP4(10, 210, 1, 6), 5000, "wgb1" },
	{ 6, IP4(127, 0, 0, 1), 8081, 8081, IP4(10, 210, 1, 5), 81, "wgb1" },
};

/* the names responders of both pools (their address + 53) */
static const uint32_t two_responders[] = { 0x0ad20035, 0x0adc0035 };

static const struct nft_policy full = {
	.wg_ifname = "wgnet0",
	.bridges = two_bridges,
	.nbridges = 2,
	.dnats = three_dnats,
	.ndnats = 3,
	.uplinks = two_uplinks,
	.nuplinks = 2,
	.host_allow = two_allowed,
	.nhost_allow = 2,
	.ports = one_port,
	.nports = 1,
	.responders = two_responders,
	.nresponders = 2,
};

/* stdout of a shell command; *status gets its exit status */
static char *run_output(const char *cmd, int *status)
{
	FILE *f = popen(cmd, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int st;

	assert_non_null(f);
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	buf[len] = 0;
	st = pclose(f);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return buf;
}

static char *nft_text(const char *what)
{
	char cmd[128];
	int status;
	char *out;

	snprintf(cmd, sizeof(cmd), "nft list %s 2>/dev/null", what);
	out = run_output(cmd, &status);
	assert_int_equal(status, 0);
	return out;
}

static json_t *nft_json(void)
{
	json_error_t err;
	json_t *root;
	int status;
	char *out;

	out = run_output("nft -j list table inet wgnet", &status);
	assert_int_equal(status, 0);
	root = json_loads(out, 0, &err);
	free(out);
	assert_non_null(root);
	return root;
}

/* the object {kind: {... "name": name ...}} of `nft -j` output, or NULL */
static json_t *find_obj(json_t *root, const char *kind, const char *name)
{
	json_t *items = json_object_get(root, "nftables"), *it, *obj;
	size_t i;

	json_array_foreach(items, i, it) {
		obj = json_object_get(it, kind);
		if (obj && strcmp(json_string_value(json_object_get(obj, "name")), name) == 0)
			return obj;
	}
	return NULL;
}

static size_t count_rules(json_t *root, const char *chain)
{
	json_t *items = json_object_get(root, "nftables"), *it, *obj;
	size_t i, n = 0;

	json_array_foreach(items, i, it) {
		obj = json_object_get(it, "rule");
		if (obj && strcmp(json_string_value(json_object_get(obj, "chain")), chain) == 0)
			n++;
	}
	return n;
}

/* a set's elements as "a/len,b/len" */
static void set_elems(json_t *root, const char *name, char *buf, size_t size)
{
	json_t *set = find_obj(root, "set", name), *elems, *el, *pfx;
	size_t i, len = 0;

	assert_non_null(set);
	assert_string_equal(json_string_value(json_object_get(set, "type")), "ipv4_addr");
	assert_string_equal(json_string_value(json_array_get(json_object_get(set, "flags"), 0)),
			    "interval");
	buf[0] = 0;
	elems = json_object_get(set, "elem");
	json_array_foreach(elems, i, el) {
		pfx = json_object_get(el, "prefix");
		assert_non_null(pfx);
		len += (size_t)snprintf(buf + len, size - len, "%s%s/%d", i ? "," : "",
					json_string_value(json_object_get(pfx, "addr")),
					(int)json_integer_value(json_object_get(pfx, "len")));
		assert_true(len < size);
	}
}

static void check_chain(json_t *root, const char *name, const char *type, const char *hook,
			int prio)
{
	json_t *c = find_obj(root, "chain", name);

	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c, "type")), type);
	assert_string_equal(json_string_value(json_object_get(c, "hook")), hook);
	assert_int_equal(json_integer_value(json_object_get(c, "prio")), prio);
	assert_string_equal(json_string_value(json_object_get(c, "policy")), "accept");
}

/* every line of want, in this order, each on a line of its own in text */
static void assert_lines_in_order(const char *text, const char *const *want, size_t n)
{
	const char *at = text, *p;

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(want[i]);

		for (p = strstr(at, want[i]); p; p = strstr(p + 1, want[i]))
			if (p[len] == '\n' && (p == text || p[-1] == '\t'))
				break;
		if (!p)
			fail_msg("missing (or out of order): %s\nin:\n%s", want[i], text);
		at = p + len;
	}
}

static int teardown(void **state)
{
	(void)state;
	return nft_delete() == 0 ? 0 : -1;
}

static void test_apply_full(void **state)
{
	static const char *const forward[] = {
		"oifname \"wgb*\" ct state established,related accept",
		"iifname \"wgb*\" ct state established,related accept",
		"oifname \"wgb*\" ct status dnat accept",
		"iifname \"wgb1\" oifname \"wgb1\" accept",
		"iifname \"wgb2\" oifname \"wgb2\" accept",
		"iifname \"wgnet0\" oifname \"wgb1\" ip saddr 10.210.0.0/16 ip daddr 10.210.1.0/24 "
		"accept",
		"iifname \"wgnet0\" oifname \"wgb2\" ip saddr 10.220.0.0/16 ip daddr 10.220.3.0/24 "
		"accept",
		"iifname \"wgnet0\" drop",
		"iifname \"wgb1\" oifname \"wgnet0\" ip daddr 10.210.0.0/16 accept",
		"iifname \"wgb2\" oifname \"wgnet0\" ip daddr 10.220.0.0/16 accept",
		"oifname \"wgnet0\" drop",
		"oifname \"wgb*\" drop",
		"iifname \"wgb2\" drop",
		"iifname \"wgb*\" ip daddr @pools drop",
		"iifname \"wgb*\" oifname \"eth0\" accept",
		"iifname \"wgb*\" oifname \"up1\" accept",
		"iifname \"wgb*\" drop",
	};
	static const char *const input[] = {
		"iifname != \"wgb*\" iifname != \"lo\" ip daddr @responders drop",
		"iifname \"wgnet0\" ct state established,related accept",
		"iifname \"wgnet0\" icmp type echo-request accept",
		"iifname \"wgnet0\" ip daddr @local_slices udp dport 53 accept",
		"iifname \"wgnet0\" tcp dport 53 accept",
		"iifname \"wgnet0\" udp dport 5353 accept",
		"iifname \"wgnet0\" drop",
	};
	static const char *const post[] = {
		("ip saddr 10.210.1.0/24 ip daddr != @pools oifname != \"wgb*\" "
		 "oifname != \"wgnet0\" masquerade"),
		"oifname \"wgb*\" ip saddr 127.0.0.0/8 masquerade",
	};
	static const char *const dnat[] = {
		"fib daddr type local tcp dport 8080 dnat ip to 10.210.1.5:80",
		("fib daddr type local ip daddr 192.0.2.1 udp dport 5000-5010 dnat ip to "
		 "10.210.1.6:5000"),
		"fib daddr type local ip daddr 127.0.0.1 tcp dport 8081 dnat ip to 10.210.1.5:81",
	};
	static const char *const bridge[] = {
		"iifname \"wgv*\" ether type != ip ether type != arp drop",
		"iifname \"wgv*\" iifname . ether saddr . ip saddr != @ports drop",
		"iifname \"wgv*\" iifname . ether saddr . arp saddr ip != @ports drop",
		"iifname \"wgv*\" iifname . arp saddr ether . arp saddr ip != @ports drop",
	};
	char elems[256], *text;
	json_t *root;

	(void)state;
	assert_int_equal(nft_exists(), 0);
	assert_int_equal(nft_apply(&full), 0);
	assert_int_equal(nft_exists(), 1);

	root = nft_json();
	set_elems(root, "pools", elems, sizeof(elems));
	assert_string_equal(elems, "10.210.0.0/16,10.220.0.0/16");
	set_elems(root, "local_slices", elems, sizeof(elems));
	assert_string_equal(elems, "10.210.1.0/24,10.220.3.0/24");
	/* single addresses: nft shows them as such, not as /32 prefixes */
	assert_string_equal(json_string_value(json_array_get(json_object_get(
		find_obj(root, "set", "responders"), "elem"), 0)), "10.210.0.53");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
		find_obj(root, "set", "responders"), "elem"), 1)), "10.220.0.53");
	check_chain(root, "forward", "filter", "forward", 0);
	check_chain(root, "postrouting", "nat", "postrouting", 100);
	check_chain(root, "prerouting", "nat", "prerouting", -100);
	check_chain(root, "output", "nat", "output", -100);
	check_chain(root, "input", "filter", "input", 0);
	check_chain(root, "localnet", "filter", "prerouting", -300);
	assert_int_equal(count_rules(root, "forward"), 17);
	assert_int_equal(count_rules(root, "input"), 7);
	assert_int_equal(count_rules(root, "localnet"), 1);
	assert_int_equal(count_rules(root, "postrouting"), 2);	/* wgb2 is internal */
	assert_int_equal(count_rules(root, "prerouting"), 2);
	assert_int_equal(count_rules(root, "output"), 3);
	json_decref(root);

	text = nft_text("chain inet wgnet forward");
	assert_lines_in_order(text, forward, sizeof(forward) / sizeof(forward[0]));
	free(text);
	text = nft_text("chain inet wgnet input");
	assert_lines_in_order(text, input, sizeof(input) / sizeof(input[0]));
	free(text);
	text = nft_text("table bridge wgnet");
	assert_non_null(strstr(text, "type filter hook prerouting priority dstnat"));
	assert_non_null(strstr(text, "type ifname . ether_addr . ipv4_addr"));
	assert_non_null(strstr(text, "\"wgv0123456789a\" . 02:42:0a:d2:01:05 . 10.210.1.5"));
	/* nft leaves out the `ether type` that `ip saddr` and `arp saddr` imply */
	assert_lines_in_order(text, bridge, sizeof(bridge) / sizeof(bridge[0]));
	free(text);
	text = nft_text("chain inet wgnet localnet");
	assert_non_null(strstr(text, "iifname \"wgb*\" ip daddr 127.0.0.0/8 drop"));
	free(text);
	text = nft_text("chain inet wgnet postrouting");
	assert_lines_in_order(text, post, 2);
	assert_null(strstr(text, "10.220.3.0"));
	free(text);
	text = nft_text("chain inet wgnet prerouting");
	assert_non_null(strstr(text, "\tiifname != \"wgnet0\" meta nfproto ipv4 fib daddr"));
	assert_non_null(strstr(text, dnat[0]));
	assert_non_null(strstr(text, "\tiifname != \"wgnet0\" fib daddr type local ip daddr 192.0.2.1"));
	assert_null(strstr(text, "127.0.0.1"));
	free(text);
	text = nft_text("chain inet wgnet output");
	assert_non_null(strstr(text, dnat[0]));
	assert_lines_in_order(text, dnat + 1, 2);
	free(text);
}

static void test_apply_replaces(void **state)
{
	struct nft_policy one = { .bridges = two_bridges, .nbridges = 1 };
	char elems[256], *text;
	json_t *root;

	(void)state;
	assert_int_equal(nft_apply(&full), 0);
	assert_int_equal(nft_apply(&one), 0);

	text = nft_text("table inet wgnet");
	assert_null(strstr(text, "wgb2"));
	assert_null(strstr(text, "wgnet0"));
	assert_null(strstr(text, "dnat ip to"));
	assert_non_null(strstr(text, "iifname \"wgb1\" oifname \"wgb1\" accept"));
	assert_null(strstr(text, "hook input"));	/* no tunnel, no input chain */
	free(text);

	root = nft_json();
	set_elems(root, "pools", elems, sizeof(elems));
	assert_string_equal(elems, "10.210.0.0/16");
	set_elems(root, "local_slices", elems, sizeof(elems));
	assert_string_equal(elems, "10.210.1.0/24");
	assert_int_equal(count_rules(root, "forward"), 7);
	assert_int_equal(count_rules(root, "postrouting"), 1);
	assert_int_equal(count_rules(root, "prerouting"), 0);
	json_decref(root);
}

/* The same pool for several bridges, and one inside another: the sets still load. */
static void test_overlapping_pools(void **state)
{
	static const struct nft_bridge br[] = {
		{ "wgb1", IP4(10, 210, 0, 0), IP4(10, 210, 1, 0), 16, 24, false },
		{ "wgb2", IP4(10, 210, 0, 0), IP4(10, 210, 1, 0), 16, 24, false },
		{ "wgb3", IP4(10, 210, 128, 7), IP4(10, 210, 2, 0), 17, 24, false },
		{ "wgb4", IP4(10, 0, 0, 0), IP4(10, 230, 0, 0), 8, 24, true },
	};
	struct nft_policy p = { .bridges = br, .nbridges = 3 };
	struct nft_bridge br4[2];
	char elems[256];
	json_t *root;

	(void)state;
	assert_int_equal(nft_apply(&p), 0);
	root = nft_json();
	set_elems(root, "pools", elems, sizeof(elems));
	assert_string_equal(elems, "10.210.0.0/16");
	json_decref(root);

	p.nbridges = 4;			/* 10.0.0.0/8 swallows them all */
	assert_int_equal(nft_apply(&p), 0);
	root = nft_json();
	set_elems(root, "pools", elems, sizeof(elems));
	assert_string_equal(elems, "10.0.0.0/8");
	json_decref(root);

	/* an interval up to 255.255.255.255 has no end element */
	br4[0] = br[0];
	br4[1] = br[3];
	br4[1].pool_addr = IP4(240, 0, 0, 0);
	br4[1].pool_len = 4;
	p.bridges = br4;
	p.nbridges = 2;
	assert_int_equal(nft_apply(&p), 0);
	root = nft_json();
	set_elems(root, "pools", elems, sizeof(elems));
	assert_string_equal(elems, "10.210.0.0/16,240.0.0.0/4");
	json_decref(root);
}

static void test_empty_policy(void **state)
{
	struct nft_policy p = { 0 };
	json_t *root;

	(void)state;
	assert_int_equal(nft_apply(&p), 0);
	root = nft_json();
	assert_null(json_object_get(find_obj(root, "set", "pools"), "elem"));
	assert_int_equal(count_rules(root, "forward"), 6);
	assert_int_equal(count_rules(root, "postrouting"), 0);
	json_decref(root);
}

/* A batch the kernel refuses leaves the previous table exactly as it was. */
static void test_all_or_nothing(void **state)
{
	/* "*" is an empty prefix match, which the kernel refuses (a zero-length cmp) */
	struct nft_bridge bad[] = { two_bridges[0], { "*", IP4(10, 9, 0, 0), 0, 16, 0, false } };
	struct nft_policy p = { .bridges = bad, .nbridges = 2 };
	char *before, *after;

	(void)state;
	assert_int_equal(nft_apply(&full), 0);
	before = nft_text("table inet wgnet");
	assert_true(nft_apply(&p) < 0);
	after = nft_text("table inet wgnet");
	assert_string_equal(before, after);
	free(before);
	free(after);

	bad[1] = two_bridges[1];
	bad[1].ifname[0] = 0;
	assert_int_equal(nft_apply(&p), -EINVAL);
	bad[1] = two_bridges[1];
	bad[1].pool_len = 33;
	assert_int_equal(nft_apply(&p), -EINVAL);
}

static void test_exists_delete(void **state)
{
	int status;

	(void)state;
	assert_int_equal(nft_apply(&full), 0);
	assert_int_equal(nft_exists(), 1);
	assert_int_equal(nft_delete(), 0);
	assert_int_equal(nft_exists(), 0);
	free(run_output("nft list table inet wgnet 2>/dev/null", &status));
	assert_int_not_equal(status, 0);
	free(run_output("nft list table bridge wgnet 2>/dev/null", &status));
	assert_int_not_equal(status, 0);
	assert_int_equal(nft_delete(), 0);
	assert_int_equal(nft_exists(), 0);
}

/* Many bridges: a batch over the default socket buffers, sets in several messages. */
static void test_many_bridges(void **state)
{
	enum { N = 300 };
	struct nft_bridge *br = calloc(N, sizeof(*br));
	struct nft_policy p = { .wg_ifname = "wgnet0", .bridges = br, .nbridges = N };
	json_t *root, *elems;

	(void)state;
	assert_non_null(br);
	for (int i = 0; i < N; i++) {
		snprintf(br[i].ifname, sizeof(br[i].ifname), "wgb%d", i);
		br[i].pool_addr = IP4(10, 0, 0, 0) + ((uint32_t)i << 12) * 2;	/* gaps */
		br[i].pool_len = 20;
		br[i].slice_addr = br[i].pool_addr + 256;
		br[i].slice_len = 24;
	}
	assert_int_equal(nft_apply(&p), 0);
	root = nft_json();
	elems = json_object_get(find_obj(root, "set", "pools"), "elem");
	assert_int_equal(json_array_size(elems), N);
	elems = json_object_get(find_obj(root, "set", "local_slices"), "elem");
	assert_int_equal(json_array_size(elems), N);
	assert_int_equal(count_rules(root, "forward"), 8 + 3 * N);
	assert_int_equal(count_rules(root, "postrouting"), N);
	json_decref(root);
	free(br);
}

static size_t bridge_rules(void)
{
	int status;
	char *out = run_output("nft -j list table bridge wgnet | jq '[.nftables[] | "
			       "select(.rule)] | length'", &status);
	size_t n = strtoul(out, NULL, 10);

	assert_int_equal(status, 0);
	free(out);
	return n;
}

/* Ports come and go as elements of one set: one rule for 1 or 500 of them. */
static void test_ports_set(void **state)
{
	enum { N = 500 };
	struct nft_ctr_port *cp = calloc(N, sizeof(*cp));
	const struct nft_ctr_port extra = { "wgv0000000000b", { 0x02, 0x42, 10, 210, 1, 9 },
					    IP4(10, 210, 1, 9) };
	struct nft_policy p = full;
	char *text;

	(void)state;
	assert_non_null(cp);
	assert_int_equal(nft_port_update(&extra, true), -ENOENT);	/* no table yet */
	for (int i = 0; i < N; i++) {
		snprintf(cp[i].ifname, sizeof(cp[i].ifname), "wgv%011d", i);
		cp[i].addr = IP4(10, 210, 1, 10) + (uint32_t)i;
		memcpy(cp[i].mac, (uint8_t[]){ 0x02, 0x42, 0, 0, (uint8_t)(i >> 8), (uint8_t)i }, 6);
	}
	p.ports = cp;
	p.nports = N;
	assert_int_equal(nft_apply(&p), 0);
	assert_int_equal(bridge_rules(), 4);
	text = nft_text("set bridge wgnet ports");
	assert_non_null(strstr(text, "\"wgv00000000499\" . 02:42:00:00:01:f3 . 10.210.2.253"));
	assert_null(strstr(text, "wgv0000000000b"));
	free(text);

	assert_int_equal(nft_port_update(&extra, true), 0);
	assert_int_equal(nft_port_update(&extra, true), 0);	/* a retried CreateEndpoint */
	text = nft_text("set bridge wgnet ports");
	assert_non_null(strstr(text, "\"wgv0000000000b\" . 02:42:0a:d2:01:09 . 10.210.1.9"));
	assert_non_null(strstr(text, "\"wgv00000000000\" . 02:42:00:00:00:00 . 10.210.1.10"));
	free(text);
	assert_int_equal(bridge_rules(), 4);
	assert_int_equal(nft_port_update(&cp[0], false), 0);
	text = nft_text("set bridge wgnet ports");
	assert_null(strstr(text, "\"wgv00000000000\""));
	assert_non_null(strstr(text, "\"wgv00000000001\" . 02:42:00:00:00:01 . 10.210.1.11"));
	free(text);
	assert_int_equal(nft_port_update(&cp[0], false), -ENOENT);
	free(cp);
}

static int connect_port(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ret;

	assert_true(fd >= 0);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/* A real packet: the output chain's DNAT turns a connect to :18080 into one to :19090. */
static void test_dnat_packet(void **state)
{
	const struct nft_dnat dn = { 6, 0, 18080, 18080, INADDR_LOOPBACK, 19090, "wgb1" };
	struct nft_policy p = { .dnats = &dn, .ndnats = 1 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(19090),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)state;
	assert_true(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_int_equal(connect_port(18080), -ECONNREFUSED);
	assert_int_equal(nft_apply(&p), 0);
	assert_int_equal(connect_port(18080), 0);
	assert_int_equal(nft_delete(), 0);
	assert_int_equal(connect_port(18080), -ECONNREFUSED);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_apply_full, teardown),
		cmocka_unit_test_teardown(test_apply_replaces, teardown),
		cmocka_unit_test_teardown(test_overlapping_pools, teardown),
		cmocka_unit_test_teardown(test_empty_policy, teardown),
		cmocka_unit_test_teardown(test_all_or_nothing, teardown),
		cmocka_unit_test_teardown(test_exists_delete, teardown),
		cmocka_unit_test_teardown(test_many_bridges, teardown),
		cmocka_unit_test_teardown(test_dnat_packet, teardown),
		cmocka_unit_test_teardown(test_ports_set, teardown),
	};

	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET) (needs root)");
		return 1;
	}
	if (system("ip link set lo up") != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
