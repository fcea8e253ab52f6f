/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_NFT_RULE_H
#define WGNET_NETLINK_NFT_RULE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Private to netlink/: one nftables rule, expression by expression, for the rule set in nft.c.
 * An error stays in the rule (err): the expressions after it do nothing, and nft_batch_put_rule
 * (nft_batch.h) passes it on to the batch. Kernel constants (NFT_META_*, NFT_CMP_*, NFT_REG_*,
 * NF_ACCEPT, ...) are passed as they are; the data compared, loaded or looked up is in network
 * byte order, addresses and prefixes given as numbers in host order.
 */
struct nftnl_rule;

struct nft_rule {
	struct nftnl_rule *r;
	int err;
};

/* A rule for chain in table of family; nft_batch_put_rule takes it. */
void nft_rule_init(struct nft_rule *rl, const char *table, const char *chain, uint16_t family);
/* The netmask of a prefix length, host byte order. */
uint32_t nft_rule_prefix_mask(uint8_t len);

/* Loads go to register 1 unless a register is named. */
void nft_rule_put_meta(struct nft_rule *rl, uint32_t key);
void nft_rule_put_meta_reg(struct nft_rule *rl, uint32_t key, uint32_t reg);
void nft_rule_put_cmp(struct nft_rule *rl, uint32_t op, const void *data, uint32_t len);
/* iifname/oifname (key) op name: "abc*" compares the prefix only */
void nft_rule_put_ifname(struct nft_rule *rl, uint32_t key, uint32_t op, const char *name);
void nft_rule_put_payload(struct nft_rule *rl, uint32_t base, uint32_t offset, uint32_t len);
void nft_rule_put_payload_reg(struct nft_rule *rl, uint32_t base, uint32_t offset, uint32_t len,
			      uint32_t reg);
/* meta nfproto ipv4 */
void nft_rule_put_ipv4(struct nft_rule *rl);
/* ip saddr/daddr (offset in the IPv4 header) addr/len; /0 adds nothing */
void nft_rule_put_ip_prefix(struct nft_rule *rl, uint32_t offset, uint32_t addr, uint8_t len);
void nft_rule_put_lookup(struct nft_rule *rl, uint32_t sreg, const char *set, uint32_t id,
			 bool inv);
/* ip saddr/daddr [!=] @set */
void nft_rule_put_ip_lookup(struct nft_rule *rl, uint32_t offset, const char *set, uint32_t id,
			    bool inv);
/* ct state/status (key): any of bits set */
void nft_rule_put_ct_bits(struct nft_rule *rl, uint32_t key, uint32_t bits);
/* ether type op etype (host order) */
void nft_rule_put_ether_type(struct nft_rule *rl, uint32_t op, uint16_t etype);
/* fib daddr type: the route type of the destination address */
void nft_rule_put_fib_daddr_type(struct nft_rule *rl);
/* register 1 within [from, to], each len bytes */
void nft_rule_put_range(struct nft_rule *rl, const void *from, const void *to, uint32_t len);
void nft_rule_put_immediate(struct nft_rule *rl, uint32_t reg, const void *data, uint32_t len);
void nft_rule_put_verdict(struct nft_rule *rl, int verdict);
/* dnat ip to the address in reg_addr, the port in reg_port */
void nft_rule_put_dnat(struct nft_rule *rl, uint32_t reg_addr, uint32_t reg_port);
void nft_rule_put_masq(struct nft_rule *rl);

#endif
