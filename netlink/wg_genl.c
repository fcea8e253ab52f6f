/* SPDX-License-Identifier: MIT */
/*
 * Kernel backend of wg.h: the `wireguard` generic netlink family. Each call opens its own
 * NETLINK_GENERIC socket and resolves the family; ENOENT there means this kernel has no
 * WireGuard, reported as -EPROTONOSUPPORT so that the driver can fall back to userspace. What is
 * sent is wg_genl_build.c's, what is read back wg_genl_parse.c's: here the socket, the acks and
 * the dumps' ends, and as many messages as set_peers needs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "netlink/wg.h"
#include "netlink/wg_genl.h"

/* the kernel sizes a dump's messages by the reader's buffer, up to 32 KiB */
#define RECV_BUF 32768
#define GET_TRIES 5			/* dumps interrupted by a concurrent change are redone */
#define SMALL_MSG 256			/* family lookup, get request, set_device */

struct genl {
	struct mnl_socket *nl;
	uint16_t family;
	uint32_t seq;
	uint32_t portid;
	char *buf;			/* RECV_BUF */
};

/* NLMSG_ERROR (an ack when 0) and NLMSG_DONE (a dump's end, maybe with an error) */
static int genl_ctl_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e;
	int err;

	(void)data;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
			errno = EBADMSG;
			return MNL_CB_ERROR;
		}
		e = mnl_nlmsg_get_payload(nlh);
		err = e->error;
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		err = 0;
		if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
			memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	} else {
		return MNL_CB_OK;		/* NLMSG_NOOP and the like */
	}
	if (err == 0)
		return MNL_CB_STOP;
	errno = err < 0 ? -err : err;
	return MNL_CB_ERROR;
}

/* Send nlh, then read until its ack or the end of its dump; cb sees every data message. */
static int genl_talk(struct genl *g, const struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE];
	ssize_t len;
	size_t i;
	int ret;

	for (i = 0; i < NLMSG_MIN_TYPE; i++)
		ctl[i] = genl_ctl_cb;
	if (mnl_socket_sendto(g->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(g->nl, g->buf, RECV_BUF);
		if (len < 0)
			return -errno;
		ret = mnl_cb_run2(g->buf, (size_t)len, nlh->nlmsg_seq, g->portid, cb, data, ctl,
				  NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

static void genl_close(struct genl *g)
{
	if (g->buf) {
		explicit_bzero(g->buf, RECV_BUF);	/* a reply may have held the private key */
		free(g->buf);
	}
	if (g->nl)
		mnl_socket_close(g->nl);
	*g = (struct genl){ 0 };
}

/* A bound socket and the wireguard family's id. */
static int genl_open(struct genl *g)
{
	_Alignas(struct nlmsghdr) char req[SMALL_MSG];
	int one = 1;
	int ret;

	*g = (struct genl){ .seq = (uint32_t)time(NULL) };
	g->buf = malloc(RECV_BUF);
	if (!g->buf)
		return -ENOMEM;
	g->nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!g->nl) {
		ret = -errno;
		goto out;
	}
	/* error acks quote only the header: a 16 KiB request needs no 16 KiB answer */
	(void)mnl_socket_setsockopt(g->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(g->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	g->portid = mnl_socket_get_portid(g->nl);
	ret = wg_genl_build_family(req, sizeof(req), g->seq++);
	if (ret < 0)
		goto out;
	ret = genl_talk(g, (struct nlmsghdr *)req, wg_genl_parse_family, &g->family);
	if (ret == -ENOENT)
		ret = -EPROTONOSUPPORT;
	else if (ret == 0 && g->family == 0)
		ret = -EPROTO;
out:
	if (ret < 0)
		genl_close(g);
	return ret;
}

int wg_genl_available(void)
{
	struct genl g;
	int ret;

	ret = genl_open(&g);
	if (ret == 0)
		genl_close(&g);
	return ret;
}

/* ----- the backend ----- */

static int kernel_set_device(const struct wg_backend *b, const struct wg_device *dev)
{
	_Alignas(struct nlmsghdr) char buf[SMALL_MSG];
	struct genl g;
	int ret;

	(void)b;
	ret = wg_genl_build_check_ifname(dev->ifname);
	if (ret < 0)
		return ret;
	ret = genl_open(&g);
	if (ret < 0)
		return ret;
	ret = wg_genl_build_device(buf, sizeof(buf), g.family, g.seq++, dev);
	if (ret >= 0)
		ret = genl_talk(&g, (struct nlmsghdr *)buf, NULL, NULL);
	explicit_bzero(buf, sizeof(buf));	/* held the private key */
	genl_close(&g);
	return ret;
}

static int kernel_set_peers(const struct wg_backend *b, const char *ifname,
			    const struct wg_peer *peers, size_t n)
{
	size_t i, used, done = 0;
	struct genl g = { 0 };
	void *buf = NULL;
	int ret;

	(void)b;
	ret = wg_genl_build_check_ifname(ifname);
	if (ret < 0)
		return ret;
	ret = wg_peers_check(peers, n);
	if (ret < 0)
		return ret;
	if (n == 0)
		return 0;
	buf = malloc(WG_GENL_MSG_MAX);
	if (!buf)
		return -ENOMEM;
	ret = genl_open(&g);
	if (ret < 0)
		goto out;
	for (i = 0; i < n; i += used) {
		ret = wg_genl_build_peers(buf, WG_GENL_MSG_MAX, g.family, g.seq++, ifname,
					  peers + i, n - i, &used, &done);
		if (ret < 0)
			goto out;
		ret = genl_talk(&g, buf, NULL, NULL);
		if (ret < 0)
			goto out;
	}
out:
	genl_close(&g);
	free(buf);
	return ret;
}

static int get_device_once(const char *ifname, struct wg_device *out)
{
	_Alignas(struct nlmsghdr) char req[SMALL_MSG];
	struct wg_genl_dump d = { 0 };
	struct genl g;
	int ret;

	ret = genl_open(&g);
	if (ret < 0)
		return ret;
	d.family = g.family;
	ret = wg_genl_build_get(req, sizeof(req), g.family, g.seq++, ifname);
	if (ret < 0)
		goto out;
	ret = genl_talk(&g, (struct nlmsghdr *)req, wg_genl_parse_device, &d);
	if (ret < 0 && d.err)
		ret = d.err;
	if (ret < 0)
		goto out;
	if (!d.dev.ifname[0])
		memcpy(d.dev.ifname, ifname, strlen(ifname) + 1);
	*out = d.dev;
	d.dev = (struct wg_device){ 0 };
out:
	wg_device_release(&d.dev);
	genl_close(&g);
	return ret;
}

static int kernel_get_device(const struct wg_backend *b, const char *ifname,
			     struct wg_device *out)
{
	int ret;
	int i;

	(void)b;
	ret = wg_genl_build_check_ifname(ifname);
	if (ret < 0)
		return ret;
	ret = -EINTR;
	/* libmnl fails a dump with EINTR when peers changed during it: read it again */
	for (i = 0; i < GET_TRIES && ret == -EINTR; i++)
		ret = get_device_once(ifname, out);
	return ret;
}

const struct wg_backend wg_backend_kernel = {
	.name = "kernel",
	.set_device = kernel_set_device,
	.set_peers = kernel_set_peers,
	.get_device = kernel_get_device,
};
