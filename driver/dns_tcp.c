/* SPDX-License-Identifier: MIT */
/*
 * The responder over TCP (RFC 7766): what a client asks again after a truncated answer. At
 * most DNS_TCP_CONNS_MAX connections, each closed after DNS_TCP_IDLE_MS without a query, or
 * when it sends a message over DNS_TCP_IN_MAX, or leaves DNS_TCP_OUT_MAX of answers unread.
 * Queries on one connection may be answered out of order (a name asked of the peers).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "driver/dns_serve.h"

struct dns_conn {
	int fd;
	uint32_t token;
	struct cidr pool;		/* of the responder it came to */
	struct sockaddr_in from;
	uint8_t in[DNS_TCP_IN_MAX];
	size_t inlen;
	uint8_t *out;
	size_t outlen, outoff;
	uint64_t last;			/* ms of its last query */
};

static void conn_close(struct dns_server *srv, size_t i)
{
	struct dns_conn *c = srv->conns[i];

	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	free(c);
	srv->conns[i] = NULL;
}

void dns_tcp_accept(struct dns_server *srv, const struct dns_pool *p)
{
	for (int k = 0; k < 16; k++) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		int fd = accept4(p->tcp, (struct sockaddr *)&from, &flen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct dns_conn *c = NULL;
		size_t i;

		if (fd < 0)
			return;
		for (i = 0; i < DNS_TCP_CONNS_MAX && srv->conns[i]; i++)
			;
		if (i < DNS_TCP_CONNS_MAX && flen == sizeof(from))
			c = calloc(1, sizeof(*c));
		if (!c) {		/* full: the client tries again, or the next server */
			close(fd);
			continue;
		}
		c->fd = fd;
		c->token = dns_serve_token(srv);
		c->pool = p->pool;
		c->from = from;
		c->last = dns_serve_now();
		srv->conns[i] = c;
		if (dns_serve_watch(srv, fd, DNS_SOCK_CONN, c->token, EPOLLIN) < 0)
			conn_close(srv, i);
	}
}

static size_t conn_find(const struct dns_server *srv, uint32_t token)
{
	for (size_t i = 0; i < DNS_TCP_CONNS_MAX; i++)
		if (srv->conns[i] && srv->conns[i]->token == token)
			return i;
	return DNS_TCP_CONNS_MAX;
}

/* Sends what is queued; EPOLLOUT while some is left. false: the connection broke. */
static bool conn_flush(struct dns_server *srv, struct dns_conn *c)
{
	struct epoll_event ev = { .data.u64 = (uint64_t)DNS_SOCK_CONN << 32 | c->token };

	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return false;
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	ev.events = EPOLLIN | (c->outlen ? EPOLLOUT : 0);
	return epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0;
}

/* msg queued with its length prefix; false: the client does not read (or no memory). */
static bool conn_queue(struct dns_conn *c, const uint8_t *msg, size_t len)
{
	uint8_t *p;

	if (c->outlen + 2 + len > DNS_TCP_OUT_MAX)
		return false;
	p = realloc(c->out, c->outlen + 2 + len);
	if (!p)
		return false;
	c->out = p;
	if (dns_tcp_prefix(p + c->outlen, len) < 0)
		return false;
	memcpy(p + c->outlen + 2, msg, len);
	c->outlen += 2 + len;
	return true;
}

void dns_tcp_reply(struct dns_server *srv, uint32_t token, const uint8_t *msg, size_t len)
{
	size_t i = conn_find(srv, token);

	if (i == DNS_TCP_CONNS_MAX)
		return;			/* gone meanwhile */
	if (!conn_queue(srv->conns[i], msg, len) || !conn_flush(srv, srv->conns[i]))
		conn_close(srv, i);
}

/* The whole queries received, each answered; false: close it. */
static bool conn_queries(struct dns_server *srv, struct dns_conn *c)
{
	size_t off = 0, mlen;
	int frame;

	while ((frame = dns_tcp_frame(c->in + off, c->inlen - off, &mlen)) > 0) {
		struct dns_pool *p = NULL;
		size_t n;

		for (size_t i = 0; i < srv->npools && !p; i++)
			if (cidr_equal(&srv->pools[i].pool, &c->pool))
				p = &srv->pools[i];
		if (!p)
			return false;
		n = dns_answer_query(srv, p, &c->from, c->in + off + 2, mlen, true, c->token);
		if (n && !conn_queue(c, srv->out, n))
			return false;
		off += (size_t)frame;
	}
	if (frame < 0)
		return false;
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	return c->inlen < sizeof(c->in);	/* a message too long for a query */
}

void dns_tcp_event(struct dns_server *srv, uint32_t token, uint32_t events)
{
	size_t i = conn_find(srv, token);
	struct dns_conn *c;
	ssize_t n;

	if (i == DNS_TCP_CONNS_MAX)
		return;
	c = srv->conns[i];
	if (events & EPOLLIN) {
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			conn_close(srv, i);
			return;
		}
		if (n > 0) {
			c->inlen += (size_t)n;
			c->last = dns_serve_now();
			if (!conn_queries(srv, c)) {
				conn_close(srv, i);
				return;
			}
		}
	}
	if (((events & (EPOLLIN | EPOLLOUT)) || c->outlen) && !conn_flush(srv, c))
		conn_close(srv, i);
	else if (events & (EPOLLERR | EPOLLHUP))
		conn_close(srv, i);
}

void dns_tcp_idle(struct dns_server *srv, uint64_t now)
{
	for (size_t i = 0; i < DNS_TCP_CONNS_MAX; i++)
		if (srv->conns[i] && now - srv->conns[i]->last > DNS_TCP_IDLE_MS)
			conn_close(srv, i);
}

void dns_tcp_close_pool(struct dns_server *srv, const struct cidr *pool)
{
	for (size_t i = 0; i < DNS_TCP_CONNS_MAX; i++)
		if (srv->conns[i] && cidr_equal(&srv->conns[i]->pool, pool))
			conn_close(srv, i);
}

void dns_tcp_close_all(struct dns_server *srv)
{
	for (size_t i = 0; i < DNS_TCP_CONNS_MAX; i++)
		if (srv->conns[i])
			conn_close(srv, i);
}
