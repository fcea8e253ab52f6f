/* SPDX-License-Identifier: MIT */
/* libFuzzer: every IpamDriver request parser on one input. */
#include <stdint.h>

#include "plugin/api_json.h"
#include "plugin/requests.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipam_pool_req pool;
	struct ipam_addr_req addr;
	struct errbuf e = { 0 };
	const char *a, *b;
	json_t *root;

	if (api_json_load((const char *)data, size, &root, &e) < 0)
		return 0;
	ipam_api_parse_request_pool(root, &pool, &e);
	ipam_api_parse_pool_id(root, &a, &e);
	ipam_api_parse_request_address(root, &addr, &e);
	ipam_api_parse_release_address(root, &a, &b, &e);
	json_decref(root);
	return 0;
}
