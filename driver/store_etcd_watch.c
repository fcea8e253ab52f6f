/* SPDX-License-Identifier: MIT */
/* etcd's watch through the JSON gateway: one JSON message per line on a long-lived response,
 * its own handle and connection, ended by stop. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "driver/store_etcd.h"
#include "driver/store_etcd_http.h"

#define ETCD_LINE_MAX (4 << 20)		/* one watch message */

struct watch {
	struct body line;
	etcd_watch_cb cb;
	void *arg;
	const atomic_bool *stop;
	int ret;		/* why the stream was cut by us */
	bool created;
	struct errbuf *e;
};

static int watch_message(struct watch *w, const char *text)
{
	json_t *root = json_loads(text, 0, NULL), *res, *evs;
	struct etcd_event *ev = NULL;
	struct etcd_kv *kvs = NULL;
	int64_t upto = 0;
	size_t n = 0;
	int ret = 0;

	res = json_object_get(root, "result");
	if (!res) {
		char why[220];

		etcd_http_error_text(text, why, sizeof(why));
		ret = errbuf_set(w->e, -ENOTCONN, "the store ended the watch: %s", why);
		goto out;
	}
	if (etcd_json_int64(res, "compact_revision") > 0) {
		ret = errbuf_set(w->e, -ESTALE, "the watch's revision was compacted");
		goto out;
	}
	if (json_is_true(json_object_get(res, "canceled"))) {
		ret = errbuf_set(w->e, -ENOTCONN, "the store cancelled the watch");
		goto out;
	}
	evs = json_object_get(res, "events");
	if (json_is_true(json_object_get(res, "created"))) {
		w->created = true;
		ret = w->cb(w->arg, NULL, 0, 0);	/* the store answers; nothing delivered yet */
		goto out;
	}
	if (json_array_size(evs) == 0)
		goto out;
	ev = calloc(json_array_size(evs), sizeof(*ev));
	kvs = calloc(json_array_size(evs), sizeof(*kvs));
	if (!ev || !kvs) {
		ret = errbuf_set(w->e, -ENOMEM, "out of memory");
		goto out;
	}
	for (; n < json_array_size(evs); n++) {
		const json_t *one = json_array_get(evs, n);
		const char *type = json_string_value(json_object_get(one, "type"));

		if (etcd_kv_parse(json_object_get(one, "kv"), &kvs[n]) < 0) {
			ret = errbuf_set(w->e, -EPROTO, "a watch event is malformed");
			goto out;
		}
		ev[n].kv = &kvs[n];
		ev[n].deleted = type && strcmp(type, "DELETE") == 0;
		if (kvs[n].mod_rev > upto)
			upto = kvs[n].mod_rev;
	}
	ret = w->cb(w->arg, ev, n, upto);
out:
	for (size_t i = 0; kvs && i < n; i++)
		etcd_kv_release(&kvs[i]);
	free(kvs);
	free(ev);
	json_decref(root);
	return ret;
}

static size_t watch_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct watch *w = arg;
	size_t n = size * nmemb;
	char *nl;

	if (w->line.len + n > ETCD_LINE_MAX || etcd_http_body_write(ptr, 1, n, &w->line) != n) {
		w->ret = errbuf_set(w->e, -EMSGSIZE, "a watch message over %d bytes", ETCD_LINE_MAX);
		return 0;
	}
	while (w->line.p && (nl = memchr(w->line.p, '\n', w->line.len))) {
		size_t used = (size_t)(nl - w->line.p) + 1;
		int ret;

		*nl = 0;
		ret = watch_message(w, w->line.p);
		memmove(w->line.p, w->line.p + used, w->line.len - used + 1);
		w->line.len -= used;
		if (ret < 0) {
			w->ret = ret;
			return 0;
		}
	}
	return n;
}

static int watch_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	const struct watch *w = arg;

	(void)a, (void)b, (void)c, (void)d;
	return atomic_load(w->stop) ? 1 : 0;
}

int etcd_watch_range(struct etcd *c, const char *key, const char *end, int64_t start,
		     etcd_watch_cb cb, void *arg, const atomic_bool *stop, struct errbuf *e)
{
	struct watch w = { .cb = cb, .arg = arg, .stop = stop, .e = e };
	char *last = end ? strdup(end) : etcd_prefix_end(key), *payload = NULL;
	size_t m = atomic_load(&c->cur) % (c->nurls ? c->nurls : 1);
	struct curl_slist *hdrs = NULL;
	char detail[CURL_ERROR_SIZE] = "";
	json_t *req;
	CURLcode res;
	CURL *h;

	req = last ? json_pack("{s:{s:o, s:o, s:o}}", "create_request", "key", etcd_json_b64(key),
			       "range_end", etcd_json_b64(last), "start_revision",
			       etcd_json_int64_str(start)) : NULL;
	free(last);
	payload = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	/* its own handle: the stream holds the connection as long as it lasts */
	h = payload ? etcd_http_handle(curl_easy_init(), c, m, "/v3/watch", payload, &hdrs) : NULL;
	if (!h) {
		free(payload);
		return errbuf_set(e, -ENOMEM, "out of memory");
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, watch_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &w);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, watch_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &w);
	/* a member that vanishes without a FIN is noticed within ~10 s */
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 4L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 2L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
	res = curl_easy_perform(h);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	free(payload);
	free(w.line.p);
	if (w.ret < 0)
		return w.ret;
	if (res != CURLE_OK && atomic_load(stop))
		return 0;
	/* next time, the next member: this one failed us */
	atomic_store(&c->cur, (m + 1) % c->nurls);
	return errbuf_set(e, -ENOTCONN, "the store's watch %s at %s: %s",
			  w.created ? "broke" : "could not start", c->urls[m],
			  res == CURLE_OK ? "the stream ended"
			  : detail[0] ? detail : curl_easy_strerror(res));
}
