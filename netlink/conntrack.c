/* SPDX-License-Identifier: MIT */
/*
 * ctnetlink: the conntrack entries of one published port's flows, dumped (the kernel filters
 * by protocol, destination port and address where it can: 5.9 and later) and deleted one by
 * one by their original tuple, as `conntrack -D` does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "netlink/conntrack.h"

/* the kernel's CTA_FILTER flags (net/netfilter/nf_internals.h, not in the uapi headers) */
#define FILTER_IP_DST (1u << 1)
#define FILTER_PROTO_NUM (1u << 3)
#define FILTER_PROTO_DST_PORT (1u << 5)

#define MSG_BUF 512
#define RECV_BUF 65536
#define MATCHES_MAX 65536	/* a port's flows; far more would be a flood, not clients */

/* Network byte order, as on the wire. */
struct tuple {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
};

struct entry {
	struct tuple orig;
	uint16_t zone;			/* network byte order, 0 = none */
};

struct dump {
	const struct conntrack_port *p;
	enum conntrack_which which;
	struct entry *v;
	size_t n, cap;
};

struct attrs {
	const struct nlattr **tb;
	int max;
};

/* mnl_attr_parse callback: tb[type] for the known types; the caller checks each one's type */
static int attr_keep(const struct nlattr *a, void *data)
{
	struct attrs *at = data;
	int type = mnl_attr_get_type(a);

	if (type <= at->max)
		at->tb[type] = a;
	return MNL_CB_OK;
}

static int nested(const struct nlattr *nest, const struct nlattr **tb, int max)
{
	struct attrs at = { tb, max };

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	return mnl_attr_parse_nested(nest, attr_keep, &at) < 0 ? -EINVAL : 0;
}

static bool u32_attr(const struct nlattr *a, uint32_t *out)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return false;
	*out = mnl_attr_get_u32(a);
	return true;
}

static bool u16_attr(const struct nlattr *a, uint16_t *out)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U16) < 0)
		return false;
	*out = mnl_attr_get_u16(a);
	return true;
}

/* CTA_TUPLE_ORIG or CTA_TUPLE_REPLY: false when it is not an IPv4 tuple with ports */
static bool tuple_parse(const struct nlattr *nest, struct tuple *t)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1], *pr[CTA_PROTO_MAX + 1];

	*t = (struct tuple){ 0 };
	if (!nest || nested(nest, tb, CTA_TUPLE_MAX) < 0 || !tb[CTA_TUPLE_IP] ||
	    !tb[CTA_TUPLE_PROTO] || nested(tb[CTA_TUPLE_IP], ip, CTA_IP_MAX) < 0 ||
	    nested(tb[CTA_TUPLE_PROTO], pr, CTA_PROTO_MAX) < 0)
		return false;
	if (!pr[CTA_PROTO_NUM] || mnl_attr_validate(pr[CTA_PROTO_NUM], MNL_TYPE_U8) < 0)
		return false;
	t->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	return u32_attr(ip[CTA_IP_V4_SRC], &t->src) && u32_attr(ip[CTA_IP_V4_DST], &t->dst) &&
	       u16_attr(pr[CTA_PROTO_SRC_PORT], &t->sport) &&
	       u16_attr(pr[CTA_PROTO_DST_PORT], &t->dport);
}

static bool entry_wanted(const struct dump *d, const struct tuple *orig, const struct tuple *reply,
			 uint32_t status)
{
	const struct conntrack_port *p = d->p;
	bool to_ctr;

	if (orig->proto != p->proto || ntohs(orig->dport) != p->host_port ||
	    (p->host_ip && ntohl(orig->dst) != p->host_ip))
		return false;
	to_ctr = ntohl(reply->src) == p->ctr_ip && ntohs(reply->sport) == p->ctr_port;
	if (d->which == CONNTRACK_TO_CTR)
		return to_ctr && (status & IPS_DST_NAT);
	/* elsewhere: not a flow this host masquerades out to some server's port of that number */
	return !to_ctr && !(status & IPS_SRC_NAT);
}

static int dump_entry(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTA_MAX + 1];
	struct attrs at = { tb, CTA_MAX };
	struct dump *d = data;
	struct tuple orig, reply;
	uint32_t status = 0;
	uint16_t zone = 0;
	struct entry *v;

	memset(tb, 0, sizeof(tb));
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_keep, &at) < 0)
		return MNL_CB_OK;		/* not ours to judge: skip it */
	if (!tuple_parse(tb[CTA_TUPLE_ORIG], &orig) || !tuple_parse(tb[CTA_TUPLE_REPLY], &reply))
		return MNL_CB_OK;
	u32_attr(tb[CTA_STATUS], &status);
	status = ntohl(status);
	u16_attr(tb[CTA_ZONE], &zone);
	if (!entry_wanted(d, &orig, &reply, status))
		return MNL_CB_OK;
	if (d->n == d->cap) {
		if (d->cap >= MATCHES_MAX)
			return MNL_CB_OK;	/* the rest age out as they would have */
		v = realloc(d->v, (d->cap ? d->cap * 2 : 16) * sizeof(*v));
		if (!v)
			return MNL_CB_ERROR;
		d->v = v;
		d->cap = d->cap ? d->cap * 2 : 16;
	}
	d->v[d->n++] = (struct entry){ .orig = orig, .zone = zone };
	return MNL_CB_OK;
}

static struct nlmsghdr *msg_start(char *buf, uint8_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* The tuple, or (filter) only what the kernel's dump filter compares. */
static void put_tuple(struct nlmsghdr *nlh, const struct tuple *t, bool filter)
{
	struct nlattr *tuple, *n;

	tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	if (!filter || t->dst) {
		n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		if (!filter)
			mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, t->src);
		mnl_attr_put_u32(nlh, CTA_IP_V4_DST, t->dst);
		mnl_attr_nest_end(nlh, n);
	}
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	if (!filter)
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, t->sport);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, t->dport);
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, tuple);
}

/* Sends nlh and reads until the dump ends or the ack comes: 0 or -errno. */
static int transact(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char *buf;
	ssize_t n;
	int ret;

	buf = malloc(RECV_BUF);
	if (!buf)
		return -ENOMEM;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		n = mnl_socket_recvfrom(nl, buf, RECV_BUF);
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, mnl_socket_get_portid(nl), cb,
				 data);
	} while (ret == MNL_CB_OK);
	ret = ret == MNL_CB_ERROR ? -errno : 0;
out:
	free(buf);
	return ret;
}

static int dump(struct mnl_socket *nl, struct dump *d, bool filter, uint32_t seq)
{
	char buf[MSG_BUF] __attribute__((aligned(8)));
	struct tuple t = { .proto = d->p->proto, .dst = htonl(d->p->host_ip),
			   .dport = htons(d->p->host_port) };
	struct nlmsghdr *nlh = msg_start(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq);
	struct nlattr *f;

	if (filter) {
		put_tuple(nlh, &t, true);
		f = mnl_attr_nest_start(nlh, CTA_FILTER);
		mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS,
				 FILTER_PROTO_NUM | FILTER_PROTO_DST_PORT |
				 (d->p->host_ip ? FILTER_IP_DST : 0));
		mnl_attr_nest_end(nlh, f);
	}
	d->n = 0;
	return transact(nl, nlh, dump_entry, d);
}

static int delete_entry(struct mnl_socket *nl, const struct entry *e, uint32_t seq)
{
	char buf[MSG_BUF] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = msg_start(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, seq);

	put_tuple(nlh, &e->orig, false);
	if (e->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, e->zone);
	return transact(nl, nlh, NULL, NULL);
}

int conntrack_delete_port(const struct conntrack_port *p, enum conntrack_which which)
{
	struct dump d = { .p = p, .which = which };
	uint32_t seq = (uint32_t)time(NULL);
	struct mnl_socket *nl;
	int ret, deleted = 0;

	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	/* a kernel older than the dump filter refuses it or ignores it: the check above is
	 * made on every entry either way */
	ret = dump(nl, &d, true, seq++);
	if (ret == -EINVAL || ret == -EOPNOTSUPP)
		ret = dump(nl, &d, false, seq++);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < d.n; i++) {
		ret = delete_entry(nl, &d.v[i], seq++);
		if (ret == -ENOENT)		/* gone meanwhile (it timed out) */
			continue;
		if (ret < 0)
			goto out;
		deleted++;
	}
	ret = deleted;
out:
	free(d.v);
	mnl_socket_close(nl);
	return ret;
}
