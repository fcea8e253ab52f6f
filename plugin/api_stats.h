/* SPDX-License-Identifier: MIT */
#ifndef WGNET_PLUGIN_API_STATS_H
#define WGNET_PLUGIN_API_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin/api_routes.h"

/*
 * The API calls as they arrive (plugin/api_stats.c): per API and endpoint, how many answered
 * with success or an error, and how long each took from its arrival to its reply, in a
 * histogram. Atomic counters, no lock: the driver's lock is never taken for them.
 */

#define API_STATS_BUCKETS 13
/* the histogram's upper bounds, in seconds (the last bucket, +Inf, is the count) */
extern const double api_stats_bounds[API_STATS_BUCKETS];

/* One call answered: route is the index of its path in the API's tables (api_serve_*), -1
 * for a path that is none of them; ok: a 2xx status. */
void api_stats_note(enum api_kind api, int route, bool ok, uint64_t micros);

struct api_stat_row {
	const char *api;		/* "docker", "control" */
	const char *endpoint;		/* the path without its '/', or "unknown" */
	uint64_t ok, failed;
	uint64_t buckets[API_STATS_BUCKETS];	/* cumulative: calls of at most each bound */
	double sum;			/* seconds */
};
/* The endpoints of both APIs that were called (a path of neither: "unknown"), at most max
 * rows. */
size_t api_stats_rows(struct api_stat_row *out, size_t max);

#endif
