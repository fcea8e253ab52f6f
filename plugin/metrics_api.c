/* SPDX-License-Identifier: MIT */
/* GET /metrics: a copy of the driver's metrics (the lock held for the copy only) and the API
 * counters, formatted without any lock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/log.h"
#include "driver/metrics.h"
#include "plugin/api_stats.h"
#include "plugin/metrics_api.h"
#include "plugin/metrics_text.h"

#define METRICS_ROWS 128		/* API endpoints: both APIs have fewer */

static void plain(struct http_reply *reply, unsigned status, const char *text)
{
	reply->status = status;
	reply->body = strdup(text);
	reply->content_type = "text/plain; charset=utf-8";
}

void metrics_api_serve(void *driver, const struct http_request *req, struct http_reply *reply)
{
	struct api_stat_row *rows = NULL;
	struct driver_metrics m = { 0 };
	struct errbuf e = { 0 };
	size_t n;

	if (strcmp(req->path, "/metrics") != 0) {
		plain(reply, 404, "not found: the metrics are at /metrics\n");
		return;
	}
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		plain(reply, 405, "/metrics takes GET\n");
		return;
	}
	rows = calloc(METRICS_ROWS, sizeof(*rows));
	if (!rows || driver_metrics_get(driver, &m, &e) < 0) {
		log_error("metrics: %s", rows ? e.msg : "out of memory");
		plain(reply, 500, "wgnetd could not read its metrics: see its log\n");
		free(rows);
		return;
	}
	n = api_stats_rows(rows, METRICS_ROWS);
	reply->body = metrics_text(&m, rows, n, time(NULL));
	reply->status = reply->body ? 200 : 500;
	reply->content_type = METRICS_CONTENT_TYPE;
	driver_metrics_release(&m);
	free(rows);
}
