/* SPDX-License-Identifier: MIT */
#ifndef WGNET_PLUGIN_METRICS_API_H
#define WGNET_PLUGIN_METRICS_API_H

#include "plugin/http.h"

/* http_handler of wgnetd --metrics (plugin/metrics_api.c): GET /metrics, Prometheus text. */
void metrics_api_serve(void *driver, const struct http_request *req, struct http_reply *reply);

#endif
