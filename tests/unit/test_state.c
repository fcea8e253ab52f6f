/* SPDX-License-Identifier: MIT */
/* state.json: round trip, atomic save and load, strict parsing, copy, array helpers, peers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver/state.h"

#define NET "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define NET2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define EP "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define EP2 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

#define EP_OBJ								\
	"{\"id\":\"" EP "\",\"network_id\":\"" NET "\",\"address\":\"10.210.3.2\","	\
	"\"mac\":\"02:42:0a:d2:03:02\",\"joined\":true,"			\
	"\"sandbox\":\"/var/run/docker/netns/abc\",\"ports\":[{\"proto\":\"tcp\","	\
	"\"port\":80,\"host_ip\":\"0.0.0.0\",\"host_port\":8080,\"host_port_end\":8080}]}"

/* Base64 of 32 bytes of 0x01, 0x02, 0x03 (peers) and 0x10 (this host). */
#define K1 "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define K2 "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
#define K3 "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="
#define HK "EBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBA="

#define POOLS_AND_ENDPOINTS						\
	"\"pools\":[{\"network_id\":\"" NET "\",\"address_space\":\"wgnet-local\","	\
	"\"pool\":\"10.210.0.0/16\",\"slice\":\"10.210.3.0/24\","			\
	"\"sub_pool\":\"10.210.3.128/25\","						\
	"\"default_pool\":false,\"gateway\":\"10.210.3.1\",\"mtu\":1420,\"internal\":false,"	\
	"\"addresses\":[\"10.210.3.1\",\"10.210.3.2\"],\"cursor\":\"10.210.3.2\"},"	\
	"{\"network_id\":\"\",\"address_space\":\"wgnet-global\",\"pool\":\"10.99.0.0/16\","	\
	"\"slice\":\"10.99.3.0/24\",\"default_pool\":true,\"mtu\":1400,\"internal\":true,"	\
	"\"addresses\":[]}],"						\
	"\"endpoints\":[" EP_OBJ "]"

/* A valid document of the first format (no mesh keys): every invalid case is derived from it. */
static const char valid_doc[] =
	"{\"version\":1,"
	"\"host\":{\"index\":3,\"endpoint\":\"203.0.113.1:51820\",\"mtu\":1420},"
	POOLS_AND_ENDPOINTS "}";

/* The same with the mesh: host name, port and key, three peers (one behind NAT). */
static const char mesh_doc[] =
	"{\"version\":1,"
	"\"host\":{\"index\":3,\"endpoint\":\"203.0.113.1:51820\",\"mtu\":1420,"
	"\"name\":\"host3\",\"listen_port\":51821,\"public_key\":\"" HK "\"},"
	POOLS_AND_ENDPOINTS ","
	"\"peers\":[{\"name\":\"host1\",\"index\":1,\"public_key\":\"" K1 "\","
	"\"endpoint\":\"192.0.2.1:51820\",\"keepalive\":25},"
	"{\"name\":\"host2\",\"index\":2,\"public_key\":\"" K2 "\",\"keepalive\":0},"
	"{\"name\":\"Host-4.a_b\",\"index\":65535,\"public_key\":\"" K3 "\","
	"\"endpoint\":\"[2001:db8::1]:51820\",\"keepalive\":65535}]}";

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

/* doc with the first occurrence of from replaced by to; from must occur. */
static char *subst(const char *doc, const char *from, const char *to)
{
	const char *at = strstr(doc, from);
	size_t n;
	char *out;

	assert_non_null(at);
	n = strlen(doc) - strlen(from) + strlen(to) + 1;
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - doc), doc, to, at + strlen(from));
	return out;
}

/* Three peers: with an endpoint, behind NAT, and at the limits of index and keepalive. */
static void add_peers(struct state *s)
{
	struct state_peer *peer;

	s->has_host_key = true;
	memset(s->host_public_key, 0x10, sizeof(s->host_public_key));
	snprintf(s->host_name, sizeof(s->host_name), "host3");
	s->listen_port = 51821;

	peer = state_peer_add(s);
	assert_non_null(peer);
	snprintf(peer->name, sizeof(peer->name), "host1");
	peer->index = 1;
	memset(peer->public_key, 0x01, sizeof(peer->public_key));
	snprintf(peer->endpoint, sizeof(peer->endpoint), "192.0.2.1:51820");
	peer->keepalive = 25;

	peer = state_peer_add(s);
	assert_non_null(peer);
	snprintf(peer->name, sizeof(peer->name), "host2");
	peer->index = 2;
	memset(peer->public_key, 0x02, sizeof(peer->public_key));

	peer = state_peer_add(s);
	assert_non_null(peer);
	snprintf(peer->name, sizeof(peer->name), "Host-4.a_b");
	peer->index = 65535;
	memset(peer->public_key, 0x03, sizeof(peer->public_key));
	snprintf(peer->endpoint, sizeof(peer->endpoint), "[2001:db8::1]:51820");
	peer->keepalive = 65535;
}

static void build_state(struct state *s)
{
	struct state_pool *p;
	struct state_endpoint *ep;

	memset(s, 0, sizeof(*s));
	s->host_index = 3;
	snprintf(s->host_endpoint, sizeof(s->host_endpoint), "203.0.113.1:51820");
	s->mtu = 1420;

	p = state_pool_add(s);
	assert_non_null(p);
	memcpy(p->network_id, NET, sizeof(p->network_id));
	snprintf(p->address_space, sizeof(p->address_space), "wgnet-local");
	p->pool = (struct cidr){ ip(10, 210, 0, 0), 16 };
	p->slice = (struct cidr){ ip(10, 210, 3, 0), 24 };
	p->has_sub_pool = true;
	p->sub_pool = (struct cidr){ ip(10, 210, 3, 128), 25 };
	p->gateway = ip(10, 210, 3, 1);
	p->mtu = 1420;
	assert_int_equal(addr_set_add(&p->addrs, ip(10, 210, 3, 130)), 0);
	assert_int_equal(addr_set_add(&p->addrs, ip(10, 210, 3, 1)), 0);
	assert_int_equal(addr_set_add(&p->addrs, ip(10, 210, 3, 129)), 0);
	p->cursor = ip(10, 210, 3, 130);

	p = state_pool_add(s);
	assert_non_null(p);
	snprintf(p->address_space, sizeof(p->address_space), "wgnet-global");
	p->pool = (struct cidr){ ip(10, 99, 0, 0), 16 };
	p->slice = (struct cidr){ ip(10, 99, 3, 0), 24 };
	p->default_pool = true;
	p->internal = true;
	p->mtu = 9000;

	ep = state_endpoint_add(s);
	assert_non_null(ep);
	memcpy(ep->id, EP, sizeof(ep->id));
	memcpy(ep->network_id, NET, sizeof(ep->network_id));
	ep->addr = ip(10, 210, 3, 129);
	memcpy(ep->mac, "\x02\x42\x0a\xd2\x03\x81", 6);
	ep->joined = true;
	snprintf(ep->sandbox, sizeof(ep->sandbox), "/var/run/docker/netns/abc");
	ep->ports = calloc(2, sizeof(*ep->ports));
	assert_non_null(ep->ports);
	ep->nports = 2;
	ep->ports[0] = (struct port_binding){ 6, 80, 0, 8080, 8080 };
	ep->ports[1] = (struct port_binding){ 132, 9000, ip(192, 0, 2, 7), 30000, 30010 };

	ep = state_endpoint_add(s);
	assert_non_null(ep);
	memcpy(ep->id, EP2, sizeof(ep->id));
	memcpy(ep->network_id, NET, sizeof(ep->network_id));
	ep->addr = ip(10, 210, 3, 130);
	memcpy(ep->mac, "\x02\x42\x0a\xd2\x03\x82", 6);

	add_peers(s);
}

static void assert_state_equal(const struct state *a, const struct state *b)
{
	assert_int_equal(a->host_index, b->host_index);
	assert_string_equal(a->host_endpoint, b->host_endpoint);
	assert_int_equal(a->mtu, b->mtu);
	assert_string_equal(a->host_name, b->host_name);
	assert_int_equal(a->listen_port, b->listen_port);
	assert_int_equal(a->has_host_key, b->has_host_key);
	if (a->has_host_key)
		assert_memory_equal(a->host_public_key, b->host_public_key, 32);
	assert_int_equal(a->npeers, b->npeers);
	for (size_t i = 0; i < a->npeers; i++) {
		const struct state_peer *x = &a->peers[i], *y = &b->peers[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->index, y->index);
		assert_memory_equal(x->public_key, y->public_key, 32);
		assert_string_equal(x->endpoint, y->endpoint);
		assert_int_equal(x->keepalive, y->keepalive);
	}
	assert_int_equal(a->npools, b->npools);
	for (size_t i = 0; i < a->npools; i++) {
		const struct state_pool *p = &a->pools[i], *q = &b->pools[i];

		assert_string_equal(p->network_id, q->network_id);
		assert_string_equal(p->address_space, q->address_space);
		assert_int_equal(p->pool.addr, q->pool.addr);
		assert_int_equal(p->pool.len, q->pool.len);
		assert_int_equal(p->slice.addr, q->slice.addr);
		assert_int_equal(p->slice.len, q->slice.len);
		assert_int_equal(p->has_sub_pool, q->has_sub_pool);
		if (p->has_sub_pool) {
			assert_int_equal(p->sub_pool.addr, q->sub_pool.addr);
			assert_int_equal(p->sub_pool.len, q->sub_pool.len);
		}
		assert_int_equal(p->default_pool, q->default_pool);
		assert_int_equal(p->gateway, q->gateway);
		assert_int_equal(p->mtu, q->mtu);
		assert_int_equal(p->internal, q->internal);
		assert_int_equal(p->addrs.n, q->addrs.n);
		for (size_t j = 0; j < p->addrs.n; j++)
			assert_int_equal(p->addrs.v[j], q->addrs.v[j]);
		assert_int_equal(p->cursor, q->cursor);
	}
	assert_int_equal(a->nendpoints, b->nendpoints);
	for (size_t i = 0; i < a->nendpoints; i++) {
		const struct state_endpoint *x = &a->endpoints[i], *y = &b->endpoints[i];

		assert_string_equal(x->id, y->id);
		assert_string_equal(x->network_id, y->network_id);
		assert_int_equal(x->addr, y->addr);
		assert_memory_equal(x->mac, y->mac, 6);
		assert_int_equal(x->joined, y->joined);
		assert_string_equal(x->sandbox, y->sandbox);
		assert_int_equal(x->nports, y->nports);
		for (size_t j = 0; j < x->nports; j++) {
			assert_int_equal(x->ports[j].proto, y->ports[j].proto);
			assert_int_equal(x->ports[j].port, y->ports[j].port);
			assert_int_equal(x->ports[j].host_ip, y->ports[j].host_ip);
			assert_int_equal(x->ports[j].host_port, y->ports[j].host_port);
			assert_int_equal(x->ports[j].host_port_end, y->ports[j].host_port_end);
		}
	}
}

static void test_round_trip(void **unused)
{
	struct state s, t = { 0 };
	struct errbuf e = { 0 };
	char *a, *b;

	(void)unused;
	build_state(&s);
	assert_int_equal(state_dump(&s, &a), 0);
	/* optional keys only where set, in the documented order */
	assert_non_null(strstr(a, "\"sub_pool\": \"10.210.3.128/25\""));
	assert_null(strstr(strstr(a, "wgnet-global"), "\"gateway\""));
	assert_null(strstr(strstr(a, "wgnet-global"), "\"cursor\""));
	assert_true(strstr(a, "\"version\"") < strstr(a, "\"host\""));
	assert_true(strstr(a, "\"pools\"") < strstr(a, "\"endpoints\""));
	assert_non_null(strstr(a, "\"mac\": \"02:42:0a:d2:03:81\""));
	assert_non_null(strstr(a, "\"proto\": \"sctp\""));
	assert_true(strstr(a, "\"endpoints\"") < strstr(a, "\"peers\""));
	assert_non_null(strstr(a, "\"public_key\": \"" HK "\""));
	assert_non_null(strstr(a, "\"public_key\": \"" K3 "\""));
	assert_non_null(strstr(a, "\"listen_port\": 51821"));
	assert_non_null(strstr(a, "\"name\": \"Host-4.a_b\""));
	/* the peer behind NAT has no endpoint key at all */
	assert_true(strstr(strstr(a, "\"host2\""), "\"endpoint\"") > strstr(a, "Host-4"));

	assert_int_equal(state_parse(a, strlen(a), &t, &e), 0);
	assert_int_equal(e.code, 0);
	assert_state_equal(&s, &t);
	assert_int_equal(state_dump(&t, &b), 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	state_release(&s);
	state_release(&t);
	assert_null(t.pools);
	assert_int_equal(t.npools, 0);
	assert_int_equal(t.host_index, 0);
}

static void test_valid_doc(void **unused)
{
	struct state s = { 0 };
	struct errbuf e = { 0 };
	char *doc;

	(void)unused;
	assert_int_equal(state_parse(valid_doc, strlen(valid_doc), &s, &e), 0);
	assert_int_equal(s.host_index, 3);
	assert_int_equal(s.npools, 2);
	assert_int_equal(s.pools[0].addrs.n, 2);
	assert_int_equal(s.pools[0].gateway, ip(10, 210, 3, 1));
	assert_int_equal(s.pools[0].cursor, ip(10, 210, 3, 2));
	assert_false(s.pools[1].has_sub_pool);
	assert_int_equal(s.pools[1].gateway, 0);
	assert_int_equal(s.nendpoints, 1);
	assert_int_equal(s.endpoints[0].nports, 1);
	assert_int_equal(s.endpoints[0].ports[0].proto, 6);
	assert_int_equal(s.endpoints[0].mac[5], 2);
	state_release(&s);

	/* host MTU 0 means "the default"; addresses in any order come out sorted */
	doc = subst(valid_doc, "\"mtu\":1420},", "\"mtu\":0},");
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), 0);
	assert_int_equal(s.mtu, 0);
	state_release(&s);
	free(doc);
	doc = subst(valid_doc, "[\"10.210.3.1\",\"10.210.3.2\"]",
		    "[\"10.210.3.9\",\"10.210.3.1\"]");
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), 0);
	assert_int_equal(s.pools[0].addrs.v[0], ip(10, 210, 3, 1));
	assert_int_equal(s.pools[0].addrs.v[1], ip(10, 210, 3, 9));
	state_release(&s);
	free(doc);
}

/* A file written before the mesh loads, and is saved with the new keys at their defaults. */
static void test_old_format(void **unused)
{
	static const char *const keys[] = { ",\"name\":\"host3\"", ",\"listen_port\":51821",
					    ",\"public_key\":\"" HK "\"" };
	struct state s = { 0 }, t = { 0 };
	struct errbuf e = { 0 };
	char *a;

	(void)unused;
	assert_non_null(strstr(valid_doc, "\"mtu\":1420},"));	/* really the old host object */
	assert_null(strstr(valid_doc, "peers"));
	assert_int_equal(state_parse(valid_doc, strlen(valid_doc), &s, &e), 0);
	assert_string_equal(s.host_name, "");
	assert_int_equal(s.listen_port, 0);
	assert_false(s.has_host_key);
	assert_int_equal(s.npeers, 0);
	assert_null(s.peers);
	assert_int_equal(s.nendpoints, 1);

	assert_int_equal(state_dump(&s, &a), 0);
	assert_non_null(strstr(a, "\"name\": \"\""));
	assert_non_null(strstr(a, "\"listen_port\": 0"));
	assert_non_null(strstr(a, "\"public_key\": \"\""));
	assert_non_null(strstr(a, "\"peers\": []"));
	assert_int_equal(state_parse(a, strlen(a), &t, &e), 0);
	assert_state_equal(&s, &t);
	free(a);
	state_release(&s);
	state_release(&t);

	/* each new key is optional on its own */
	for (size_t i = 0; i < 3; i++) {
		char *doc = subst(mesh_doc, keys[i], "");

		assert_int_equal(state_parse(doc, strlen(doc), &s, &e), 0);
		assert_int_equal(s.npeers, 3);
		assert_int_equal(s.has_host_key, i != 2);
		state_release(&s);
		free(doc);
	}
}

static void test_mesh_doc(void **unused)
{
	struct state s = { 0 };
	struct errbuf e = { 0 };
	uint8_t k1[32], hk[32];
	char *doc, *text;

	(void)unused;
	memset(k1, 0x01, sizeof(k1));
	memset(hk, 0x10, sizeof(hk));
	assert_int_equal(state_parse(mesh_doc, strlen(mesh_doc), &s, &e), 0);
	assert_string_equal(s.host_name, "host3");
	assert_int_equal(s.listen_port, 51821);
	assert_true(s.has_host_key);
	assert_memory_equal(s.host_public_key, hk, 32);
	assert_int_equal(s.npeers, 3);
	assert_string_equal(s.peers[0].name, "host1");
	assert_int_equal(s.peers[0].index, 1);
	assert_memory_equal(s.peers[0].public_key, k1, 32);
	assert_string_equal(s.peers[0].endpoint, "192.0.2.1:51820");
	assert_int_equal(s.peers[0].keepalive, 25);
	assert_string_equal(s.peers[1].endpoint, "");
	assert_int_equal(s.peers[1].keepalive, 0);
	assert_int_equal(s.peers[2].index, 65535);
	assert_int_equal(s.peers[2].keepalive, 65535);
	assert_int_equal(s.peers[2].public_key[31], 3);
	assert_false(s.peers[1].has_next_key);
	state_release(&s);
	assert_null(s.peers);
	assert_int_equal(s.npeers, 0);

	/* a rotation under way: the next key, kept through a dump */
	text = subst(mesh_doc, "\"keepalive\":0}", "\"keepalive\":0,\"next_key\":\"" K3 "\"}");
	doc = subst(text, "\"public_key\":\"" K3 "\"",
		    "\"public_key\":\"BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=\"");
	free(text);
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), 0);
	assert_true(s.peers[1].has_next_key);
	assert_int_equal(s.peers[1].next_key[0], 3);
	free(doc);
	assert_int_equal(state_dump(&s, &doc), 0);
	assert_non_null(strstr(doc, K3));
	state_release(&s);
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), 0);
	assert_true(s.peers[1].has_next_key);
	state_release(&s);
	free(doc);

	/* "" name and key, port 0 and no peers: a host before init */
	doc = subst(mesh_doc, "\"name\":\"host3\",\"listen_port\":51821,\"public_key\":\"" HK "\"",
		    "\"name\":\"\",\"listen_port\":0,\"public_key\":\"\"");
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), 0);
	assert_false(s.has_host_key);
	assert_string_equal(s.host_name, "");
	assert_int_equal(s.npeers, 3);
	state_release(&s);
	free(doc);
	doc = subst(valid_doc, "]}]}", "]}],\"peers\":[]}");
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), 0);
	assert_int_equal(s.npeers, 0);
	assert_null(s.peers);
	state_release(&s);
	free(doc);
}

/* wgnet host allow: "proto/port" strings, sorted, absent when empty */
static void test_host_allow(void **unused)
{
	static const char *const bad[] = { "tcp/0", "tcp/65536", "tcp/053", "tcp/ 53", "tcp/+53",
					   "icmp/1", "TCP/53", "tcp53", "tcp/53x", "/53", "" };
	struct state s = { 0 }, t = { 0 };
	struct errbuf e = { 0 };
	struct state_port p;
	char buf[STATE_PORT_STR_MAX], *a, *doc;

	(void)unused;
	assert_int_equal(state_port_parse("sctp/65535", &p), 0);
	assert_int_equal(p.proto, 132);
	assert_int_equal(p.port, 65535);
	state_port_format(&p, buf);
	assert_string_equal(buf, "sctp/65535");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(state_port_parse(bad[i], &p), -EINVAL);

	assert_int_equal(state_dump(&s, &a), 0);
	assert_null(strstr(a, "host_allow"));
	free(a);
	s.host_allow[0] = (struct state_port){ 6, 53 };
	s.host_allow[1] = (struct state_port){ 17, 53 };
	s.nhost_allow = 2;
	assert_int_equal(state_dump(&s, &a), 0);
	assert_non_null(strstr(a, "\"host_allow\": [\n  \"tcp/53\",\n  \"udp/53\"\n ]"));
	assert_int_equal(state_parse(a, strlen(a), &t, &e), 0);
	assert_int_equal(t.nhost_allow, 2);
	assert_int_equal(t.host_allow[1].proto, 17);
	state_release(&t);
	doc = subst(a, "\"udp/53\"", "\"tcp/53\"");		/* repeated */
	assert_int_equal(state_parse(doc, strlen(doc), &t, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "host_allow"));
	free(doc);
	doc = subst(a, "\"udp/53\"", "\"tcp/22\"");		/* out of order */
	assert_int_equal(state_parse(doc, strlen(doc), &t, &e), -EINVAL);
	free(doc);
	doc = subst(a, "\"udp/53\"", "53");
	assert_int_equal(state_parse(doc, strlen(doc), &t, &e), -EINVAL);
	free(doc);
	free(a);
}

static void test_empty(void **unused)
{
	struct state s = { 0 }, t;
	struct errbuf e = { 0 };
	char *a;

	(void)unused;
	assert_int_equal(state_dump(&s, &a), 0);
	memset(&t, 0xff, sizeof(t));
	assert_int_equal(state_parse(a, strlen(a), &t, &e), 0);
	assert_int_equal(t.host_index, 0);
	assert_int_equal(t.mtu, 0);
	assert_string_equal(t.host_endpoint, "");
	assert_int_equal(t.npools, 0);
	assert_null(t.pools);
	assert_int_equal(t.nendpoints, 0);
	assert_null(t.endpoints);
	assert_int_equal(t.npeers, 0);
	assert_null(t.peers);
	assert_false(t.has_host_key);
	assert_int_equal(t.listen_port, 0);
	assert_string_equal(t.host_name, "");
	assert_non_null(strstr(a, "\"public_key\": \"\""));
	state_release(&t);
	free(a);
}

struct bad_case {
	const char *from;	/* NULL: `to` is the whole document */
	const char *to;
	const char *field;	/* must appear in the message */
};

static const struct bad_case bad_cases[] = {
	{ NULL, "", "bad JSON" },
	{ NULL, "{", "bad JSON" },
	{ NULL, "[]", "state: " },
	{ NULL, "null", "bad JSON" },
	{ "\"version\":1,", "\"version\":1,\"version\":1,", "bad JSON" },
	{ "\"version\":1,", "\"version\":1,\"extra\":0,", "extra" },
	{ "\"version\":1,", "\"version\":2,", "version" },
	{ "\"version\":1,", "\"version\":\"1\",", "version" },
	{ "\"version\":1,", "\"version\":1.0,", "version" },
	{ "\"version\":1,", "", "version" },
	{ "\"index\":3", "\"index\":-1", "host.index" },
	{ "\"index\":3", "\"index\":65536", "host.index" },
	{ "\"index\":3", "\"index\":99999999999999999999", "bad JSON" },
	{ "\"index\":3", "\"index\":null", "host.index" },
	{ "\"mtu\":1420},", "\"mtu\":575},", "host.mtu" },
	{ "\"mtu\":1420},", "\"mtu\":65536},", "host.mtu" },
	{ "\"mtu\":1420},", "\"mtu\":1420,\"x\":1},", "host" },
	{ "\"endpoint\":\"203.0.113.1:51820\",", "", "endpoint" },
	{ "\"endpoint\":\"203.0.113.1:51820\"", "\"endpoint\":false", "host.endpoint" },
	{ NULL, "{\"version\":1,\"host\":{\"index\":0,\"endpoint\":\"\",\"mtu\":0},"
	  "\"pools\":{},\"endpoints\":[]}", "state: pools" },
	{ NULL, "{\"version\":1,\"host\":{\"index\":0,\"endpoint\":\"\",\"mtu\":0},"
	  "\"pools\":[],\"endpoints\":\"\"}", "state: endpoints" },
	{ NULL, "{\"version\":1,\"host\":[],\"pools\":[],\"endpoints\":[]}", "state: host" },
	{ "\"pools\":[{", "\"pools\":[1,{", "pools[0]" },
	{ "\"network_id\":\"" NET "\"", "\"network_id\":\"" NET "0\"", "pools[0].network_id" },
	{ "\"network_id\":\"0123", "\"network_id\":\"A123", "pools[0].network_id" },
	{ "\"network_id\":\"0123", "\"network_id\":\"123", "pools[0].network_id" },
	{ "wgnet-local", "wgnet-foo", "pools[0].address_space" },
	{ "wgnet-local", "wgnet-localwgnet-localwgnet-local", "pools[0].address_space" },
	{ "\"10.210.0.0/16\"", "\"10.210.0.1/16\"", "pools[0].pool" },
	{ "\"10.210.0.0/16\"", "\"10.210.0.0/33\"", "pools[0].pool" },
	{ "\"10.210.0.0/16\"", "\"10.210.0.0/016\"", "pools[0].pool" },
	{ "\"10.210.0.0/16\"", "\"10.210.0.0\"", "pools[0].pool" },
	{ "\"10.210.3.0/24\"", "\"10.211.3.0/24\"", "pools[0].slice" },
	{ "\"10.210.3.0/24\"", "\"10.210.0.0/15\"", "pools[0].slice" },
	{ "\"slice\":\"10.210.3.0/24\",", "", "slice" },
	{ "\"10.210.3.128/25\"", "\"10.210.4.128/25\"", "pools[0].sub_pool" },
	{ "\"10.210.3.128/25\"", "null", "pools[0].sub_pool" },
	{ "\"default_pool\":false", "\"default_pool\":\"false\"", "pools[0].default_pool" },
	{ "\"gateway\":\"10.210.3.1\"", "\"gateway\":\"10.210.4.1\"", "pools[0].gateway" },
	{ "\"gateway\":\"10.210.3.1\"", "\"gateway\":\"10.210.03.1\"", "pools[0].gateway" },
	{ "\"gateway\":\"10.210.3.1\"", "\"gateway\":\"10.210.3.1/24\"", "pools[0].gateway" },
	{ "\"mtu\":1420,\"internal\"", "\"mtu\":575,\"internal\"", "pools[0].mtu" },
	{ "\"mtu\":1420,\"internal\"", "\"mtu\":65536,\"internal\"", "pools[0].mtu" },
	{ "\"mtu\":1420,\"internal\"", "\"mtu\":1420.5,\"internal\"", "pools[0].mtu" },
	{ "\"mtu\":1400,", "", "mtu" },
	{ "\"internal\":false", "\"internal\":0", "pools[0].internal" },
	{ "\"internal\":false", "\"internal\":false,\"x\":1", "pools[0]" },
	{ "\"10.210.3.2\"]", "\"10.210.4.2\"]", "pools[0].addresses[1]" },
	{ "\"10.210.3.2\"]", "\"10.210.3.1\"]", "pools[0].addresses" },
	{ "\"10.210.3.2\"]", "\"10.210.3.2\",\"10.210.3.1\"]", "pools[0].addresses" },
	{ "\"10.210.3.2\"]", "167904002]", "pools[0].addresses[1]" },
	{ "[\"10.210.3.1\",\"10.210.3.2\"]", "\"10.210.3.1\"", "pools[0].addresses" },
	{ "\"cursor\":\"10.210.3.2\"", "\"cursor\":\"10.210.2.2\"", "pools[0].cursor" },
	{ "\"network_id\":\"\",", "\"network_id\":\"" NET "\",", "pools[1].network_id" },
	{ "\"endpoints\":[", "\"endpoints\":[" EP_OBJ ",", "endpoints[1].id" },
	{ "\"id\":\"aaaa", "\"id\":\"aaa", "endpoints[0].id" },
	{ "\"id\":\"aaaa", "\"id\":\"Aaaa", "endpoints[0].id" },
	{ "\"network_id\":\"" NET "\",\"address\"", "\"network_id\":\"" NET2 "\",\"address\"",
	  "endpoints[0].network_id" },
	{ "\"network_id\":\"" NET "\",\"address\"", "\"network_id\":\"\",\"address\"",
	  "endpoints[0].network_id" },
	{ "\"address\":\"10.210.3.2\"", "\"address\":\"10.210.4.2\"", "endpoints[0].address" },
	{ "\"address\":\"10.210.3.2\"", "\"address\":\"10.210.3.2 \"", "endpoints[0].address" },
	{ "02:42:0a:d2:03:02", "02:42:0a:d2:03", "endpoints[0].mac" },
	{ "02:42:0a:d2:03:02", "02:42:0A:D2:03:02", "endpoints[0].mac" },
	{ "02:42:0a:d2:03:02", "02-42-0a-d2-03-02", "endpoints[0].mac" },
	{ "\"joined\":true", "\"joined\":\"yes\"", "endpoints[0].joined" },
	{ "\"/var/run/docker/netns/abc\"", "\"/var/run\\u0000x\"", "bad JSON" },
	{ "\"/var/run/docker/netns/abc\"", "[]", "endpoints[0].sandbox" },
	{ "\"ports\":[{\"proto\":\"tcp\",\"port\":80,\"host_ip\":\"0.0.0.0\",\"host_port\":8080,"
	  "\"host_port_end\":8080}]", "\"ports\":{}", "endpoints[0].ports" },
	{ "\"proto\":\"tcp\"", "\"proto\":\"icmp\"", "endpoints[0].ports[0].proto" },
	{ "\"proto\":\"tcp\"", "\"proto\":\"TCP\"", "endpoints[0].ports[0].proto" },
	{ "\"port\":80", "\"port\":0", "endpoints[0].ports[0].port" },
	{ "\"port\":80", "\"port\":65536", "endpoints[0].ports[0].port" },
	{ "\"host_ip\":\"0.0.0.0\"", "\"host_ip\":\"any\"", "endpoints[0].ports[0].host_ip" },
	{ "\"host_port\":8080", "\"host_port\":0", "endpoints[0].ports[0].host_port" },
	{ "\"host_port_end\":8080", "\"host_port_end\":8079",
	  "endpoints[0].ports[0].host_port_end" },
	{ "\"host_port_end\":8080", "\"host_port_end\":8080,\"x\":1", "endpoints[0].ports[0]" },
	{ "\"host_port_end\":8080", "\"host_port_ends\":8080", "endpoints[0].ports[0]" },
	{ "]}]}", "]}]}x", "bad JSON" },
};

/* Mesh keys and peers, derived from mesh_doc. */
static const struct bad_case mesh_bad_cases[] = {
	{ "\"name\":\"host3\"", "\"name\":\"host 3\"", "host.name" },
	{ "\"name\":\"host3\"", "\"name\":\"h\u00e9\"", "host.name" },
	{ "\"name\":\"host3\"", "\"name\":\"host/3\"", "host.name" },
	{ "\"name\":\"host3\"", "\"name\":3", "host.name" },
	{ "\"name\":\"host3\"", "\"name\":null", "host.name" },
	{ "\"listen_port\":51821", "\"listen_port\":65536", "host.listen_port" },
	{ "\"listen_port\":51821", "\"listen_port\":-1", "host.listen_port" },
	{ "\"listen_port\":51821", "\"listen_port\":\"51821\"", "host.listen_port" },
	{ "\"listen_port\":51821", "\"listen_port\":51821.0", "host.listen_port" },
	{ "\"listen_port\":51821", "\"listen_port\":51821,\"listen\":1", "host" },
	{ "\"public_key\":\"" HK, "\"public_key\":\"x" HK, "host.public_key" },
	{ HK, "EBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBA", "host.public_key" },
	{ "\"public_key\":\"" HK "\"", "\"public_key\":false", "host.public_key" },
	{ "\"peers\":[", "\"peers\":[1,", "peers[0]" },
	{ "\"peers\":[", "\"peers\":[[],", "peers[0]" },
	{ "\"peers\":[{\"name\":\"host1\"", "\"peers\":[{\"name\":\"host1\",\"x\":1",
	  "peers[0]" },
	{ "\"name\":\"host2\"", "\"name\":\"host1\"", "peers[1].name" },
	{ "\"name\":\"host2\"", "\"name\":\"\"", "peers[1].name" },
	{ "\"name\":\"host2\"", "\"name\":\"host 2\"", "peers[1].name" },
	{ "\"name\":\"host2\"", "\"name\":\"host2\\n\"", "peers[1].name" },
	{ "\"name\":\"host2\",", "", "peers[1]" },
	{ "\"index\":2,", "\"index\":1,", "peers[1].index" },
	{ "\"index\":2,", "\"index\":3,", "peers[1].index" },	/* the host's */
	{ "\"index\":2,", "\"index\":0,", "peers[1].index" },
	{ "\"index\":2,", "\"index\":65536,", "peers[1].index" },
	{ "\"index\":2,", "\"index\":\"2\",", "peers[1].index" },
	{ "\"index\":2,", "", "peers[1]" },
	{ K2, K1, "peers[1].public_key" },			/* a duplicate */
	{ K3, K1, "peers[2].public_key: repeats peers[0]" },	/* not neighbours */
	{ "\"Host-4.a_b\"", "\"host1\"", "peers[2].name: repeats peers[0]" },
	{ K2, HK, "peers[1].public_key" },			/* the host's */
	{ K2, "AgICAgICAgICAgICAgICAgICAgICAgICAgICAg*CAgI=", "peers[1].public_key" },
	{ K2, "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI", "peers[1].public_key" },
	{ K2, "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI==", "peers[1].public_key" },
	{ K2, "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC", "peers[1].public_key" },
	{ K2, "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg==", "peers[1].public_key" }, /* 31 B */
	{ K2, "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgJ=", "peers[1].public_key" },
	{ K2, "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgI CAgI=", "peers[1].public_key" },
	{ K2, "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=AgICAgI=", "peers[1].public_key" },
	{ K2, K2 K2, "peers[1].public_key" },
	{ K2, "", "peers[1].public_key" },
	{ "\"endpoint\":\"192.0.2.1:51820\"", "\"endpoint\":\"\"", "peers[0].endpoint" },
	{ "\"endpoint\":\"192.0.2.1:51820\"", "\"endpoint\":null", "peers[0].endpoint" },
	{ "\"keepalive\":0}", "\"keepalive\":65536}", "peers[1].keepalive" },
	{ "\"keepalive\":0}", "\"keepalive\":-1}", "peers[1].keepalive" },
	{ "\"keepalive\":0}", "\"keepalive\":false}", "peers[1].keepalive" },
	{ ",\"keepalive\":0}", "}", "peers[1]" },
	{ "\"peers\":[", "\"peers\":{\"a\":[", "bad JSON" },
	/* a rotation's next key: a key no peer and not this host has */
	{ "\"keepalive\":0}", "\"keepalive\":0,\"next_key\":\"" K1 "\"}",
	  "peers[1].next_key: repeats peers[0].public_key" },
	{ "\"keepalive\":0}", "\"keepalive\":0,\"next_key\":\"" K2 "\"}",
	  "peers[1].next_key: repeats peers[1].public_key" },
	{ "\"keepalive\":0}", "\"keepalive\":0,\"next_key\":\"" HK "\"}",
	  "peers[1].next_key: is this host's own key" },
	{ "\"keepalive\":0}", "\"keepalive\":0,\"next_key\":\"x\"}", "peers[1].next_key" },
	{ "\"keepalive\":0}", "\"keepalive\":0,\"next_key\":null}", "peers[1].next_key" },
	{ NULL, "{\"version\":1,\"host\":{\"index\":0,\"endpoint\":\"\",\"mtu\":0},"
	  "\"pools\":[],\"endpoints\":[],\"peers\":{}}", "state: peers" },
	{ NULL, "{\"version\":1,\"host\":{\"index\":0,\"endpoint\":\"\",\"mtu\":0},"
	  "\"pools\":[],\"endpoints\":[],\"peers\":null}", "state: peers" },
	{ NULL, "{\"version\":1,\"host\":{\"index\":0,\"endpoint\":\"\",\"mtu\":0},"
	  "\"pools\":[],\"endpoints\":[],\"peers\":[],\"peers\":[]}", "bad JSON" },
	{ NULL, "{\"version\":1,\"host\":{\"index\":0,\"endpoint\":\"\",\"mtu\":0},"
	  "\"pools\":[],\"endpoints\":[],\"peer\":[]}", "peer" },
};

static void check_bad_cases(const char *base, const struct bad_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct bad_case *c = &cases[i];
		char *doc = c->from ? subst(base, c->from, c->to) : strdup(c->to);
		struct state s = { .host_index = 777, .mtu = 4242 };
		struct errbuf e = { 0 };
		int ret;

		assert_non_null(doc);
		ret = state_parse(doc, strlen(doc), &s, &e);
		if (ret != -EINVAL || !strstr(e.msg, c->field) || strncmp(e.msg, "state: ", 7) != 0)
			fail_msg("case %zu (%s -> %s): ret %d, message '%s', want -EINVAL and '%s'",
				 i, c->from ? c->from : "(doc)", c->to, ret, e.msg, c->field);
		assert_int_equal(e.code, -EINVAL);
		assert_int_equal(s.host_index, 777);	/* untouched */
		assert_int_equal(s.mtu, 4242);
		assert_null(s.pools);
		assert_null(s.peers);
		free(doc);
	}
}

static void test_invalid(void **unused)
{
	(void)unused;
	check_bad_cases(valid_doc, bad_cases, sizeof(bad_cases) / sizeof(bad_cases[0]));
	check_bad_cases(mesh_doc, mesh_bad_cases,
			sizeof(mesh_bad_cases) / sizeof(mesh_bad_cases[0]));
}

/* Strings at and one past their limit. */
static void test_lengths(void **unused)
{
	char endpoint[STATE_HOST_ENDPOINT_MAX + 1], sandbox[STATE_SANDBOX_MAX + 1], to[512];
	struct state s = { 0 };
	struct errbuf e = { 0 };
	char *doc;

	(void)unused;
	memset(endpoint, 'h', sizeof(endpoint));
	memset(sandbox, 's', sizeof(sandbox));

	endpoint[STATE_HOST_ENDPOINT_MAX - 1] = 0;
	snprintf(to, sizeof(to), "\"endpoint\":\"%s\"", endpoint);
	doc = subst(valid_doc, "\"endpoint\":\"203.0.113.1:51820\"", to);
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), 0);
	assert_int_equal(strlen(s.host_endpoint), STATE_HOST_ENDPOINT_MAX - 1);
	state_release(&s);
	free(doc);
	endpoint[STATE_HOST_ENDPOINT_MAX - 1] = 'h';
	endpoint[STATE_HOST_ENDPOINT_MAX] = 0;
	snprintf(to, sizeof(to), "\"endpoint\":\"%s\"", endpoint);
	doc = subst(valid_doc, "\"endpoint\":\"203.0.113.1:51820\"", to);
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "host.endpoint"));
	free(doc);

	sandbox[STATE_SANDBOX_MAX - 1] = 0;
	snprintf(to, sizeof(to), "\"%s\"", sandbox);
	doc = subst(valid_doc, "\"/var/run/docker/netns/abc\"", to);
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), 0);
	assert_int_equal(strlen(s.endpoints[0].sandbox), STATE_SANDBOX_MAX - 1);
	state_release(&s);
	free(doc);
	sandbox[STATE_SANDBOX_MAX - 1] = 's';
	sandbox[STATE_SANDBOX_MAX] = 0;
	snprintf(to, sizeof(to), "\"%s\"", sandbox);
	doc = subst(valid_doc, "\"/var/run/docker/netns/abc\"", to);
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "endpoints[0].sandbox"));
	free(doc);
}

/* Host and peer names at 63 and 64 characters, a peer endpoint at and past its limit. */
static void test_peer_lengths(void **unused)
{
	char name[STATE_NAME_MAX + 1], endpoint[STATE_HOST_ENDPOINT_MAX + 1], to[512];
	struct state s = { 0 };
	struct errbuf e = { 0 };
	char *doc;

	(void)unused;
	memset(name, 'n', sizeof(name));
	memset(endpoint, 'h', sizeof(endpoint));
	name[STATE_NAME_MAX - 1] = 0;
	endpoint[STATE_HOST_ENDPOINT_MAX - 1] = 0;

	snprintf(to, sizeof(to), "\"name\":\"%s\"", name);
	doc = subst(mesh_doc, "\"name\":\"host2\"", to);
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), 0);
	assert_int_equal(strlen(s.peers[1].name), STATE_NAME_MAX - 1);
	state_release(&s);
	free(doc);
	doc = subst(mesh_doc, "\"name\":\"host3\"", to);
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), 0);
	assert_int_equal(strlen(s.host_name), STATE_NAME_MAX - 1);
	state_release(&s);
	free(doc);
	snprintf(to, sizeof(to), "\"endpoint\":\"%s\"", endpoint);
	doc = subst(mesh_doc, "\"endpoint\":\"192.0.2.1:51820\"", to);
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), 0);
	assert_int_equal(strlen(s.peers[0].endpoint), STATE_HOST_ENDPOINT_MAX - 1);
	state_release(&s);
	free(doc);

	name[STATE_NAME_MAX - 1] = 'n';
	name[STATE_NAME_MAX] = 0;
	endpoint[STATE_HOST_ENDPOINT_MAX - 1] = 'h';
	endpoint[STATE_HOST_ENDPOINT_MAX] = 0;
	snprintf(to, sizeof(to), "\"name\":\"%s\"", name);
	doc = subst(mesh_doc, "\"name\":\"host2\"", to);
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "peers[1].name"));
	free(doc);
	doc = subst(mesh_doc, "\"name\":\"host3\"", to);
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "host.name"));
	free(doc);
	snprintf(to, sizeof(to), "\"endpoint\":\"%s\"", endpoint);
	doc = subst(mesh_doc, "\"endpoint\":\"192.0.2.1:51820\"", to);
	assert_int_equal(state_parse(doc, strlen(doc), &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "peers[0].endpoint"));
	free(doc);
	assert_null(s.peers);
}

/* Every index a peer can have, then one name twice: found without comparing every pair. */
static void test_many_peers(void **unused)
{
	struct state s = { 0 }, t = { 0 };
	struct errbuf e = { 0 };
	struct state_peer *peer;
	char *a;

	(void)unused;
	s.peers = calloc(65535, sizeof(*s.peers));	/* not peer_add: 65535 reallocs are slow */
	assert_non_null(s.peers);
	for (unsigned i = 1; i <= 65535; i++) {
		peer = &s.peers[s.npeers++];
		peer->index = i;
		snprintf(peer->name, sizeof(peer->name), "p%u", i);
		memcpy(peer->public_key, &i, sizeof(i));
	}
	assert_int_equal(state_dump(&s, &a), 0);
	assert_int_equal(state_parse(a, strlen(a), &t, &e), 0);
	assert_int_equal(t.npeers, 65535);
	assert_int_equal(t.peers[65534].index, 65535);
	state_release(&t);
	free(a);

	snprintf(s.peers[65534].name, sizeof(s.peers[65534].name), "p1");
	assert_int_equal(state_dump(&s, &a), 0);
	assert_int_equal(state_parse(a, strlen(a), &t, &e), -EINVAL);
	assert_string_equal(e.msg, "state: peers[65534].name: repeats peers[0]");
	assert_null(t.peers);
	free(a);
	state_release(&s);
}

static void test_too_large(void **unused)
{
	size_t n = (size_t)STATE_FILE_MAX + 1;
	struct state s = { .host_index = 5 };
	struct errbuf e = { 0 };
	char *big = malloc(n);

	(void)unused;
	assert_non_null(big);
	memset(big, ' ', n);
	assert_int_equal(state_parse(big, n, &s, &e), -EFBIG);
	assert_int_equal(s.host_index, 5);
	assert_true(e.msg[0] != 0);
	free(big);
}

/* Save and load through a private temp directory. */
static int dir_setup(void **ctx)
{
	char *dir = strdup("/tmp/test_state.XXXXXX");

	if (!dir || !mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*ctx = dir;
	return 0;
}

static void rm_tree(const char *path)
{
	struct dirent *de;
	char sub[4096];
	DIR *d = opendir(path);

	if (!d) {
		unlink(path);
		return;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		rm_tree(sub);
	}
	closedir(d);
	rmdir(path);
}

static int dir_teardown(void **ctx)
{
	rm_tree(*ctx);
	free(*ctx);
	return 0;
}

/* Number of entries in dir; *only gets the name when there is exactly one. */
static int dir_count(const char *dir, char only[256])
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (only)
			snprintf(only, 256, "%s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static void test_save_load(void **ctx)
{
	const char *dir = *ctx;
	struct state s, t = { 0 };
	struct errbuf e = { 0 };
	char path[512], name[256];
	struct stat st1, st2;
	FILE *f;

	build_state(&s);
	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE_NAME);
	/* an existing file with other contents and a loose mode is replaced whole */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("old contents", f);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(stat(path, &st1), 0);

	assert_int_equal(state_save(path, &s, &e), 0);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st2.st_mode & 07777, 0600);
	assert_true(st1.st_ino != st2.st_ino);	/* renamed over, not rewritten in place */
	assert_int_equal(dir_count(dir, name), 1);
	assert_string_equal(name, STATE_FILE_NAME);

	assert_int_equal(state_load(path, &t, &e), 0);
	assert_state_equal(&s, &t);
	state_release(&t);

	/* a second save replaces the first */
	s.host_index = 9;
	state_endpoint_remove(&s, 0);
	assert_int_equal(state_save(path, &s, &e), 0);
	assert_int_equal(dir_count(dir, name), 1);
	assert_int_equal(state_load(path, &t, &e), 0);
	assert_int_equal(t.host_index, 9);
	assert_int_equal(t.nendpoints, 1);
	assert_state_equal(&s, &t);
	state_release(&t);
	state_release(&s);
}

static void test_save_fails(void **ctx)
{
	const char *dir = *ctx;
	struct state s;
	struct errbuf e = { 0 };
	char path[512];
	int ret;

	build_state(&s);
	snprintf(path, sizeof(path), "%s/missing/%s", dir, STATE_FILE_NAME);
	ret = state_save(path, &s, &e);
	assert_int_equal(ret, -ENOENT);
	assert_int_equal(e.code, -ENOENT);
	assert_true(e.msg[0] != 0);
	assert_int_equal(dir_count(dir, NULL), 0);

	/* rename onto a non-empty directory fails: the temp file must go */
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sub/x", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sub", dir);
	memset(&e, 0, sizeof(e));
	ret = state_save(path, &s, &e);
	assert_true(ret < 0);
	assert_non_null(strstr(e.msg, "rename"));
	assert_int_equal(dir_count(dir, NULL), 1);
	state_release(&s);
}

/* One way to break what ties a state together, and what the loader (and the saver) says. */
struct breakage {
	void (*apply)(struct state *s);
	const char *says;
};

static void same_index(struct state *s)
{
	s->peers[1].index = s->peers[0].index;
}

static void same_key(struct state *s)
{
	memcpy(s->peers[2].public_key, s->peers[0].public_key, 32);
}

static void same_name(struct state *s)
{
	snprintf(s->peers[1].name, sizeof(s->peers[1].name), "%s", s->peers[0].name);
}

static void own_index(struct state *s)
{
	s->peers[0].index = s->host_index;
}

static void own_key(struct state *s)
{
	memcpy(s->peers[1].public_key, s->host_public_key, 32);
}

static void outside_slice(struct state *s)
{
	s->endpoints[1].addr = ip(10, 210, 4, 5);
}

static void same_endpoint(struct state *s)
{
	memcpy(s->endpoints[1].id, s->endpoints[0].id, sizeof(s->endpoints[0].id));
}

static void same_network(struct state *s)
{
	memcpy(s->pools[1].network_id, s->pools[0].network_id, sizeof(s->pools[0].network_id));
}

static void no_network(struct state *s)
{
	memcpy(s->endpoints[0].network_id, NET2, sizeof(s->endpoints[0].network_id));
}

static const struct breakage breakages[] = {
	{ same_index, "peers[1].index: repeats peers[0]" },
	{ same_key, "peers[2].public_key: repeats peers[0]" },
	{ same_name, "peers[1].name: repeats peers[0]" },
	{ own_index, "peers[0].index: 3 is this host's own index" },
	{ own_key, "peers[1].public_key: is this host's own key" },
	{ outside_slice, "endpoints[1].address: 10.210.4.5 is outside its network's slice "
			 "10.210.3.0/24" },
	{ same_endpoint, "endpoints[1].id: same endpoint as endpoints[0]" },
	{ same_network, "pools[1].network_id: same network as pools[0]" },
	{ no_network, "endpoints[0].network_id: no pool has this network_id" },
};

/* A state that would not load is never written: the save fails with the loader's reason and
 * the file, the directory and the state stay as they were. */
static void test_save_refuses_what_would_not_load(void **ctx)
{
	const char *dir = *ctx;
	char path[512], name[256], *before, *after, *text;
	struct state good, s, back;
	struct errbuf e = { 0 };
	FILE *f;
	long len;

	build_state(&good);
	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE_NAME);
	assert_int_equal(state_save(path, &good, &e), 0);
	assert_int_equal(state_dump(&good, &before), 0);
	for (size_t i = 0; i < sizeof(breakages) / sizeof(breakages[0]); i++) {
		char want[256];

		assert_int_equal(state_copy(&good, &s), 0);
		breakages[i].apply(&s);
		/* the loader refuses it ... */
		assert_int_equal(state_dump(&s, &text), 0);
		memset(&e, 0, sizeof(e));
		assert_int_equal(state_parse(text, strlen(text), &back, &e), -EINVAL);
		snprintf(want, sizeof(want), "state: %s", breakages[i].says);
		assert_string_equal(e.msg, want);
		free(text);
		/* ... so the saver does, for the same reason, and writes nothing */
		memset(&e, 0, sizeof(e));
		assert_int_equal(state_save(path, &s, &e), -EINVAL);
		snprintf(want, sizeof(want), "it would not load: %s", breakages[i].says);
		assert_string_equal(e.msg, want);
		assert_int_equal(dir_count(dir, name), 1);
		assert_string_equal(name, STATE_FILE_NAME);
		state_release(&s);
	}
	/* the file is the good state, byte for byte (and the good state still saves) */
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	after = calloc(1, (size_t)len + 1);
	assert_non_null(after);
	assert_int_equal(fread(after, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	assert_int_equal((size_t)len, strlen(before) + 1);
	assert_memory_equal(after, before, strlen(before));
	assert_int_equal(state_save(path, &good, &e), 0);
	free(after);
	free(before);
	state_release(&good);
}

static void test_load_missing_and_bad(void **ctx)
{
	const char *dir = *ctx;
	struct state s;
	struct errbuf e = { 0 };
	char path[512];
	FILE *f;

	memset(&s, 0x5a, sizeof(s));
	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE_NAME);
	assert_int_equal(state_load(path, &s, &e), 0);
	assert_int_equal(s.host_index, 0);
	assert_int_equal(s.npools, 0);
	assert_null(s.pools);
	assert_int_equal(s.nendpoints, 0);
	assert_null(s.endpoints);
	assert_string_equal(s.host_endpoint, "");
	assert_int_equal(dir_count(dir, NULL), 0);	/* loading creates nothing */

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"version\":1,\"host\":{\"index\":1,\"endpoint\":\"\",\"mtu\":0},"
	      "\"pools\":[],\"endpoints\":[],\"surprise\":true}", f);
	fclose(f);
	s.host_index = 42;
	assert_int_equal(state_load(path, &s, &e), -EINVAL);
	assert_int_equal(s.host_index, 42);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "surprise"));

	/* a directory is not a state file */
	assert_int_equal(state_load(dir, &s, &e), -EINVAL);
	assert_int_equal(s.host_index, 42);
}

static void test_copy(void **unused)
{
	struct state s, c;
	char *a, *b;

	(void)unused;
	build_state(&s);
	memset(&c, 0, sizeof(c));
	assert_int_equal(state_copy(&s, &c), 0);
	assert_state_equal(&s, &c);
	assert_true(c.pools != s.pools);
	assert_true(c.pools[0].addrs.v != s.pools[0].addrs.v);
	assert_true(c.endpoints[0].ports != s.endpoints[0].ports);
	assert_true(c.peers != s.peers);
	assert_int_equal(c.npeers, 3);
	assert_int_equal(state_dump(&s, &a), 0);

	/* changing the copy leaves the original alone */
	assert_int_equal(addr_set_add(&c.pools[0].addrs, ip(10, 210, 3, 200)), 0);
	c.endpoints[0].ports[0].host_port = 1;
	c.endpoints[0].ports[0].host_port_end = 1;
	snprintf(c.host_endpoint, sizeof(c.host_endpoint), "changed:1");
	state_pool_remove(&c, 1);
	state_endpoint_remove(&c, 1);
	snprintf(c.peers[0].name, sizeof(c.peers[0].name), "renamed");
	c.peers[0].public_key[0] = 0xff;
	c.host_public_key[0] = 0xff;
	state_peer_remove(&c, 1);
	assert_non_null(state_peer_add(&c));
	assert_int_equal(state_dump(&s, &b), 0);
	assert_string_equal(a, b);
	assert_int_equal(s.npeers, 3);
	assert_string_equal(s.peers[0].name, "host1");
	assert_string_equal(s.peers[1].name, "host2");
	assert_false(addr_set_has(&s.pools[0].addrs, ip(10, 210, 3, 200)));
	assert_int_equal(s.endpoints[0].ports[0].host_port, 8080);
	free(a);
	free(b);
	state_release(&c);
	state_release(&s);

	/* an empty state copies to an empty state */
	memset(&s, 0, sizeof(s));
	assert_int_equal(state_copy(&s, &c), 0);
	assert_null(c.pools);
	assert_null(c.endpoints);
	assert_null(c.peers);
	assert_int_equal(c.npeers, 0);
	state_release(&c);

	/* peers only */
	memset(&s, 0, sizeof(s));
	add_peers(&s);
	assert_int_equal(state_copy(&s, &c), 0);
	assert_state_equal(&s, &c);
	assert_null(c.pools);
	state_release(&c);
	state_release(&s);
}

static void test_add_remove(void **unused)
{
	struct state s = { 0 };
	struct state_pool *p;
	struct state_endpoint *ep;
	struct state_peer *peer;

	(void)unused;
	for (unsigned i = 0; i < 5; i++) {
		p = state_pool_add(&s);
		assert_non_null(p);
		assert_int_equal(p->gateway, 0);
		assert_int_equal(p->addrs.n, 0);
		assert_string_equal(p->network_id, "");
		p->mtu = 1000 + i;
		assert_int_equal(addr_set_add(&p->addrs, i), 0);
	}
	assert_int_equal(s.npools, 5);
	state_pool_remove(&s, 1);
	state_pool_remove(&s, 3);	/* the last one */
	state_pool_remove(&s, 3);	/* out of range: nothing */
	assert_int_equal(s.npools, 3);
	assert_int_equal(s.pools[0].mtu, 1000);
	assert_int_equal(s.pools[1].mtu, 1002);
	assert_int_equal(s.pools[2].mtu, 1003);
	assert_true(addr_set_has(&s.pools[1].addrs, 2));

	for (unsigned i = 0; i < 3; i++) {
		ep = state_endpoint_add(&s);
		assert_non_null(ep);
		assert_null(ep->ports);
		assert_int_equal(ep->nports, 0);
		assert_false(ep->joined);
		ep->addr = i;
		ep->ports = calloc(i + 1, sizeof(*ep->ports));
		assert_non_null(ep->ports);
		ep->nports = i + 1;
	}
	state_endpoint_remove(&s, 0);
	assert_int_equal(s.nendpoints, 2);
	assert_int_equal(s.endpoints[0].addr, 1);
	assert_int_equal(s.endpoints[0].nports, 2);
	assert_int_equal(s.endpoints[1].addr, 2);
	state_endpoint_remove(&s, 1);
	state_endpoint_remove(&s, 0);
	assert_int_equal(s.nendpoints, 0);
	ep = state_endpoint_add(&s);	/* usable again after emptying */
	assert_non_null(ep);
	assert_int_equal(s.nendpoints, 1);

	for (unsigned i = 0; i < 4; i++) {
		peer = state_peer_add(&s);
		assert_non_null(peer);
		assert_string_equal(peer->name, "");
		assert_string_equal(peer->endpoint, "");
		assert_int_equal(peer->index, 0);
		assert_int_equal(peer->keepalive, 0);
		for (size_t j = 0; j < sizeof(peer->public_key); j++)
			assert_int_equal(peer->public_key[j], 0);
		peer->index = 10 + i;
		snprintf(peer->name, sizeof(peer->name), "p%u", i);
	}
	assert_int_equal(s.npeers, 4);
	state_peer_remove(&s, 0);	/* the first */
	state_peer_remove(&s, 2);	/* the last */
	state_peer_remove(&s, 2);	/* out of range: nothing */
	assert_int_equal(s.npeers, 2);
	assert_int_equal(s.peers[0].index, 11);
	assert_string_equal(s.peers[0].name, "p1");
	assert_int_equal(s.peers[1].index, 12);
	state_peer_remove(&s, 1);
	state_peer_remove(&s, 0);
	assert_int_equal(s.npeers, 0);
	state_peer_remove(&s, 0);	/* empty: nothing */
	peer = state_peer_add(&s);	/* usable again after emptying */
	assert_non_null(peer);
	assert_int_equal(s.npeers, 1);
	state_release(&s);
	assert_int_equal(s.npools, 0);
	assert_null(s.endpoints);
	assert_null(s.peers);
	assert_int_equal(s.npeers, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_valid_doc),
		cmocka_unit_test(test_old_format),
		cmocka_unit_test(test_mesh_doc),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_host_allow),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_peer_lengths),
		cmocka_unit_test(test_many_peers),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test_setup_teardown(test_save_load, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_save_fails, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_save_refuses_what_would_not_load, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_load_missing_and_bad, dir_setup, dir_teardown),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_add_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
