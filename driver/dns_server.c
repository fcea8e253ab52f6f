/* SPDX-License-Identifier: MIT */
/*
 * The names responder: the addresses on lo, the sockets, and the thread that serves them
 * (dns_server.h). What a query gets is dns_answer.c's; TCP connections are dns_tcp.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "driver/dns_serve.h"
#include "driver/dns_server.h"
#include "driver/instance.h"
#include "driver/ipam.h"
#include "driver/log.h"
#include "driver/store_file.h"
#include "netlink/addr.h"
#include "netlink/nl.h"

#define RETRY_MS 5000		/* a responder that could not bind tries again */
#define EVENTS_MAX 64

/* A socket of type bound to addr:53, -errno */
static int sock_bind(int type, uint32_t addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(DNS_PORT),
				  .sin_addr.s_addr = htonl(addr) };
	int one = 1, fd, ret;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* TCP only: a restart must not wait for TIME_WAIT; over UDP it would share the port with
	 * another program that holds it on every address */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static void sock_close(struct dns_server *srv, int *fd)
{
	if (*fd < 0)
		return;
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

/* One socket of a pool, if it has none: the error worded in p->error. */
static void pool_sock(struct dns_server *srv, struct dns_pool *p, int *fd, uint32_t *token,
		      int type, uint32_t addr, enum dns_sock kind)
{
	char a[CIDR_ADDR_STR_MAX];
	int ret;

	if (*fd >= 0 || !addr)
		return;
	ret = sock_bind(type, addr);
	*token = dns_serve_token(srv);
	if (ret >= 0) {
		*fd = ret;
		ret = dns_serve_watch(srv, *fd, kind, *token, EPOLLIN);
		if (ret == 0)
			return;
		sock_close(srv, fd);
	}
	cidr_addr_format(addr, a);
	snprintf(p->error, sizeof(p->error), "%s port %d/%s: %s%s", a, DNS_PORT,
		 type == SOCK_STREAM ? "tcp" : "udp", strerror(-ret),
		 ret == -EADDRINUSE ? " (another program holds port 53, maybe on every address)" :
		 ret == -EACCES ? " (wgnetd needs CAP_NET_BIND_SERVICE)" : "");
}

/* Whatever sockets p lacks; p->error says why one could not be had. */
static void pool_open(struct dns_server *srv, struct dns_pool *p)
{
	bool had = !p->error[0];

	p->error[0] = 0;
	pool_sock(srv, p, &p->udp, &p->tok_udp, SOCK_DGRAM, p->responder, DNS_SOCK_UDP);
	pool_sock(srv, p, &p->tcp, &p->tok_tcp, SOCK_STREAM, p->responder, DNS_SOCK_TCP);
	if (p->error[0] && had)
		log_warn("names: the responder of %s does not listen: %s", p->pool_text, p->error);
	if (!p->error[0] && !had)
		log_info("names: the responder of %s listens on %s port %d", p->pool_text,
			 p->responder_text, DNS_PORT);
	/* the peers' port matters only to join-line peers: its failure is logged, not shown */
	if (p->peer < 0 && p->gateway) {
		int ret = sock_bind(SOCK_DGRAM, p->gateway);

		p->tok_peer = dns_serve_token(srv);
		if (ret >= 0 && dns_serve_watch(srv, ret, DNS_SOCK_PEER, p->tok_peer, EPOLLIN) == 0)
			p->peer = ret;
		else if (ret >= 0)
			close(ret);
		else if (!p->peer_logged)
			log_warn("names: %s port %d/udp for the peers: %s", p->pool_text, DNS_PORT,
				 strerror(-ret));
		p->peer_logged = ret < 0;
	}
}

static void pool_close(struct dns_server *srv, struct dns_pool *p)
{
	sock_close(srv, &p->udp);
	sock_close(srv, &p->tcp);
	sock_close(srv, &p->peer);
	free(p->ask);
	p->ask = NULL;
}

int dns_server_new(struct driver *d, struct errbuf *e)
{
	struct dns_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return errbuf_set(e, -ENOMEM, "out of memory");
	pthread_mutex_init(&srv->lock, NULL);
	srv->names = d->names;
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	srv->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (srv->epfd < 0 || srv->wake < 0 || dns_peers_new(&srv->peers) < 0 ||
	    dns_serve_watch(srv, srv->wake, DNS_SOCK_WAKE, 0, EPOLLIN) < 0) {
		int ret = errbuf_set(e, -errno ? -errno : -ENOMEM, "names responder: %s",
				     strerror(errno ? errno : ENOMEM));

		d->dns = srv;
		dns_server_free(d);
		return ret;
	}
	d->dns = srv;
	return 0;
}

void dns_server_free(struct driver *d)
{
	struct dns_server *srv = d->dns;

	if (!srv)
		return;
	for (size_t i = 0; i < srv->npools; i++)
		pool_close(srv, &srv->pools[i]);
	free(srv->pools);
	free(srv->live);
	dns_tcp_close_all(srv);
	dns_peers_free(srv->peers);
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->wake >= 0)
		close(srv->wake);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
	d->dns = NULL;
}

/* The pools of the state's networks, with what the server needs of each (lock held). */
static int want_pools(const struct driver *d, struct dns_pool **out, size_t *n)
{
	struct dns_pool *v = calloc(d->st.npools ? d->st.npools : 1, sizeof(*v));
	size_t k = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < d->st.npools; i++) {
		const struct state_pool *sp = &d->st.pools[i];
		struct dns_pool *p = &v[k];

		if (!sp->network_id[0])
			continue;
		p->pool = sp->pool;
		p->slice_len = sp->slice.len;
		p->responder = ipam_responder_addr(&sp->pool, sp->slice.len);
		p->gateway = sp->gateway;
		p->udp = p->tcp = p->peer = -1;
		cidr_format(&p->pool, p->pool_text);
		cidr_addr_format(p->responder, p->responder_text);
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

/* lo's addresses follow the pools: ours (by the label) that no pool wants go, the others come.
 * Lock held. */
static void lo_sync(struct driver *d, struct dns_pool *want, size_t n)
{
	struct addr_entry *have = NULL;
	size_t nhave = 0;
	int ret;

	ret = addr_list(d->nl, "lo", &have, &nhave);
	if (ret < 0) {
		log_error("names: could not read the addresses of lo: %s", nl_strerror(d->nl, ret));
		return;
	}
	for (size_t i = 0; i < nhave; i++) {
		bool wanted = false;

		for (size_t j = 0; j < n && !wanted; j++)
			wanted = want[j].responder == have[i].addr;
		if (wanted || strcmp(have[i].label, DNS_LO_LABEL) != 0)
			continue;
		ret = addr_del(d->nl, "lo", have[i].addr, have[i].prefixlen);
		if (ret < 0 && ret != -EADDRNOTAVAIL)
			log_error("names: could not remove %s's address: %s", DNS_LO_LABEL,
				  nl_strerror(d->nl, ret));
	}
	for (size_t j = 0; j < n; j++) {
		bool there = false;

		for (size_t i = 0; i < nhave && !there; i++)
			there = have[i].addr == want[j].responder;
		ret = there ? 0 : addr_add_label(d->nl, "lo", want[j].responder, 32, DNS_LO_LABEL);
		if (ret < 0 && ret != -EEXIST)
			snprintf(want[j].lo_error, sizeof(want[j].lo_error),
				 "could not put %s on lo: %s", want[j].responder_text,
				 nl_strerror(d->nl, ret));
	}
	free(have);
}

static int unsigned_cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* The hosts whose names are served (this one, every peer: the store's are not asked, the
 * join-line ones are asked on a miss). Lock held. */
static int want_hosts(const struct driver *d, struct dns_pool *pools, size_t npools,
		      unsigned **live, size_t *nlive)
{
	unsigned *v = calloc(d->st.npeers + 1, sizeof(*v));
	size_t n = 0, nask = 0;

	if (!v)
		return -ENOMEM;
	v[n++] = d->st.host_index;
	for (size_t i = 0; i < d->st.npeers; i++) {
		v[n++] = d->st.peers[i].index;
		nask += !d->store || !store_mine_has(d->store, d->st.peers[i].public_key);
	}
	qsort(v, n, sizeof(*v), unsigned_cmp);
	for (size_t j = 0; j < npools && nask; j++) {
		struct dns_pool *p = &pools[j];

		p->ask = calloc(nask, sizeof(*p->ask));
		if (!p->ask)
			break;
		for (size_t i = 0; i < d->st.npeers; i++)
			if (!d->store || !store_mine_has(d->store, d->st.peers[i].public_key))
				p->ask[p->nask++] = d->st.peers[i].index;
	}
	*live = v;
	*nlive = n;
	return 0;
}

void dns_server_sync(struct driver *d)
{
	struct dns_server *srv = d->dns;
	struct dns_pool *want = NULL;
	unsigned *live = NULL;
	size_t n = 0, nlive = 0;

	if (!srv)
		return;
	if (want_pools(d, &want, &n) < 0 || want_hosts(d, want, n, &live, &nlive) < 0) {
		log_error("names: out of memory following the networks");
		free(want);
		return;
	}
	lo_sync(d, want, n);
	pthread_mutex_lock(&srv->lock);
	/* sockets that still serve the same addresses are kept, the others closed */
	for (size_t i = 0; i < srv->npools; i++) {
		struct dns_pool *old = &srv->pools[i];
		bool kept = false;

		for (size_t j = 0; j < n; j++) {
			struct dns_pool *p = &want[j];

			if (!cidr_equal(&p->pool, &old->pool) || p->slice_len != old->slice_len)
				continue;
			kept = true;
			if (p->responder == old->responder) {
				p->udp = old->udp, p->tok_udp = old->tok_udp;
				p->tcp = old->tcp, p->tok_tcp = old->tok_tcp;
				old->udp = old->tcp = -1;
			}
			if (p->gateway == old->gateway) {
				p->peer = old->peer, p->tok_peer = old->tok_peer;
				old->peer = -1;
			}
			memcpy(p->error, old->error, sizeof(p->error));
		}
		if (!kept)
			dns_tcp_close_pool(srv, &old->pool);
		pool_close(srv, old);
	}
	free(srv->pools);
	srv->pools = want;
	srv->npools = n;
	free(srv->live);
	srv->live = live;
	srv->nlive = nlive;
	srv->own = d->st.host_index;
	for (size_t j = 0; j < n; j++)
		pool_open(srv, &want[j]);
	pthread_mutex_unlock(&srv->lock);
}

static struct dns_pool *pool_of(struct dns_server *srv, uint32_t token, enum dns_sock kind)
{
	for (size_t i = 0; i < srv->npools; i++) {
		struct dns_pool *p = &srv->pools[i];

		if ((kind == DNS_SOCK_UDP && p->udp >= 0 && p->tok_udp == token) ||
		    (kind == DNS_SOCK_TCP && p->tcp >= 0 && p->tok_tcp == token) ||
		    (kind == DNS_SOCK_PEER && p->peer >= 0 && p->tok_peer == token))
			return p;
	}
	return NULL;
}

/* Datagrams on a UDP socket of p: queries from clients (kind UDP) or peers (PEER). */
static void udp_readable(struct dns_server *srv, struct dns_pool *p, enum dns_sock kind)
{
	int fd = kind == DNS_SOCK_UDP ? p->udp : p->peer;
	uint32_t token = kind == DNS_SOCK_UDP ? p->tok_udp : p->tok_peer;

	for (int i = 0; i < 64; i++) {	/* then the other sockets get their turn */
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, srv->rx, sizeof(srv->rx), MSG_TRUNC,
				     (struct sockaddr *)&from, &flen);
		size_t out;

		if (n < 0)
			return;
		if ((size_t)n > sizeof(srv->rx) || flen != sizeof(from))
			continue;	/* longer than any query of ours: not one */
		if (kind == DNS_SOCK_PEER) {
			dns_answer_peer(srv, p, &from, srv->rx, (size_t)n);
			continue;
		}
		out = dns_answer_query(srv, p, &from, srv->rx, (size_t)n, false, token);
		if (out)
			dns_serve_send(fd, srv->out, out, &from);
	}
}

static void dispatch(struct dns_server *srv, uint64_t data, uint32_t events)
{
	enum dns_sock kind = (enum dns_sock)(data >> 32);
	uint32_t token = (uint32_t)data;
	struct dns_pool *p;

	switch (kind) {
	case DNS_SOCK_WAKE:
		return;		/* stop is set: the loop ends */
	case DNS_SOCK_UDP:
	case DNS_SOCK_PEER:
		p = pool_of(srv, token, kind);
		if (p)
			udp_readable(srv, p, kind);
		return;
	case DNS_SOCK_TCP:
		p = pool_of(srv, token, kind);
		if (p)
			dns_tcp_accept(srv, p);
		return;
	case DNS_SOCK_CONN:
		dns_tcp_event(srv, token, events);
		return;
	}
}

/* The lookups of the peers that are over: each waiting client answered where it asked. */
static void lookups_over(struct dns_server *srv, uint64_t now)
{
	struct dns_lookup *l;

	while ((l = dns_peers_over(srv->peers, now))) {
		for (size_t i = 0; i < l->nwaiters; i++) {
			const struct dns_waiter *w = &l->waiters[i];
			size_t out = dns_answer_lookup(srv, l, &w->q, w->tcp);
			struct dns_pool *p = w->tcp ? NULL
					     : pool_of(srv, w->token, DNS_SOCK_UDP);

			if (out && w->tcp)
				dns_tcp_reply(srv, w->token, srv->out, out);
			else if (out && p)
				dns_serve_send(p->udp, srv->out, out, &w->from);
		}
		dns_peers_done(srv->peers, l, now);
	}
}

static void *dns_server_main(void *arg)
{
	struct dns_server *srv = arg;
	struct epoll_event evs[EVENTS_MAX];
	uint64_t next_retry = 0;

	while (!atomic_load(&srv->stop)) {
		int n, wait_ms;
		uint64_t now = dns_serve_now();

		pthread_mutex_lock(&srv->lock);
		wait_ms = dns_peers_wait_ms(srv->peers, now, 1000);
		pthread_mutex_unlock(&srv->lock);
		n = epoll_wait(srv->epfd, evs, EVENTS_MAX, wait_ms);
		pthread_mutex_lock(&srv->lock);
		for (int i = 0; i < n; i++)
			dispatch(srv, evs[i].data.u64, evs[i].events);
		now = dns_serve_now();
		lookups_over(srv, now);
		dns_tcp_idle(srv, now);
		if (now >= next_retry) {
			for (size_t i = 0; i < srv->npools; i++)
				if (srv->pools[i].udp < 0 || srv->pools[i].tcp < 0 ||
				    (srv->pools[i].peer < 0 && srv->pools[i].gateway))
					pool_open(srv, &srv->pools[i]);
			next_retry = now + RETRY_MS;
		}
		pthread_mutex_unlock(&srv->lock);
	}
	return NULL;
}

void dns_server_start(struct driver *d)
{
	struct dns_server *srv = d->dns;

	if (!srv || srv->running)
		return;
	atomic_store(&srv->stop, false);
	if (pthread_create(&srv->thread, NULL, dns_server_main, srv) == 0)
		srv->running = true;
	else
		log_error("names: could not start the responder's thread");
}

void dns_server_stop(struct driver *d)
{
	struct dns_server *srv = d->dns;
	uint64_t one = 1;

	if (!srv || !srv->running)
		return;
	atomic_store(&srv->stop, true);
	if (write(srv->wake, &one, sizeof(one)) < 0)
		log_debug("names: could not wake the responder's thread: %s", strerror(errno));
	pthread_join(srv->thread, NULL);
	srv->running = false;
}

void dns_server_network_status(struct driver *d, const struct state_pool *sp,
			       struct status_network *out)
{
	struct dns_server *srv = d->dns;

	cidr_addr_format(ipam_responder_addr(&sp->pool, sp->slice.len), out->responder);
	if (!srv)
		return;
	pthread_mutex_lock(&srv->lock);
	for (size_t i = 0; i < srv->npools; i++) {
		const struct dns_pool *p = &srv->pools[i];

		if (!cidr_equal(&p->pool, &sp->pool))
			continue;
		out->responder_up = p->udp >= 0 && p->tcp >= 0;
		snprintf(out->responder_error, sizeof(out->responder_error), "%s",
			 p->lo_error[0] ? p->lo_error : p->error);
	}
	pthread_mutex_unlock(&srv->lock);
}

void dns_server_status_fill(struct driver *d, struct driver_status *s)
{
	struct dns_server *srv = d->dns;

	if (!srv)
		return;
	pthread_mutex_lock(&srv->lock);
	s->names.queries = srv->queries;
	s->names.answered = srv->answered;
	s->names.refused = srv->refused;
	s->names.peer_queries = srv->peer_queries;
	pthread_mutex_unlock(&srv->lock);
}
