/* SPDX-License-Identifier: MIT */
#ifndef WGNET_PLUGIN_REQUESTS_H
#define WGNET_PLUGIN_REQUESTS_H

#include <jansson.h>

#include "driver/driver.h"
#include "driver/errbuf.h"

/*
 * The request parsers, apart from the handlers so the fuzz targets reach them without a driver.
 * Each checks the shape of one request and fills the driver's request struct with pointers
 * into req (valid while req is held); out is written only on success. Where a struct holds
 * ports, they are malloc'd and the caller frees out->ports.
 */
int docker_api_parse_create_network(const json_t *req, struct network_create_req *out,
				    struct errbuf *e);
int docker_api_parse_ids(const json_t *req, const char **network_id, const char **endpoint_id,
			 struct errbuf *e);
int docker_api_parse_create_endpoint(const json_t *req, struct endpoint_create_req *out,
				     struct errbuf *e);
int docker_api_parse_join(const json_t *req, struct join_req *out, struct errbuf *e);
int docker_api_parse_program_external(const json_t *req, struct external_req *out,
				      struct errbuf *e);

int ipam_api_parse_request_pool(const json_t *req, struct ipam_pool_req *out, struct errbuf *e);
int ipam_api_parse_pool_id(const json_t *req, const char **pool_id, struct errbuf *e);
int ipam_api_parse_request_address(const json_t *req, struct ipam_addr_req *out, struct errbuf *e);
int ipam_api_parse_release_address(const json_t *req, const char **pool_id, const char **address,
				   struct errbuf *e);

int control_api_parse_init(const json_t *req, struct host_init_req *out, struct errbuf *e);
int control_api_parse_peer_add(const json_t *req, struct peer_add_req *out, struct errbuf *e);

#endif
