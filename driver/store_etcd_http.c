/* SPDX-License-Identifier: MIT */
/* The etcd client's HTTP: libcurl, one kept handle per thread, the members in turn, and errors
 * worded so that a user can act on them (TLS above all). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "driver/store_etcd_http.h"

size_t etcd_http_body_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	char *p;

	if (b->len + n > ETCD_BODY_MAX)
		return 0;
	p = realloc(b->p, b->len + n + 1);
	if (!p)
		return 0;
	memcpy(p + b->len, ptr, n);
	b->p = p;
	b->len += n;
	b->p[b->len] = 0;
	return n;
}

/*
 * One easy handle per thread for the short requests, kept between them: its connection to the
 * member stays open, so a request costs one round trip instead of a TCP and a TLS handshake
 * with client certificates (four of them per join, one per renewal). A thread, not a share:
 * libcurl cannot share a connection cache between threads. Freed when the thread ends.
 */
static pthread_key_t cached_key;

static bool cached_ok;

static pthread_once_t cached_once = PTHREAD_ONCE_INIT;

static void cached_free(void *h)
{
	curl_easy_cleanup(h);
}

static void cached_key_make(void)
{
	cached_ok = pthread_key_create(&cached_key, cached_free) == 0;
}

/* The thread's handle, reset (its connections kept), or a new one; *cached says which. */
static CURL *handle_take(bool *cached)
{
	CURL *h;

	pthread_once(&cached_once, cached_key_make);
	h = cached_ok ? pthread_getspecific(cached_key) : NULL;
	*cached = h != NULL;
	if (h) {
		curl_easy_reset(h);
		return h;
	}
	h = curl_easy_init();
	if (h && cached_ok && pthread_setspecific(cached_key, h) == 0)
		*cached = true;
	return h;
}

static void handle_give_back(CURL *h, bool cached)
{
	if (!cached)
		curl_easy_cleanup(h);
}

CURL *etcd_http_handle(CURL *h, const struct etcd *c, size_t member, const char *path,
		       const char *payload, struct curl_slist **hdrs)
{
	char url[ETCD_URL_MAX + 64];

	if (!h)
		return NULL;
	snprintf(url, sizeof(url), "%s%s", c->urls[member], path);
	*hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	/* etcd's "hasleader" metadata, through the gateway: a member cut off from its cluster
	 * ends our watch instead of keeping it open and silent */
	*hdrs = curl_slist_append(*hdrs, "Grpc-Metadata-hasleader: true");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	/* plain http only when the user took that risk (etcd_check_risks) */
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR,
			 c->allow & ETCD_ALLOW_HTTP ? "http,https" : "https");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");	/* the store is never behind a proxy */
	if (c->ca[0])
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca);
	if (c->cert[0]) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key);
	}
	return h;
}

/* etcd's own words from an error reply: {"error": "...", "message": "...", "code": N} */
void etcd_http_error_text(const char *body, char *out, size_t size)
{
	json_t *root = body ? json_loads(body, 0, NULL) : NULL;
	const char *m = NULL;

	if (root)
		m = json_string_value(json_object_get(root, "message"));
	if (root && !m)
		m = json_string_value(json_object_get(root, "error"));
	snprintf(out, size, "%.200s", m ? m : body ? body : "");
	json_decref(root);
}

/*
 * Why TLS failed a transfer, "" when it did not. A member that refuses our client certificate
 * sends an alert (worded by OpenSSL) but, with TLS 1.3, only after our side finished its
 * handshake and sent the request: the reset that follows often loses the alert, so a
 * connection (TLS, with our certificate) reset or closed without an answer is most likely
 * that. *sure: the words come from TLS itself (waiting will not help), not from that guess.
 */
static const char *tls_fault(CURLcode res, const char *detail, bool with_cert, bool *sure)
{
	static const char *const alerts[] = { "alert bad certificate", "alert unknown ca",
					      "alert certificate required",
					      "alert certificate expired",
					      "alert certificate revoked",
					      "alert certificate unknown",
					      "alert unsupported certificate",
					      "alert access denied", NULL };

	*sure = true;
	if (res == CURLE_PEER_FAILED_VERIFICATION)
		return "could not verify the store's certificate with --store-ca (or the system's "
		       "CAs without it)";
	for (size_t i = 0; alerts[i]; i++)
		if (strstr(detail, alerts[i]))
			return "the store refused this host's client certificate: --store-cert must "
			       "be signed by the CA the store trusts (etcd --trusted-ca-file)";
	*sure = false;
	if (with_cert && (res == CURLE_SEND_ERROR || res == CURLE_RECV_ERROR ||
			  res == CURLE_HTTP2 || res == CURLE_HTTP2_STREAM ||
			  res == CURLE_GOT_NOTHING))
		return "the store closed the connection at TLS, without an answer: it most likely "
		       "refuses this host's client certificate (--store-cert must be signed by "
		       "the CA the store trusts, etcd --trusted-ca-file)";
	return "";
}

/* POST path to the members in turn, from the last that answered; *reply is the parsed body. */
int etcd_http_request(struct etcd *c, const char *path, json_t *req, json_t **reply,
		      struct errbuf *e)
{
	char *payload = json_dumps(req, JSON_COMPACT);
	char why[600] = "", tls_why[600] = "";
	const char *tls = "";
	bool tls_sure = false;
	size_t start = atomic_load(&c->cur) % (c->nurls ? c->nurls : 1);
	int ret = -ENOTCONN;

	if (!payload)
		return errbuf_set(e, -ENOMEM, "out of memory");
	for (size_t t = 0; t < c->nurls; t++) {
		size_t m = (start + t) % c->nurls;
		struct curl_slist *hdrs = NULL;
		struct body b = { 0 };
		bool cached;
		CURL *h = etcd_http_handle(handle_take(&cached), c, m, path, payload, &hdrs);
		char detail[CURL_ERROR_SIZE] = "";
		CURLcode res;
		long code = 0;

		if (!h) {
			ret = errbuf_set(e, -ENOMEM, "out of memory");
			break;
		}
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)ETCD_TIMEOUT_MS);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, etcd_http_body_write);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
		res = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		/* the kept handle must not point at this stack once it returns */
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
		handle_give_back(h, cached);
		curl_slist_free_all(hdrs);
		if (res != CURLE_OK) {
			bool sure;
			const char *f = tls_fault(res, detail, c->cert[0] &&
						  strncmp(c->urls[m], "https:", 6) == 0, &sure);

			snprintf(why, sizeof(why), "%s: %s", c->urls[m],
				 detail[0] ? detail : curl_easy_strerror(res));
			if (f[0] && (sure || !tls_sure)) {
				tls = f;
				tls_sure = sure;
				snprintf(tls_why, sizeof(tls_why), "%s", why);
			}
		} else if (code != 200) {
			char text[220];

			etcd_http_error_text(b.p, text, sizeof(text));
			snprintf(why, sizeof(why), "%s: HTTP %ld: %s", c->urls[m], code, text);
			/* a member without a leader answers 503: another may have one */
			if (code < 500) {
				free(b.p);
				ret = errbuf_set(e, -EIO, "the store refused %s: %s", path, why);
				break;
			}
		} else {
			*reply = b.p ? json_loads(b.p, 0, NULL) : NULL;
			free(b.p);
			atomic_store(&c->cur, m);
			ret = *reply ? 0 : errbuf_set(e, -EPROTO, "the store's answer to %s is not JSON",
						      path);
			break;
		}
		free(b.p);
	}
	/* no member answered and TLS says why one did not (sure: waiting will not help) */
	if (ret == -ENOTCONN && tls[0])
		ret = errbuf_set(e, tls_sure ? -EACCES : -ENOTCONN, "%s (%s)", tls, tls_why);
	else if (ret == -ENOTCONN)
		errbuf_set(e, ret, "the store is unreachable (%s)", why);
	free(payload);
	return ret;
}
