/* SPDX-License-Identifier: MIT */
/* wgnet status: this host, its store, its peers and its networks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/cli.h"

struct cli_network {
	const char *id;
	const char *pool;
	const char *slice;
	const char *gateway;
	const char *bridge;
	int bridge_up;
	int internal;
	json_int_t mtu;
	json_int_t endpoints;
	const char *responder;		/* the names responder: NULL from an older wgnetd */
	int listening;
	const char *responder_error;
};

struct cli_status {
	json_int_t index;
	const char *endpoint;
	json_int_t mtu;
	const char *firewall;
	const char *firewall_note;	/* what happened to the tables; NULL or "" = nothing */
	json_int_t pending_pools;
	const char *name;		/* the keys from here on are NULL or -1 when absent */
	const char *public_key;
	const char *next_key;		/* a key rotation under way */
	json_int_t listen_port;
	const char *backend;
	const char *wireguard;		/* what the watchdog did, "" or NULL = nothing */
	const char *device;
	int device_up;
	bool has_peers;
	struct cli_peers peers;
	struct cli_network *nets;	/* strings borrowed from the reply */
	size_t n_nets;
	json_t *store;			/* borrowed, NULL without a store */
	const char *docker_backend;	/* the host dockerd's firewall; NULL from an older wgnetd */
	const char *docker_seen;
	const char *docker_warning;	/* "" = none */
	json_t *names;			/* borrowed, NULL from an older wgnetd */
};

static int cli_parse_network(json_t *j, size_t i, struct cli_network *net)
{
	struct cli_network n = { 0 };
	json_error_t jerr;
	json_t *resp = NULL;

	if (json_unpack_ex(j, &jerr, 0, "{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:b, s:I, s?o}",
			   "network_id", &n.id, "pool", &n.pool, "slice", &n.slice,
			   "gateway", &n.gateway, "bridge", &n.bridge, "bridge_up", &n.bridge_up,
			   "mtu", &n.mtu, "internal", &n.internal, "endpoints", &n.endpoints,
			   "responder", &resp) < 0 ||
	    (resp && json_unpack_ex(resp, &jerr, 0, "{s:s, s:b, s:s}", "address", &n.responder,
				    "listening", &n.listening, "error", &n.responder_error) < 0)) {
		fprintf(stderr, "wgnet: malformed reply from wgnetd: network %zu: ", i);
		cli_print_clean(stderr, jerr.text);
		fputc('\n', stderr);
		return -EBADMSG;
	}
	if (!cli_id_ok(n.id) || !cli_text_ok(n.pool, false) || !cli_text_ok(n.slice, false) ||
	    !cli_text_ok(n.gateway, false) || !cli_text_ok(n.bridge, false) ||
	    !cli_u16_ok(n.mtu) || n.endpoints < 0 ||
	    (n.responder && (!cli_text_ok(n.responder, false) ||
			     !cli_text_ok(n.responder_error, true)))) {
		fprintf(stderr, "wgnet: malformed reply from wgnetd: network %zu has a bad value\n",
			i);
		return -EBADMSG;
	}
	*net = n;
	return 0;
}

/* The host keys added with the mesh; each is optional for an older wgnetd. */
static int cli_parse_host_mesh(json_t *root, struct cli_status *s)
{
	json_error_t jerr;

	s->listen_port = -1;
	s->device_up = -1;
	if (json_unpack_ex(root, &jerr, 0, "{s:{s?s, s?s, s?I, s?s, s?s, s?s, s?b, s?s}}", "host",
			   "name", &s->name, "public_key", &s->public_key, "listen_port",
			   &s->listen_port, "backend", &s->backend, "wireguard", &s->wireguard,
			   "device", &s->device, "device_up", &s->device_up, "next_key",
			   &s->next_key) < 0) {
		cli_malformed(&jerr);
		return -EBADMSG;
	}
	if ((s->name && s->name[0] && !cli_name_ok(s->name)) ||
	    (s->public_key && s->public_key[0] && !cli_key_ok(s->public_key)) ||
	    (s->next_key && !cli_key_ok(s->next_key)) ||
	    (s->listen_port != -1 && !cli_u16_ok(s->listen_port)) ||
	    (s->backend && !cli_text_len_ok(s->backend, CLI_NAME_MAX, false)) ||
	    (s->wireguard && !cli_text_ok(s->wireguard, true)) ||
	    (s->device && !cli_text_len_ok(s->device, CLI_NAME_MAX, false))) {
		cli_fail("malformed reply from wgnetd: bad host name, public key, listen port, "
			 "backend or device value", NULL);
		return -EBADMSG;
	}
	return 0;
}

/* "docker_firewall": {"backend", "seen", "warning"}, optional for an older wgnetd. */
static int cli_parse_docker(json_t *root, struct cli_status *s)
{
	json_t *o = json_object_get(root, "docker_firewall");
	json_error_t jerr;

	if (!o)
		return 0;
	if (json_unpack_ex(o, &jerr, 0, "{s:s, s:s, s:s}", "backend", &s->docker_backend, "seen",
			   &s->docker_seen, "warning", &s->docker_warning) < 0) {
		cli_malformed(&jerr);
		return -EBADMSG;
	}
	if (!cli_text_len_ok(s->docker_backend, CLI_NAME_MAX, false) ||
	    !cli_text_ok(s->docker_seen, true) || !cli_text_ok(s->docker_warning, true)) {
		cli_fail("malformed reply from wgnetd: bad docker_firewall value", NULL);
		return -EBADMSG;
	}
	return 0;
}

static void cli_status_release(struct cli_status *s)
{
	free(s->nets);
	free(s->peers.v);
}

/* Checks the whole /status reply before anything is printed; st borrows root's strings. */
static int cli_parse_status(json_t *root, struct cli_status *st)
{
	struct cli_status s = { 0 };
	json_error_t jerr;
	json_t *nets, *peers = NULL;
	size_t i;
	int ret;

	if (json_unpack_ex(root, &jerr, 0, "{s:{s:I, s:s, s:I}, s:s, s?s, s:I, s:o, s?o}",
			   "host", "index", &s.index, "endpoint", &s.endpoint, "mtu", &s.mtu,
			   "firewall", &s.firewall, "firewall_note", &s.firewall_note,
			   "pending_pools", &s.pending_pools, "networks", &nets, "peers", &peers) < 0) {
		cli_malformed(&jerr);
		return -EBADMSG;
	}
	if (!json_is_array(nets) || !cli_u16_ok(s.index) || !cli_u16_ok(s.mtu) ||
	    !cli_text_ok(s.endpoint, true) || !cli_text_ok(s.firewall, false) ||
	    (s.firewall_note && !cli_text_ok(s.firewall_note, true)) || s.pending_pools < 0) {
		cli_fail("malformed reply from wgnetd: bad host, firewall or networks value", NULL);
		return -EBADMSG;
	}
	ret = cli_parse_host_mesh(root, &s);
	if (ret == 0)
		ret = cli_parse_docker(root, &s);
	if (ret < 0)
		return ret;
	s.store = json_object_get(root, "store");
	if (s.store && !json_is_object(s.store))
		s.store = NULL;
	s.names = json_object_get(root, "names");
	if (s.names && !json_is_object(s.names))
		s.names = NULL;
	if (peers) {
		ret = cli_parse_peers(peers, &s.peers);
		if (ret < 0)
			return ret;
		s.has_peers = true;
	}
	s.n_nets = json_array_size(nets);
	if (s.n_nets) {
		s.nets = calloc(s.n_nets, sizeof(*s.nets));
		if (!s.nets) {
			cli_fail("out of memory", NULL);
			ret = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < s.n_nets; i++) {
		ret = cli_parse_network(json_array_get(nets, i), i, &s.nets[i]);
		if (ret < 0)
			goto out;
	}
	*st = s;
	return 0;
out:
	cli_status_release(&s);
	return ret;
}

/* "          name h2   listen port 51820   public key K": the keys this wgnetd sent. */
static void cli_print_host_mesh(const struct cli_status *s)
{
	const char *sep = "          ";

	if (s->name || s->listen_port >= 0 || s->public_key) {
		if (s->name) {
			printf("%sname %s", sep, s->name[0] ? s->name : "(none)");
			sep = "   ";
		}
		if (s->listen_port > 0)
			printf("%slisten port %lld", sep, (long long)s->listen_port);
		else if (s->listen_port == 0)
			printf("%slisten port (default)", sep);
		if (s->listen_port >= 0)
			sep = "   ";
		if (s->public_key)
			printf("%spublic key %s", sep, s->public_key[0] ? s->public_key : "(none)");
		putchar('\n');
	}
	sep = "          ";
	if (s->device || s->device_up >= 0 || s->backend) {
		if (s->device || s->device_up >= 0) {
			printf("%sdevice", sep);
			if (s->device)
				printf(" %s", s->device);
			if (s->device_up >= 0)
				printf(" %s", s->device_up ? "up" : "down");
			sep = "   ";
		}
		if (s->backend)
			printf("%sbackend %s", sep, s->backend);
		putchar('\n');
	}
	if (s->wireguard && s->wireguard[0])
		printf("          wireguard-go %s\n", s->wireguard);
	if (s->next_key)
		printf("          key rotation under way: new key %s\n", s->next_key);
}

/* "store     https://...   reachable   revision 12   4 hosts" and why not / what waits */
static void cli_print_store(json_t *st)
{
	const char *urls = json_string_value(json_object_get(st, "urls"));
	const char *state = json_string_value(json_object_get(st, "state"));
	const char *err = json_string_value(json_object_get(st, "error"));

	printf("store     %s   %s   revision %lld   %lld hosts\n",
	       urls && cli_text_ok(urls, false) ? urls : "?",
	       state && cli_text_ok(state, false) ? state : "?",
	       (long long)json_integer_value(json_object_get(st, "revision")),
	       (long long)json_integer_value(json_object_get(st, "hosts")));
	if (err && err[0] && cli_text_ok(err, false))
		printf("          %s\n", err);
	if (json_is_true(json_object_get(st, "leave_pending")))
		printf("          leave pending: applies when the store answers\n");
	if (json_is_true(json_object_get(st, "removed")))
		printf("          this host was removed from the store: wgnet init --store joins "
		       "again\n");
}

/* "names     Docker 20.10.24, API 1.41   2 here, 5 from other hosts" and each responder */
static void cli_print_names(const struct cli_status *s)
{
	const char *api = json_string_value(json_object_get(s->names, "docker_api"));
	const char *ver = json_string_value(json_object_get(s->names, "docker_version"));
	const char *err = json_string_value(json_object_get(s->names, "docker_error"));
	const char *sock = json_string_value(json_object_get(s->names, "docker_socket"));

	if (!sock || !sock[0] || !cli_text_ok(sock, false))
		printf("names     not read from Docker (wgnetd --docker-socket \"\")");
	else if (api && api[0] && cli_text_ok(api, false) && ver && cli_text_ok(ver, true))
		printf("names     Docker %s, API %s on %s", ver, api, sock);
	else
		printf("names     Docker on %s not read", sock);
	printf("   %lld here, %lld from other hosts (wgnet names)\n",
	       (long long)json_integer_value(json_object_get(s->names, "local")),
	       (long long)json_integer_value(json_object_get(s->names, "remote")));
	if (err && err[0] && cli_text_ok(err, false))
		printf("          %s\n", err);
	for (size_t i = 0; i < s->n_nets; i++) {
		const struct cli_network *n = &s->nets[i];

		if (!n->responder)
			continue;
		printf("          responder %s (pool %s) %s%s\n", n->responder, n->pool,
		       n->listening ? "listening on port 53" : "NOT listening: ",
		       n->listening ? "" : n->responder_error);
	}
}

static int cli_print_status(const struct cli_status *s)
{
	bool note = s->firewall_note && s->firewall_note[0];
	bool ok = strcmp(s->firewall, "ok") == 0;
	size_t i;
	int ret;

	if (strcmp(s->firewall, "failed") == 0)
		printf("WARNING   firewall failed: table inet wgnet could not be built, so no peer "
		       "is configured, the tunnel carries nothing and wgnet's DOCKER-USER rules are "
		       "off (see wgnetd's log)\n");
	else if (!ok)
		printf("WARNING   firewall %s: table inet wgnet is not in place (deleted by another "
		       "program?); wgnetd rebuilds it within seconds\n", s->firewall);
	if (!ok && note)
		printf("          %s\n", s->firewall_note);
	if (s->docker_warning && s->docker_warning[0])
		printf("WARNING   %s\n", s->docker_warning);
	if (!ok || (s->docker_warning && s->docker_warning[0]))
		putchar('\n');
	if (s->index == 0)
		printf("host      (not initialised: run wgnet init --index N)   firewall %s\n",
		       s->firewall);
	else
		printf("host      index %lld   endpoint %s   mtu %lld   firewall %s\n",
		       (long long)s->index, s->endpoint[0] ? s->endpoint : "(none)",
		       (long long)s->mtu, s->firewall);
	cli_print_host_mesh(s);
	if (ok && note)
		printf("firewall  ok (%s)\n", s->firewall_note);
	if (s->docker_backend)
		printf("docker    firewall backend %s (%s)\n",
		       strcmp(s->docker_backend, "none") == 0 ? "none seen" : s->docker_backend,
		       s->docker_seen);
	if (s->store)
		cli_print_store(s->store);
	if (s->has_peers) {
		putchar('\n');
		ret = cli_print_peers(&s->peers);
		if (ret < 0)
			return ret;
	}
	putchar('\n');
	if (s->pending_pools > 0)
		printf("pending   %lld pool%s requested by dockerd, no network yet\n",
		       (long long)s->pending_pools, s->pending_pools == 1 ? "" : "s");
	if (s->n_nets == 0) {
		printf("no networks\n");
		if (s->names) {
			putchar('\n');
			cli_print_names(s);
		}
		return 0;
	}
	printf("%-12s  %-15s %-15s %-12s %-14s %-5s %s\n", "NETWORK", "POOL", "SLICE", "GATEWAY",
	       "BRIDGE", "MTU", "ENDPOINTS");
	for (i = 0; i < s->n_nets; i++) {
		const struct cli_network *n = &s->nets[i];

		printf("%-12.12s  %-15s %-15s %-12s %-14s %-5lld %lld%s%s\n", n->id, n->pool,
		       n->slice, n->gateway, n->bridge, (long long)n->mtu, (long long)n->endpoints,
		       n->internal ? "  (internal)" : "", n->bridge_up ? "" : "  (bridge missing)");
	}
	if (s->names) {
		putchar('\n');
		cli_print_names(s);
	}
	return 0;
}

int cli_cmd_status(int argc, char **argv, int i, struct cli_socket *sock)
{
	struct cli_status st = { 0 };
	bool as_json = false, help = false;
	json_t *root = NULL;
	int r;

	r = cli_plain_args(argc, argv, i, sock, CLI_USAGE_STATUS, "status", "--json", &as_json, NULL,
			   &help);
	if (r != CLI_EXIT_OK || help)
		return r;
	if (cli_request(sock, "/status", NULL, &root) < 0)
		return CLI_EXIT_FAIL;
	r = cli_parse_status(root, &st);
	if (r == 0) {
		if (as_json)
			cli_print_json(root);
		else
			r = cli_print_status(&st);
	}
	cli_status_release(&st);
	json_decref(root);
	return r < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
