/* SPDX-License-Identifier: MIT */
/* etcd v3 through its JSON gateway: configuration, keys and values, the short requests (see
 * store_etcd.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "driver/store_etcd.h"
#include "driver/store_etcd_http.h"

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
char *etcd_prefix_end(const char *prefix)
{
	char *end = strdup(prefix);
	size_t n = end ? strlen(end) : 0;

	if (n)
		end[n - 1]++;
	return end;
}

/* int64 fields come as JSON strings (proto3 JSON); absent means 0. */
int64_t etcd_json_int64(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	if (json_is_integer(v))
		return json_integer_value(v);
	return 0;
}

json_t *etcd_json_b64(const char *s)
{
	char *b = b64_encode(s, strlen(s));
	json_t *v = b ? json_string(b) : NULL;

	free(b);
	return v;
}

json_t *etcd_json_int64_str(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_string(buf);
}

void etcd_kv_release(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void etcd_kvs_release(struct etcd_kvs *kvs)
{
	for (size_t i = 0; i < kvs->n; i++)
		etcd_kv_release(&kvs->v[i]);
	free(kvs->v);
	memset(kvs, 0, sizeof(*kvs));
}

int etcd_kv_parse(const json_t *o, struct etcd_kv *kv)
{
	const json_t *k = json_object_get(o, "key"), *v = json_object_get(o, "value");

	memset(kv, 0, sizeof(*kv));
	if (!json_is_string(k))
		return -EPROTO;
	kv->key = b64_decode(json_string_value(k), NULL);
	kv->value = b64_decode(json_is_string(v) ? json_string_value(v) : "", &kv->value_len);
	if (!kv->key || !kv->value) {
		etcd_kv_release(kv);
		return -EPROTO;
	}
	kv->create_rev = etcd_json_int64(o, "create_revision");
	kv->mod_rev = etcd_json_int64(o, "mod_revision");
	kv->lease = etcd_json_int64(o, "lease");
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
		if (etcd_kv_parse(json_array_get(arr, i), &kvs.v[i]) < 0) {
			etcd_kvs_release(&kvs);
			return -EPROTO;
		}
		kvs.n++;
	}
	*out = kvs;
	return 0;
}

static int64_t header_revision(const json_t *reply)
{
	return etcd_json_int64(json_object_get(reply, "header"), "revision");
}

int etcd_range_prefix(struct etcd *c, const char *prefix, struct etcd_kvs *out, struct errbuf *e)
{
	char *end = etcd_prefix_end(prefix);
	json_t *req = end ? json_pack("{s:o, s:o}", "key", etcd_json_b64(prefix), "range_end", etcd_json_b64(end))
			  : NULL;
	json_t *reply = NULL;
	int ret;

	free(end);
	if (!req)
		return errbuf_set(e, -ENOMEM, "out of memory");
	ret = etcd_http_request(c, "/v3/kv/range", req, &reply, e);
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
	json_t *o = json_pack("{s:o, s:o}", "key", etcd_json_b64(key), "value", etcd_json_b64(value));

	if (o && lease)
		json_object_set_new(o, "lease", etcd_json_int64_str(lease));
	return o;
}

int etcd_put(struct etcd *c, const char *key, const char *value, int64_t lease, struct errbuf *e)
{
	json_t *req = put_op(key, value, lease), *reply = NULL;
	int ret;

	if (!req)
		return errbuf_set(e, -ENOMEM, "out of memory");
	ret = etcd_http_request(c, "/v3/kv/put", req, &reply, e);
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
	ret = etcd_http_request(c, "/v3/kv/txn", req, &r, e);
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
			"compare", "key", etcd_json_b64(key), "target", "CREATE", "result", "EQUAL",
			"create_revision", "0",
			"success", "request_put", put_op(key, value, lease),
			"failure", "request_range", "key", etcd_json_b64(key));
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

static json_t *guard_json(const struct etcd_guard *g)
{
	/* absent: its create_revision is 0 */
	if (!g->value)
		return json_pack("{s:o, s:s, s:s, s:s}", "key", etcd_json_b64(g->key), "target",
				 "CREATE", "result", "EQUAL", "create_revision", "0");
	return json_pack("{s:o, s:s, s:s, s:o}", "key", etcd_json_b64(g->key), "target", "VALUE",
			 "result", "EQUAL", "value", etcd_json_b64(g->value));
}

static json_t *op_json(const struct etcd_op *op)
{
	char *end;
	json_t *o;

	if (op->value)
		return json_pack("{s:o}", "request_put", put_op(op->key, op->value, op->lease));
	if (!op->prefix)
		return json_pack("{s:{s:o}}", "request_delete_range", "key", etcd_json_b64(op->key));
	end = etcd_prefix_end(op->key);
	o = end ? json_pack("{s:{s:o, s:o}}", "request_delete_range", "key", etcd_json_b64(op->key),
			    "range_end", etcd_json_b64(end)) : NULL;
	free(end);
	return o;
}

json_t *etcd_txn_body(const struct etcd_guard *guards, size_t nguards, const struct etcd_op *ops,
		      size_t nops)
{
	json_t *compare = json_array(), *success = json_array(), *req;
	bool ok = compare && success;

	for (size_t i = 0; ok && i < nguards; i++)
		ok = json_array_append_new(compare, guard_json(&guards[i])) == 0;
	for (size_t i = 0; ok && i < nops; i++)
		ok = json_array_append_new(success, op_json(&ops[i])) == 0;
	if (!ok) {
		json_decref(compare);
		json_decref(success);
		return NULL;
	}
	req = json_pack("{s:o, s:o}", "compare", compare, "success", success);
	return req;
}

int etcd_txn(struct etcd *c, const struct etcd_guard *guards, size_t nguards,
	     const struct etcd_op *ops, size_t nops, bool *done, struct errbuf *e)
{
	return txn(c, etcd_txn_body(guards, nguards, ops, nops), done, NULL, e);
}

int etcd_lease_grant(struct etcd *c, int64_t ttl, int64_t *id, struct errbuf *e)
{
	json_t *req = json_pack("{s:o}", "TTL", etcd_json_int64_str(ttl)), *reply = NULL;
	int ret;

	if (!req)
		return errbuf_set(e, -ENOMEM, "out of memory");
	ret = etcd_http_request(c, "/v3/lease/grant", req, &reply, e);
	json_decref(req);
	if (ret < 0)
		return ret;
	*id = etcd_json_int64(reply, "ID");
	json_decref(reply);
	if (*id == 0)
		return errbuf_set(e, -EPROTO, "the store granted no lease");
	return 0;
}

int etcd_lease_keepalive(struct etcd *c, int64_t id, int64_t *ttl, struct errbuf *e)
{
	json_t *req = json_pack("{s:o}", "ID", etcd_json_int64_str(id)), *reply = NULL;
	int ret;

	if (!req)
		return errbuf_set(e, -ENOMEM, "out of memory");
	/* a streaming call on the gateway: one etcd_http_request, one {"result": ...} */
	ret = etcd_http_request(c, "/v3/lease/keepalive", req, &reply, e);
	json_decref(req);
	if (ret < 0)
		return ret;
	*ttl = etcd_json_int64(json_object_get(reply, "result"), "TTL");
	json_decref(reply);
	return 0;
}
