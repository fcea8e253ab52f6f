/* SPDX-License-Identifier: MIT */
/*
 * netlink/wg_uapi_text.c: the set requests wg_uapi.c sends, byte for byte, and get replies read
 * line by line as wg_uapi.c hands them over: a real one from wireguard-go, and hostile ones.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netlink/wg.h"
#include "netlink/wg_uapi_text.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((c) << 8) | (d))

/*
 * wireguard-go 0.0.20230223's answer to get=1 (keys made for the capture and thrown away): two
 * wireguard-go in a network namespace, wgcap1 with three peers set by `wg set` (an IPv4 endpoint
 * and keepalive, an IPv6 endpoint and an IPv6 allowed IP, no endpoint), after a handshake with
 * the first, which is wgcap2. The blank line that ends it is wg_uapi.c's to see, as is errno=.
 */
static const char reply_wireguard_go[] =
	"private_key=6880488a8ba8b61b64f506bfb9ae626b4cabcba65471122c6e8d7340acec8e79\n"
	"listen_port=51901\n"
	"public_key=9ecd673e4d084977f946977aaae56651e22b639d3ea6b9ad713b112cf08e1e04\n"
	"preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
	"protocol_version=1\n"
	"endpoint=127.0.0.1:51902\n"
	"last_handshake_time_sec=1796652551\n"
	"last_handshake_time_nsec=223259203\n"
	"tx_bytes=328\n"
	"rx_bytes=92\n"
	"persistent_keepalive_interval=25\n"
	"allowed_ip=10.77.0.2/32\n"
	"allowed_ip=10.210.2.0/24\n"
	"public_key=f79ae39c4ca30031f5f00e8976d9fc7a1ec7c8b61b9baf633fdfa93844f8eb7f\n"
	"preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
	"protocol_version=1\n"
	"endpoint=[fd00::7]:51820\n"
	"last_handshake_time_sec=0\n"
	"last_handshake_time_nsec=0\n"
	"tx_bytes=0\n"
	"rx_bytes=0\n"
	"persistent_keepalive_interval=0\n"
	"allowed_ip=10.210.3.0/24\n"
	"allowed_ip=fd00:77::/64\n"
	"public_key=e461baf54467eb36a6c102495611c3db59d582ccb46841cc76db4070c66a5c01\n"
	"preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
	"protocol_version=1\n"
	"last_handshake_time_sec=0\n"
	"last_handshake_time_nsec=0\n"
	"tx_bytes=0\n"
	"rx_bytes=0\n"
	"persistent_keepalive_interval=0\n"
	"allowed_ip=10.210.4.0/24\n";

static void key_set(uint8_t key[WG_KEY_LEN], const char *hex)
{
	assert_int_equal(strlen(hex), 2 * WG_KEY_LEN);
	for (size_t i = 0; i < WG_KEY_LEN; i++)
		assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &key[i]), 1);
}

static void assert_key(const uint8_t key[WG_KEY_LEN], const char *hex)
{
	uint8_t want[WG_KEY_LEN];

	key_set(want, hex);
	assert_memory_equal(key, want, WG_KEY_LEN);
}

/*
 * Each "key=value" line of text to wg_uapi_text_parse_line up to a blank line or the end, as
 * wg_uapi.c does: the first error.
 */
static int parse_text(const char *text, struct wg_uapi_text_get *g)
{
	char *copy = strdup(text), *line, *next, *eq;
	int ret = 0;

	assert_non_null(copy);
	for (line = copy; ret == 0 && *line; line = next) {
		next = strchr(line, '\n');
		assert_non_null(next);
		*next++ = '\0';
		if (!*line)
			break;
		eq = strchr(line, '=');
		assert_non_null(eq);
		*eq = '\0';
		ret = wg_uapi_text_parse_line(g, line, eq + 1);
	}
	free(copy);
	return ret;
}

/* What text makes of a device with one peer whose key is all 0x11, then line. */
static int parse_peer_line(const char *line, struct wg_uapi_text_get *g)
{
	char text[512];

	snprintf(text, sizeof(text), "public_key=%064d\n%s\n", 0, line);
	memset(text + strlen("public_key="), '1', 2 * WG_KEY_LEN);
	*g = (struct wg_uapi_text_get){ 0 };
	return parse_text(text, g);
}

/* Each of bad[] as the value of a peer's key is refused. */
static void assert_refused(const char *key, const char *const *bad, size_t n)
{
	struct wg_uapi_text_get g;
	char line[256];

	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%s=%s", key, bad[i]);
		if (parse_peer_line(line, &g) != -EBADMSG)
			fail_msg("%s parsed", line);
		wg_device_release(&g.dev);
	}
}

static void test_parse_wireguard_go(void **state)
{
	struct wg_uapi_text_get g = { 0 };
	const struct sockaddr_in6 *s6;
	const struct sockaddr_in *s4;
	const struct wg_peer *p;
	struct in6_addr fd00_7;

	(void)state;
	assert_int_equal(parse_text(reply_wireguard_go, &g), 0);
	assert_true(g.dev.has_private_key);
	assert_key(g.dev.private_key,
		   "6880488a8ba8b61b64f506bfb9ae626b4cabcba65471122c6e8d7340acec8e79");
	assert_int_equal(g.dev.listen_port, 51901);
	assert_int_equal(g.dev.npeers, 3);

	p = &g.dev.peers[0];
	assert_key(p->public_key, "9ecd673e4d084977f946977aaae56651e22b639d3ea6b9ad713b112cf08e1e04");
	s4 = (const struct sockaddr_in *)&p->endpoint;
	assert_int_equal(s4->sin_family, AF_INET);
	assert_int_equal(ntohl(s4->sin_addr.s_addr), IP4(127, 0, 0, 1));
	assert_int_equal(ntohs(s4->sin_port), 51902);
	assert_int_equal(p->last_handshake_sec, 1796652551);
	assert_int_equal(p->tx_bytes, 328);
	assert_int_equal(p->rx_bytes, 92);
	assert_int_equal(p->keepalive, 25);
	assert_int_equal(p->nallowed_ips, 2);
	assert_int_equal(p->allowed_ips[0].addr, IP4(10, 77, 0, 2));
	assert_int_equal(p->allowed_ips[0].len, 32);
	assert_int_equal(p->allowed_ips[1].addr, IP4(10, 210, 2, 0));
	assert_int_equal(p->allowed_ips[1].len, 24);
	assert_false(p->remove);
	assert_false(p->replace_allowed_ips);

	p = &g.dev.peers[1];
	assert_key(p->public_key, "f79ae39c4ca30031f5f00e8976d9fc7a1ec7c8b61b9baf633fdfa93844f8eb7f");
	s6 = (const struct sockaddr_in6 *)&p->endpoint;
	assert_int_equal(s6->sin6_family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "fd00::7", &fd00_7), 1);
	assert_memory_equal(&s6->sin6_addr, &fd00_7, sizeof(fd00_7));
	assert_int_equal(ntohs(s6->sin6_port), 51820);
	assert_int_equal(s6->sin6_scope_id, 0);
	assert_int_equal(p->last_handshake_sec, 0);
	assert_int_equal(p->keepalive, 0);
	assert_int_equal(p->nallowed_ips, 1);	/* fd00:77::/64 is not ours */
	assert_int_equal(p->allowed_ips[0].addr, IP4(10, 210, 3, 0));

	p = &g.dev.peers[2];
	assert_key(p->public_key, "e461baf54467eb36a6c102495611c3db59d582ccb46841cc76db4070c66a5c01");
	assert_int_equal(p->endpoint.ss_family, AF_UNSPEC);
	assert_int_equal(p->nallowed_ips, 1);
	assert_int_equal(p->allowed_ips[0].addr, IP4(10, 210, 4, 0));
	wg_device_release(&g.dev);
}

static void test_parse_keys(void **state)
{
	/* a digit's neighbours in ASCII, each side of each range, and bytes over 0x7f */
	static const char bad[] = "/:@G`g \x80\xff";
	char key[2 * WG_KEY_LEN + 1], line[128];
	struct wg_uapi_text_get g = { 0 };
	uint8_t want[WG_KEY_LEN];

	(void)state;
	assert_int_equal(parse_text("private_key=0123456789ABCDEF0123456789abcdef0123456789AbCdEf"
				    "0123456789aBcDeF\n", &g), 0);
	assert_true(g.dev.has_private_key);
	key_set(want, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_memory_equal(g.dev.private_key, want, WG_KEY_LEN);
	wg_device_release(&g.dev);

	for (size_t i = 0; i < strlen(bad); i++) {
		for (size_t at = 0; at < 2 * WG_KEY_LEN; at++) {	/* a high digit: no UB either */
			memset(key, '0', 2 * WG_KEY_LEN);
			key[2 * WG_KEY_LEN] = '\0';
			key[at] = bad[i];
			g = (struct wg_uapi_text_get){ 0 };
			snprintf(line, sizeof(line), "public_key=%s\n", key);
			assert_int_equal(parse_text(line, &g), -EBADMSG);
			snprintf(line, sizeof(line), "private_key=%s\n", key);
			assert_int_equal(parse_text(line, &g), -EBADMSG);
			assert_false(g.dev.has_private_key);
			assert_int_equal(g.dev.npeers, 0);
			wg_device_release(&g.dev);
		}
	}
	/* 63 and 65 digits */
	g = (struct wg_uapi_text_get){ 0 };
	snprintf(line, sizeof(line), "public_key=%063d\n", 0);
	assert_int_equal(parse_text(line, &g), -EBADMSG);
	snprintf(line, sizeof(line), "public_key=%065d\n", 0);
	assert_int_equal(parse_text(line, &g), -EBADMSG);
	snprintf(line, sizeof(line), "private_key=%065d\n", 0);
	assert_int_equal(parse_text(line, &g), -EBADMSG);
	assert_int_equal(g.dev.npeers, 0);
	assert_false(g.dev.has_private_key);
	wg_device_release(&g.dev);
}

static void test_parse_endpoints(void **state)
{
	static const struct {
		const char *text;
		int family;
		const char *addr;
		uint16_t port;
		uint32_t scope;
	} good[] = {
		{ "1.2.3.4:5", AF_INET, "1.2.3.4", 5, 0 },
		{ "255.255.255.255:65535", AF_INET, "255.255.255.255", 65535, 0 },
		{ "[1.2.3.4]:0", AF_INET, "1.2.3.4", 0, 0 },
		{ "[fd00::1]:51820", AF_INET6, "fd00::1", 51820, 0 },
		{ "[fe80::1%7]:1", AF_INET6, "fe80::1", 1, 7 },
		{ "[fe80::1%4294967295]:1", AF_INET6, "fe80::1", 1, UINT32_MAX },
		/* a zone by name is this namespace's device of that name: not ours to look up */
		{ "[fe80::1%eth0]:1", AF_INET6, "fe80::1", 1, 0 },
		{ "[fe80::1%4294967296]:1", AF_INET6, "fe80::1", 1, 0 },
		{ "::1:80", AF_INET6, "::1", 80, 0 },	/* the last colon is the port's */
		{ "[::ffff:1.2.3.4]:9", AF_INET6, "::ffff:1.2.3.4", 9, 0 },
	};
	static const char *const bad[] = {
		"1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:+1", "1.2.3.4: 1",
		"1.2.3.4:1 ", "1.2.3:1", "1.2.3.4%1:80", "[fd00::1]", "[fd00::1]1", "fd00::1]:1",
		"[fd00::1:1", "[]:1", ":1", "example.org:1",
		"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%12345678901234567890123]:1",
	};
	struct wg_uapi_text_get g;
	union {
		struct sockaddr_storage ss;
		struct sockaddr_in s4;
		struct sockaddr_in6 s6;
	} want;
	char line[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		want.ss = (struct sockaddr_storage){ 0 };
		want.ss.ss_family = (sa_family_t)good[i].family;
		if (good[i].family == AF_INET) {
			assert_int_equal(inet_pton(AF_INET, good[i].addr, &want.s4.sin_addr), 1);
			want.s4.sin_port = htons(good[i].port);
		} else {
			assert_int_equal(inet_pton(AF_INET6, good[i].addr, &want.s6.sin6_addr), 1);
			want.s6.sin6_port = htons(good[i].port);
			want.s6.sin6_scope_id = good[i].scope;
		}
		snprintf(line, sizeof(line), "endpoint=%s", good[i].text);
		assert_int_equal(parse_peer_line(line, &g), 0);
		assert_memory_equal(&g.dev.peers[0].endpoint, &want.ss, sizeof(want.ss));
		wg_device_release(&g.dev);
	}
	assert_refused("endpoint", bad, ARRAY_SIZE(bad));
}

static void test_parse_allowed_ips(void **state)
{
	static const char *const bad[] = {
		"10.0.0.0/33", "10.0.0.0", "10.0.0/8", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8",
		"10.0.0.0/8/8", "/8", "256.0.0.0/8", "10.0.0.0.0/8",
	};
	struct wg_uapi_text_get g;
	const struct wg_peer *p;

	(void)state;
	assert_int_equal(parse_peer_line("allowed_ip=0.0.0.0/0\nallowed_ip=::/0\nallowed_ip="
					 "10.1.2.3/32\nallowed_ip=fd00::1:2/128\nallowed_ip=10.0.0.1/8"
					 "\nallowed_ip=1.1.1.1/24\nallowed_ip=2.2.2.2/16",
					 &g),
			 0);
	p = &g.dev.peers[0];
	assert_int_equal(p->nallowed_ips, 5);	/* four kept across a realloc, IPv6 skipped */
	assert_int_equal(p->allowed_ips[0].addr, 0);
	assert_int_equal(p->allowed_ips[0].len, 0);
	assert_int_equal(p->allowed_ips[1].addr, IP4(10, 1, 2, 3));
	assert_int_equal(p->allowed_ips[1].len, 32);
	assert_int_equal(p->allowed_ips[2].addr, IP4(10, 0, 0, 1));	/* as given */
	assert_int_equal(p->allowed_ips[2].len, 8);
	assert_int_equal(p->allowed_ips[4].addr, IP4(2, 2, 2, 2));
	assert_int_equal(p->allowed_ips[4].len, 16);
	wg_device_release(&g.dev);
	assert_refused("allowed_ip", bad, ARRAY_SIZE(bad));
}

static void test_parse_numbers(void **state)
{
	static const struct {
		const char *line;
		int ret;
	} cases[] = {
		{ "last_handshake_time_sec=9223372036854775807", 0 },
		{ "last_handshake_time_sec=9223372036854775808", -EBADMSG },
		{ "rx_bytes=18446744073709551615", 0 },
		{ "rx_bytes=18446744073709551616", -EBADMSG },
		{ "tx_bytes=007", 0 },
		{ "tx_bytes=", -EBADMSG },
		{ "tx_bytes=-1", -EBADMSG },
		{ "tx_bytes=+1", -EBADMSG },
		{ "tx_bytes= 1", -EBADMSG },
		{ "tx_bytes=1 ", -EBADMSG },
		{ "tx_bytes=0x10", -EBADMSG },
		{ "persistent_keepalive_interval=65535", 0 },
		{ "persistent_keepalive_interval=65536", -EBADMSG },
	};
	struct wg_uapi_text_get g;
	uint64_t v = 1;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (parse_peer_line(cases[i].line, &g) != cases[i].ret)
			fail_msg("%s: not %d", cases[i].line, cases[i].ret);
		wg_device_release(&g.dev);
	}
	assert_int_equal(parse_peer_line("last_handshake_time_sec=9223372036854775807\n"
					 "rx_bytes=18446744073709551615\ntx_bytes=007\n"
					 "persistent_keepalive_interval=65535",
					 &g),
			 0);
	assert_int_equal(g.dev.peers[0].last_handshake_sec, INT64_MAX);
	assert_true(g.dev.peers[0].rx_bytes == UINT64_MAX);
	assert_int_equal(g.dev.peers[0].tx_bytes, 7);
	assert_int_equal(g.dev.peers[0].keepalive, 65535);
	wg_device_release(&g.dev);

	g = (struct wg_uapi_text_get){ 0 };
	assert_int_equal(parse_text("listen_port=65535\n", &g), 0);
	assert_int_equal(g.dev.listen_port, 65535);
	assert_int_equal(parse_text("listen_port=65536\n", &g), -EBADMSG);
	assert_int_equal(g.dev.listen_port, 65535);
	assert_int_equal(wg_uapi_text_parse_u64("4095", 4095, &v), 0);
	assert_int_equal(v, 4095);
	assert_int_equal(wg_uapi_text_parse_u64("4096", 4095, &v), -EBADMSG);
	assert_int_equal(wg_uapi_text_parse_u64("", 4095, &v), -EBADMSG);
	assert_int_equal(v, 4095);
}

/* Lines of a peer before any public_key= are refused; keys we do not use are skipped. */
static void test_parse_order(void **state)
{
	static const char *const peer_keys[] = {
		"endpoint=1.2.3.4:5", "last_handshake_time_sec=1", "rx_bytes=1", "tx_bytes=1",
		"persistent_keepalive_interval=1", "allowed_ip=10.0.0.0/8",
	};
	struct wg_uapi_text_get g = { 0 };
	char line[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(peer_keys); i++) {
		snprintf(line, sizeof(line), "listen_port=1\n%s\n", peer_keys[i]);
		assert_int_equal(parse_text(line, &g), -EBADMSG);
		wg_device_release(&g.dev);
		g = (struct wg_uapi_text_get){ 0 };
	}
	assert_int_equal(parse_text("fwmark=0\nprotocol_version=1\nunknown=x\n=\nallowed_ips=y\n",
				    &g),
			 0);
	assert_int_equal(g.dev.npeers, 0);
	assert_false(g.dev.has_private_key);
	/* the same key twice is two peers: wireguard-go never writes it, and nothing merges them */
	assert_int_equal(parse_peer_line("allowed_ip=1.0.0.0/8\npublic_key=1111111111111111111111"
					 "111111111111111111111111111111111111111111",
					 &g),
			 0);
	assert_memory_equal(g.dev.peers[0].public_key, g.dev.peers[1].public_key, WG_KEY_LEN);
	assert_int_equal(g.dev.npeers, 2);
	assert_int_equal(g.dev.peers[1].nallowed_ips, 0);
	wg_device_release(&g.dev);
}

static void test_format_device(void **state)
{
	struct wg_device dev = { .ifname = "wgnet0", .has_private_key = true, .listen_port = 65535 };
	char buf[WG_UAPI_TEXT_DEVICE_MAX];
	const char *want;

	(void)state;
	key_set(dev.private_key, "00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0");
	want = "set=1\n"
	       "private_key=00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0\n"
	       "listen_port=65535\n\n";
	assert_int_equal(wg_uapi_text_format_device(buf, sizeof(buf), &dev), strlen(want));
	assert_string_equal(buf, want);
	/* one byte short of the terminating NUL */
	assert_int_equal(wg_uapi_text_format_device(buf, strlen(want), &dev), -EMSGSIZE);

	dev.listen_port = 0;
	want = "set=1\n"
	       "private_key=00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0\n\n";
	assert_int_equal(wg_uapi_text_format_device(buf, sizeof(buf), &dev), strlen(want));
	assert_string_equal(buf, want);
	dev.has_private_key = false;
	dev.listen_port = 1;
	assert_int_equal(wg_uapi_text_format_device(buf, sizeof(buf), &dev),
			 strlen("set=1\nlisten_port=1\n\n"));
	assert_string_equal(buf, "set=1\nlisten_port=1\n\n");
	dev.listen_port = 0;
	assert_int_equal(wg_uapi_text_format_device(buf, sizeof(buf), &dev), strlen("set=1\n\n"));
	assert_string_equal(buf, "set=1\n\n");
}

static void test_format_peers(void **state)
{
	struct wg_allowed_ip ips[] = { { IP4(10, 210, 2, 0), 24 }, { 0, 0 }, { UINT32_MAX, 32 } };
	struct wg_peer peers[4] = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&peers[0].endpoint;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&peers[1].endpoint;
	const char *want;
	char *out = NULL;
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(peers); i++)
		memset(peers[i].public_key, 0x11 * (int)(i + 1), WG_KEY_LEN);
	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(IP4(203, 0, 113, 10));
	s4->sin_port = htons(51820);
	peers[0].keepalive = 25;
	peers[0].allowed_ips = ips;
	peers[0].nallowed_ips = 3;
	s6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "fe80::1", &s6->sin6_addr), 1);
	s6->sin6_port = htons(1);
	s6->sin6_scope_id = 7;
	peers[1].replace_allowed_ips = true;
	peers[2].remove = true;			/* nothing else is read */
	peers[2].replace_allowed_ips = true;
	peers[2].allowed_ips = ips;
	peers[2].nallowed_ips = 1;
	peers[3].endpoint.ss_family = AF_UNSPEC;	/* keeps the one it has */
	peers[3].allowed_ips = ips + 2;
	peers[3].nallowed_ips = 1;
	want = "set=1\n"
	       "public_key=1111111111111111111111111111111111111111111111111111111111111111\n"
	       "endpoint=203.0.113.10:51820\n"
	       "persistent_keepalive_interval=25\n"
	       "allowed_ip=10.210.2.0/24\n"
	       "allowed_ip=0.0.0.0/0\n"
	       "allowed_ip=255.255.255.255/32\n"
	       "public_key=2222222222222222222222222222222222222222222222222222222222222222\n"
	       "replace_allowed_ips=true\n"
	       "endpoint=[fe80::1%7]:1\n"
	       "persistent_keepalive_interval=0\n"
	       "public_key=3333333333333333333333333333333333333333333333333333333333333333\n"
	       "remove=true\n"
	       "public_key=4444444444444444444444444444444444444444444444444444444444444444\n"
	       "persistent_keepalive_interval=0\n"
	       "allowed_ip=255.255.255.255/32\n"
	       "\n";
	assert_int_equal(wg_uapi_text_format_peers(peers, ARRAY_SIZE(peers), &out, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	free(out);

	s6->sin6_scope_id = 0;
	assert_int_equal(wg_uapi_text_format_peers(peers + 1, 1, &out, &len), 0);
	assert_non_null(strstr(out, "\nendpoint=[fe80::1]:1\n"));
	free(out);
	assert_int_equal(wg_uapi_text_format_peers(NULL, 0, &out, &len), 0);
	assert_int_equal(len, strlen("set=1\n\n"));
	assert_memory_equal(out, "set=1\n\n", len);
	free(out);

	out = NULL;
	peers[1].endpoint.ss_family = AF_UNIX;
	assert_int_equal(wg_uapi_text_format_peers(peers, 2, &out, &len), -EAFNOSUPPORT);
	assert_null(out);
}

/* What is formatted parses back to the same peers (a get reply names the same keys). */
static void test_round_trip(void **state)
{
	struct wg_uapi_text_get g = { 0 }, back = { 0 };
	char dev_req[WG_UAPI_TEXT_DEVICE_MAX];
	char *out = NULL;
	size_t len;

	(void)state;
	assert_int_equal(parse_text(reply_wireguard_go, &g), 0);
	assert_true(wg_uapi_text_format_device(dev_req, sizeof(dev_req), &g.dev) > 0);
	assert_int_equal(wg_uapi_text_format_peers(g.dev.peers, g.dev.npeers, &out, &len), 0);
	assert_int_equal(parse_text(dev_req, &back), 0);
	assert_int_equal(parse_text(out, &back), 0);
	free(out);
	assert_true(back.dev.has_private_key);
	assert_memory_equal(back.dev.private_key, g.dev.private_key, WG_KEY_LEN);
	assert_int_equal(back.dev.listen_port, g.dev.listen_port);
	assert_int_equal(back.dev.npeers, g.dev.npeers);
	for (size_t i = 0; i < g.dev.npeers; i++) {
		const struct wg_peer *a = &g.dev.peers[i], *b = &back.dev.peers[i];

		assert_memory_equal(a->public_key, b->public_key, WG_KEY_LEN);
		assert_memory_equal(&a->endpoint, &b->endpoint, sizeof(a->endpoint));
		assert_int_equal(a->keepalive, b->keepalive);
		assert_int_equal(a->nallowed_ips, b->nallowed_ips);
		for (size_t j = 0; j < a->nallowed_ips; j++) {
			assert_int_equal(a->allowed_ips[j].addr, b->allowed_ips[j].addr);
			assert_int_equal(a->allowed_ips[j].len, b->allowed_ips[j].len);
		}
	}
	wg_device_release(&g.dev);
	wg_device_release(&back.dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_wireguard_go),
		cmocka_unit_test(test_parse_keys),
		cmocka_unit_test(test_parse_endpoints),
		cmocka_unit_test(test_parse_allowed_ips),
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_parse_order),
		cmocka_unit_test(test_format_device),
		cmocka_unit_test(test_format_peers),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
