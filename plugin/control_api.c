/* SPDX-License-Identifier: MIT */
/* The wgnet CLI's API: strict JSON (a typo is an error), answers for humans and scripts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/store.h"
#include "plugin/api.h"
#include "plugin/api_json.h"
#include "plugin/events_api.h"
#include "plugin/requests.h"

/* The host keys of init; the index is optional with a store (the lowest free one). */
static int parse_host_keys(const json_t *req, bool index_required, struct host_init_req *out,
			   struct errbuf *e)
{
	struct host_init_req r = { 0 };
	long long index, mtu, port;
	const char *endpoint, *name;
	int ret;

	if ((ret = api_json_int(req, "index", index_required, 1, 65535, 0, &index, e)) < 0 ||
	    (ret = api_json_string(req, "endpoint", false, STATE_HOST_ENDPOINT_MAX - 1, &endpoint,
				   e)) < 0 ||
	    (ret = api_json_int(req, "mtu", false, 576, 65535, 0, &mtu, e)) < 0 ||
	    (ret = api_json_int(req, "listen_port", false, 1, 65535, 0, &port, e)) < 0 ||
	    (ret = api_json_string(req, "name", false, DRIVER_NAME_MAX - 1, &name, e)) < 0)
		return ret;
	r.index = (unsigned)index;
	r.endpoint = endpoint[0] ? endpoint : NULL;
	r.mtu = (unsigned)mtu;
	r.listen_port = (unsigned)port;
	r.name = name[0] ? name : NULL;
	*out = r;
	return 0;
}

/* wgnet init --store: the host keys and the store's. */
static int parse_store_init(const json_t *req, struct store_init_req *out, struct errbuf *e)
{
	static const char *const keys[] = { "index", "endpoint", "mtu", "listen_port", "name",
					    "store", "store_ca", "store_cert", "store_key",
					    "store_insecure_http", "store_no_client_cert", NULL };
	struct store_init_req r = { 0 };
	struct host_init_req h;
	int ret;

	if ((ret = api_json_only_keys(req, keys, e)) < 0 ||
	    (ret = parse_host_keys(req, false, &h, e)) < 0 ||
	    (ret = api_json_string(req, "store", true, 2047, &r.urls, e)) < 0 ||
	    (ret = api_json_string(req, "store_ca", false, 4095, &r.ca, e)) < 0 ||
	    (ret = api_json_string(req, "store_cert", false, 4095, &r.cert, e)) < 0 ||
	    (ret = api_json_string(req, "store_key", false, 4095, &r.key, e)) < 0 ||
	    (ret = api_json_bool(req, "store_insecure_http", &r.insecure_http, e)) < 0 ||
	    (ret = api_json_bool(req, "store_no_client_cert", &r.no_client_cert, e)) < 0)
		return ret;
	r.index = h.index;
	r.endpoint = h.endpoint;
	r.mtu = h.mtu;
	r.listen_port = h.listen_port;
	r.name = h.name;
	*out = r;
	return 0;
}

int control_api_parse_init(const json_t *req, struct host_init_req *out, struct errbuf *e)
{
	static const char *const keys[] = { "index", "endpoint", "mtu", "listen_port", "name",
					    NULL };
	int ret;

	if ((ret = api_json_only_keys(req, keys, e)) < 0)
		return ret;
	return parse_host_keys(req, true, out, e);
}

int control_api_parse_peer_add(const json_t *req, struct peer_add_req *out, struct errbuf *e)
{
	static const char *const keys[] = { "join_line", "endpoint", "no_endpoint", "keepalive",
					    NULL };
	struct peer_add_req r = { 0 };
	long long keepalive;
	int ret;

	if ((ret = api_json_only_keys(req, keys, e)) < 0 ||
	    (ret = api_json_string(req, "join_line", true, DRIVER_JOIN_LINE_MAX - 1, &r.join_line,
				   e)) < 0 ||
	    (ret = api_json_string(req, "endpoint", false, STATE_HOST_ENDPOINT_MAX - 1,
				   &r.endpoint, e)) < 0 ||
	    (ret = api_json_bool(req, "no_endpoint", &r.no_endpoint, e)) < 0 ||
	    (ret = api_json_int(req, "keepalive", false, 0, 65535, -1, &keepalive, e)) < 0)
		return ret;
	if (r.no_endpoint && r.endpoint[0])
		return errbuf_set(e, -EINVAL, "endpoint and no_endpoint exclude each other");
	r.keepalive = (int)keepalive;
	*out = r;
	return 0;
}

static json_t *network_json(const struct status_network *n)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:i, s:b, s:I, s:{s:s, s:b, s:s}}",
			 "network_id", n->network_id, "pool", n->pool, "slice", n->slice,
			 "gateway", n->gateway, "bridge", n->bridge, "bridge_up", n->bridge_up,
			 "mtu", (int)n->mtu, "internal", n->internal,
			 "endpoints", (json_int_t)n->endpoints, "responder", "address",
			 n->responder, "listening", n->responder_up, "error", n->responder_error);
}

/* The names served: where they come from, how many, what was asked. */
static json_t *names_json(const struct status_names *n)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "docker_socket", n->docker_socket, "docker_api", n->docker_api,
			 "docker_version", n->docker_version, "docker_error", n->docker_error,
			 "local", (json_int_t)n->local, "remote", (json_int_t)n->remote,
			 "queries", (json_int_t)n->queries, "answered", (json_int_t)n->answered,
			 "refused", (json_int_t)n->refused,
			 "peer_queries", (json_int_t)n->peer_queries);
}

/* GET /names: every name served, with its address, pool and host (0: this one) */
static int names(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	struct driver_name *v = NULL;
	json_t *a = json_array();
	size_t n = 0;
	int ret;

	(void)req;
	ret = a ? driver_names_list(d, &v, &n, e) : errbuf_set(e, -ENOMEM, "out of memory");
	for (size_t i = 0; ret == 0 && i < n; i++)
		if (json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:i}", "name", v[i].name,
						       "address", v[i].addr, "pool", v[i].pool,
						       "host", (int)v[i].host)) < 0)
			ret = errbuf_set(e, -ENOMEM, "out of memory");
	free(v);
	*reply = ret == 0 ? json_pack("{s:o}", "names", a) : NULL;
	if (ret < 0)
		json_decref(a);
	return ret < 0 ? ret : *reply ? 0 : errbuf_set(e, -ENOMEM, "out of memory");
}

static json_t *peer_json(const struct status_peer *p)
{
	json_t *o, *ips = json_array();
	time_t now = time(NULL);

	for (size_t i = 0; ips && i < p->nallowed_ips; i++)
		json_array_append_new(ips, json_string(p->allowed_ips[i]));
	o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:i, s:I, s:o, s:I, s:I, s:o, s:b}",
		      "name", p->name, "index", (int)p->index, "public_key", p->public_key,
		      "endpoint", p->endpoint, "configured_endpoint", p->configured_endpoint,
		      "keepalive", (int)p->keepalive, "latest_handshake",
		      (json_int_t)p->latest_handshake, "handshake_age",
		      p->latest_handshake ? json_integer(now - p->latest_handshake) : json_null(),
		      "rx_bytes", (json_int_t)p->rx_bytes, "tx_bytes", (json_int_t)p->tx_bytes,
		      "allowed_ips", ips ? ips : json_array(), "up", driver_peer_up(p));
	if (o) {
		json_object_set_new(o, "source", json_string(p->from_store ? "store" : "join line"));
		json_object_set_new(o, "alive", p->alive < 0 ? json_null() : json_boolean(p->alive));
		json_object_set_new(o, "next_key", p->next_key[0] ? json_string(p->next_key) :
								    json_null());
	}
	return o;
}

static json_t *peers_json(const struct driver_status *st)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < st->npeers; i++) {
		if (json_array_append_new(a, peer_json(&st->peers[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *host_ports_json(const struct driver_host_ports *h)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < h->n; i++) {
		if (json_array_append_new(a, json_string(h->v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static const char *firewall_word(const struct driver_status *st)
{
	return st->firewall_failed ? "failed" : st->firewall_ok ? "ok" : "missing";
}

static int status(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	struct driver_status st = { 0 };
	json_t *out, *nets;
	int ret;

	(void)req;
	ret = driver_status_get(d, &st, e);
	if (ret < 0)
		return ret;
	out = json_pack("{s:{s:i, s:s, s:i, s:s, s:s, s:i, s:s, s:s, s:s, s:b, s:s}, s:s, s:s, s:o, "
			"s:I, s:o, s:[]}",
			"host", "index", (int)st.host_index, "endpoint", st.host_endpoint,
			"mtu", (int)st.mtu, "name", st.host_name, "public_key", st.public_key,
			"listen_port", (int)st.listen_port, "backend", st.backend,
			"wireguard", st.wg_problem,
			"device", "wgnet0", "device_up", st.device_up, "join_line", st.join_line,
			"firewall", firewall_word(&st), "firewall_note", st.firewall_note,
			"host_allow", host_ports_json(&st.host_allow),
			"pending_pools", (json_int_t)st.pending_pools, "peers", peers_json(&st),
			"networks");
	if (out && st.next_key[0])
		json_object_set_new(json_object_get(out, "host"), "next_key",
				    json_string(st.next_key));
	nets = out ? json_object_get(out, "networks") : NULL;
	for (size_t i = 0; nets && i < st.nnetworks; i++) {
		if (json_array_append_new(nets, network_json(&st.networks[i])) < 0) {
			json_decref(out);
			out = NULL;
		}
	}
	if (out)
		json_object_set_new(out, "docker_firewall", json_pack(
			"{s:s, s:s, s:s}", "backend", st.docker_firewall[0] ? st.docker_firewall :
			"none", "seen", st.docker_firewall_seen, "warning",
			st.docker_forward_warning));
	if (out)
		json_object_set_new(out, "names", names_json(&st.names));
	if (out && st.store.configured | st.store.leave_pending)
		json_object_set_new(out, "store", json_pack(
			"{s:s, s:s, s:s, s:I, s:I, s:b, s:b}", "urls", st.store.urls, "state",
			st.store.reachable ? "reachable" : "unreachable", "error", st.store.error,
			"revision", (json_int_t)st.store.revision, "hosts",
			(json_int_t)st.store.hosts, "leave_pending", st.store.leave_pending,
			"removed", st.store.removed));
	driver_status_release(&st);
	if (!out)
		return errbuf_set(e, -ENOMEM, "out of memory");
	*reply = out;
	return 0;
}

static int peers(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	struct driver_status st = { 0 };
	int ret;

	(void)req;
	ret = driver_status_get(d, &st, e);
	if (ret < 0)
		return ret;
	*reply = json_pack("{s:o}", "peers", peers_json(&st));
	driver_status_release(&st);
	return *reply ? 0 : errbuf_set(e, -ENOMEM, "out of memory");
}

/* Networks made before an MTU change keep theirs: named, so that the user can act. */
static json_t *networks_other_mtu(const struct driver_status *st)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < st->nnetworks; i++) {
		const struct status_network *n = &st->networks[i];

		if (n->mtu != st->mtu &&
		    json_array_append_new(a, json_pack("{s:s, s:s, s:i}", "network", n->network_id,
						       "bridge", n->bridge, "mtu", (int)n->mtu)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static int init_reply(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	struct driver_status st = { 0 };
	struct host_init_req r;
	json_t *other;
	int ret;

	if (json_object_get(req, "store")) {
		struct store_init_req sr;

		ret = parse_store_init(req, &sr, e);
		if (ret == 0)
			ret = driver_store_init(d, &sr, e);
	} else {
		ret = control_api_parse_init(req, &r, e);
		if (ret == 0)
			ret = driver_host_init(d, &r, e);
	}
	if (ret < 0)
		return ret;
	ret = driver_status_get(d, &st, e);
	if (ret < 0)
		return ret;
	other = networks_other_mtu(&st);
	*reply = other ? json_pack("{s:i, s:s, s:i, s:s, s:o, s:i, s:s, s:s, s:s, s:s}", "index",
				   (int)st.host_index, "endpoint", st.host_endpoint, "mtu",
				   (int)st.mtu, "mtu_from", st.mtu_from, "networks_other_mtu", other,
				   "listen_port", (int)st.listen_port, "name", st.host_name,
				   "public_key", st.public_key, "join_line", st.join_line, "backend",
				   st.backend) : NULL;
	driver_status_release(&st);
	return *reply ? 0 : errbuf_set(e, -ENOMEM, "out of memory");
}

static int join_line(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	char line[DRIVER_JOIN_LINE_MAX];
	int ret;

	(void)req;
	ret = driver_join_line(d, line, e);
	if (ret < 0)
		return ret;
	*reply = json_pack("{s:s}", "join_line", line);
	return *reply ? 0 : errbuf_set(e, -ENOMEM, "out of memory");
}

static int peer_add(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	char name[DRIVER_NAME_MAX];
	struct peer_add_req r;
	bool rotates = false;
	int ret;

	ret = control_api_parse_peer_add(req, &r, e);
	if (ret == 0)
		ret = driver_peer_add(d, &r, name, &rotates, e);
	if (ret < 0)
		return ret;
	*reply = json_pack("{s:s, s:b}", "name", name, "rotates", rotates);
	return *reply ? 0 : errbuf_set(e, -ENOMEM, "out of memory");
}

static int peer_rm(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	static const char *const keys[] = { "peer", NULL };
	char name[DRIVER_NAME_MAX];
	const char *peer;
	int ret;

	if ((ret = api_json_only_keys(req, keys, e)) < 0 ||
	    (ret = api_json_string(req, "peer", true, 128, &peer, e)) < 0 ||
	    (ret = driver_peer_rm(d, peer, name, e)) < 0)
		return ret;
	*reply = json_pack("{s:s}", "name", name);
	return *reply ? 0 : errbuf_set(e, -ENOMEM, "out of memory");
}

/* GET /host/allowed: the list; POST /host/allow and /host/deny {"port": "tcp/53"}: change it */
static int host_ports(struct driver *d, const json_t *req, bool allow, json_t **reply,
		      struct errbuf *e)
{
	static const char *const keys[] = { "port", NULL };
	struct driver_host_ports out = { 0 };
	const char *port = NULL;
	int ret;

	if (req && ((ret = api_json_only_keys(req, keys, e)) < 0 ||
		    (ret = api_json_string(req, "port", true, STATE_PORT_STR_MAX + 8, &port,
					   e)) < 0))
		return ret;
	ret = driver_host_allow(d, port, allow, &out, e);
	if (ret < 0)
		return ret;
	*reply = json_pack("{s:o}", "host_allow", host_ports_json(&out));
	return *reply ? 0 : errbuf_set(e, -ENOMEM, "out of memory");
}

static int host_list(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	(void)req;
	return host_ports(d, NULL, false, reply, e);
}

static int host_allow(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	return host_ports(d, req, true, reply, e);
}

static int host_deny(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	return host_ports(d, req, false, reply, e);
}

static int leave(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	static const char *const keys[] = { NULL };
	int ret;

	if ((ret = api_json_only_keys(req, keys, e)) < 0 || (ret = driver_store_leave(d, e)) < 0)
		return ret;
	*reply = json_object();
	return *reply ? 0 : errbuf_set(e, -ENOMEM, "out of memory");
}

static int host_rm(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	static const char *const keys[] = { "name", NULL };
	const char *name;
	int ret;

	if ((ret = api_json_only_keys(req, keys, e)) < 0 ||
	    (ret = api_json_string(req, "name", true, DRIVER_NAME_MAX - 1, &name, e)) < 0 ||
	    (ret = driver_store_host_rm(d, name, e)) < 0)
		return ret;
	*reply = json_pack("{s:s}", "name", name);
	return *reply ? 0 : errbuf_set(e, -ENOMEM, "out of memory");
}

/* POST /key/rotate {"finish": bool}: the reply says what happened and what the others need */
static int key_rotate(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	static const char *const keys[] = { "finish", NULL };
	struct key_rotate_req r = { 0 };
	struct key_rotate_reply out;
	int ret;

	if ((ret = api_json_only_keys(req, keys, e)) < 0 ||
	    (ret = api_json_bool(req, "finish", &r.finish, e)) < 0 ||
	    (ret = driver_key_rotate(d, &r, &out, e)) < 0)
		return ret;
	*reply = json_pack("{s:s, s:s, s:b, s:b, s:I, s:I, s:s, s:I, s:I, s:s}", "old_key",
			   out.old_key, "new_key", out.new_key, "store", out.store, "switched",
			   out.switched, "hosts", (json_int_t)out.hosts, "acked",
			   (json_int_t)out.acked, "missing", out.missing, "wait_ms",
			   (json_int_t)out.wait_ms, "line_peers", (json_int_t)out.line_peers,
			   "join_line", out.join_line);
	return *reply ? 0 : errbuf_set(e, -ENOMEM, "out of memory");
}

/* POST /hosts/revoke {"host": "NAME" or a base64 key} */
static int host_revoke(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	static const char *const keys[] = { "host", NULL };
	struct host_revoke_reply out = { 0 };
	const char *host;
	int ret;

	if ((ret = api_json_only_keys(req, keys, e)) < 0 ||
	    (ret = api_json_string(req, "host", true, DRIVER_NAME_MAX - 1, &host, e)) < 0 ||
	    (ret = driver_host_revoke(d, host, &out, e)) < 0)
		return ret;
	*reply = json_pack("{s:s, s:i, s:I, s:b}", "name", out.name, "index", (int)out.index,
			   "keys", (json_int_t)out.keys, "removed", out.removed);
	return *reply ? 0 : errbuf_set(e, -ENOMEM, "out of memory");
}

const struct api_route control_api_routes[] = {
	{ "POST", "/leave", true, leave },
	{ "POST", "/hosts/rm", true, host_rm },
	{ "POST", "/hosts/revoke", true, host_revoke },
	{ "POST", "/key/rotate", true, key_rotate },
	{ "POST", "/init", true, init_reply },
	{ "GET", "/status", false, status },
	{ "GET", "/join-line", false, join_line },
	{ "GET", "/peers", false, peers },
	{ "GET", "/names", false, names },
	{ "POST", "/peers/add", true, peer_add },
	{ "POST", "/peers/rm", true, peer_rm },
	{ "GET", "/host/allowed", false, host_list },
	{ "POST", "/host/allow", true, host_allow },
	{ "POST", "/host/deny", true, host_deny },
};
const size_t control_api_nroutes = sizeof(control_api_routes) / sizeof(control_api_routes[0]);
const struct api_raw_route control_api_raw_routes[] = {
	{ "GET", "/events", events_api_serve },
};
const size_t control_api_nraw_routes =
	sizeof(control_api_raw_routes) / sizeof(control_api_raw_routes[0]);
