/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STORE_ETCD_IMPL_H
#define WGNET_DRIVER_STORE_ETCD_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "driver/errbuf.h"
#include "driver/store_etcd.h"

/*
 * Private to the etcd client's files: store_etcd.c (configuration, keys and values, the short
 * requests) and store_etcd_watch.c (the watch stream) above store_etcd_http.c (libcurl: one
 * kept handle per thread, members in turn, errors worded).
 */

#define ETCD_BODY_MAX (16 << 20)	/* a range of every host record stays far below */

/* A response body as it arrives (NUL-terminated). */
struct body {
	char *p;
	size_t len;
};

/* libcurl's write callback: appends to the struct body in arg, up to ETCD_BODY_MAX */
size_t etcd_http_body_write(char *ptr, size_t size, size_t nmemb, void *arg);
/* h (NULL: out of memory, passed on) set up for a POST of payload to member's path, with the
 * TLS files and the risks taken; *hdrs is the caller's to free */
CURL *etcd_http_handle(CURL *h, const struct etcd *c, size_t member, const char *path,
		       const char *payload, struct curl_slist **hdrs);
/* etcd's own words from an error reply */
void etcd_http_error_text(const char *body, char *out, size_t size);
/* POST path to the members in turn, from the last that answered; *reply the parsed body */
int etcd_http_request(struct etcd *c, const char *path, json_t *req, json_t **reply,
		      struct errbuf *e);

/* store_etcd.c: the first key after every key that starts with prefix (range_end); int64
 * fields as proto3 JSON sends them (strings); a key or value as base64; one kv. */
char *etcd_prefix_end(const char *prefix);
int64_t etcd_json_int64(const json_t *o, const char *key);
json_t *etcd_json_b64(const char *s);
json_t *etcd_json_int64_str(int64_t v);
int etcd_kv_parse(const json_t *o, struct etcd_kv *kv);
void etcd_kv_release(struct etcd_kv *kv);

#endif
