/* SPDX-License-Identifier: MIT */
/* What the store's side keeps of itself: store.json (the store's address, TLS files and the
 * risks taken, which peers came from it, a pending leave), and whether the store answers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "driver/events.h"
#include "driver/file_write.h"
#include "driver/log.h"
#include "driver/store_file.h"
#include "driver/thread.h"

int store_file_save(const struct store *s, struct errbuf *e)
{
	char urls[512], key[KEYS_B64_LEN];
	struct errbuf we = { 0 };	/* e may be NULL: a warning below needs the words */
	json_t *root, *mine;
	char *text;
	int ret;

	if (!s->configured && !s->leave_pending) {
		if (unlink(s->path) < 0 && errno != ENOENT)
			return errbuf_set(e, -errno, "could not remove %s: %s", s->path,
					  strerror(errno));
		return 0;
	}
	mine = json_array();	/* after the return above: it leaked there */
	for (size_t i = 0; mine && i < s->mine.n; i++) {
		keys_b64(s->mine.v[i], key);
		json_array_append_new(mine, json_string(key));
	}
	etcd_urls_text(&s->etcd, urls, sizeof(urls));
	root = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:o}", "urls", urls, "ca",
			 s->etcd.ca, "cert", s->etcd.cert, "key", s->etcd.key, "insecure_http",
			 (s->etcd.allow & ETCD_ALLOW_HTTP) != 0, "no_client_cert",
			 (s->etcd.allow & ETCD_ALLOW_NO_CERT) != 0, "leave_pending",
			 s->leave_pending, "peers", mine ? mine : json_array());
	text = root ? json_dumps(root, JSON_INDENT(1)) : NULL;
	json_decref(root);
	if (!text)
		return errbuf_set(e, -ENOMEM, "out of memory");
	ret = file_write_atomic(s->path, text, strlen(text), &we);
	free(text);
	if (ret > 0)	/* renamed into place: the next start reads it */
		log_warn("%s written, but %s, ignoring", s->path, we.msg);
	else if (ret < 0)
		return errbuf_set(e, ret, "%s", we.msg);
	return 0;
}

int store_file_load(struct store *s, struct errbuf *e)
{
	const char *urls, *ca, *cert, *key;
	json_t *root, *mine = NULL;
	json_error_t jerr;
	int leave = 0, http = 0, no_cert = 0, ret;
	struct errbuf risk = { 0 };

	root = json_load_file(s->path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (access(s->path, F_OK) < 0 && errno == ENOENT)
			return 0;
		return errbuf_set(e, -EINVAL, "%s: %s", s->path, jerr.text);
	}
	ret = -EINVAL;
	/* the risks are absent from files written before they had to be taken explicitly */
	if (json_unpack_ex(root, &jerr, 0, "{s:s, s:s, s:s, s:s, s?b, s?b, s:b, s:o}", "urls",
			   &urls, "ca", &ca, "cert", &cert, "key", &key, "insecure_http", &http,
			   "no_client_cert", &no_cert, "leave_pending", &leave, "peers",
			   &mine) < 0 || !json_is_array(mine)) {
		errbuf_set(e, ret, "%s: %s", s->path, jerr.text);
		goto out;
	}
	ret = etcd_config(&s->etcd, urls, ca, cert, key, (http ? ETCD_ALLOW_HTTP : 0) |
			  (no_cert ? ETCD_ALLOW_NO_CERT : 0), e);
	if (ret < 0)
		goto out;
	s->mine.v = calloc(json_array_size(mine) + 1, sizeof(*s->mine.v));
	if (!s->mine.v) {
		ret = errbuf_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(mine); i++)
		if (keys_from_b64(json_string_value(json_array_get(mine, i)),
				  s->mine.v[s->mine.n]) == 0)
			s->mine.n++;
	store_hosts_keys_sort(&s->mine);
	s->leave_pending = leave;
	s->configured = !leave;
	/* a risk the file does not take: the store is not used (its peers stay) until wgnet
	 * init --store takes it, or gives https and a certificate; wgnetd serves meanwhile */
	if (etcd_check_risks(&s->etcd, &risk) < 0) {
		s->refused = true;
		snprintf(s->error, sizeof(s->error), "%.255s", risk.msg);
		log_error("store: %s: %s; not used until wgnet init --store", s->path, risk.msg);
	}
out:
	json_decref(root);
	return ret;
}

bool store_mine_has(const struct store *s, const uint8_t key[KEYS_LEN])
{
	return store_hosts_keys_has(&s->mine, key);
}

void store_reachable_note(struct driver *d, int ret, const struct errbuf *e)
{
	struct store *s = d->store;

	if (ret == 0) {
		if (!s->reachable)
			log_info("store: reachable");
		if (!s->reachable && s->error[0])	/* it was lost, not just starting */
			events_add(d, EVENT_STORE_BACK, "store", "reachable again");
		s->reachable = true;
		s->error[0] = 0;
	} else {
		/* once per outage, not once per retry (status has the latest reason) */
		if (s->reachable || !s->error[0]) {
			log_warn("store: %s; peers stay as they are", e->msg);
			events_add(d, EVENT_STORE_LOST, "store", "%s; peers stay as they are",
				   e->msg);
		}
		s->reachable = false;
		snprintf(s->error, sizeof(s->error), "%.255s", e->msg);
	}
}

bool store_sleep(struct store *s, unsigned ms)
{
	struct timespec until = thread_deadline_ms(ms);
	bool woken;

	pthread_mutex_lock(&s->sleep_lock);
	while (!s->wake && !atomic_load(&s->stop) &&
	       pthread_cond_timedwait(&s->sleep_cond, &s->sleep_lock, &until) == 0)
		;
	woken = s->wake;
	s->wake = false;
	pthread_mutex_unlock(&s->sleep_lock);
	return woken;
}

void store_wake(struct store *s)
{
	pthread_mutex_lock(&s->sleep_lock);
	s->wake = true;
	pthread_cond_broadcast(&s->sleep_cond);
	pthread_mutex_unlock(&s->sleep_lock);
}
