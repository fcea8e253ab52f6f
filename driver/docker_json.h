/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_DOCKER_JSON_H
#define WGNET_DRIVER_DOCKER_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "driver/dns_record.h"
#include "driver/errbuf.h"
#include "driver/names.h"

/*
 * The Docker Engine API's answers that the names come from (pure: no I/O), parsed as if
 * hostile: the socket is root's, but a bug or another program behind it must not make
 * wgnetd serve a name it should not, or crash. Sizes capped, types checked, IDs checked.
 */

/* The highest API version tested (dockerd 28.5.2); 20.10 speaks 1.41 at most, Docker 29
 * refuses anything below 1.44. */
#define DOCKER_API_TESTED "1.51"
#define DOCKER_API_MAX 16		/* "1.51" and room to spare */
#define DOCKER_BODY_MAX (16 << 20)	/* a list of every container stays far below */
#define DOCKER_NAME_MAX 256		/* a container's or a network's name */

/* GET /version: {"ApiVersion": "1.41", "MinAPIVersion": "1.12", "Version": "20.10.24", ...} */
struct docker_version {
	char api[DOCKER_API_MAX];	/* the highest it speaks */
	char min_api[DOCKER_API_MAX];	/* the lowest it accepts; "" = not said */
	char version[64];		/* the engine's, for the log */
};
int docker_version_parse(const char *body, size_t len, struct docker_version *out,
			 struct errbuf *e);
/* The version to speak: the lower of the server's and DOCKER_API_TESTED. -EPROTONOSUPPORT
 * (worded) when the server's minimum is above it. */
int docker_api_pick(const struct docker_version *v, char out[DOCKER_API_MAX], struct errbuf *e);

/* Docker IDs, sorted (bsearch with docker_ids_has). */
struct docker_ids {
	char (*v)[DOCKER_ID_LEN + 1];
	size_t n;
};
bool docker_ids_has(const struct docker_ids *ids, const char *id);
int docker_ids_add(struct docker_ids *ids, const char *id);	/* kept sorted, no repeat */
void docker_ids_release(struct docker_ids *ids);

/* GET /containers/json: the containers with an endpoint on one of networks (sorted IDs). */
int docker_list_parse(const char *body, size_t len, const struct docker_ids *networks,
		      struct docker_ids *out, struct errbuf *e);

/* One network of a container (GET /containers/{id}/json, NetworkSettings.Networks). */
struct docker_endpoint {
	char network_id[DOCKER_ID_LEN + 1];
	char network[DOCKER_NAME_MAX];	/* its name on this host, as Docker gives it */
	/* endpoint: its EndpointID ("" when the container is stopped); names: the container's
	 * name, then the endpoint's Aliases (compose: the service) and DNSNames (API 1.44 on),
	 * those that are names we can serve (dns_record_name_norm), lower-cased */
	struct dns_record rec;
	size_t skipped;			/* names left out: not DNS names, or too many */
};
struct docker_container {
	char id[DOCKER_ID_LEN + 1];
	char name[DOCKER_NAME_MAX];	/* without Docker's leading '/' */
	struct docker_endpoint *eps;
	size_t neps;
};
int docker_container_parse(const char *body, size_t len, struct docker_container *out,
			   struct errbuf *e);
void docker_container_release(struct docker_container *c);

/* A line of GET /events that may change names: a container's network connect or disconnect,
 * or its start, stop, die, rename or destroy. */
enum docker_event_kind {
	DOCKER_EVENT_OTHER,		/* nothing for us (or not an event we can read) */
	DOCKER_EVENT_CONTAINER,		/* look at container again */
};
struct docker_event {
	enum docker_event_kind kind;
	char container[DOCKER_ID_LEN + 1];
};
void docker_event_parse(const char *line, size_t len, struct docker_event *out);
/* The events query: the kinds above only, JSON for filters= (URL-escaped by the caller). */
#define DOCKER_EVENTS_FILTER \
	"{\"type\":[\"container\",\"network\"],\"event\":[\"connect\",\"disconnect\"," \
	"\"start\",\"stop\",\"die\",\"rename\",\"destroy\"]}"

#endif
