/* SPDX-License-Identifier: MIT */
/*
 * nf_tables events (NFNLGRP_NFTABLES on a NETLINK_NETFILTER socket): the kernel sends them at
 * commit, every object a transaction added or removed, then NFT_MSG_NEWGEN with the port the
 * batch came from and the pid and name of the task that sent it. Transactions do not
 * interleave (the commit mutex), so the events up to a NEWGEN are that transaction's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "netlink/nft.h"
#include "netlink/nft_batch.h"
#include "netlink/nft_monitor.h"

#define EVENT_BUF (128 * 1024)		/* one datagram; nf_tables messages reach 64 KiB */
#define EVENT_RCVBUF (4 << 20)		/* a rebuild with 1,000 containers queues ~400 KiB */
#define EVENT_RCVBUF_MAX (64 << 20)	/* doubled at each loss up to this */
#define PORTID_ASIDE 0x40000000u	/* above any pid: nft_batch.c sockets keep getpid() */

/* Every object's message names its table in attribute 1. */
_Static_assert(NFTA_TABLE_NAME == 1 && NFTA_CHAIN_TABLE == 1 && NFTA_RULE_TABLE == 1 &&
	       NFTA_SET_TABLE == 1 && NFTA_SET_ELEM_LIST_TABLE == 1 && NFTA_OBJ_TABLE == 1 &&
	       NFTA_FLOWTABLE_TABLE == 1, "nf_tables table attributes moved");
#define ATTR_TABLE 1

struct nft_monitor {
	struct mnl_socket *nl;
	int rcvbuf;
	struct nft_monitor_parser p;
	char *buf;
};

/* The object a message is about and whether it removes it; false for other messages. */
static bool message_object(uint16_t msg, enum nft_object *obj, bool *removed)
{
	switch (msg) {
	case NFT_MSG_NEWTABLE:
	case NFT_MSG_DELTABLE:
		*obj = NFT_OBJECT_TABLE;
		break;
	case NFT_MSG_NEWCHAIN:
	case NFT_MSG_DELCHAIN:
		*obj = NFT_OBJECT_CHAIN;
		break;
	case NFT_MSG_NEWRULE:
	case NFT_MSG_DELRULE:
		*obj = NFT_OBJECT_RULE;
		break;
	case NFT_MSG_NEWSET:
	case NFT_MSG_DELSET:
		*obj = NFT_OBJECT_SET;
		break;
	case NFT_MSG_NEWSETELEM:
	case NFT_MSG_DELSETELEM:
		*obj = NFT_OBJECT_ELEMENT;
		break;
	case NFT_MSG_NEWOBJ:
	case NFT_MSG_DELOBJ:
	case NFT_MSG_NEWFLOWTABLE:
	case NFT_MSG_DELFLOWTABLE:
		*obj = NFT_OBJECT_OTHER;
		break;
	default:
		return false;
	}
	*removed = msg == NFT_MSG_DELTABLE || msg == NFT_MSG_DELCHAIN || msg == NFT_MSG_DELRULE ||
		   msg == NFT_MSG_DELSET || msg == NFT_MSG_DELSETELEM || msg == NFT_MSG_DELOBJ ||
		   msg == NFT_MSG_DELFLOWTABLE;
	return true;
}

static int table_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == ATTR_TABLE && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		*(const char **)data = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

static int gen_attr_cb(const struct nlattr *a, void *data)
{
	struct nft_change *c = data;

	switch (mnl_attr_get_type(a)) {
	case NFTA_GEN_PROC_PID:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			c->pid = ntohl(mnl_attr_get_u32(a));
		break;
	case NFTA_GEN_PROC_NAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(c->comm, sizeof(c->comm), "%s", mnl_attr_get_str(a));
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

/* Our table this message is about (inet or bridge "wgnet"), NULL for any other. */
static struct nft_table_change *our_table(struct nft_change *c, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const char *name = NULL;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*g)) ||
	    (g->nfgen_family != NFPROTO_INET && g->nfgen_family != NFPROTO_BRIDGE))
		return NULL;
	mnl_attr_parse(nlh, sizeof(*g), table_attr_cb, &name);
	if (!name || strcmp(name, NFT_TABLE_NAME) != 0)
		return NULL;
	return g->nfgen_family == NFPROTO_INET ? &c->inet : &c->bridge;
}

/* The kernel names the task (a thread id, as the host's pid namespace sees it) and the port. */
static bool tx_is_ours(const struct nft_monitor_parser *p, uint32_t portid, uint32_t pid)
{
	char path[48];

	if (p->self_portid && portid == p->self_portid)
		return true;
	snprintf(path, sizeof(path), "/proc/self/task/%u", pid);
	return pid && access(path, F_OK) == 0;
}

int nft_monitor_parse(struct nft_monitor_parser *p, const void *buf, size_t len,
		      struct nft_change *out)
{
	const struct nlmsghdr *nlh = buf;
	int left = len > INT32_MAX ? INT32_MAX : (int)len, found = 0;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		uint16_t msg = NFNL_MSG_TYPE(nlh->nlmsg_type);
		struct nft_table_change *t;
		enum nft_object obj;
		bool removed;

		if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
			continue;
		if (msg == NFT_MSG_NEWGEN) {
			struct nft_change c = p->tx;

			p->tx = (struct nft_change){ 0 };
			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg)) ||
			    !(c.inet.changed || c.bridge.changed))
				continue;
			mnl_attr_parse(nlh, sizeof(struct nfgenmsg), gen_attr_cb, &c);
			if (tx_is_ours(p, nlh->nlmsg_pid, c.pid))
				continue;
			if (!found++)
				*out = c;
			continue;
		}
		if (!message_object(msg, &obj, &removed) || !(t = our_table(&p->tx, nlh)))
			continue;
		/* the first removal says most (a flush deletes rules, then chains, then the
		 * table: the table wins), else the first addition */
		if (!t->changed || (removed && (!t->removed || obj == NFT_OBJECT_TABLE))) {
			t->changed = true;
			t->removed = removed;
			t->object = obj;
		}
	}
	return found ? 1 : 0;
}

int nft_monitor_open(struct nft_monitor **out)
{
	unsigned group = NFNLGRP_NFTABLES;
	uint32_t self = (uint32_t)getpid();
	struct nft_monitor *m;
	int ret;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->buf = malloc(EVENT_BUF);
	m->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!m->buf || !m->nl) {
		ret = m->buf ? -errno : -ENOMEM;
		goto fail;
	}
	/* Not our pid: the kernel gives a process's first netlink socket its pid as its port,
	 * and every transaction nft_batch.c sends then names that port. */
	if (mnl_socket_bind(m->nl, 0, self | PORTID_ASIDE) < 0 &&
	    mnl_socket_bind(m->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto fail;
	}
	m->p.self_portid = mnl_socket_get_portid(m->nl) == self ? 0 : self;
	if (mnl_socket_setsockopt(m->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		ret = -errno;
		goto fail;
	}
	m->rcvbuf = EVENT_RCVBUF;
	nft_batch_sock_size(m->nl, SO_RCVBUFFORCE, SO_RCVBUF, m->rcvbuf);
	*out = m;
	return 0;
fail:
	nft_monitor_close(m);
	return ret;
}

void nft_monitor_close(struct nft_monitor *m)
{
	if (!m)
		return;
	if (m->nl)
		mnl_socket_close(m->nl);
	free(m->buf);
	free(m);
}

int nft_monitor_read(struct nft_monitor *m, int timeout_ms, struct nft_change *out)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(m->nl), .events = POLLIN };
	struct nft_change other;
	int found = 0, ret;
	ssize_t n;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	while (ret > 0) {
		n = recv(pfd.fd, m->buf, EVENT_BUF, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 || n > EVENT_BUF) {
			/* lost (ENOBUFS) or cut: the transaction being read is incomplete; our own
			 * rebuilds must fit next time, or each loss would make another one */
			ret = n < 0 ? -errno : -ENOBUFS;
			m->p.tx = (struct nft_change){ 0 };
			if (ret == -ENOBUFS && m->rcvbuf < EVENT_RCVBUF_MAX) {
				m->rcvbuf *= 2;
				nft_batch_sock_size(m->nl, SO_RCVBUFFORCE, SO_RCVBUF, m->rcvbuf);
			}
			if (ret == -ENOBUFS && found)
				break;	/* the caller rebuilds anyway */
			return ret;
		}
		if (nft_monitor_parse(&m->p, m->buf, (size_t)n, found ? &other : out) > 0)
			found = 1;
	}
	return found;
}
