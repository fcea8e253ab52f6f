/* SPDX-License-Identifier: MIT */
/*
 * frame: one hand-made Ethernet frame sent out of an interface (AF_PACKET), as an attacker with
 * CAP_NET_RAW (a container, by Docker's default) or a LAN neighbour can send it. The firewall
 * tests use it for what the kernel's own stack never sends: forged MACs and ARP answers, VLAN
 * tags, IPv6 router advertisements, packets to 127.0.0.1 on the wire.
 *
 *   frame IFNAME KIND [key=value...]
 *     udp      src= dst= dport= [sport=]          IPv4 UDP, payload "x"
 *     syn      src= dst= dport= [sport=]          IPv4 TCP SYN
 *     arp      spa= tpa= [sha=] [tha=] [op=reply|request]
 *     ra       prefix=IPV6 (a /64, autonomous)    ICMPv6 router advertisement to ff02::1
 *     udp6     src= dst= dport= [sport=]          IPv6 UDP
 *   every kind: [smac=] (default the interface's) [dmac=] (default broadcast)
 *               [vlan=VID[,VID]] (802.1Q tags, outermost first)
 * On an interface without link-layer header (a TUN device such as a userspace WireGuard's
 * wgnet0) the IP packet goes out alone: what whoever holds the peer's key can send into the
 * tunnel.
 * Exit status 0 once sent, 2 on bad arguments, 1 when the send fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if_arp.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define FRAME_MAX 512
#define VLANS_MAX 2

struct args {
	uint8_t smac[6], dmac[6], sha[6], tha[6];
	bool has_smac, has_sha;
	struct in_addr src, dst, spa, tpa;
	struct in6_addr src6, dst6, prefix;
	uint16_t sport, dport, op;
	uint16_t vlans[VLANS_MAX];
	size_t nvlans;
};

struct buf {
	uint8_t b[FRAME_MAX];
	size_t len;
	bool l3;			/* no Ethernet header: a TUN device */
};

static void put(struct buf *f, const void *p, size_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void put8(struct buf *f, uint8_t v)
{
	put(f, &v, 1);
}

static void put16(struct buf *f, uint16_t v)
{
	uint16_t be = htons(v);

	put(f, &be, 2);
}

static void put32(struct buf *f, uint32_t v)
{
	uint32_t be = htonl(v);

	put(f, &be, 4);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void set16(uint8_t *at, uint16_t v)
{
	at[0] = (uint8_t)(v >> 8);
	at[1] = (uint8_t)v;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char extra;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &extra) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return false;
		mac[i] = (uint8_t)v[i];
	}
	return true;
}

static bool parse_u16(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 0xffff)
		return false;
	*out = (uint16_t)v;
	return true;
}

static bool parse_vlans(const char *s, struct args *a)
{
	char copy[64], *tok, *save = NULL;

	snprintf(copy, sizeof(copy), "%s", s);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (a->nvlans == VLANS_MAX || !parse_u16(tok, &a->vlans[a->nvlans]) ||
		    a->vlans[a->nvlans] > 4095)
			return false;
		a->nvlans++;
	}
	return a->nvlans > 0;
}

static bool parse_arg(const char *kv, struct args *a)
{
	const char *v = strchr(kv, '=');
	size_t klen;

	if (!v)
		return false;
	klen = (size_t)(v++ - kv);
#define KEY(name) (klen == strlen(name) && strncmp(kv, name, klen) == 0)
	if (KEY("smac"))
		return (a->has_smac = parse_mac(v, a->smac));
	if (KEY("dmac"))
		return parse_mac(v, a->dmac);
	if (KEY("sha"))
		return (a->has_sha = parse_mac(v, a->sha));
	if (KEY("tha"))
		return parse_mac(v, a->tha);
	if (KEY("src"))
		return inet_pton(AF_INET, v, &a->src) == 1 || inet_pton(AF_INET6, v, &a->src6) == 1;
	if (KEY("dst"))
		return inet_pton(AF_INET, v, &a->dst) == 1 || inet_pton(AF_INET6, v, &a->dst6) == 1;
	if (KEY("spa"))
		return inet_pton(AF_INET, v, &a->spa) == 1;
	if (KEY("tpa"))
		return inet_pton(AF_INET, v, &a->tpa) == 1;
	if (KEY("prefix"))
		return inet_pton(AF_INET6, v, &a->prefix) == 1;
	if (KEY("sport"))
		return parse_u16(v, &a->sport);
	if (KEY("dport"))
		return parse_u16(v, &a->dport);
	if (KEY("vlan"))
		return parse_vlans(v, a);
	if (KEY("op")) {
		a->op = strcmp(v, "request") == 0 ? 1 : strcmp(v, "reply") == 0 ? 2 : 0;
		return a->op != 0;
	}
#undef KEY
	return false;
}

static void put_ether(struct buf *f, const struct args *a, uint16_t type)
{
	if (f->l3)
		return;
	put(f, a->dmac, 6);
	put(f, a->smac, 6);
	for (size_t i = 0; i < a->nvlans; i++) {
		put16(f, 0x8100);
		put16(f, a->vlans[i]);
	}
	put16(f, type);
}

/* An IPv4 header for len bytes of protocol proto after it, its checksum set. */
static void put_ipv4(struct buf *f, const struct args *a, uint8_t proto, size_t len)
{
	size_t at = f->len;

	put8(f, 0x45);
	put8(f, 0);
	put16(f, (uint16_t)(20 + len));
	put16(f, (uint16_t)getpid());
	put16(f, 0x4000);		/* DF */
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put(f, &a->src, 4);
	put(f, &a->dst, 4);
	set16(f->b + at + 10, fold(sum16(f->b + at, 20, 0)));
}

/* The IPv4 or IPv6 pseudo-header's sum, for the transport checksum. */
static uint32_t pseudo_sum(const struct args *a, bool v6, uint8_t proto, size_t len)
{
	uint32_t sum = proto + (uint32_t)len;

	if (v6)
		return sum16(a->src6.s6_addr, 16, sum16(a->dst6.s6_addr, 16, sum));
	return sum16((const uint8_t *)&a->src, 4, sum16((const uint8_t *)&a->dst, 4, sum));
}

static void put_ipv6(struct buf *f, const struct in6_addr *src, const struct in6_addr *dst,
		     uint8_t next, size_t len, uint8_t hops)
{
	put32(f, 0x60000000);
	put16(f, (uint16_t)len);
	put8(f, next);
	put8(f, hops);
	put(f, src, 16);
	put(f, dst, 16);
}

static void build_udp(struct buf *f, const struct args *a, bool v6)
{
	size_t at;

	put_ether(f, a, v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP);
	if (v6)
		put_ipv6(f, &a->src6, &a->dst6, IPPROTO_UDP, 9, 64);
	else
		put_ipv4(f, a, IPPROTO_UDP, 9);
	at = f->len;
	put16(f, a->sport);
	put16(f, a->dport);
	put16(f, 9);
	put16(f, 0);
	put8(f, 'x');
	set16(f->b + at + 6, fold(sum16(f->b + at, 9, pseudo_sum(a, v6, IPPROTO_UDP, 9))));
}

static void build_syn(struct buf *f, const struct args *a)
{
	size_t at;

	put_ether(f, a, ETHERTYPE_IP);
	put_ipv4(f, a, IPPROTO_TCP, 20);
	at = f->len;
	put16(f, a->sport);
	put16(f, a->dport);
	put32(f, (uint32_t)getpid() * 7919u);
	put32(f, 0);
	put8(f, 5 << 4);
	put8(f, 0x02);			/* SYN */
	put16(f, 64240);
	put16(f, 0);
	put16(f, 0);
	set16(f->b + at + 16, fold(sum16(f->b + at, 20, pseudo_sum(a, false, IPPROTO_TCP, 20))));
}

static void build_arp(struct buf *f, const struct args *a)
{
	put_ether(f, a, ETHERTYPE_ARP);
	put16(f, 1);			/* Ethernet */
	put16(f, ETHERTYPE_IP);
	put8(f, 6);
	put8(f, 4);
	put16(f, a->op);
	put(f, a->has_sha ? a->sha : a->smac, 6);
	put(f, &a->spa, 4);
	put(f, a->tha, 6);
	put(f, &a->tpa, 4);
}

/* From fe80::<modified EUI-64 of smac> to ff02::1: router lifetime 1800 s, one prefix
 * information option (/64, on-link and autonomous), the source link-layer address. */
static void build_ra(struct buf *f, struct args *a)
{
	enum { RA_LEN = 16 + 32 + 8 };
	size_t at;

	memset(&a->src6, 0, sizeof(a->src6));
	a->src6.s6_addr[0] = 0xfe;
	a->src6.s6_addr[1] = 0x80;
	memcpy(a->src6.s6_addr + 8, a->smac, 3);
	a->src6.s6_addr[8] ^= 0x02;
	a->src6.s6_addr[11] = 0xff;
	a->src6.s6_addr[12] = 0xfe;
	memcpy(a->src6.s6_addr + 13, a->smac + 3, 3);
	inet_pton(AF_INET6, "ff02::1", &a->dst6);
	memcpy(a->dmac, (const uint8_t[]){ 0x33, 0x33, 0, 0, 0, 1 }, 6);
	put_ether(f, a, ETHERTYPE_IPV6);
	put_ipv6(f, &a->src6, &a->dst6, IPPROTO_ICMPV6, RA_LEN, 255);
	at = f->len;
	put8(f, 134);			/* router advertisement */
	put8(f, 0);
	put16(f, 0);
	put8(f, 64);			/* hop limit */
	put8(f, 0);
	put16(f, 1800);			/* router lifetime */
	put32(f, 0);
	put32(f, 0);
	put8(f, 3);			/* prefix information, 4 x 8 bytes */
	put8(f, 4);
	put8(f, 64);
	put8(f, 0xc0);			/* on-link, autonomous */
	put32(f, 86400);
	put32(f, 14400);
	put32(f, 0);
	put(f, &a->prefix, 16);
	put8(f, 1);			/* source link-layer address, 1 x 8 bytes */
	put8(f, 1);
	put(f, a->smac, 6);
	set16(f->b + at + 2, fold(sum16(f->b + at, RA_LEN,
					 pseudo_sum(a, true, IPPROTO_ICMPV6, RA_LEN))));
}

static int usage(void)
{
	fprintf(stderr, "usage: frame IFNAME udp|syn|arp|ra|udp6 [key=value...] "
		"(see tests/frame.c)\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct args a = { .sport = 40000, .op = 2 };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct buf f = { .len = 0 };
	struct ifreq ifr = { 0 };
	const char *kind;
	int fd;

	if (argc < 3 || strlen(argv[1]) >= IFNAMSIZ)
		return usage();
	kind = argv[2];
	memset(a.dmac, 0xff, 6);
	for (int i = 3; i < argc; i++)
		if (!parse_arg(argv[i], &a)) {
			fprintf(stderr, "frame: bad argument '%s'\n", argv[i]);
			return usage();
		}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("frame: socket");
		return 1;
	}
	memcpy(ifr.ifr_name, argv[1], strlen(argv[1]));
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		perror("frame: SIOCGIFINDEX");
		return 1;
	}
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("frame: SIOCGIFHWADDR");
		return 1;
	}
	f.l3 = ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER;
	if (!a.has_smac)
		memcpy(a.smac, ifr.ifr_hwaddr.sa_data, 6);
	if (f.l3 && (a.nvlans || strcmp(kind, "arp") == 0)) {
		fprintf(stderr, "frame: %s has no link layer: no ARP, no VLAN tag\n", argv[1]);
		return 2;
	}
	sll.sll_protocol = htons(strcmp(kind, "ra") == 0 || strcmp(kind, "udp6") == 0 ?
				 ETH_P_IPV6 : ETH_P_IP);
	if (strcmp(kind, "udp") == 0 || strcmp(kind, "udp6") == 0)
		build_udp(&f, &a, kind[3] == '6');
	else if (strcmp(kind, "syn") == 0)
		build_syn(&f, &a);
	else if (strcmp(kind, "arp") == 0)
		build_arp(&f, &a);
	else if (strcmp(kind, "ra") == 0)
		build_ra(&f, &a);
	else
		return usage();
	while (!f.l3 && f.len < 60)	/* Ethernet's minimum, without the FCS */
		f.b[f.len++] = 0;
	if (sendto(fd, f.b, f.len, 0, (struct sockaddr *)&sll, sizeof(sll)) != (ssize_t)f.len) {
		perror("frame: sendto");
		return 1;
	}
	close(fd);
	return 0;
}
