/* SPDX-License-Identifier: MIT */
/* Counters of the API calls, per endpoint: atomics the serving threads add to, read by the
 * metrics; no lock anywhere. */
#include <stdatomic.h>

#include "plugin/api_routes.h"
#include "plugin/api_stats.h"

#define API_STATS_ROUTES 64		/* per API: more than its tables hold */

/* sub-millisecond answers (status, most IPAM calls) up to a slow wireguard-go or iptables */
const double api_stats_bounds[API_STATS_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

struct api_stat {
	atomic_ullong ok, failed;
	atomic_ullong bucket[API_STATS_BUCKETS];	/* of the first bound it is within */
	atomic_ullong micros;
};

/* [API_STATS_ROUTES]: calls of a path of no table */
static struct api_stat stats[2][API_STATS_ROUTES + 1];

void api_stats_note(enum api_kind api, int route, bool ok, uint64_t micros)
{
	struct api_stat *st;
	size_t b;

	if (route < 0 || route >= API_STATS_ROUTES)
		route = API_STATS_ROUTES;
	st = &stats[api][route];
	atomic_fetch_add_explicit(ok ? &st->ok : &st->failed, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&st->micros, micros, memory_order_relaxed);
	for (b = 0; b < API_STATS_BUCKETS; b++)
		if ((double)micros <= api_stats_bounds[b] * 1e6)
			break;
	if (b < API_STATS_BUCKETS)
		atomic_fetch_add_explicit(&st->bucket[b], 1, memory_order_relaxed);
}

/* 0 when the endpoint was never called: no row (as a client library adds a series at its
 * first use) */
static size_t row_fill(struct api_stat_row *r, const char *api, const char *endpoint,
		       struct api_stat *st)
{
	uint64_t sum = 0;

	r->api = api;
	r->endpoint = endpoint;
	r->ok = atomic_load_explicit(&st->ok, memory_order_relaxed);
	r->failed = atomic_load_explicit(&st->failed, memory_order_relaxed);
	for (size_t b = 0; b < API_STATS_BUCKETS; b++) {
		sum += atomic_load_explicit(&st->bucket[b], memory_order_relaxed);
		r->buckets[b] = sum;
	}
	r->sum = (double)atomic_load_explicit(&st->micros, memory_order_relaxed) / 1e6;
	/* a call counted between the loads: the total is never below a bucket */
	if (r->ok + r->failed < sum)
		r->ok = sum - r->failed;
	return r->ok + r->failed > 0;
}

/* The rows of one API: its tables in the order api_serve_* searches them. */
static size_t api_rows(enum api_kind api, const char *name, struct api_stat_row *out, size_t max)
{
	const struct api_route *tables[2];
	struct api_stat *unknown = &stats[api][API_STATS_ROUTES];
	size_t sizes[2], ntables = api_routes_tables(api, tables, sizes), n = 0, route = 0, nraw;
	const struct api_raw_route *raw = api_routes_raw(api, &nraw);

	for (size_t t = 0; t < ntables; t++)
		for (size_t i = 0; i < sizes[t]; i++, route++)
			if (n < max && route < API_STATS_ROUTES)
				n += row_fill(&out[n], name, tables[t][i].path + 1,
					      &stats[api][route]);
	for (size_t i = 0; i < nraw; i++, route++)
		if (n < max && route < API_STATS_ROUTES)
			n += row_fill(&out[n], name, raw[i].path + 1, &stats[api][route]);
	if (n < max)
		n += row_fill(&out[n], name, "unknown", unknown);
	return n;
}

size_t api_stats_rows(struct api_stat_row *out, size_t max)
{
	size_t n = api_rows(API_DOCKER, "docker", out, max);

	return n + api_rows(API_CONTROL, "control", out + n, max - n);
}
