/* SPDX-License-Identifier: MIT */
/*
 * netlink/wg_uapi.c and wg_userspace.c against a real wireguard-go, in a network namespace and
 * a mount namespace of its own: a tmpfs on /run hides the machine's /run/wireguard, so only our
 * own sockets are seen. We are a child subreaper, so the detached wireguard-go processes become
 * our children again when their starter exits, and are killed and reaped by pid at the end, also
 * on failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "netlink/link.h"
#include "netlink/nl.h"
#include "netlink/wg.h"
#include "netlink/wg_userspace.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define DIR "/run/wireguard"
#define MAX_PROCS 16

static struct nl *nl;
static struct wg_backend be;
static pid_t procs[MAX_PROCS];
static size_t nprocs;

struct keypair {
	uint8_t priv[WG_KEY_LEN];
	uint8_t pub[WG_KEY_LEN];
};

static void keypair_new(struct keypair *k)
{
	randombytes_buf(k->priv, sizeof(k->priv));
	k->priv[0] &= 248;			/* clamped, as `wg genkey` does */
	k->priv[31] = (k->priv[31] & 127) | 64;
	assert_int_equal(crypto_scalarmult_base(k->pub, k->priv), 0);
}

static void reap(pid_t pid)
{
	for (int i = 0; i < 500; i++) {		/* 5 s */
		pid_t r = waitpid(pid, NULL, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
}

static void kill_all(void)
{
	for (size_t i = 0; i < nprocs; i++) {
		kill(procs[i], SIGKILL);
		reap(procs[i]);
	}
	nprocs = 0;
}

static pid_t start(const char *ifname)
{
	pid_t pid = 0;

	assert_int_equal(wg_userspace_start(NULL, DIR, ifname, &pid), 0);
	assert_true(pid > 0);
	assert_true(nprocs < MAX_PROCS);
	procs[nprocs++] = pid;
	return pid;
}

static int teardown(void **state)
{
	(void)state;
	kill_all();
	return 0;
}

static bool path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* A socket file nobody listens on, as a wireguard-go killed with -9 leaves. */
static void make_stale(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_true(path_exists(path));
}

static struct sockaddr_storage ep4(uint32_t addr, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	s->sin_family = AF_INET;
	s->sin_addr.s_addr = htonl(addr);
	s->sin_port = htons(port);
	return ss;
}

static struct sockaddr_storage ep6(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

	s->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, addr, &s->sin6_addr), 1);
	s->sin6_port = htons(port);
	return ss;
}

static const struct wg_peer *find_peer(const struct wg_device *dev, const uint8_t *key)
{
	for (size_t i = 0; i < dev->npeers; i++)
		if (memcmp(dev->peers[i].public_key, key, WG_KEY_LEN) == 0)
			return &dev->peers[i];
	return NULL;
}

static bool has_ip(const struct wg_peer *p, uint32_t addr, uint8_t len)
{
	for (size_t i = 0; i < p->nallowed_ips; i++)
		if (p->allowed_ips[i].addr == addr && p->allowed_ips[i].len == len)
			return true;
	return false;
}

static void assert_ep4(const struct wg_peer *p, uint32_t addr, uint16_t port)
{
	const struct sockaddr_in *s = (const struct sockaddr_in *)&p->endpoint;

	assert_int_equal(s->sin_family, AF_INET);
	assert_int_equal(ntohl(s->sin_addr.s_addr), addr);
	assert_int_equal(ntohs(s->sin_port), port);
}

static void test_probe_and_start(void **state)
{
	pid_t pid, again = 0;

	(void)state;
	assert_int_equal(wg_userspace_probe(DIR, "wgA"), 0);
	pid = start("wgA");
	assert_int_equal(wg_userspace_probe(DIR, "wgA"), 1);
	assert_int_equal(wg_userspace_probe(DIR, "wgB"), 0);
	/* the TUN device is there, made by wireguard-go in our namespace */
	struct link_info li;
	assert_int_equal(link_get(nl, "wgA", &li), 0);
	/* one already answers: not a second one */
	assert_int_equal(wg_userspace_start(NULL, DIR, "wgA", &again), -EEXIST);
	assert_int_equal(again, 0);
	/* our session (the scheduler's autogroup is per session: netlink/wg_userspace.c), a process
	 * group of its own that it does not lead: a Ctrl-C or hang-up meant for ours misses it */
	assert_int_equal(getsid(pid), getsid(0));
	assert_int_not_equal(getpgid(pid), getpgid(0));
	assert_int_not_equal(getpgid(pid), pid);
	assert_int_equal(wg_userspace_probe(DIR, "bad/name"), -EINVAL);
	assert_int_equal(wg_userspace_probe(DIR, "wgnameistoolong"), 0);
	assert_int_equal(wg_userspace_probe(DIR, "wgnameistoolong0"), -EINVAL);
}

/* The starter is killed with -9 right after the start: wireguard-go lives on. */
static void test_outlives_starter(void **state)
{
	int fds[2];
	pid_t starter, pid = 0;
	int status;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	starter = fork();
	assert_true(starter >= 0);
	if (starter == 0) {
		pid_t p = 0;

		if (wg_userspace_start(NULL, DIR, "wgK", &p) < 0)
			p = -1;
		if (write(fds[1], &p, sizeof(p)) != sizeof(p))
			_exit(1);
		kill(getpid(), SIGKILL);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &pid, sizeof(pid)), sizeof(pid));
	close(fds[0]);
	if (pid > 0)
		procs[nprocs++] = pid;
	assert_true(pid > 0);
	assert_int_equal(waitpid(starter, &status, 0), starter);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(wg_userspace_probe(DIR, "wgK"), 1);
	assert_int_equal(kill(pid, 0), 0);
}

static void test_stale_socket(void **state)
{
	int fd;

	(void)state;
	/* probe removes a stale socket */
	make_stale(DIR "/wgS.sock");
	assert_int_equal(wg_userspace_probe(DIR, "wgS"), 0);
	assert_false(path_exists(DIR "/wgS.sock"));
	/* start replaces one */
	make_stale(DIR "/wgS.sock");
	start("wgS");
	assert_int_equal(wg_userspace_probe(DIR, "wgS"), 1);
	/* a file that is not a socket is not ours to remove */
	fd = open(DIR "/wgF.sock", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(wg_userspace_probe(DIR, "wgF"), 0);
	assert_true(path_exists(DIR "/wgF.sock"));
	assert_int_equal(unlink(DIR "/wgF.sock"), 0);
}

static void test_start_failures(void **state)
{
	const char *script = "/run/wgtest-sleep.sh";
	struct timespec t0, t1;
	pid_t pid = 0;
	FILE *f;

	(void)state;
	assert_int_equal(wg_userspace_start("/nonexistent/wg-go", DIR, "wgE", &pid), -ENOENT);
	assert_int_equal(wg_userspace_start("false", DIR, "wgE", &pid), -ESRCH);
	assert_int_equal(pid, 0);
	/* never makes a socket: killed after 5 s */
	f = fopen(script, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\nexec sleep 60\n", f);
	fclose(f);
	assert_int_equal(chmod(script, 0700), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(wg_userspace_start(script, DIR, "wgE", &pid), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* it waited for the socket before giving up; how long is a figure, not a bound (bench/) */
	printf("# gave up and killed it after %ld s\n", (long)(t1.tv_sec - t0.tv_sec));
	assert_true(t1.tv_sec - t0.tv_sec >= 4);
	assert_int_equal(pid, 0);
	/* it was killed: among the orphans that came back to us, one died of SIGKILL */
	int status, killed = 0;
	while (waitpid(-1, &status, 0) > 0)
		killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	assert_int_equal(errno, ECHILD);
	assert_int_equal(killed, 1);
	unlink(script);
}

static void test_device_and_peers(void **state)
{
	struct keypair dk, k1, k2;
	struct wg_allowed_ip ips1[] = { { IP4(10, 1, 0, 0), 24 }, { IP4(10, 1, 1, 0), 24 } };
	struct wg_allowed_ip ips2[] = { { IP4(10, 2, 0, 0), 16 } };
	struct wg_allowed_ip ips3[] = { { IP4(10, 9, 0, 0), 24 } };
	struct wg_allowed_ip ips4[] = { { IP4(10, 9, 1, 0), 24 } };
	struct wg_allowed_ip bad[] = { { IP4(10, 9, 1, 0), 33 } };
	struct wg_device dev = { .listen_port = 51811, .has_private_key = true };
	struct wg_device got = { 0 };
	struct wg_peer peers[2] = { 0 };
	const struct wg_peer *p;
	const struct sockaddr_in6 *s6;

	(void)state;
	keypair_new(&dk);
	keypair_new(&k1);
	keypair_new(&k2);
	start("wgA");
	strcpy(dev.ifname, "wgA");
	memcpy(dev.private_key, dk.priv, WG_KEY_LEN);
	assert_int_equal(be.set_device(&be, &dev), 0);

	memcpy(peers[0].public_key, k1.pub, WG_KEY_LEN);
	peers[0].endpoint = ep4(IP4(127, 0, 0, 1), 51812);
	peers[0].keepalive = 25;
	peers[0].allowed_ips = ips1;
	peers[0].nallowed_ips = 2;
	memcpy(peers[1].public_key, k2.pub, WG_KEY_LEN);
	peers[1].endpoint = ep6("fd00::1", 51813);
	peers[1].allowed_ips = ips2;
	peers[1].nallowed_ips = 1;
	assert_int_equal(be.set_peers(&be, "wgA", peers, 2), 0);

	assert_int_equal(be.get_device(&be, "wgA", &got), 0);
	assert_string_equal(got.ifname, "wgA");
	assert_int_equal(got.listen_port, 51811);
	assert_true(got.has_private_key);
	assert_memory_equal(got.private_key, dk.priv, WG_KEY_LEN);
	assert_int_equal(got.npeers, 2);
	p = find_peer(&got, k1.pub);
	assert_non_null(p);
	assert_ep4(p, IP4(127, 0, 0, 1), 51812);
	assert_int_equal(p->keepalive, 25);
	assert_int_equal(p->nallowed_ips, 2);
	assert_true(has_ip(p, IP4(10, 1, 0, 0), 24) && has_ip(p, IP4(10, 1, 1, 0), 24));
	assert_int_equal(p->last_handshake_sec, 0);
	p = find_peer(&got, k2.pub);
	assert_non_null(p);
	s6 = (const struct sockaddr_in6 *)&p->endpoint;
	assert_int_equal(s6->sin6_family, AF_INET6);
	assert_memory_equal(&s6->sin6_addr, &((struct sockaddr_in6 *)&peers[1].endpoint)->sin6_addr,
			    16);
	assert_int_equal(ntohs(s6->sin6_port), 51813);
	assert_int_equal(p->keepalive, 0);
	assert_int_equal(p->nallowed_ips, 1);
	assert_true(has_ip(p, IP4(10, 2, 0, 0), 16));
	wg_device_release(&got);
	assert_int_equal(got.npeers, 0);
	assert_null(got.peers);

	/* allowed IPs added to, then replaced; no endpoint given: the peer keeps its own */
	peers[0].endpoint = (struct sockaddr_storage){ .ss_family = AF_UNSPEC };
	peers[0].allowed_ips = ips3;
	peers[0].nallowed_ips = 1;
	assert_int_equal(be.set_peers(&be, "wgA", peers, 1), 0);
	assert_int_equal(be.get_device(&be, "wgA", &got), 0);
	p = find_peer(&got, k1.pub);
	assert_non_null(p);
	assert_int_equal(p->nallowed_ips, 3);
	assert_true(has_ip(p, IP4(10, 9, 0, 0), 24) && has_ip(p, IP4(10, 1, 0, 0), 24));
	assert_ep4(p, IP4(127, 0, 0, 1), 51812);
	wg_device_release(&got);

	peers[0].replace_allowed_ips = true;
	peers[0].allowed_ips = ips4;
	peers[0].keepalive = 0;
	assert_int_equal(be.set_peers(&be, "wgA", peers, 1), 0);
	assert_int_equal(be.get_device(&be, "wgA", &got), 0);
	p = find_peer(&got, k1.pub);
	assert_non_null(p);
	assert_int_equal(p->nallowed_ips, 1);
	assert_true(has_ip(p, IP4(10, 9, 1, 0), 24));
	assert_int_equal(p->keepalive, 0);
	assert_ep4(p, IP4(127, 0, 0, 1), 51812);
	wg_device_release(&got);

	/* removal: the other peer stays as it was */
	peers[0].remove = true;
	assert_int_equal(be.set_peers(&be, "wgA", peers, 1), 0);
	assert_int_equal(be.get_device(&be, "wgA", &got), 0);
	assert_int_equal(got.npeers, 1);
	assert_null(find_peer(&got, k1.pub));
	p = find_peer(&got, k2.pub);
	assert_non_null(p);
	assert_true(has_ip(p, IP4(10, 2, 0, 0), 16));
	wg_device_release(&got);

	/* checked before anything is sent */
	peers[0].remove = false;
	peers[0].allowed_ips = bad;
	assert_int_equal(be.set_peers(&be, "wgA", peers, 1), -EINVAL);
	peers[0].allowed_ips = ips4;
	peers[0].endpoint.ss_family = AF_UNIX;
	assert_int_equal(be.set_peers(&be, "wgA", peers, 1), -EAFNOSUPPORT);
	assert_int_equal(be.get_device(&be, "wgA", &got), 0);
	assert_int_equal(got.npeers, 1);
	wg_device_release(&got);

	/* no such device */
	assert_int_equal(be.get_device(&be, "wgZ", &got), -ENOENT);
	assert_int_equal(be.set_peers(&be, "wgZ", peers + 1, 1), -ENOENT);
	explicit_bzero(&dk, sizeof(dk));
}

/* wireguard-go's own refusal comes back as its errno. */
static void test_errno_reply(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(51814) };
	struct wg_device dev = { .ifname = "wgA", .listen_port = 51814 };
	struct wg_device got = { 0 };
	int fd;

	(void)state;
	start("wgA");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(be.set_device(&be, &dev), -EADDRINUSE);
	close(fd);
	assert_int_equal(be.set_device(&be, &dev), 0);
	assert_int_equal(be.get_device(&be, "wgA", &got), 0);
	assert_int_equal(got.listen_port, 51814);
	assert_false(got.has_private_key);
	assert_int_equal(got.npeers, 0);
	wg_device_release(&got);
}

/* 1,000 peers in one set: far more than one read of wireguard-go's. */
static void test_many_peers(void **state)
{
	enum { N = 1000 };
	struct wg_allowed_ip *ips = calloc(N, sizeof(*ips));
	struct wg_peer *peers = calloc(N, sizeof(*peers));
	struct wg_device got = { 0 };
	struct keypair k;

	(void)state;
	assert_non_null(ips);
	assert_non_null(peers);
	start("wgM");
	for (size_t i = 0; i < N; i++) {
		keypair_new(&k);
		memcpy(peers[i].public_key, k.pub, WG_KEY_LEN);
		ips[i] = (struct wg_allowed_ip){ IP4(10, 50 + i / 256, i % 256, 0), 24 };
		peers[i].allowed_ips = &ips[i];
		peers[i].nallowed_ips = 1;
		peers[i].endpoint = ep4(IP4(192, 0, 2, 1), (uint16_t)(1000 + i));
	}
	assert_int_equal(be.set_peers(&be, "wgM", peers, N), 0);
	assert_int_equal(be.get_device(&be, "wgM", &got), 0);
	assert_int_equal(got.npeers, N);
	for (size_t i = 0; i < N; i++) {
		const struct wg_peer *p = find_peer(&got, peers[i].public_key);

		assert_non_null(p);
		assert_int_equal(p->nallowed_ips, 1);
		assert_true(has_ip(p, ips[i].addr, 24));
		assert_ep4(p, IP4(192, 0, 2, 1), (uint16_t)(1000 + i));
	}
	wg_device_release(&got);
	free(peers);
	free(ips);
}

/*
 * A real handshake between two wireguard-go over 127.0.0.1: H2 has no endpoint for H1 and
 * learns it from H1's first packet (roaming); both count bytes.
 */
static void test_handshake(void **state)
{
	struct keypair k1, k2;
	struct wg_allowed_ip ip1 = { IP4(10, 77, 0, 1), 32 }, ip2 = { IP4(10, 77, 0, 2), 32 };
	struct wg_device d1 = { .ifname = "wgH1", .listen_port = 51821, .has_private_key = true };
	struct wg_device d2 = { .ifname = "wgH2", .listen_port = 51822, .has_private_key = true };
	struct wg_peer p1 = { .allowed_ips = &ip1, .nallowed_ips = 1 };	/* H1, seen from H2 */
	struct wg_peer p2 = { .allowed_ips = &ip2, .nallowed_ips = 1, .keepalive = 1 };
	struct wg_device g1 = { 0 }, g2 = { 0 };
	const struct wg_peer *a = NULL, *b = NULL;
	int i;

	(void)state;
	keypair_new(&k1);
	keypair_new(&k2);
	memcpy(d1.private_key, k1.priv, WG_KEY_LEN);
	memcpy(d2.private_key, k2.priv, WG_KEY_LEN);
	memcpy(p1.public_key, k1.pub, WG_KEY_LEN);
	memcpy(p2.public_key, k2.pub, WG_KEY_LEN);
	p2.endpoint = ep4(IP4(127, 0, 0, 1), 51822);
	start("wgH1");
	start("wgH2");
	assert_int_equal(link_set_up(nl, "wgH1"), 0);
	assert_int_equal(link_set_up(nl, "wgH2"), 0);
	assert_int_equal(be.set_device(&be, &d1), 0);
	assert_int_equal(be.set_device(&be, &d2), 0);
	assert_int_equal(be.set_peers(&be, "wgH2", &p1, 1), 0);
	assert_int_equal(be.set_peers(&be, "wgH1", &p2, 1), 0);	/* the keepalive starts it */

	/*
	 * Each side counts its bytes after the send returns, so H2 may have taken H1's keepalive
	 * before it counted its own response: wait for every counter, not the first.
	 */
	for (i = 0; i < 300; i++) {			/* 30 s: a loaded machine */
		assert_int_equal(be.get_device(&be, "wgH2", &g2), 0);
		assert_int_equal(be.get_device(&be, "wgH1", &g1), 0);
		b = find_peer(&g2, k1.pub);
		a = find_peer(&g1, k2.pub);
		assert_non_null(b);
		assert_non_null(a);
		if (b->last_handshake_sec && b->rx_bytes && b->tx_bytes &&
		    b->endpoint.ss_family == AF_INET &&
		    a->last_handshake_sec && a->rx_bytes && a->tx_bytes)
			break;
		wg_device_release(&g2);
		wg_device_release(&g1);
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
	assert_true(i < 300);
	assert_true(b->last_handshake_sec > 1600000000);
	assert_ep4(b, IP4(127, 0, 0, 1), 51821);	/* roamed to */
	assert_true(a->last_handshake_sec > 1600000000);
	assert_int_equal(a->keepalive, 1);
	wg_device_release(&g1);
	wg_device_release(&g2);
	explicit_bzero(&k1, sizeof(k1));
	explicit_bzero(&k2, sizeof(k2));
	explicit_bzero(d1.private_key, sizeof(d1.private_key));
	explicit_bzero(d2.private_key, sizeof(d2.private_key));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_probe_and_start, teardown),
		cmocka_unit_test_teardown(test_outlives_starter, teardown),
		cmocka_unit_test_teardown(test_stale_socket, teardown),
		cmocka_unit_test_teardown(test_start_failures, teardown),
		cmocka_unit_test_teardown(test_device_and_peers, teardown),
		cmocka_unit_test_teardown(test_errno_reply, teardown),
		cmocka_unit_test_teardown(test_many_peers, teardown),
		cmocka_unit_test_teardown(test_handshake, teardown),
	};
	int ret;

	if (sodium_init() < 0)
		return 1;
	/* orphans (wireguard-go once its starter exits) come back to us to be reaped */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) {
		perror("namespaces (needs root)");
		return 1;
	}
	if (access("/dev/net/tun", R_OK | W_OK) < 0) {
		perror("/dev/net/tun");
		return 1;
	}
	if (nl_open(&nl) < 0 || link_set_up(nl, "lo") < 0) {
		fprintf(stderr, "cannot open rtnetlink\n");
		return 1;
	}
	wg_backend_userspace(&be, DIR);
	atexit(kill_all);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	kill_all();
	nl_close(nl);
	return ret;
}
