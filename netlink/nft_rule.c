/* SPDX-License-Identifier: MIT */
/*
 * One nftables rule and its expressions, built with libnftnl; nft_batch_put_rule (nft_batch.c)
 * sends it. A failed allocation is kept in the rule, and every expression after it is skipped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>			/* libnftnl/expr.h uses FILE */
#include <string.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "netlink/nft_rule.h"

#define ETH_TYPE 12			/* offset in the Ethernet header */

void nft_rule_init(struct nft_rule *rl, const char *table, const char *chain, uint16_t family)
{
	*rl = (struct nft_rule){ .r = nftnl_rule_alloc() };
	if (!rl->r || nftnl_rule_set_str(rl->r, NFTNL_RULE_TABLE, table) < 0 ||
	    nftnl_rule_set_str(rl->r, NFTNL_RULE_CHAIN, chain) < 0)
		rl->err = -ENOMEM;
	else
		nftnl_rule_set_u32(rl->r, NFTNL_RULE_FAMILY, family);
}

uint32_t nft_rule_prefix_mask(uint8_t len)
{
	return len ? ~(uint32_t)0 << (32 - (len > 32 ? 32 : len)) : 0;
}

static struct nftnl_expr *expr_new(struct nft_rule *rl, const char *name)
{
	struct nftnl_expr *e;

	if (rl->err)
		return NULL;
	e = nftnl_expr_alloc(name);
	if (!e)
		rl->err = -ENOMEM;
	return e;
}

void nft_rule_put_meta_reg(struct nft_rule *rl, uint32_t key, uint32_t reg)
{
	struct nftnl_expr *e = expr_new(rl, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, reg);
	nftnl_rule_add_expr(rl->r, e);
}

void nft_rule_put_meta(struct nft_rule *rl, uint32_t key)
{
	nft_rule_put_meta_reg(rl, key, NFT_REG_1);
}

void nft_rule_put_cmp(struct nft_rule *rl, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr_new(rl, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	nftnl_rule_add_expr(rl->r, e);
}

/* A whole name on IFNAMSIZ zero-padded bytes, "abc*" on its prefix only. */
void nft_rule_put_ifname(struct nft_rule *rl, uint32_t key, uint32_t op, const char *name)
{
	char buf[IFNAMSIZ] = { 0 };
	size_t len = strnlen(name, IFNAMSIZ - 1);

	nft_rule_put_meta(rl, key);
	if (len && name[len - 1] == '*') {
		nft_rule_put_cmp(rl, op, name, (uint32_t)len - 1);
		return;
	}
	memcpy(buf, name, len);
	nft_rule_put_cmp(rl, op, buf, sizeof(buf));
}

void nft_rule_put_payload_reg(struct nft_rule *rl, uint32_t base, uint32_t offset,
			       uint32_t len, uint32_t reg)
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

void nft_rule_put_payload(struct nft_rule *rl, uint32_t base, uint32_t offset,
			   uint32_t len)
{
	nft_rule_put_payload_reg(rl, base, offset, len, NFT_REG_1);
}

static void put_bitwise(struct nft_rule *rl, const void *mask, uint32_t len)
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
void nft_rule_put_ipv4(struct nft_rule *rl)
{
	uint8_t proto = NFPROTO_IPV4;

	nft_rule_put_meta(rl, NFT_META_NFPROTO);
	nft_rule_put_cmp(rl, NFT_CMP_EQ, &proto, sizeof(proto));
}

/* ip saddr/daddr [!=] addr/len; /0 would match every IPv4 packet, so it adds nothing */
static void put_ip_prefix_op(struct nft_rule *rl, uint32_t offset, uint32_t addr,
			     uint8_t len, uint32_t op)
{
	uint32_t mask = htonl(nft_rule_prefix_mask(len)), net = htonl(addr) & mask;

	if (!len)
		return;
	nft_rule_put_payload(rl, NFT_PAYLOAD_NETWORK_HEADER, offset, sizeof(net));
	if (len < 32)
		put_bitwise(rl, &mask, sizeof(mask));
	nft_rule_put_cmp(rl, op, &net, sizeof(net));
}

void nft_rule_put_ip_prefix(struct nft_rule *rl, uint32_t offset, uint32_t addr,
			     uint8_t len)
{
	put_ip_prefix_op(rl, offset, addr, len, NFT_CMP_EQ);
}

void nft_rule_put_lookup(struct nft_rule *rl, uint32_t sreg, const char *set, uint32_t id,
			  bool inv)
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

void nft_rule_put_ip_lookup(struct nft_rule *rl, uint32_t offset, const char *set,
			     uint32_t id, bool inv)
{
	nft_rule_put_payload(rl, NFT_PAYLOAD_NETWORK_HEADER, offset, sizeof(uint32_t));
	nft_rule_put_lookup(rl, NFT_REG_1, set, id, inv);
}

void nft_rule_put_ct_bits(struct nft_rule *rl, uint32_t key, uint32_t bits)
{
	struct nftnl_expr *e = expr_new(rl, "ct");
	uint32_t zero = 0;

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(rl->r, e);
	put_bitwise(rl, &bits, sizeof(bits));
	nft_rule_put_cmp(rl, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* The frame's own field: a VLAN tag, even one the kernel took into the skb's metadata, reads
 * as 0x8100 here. */
void nft_rule_put_ether_type(struct nft_rule *rl, uint32_t op, uint16_t etype)
{
	uint16_t be = htons(etype);

	nft_rule_put_payload(rl, NFT_PAYLOAD_LL_HEADER, ETH_TYPE, sizeof(be));
	nft_rule_put_cmp(rl, op, &be, sizeof(be));
}

void nft_rule_put_fib_daddr_type(struct nft_rule *rl)
{
	struct nftnl_expr *e = expr_new(rl, "fib");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	nftnl_rule_add_expr(rl->r, e);
}

void nft_rule_put_range(struct nft_rule *rl, const void *from, const void *to,
			 uint32_t len)
{
	struct nftnl_expr *e = expr_new(rl, "range");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, from, len);
	nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, to, len);
	nftnl_rule_add_expr(rl->r, e);
}

void nft_rule_put_immediate(struct nft_rule *rl, uint32_t reg, const void *data,
			     uint32_t len)
{
	struct nftnl_expr *e = expr_new(rl, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
	nftnl_rule_add_expr(rl->r, e);
}

void nft_rule_put_verdict(struct nft_rule *rl, int verdict)
{
	struct nftnl_expr *e = expr_new(rl, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	nftnl_rule_add_expr(rl->r, e);
}

void nft_rule_put_dnat(struct nft_rule *rl, uint32_t reg_addr, uint32_t reg_port)
{
	struct nftnl_expr *e = expr_new(rl, "nat");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, reg_addr);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, reg_port);
	nftnl_rule_add_expr(rl->r, e);
}

void nft_rule_put_masq(struct nft_rule *rl)
{
	struct nftnl_expr *e = expr_new(rl, "masq");

	if (e)
		nftnl_rule_add_expr(rl->r, e);
}
