/* SPDX-License-Identifier: MIT */
#ifndef WGNET_PLUGIN_API_ROUTES_H
#define WGNET_PLUGIN_API_ROUTES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "driver/driver.h"
#include "driver/errbuf.h"
#include "plugin/http.h"

enum api_kind { API_DOCKER, API_CONTROL };	/* the plugin socket, the CLI's socket */

/*
 * One handler per path: JSON in, one driver call, JSON out. req is NULL for calls that take no
 * arguments. On success *reply is the object to send (NULL = "{}"); on failure e holds the
 * code and the sentence, sent as {"Err": ...} with errbuf_http_status(code).
 */
typedef int (*api_fn)(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e);

struct api_route {
	const char *method;		/* "POST" or "GET" */
	const char *path;		/* "/NetworkDriver.Join" */
	bool takes_body;		/* false: any body is ignored (Activate, GetCapabilities) */
	api_fn fn;
};

/* A path served from the HTTP request as it is: query arguments, a reply put off (a long
 * poll). Searched after the JSON routes, counted after them. */
struct api_raw_route {
	const char *method;
	const char *path;
	void (*serve)(struct driver *d, const struct http_request *req, struct http_reply *reply);
};

extern const struct api_route docker_api_routes[];
extern const size_t docker_api_nroutes;
extern const struct api_route ipam_api_routes[];
extern const size_t ipam_api_nroutes;
extern const struct api_route control_api_routes[];
extern const size_t control_api_nroutes;
extern const struct api_raw_route control_api_raw_routes[];
extern const size_t control_api_nraw_routes;

/* The route tables of an API, in the order a path is searched: their number; and its raw
 * routes (*nraw of them). */
size_t api_routes_tables(enum api_kind api, const struct api_route *tables[2], size_t sizes[2]);
const struct api_raw_route *api_routes_raw(enum api_kind api, size_t *nraw);

#endif
