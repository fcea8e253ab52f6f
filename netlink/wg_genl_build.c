/* SPDX-License-Identifier: MIT */
/*
 * The requests of the kernel backend (wg_genl.c), built into the caller's buffer: the family
 * lookup, WG_CMD_GET_DEVICE, and WG_CMD_SET_DEVICE for the device or for peers, as many peers
 * per message as fit. Peers are only ever added, updated or removed one by one (never
 * WGDEVICE_F_REPLACE_PEERS): the live ones stay.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>

#include "netlink/wg.h"
#include "netlink/wg_genl_build.h"

_Static_assert(WG_GENL_MSG_MAX < 65536, "a nest's length is 16 bits");

int wg_genl_build_check_ifname(const char *ifname)
{
	size_t len = ifname ? strnlen(ifname, IFNAMSIZ) : 0;

	return len > 0 && len < IFNAMSIZ ? 0 : -EINVAL;
}

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

int wg_genl_build_family(void *buf, size_t size, uint32_t seq)
{
	struct nlmsghdr *nlh;

	nlh = put_header(buf, size, GENL_ID_CTRL, seq, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	if (!nlh || !mnl_attr_put_strz_check(nlh, size, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int wg_genl_build_device(void *buf, size_t size, uint16_t family, uint32_t seq,
			 const struct wg_device *dev)
{
	struct nlmsghdr *nlh;

	if (wg_genl_build_check_ifname(dev->ifname) < 0)
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

	if (wg_genl_build_check_ifname(ifname) < 0)
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

	if (wg_genl_build_check_ifname(ifname) < 0 || n == 0 || first > peer_nips(&peers[0]))
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
