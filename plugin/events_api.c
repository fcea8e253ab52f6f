/* SPDX-License-Identifier: MIT */
/* wgnet events' side of the control API: a long poll on the driver's ring of events. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/api.h"
#include "plugin/api_json.h"
#include "plugin/events_api.h"

#define EVENTS_WAKE_MS 1000		/* held requests look at their deadline this often */

/* A query argument: digits only, at most max; def when absent. */
static int arg_number(const struct http_request *req, const char *key, uint64_t max,
		      uint64_t def, uint64_t *out, struct errbuf *e)
{
	const char *v = http_request_arg(req, key);
	uint64_t n = 0;

	if (!v) {
		*out = def;
		return 0;
	}
	if (!*v || strlen(v) > 20)
		goto bad;
	for (const char *c = v; *c; c++) {
		if (*c < '0' || *c > '9' || n > (max - (uint64_t)(*c - '0')) / 10)
			goto bad;
		n = n * 10 + (uint64_t)(*c - '0');
	}
	*out = n;
	return 0;
bad:
	return errbuf_set(e, -EINVAL, "%s must be a number 0..%llu", key, (unsigned long long)max);
}

static json_t *events_json(const struct driver_events *ev)
{
	json_t *a = json_array(), *o;

	for (size_t i = 0; a && i < ev->n; i++) {
		const struct event *x = &ev->v[i];

		o = json_pack("{s:I, s:I, s:s, s:s, s:s}", "seq", (json_int_t)x->seq, "time",
			      (json_int_t)x->unix_time, "event", event_kind_name(x->kind), "subject",
			      x->subject, "detail", x->detail);
		if (json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

void events_api_serve(struct driver *d, const struct http_request *req, struct http_reply *reply)
{
	struct driver_events *ev = calloc(1, sizeof(*ev));
	uint64_t since = 0, epoch = 0, wait = 0;
	struct errbuf e = { 0 };
	json_t *out;

	if (!ev) {
		errbuf_set(&e, -ENOMEM, "out of memory");
		goto fail;
	}
	if (arg_number(req, "since", INT64_MAX, 0, &since, &e) < 0 ||
	    arg_number(req, "epoch", INT64_MAX, 0, &epoch, &e) < 0 ||
	    arg_number(req, "wait", EVENTS_WAIT_MAX, EVENTS_WAIT_DEFAULT, &wait, &e) < 0)
		goto fail;
	driver_events_get(d, since, epoch, ev);
	if (!ev->n && !ev->lost && http_now_us() - req->arrived_us < wait * 1000000u) {
		reply->later = true;	/* the waker asks again */
		free(ev);
		return;
	}
	out = json_pack("{s:I, s:I, s:I, s:o}", "epoch", (json_int_t)ev->epoch, "last",
			(json_int_t)(ev->n ? ev->v[ev->n - 1].seq : ev->last), "lost",
			(json_int_t)ev->lost, "events", events_json(ev));
	reply->body = api_json_dump(out);
	reply->status = reply->body ? 200 : 500;
	free(ev);
	return;
fail:
	free(ev);
	api_reply_error(reply, req->path, &e);
}

struct events_waker {
	struct driver *d;
	struct http_server *server;
	pthread_t thread;
	atomic_bool stop;
};

static void *waker_main(void *arg)
{
	struct events_waker *w = arg;
	uint64_t seen = 0;

	while (!atomic_load(&w->stop)) {
		seen = driver_events_wait(w->d, seen, EVENTS_WAKE_MS);
		http_server_wake(w->server);
	}
	return NULL;
}

int events_waker_start(struct driver *d, struct http_server *server, struct events_waker **out)
{
	struct events_waker *w = calloc(1, sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	w->d = d;
	w->server = server;
	ret = pthread_create(&w->thread, NULL, waker_main, w);
	if (ret != 0) {
		free(w);
		return -ret;
	}
	*out = w;
	return 0;
}

void events_waker_stop(struct events_waker *w)
{
	if (!w)
		return;
	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
	free(w);
}
