/* SPDX-License-Identifier: MIT */
/*
 * state.json: strict parsing, dumping and atomic saving. The file is ours, so anything we would
 * not have written (an unknown key, a wrong type, an address outside its slice) is an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver/file_write.h"
#include "driver/state.h"

#define FIELD_MSG_MAX 200

/* Where a parse error is reported: "state" or the file's path, then the field. */
struct parse_ctx {
	const char *src;
	struct errbuf *e;
};

static int bad(const struct parse_ctx *c, const char *where, const char *key, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));

static int bad(const struct parse_ctx *c, const char *where, const char *key, const char *fmt, ...)
{
	char msg[FIELD_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return errbuf_set(c->e, -EINVAL, "%s: %s%s%s: %s", c->src, where,
			  where[0] && key[0] ? "." : "", key, msg);
}

static int get_int(const struct parse_ctx *c, const char *where, const char *key,
		   const json_t *v, long long min, long long max, long long *out)
{
	long long n;

	if (!json_is_integer(v))
		return bad(c, where, key, "expected an integer");
	n = json_integer_value(v);
	if (n < min || n > max)
		return bad(c, where, key, "%lld is out of range %lld..%lld", n, min, max);
	*out = n;
	return 0;
}

static int get_bool(const struct parse_ctx *c, const char *where, const char *key,
		    const json_t *v, bool *out)
{
	if (!json_is_boolean(v))
		return bad(c, where, key, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

/* Copies a string that fits in size bytes with its NUL; out is untouched on error. */
static int get_str(const struct parse_ctx *c, const char *where, const char *key,
		   const json_t *v, char *out, size_t size)
{
	size_t len;

	if (!json_is_string(v))
		return bad(c, where, key, "expected a string");
	len = json_string_length(v);
	if (len >= size)
		return bad(c, where, key, "longer than %zu bytes", size - 1);
	if (memchr(json_string_value(v), 0, len))
		return bad(c, where, key, "contains a NUL character");
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
		return bad(c, where, key, "'%s' is not an IPv4 network a.b.c.d/n (host bits zero)",
			   s);
	return 0;
}

static int get_addr(const struct parse_ctx *c, const char *where, const char *key,
		    const json_t *v, uint32_t *out)
{
	char s[ADDR_STR_MAX];
	int ret;

	ret = get_str(c, where, key, v, s, sizeof(s));
	if (ret < 0)
		return ret;
	if (addr_parse(s, out) < 0)
		return bad(c, where, key, "'%s' is not an IPv4 address a.b.c.d", s);
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

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 132:
		return "sctp";
	}
	return NULL;
}

static int proto_parse(const char *s, uint8_t *out)
{
	static const uint8_t protos[] = { 6, 17, 132 };

	for (size_t i = 0; i < sizeof(protos); i++) {
		if (strcmp(s, proto_name(protos[i])) == 0) {
			*out = protos[i];
			return 0;
		}
	}
	return -EINVAL;
}

static int unpack_failed(const struct parse_ctx *c, const char *where, const json_error_t *jerr)
{
	return bad(c, where, "", "%s", jerr->text);
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

/* 44 characters of standard base64 for exactly 32 bytes. */
static int key_parse(const char *s, uint8_t out[32])
{
	uint8_t buf[32];
	size_t len = 0;
	const char *end = NULL;

	if (strlen(s) != 44 || s[43] != '=' ||
	    sodium_base642bin(buf, sizeof(buf), s, 44, NULL, &len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || len != 32 || *end)
		return -EINVAL;
	memcpy(out, buf, 32);
	return 0;
}

static int get_key(const struct parse_ctx *c, const char *where, const char *key, json_t *v,
		   uint8_t out[32])
{
	char text[64] = "";
	int ret;

	ret = get_str(c, where, key, v, text, sizeof(text));
	if (ret < 0)
		return ret;
	if (key_parse(text, out) < 0)
		return bad(c, where, key, "not a base64 WireGuard key (44 characters)");
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
			return bad(c, "host", "name", "not 1..63 of A-Z a-z 0-9 . _ -");
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
		return bad(c, "host", "mtu", "%lld is out of range 576..65535 (0: the default)", n);
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
	char key[48], s[ADDR_STR_MAX];
	struct addr_set set = { 0 };
	size_t n;
	int ret = 0;

	if (!json_is_array(arr))
		return bad(c, where, "addresses", "expected an array");
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
			addr_format(set.v[i], s);
			ret = bad(c, where, key, "%s is outside the slice", s);
			goto out;
		}
		set.n++;
	}
	if (n)
		qsort(set.v, n, sizeof(*set.v), cmp_u32);
	for (size_t i = 1; i < n; i++) {
		if (set.v[i] == set.v[i - 1]) {
			addr_format(set.v[i], s);
			ret = bad(c, where, "addresses", "%s is listed twice", s);
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
		return bad(c, where, "network_id", "expected \"\" or 64 lowercase hex digits");
	ret = get_str(c, where, "address_space", space, p->address_space,
		      sizeof(p->address_space));
	if (ret < 0)
		return ret;
	if (strcmp(p->address_space, "wgnet-local") != 0 &&
	    strcmp(p->address_space, "wgnet-global") != 0)
		return bad(c, where, "address_space", "expected wgnet-local or wgnet-global");

	ret = get_cidr(c, where, "pool", pool, &p->pool);
	if (ret < 0)
		return ret;
	ret = get_cidr(c, where, "slice", slice, &p->slice);
	if (ret < 0)
		return ret;
	cidr_format(&p->pool, s);
	cidr_format(&p->slice, t);
	if (!cidr_covers(&p->pool, &p->slice))
		return bad(c, where, "slice", "%s is not inside pool %s", t, s);
	if (sub_pool) {
		ret = get_cidr(c, where, "sub_pool", sub_pool, &p->sub_pool);
		if (ret < 0)
			return ret;
		if (!cidr_covers(&p->slice, &p->sub_pool)) {
			cidr_format(&p->sub_pool, s);
			return bad(c, where, "sub_pool", "%s is not inside slice %s", s, t);
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
			return bad(c, where, "gateway", "%s is outside slice %s",
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
			return bad(c, where, "cursor", "%s is outside slice %s",
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
	if (ret == 0 && proto_parse(name, &b->proto) < 0)
		ret = bad(c, where, "proto", "expected tcp, udp or sctp");
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

static int cmp_pool_ptr(const void *a, const void *b)
{
	return strcmp((*(const struct state_pool *const *)a)->network_id,
		      (*(const struct state_pool *const *)b)->network_id);
}

static int cmp_pool_key(const void *key, const void *elem)
{
	return strcmp(key, (*(const struct state_pool *const *)elem)->network_id);
}

static int cmp_endpoint_ptr(const void *a, const void *b)
{
	return strcmp((*(const struct state_endpoint *const *)a)->id,
		      (*(const struct state_endpoint *const *)b)->id);
}

/* Pools of created networks sorted by network ID, so endpoints find theirs in O(log n). */
struct pool_index {
	const struct state_pool **v;
	size_t n;
};

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
		return bad(c, where, "id", "expected 64 lowercase hex digits");
	ret = get_str(c, where, "network_id", network_id, ep->network_id,
		      sizeof(ep->network_id));
	if (ret < 0)
		return ret;
	if (!id_valid(ep->network_id))
		return bad(c, where, "network_id", "expected 64 lowercase hex digits");
	ret = get_addr(c, where, "address", address, &ep->addr);
	if (ret < 0)
		return ret;
	ret = get_str(c, where, "mac", mac, s, sizeof(s));
	if (ret < 0)
		return ret;
	if (mac_parse_strict(s, ep->mac) < 0)
		return bad(c, where, "mac", "expected a MAC address such as 02:42:0a:d2:03:02");
	ret = get_bool(c, where, "joined", joined, &ep->joined);
	if (ret < 0)
		return ret;
	ret = get_str(c, where, "sandbox", sandbox, ep->sandbox, sizeof(ep->sandbox));
	if (ret < 0)
		return ret;

	if (!json_is_array(ports))
		return bad(c, where, "ports", "expected an array");
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

static int index_pools(const struct parse_ctx *c, const struct state *s, struct pool_index *ix)
{
	size_t n = 0;

	if (!s->npools)
		return 0;
	ix->v = calloc(s->npools, sizeof(*ix->v));
	if (!ix->v)
		return errbuf_set(c->e, -ENOMEM, "%s: out of memory", c->src);
	for (size_t i = 0; i < s->npools; i++)
		if (s->pools[i].network_id[0])
			ix->v[n++] = &s->pools[i];
	ix->n = n;
	if (n)
		qsort(ix->v, n, sizeof(*ix->v), cmp_pool_ptr);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(ix->v[i]->network_id, ix->v[i - 1]->network_id) == 0) {
			size_t a = (size_t)(ix->v[i - 1] - s->pools);
			size_t b = (size_t)(ix->v[i] - s->pools);
			char where[32];

			snprintf(where, sizeof(where), "pools[%zu]", a > b ? a : b);
			return bad(c, where, "network_id", "same network as pools[%zu]",
				   a > b ? b : a);
		}
	}
	return 0;
}

/* Every endpoint in a network of the state, inside its slice. */
static int check_endpoint_pools(const struct parse_ctx *c, const struct state *s,
				const struct pool_index *pools)
{
	char where[32], a[ADDR_STR_MAX], t[CIDR_STR_MAX];

	for (size_t i = 0; i < s->nendpoints; i++) {
		const struct state_endpoint *ep = &s->endpoints[i];
		const struct state_pool *const *p;

		snprintf(where, sizeof(where), "endpoints[%zu]", i);
		p = pools->n ? bsearch(ep->network_id, pools->v, pools->n, sizeof(*pools->v),
				       cmp_pool_key) : NULL;
		if (!p)
			return bad(c, where, "network_id", "no pool has this network_id");
		if (!cidr_contains(&(*p)->slice, ep->addr)) {
			addr_format(ep->addr, a);
			cidr_format(&(*p)->slice, t);
			return bad(c, where, "address", "%s is outside its network's slice %s", a, t);
		}
	}
	return 0;
}

static int check_endpoint_ids(const struct parse_ctx *c, const struct state *s)
{
	const struct state_endpoint **v;
	int ret = 0;

	if (s->nendpoints < 2)
		return 0;
	v = calloc(s->nendpoints, sizeof(*v));
	if (!v)
		return errbuf_set(c->e, -ENOMEM, "%s: out of memory", c->src);
	for (size_t i = 0; i < s->nendpoints; i++)
		v[i] = &s->endpoints[i];
	qsort(v, s->nendpoints, sizeof(*v), cmp_endpoint_ptr);
	for (size_t i = 1; i < s->nendpoints && !ret; i++) {
		if (strcmp(v[i]->id, v[i - 1]->id) == 0) {
			size_t a = (size_t)(v[i - 1] - s->endpoints);
			size_t b = (size_t)(v[i] - s->endpoints);
			char where[32];

			snprintf(where, sizeof(where), "endpoints[%zu]", a > b ? a : b);
			ret = bad(c, where, "id", "same endpoint as endpoints[%zu]", a > b ? b : a);
		}
	}
	free(v);
	return ret;
}

static int parse_peer(const struct parse_ctx *c, size_t idx, json_t *o, struct state_peer *p)
{
	json_t *name, *index, *key, *endpoint = NULL, *keepalive;
	char where[32];
	json_error_t jerr;
	long long n = 0;
	int ret;

	snprintf(where, sizeof(where), "peers[%zu]", idx);
	if (!json_is_object(o))
		return bad(c, where, "", "expected an object");
	if (json_unpack_ex(o, &jerr, JSON_STRICT, "{s:o, s:o, s:o, s?o, s:o}", "name", &name,
			   "index", &index, "public_key", &key, "endpoint", &endpoint,
			   "keepalive", &keepalive) < 0)
		return unpack_failed(c, where, &jerr);
	ret = get_str(c, where, "name", name, p->name, sizeof(p->name));
	if (ret < 0)
		return ret;
	if (!name_valid(p->name))
		return bad(c, where, "name", "not 1..63 of A-Z a-z 0-9 . _ -");
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
			return bad(c, where, "endpoint", "empty (no endpoint: leave the key out)");
	}
	ret = get_int(c, where, "keepalive", keepalive, 0, 65535, &n);
	if (ret < 0)
		return ret;
	p->keepalive = (uint16_t)n;
	return 0;
}

static int peer_cmp_index(const struct state_peer *x, const struct state_peer *y)
{
	return (x->index > y->index) - (x->index < y->index);
}

static int peer_cmp_key(const struct state_peer *x, const struct state_peer *y)
{
	return memcmp(x->public_key, y->public_key, sizeof(x->public_key));
}

static int peer_cmp_name(const struct state_peer *x, const struct state_peer *y)
{
	return strcmp(x->name, y->name);
}

struct peer_field {
	const char *key;
	int (*cmp)(const struct state_peer *x, const struct state_peer *y);
};

static int peer_order(const void *a, const void *b, void *arg)
{
	const struct peer_field *f = arg;
	const struct state_peer *x = *(const struct state_peer *const *)a;
	const struct state_peer *y = *(const struct state_peer *const *)b;
	int r = f->cmp(x, y);

	return r ? r : (x > y) - (x < y);	/* equal ones in file order */
}

/* Sorted rather than pairwise: a hostile file must not cost O(n^2) (65535 peers fit). */
static int check_peers(const struct parse_ctx *c, const struct state *s)
{
	struct peer_field fields[] = {
		{ "index", peer_cmp_index },
		{ "public_key", peer_cmp_key },
		{ "name", peer_cmp_name },
	};
	const struct state_peer **v = NULL;
	char where[32];
	int ret = 0;

	for (size_t i = 0; i < s->npeers; i++) {
		const struct state_peer *p = &s->peers[i];

		snprintf(where, sizeof(where), "peers[%zu]", i);
		if (s->host_index && p->index == s->host_index)
			return bad(c, where, "index", "%u is this host's own index", p->index);
		if (s->has_host_key && memcmp(p->public_key, s->host_public_key, 32) == 0)
			return bad(c, where, "public_key", "is this host's own key");
	}
	if (s->npeers < 2)
		return 0;
	v = calloc(s->npeers, sizeof(*v));
	if (!v)
		return errbuf_set(c->e, -ENOMEM, "%s: out of memory", c->src);
	for (size_t i = 0; i < s->npeers; i++)
		v[i] = &s->peers[i];
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		qsort_r(v, s->npeers, sizeof(*v), peer_order, &fields[f]);
		for (size_t i = 1; i < s->npeers; i++) {
			if (fields[f].cmp(v[i - 1], v[i]) != 0)
				continue;
			snprintf(where, sizeof(where), "peers[%td]", v[i] - s->peers);
			ret = bad(c, where, fields[f].key, "repeats peers[%td]",
				  v[i - 1] - s->peers);
			goto out;
		}
	}
out:
	free(v);
	return ret;
}

static int parse_peers(const struct parse_ctx *c, json_t *peers, struct state *s)
{
	int ret;

	if (!peers)
		return 0;
	if (!json_is_array(peers))
		return bad(c, "", "peers", "expected an array");
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

/*
 * What ties the objects of a state together, checked by the loader after it parsed them and by
 * state_save before it writes: a state that would not load is never written. No two pools of one
 * network, every endpoint in its network's slice and no two with one ID, no two peers with one
 * index (their slices would be one), key or name, and none with this host's index or key.
 */
static int check_state(const struct parse_ctx *c, const struct state *s)
{
	struct pool_index ix = { 0 };
	int ret;

	ret = index_pools(c, s, &ix);
	if (ret == 0)
		ret = check_endpoint_pools(c, s, &ix);
	if (ret == 0)
		ret = check_endpoint_ids(c, s);
	if (ret == 0)
		ret = check_peers(c, s);
	free(ix.v);
	return ret;
}

int state_port_parse(const char *s, struct state_port *out)
{
	char proto[8];
	unsigned port;
	int n = 0;

	char first;

	/* digits only after the slash, no sign, space or leading zero */
	if (sscanf(s, "%7[a-z]/%5u%n", proto, &port, &n) != 2 || s[n] || !port || port > 65535)
		return -EINVAL;
	first = s[strlen(proto) + 1];
	if (first < '1' || first > '9' || proto_parse(proto, &out->proto) < 0)
		return -EINVAL;
	out->port = (uint16_t)port;
	return 0;
}

void state_port_format(const struct state_port *p, char out[STATE_PORT_STR_MAX])
{
	const char *name = proto_name(p->proto);

	snprintf(out, STATE_PORT_STR_MAX, "%s/%u", name ? name : "?", p->port);
}

static int state_port_cmp(const void *a, const void *b)
{
	const struct state_port *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

/* "host_allow": ["tcp/53", ...], absent in files written before it existed */
static int parse_host_allow(const struct parse_ctx *c, json_t *arr, struct state *s)
{
	size_t i;
	json_t *v;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return bad(c, "", "host_allow", "expected an array");
	if (json_array_size(arr) > STATE_HOST_ALLOW_MAX)
		return bad(c, "", "host_allow", "more than %d ports", STATE_HOST_ALLOW_MAX);
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || state_port_parse(json_string_value(v),
							   &s->host_allow[i]) < 0)
			return bad(c, "", "host_allow", "element %zu is not like \"tcp/53\"", i);
		if (i && state_port_cmp(&s->host_allow[i - 1], &s->host_allow[i]) >= 0)
			return bad(c, "", "host_allow", "element %zu is out of order or repeated",
				   i);
	}
	s->nhost_allow = json_array_size(arr);
	return 0;
}

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
		ret = bad(c, "", "version", "%lld is not supported: this wgnet reads version %d",
			  n, STATE_VERSION);
	if (ret == 0)
		ret = parse_host(c, host, &s);
	if (ret < 0)
		goto out;

	if (!json_is_array(pools)) {
		ret = bad(c, "", "pools", "expected an array");
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
		ret = bad(c, "", "endpoints", "expected an array");
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
		ret = check_state(c, &s);
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
	char s[ADDR_STR_MAX];

	addr_format(a, s);
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
		const char *proto = proto_name(b->proto);
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

	ret = check_state(&c, s);
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

void state_release(struct state *s)
{
	for (size_t i = 0; i < s->npools; i++)
		addr_set_release(&s->pools[i].addrs);
	for (size_t i = 0; i < s->nendpoints; i++)
		free(s->endpoints[i].ports);
	free(s->pools);
	free(s->endpoints);
	free(s->peers);
	*s = (struct state){ 0 };
}

int state_copy(const struct state *src, struct state *dst)
{
	struct state s = *src;
	int ret = 0;

	s.pools = NULL;
	s.npools = 0;
	s.endpoints = NULL;
	s.nendpoints = 0;
	s.peers = NULL;
	s.npeers = 0;
	if (src->npeers) {
		s.peers = calloc(src->npeers, sizeof(*s.peers));
		if (!s.peers) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy(s.peers, src->peers, src->npeers * sizeof(*s.peers));
		s.npeers = src->npeers;
	}
	if (src->npools) {
		s.pools = calloc(src->npools, sizeof(*s.pools));
		if (!s.pools) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < src->npools; i++) {
		s.pools[i] = src->pools[i];
		s.pools[i].addrs = (struct addr_set){ 0 };
		s.npools++;
		ret = addr_set_copy(&src->pools[i].addrs, &s.pools[i].addrs);
		if (ret < 0)
			goto out;
	}
	if (src->nendpoints) {
		s.endpoints = calloc(src->nendpoints, sizeof(*s.endpoints));
		if (!s.endpoints) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < src->nendpoints; i++) {
		struct state_endpoint *ep = &s.endpoints[i];

		*ep = src->endpoints[i];
		ep->ports = NULL;
		ep->nports = 0;
		s.nendpoints++;
		if (src->endpoints[i].nports) {
			ep->ports = calloc(src->endpoints[i].nports, sizeof(*ep->ports));
			if (!ep->ports) {
				ret = -ENOMEM;
				goto out;
			}
			memcpy(ep->ports, src->endpoints[i].ports,
			       src->endpoints[i].nports * sizeof(*ep->ports));
			ep->nports = src->endpoints[i].nports;
		}
	}
	*dst = s;
	s = (struct state){ 0 };
out:
	state_release(&s);
	return ret;
}

struct state_pool *state_pool_add(struct state *s)
{
	struct state_pool *v;

	v = reallocarray(s->pools, s->npools + 1, sizeof(*v));
	if (!v)
		return NULL;
	s->pools = v;
	v = &s->pools[s->npools++];
	memset(v, 0, sizeof(*v));
	return v;
}

void state_pool_remove(struct state *s, size_t i)
{
	if (i >= s->npools)
		return;
	addr_set_release(&s->pools[i].addrs);
	memmove(&s->pools[i], &s->pools[i + 1], (s->npools - i - 1) * sizeof(*s->pools));
	s->npools--;
}

struct state_endpoint *state_endpoint_add(struct state *s)
{
	struct state_endpoint *v;

	v = reallocarray(s->endpoints, s->nendpoints + 1, sizeof(*v));
	if (!v)
		return NULL;
	s->endpoints = v;
	v = &s->endpoints[s->nendpoints++];
	memset(v, 0, sizeof(*v));
	return v;
}

void state_endpoint_remove(struct state *s, size_t i)
{
	if (i >= s->nendpoints)
		return;
	free(s->endpoints[i].ports);
	memmove(&s->endpoints[i], &s->endpoints[i + 1],
		(s->nendpoints - i - 1) * sizeof(*s->endpoints));
	s->nendpoints--;
}

struct state_peer *state_peer_add(struct state *s)
{
	struct state_peer *v;

	v = reallocarray(s->peers, s->npeers + 1, sizeof(*v));
	if (!v)
		return NULL;
	s->peers = v;
	v = &s->peers[s->npeers++];
	memset(v, 0, sizeof(*v));
	return v;
}

void state_peer_remove(struct state *s, size_t i)
{
	if (i >= s->npeers)
		return;
	memmove(&s->peers[i], &s->peers[i + 1], (s->npeers - i - 1) * sizeof(*s->peers));
	s->npeers--;
}

struct state_pool *state_pool_by_network(struct state *s, const char *network_id)
{
	for (size_t i = 0; i < s->npools; i++)
		if (s->pools[i].network_id[0] && strcmp(s->pools[i].network_id, network_id) == 0)
			return &s->pools[i];
	return NULL;
}

struct state_endpoint *state_endpoint_by_id(struct state *s, const char *endpoint_id)
{
	for (size_t i = 0; i < s->nendpoints; i++)
		if (strcmp(s->endpoints[i].id, endpoint_id) == 0)
			return &s->endpoints[i];
	return NULL;
}
