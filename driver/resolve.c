/* SPDX-License-Identifier: MIT */
/*
 * Peer endpoints given by name ("vpn.example.org:51820"), resolved by a thread of their own,
 * never under the driver lock: getaddrinfo waits as long as the resolver's timeouts (10 s and
 * more per name when DNS does not answer), and no Docker call may wait with it. Answers are
 * kept in memory and refreshed; a peer whose name has no answer yet gets no endpoint until it
 * has one (it may still reach us: WireGuard learns a peer's endpoint from its packets).
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/instance.h"
#include "driver/log.h"
#include "driver/resolve.h"
#include "driver/thread.h"

#define RESOLVE_RETRY 30		/* seconds before a name that failed is tried again */
#define RESOLVE_REFRESH 600		/* seconds an answer is used before it is looked up again */

enum resolved_status { RESOLVED_PENDING, RESOLVED_OK, RESOLVED_FAILED };

struct resolved {
	char endpoint[STATE_HOST_ENDPOINT_MAX];
	struct sockaddr_storage addr;
	enum resolved_status status;
	time_t at;			/* of the last answer or failure */
};

/* host and port of "host:port" or "[v6]:port"; -EINVAL if it is neither. */
static int split(const char *s, char *host, size_t size, const char **port)
{
	const char *colon = strrchr(s, ':');
	size_t hl;

	if (!colon)
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (s[0] == '[' && hl >= 2) {
		s++;
		hl -= 2;
	}
	if (hl >= size)
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = 0;
	*port = colon + 1;
	return 0;
}

static int lookup(const char *s, bool numeric, struct sockaddr_storage *out)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	char host[STATE_HOST_ENDPOINT_MAX];
	const char *port;
	int ret;

	if (split(s, host, sizeof(host), &port) < 0)
		return -EINVAL;
	hints.ai_flags = AI_NUMERICSERV | (numeric ? AI_NUMERICHOST : 0);
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret != 0 || !res)
		return -EHOSTUNREACH;
	memset(out, 0, sizeof(*out));
	memcpy(out, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static struct resolved *find(struct driver *d, const char *endpoint)
{
	for (size_t i = 0; i < d->res.n; i++)
		if (strcmp(d->res.v[i].endpoint, endpoint) == 0)
			return &d->res.v[i];
	return NULL;
}

static bool stale(const struct resolved *r, time_t now)
{
	return (r->status == RESOLVED_OK && now - r->at >= RESOLVE_REFRESH) ||
	       (r->status == RESOLVED_FAILED && now - r->at >= RESOLVE_RETRY);
}

int resolve_endpoint(struct driver *d, const char *endpoint, struct sockaddr_storage *out)
{
	struct resolved *r, *v;

	if (lookup(endpoint, true, out) == 0)
		return 0;		/* an address: no DNS */
	r = find(d, endpoint);
	if (!r) {
		v = realloc(d->res.v, (d->res.n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->res.v = v;
		r = &v[d->res.n++];
		*r = (struct resolved){ .status = RESOLVED_PENDING };
		snprintf(r->endpoint, sizeof(r->endpoint), "%s", endpoint);
		pthread_cond_signal(&d->res.cond);
	}
	if (stale(r, time(NULL)))
		pthread_cond_signal(&d->res.cond);
	if (r->status == RESOLVED_OK) {
		*out = r->addr;
		return 0;
	}
	return r->status == RESOLVED_PENDING ? -EAGAIN : -EHOSTUNREACH;
}

/* The first name due for a lookup, copied out; false if none. Lock held. */
static bool next_due(struct driver *d, char name[STATE_HOST_ENDPOINT_MAX])
{
	time_t now = time(NULL);

	for (size_t i = 0; i < d->res.n; i++) {
		struct resolved *r = &d->res.v[i];

		if (r->status == RESOLVED_PENDING || stale(r, now)) {
			/* not looked at again until this lookup is done */
			r->at = now;
			if (r->status == RESOLVED_FAILED)
				r->status = RESOLVED_PENDING;
			snprintf(name, STATE_HOST_ENDPOINT_MAX, "%s", r->endpoint);
			return true;
		}
	}
	return false;
}

/* Names no peer uses any more are forgotten. Lock held. */
static void forget_unused(struct driver *d)
{
	size_t k = 0;

	for (size_t i = 0; i < d->res.n; i++) {
		bool used = false;

		for (size_t j = 0; j < d->st.npeers && !used; j++)
			used = strcmp(d->st.peers[j].endpoint, d->res.v[i].endpoint) == 0;
		if (used)
			d->res.v[k++] = d->res.v[i];
	}
	d->res.n = k;
}

static void *resolve_main(void *arg)
{
	struct driver *d = arg;
	struct timespec wake;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		char name[STATE_HOST_ENDPOINT_MAX];
		struct sockaddr_storage addr;
		struct resolved *r;
		bool was_ok;
		int ret;

		forget_unused(d);
		if (!next_due(d, name)) {
			/* woken by a new name, or in time for the next retry or refresh */
			clock_gettime(CLOCK_REALTIME, &wake);
			wake.tv_sec += RESOLVE_RETRY;
			pthread_cond_timedwait(&d->res.cond, &d->lock, &wake);
			continue;
		}
		d->res.busy = true;
		pthread_mutex_unlock(&d->lock);
		ret = lookup(name, false, &addr);
		pthread_mutex_lock(&d->lock);
		d->res.busy = false;
		if (d->stopping)
			break;		/* d may be half freed: touch nothing more */
		r = find(d, name);
		if (!r)
			continue;	/* its peer went meanwhile */
		was_ok = r->status == RESOLVED_OK;
		r->at = time(NULL);
		if (ret < 0) {
			if (!was_ok)
				log_warn("peer endpoint %s does not resolve, trying again in %d s",
					 name, RESOLVE_RETRY);
			/* a refresh that failed keeps the last answer */
			r->status = was_ok ? RESOLVED_OK : RESOLVED_FAILED;
			continue;
		}
		r->addr = addr;
		r->status = RESOLVED_OK;
		if (!was_ok) {
			log_info("peer endpoint %s resolved", name);
			if (d->res.answered)
				d->res.answered(d, name);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

void resolve_init(struct driver *d)
{
	pthread_cond_init(&d->res.cond, NULL);
}

void resolve_fini(struct driver *d)
{
	pthread_cond_destroy(&d->res.cond);
}

void resolve_start(struct driver *d, void (*answered)(struct driver *d, const char *name))
{
	d->res.answered = answered;
	thread_start(d, resolve_main, &d->res.thread, &d->res.running, "resolver");
}

bool resolve_stop(struct driver *d)
{
	bool busy;

	if (d->res.running) {
		pthread_mutex_lock(&d->lock);
		busy = d->res.busy;
		d->stopping = true;
		pthread_cond_broadcast(&d->res.cond);
		pthread_mutex_unlock(&d->lock);
		if (busy) {
			/* in getaddrinfo, maybe for 20 s more: stopping must not wait for it */
			pthread_detach(d->res.thread);
			return false;
		}
		thread_stop(d, &d->res.cond, &d->res.thread, &d->res.running);
	}
	free(d->res.v);
	d->res.v = NULL;
	d->res.n = 0;
	return true;
}
