/* SPDX-License-Identifier: MIT */
/* Routing: path -> handler, errors -> {"Err"} with a status dockerd and the CLI understand. */
#include <errno.h>
#include <string.h>

#include "driver/log.h"
#include "plugin/api.h"
#include "plugin/api_json.h"

void api_reply_error(struct http_reply *reply, const char *path, const struct errbuf *e)
{
	int status = errbuf_http_status(e->code);
	const char *what = path[0] == '/' && path[1] ? path + 1 : path;

	if (status >= 500)
		log_error("%s: %s", what, e->msg);
	else
		log_warn("%s: %s", what, e->msg);
	reply->status = (unsigned)status;
	reply->body = http_error_body(e->msg);
}

/* The route of req in the API's tables (*raw for a raw one), and its index among them all
 * (-1: none). */
static const struct api_route *route_find(enum api_kind api, const struct http_request *req,
					  const struct api_raw_route **raw, int *index,
					  bool *path_known)
{
	const struct api_route *tables[2];
	size_t sizes[2], ntables = api_routes_tables(api, tables, sizes), nraw;
	const struct api_raw_route *rv = api_routes_raw(api, &nraw);
	int k = 0;

	*raw = NULL;
	*index = -1;
	*path_known = false;
	for (size_t t = 0; t < ntables; t++)
		for (size_t i = 0; i < sizes[t]; i++, k++) {
			if (strcmp(tables[t][i].path, req->path) != 0)
				continue;
			*index = k;
			*path_known = true;
			if (strcmp(tables[t][i].method, req->method) == 0)
				return &tables[t][i];
		}
	for (size_t i = 0; i < nraw; i++, k++) {
		if (strcmp(rv[i].path, req->path) != 0)
			continue;
		*index = k;
		*path_known = true;
		if (strcmp(rv[i].method, req->method) == 0)
			*raw = &rv[i];
	}
	return NULL;
}

/* The reply to req; *route: its route's index, for the counters (-1: none). */
static void dispatch(enum api_kind api, struct driver *d, const struct http_request *req,
		     struct http_reply *reply, int *route)
{
	const struct api_raw_route *raw;
	const struct api_route *r;
	struct errbuf e = { 0 };
	json_t *root = NULL, *out = NULL;
	bool path_known;
	int ret;

	r = route_find(api, req, &raw, route, &path_known);
	if (raw) {
		raw->serve(d, req, reply);
		return;
	}
	if (!r) {
		if (path_known)
			errbuf_set(&e, -EINVAL, "%s must be called with another method than %s",
				   req->path, req->method);
		else
			errbuf_set(&e, -ENOENT, "no such call: %.100s", req->path);
		api_reply_error(reply, req->path, &e);
		if (path_known)
			reply->status = 405;
		return;
	}
	if (r->takes_body) {
		/* json_loadb reads body_len bytes: a raw NUL anywhere is a parse error */
		ret = api_json_load(req->body, req->body_len, &root, &e);
		if (ret < 0) {
			api_reply_error(reply, req->path, &e);
			return;
		}
	}
	ret = r->fn(d, root, &out, &e);
	json_decref(root);
	if (ret < 0) {
		json_decref(out);
		if (!e.code)
			errbuf_set(&e, ret, "%s", strerror(-ret));
		api_reply_error(reply, req->path, &e);
		return;
	}
	reply->status = 200;
	reply->body = api_json_dump(out ? out : json_object());
	if (!reply->body)
		reply->status = 500;
}

/* Every call counted once, when it is answered, with the time since it arrived. */
static void serve(enum api_kind api, struct driver *d, const struct http_request *req,
		  struct http_reply *reply)
{
	int route;

	dispatch(api, d, req, reply, &route);
	if (reply->later)
		return;
	api_stats_note(api, route, reply->status >= 200 && reply->status < 300,
		       http_now_us() - req->arrived_us);
}

void api_serve_plugin(void *driver, const struct http_request *req, struct http_reply *reply)
{
	log_debug("request %s %s (%zu bytes)", req->method, req->path, req->body_len);
	serve(API_DOCKER, driver, req, reply);
}

void api_serve_control(void *driver, const struct http_request *req, struct http_reply *reply)
{
	serve(API_CONTROL, driver, req, reply);
}
