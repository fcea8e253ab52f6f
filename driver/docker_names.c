/* SPDX-License-Identifier: MIT */
/*
 * This host's containers' names, from Docker (docker_names.h). A container's names on one of
 * our networks are its name, the endpoint's aliases (compose: the service) and DNSNames; its
 * address and pool come from our own state, found by the EndpointID Docker gives: the state is
 * the authority on what is ours, Docker only names it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "driver/dns_names.h"
#include "driver/docker_engine.h"
#include "driver/docker_names.h"
#include "driver/instance.h"
#include "driver/log.h"

#define RETRY_MS 2000			/* between tries to reach Docker */

/* ms milliseconds, less when stop is set */
static void nap(const atomic_bool *stop, unsigned ms)
{
	struct timespec tick = { .tv_nsec = 50 * 1000 * 1000 };

	for (unsigned t = 0; t < ms && !atomic_load(stop); t += 50)
		nanosleep(&tick, NULL);
}

/* How Docker answers, for wgnet status; logged when it changes. Takes the lock. */
static void note(struct driver *d, const struct docker_engine *c, int ret, const struct errbuf *e)
{
	struct docker_part *p = &d->docker;

	pthread_mutex_lock(&d->lock);
	if (ret == 0) {
		if (strcmp(p->api, c->api) != 0 || p->error[0])
			log_info("names: Docker %s on %s, API %s", c->server.version, p->socket,
				 c->api);
		snprintf(p->api, sizeof(p->api), "%s", c->api);
		snprintf(p->version, sizeof(p->version), "%s", c->server.version);
		p->error[0] = 0;
	} else {
		/*
		 * Logged when the kind of failure changes, not the text (curl's carries the time
		 * it took). No dockerd is normal at boot (wgnetd starts first, Docker asks for
		 * its socket) and while dockerd restarts: info, not a warning.
		 */
		if (ret != p->error_code && ret == -ENOTCONN)
			log_info("names: waiting for Docker (%s); the names already known stay",
				 e->msg);
		else if (ret != p->error_code)
			log_warn("names: %s; the names already known stay", e->msg);
		snprintf(p->error, sizeof(p->error), "%.255s", e->msg);
	}
	p->error_code = ret < 0 ? ret : 0;
	pthread_mutex_unlock(&d->lock);
}

/* Our networks' IDs, lock taken. */
static int networks_ours(struct driver *d, struct docker_ids *out)
{
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->st.npools && ret == 0; i++)
		if (d->st.pools[i].network_id[0])
			ret = docker_ids_add(out, d->st.pools[i].network_id);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/*
 * The records of c: its endpoints that our state holds, on the network Docker says, with the
 * state's pool and address. Lock taken. recs has room for c->neps.
 */
static int container_records(struct driver *d, const struct docker_container *c,
			     struct dns_record *recs, size_t *n)
{
	int ret = 0;

	*n = 0;
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < c->neps && ret == 0; i++) {
		const struct docker_endpoint *ep = &c->eps[i];
		const struct state_endpoint *se;
		const struct state_pool *p;

		if (!ep->rec.endpoint[0] || !ep->rec.nnames)
			continue;
		se = state_endpoint_by_id(&d->st, ep->rec.endpoint);
		p = se ? state_pool_by_network(&d->st, se->network_id) : NULL;
		if (!p || strcmp(se->network_id, ep->network_id) != 0)
			continue;
		ret = dns_record_copy(&ep->rec, &recs[*n]);
		if (ret < 0)
			break;
		recs[*n].pool = p->pool;
		recs[*n].addr = se->addr;
		(*n)++;
		dns_names_network_set(d->names, &p->pool, ep->network);
		if (ep->skipped)
			log_debug("names: container %.12s: %zu name(s) on %s are not DNS names or "
				  "too many, left out", c->id, ep->skipped, ep->network);
	}
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* GET /containers/<id>/json: 0 and *c, 1 when there is no such container. */
static int inspect(struct docker_engine *c, const char *id, struct docker_container *out,
		   struct errbuf *e)
{
	char path[128], *body = NULL;
	size_t len = 0;
	long status = 0;
	int ret;

	snprintf(path, sizeof(path), "/containers/%s/json", id);
	ret = docker_engine_get(c, path, &body, &len, &status, e);
	if (ret == 0 && status == 404)
		ret = 1;
	else if (ret == 0 && status != 200)
		ret = errbuf_set(e, -EPROTO, "Docker answers HTTP %ld to %.40s", status, path);
	else if (ret == 0)
		ret = docker_container_parse(body, len, out, e);
	free(body);
	return ret;
}

static void records_release(struct dns_record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dns_record_release(&recs[i]);
	free(recs);
}

/* One container looked at again: its records now (none when it is gone or stopped). */
static int container_refresh(struct driver *d, struct docker_engine *c, const char *id,
			     struct errbuf *e)
{
	struct docker_container ctr = { 0 };
	struct dns_record *recs = NULL;
	size_t n = 0;
	int ret;

	ret = inspect(c, id, &ctr, e);
	if (ret == 0 && ctr.neps) {
		recs = calloc(ctr.neps, sizeof(*recs));
		ret = recs ? container_records(d, &ctr, recs, &n) : -ENOMEM;
	}
	if (ret >= 0) {
		ret = dns_names_local_container(d->names, id, recs, n);
		if (ret > 0)
			log_debug("names: container %.12s: %zu record(s)", id, n);
	}
	if (ret == -ENOMEM)
		errbuf_set(e, ret, "out of memory");
	records_release(recs, n);
	docker_container_release(&ctr);
	return ret < 0 ? ret : 0;
}

struct scan {
	struct dns_local *v;
	size_t n, cap;
};

static int scan_add(struct scan *s, const char *container, const struct docker_container *ctr,
		    struct driver *d)
{
	struct dns_record *recs = calloc(ctr->neps ? ctr->neps : 1, sizeof(*recs));
	size_t n = 0;
	int ret;

	if (!recs)
		return -ENOMEM;
	ret = container_records(d, ctr, recs, &n);
	if (ret == 0 && s->n + n > s->cap) {
		size_t cap = (s->n + n) * 2;
		struct dns_local *v = reallocarray(s->v, cap, sizeof(*v));

		if (!v)
			ret = -ENOMEM;
		else {
			s->v = v;
			s->cap = cap;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (ret == 0) {
			memcpy(s->v[s->n].container, container, DOCKER_ID_LEN + 1);
			s->v[s->n++].rec = recs[i];		/* moved */
		} else {
			dns_record_release(&recs[i]);
		}
	}
	free(recs);
	return ret;
}

/* Everything read again: the containers on our networks, each inspected. */
static int resync(struct driver *d, struct docker_engine *c, struct errbuf *e)
{
	struct docker_ids nets = { 0 }, ids = { 0 };
	struct scan s = { 0 };
	char *body = NULL;
	size_t len = 0;
	long status = 0;
	int ret;

	ret = networks_ours(d, &nets);
	if (ret == 0)
		ret = docker_engine_get(c, "/containers/json", &body, &len, &status, e);
	else
		errbuf_set(e, ret, "out of memory");
	if (ret == 0 && status != 200)
		ret = errbuf_set(e, -EPROTO, "Docker answers HTTP %ld to /containers/json", status);
	if (ret == 0)
		ret = docker_list_parse(body, len, &nets, &ids, e);
	for (size_t i = 0; ret == 0 && i < ids.n && !atomic_load(&d->docker.stop); i++) {
		struct docker_container ctr = { 0 };

		ret = inspect(c, ids.v[i], &ctr, e);
		if (ret == 0)
			ret = scan_add(&s, ids.v[i], &ctr, d);
		if (ret == 1)
			ret = 0;	/* gone meanwhile */
		docker_container_release(&ctr);
	}
	if (ret == 0 && !atomic_load(&d->docker.stop)) {
		ret = dns_names_local_reset(d->names, s.v, s.n);
		if (ret >= 0)
			log_info("names: read %zu container(s) from Docker: %zu record(s)", ids.n,
				 s.n);
		ret = ret < 0 ? errbuf_set(e, ret, "out of memory") : 0;
	}
	for (size_t i = 0; i < s.n; i++)
		dns_record_release(&s.v[i].rec);
	free(s.v);
	free(body);
	docker_ids_release(&ids);
	docker_ids_release(&nets);
	return ret;
}

struct follow {
	struct driver *d;
	struct docker_engine *c;
	struct errbuf *e;
};

static int event_line(void *arg, const char *line, size_t len)
{
	struct follow *f = arg;
	struct docker_event ev;

	docker_event_parse(line, len, &ev);
	if (ev.kind != DOCKER_EVENT_CONTAINER)
		return 0;
	/* between reads of the stream (never inside libcurl), on the kept handle */
	return container_refresh(f->d, f->c, ev.container, f->e);
}

static void *docker_names_main(void *arg)
{
	struct driver *d = arg;
	struct docker_part *p = &d->docker;
	struct docker_engine c;

	docker_engine_init(&c, p->socket);
	while (!atomic_load(&p->stop)) {
		struct errbuf e = { 0 };
		struct follow f = { d, &c, &e };
		char *filters, path[600];
		long since;
		int ret;

		ret = docker_engine_connect(&c, &e);
		note(d, &c, ret, &e);
		if (ret < 0) {
			nap(&p->stop, RETRY_MS);
			continue;
		}
		/* events from just before the read: none between the two is missed */
		since = (long)time(NULL) - 1;
		ret = resync(d, &c, &e);
		if (ret == 0) {
			filters = curl_easy_escape(NULL, DOCKER_EVENTS_FILTER, 0);
			snprintf(path, sizeof(path), "/events?since=%ld&filters=%s", since,
				 filters ? filters : "");
			curl_free(filters);
			ret = docker_engine_stream(&c, path, event_line, &f, &p->stop, &e);
		}
		if (ret < 0 && !atomic_load(&p->stop)) {
			note(d, &c, ret, &e);
			nap(&p->stop, RETRY_MS);
		}
	}
	docker_engine_release(&c);
	return NULL;
}

void docker_names_init(struct driver *d, const char *socket)
{
	snprintf(d->docker.socket, sizeof(d->docker.socket), "%s", socket ? socket : "");
}

void docker_names_start(struct driver *d)
{
	struct docker_part *p = &d->docker;

	if (!p->socket[0] || p->running)
		return;
	atomic_store(&p->stop, false);
	if (pthread_create(&p->thread, NULL, docker_names_main, d) == 0)
		p->running = true;
	else
		log_warn("names: could not start the thread that reads Docker, ignoring");
}

void docker_names_stop(struct driver *d)
{
	struct docker_part *p = &d->docker;

	if (!p->running)
		return;
	atomic_store(&p->stop, true);
	pthread_join(p->thread, NULL);
	p->running = false;
}

void docker_names_status_fill(struct driver *d, struct driver_status *s)
{
	const struct docker_part *p = &d->docker;

	snprintf(s->names.docker_socket, sizeof(s->names.docker_socket), "%.107s", p->socket);
	snprintf(s->names.docker_api, sizeof(s->names.docker_api), "%s", p->error[0] ? "" : p->api);
	snprintf(s->names.docker_version, sizeof(s->names.docker_version), "%s", p->version);
	snprintf(s->names.docker_error, sizeof(s->names.docker_error), "%s", p->error);
	dns_names_count(d->names, &s->names.local, &s->names.remote);
}
