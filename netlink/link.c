/* SPDX-License-Identifier: MIT */
/*
 * Links through rtnetlink. Links are addressed by IFLA_IFNAME, which the kernel resolves in the
 * socket's namespace; if_nametoindex() would look in the thread's, which differs for a socket
 * from nl_open_in_netns().
 */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "netlink/link.h"

#define LINK_DUMP_TRIES 3

struct link_vec {
	struct link_info *v;
	size_t n, cap;
};

static bool link_name_ok(const char *name)
{
	return name && name[0] && strlen(name) < IFNAMSIZ;
}

/* A request about one link: an ifinfomsg, and its name unless name is NULL. */
static struct nlmsghdr *link_msg(struct nl *nl, void *buf, uint16_t type, uint16_t flags,
				 const char *name)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, type, flags);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

static int link_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	enum mnl_attr_data_type t;

	if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
		return MNL_CB_OK;
	switch (mnl_attr_get_type(attr)) {
	case IFLA_IFNAME:
		t = MNL_TYPE_NUL_STRING;
		break;
	case IFLA_MTU:
	case IFLA_MASTER:
		t = MNL_TYPE_U32;
		break;
	case IFLA_LINKINFO:
	case IFLA_AF_SPEC:
		t = MNL_TYPE_NESTED;
		break;
	default:
		return MNL_CB_OK;
	}
	if (mnl_attr_validate(attr, t) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int link_info_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, IFLA_INFO_MAX) < 0)
		return MNL_CB_OK;
	if (mnl_attr_get_type(attr) != IFLA_INFO_KIND ||
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_OK;
	tb[IFLA_INFO_KIND] = attr;
	return MNL_CB_OK;
}

/* IFLA_AF_SPEC: IPv6 address generation off, or no IPv6 in this kernel at all */
static bool link_ipv6_none(const struct nlattr *spec)
{
	const struct nlattr *af, *a;

	if (!spec)
		return true;
	mnl_attr_for_each_nested(af, spec) {
		if (mnl_attr_get_type(af) != AF_INET6)
			continue;
		mnl_attr_for_each_nested(a, af)
			if (mnl_attr_get_type(a) == IFLA_INET6_ADDR_GEN_MODE &&
			    mnl_attr_validate(a, MNL_TYPE_U8) == 0)
				return mnl_attr_get_u8(a) == IN6_ADDR_GEN_MODE_NONE;
		return false;
	}
	return true;
}

/* -ENOENT: not a link message this parser can use. */
static int link_parse(const struct nlmsghdr *nlh, struct link_info *li)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	const struct nlattr *info[IFLA_INFO_MAX + 1] = { 0 };
	const struct ifinfomsg *ifi;
	const char *name;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg))
		return -ENOENT;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr, tb) < MNL_CB_STOP || !tb[IFLA_IFNAME])
		return -ENOENT;
	name = mnl_attr_get_str(tb[IFLA_IFNAME]);
	if (strlen(name) >= IFNAMSIZ)
		return -ENOENT;
	memset(li, 0, sizeof(*li));
	memcpy(li->name, name, strlen(name) + 1);
	li->index = ifi->ifi_index;
	li->up = ifi->ifi_flags & IFF_UP;
	if (tb[IFLA_MTU])
		li->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_MASTER])
		li->master = (int)mnl_attr_get_u32(tb[IFLA_MASTER]);
	li->ipv6_none = link_ipv6_none(tb[IFLA_AF_SPEC]);
	if (tb[IFLA_LINKINFO] &&
	    mnl_attr_parse_nested(tb[IFLA_LINKINFO], link_info_attr, info) >= MNL_CB_STOP &&
	    info[IFLA_INFO_KIND]) {
		/* truncated if ever longer: kinds we compare are short */
		strncpy(li->kind, mnl_attr_get_str(info[IFLA_INFO_KIND]), sizeof(li->kind) - 1);
	}
	return 0;
}

static int link_kind_create(struct nl *nl, const char *name, const char *kind, unsigned mtu)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *linkinfo;

	if (!link_name_ok(name))
		return -EINVAL;
	nlh = link_msg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	mnl_attr_nest_end(nlh, linkinfo);
	return nl_request(nl, nlh);
}

/* IFLA_INET6_ADDR_GEN_MODE none: no link-local address when the link comes up, so nothing
 * of IPv6 starts on it. A kernel without IPv6 has nothing to stop. */
int link_set_ipv6_none(struct nl *nl, const char *name)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nlattr *spec, *inet6;
	struct nlmsghdr *nlh;
	int ret;

	if (!link_name_ok(name))
		return -EINVAL;
	nlh = link_msg(nl, buf, RTM_SETLINK, 0, name);
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, spec);
	ret = nl_request(nl, nlh);
	return ret == -EAFNOSUPPORT ? 0 : ret;
}

int link_bridge_create(struct nl *nl, const char *name, unsigned mtu)
{
	int ret = link_kind_create(nl, name, "bridge", mtu);

	if (ret < 0)
		return ret;
	ret = link_set_ipv6_none(nl, name);
	if (ret < 0)
		link_del(nl, name);
	return ret;
}

int link_wireguard_create(struct nl *nl, const char *name, unsigned mtu)
{
	return link_kind_create(nl, name, "wireguard", mtu);
}

int link_veth_create(struct nl *nl, const char *host, const char *peer, unsigned mtu,
		     const char *master, const uint8_t peer_mac[6])
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nlattr *linkinfo, *data, *peer_nest;
	struct link_info m;
	struct nlmsghdr *nlh;
	int ret;

	if (!link_name_ok(host) || !link_name_ok(peer))
		return -EINVAL;
	if (master) {
		ret = link_get(nl, master, &m);
		if (ret < 0)
			return ret;
	}
	nlh = link_msg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, host);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	/* in the same message: the kernel removes the pair again if enslaving fails */
	if (master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)m.index);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer_nest = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* the peer's attributes follow an ifinfomsg of its own, zeroed here */
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (peer_mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, peer_mac);
	mnl_attr_nest_end(nlh, peer_nest);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	ret = nl_request(nl, nlh);
	if (ret < 0)
		return ret;
	ret = link_set_ipv6_none(nl, host);
	if (ret == 0)
		ret = link_set_up(nl, host);
	if (ret < 0)
		link_del(nl, host);	/* takes the peer with it: no half-made pair */
	return ret;
}

int link_set_up(struct nl *nl, const char *name)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (!link_name_ok(name))
		return -EINVAL;
	nlh = link_msg(nl, buf, RTM_SETLINK, 0, name);
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_request(nl, nlh);
}

int link_set_mtu(struct nl *nl, const char *name, unsigned mtu)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;

	if (!link_name_ok(name))
		return -EINVAL;
	nlh = link_msg(nl, buf, RTM_SETLINK, 0, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_request(nl, nlh);
}

int link_set_address(struct nl *nl, const char *name, const uint8_t mac[6])
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;

	if (!link_name_ok(name))
		return -EINVAL;
	nlh = link_msg(nl, buf, RTM_SETLINK, 0, name);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	return nl_request(nl, nlh);
}

/* master NULL takes name off its master. */
int link_set_master(struct nl *nl, const char *name, const char *master)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct link_info m = { .index = 0 };
	struct nlmsghdr *nlh;
	int ret;

	if (!link_name_ok(name))
		return -EINVAL;
	if (master) {
		ret = link_get(nl, master, &m);
		if (ret < 0)
			return ret;
	}
	nlh = link_msg(nl, buf, RTM_SETLINK, 0, name);
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)m.index);
	return nl_request(nl, nlh);
}

int link_set_netns(struct nl *nl, const char *name, int netns_fd, const char *new_name)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct link_info li;
	int ret;

	if (!link_name_ok(name) || (new_name && !link_name_ok(new_name)) || netns_fd < 0)
		return -EINVAL;
	if (!new_name) {
		nlh = link_msg(nl, buf, RTM_SETLINK, 0, name);
	} else {
		/* IFLA_IFNAME is the new name here, so the link is addressed by index */
		ret = link_get(nl, name, &li);
		if (ret < 0)
			return ret;
		nlh = link_msg(nl, buf, RTM_SETLINK, 0, new_name);
		((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index = li.index;
	}
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	return nl_request(nl, nlh);
}

int link_del(struct nl *nl, const char *name)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];

	if (!link_name_ok(name))
		return -EINVAL;
	return nl_request(nl, link_msg(nl, buf, RTM_DELLINK, 0, name));
}

struct link_found {
	struct link_info li;
	bool found;
};

static int link_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_found *f = data;

	if (!f->found && link_parse(nlh, &f->li) == 0)
		f->found = true;
	return MNL_CB_OK;
}

/* One link by name, or by index (name NULL): a plain get (NLM_F_ACK), not a dump. */
static int link_get_one(struct nl *nl, const char *name, int index, struct link_info *out)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct link_found f = { .found = false };
	struct nlmsghdr *nlh;
	int ret;

	nlh = link_msg(nl, buf, RTM_GETLINK, NLM_F_ACK, name);
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index = index;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	ret = nl_dump(nl, nlh, link_get_cb, &f);
	if (ret < 0)
		return ret;
	if (!f.found)
		return -ENODEV;
	*out = f.li;
	return 0;
}

int link_get(struct nl *nl, const char *name, struct link_info *out)
{
	if (!link_name_ok(name))
		return -EINVAL;
	return link_get_one(nl, name, 0, out);
}

int link_get_index(struct nl *nl, int index, struct link_info *out)
{
	if (index <= 0)
		return -EINVAL;
	return link_get_one(nl, NULL, index, out);
}

static int link_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_vec *vec = data;
	struct link_info li;
	struct link_info *v;

	if (link_parse(nlh, &li) < 0)
		return MNL_CB_OK;
	if (vec->n == vec->cap) {
		v = reallocarray(vec->v, vec->cap * 2, sizeof(*v));
		if (!v) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		vec->v = v;
		vec->cap *= 2;
	}
	vec->v[vec->n++] = li;
	return MNL_CB_OK;
}

int link_dump(struct nl *nl, struct link_info **out, size_t *n)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct link_vec vec = { .cap = 16 };
	struct nlmsghdr *nlh;
	int ret = -EINTR;

	vec.v = calloc(vec.cap, sizeof(*vec.v));
	if (!vec.v)
		return -ENOMEM;
	/* a dump interrupted by a change may miss links: read it again */
	for (int i = 0; i < LINK_DUMP_TRIES && ret == -EINTR; i++) {
		vec.n = 0;
		nlh = link_msg(nl, buf, RTM_GETLINK, NLM_F_DUMP, NULL);
		mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
		ret = nl_dump(nl, nlh, link_dump_cb, &vec);
	}
	if (ret < 0)
		goto out;
	*out = vec.v;
	*n = vec.n;
	vec.v = NULL;
out:
	free(vec.v);
	return ret;
}
