/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_NL_H
#define WGNET_NETLINK_NL_H

#include <stddef.h>
#include <stdint.h>

/*
 * A NETLINK_ROUTE socket (libmnl) with sequence numbers, an ack loop and extended-ack text.
 * Not thread-safe: the driver serialises callers. The socket stays in the network namespace
 * it was opened in, whatever the thread does later.
 */
struct nl;

int nl_open(struct nl **out);
/* Open a socket in the network namespace of netns_fd (e.g. /var/run/docker/netns/<id>). */
int nl_open_in_netns(int netns_fd, struct nl **out);
void nl_close(struct nl *nl);

/*
 * Text for the last error: the kernel's extended-ack message when it gave one for the last
 * request, else strerror(-err). Valid until the next call on nl.
 */
const char *nl_strerror(struct nl *nl, int err);

/* For the other netlink/ files: send one request built in buf and wait for its ack. */
struct nlmsghdr;
struct nlmsghdr *nl_msg_start(struct nl *nl, void *buf, uint16_t type, uint16_t flags);
int nl_request(struct nl *nl, struct nlmsghdr *nlh);
/* Dump request: cb is called for every message until NLMSG_DONE (libmnl callback shape). */
typedef int (*nl_dump_cb)(const struct nlmsghdr *nlh, void *data);
int nl_dump(struct nl *nl, struct nlmsghdr *nlh, nl_dump_cb cb, void *data);

#define NL_BUF_SIZE 8192

#endif
