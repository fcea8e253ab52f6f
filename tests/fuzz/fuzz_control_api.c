/* SPDX-License-Identifier: MIT */
/* libFuzzer: the control API's request parsers (wgnet init, wgnet peer add). */
#include <stdint.h>

#include "plugin/api_json.h"
#include "plugin/requests.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host_init_req init;
	struct peer_add_req peer;
	struct errbuf e = { 0 };
	json_t *root;

	if (api_json_load((const char *)data, size, &root, &e) < 0)
		return 0;
	control_api_parse_init(root, &init, &e);
	control_api_parse_peer_add(root, &peer, &e);
	json_decref(root);
	return 0;
}
