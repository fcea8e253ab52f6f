/* SPDX-License-Identifier: MIT */
/*
 * The rule set: the policy of nft.h as the chains, sets and rules of `inet wgnet` and `bridge
 * wgnet`, replaced in one nftables batch (nft_batch.c): NEWTABLE, DELTABLE, NEWTABLE (the delete
 * cannot fail, the replacement is atomic), then sets, chains and rules, every message acked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include "netlink/nft.h"
#include "netlink/nft_batch.h"
#include "netlink/nft_rule.h"

#define SET_POOLS "pools"
#define SET_POOLS_ID 1
#define SET_SLICES "local_slices"
#define SET_SLICES_ID 2
#define SET_PORTS "ports"		/* table bridge wgnet: iifname . ether . ip of each port */
#define SET_PORTS_ID 3
#define SET_RESPONDERS "responders"
#define SET_RESPONDERS_ID 4
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
#define ARP_SHA 8			/* and in an Ethernet/IPv4 ARP packet */
#define ARP_SPA 14
#define IP_SADDR 12			/* offsets in the IPv4 header */
#define IP_DADDR 16
#define TH_DPORT 2			/* offset in the TCP, UDP and SCTP headers */
#define BR_PRE_ROUTING 0		/* NF_BR_PRE_ROUTING (its header clashes with net/if.h) */

_Static_assert(PORT_KEY_LEN <= NFT_BATCH_KEY_MAX, "a port's key does not fit");

/* A rule for chain in the table the batch is writing. */
static void rule_init(const struct nft_batch *b, struct nft_rule *rl, const char *chain)
{
	nft_rule_init(rl, b->table, chain, b->family);
}

/* [iifname != W] fib daddr type local [ip daddr host] meta l4proto P th dport X[-Y]
 * dnat ip to ctr:port */
static void put_dnat_rule(struct nft_rule *rl, const struct nft_dnat *d, const char *not_from)
{
	uint32_t local = RTN_LOCAL, addr = htonl(d->ctr_ip);
	uint16_t from = htons(d->host_port), to = htons(d->host_port_end),
		 port = htons(d->ctr_port);

	if (not_from)
		nft_rule_put_ifname(rl, NFT_META_IIFNAME, NFT_CMP_NEQ, not_from);
	nft_rule_put_ipv4(rl);
	nft_rule_put_fib_daddr_type(rl);
	nft_rule_put_cmp(rl, NFT_CMP_EQ, &local, sizeof(local));
	if (d->host_ip)
		nft_rule_put_ip_prefix(rl, IP_DADDR, d->host_ip, 32);
	nft_rule_put_meta(rl, NFT_META_L4PROTO);
	nft_rule_put_cmp(rl, NFT_CMP_EQ, &d->proto, sizeof(d->proto));
	nft_rule_put_payload(rl, NFT_PAYLOAD_TRANSPORT_HEADER, TH_DPORT, sizeof(from));
	if (d->host_port_end > d->host_port)
		nft_rule_put_range(rl, &from, &to, sizeof(from));
	else
		nft_rule_put_cmp(rl, NFT_CMP_EQ, &from, sizeof(from));
	nft_rule_put_immediate(rl, NFT_REG_1, &addr, sizeof(addr));
	nft_rule_put_immediate(rl, NFT_REG_2, &port, sizeof(port));
	nft_rule_put_dnat(rl, NFT_REG_1, NFT_REG_2);
}

/* ip saddr S ip daddr != @pools oifname != "wgb*" [oifname != W] masquerade */
static void put_masq_rule(struct nft_rule *rl, const struct nft_bridge *br, const char *wg)
{
	nft_rule_put_ipv4(rl);
	nft_rule_put_ip_prefix(rl, IP_SADDR, br->slice_addr, br->slice_len);
	nft_rule_put_ip_lookup(rl, IP_DADDR, SET_POOLS, SET_POOLS_ID, true);
	nft_rule_put_ifname(rl, NFT_META_OIFNAME, NFT_CMP_NEQ, "wgb*");
	if (wg)
		nft_rule_put_ifname(rl, NFT_META_OIFNAME, NFT_CMP_NEQ, wg);
	nft_rule_put_masq(rl);
}

/* The rules of one chain, each built by fn(rl, i, arg) for i < n. */
static void put_rules(struct nft_batch *b, const char *chain, size_t n,
		      void (*fn)(struct nft_rule *rl, size_t i, const struct nft_policy *p),
		      const struct nft_policy *p)
{
	struct nft_rule rl;

	for (size_t i = 0; i < n && !b->err; i++) {
		rule_init(b, &rl, chain);
		fn(&rl, i, p);
		nft_batch_put_rule(b, &rl);
	}
}

static void fwd_same_bridge(struct nft_rule *rl, size_t i, const struct nft_policy *p)
{
	nft_rule_put_ifname(rl, NFT_META_IIFNAME, NFT_CMP_EQ, p->bridges[i].ifname);
	nft_rule_put_ifname(rl, NFT_META_OIFNAME, NFT_CMP_EQ, p->bridges[i].ifname);
	nft_rule_put_verdict(rl, NF_ACCEPT);
}

static void fwd_tunnel_in(struct nft_rule *rl, size_t i, const struct nft_policy *p)
{
	const struct nft_bridge *br = &p->bridges[i];

	nft_rule_put_ifname(rl, NFT_META_IIFNAME, NFT_CMP_EQ, p->wg_ifname);
	nft_rule_put_ifname(rl, NFT_META_OIFNAME, NFT_CMP_EQ, br->ifname);
	nft_rule_put_ipv4(rl);
	nft_rule_put_ip_prefix(rl, IP_SADDR, br->pool_addr, br->pool_len);
	nft_rule_put_ip_prefix(rl, IP_DADDR, br->slice_addr, br->slice_len);
	nft_rule_put_verdict(rl, NF_ACCEPT);
}

static void fwd_tunnel_out(struct nft_rule *rl, size_t i, const struct nft_policy *p)
{
	const struct nft_bridge *br = &p->bridges[i];

	nft_rule_put_ifname(rl, NFT_META_IIFNAME, NFT_CMP_EQ, br->ifname);
	nft_rule_put_ifname(rl, NFT_META_OIFNAME, NFT_CMP_EQ, p->wg_ifname);
	nft_rule_put_ipv4(rl);
	nft_rule_put_ip_prefix(rl, IP_DADDR, br->pool_addr, br->pool_len);
	nft_rule_put_verdict(rl, NF_ACCEPT);
}

static void nat_masq(struct nft_rule *rl, size_t i, const struct nft_policy *p)
{
	put_masq_rule(rl, &p->bridges[i], p->wg_ifname);
}

static bool ip_is_loopback(uint32_t addr)
{
	return addr >> 24 == 127;
}

/* A rule of only interface matches, a `ct` test or a pool lookup, and a verdict. */
static void put_simple(struct nft_batch *b, const char *iif, const char *oif, uint32_t ct_key,
		       uint32_t ct_bits, bool to_pools, int verdict)
{
	struct nft_rule rl;

	if (b->err)
		return;
	rule_init(b, &rl, "forward");
	if (iif)
		nft_rule_put_ifname(&rl, NFT_META_IIFNAME, NFT_CMP_EQ, iif);
	if (oif)
		nft_rule_put_ifname(&rl, NFT_META_OIFNAME, NFT_CMP_EQ, oif);
	if (ct_bits)
		nft_rule_put_ct_bits(&rl, ct_key, ct_bits);
	if (to_pools) {
		nft_rule_put_ipv4(&rl);
		nft_rule_put_ip_lookup(&rl, IP_DADDR, SET_POOLS, SET_POOLS_ID, false);
	}
	nft_rule_put_verdict(&rl, verdict);
	nft_batch_put_rule(b, &rl);
}

#define CT_REPLY (NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED))

/*
 * An allow-list: what is not accepted here for a wgnet bridge or the tunnel ends in a drop,
 * which is final whatever Docker's chains (DOCKER-USER accepts `-i wgb+`) say. A forged
 * source never gets this far: `bridge wgnet` drops it at the container's port, where the
 * port is known (a rule here would see only the bridge, and was never needed:
 * tests/e2e/test_security.sh deletes each rule and finds a probe that fails).
 */
static void put_forward(struct nft_batch *b, const struct nft_policy *p)
{
	const char *wg = p->wg_ifname;

	nft_batch_put_chain(b, "forward", "filter", NF_INET_FORWARD, 0);
	put_simple(b, NULL, "wgb*", NFT_CT_STATE, CT_REPLY, false, NF_ACCEPT);
	put_simple(b, "wgb*", NULL, NFT_CT_STATE, CT_REPLY, false, NF_ACCEPT);
	put_simple(b, NULL, "wgb*", NFT_CT_STATUS, IPS_DST_NAT, false, NF_ACCEPT);
	put_rules(b, "forward", p->nbridges, fwd_same_bridge, p);
	if (wg) {
		put_rules(b, "forward", p->nbridges, fwd_tunnel_in, p);
		put_simple(b, wg, NULL, 0, 0, false, NF_DROP);
		put_rules(b, "forward", p->nbridges, fwd_tunnel_out, p);
		put_simple(b, NULL, wg, 0, 0, false, NF_DROP);
	}
	put_simple(b, NULL, "wgb*", 0, 0, false, NF_DROP);
	for (size_t i = 0; i < p->nbridges; i++)	/* --internal: nothing further */
		if (p->bridges[i].internal)
			put_simple(b, p->bridges[i].ifname, NULL, 0, 0, false, NF_DROP);
	put_simple(b, "wgb*", NULL, 0, 0, true, NF_DROP);
	for (size_t i = 0; i < p->nuplinks; i++)
		put_simple(b, "wgb*", p->uplinks[i], 0, 0, false, NF_ACCEPT);
	put_simple(b, "wgb*", NULL, 0, 0, false, NF_DROP);
}

/* iifname W [meta l4proto P th dport X | icmp type echo-request] accept */
static void input_accept(struct nft_batch *b, const char *wg, uint8_t proto, uint16_t port)
{
	uint8_t echo = 8;		/* ICMP_ECHO */
	uint16_t dport = htons(port);
	struct nft_rule rl;

	if (b->err)
		return;
	rule_init(b, &rl, "input");
	nft_rule_put_ifname(&rl, NFT_META_IIFNAME, NFT_CMP_EQ, wg);
	nft_rule_put_meta(&rl, NFT_META_L4PROTO);	/* IPPROTO_ICMP is IPv4's only */
	nft_rule_put_cmp(&rl, NFT_CMP_EQ, &proto, sizeof(proto));
	if (port) {
		nft_rule_put_payload(&rl, NFT_PAYLOAD_TRANSPORT_HEADER, TH_DPORT, sizeof(dport));
		nft_rule_put_cmp(&rl, NFT_CMP_EQ, &dport, sizeof(dport));
	} else {
		nft_rule_put_payload(&rl, NFT_PAYLOAD_TRANSPORT_HEADER, 0, sizeof(echo));
		nft_rule_put_cmp(&rl, NFT_CMP_EQ, &echo, sizeof(echo));
	}
	nft_rule_put_verdict(&rl, NF_ACCEPT);
	nft_batch_put_rule(b, &rl);
}

/* iifname W [ct state established,related] verdict */
static void input_simple(struct nft_batch *b, const char *wg, bool replies, int verdict)
{
	struct nft_rule rl;

	if (b->err)
		return;
	rule_init(b, &rl, "input");
	nft_rule_put_ifname(&rl, NFT_META_IIFNAME, NFT_CMP_EQ, wg);
	if (replies)
		nft_rule_put_ct_bits(&rl, NFT_CT_STATE, CT_REPLY);
	nft_rule_put_verdict(&rl, verdict);
	nft_batch_put_rule(b, &rl);
}

/* iifname != "wgb*" iifname != "lo" ip daddr @responders drop: the names responders answer
 * the containers of our bridges (and the host), never the uplink, Docker's other networks or
 * the mesh, whatever the user opened to it */
static void input_responders(struct nft_batch *b)
{
	struct nft_rule rl;

	if (b->err)
		return;
	rule_init(b, &rl, "input");
	nft_rule_put_ifname(&rl, NFT_META_IIFNAME, NFT_CMP_NEQ, "wgb*");
	nft_rule_put_ifname(&rl, NFT_META_IIFNAME, NFT_CMP_NEQ, "lo");
	nft_rule_put_ipv4(&rl);
	nft_rule_put_ip_lookup(&rl, IP_DADDR, SET_RESPONDERS, SET_RESPONDERS_ID, false);
	nft_rule_put_verdict(&rl, NF_DROP);
	nft_batch_put_rule(b, &rl);
}

/* iifname W ip daddr @local_slices udp dport 53 accept: the peers ask our gateways for the
 * names of this host's containers (the responder checks that they ask for their pool) */
static void input_peer_names(struct nft_batch *b, const char *wg)
{
	uint8_t udp = IPPROTO_UDP;
	uint16_t dport = htons(53);
	struct nft_rule rl;

	if (b->err)
		return;
	rule_init(b, &rl, "input");
	nft_rule_put_ifname(&rl, NFT_META_IIFNAME, NFT_CMP_EQ, wg);
	nft_rule_put_ipv4(&rl);
	nft_rule_put_ip_lookup(&rl, IP_DADDR, SET_SLICES, SET_SLICES_ID, false);
	nft_rule_put_meta(&rl, NFT_META_L4PROTO);
	nft_rule_put_cmp(&rl, NFT_CMP_EQ, &udp, sizeof(udp));
	nft_rule_put_payload(&rl, NFT_PAYLOAD_TRANSPORT_HEADER, TH_DPORT, sizeof(dport));
	nft_rule_put_cmp(&rl, NFT_CMP_EQ, &dport, sizeof(dport));
	nft_rule_put_verdict(&rl, NF_ACCEPT);
	nft_batch_put_rule(b, &rl);
}

/* The host is closed to the mesh: replies (ICMP errors are related), pings, the peers' names
 * port and what the user opened pass; every other new connection from the tunnel to a local
 * address ends here. The responders are for our bridges alone, first. */
static void put_input(struct nft_batch *b, const struct nft_policy *p)
{
	if (!p->wg_ifname && !p->nresponders)
		return;
	nft_batch_put_chain(b, "input", "filter", NF_INET_LOCAL_IN, 0);
	if (p->nresponders)
		input_responders(b);
	if (!p->wg_ifname)
		return;
	input_simple(b, p->wg_ifname, true, NF_ACCEPT);
	input_accept(b, p->wg_ifname, IPPROTO_ICMP, 0);
	if (p->nbridges)
		input_peer_names(b, p->wg_ifname);
	for (size_t i = 0; i < p->nhost_allow; i++)
		input_accept(b, p->wg_ifname, p->host_allow[i].proto, p->host_allow[i].port);
	input_simple(b, p->wg_ifname, false, NF_DROP);
}

/* iifname "wgb*" ip daddr 127.0.0.0/8 drop: route_localnet is on for the bridges (published
 * ports on 127.0.0.1), which must not open the host's loopback services to containers. */
static void put_localnet(struct nft_batch *b)
{
	struct nft_rule rl;

	nft_batch_put_chain(b, "localnet", "filter", NF_INET_PRE_ROUTING, -300);
	if (b->err)
		return;
	rule_init(b, &rl, "localnet");
	nft_rule_put_ifname(&rl, NFT_META_IIFNAME, NFT_CMP_EQ, "wgb*");
	nft_rule_put_ipv4(&rl);
	nft_rule_put_ip_prefix(&rl, IP_DADDR, 0x7f000000, 8);
	nft_rule_put_verdict(&rl, NF_DROP);
	nft_batch_put_rule(b, &rl);
}

/* oifname "wgb*" ip saddr 127.0.0.0/8 masquerade: `curl 127.0.0.1:P` after the output DNAT */
static void nat_masq_loopback(struct nft_batch *b)
{
	struct nft_rule rl;

	if (b->err)
		return;
	rule_init(b, &rl, "postrouting");
	nft_rule_put_ifname(&rl, NFT_META_OIFNAME, NFT_CMP_EQ, "wgb*");
	nft_rule_put_ipv4(&rl);
	nft_rule_put_ip_prefix(&rl, IP_SADDR, 0x7f000000, 8);
	nft_rule_put_masq(&rl);
	nft_batch_put_rule(b, &rl);
}

static void put_nat(struct nft_batch *b, const struct nft_policy *p)
{
	struct nft_rule rl;

	nft_batch_put_chain(b, "postrouting", "nat", NF_INET_POST_ROUTING, 100);
	for (size_t i = 0; i < p->nbridges && !b->err; i++) {
		if (p->bridges[i].internal)
			continue;
		rule_init(b, &rl, "postrouting");
		nat_masq(&rl, i, p);
		nft_batch_put_rule(b, &rl);
	}
	if (p->ndnats)
		nat_masq_loopback(b);
	/*
	 * From outside: never through the tunnel, which carries only pool to pool (a published
	 * port is reached at the host's address on the uplink), and never a port published on
	 * 127.0.0.1, which only the host may reach: a neighbour that routes 127.0.0.1 to us
	 * would otherwise be translated before the kernel drops it as a martian (moby#45610).
	 */
	nft_batch_put_chain(b, "prerouting", "nat", NF_INET_PRE_ROUTING, -100);
	for (size_t i = 0; i < p->ndnats && !b->err; i++) {
		if (ip_is_loopback(p->dnats[i].host_ip))
			continue;
		rule_init(b, &rl, "prerouting");
		put_dnat_rule(&rl, &p->dnats[i], p->wg_ifname);
		nft_batch_put_rule(b, &rl);
	}
	nft_batch_put_chain(b, "output", "nat", NF_INET_LOCAL_OUT, -100);
	for (size_t i = 0; i < p->ndnats && !b->err; i++) {
		rule_init(b, &rl, "output");
		put_dnat_rule(&rl, &p->dnats[i], NULL);
		nft_batch_put_rule(b, &rl);
	}
}

/* A port's key in SET_PORTS: its name zero-padded to IFNAMSIZ (as meta iifname loads it),
 * its MAC zero-padded to 8 bytes (as a payload load of 6 bytes leaves a register pair), then
 * its address. */
static void port_key(const void *ports, size_t i, uint8_t *key)
{
	const struct nft_ctr_port *cp = (const struct nft_ctr_port *)ports + i;
	uint32_t addr = htonl(cp->addr);

	memset(key, 0, PORT_KEY_LEN);
	memcpy(key, cp->ifname, strnlen(cp->ifname, IFNAMSIZ - 1));
	memcpy(key + PORT_KEY_MAC, cp->mac, sizeof(cp->mac));
	memcpy(key + PORT_KEY_ADDR, &addr, sizeof(addr));
}

/* NEWSETELEM or DELSETELEM of these ports in SET_PORTS (set_id 0: the set exists). */
static void put_ports(struct nft_batch *b, uint16_t type, uint32_t set_id,
		      const struct nft_ctr_port *ports, size_t n)
{
	nft_batch_put_elems(b, type, SET_PORTS, set_id, ports, n, PORT_KEY_LEN, port_key);
}

/* iifname . <MAC at mac_base/mac_off> . <address at the network header's ip_off> != @ports */
static void put_port_lookup(struct nft_rule *rl, uint32_t mac_base, uint32_t mac_off,
			    uint32_t ip_off)
{
	nft_rule_put_meta_reg(rl, NFT_META_IIFNAME, NFT_REG32_00);		/* 00-03 */
	nft_rule_put_payload_reg(rl, mac_base, mac_off, 6, NFT_REG32_04);	/* 04-05 */
	nft_rule_put_payload_reg(rl, NFT_PAYLOAD_NETWORK_HEADER, ip_off, sizeof(uint32_t),
				  NFT_REG32_06);
	nft_rule_put_lookup(rl, NFT_REG32_00, SET_PORTS, SET_PORTS_ID, true);
}

/* One rule of the bridge table's prerouting chain, for frames that container ports send. */
static void bridge_rule(struct nft_batch *b, uint16_t etype, uint32_t mac_base, uint32_t mac_off,
			uint32_t ip_off)
{
	struct nft_rule rl;

	if (b->err)
		return;
	rule_init(b, &rl, "prerouting");
	nft_rule_put_ifname(&rl, NFT_META_IIFNAME, NFT_CMP_EQ, PORTS_PREFIX);
	if (!etype) {
		uint16_t arp = htons(ETH_P_ARP);

		nft_rule_put_ether_type(&rl, NFT_CMP_NEQ, ETH_P_IP);
		nft_rule_put_cmp(&rl, NFT_CMP_NEQ, &arp, sizeof(arp));
	} else {
		nft_rule_put_ether_type(&rl, NFT_CMP_EQ, etype);
		put_port_lookup(&rl, mac_base, mac_off, ip_off);
	}
	nft_rule_put_verdict(&rl, NF_DROP);
	nft_batch_put_rule(b, &rl);
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
static void put_bridge_table(struct nft_batch *b, const struct nft_policy *p)
{
	b->family = NFPROTO_BRIDGE;
	nft_batch_put_table(b, NFT_MSG_NEWTABLE);
	nft_batch_put_table(b, NFT_MSG_DELTABLE);
	nft_batch_put_table(b, NFT_MSG_NEWTABLE);
	nft_batch_put_set(b, SET_PORTS, SET_PORTS_ID, 0,
			  (TYPE_IFNAME << TYPE_BITS | TYPE_ETHERADDR) << TYPE_BITS | TYPE_IPADDR,
			  PORT_KEY_LEN);
	put_ports(b, NFT_MSG_NEWSETELEM, SET_PORTS_ID, p->ports, p->nports);
	nft_batch_put_chain(b, "prerouting", "filter", BR_PRE_ROUTING, -300);
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
	if ((p->nports && !p->ports) || (p->nresponders && !p->responders))
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

static struct nft_batch_interval interval_of(uint32_t addr, uint8_t len)
{
	uint32_t mask = nft_rule_prefix_mask(len);

	return (struct nft_batch_interval){ .first = addr & mask, .last = (addr & mask) | ~mask };
}

/* An interval set of IPv4 addresses and its elements (iv is sorted and merged in place). */
static void put_interval_set(struct nft_batch *b, const char *name, uint32_t id,
			     struct nft_batch_interval *iv, size_t n)
{
	nft_batch_put_set(b, name, id, NFT_SET_INTERVAL, TYPE_IPADDR, sizeof(uint32_t));
	nft_batch_put_intervals(b, name, id, iv, n);
}

static void put_policy(struct nft_batch *b, const struct nft_policy *p,
		       struct nft_batch_interval *pools, struct nft_batch_interval *slices,
		       struct nft_batch_interval *responders)
{
	for (size_t i = 0; i < p->nbridges; i++) {
		pools[i] = interval_of(p->bridges[i].pool_addr, p->bridges[i].pool_len);
		slices[i] = interval_of(p->bridges[i].slice_addr, p->bridges[i].slice_len);
	}
	for (size_t i = 0; i < p->nresponders; i++)
		responders[i] = interval_of(p->responders[i], 32);
	nft_batch_put_table(b, NFT_MSG_NEWTABLE);	/* create first: the delete cannot fail */
	nft_batch_put_table(b, NFT_MSG_DELTABLE);
	nft_batch_put_table(b, NFT_MSG_NEWTABLE);
	put_interval_set(b, SET_POOLS, SET_POOLS_ID, pools, p->nbridges);
	put_interval_set(b, SET_SLICES, SET_SLICES_ID, slices, p->nbridges);
	if (p->nresponders)
		put_interval_set(b, SET_RESPONDERS, SET_RESPONDERS_ID, responders,
				 p->nresponders);
	put_localnet(b);
	put_forward(b, p);
	put_input(b, p);
	put_nat(b, p);
	put_bridge_table(b, p);
	nft_batch_finish(b);
}

int nft_apply(const struct nft_policy *p)
{
	struct nft_batch_interval *pools = NULL, *slices = NULL, *responders = NULL;
	struct nft_batch b = { 0 };
	size_t limit;
	int ret;

	ret = policy_check(p);
	if (ret < 0)
		return ret;
	pools = calloc(p->nbridges + 1, sizeof(*pools));
	slices = calloc(p->nbridges + 1, sizeof(*slices));
	responders = calloc(p->nresponders + 1, sizeof(*responders));
	if (!pools || !slices || !responders) {
		ret = -ENOMEM;
		goto out;
	}
	limit = 16384 + (p->nbridges * 9 + p->ndnats * 2 + p->nuplinks + p->nhost_allow +
			 p->nports + p->nresponders) * 1024;
	for (;;) {
		ret = nft_batch_init(&b, NFT_TABLE_NAME, limit);
		if (ret < 0)
			goto out;
		put_policy(&b, p, pools, slices, responders);
		if (!b.full)
			break;
		nft_batch_release(&b);	/* over the estimate: build it again, twice as big */
		limit *= 2;
	}
	ret = b.err ? b.err : nft_batch_commit(&b);
out:
	nft_batch_release(&b);
	free(pools);
	free(slices);
	free(responders);
	return ret;
}

int nft_port_update(const struct nft_ctr_port *port, bool add)
{
	struct nft_batch b;
	int ret;

	if (!port->ifname[0] || strnlen(port->ifname, IFNAMSIZ) == IFNAMSIZ)
		return -EINVAL;
	ret = nft_batch_init(&b, NFT_TABLE_NAME, 4096);
	if (ret < 0)
		goto out;
	b.family = NFPROTO_BRIDGE;
	put_ports(&b, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, 0, port, 1);
	nft_batch_finish(&b);
	ret = b.err ? b.err : nft_batch_commit(&b);
out:
	nft_batch_release(&b);
	return ret;
}

int nft_delete(void)
{
	static const uint16_t families[] = { NFPROTO_INET, NFPROTO_BRIDGE };
	struct nft_batch b;
	int ret;

	ret = nft_batch_init(&b, NFT_TABLE_NAME, 4096);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		b.family = families[i];
		nft_batch_put_table(&b, NFT_MSG_NEWTABLE);	/* so that the delete cannot fail */
		nft_batch_put_table(&b, NFT_MSG_DELTABLE);
	}
	nft_batch_finish(&b);
	ret = b.err ? b.err : nft_batch_commit(&b);
out:
	nft_batch_release(&b);
	return ret;
}

int nft_table_exists(const char *family, const char *name)
{
	static const struct {
		const char *name;
		uint16_t nfproto;
	} families[] = { { "ip", NFPROTO_IPV4 }, { "ip6", NFPROTO_IPV6 },
			 { "inet", NFPROTO_INET }, { "bridge", NFPROTO_BRIDGE } };

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strcmp(families[i].name, family) == 0)
			return nft_batch_table_exists(name, families[i].nfproto);
	return -EINVAL;
}

int nft_exists(void)
{
	int ret = nft_batch_table_exists(NFT_TABLE_NAME, NFPROTO_INET);

	return ret == 1 ? nft_batch_table_exists(NFT_TABLE_NAME, NFPROTO_BRIDGE) : ret;
}
