/* SPDX-License-Identifier: MIT */
/*
 * The kernel WireGuard backend (netlink/wg_genl*.c) against real kernel WireGuard, run as the
 * test of /init in a qemu guest (tests/qemu/run.sh): the build machine's kernel has no
 * WireGuard. Two network namespaces joined by a veth pair, a `wgnet0` in each, configured only
 * through wg_backend_kernel; a datagram each way through the tunnel, then 1,000 peers on one
 * side, read back, one removed. Prints one PASS or FAIL line per check, timings, and END.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "netlink/addr.h"
#include "netlink/link.h"
#include "netlink/nl.h"
#include "netlink/route.h"
#include "netlink/wg.h"
#include "netlink/wg_genl.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define WG_IF "wgnet0"
#define MANY 1000
#define REMOVED 500			/* the index of the peer removed again */
#define UDP_PORT 5000
#define ROUTE_PROTO 77

struct side {
	const char *name;		/* "a" or "b" */
	const char *veth;
	int netns;
	struct nl *nl;
	uint8_t priv[WG_KEY_LEN];
	uint8_t pub[WG_KEY_LEN];
	uint32_t underlay;		/* 192.168.50.x */
	uint32_t tunnel;		/* 10.99.x.1 */
	uint32_t subnet;		/* 10.99.x.0 */
	int udp;			/* bound to tunnel:UDP_PORT in this namespace */
};

static int failures;
static int passes;

__attribute__((format(printf, 3, 4))) static bool check(bool ok, const char *name,
							 const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passes++;
		printf("PASS %s\n", name);
	} else {
		failures++;
		printf("FAIL %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
	return ok;
}

static bool check_ret(int ret, const char *name)
{
	return check(ret >= 0, name, "%s", strerror(ret < 0 ? -ret : 0));
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void keypair_new(uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN])
{
	randombytes_buf(priv, WG_KEY_LEN);
	priv[0] &= 248;				/* clamped, as `wg genkey` does */
	priv[31] = (priv[31] & 127) | 64;
	if (crypto_scalarmult_base(pub, priv) != 0)
		abort();
}

static struct sockaddr_storage sockaddr4(uint32_t addr, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr);
	sin->sin_port = htons(port);
	return ss;
}

static bool sockaddr4_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *x = (const struct sockaddr_in *)a;
	const struct sockaddr_in *y = (const struct sockaddr_in *)b;

	return a->ss_family == AF_INET && b->ss_family == AF_INET &&
	       x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
}

/* The thread's namespace decides where wg_genl.c's own sockets are opened. */
static int enter(const struct side *s)
{
	return setns(s->netns, CLONE_NEWNET) < 0 ? -errno : 0;
}

static int netns_new(int *out)
{
	int self, fd, ret = 0;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0) {
		ret = -errno;
		goto out;
	}
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		ret = -errno;
	if (setns(self, CLONE_NEWNET) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0)
		*out = fd;
	else if (fd >= 0)
		close(fd);
out:
	close(self);
	return ret;
}

static int udp_bound(uint32_t addr, uint16_t port)
{
	struct sockaddr_storage ss = sockaddr4(addr, port);
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* The namespace, lo, its veth end and address, its wgnet0 link and key (no peers yet). */
static int side_setup(struct side *s, unsigned x)
{
	int ret;

	s->underlay = IP4(192, 168, 50, x);
	s->tunnel = IP4(10, 99, x, 1);
	s->subnet = IP4(10, 99, x, 0);
	s->udp = -1;
	keypair_new(s->priv, s->pub);
	ret = nl_open_in_netns(s->netns, &s->nl);
	if (ret < 0)
		return ret;
	ret = link_set_up(s->nl, "lo");
	if (ret < 0)
		return ret;
	ret = link_set_up(s->nl, s->veth);
	if (ret < 0)
		return ret;
	ret = addr_add(s->nl, s->veth, s->underlay, 24);
	if (ret < 0)
		return ret;
	return link_wireguard_create(s->nl, WG_IF, 1420);
}

/* Key, port and the other side as the one peer, through the backend; address, up, route. */
static int side_configure(struct side *s, const struct side *other)
{
	struct wg_allowed_ip ip = { .addr = other->subnet, .len = 24 };
	struct wg_device dev = { .ifname = WG_IF, .has_private_key = true,
				 .listen_port = WG_DEFAULT_PORT };
	struct wg_peer peer = { .allowed_ips = &ip, .nallowed_ips = 1 };
	struct route r = { .dst = other->subnet, .len = 24, .ifname = WG_IF,
			   .protocol = ROUTE_PROTO };
	int ret;

	memcpy(dev.private_key, s->priv, WG_KEY_LEN);
	memcpy(peer.public_key, other->pub, WG_KEY_LEN);
	peer.endpoint = sockaddr4(other->underlay, WG_DEFAULT_PORT);
	ret = enter(s);
	if (ret < 0)
		goto out;
	ret = wg_backend_kernel.set_device(&wg_backend_kernel, &dev);
	if (ret < 0)
		goto out;
	ret = wg_backend_kernel.set_peers(&wg_backend_kernel, WG_IF, &peer, 1);
	if (ret < 0)
		goto out;
	ret = addr_add(s->nl, WG_IF, s->tunnel, 24);
	if (ret < 0)
		goto out;
	ret = link_set_up(s->nl, WG_IF);
	if (ret < 0)
		goto out;
	ret = route_add(s->nl, &r);
	if (ret < 0)
		goto out;
	ret = udp_bound(s->tunnel, UDP_PORT);	/* a socket stays in the namespace it was made in */
	if (ret >= 0)
		s->udp = ret;
out:
	sodium_memzero(dev.private_key, sizeof(dev.private_key));
	return ret < 0 ? ret : 0;
}

/* One datagram from -> to through the tunnel; resent each second for the first handshake. */
static bool tunnel_send(const struct side *from, const struct side *to, const char *msg,
			double *ms)
{
	struct sockaddr_storage dst = sockaddr4(to->tunnel, UDP_PORT);
	struct sockaddr_in src = { 0 };
	struct pollfd pfd = { .fd = to->udp, .events = POLLIN };
	socklen_t srclen = sizeof(src);
	struct timespec t0;
	char buf[64];
	ssize_t n;
	int i;

	*ms = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 20; i++) {
		if (sendto(from->udp, msg, strlen(msg), 0, (struct sockaddr *)&dst,
			   sizeof(struct sockaddr_in)) < 0) {
			printf("# sendto: %s\n", strerror(errno));
			return false;
		}
		if (poll(&pfd, 1, 1000) == 1)
			break;
	}
	if (i == 20)
		return false;
	n = recvfrom(to->udp, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&src, &srclen);
	if (n < 0)
		return false;
	buf[n] = '\0';
	*ms = ms_since(&t0);
	return strcmp(buf, msg) == 0 && src.sin_addr.s_addr == htonl(from->tunnel);
}

static const struct wg_peer *peer_find(const struct wg_device *dev, const uint8_t key[WG_KEY_LEN])
{
	size_t i;

	if (!dev->peers)
		return NULL;
	for (i = 0; i < dev->npeers; i++)
		if (memcmp(dev->peers[i].public_key, key, WG_KEY_LEN) == 0)
			return &dev->peers[i];
	return NULL;
}

static bool allowed_ips_equal(const struct wg_peer *got, const struct wg_peer *want)
{
	size_t i, j;

	if (got->nallowed_ips != want->nallowed_ips)
		return false;
	for (i = 0; i < want->nallowed_ips; i++) {
		for (j = 0; j < got->nallowed_ips; j++)
			if (got->allowed_ips[j].addr == want->allowed_ips[i].addr &&
			    got->allowed_ips[j].len == want->allowed_ips[i].len)
				break;
		if (j == got->nallowed_ips)
			return false;
	}
	return true;
}

static void check_tunnel_device(const struct side *s, const struct side *other)
{
	struct wg_allowed_ip ip = { .addr = other->subnet, .len = 24 };
	struct wg_peer want = { .allowed_ips = &ip, .nallowed_ips = 1 };
	struct sockaddr_storage ep = sockaddr4(other->underlay, WG_DEFAULT_PORT);
	struct wg_device dev = { 0 };
	const struct wg_peer *p;
	char name[64];
	int ret;

	snprintf(name, sizeof(name), "%s: get_device", s->name);
	ret = enter(s);
	if (ret == 0)
		ret = wg_backend_kernel.get_device(&wg_backend_kernel, WG_IF, &dev);
	if (!check_ret(ret, name))
		return;
	snprintf(name, sizeof(name), "%s: device keys and port read back", s->name);
	check(memcmp(dev.public_key, s->pub, WG_KEY_LEN) == 0 && dev.has_private_key &&
		      memcmp(dev.private_key, s->priv, WG_KEY_LEN) == 0 &&
		      dev.listen_port == WG_DEFAULT_PORT && strcmp(dev.ifname, WG_IF) == 0,
	      name, "port %u, has_private_key %d, ifname %s", dev.listen_port,
	      dev.has_private_key, dev.ifname);
	snprintf(name, sizeof(name), "%s: one peer, the other side", s->name);
	p = peer_find(&dev, other->pub);
	if (!check(dev.npeers == 1 && p, name, "%zu peers, other side %sfound", dev.npeers,
		   p ? "" : "not ") || !p)
		goto out;
	snprintf(name, sizeof(name), "%s: peer endpoint and allowed IPs read back", s->name);
	check(sockaddr4_equal(&p->endpoint, &ep) && allowed_ips_equal(p, &want), name,
	      "family %d, %zu allowed IPs", p->endpoint.ss_family, p->nallowed_ips);
	snprintf(name, sizeof(name), "%s: fresh handshake", s->name);
	check(p->last_handshake_sec > time(NULL) - 600, name, "last_handshake_sec %lld",
	      (long long)p->last_handshake_sec);
	snprintf(name, sizeof(name), "%s: rx and tx bytes counted", s->name);
	check(p->rx_bytes > 0 && p->tx_bytes > 0, name, "rx %llu tx %llu",
	      (unsigned long long)p->rx_bytes, (unsigned long long)p->tx_bytes);
	printf("# %s: handshake %lld, rx %llu B, tx %llu B\n", s->name,
	       (long long)p->last_handshake_sec, (unsigned long long)p->rx_bytes,
	       (unsigned long long)p->tx_bytes);
out:
	wg_device_release(&dev);
}

/* 1,000 peers: key from libsodium, endpoint 198.51.100.x, a /24 and a /32 each. */
static struct wg_peer *many_new(void)
{
	struct wg_peer *peers;
	uint8_t priv[WG_KEY_LEN];
	size_t i;

	peers = calloc(MANY, sizeof(*peers));
	if (!peers)
		return NULL;
	for (i = 0; i < MANY; i++) {
		struct wg_peer *p = &peers[i];

		keypair_new(priv, p->public_key);
		p->endpoint = sockaddr4(IP4(198, 51, 100, 1 + i % 250), (uint16_t)(20000 + i));
		p->replace_allowed_ips = true;
		p->allowed_ips = calloc(2, sizeof(*p->allowed_ips));
		if (!p->allowed_ips)
			abort();
		p->allowed_ips[0] = (struct wg_allowed_ip){ IP4(10, 128, 0, 0) + ((uint32_t)i << 8),
							    24 };
		p->allowed_ips[1] = (struct wg_allowed_ip){ IP4(10, 200, 0, 0) + (uint32_t)i, 32 };
		p->nallowed_ips = 2;
	}
	sodium_memzero(priv, sizeof(priv));
	return peers;
}

static void many_free(struct wg_peer *peers)
{
	size_t i;

	for (i = 0; peers && i < MANY; i++)
		free(peers[i].allowed_ips);
	free(peers);
}

/* How many WG_CMD_SET_DEVICE messages set_peers sends: the same builder, the same size. */
static size_t messages_for(const struct wg_peer *peers, size_t n)
{
	size_t i, used, done = 0, count = 0;
	void *buf;

	buf = malloc(WG_GENL_MSG_MAX);
	if (!buf)
		return 0;
	for (i = 0; i < n; i += used, count++)
		if (wg_genl_build_peers(buf, WG_GENL_MSG_MAX, 0, 0, WG_IF, peers + i, n - i,
					&used, &done) < 0)
			break;
	free(buf);
	return count;
}

/* All of peers except skip (MANY = none) are on the device as given; returns how many. */
static size_t many_found(const struct wg_device *dev, const struct wg_peer *peers, size_t skip,
			 size_t *wrong)
{
	const struct wg_peer *p;
	size_t i, found = 0;

	*wrong = 0;
	for (i = 0; i < MANY; i++) {
		p = peer_find(dev, peers[i].public_key);
		if (i == skip) {
			if (p)
				(*wrong)++;
			continue;
		}
		if (!p)
			continue;
		found++;
		if (!allowed_ips_equal(p, &peers[i]) || !sockaddr4_equal(&p->endpoint, &peers[i].endpoint))
			(*wrong)++;
	}
	return found;
}

static int get_timed(const struct side *s, struct wg_device *dev, double *ms)
{
	struct timespec t0;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = wg_backend_kernel.get_device(&wg_backend_kernel, WG_IF, dev);
	*ms = ms_since(&t0);
	(void)s;
	return ret;
}

static void test_many(struct side *a, const struct side *b)
{
	struct wg_device dev = { 0 };
	struct wg_peer gone = { .remove = true };
	struct wg_peer *peers;
	struct timespec t0;
	size_t found, wrong, msgs;
	double set_ms, get_ms, rm_ms;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	peers = many_new();
	if (!check(peers != NULL, "a: 1000 peers generated", "out of memory") || !peers)
		return;
	printf("# 1000 key pairs generated in %.0f ms\n", ms_since(&t0));
	msgs = messages_for(peers, MANY);
	if (!check_ret(enter(a), "a: enter namespace"))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = wg_backend_kernel.set_peers(&wg_backend_kernel, WG_IF, peers, MANY);
	set_ms = ms_since(&t0);
	if (!check_ret(ret, "a: set_peers 1000 peers"))
		goto out;
	printf("kernel: 1000 peers set in %.0f ms, %zu messages\n", set_ms, msgs);
	ret = get_timed(a, &dev, &get_ms);
	if (!check_ret(ret, "a: get_device after 1000"))
		goto out;
	printf("kernel: 1001 peers read back in %.0f ms\n", get_ms);
	found = many_found(&dev, peers, MANY, &wrong);
	check(dev.npeers == MANY + 1 && found == MANY && wrong == 0,
	      "a: 1000 peers read back with endpoints and allowed IPs",
	      "%zu peers on the device, %zu of ours found, %zu differ", dev.npeers, found, wrong);
	check(peer_find(&dev, b->pub) != NULL, "a: tunnel peer kept", "b's peer is gone");
	wg_device_release(&dev);

	memcpy(gone.public_key, peers[REMOVED].public_key, WG_KEY_LEN);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = wg_backend_kernel.set_peers(&wg_backend_kernel, WG_IF, &gone, 1);
	rm_ms = ms_since(&t0);
	if (!check_ret(ret, "a: set_peers remove one"))
		goto out;
	printf("kernel: 1 peer removed in %.1f ms\n", rm_ms);
	ret = get_timed(a, &dev, &get_ms);
	if (!check_ret(ret, "a: get_device after remove"))
		goto out;
	found = many_found(&dev, peers, REMOVED, &wrong);
	check(dev.npeers == MANY && found == MANY - 1 && wrong == 0,
	      "a: 999 remain untouched, the removed one is gone",
	      "%zu peers on the device, %zu of ours found, %zu wrong", dev.npeers, found, wrong);
	check(peer_find(&dev, b->pub) != NULL, "a: tunnel peer kept after remove",
	      "b's peer is gone");
out:
	wg_device_release(&dev);
	many_free(peers);
}

static void run(struct side *a, struct side *b)
{
	double ms;

	if (!check_ret(netns_new(&a->netns), "netns a") || !check_ret(netns_new(&b->netns), "netns b"))
		return;
	if (!check_ret(enter(a), "enter a"))
		return;
	check_ret(wg_genl_available(), "wireguard genl family available");
	if (!check_ret(nl_open_in_netns(a->netns, &a->nl), "a: rtnetlink socket"))
		return;
	if (!check_ret(link_veth_create(a->nl, a->veth, b->veth, 1500, NULL, NULL), "veth pair") ||
	    !check_ret(link_set_netns(a->nl, b->veth, b->netns, NULL), "veth end into netns b"))
		return;
	nl_close(a->nl);
	a->nl = NULL;
	if (!check_ret(side_setup(a, 1), "a: veth address, wgnet0 link") ||
	    !check_ret(side_setup(b, 2), "b: veth address, wgnet0 link"))
		return;
	if (!check_ret(side_configure(a, b), "a: set_device, set_peers, address, route") ||
	    !check_ret(side_configure(b, a), "b: set_device, set_peers, address, route"))
		return;
	if (!check(tunnel_send(a, b, "hello from a", &ms), "udp a -> b through the tunnel",
		   "not received"))
		return;
	printf("kernel: first datagram (with handshake) in %.0f ms\n", ms);
	check(tunnel_send(b, a, "hello from b", &ms), "udp b -> a through the tunnel",
	      "not received");
	check_tunnel_device(a, b);
	check_tunnel_device(b, a);
	test_many(a, b);
	check(tunnel_send(a, b, "still there", &ms), "udp a -> b after 1000 peers and a remove",
	      "not received");
}

int main(void)
{
	struct side a = { .name = "a", .veth = "wgtest-a", .netns = -1, .udp = -1 };
	struct side b = { .name = "b", .veth = "wgtest-b", .netns = -1, .udp = -1 };
	struct side *sides[] = { &a, &b };
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sodium_init() < 0) {
		printf("FAIL sodium_init\n");
		return 1;
	}
	run(&a, &b);
	/* the namespaces, and with them the links, go when the last reference does */
	for (i = 0; i < 2; i++) {
		nl_close(sides[i]->nl);
		if (sides[i]->udp >= 0)
			close(sides[i]->udp);
		if (sides[i]->netns >= 0)
			close(sides[i]->netns);
		sodium_memzero(sides[i]->priv, WG_KEY_LEN);
	}
	printf("# %d passed, %d failed\n", passes, failures);
	return failures || !passes ? 1 : 0;
}
