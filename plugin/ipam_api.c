/* SPDX-License-Identifier: MIT */
/* IpamDriver.*: every failure is a 4xx/5xx (the IPAM proxy ignores "Err" in a 200 reply). */
#include <errno.h>
#include <string.h>

#include "driver/ipam.h"
#include "plugin/api.h"
#include "plugin/api_json.h"
#include "plugin/requests.h"

#define GATEWAY_TYPE "com.docker.network.gateway"

static int capabilities(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	(void)d;
	(void)req;
	(void)e;
	/* Replays after a dockerd restart re-reserve pools and addresses: our IDs are derived. */
	*reply = json_pack("{s:b, s:b}", "RequiresMACAddress", 0, "RequiresRequestReplay", 1);
	return 0;
}

static int address_spaces(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	(void)d;
	(void)req;
	(void)e;
	*reply = json_pack("{s:s, s:s}", "LocalDefaultAddressSpace", DRIVER_ADDRESS_SPACE_LOCAL,
			   "GlobalDefaultAddressSpace", DRIVER_ADDRESS_SPACE_GLOBAL);
	return 0;
}

int ipam_api_parse_request_pool(const json_t *req, struct ipam_pool_req *out, struct errbuf *e)
{
	struct ipam_pool_req r = { 0 };
	const json_t *options, *slice;
	int ret;

	if ((ret = api_json_string(req, "AddressSpace", false, 64, &r.address_space, e)) < 0 ||
	    (ret = api_json_string(req, "Pool", true, 64, &r.pool, e)) < 0 ||
	    (ret = api_json_string(req, "SubPool", false, 64, &r.sub_pool, e)) < 0 ||
	    (ret = api_json_object(req, "Options", false, &options, e)) < 0 ||
	    (ret = api_json_bool(req, "V6", &r.v6, e)) < 0)
		return ret;
	slice = options ? json_object_get(options, IPAM_SLICE_OPTION) : NULL;
	if (slice && !json_is_string(slice))
		return errbuf_set(e, -EINVAL, "option %s must be a string such as \"24\"",
				  IPAM_SLICE_OPTION);
	r.slice_opt = slice ? json_string_value(slice) : NULL;
	*out = r;
	return 0;
}

static int request_pool(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	struct ipam_pool_req r;
	struct ipam_pool_reply out = { 0 };
	int ret;

	ret = ipam_api_parse_request_pool(req, &r, e);
	if (ret < 0)
		return ret;
	ret = driver_ipam_request_pool(d, &r, &out, e);
	if (ret < 0)
		return ret;
	*reply = json_pack("{s:s, s:s, s:{}}", "PoolID", out.pool_id, "Pool", out.pool, "Data");
	return 0;
}

int ipam_api_parse_pool_id(const json_t *req, const char **id, struct errbuf *e)
{
	return api_json_string(req, "PoolID", true, DRIVER_POOL_ID_MAX, id, e);
}

static int release_pool(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	const char *id;
	int ret;

	(void)reply;
	ret = ipam_api_parse_pool_id(req, &id, e);
	return ret < 0 ? ret : driver_ipam_release_pool(d, id, e);
}

int ipam_api_parse_request_address(const json_t *req, struct ipam_addr_req *out, struct errbuf *e)
{
	struct ipam_addr_req r = { 0 };
	const json_t *options;
	const char *type = "";
	int ret;

	if ((ret = api_json_string(req, "PoolID", true, DRIVER_POOL_ID_MAX, &r.pool_id, e)) < 0 ||
	    (ret = api_json_string(req, "Address", true, 64, &r.address, e)) < 0 ||
	    (ret = api_json_object(req, "Options", false, &options, e)) < 0 ||
	    (options && (ret = api_json_string(options, "RequestAddressType", false, 64, &type,
					       e)) < 0))
		return ret;
	r.gateway = strcmp(type, GATEWAY_TYPE) == 0;
	*out = r;
	return 0;
}

static int request_address(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	struct ipam_addr_req r;
	char out[CIDR_STR_MAX];
	int ret;

	ret = ipam_api_parse_request_address(req, &r, e);
	if (ret < 0)
		return ret;
	ret = driver_ipam_request_address(d, &r, out, e);
	if (ret < 0)
		return ret;
	*reply = json_pack("{s:s, s:{}}", "Address", out, "Data");
	return 0;
}

int ipam_api_parse_release_address(const json_t *req, const char **id, const char **addr,
				   struct errbuf *e)
{
	int ret = ipam_api_parse_pool_id(req, id, e);

	return ret < 0 ? ret : api_json_string(req, "Address", true, 64, addr, e);
}

static int release_address(struct driver *d, const json_t *req, json_t **reply, struct errbuf *e)
{
	const char *id, *addr;
	int ret;

	(void)reply;
	ret = ipam_api_parse_release_address(req, &id, &addr, e);
	return ret < 0 ? ret : driver_ipam_release_address(d, id, addr, e);
}

const struct api_route ipam_api_routes[] = {
	{ "POST", "/IpamDriver.GetCapabilities", false, capabilities },
	{ "POST", "/IpamDriver.GetDefaultAddressSpaces", false, address_spaces },
	{ "POST", "/IpamDriver.RequestPool", true, request_pool },
	{ "POST", "/IpamDriver.ReleasePool", true, release_pool },
	{ "POST", "/IpamDriver.RequestAddress", true, request_address },
	{ "POST", "/IpamDriver.ReleaseAddress", true, release_address },
};
const size_t ipam_api_nroutes = sizeof(ipam_api_routes) / sizeof(ipam_api_routes[0]);
