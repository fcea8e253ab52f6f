/* SPDX-License-Identifier: MIT */
/*
 * netlink/nl.c, link.c and addr.c against the kernel, in a network namespace of their own.
 * Links are read back through raw rtnetlink requests too (MAC, broadcast address), and a second
 * namespace comes from a child process that unshares one and waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <cmocka.h>

#include "netlink/addr.h"
#include "netlink/link.h"
#include "netlink/nl.h"
#include "netlink/route.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define NPAIRS 40

static struct nl *nl;

/* Every name a test makes; teardown deletes what is left when a test failed half-way. */
static const char *const names[] = { "wgbt0", "wgbt1", "wgvt0", "wgct0", "wgvt1", "wgct1",
				     "wgvn0", "wgcn0", "wgvn1", "wgcn1" };

static void del_quiet(const char *name)
{
	int ret = link_del(nl, name);

	assert_true(ret == 0 || ret == -ENODEV);
}

static int cleanup(void **state)
{
	char name[IFNAMSIZ];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		del_quiet(names[i]);
	for (int i = 0; i < NPAIRS; i++) {
		snprintf(name, sizeof(name), "wgvm%d", i);
		del_quiet(name);
	}
	return 0;
}

static bool exists(struct nl *s, const char *name)
{
	struct link_info li;
	int ret = link_get(s, name, &li);

	assert_true(ret == 0 || ret == -ENODEV);
	return ret == 0;
}

struct mac_query {
	uint8_t mac[6];
	bool found;
};

static int mac_attr(const struct nlattr *attr, void *data)
{
	struct mac_query *q = data;

	if (mnl_attr_get_type(attr) == IFLA_ADDRESS && mnl_attr_get_payload_len(attr) == 6) {
		memcpy(q->mac, mnl_attr_get_payload(attr), 6);
		q->found = true;
	}
	return MNL_CB_OK;
}

static int mac_cb(const struct nlmsghdr *nlh, void *data)
{
	mnl_attr_parse(nlh, sizeof(struct ifinfomsg), mac_attr, data);
	return MNL_CB_OK;
}

/* IFLA_ADDRESS of name, read with a plain RTM_GETLINK through nl_dump() */
static void link_mac(const char *name, uint8_t mac[6])
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct mac_query q = { .found = false };
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, RTM_GETLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	assert_int_equal(nl_dump(nl, nlh, mac_cb, &q), 0);
	assert_true(q.found);
	memcpy(mac, q.mac, 6);
}

struct brd_query {
	uint32_t local;		/* network order */
	uint32_t brd;
	int found;
};

static int brd_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= IFA_MAX && mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int brd_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	struct brd_query *q = data;

	mnl_attr_parse(nlh, sizeof(struct ifaddrmsg), brd_attr, tb);
	if (tb[IFA_LOCAL] && mnl_attr_get_u32(tb[IFA_LOCAL]) == q->local) {
		q->found++;
		q->brd = tb[IFA_BROADCAST] ? mnl_attr_get_u32(tb[IFA_BROADCAST]) : 0;
	}
	return MNL_CB_OK;
}

/* IFA_BROADCAST of the IPv4 address addr (host order), 0 if it has none */
static uint32_t addr_broadcast(uint32_t addr)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct brd_query q = { .local = htonl(addr) };
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, RTM_GETADDR, 0);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = AF_INET;
	assert_int_equal(nl_dump(nl, nlh, brd_cb, &q), 0);
	assert_int_equal(q.found, 1);
	return ntohl(q.brd);
}

static ino_t netns_inode(void)
{
	struct stat st;

	assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
	return st.st_ino;
}

static void test_bridge(void **state)
{
	struct link_info li;
	int ret;

	(void)state;
	assert_int_equal(link_get(nl, "wgbt0", &li), -ENODEV);
	assert_int_equal(link_bridge_create(nl, "wgbt0", 1400), 0);
	memset(&li, 0xff, sizeof(li));
	assert_int_equal(link_get(nl, "wgbt0", &li), 0);
	assert_string_equal(li.name, "wgbt0");
	assert_string_equal(li.kind, "bridge");
	assert_int_equal(li.mtu, 1400);
	assert_false(li.up);
	assert_true(li.index > 1);
	assert_int_equal(li.master, 0);

	ret = link_bridge_create(nl, "wgbt0", 1400);
	assert_int_equal(ret, -EEXIST);
	assert_non_null(nl_strerror(nl, ret));
	assert_true(nl_strerror(nl, ret)[0] != 0);

	assert_int_equal(link_set_mtu(nl, "wgbt0", 1300), 0);
	assert_int_equal(link_set_up(nl, "wgbt0"), 0);
	assert_int_equal(link_get(nl, "wgbt0", &li), 0);
	assert_int_equal(li.mtu, 1300);
	assert_true(li.up);

	assert_int_equal(link_del(nl, "wgbt0"), 0);
	assert_int_equal(link_get(nl, "wgbt0", &li), -ENODEV);
	assert_int_equal(link_del(nl, "wgbt0"), -ENODEV);
	assert_int_equal(link_set_up(nl, "wgbt0"), -ENODEV);
	assert_int_equal(link_set_mtu(nl, "wgbt0", 1400), -ENODEV);
	assert_int_equal(link_set_master(nl, "wgbt0", NULL), -ENODEV);

	/* names the kernel could not take never reach it */
	assert_int_equal(link_bridge_create(nl, "wgbt0123456789abcdef", 1400), -EINVAL);
	assert_int_equal(link_bridge_create(nl, "", 1400), -EINVAL);
}

static void test_extack(void **state)
{
	int ret;

	(void)state;
	assert_int_equal(link_bridge_create(nl, "wgbt0", 1400), 0);
	/* below the minimum MTU: the kernel explains in an extended ack */
	ret = link_set_mtu(nl, "wgbt0", 10);
	assert_int_equal(ret, -EINVAL);
	assert_non_null(strstr(nl_strerror(nl, ret), "mtu"));
	/* another errno than the request's: no kernel text for it */
	assert_string_equal(nl_strerror(nl, -ENOMEM), strerror(ENOMEM));
	/* a request without extended ack clears it */
	ret = link_del(nl, "wgbt9");
	assert_int_equal(ret, -ENODEV);
	assert_int_equal(link_set_up(nl, "wgbt0"), 0);
	assert_string_equal(nl_strerror(nl, -EINVAL), strerror(EINVAL));
	assert_int_equal(link_bridge_create(nl, "wgbt1", 10), -EINVAL);
	assert_false(exists(nl, "wgbt1"));
	assert_int_equal(link_del(nl, "wgbt0"), 0);
}

static void test_veth(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0x42, 0x0a, 0xd2, 0x01, 0x05 };
	struct link_info br, host, peer;
	uint8_t got[6];

	(void)state;
	assert_int_equal(link_bridge_create(nl, "wgbt0", 1400), 0);
	assert_int_equal(link_get(nl, "wgbt0", &br), 0);
	assert_int_equal(link_veth_create(nl, "wgvt0", "wgct0", 1380, "wgbt0", mac), 0);

	assert_int_equal(link_get(nl, "wgvt0", &host), 0);
	assert_string_equal(host.kind, "veth");
	assert_int_equal(host.master, br.index);
	assert_true(host.up);
	assert_int_equal(host.mtu, 1380);
	assert_int_equal(link_get(nl, "wgct0", &peer), 0);
	assert_string_equal(peer.kind, "veth");
	assert_int_equal(peer.master, 0);
	assert_false(peer.up);
	assert_int_equal(peer.mtu, 1380);
	link_mac("wgct0", got);
	assert_memory_equal(got, mac, 6);

	/* either name taken */
	assert_int_equal(link_veth_create(nl, "wgvt0", "wgct1", 1380, "wgbt0", mac), -EEXIST);
	assert_int_equal(link_veth_create(nl, "wgvt1", "wgct0", 1380, "wgbt0", mac), -EEXIST);
	assert_false(exists(nl, "wgvt1"));
	assert_false(exists(nl, "wgct1"));
	/* no such master: nothing made */
	assert_int_equal(link_veth_create(nl, "wgvt1", "wgct1", 1380, "wgbt1", NULL), -ENODEV);
	assert_false(exists(nl, "wgvt1"));
	assert_false(exists(nl, "wgct1"));
	/* a master that takes no ports: the kernel drops the pair again */
	assert_true(link_veth_create(nl, "wgvt1", "wgct1", 1380, "lo", NULL) < 0);
	assert_false(exists(nl, "wgvt1"));
	assert_false(exists(nl, "wgct1"));

	/* no master, kernel MAC */
	assert_int_equal(link_veth_create(nl, "wgvt1", "wgct1", 1500, NULL, NULL), 0);
	assert_int_equal(link_get(nl, "wgvt1", &host), 0);
	assert_int_equal(host.master, 0);
	assert_true(host.up);
	assert_int_equal(host.mtu, 1500);

	/* master off and on again */
	assert_int_equal(link_set_master(nl, "wgvt0", NULL), 0);
	assert_int_equal(link_get(nl, "wgvt0", &host), 0);
	assert_int_equal(host.master, 0);
	assert_int_equal(link_set_master(nl, "wgvt0", "wgbt0"), 0);
	assert_int_equal(link_get(nl, "wgvt0", &host), 0);
	assert_int_equal(host.master, br.index);
	assert_int_equal(link_set_master(nl, "wgvt0", "wgbt1"), -ENODEV);

	/* deleting one end deletes the pair */
	assert_int_equal(link_del(nl, "wgct0"), 0);
	assert_false(exists(nl, "wgvt0"));
	assert_int_equal(link_del(nl, "wgvt1"), 0);
	assert_false(exists(nl, "wgct1"));
	assert_int_equal(link_del(nl, "wgbt0"), 0);
}

static const struct link_info *find(const struct link_info *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static void test_dump(void **state)
{
	const struct link_info *lo, *br, *host, *peer;
	struct link_info *v = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(link_bridge_create(nl, "wgbt0", 1400), 0);
	assert_int_equal(link_veth_create(nl, "wgvt0", "wgct0", 1380, "wgbt0", NULL), 0);
	assert_int_equal(link_dump(nl, &v, &n), 0);
	assert_non_null(v);
	assert_int_equal(n, 4);		/* lo and ours: the namespace is the test's own */
	lo = find(v, n, "lo");
	br = find(v, n, "wgbt0");
	host = find(v, n, "wgvt0");
	peer = find(v, n, "wgct0");
	assert_non_null(lo);
	assert_non_null(br);
	assert_non_null(host);
	assert_non_null(peer);
	assert_string_equal(lo->kind, "");
	assert_int_equal(lo->index, 1);
	assert_string_equal(br->kind, "bridge");
	/* a bridge created with an MTU still follows its smallest port's */
	assert_int_equal(br->mtu, 1380);
	assert_string_equal(host->kind, "veth");
	assert_int_equal(host->master, br->index);
	assert_true(host->up);
	assert_string_equal(peer->kind, "veth");
	assert_int_equal(peer->master, 0);
	assert_int_equal(peer->mtu, 1380);
	free(v);
	assert_int_equal(link_del(nl, "wgvt0"), 0);
	assert_int_equal(link_del(nl, "wgbt0"), 0);
}

static int stop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	++*(int *)data;
	return MNL_CB_STOP;
}

static int fail_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	++*(int *)data;
	errno = ECANCELED;
	return MNL_CB_ERROR;
}

/* A dump its callback gave up on is still read to its end: the socket's next dump works. */
static void test_dump_abandoned(void **state)
{
	alignas(struct nlmsghdr) char buf[NL_BUF_SIZE];
	struct link_info *v = NULL;
	char host[IFNAMSIZ], peer[IFNAMSIZ];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	size_t n = 0;
	int calls;

	(void)state;
	for (int i = 0; i < NPAIRS; i++) {
		snprintf(host, sizeof(host), "wgvm%d", i);
		snprintf(peer, sizeof(peer), "wgcm%d", i);
		assert_int_equal(link_veth_create(nl, host, peer, 1500, NULL, NULL), 0);
	}
	for (int round = 0; round < 2; round++) {
		/* with statistics: many 32 KiB reads */
		nlh = nl_msg_start(nl, buf, RTM_GETLINK, NLM_F_DUMP);
		ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
		ifi->ifi_family = AF_UNSPEC;
		calls = 0;
		if (round == 0) {
			assert_int_equal(nl_dump(nl, nlh, fail_cb, &calls), -ECANCELED);
		} else {
			assert_int_equal(nl_dump(nl, nlh, stop_cb, &calls), 0);
		}
		assert_int_equal(calls, 1);
		assert_int_equal(link_dump(nl, &v, &n), 0);
		assert_int_equal(n, 1 + 2 * NPAIRS);
		free(v);
		assert_int_equal(link_set_up(nl, "wgcm0"), 0);
	}
	for (int i = 0; i < NPAIRS; i++) {
		snprintf(host, sizeof(host), "wgvm%d", i);
		assert_int_equal(link_del(nl, host), 0);
	}
}

static void test_addr(void **state)
{
	struct addr_entry *v = NULL;
	struct link_info br;
	size_t n = 9;

	(void)state;
	assert_int_equal(link_bridge_create(nl, "wgbt0", 1400), 0);
	assert_int_equal(link_get(nl, "wgbt0", &br), 0);
	assert_int_equal(addr_list(nl, "wgbt0", &v, &n), 0);
	assert_non_null(v);
	assert_int_equal(n, 0);
	free(v);

	assert_int_equal(addr_add(nl, "wgbt0", IP4(10, 210, 1, 1), 24), 0);
	assert_int_equal(addr_add(nl, "wgbt0", IP4(10, 210, 1, 1), 24), -EEXIST);
	assert_int_equal(addr_add(nl, "wgbt0", IP4(10, 210, 9, 7), 32), 0);
	assert_int_equal(addr_add(nl, "wgbt0", IP4(10, 210, 2, 0), 31), 0);
	assert_int_equal(addr_add(nl, "wgbt0", IP4(10, 211, 0, 1), 16), 0);
	assert_int_equal(addr_add(nl, "wgbt0", IP4(10, 0, 0, 1), 33), -EINVAL);
	assert_int_equal(addr_add(nl, "wgbt1", IP4(10, 0, 0, 1), 24), -ENODEV);
	assert_int_equal(addr_broadcast(IP4(10, 210, 1, 1)), IP4(10, 210, 1, 255));
	assert_int_equal(addr_broadcast(IP4(10, 211, 0, 1)), IP4(10, 211, 255, 255));
	assert_int_equal(addr_broadcast(IP4(10, 210, 9, 7)), 0);
	assert_int_equal(addr_broadcast(IP4(10, 210, 2, 0)), 0);

	/* lo's 127.0.0.1 (it is up) is not the bridge's */
	assert_int_equal(link_set_up(nl, "lo"), 0);
	assert_int_equal(addr_list(nl, "wgbt0", &v, &n), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i].ifindex, br.index);
	assert_int_equal(v[0].addr, IP4(10, 210, 1, 1));
	assert_int_equal(v[0].prefixlen, 24);
	assert_int_equal(v[1].addr, IP4(10, 210, 9, 7));
	assert_int_equal(v[1].prefixlen, 32);
	assert_int_equal(v[2].addr, IP4(10, 210, 2, 0));
	assert_int_equal(v[2].prefixlen, 31);
	assert_int_equal(v[3].addr, IP4(10, 211, 0, 1));
	assert_int_equal(v[3].prefixlen, 16);
	free(v);

	assert_int_equal(addr_del(nl, "wgbt0", IP4(10, 210, 9, 7), 32), 0);
	assert_int_equal(addr_del(nl, "wgbt0", IP4(10, 210, 9, 7), 32), -EADDRNOTAVAIL);
	assert_int_equal(addr_del(nl, "wgbt0", IP4(10, 210, 1, 1), 16), -EADDRNOTAVAIL);
	assert_int_equal(addr_del(nl, "wgbt0", IP4(10, 210, 1, 1), 24), 0);
	assert_int_equal(addr_list(nl, "wgbt0", &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].addr, IP4(10, 210, 2, 0));
	assert_int_equal(v[1].addr, IP4(10, 211, 0, 1));
	free(v);
	assert_int_equal(addr_list(nl, "wgbt1", &v, &n), -ENODEV);

	assert_int_equal(link_del(nl, "wgbt0"), 0);
}

struct other_ns {
	pid_t pid;
	int fd;
};

static int other_ns_up(void **state)
{
	struct other_ns *o = calloc(1, sizeof(*o));
	char path[64], c;
	int p[2];

	assert_non_null(o);
	assert_int_equal(pipe(p), 0);
	o->pid = fork();
	assert_true(o->pid >= 0);
	if (o->pid == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)o->pid);
	o->fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(o->fd >= 0);
	*state = o;
	return 0;
}

static int other_ns_down(void **state)
{
	struct other_ns *o = *state;
	int status;

	cleanup(state);
	if (!o)
		return 0;
	close(o->fd);
	kill(o->pid, SIGKILL);
	waitpid(o->pid, &status, 0);
	free(o);
	return 0;
}

static void test_netns(void **state)
{
	struct other_ns *o = *state;
	struct route r = { .dst = IP4(10, 211, 0, 0), .len = 16, .protocol = 77 };
	struct link_info li, li2, *v = NULL;
	struct route *rv = NULL;
	struct nl *there = NULL;
	ino_t here = netns_inode();
	size_t n = 0;

	assert_int_equal(link_veth_create(nl, "wgvn0", "wgcn0", 1420, NULL, NULL), 0);
	assert_int_equal(link_veth_create(nl, "wgvn1", "wgcn1", 1420, NULL, NULL), 0);
	assert_int_equal(link_set_netns(nl, "wgcn0", o->fd, "eth7"), 0);
	assert_int_equal(link_set_netns(nl, "wgcn1", o->fd, NULL), 0);
	assert_false(exists(nl, "wgcn0"));
	assert_false(exists(nl, "wgcn1"));
	assert_false(exists(nl, "eth7"));
	assert_true(exists(nl, "wgvn0"));
	assert_int_equal(link_set_netns(nl, "wgcn0", o->fd, "eth8"), -ENODEV);

	assert_int_equal(nl_open_in_netns(-1, &there), -EBADF);
	assert_null(there);
	assert_int_equal(netns_inode(), here);
	assert_int_equal(nl_open_in_netns(o->fd, &there), 0);
	assert_int_equal(netns_inode(), here);	/* the thread is back */

	assert_int_equal(link_get(there, "eth7", &li), 0);
	assert_string_equal(li.kind, "veth");
	assert_int_equal(li.mtu, 1420);
	assert_false(li.up);
	assert_int_equal(link_get(there, "wgvn0", &li), -ENODEV);
	/* names resolve in the socket's namespace, which is not the thread's */
	assert_int_equal(link_set_up(there, "eth7"), 0);
	assert_int_equal(addr_add(there, "eth7", IP4(10, 210, 1, 5), 24), 0);
	assert_int_equal(link_dump(there, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_non_null(find(v, n, "lo"));
	assert_non_null(find(v, n, "eth7"));
	assert_non_null(find(v, n, "wgcn1"));
	free(v);
	assert_int_equal(link_get(there, "eth7", &li), 0);
	assert_true(li.up);
	/* by index as well, and a route's device is named through the socket too */
	assert_int_equal(link_get_index(there, li.index, &li2), 0);
	assert_string_equal(li2.name, "eth7");
	assert_int_equal(link_get_index(there, 0, &li2), -EINVAL);
	assert_int_equal(link_get_index(there, 0x7ffffff0, &li2), -ENODEV);
	snprintf(r.ifname, sizeof(r.ifname), "eth7");
	assert_int_equal(route_add(there, &r), 0);
	assert_int_equal(route_dump_proto(there, r.protocol, &rv, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rv[0].ifname, "eth7");
	free(rv);

	/* and back, renamed */
	assert_int_equal(link_set_netns(there, "eth7", -1, NULL), -EINVAL);
	assert_int_equal(link_del(there, "wgcn1"), 0);
	assert_false(exists(nl, "wgvn1"));
	{
		int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

		assert_true(self >= 0);
		assert_int_equal(link_set_netns(there, "eth7", self, "wgcn0"), 0);
		close(self);
	}
	assert_true(exists(nl, "wgcn0"));
	assert_false(exists(there, "eth7"));
	nl_close(there);
	assert_int_equal(link_del(nl, "wgvn0"), 0);
	assert_false(exists(nl, "wgcn0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bridge, cleanup),
		cmocka_unit_test_teardown(test_extack, cleanup),
		cmocka_unit_test_teardown(test_veth, cleanup),
		cmocka_unit_test_teardown(test_dump, cleanup),
		cmocka_unit_test_teardown(test_dump_abandoned, cleanup),
		cmocka_unit_test_teardown(test_addr, cleanup),
		cmocka_unit_test_setup_teardown(test_netns, other_ns_up, other_ns_down),
	};
	int ret;

	if (geteuid() != 0) {
		fprintf(stderr, "test_netlink: must run as root (it makes network namespaces)\n");
		return 1;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		perror("test_netlink: unshare(CLONE_NEWNET)");
		return 1;
	}
	ret = nl_open(&nl);
	if (ret < 0) {
		fprintf(stderr, "test_netlink: nl_open: %s\n", strerror(-ret));
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	nl_close(nl);
	return ret;
}
