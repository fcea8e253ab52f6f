/* SPDX-License-Identifier: MIT */
/* Which routes each API has, in the order a path is searched: for api.c, which dispatches,
 * and api_stats.c, which names each route's series. */
#include <stddef.h>

#include "plugin/api_routes.h"

size_t api_routes_tables(enum api_kind api, const struct api_route *tables[2], size_t sizes[2])
{
	if (api == API_CONTROL) {
		tables[0] = control_api_routes;
		sizes[0] = control_api_nroutes;
		return 1;
	}
	tables[0] = docker_api_routes;
	sizes[0] = docker_api_nroutes;
	tables[1] = ipam_api_routes;
	sizes[1] = ipam_api_nroutes;
	return 2;
}

const struct api_raw_route *api_routes_raw(enum api_kind api, size_t *nraw)
{
	*nraw = api == API_CONTROL ? control_api_nraw_routes : 0;
	return api == API_CONTROL ? control_api_raw_routes : NULL;
}
