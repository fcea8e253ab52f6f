/* SPDX-License-Identifier: MIT */
/* state.json out: the JSON document, written atomically (file_write_atomic) once it passed
 * the loader's checks. */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/file_write.h"
#include "driver/state.h"

static json_t *dump_host_allow(const struct state *s, int *err)
{
	char buf[STATE_PORT_STR_MAX];
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < s->nhost_allow; i++) {
		state_port_format(&s->host_allow[i], buf);
		if (json_array_append_new(arr, json_string(buf)) < 0 && !*err)
			*err = -ENOMEM;
	}
	return arr;
}

/* Sets key to v; a NULL v (failed allocation) or a failed set is remembered in *err. */
static void put(json_t *o, const char *key, json_t *v, int *err)
{
	if (json_object_set_new(o, key, v) < 0 && !*err)
		*err = -ENOMEM;
}

static json_t *str_new(const char *s, size_t size)
{
	return json_stringn(s, strnlen(s, size));
}

static json_t *addr_new(uint32_t a)
{
	char s[CIDR_ADDR_STR_MAX];

	cidr_addr_format(a, s);
	return json_string(s);
}

static json_t *cidr_new(const struct cidr *c)
{
	char s[CIDR_STR_MAX];

	cidr_format(c, s);
	return json_string(s);
}

static json_t *dump_pool(const struct state_pool *p, int *err)
{
	json_t *o = json_object(), *a = json_array();

	put(o, "network_id", str_new(p->network_id, sizeof(p->network_id)), err);
	put(o, "address_space", str_new(p->address_space, sizeof(p->address_space)), err);
	put(o, "pool", cidr_new(&p->pool), err);
	put(o, "slice", cidr_new(&p->slice), err);
	if (p->has_sub_pool)
		put(o, "sub_pool", cidr_new(&p->sub_pool), err);
	put(o, "default_pool", json_boolean(p->default_pool), err);
	if (p->gateway)
		put(o, "gateway", addr_new(p->gateway), err);
	put(o, "mtu", json_integer(p->mtu), err);
	put(o, "internal", json_boolean(p->internal), err);
	for (size_t i = 0; i < p->addrs.n; i++)
		if (json_array_append_new(a, addr_new(p->addrs.v[i])) < 0 && !*err)
			*err = -ENOMEM;
	put(o, "addresses", a, err);
	if (p->cursor)
		put(o, "cursor", addr_new(p->cursor), err);
	return o;
}

static json_t *dump_endpoint(const struct state_endpoint *ep, int *err)
{
	json_t *o = json_object(), *a = json_array();
	char mac[18];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", ep->mac[0], ep->mac[1],
		 ep->mac[2], ep->mac[3], ep->mac[4], ep->mac[5]);
	put(o, "id", str_new(ep->id, sizeof(ep->id)), err);
	put(o, "network_id", str_new(ep->network_id, sizeof(ep->network_id)), err);
	put(o, "address", addr_new(ep->addr), err);
	put(o, "mac", json_string(mac), err);
	put(o, "joined", json_boolean(ep->joined), err);
	put(o, "sandbox", str_new(ep->sandbox, sizeof(ep->sandbox)), err);
	for (size_t i = 0; i < ep->nports; i++) {
		const struct port_binding *b = &ep->ports[i];
		const char *proto = state_proto_name(b->proto);
		json_t *po = json_object();

		if (!proto && !*err)
			*err = -EINVAL;	/* never written: it could not be read back */
		put(po, "proto", json_string(proto ? proto : "?"), err);
		put(po, "port", json_integer(b->port), err);
		put(po, "host_ip", addr_new(b->host_ip), err);
		put(po, "host_port", json_integer(b->host_port), err);
		put(po, "host_port_end", json_integer(b->host_port_end), err);
		if (json_array_append_new(a, po) < 0 && !*err)
			*err = -ENOMEM;
	}
	put(o, "ports", a, err);
	return o;
}

static json_t *key_new(const uint8_t key[32])
{
	char b64[45];

	sodium_bin2base64(b64, sizeof(b64), key, 32, sodium_base64_VARIANT_ORIGINAL);
	return json_string(b64);
}

static json_t *dump_peer(const struct state_peer *p, int *err)
{
	json_t *o = json_object();

	put(o, "name", str_new(p->name, sizeof(p->name)), err);
	put(o, "index", json_integer(p->index), err);
	put(o, "public_key", key_new(p->public_key), err);
	if (p->endpoint[0])
		put(o, "endpoint", str_new(p->endpoint, sizeof(p->endpoint)), err);
	put(o, "keepalive", json_integer(p->keepalive), err);
	if (p->has_next_key)
		put(o, "next_key", key_new(p->next_key), err);
	return o;
}

int state_dump(const struct state *s, char **out)
{
	json_t *root = json_object(), *host = json_object(), *pools = json_array();
	json_t *endpoints = json_array(), *peers = json_array();
	char *text;
	int err = 0;

	put(root, "version", json_integer(STATE_VERSION), &err);
	put(host, "index", json_integer(s->host_index), &err);
	put(host, "endpoint", str_new(s->host_endpoint, sizeof(s->host_endpoint)), &err);
	put(host, "mtu", json_integer(s->mtu), &err);
	put(host, "name", str_new(s->host_name, sizeof(s->host_name)), &err);
	put(host, "listen_port", json_integer(s->listen_port), &err);
	put(host, "public_key", s->has_host_key ? key_new(s->host_public_key) : json_string(""),
	    &err);
	put(root, "host", host, &err);
	for (size_t i = 0; i < s->npools; i++)
		if (json_array_append_new(pools, dump_pool(&s->pools[i], &err)) < 0 && !err)
			err = -ENOMEM;
	put(root, "pools", pools, &err);
	for (size_t i = 0; i < s->nendpoints; i++)
		if (json_array_append_new(endpoints, dump_endpoint(&s->endpoints[i], &err)) < 0 &&
		    !err)
			err = -ENOMEM;
	put(root, "endpoints", endpoints, &err);
	for (size_t i = 0; i < s->npeers; i++)
		if (json_array_append_new(peers, dump_peer(&s->peers[i], &err)) < 0 && !err)
			err = -ENOMEM;
	put(root, "peers", peers, &err);
	if (s->nhost_allow)
		put(root, "host_allow", dump_host_allow(s, &err), &err);
	if (err) {
		json_decref(root);
		return err;
	}
	text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	*out = text;
	return 0;
}

int state_save(const char *path, const struct state *s, struct errbuf *e)
{
	const struct parse_ctx c = { .src = "it would not load", .e = e };
	char *data = NULL, *text;
	size_t len;
	int ret;

	ret = state_check(&c, s);
	if (ret < 0)
		return ret;
	ret = state_dump(s, &data);
	if (ret < 0)
		return errbuf_set(e, ret, "could not serialise the state: %s", strerror(-ret));
	len = strlen(data);
	text = realloc(data, len + 2);
	if (!text) {
		free(data);
		return errbuf_set(e, -ENOMEM, "out of memory");
	}
	memcpy(text + len, "\n", 2);
	ret = file_write_atomic(path, text, len + 1, e);
	free(text);
	return ret;
}
