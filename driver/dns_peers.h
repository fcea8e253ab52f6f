/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_DNS_PEERS_H
#define WGNET_DRIVER_DNS_PEERS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/cidr.h"
#include "driver/dns_wire.h"

/*
 * Names asked of the join-line peers over the tunnel (pure: the clock and the sockets are the
 * caller's, driver/dns_server.c). A name this host does not know, in a pool with join-line
 * peers, is asked of each of them once (their gateway of the pool, port 53, UDP); the clients
 * that want it wait; the lookup ends when every peer answered or at its deadline, and its
 * result (addresses, or none) is kept for DNS_PEERS_CACHE_MS, so that a miss costs one query
 * per peer per name at most that often. A peer that does not answer costs the deadline.
 */
#define DNS_PEERS_TIMEOUT_MS 500	/* a lookup's deadline */
#define DNS_PEERS_CACHE_MS 1000		/* how long its answer is kept */
#define DNS_PEERS_LOOKUPS_MAX 256	/* names being asked at once */
#define DNS_PEERS_WAITERS_MAX 16	/* clients waiting for one name */
#define DNS_PEERS_ASKED_MAX 256		/* peers asked for one name */
#define DNS_PEERS_FOUND_MAX 64		/* addresses kept for one name */
#define DNS_PEERS_CACHED_MAX 1024	/* answers kept */

/* A client waiting for a lookup: the query it sent, and where to answer. */
struct dns_waiter {
	struct dns_query q;
	bool tcp;
	uint32_t token;			/* the socket (UDP) or the connection (TCP) it came by */
	struct sockaddr_in from;
};

struct dns_found {
	uint32_t addr;
	unsigned host;
};

struct dns_lookup {
	struct cidr pool;
	char name[DNS_NAME_TEXT_MAX];
	uint16_t id;			/* of our queries */
	uint64_t deadline;		/* ms, the caller's clock */
	uint32_t asked[DNS_PEERS_ASKED_MAX];	/* the gateways asked; 0 once answered */
	unsigned asked_host[DNS_PEERS_ASKED_MAX];
	size_t nasked, nopen;
	struct dns_found found[DNS_PEERS_FOUND_MAX];
	size_t nfound;
	struct dns_waiter waiters[DNS_PEERS_WAITERS_MAX];
	size_t nwaiters;
};

struct dns_peers;

int dns_peers_new(struct dns_peers **out);
void dns_peers_free(struct dns_peers *p);

/* An answer kept for name in pool: true and out (n addresses, maybe none). */
bool dns_peers_cached(struct dns_peers *p, const struct cidr *pool, const char *name,
		      uint64_t now, struct dns_found *out, size_t max, size_t *n);
/* The lookup of name in pool under way, NULL when none. */
struct dns_lookup *dns_peers_find(struct dns_peers *p, const struct cidr *pool, const char *name);
/* A new lookup (the caller asks each peer, noting it with dns_peers_asked); NULL when
 * DNS_PEERS_LOOKUPS_MAX are under way or out of memory. */
struct dns_lookup *dns_peers_start(struct dns_peers *p, const struct cidr *pool, const char *name,
				   uint64_t now);
void dns_peers_asked(struct dns_lookup *l, uint32_t gateway, unsigned host);
/* A waiting client; false when the lookup has DNS_PEERS_WAITERS_MAX already. */
bool dns_peers_wait(struct dns_lookup *l, const struct dns_waiter *w);

/* A response from gateway: the lookup it answers (its ID, its question, a gateway asked and
 * not answered yet), with addrs (the caller checked them: inside that peer's slice); NULL
 * when it answers none. */
struct dns_lookup *dns_peers_answer(struct dns_peers *p, uint32_t gateway,
				    const struct dns_response *r, const uint32_t *addrs, size_t n);

/* A lookup that is over (every peer answered, or its deadline passed), NULL when none: the
 * caller answers its waiters, then calls dns_peers_done, which keeps its answer and frees it. */
struct dns_lookup *dns_peers_over(struct dns_peers *p, uint64_t now);
void dns_peers_done(struct dns_peers *p, struct dns_lookup *l, uint64_t now);
/* Milliseconds until the next deadline (at most max). */
int dns_peers_wait_ms(const struct dns_peers *p, uint64_t now, int max);

#endif
