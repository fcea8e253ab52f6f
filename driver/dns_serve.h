/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_DNS_SERVE_H
#define WGNET_DRIVER_DNS_SERVE_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/cidr.h"
#include "driver/dns_names.h"
#include "driver/dns_peers.h"
#include "driver/dns_wire.h"

/*
 * Private to the responder's rooms, from the top: the server (dns_server.c: sockets, lo, the
 * thread), TCP (dns_tcp.c), what a query gets (dns_answer.c), what they share (dns_serve.c). Everything here is under srv->lock, which
 * the serving thread holds while it handles events; dns_server_sync takes it with the driver's
 * lock held (never the other way round).
 */

#define DNS_PORT 53
#define DNS_TTL 5			/* seconds: a container that moved is found again soon */
#define DNS_HITS_MAX 1024		/* addresses of one name looked at */
#define DNS_TCP_CONNS_MAX 64
#define DNS_TCP_IDLE_MS 10000
#define DNS_TCP_IN_MAX (2 + 4096)	/* one framed query: longer ones close the connection */
#define DNS_TCP_OUT_MAX (256 << 10)	/* answers a client does not read: then it is closed */

/* What an epoll event is about (data.u64: the kind << 32 | the socket's token). */
enum dns_sock { DNS_SOCK_WAKE, DNS_SOCK_UDP, DNS_SOCK_TCP, DNS_SOCK_PEER, DNS_SOCK_CONN };

/* A pool of a network here. */
struct dns_pool {
	struct cidr pool;
	unsigned slice_len;
	uint32_t responder;		/* its address on lo (ipam_responder_addr) */
	uint32_t gateway;		/* this host's gateway of the pool: the peers' port */
	char pool_text[CIDR_STR_MAX];
	char responder_text[CIDR_ADDR_STR_MAX];
	int udp, tcp, peer;		/* -1: none */
	uint32_t tok_udp, tok_tcp, tok_peer;
	char error[200];		/* why a socket of the responder is missing, "" = none */
	char lo_error[200];		/* why the address could not be put on lo, "" = none */
	bool peer_logged;
	unsigned *ask;			/* the join-line peers, asked on a miss */
	size_t nask;
};

struct dns_conn;

struct dns_server {
	pthread_mutex_t lock;
	int epfd, wake;
	pthread_t thread;
	bool running;
	atomic_bool stop;
	struct dns_names *names;	/* borrowed: the driver's */
	struct dns_pool *pools;
	size_t npools;
	unsigned own;			/* this host's index */
	unsigned *live;			/* sorted: this host's index and every peer's */
	size_t nlive;
	struct dns_conn *conns[DNS_TCP_CONNS_MAX];
	struct dns_peers *peers;
	uint32_t next_token;
	uint8_t rx[4096];		/* a datagram received */
	uint8_t out[DNS_TCP_MAX];	/* a response built */
	struct dns_hit hits[DNS_HITS_MAX];
	uint64_t queries, answered, refused, peer_queries;
};

/* dns_serve.c's: the base the others stand on */
uint64_t dns_serve_now(void);			/* ms, monotonic */
uint32_t dns_serve_token(struct dns_server *srv);	/* never 0 */
int dns_serve_watch(struct dns_server *srv, int fd, enum dns_sock kind, uint32_t token,
		    uint32_t events);
/* host is this one or a peer (srv->live) */
bool dns_serve_host_live(const struct dns_server *srv, unsigned host);
void dns_serve_send(int fd, const uint8_t *msg, size_t len, const struct sockaddr_in *to);

/* dns_answer.c's: a client's query at p's responder: the length of the response in srv->out,
 * 0 for none (dropped, or waiting for the peers: token says where to answer). */
size_t dns_answer_query(struct dns_server *srv, const struct dns_pool *p,
			const struct sockaddr_in *from, const uint8_t *msg, size_t len, bool tcp,
			uint32_t token);
/* A datagram on p's peers' port: a peer's query (this host's own names only) or an answer. */
void dns_answer_peer(struct dns_server *srv, const struct dns_pool *p,
		     const struct sockaddr_in *from, const uint8_t *msg, size_t len);
/* The answer to q from what a lookup of the peers found (in srv->out, its length). */
size_t dns_answer_lookup(struct dns_server *srv, const struct dns_lookup *l,
			 const struct dns_query *q, bool tcp);

/* dns_tcp.c's */
void dns_tcp_accept(struct dns_server *srv, const struct dns_pool *p);
void dns_tcp_event(struct dns_server *srv, uint32_t token, uint32_t events);
/* A response for the connection token, if it is still there. */
void dns_tcp_reply(struct dns_server *srv, uint32_t token, const uint8_t *msg, size_t len);
void dns_tcp_idle(struct dns_server *srv, uint64_t now);
void dns_tcp_close_pool(struct dns_server *srv, const struct cidr *pool);
void dns_tcp_close_all(struct dns_server *srv);

#endif
