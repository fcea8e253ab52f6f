/* SPDX-License-Identifier: MIT */
/*
 * wg_batch: the control-plane figures of bench/run that belong to the WireGuard backends alone,
 * through the same code wgnetd uses (netlink/wg_uapi*.c, wg_userspace.c, wg_genl*.c).
 *
 *   wg_batch uapi N RUNS [bare]
 *                          in a network namespace of its own: RUNS times, start a fresh
 *                          wireguard-go, give it a key and a port, program N peers in one
 *                          set_peers call, add one more, read the device back; prints the
 *                          median of each step in ms. "bare": peers without endpoint and
 *                          keepalive, like bench/run's `wgnet peer add --no-endpoint`
 *   wg_batch genl N        builds (never sends) the kernel's WG_CMD_SET_DEVICE messages for N
 *                          peers, as wgnetd would send them; prints their count and sizes
 *
 * Peers look like wgnetd's: a real Curve25519 public key (wireguard-go precomputes a shared
 * secret per peer, so random bytes would not cost the same), an IPv4 endpoint, one /24 of
 * allowed IPs replacing the old list, a keepalive of 25 s (unless bare). Output is "key value"
 * lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "netlink/wg.h"
#include "netlink/wg_genl.h"
#include "netlink/wg_userspace.h"

#define MAX_PEERS 16384
#define MAX_RUNS 50
#define BENCH_PORT 51830

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Peer k: 10.(k / 256 + 64).(k % 256).0/24 behind 192.168.(k / 250).(k % 250 + 2):51820. */
static void peer_make(struct wg_peer *p, struct wg_allowed_ip *ip, size_t k, bool bare)
{
	uint8_t secret[WG_KEY_LEN];
	struct sockaddr_in *sin = (struct sockaddr_in *)&p->endpoint;

	memset(p, 0, sizeof(*p));
	crypto_box_keypair(p->public_key, secret);
	sodium_memzero(secret, sizeof(secret));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(WG_DEFAULT_PORT);
	sin->sin_addr.s_addr = htonl(0xc0a80000u | (uint32_t)(k / 250) << 8 | (uint32_t)(k % 250 + 2));
	ip->addr = 0x0a000000u | (uint32_t)(k / 256 + 64) << 16 | (uint32_t)(k % 256) << 8;
	ip->len = 24;
	p->allowed_ips = ip;
	p->nallowed_ips = 1;
	p->replace_allowed_ips = true;
	p->keepalive = 25;
	if (bare) {
		p->endpoint.ss_family = AF_UNSPEC;
		p->keepalive = 0;
	}
}

static int peers_make(size_t n, bool bare, struct wg_peer **peers, struct wg_allowed_ip **ips)
{
	*peers = calloc(n, sizeof(**peers));
	*ips = calloc(n, sizeof(**ips));
	if (!*peers || !*ips) {
		free(*peers);
		free(*ips);
		return -ENOMEM;
	}
	for (size_t k = 0; k < n; k++)
		peer_make(&(*peers)[k], &(*ips)[k], k, bare);
	return 0;
}

static int bench_genl(size_t n)
{
	struct wg_allowed_ip *ips = NULL;
	struct wg_peer *peers = NULL;
	size_t i, used, done = 0, msgs = 0, bytes = 0, max = 0;
	double t0, build_ms;
	void *buf = NULL;
	int ret;

	ret = peers_make(n + 1, false, &peers, &ips);
	if (ret < 0)
		return ret;
	buf = malloc(WG_GENL_MSG_MAX);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	t0 = now_ms();
	for (i = 0; i < n; i += used) {
		ret = wg_genl_build_peers(buf, WG_GENL_MSG_MAX, 0x1f, (uint32_t)msgs + 1, "wgnet0",
					  peers + i, n - i, &used, &done);
		if (ret < 0)
			goto out;
		msgs++;
		bytes += (size_t)ret;
		if ((size_t)ret > max)
			max = (size_t)ret;
	}
	build_ms = now_ms() - t0;
	printf("genl_peers %zu\ngenl_messages %zu\ngenl_bytes %zu\ngenl_max_message %zu\n"
	       "genl_buffer %d\ngenl_build_ms %.3f\n", n, msgs, bytes, max, WG_GENL_MSG_MAX,
	       build_ms);
	/* one more peer to a device that has n: one message of this size */
	ret = wg_genl_build_peers(buf, WG_GENL_MSG_MAX, 0x1f, 1, "wgnet0", peers + n, 1, &used,
				  &done);
	if (ret < 0)
		goto out;
	printf("genl_one_more_bytes %d\n", ret);
	ret = 0;
out:
	free(buf);
	free(peers);
	free(ips);
	return ret;
}

/* One run on a fresh wireguard-go named ifname; t[] gets the five step times in ms. */
static int uapi_run(const char *ifname, const struct wg_peer *peers, size_t n, double t[5])
{
	struct wg_device dev = { .has_private_key = true, .listen_port = BENCH_PORT };
	struct wg_device got = { 0 };
	struct wg_backend b;
	pid_t pid = 0;
	double t0;
	int ret;

	wg_backend_userspace(&b, NULL);
	snprintf(dev.ifname, sizeof(dev.ifname), "%s", ifname);
	randombytes_buf(dev.private_key, sizeof(dev.private_key));
	t0 = now_ms();
	ret = wg_userspace_start(NULL, NULL, ifname, &pid);
	if (ret < 0) {
		fprintf(stderr, "wg_batch: starting wireguard-go %s: %s\n", ifname, strerror(-ret));
		goto out;
	}
	t[0] = now_ms() - t0;
	t0 = now_ms();
	ret = b.set_device(&b, &dev);
	t[1] = now_ms() - t0;
	if (ret < 0)
		goto fail;
	t0 = now_ms();
	ret = b.set_peers(&b, ifname, peers, n);
	t[2] = now_ms() - t0;
	if (ret < 0)
		goto fail;
	t0 = now_ms();
	ret = b.set_peers(&b, ifname, peers + n, 1);
	t[3] = now_ms() - t0;
	if (ret < 0)
		goto fail;
	t0 = now_ms();
	ret = b.get_device(&b, ifname, &got);
	t[4] = now_ms() - t0;
	if (ret < 0)
		goto fail;
	if (got.npeers != n + 1) {
		fprintf(stderr, "wg_batch: %s has %zu peers, not %zu\n", ifname, got.npeers, n + 1);
		ret = -EIO;
	}
	goto out;
fail:
	fprintf(stderr, "wg_batch: programming %s: %s\n", ifname, strerror(-ret));
out:
	wg_device_release(&got);
	wg_device_release(&dev);
	if (pid > 0) {
		kill(pid, SIGTERM);
		for (int k = 0; k < 200 && kill(pid, 0) == 0; k++)
			usleep(10000);	/* not our child: its socket goes with it */
		if (kill(pid, 0) == 0)
			kill(pid, SIGKILL);
	}
	return ret;
}

static int bench_uapi(size_t n, size_t runs, bool bare)
{
	static const char *const names[5] = { "uapi_start_ms", "uapi_set_device_ms",
		"uapi_set_peers_ms", "uapi_one_more_ms", "uapi_get_device_ms" };
	struct wg_allowed_ip *ips = NULL;
	struct wg_peer *peers = NULL;
	double t[5][MAX_RUNS], one[5];
	char ifname[IFNAMSIZ];
	int ret;

	snprintf(ifname, sizeof(ifname), "wgb%d", (int)getpid());
	ret = peers_make(n + 1, bare, &peers, &ips);
	if (ret < 0)
		return ret;
	for (size_t r = 0; r < runs; r++) {
		ret = uapi_run(ifname, peers, n, one);
		if (ret < 0)
			goto out;
		for (int s = 0; s < 5; s++)
			t[s][r] = one[s];
	}
	printf("uapi_peers %zu\nuapi_runs %zu\n", n, runs);
	for (int s = 0; s < 5; s++) {
		printf("%s %.3f", names[s], median(t[s], runs));
		for (size_t r = 0; r < runs; r++)
			printf(" %.3f", t[s][r]);
		printf("\n");
	}
out:
	free(peers);
	free(ips);
	return ret;
}

static void usage(void)
{
	fprintf(stderr, "usage: wg_batch uapi PEERS RUNS [bare] | wg_batch genl PEERS\n");
}

static int count_arg(const char *s, size_t max, size_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	size_t n, runs = 1;
	int ret;

	if (sodium_init() < 0) {
		fprintf(stderr, "wg_batch: libsodium did not initialise\n");
		return 1;
	}
	if (argc < 3 || count_arg(argv[2], MAX_PEERS, &n) < 0) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "genl") == 0 && argc == 3) {
		ret = bench_genl(n);
	} else if (strcmp(argv[1], "uapi") == 0 && (argc == 4 ||
		   (argc == 5 && strcmp(argv[4], "bare") == 0)) &&
		   count_arg(argv[3], MAX_RUNS, &runs) == 0) {
		ret = bench_uapi(n, runs, argc == 5);
	} else {
		usage();
		return 2;
	}
	if (ret < 0) {
		fprintf(stderr, "wg_batch: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
