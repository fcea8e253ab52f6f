/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STORE_ETCD_HTTP_H
#define WGNET_DRIVER_STORE_ETCD_HTTP_H

#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>

#include "driver/errbuf.h"

/*
 * The etcd client's connection (driver/store_etcd_http.c): the members' URLs, the TLS files
 * and the risks the user took, and libcurl below the client's requests (store_etcd.c) and its
 * watch (store_etcd_watch.c).
 */

#define ETCD_URLS_MAX 8
#define ETCD_URL_MAX 256
#define ETCD_TIMEOUT_MS 3000		/* one request to one member */

struct etcd {
	char urls[ETCD_URLS_MAX][ETCD_URL_MAX];	/* "https://10.0.0.5:2379", no trailing / */
	size_t nurls;
	atomic_size_t cur;		/* the member that answered last */
	char ca[PATH_MAX];		/* "" = the system's CAs */
	char cert[PATH_MAX];		/* client certificate and key, "" = none */
	char key[PATH_MAX];
	unsigned allow;			/* ETCD_ALLOW_*: risks the user took explicitly */
};

/*
 * Risks taken only when the user says so (wgnet init --store-insecure-http,
 * --store-no-client-cert): a plain http:// URL (no encryption, no client certificate: whoever is
 * on the path reads and changes the membership), and no client certificate (whoever reaches the
 * store joins the mesh or removes hosts). Without its flag, etcd_check_risks refuses each and
 * requests never use http.
 */
#define ETCD_ALLOW_HTTP 1u
#define ETCD_ALLOW_NO_CERT 2u

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

#endif
