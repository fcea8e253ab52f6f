/* SPDX-License-Identifier: MIT */
/*
 * `inet wgnet` replaced in one nftables batch: NEWTABLE, DELTABLE, NEWTABLE (the delete cannot
 * fail, the replacement is atomic), then sets, chains and rules, every message acked. Each call
 * opens its own NETLINK_NETFILTER socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include "netlink/nft.h"

#define SET_POOLS "pools"
#define SET_POOLS_ID 1
#define SET_SLICES "local_slices"
#define SET_SLICES_ID 2
#define SET_PORTS "ports"		/* table bridge wgnet: iifname . ether . ip of each port */
#define SET_PORTS_ID 3
#define PORTS_PREFIX "wgv*"		/* the container ports the set speaks for */
#define TYPE_IPADDR 7			/* nftables' ipv4_addr datatype, for `nft list` */
#define TYPE_ETHERADDR 9		/* nftables' ether_addr datatype */
#define TYPE_IFNAME 41			/* nftables' ifname datatype */
#define TYPE_BITS 6			/* a concatenation's type: one TYPE_BITS field each */
/* a port's key: the name (IFNAMSIZ), the MAC padded to a register pair (8), the address (4) */
#define PORT_KEY_MAC IFNAMSIZ
#define PORT_KEY_ADDR (IFNAMSIZ + 8)
#define PORT_KEY_LEN (PORT_KEY_ADDR + sizeof(uint32_t))
#define ETH_SADDR 6			/* offsets in the Ethernet header */
#define ETH_TYPE 12
#define ARP_SHA 8			/* and in an Ethernet/IPv4 ARP packet */
#define ARP_SPA 14
#define ELEMS_PER_MSG 64		/* keeps every message far below MSG_MAX */
#define MSG_MAX 32768			/* room past the batch limit for the one message over it */
#define RECV_BUF 8192
#define IP_SADDR 12			/* offsets in the IPv4 header */
#define IP_DADDR 16
#define TH_DPORT 2			/* offset in the TCP, UDP and SCTP headers */
#define BR_PRE_ROUTING 0		/* NF_BR_PRE_ROUTING (its header clashes with net/if.h) */

struct batch {
	char *buf;
	struct mnl_nlmsg_batch *mb;
	uint32_t seq;
	size_t nacks;			/* messages sent with NLM_F_ACK */
	uint16_t family;		/* of the table being written: inet, then bridge */
	bool full;
	int err;
};

struct rule {
	struct nftnl_rule *r;
	int err;
};

struct interval {
	uint32_t first, last;		/* inclusive */
};

static int batch_init(struct batch *b, size_t limit)
{
	*b = (struct batch){ .seq = (uint32_t)time(NULL), .family = NFPROTO_INET };
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

static void batch_release(struct batch *b)
{
	if (b->mb)
		mnl_nlmsg_batch_stop(b->mb);
	free(b->buf);
	*b = (struct batch){ 0 };
}

static struct nlmsghdr *batch_hdr(struct batch *b, uint16_t type, uint16_t flags)
{
	b->nacks++;
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b->mb), type, b->family,
				     flags | NLM_F_ACK, b->seq++);
}

static void batch_next(struct batch *b)
{
	/* the message is written already (the buffer has MSG_MAX to spare): a batch over its
	 * limit is built again, bigger, by the caller */
	if (!mnl_nlmsg_batch_next(b->mb)) {
		b->full = true;
		if (!b->err)
			b->err = -EMSGSIZE;
	}
}

static void batch_finish(struct batch *b)
{
	if (b->err)
		return;
	nftnl_batch_end(mnl_nlmsg_batch_current(b->mb), b->seq++);
	batch_next(b);
}

static void batch_put_table(struct batch *b, uint16_t type)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;

	if (b->err)
		return;
	t = nftnl_table_alloc();
	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE_NAME) < 0) {
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

static void batch_put_chain(struct batch *b, const char *name, const char *type, uint32_t hook,
			    int32_t prio)
{
	struct nftnl_chain *c;
	struct nlmsghdr *nlh;

	if (b->err)
		return;
	c = nftnl_chain_alloc();
	if (!c || nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE_NAME) < 0 ||
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
static struct nftnl_set *set_new(const char *name, uint32_t id, uint16_t family)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE_NAME) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0) {
		nftnl_set_free(s);
		return NULL;
	}
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, family);
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

/* The elements of an interval set, [first, last + 1) each, in messages of ELEMS_PER_MSG. */
static void batch_put_elems(struct batch *b, const char *name, uint32_t id,
			    const struct interval *iv, size_t n)
{
	struct nftnl_set *s = NULL;
	struct nlmsghdr *nlh;
	size_t i = 0, count;

	while (!b->err && i < n) {
		s = set_new(name, id, b->family);
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

static void batch_put_set(struct batch *b, const char *name, uint32_t id,
			  const struct interval *iv, size_t n)
{
	struct nftnl_set *s;
	struct nlmsghdr *nlh;

	if (b->err)
		return;
	s = set_new(name, id, b->family);
	if (!s) {
		b->err = -ENOMEM;
		return;
	}
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, TYPE_IPADDR);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, sizeof(uint32_t));
	nlh = batch_hdr(b, NFT_MSG_NEWSET, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	batch_next(b);
	batch_put_elems(b, name, id, iv, n);
}

static int interval_cmp(const void *a, const void *b)
{
	const struct interval *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* Sorted and merged (overlapping or adjacent), as the kernel's interval sets need them. */
static size_t intervals_merge(struct interval *iv, size_t n)
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

static uint32_t prefix_mask(uint8_t len)
{
	return len ? ~(uint32_t)0 << (32 - (len > 32 ? 32 : len)) : 0;
}

static struct interval interval_of(uint32_t addr, uint8_t len)
{
	uint32_t mask = prefix_mask(len);

	return (struct interval){ .first = addr & mask, .last = (addr & mask) | ~mask };
}

static int rule_init_family(struct rule *rl, const char *chain, uint32_t family)
{
	*rl = (struct rule){ .r = nftnl_rule_alloc() };
	if (!rl->r || nftnl_rule_set_str(rl->r, NFTNL_RULE_TABLE, NFT_TABLE_NAME) < 0 ||
	    nftnl_rule_set_str(rl->r, NFTNL_RULE_CHAIN, chain) < 0)
		rl->err = -ENOMEM;
	else
		nftnl_rule_set_u32(rl->r, NFTNL_RULE_FAMILY, family);
	return rl->err;
}

static int rule_init(struct rule *rl, const char *chain)
{
	return rule_init_family(rl, chain, NFPROTO_INET);
}

/* Takes the rule: sends it if it was built whole, frees it either way. */
static void batch_put_rule(struct batch *b, struct rule *rl)
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

static struct nftnl_expr *expr_new(struct rule *rl, const char *name)
{
	struct nftnl_expr *e;

	if (rl->err)
		return NULL;
	e = nftnl_expr_alloc(name);
	if (!e)
		rl->err = -ENOMEM;
	return e;
}

static void put_meta_reg(struct rule *rl, uint32_t key, uint32_t reg)
{
	struct nftnl_expr *e = expr_new(rl, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, reg);
	nftnl_rule_add_expr(rl->r, e);
}

static void put_meta(struct rule *rl, uint32_t key)
{
	put_meta_reg(rl, key, NFT_REG_1);
}

static void put_cmp(struct rule *rl, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr_new(rl, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	nftnl_rule_add_expr(rl->r, e);
}

/* iifname/oifname: a whole name on IFNAMSIZ zero-padded bytes, "abc*" on its prefix only. */
static void put_ifname(struct rule *rl, uint32_t key, uint32_t op, const char *name)
{
	char buf[IFNAMSIZ] = { 0 };
	size_t len = strnlen(name, IFNAMSIZ - 1);

	put_meta(rl, key);
	if (len && name[len - 1] == '*') {
		put_cmp(rl, op, name, (uint32_t)len - 1);
		return;
	}
	memcpy(buf, name, len);
	put_cmp(rl, op, buf, sizeof(buf));
}

static void put_payload_reg(struct rule *rl, uint32_t base, uint32_t offset, uint32_t len,
			    uint32_t reg)
{
	struct nftnl_expr *e = expr_new(rl, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_rule_add_expr(rl->r, e);
}

static void put_payload(struct rule *rl, uint32_t base, uint32_t offset, uint32_t len)
{
	put_payload_reg(rl, base, offset, len, NFT_REG_1);
}

static void put_bitwise(struct rule *rl, const void *mask, uint32_t len)
{
	struct nftnl_expr *e = expr_new(rl, "bitwise");
	static const uint8_t zero[16];

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	nftnl_rule_add_expr(rl->r, e);
}

/* An inet table sees IPv6 too: nft adds this dependency for `ip ...` implicitly, we cannot. */
static void put_ipv4(struct rule *rl)
{
	uint8_t proto = NFPROTO_IPV4;

	put_meta(rl, NFT_META_NFPROTO);
	put_cmp(rl, NFT_CMP_EQ, &proto, sizeof(proto));
}

/* ip saddr/daddr [!=] addr/len; /0 would match every IPv4 packet, so it adds nothing */
static void put_ip_prefix_op(struct rule *rl, uint32_t offset, uint32_t addr, uint8_t len,
			     uint32_t op)
{
	uint32_t mask = htonl(prefix_mask(len)), net = htonl(addr) & mask;

	if (!len)
		return;
	put_payload(rl, NFT_PAYLOAD_NETWORK_HEADER, offset, sizeof(net));
	if (len < 32)
		put_bitwise(rl, &mask, sizeof(mask));
	put_cmp(rl, op, &net, sizeof(net));
}

static void put_ip_prefix(struct rule *rl, uint32_t offset, uint32_t addr, uint8_t len)
{
	put_ip_prefix_op(rl, offset, addr, len, NFT_CMP_EQ);
}

static void put_lookup(struct rule *rl, uint32_t sreg, const char *set, uint32_t id, bool inv)
{
	struct nftnl_expr *e = expr_new(rl, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
	if (inv)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	nftnl_rule_add_expr(rl->r, e);
}

static void put_ip_lookup(struct rule *rl, uint32_t offset, const char *set, uint32_t id,
			  bool inv)
{
	put_payload(rl, NFT_PAYLOAD_NETWORK_HEADER, offset, sizeof(uint32_t));
	put_lookup(rl, NFT_REG_1, set, id, inv);
}

/* ct state/status: any of these bits set */
static void put_ct_bits(struct rule *rl, uint32_t key, uint32_t bits)
{
	struct nftnl_expr *e = expr_new(rl, "ct");
	uint32_t zero = 0;

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(rl->r, e);
	put_bitwise(rl, &bits, sizeof(bits));
	put_cmp(rl, NFT_CMP_NEQ, &zero, sizeof(zero));
}

static void put_verdict(struct rule *rl, int verdict)
{
	struct nftnl_expr *e = expr_new(rl, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	nftnl_rule_add_expr(rl->r, e);
}

static void put_immediate(struct rule *rl, uint32_t reg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr_new(rl, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
	nftnl_rule_add_expr(rl->r, e);
}

/* [iifname != W] fib daddr type local [ip daddr host] meta l4proto P th dport X[-Y]
 * dnat ip to ctr:port */
static void put_dnat_rule(struct rule *rl, const struct nft_dnat *d, const char *not_from)
{
	uint32_t local = RTN_LOCAL, addr = htonl(d->ctr_ip);
	uint16_t from = htons(d->host_port), to = htons(d->host_port_end),
		 port = htons(d->ctr_port);
	struct nftnl_expr *e;

	if (not_from)
		put_ifname(rl, NFT_META_IIFNAME, NFT_CMP_NEQ, not_from);
	put_ipv4(rl);
	e = expr_new(rl, "fib");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	nftnl_rule_add_expr(rl->r, e);
	put_cmp(rl, NFT_CMP_EQ, &local, sizeof(local));
	if (d->host_ip)
		put_ip_prefix(rl, IP_DADDR, d->host_ip, 32);
	put_meta(rl, NFT_META_L4PROTO);
	put_cmp(rl, NFT_CMP_EQ, &d->proto, sizeof(d->proto));
	put_payload(rl, NFT_PAYLOAD_TRANSPORT_HEADER, TH_DPORT, sizeof(from));
	if (d->host_port_end > d->host_port) {
		e = expr_new(rl, "range");
		if (!e)
			return;
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, &from, sizeof(from));
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, &to, sizeof(to));
		nftnl_rule_add_expr(rl->r, e);
	} else {
		put_cmp(rl, NFT_CMP_EQ, &from, sizeof(from));
	}
	put_immediate(rl, NFT_REG_1, &addr, sizeof(addr));
	put_immediate(rl, NFT_REG_2, &port, sizeof(port));
	e = expr_new(rl, "nat");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
	nftnl_rule_add_expr(rl->r, e);
}

/* ip saddr S ip daddr != @pools oifname != "wgb*" [oifname != W] masquerade */
static void put_masq_rule(struct rule *rl, const struct nft_bridge *br, const char *wg)
{
	struct nftnl_expr *e;

	put_ipv4(rl);
	put_ip_prefix(rl, IP_SADDR, br->slice_addr, br->slice_len);
	put_ip_lookup(rl, IP_DADDR, SET_POOLS, SET_POOLS_ID, true);
	put_ifname(rl, NFT_META_OIFNAME, NFT_CMP_NEQ, "wgb*");
	if (wg)
		put_ifname(rl, NFT_META_OIFNAME, NFT_CMP_NEQ, wg);
	e = expr_new(rl, "masq");
	if (e)
		nftnl_rule_add_expr(rl->r, e);
}

/* The rules of one chain, each built by fn(rl, i, arg) for i < n. */
static void batch_put_rules(struct batch *b, const char *chain, size_t n,
			    void (*fn)(struct rule *rl, size_t i, const struct nft_policy *p),
			    const struct nft_policy *p)
{
	struct rule rl;

	for (size_t i = 0; i < n && !b->err; i++) {
		rule_init(&rl, chain);
		fn(&rl, i, p);
		batch_put_rule(b, &rl);
	}
}

static void fwd_same_bridge(struct rule *rl, size_t i, const struct nft_policy *p)
{
	put_ifname(rl, NFT_META_IIFNAME, NFT_CMP_EQ, p->bridges[i].ifname);
	put_ifname(rl, NFT_META_OIFNAME, NFT_CMP_EQ, p->bridges[i].ifname);
	put_verdict(rl, NF_ACCEPT);
}

static void fwd_tunnel_in(struct rule *rl, size_t i, const struct nft_policy *p)
{
	const struct nft_bridge *br = &p->bridges[i];

	put_ifname(rl, NFT_META_IIFNAME, NFT_CMP_EQ, p->wg_ifname);
	put_ifname(rl, NFT_META_OIFNAME, NFT_CMP_EQ, br->ifname);
	put_ipv4(rl);
	put_ip_prefix(rl, IP_SADDR, br->pool_addr, br->pool_len);
	put_ip_prefix(rl, IP_DADDR, br->slice_addr, br->slice_len);
	put_verdict(rl, NF_ACCEPT);
}

static void fwd_tunnel_out(struct rule *rl, size_t i, const struct nft_policy *p)
{
	const struct nft_bridge *br = &p->bridges[i];

	put_ifname(rl, NFT_META_IIFNAME, NFT_CMP_EQ, br->ifname);
	put_ifname(rl, NFT_META_OIFNAME, NFT_CMP_EQ, p->wg_ifname);
	put_ipv4(rl);
	put_ip_prefix(rl, IP_DADDR, br->pool_addr, br->pool_len);
	put_verdict(rl, NF_ACCEPT);
}

static void nat_masq(struct rule *rl, size_t i, const struct nft_policy *p)
{
	put_masq_rule(rl, &p->bridges[i], p->wg_ifname);
}

static bool ip_is_loopback(uint32_t addr)
{
	return addr >> 24 == 127;
}

/* A rule of only interface matches, a `ct` test or a pool lookup, and a verdict. */
static void batch_put_simple(struct batch *b, const char *iif, const char *oif, uint32_t ct_key,
			     uint32_t ct_bits, bool to_pools, int verdict)
{
	struct rule rl;

	if (b->err)
		return;
	rule_init(&rl, "forward");
	if (iif)
		put_ifname(&rl, NFT_META_IIFNAME, NFT_CMP_EQ, iif);
	if (oif)
		put_ifname(&rl, NFT_META_OIFNAME, NFT_CMP_EQ, oif);
	if (ct_bits)
		put_ct_bits(&rl, ct_key, ct_bits);
	if (to_pools) {
		put_ipv4(&rl);
		put_ip_lookup(&rl, IP_DADDR, SET_POOLS, SET_POOLS_ID, false);
	}
	put_verdict(&rl, verdict);
	batch_put_rule(b, &rl);
}

#define CT_REPLY (NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED))

/*
 * An allow-list: what is not accepted here for a wgnet bridge or the tunnel ends in a drop,
 * which is final whatever Docker's chains (DOCKER-USER accepts `-i wgb+`) say. A forged
 * source never gets this far: `bridge wgnet` drops it at the container's port, where the
 * port is known (a rule here would see only the bridge, and was never needed:
 * tests/e2e/test_security.sh deletes each rule and finds a probe that fails).
 */
static void batch_put_forward(struct batch *b, const struct nft_policy *p)
{
	const char *wg = p->wg_ifname;

	batch_put_chain(b, "forward", "filter", NF_INET_FORWARD, 0);
	batch_put_simple(b, NULL, "wgb*", NFT_CT_STATE, CT_REPLY, false, NF_ACCEPT);
	batch_put_simple(b, "wgb*", NULL, NFT_CT_STATE, CT_REPLY, false, NF_ACCEPT);
	batch_put_simple(b, NULL, "wgb*", NFT_CT_STATUS, IPS_DST_NAT, false, NF_ACCEPT);
	batch_put_rules(b, "forward", p->nbridges, fwd_same_bridge, p);
	if (wg) {
		batch_put_rules(b, "forward", p->nbridges, fwd_tunnel_in, p);
		batch_put_simple(b, wg, NULL, 0, 0, false, NF_DROP);
		batch_put_rules(b, "forward", p->nbridges, fwd_tunnel_out, p);
		batch_put_simple(b, NULL, wg, 0, 0, false, NF_DROP);
	}
	batch_put_simple(b, NULL, "wgb*", 0, 0, false, NF_DROP);
	for (size_t i = 0; i < p->nbridges; i++)	/* --internal: nothing further */
		if (p->bridges[i].internal)
			batch_put_simple(b, p->bridges[i].ifname, NULL, 0, 0, false, NF_DROP);
	batch_put_simple(b, "wgb*", NULL, 0, 0, true, NF_DROP);
	for (size_t i = 0; i < p->nuplinks; i++)
		batch_put_simple(b, "wgb*", p->uplinks[i], 0, 0, false, NF_ACCEPT);
	batch_put_simple(b, "wgb*", NULL, 0, 0, false, NF_DROP);
}

/* iifname W [meta l4proto P th dport X | icmp type echo-request] accept */
static void input_accept(struct batch *b, const char *wg, uint8_t proto, uint16_t port)
{
	uint8_t echo = 8;		/* ICMP_ECHO */
	uint16_t dport = htons(port);
	struct rule rl;

	if (b->err)
		return;
	rule_init(&rl, "input");
	put_ifname(&rl, NFT_META_IIFNAME, NFT_CMP_EQ, wg);
	put_meta(&rl, NFT_META_L4PROTO);	/* IPPROTO_ICMP is IPv4's only */
	put_cmp(&rl, NFT_CMP_EQ, &proto, sizeof(proto));
	if (port) {
		put_payload(&rl, NFT_PAYLOAD_TRANSPORT_HEADER, TH_DPORT, sizeof(dport));
		put_cmp(&rl, NFT_CMP_EQ, &dport, sizeof(dport));
	} else {
		put_payload(&rl, NFT_PAYLOAD_TRANSPORT_HEADER, 0, sizeof(echo));
		put_cmp(&rl, NFT_CMP_EQ, &echo, sizeof(echo));
	}
	put_verdict(&rl, NF_ACCEPT);
	batch_put_rule(b, &rl);
}

/* iifname W [ct state established,related] verdict */
static void input_simple(struct batch *b, const char *wg, bool replies, int verdict)
{
	struct rule rl;

	if (b->err)
		return;
	rule_init(&rl, "input");
	put_ifname(&rl, NFT_META_IIFNAME, NFT_CMP_EQ, wg);
	if (replies)
		put_ct_bits(&rl, NFT_CT_STATE, CT_REPLY);
	put_verdict(&rl, verdict);
	batch_put_rule(b, &rl);
}

/* The host is closed to the mesh: replies (ICMP errors are related), pings and what the user
 * opened pass; every other new connection from the tunnel to a local address ends here. */
static void batch_put_input(struct batch *b, const struct nft_policy *p)
{
	if (!p->wg_ifname)
		return;
	batch_put_chain(b, "input", "filter", NF_INET_LOCAL_IN, 0);
	input_simple(b, p->wg_ifname, true, NF_ACCEPT);
	input_accept(b, p->wg_ifname, IPPROTO_ICMP, 0);
	for (size_t i = 0; i < p->nhost_allow; i++)
		input_accept(b, p->wg_ifname, p->host_allow[i].proto, p->host_allow[i].port);
	input_simple(b, p->wg_ifname, false, NF_DROP);
}

/* iifname "wgb*" ip daddr 127.0.0.0/8 drop: route_localnet is on for the bridges (published
 * ports on 127.0.0.1), which must not open the host's loopback services to containers. */
static void batch_put_localnet(struct batch *b)
{
	struct rule rl;

	batch_put_chain(b, "localnet", "filter", NF_INET_PRE_ROUTING, -300);
	if (b->err)
		return;
	rule_init(&rl, "localnet");
	put_ifname(&rl, NFT_META_IIFNAME, NFT_CMP_EQ, "wgb*");
	put_ipv4(&rl);
	put_ip_prefix(&rl, IP_DADDR, 0x7f000000, 8);
	put_verdict(&rl, NF_DROP);
	batch_put_rule(b, &rl);
}

/* oifname "wgb*" ip saddr 127.0.0.0/8 masquerade: `curl 127.0.0.1:P` after the output DNAT */
static void nat_masq_loopback(struct batch *b)
{
	struct nftnl_expr *e;
	struct rule rl;

	if (b->err)
		return;
	rule_init(&rl, "postrouting");
	put_ifname(&rl, NFT_META_OIFNAME, NFT_CMP_EQ, "wgb*");
	put_ipv4(&rl);
	put_ip_prefix(&rl, IP_SADDR, 0x7f000000, 8);
	e = expr_new(&rl, "masq");
	if (e)
		nftnl_rule_add_expr(rl.r, e);
	batch_put_rule(b, &rl);
}

static void batch_put_nat(struct batch *b, const struct nft_policy *p)
{
	struct rule rl;

	batch_put_chain(b, "postrouting", "nat", NF_INET_POST_ROUTING, 100);
	for (size_t i = 0; i < p->nbridges && !b->err; i++) {
		if (p->bridges[i].internal)
			continue;
		rule_init(&rl, "postrouting");
		nat_masq(&rl, i, p);
		batch_put_rule(b, &rl);
	}
	if (p->ndnats)
		nat_masq_loopback(b);
	/*
	 * From outside: never through the tunnel, which carries only pool to pool (a published
	 * port is reached at the host's address on the uplink), and never a port published on
	 * 127.0.0.1, which only the host may reach: a neighbour that routes 127.0.0.1 to us
	 * would otherwise be translated before the kernel drops it as a martian (moby#45610).
	 */
	batch_put_chain(b, "prerouting", "nat", NF_INET_PRE_ROUTING, -100);
	for (size_t i = 0; i < p->ndnats && !b->err; i++) {
		if (ip_is_loopback(p->dnats[i].host_ip))
			continue;
		rule_init(&rl, "prerouting");
		put_dnat_rule(&rl, &p->dnats[i], p->wg_ifname);
		batch_put_rule(b, &rl);
	}
	batch_put_chain(b, "output", "nat", NF_INET_LOCAL_OUT, -100);
	for (size_t i = 0; i < p->ndnats && !b->err; i++) {
		rule_init(&rl, "output");
		put_dnat_rule(&rl, &p->dnats[i], NULL);
		batch_put_rule(b, &rl);
	}
}

/* A port's key in SET_PORTS: its name zero-padded to IFNAMSIZ (as meta iifname loads it),
 * its MAC zero-padded to 8 bytes (as a payload load of 6 bytes leaves a register pair), then
 * its address. */
static void port_key(const struct nft_ctr_port *cp, uint8_t key[PORT_KEY_LEN])
{
	uint32_t addr = htonl(cp->addr);

	memset(key, 0, PORT_KEY_LEN);
	memcpy(key, cp->ifname, strnlen(cp->ifname, IFNAMSIZ - 1));
	memcpy(key + PORT_KEY_MAC, cp->mac, sizeof(cp->mac));
	memcpy(key + PORT_KEY_ADDR, &addr, sizeof(addr));
}

/* NEWSETELEM or DELSETELEM of these ports in SET_PORTS, ELEMS_PER_MSG a message. */
static void batch_put_ports(struct batch *b, uint16_t type, uint32_t set_id,
			    const struct nft_ctr_port *ports, size_t n)
{
	uint8_t key[PORT_KEY_LEN];
	struct nftnl_set_elem *e;
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	size_t i = 0;

	while (!b->err && i < n) {
		s = set_new(SET_PORTS, set_id, NFPROTO_BRIDGE);
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
			port_key(&ports[i], key);
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sizeof(key));
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

/* ether type ETYPE: the frame's own field (a VLAN tag, even one the kernel took into the
 * skb's metadata, reads as 0x8100 here) */
static void put_ether_type(struct rule *rl, uint32_t op, uint16_t etype)
{
	uint16_t be = htons(etype);

	put_payload(rl, NFT_PAYLOAD_LL_HEADER, ETH_TYPE, sizeof(be));
	put_cmp(rl, op, &be, sizeof(be));
}

/* iifname . <MAC at mac_base/mac_off> . <address at the network header's ip_off> != @ports */
static void put_port_lookup(struct rule *rl, uint32_t mac_base, uint32_t mac_off, uint32_t ip_off)
{
	put_meta_reg(rl, NFT_META_IIFNAME, NFT_REG32_00);		/* 00-03 */
	put_payload_reg(rl, mac_base, mac_off, 6, NFT_REG32_04);	/* 04-05 */
	put_payload_reg(rl, NFT_PAYLOAD_NETWORK_HEADER, ip_off, sizeof(uint32_t), NFT_REG32_06);
	put_lookup(rl, NFT_REG32_00, SET_PORTS, SET_PORTS_ID, true);
}

/* One rule of the bridge table's prerouting chain, for frames that container ports send. */
static void bridge_rule(struct batch *b, uint16_t etype, uint32_t mac_base, uint32_t mac_off,
			uint32_t ip_off)
{
	struct rule rl;

	if (b->err)
		return;
	rule_init_family(&rl, "prerouting", NFPROTO_BRIDGE);
	put_ifname(&rl, NFT_META_IIFNAME, NFT_CMP_EQ, PORTS_PREFIX);
	if (!etype) {
		uint16_t arp = htons(ETH_P_ARP);

		put_ether_type(&rl, NFT_CMP_NEQ, ETH_P_IP);
		put_cmp(&rl, NFT_CMP_NEQ, &arp, sizeof(arp));
	} else {
		put_ether_type(&rl, NFT_CMP_EQ, etype);
		put_port_lookup(&rl, mac_base, mac_off, ip_off);
	}
	put_verdict(&rl, NF_DROP);
	batch_put_rule(b, &rl);
}

/*
 * `bridge wgnet`: the bridge port a frame came in by is known only here, not in the inet
 * table, which sees the bridge. CAP_NET_RAW (Docker's default) forges any header; the port it
 * cannot choose. From a container's port (wgv*) pass only
 *   - untagged IPv4 and ARP: no IPv6 (router advertisements, CVE-2020-13401), no VLAN tag
 *     hiding a forged source behind a header the checks below do not parse;
 *   - IPv4 from the port's own MAC and address;
 *   - ARP from the port's own MAC, for its own address, naming its own MAC: no neighbour's or
 *     gateway's address taken over, no other container's MAC learnt on this port.
 * Four rules whatever the number of containers: they come and go as elements of the set
 * (nft_port_update), not as rules, and a port missing from it sends nothing but what the
 * first rule already dropped.
 */
static void batch_put_bridge_table(struct batch *b, const struct nft_policy *p)
{
	struct nftnl_set *s;
	struct nlmsghdr *nlh;

	b->family = NFPROTO_BRIDGE;
	batch_put_table(b, NFT_MSG_NEWTABLE);
	batch_put_table(b, NFT_MSG_DELTABLE);
	batch_put_table(b, NFT_MSG_NEWTABLE);
	if (!b->err) {
		s = set_new(SET_PORTS, SET_PORTS_ID, NFPROTO_BRIDGE);
		if (!s) {
			b->err = -ENOMEM;
		} else {
			nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE,
					  (TYPE_IFNAME << TYPE_BITS | TYPE_ETHERADDR) << TYPE_BITS |
						  TYPE_IPADDR);
			nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, PORT_KEY_LEN);
			nlh = batch_hdr(b, NFT_MSG_NEWSET, NLM_F_CREATE);
			nftnl_set_nlmsg_build_payload(nlh, s);
			nftnl_set_free(s);
			batch_next(b);
		}
	}
	batch_put_ports(b, NFT_MSG_NEWSETELEM, SET_PORTS_ID, p->ports, p->nports);
	batch_put_chain(b, "prerouting", "filter", BR_PRE_ROUTING, -300);
	bridge_rule(b, 0, 0, 0, 0);
	bridge_rule(b, ETH_P_IP, NFT_PAYLOAD_LL_HEADER, ETH_SADDR, IP_SADDR);
	bridge_rule(b, ETH_P_ARP, NFT_PAYLOAD_LL_HEADER, ETH_SADDR, ARP_SPA);
	bridge_rule(b, ETH_P_ARP, NFT_PAYLOAD_NETWORK_HEADER, ARP_SHA, ARP_SPA);
	b->family = NFPROTO_INET;
}

static int policy_check(const struct nft_policy *p)
{
	if ((p->nbridges && !p->bridges) || (p->ndnats && !p->dnats))
		return -EINVAL;
	if (p->wg_ifname && (!p->wg_ifname[0] || strnlen(p->wg_ifname, IFNAMSIZ) == IFNAMSIZ))
		return -EINVAL;
	if ((p->nuplinks && !p->uplinks) || (p->nhost_allow && !p->host_allow))
		return -EINVAL;
	for (size_t i = 0; i < p->nuplinks; i++)
		if (!p->uplinks[i][0] || strnlen(p->uplinks[i], IFNAMSIZ) == IFNAMSIZ)
			return -EINVAL;
	for (size_t i = 0; i < p->nhost_allow; i++)
		if (!p->host_allow[i].proto || !p->host_allow[i].port)
			return -EINVAL;
	if (p->nports && !p->ports)
		return -EINVAL;
	for (size_t i = 0; i < p->nports; i++)
		if (!p->ports[i].ifname[0] || strnlen(p->ports[i].ifname, IFNAMSIZ) == IFNAMSIZ)
			return -EINVAL;
	for (size_t i = 0; i < p->nbridges; i++)
		if (!p->bridges[i].ifname[0] ||
		    strnlen(p->bridges[i].ifname, IFNAMSIZ) == IFNAMSIZ ||
		    p->bridges[i].pool_len > 32 || p->bridges[i].slice_len > 32)
			return -EINVAL;
	for (size_t i = 0; i < p->ndnats; i++)
		if (!p->dnats[i].proto || (p->dnats[i].host_port_end &&
					   p->dnats[i].host_port_end < p->dnats[i].host_port))
			return -EINVAL;
	return 0;
}

static void batch_put_policy(struct batch *b, const struct nft_policy *p,
			     struct interval *pools, struct interval *slices)
{
	size_t npools, nslices;

	for (size_t i = 0; i < p->nbridges; i++) {
		pools[i] = interval_of(p->bridges[i].pool_addr, p->bridges[i].pool_len);
		slices[i] = interval_of(p->bridges[i].slice_addr, p->bridges[i].slice_len);
	}
	npools = intervals_merge(pools, p->nbridges);
	nslices = intervals_merge(slices, p->nbridges);

	batch_put_table(b, NFT_MSG_NEWTABLE);	/* create first: the delete cannot fail */
	batch_put_table(b, NFT_MSG_DELTABLE);
	batch_put_table(b, NFT_MSG_NEWTABLE);
	batch_put_set(b, SET_POOLS, SET_POOLS_ID, pools, npools);
	batch_put_set(b, SET_SLICES, SET_SLICES_ID, slices, nslices);
	batch_put_localnet(b);
	batch_put_forward(b, p);
	batch_put_input(b, p);
	batch_put_nat(b, p);
	batch_put_bridge_table(b, p);
	batch_finish(b);
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

static void sock_grow(struct mnl_socket *nl, int opt_force, int opt, size_t want)
{
	int fd = mnl_socket_get_fd(nl), cur = 0, size;
	socklen_t len = sizeof(cur);

	if (want > INT32_MAX / 2)
		want = INT32_MAX / 2;
	size = (int)want;
	if (getsockopt(fd, SOL_SOCKET, opt, &cur, &len) == 0 && cur >= size)
		return;
	/* FORCE needs CAP_NET_ADMIN, which we have; without it net.core.*mem_max caps us */
	if (setsockopt(fd, SOL_SOCKET, opt_force, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

/*
 * nfnetlink handles the whole batch inside sendmsg(), so every reply is queued when it returns:
 * read until none is left and keep the first error.
 */
static int batch_commit(struct batch *b)
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

int nft_apply(const struct nft_policy *p)
{
	struct interval *pools = NULL, *slices = NULL;
	struct batch b = { 0 };
	size_t limit;
	int ret;

	ret = policy_check(p);
	if (ret < 0)
		return ret;
	pools = calloc(p->nbridges + 1, sizeof(*pools));
	slices = calloc(p->nbridges + 1, sizeof(*slices));
	if (!pools || !slices) {
		ret = -ENOMEM;
		goto out;
	}
	limit = 16384 + (p->nbridges * 9 + p->ndnats * 2 + p->nuplinks + p->nhost_allow +
			 p->nports) * 1024;
	for (;;) {
		ret = batch_init(&b, limit);
		if (ret < 0)
			goto out;
		batch_put_policy(&b, p, pools, slices);
		if (!b.full)
			break;
		batch_release(&b);	/* over the estimate: build it again, twice as big */
		limit *= 2;
	}
	ret = b.err ? b.err : batch_commit(&b);
out:
	batch_release(&b);
	free(pools);
	free(slices);
	return ret;
}

int nft_port_update(const struct nft_ctr_port *port, bool add)
{
	struct batch b;
	int ret;

	if (!port->ifname[0] || strnlen(port->ifname, IFNAMSIZ) == IFNAMSIZ)
		return -EINVAL;
	ret = batch_init(&b, 4096);
	if (ret < 0)
		goto out;
	b.family = NFPROTO_BRIDGE;
	batch_put_ports(&b, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, 0, port, 1);
	batch_finish(&b);
	ret = b.err ? b.err : batch_commit(&b);
out:
	batch_release(&b);
	return ret;
}

int nft_delete(void)
{
	static const uint16_t families[] = { NFPROTO_INET, NFPROTO_BRIDGE };
	struct batch b;
	int ret;

	ret = batch_init(&b, 4096);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		b.family = families[i];
		batch_put_table(&b, NFT_MSG_NEWTABLE);	/* so that the delete cannot fail */
		batch_put_table(&b, NFT_MSG_DELTABLE);
	}
	batch_finish(&b);
	ret = b.err ? b.err : batch_commit(&b);
out:
	batch_release(&b);
	return ret;
}

static int table_found(const struct nlmsghdr *nlh, void *data)
{
	if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWTABLE)
		*(int *)data = 1;
	return MNL_CB_OK;
}

static int table_exists(uint16_t family)
{
	char buf[RECV_BUF] __attribute__((aligned(8)));
	struct nftnl_table *t = NULL;
	struct mnl_socket *nl = NULL;
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;
	int ret, found = 0;
	ssize_t n;

	t = nftnl_table_alloc();
	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE_NAME) < 0) {
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

int nft_exists(void)
{
	int ret = table_exists(NFPROTO_INET);

	return ret == 1 ? table_exists(NFPROTO_BRIDGE) : ret;
}
