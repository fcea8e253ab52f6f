/* SPDX-License-Identifier: MIT */
/* The Engine API's answers, parsed as if hostile: see docker_json.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "driver/docker_json.h"

/* body as JSON: capped, no duplicate keys; NULL with e worded */
static json_t *load(const char *body, size_t len, const char *what, struct errbuf *e)
{
	json_error_t jerr;
	json_t *root;

	if (len > DOCKER_BODY_MAX) {
		errbuf_set(e, -EMSGSIZE, "Docker's %s is over %d bytes", what, DOCKER_BODY_MAX);
		return NULL;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		errbuf_set(e, -EPROTO, "Docker's %s is not JSON: %s", what, jerr.text);
	return root;
}

/* "1.41" -> 1, 41; false for anything else */
static bool api_split(const char *s, unsigned *major, unsigned *minor)
{
	unsigned long a, b;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	a = strtoul(s, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9' || a > 99)
		return false;
	b = strtoul(end + 1, &end, 10);
	if (*end || b > 999)
		return false;
	*major = (unsigned)a;
	*minor = (unsigned)b;
	return true;
}

/* <0, 0, >0 as a is below, equal to or above b (both valid) */
static int api_cmp(const char *a, const char *b)
{
	unsigned a1 = 0, a2 = 0, b1 = 0, b2 = 0;

	api_split(a, &a1, &a2);
	api_split(b, &b1, &b2);
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	return a2 < b2 ? -1 : a2 > b2;
}

int docker_version_parse(const char *body, size_t len, struct docker_version *out,
			 struct errbuf *e)
{
	struct docker_version v = { 0 };
	const char *api = NULL, *min = NULL, *ver = NULL;
	unsigned x, y;
	json_t *root = load(body, len, "version", e);
	int ret = -EPROTO;

	if (!root)
		return e ? e->code : -EPROTO;
	if (json_unpack(root, "{s:s, s?s, s?s}", "ApiVersion", &api, "MinAPIVersion", &min,
			"Version", &ver) < 0 || !api_split(api, &x, &y) ||
	    (min && !api_split(min, &x, &y))) {
		errbuf_set(e, ret, "Docker's version has no ApiVersion like 1.41");
		goto out;
	}
	snprintf(v.api, sizeof(v.api), "%s", api);
	snprintf(v.min_api, sizeof(v.min_api), "%s", min ? min : "");
	for (size_t i = 0; ver && ver[i] && i < sizeof(v.version) - 1; i++)
		v.version[i] = ver[i] >= 0x20 && ver[i] < 0x7f ? ver[i] : '?';
	*out = v;
	ret = 0;
out:
	json_decref(root);
	return ret;
}

int docker_api_pick(const struct docker_version *v, char out[DOCKER_API_MAX], struct errbuf *e)
{
	if (v->min_api[0] && api_cmp(v->min_api, DOCKER_API_TESTED) > 0)
		return errbuf_set(e, -EPROTONOSUPPORT, "Docker %s accepts API %s and later only; "
				  "wgnet speaks up to %s", v->version, v->min_api,
				  DOCKER_API_TESTED);
	snprintf(out, DOCKER_API_MAX, "%s",
		 api_cmp(v->api, DOCKER_API_TESTED) < 0 ? v->api : DOCKER_API_TESTED);
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

bool docker_ids_has(const struct docker_ids *ids, const char *id)
{
	return ids->n && bsearch(id, ids->v, ids->n, sizeof(*ids->v), id_cmp) != NULL;
}

int docker_ids_add(struct docker_ids *ids, const char *id)
{
	char (*v)[DOCKER_ID_LEN + 1];
	size_t i = 0;

	if (!names_docker_id_valid(id))
		return -EINVAL;
	while (i < ids->n && strcmp(ids->v[i], id) < 0)	/* short lists: the networks */
		i++;
	if (i < ids->n && strcmp(ids->v[i], id) == 0)
		return 0;
	v = reallocarray(ids->v, ids->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	memmove(&v[i + 1], &v[i], (ids->n - i) * sizeof(*v));
	memcpy(v[i], id, DOCKER_ID_LEN + 1);
	ids->v = v;
	ids->n++;
	return 0;
}

void docker_ids_release(struct docker_ids *ids)
{
	free(ids->v);
	ids->v = NULL;
	ids->n = 0;
}

/* [{"Id": "...", "NetworkSettings": {"Networks": {"app": {"NetworkID": "..."}, ...}}}, ...] */
int docker_list_parse(const char *body, size_t len, const struct docker_ids *networks,
		      struct docker_ids *out, struct errbuf *e)
{
	struct docker_ids ids = { 0 };
	json_t *root = load(body, len, "list of containers", e), *c;
	size_t i;
	int ret = 0;

	if (!root)
		return e ? e->code : -EPROTO;
	if (!json_is_array(root)) {
		ret = errbuf_set(e, -EPROTO, "Docker's list of containers is not an array");
		goto out;
	}
	json_array_foreach(root, i, c) {
		const char *id = json_string_value(json_object_get(c, "Id"));
		json_t *nets = json_object_get(json_object_get(c, "NetworkSettings"), "Networks");
		const char *key;
		json_t *n;
		bool ours = false;

		json_object_foreach(nets, key, n) {
			const char *nid = json_string_value(json_object_get(n, "NetworkID"));

			ours = ours || (nid && docker_ids_has(networks, nid));
		}
		if (!ours)
			continue;
		if (!id || !names_docker_id_valid(id)) {
			ret = errbuf_set(e, -EPROTO, "Docker's list of containers: entry %zu has "
					 "no Id of 64 hex digits", i);
			goto out;
		}
		ret = docker_ids_add(&ids, id);
		if (ret < 0) {
			errbuf_set(e, ret, "out of memory");
			goto out;
		}
	}
	*out = ids;
	ids = (struct docker_ids){ 0 };
out:
	docker_ids_release(&ids);
	json_decref(root);
	return ret;
}

/* The names of one endpoint: every string of arr that is a name we can serve. */
static int names_add_all(struct docker_endpoint *ep, const json_t *arr)
{
	size_t i;
	json_t *v;

	if (arr && !json_is_array(arr) && !json_is_null(arr))
		return -EPROTO;
	json_array_foreach(arr, i, v) {
		int ret = json_is_string(v) ? dns_record_name_add(&ep->rec, json_string_value(v))
					    : -EPROTO;

		if (ret == -ENOMEM || ret == -EPROTO)
			return ret;
		if (ret < 0)
			ep->skipped++;
	}
	return 0;
}

static int endpoint_parse(const char *cname, const char *key, const json_t *n,
			  struct docker_endpoint *ep, struct errbuf *e)
{
	const char *nid = json_string_value(json_object_get(n, "NetworkID"));
	const char *eid = json_string_value(json_object_get(n, "EndpointID"));
	json_t *one;
	int ret;

	if (!json_is_object(n) || !nid || !names_docker_id_valid(nid) ||
	    strlen(key) >= sizeof(ep->network))
		return errbuf_set(e, -EPROTO, "Docker's container: network '%.64s' has no "
				  "NetworkID of 64 hex digits", key);
	memcpy(ep->network_id, nid, DOCKER_ID_LEN + 1);
	memcpy(ep->network, key, strlen(key) + 1);
	if (eid && eid[0]) {
		if (!names_docker_id_valid(eid))
			return errbuf_set(e, -EPROTO, "Docker's container: network '%.64s' has an "
					  "EndpointID that is not 64 hex digits", key);
		memcpy(ep->rec.endpoint, eid, DOCKER_ID_LEN + 1);
	}
	one = json_pack("[s]", cname);
	ret = one ? names_add_all(ep, one) : -ENOMEM;
	json_decref(one);
	if (ret == 0)
		ret = names_add_all(ep, json_object_get(n, "Aliases"));
	if (ret == 0)
		ret = names_add_all(ep, json_object_get(n, "DNSNames"));
	if (ret == -ENOMEM)
		return errbuf_set(e, ret, "out of memory");
	if (ret < 0)
		return errbuf_set(e, ret, "Docker's container: network '%.64s' has Aliases or "
				  "DNSNames that are not lists of strings", key);
	return 0;
}

int docker_container_parse(const char *body, size_t len, struct docker_container *out,
			   struct errbuf *e)
{
	struct docker_container c = { 0 };
	json_t *root = load(body, len, "container", e), *nets, *n;
	const char *id = NULL, *name = NULL, *key;
	int ret = -EPROTO;

	if (!root)
		return e ? e->code : -EPROTO;
	if (json_unpack(root, "{s:s, s:s, s:{s:o}}", "Id", &id, "Name", &name, "NetworkSettings",
			"Networks", &nets) < 0 || !names_docker_id_valid(id) ||
	    strlen(name) >= sizeof(c.name) || !(json_is_object(nets) || json_is_null(nets))) {
		errbuf_set(e, ret, "Docker's container has no Id, Name or NetworkSettings.Networks");
		goto out;
	}
	memcpy(c.id, id, sizeof(c.id));
	snprintf(c.name, sizeof(c.name), "%s", name[0] == '/' ? name + 1 : name);
	if (json_object_size(nets)) {
		c.eps = calloc(json_object_size(nets), sizeof(*c.eps));
		if (!c.eps) {
			ret = errbuf_set(e, -ENOMEM, "out of memory");
			goto out;
		}
	}
	json_object_foreach(nets, key, n) {
		ret = endpoint_parse(c.name, key, n, &c.eps[c.neps++], e);
		if (ret < 0)
			goto out;
	}
	*out = c;
	c = (struct docker_container){ 0 };
	ret = 0;
out:
	docker_container_release(&c);
	json_decref(root);
	return ret;
}

void docker_container_release(struct docker_container *c)
{
	for (size_t i = 0; i < c->neps; i++)
		dns_record_release(&c->eps[i].rec);
	free(c->eps);
	c->eps = NULL;
	c->neps = 0;
}

void docker_event_parse(const char *line, size_t len, struct docker_event *out)
{
	static const char *const container_actions[] = { "start", "stop", "die", "rename",
							 "destroy", NULL };
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL), *actor;
	const char *type = NULL, *action = NULL, *id = NULL;
	struct docker_event ev = { DOCKER_EVENT_OTHER, "" };

	if (root && json_unpack(root, "{s:s, s:s, s:o}", "Type", &type, "Action", &action,
				"Actor", &actor) == 0) {
		if (strcmp(type, "network") == 0 &&
		    (strcmp(action, "connect") == 0 || strcmp(action, "disconnect") == 0))
			id = json_string_value(json_object_get(json_object_get(actor, "Attributes"),
							       "container"));
		for (size_t i = 0; strcmp(type, "container") == 0 && container_actions[i]; i++)
			if (strcmp(action, container_actions[i]) == 0)
				id = json_string_value(json_object_get(actor, "ID"));
		if (id && names_docker_id_valid(id)) {
			ev.kind = DOCKER_EVENT_CONTAINER;
			memcpy(ev.container, id, sizeof(ev.container));
		}
	}
	json_decref(root);
	*out = ev;
}
