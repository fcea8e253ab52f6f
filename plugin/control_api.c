/* SPDX-License-Identifier: MIT */
/* The wgnet CLI's API: strict JSON (a typo is an error), answers for humans and scripts. */
#include <errno.h>
#include <string.h>

#include "plugin/api.h"
#include "plugin/api_json.h"
#include "plugin/requests.h"

int parse_init(const json_t *req, struct host_init_req *out, struct errbuf *e)
{
	static const char *const keys[] = { "index", "endpoint", "mtu", NULL };
	struct host_init_req r = { 0 };
	long long index, mtu;
	const char *endpoint;
	int ret;

	if ((ret = api_json_only_keys(req, keys, e)) < 0 ||
	    (ret = api_json_int(req, "index", true, 1, 65535, 0, &index, e)) < 0 ||
	    (ret = api_json_string(req, "endpoint", false, STATE_HOST_ENDPOINT_MAX - 1, &endpoint,
				   e)) < 0 ||
	    (ret = api_json_int(req, "mtu", false, 576, 65535, 0, &mtu, e)) < 0)
		return ret;
	r.index = (unsigned)index;
	r.endpoint = endpoint[0] ? endpoint : NULL;
	r.mtu = (unsigned)mtu;
	*out = r;
	return 0;
}

static json_t *network_json(const struct status_network *n)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:i, s:b, s:I}",
			 "network_id", n->network_id, "pool", n->pool, "slice", n->slice,
			 "gateway", n->gateway, "bridge", n->bridge, "bridge_up", n->bridge_up,
			 "mtu", (int)n->mtu, "internal", n->internal,
			 "endpoints", (json_int_t)n->endpoints);
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
	out = json_pack("{s:{s:i, s:s, s:i}, s:s, s:I, s:[]}",
			"host", "index", (int)st.host_index, "endpoint", st.host_endpoint,
			"mtu", (int)st.mtu, "firewall", st.firewall_ok ? "ok" : "missing",
			"pending_pools", (json_int_t)st.pending_pools, "networks");
	nets = out ? json_object_get(out, "networks") : NULL;
	for (size_t i = 0; nets && i < st.nnetworks; i++) {
		if (json_array_append_new(nets, network_json(&st.networks[i])) < 0) {
			json_decref(out);
			out = NULL;
		}
	}
	driver_status_release(&st);
	if (!out)
		return errbuf_set(e, -ENOMEM, "out of memory");
	*reply = out;
	return 0;
}

static int init_reply(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	struct driver_status st = { 0 };
	struct host_init_req r;
	int ret;

	ret = parse_init(req, &r, e);
	if (ret == 0)
		ret = driver_host_init(d, &r, e);
	if (ret < 0)
		return ret;
	ret = driver_status_get(d, &st, e);
	if (ret < 0)
		return ret;
	*reply = json_pack("{s:i, s:s, s:i}", "index", (int)st.host_index, "endpoint",
			   st.host_endpoint, "mtu", (int)st.mtu);
	driver_status_release(&st);
	return 0;
}

const struct api_route control_api_routes[] = {
	{ "POST", "/init", true, init_reply },
	{ "GET", "/status", false, status },
};
const size_t control_api_nroutes = sizeof(control_api_routes) / sizeof(control_api_routes[0]);
