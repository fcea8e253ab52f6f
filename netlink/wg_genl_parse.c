/* SPDX-License-Identifier: MIT */
/*
 * The replies of the kernel backend (wg_genl.c), read as libmnl callbacks: the family lookup's,
 * and a WG_CMD_GET_DEVICE dump merged into one wg_device. Each attribute's type and length is
 * checked before it is read; unknown ids are skipped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>

#include "netlink/wg.h"
#include "netlink/wg_genl_parse.h"

struct attr_table {
	const struct nlattr **tb;
	uint16_t max;
};

static int attr_table_cb(const struct nlattr *a, void *data)
{
	const struct attr_table *t = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

static bool attr_ok(const struct nlattr *a, enum mnl_attr_data_type type, size_t len)
{
	return mnl_attr_validate2(a, type, len) == 0;
}

static struct wg_peer *dump_add_peer(struct wg_genl_dump *d)
{
	struct wg_peer *peers;
	size_t cap;

	if (d->dev.npeers == d->peers_cap) {
		cap = d->peers_cap ? d->peers_cap * 2 : 16;
		peers = reallocarray(d->dev.peers, cap, sizeof(*peers));
		if (!peers)
			return NULL;
		d->dev.peers = peers;
		d->peers_cap = cap;
	}
	d->ips_cap = 0;
	peers = &d->dev.peers[d->dev.npeers++];
	*peers = (struct wg_peer){ 0 };		/* AF_UNSPEC: no endpoint */
	return peers;
}

static int dump_add_ip(struct wg_genl_dump *d, struct wg_peer *p, uint32_t addr, uint8_t len)
{
	struct wg_allowed_ip *ips;
	size_t cap;

	if (p->nallowed_ips == d->ips_cap) {
		cap = d->ips_cap ? d->ips_cap * 2 : 4;
		ips = reallocarray(p->allowed_ips, cap, sizeof(*ips));
		if (!ips)
			return -ENOMEM;
		p->allowed_ips = ips;
		d->ips_cap = cap;
	}
	p->allowed_ips[p->nallowed_ips++] = (struct wg_allowed_ip){ .addr = addr, .len = len };
	return 0;
}

static int parse_allowed_ip(struct wg_genl_dump *d, struct wg_peer *p, const struct nlattr *nest)
{
	const struct nlattr *tb[WGALLOWEDIP_A_MAX + 1] = { 0 };
	struct attr_table t = { tb, WGALLOWEDIP_A_MAX };
	uint32_t addr;
	uint8_t len;

	if (mnl_attr_parse_nested(nest, attr_table_cb, &t) < 0)
		return -EPROTO;
	if (!tb[WGALLOWEDIP_A_FAMILY] || !attr_ok(tb[WGALLOWEDIP_A_FAMILY], MNL_TYPE_U16, 2) ||
	    !tb[WGALLOWEDIP_A_IPADDR] || !tb[WGALLOWEDIP_A_CIDR_MASK] ||
	    !attr_ok(tb[WGALLOWEDIP_A_CIDR_MASK], MNL_TYPE_U8, 1))
		return -EPROTO;
	if (mnl_attr_get_u16(tb[WGALLOWEDIP_A_FAMILY]) != AF_INET)
		return 0;			/* IPv6 is not ours */
	len = mnl_attr_get_u8(tb[WGALLOWEDIP_A_CIDR_MASK]);
	if (!attr_ok(tb[WGALLOWEDIP_A_IPADDR], MNL_TYPE_BINARY, sizeof(addr)) || len > 32)
		return -EPROTO;
	memcpy(&addr, mnl_attr_get_payload(tb[WGALLOWEDIP_A_IPADDR]), sizeof(addr));
	return dump_add_ip(d, p, ntohl(addr), len);
}

static void parse_endpoint(struct wg_peer *p, const struct nlattr *a)
{
	uint16_t len = mnl_attr_get_payload_len(a);
	sa_family_t family;

	if (len < sizeof(family))
		return;
	memcpy(&family, mnl_attr_get_payload(a), sizeof(family));
	if ((family == AF_INET && len == sizeof(struct sockaddr_in)) ||
	    (family == AF_INET6 && len == sizeof(struct sockaddr_in6))) {
		memset(&p->endpoint, 0, sizeof(p->endpoint));
		memcpy(&p->endpoint, mnl_attr_get_payload(a), len);
	}
}

static int parse_peer(struct wg_genl_dump *d, const struct nlattr *nest)
{
	const struct nlattr *tb[WGPEER_A_MAX + 1] = { 0 };
	struct attr_table t = { tb, WGPEER_A_MAX };
	struct __kernel_timespec ts;
	const uint8_t *key;
	struct nlattr *ip;
	struct wg_peer *p;
	int ret;

	if (mnl_attr_parse_nested(nest, attr_table_cb, &t) < 0)
		return -EPROTO;
	if (!tb[WGPEER_A_PUBLIC_KEY] ||
	    !attr_ok(tb[WGPEER_A_PUBLIC_KEY], MNL_TYPE_BINARY, WG_KEY_LEN))
		return -EPROTO;
	if ((tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL] &&
	     !attr_ok(tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL], MNL_TYPE_U16, 2)) ||
	    (tb[WGPEER_A_LAST_HANDSHAKE_TIME] &&
	     !attr_ok(tb[WGPEER_A_LAST_HANDSHAKE_TIME], MNL_TYPE_BINARY, sizeof(ts))) ||
	    (tb[WGPEER_A_RX_BYTES] && !attr_ok(tb[WGPEER_A_RX_BYTES], MNL_TYPE_U64, 8)) ||
	    (tb[WGPEER_A_TX_BYTES] && !attr_ok(tb[WGPEER_A_TX_BYTES], MNL_TYPE_U64, 8)) ||
	    (tb[WGPEER_A_ALLOWEDIPS] && !attr_ok(tb[WGPEER_A_ALLOWEDIPS], MNL_TYPE_NESTED, 0)))
		return -EPROTO;

	/* the same key as the last peer: its allowed IPs go on from the previous message */
	key = mnl_attr_get_payload(tb[WGPEER_A_PUBLIC_KEY]);
	if (d->dev.npeers && !memcmp(d->dev.peers[d->dev.npeers - 1].public_key, key, WG_KEY_LEN)) {
		p = &d->dev.peers[d->dev.npeers - 1];
	} else {
		p = dump_add_peer(d);
		if (!p)
			return -ENOMEM;
		memcpy(p->public_key, key, WG_KEY_LEN);
	}
	if (tb[WGPEER_A_ENDPOINT])
		parse_endpoint(p, tb[WGPEER_A_ENDPOINT]);
	if (tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL])
		p->keepalive = mnl_attr_get_u16(tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
	if (tb[WGPEER_A_LAST_HANDSHAKE_TIME]) {
		memcpy(&ts, mnl_attr_get_payload(tb[WGPEER_A_LAST_HANDSHAKE_TIME]), sizeof(ts));
		p->last_handshake_sec = ts.tv_sec;
	}
	if (tb[WGPEER_A_RX_BYTES])
		p->rx_bytes = mnl_attr_get_u64(tb[WGPEER_A_RX_BYTES]);
	if (tb[WGPEER_A_TX_BYTES])
		p->tx_bytes = mnl_attr_get_u64(tb[WGPEER_A_TX_BYTES]);
	if (!tb[WGPEER_A_ALLOWEDIPS])
		return 0;
	mnl_attr_for_each_nested(ip, tb[WGPEER_A_ALLOWEDIPS]) {
		ret = parse_allowed_ip(d, p, ip);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int parse_device(struct wg_genl_dump *d, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[WGDEVICE_A_MAX + 1] = { 0 };
	struct attr_table t = { tb, WGDEVICE_A_MAX };
	const struct genlmsghdr *genl;
	const struct nlattr *a;
	struct nlattr *peer;
	int ret;

	if (nlh->nlmsg_type != d->family || mnl_nlmsg_get_payload_len(nlh) < sizeof(*genl))
		return -EPROTO;
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->cmd != WG_CMD_GET_DEVICE ||
	    mnl_attr_parse(nlh, sizeof(*genl), attr_table_cb, &t) < 0)
		return -EPROTO;
	a = tb[WGDEVICE_A_IFNAME];
	if (a) {
		if (!attr_ok(a, MNL_TYPE_NUL_STRING, 0) || mnl_attr_get_payload_len(a) > IFNAMSIZ)
			return -EPROTO;
		memcpy(d->dev.ifname, mnl_attr_get_str(a), mnl_attr_get_payload_len(a));
	}
	a = tb[WGDEVICE_A_PRIVATE_KEY];
	if (a) {
		if (!attr_ok(a, MNL_TYPE_BINARY, WG_KEY_LEN))
			return -EPROTO;
		memcpy(d->dev.private_key, mnl_attr_get_payload(a), WG_KEY_LEN);
		d->dev.has_private_key = true;
	}
	a = tb[WGDEVICE_A_PUBLIC_KEY];
	if (a) {
		if (!attr_ok(a, MNL_TYPE_BINARY, WG_KEY_LEN))
			return -EPROTO;
		memcpy(d->dev.public_key, mnl_attr_get_payload(a), WG_KEY_LEN);
	}
	a = tb[WGDEVICE_A_LISTEN_PORT];
	if (a) {
		if (!attr_ok(a, MNL_TYPE_U16, 2))
			return -EPROTO;
		d->dev.listen_port = mnl_attr_get_u16(a);
	}
	a = tb[WGDEVICE_A_PEERS];
	if (!a)
		return 0;
	if (!attr_ok(a, MNL_TYPE_NESTED, 0))
		return -EPROTO;
	mnl_attr_for_each_nested(peer, a) {
		ret = parse_peer(d, peer);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int wg_genl_parse_device(const struct nlmsghdr *nlh, void *data)
{
	struct wg_genl_dump *d = data;
	int ret;

	ret = parse_device(d, nlh);
	if (ret < 0) {
		d->err = ret;
		errno = -ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int wg_genl_parse_family(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { 0 };
	struct attr_table t = { tb, CTRL_ATTR_MAX };
	uint16_t *family = data;

	if (mnl_attr_parse(nlh, GENL_HDRLEN, attr_table_cb, &t) < 0)
		return MNL_CB_ERROR;
	if (tb[CTRL_ATTR_FAMILY_ID] && attr_ok(tb[CTRL_ATTR_FAMILY_ID], MNL_TYPE_U16, 2))
		*family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return MNL_CB_OK;
}
