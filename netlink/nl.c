/* SPDX-License-Identifier: MIT */
/*
 * The rtnetlink socket: sequence numbers, the reply loop and the kernel's extended-ack text.
 *
 * The reply loop always reads up to the message that ends a request (its ack, its error or
 * NLMSG_DONE), even after a callback failed or the dump was interrupted: a dump left half-read
 * keeps running in the kernel and the socket's next dump would fail with EBUSY. For the same
 * reason messages of another sequence number (left by a request abandoned on a receive error)
 * are skipped, not taken as an answer. libmnl's mnl_cb_run() stops at the first error or
 * NLM_F_DUMP_INTR without draining, so the loop walks the messages itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "netlink/nl.h"

/* Dump replies come in skbs of up to 32 KiB; a smaller buffer truncates them (ENOSPC). */
#define NL_RECV_SIZE 32768

struct nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	int ext_err;			/* the error ext_msg explains, 0 = none */
	char ext_msg[256];
	alignas(struct nlmsghdr) char rbuf[NL_RECV_SIZE];
};

/* One request's replies. */
struct nl_reply {
	struct nl *nl;
	unsigned int seq;
	nl_dump_cb cb;
	void *data;
	int err;			/* first error: the kernel's or a callback's */
	bool stopped;			/* the callback returned MNL_CB_STOP */
	bool intr;			/* NLM_F_DUMP_INTR: the dump may be inconsistent */
	bool done;			/* the ack, error or NLMSG_DONE arrived */
};

int nl_open(struct nl **out)
{
	struct nl *nl;
	int one = 1;
	int ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock) {
		ret = -errno;
		goto out;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	/* Both optional: without them errors only lack the kernel's text, acks are longer. */
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	*out = nl;
	nl = NULL;
	ret = 0;
out:
	nl_close(nl);
	return ret;
}

int nl_open_in_netns(int netns_fd, struct nl **out)
{
	struct nl *nl = NULL;
	int self, ret;

	/* thread-self: setns() moves only this thread, which may differ from the main one */
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		ret = -errno;
		goto out;
	}
	ret = nl_open(&nl);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* The thread stays in the other namespace: the caller must not go on as if not. */
		ret = -errno;
		goto out;
	}
	if (ret < 0)
		goto out;
	*out = nl;
	nl = NULL;
out:
	nl_close(nl);
	close(self);
	return ret;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

const char *nl_strerror(struct nl *nl, int err)
{
	if (nl && err && nl->ext_err == err && nl->ext_msg[0])
		return nl->ext_msg;
	return strerror(err < 0 ? -err : err);
}

struct nlmsghdr *nl_msg_start(struct nl *nl, void *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	(void)nl;	/* the sequence number is given at send time, so a message can be resent */
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static int nl_extack_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, NLMSGERR_ATTR_MAX) < 0)
		return MNL_CB_OK;
	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

/* The TLVs start off bytes into the payload of an error or NLMSG_DONE message. */
static void nl_extack_read(struct nl *nl, const struct nlmsghdr *nlh, size_t off, int err)
{
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { 0 };

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off > mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_parse(nlh, (unsigned int)off, nl_extack_attr, tb);
	if (!tb[NLMSGERR_ATTR_MSG])
		return;
	snprintf(nl->ext_msg, sizeof(nl->ext_msg), "%s", mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]));
	nl->ext_err = err;
}

static void nl_reply_fail(struct nl_reply *r, int err)
{
	if (!r->err)
		r->err = err;
}

static void nl_reply_error(struct nl_reply *r, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		nl_reply_fail(r, -EBADMSG);
		return;
	}
	if (e->error == 0)
		return;				/* the ack */
	err = e->error < 0 ? e->error : -e->error;
	if (r->err)
		return;
	r->err = err;
	/* the request echoed back in full unless NETLINK_CAP_ACK capped it to its header */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	nl_extack_read(r->nl, nlh, off, err);
}

static void nl_reply_done(struct nl_reply *r, const struct nlmsghdr *nlh)
{
	int err;

	/* a dump that failed half-way says so in NLMSG_DONE's payload */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err >= 0 || r->err)
		return;
	r->err = err;
	nl_extack_read(r->nl, nlh, sizeof(err), err);
}

static void nl_reply_data(struct nl_reply *r, const struct nlmsghdr *nlh)
{
	int ret;

	if (!r->cb || r->err || r->stopped)
		return;
	errno = 0;
	ret = r->cb(nlh, r->data);
	/* libmnl's way: a callback returning MNL_CB_ERROR sets errno */
	if (ret < MNL_CB_STOP)
		r->err = errno > 0 ? -errno : -EIO;
	else if (ret == MNL_CB_STOP)
		r->stopped = true;
}

static void nl_reply_parse(struct nl_reply *r, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	for (; !r->done && mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_seq != r->seq)
			continue;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			r->intr = true;
		switch (nlh->nlmsg_type) {
		case NLMSG_ERROR:
			nl_reply_error(r, nlh);
			r->done = true;
			break;
		case NLMSG_DONE:
			nl_reply_done(r, nlh);
			r->done = true;
			break;
		default:
			if (nlh->nlmsg_type >= NLMSG_MIN_TYPE)
				nl_reply_data(r, nlh);
			break;
		}
	}
}

/* Send nlh and read its replies up to the last one. */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, nl_dump_cb cb, void *data)
{
	struct nl_reply r = { .nl = nl, .seq = ++nl->seq, .cb = cb, .data = data };
	ssize_t len;

	nl->ext_err = 0;
	nl->ext_msg[0] = 0;
	nlh->nlmsg_seq = r.seq;
	nlh->nlmsg_pid = 0;
	do
		len = mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len);
	while (len < 0 && errno == EINTR);
	if (len < 0)
		return -errno;
	while (!r.done) {
		len = mnl_socket_recvfrom(nl->sock, nl->rbuf, sizeof(nl->rbuf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0 && errno == ENOSPC) {
			/* one message did not fit and is lost; the rest still follows */
			nl_reply_fail(&r, -EMSGSIZE);
			continue;
		}
		if (len < 0)
			return -errno;
		nl_reply_parse(&r, nl->rbuf, (size_t)len);
	}
	if (r.err)
		return r.err;
	return r.intr ? -EINTR : 0;
}

int nl_request(struct nl *nl, struct nlmsghdr *nlh)
{
	nlh->nlmsg_flags |= NLM_F_ACK;
	return nl_talk(nl, nlh, NULL, NULL);
}

/*
 * A dump (NLM_F_DUMP is added) ends at NLMSG_DONE; -EINTR if the kernel flagged it as
 * interrupted by a change, so the caller may start again. A request built with NLM_F_ACK is
 * sent as it is instead: a plain get, whose reply goes to cb and which ends at the ack.
 */
int nl_dump(struct nl *nl, struct nlmsghdr *nlh, nl_dump_cb cb, void *data)
{
	if (!(nlh->nlmsg_flags & NLM_F_ACK))
		nlh->nlmsg_flags |= NLM_F_DUMP;
	return nl_talk(nl, nlh, cb, data);
}
