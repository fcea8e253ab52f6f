/* SPDX-License-Identifier: MIT */
/*
 * Kernel backend of wg.h: the `wireguard` generic netlink family. Each call opens its own
 * NETLINK_GENERIC socket and resolves the family; ENOENT there means this kernel has no
 * WireGuard, reported as -EPROTONOSUPPORT so that the driver can fall back to userspace.
 * Peers are only ever added, updated or removed one by one (never WGDEVICE_F_REPLACE_PEERS):
 * the live ones stay.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>

#include "netlink/wg.h"
#include "netlink/wg_genl.h"

/* the kernel sizes a dump's messages by the reader's buffer, up to 32 KiB */
#define RECV_BUF 32768
#define GET_TRIES 5			/* dumps interrupted by a concurrent change are redone */
#define SMALL_MSG 256			/* family lookup, get request, set_device */

_Static_assert(WG_GENL_MSG_MAX < 65536, "a nest's length is 16 bits");

struct genl {
	struct mnl_socket *nl;
	uint16_t family;
	uint32_t seq;
	uint32_t portid;
	char *buf;			/* RECV_BUF */
};

struct attr_table {
	const struct nlattr **tb;
	uint16_t max;
};

static bool ifname_valid(const char *name)
{
	size_t len = name ? strnlen(name, IFNAMSIZ) : 0;

	return len > 0 && len < IFNAMSIZ;
}

/* ----- building ----- */

static struct nlmsghdr *put_header(void *buf, size_t size, uint16_t type, uint32_t seq,
				   uint16_t flags, uint8_t cmd, uint8_t version)
{
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;

	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*genl)))
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

int wg_genl_build_device(void *buf, size_t size, uint16_t family, uint32_t seq,
			 const struct wg_device *dev)
{
	struct nlmsghdr *nlh;

	if (!ifname_valid(dev->ifname))
		return -EINVAL;
	nlh = put_header(buf, size, family, seq, NLM_F_ACK, WG_CMD_SET_DEVICE, WG_GENL_VERSION);
	if (!nlh || !mnl_attr_put_strz_check(nlh, size, WGDEVICE_A_IFNAME, dev->ifname))
		return -EMSGSIZE;
	if (dev->has_private_key &&
	    !mnl_attr_put_check(nlh, size, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, dev->private_key))
		return -EMSGSIZE;
	if (dev->listen_port &&
	    !mnl_attr_put_u16_check(nlh, size, WGDEVICE_A_LISTEN_PORT, dev->listen_port))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int wg_genl_build_get(void *buf, size_t size, uint16_t family, uint32_t seq, const char *ifname)
{
	struct nlmsghdr *nlh;

	if (!ifname_valid(ifname))
		return -EINVAL;
	nlh = put_header(buf, size, family, seq, NLM_F_DUMP, WG_CMD_GET_DEVICE, WG_GENL_VERSION);
	if (!nlh || !mnl_attr_put_strz_check(nlh, size, WGDEVICE_A_IFNAME, ifname))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

/* a removed peer sends no allowed IPs whatever it holds */
static size_t peer_nips(const struct wg_peer *p)
{
	return p->remove ? 0 : p->nallowed_ips;
}

static bool put_allowed_ip(struct nlmsghdr *nlh, size_t size, const struct wg_allowed_ip *ip)
{
	uint32_t addr = htonl(ip->addr);
	struct nlattr *nest;

	nest = mnl_attr_nest_start_check(nlh, size, 0);
	if (!nest)
		return false;
	if (!mnl_attr_put_u16_check(nlh, size, WGALLOWEDIP_A_FAMILY, AF_INET) ||
	    !mnl_attr_put_check(nlh, size, WGALLOWEDIP_A_IPADDR, sizeof(addr), &addr) ||
	    !mnl_attr_put_u8_check(nlh, size, WGALLOWEDIP_A_CIDR_MASK, ip->len)) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	mnl_attr_nest_end(nlh, nest);
	return true;
}

/*
 * The attributes of p inside an open peer nest, with its allowed IPs from first on: how many of
 * those fit, or -EMSGSIZE if the peer's own attributes do not. A continuation (first > 0)
 * carries only the key and more allowed IPs, so it never replaces the earlier ones.
 */
static long put_peer(struct nlmsghdr *nlh, size_t size, const struct wg_peer *p, size_t first)
{
	uint32_t flags = 0;
	struct nlattr *ips;
	size_t len = 0, i;

	if (!mnl_attr_put_check(nlh, size, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, p->public_key))
		return -EMSGSIZE;
	if (p->remove)
		return mnl_attr_put_u32_check(nlh, size, WGPEER_A_FLAGS, WGPEER_F_REMOVE_ME) ?
			       0 : -EMSGSIZE;
	if (first == 0) {
		if (p->replace_allowed_ips)
			flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
		if (p->endpoint.ss_family == AF_INET)
			len = sizeof(struct sockaddr_in);
		else if (p->endpoint.ss_family == AF_INET6)
			len = sizeof(struct sockaddr_in6);
		if (!mnl_attr_put_u32_check(nlh, size, WGPEER_A_FLAGS, flags) ||
		    !mnl_attr_put_u16_check(nlh, size, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
					    p->keepalive) ||
		    (len && !mnl_attr_put_check(nlh, size, WGPEER_A_ENDPOINT, len, &p->endpoint)))
			return -EMSGSIZE;
	}
	if (first >= p->nallowed_ips)
		return 0;
	ips = mnl_attr_nest_start_check(nlh, size, WGPEER_A_ALLOWEDIPS);
	if (!ips)
		return 0;
	for (i = first; i < p->nallowed_ips; i++)
		if (!put_allowed_ip(nlh, size, &p->allowed_ips[i]))
			break;
	if (i == first)
		mnl_attr_nest_cancel(nlh, ips);
	else
		mnl_attr_nest_end(nlh, ips);
	return (long)(i - first);
}

int wg_genl_build_peers(void *buf, size_t size, uint16_t family, uint32_t seq, const char *ifname,
			const struct wg_peer *peers, size_t n, size_t *consumed,
			size_t *allowed_done)
{
	size_t i, first = *allowed_done;
	struct nlattr *all, *one;
	struct nlmsghdr *nlh;
	long fit;
	int ret;

	if (!ifname_valid(ifname) || n == 0 || first > peer_nips(&peers[0]))
		return -EINVAL;
	nlh = put_header(buf, size, family, seq, NLM_F_ACK, WG_CMD_SET_DEVICE, WG_GENL_VERSION);
	if (!nlh || !mnl_attr_put_strz_check(nlh, size, WGDEVICE_A_IFNAME, ifname))
		return -EMSGSIZE;
	all = mnl_attr_nest_start_check(nlh, size, WGDEVICE_A_PEERS);
	if (!all)
		return -EMSGSIZE;
	for (i = 0; i < n; i++, first = 0) {
		if (first == 0) {
			ret = wg_peer_check(&peers[i]);
			if (ret < 0)
				return ret;
		}
		one = mnl_attr_nest_start_check(nlh, size, 0);
		fit = one ? put_peer(nlh, size, &peers[i], first) : -EMSGSIZE;
		if (fit >= 0 && first + (size_t)fit == peer_nips(&peers[i])) {
			mnl_attr_nest_end(nlh, one);
			continue;
		}
		if (i == 0 && fit > 0) {	/* too big for any message: split it */
			mnl_attr_nest_end(nlh, one);
			first += (size_t)fit;
			break;
		}
		if (one)			/* the next message starts with this peer */
			mnl_attr_nest_cancel(nlh, one);
		if (i == 0)
			return -EMSGSIZE;
		break;
	}
	mnl_attr_nest_end(nlh, all);
	*consumed = i;
	*allowed_done = first;
	return (int)nlh->nlmsg_len;
}

/* ----- parsing ----- */

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

/* ----- the socket ----- */

/* NLMSG_ERROR (an ack when 0) and NLMSG_DONE (a dump's end, maybe with an error) */
static int genl_ctl_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e;
	int err;

	(void)data;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
			errno = EBADMSG;
			return MNL_CB_ERROR;
		}
		e = mnl_nlmsg_get_payload(nlh);
		err = e->error;
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		err = 0;
		if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
			memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	} else {
		return MNL_CB_OK;		/* NLMSG_NOOP and the like */
	}
	if (err == 0)
		return MNL_CB_STOP;
	errno = err < 0 ? -err : err;
	return MNL_CB_ERROR;
}

/* Send nlh, then read until its ack or the end of its dump; cb sees every data message. */
static int genl_talk(struct genl *g, const struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE];
	ssize_t len;
	size_t i;
	int ret;

	for (i = 0; i < NLMSG_MIN_TYPE; i++)
		ctl[i] = genl_ctl_cb;
	if (mnl_socket_sendto(g->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(g->nl, g->buf, RECV_BUF);
		if (len < 0)
			return -errno;
		ret = mnl_cb_run2(g->buf, (size_t)len, nlh->nlmsg_seq, g->portid, cb, data, ctl,
				  NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

static int genl_family_cb(const struct nlmsghdr *nlh, void *data)
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

static void genl_close(struct genl *g)
{
	if (g->buf) {
		explicit_bzero(g->buf, RECV_BUF);	/* a reply may have held the private key */
		free(g->buf);
	}
	if (g->nl)
		mnl_socket_close(g->nl);
	*g = (struct genl){ 0 };
}

/* A bound socket and the wireguard family's id. */
static int genl_open(struct genl *g)
{
	_Alignas(struct nlmsghdr) char req[SMALL_MSG];
	struct nlmsghdr *nlh;
	int one = 1;
	int ret;

	*g = (struct genl){ .seq = (uint32_t)time(NULL) };
	g->buf = malloc(RECV_BUF);
	if (!g->buf)
		return -ENOMEM;
	g->nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!g->nl) {
		ret = -errno;
		goto out;
	}
	/* error acks quote only the header: a 16 KiB request needs no 16 KiB answer */
	(void)mnl_socket_setsockopt(g->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(g->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	g->portid = mnl_socket_get_portid(g->nl);
	nlh = put_header(req, sizeof(req), GENL_ID_CTRL, g->seq++, NLM_F_ACK, CTRL_CMD_GETFAMILY,
			 1);
	ret = -EMSGSIZE;
	if (!nlh || !mnl_attr_put_strz_check(nlh, sizeof(req), CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME))
		goto out;
	ret = genl_talk(g, nlh, genl_family_cb, &g->family);
	if (ret == -ENOENT)
		ret = -EPROTONOSUPPORT;
	else if (ret == 0 && g->family == 0)
		ret = -EPROTO;
out:
	if (ret < 0)
		genl_close(g);
	return ret;
}

int wg_genl_available(void)
{
	struct genl g;
	int ret;

	ret = genl_open(&g);
	if (ret == 0)
		genl_close(&g);
	return ret;
}

/* ----- the backend ----- */

static int kernel_set_device(const struct wg_backend *b, const struct wg_device *dev)
{
	_Alignas(struct nlmsghdr) char buf[SMALL_MSG];
	struct genl g;
	int ret;

	(void)b;
	if (!ifname_valid(dev->ifname))
		return -EINVAL;
	ret = genl_open(&g);
	if (ret < 0)
		return ret;
	ret = wg_genl_build_device(buf, sizeof(buf), g.family, g.seq++, dev);
	if (ret >= 0)
		ret = genl_talk(&g, (struct nlmsghdr *)buf, NULL, NULL);
	explicit_bzero(buf, sizeof(buf));	/* held the private key */
	genl_close(&g);
	return ret;
}

static int kernel_set_peers(const struct wg_backend *b, const char *ifname,
			    const struct wg_peer *peers, size_t n)
{
	size_t i, used, done = 0;
	struct genl g = { 0 };
	void *buf = NULL;
	int ret;

	(void)b;
	if (!ifname_valid(ifname))
		return -EINVAL;
	ret = wg_peers_check(peers, n);
	if (ret < 0)
		return ret;
	if (n == 0)
		return 0;
	buf = malloc(WG_GENL_MSG_MAX);
	if (!buf)
		return -ENOMEM;
	ret = genl_open(&g);
	if (ret < 0)
		goto out;
	for (i = 0; i < n; i += used) {
		ret = wg_genl_build_peers(buf, WG_GENL_MSG_MAX, g.family, g.seq++, ifname,
					  peers + i, n - i, &used, &done);
		if (ret < 0)
			goto out;
		ret = genl_talk(&g, buf, NULL, NULL);
		if (ret < 0)
			goto out;
	}
out:
	genl_close(&g);
	free(buf);
	return ret;
}

static int get_device_once(const char *ifname, struct wg_device *out)
{
	_Alignas(struct nlmsghdr) char req[SMALL_MSG];
	struct wg_genl_dump d = { 0 };
	struct genl g;
	int ret;

	ret = genl_open(&g);
	if (ret < 0)
		return ret;
	d.family = g.family;
	ret = wg_genl_build_get(req, sizeof(req), g.family, g.seq++, ifname);
	if (ret < 0)
		goto out;
	ret = genl_talk(&g, (struct nlmsghdr *)req, wg_genl_parse_device, &d);
	if (ret < 0 && d.err)
		ret = d.err;
	if (ret < 0)
		goto out;
	if (!d.dev.ifname[0])
		memcpy(d.dev.ifname, ifname, strlen(ifname) + 1);
	*out = d.dev;
	d.dev = (struct wg_device){ 0 };
out:
	wg_device_release(&d.dev);
	genl_close(&g);
	return ret;
}

static int kernel_get_device(const struct wg_backend *b, const char *ifname,
			     struct wg_device *out)
{
	int ret = -EINTR;
	int i;

	(void)b;
	if (!ifname_valid(ifname))
		return -EINVAL;
	/* libmnl fails a dump with EINTR when peers changed during it: read it again */
	for (i = 0; i < GET_TRIES && ret == -EINTR; i++)
		ret = get_device_once(ifname, out);
	return ret;
}

const struct wg_backend wg_backend_kernel = {
	.name = "kernel",
	.set_device = kernel_set_device,
	.set_peers = kernel_set_peers,
	.get_device = kernel_get_device,
};
