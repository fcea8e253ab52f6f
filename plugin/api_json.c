/* SPDX-License-Identifier: MIT */
/* Strict unpacking of request bodies; unknown keys from dockerd are ignored (releases add some). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/cidr.h"
#include "driver/names.h"
#include "plugin/api_json.h"

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

int api_json_load(const char *body, size_t len, json_t **out, struct errbuf *e)
{
	json_error_t jerr;
	json_t *root;

	if (len > API_BODY_MAX)
		return errbuf_set(e, -EMSGSIZE, "request body over %d bytes", API_BODY_MAX);
	if (!len)
		return errbuf_set(e, -EINVAL, "empty request body: a JSON object was expected");
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return errbuf_set(e, -EINVAL, "bad JSON at byte %d: %s", jerr.position, jerr.text);
	if (!json_is_object(root)) {
		errbuf_set(e, -EINVAL, "request body is %s, a JSON object was expected",
			   type_name(root));
		json_decref(root);
		return -EINVAL;
	}
	*out = root;
	return 0;
}

int api_json_only_keys(const json_t *obj, const char *const *keys, struct errbuf *e)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		size_t i;

		for (i = 0; keys[i]; i++)
			if (strcmp(k, keys[i]) == 0)
				break;
		if (!keys[i])
			return errbuf_set(e, -EINVAL, "unknown key \"%.64s\"", k);
	}
	return 0;
}

int api_json_string(const json_t *obj, const char *key, bool required, size_t max,
		    const char **out, struct errbuf *e)
{
	const json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		if (required)
			return errbuf_set(e, -EINVAL, "%s is missing", key);
		*out = "";
		return 0;
	}
	if (!json_is_string(v))
		return errbuf_set(e, -EINVAL, "%s must be a string, not %s", key, type_name(v));
	if (json_string_length(v) > max)
		return errbuf_set(e, -EINVAL, "%s is longer than %zu bytes", key, max);
	*out = json_string_value(v);
	return 0;
}

int api_json_id(const json_t *obj, const char *key, const char **out, struct errbuf *e)
{
	const char *s;
	int ret;

	ret = api_json_string(obj, key, true, DOCKER_ID_LEN, &s, e);
	if (ret < 0)
		return ret;
	if (!names_docker_id_valid(s))
		return errbuf_set(e, -EINVAL, "%s \"%.64s\" is not a Docker ID (64 lowercase hex "
				  "digits)", key, s);
	*out = s;
	return 0;
}

int api_json_bool(const json_t *obj, const char *key, bool *out, struct errbuf *e)
{
	const json_t *v = json_object_get(obj, key);

	if (!v) {
		*out = false;
		return 0;
	}
	if (!json_is_boolean(v))
		return errbuf_set(e, -EINVAL, "%s must be true or false, not %s", key,
				  type_name(v));
	*out = json_is_true(v);
	return 0;
}

int api_json_object(const json_t *obj, const char *key, bool required, const json_t **out,
		    struct errbuf *e)
{
	const json_t *v = json_object_get(obj, key);

	if (!v || (json_is_null(v) && !required)) {
		if (required)
			return errbuf_set(e, -EINVAL, "%s is missing", key);
		*out = NULL;
		return 0;
	}
	if (!json_is_object(v))
		return errbuf_set(e, -EINVAL, "%s must be an object, not %s", key, type_name(v));
	*out = v;
	return 0;
}

int api_json_int(const json_t *obj, const char *key, bool required, long long min, long long max,
		 long long dflt, long long *out, struct errbuf *e)
{
	const json_t *v = json_object_get(obj, key);
	long long n;

	if (!v) {
		if (required)
			return errbuf_set(e, -EINVAL, "%s is missing", key);
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v))
		return errbuf_set(e, -EINVAL, "%s must be an integer, not %s", key, type_name(v));
	n = json_integer_value(v);
	if (n < min || n > max)
		return errbuf_set(e, -EINVAL, "%s %lld is out of range %lld..%lld", key, n, min,
				  max);
	*out = n;
	return 0;
}

static int port_binding_parse(const json_t *o, size_t i, struct port_binding *b, struct errbuf *e)
{
	long long proto = 0, port = 0, hport = 0, hend = 0;
	const char *hip = "";
	int ret;

	if (!json_is_object(o))
		return errbuf_set(e, -EINVAL, "portmap[%zu] must be an object, not %s", i,
				  type_name(o));
	if ((ret = api_json_int(o, "Proto", true, 0, 255, 0, &proto, e)) < 0 ||
	    (ret = api_json_int(o, "Port", true, 1, 65535, 0, &port, e)) < 0 ||
	    (ret = api_json_int(o, "HostPort", false, 0, 65535, 0, &hport, e)) < 0 ||
	    (ret = api_json_int(o, "HostPortEnd", false, 0, 65535, 0, &hend, e)) < 0 ||
	    (ret = api_json_string(o, "HostIP", false, CIDR_ADDR_STR_MAX + 48, &hip, e)) < 0) {
		char msg[ERRBUF_MSG_MAX];

		snprintf(msg, sizeof(msg), "%s", e ? e->msg : "");
		return errbuf_set(e, ret, "portmap[%zu]: %s", i, msg);
	}
	if (proto != 6 && proto != 17 && proto != 132)
		return errbuf_set(e, -EINVAL, "portmap[%zu]: protocol %lld cannot be published "
				  "(tcp, udp or sctp)", i, proto);
	if (!hend)
		hend = hport;
	if (hend < hport)
		return errbuf_set(e, -EINVAL, "portmap[%zu]: HostPortEnd %lld is below HostPort %lld",
				  i, hend, hport);
	b->proto = (uint8_t)proto;
	b->port = (uint16_t)port;
	b->host_port = (uint16_t)hport;
	b->host_port_end = (uint16_t)hend;
	b->host_ip = 0;
	if (hip[0] && strcmp(hip, "0.0.0.0") != 0 && cidr_addr_parse(hip, &b->host_ip) < 0)
		return errbuf_set(e, -EINVAL, "portmap[%zu]: HostIP \"%.64s\" is not an IPv4 address "
				  "(IPv6 is not supported yet)", i, hip);
	return 0;
}

int api_json_portmap(const json_t *options, struct port_binding **out, size_t *n,
		     struct errbuf *e)
{
	const json_t *pm = options ? json_object_get(options, "com.docker.network.portmap") : NULL;
	struct port_binding *v;
	size_t count;
	int ret;

	if (!pm || json_is_null(pm)) {
		*out = NULL;
		*n = 0;
		return 0;
	}
	if (!json_is_array(pm))
		return errbuf_set(e, -EINVAL, "com.docker.network.portmap must be an array, not %s",
				  type_name(pm));
	count = json_array_size(pm);
	if (!count) {
		*out = NULL;
		*n = 0;
		return 0;
	}
	if (count > 65536)
		return errbuf_set(e, -EINVAL, "com.docker.network.portmap has %zu entries", count);
	v = calloc(count, sizeof(*v));
	if (!v)
		return errbuf_set(e, -ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		ret = port_binding_parse(json_array_get(pm, i), i, &v[i], e);
		if (ret < 0) {
			free(v);
			return ret;
		}
	}
	*out = v;
	*n = count;
	return 0;
}

char *api_json_dump(json_t *v)
{
	char *s;

	if (!v)
		return NULL;
	s = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	return s;
}
