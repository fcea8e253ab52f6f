/* SPDX-License-Identifier: MIT */
/* libFuzzer: every NetworkDriver request parser on one input (the path does not change them). */
#include <stdint.h>
#include <stdlib.h>

#include "plugin/api_json.h"
#include "plugin/requests.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct network_create_req net;
	struct endpoint_create_req ep;
	struct join_req join;
	struct external_req ext;
	struct errbuf e = { 0 };
	const char *a, *b;
	json_t *root;

	if (api_json_load((const char *)data, size, &root, &e) < 0)
		return 0;
	docker_api_parse_create_network(root, &net, &e);
	docker_api_parse_ids(root, &a, &b, &e);
	if (docker_api_parse_create_endpoint(root, &ep, &e) == 0)
		free((void *)ep.ports);
	docker_api_parse_join(root, &join, &e);
	if (docker_api_parse_program_external(root, &ext, &e) == 0)
		free((void *)ext.ports);
	json_decref(root);
	return 0;
}
