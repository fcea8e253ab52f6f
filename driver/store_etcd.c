/* SPDX-License-Identifier: MIT */
/* etcd v3 through its JSON gateway, with libcurl: see store_etcd.h. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "driver/store_etcd.h"

#define ETCD_BODY_MAX (16 << 20)	/* a range of every host record stays far below */
#define ETCD_LINE_MAX (4 << 20)		/* one watch message */

int etcd_config(struct etcd *c, const char *urls, const char *ca, const char *cert,
		const char *key, unsigned allow, struct errbuf *e)
{
	const char *p = urls;

	memset(c, 0, sizeof(*c));
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len && p[len - 1] == '/')
			len--;
		if (c->nurls == ETCD_URLS_MAX)
			return errbuf_set(e, -EINVAL, "more than %d store URLs", ETCD_URLS_MAX);
		if (len == 0 || len >= ETCD_URL_MAX ||
		    (strncmp(p, "https://", 8) != 0 && strncmp(p, "http://", 7) != 0) ||
		    memchr(p, ' ', len) || memchr(p, '"', len))
			return errbuf_set(e, -EINVAL, "store URL '%.*s' is not http(s)://HOST:PORT",
					  (int)(len > 200 ? 200 : len), p);
		memcpy(c->urls[c->nurls++], p, len);
		p += end ? (size_t)(end - p) + 1 : strlen(p);
	}
	if (c->nurls == 0)
		return errbuf_set(e, -EINVAL, "no store URL given");
	if ((ca && strlen(ca) >= sizeof(c->ca)) || (cert && strlen(cert) >= sizeof(c->cert)) ||
	    (key && strlen(key) >= sizeof(c->key)))
		return errbuf_set(e, -ENAMETOOLONG, "a store certificate path is too long");
	if (!cert != !key || (cert && !*cert) != (key && !*key))
		return errbuf_set(e, -EINVAL, "a client certificate needs its key and the other way "
				  "round (--store-cert and --store-key)");
	snprintf(c->ca, sizeof(c->ca), "%s", ca ? ca : "");
	snprintf(c->cert, sizeof(c->cert), "%s", cert ? cert : "");
	snprintf(c->key, sizeof(c->key), "%s", key ? key : "");
	c->allow = allow;
	return 0;
}

int etcd_check_risks(const struct etcd *c, struct errbuf *e)
{
	for (size_t i = 0; i < c->nurls && !(c->allow & ETCD_ALLOW_HTTP); i++)
		if (strncmp(c->urls[i], "http://", 7) == 0)
			return errbuf_set(e, -EINVAL, "store URL %.200s is plain HTTP: whoever is on "
					  "its path reads and changes the mesh's membership (no "
					  "encryption, no client certificate); use https://, or "
					  "--store-insecure-http to take that risk", c->urls[i]);
	if (!c->cert[0] && !(c->allow & ETCD_ALLOW_NO_CERT))
		return errbuf_set(e, -EINVAL, "no client certificate for the store (--store-cert "
				  "and --store-key): whoever reaches the store could join the mesh "
				  "or remove hosts from it; give one, or --store-no-client-cert to "
				  "take that risk (the store must then keep others out itself)");
	return 0;
}

void etcd_urls_text(const struct etcd *c, char *out, size_t size)
{
	size_t off = 0;

	out[0] = 0;
	for (size_t i = 0; i < c->nurls && off < size; i++) {
		int n = snprintf(out + off, size - off, "%s%s", i ? "," : "", c->urls[i]);

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

static char *b64_encode(const void *data, size_t len)
{
	size_t size = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *out = malloc(size);

	if (out)
		sodium_bin2base64(out, size, data, len, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

/* NUL-terminated copy of the decoded bytes; NULL if not base64. */
static char *b64_decode(const char *s, size_t *len)
{
	size_t slen = strlen(s), n = 0;
	char *out = malloc(slen / 4 * 3 + 4);

	if (!out)
		return NULL;
	if (sodium_base642bin((unsigned char *)out, slen / 4 * 3 + 3, s, slen, NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(out);
		return NULL;
	}
	out[n] = 0;
	if (len)
		*len = n;
	return out;
}

/* The first key after every key that starts with prefix (etcd's range_end). */
static char *prefix_end(const char *prefix)
{
	char *end = strdup(prefix);
	size_t n = end ? strlen(end) : 0;

	if (n)
		end[n - 1]++;
	return end;
}

/* int64 fields come as JSON strings (proto3 JSON); absent means 0. */
static int64_t j_int64(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	if (json_is_integer(v))
		return json_integer_value(v);
	return 0;
}

static json_t *j_b64(const char *s)
{
	char *b = b64_encode(s, strlen(s));
	json_t *v = b ? json_string(b) : NULL;

	free(b);
	return v;
}

static json_t *j_int64_str(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_string(buf);
}

static void kv_release(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void etcd_kvs_release(struct etcd_kvs *kvs)
{
	for (size_t i = 0; i < kvs->n; i++)
		kv_release(&kvs->v[i]);
	free(kvs->v);
	memset(kvs, 0, sizeof(*kvs));
}

static int kv_parse(const json_t *o, struct etcd_kv *kv)
{
	const json_t *k = json_object_get(o, "key"), *v = json_object_get(o, "value");

	memset(kv, 0, sizeof(*kv));
	if (!json_is_string(k))
		return -EPROTO;
	kv->key = b64_decode(json_string_value(k), NULL);
	kv->value = b64_decode(json_is_string(v) ? json_string_value(v) : "", &kv->value_len);
	if (!kv->key || !kv->value) {
		kv_release(kv);
		return -EPROTO;
	}
	kv->create_rev = j_int64(o, "create_revision");
	kv->mod_rev = j_int64(o, "mod_revision");
	kv->lease = j_int64(o, "lease");
	return 0;
}

static int kvs_parse(const json_t *arr, int64_t revision, struct etcd_kvs *out)
{
	struct etcd_kvs kvs = { .revision = revision };
	size_t n = json_array_size(arr);

	if (n) {
		kvs.v = calloc(n, sizeof(*kvs.v));
		if (!kvs.v)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (kv_parse(json_array_get(arr, i), &kvs.v[i]) < 0) {
			etcd_kvs_release(&kvs);
			return -EPROTO;
		}
		kvs.n++;
	}
	*out = kvs;
	return 0;
}

struct body {
	char *p;
	size_t len;
};

static size_t body_write(char *ptr, size_t size, size_t nmemb, void *arg)
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

static CURL *handle_new(CURL *h, const struct etcd *c, size_t member, const char *path,
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
static void error_text(const char *body, char *out, size_t size)
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
static int request(struct etcd *c, const char *path, json_t *req, json_t **reply,
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
		CURL *h = handle_new(handle_take(&cached), c, m, path, payload, &hdrs);
		char detail[CURL_ERROR_SIZE] = "";
		CURLcode res;
		long code = 0;

		if (!h) {
			ret = errbuf_set(e, -ENOMEM, "out of memory");
			break;
		}
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)ETCD_TIMEOUT_MS);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
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

			error_text(b.p, text, sizeof(text));
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

static int64_t header_revision(const json_t *reply)
{
	return j_int64(json_object_get(reply, "header"), "revision");
}

int etcd_range_prefix(struct etcd *c, const char *prefix, struct etcd_kvs *out, struct errbuf *e)
{
	char *end = prefix_end(prefix);
	json_t *req = end ? json_pack("{s:o, s:o}", "key", j_b64(prefix), "range_end", j_b64(end))
			  : NULL;
	json_t *reply = NULL;
	int ret;

	free(end);
	if (!req)
		return errbuf_set(e, -ENOMEM, "out of memory");
	ret = request(c, "/v3/kv/range", req, &reply, e);
	json_decref(req);
	if (ret < 0)
		return ret;
	ret = kvs_parse(json_object_get(reply, "kvs"), header_revision(reply), out);
	json_decref(reply);
	if (ret < 0)
		return errbuf_set(e, ret, "the store's range answer is malformed");
	return 0;
}

static json_t *put_op(const char *key, const char *value, int64_t lease)
{
	json_t *o = json_pack("{s:o, s:o}", "key", j_b64(key), "value", j_b64(value));

	if (o && lease)
		json_object_set_new(o, "lease", j_int64_str(lease));
	return o;
}

int etcd_put(struct etcd *c, const char *key, const char *value, int64_t lease, struct errbuf *e)
{
	json_t *req = put_op(key, value, lease), *reply = NULL;
	int ret;

	if (!req)
		return errbuf_set(e, -ENOMEM, "out of memory");
	ret = request(c, "/v3/kv/put", req, &reply, e);
	json_decref(req);
	json_decref(reply);
	return ret;
}

static int txn(struct etcd *c, json_t *req, bool *succeeded, json_t **reply, struct errbuf *e)
{
	json_t *r = NULL;
	int ret;

	if (!req)
		return errbuf_set(e, -ENOMEM, "out of memory");
	ret = request(c, "/v3/kv/txn", req, &r, e);
	json_decref(req);
	if (ret < 0)
		return ret;
	*succeeded = json_is_true(json_object_get(r, "succeeded"));
	if (reply)
		*reply = r;
	else
		json_decref(r);
	return 0;
}

int etcd_create(struct etcd *c, const char *key, const char *value, int64_t lease,
		bool *created, struct etcd_kvs *existing, struct errbuf *e)
{
	json_t *req, *reply = NULL, *resp;
	bool ok = false;
	int ret;

	/* create_revision 0 = the key does not exist */
	req = json_pack("{s:[{s:o, s:s, s:s, s:s}], s:[{s:o}], s:[{s:{s:o}}]}",
			"compare", "key", j_b64(key), "target", "CREATE", "result", "EQUAL",
			"create_revision", "0",
			"success", "request_put", put_op(key, value, lease),
			"failure", "request_range", "key", j_b64(key));
	ret = txn(c, req, &ok, &reply, e);
	if (ret < 0)
		return ret;
	*created = ok;
	if (!ok && existing) {
		resp = json_object_get(json_array_get(json_object_get(reply, "responses"), 0),
				       "response_range");
		ret = kvs_parse(json_object_get(resp, "kvs"), header_revision(reply), existing);
		if (ret < 0)
			errbuf_set(e, ret, "the store's transaction answer is malformed");
	}
	json_decref(reply);
	return ret;
}

int etcd_txn_if_value(struct etcd *c, const char *guard_key, const char *guard_value,
		      const struct etcd_op *ops, size_t nops, bool *done, struct errbuf *e)
{
	json_t *req, *success = json_array();

	for (size_t i = 0; success && i < nops; i++) {
		json_t *op = ops[i].value ?
			json_pack("{s:o}", "request_put", put_op(ops[i].key, ops[i].value,
								 ops[i].lease)) :
			json_pack("{s:{s:o}}", "request_delete_range", "key", j_b64(ops[i].key));

		if (!op || json_array_append_new(success, op) < 0) {
			json_decref(success);
			success = NULL;
		}
	}
	if (!success)
		return errbuf_set(e, -ENOMEM, "out of memory");
	req = json_pack("{s:[{s:o, s:s, s:s, s:o}], s:o}", "compare", "key", j_b64(guard_key),
			"target", "VALUE", "result", "EQUAL", "value", j_b64(guard_value),
			"success", success);
	return txn(c, req, done, NULL, e);
}

int etcd_lease_grant(struct etcd *c, int64_t ttl, int64_t *id, struct errbuf *e)
{
	json_t *req = json_pack("{s:o}", "TTL", j_int64_str(ttl)), *reply = NULL;
	int ret;

	if (!req)
		return errbuf_set(e, -ENOMEM, "out of memory");
	ret = request(c, "/v3/lease/grant", req, &reply, e);
	json_decref(req);
	if (ret < 0)
		return ret;
	*id = j_int64(reply, "ID");
	json_decref(reply);
	if (*id == 0)
		return errbuf_set(e, -EPROTO, "the store granted no lease");
	return 0;
}

int etcd_lease_keepalive(struct etcd *c, int64_t id, int64_t *ttl, struct errbuf *e)
{
	json_t *req = json_pack("{s:o}", "ID", j_int64_str(id)), *reply = NULL;
	int ret;

	if (!req)
		return errbuf_set(e, -ENOMEM, "out of memory");
	/* a streaming call on the gateway: one request, one {"result": ...} */
	ret = request(c, "/v3/lease/keepalive", req, &reply, e);
	json_decref(req);
	if (ret < 0)
		return ret;
	*ttl = j_int64(json_object_get(reply, "result"), "TTL");
	json_decref(reply);
	return 0;
}

/* ---- watch: one JSON message per line on a long-lived response */

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

		error_text(text, why, sizeof(why));
		ret = errbuf_set(w->e, -ENOTCONN, "the store ended the watch: %s", why);
		goto out;
	}
	if (j_int64(res, "compact_revision") > 0) {
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

		if (kv_parse(json_object_get(one, "kv"), &kvs[n]) < 0) {
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
		kv_release(&kvs[i]);
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

	if (w->line.len + n > ETCD_LINE_MAX || body_write(ptr, 1, n, &w->line) != n) {
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

int etcd_watch_prefix(struct etcd *c, const char *prefix, int64_t start, etcd_watch_cb cb,
		      void *arg, const atomic_bool *stop, struct errbuf *e)
{
	struct watch w = { .cb = cb, .arg = arg, .stop = stop, .e = e };
	char *end = prefix_end(prefix), *payload = NULL;
	size_t m = atomic_load(&c->cur) % (c->nurls ? c->nurls : 1);
	struct curl_slist *hdrs = NULL;
	char detail[CURL_ERROR_SIZE] = "";
	json_t *req;
	CURLcode res;
	CURL *h;

	req = end ? json_pack("{s:{s:o, s:o, s:o}}", "create_request", "key", j_b64(prefix),
			      "range_end", j_b64(end), "start_revision", j_int64_str(start)) : NULL;
	free(end);
	payload = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	/* its own handle: the stream holds the connection as long as it lasts */
	h = payload ? handle_new(curl_easy_init(), c, m, "/v3/watch", payload, &hdrs) : NULL;
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
