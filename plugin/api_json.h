/* SPDX-License-Identifier: MIT */
#ifndef WGNET_PLUGIN_API_JSON_H
#define WGNET_PLUGIN_API_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "driver/errbuf.h"
#include "driver/state.h"

/*
 * Request bodies parsed as hostile: size capped, duplicate keys refused, every field's type
 * checked before use, IDs and lengths checked before anything is copied. All errors are
 * -EINVAL (HTTP 400) with a sentence naming the field. Getters return pointers into the
 * document: valid while the caller holds it.
 */
#define API_BODY_MAX (1 << 20)

/* The body must be one JSON object. flags: 0 for dockerd, JSON_STRICT-like checks are the
 * caller's (api_json_only_keys). */
int api_json_load(const char *body, size_t len, json_t **out, struct errbuf *e);

/* Refuses any key of obj that is not in keys (NULL-terminated): the control API is strict. */
int api_json_only_keys(const json_t *obj, const char *const *keys, struct errbuf *e);

/* A required Docker ID: 64 lowercase hex digits. */
int api_json_id(const json_t *obj, const char *key, const char **out, struct errbuf *e);
/* A string; absent or null gives "" unless required. Longer than max bytes is an error. */
int api_json_string(const json_t *obj, const char *key, bool required, size_t max,
		    const char **out, struct errbuf *e);
/* A bool; absent gives false. */
int api_json_bool(const json_t *obj, const char *key, bool *out, struct errbuf *e);
/* An object; absent or null gives NULL unless required. */
int api_json_object(const json_t *obj, const char *key, bool required, const json_t **out,
		    struct errbuf *e);
/* An integer in [min, max]; absent gives *out = dflt unless required. */
int api_json_int(const json_t *obj, const char *key, bool required, long long min, long long max,
		 long long dflt, long long *out, struct errbuf *e);

/*
 * Options["com.docker.network.portmap"]: [{"Proto","IP","Port","HostIP","HostPort",
 * "HostPortEnd"}]; absent or null = none. *out is malloc'd (free()), NULL when *n is 0.
 */
int api_json_portmap(const json_t *options, struct port_binding **out, size_t *n,
		     struct errbuf *e);

/* Serialises and frees v (may be NULL: ENOMEM upstream); NULL on ENOMEM. */
char *api_json_dump(json_t *v);

#endif
