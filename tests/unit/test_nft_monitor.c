/* SPDX-License-Identifier: MIT */
/*
 * netlink/nft_monitor.c's parser without a socket: nf_tables events written here the way the
 * kernel sends them (objects of a transaction, then NFT_MSG_NEWGEN with the port, the pid and
 * the name of the task that committed it). Needs no root.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cmocka.h>

#include "netlink/nft_monitor.h"

#define SELF_PORT 0x4000abcdu
#define OTHER_PID 0x7ffffff0u		/* no task of this process has it */

struct events {
	char buf[8192] __attribute__((aligned(8)));
	size_t len;
};

static struct nlmsghdr *put(struct events *ev, uint16_t msg, uint8_t family, uint32_t portid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(ev->buf + ev->len);
	struct nfgenmsg *g;

	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | msg;
	nlh->nlmsg_pid = portid;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	return nlh;
}

static void done(struct events *ev, struct nlmsghdr *nlh)
{
	ev->len += NLMSG_ALIGN(nlh->nlmsg_len);
	assert_true(ev->len < sizeof(ev->buf) - 512);
}

/* an object event: every object's message names its table in attribute 1 */
static void object(struct events *ev, uint16_t msg, uint8_t family, const char *table)
{
	struct nlmsghdr *nlh = put(ev, msg, family, 4242);

	mnl_attr_put_strz(nlh, 1, table);
	done(ev, nlh);
}

static void newgen(struct events *ev, uint32_t portid, uint32_t pid, const char *comm)
{
	struct nlmsghdr *nlh = put(ev, NFT_MSG_NEWGEN, NFPROTO_UNSPEC, portid);

	mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(7));
	if (pid)
		mnl_attr_put_u32(nlh, NFTA_GEN_PROC_PID, htonl(pid));
	if (comm)
		mnl_attr_put_strz(nlh, NFTA_GEN_PROC_NAME, comm);
	done(ev, nlh);
}

static int parse(struct nft_monitor_parser *p, const struct events *ev, struct nft_change *out)
{
	return nft_monitor_parse(p, ev->buf, ev->len, out);
}

/* nft flush ruleset: rules, chains, then each table; another table of another name too */
static void test_flush_by_another(void **state)
{
	struct nft_monitor_parser p = { .self_portid = SELF_PORT };
	struct events ev = { 0 };
	struct nft_change c;

	(void)state;
	object(&ev, NFT_MSG_DELRULE, NFPROTO_INET, "wgnet");
	object(&ev, NFT_MSG_DELCHAIN, NFPROTO_INET, "wgnet");
	object(&ev, NFT_MSG_DELTABLE, NFPROTO_INET, "wgnet");
	object(&ev, NFT_MSG_DELTABLE, NFPROTO_INET, "filter");
	object(&ev, NFT_MSG_DELSET, NFPROTO_BRIDGE, "wgnet");
	object(&ev, NFT_MSG_DELTABLE, NFPROTO_BRIDGE, "wgnet");
	newgen(&ev, 99, OTHER_PID, "nft");
	assert_int_equal(parse(&p, &ev, &c), 1);
	assert_true(c.inet.changed && c.inet.removed);
	assert_int_equal(c.inet.object, NFT_OBJECT_TABLE);
	assert_true(c.bridge.changed && c.bridge.removed);
	assert_int_equal(c.bridge.object, NFT_OBJECT_TABLE);
	assert_int_equal(c.pid, OTHER_PID);
	assert_string_equal(c.comm, "nft");
}

/* Ours: the port of our nft_batch.c sockets, or a task of this process. */
static void test_own_transactions(void **state)
{
	struct nft_monitor_parser p = { .self_portid = SELF_PORT };
	struct events ev = { 0 };
	struct nft_change c;

	(void)state;
	object(&ev, NFT_MSG_DELTABLE, NFPROTO_INET, "wgnet");
	object(&ev, NFT_MSG_NEWTABLE, NFPROTO_INET, "wgnet");
	newgen(&ev, SELF_PORT, OTHER_PID, "wgnetd");
	object(&ev, NFT_MSG_NEWSETELEM, NFPROTO_BRIDGE, "wgnet");
	newgen(&ev, 99, (uint32_t)getpid(), "MHD-worker");	/* a thread of ours */
	assert_int_equal(parse(&p, &ev, &c), 0);

	/* no port of ours known: the pid alone */
	p.self_portid = 0;
	ev.len = 0;
	object(&ev, NFT_MSG_DELRULE, NFPROTO_INET, "wgnet");
	newgen(&ev, SELF_PORT, OTHER_PID, "x");
	assert_int_equal(parse(&p, &ev, &c), 1);
}

/* Other tables, other families of the same name, and nothing at all are not reported. */
static void test_not_ours(void **state)
{
	struct nft_monitor_parser p = { .self_portid = SELF_PORT };
	struct events ev = { 0 };
	struct nft_change c = { .pid = 1 };

	(void)state;
	object(&ev, NFT_MSG_NEWRULE, NFPROTO_INET, "filter");
	object(&ev, NFT_MSG_DELTABLE, NFPROTO_IPV4, "wgnet");
	object(&ev, NFT_MSG_NEWRULE, NFPROTO_INET, "wgnet2");
	newgen(&ev, 99, OTHER_PID, "iptables-nft");
	newgen(&ev, 99, OTHER_PID, "nft");	/* an empty transaction */
	assert_int_equal(parse(&p, &ev, &c), 0);
	assert_int_equal(c.pid, 1);		/* untouched */
}

/* A transaction over two buffers; the first of two foreign ones is reported; the first
 * removal says most, then the first addition. */
static void test_split_and_order(void **state)
{
	struct nft_monitor_parser p = { .self_portid = SELF_PORT };
	struct events ev = { 0 };
	struct nft_change c;

	(void)state;
	object(&ev, NFT_MSG_NEWRULE, NFPROTO_INET, "wgnet");
	object(&ev, NFT_MSG_DELRULE, NFPROTO_INET, "wgnet");
	assert_int_equal(parse(&p, &ev, &c), 0);
	ev.len = 0;
	object(&ev, NFT_MSG_DELCHAIN, NFPROTO_INET, "wgnet");
	newgen(&ev, 99, OTHER_PID, NULL);
	object(&ev, NFT_MSG_NEWSETELEM, NFPROTO_BRIDGE, "wgnet");
	newgen(&ev, 98, OTHER_PID - 1, "second");
	assert_int_equal(parse(&p, &ev, &c), 1);
	assert_true(c.inet.changed && c.inet.removed);
	assert_int_equal(c.inet.object, NFT_OBJECT_RULE);
	assert_false(c.bridge.changed);
	assert_int_equal(c.pid, OTHER_PID);
	assert_string_equal(c.comm, "");

	ev.len = 0;
	object(&ev, NFT_MSG_NEWCHAIN, NFPROTO_BRIDGE, "wgnet");
	object(&ev, NFT_MSG_NEWRULE, NFPROTO_BRIDGE, "wgnet");
	newgen(&ev, 99, 0, NULL);		/* an old kernel: no pid */
	assert_int_equal(parse(&p, &ev, &c), 1);
	assert_true(c.bridge.changed && !c.bridge.removed);
	assert_int_equal(c.bridge.object, NFT_OBJECT_CHAIN);
	assert_int_equal(c.pid, 0);
}

/* Truncated or malformed messages end the buffer or are skipped, never read past. */
static void test_malformed(void **state)
{
	struct nft_monitor_parser p = { .self_portid = SELF_PORT };
	struct events ev = { 0 };
	struct nft_change c;
	struct nlmsghdr *nlh;

	(void)state;
	nlh = put(&ev, NFT_MSG_DELTABLE, NFPROTO_INET, 1);
	mnl_attr_put_u32(nlh, 1, 5);		/* the name as a number: not a string */
	done(&ev, nlh);
	newgen(&ev, 99, OTHER_PID, "nft");
	assert_int_equal(parse(&p, &ev, &c), 0);
	ev.len = 0;
	object(&ev, NFT_MSG_DELTABLE, NFPROTO_INET, "wgnet");
	newgen(&ev, 99, OTHER_PID, "nft");
	assert_int_equal(nft_monitor_parse(&p, ev.buf, ev.len - 4, &c), 0);	/* NEWGEN cut */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flush_by_another),
		cmocka_unit_test(test_own_transactions),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_split_and_order),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
