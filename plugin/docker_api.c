/* SPDX-License-Identifier: MIT */
/* Plugin.Activate and NetworkDriver.*: shapes checked here, meaning checked by the driver. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/api.h"
#include "plugin/api_json.h"
#include "plugin/requests.h"

#define GENERIC_OPTIONS "com.docker.network.generic"
#define MTU_OPTION "com.docker.network.driver.mtu"

static int activate(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	(void)req;
	(void)e;
	driver_activated(d);
	*reply = json_pack("{s:[s,s]}", "Implements", "NetworkDriver", "IpamDriver");
	return 0;
}

static int capabilities(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	(void)d;
	(void)req;
	(void)e;
	/* local: "global" needs Swarm. Connectivity spans hosts through the mesh. */
	*reply = json_pack("{s:s, s:s}", "Scope", "local", "ConnectivityScope", "global");
	return 0;
}

static int swarm_only(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	(void)d;
	(void)req;
	(void)reply;
	return errbuf_set(e, -EOPNOTSUPP, "wgnet is a local-scope driver: Swarm network "
			  "allocation is not supported");
}

static int nothing(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	(void)d;
	(void)req;
	(void)reply;
	(void)e;
	return 0;	/* DiscoverNew/DiscoverDelete: Swarm node events, nothing to do */
}

/* The MTU option: a string as `-o com.docker.network.driver.mtu=1400` sends it. */
static int generic_mtu(const json_t *options, const char **mtu, struct errbuf *e)
{
	const json_t *generic, *v;
	int ret;

	*mtu = NULL;
	if (!options)
		return 0;
	ret = api_json_object(options, GENERIC_OPTIONS, false, &generic, e);
	if (ret < 0 || !generic)
		return ret;
	v = json_object_get(generic, MTU_OPTION);
	if (!v)
		return 0;
	if (!json_is_string(v))
		return errbuf_set(e, -EINVAL, "option %s must be a string", MTU_OPTION);
	*mtu = json_string_value(v);
	return 0;
}

static int array_len(const json_t *req, const char *key, size_t *n, struct errbuf *e)
{
	const json_t *v = json_object_get(req, key);

	*n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return errbuf_set(e, -EINVAL, "%s must be an array", key);
	*n = json_array_size(v);
	return 0;
}

int docker_api_parse_create_network(const json_t *req, struct network_create_req *out,
				    struct errbuf *e)
{
	struct network_create_req r = { .address_space = "", .pool = "", .gateway = "" };
	const json_t *options, *v4 = NULL;
	int ret;

	if ((ret = api_json_id(req, "NetworkID", &r.network_id, e)) < 0 ||
	    (ret = api_json_object(req, "Options", false, &options, e)) < 0 ||
	    (ret = array_len(req, "IPv4Data", &r.n_ipv4_data, e)) < 0 ||
	    (ret = array_len(req, "IPv6Data", &r.n_ipv6_data, e)) < 0)
		return ret;
	if (options && ((ret = api_json_bool(options, "com.docker.network.enable_ipv6",
					     &r.enable_ipv6, e)) < 0 ||
			(ret = api_json_bool(options, "com.docker.network.internal", &r.internal,
					     e)) < 0 ||
			(ret = generic_mtu(options, &r.mtu, e)) < 0))
		return ret;
	if (r.n_ipv4_data) {
		v4 = json_array_get(json_object_get(req, "IPv4Data"), 0);
		if (!json_is_object(v4))
			return errbuf_set(e, -EINVAL, "IPv4Data[0] must be an object");
		if ((ret = api_json_string(v4, "AddressSpace", false, 64, &r.address_space, e)) < 0 ||
		    (ret = api_json_string(v4, "Pool", true, CIDR_STR_MAX, &r.pool, e)) < 0 ||
		    (ret = api_json_string(v4, "Gateway", false, CIDR_STR_MAX, &r.gateway, e)) < 0)
			return ret;
	}
	*out = r;
	return 0;
}

static int create_network(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	struct network_create_req r;
	int ret;

	(void)reply;
	ret = docker_api_parse_create_network(req, &r, e);
	return ret < 0 ? ret : driver_network_create(d, &r, e);
}

static int delete_network(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	const char *net;
	int ret;

	(void)reply;
	ret = api_json_id(req, "NetworkID", &net, e);
	if (ret < 0)
		return ret;
	return driver_network_delete(d, net, e);
}

int docker_api_parse_ids(const json_t *req, const char **net, const char **ep, struct errbuf *e)
{
	int ret = api_json_id(req, "NetworkID", net, e);

	return ret < 0 ? ret : api_json_id(req, "EndpointID", ep, e);
}

int docker_api_parse_create_endpoint(const json_t *req, struct endpoint_create_req *out,
				     struct errbuf *e)
{
	struct endpoint_create_req r = { 0 };
	const json_t *iface, *options;
	struct port_binding *ports = NULL;
	int ret;

	if ((ret = docker_api_parse_ids(req, &r.network_id, &r.endpoint_id, e)) < 0 ||
	    (ret = api_json_object(req, "Interface", true, &iface, e)) < 0 ||
	    (ret = api_json_string(iface, "Address", true, CIDR_STR_MAX, &r.address, e)) < 0 ||
	    (ret = api_json_string(iface, "AddressIPv6", false, 64, &r.address6, e)) < 0 ||
	    (ret = api_json_string(iface, "MacAddress", false, 17, &r.mac, e)) < 0 ||
	    (ret = api_json_object(req, "Options", false, &options, e)) < 0 ||
	    (ret = api_json_portmap(options, &ports, &r.nports, e)) < 0)
		return ret;
	r.ports = ports;
	*out = r;
	return 0;
}

static int create_endpoint(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	struct endpoint_create_req r;
	struct endpoint_create_reply out = { 0 };
	int ret;

	ret = docker_api_parse_create_endpoint(req, &r, e);
	if (ret < 0)
		return ret;
	ret = driver_endpoint_create(d, &r, &out, e);
	free((void *)r.ports);
	if (ret < 0)
		return ret;
	/* Only fields that arrived empty may be filled in: here the MAC, when we chose it. */
	if (out.mac[0])
		*reply = json_pack("{s:{s:s}}", "Interface", "MacAddress", out.mac);
	else
		*reply = json_pack("{s:n}", "Interface");
	return 0;
}

static int delete_endpoint(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	const char *net, *ep;
	int ret;

	(void)reply;
	ret = docker_api_parse_ids(req, &net, &ep, e);
	return ret < 0 ? ret : driver_endpoint_delete(d, net, ep, e);
}

/* The published ports as Docker writes them (PortBinding), the host ports chosen for -P. */
static json_t *portmap_json(const struct port_binding *v, size_t n)
{
	char ip[CIDR_ADDR_STR_MAX];
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		if (v[i].host_ip)
			cidr_addr_format(v[i].host_ip, ip);
		else
			ip[0] = 0;
		if (json_array_append_new(a, json_pack("{s:i, s:s, s:i, s:s, s:i, s:i}",
						       "Proto", v[i].proto, "IP", "",
						       "Port", v[i].port, "HostIP", ip,
						       "HostPort", v[i].host_port,
						       "HostPortEnd", v[i].host_port_end)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static int endpoint_info(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	struct port_binding *ports = NULL;
	const char *net, *ep;
	size_t n = 0;
	int ret;

	ret = docker_api_parse_ids(req, &net, &ep, e);
	if (ret == 0)
		ret = driver_endpoint_info(d, net, ep, &ports, &n, e);
	if (ret < 0)
		return ret;
	/* dockerd reads docker ps's ports from here (com.docker.network.portmap) */
	*reply = n ? json_pack("{s:{s:o}}", "Value", "com.docker.network.portmap",
			       portmap_json(ports, n)) : json_pack("{s:{}}", "Value");
	free(ports);
	return 0;
}

int docker_api_parse_join(const json_t *req, struct join_req *out, struct errbuf *e)
{
	struct join_req r = { 0 };
	const json_t *options;
	int ret;

	if ((ret = docker_api_parse_ids(req, &r.network_id, &r.endpoint_id, e)) < 0 ||
	    (ret = api_json_string(req, "SandboxKey", true, STATE_SANDBOX_MAX - 1, &r.sandbox_key,
				   e)) < 0 ||
	    (ret = api_json_object(req, "Options", false, &options, e)) < 0)
		return ret;
	*out = r;
	return 0;
}

static int join(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	struct join_req r;
	struct join_reply out = { 0 };
	int ret;

	ret = docker_api_parse_join(req, &r, e);
	if (ret < 0)
		return ret;
	ret = driver_join(d, &r, &out, e);
	if (ret < 0)
		return ret;
	*reply = json_pack("{s:{s:s, s:s}, s:b}", "InterfaceName", "SrcName", out.src_name,
			   "DstPrefix", "eth", "DisableGatewayService", 0);
	if (*reply && out.gateway[0])
		json_object_set_new(*reply, "Gateway", json_string(out.gateway));
	return 0;
}

static int leave(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	const char *net, *ep;
	int ret;

	(void)reply;
	ret = docker_api_parse_ids(req, &net, &ep, e);
	return ret < 0 ? ret : driver_leave(d, net, ep, e);
}

int docker_api_parse_program_external(const json_t *req, struct external_req *out,
				      struct errbuf *e)
{
	struct external_req r = { 0 };
	struct port_binding *ports = NULL;
	const json_t *options;
	int ret;

	if ((ret = docker_api_parse_ids(req, &r.network_id, &r.endpoint_id, e)) < 0 ||
	    (ret = api_json_object(req, "Options", false, &options, e)) < 0 ||
	    (ret = api_json_portmap(options, &ports, &r.nports, e)) < 0)
		return ret;
	r.ports = ports;
	*out = r;
	return 0;
}

static int program_external(struct driver *d, const json_t *req, json_t **reply,
			    struct errbuf *e)
{
	struct external_req r;
	int ret;

	(void)reply;
	ret = docker_api_parse_program_external(req, &r, e);
	if (ret < 0)
		return ret;
	ret = driver_program_external(d, &r, e);
	free((void *)r.ports);
	return ret;
}

static int revoke_external(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	const char *net, *ep;
	int ret;

	(void)reply;
	ret = docker_api_parse_ids(req, &net, &ep, e);
	return ret < 0 ? ret : driver_revoke_external(d, net, ep, e);
}

const struct api_route docker_api_routes[] = {
	{ "POST", "/Plugin.Activate", false, activate },
	{ "POST", "/NetworkDriver.GetCapabilities", false, capabilities },
	{ "POST", "/NetworkDriver.CreateNetwork", true, create_network },
	{ "POST", "/NetworkDriver.DeleteNetwork", true, delete_network },
	{ "POST", "/NetworkDriver.AllocateNetwork", true, swarm_only },
	{ "POST", "/NetworkDriver.FreeNetwork", true, swarm_only },
	{ "POST", "/NetworkDriver.CreateEndpoint", true, create_endpoint },
	{ "POST", "/NetworkDriver.DeleteEndpoint", true, delete_endpoint },
	{ "POST", "/NetworkDriver.EndpointOperInfo", true, endpoint_info },
	{ "POST", "/NetworkDriver.Join", true, join },
	{ "POST", "/NetworkDriver.Leave", true, leave },
	{ "POST", "/NetworkDriver.ProgramExternalConnectivity", true, program_external },
	{ "POST", "/NetworkDriver.RevokeExternalConnectivity", true, revoke_external },
	{ "POST", "/NetworkDriver.DiscoverNew", true, nothing },
	{ "POST", "/NetworkDriver.DiscoverDelete", true, nothing },
};
const size_t docker_api_nroutes = sizeof(docker_api_routes) / sizeof(docker_api_routes[0]);
