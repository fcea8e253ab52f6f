/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_NFT_MONITOR_H
#define WGNET_NETLINK_NFT_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Changes that other programs make to the tables `inet wgnet` and `bridge wgnet` (nft.h), read
 * from nf_tables' event group (what `nft monitor` reads). The kernel sends the events of one
 * transaction, then NFT_MSG_NEWGEN naming the task that committed it: a transaction of this
 * process (nft_apply, nft_port_update) is not reported. Knows nothing of Docker; no logging.
 */
struct nft_monitor;

enum nft_object {
	NFT_OBJECT_TABLE,
	NFT_OBJECT_CHAIN,
	NFT_OBJECT_RULE,
	NFT_OBJECT_SET,
	NFT_OBJECT_ELEMENT,
	NFT_OBJECT_OTHER,		/* stateful objects, flowtables */
};

/* What one transaction did to one of our tables: its first removal, else its first addition. */
struct nft_table_change {
	bool changed;
	bool removed;
	enum nft_object object;
};

struct nft_change {
	struct nft_table_change inet, bridge;
	uint32_t pid;			/* of the committing task (a thread id); 0 = not said */
	char comm[16];			/* its name as the kernel gave it; "" = not said */
};

/* Subscribed from here on: the events of every transaction committed later are queued. */
int nft_monitor_open(struct nft_monitor **out);
void nft_monitor_close(struct nft_monitor *m);
/*
 * Waits up to timeout_ms for events, then reads every one queued. 1 and *out: a transaction of
 * another process changed one of our tables (the first such one read); 0: none did; -ENOBUFS:
 * the kernel dropped events (our socket's buffer was full), so nothing can be said; -errno.
 */
int nft_monitor_read(struct nft_monitor *m, int timeout_ms, struct nft_change *out);

/*
 * The parser of nft_monitor_read, apart from the socket so that it can be tested without one.
 * Start zeroed, self_portid set: a transaction is ours when its NEWGEN comes from that netlink
 * port (the one nft_batch.c's sockets get, our pid, unless another socket holds it) or names a
 * thread of this process. A transaction may span several buffers.
 */
struct nft_monitor_parser {
	uint32_t self_portid;		/* 0 = none known */
	struct nft_change tx;		/* the transaction being read, until its NEWGEN */
};
/* The messages of one received buffer: as nft_monitor_read, *out = the first change found. */
int nft_monitor_parse(struct nft_monitor_parser *p, const void *buf, size_t len,
		      struct nft_change *out);

#endif
