/* SPDX-License-Identifier: MIT */
/* Routing: path -> handler, errors -> {"Err"} with a status dockerd and the CLI understand. */
#include <errno.h>
#include <string.h>

#include "driver/log.h"
#include "plugin/api.h"
#include "plugin/api_json.h"

static void reply_error(struct http_reply *reply, const char *path, const struct errbuf *e)
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

static void dispatch(const struct api_route *const *tables, const size_t *sizes, size_t ntables,
		     struct driver *d, const struct http_request *req, struct http_reply *reply)
{
	const struct api_route *r = NULL;
	struct errbuf e = { 0 };
	json_t *root = NULL, *out = NULL;
	bool path_known = false;
	int ret;

	for (size_t t = 0; t < ntables && !r; t++)
		for (size_t i = 0; i < sizes[t]; i++) {
			if (strcmp(tables[t][i].path, req->path) != 0)
				continue;
			path_known = true;
			if (strcmp(tables[t][i].method, req->method) == 0) {
				r = &tables[t][i];
				break;
			}
		}
	if (!r) {
		if (path_known)
			errbuf_set(&e, -EINVAL, "%s must be called with another method than %s",
				   req->path, req->method);
		else
			errbuf_set(&e, -ENOENT, "no such call: %.100s", req->path);
		reply_error(reply, req->path, &e);
		if (path_known)
			reply->status = 405;
		return;
	}
	if (r->takes_body) {
		/* json_loadb reads body_len bytes: a raw NUL anywhere is a parse error */
		ret = api_json_load(req->body, req->body_len, &root, &e);
		if (ret < 0) {
			reply_error(reply, req->path, &e);
			return;
		}
	}
	ret = r->fn(d, root, &out, &e);
	json_decref(root);
	if (ret < 0) {
		json_decref(out);
		if (!e.code)
			errbuf_set(&e, ret, "%s", strerror(-ret));
		reply_error(reply, req->path, &e);
		return;
	}
	reply->status = 200;
	reply->body = api_json_dump(out ? out : json_object());
	if (!reply->body)
		reply->status = 500;
}

void api_serve_plugin(void *driver, const struct http_request *req, struct http_reply *reply)
{
	static const struct api_route *const tables[] = { docker_api_routes, ipam_api_routes };
	const size_t sizes[] = { docker_api_nroutes, ipam_api_nroutes };

	log_debug("request %s %s (%zu bytes)", req->method, req->path, req->body_len);
	dispatch(tables, sizes, 2, driver, req, reply);
}

void api_serve_control(void *driver, const struct http_request *req, struct http_reply *reply)
{
	static const struct api_route *const tables[] = { control_api_routes };
	const size_t sizes[] = { control_api_nroutes };

	dispatch(tables, sizes, 1, driver, req, reply);
}
