/* SPDX-License-Identifier: MIT */
/*
 * The metrics' text exposition: a known copy gives exactly the expected text (names, labels,
 * HELP and TYPE before the samples, a family with no sample left out); label values are
 * escaped; every line of a busier copy passes a strict reading of format 0.0.4, and the
 * histograms are cumulative and end at +Inf = _count.
 */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugin/metrics_text.h"

#define NOW 1700000100

static char ips_a[2][CIDR_STR_MAX] = { "10.210.2.0/24", "10.211.2.0/24" };

static struct driver_metrics *copy_small(void)
{
	static struct status_peer peers[2];
	static struct status_network nets[1];
	static struct driver_metrics m;

	memset(&m, 0, sizeof(m));
	memset(peers, 0, sizeof(peers));
	memset(nets, 0, sizeof(nets));
	snprintf(m.st.public_key, sizeof(m.st.public_key), "%s", "SELFKEY=");
	snprintf(peers[0].name, sizeof(peers[0].name), "host2");
	peers[0].index = 2;
	snprintf(peers[0].public_key, sizeof(peers[0].public_key), "KEY2=");
	snprintf(peers[0].endpoint, sizeof(peers[0].endpoint), "192.168.77.2:51820");
	peers[0].on_device = true;
	peers[0].latest_handshake = NOW - 30;
	peers[0].rx_bytes = 1234;
	peers[0].tx_bytes = 5678;
	peers[0].allowed_ips = ips_a;
	peers[0].nallowed_ips = 2;
	/* not on the device (yet): info and down, no counters */
	snprintf(peers[1].name, sizeof(peers[1].name), "host3");
	peers[1].index = 3;
	snprintf(peers[1].public_key, sizeof(peers[1].public_key), "KEY3=");
	m.st.peers = peers;
	m.st.npeers = 2;
	snprintf(nets[0].network_id, sizeof(nets[0].network_id), "%s",
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	snprintf(nets[0].pool, sizeof(nets[0].pool), "10.210.0.0/16");
	snprintf(nets[0].slice, sizeof(nets[0].slice), "10.210.1.0/24");
	snprintf(nets[0].bridge, sizeof(nets[0].bridge), "wgb0123456789");
	nets[0].endpoints = 2;
	nets[0].addresses_used = 3;
	nets[0].addresses = 254;
	m.st.networks = nets;
	m.st.nnetworks = 1;
	m.st.store.configured = true;
	m.st.store.reachable = false;
	m.firewall_programmed = true;
	m.firewall_rebuilds = 1;
	m.watchdog_restarts = 2;
	m.watchdog_restart_failures = 0;
	m.events = 7;
	snprintf(m.st.names.docker_socket, sizeof(m.st.names.docker_socket), "/run/docker.sock");
	snprintf(m.st.names.docker_api, sizeof(m.st.names.docker_api), "1.41");
	m.st.names.local = 2;
	m.st.names.remote = 5;
	m.st.names.queries = 11;
	m.st.names.answered = 8;
	m.st.names.refused = 3;
	m.st.names.peer_queries = 4;
	return &m;
}

static const char expected_small[] =
	"# HELP wireguard_device_info wgnet0 and this host's public key.\n"
	"# TYPE wireguard_device_info gauge\n"
	"wireguard_device_info{device=\"wgnet0\",public_key=\"SELFKEY=\"} 1\n"
	"# HELP wgnet_store_configured 1 when membership comes from a store (wgnet init --store), "
	"else 0.\n"
	"# TYPE wgnet_store_configured gauge\n"
	"wgnet_store_configured 1\n"
	"# HELP wgnet_store_reachable 1 while the store answers, 0 while it cannot be reached "
	"(peers stay as they are). Only with a store.\n"
	"# TYPE wgnet_store_reachable gauge\n"
	"wgnet_store_reachable 0\n"
	"# HELP wgnet_firewall_programmed 1 when wgnet's nftables tables are as its state wants "
	"them, 0 while they failed to build (no peer is configured then) or a rebuild is due.\n"
	"# TYPE wgnet_firewall_programmed gauge\n"
	"wgnet_firewall_programmed 1\n"
	"# HELP wgnet_firewall_rebuilds_total Rebuilds of wgnet's tables after another program "
	"changed or deleted them.\n"
	"# TYPE wgnet_firewall_rebuilds_total counter\n"
	"wgnet_firewall_rebuilds_total 1\n"
	"# HELP wgnet_watchdog_restarts_total Userspace WireGuard (wireguard-go) processes that "
	"died or hung and were started again.\n"
	"# TYPE wgnet_watchdog_restarts_total counter\n"
	"wgnet_watchdog_restarts_total 2\n"
	"# HELP wgnet_watchdog_restart_failures_total Restarts of the userspace WireGuard that "
	"failed (tried again with backoff).\n"
	"# TYPE wgnet_watchdog_restart_failures_total counter\n"
	"wgnet_watchdog_restart_failures_total 0\n"
	"# HELP wgnet_events_total Events told since wgnetd started (wgnet events).\n"
	"# TYPE wgnet_events_total counter\n"
	"wgnet_events_total 7\n"
	"# HELP wireguard_peer_info A peer of wgnet0, by its public key: its allowed IPs, the "
	"endpoint the device uses, wgnet's name and index of its host.\n"
	"# TYPE wireguard_peer_info gauge\n"
	"wireguard_peer_info{device=\"wgnet0\",public_key=\"KEY2=\",allowed_ips=\"10.210.2.0/24,"
	"10.211.2.0/24\",endpoint=\"192.168.77.2:51820\",name=\"host2\",index=\"2\"} 1\n"
	"wireguard_peer_info{device=\"wgnet0\",public_key=\"KEY3=\",allowed_ips=\"\",endpoint=\"\","
	"name=\"host3\",index=\"3\"} 1\n"
	"# HELP wireguard_peer_receive_bytes_total Bytes received from a peer through wgnet0.\n"
	"# TYPE wireguard_peer_receive_bytes_total counter\n"
	"wireguard_peer_receive_bytes_total{device=\"wgnet0\",public_key=\"KEY2=\",name=\"host2\","
	"index=\"2\"} 1234\n"
	"# HELP wireguard_peer_transmit_bytes_total Bytes sent to a peer through wgnet0.\n"
	"# TYPE wireguard_peer_transmit_bytes_total counter\n"
	"wireguard_peer_transmit_bytes_total{device=\"wgnet0\",public_key=\"KEY2=\",name=\"host2\","
	"index=\"2\"} 5678\n"
	"# HELP wireguard_peer_last_handshake_seconds When the last handshake with a peer "
	"completed, in seconds since 1970 (0: never).\n"
	"# TYPE wireguard_peer_last_handshake_seconds gauge\n"
	"wireguard_peer_last_handshake_seconds{device=\"wgnet0\",public_key=\"KEY2=\","
	"name=\"host2\",index=\"2\"} 1700000070\n"
	"# HELP wgnet_peer_up 1 while a peer had a handshake within the last 180 s, else 0.\n"
	"# TYPE wgnet_peer_up gauge\n"
	"wgnet_peer_up{device=\"wgnet0\",public_key=\"KEY2=\",name=\"host2\",index=\"2\"} 1\n"
	"wgnet_peer_up{device=\"wgnet0\",public_key=\"KEY3=\",name=\"host3\",index=\"3\"} 0\n"
	"# HELP wgnet_network_endpoints Containers (endpoints) on a wgnet network of this host.\n"
	"# TYPE wgnet_network_endpoints gauge\n"
	"wgnet_network_endpoints{network_id=\"0123456789ab\",pool=\"10.210.0.0/16\","
	"bridge=\"wgb0123456789\"} 2\n"
	"# HELP wgnet_slice_addresses_used Addresses of this host's slice of a pool in use: "
	"gateway, aux addresses, containers.\n"
	"# TYPE wgnet_slice_addresses_used gauge\n"
	"wgnet_slice_addresses_used{network_id=\"0123456789ab\",pool=\"10.210.0.0/16\","
	"slice=\"10.210.1.0/24\"} 3\n"
	"# HELP wgnet_slice_addresses Usable addresses of this host's slice of a pool (network "
	"and broadcast left out).\n"
	"# TYPE wgnet_slice_addresses gauge\n"
	"wgnet_slice_addresses{network_id=\"0123456789ab\",pool=\"10.210.0.0/16\","
	"slice=\"10.210.1.0/24\"} 254\n"
	"# HELP wgnet_names_docker_connected 1 while this host's containers' names are read from "
	"Docker, 0 while Docker does not answer. Left out when wgnetd reads no names from Docker.\n"
	"# TYPE wgnet_names_docker_connected gauge\n"
	"wgnet_names_docker_connected 1\n"
	"# HELP wgnet_names_served Container names the names responders answer, by source (local: "
	"this host's containers, remote: the other hosts', from the store).\n"
	"# TYPE wgnet_names_served gauge\n"
	"wgnet_names_served{source=\"local\"} 2\n"
	"wgnet_names_served{source=\"remote\"} 5\n"
	"# HELP wgnet_names_queries_total Queries the names responders received (UDP and TCP; "
	"join-line peers' queries left out).\n"
	"# TYPE wgnet_names_queries_total counter\n"
	"wgnet_names_queries_total 11\n"
	"# HELP wgnet_names_answered_total Queries answered NOERROR (the name is known).\n"
	"# TYPE wgnet_names_answered_total counter\n"
	"wgnet_names_answered_total 8\n"
	"# HELP wgnet_names_refused_total Queries answered REFUSED: a name neither this host nor "
	"its peers know (the client asks its next server), or a client outside the pool.\n"
	"# TYPE wgnet_names_refused_total counter\n"
	"wgnet_names_refused_total 3\n"
	"# HELP wgnet_names_peer_queries_total Queries sent to join-line peers' responders for a "
	"name not known here.\n"
	"# TYPE wgnet_names_peer_queries_total counter\n"
	"wgnet_names_peer_queries_total 4\n"
	"# HELP wgnet_api_calls_total API calls answered, by API (docker: the plugin socket, "
	"control: the wgnet command's), endpoint and result (ok: a 2xx answer).\n"
	"# TYPE wgnet_api_calls_total counter\n"
	"wgnet_api_calls_total{api=\"docker\",endpoint=\"NetworkDriver.Join\",result=\"ok\"} 3\n"
	"wgnet_api_calls_total{api=\"docker\",endpoint=\"NetworkDriver.Join\",result=\"error\"} 1\n"
	"# HELP wgnet_api_call_duration_seconds Time from a call's arrival to its answer, in "
	"seconds.\n"
	"# TYPE wgnet_api_call_duration_seconds histogram\n";

static struct api_stat_row row_join(void)
{
	struct api_stat_row r = { .api = "docker", .endpoint = "NetworkDriver.Join", .ok = 3,
				  .failed = 1, .sum = 0.0125 };

	/* 1 call within 1 ms, 2 more within 5 ms, the last within 10 ms */
	for (size_t b = 0; b < API_STATS_BUCKETS; b++)
		r.buckets[b] = api_stats_bounds[b] < 0.001 ? 0 : api_stats_bounds[b] < 0.005 ? 1 :
			       api_stats_bounds[b] < 0.01 ? 3 : 4;
	return r;
}

static void test_known_copy(void **state)
{
	struct api_stat_row row = row_join();
	char *text = metrics_text(copy_small(), &row, 1, NOW);
	const char *hist;

	(void)state;
	assert_non_null(text);
	assert_int_equal(strncmp(text, expected_small, strlen(expected_small)), 0);
	hist = text + strlen(expected_small);
	assert_string_equal(hist,
		"wgnet_api_call_duration_seconds_bucket{api=\"docker\",endpoint=\"NetworkDriver.Join\","
		"le=\"0.0005\"} 0\n"
		"wgnet_api_call_duration_seconds_bucket{api=\"docker\",endpoint=\"NetworkDriver.Join\","
		"le=\"0.001\"} 1\n"
		"wgnet_api_call_duration_seconds_bucket{api=\"docker\",endpoint=\"NetworkDriver.Join\","
		"le=\"0.0025\"} 1\n"
		"wgnet_api_call_duration_seconds_bucket{api=\"docker\",endpoint=\"NetworkDriver.Join\","
		"le=\"0.005\"} 3\n"
		"wgnet_api_call_duration_seconds_bucket{api=\"docker\",endpoint=\"NetworkDriver.Join\","
		"le=\"0.01\"} 4\n"
		"wgnet_api_call_duration_seconds_bucket{api=\"docker\",endpoint=\"NetworkDriver.Join\","
		"le=\"0.025\"} 4\n"
		"wgnet_api_call_duration_seconds_bucket{api=\"docker\",endpoint=\"NetworkDriver.Join\","
		"le=\"0.05\"} 4\n"
		"wgnet_api_call_duration_seconds_bucket{api=\"docker\",endpoint=\"NetworkDriver.Join\","
		"le=\"0.1\"} 4\n"
		"wgnet_api_call_duration_seconds_bucket{api=\"docker\",endpoint=\"NetworkDriver.Join\","
		"le=\"0.25\"} 4\n"
		"wgnet_api_call_duration_seconds_bucket{api=\"docker\",endpoint=\"NetworkDriver.Join\","
		"le=\"0.5\"} 4\n"
		"wgnet_api_call_duration_seconds_bucket{api=\"docker\",endpoint=\"NetworkDriver.Join\","
		"le=\"1\"} 4\n"
		"wgnet_api_call_duration_seconds_bucket{api=\"docker\",endpoint=\"NetworkDriver.Join\","
		"le=\"2.5\"} 4\n"
		"wgnet_api_call_duration_seconds_bucket{api=\"docker\",endpoint=\"NetworkDriver.Join\","
		"le=\"10\"} 4\n"
		"wgnet_api_call_duration_seconds_bucket{api=\"docker\",endpoint=\"NetworkDriver.Join\","
		"le=\"+Inf\"} 4\n"
		"wgnet_api_call_duration_seconds_sum{api=\"docker\",endpoint=\"NetworkDriver.Join\"} "
		"0.012500\n"
		"wgnet_api_call_duration_seconds_count{api=\"docker\",endpoint=\"NetworkDriver.Join\"} "
		"4\n");
	free(text);
}

/* Before wgnet init, with no network, no store and no call: only what always is. */
static void test_empty(void **state)
{
	struct driver_metrics m = { .firewall_programmed = true };
	char *text = metrics_text(&m, NULL, 0, NOW);

	(void)state;
	assert_non_null(text);
	assert_null(strstr(text, "wireguard_"));
	assert_null(strstr(text, "wgnet_store_reachable"));
	assert_null(strstr(text, "wgnet_api_"));
	assert_null(strstr(text, "wgnet_network_endpoints"));
	assert_non_null(strstr(text, "\nwgnet_store_configured 0\n"));
	assert_non_null(strstr(text, "\nwgnet_firewall_programmed 1\n"));
	assert_null(strstr(text, "wgnet_names_docker_connected"));	/* no names from Docker */
	assert_non_null(strstr(text, "\nwgnet_names_served{source=\"local\"} 0\n"));
	free(text);
	/* names read from Docker, which does not answer */
	snprintf(m.st.names.docker_socket, sizeof(m.st.names.docker_socket), "/run/docker.sock");
	text = metrics_text(&m, NULL, 0, NOW);
	assert_non_null(text);
	assert_non_null(strstr(text, "\nwgnet_names_docker_connected 0\n"));
	free(text);
}

/* A label value with a backslash, a double quote and a line feed (a name never has them;
 * an endpoint is the device's text). */
static void test_escapes(void **state)
{
	struct driver_metrics *m = copy_small();
	char *text;

	(void)state;
	snprintf(m->st.peers[0].endpoint, sizeof(m->st.peers[0].endpoint), "a\\b\"c\nd");
	text = metrics_text(m, NULL, 0, NOW);
	assert_non_null(text);
	assert_non_null(strstr(text, ",endpoint=\"a\\\\b\\\"c\\nd\","));
	free(text);
}

/* What a reader of format 0.0.4 checks, line by line; NULL or the first line it refuses. */
static const char *strict_problem(char *text, char *why, size_t size)
{
	regex_t help, type, sample;
	char family[128] = "", done[64][128];
	size_t ndone = 0;
	const char *bad = NULL;

	assert_int_equal(regcomp(&help, "^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\n]+$",
				 REG_EXTENDED), 0);
	assert_int_equal(regcomp(&type, "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) "
				 "(counter|gauge|histogram|summary|untyped)$", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&sample, "^([a-zA-Z_:][a-zA-Z0-9_:]*)"
				 "(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\[\\\\\"n])*\""
				 "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\[\\\\\"n])*\")*)\\})? "
				 "(-?[0-9]+(\\.[0-9]+)?(e[+-]?[0-9]+)?|\\+Inf|-Inf|NaN)$",
				 REG_EXTENDED), 0);
	for (char *line = strtok(text, "\n"); line && !bad; line = strtok(NULL, "\n")) {
		regmatch_t mt[2];
		char name[128];

		if (regexec(&help, line, 2, mt, 0) == 0) {
			snprintf(name, sizeof(name), "%.*s", (int)(mt[1].rm_eo - mt[1].rm_so),
				 line + mt[1].rm_so);
			for (size_t i = 0; i < ndone; i++)
				if (strcmp(done[i], name) == 0)
					snprintf(why, size, "family %.100s comes twice", name);
			snprintf(family, sizeof(family), "%s", name);
			snprintf(done[ndone++ % 64], sizeof(done[0]), "%s", name);
		} else if (regexec(&type, line, 2, mt, 0) == 0) {
			if (strncmp(line + mt[1].rm_so, family, strlen(family)) != 0)
				snprintf(why, size, "TYPE of another family than its HELP");
		} else if (regexec(&sample, line, 2, mt, 0) == 0) {
			/* a sample of the current family: its name, or name_bucket/_sum/_count */
			size_t fl = strlen(family);
			const char *rest;

			snprintf(name, sizeof(name), "%.*s", (int)(mt[1].rm_eo - mt[1].rm_so),
				 line + mt[1].rm_so);
			rest = name + (strncmp(name, family, fl) == 0 ? fl : 0);
			if (!fl || rest == name || (*rest && strcmp(rest, "_bucket") != 0 &&
						    strcmp(rest, "_sum") != 0 &&
						    strcmp(rest, "_count") != 0))
				snprintf(why, size, "a sample outside its family");
		} else {
			snprintf(why, size, "not a line of the format");
		}
		if (why[0])
			bad = line;
	}
	regfree(&help);
	regfree(&type);
	regfree(&sample);
	return bad;
}

static void test_strict_reading(void **state)
{
	struct api_stat_row rows[3] = { row_join(), row_join(), row_join() };
	char why[128] = "";
	const char *bad;
	char *text;

	(void)state;
	rows[1].endpoint = "IpamDriver.RequestPool";
	rows[2].api = "control";
	rows[2].endpoint = "events";
	text = metrics_text(copy_small(), rows, 3, NOW);
	assert_non_null(text);
	assert_int_equal(text[strlen(text) - 1], '\n');
	bad = strict_problem(text, why, sizeof(why));
	if (bad)
		fail_msg("%s: %s", why, bad);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_copy),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_strict_reading),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
