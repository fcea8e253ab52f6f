/* SPDX-License-Identifier: MIT */
/*
 * IPv4 device routes of the main table through rtnetlink. Devices are named in the API and
 * resolved through the same socket (not if_nametoindex()), so that a socket opened in another
 * network namespace resolves names there.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "netlink/link.h"
#include "netlink/nl.h"
#include "netlink/route.h"

#define DUMP_TRIES 5			/* dumps interrupted by a concurrent change are redone */

struct route_dump {
	uint8_t protocol;
	bool defaults;			/* default routes of any protocol instead */
	struct route *v;
	int *oif;			/* v[i]'s device, named once the dump is complete */
	size_t n, cap;
};

static bool route_valid(const struct route *r)
{
	size_t len = strnlen(r->ifname, IFNAMSIZ);

	if (r->len > 32 || len == IFNAMSIZ)
		return false;
	/* host bits set: the kernel says EINVAL with a less helpful text */
	return r->len == 32 || (r->dst & (UINT32_MAX >> r->len)) == 0;
}

static struct nlmsghdr *route_msg(struct nl *nl, void *buf, uint16_t type, uint16_t flags,
				  const struct route *r, int oif)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = r->len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = r->protocol;
	rtm->rtm_scope = r->scope;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	if (r->len)
		mnl_attr_put_u32(nlh, RTA_DST, htonl(r->dst));
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return nlh;
}

int route_add(struct nl *nl, const struct route *r)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct link_info li;
	int ret;

	if (!route_valid(r) || !r->ifname[0])
		return -EINVAL;
	ret = link_get(nl, r->ifname, &li);
	if (ret < 0)
		return ret;
	return nl_request(nl, route_msg(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, r,
					li.index));
}

int route_del(struct nl *nl, const struct route *r)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct link_info li = { .index = 0 };
	int ret;

	if (!route_valid(r))
		return -EINVAL;
	/* without a name (its device vanished during a dump) dst, length and protocol match */
	if (r->ifname[0]) {
		ret = link_get(nl, r->ifname, &li);
		if (ret == -ENODEV)
			return -ESRCH;	/* a device's routes go with it */
		if (ret < 0)
			return ret;
	}
	return nl_request(nl, route_msg(nl, buf, RTM_DELROUTE, 0, r, li.index));
}

static int route_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, RTA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case RTA_DST:
	case RTA_OIF:
	case RTA_TABLE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_OK;	/* malformed: as if absent */
		tb[type] = a;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int route_dump_grow(struct route_dump *d)
{
	size_t cap = d->cap ? d->cap * 2 : 16;
	struct route *v;
	int *oif;

	v = reallocarray(d->v, cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->v = v;
	oif = reallocarray(d->oif, cap, sizeof(*oif));
	if (!oif)
		return -ENOMEM;
	d->oif = oif;
	d->cap = cap;
	return 0;
}

static int route_parse_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct route_dump *d = data;
	const struct rtmsg *rtm;
	uint32_t table;
	struct route *r;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len > 32 ||
	    (rtm->rtm_flags & RTM_F_CLONED) ||
	    (d->defaults ? rtm->rtm_dst_len != 0 || rtm->rtm_type != RTN_UNICAST :
			   rtm->rtm_protocol != d->protocol))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb) < 0)
		return MNL_CB_OK;
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	if (d->n == d->cap && route_dump_grow(d) < 0) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	r = &d->v[d->n];
	*r = (struct route){
		.dst = tb[RTA_DST] ? ntohl(mnl_attr_get_u32(tb[RTA_DST])) : 0,
		.len = rtm->rtm_dst_len,
		.protocol = rtm->rtm_protocol,
		.scope = rtm->rtm_scope,
	};
	d->oif[d->n] = tb[RTA_OIF] ? (int)mnl_attr_get_u32(tb[RTA_OIF]) : 0;
	d->n++;
	return MNL_CB_OK;
}

/*
 * Names for the routes' devices, asked through nl (its namespace may not be ours); one that
 * vanished meanwhile leaves the name empty. By index, one device at a time: a full link dump
 * would cost far more with a thousand veths around.
 */
static int route_dump_name(struct nl *nl, struct route_dump *d)
{
	struct link_info li;
	int ret;

	for (size_t i = 0; i < d->n; i++) {
		if (!d->oif[i])
			continue;
		if (i > 0 && d->oif[i] == d->oif[i - 1]) {
			memcpy(d->v[i].ifname, d->v[i - 1].ifname, sizeof(d->v[i].ifname));
			continue;
		}
		ret = link_get_index(nl, d->oif[i], &li);
		if (ret == -ENODEV)
			continue;
		if (ret < 0)
			return ret;
		memcpy(d->v[i].ifname, li.name, sizeof(d->v[i].ifname));
	}
	return 0;
}

static void route_dump_reset(struct route_dump *d)
{
	free(d->v);
	free(d->oif);
	d->v = NULL;
	d->oif = NULL;
	d->n = d->cap = 0;
}

static int route_dump(struct nl *nl, struct route_dump d, struct route **out, size_t *n)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int ret = -EINTR;
	int i;

	for (i = 0; i < DUMP_TRIES && ret == -EINTR; i++) {
		route_dump_reset(&d);
		nlh = nl_msg_start(nl, buf, RTM_GETROUTE, 0);
		rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = AF_INET;
		ret = nl_dump(nl, nlh, route_parse_cb, &d);
	}
	if (ret < 0)
		goto out;
	ret = route_dump_name(nl, &d);
	if (ret < 0)
		goto out;
	/* an empty result is still an allocation the caller frees, as link_dump's */
	if (!d.v) {
		d.v = malloc(sizeof(*d.v));
		if (!d.v) {
			ret = -ENOMEM;
			goto out;
		}
	}
	*out = d.v;
	*n = d.n;
	d.v = NULL;
out:
	route_dump_reset(&d);
	return ret;
}

int route_dump_proto(struct nl *nl, uint8_t protocol, struct route **out, size_t *n)
{
	return route_dump(nl, (struct route_dump){ .protocol = protocol }, out, n);
}

int route_dump_default(struct nl *nl, struct route **out, size_t *n)
{
	return route_dump(nl, (struct route_dump){ .defaults = true }, out, n);
}
