/* SPDX-License-Identifier: MIT */
/*
 * netlink/wg_genl.c without a WireGuard kernel: set messages are built, then decoded here with
 * libmnl and compared with the peers they came from; get-device replies are written here the
 * way the kernel splits them and merged back by the parser. Needs no root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "netlink/wg.h"
#include "netlink/wg_genl.h"

#define FAMILY 0x1234			/* any id: no kernel is asked */
#define CANARY 256			/* bytes past the size that must stay untouched */
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* ----- fixtures ----- */

static void key_of(uint8_t key[WG_KEY_LEN], size_t i, uint8_t salt)
{
	size_t j;

	for (j = 0; j < WG_KEY_LEN; j++)
		key[j] = (uint8_t)(salt + j * 7);
	memcpy(key, &i, sizeof(i));	/* unique per index */
}

static void set_endpoint(struct wg_peer *p, size_t i)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&p->endpoint;
	struct sockaddr_in *in = (struct sockaddr_in *)&p->endpoint;

	memset(&p->endpoint, 0, sizeof(p->endpoint));
	switch (i % 3) {
	case 0:
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)(1000 + i));
		in->sin_addr.s_addr = htonl(IP4(192, 0, 2, i % 250 + 1));
		break;
	case 1:
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(51820);
		in6->sin6_addr.s6_addr[0] = 0x20;
		in6->sin6_addr.s6_addr[1] = 0x01;
		in6->sin6_addr.s6_addr[15] = (uint8_t)i;
		break;
	default:
		p->endpoint.ss_family = AF_UNSPEC;	/* keep the roaming one */
		break;
	}
}

/* n peers with nips allowed IPs each: 10.<i>.<j>.0/24 and so on, all distinct */
static struct wg_peer *make_peers(size_t n, size_t nips)
{
	struct wg_peer *peers = calloc(n, sizeof(*peers));
	size_t i, j;

	assert_non_null(peers);
	for (i = 0; i < n; i++) {
		key_of(peers[i].public_key, i, 3);
		set_endpoint(&peers[i], i);
		peers[i].keepalive = (uint16_t)(i % 30);
		peers[i].replace_allowed_ips = i % 2 == 0;
		peers[i].nallowed_ips = nips;
		peers[i].allowed_ips = calloc(nips ? nips : 1, sizeof(struct wg_allowed_ip));
		assert_non_null(peers[i].allowed_ips);
		for (j = 0; j < nips; j++) {
			peers[i].allowed_ips[j].addr =
				IP4(10, i % 256, j % 256, 0) + (uint32_t)(i / 256);
			peers[i].allowed_ips[j].len = (uint8_t)(16 + (i + j) % 17);
		}
	}
	return peers;
}

static void free_peers(struct wg_peer *peers, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(peers[i].allowed_ips);
	free(peers);
}

/* ----- decoding set messages, independently of wg_genl.c ----- */

struct table {
	const struct nlattr **tb;
	uint16_t max;
	size_t count;
	bool unknown;
};

static int table_cb(const struct nlattr *a, void *data)
{
	struct table *t = data;
	uint16_t type = mnl_attr_get_type(a);

	t->count++;
	if (type > t->max || t->tb[type])
		t->unknown = true;	/* out of range or twice */
	else
		t->tb[type] = a;
	return MNL_CB_OK;
}

/* The attributes fill [payload, payload + len) exactly: nothing cut, nothing left over. */
static void check_exact(const void *payload, size_t len)
{
	const struct nlattr *a = payload;
	size_t used = 0;

	while (used < len) {
		assert_true(mnl_attr_ok(a, (int)(len - used)));
		used += MNL_ALIGN(a->nla_len);
		a = mnl_attr_next(a);
	}
	assert_int_equal(used, len);
}

static void check_nest_exact(const struct nlattr *nest)
{
	check_exact(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest));
}

struct expect {
	const struct wg_peer *peers;
	size_t n;
	size_t peer;			/* next peer expected */
	size_t ip;			/* its allowed IPs seen so far */
	size_t messages;
	size_t parts;			/* messages that carried peers[watch] */
	size_t watch;
	size_t first_part_flags;	/* flags of the watched peer's first part */
};

static void check_allowed_ip(const struct nlattr *nest, const struct wg_allowed_ip *want)
{
	const struct nlattr *tb[WGALLOWEDIP_A_MAX + 1] = { 0 };
	struct table t = { tb, WGALLOWEDIP_A_MAX, 0, false };
	uint32_t addr;

	check_nest_exact(nest);
	assert_int_equal(mnl_attr_parse_nested(nest, table_cb, &t), MNL_CB_OK);
	assert_false(t.unknown);
	assert_int_equal(t.count, 3);
	assert_non_null(tb[WGALLOWEDIP_A_FAMILY]);
	assert_int_equal(mnl_attr_validate(tb[WGALLOWEDIP_A_FAMILY], MNL_TYPE_U16), 0);
	assert_int_equal(mnl_attr_get_u16(tb[WGALLOWEDIP_A_FAMILY]), AF_INET);
	assert_non_null(tb[WGALLOWEDIP_A_IPADDR]);
	assert_int_equal(mnl_attr_get_payload_len(tb[WGALLOWEDIP_A_IPADDR]), 4);
	memcpy(&addr, mnl_attr_get_payload(tb[WGALLOWEDIP_A_IPADDR]), 4);
	assert_int_equal(ntohl(addr), want->addr);
	assert_non_null(tb[WGALLOWEDIP_A_CIDR_MASK]);
	assert_int_equal(mnl_attr_validate(tb[WGALLOWEDIP_A_CIDR_MASK], MNL_TYPE_U8), 0);
	assert_int_equal(mnl_attr_get_u8(tb[WGALLOWEDIP_A_CIDR_MASK]), want->len);
}

/* One peer nest; returns true if the peer is complete. */
static bool check_peer(const struct nlattr *nest, struct expect *e, bool first_in_msg)
{
	const struct nlattr *tb[WGPEER_A_MAX + 1] = { 0 };
	struct table t = { tb, WGPEER_A_MAX, 0, false };
	const struct wg_peer *p;
	bool continuation = e->ip > 0;
	size_t want_attrs = 1, len = 0, nips;
	uint32_t flags;
	struct nlattr *ip;

	assert_true(e->peer < e->n);
	p = &e->peers[e->peer];
	nips = p->remove ? 0 : p->nallowed_ips;
	if (continuation)
		assert_true(first_in_msg);	/* a split peer goes on at the next start */
	check_nest_exact(nest);
	assert_int_equal(mnl_attr_parse_nested(nest, table_cb, &t), MNL_CB_OK);
	assert_false(t.unknown);
	assert_non_null(tb[WGPEER_A_PUBLIC_KEY]);
	assert_int_equal(mnl_attr_get_payload_len(tb[WGPEER_A_PUBLIC_KEY]), WG_KEY_LEN);
	assert_memory_equal(mnl_attr_get_payload(tb[WGPEER_A_PUBLIC_KEY]), p->public_key,
			    WG_KEY_LEN);
	if (e->peer == e->watch)
		e->parts++;

	if (continuation) {
		assert_null(tb[WGPEER_A_FLAGS]);
		assert_null(tb[WGPEER_A_ENDPOINT]);
		assert_null(tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
	} else {
		assert_non_null(tb[WGPEER_A_FLAGS]);
		assert_int_equal(mnl_attr_validate(tb[WGPEER_A_FLAGS], MNL_TYPE_U32), 0);
		flags = mnl_attr_get_u32(tb[WGPEER_A_FLAGS]);
		want_attrs++;
		if (e->peer == e->watch)
			e->first_part_flags = flags;
		if (p->remove) {
			assert_int_equal(flags, WGPEER_F_REMOVE_ME);
			assert_int_equal(t.count, 2);	/* the key and the flag, nothing else */
			e->peer++;
			return true;
		}
		assert_int_equal(flags, p->replace_allowed_ips ? WGPEER_F_REPLACE_ALLOWEDIPS : 0);
		assert_non_null(tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
		assert_int_equal(mnl_attr_validate(tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL],
						   MNL_TYPE_U16), 0);
		assert_int_equal(mnl_attr_get_u16(tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]),
				 p->keepalive);
		want_attrs++;
		if (p->endpoint.ss_family == AF_INET)
			len = sizeof(struct sockaddr_in);
		else if (p->endpoint.ss_family == AF_INET6)
			len = sizeof(struct sockaddr_in6);
		if (len) {
			assert_non_null(tb[WGPEER_A_ENDPOINT]);
			assert_int_equal(mnl_attr_get_payload_len(tb[WGPEER_A_ENDPOINT]), len);
			assert_memory_equal(mnl_attr_get_payload(tb[WGPEER_A_ENDPOINT]),
					    &p->endpoint, len);
			want_attrs++;
		} else {
			assert_null(tb[WGPEER_A_ENDPOINT]);
		}
	}
	if (tb[WGPEER_A_ALLOWEDIPS]) {
		want_attrs++;
		check_nest_exact(tb[WGPEER_A_ALLOWEDIPS]);
		mnl_attr_for_each_nested(ip, tb[WGPEER_A_ALLOWEDIPS]) {
			assert_true(e->ip < nips);
			check_allowed_ip(ip, &p->allowed_ips[e->ip]);
			e->ip++;
		}
	}
	assert_int_equal(t.count, want_attrs);
	if (e->ip < nips)
		return false;
	e->peer++;
	e->ip = 0;
	return true;
}

static void check_set_msg(const void *buf, int len, size_t size, uint32_t seq, struct expect *e)
{
	const struct nlattr *tb[WGDEVICE_A_MAX + 1] = { 0 };
	struct table t = { tb, WGDEVICE_A_MAX, 0, false };
	const struct nlmsghdr *nlh = buf;
	const struct genlmsghdr *genl;
	bool first = true, complete = true;
	struct nlattr *peer;
	size_t npeers = 0;

	assert_true(len > 0);
	assert_true((size_t)len <= size);
	assert_true(mnl_nlmsg_ok(nlh, len));
	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(nlh->nlmsg_type, FAMILY);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(nlh->nlmsg_seq, seq);
	genl = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(genl->cmd, WG_CMD_SET_DEVICE);
	assert_int_equal(genl->version, WG_GENL_VERSION);
	check_exact((const char *)genl + GENL_HDRLEN, mnl_nlmsg_get_payload_len(nlh) - GENL_HDRLEN);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*genl), table_cb, &t), MNL_CB_OK);
	assert_false(t.unknown);
	assert_int_equal(t.count, 2);		/* never WGDEVICE_A_FLAGS: no REPLACE_PEERS */
	assert_non_null(tb[WGDEVICE_A_IFNAME]);
	assert_int_equal(mnl_attr_validate(tb[WGDEVICE_A_IFNAME], MNL_TYPE_NUL_STRING), 0);
	assert_string_equal(mnl_attr_get_str(tb[WGDEVICE_A_IFNAME]), "wgnet0");
	assert_non_null(tb[WGDEVICE_A_PEERS]);
	check_nest_exact(tb[WGDEVICE_A_PEERS]);
	mnl_attr_for_each_nested(peer, tb[WGDEVICE_A_PEERS]) {
		assert_true(complete);		/* only the last peer may be cut */
		complete = check_peer(peer, e, first);
		if (!complete)
			assert_true(first);	/* only a peer alone in its message is split */
		first = false;
		npeers++;
	}
	assert_true(npeers > 0);
	e->messages++;
}

/* Builds every message for peers in a buffer of size bytes and checks each one. */
static void build_and_check(const struct wg_peer *peers, size_t n, size_t size, struct expect *e)
{
	unsigned char *buf = malloc(size + CANARY);
	size_t i = 0, used, done = 0, k;
	uint32_t seq = 100;
	int len;

	assert_non_null(buf);
	*e = (struct expect){ .peers = peers, .n = n, .watch = e->watch };
	while (i < n) {
		memset(buf, 0xa5, size + CANARY);
		len = wg_genl_build_peers(buf, size, FAMILY, seq, "wgnet0", peers + i, n - i, &used,
					  &done);
		assert_true(len > 0);
		for (k = size; k < size + CANARY; k++)
			assert_int_equal(buf[k], 0xa5);
		check_set_msg(buf, len, size, seq, e);
		assert_int_equal(e->peer, i + used);	/* the builder and the decoder agree */
		assert_int_equal(e->ip, done);
		i += used;
		seq++;
	}
	assert_int_equal(e->peer, n);
	assert_int_equal(e->ip, 0);
	free(buf);
}

/* ----- set_peers messages ----- */

static void test_thousand_peers(void **state)
{
	static const size_t sizes[] = { 8192, WG_GENL_MSG_MAX, 4096 };
	struct wg_peer *peers = make_peers(1000, 2);
	struct expect e = { .watch = SIZE_MAX };
	size_t s;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		build_and_check(peers, 1000, sizes[s], &e);
		assert_true(e.messages > 1);
		/* full messages: no more of them than the bytes need, plus one */
		assert_true(e.messages <= 1000 * 170 / (sizes[s] - 64) + 1);
	}
	free_peers(peers, 1000);
}

static void test_split_peer(void **state)
{
	struct wg_peer *peers = make_peers(3, 3);
	struct wg_allowed_ip *big = calloc(2000, sizeof(*big));
	struct expect e = { .watch = 1 };
	size_t j;

	(void)state;
	assert_non_null(big);
	for (j = 0; j < 2000; j++)
		big[j] = (struct wg_allowed_ip){
			IP4(10, 200 + j / 1000, (j / 4) % 250, (j % 4) * 64), 26
		};
	free(peers[1].allowed_ips);
	peers[1].allowed_ips = big;
	peers[1].nallowed_ips = 2000;
	peers[1].replace_allowed_ips = true;

	build_and_check(peers, 3, WG_GENL_MSG_MAX, &e);
	/* 2,000 allowed IPs of 28 bytes each need four 16 KiB messages */
	assert_true(e.parts >= 4);
	assert_int_equal(e.first_part_flags, WGPEER_F_REPLACE_ALLOWEDIPS);
	assert_true(e.messages >= e.parts + 1);	/* peer 0 did not share with the big one */

	peers[1].replace_allowed_ips = false;	/* no flag on any part then */
	build_and_check(peers, 3, 8192, &e);
	assert_int_equal(e.first_part_flags, 0);
	assert_true(e.parts >= 7);
	free_peers(peers, 3);
}

static void test_remove_peers(void **state)
{
	struct wg_peer *peers = make_peers(500, 4);
	struct expect e = { .watch = SIZE_MAX };
	size_t i;

	(void)state;
	for (i = 0; i < 500; i += 2)
		peers[i].remove = true;		/* endpoint and allowed IPs must be ignored */
	build_and_check(peers, 500, 4096, &e);
	assert_true(e.messages > 1);
	free_peers(peers, 500);
}

static void test_build_errors(void **state)
{
	struct wg_peer *peers = make_peers(2, 2);
	unsigned char buf[WG_GENL_MSG_MAX];
	size_t used = 7, done = 0;

	(void)state;
	assert_int_equal(wg_genl_build_peers(buf, 64, FAMILY, 1, "wgnet0", peers, 2, &used, &done),
			 -EMSGSIZE);
	assert_int_equal(wg_genl_build_peers(buf, sizeof(buf), FAMILY, 1, "wgnet0toolongname",
					     peers, 2, &used, &done), -EINVAL);
	assert_int_equal(wg_genl_build_peers(buf, sizeof(buf), FAMILY, 1, "", peers, 2, &used,
					     &done), -EINVAL);
	assert_int_equal(wg_genl_build_peers(buf, sizeof(buf), FAMILY, 1, "wgnet0", peers, 0,
					     &used, &done), -EINVAL);
	done = 3;				/* more than peer 0 has */
	assert_int_equal(wg_genl_build_peers(buf, sizeof(buf), FAMILY, 1, "wgnet0", peers, 2,
					     &used, &done), -EINVAL);
	done = 0;
	peers[1].allowed_ips[1].len = 33;
	assert_int_equal(wg_genl_build_peers(buf, sizeof(buf), FAMILY, 1, "wgnet0", peers, 2,
					     &used, &done), -EINVAL);
	assert_int_equal(wg_backend_kernel.set_peers(&wg_backend_kernel, "wgnet0", peers, 2),
			 -EINVAL);		/* checked before any socket */
	peers[1].allowed_ips[1].len = 32;
	peers[1].endpoint.ss_family = AF_UNIX;
	assert_int_equal(wg_genl_build_peers(buf, sizeof(buf), FAMILY, 1, "wgnet0", peers, 2,
					     &used, &done), -EAFNOSUPPORT);
	assert_int_equal(used, 7);		/* out-parameters untouched on failure */
	assert_int_equal(done, 0);
	free_peers(peers, 2);
}

/* ----- set_device message ----- */

static void test_build_device(void **state)
{
	const struct nlattr *tb[WGDEVICE_A_MAX + 1] = { 0 };
	struct table t = { tb, WGDEVICE_A_MAX, 0, false };
	_Alignas(struct nlmsghdr) unsigned char buf[512];
	struct wg_device dev = { .ifname = "wgnet0", .has_private_key = true,
				 .listen_port = 51820 };
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int len;

	(void)state;
	key_of(dev.private_key, 42, 9);
	len = wg_genl_build_device(buf, sizeof(buf), FAMILY, 5, &dev);
	assert_true(len > 0);
	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(((const struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd,
			 WG_CMD_SET_DEVICE);
	assert_int_equal(mnl_attr_parse(nlh, GENL_HDRLEN, table_cb, &t), MNL_CB_OK);
	assert_false(t.unknown);
	assert_int_equal(t.count, 3);
	assert_string_equal(mnl_attr_get_str(tb[WGDEVICE_A_IFNAME]), "wgnet0");
	assert_int_equal(mnl_attr_get_payload_len(tb[WGDEVICE_A_PRIVATE_KEY]), WG_KEY_LEN);
	assert_memory_equal(mnl_attr_get_payload(tb[WGDEVICE_A_PRIVATE_KEY]), dev.private_key,
			    WG_KEY_LEN);
	assert_int_equal(mnl_attr_get_u16(tb[WGDEVICE_A_LISTEN_PORT]), 51820);

	/* neither key nor port: only the name */
	dev.has_private_key = false;
	dev.listen_port = 0;
	memset(tb, 0, sizeof(tb));
	t.count = 0;
	len = wg_genl_build_device(buf, sizeof(buf), FAMILY, 6, &dev);
	assert_true(len > 0);
	assert_int_equal(mnl_attr_parse(nlh, GENL_HDRLEN, table_cb, &t), MNL_CB_OK);
	assert_int_equal(t.count, 1);
	assert_non_null(tb[WGDEVICE_A_IFNAME]);
	assert_int_equal(wg_genl_build_device(buf, 24, FAMILY, 7, &dev), -EMSGSIZE);

	len = wg_genl_build_get(buf, sizeof(buf), FAMILY, 8, "wgnet0");
	assert_true(len > 0);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	assert_int_equal(((const struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd,
			 WG_CMD_GET_DEVICE);
	explicit_bzero(buf, sizeof(buf));
}

/* ----- get_device replies, written the way the kernel splits them ----- */

static struct nlmsghdr *reply_start(unsigned char *buf, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = FAMILY;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = WG_CMD_GET_DEVICE;
	genl->version = WG_GENL_VERSION;
	return nlh;
}

static void reply_put_ip(struct nlmsghdr *nlh, uint16_t family, const void *addr, uint8_t cidr)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, 0);

	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, family);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, family == AF_INET ? 4 : 16, addr);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, cidr);
	mnl_attr_nest_end(nlh, nest);
}

/* peer p with its allowed IPs [from, to); the details only when from is 0, like the kernel */
static void reply_put_peer(struct nlmsghdr *nlh, const struct wg_peer *p, size_t from, size_t to,
			   bool with_v6)
{
	struct __kernel_timespec ts = { .tv_sec = p->last_handshake_sec, .tv_nsec = 5 };
	static const uint8_t v6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct nlattr *peer = mnl_attr_nest_start(nlh, 0);
	struct nlattr *ips;
	uint32_t addr;
	size_t j;

	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, p->public_key);
	if (from == 0) {
		mnl_attr_put(nlh, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN, p->public_key);
		mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), &ts);
		mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p->keepalive);
		mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, p->tx_bytes);
		mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, p->rx_bytes);
		mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
		if (p->endpoint.ss_family == AF_INET)
			mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(struct sockaddr_in),
				     &p->endpoint);
		else if (p->endpoint.ss_family == AF_INET6)
			mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(struct sockaddr_in6),
				     &p->endpoint);
	}
	ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	for (j = from; j < to; j++) {
		if (with_v6 && j == from)
			reply_put_ip(nlh, AF_INET6, v6, 64);	/* skipped by the parser */
		addr = htonl(p->allowed_ips[j].addr);
		reply_put_ip(nlh, AF_INET, &addr, p->allowed_ips[j].len);
	}
	mnl_attr_nest_end(nlh, ips);
	mnl_attr_nest_end(nlh, peer);
}

static void check_device(const struct wg_device *dev, const struct wg_peer *peers, size_t n,
			 const uint8_t *priv, const uint8_t *pub)
{
	size_t i, j;

	assert_string_equal(dev->ifname, "wgnet0");
	assert_true(dev->has_private_key);
	assert_memory_equal(dev->private_key, priv, WG_KEY_LEN);
	assert_memory_equal(dev->public_key, pub, WG_KEY_LEN);
	assert_int_equal(dev->listen_port, 51820);
	assert_int_equal(dev->npeers, n);
	for (i = 0; i < n; i++) {
		const struct wg_peer *got = &dev->peers[i], *want = &peers[i];

		assert_memory_equal(got->public_key, want->public_key, WG_KEY_LEN);
		assert_int_equal(got->endpoint.ss_family, want->endpoint.ss_family);
		assert_memory_equal(&got->endpoint, &want->endpoint, sizeof(got->endpoint));
		assert_int_equal(got->keepalive, want->keepalive);
		assert_int_equal(got->last_handshake_sec, want->last_handshake_sec);
		assert_int_equal(got->rx_bytes, want->rx_bytes);
		assert_int_equal(got->tx_bytes, want->tx_bytes);
		assert_false(got->remove);
		assert_int_equal(got->nallowed_ips, want->nallowed_ips);
		for (j = 0; j < want->nallowed_ips; j++) {
			assert_int_equal(got->allowed_ips[j].addr, want->allowed_ips[j].addr);
			assert_int_equal(got->allowed_ips[j].len, want->allowed_ips[j].len);
		}
	}
}

/*
 * 300 peers, 10 to a message; the last of each message is cut after its first allowed IP and
 * goes on at the start of the next one under the same key. Every few peers also carry an IPv6
 * allowed IP, which the parser skips.
 */
static void test_parse_device(void **state)
{
	const size_t n = 300, per_msg = 10, nips = 5;
	unsigned char *buf = calloc(1, 1 << 20);
	struct wg_peer *peers = make_peers(n, nips);
	struct wg_genl_dump d = { .family = FAMILY };
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	size_t off = 0, i, m;
	struct nlmsghdr *nlh;
	struct nlattr *all;
	int zero = 0;

	(void)state;
	assert_non_null(buf);
	key_of(priv, 1, 50);
	key_of(pub, 2, 60);
	for (i = 0; i < n; i++) {
		peers[i].last_handshake_sec = i % 4 ? 1700000000 + (int64_t)i : 0;
		peers[i].rx_bytes = (uint64_t)i << 33 | 1;
		peers[i].tx_bytes = (uint64_t)i * 1000;
		peers[i].replace_allowed_ips = false;	/* not read back */
	}
	for (m = 0; m * per_msg < n; m++) {
		nlh = reply_start(buf + off, 77);
		if (m == 0) {
			mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 12);
			mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wgnet0");
			mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, priv);
			mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, WG_KEY_LEN, pub);
			mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
			mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, 0);
		}
		all = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
		for (i = m * per_msg; i < n && i < (m + 1) * per_msg; i++) {
			bool cut = i == (m + 1) * per_msg - 1 && i + 1 < n;

			reply_put_peer(nlh, &peers[i], 0, cut ? 1 : nips, i % 7 == 0);
		}
		if (i < n) {
			/* the continuation opens the next message */
			mnl_attr_nest_end(nlh, all);
			off += nlh->nlmsg_len;
			nlh = reply_start(buf + off, 77);
			all = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
			reply_put_peer(nlh, &peers[i - 1], 1, 3, false);
			mnl_attr_nest_end(nlh, all);
			off += nlh->nlmsg_len;
			nlh = reply_start(buf + off, 77);
			all = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
			reply_put_peer(nlh, &peers[i - 1], 3, nips, false);
		}
		mnl_attr_nest_end(nlh, all);
		off += nlh->nlmsg_len;
	}
	nlh = mnl_nlmsg_put_header(buf + off);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = 77;
	mnl_nlmsg_put_extra_header(nlh, sizeof(zero));
	off += nlh->nlmsg_len;

	assert_int_equal(mnl_cb_run(buf, off, 77, 0, wg_genl_parse_device, &d), MNL_CB_STOP);
	assert_int_equal(d.err, 0);
	check_device(&d.dev, peers, n, priv, pub);
	assert_int_equal(d.dev.peers[0].endpoint.ss_family, AF_INET);
	assert_int_equal(d.dev.peers[1].endpoint.ss_family, AF_INET6);
	assert_int_equal(d.dev.peers[2].endpoint.ss_family, AF_UNSPEC);

	wg_device_release(&d.dev);
	assert_null(d.dev.peers);
	assert_int_equal(d.dev.npeers, 0);
	for (i = 0; i < WG_KEY_LEN; i++)
		assert_int_equal(d.dev.private_key[i], 0);
	free_peers(peers, n);
	free(buf);
}

static int parse_one(void (*put)(struct nlmsghdr *nlh), struct wg_genl_dump *d)
{
	_Alignas(struct nlmsghdr) unsigned char buf[1024] = { 0 };
	struct nlmsghdr *nlh = reply_start(buf, 1);

	put(nlh);
	*d = (struct wg_genl_dump){ .family = FAMILY };
	return wg_genl_parse_device(nlh, d);
}

static void put_short_key(struct nlmsghdr *nlh)
{
	struct nlattr *all = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	struct nlattr *peer = mnl_attr_nest_start(nlh, 0);

	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 31, "0123456789012345678901234567890");
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, all);
}

static void put_bad_cidr(struct nlmsghdr *nlh)
{
	struct nlattr *all = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	struct nlattr *peer = mnl_attr_nest_start(nlh, 0);
	uint8_t key[WG_KEY_LEN] = { 1 };
	struct nlattr *ips;
	uint32_t addr = 0;

	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, key);
	ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	reply_put_ip(nlh, AF_INET, &addr, 33);
	mnl_attr_nest_end(nlh, ips);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, all);
}

static void put_short_port(struct nlmsghdr *nlh)
{
	mnl_attr_put_u8(nlh, WGDEVICE_A_LISTEN_PORT, 1);
}

static void put_long_name(struct nlmsghdr *nlh)
{
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "a-name-longer-than-ifnamsiz");
}

static void put_bad_endpoint(struct nlmsghdr *nlh)
{
	struct nlattr *all = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	struct nlattr *peer = mnl_attr_nest_start(nlh, 0);
	uint8_t key[WG_KEY_LEN] = { 2 };
	struct sockaddr_in in = { .sin_family = AF_INET6 };	/* family and length disagree */

	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, key);
	mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(in), &in);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, all);
}

static void test_parse_bad(void **state)
{
	struct wg_genl_dump d;

	(void)state;
	assert_int_equal(parse_one(put_short_key, &d), MNL_CB_ERROR);
	assert_int_equal(d.err, -EPROTO);
	wg_device_release(&d.dev);
	assert_int_equal(parse_one(put_bad_cidr, &d), MNL_CB_ERROR);
	assert_int_equal(d.err, -EPROTO);
	wg_device_release(&d.dev);
	assert_int_equal(parse_one(put_short_port, &d), MNL_CB_ERROR);
	assert_int_equal(d.err, -EPROTO);
	wg_device_release(&d.dev);
	assert_int_equal(parse_one(put_long_name, &d), MNL_CB_ERROR);
	assert_int_equal(d.err, -EPROTO);
	wg_device_release(&d.dev);

	/* an endpoint that makes no sense is dropped, the peer kept */
	assert_int_equal(parse_one(put_bad_endpoint, &d), MNL_CB_OK);
	assert_int_equal(d.dev.npeers, 1);
	assert_int_equal(d.dev.peers[0].endpoint.ss_family, AF_UNSPEC);
	wg_device_release(&d.dev);

	/* another family's message is refused */
	{
		_Alignas(struct nlmsghdr) unsigned char buf[64] = { 0 };
		struct nlmsghdr *nlh = reply_start(buf, 1);

		d = (struct wg_genl_dump){ .family = FAMILY + 1 };
		assert_int_equal(wg_genl_parse_device(nlh, &d), MNL_CB_ERROR);
		assert_int_equal(d.err, -EPROTO);
	}
}

/* ----- the kernel here: no root needed for the family lookup ----- */

static void test_available(void **state)
{
	struct wg_device dev = { 0 };
	struct wg_peer peer = { 0 };
	int ret, want;

	(void)state;
	ret = wg_genl_available();
	/* after the lookup: it may have loaded the module */
	want = access("/sys/module/wireguard", F_OK) == 0 ? 0 : -EPROTONOSUPPORT;
	assert_int_equal(ret, want);
	if (want == 0)
		return;
	/* every operation says so too, and leaves its out-parameter alone */
	dev.listen_port = 7;
	assert_int_equal(wg_backend_kernel.get_device(&wg_backend_kernel, "wgnet0", &dev),
			 -EPROTONOSUPPORT);
	assert_int_equal(dev.listen_port, 7);
	assert_null(dev.peers);
	strcpy(dev.ifname, "wgnet0");
	assert_int_equal(wg_backend_kernel.set_device(&wg_backend_kernel, &dev), -EPROTONOSUPPORT);
	assert_int_equal(wg_backend_kernel.set_peers(&wg_backend_kernel, "wgnet0", &peer, 1),
			 -EPROTONOSUPPORT);
	assert_int_equal(wg_backend_kernel.set_peers(&wg_backend_kernel, "wgnet0", &peer, 0), 0);
	assert_int_equal(wg_backend_kernel.get_device(&wg_backend_kernel, "", &dev), -EINVAL);
	assert_string_equal(wg_backend_kernel.name, "kernel");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thousand_peers),
		cmocka_unit_test(test_split_peer),
		cmocka_unit_test(test_remove_peers),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_build_device),
		cmocka_unit_test(test_parse_device),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_available),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
