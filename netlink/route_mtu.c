/* SPDX-License-Identifier: MIT */
/* The MTU towards an address or through the default route, asked from rtnetlink (route_mtu.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "netlink/link.h"
#include "netlink/nl.h"
#include "netlink/route_mtu.h"

struct route_pick {
	bool dflt;			/* a dump: keep the main table's default of lowest metric */
	bool found;
	int oif;
	unsigned mtu;			/* RTAX_MTU, 0 = none */
	uint32_t priority;
};

static int metrics_cb(const struct nlattr *a, void *data)
{
	unsigned *mtu = data;

	if (mnl_attr_get_type(a) == RTAX_MTU && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		*mtu = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, RTA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case RTA_OIF:
	case RTA_TABLE:
	case RTA_PRIORITY:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_OK;
		tb[type] = a;
		break;
	case RTA_METRICS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return MNL_CB_OK;
		tb[type] = a;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct route_pick *p = data;
	const struct rtmsg *rtm;
	uint32_t table, prio;
	unsigned mtu = 0;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_type != RTN_UNICAST || mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb) < 0 ||
	    !tb[RTA_OIF])
		return MNL_CB_OK;	/* unreachable, blackhole, multipath: no single device */
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	prio = tb[RTA_PRIORITY] ? mnl_attr_get_u32(tb[RTA_PRIORITY]) : 0;
	if (p->dflt && (rtm->rtm_dst_len != 0 || table != RT_TABLE_MAIN ||
			(p->found && prio >= p->priority)))
		return MNL_CB_OK;
	if (tb[RTA_METRICS])
		mnl_attr_parse_nested(tb[RTA_METRICS], metrics_cb, &mtu);
	p->found = true;
	p->oif = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	p->mtu = mtu;
	p->priority = prio;
	return MNL_CB_OK;
}

int route_mtu(struct nl *nl, int family, const void *dst, unsigned *mtu, char ifname[IFNAMSIZ])
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct route_pick p = { .dflt = dst == NULL };
	size_t alen = family == AF_INET6 ? 16 : 4;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct link_info li;
	int ret;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	/* a get (acked: the reply, then the ack) towards dst, or a dump of the family's routes */
	nlh = nl_msg_start(nl, buf, RTM_GETROUTE, dst ? NLM_F_ACK : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	if (dst) {
		rtm->rtm_dst_len = (unsigned char)(alen * 8);
		mnl_attr_put(nlh, RTA_DST, alen, dst);
	}
	ret = nl_dump(nl, nlh, route_cb, &p);
	if (ret == -EHOSTUNREACH || ret == -ENETDOWN)
		ret = -ENETUNREACH;
	if (ret < 0)
		return ret;
	if (!p.found)
		return -ENETUNREACH;
	ret = link_get_index(nl, p.oif, &li);
	if (ret < 0)
		return ret;
	*mtu = p.mtu ? p.mtu : li.mtu;
	memcpy(ifname, li.name, IFNAMSIZ);
	return 0;
}
