/* SPDX-License-Identifier: MIT */
/*
 * nftables batches: BEGIN, the messages, END in one buffer, sent in one sendmsg() on a
 * NETLINK_NETFILTER socket of their own, every ack read. The rule set they carry is nft.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "netlink/nft_batch.h"
#include "netlink/nft_rule.h"

#define ELEMS_PER_MSG 64		/* keeps every message far below MSG_MAX */
#define MSG_MAX 32768			/* room past the batch limit for the one message over it */
#define RECV_BUF 8192

int nft_batch_init(struct nft_batch *b, const char *table, size_t limit)
{
	*b = (struct nft_batch){
		.table = table,
		.seq = (uint32_t)time(NULL),
		.family = NFPROTO_INET,
	};
	b->buf = malloc(limit + MSG_MAX);
	if (!b->buf)
		return -ENOMEM;
	b->mb = mnl_nlmsg_batch_start(b->buf, limit);
	if (!b->mb)
		return -ENOMEM;
	nftnl_batch_begin(mnl_nlmsg_batch_current(b->mb), b->seq++);
	mnl_nlmsg_batch_next(b->mb);
	return 0;
}

void nft_batch_release(struct nft_batch *b)
{
	if (b->mb)
		mnl_nlmsg_batch_stop(b->mb);
	free(b->buf);
	*b = (struct nft_batch){ 0 };
}

static struct nlmsghdr *batch_hdr(struct nft_batch *b, uint16_t type, uint16_t flags)
{
	b->nacks++;
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b->mb), type, b->family,
				     flags | NLM_F_ACK, b->seq++);
}

static void batch_next(struct nft_batch *b)
{
	/* the message is written already (the buffer has MSG_MAX to spare): a batch over its
	 * limit is built again, bigger, by the caller */
	if (!mnl_nlmsg_batch_next(b->mb)) {
		b->full = true;
		if (!b->err)
			b->err = -EMSGSIZE;
	}
}

void nft_batch_finish(struct nft_batch *b)
{
	if (b->err)
		return;
	nftnl_batch_end(mnl_nlmsg_batch_current(b->mb), b->seq++);
	batch_next(b);
}

void nft_batch_put_table(struct nft_batch *b, uint16_t type)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;

	if (b->err)
		return;
	t = nftnl_table_alloc();
	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, b->table) < 0) {
		b->err = -ENOMEM;
		goto out;
	}
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, b->family);
	nlh = batch_hdr(b, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	batch_next(b);
out:
	if (t)
		nftnl_table_free(t);
}

void nft_batch_put_chain(struct nft_batch *b, const char *name, const char *type, uint32_t hook,
			 int32_t prio)
{
	struct nftnl_chain *c;
	struct nlmsghdr *nlh;

	if (b->err)
		return;
	c = nftnl_chain_alloc();
	if (!c || nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, b->table) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type) < 0) {
		b->err = -ENOMEM;
		goto out;
	}
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, b->family);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nlh = batch_hdr(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	batch_next(b);
out:
	if (c)
		nftnl_chain_free(c);
}

/* id 0: the set is named only (it exists already, outside this batch) */
static struct nftnl_set *set_new(const struct nft_batch *b, const char *name, uint32_t id)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, b->table) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0) {
		nftnl_set_free(s);
		return NULL;
	}
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, b->family);
	if (id)
		nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	return s;
}

static int set_add_key(struct nftnl_set *s, uint32_t addr, bool end)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	uint32_t key = htonl(addr);

	if (!e)
		return -ENOMEM;
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &key, sizeof(key));
	if (end)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	nftnl_set_elem_add(s, e);
	return 0;
}

void nft_batch_put_set(struct nft_batch *b, const char *name, uint32_t id, uint32_t flags,
		       uint32_t key_type, uint32_t key_len)
{
	struct nftnl_set *s;
	struct nlmsghdr *nlh;

	if (b->err)
		return;
	s = set_new(b, name, id);
	if (!s) {
		b->err = -ENOMEM;
		return;
	}
	if (flags)
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	nlh = batch_hdr(b, NFT_MSG_NEWSET, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	batch_next(b);
}

static int interval_cmp(const void *a, const void *b)
{
	const struct nft_batch_interval *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* Sorted and merged (overlapping or adjacent), as the kernel's interval sets need them. */
static size_t intervals_merge(struct nft_batch_interval *iv, size_t n)
{
	size_t out = 0;

	if (!n)
		return 0;
	qsort(iv, n, sizeof(*iv), interval_cmp);
	for (size_t i = 1; i < n; i++) {
		if ((uint64_t)iv[i].first <= (uint64_t)iv[out].last + 1) {
			if (iv[i].last > iv[out].last)
				iv[out].last = iv[i].last;
		} else {
			iv[++out] = iv[i];
		}
	}
	return out + 1;
}

/* In messages of ELEMS_PER_MSG elements. */
void nft_batch_put_intervals(struct nft_batch *b, const char *set, uint32_t id,
			     struct nft_batch_interval *iv, size_t n)
{
	struct nftnl_set *s = NULL;
	struct nlmsghdr *nlh;
	size_t i = 0, count;

	n = intervals_merge(iv, n);
	while (!b->err && i < n) {
		s = set_new(b, set, id);
		if (!s) {
			b->err = -ENOMEM;
			break;
		}
		for (count = 0; i < n && count < ELEMS_PER_MSG; i++, count += 2) {
			bool to_end = iv[i].last == UINT32_MAX;	/* no end element then */

			if (set_add_key(s, iv[i].first, false) < 0 ||
			    (!to_end && set_add_key(s, iv[i].last + 1, true) < 0)) {
				b->err = -ENOMEM;
				break;
			}
		}
		if (!b->err) {
			nlh = batch_hdr(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
			batch_next(b);
		}
		nftnl_set_free(s);
	}
}

void nft_batch_put_elems(struct nft_batch *b, uint16_t type, const char *set, uint32_t id,
			 const void *items, size_t n, size_t key_len,
			 void (*key_of)(const void *items, size_t i, uint8_t *key))
{
	uint8_t key[NFT_BATCH_KEY_MAX];
	struct nftnl_set_elem *e;
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	size_t i = 0;

	if (key_len > sizeof(key) && !b->err)
		b->err = -EINVAL;
	while (!b->err && i < n) {
		s = set_new(b, set, id);
		if (!s) {
			b->err = -ENOMEM;
			break;
		}
		for (size_t count = 0; i < n && count < ELEMS_PER_MSG; i++, count++) {
			e = nftnl_set_elem_alloc();
			if (!e) {
				b->err = -ENOMEM;
				break;
			}
			key_of(items, i, key);
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, (uint32_t)key_len);
			nftnl_set_elem_add(s, e);
		}
		if (!b->err) {
			nlh = batch_hdr(b, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
			batch_next(b);
		}
		nftnl_set_free(s);
	}
}

void nft_batch_put_rule(struct nft_batch *b, struct nft_rule *rl)
{
	struct nlmsghdr *nlh;

	if (!b->err && rl->err)
		b->err = rl->err;
	if (!b->err) {
		nlh = batch_hdr(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
		nftnl_rule_nlmsg_build_payload(nlh, rl->r);
		batch_next(b);
	}
	if (rl->r)
		nftnl_rule_free(rl->r);
	rl->r = NULL;
}

static int sock_open(struct mnl_socket **out)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int one = 1, ret;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		mnl_socket_close(nl);
		return ret;
	}
	/* errors quote only the header of the failing message */
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	*out = nl;
	return 0;
}

void nft_batch_sock_size(struct mnl_socket *nl, int opt_force, int opt, int size)
{
	int fd = mnl_socket_get_fd(nl);

	/* FORCE needs CAP_NET_ADMIN, which we have; without it net.core.*mem_max caps us */
	if (setsockopt(fd, SOL_SOCKET, opt_force, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

static void sock_grow(struct mnl_socket *nl, int opt_force, int opt, size_t want)
{
	int cur = 0, size;
	socklen_t len = sizeof(cur);

	if (want > INT32_MAX / 2)
		want = INT32_MAX / 2;
	size = (int)want;
	if (getsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, opt, &cur, &len) == 0 && cur >= size)
		return;
	nft_batch_sock_size(nl, opt_force, opt, size);
}

/*
 * nfnetlink handles the whole batch inside sendmsg(), so every reply is queued when it returns:
 * read until none is left and keep the first error.
 */
int nft_batch_commit(struct nft_batch *b)
{
	char buf[RECV_BUF] __attribute__((aligned(8)));
	size_t len = mnl_nlmsg_batch_size(b->mb), acks = 0;
	struct mnl_socket *nl = NULL;
	int ret, first = 0;
	ssize_t n;

	ret = sock_open(&nl);
	if (ret < 0)
		return ret;
	sock_grow(nl, SO_SNDBUFFORCE, SO_SNDBUF, len + 4096);
	sock_grow(nl, SO_RCVBUFFORCE, SO_RCVBUF, b->nacks * 1024 + 65536);
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b->mb), len) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

		n = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		for (int left = (int)n; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
				ret = -EPROTO;
				goto out;
			}
			acks++;
			if (err->error < 0 && !first)
				first = err->error;
		}
	}
	ret = first ? first : acks == b->nacks ? 0 : -EPROTO;
out:
	mnl_socket_close(nl);
	return ret;
}

static int table_found(const struct nlmsghdr *nlh, void *data)
{
	if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWTABLE)
		*(int *)data = 1;
	return MNL_CB_OK;
}

int nft_batch_table_exists(const char *table, uint16_t family)
{
	char buf[RECV_BUF] __attribute__((aligned(8)));
	struct nftnl_table *t = NULL;
	struct mnl_socket *nl = NULL;
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;
	int ret, found = 0;
	ssize_t n;

	t = nftnl_table_alloc();
	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, table) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, family, NLM_F_ACK, seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	ret = sock_open(&nl);
	if (ret < 0)
		goto out;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), table_found,
				 &found);
	} while (ret == MNL_CB_OK);
	if (ret == MNL_CB_ERROR)
		ret = errno == ENOENT ? 0 : -errno;
	else
		ret = found;
out:
	if (nl)
		mnl_socket_close(nl);
	if (t)
		nftnl_table_free(t);
	return ret;
}
