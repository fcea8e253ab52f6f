/* SPDX-License-Identifier: MIT */
/*
 * state.json in: strict parsing. The file is ours, so anything we would not have written (an
 * unknown key, a wrong type, an address outside its slice) is an error, worded with the field.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver/keys.h"
#include "driver/state.h"

static int get_int(const struct parse_ctx *c, const char *where, const char *key,
		   const json_t *v, long long min, long long max, long long *out)
{
	long long n;

	if (!json_is_integer(v))
		return state_bad(c, where, key, "expected an integer");
	n = json_integer_value(v);
	if (n < min || n > max)
		return state_bad(c, where, key, "%lld is out of range %lld..%lld", n, min, max);
	*out = n;
	return 0;
}

static int get_bool(const struct parse_ctx *c, const char *where, const char *key,
		    const json_t *v, bool *out)
{
	if (!json_is_boolean(v))
		return state_bad(c, where, key, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

/* Copies a string that fits in size bytes with its NUL; out is untouched on error. */
static int get_str(const struct parse_ctx *c, const char *where, const char *key,
		   const json_t *v, char *out, size_t size)
{
	size_t len;

	if (!json_is_string(v))
		return state_bad(c, where, key, "expected a string");
	len = json_string_length(v);
	if (len >= size)
		return state_bad(c, where, key, "longer than %zu bytes", size - 1);
	if (memchr(json_string_value(v), 0, len))
		return state_bad(c, where, key, "contains a NUL character");
	memcpy(out, json_string_value(v), len + 1);
	return 0;
}

static int get_cidr(const struct parse_ctx *c, const char *where, const char *key,
		    const json_t *v, struct cidr *out)
{
	char s[CIDR_STR_MAX];
	int ret;

	ret = get_str(c, where, key, v, s, sizeof(s));
	if (ret < 0)
		return ret;
	if (cidr_parse(s, out) < 0)
		return state_bad(c, where, key, "'%s' is not an IPv4 network a.b.c.d/n (host bits zero)",
			   s);
	return 0;
}

static int get_addr(const struct parse_ctx *c, const char *where, const char *key,
		    const json_t *v, uint32_t *out)
{
	char s[CIDR_ADDR_STR_MAX];
	int ret;

	ret = get_str(c, where, key, v, s, sizeof(s));
	if (ret < 0)
		return ret;
	if (cidr_addr_parse(s, out) < 0)
		return state_bad(c, where, key, "'%s' is not an IPv4 address a.b.c.d", s);
	return 0;
}

static bool id_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == DOCKER_ID_LEN;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* "02:42:0a:d2:03:02", lowercase, as mac_format writes it. */
static int mac_parse_strict(const char *s, uint8_t mac[6])
{
	uint8_t m[6];

	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, sizeof(m));
	return 0;
}

static int unpack_failed(const struct parse_ctx *c, const char *where, const json_error_t *jerr)
{
	return state_bad(c, where, "", "%s", jerr->text);
}

static bool name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n >= STATE_NAME_MAX)
		return false;
	/* ASCII ranges rather than isalnum(): the answer must not depend on the locale */
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static int get_key(const struct parse_ctx *c, const char *where, const char *key, json_t *v,
		   uint8_t out[32])
{
	char text[64] = "";
	int ret;

	ret = get_str(c, where, key, v, text, sizeof(text));
	if (ret < 0)
		return ret;
	if (keys_from_b64(text, out) < 0)
		return state_bad(c, where, key, "not a base64 WireGuard key (44 characters)");
	return 0;
}

/* Host keys added with the mesh are optional, so that older files load. */
static int parse_host_mesh(const struct parse_ctx *c, json_t *name, json_t *port, json_t *key,
			   struct state *s)
{
	long long n = 0;
	int ret;

	if (name) {
		ret = get_str(c, "host", "name", name, s->host_name, sizeof(s->host_name));
		if (ret < 0)
			return ret;
		if (s->host_name[0] && !name_valid(s->host_name))
			return state_bad(c, "host", "name", "not 1..63 of A-Z a-z 0-9 . _ -");
	}
	if (port) {
		ret = get_int(c, "host", "listen_port", port, 0, 65535, &n);
		if (ret < 0)
			return ret;
		s->listen_port = (uint16_t)n;
	}
	if (key && !(json_is_string(key) && !json_string_length(key))) {
		ret = get_key(c, "host", "public_key", key, s->host_public_key);
		if (ret < 0)
			return ret;
		s->has_host_key = true;
	}
	return 0;
}

static int parse_host(const struct parse_ctx *c, json_t *host, struct state *s)
{
	json_t *index, *endpoint, *mtu, *name = NULL, *port = NULL, *key = NULL;
	json_error_t jerr;
	long long n = 0;
	int ret;

	if (json_unpack_ex(host, &jerr, JSON_STRICT, "{s:o, s:o, s:o, s?o, s?o, s?o}", "index",
			   &index, "endpoint", &endpoint, "mtu", &mtu, "name", &name,
			   "listen_port", &port, "public_key", &key) < 0)
		return unpack_failed(c, "host", &jerr);
	ret = parse_host_mesh(c, name, port, key, s);
	if (ret < 0)
		return ret;
	ret = get_int(c, "host", "index", index, 0, 65535, &n);
	if (ret < 0)
		return ret;
	s->host_index = (unsigned)n;
	ret = get_str(c, "host", "endpoint", endpoint, s->host_endpoint,
		      sizeof(s->host_endpoint));
	if (ret < 0)
		return ret;
	ret = get_int(c, "host", "mtu", mtu, 0, 65535, &n);
	if (ret < 0)
		return ret;
	if (n && n < 576)
		return state_bad(c, "host", "mtu", "%lld is out of range 576..65535 (0: the default)", n);
	s->mtu = (unsigned)n;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Built directly rather than with addr_set_add: a hostile file must not cost O(n^2). */
static int parse_addresses(const struct parse_ctx *c, const char *where, json_t *arr,
			   struct state_pool *p)
{
	char key[48], s[CIDR_ADDR_STR_MAX];
	struct addr_set set = { 0 };
	size_t n;
	int ret = 0;

	if (!json_is_array(arr))
		return state_bad(c, where, "addresses", "expected an array");
	n = json_array_size(arr);
	if (n) {
		set.v = calloc(n, sizeof(*set.v));
		if (!set.v)
			return errbuf_set(c->e, -ENOMEM, "%s: out of memory", c->src);
		set.cap = n;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "addresses[%zu]", i);
		ret = get_addr(c, where, key, json_array_get(arr, i), &set.v[i]);
		if (ret < 0)
			goto out;
		if (!cidr_contains(&p->slice, set.v[i])) {
			cidr_addr_format(set.v[i], s);
			ret = state_bad(c, where, key, "%s is outside the slice", s);
			goto out;
		}
		set.n++;
	}
	if (n)
		qsort(set.v, n, sizeof(*set.v), cmp_u32);
	for (size_t i = 1; i < n; i++) {
		if (set.v[i] == set.v[i - 1]) {
			cidr_addr_format(set.v[i], s);
			ret = state_bad(c, where, "addresses", "%s is listed twice", s);
			goto out;
		}
	}
	p->addrs = set;
	set = (struct addr_set){ 0 };
out:
	addr_set_release(&set);
	return ret;
}

static int parse_pool(const struct parse_ctx *c, size_t idx, json_t *o, struct state_pool *p)
{
	json_t *network_id, *space, *pool, *slice, *sub_pool = NULL, *dflt, *gateway = NULL, *mtu;
	json_t *internal, *addresses, *cursor = NULL;
	char where[32], s[CIDR_STR_MAX], t[CIDR_STR_MAX];
	json_error_t jerr;
	long long n = 0;
	int ret;

	snprintf(where, sizeof(where), "pools[%zu]", idx);
	if (json_unpack_ex(o, &jerr, JSON_STRICT,
			   "{s:o, s:o, s:o, s:o, s?o, s:o, s?o, s:o, s:o, s:o, s?o}",
			   "network_id", &network_id, "address_space", &space, "pool", &pool,
			   "slice", &slice, "sub_pool", &sub_pool, "default_pool", &dflt,
			   "gateway", &gateway, "mtu", &mtu, "internal", &internal,
			   "addresses", &addresses, "cursor", &cursor) < 0)
		return unpack_failed(c, where, &jerr);

	ret = get_str(c, where, "network_id", network_id, p->network_id, sizeof(p->network_id));
	if (ret < 0)
		return ret;
	if (p->network_id[0] && !id_valid(p->network_id))
		return state_bad(c, where, "network_id", "expected \"\" or 64 lowercase hex digits");
	ret = get_str(c, where, "address_space", space, p->address_space,
		      sizeof(p->address_space));
	if (ret < 0)
		return ret;
	if (strcmp(p->address_space, "wgnet-local") != 0 &&
	    strcmp(p->address_space, "wgnet-global") != 0)
		return state_bad(c, where, "address_space", "expected wgnet-local or wgnet-global");

	ret = get_cidr(c, where, "pool", pool, &p->pool);
	if (ret < 0)
		return ret;
	ret = get_cidr(c, where, "slice", slice, &p->slice);
	if (ret < 0)
		return ret;
	cidr_format(&p->pool, s);
	cidr_format(&p->slice, t);
	if (!cidr_covers(&p->pool, &p->slice))
		return state_bad(c, where, "slice", "%s is not inside pool %s", t, s);
	if (sub_pool) {
		ret = get_cidr(c, where, "sub_pool", sub_pool, &p->sub_pool);
		if (ret < 0)
			return ret;
		if (!cidr_covers(&p->slice, &p->sub_pool)) {
			cidr_format(&p->sub_pool, s);
			return state_bad(c, where, "sub_pool", "%s is not inside slice %s", s, t);
		}
		p->has_sub_pool = true;
	}
	ret = get_bool(c, where, "default_pool", dflt, &p->default_pool);
	if (ret < 0)
		return ret;
	if (gateway) {
		ret = get_addr(c, where, "gateway", gateway, &p->gateway);
		if (ret < 0)
			return ret;
		if (!cidr_contains(&p->slice, p->gateway))
			return state_bad(c, where, "gateway", "%s is outside slice %s",
				   json_string_value(gateway), t);
	}
	ret = get_int(c, where, "mtu", mtu, 576, 65535, &n);
	if (ret < 0)
		return ret;
	p->mtu = (unsigned)n;
	ret = get_bool(c, where, "internal", internal, &p->internal);
	if (ret < 0)
		return ret;
	if (cursor) {
		ret = get_addr(c, where, "cursor", cursor, &p->cursor);
		if (ret < 0)
			return ret;
		if (!cidr_contains(&p->slice, p->cursor))
			return state_bad(c, where, "cursor", "%s is outside slice %s",
				   json_string_value(cursor), t);
	}
	return parse_addresses(c, where, addresses, p);
}

static int parse_port(const struct parse_ctx *c, const char *ep_where, size_t idx, json_t *o,
		      struct port_binding *b)
{
	json_t *proto, *port, *host_ip, *host_port, *host_port_end;
	char where[64], name[8];
	json_error_t jerr;
	long long n = 0;
	int ret;

	snprintf(where, sizeof(where), "%s.ports[%zu]", ep_where, idx);
	if (json_unpack_ex(o, &jerr, JSON_STRICT, "{s:o, s:o, s:o, s:o, s:o}", "proto", &proto,
			   "port", &port, "host_ip", &host_ip, "host_port", &host_port,
			   "host_port_end", &host_port_end) < 0)
		return unpack_failed(c, where, &jerr);
	ret = get_str(c, where, "proto", proto, name, sizeof(name));
	if (ret == 0 && state_proto_parse(name, &b->proto) < 0)
		ret = state_bad(c, where, "proto", "expected tcp, udp or sctp");
	if (ret == 0)
		ret = get_int(c, where, "port", port, 1, 65535, &n);
	if (ret < 0)
		return ret;
	b->port = (uint16_t)n;
	ret = get_addr(c, where, "host_ip", host_ip, &b->host_ip);
	if (ret == 0)
		ret = get_int(c, where, "host_port", host_port, 1, 65535, &n);
	if (ret < 0)
		return ret;
	b->host_port = (uint16_t)n;
	ret = get_int(c, where, "host_port_end", host_port_end, b->host_port, 65535, &n);
	if (ret < 0)
		return ret;
	b->host_port_end = (uint16_t)n;
	return 0;
}

static int parse_endpoint(const struct parse_ctx *c, size_t idx, json_t *o,
			  struct state_endpoint *ep)
{
	json_t *id, *network_id, *address, *mac, *joined, *sandbox, *ports;
	char where[32], s[18] = "";
	json_error_t jerr;
	size_t n;
	int ret;

	snprintf(where, sizeof(where), "endpoints[%zu]", idx);
	if (json_unpack_ex(o, &jerr, JSON_STRICT, "{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			   "id", &id, "network_id", &network_id, "address", &address, "mac", &mac,
			   "joined", &joined, "sandbox", &sandbox, "ports", &ports) < 0)
		return unpack_failed(c, where, &jerr);
	ret = get_str(c, where, "id", id, ep->id, sizeof(ep->id));
	if (ret < 0)
		return ret;
	if (!id_valid(ep->id))
		return state_bad(c, where, "id", "expected 64 lowercase hex digits");
	ret = get_str(c, where, "network_id", network_id, ep->network_id,
		      sizeof(ep->network_id));
	if (ret < 0)
		return ret;
	if (!id_valid(ep->network_id))
		return state_bad(c, where, "network_id", "expected 64 lowercase hex digits");
	ret = get_addr(c, where, "address", address, &ep->addr);
	if (ret < 0)
		return ret;
	ret = get_str(c, where, "mac", mac, s, sizeof(s));
	if (ret < 0)
		return ret;
	if (mac_parse_strict(s, ep->mac) < 0)
		return state_bad(c, where, "mac", "expected a MAC address such as 02:42:0a:d2:03:02");
	ret = get_bool(c, where, "joined", joined, &ep->joined);
	if (ret < 0)
		return ret;
	ret = get_str(c, where, "sandbox", sandbox, ep->sandbox, sizeof(ep->sandbox));
	if (ret < 0)
		return ret;

	if (!json_is_array(ports))
		return state_bad(c, where, "ports", "expected an array");
	n = json_array_size(ports);
	if (!n)
		return 0;
	ep->ports = calloc(n, sizeof(*ep->ports));
	if (!ep->ports)
		return errbuf_set(c->e, -ENOMEM, "%s: out of memory", c->src);
	ep->nports = n;		/* freed with the endpoint on error */
	for (size_t i = 0; i < n; i++) {
		ret = parse_port(c, where, i, json_array_get(ports, i), &ep->ports[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int parse_peer(const struct parse_ctx *c, size_t idx, json_t *o, struct state_peer *p)
{
	json_t *name, *index, *key, *endpoint = NULL, *keepalive, *next = NULL;
	char where[32];
	json_error_t jerr;
	long long n = 0;
	int ret;

	snprintf(where, sizeof(where), "peers[%zu]", idx);
	if (!json_is_object(o))
		return state_bad(c, where, "", "expected an object");
	if (json_unpack_ex(o, &jerr, JSON_STRICT, "{s:o, s:o, s:o, s?o, s:o, s?o}", "name", &name,
			   "index", &index, "public_key", &key, "endpoint", &endpoint,
			   "keepalive", &keepalive, "next_key", &next) < 0)
		return unpack_failed(c, where, &jerr);
	ret = get_str(c, where, "name", name, p->name, sizeof(p->name));
	if (ret < 0)
		return ret;
	if (!name_valid(p->name))
		return state_bad(c, where, "name", "not 1..63 of A-Z a-z 0-9 . _ -");
	ret = get_int(c, where, "index", index, 1, 65535, &n);
	if (ret < 0)
		return ret;
	p->index = (unsigned)n;
	ret = get_key(c, where, "public_key", key, p->public_key);
	if (ret < 0)
		return ret;
	if (endpoint) {
		ret = get_str(c, where, "endpoint", endpoint, p->endpoint, sizeof(p->endpoint));
		if (ret < 0)
			return ret;
		if (!p->endpoint[0])	/* state_dump leaves the key out instead */
			return state_bad(c, where, "endpoint", "empty (no endpoint: leave the key out)");
	}
	ret = get_int(c, where, "keepalive", keepalive, 0, 65535, &n);
	if (ret < 0)
		return ret;
	p->keepalive = (uint16_t)n;
	p->has_next_key = next != NULL;
	return next ? get_key(c, where, "next_key", next, p->next_key) : 0;
}

static int parse_peers(const struct parse_ctx *c, json_t *peers, struct state *s)
{
	int ret;

	if (!peers)
		return 0;
	if (!json_is_array(peers))
		return state_bad(c, "", "peers", "expected an array");
	if (json_array_size(peers)) {
		s->peers = calloc(json_array_size(peers), sizeof(*s->peers));
		if (!s->peers)
			return errbuf_set(c->e, -ENOMEM, "%s: out of memory", c->src);
		s->npeers = json_array_size(peers);
	}
	for (size_t i = 0; i < s->npeers; i++) {
		ret = parse_peer(c, i, json_array_get(peers, i), &s->peers[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* "host_allow": ["tcp/53", ...], absent in files written before it existed */
static int parse_host_allow(const struct parse_ctx *c, json_t *arr, struct state *s)
{
	size_t i;
	json_t *v;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return state_bad(c, "", "host_allow", "expected an array");
	if (json_array_size(arr) > STATE_HOST_ALLOW_MAX)
		return state_bad(c, "", "host_allow", "more than %d ports", STATE_HOST_ALLOW_MAX);
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || state_port_parse(json_string_value(v),
							   &s->host_allow[i]) < 0)
			return state_bad(c, "", "host_allow", "element %zu is not like \"tcp/53\"", i);
		if (i && state_port_cmp(&s->host_allow[i - 1], &s->host_allow[i]) >= 0)
			return state_bad(c, "", "host_allow", "element %zu is out of order or repeated",
				   i);
	}
	s->nhost_allow = json_array_size(arr);
	return 0;
}

static int parse_doc(const struct parse_ctx *c, const char *buf, size_t len, struct state *out)
{
	json_t *root, *version, *host, *pools, *endpoints, *peers = NULL, *allow = NULL;
	struct state s = { 0 };
	json_error_t jerr;
	long long n = 0;
	int ret;

	if (len > STATE_FILE_MAX)
		return errbuf_set(c->e, -EFBIG, "%s: larger than %d bytes", c->src, STATE_FILE_MAX);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return errbuf_set(c->e, -EINVAL, "%s: bad JSON at line %d column %d: %s", c->src,
				  jerr.line, jerr.column, jerr.text);
	if (json_unpack_ex(root, &jerr, JSON_STRICT, "{s:o, s:o, s:o, s:o, s?o, s?o}", "version",
			   &version, "host", &host, "pools", &pools, "endpoints", &endpoints,
			   "peers", &peers, "host_allow", &allow) < 0) {
		ret = errbuf_set(c->e, -EINVAL, "%s: %s", c->src, jerr.text);
		goto out;
	}
	ret = get_int(c, "", "version", version, LLONG_MIN, LLONG_MAX, &n);
	if (ret == 0 && n != STATE_VERSION)
		ret = state_bad(c, "", "version", "%lld is not supported: this wgnet reads version %d",
			  n, STATE_VERSION);
	if (ret == 0)
		ret = parse_host(c, host, &s);
	if (ret < 0)
		goto out;

	if (!json_is_array(pools)) {
		ret = state_bad(c, "", "pools", "expected an array");
		goto out;
	}
	if (json_array_size(pools)) {
		s.pools = calloc(json_array_size(pools), sizeof(*s.pools));
		if (!s.pools) {
			ret = errbuf_set(c->e, -ENOMEM, "%s: out of memory", c->src);
			goto out;
		}
		s.npools = json_array_size(pools);	/* zeroed: safe to release at any point */
	}
	for (size_t i = 0; i < s.npools; i++) {
		ret = parse_pool(c, i, json_array_get(pools, i), &s.pools[i]);
		if (ret < 0)
			goto out;
	}

	if (!json_is_array(endpoints)) {
		ret = state_bad(c, "", "endpoints", "expected an array");
		goto out;
	}
	if (json_array_size(endpoints)) {
		s.endpoints = calloc(json_array_size(endpoints), sizeof(*s.endpoints));
		if (!s.endpoints) {
			ret = errbuf_set(c->e, -ENOMEM, "%s: out of memory", c->src);
			goto out;
		}
		s.nendpoints = json_array_size(endpoints);
	}
	for (size_t i = 0; i < s.nendpoints; i++) {
		ret = parse_endpoint(c, i, json_array_get(endpoints, i), &s.endpoints[i]);
		if (ret < 0)
			goto out;
	}
	ret = parse_peers(c, peers, &s);
	if (ret == 0)
		ret = parse_host_allow(c, allow, &s);
	if (ret == 0)
		ret = state_check(c, &s);
	if (ret < 0)
		goto out;

	*out = s;
	s = (struct state){ 0 };
out:
	state_release(&s);
	json_decref(root);
	return ret;
}

int state_parse(const char *buf, size_t len, struct state *out, struct errbuf *e)
{
	const struct parse_ctx c = { .src = "state", .e = e };

	return parse_doc(&c, buf, len, out);
}

int state_load(const char *path, struct state *out, struct errbuf *e)
{
	const struct parse_ctx c = { .src = path, .e = e };
	char *buf = NULL, *nbuf;
	size_t len = 0, cap;
	struct stat st;
	ssize_t r;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ENOENT) {
			*out = (struct state){ 0 };	/* first start */
			return 0;
		}
		return errbuf_set(e, ret, "could not open %s: %s", path, strerror(-ret));
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		errbuf_set(e, ret, "could not stat %s: %s", path, strerror(-ret));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = errbuf_set(e, -EINVAL, "%s is not a regular file", path);
		goto out;
	}
	if (st.st_size > STATE_FILE_MAX) {
		ret = errbuf_set(e, -EFBIG, "%s is larger than %d bytes", path, STATE_FILE_MAX);
		goto out;
	}
	cap = (size_t)st.st_size + 1;	/* one byte more tells us the file grew meanwhile */
	buf = malloc(cap);
	if (!buf) {
		ret = errbuf_set(e, -ENOMEM, "out of memory reading %s", path);
		goto out;
	}
	for (;;) {
		if (len == cap) {
			if (cap > STATE_FILE_MAX) {
				ret = errbuf_set(e, -EFBIG, "%s is larger than %d bytes", path,
						 STATE_FILE_MAX);
				goto out;
			}
			cap = cap > (STATE_FILE_MAX + 1) / 2 ? (size_t)STATE_FILE_MAX + 1 : cap * 2;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				ret = errbuf_set(e, -ENOMEM, "out of memory reading %s", path);
				goto out;
			}
			buf = nbuf;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			errbuf_set(e, ret, "could not read %s: %s", path, strerror(-ret));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	ret = parse_doc(&c, buf, len, out);
out:
	free(buf);
	close(fd);
	return ret;
}
