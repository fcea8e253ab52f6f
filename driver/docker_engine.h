/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_DOCKER_ENGINE_H
#define WGNET_DRIVER_DOCKER_ENGINE_H

#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>

#include "driver/docker_json.h"
#include "driver/errbuf.h"

/*
 * A client of the Docker Engine API over its unix socket, with libcurl (as the etcd client):
 * GET requests at the API version both sides speak, and the events stream. Blocking, for one
 * thread (driver/docker_names.c), never called with the driver's lock held: dockerd may be
 * waiting on a plugin call of ours while we wait on it.
 */

#define DOCKER_SOCKET_DEFAULT "/run/docker.sock"
#define DOCKER_TIMEOUT_MS 10000		/* one request */

struct docker_engine {
	char socket[PATH_MAX];
	char api[DOCKER_API_MAX];	/* "" until docker_engine_connect */
	struct docker_version server;
	void *curl;			/* kept between requests: one connection */
};

/* Sets the socket; nothing is opened yet. */
void docker_engine_init(struct docker_engine *c, const char *socket);
void docker_engine_release(struct docker_engine *c);

/* GET /version and the API version to speak (docker_api_pick). -ENOTCONN worded when dockerd
 * does not answer. */
int docker_engine_connect(struct docker_engine *c, struct errbuf *e);

/* GET /v<api><path>: the body (malloc'd, NUL-terminated, up to DOCKER_BODY_MAX) and the HTTP
 * status; 0 whatever the status, -ENOTCONN worded when there was no answer. */
int docker_engine_get(struct docker_engine *c, const char *path, char **body, size_t *len,
		      long *status, struct errbuf *e);

/*
 * GET /v<api><path> as a stream of lines (the events: one JSON object each), cb called for
 * each complete line, until *stop is set (0), cb returns < 0 (that), or the stream ends or
 * breaks (-ENOTCONN worded).
 */
typedef int (*docker_line_cb)(void *arg, const char *line, size_t len);
int docker_engine_stream(struct docker_engine *c, const char *path, docker_line_cb cb, void *arg,
			 const atomic_bool *stop, struct errbuf *e);

#endif
