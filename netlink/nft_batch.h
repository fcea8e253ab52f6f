/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_NFT_BATCH_H
#define WGNET_NETLINK_NFT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Private to netlink/: nftables batches built with libnftnl and sent over libmnl, for the rule
 * set in nft.c. Every message is about one table, named at init, of the batch's family, and
 * asks for an ack. A batch that failed stays failed: the calls after the first error do
 * nothing, and the error is read once, in err, before committing.
 */
struct mnl_nlmsg_batch;
struct mnl_socket;
struct nft_rule;

struct nft_batch {
	char *buf;
	struct mnl_nlmsg_batch *mb;
	const char *table;		/* its name (a string that outlives the batch) */
	uint32_t seq;
	size_t nacks;			/* messages sent with NLM_F_ACK */
	uint16_t family;		/* of the table being written (NFPROTO_INET at init) */
	bool full;			/* over its limit: build it again, bigger */
	int err;
};

struct nft_batch_interval {
	uint32_t first, last;		/* inclusive, host byte order */
};

/* A batch for table of about limit bytes (a message over it sets full), begun. */
int nft_batch_init(struct nft_batch *b, const char *table, size_t limit);
void nft_batch_release(struct nft_batch *b);
/* Ends the batch: nothing may be put after this. */
void nft_batch_finish(struct nft_batch *b);
/* Sends the finished batch on a socket of its own and reads every ack: 0, or the first error. */
int nft_batch_commit(struct nft_batch *b);

/* NEWTABLE (with NLM_F_CREATE) or DELTABLE. */
void nft_batch_put_table(struct nft_batch *b, uint16_t type);
/* A base chain of this type ("filter", "nat") at hook and prio, policy accept. */
void nft_batch_put_chain(struct nft_batch *b, const char *name, const char *type, uint32_t hook,
			 int32_t prio);
/* A set, id naming it to the rules of the same batch; flags 0 = none given. */
void nft_batch_put_set(struct nft_batch *b, const char *name, uint32_t id, uint32_t flags,
		       uint32_t key_type, uint32_t key_len);
/*
 * The elements of an IPv4 interval set, [first, last + 1) each: iv is sorted and merged in
 * place (overlapping or adjacent ones), as the kernel's interval sets need them.
 */
void nft_batch_put_intervals(struct nft_batch *b, const char *set, uint32_t id,
			     struct nft_batch_interval *iv, size_t n);
/*
 * NEWSETELEM or DELSETELEM of n elements, each key of key_len bytes (at most
 * NFT_BATCH_KEY_MAX) written by key_of(items, i, key). id 0: the set exists already.
 */
#define NFT_BATCH_KEY_MAX 64
void nft_batch_put_elems(struct nft_batch *b, uint16_t type, const char *set, uint32_t id,
			 const void *items, size_t n, size_t key_len,
			 void (*key_of)(const void *items, size_t i, uint8_t *key));
/* Appends the rule if it was built whole, else keeps its error; takes (frees) it either way. */
void nft_batch_put_rule(struct nft_batch *b, struct nft_rule *rl);

/* 1 if table exists in family, 0 if not, -errno on failure. */
int nft_batch_table_exists(const char *table, uint16_t family);
/* Sets a socket's buffer (SO_SNDBUF, SO_RCVBUF) past net.core's limit when we may. */
void nft_batch_sock_size(struct mnl_socket *nl, int opt_force, int opt, int size);

#endif
