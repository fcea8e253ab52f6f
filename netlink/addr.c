/* SPDX-License-Identifier: MIT */
/* IPv4 interface addresses through rtnetlink. */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "netlink/addr.h"
#include "netlink/link.h"

#define ADDR_DUMP_TRIES 3

struct addr_vec {
	int ifindex;
	struct addr_entry *v;
	size_t n, cap;
};

/* ifaddrmsg takes an index; it is looked up in the socket's namespace, not the thread's. */
static int addr_msg(struct nl *nl, void *buf, uint16_t type, uint16_t flags, const char *ifname,
		    uint32_t addr, uint8_t prefixlen, struct nlmsghdr **out)
{
	struct link_info li;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int ret;

	if (prefixlen > 32)
		return -EINVAL;
	ret = link_get(nl, ifname, &li);
	if (ret < 0)
		return ret;
	nlh = nl_msg_start(nl, buf, type, flags);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)li.index;
	mnl_attr_put_u32(nlh, IFA_LOCAL, htonl(addr));
	mnl_attr_put_u32(nlh, IFA_ADDRESS, htonl(addr));
	*out = nlh;
	return 0;
}

int addr_add_label(struct nl *nl, const char *ifname, uint32_t addr, uint8_t prefixlen,
		   const char *label)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	uint32_t mask;
	int ret;

	/* the kernel wants the link's name before the colon (a label is an alias of the link) */
	if (label && (strnlen(label, IFNAMSIZ) == IFNAMSIZ || strncmp(label, ifname,
								       strlen(ifname)) != 0))
		return -EINVAL;
	ret = addr_msg(nl, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifname, addr, prefixlen,
		       &nlh);
	if (ret < 0)
		return ret;
	/* /31 and /32 have no broadcast address (RFC 3021) */
	if (prefixlen < 31) {
		mask = prefixlen ? ~0u << (32 - prefixlen) : 0;
		mnl_attr_put_u32(nlh, IFA_BROADCAST, htonl(addr | ~mask));
	}
	if (label)
		mnl_attr_put_strz(nlh, IFA_LABEL, label);
	return nl_request(nl, nlh);
}

int addr_add(struct nl *nl, const char *ifname, uint32_t addr, uint8_t prefixlen)
{
	return addr_add_label(nl, ifname, addr, prefixlen, NULL);
}

int addr_del(struct nl *nl, const char *ifname, uint32_t addr, uint8_t prefixlen)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	ret = addr_msg(nl, buf, RTM_DELADDR, 0, ifname, addr, prefixlen, &nlh);
	if (ret < 0)
		return ret;
	return nl_request(nl, nlh);
}

static int addr_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
		return MNL_CB_OK;
	if (type == IFA_LABEL) {
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			tb[type] = attr;
		return MNL_CB_OK;
	}
	if (type != IFA_LOCAL && type != IFA_ADDRESS)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	struct addr_vec *vec = data;
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;
	struct addr_entry *v;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifaddrmsg))
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET || (int)ifa->ifa_index != vec->ifindex)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, tb) < MNL_CB_STOP)
		return MNL_CB_OK;
	/* IFA_LOCAL is the interface's own address; IFA_ADDRESS the peer's on point-to-point */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a)
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
	vec->v[vec->n++] = (struct addr_entry){
		.ifindex = vec->ifindex,
		.addr = ntohl(mnl_attr_get_u32(a)),
		.prefixlen = ifa->ifa_prefixlen,
	};
	if (tb[IFA_LABEL])
		strncpy(vec->v[vec->n - 1].label, mnl_attr_get_str(tb[IFA_LABEL]), IFNAMSIZ - 1);
	return MNL_CB_OK;
}

int addr_list(struct nl *nl, const char *ifname, struct addr_entry **out, size_t *n)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct addr_vec vec = { .cap = 4 };
	struct link_info li;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int ret;

	ret = link_get(nl, ifname, &li);
	if (ret < 0)
		return ret;
	vec.ifindex = li.index;
	vec.v = calloc(vec.cap, sizeof(*vec.v));
	if (!vec.v)
		return -ENOMEM;
	ret = -EINTR;
	/* a dump interrupted by a change may miss addresses: read it again */
	for (int i = 0; i < ADDR_DUMP_TRIES && ret == -EINTR; i++) {
		vec.n = 0;
		nlh = nl_msg_start(nl, buf, RTM_GETADDR, NLM_F_DUMP);
		ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
		ifa->ifa_family = AF_INET;
		ret = nl_dump(nl, nlh, addr_dump_cb, &vec);
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
