/* SPDX-License-Identifier: MIT */
/*
 * Prometheus text exposition (0.0.4) of a copy of the driver's metrics and the API counters.
 * A family is written with its first sample (HELP, TYPE, then its samples together): one
 * without any sample is left out, as client libraries do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/names.h"
#include "plugin/metrics_text.h"

struct family {
	const char *name, *type, *help;
	bool started;
};

/* A label value: backslash, double quote and line feed escaped, as the format asks. */
static void put_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* name="value" pairs, NULL-terminated: {a="1",b="2"} */
static void put_labels(FILE *f, const char *const *kv)
{
	if (!kv[0])
		return;
	fputc('{', f);
	for (size_t i = 0; kv[i]; i += 2) {
		fprintf(f, "%s%s=\"", i ? "," : "", kv[i]);
		put_value(f, kv[i + 1]);
		fputc('"', f);
	}
	fputc('}', f);
}

/* The family's header before its first sample; suffix: "_bucket", "_sum", ... or "". */
static void sample_start(FILE *f, struct family *fam, const char *suffix, const char *const *kv)
{
	if (!fam->started)
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name,
			fam->type);
	fam->started = true;
	fprintf(f, "%s%s", fam->name, suffix);
	put_labels(f, kv);
}

static void sample(FILE *f, struct family *fam, const char *const *kv, unsigned long long v)
{
	sample_start(f, fam, "", kv);
	fprintf(f, " %llu\n", v);
}

static void host_families(FILE *f, const struct driver_metrics *m)
{
	static const char *const none[] = { NULL };
	struct family fams[] = {
		{ "wireguard_device_info", "gauge", "wgnet0 and this host's public key.", false },
		{ "wgnet_store_configured", "gauge",
		  "1 when membership comes from a store (wgnet init --store), else 0.", false },
		{ "wgnet_store_reachable", "gauge",
		  "1 while the store answers, 0 while it cannot be reached (peers stay as they "
		  "are). Only with a store.", false },
		{ "wgnet_firewall_programmed", "gauge",
		  "1 when wgnet's nftables tables are as its state wants them, 0 while they failed "
		  "to build (no peer is configured then) or a rebuild is due.", false },
		{ "wgnet_firewall_rebuilds_total", "counter",
		  "Rebuilds of wgnet's tables after another program changed or deleted them.",
		  false },
		{ "wgnet_watchdog_restarts_total", "counter",
		  "Userspace WireGuard (wireguard-go) processes that died or hung and were "
		  "started again.", false },
		{ "wgnet_watchdog_restart_failures_total", "counter",
		  "Restarts of the userspace WireGuard that failed (tried again with backoff).",
		  false },
		{ "wgnet_events_total", "counter", "Events told since wgnetd started (wgnet events).",
		  false },
	};

	if (m->st.public_key[0])
		sample(f, &fams[0], (const char *const[]){ "device", NAMES_WG_DEVICE, "public_key",
			m->st.public_key, NULL }, 1);
	sample(f, &fams[1], none, m->st.store.configured);
	if (m->st.store.configured)
		sample(f, &fams[2], none, m->st.store.reachable);
	sample(f, &fams[3], none, m->firewall_programmed);
	sample(f, &fams[4], none, (unsigned long long)m->firewall_rebuilds);
	sample(f, &fams[5], none, (unsigned long long)m->watchdog_restarts);
	sample(f, &fams[6], none, (unsigned long long)m->watchdog_restart_failures);
	sample(f, &fams[7], none, (unsigned long long)m->events);
}

/* The peers' allowed IPs as one label value: "10.210.2.0/24,10.211.2.0/24" */
static void allowed_ips_text(const struct status_peer *p, char *out, size_t size)
{
	size_t n = 0;

	out[0] = 0;
	for (size_t j = 0; j < p->nallowed_ips && n + CIDR_STR_MAX + 1 < size; j++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", j ? "," : "", p->allowed_ips[j]);
}

/* The WireGuard exporter's families (labels device and public_key), with wgnet's name and
 * index; counters only for a peer the device has (none would read as a reset). */
static void peer_families(FILE *f, const struct driver_status *st, int64_t now)
{
	struct family fams[] = {
		{ "wireguard_peer_info", "gauge",
		  "A peer of wgnet0, by its public key: its allowed IPs, the endpoint the device "
		  "uses, wgnet's name and index of its host.", false },
		{ "wireguard_peer_receive_bytes_total", "counter",
		  "Bytes received from a peer through wgnet0.", false },
		{ "wireguard_peer_transmit_bytes_total", "counter",
		  "Bytes sent to a peer through wgnet0.", false },
		{ "wireguard_peer_last_handshake_seconds", "gauge",
		  "When the last handshake with a peer completed, in seconds since 1970 (0: never).",
		  false },
		{ "wgnet_peer_up", "gauge",
		  "1 while a peer had a handshake within the last 180 s, else 0.", false },
	};
	char index[12], ips[1024];

	for (size_t k = 0; k < sizeof(fams) / sizeof(fams[0]); k++)
		for (size_t i = 0; i < st->npeers; i++) {
			const struct status_peer *p = &st->peers[i];
			bool up = p->on_device && p->latest_handshake &&
				  now - p->latest_handshake < STATUS_PEER_UP_SECONDS;
			unsigned long long v[] = { 1, p->rx_bytes, p->tx_bytes,
						   (unsigned long long)p->latest_handshake, up };

			if (!p->on_device && k >= 1 && k <= 3)
				continue;
			snprintf(index, sizeof(index), "%u", p->index);
			allowed_ips_text(p, ips, sizeof(ips));
			if (k == 0)
				sample(f, &fams[k], (const char *const[]){ "device", NAMES_WG_DEVICE,
					"public_key", p->public_key, "allowed_ips", ips, "endpoint",
					p->endpoint, "name", p->name, "index", index, NULL }, v[k]);
			else
				sample(f, &fams[k], (const char *const[]){ "device", NAMES_WG_DEVICE,
					"public_key", p->public_key, "name", p->name, "index", index,
					NULL }, v[k]);
		}
}

/* The networks: containers, and the addresses of this host's slice. */
static void network_families(FILE *f, const struct driver_status *st)
{
	struct family fams[] = {
		{ "wgnet_network_endpoints", "gauge",
		  "Containers (endpoints) on a wgnet network of this host.", false },
		{ "wgnet_slice_addresses_used", "gauge",
		  "Addresses of this host's slice of a pool in use: gateway, aux addresses, "
		  "containers.", false },
		{ "wgnet_slice_addresses", "gauge",
		  "Usable addresses of this host's slice of a pool (network and broadcast left "
		  "out).", false },
	};
	char id[13];

	for (size_t k = 0; k < sizeof(fams) / sizeof(fams[0]); k++)
		for (size_t i = 0; i < st->nnetworks; i++) {
			const struct status_network *n = &st->networks[i];
			unsigned long long v[] = { n->endpoints, n->addresses_used, n->addresses };

			snprintf(id, sizeof(id), "%.12s", n->network_id);
			if (k == 0)
				sample(f, &fams[k], (const char *const[]){ "network_id", id,
					"pool", n->pool, "bridge", n->bridge, NULL }, v[k]);
			else
				sample(f, &fams[k], (const char *const[]){ "network_id", id,
					"pool", n->pool, "slice", n->slice, NULL }, v[k]);
		}
}

/* The names responders: the names they serve, where from, and what they were asked. */
static void names_families(FILE *f, const struct status_names *n)
{
	static const char *const none[] = { NULL };
	struct family fams[] = {
		{ "wgnet_names_docker_connected", "gauge",
		  "1 while this host's containers' names are read from Docker, 0 while Docker does "
		  "not answer. Left out when wgnetd reads no names from Docker.", false },
		{ "wgnet_names_served", "gauge",
		  "Container names the names responders answer, by source (local: this host's "
		  "containers, remote: the other hosts', from the store).", false },
		{ "wgnet_names_queries_total", "counter",
		  "Queries the names responders received (UDP and TCP; join-line peers' queries "
		  "left out).", false },
		{ "wgnet_names_answered_total", "counter",
		  "Queries answered NOERROR (the name is known).", false },
		{ "wgnet_names_refused_total", "counter",
		  "Queries answered REFUSED: a name neither this host nor its peers know (the "
		  "client asks its next server), or a client outside the pool.", false },
		{ "wgnet_names_peer_queries_total", "counter",
		  "Queries sent to join-line peers' responders for a name not known here.", false },
	};

	if (n->docker_socket[0])
		sample(f, &fams[0], none, n->docker_api[0] != 0);
	sample(f, &fams[1], (const char *const[]){ "source", "local", NULL }, n->local);
	sample(f, &fams[1], (const char *const[]){ "source", "remote", NULL }, n->remote);
	sample(f, &fams[2], none, (unsigned long long)n->queries);
	sample(f, &fams[3], none, (unsigned long long)n->answered);
	sample(f, &fams[4], none, (unsigned long long)n->refused);
	sample(f, &fams[5], none, (unsigned long long)n->peer_queries);
}

static void api_families(FILE *f, const struct api_stat_row *rows, size_t nrows)
{
	struct family calls = {
		"wgnet_api_calls_total", "counter",
		"API calls answered, by API (docker: the plugin socket, control: the wgnet "
		"command's), endpoint and result (ok: a 2xx answer).", false,
	};
	struct family hist = {
		"wgnet_api_call_duration_seconds", "histogram",
		"Time from a call's arrival to its answer, in seconds.", false,
	};
	char le[24];

	for (size_t i = 0; i < nrows; i++)
		for (int ok = 1; ok >= 0; ok--)
			sample(f, &calls, (const char *const[]){ "api", rows[i].api, "endpoint",
				rows[i].endpoint, "result", ok ? "ok" : "error", NULL },
			       ok ? rows[i].ok : rows[i].failed);
	for (size_t i = 0; i < nrows; i++) {
		const struct api_stat_row *r = &rows[i];
		const char *const kv[] = { "api", r->api, "endpoint", r->endpoint, NULL };

		for (size_t b = 0; b <= API_STATS_BUCKETS; b++) {
			if (b < API_STATS_BUCKETS)
				snprintf(le, sizeof(le), "%g", api_stats_bounds[b]);
			else
				snprintf(le, sizeof(le), "+Inf");
			sample_start(f, &hist, "_bucket", (const char *const[]){ "api", r->api,
				"endpoint", r->endpoint, "le", le, NULL });
			fprintf(f, " %llu\n", (unsigned long long)(b < API_STATS_BUCKETS ?
				r->buckets[b] : r->ok + r->failed));
		}
		sample_start(f, &hist, "_sum", kv);
		fprintf(f, " %.6f\n", r->sum);
		sample_start(f, &hist, "_count", kv);
		fprintf(f, " %llu\n", (unsigned long long)(r->ok + r->failed));
	}
}

char *metrics_text(const struct driver_metrics *m, const struct api_stat_row *rows, size_t nrows,
		   int64_t now)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	host_families(f, m);
	peer_families(f, &m->st, now);
	network_families(f, &m->st);
	names_families(f, &m->st.names);
	api_families(f, rows, nrows);
	if (fclose(f) != 0 || !text) {
		free(text);
		return NULL;
	}
	return text;
}
