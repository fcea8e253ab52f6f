/* SPDX-License-Identifier: MIT */
/*
 * What a query gets (dns_serve.h). A client must be inside the pool of the responder it asks;
 * a name is answered with the addresses of the hosts the mesh routes (this one and its peers),
 * each inside the slice of the host that published it; a name nobody here knows is asked of
 * the join-line peers when the pool has some, else REFUSED. A peer that asks gets this host's
 * own names only: answers never come from answers, so nothing loops or amplifies.
 */
#include <arpa/inet.h>
#include <string.h>

#include "driver/dns_serve.h"

/* The response to q in srv->out: rcode, and the addresses when q asks for them (A, ANY); a
 * name we own answers NOERROR with AA, with no record for another type. 0 if it cannot be. */
static size_t reply(struct dns_server *srv, const struct dns_query *q, enum dns_rcode rcode,
		    const uint32_t *addrs, size_t n, bool tcp)
{
	bool a = q->has_question && (q->question.qtype == DNS_TYPE_A ||
				     q->question.qtype == DNS_TYPE_ANY);
	struct dns_reply r = {
		.rcode = rcode,
		.authoritative = rcode == DNS_RCODE_NOERROR,
		.addrs = a && n ? addrs : NULL,
		.naddrs = a ? n : 0,
		.ttl = DNS_TTL,
		.limit = dns_response_limit(q, tcp ? DNS_TRANSPORT_TCP : DNS_TRANSPORT_UDP),
	};
	int len = dns_response_build(q, &r, srv->out, sizeof(srv->out));

	if (len < 0)
		return 0;
	if (rcode == DNS_RCODE_NOERROR)
		srv->answered++;
	else if (rcode == DNS_RCODE_REFUSED)
		srv->refused++;
	return (size_t)len;
}

static bool in_slice(const struct dns_pool *p, unsigned host, uint32_t addr)
{
	struct cidr slice;

	return cidr_slice(&p->pool, host, p->slice_len, &slice) == 0 &&
	       cidr_contains(&slice, addr);
}

static bool seen(const uint32_t *addrs, size_t n, uint32_t a)
{
	for (size_t i = 0; i < n; i++)
		if (addrs[i] == a)
			return true;
	return false;
}

/* The addresses of name served in p (local_only: this host's own), at most max. */
static size_t served(struct dns_server *srv, const struct dns_pool *p, const char *name,
		     bool local_only, uint32_t *addrs, size_t max)
{
	size_t nhits = dns_names_lookup(srv->names, &p->pool, name, srv->hits, DNS_HITS_MAX);
	size_t n = 0;

	for (size_t i = 0; i < nhits && i < DNS_HITS_MAX && n < max; i++) {
		const struct dns_hit *h = &srv->hits[i];
		unsigned host = h->host ? h->host : srv->own;

		if ((local_only && h->source != DNS_SOURCE_LOCAL) ||
		    !dns_serve_host_live(srv, host) || !in_slice(p, host, h->addr) ||
		    seen(addrs, n, h->addr))
			continue;
		addrs[n++] = h->addr;
	}
	return n;
}

/* Asks each join-line peer of p for name (their gateways of the pool). */
static void ask_peers(struct dns_server *srv, const struct dns_pool *p, struct dns_lookup *l)
{
	struct dns_query q = { .id = l->id, .has_question = true, .edns = true,
			       .edns_size = DNS_UDP_MAX };
	uint8_t msg[DNS_HEADER_LEN + DNS_NAME_MAX + 4 + 16];
	int len;

	if (p->peer < 0 || dns_question_set(&q.question, l->name, DNS_TYPE_A) < 0)
		return;
	len = dns_query_build(&q, msg, sizeof(msg));
	for (size_t i = 0; len > 0 && i < p->nask; i++) {
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(DNS_PORT) };
		struct cidr slice;

		if (cidr_slice(&p->pool, p->ask[i], p->slice_len, &slice) < 0)
			continue;
		/* a peer's gateway is the first address of its slice (wgnet's default) */
		to.sin_addr.s_addr = htonl(cidr_first(&slice) + 1);
		dns_serve_send(p->peer, msg, (size_t)len, &to);
		dns_peers_asked(l, cidr_first(&slice) + 1, p->ask[i]);
		srv->peer_queries++;
	}
}

/* A name nobody here knows, in a pool with join-line peers: from the answers kept, or the
 * client waits for the peers' (0: nothing to send now). */
static size_t from_peers(struct dns_server *srv, const struct dns_pool *p,
			 const struct dns_query *q, bool tcp, uint32_t token,
			 const struct sockaddr_in *from)
{
	struct dns_found found[DNS_PEERS_FOUND_MAX];
	uint32_t addrs[DNS_PEERS_FOUND_MAX];
	struct dns_waiter w = { .q = *q, .tcp = tcp, .token = token, .from = *from };
	struct dns_lookup *l;
	uint64_t now = dns_serve_now();
	size_t n = 0, k = 0;

	if (dns_peers_cached(srv->peers, &p->pool, q->question.name, now, found,
			     DNS_PEERS_FOUND_MAX, &n)) {
		for (size_t i = 0; i < n; i++)
			if (dns_serve_host_live(srv, found[i].host) && !seen(addrs, k, found[i].addr))
				addrs[k++] = found[i].addr;
		return reply(srv, q, k ? DNS_RCODE_NOERROR : DNS_RCODE_REFUSED, addrs, k, tcp);
	}
	l = dns_peers_find(srv->peers, &p->pool, q->question.name);
	if (!l) {
		l = dns_peers_start(srv->peers, &p->pool, q->question.name, now);
		if (l)
			ask_peers(srv, p, l);
	}
	if (l && dns_peers_wait(l, &w))
		return 0;
	return reply(srv, q, DNS_RCODE_REFUSED, NULL, 0, tcp);	/* too busy: the next server */
}

size_t dns_answer_query(struct dns_server *srv, const struct dns_pool *p,
			const struct sockaddr_in *from, const uint8_t *msg, size_t len, bool tcp,
			uint32_t token)
{
	uint32_t addrs[DNS_HITS_MAX];
	struct dns_query q;
	int rc = dns_query_parse(msg, len, &q);
	size_t n;

	if (rc < 0)
		return 0;
	srv->queries++;
	/* pool A never learns pool B's names: only a client inside the pool asked gets any */
	if (rc == DNS_RCODE_NOERROR && !cidr_contains(&p->pool, ntohl(from->sin_addr.s_addr)))
		rc = DNS_RCODE_REFUSED;
	if (rc != DNS_RCODE_NOERROR || !q.question.name[0])
		return reply(srv, &q, rc ? (enum dns_rcode)rc : DNS_RCODE_REFUSED, NULL, 0, tcp);
	n = served(srv, p, q.question.name, false, addrs, DNS_HITS_MAX);
	if (n)
		return reply(srv, &q, DNS_RCODE_NOERROR, addrs, n, tcp);
	if (p->nask && p->peer >= 0)
		return from_peers(srv, p, &q, tcp, token, from);
	return reply(srv, &q, DNS_RCODE_REFUSED, NULL, 0, tcp);
}

/* A peer's answer to one of our queries: the addresses inside that peer's slice count. */
static void peer_answer(struct dns_server *srv, const struct dns_pool *p, uint32_t gateway,
			const uint8_t *msg, size_t len)
{
	uint32_t addrs[DNS_PEERS_FOUND_MAX], kept[DNS_PEERS_FOUND_MAX];
	struct dns_response r;
	unsigned host;
	size_t n = 0;

	if (!cidr_contains(&p->pool, gateway) || p->slice_len > 30 ||
	    dns_response_parse(msg, len, &r, addrs, DNS_PEERS_FOUND_MAX) < 0)
		return;
	host = (gateway - cidr_first(&p->pool)) >> (32 - p->slice_len);
	for (size_t i = 0; r.rcode == DNS_RCODE_NOERROR && i < r.naddrs &&
			   i < DNS_PEERS_FOUND_MAX; i++)
		if (in_slice(p, host, addrs[i]))
			kept[n++] = addrs[i];
	dns_peers_answer(srv->peers, gateway, &r, kept, n);
}

void dns_answer_peer(struct dns_server *srv, const struct dns_pool *p,
		     const struct sockaddr_in *from, const uint8_t *msg, size_t len)
{
	uint32_t src = ntohl(from->sin_addr.s_addr), addrs[DNS_HITS_MAX];
	struct dns_query q;
	size_t n, out;
	int rc;

	if (len >= 4 && (msg[2] & 0x80)) {		/* QR: an answer */
		if (ntohs(from->sin_port) == DNS_PORT)
			peer_answer(srv, p, src, msg, len);
		return;
	}
	rc = dns_query_parse(msg, len, &q);
	if (rc < 0 || !cidr_contains(&p->pool, src))
		return;				/* only the pool's own may ask */
	srv->queries++;
	if (rc == DNS_RCODE_NOERROR && q.question.name[0]) {
		n = served(srv, p, q.question.name, true, addrs, DNS_HITS_MAX);
		out = reply(srv, &q, n ? DNS_RCODE_NOERROR : DNS_RCODE_REFUSED, addrs, n, false);
	} else {
		out = reply(srv, &q, rc ? (enum dns_rcode)rc : DNS_RCODE_REFUSED, NULL, 0, false);
	}
	if (out)
		dns_serve_send(p->peer, srv->out, out, from);
}

size_t dns_answer_lookup(struct dns_server *srv, const struct dns_lookup *l,
			 const struct dns_query *q, bool tcp)
{
	uint32_t addrs[DNS_PEERS_FOUND_MAX];
	size_t k = 0;

	for (size_t i = 0; i < l->nfound; i++)
		if (dns_serve_host_live(srv, l->found[i].host) && !seen(addrs, k, l->found[i].addr))
			addrs[k++] = l->found[i].addr;
	return reply(srv, q, k ? DNS_RCODE_NOERROR : DNS_RCODE_REFUSED, addrs, k, tcp);
}
