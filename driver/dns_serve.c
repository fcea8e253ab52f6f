/* SPDX-License-Identifier: MIT */
/* What the responder's rooms share: the clock, the tokens of sockets, sending (dns_serve.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "driver/dns_serve.h"
#include "driver/log.h"

uint64_t dns_serve_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint32_t dns_serve_token(struct dns_server *srv)
{
	if (++srv->next_token == 0)
		srv->next_token = 1;
	return srv->next_token;
}

int dns_serve_watch(struct dns_server *srv, int fd, enum dns_sock kind, uint32_t token,
		    uint32_t events)
{
	struct epoll_event ev = { .events = events,
				  .data.u64 = (uint64_t)kind << 32 | token };

	return epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int unsigned_cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

bool dns_serve_host_live(const struct dns_server *srv, unsigned host)
{
	return host && bsearch(&host, srv->live, srv->nlive, sizeof(*srv->live), unsigned_cmp);
}

void dns_serve_send(int fd, const uint8_t *msg, size_t len, const struct sockaddr_in *to)
{
	/* a full socket buffer drops the answer, as the network would: the client asks again */
	if (sendto(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)to,
		   sizeof(*to)) < 0)
		log_debug("names: could not answer %s: %s", inet_ntoa(to->sin_addr),
			  strerror(errno));
}
