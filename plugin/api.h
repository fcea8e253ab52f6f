/* SPDX-License-Identifier: MIT */
#ifndef WGNET_PLUGIN_API_H
#define WGNET_PLUGIN_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "driver/driver.h"
#include "driver/errbuf.h"
#include "plugin/api_routes.h"
#include "plugin/api_stats.h"
#include "plugin/http.h"

/* The error e as {"Err": ...} with its HTTP status, logged once with the path. */
void api_reply_error(struct http_reply *reply, const char *path, const struct errbuf *e);

/* http_handler for the plugin socket (Plugin.Activate, NetworkDriver.*, IpamDriver.*). */
void api_serve_plugin(void *driver, const struct http_request *req, struct http_reply *reply);
/* http_handler for the control socket (the wgnet CLI). */
void api_serve_control(void *driver, const struct http_request *req, struct http_reply *reply);

#endif
