/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "driver/dns_wire.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Real queries, as the capturing server (a socket on 127.0.0.1:53 in a network namespace)
 * received them: glibc 2.36's getent ahostsv4/ahosts (resolv.conf without and with
 * "options edns0") and dig 9.18 (its defaults: EDNS 1232, a COOKIE option, the AD bit).
 */
static const uint8_t q_glibc_web_a[] = {	/* getent ahostsv4 web */
	0xd2, 0xe0, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x77, 0x65, 0x62, 0x00, 0x00, 0x01, 0x00, 0x01,
};
static const uint8_t q_glibc_webapp_a[] = {	/* getent ahosts Web.App: A, then AAAA */
	0x73, 0xd5, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x57, 0x65, 0x62, 0x03, 0x41, 0x70, 0x70, 0x00, 0x00, 0x01, 0x00,
	0x01,
};
static const uint8_t q_glibc_webapp_aaaa[] = {
	0x0a, 0xd7, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x57, 0x65, 0x62, 0x03, 0x41, 0x70, 0x70, 0x00, 0x00, 0x1c, 0x00,
	0x01,
};
static const uint8_t q_glibc_edns0_dbapp[] = {	/* options edns0: getent ahostsv4 Db.App */
	0x3d, 0xc4, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x02, 0x44, 0x62, 0x03, 0x41, 0x70, 0x70, 0x00, 0x00, 0x01, 0x00, 0x01,
	0x00, 0x00, 0x29, 0x04, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t q_dig_webapp[] = {		/* dig web.app A */
	0x9a, 0xb0, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x03, 0x77, 0x65, 0x62, 0x03, 0x61, 0x70, 0x70, 0x00, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c,
	0x00, 0x0a, 0x00, 0x08, 0xaa, 0xd6, 0x1e, 0x55, 0x4a, 0x83, 0xe3, 0xc1,
};
static const uint8_t q_dig_noedns_WeB[] = {	/* dig +noedns WeB A */
	0x46, 0x2c, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x57, 0x65, 0x42, 0x00, 0x00, 0x01, 0x00, 0x01,
};
static const uint8_t q_dig_tcp_web[] = {	/* dig +tcp web A, with its length prefix */
	0x00, 0x2c,
	0x08, 0x80, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x03, 0x77, 0x65, 0x62, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x29,
	0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x08,
	0x73, 0x84, 0x25, 0x4b, 0x59, 0x99, 0x24, 0xc4,
};
static const uint8_t q_dig_dnssec_4096[] = {	/* dig +bufsize=4096 +dnssec web A */
	0xa0, 0xf1, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x03, 0x77, 0x65, 0x62, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x29,
	0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x08,
	0xda, 0x19, 0xbe, 0xec, 0xec, 0xe9, 0xa9, 0x92,
};
static const uint8_t q_dig_edns1[] = {		/* dig +edns=1 +noednsnegotiation web A */
	0xfc, 0x9a, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x03, 0x77, 0x65, 0x62, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x29,
	0x04, 0xd0, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x08,
	0x43, 0x63, 0x78, 0x73, 0x70, 0x01, 0x4e, 0x60,
};
static const uint8_t q_dig_status[] = {		/* dig +opcode=status web A */
	0xe1, 0x60, 0x11, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x03, 0x77, 0x65, 0x62, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x29,
	0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x08,
	0x64, 0x94, 0xaa, 0x61, 0xbc, 0x07, 0x49, 0x07,
};
static const uint8_t q_dig_ch_version_bind[] = {	/* dig CH TXT version.bind */
	0x7c, 0x2e, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x07, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x04, 0x62, 0x69, 0x6e,
	0x64, 0x00, 0x00, 0x10, 0x00, 0x03, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x08, 0x60, 0xfe, 0xc9,
	0xc9, 0x1e, 0x97, 0x3b, 0x1d,
};

/* Responses of a real recursive resolver (the build machine's) to queries with EDNS 1232. */
static const uint8_t r_resolver_deb[] = {	/* deb.debian.org A: the owner a pointer */
	0xbe, 0xef, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
	0x03, 0x64, 0x65, 0x62, 0x06, 0x64, 0x65, 0x62, 0x69, 0x61, 0x6e, 0x03,
	0x6f, 0x72, 0x67, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 0xcb, 0x00, 0x71, 0x50,
	0x00, 0x00, 0x29, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t r_resolver_nxdomain[] = {	/* nonexistent.invalid A */
	0xbe, 0xef, 0x81, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x0b, 0x6e, 0x6f, 0x6e, 0x65, 0x78, 0x69, 0x73, 0x74, 0x65, 0x6e, 0x74,
	0x07, 0x69, 0x6e, 0x76, 0x61, 0x6c, 0x69, 0x64, 0x00, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x29, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

#define IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static uint8_t out[DNS_TCP_MAX];	/* responses */
static uint32_t addrs[5000];

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* "web.app" as labels at p; returns the wire length */
static size_t wire_name(uint8_t *p, const char *dotted)
{
	size_t n = 0;

	while (*dotted) {
		size_t l = strcspn(dotted, ".");

		p[n++] = (uint8_t)l;
		memcpy(p + n, dotted, l);
		n += l;
		dotted += l;
		if (*dotted == '.')
			dotted++;
	}
	p[n++] = 0;
	return n;
}

/* A query as a stub sends it: RD, one question of class IN, an OPT record when edns >= 0. */
static size_t query_raw(uint8_t *p, uint16_t id, const uint8_t *name, size_t len, uint16_t qtype,
			int edns)
{
	static const uint8_t header[] = { 0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	size_t n = sizeof(header);

	memcpy(p, header, sizeof(header));
	p[0] = (uint8_t)(id >> 8);
	p[1] = (uint8_t)id;
	memcpy(p + n, name, len);
	n += len;
	p[n++] = (uint8_t)(qtype >> 8);
	p[n++] = (uint8_t)qtype;
	p[n++] = 0;
	p[n++] = DNS_CLASS_IN;
	if (edns >= 0) {
		const uint8_t opt[] = { 0, 0, DNS_TYPE_OPT, (uint8_t)(edns >> 8), (uint8_t)edns,
					0, 0, 0, 0, 0, 0 };

		p[11] = 1;
		memcpy(p + n, opt, sizeof(opt));
		n += sizeof(opt);
	}
	return n;
}

static size_t query_make(uint8_t *p, uint16_t id, const char *name, uint16_t qtype, int edns)
{
	uint8_t wire[300];

	return query_raw(p, id, wire, wire_name(wire, name), qtype, edns);
}

static void check_header_only(const uint8_t *resp, int len, uint16_t id, uint16_t flags)
{
	assert_int_equal(len, DNS_HEADER_LEN);
	assert_int_equal(get16(resp), id);
	assert_int_equal(get16(resp + 2), flags);
	for (int i = 4; i < DNS_HEADER_LEN; i++)
		assert_int_equal(resp[i], 0);
}

/* The fields ordered against padding; REAL() takes them in reading order. */
#define REAL(what, q, rc, name, qtype, qclass, edns_size, edns_do, udp_limit) \
	{ what, q, sizeof(q), name, udp_limit, rc, edns_size, qtype, qclass, edns_do }

static const struct {
	const char *what;
	const uint8_t *msg;
	size_t len;
	const char *name;
	size_t udp_limit;
	int rc;
	int edns_size;		/* -1: none */
	uint16_t qtype, qclass;
	bool edns_do;
} real[] = {
	REAL("glibc A web", q_glibc_web_a, 0, "web", 1, 1, -1, false, 512),
	REAL("glibc A Web.App", q_glibc_webapp_a, 0, "web.app", 1, 1, -1, false, 512),
	REAL("glibc AAAA Web.App", q_glibc_webapp_aaaa, 0, "web.app", 28, 1, -1, false, 512),
	REAL("glibc edns0 Db.App", q_glibc_edns0_dbapp, 0, "db.app", 1, 1, 1200, false, 1200),
	REAL("dig web.app", q_dig_webapp, 0, "web.app", 1, 1, 1232, false, 1232),
	REAL("dig +noedns WeB", q_dig_noedns_WeB, 0, "web", 1, 1, -1, false, 512),
	REAL("dig +dnssec +bufsize=4096", q_dig_dnssec_4096, 0, "web", 1, 1, 4096, true, 1232),
	REAL("dig +edns=1", q_dig_edns1, DNS_RCODE_BADVERS, "web", 1, 1, 1232, false, 1232),
	REAL("dig CH TXT version.bind", q_dig_ch_version_bind, DNS_RCODE_REFUSED, "version.bind",
	     16, 3, 1232, false, 1232),
	/* past its length prefix */
	{ "dig +tcp web", q_dig_tcp_web + 2, sizeof(q_dig_tcp_web) - 2, "web", 1232, 0, 1232, 1, 1,
	  false },
};

static void test_real_queries(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(real); i++) {
		struct dns_query q;
		struct dns_response r;
		struct dns_reply reply = { .rcode = (enum dns_rcode)real[i].rc };
		int n;

		print_message("%s\n", real[i].what);
		assert_int_equal(dns_query_parse(real[i].msg, real[i].len, &q), real[i].rc);
		assert_true(q.has_question);
		assert_int_equal(q.id, get16(real[i].msg));
		assert_true(q.rd);
		assert_string_equal(q.question.name, real[i].name);
		assert_int_equal(q.question.qtype, real[i].qtype);
		assert_int_equal(q.question.qclass, real[i].qclass);
		assert_int_equal(q.edns, real[i].edns_size >= 0);
		if (q.edns)
			assert_int_equal(q.edns_size, real[i].edns_size);
		assert_int_equal(q.edns_do, real[i].edns_do);
		assert_int_equal(dns_response_limit(&q, DNS_TRANSPORT_UDP), real[i].udp_limit);
		assert_int_equal(dns_response_limit(&q, DNS_TRANSPORT_TCP), 65535);

		/* the response: the question as received, OPT when asked, nothing else */
		reply.limit = dns_response_limit(&q, DNS_TRANSPORT_UDP);
		n = dns_response_build(&q, &reply, out, sizeof(out));
		assert_int_equal(n, DNS_HEADER_LEN + q.question.wire_len + 4 + (q.edns ? 11 : 0));
		assert_memory_equal(out + DNS_HEADER_LEN, real[i].msg + DNS_HEADER_LEN,
				    q.question.wire_len + 4u);
		assert_int_equal(get16(out + 2) & 0x00e0, 0);	/* RA, Z, AD clear */
		assert_int_equal(dns_response_parse(out, (size_t)n, &r, addrs, ARRAY_SIZE(addrs)), 0);
		assert_int_equal(r.id, q.id);
		assert_int_equal(r.rcode, real[i].rc);
		assert_true(r.rd);
		assert_false(r.ra);
		assert_int_equal(r.edns, q.edns);
		if (r.edns)
			assert_int_equal(r.edns_size, DNS_UDP_MAX);
	}
}

/* An opcode other than QUERY: NOTIMP, the header alone, opcode and ID echoed. */
static void test_notimp(void **state)
{
	struct dns_query q;
	struct dns_reply reply = { .rcode = DNS_RCODE_NOTIMP, .limit = 512 };

	(void)state;
	assert_int_equal(dns_query_parse(q_dig_status, sizeof(q_dig_status), &q),
			 DNS_RCODE_NOTIMP);
	assert_int_equal(q.opcode, 2);
	assert_false(q.has_question);
	assert_false(q.edns);
	/* QR, opcode 2, RD, NOTIMP */
	check_header_only(out, dns_response_build(&q, &reply, out, sizeof(out)), 0xe160, 0x9104);
}

/* Nothing to answer: no ID to echo, or a response (answering it could loop). */
static void test_drop(void **state)
{
	uint8_t m[sizeof(q_glibc_web_a)];
	struct dns_query q;

	(void)state;
	assert_int_equal(dns_query_parse(NULL, 0, &q), -EBADMSG);
	for (size_t len = 0; len < DNS_HEADER_LEN; len++)
		assert_int_equal(dns_query_parse(q_glibc_web_a, len, &q), -EBADMSG);
	memcpy(m, q_glibc_web_a, sizeof(m));
	m[2] |= 0x80;						/* QR */
	assert_int_equal(dns_query_parse(m, sizeof(m), &q), -EBADMSG);
	/* what the responder sends back is not a query to it either */
	assert_int_equal(dns_query_parse(r_resolver_deb, sizeof(r_resolver_deb), &q), -EBADMSG);
}

static void check_formerr(const uint8_t *m, size_t len)
{
	struct dns_query q;
	struct dns_reply reply = { .rcode = DNS_RCODE_FORMERR, .limit = 512 };

	assert_int_equal(dns_query_parse(m, len, &q), DNS_RCODE_FORMERR);
	assert_false(q.has_question);
	assert_false(q.edns);
	assert_int_equal(q.id, get16(m));
	/* QR, the query's RD, FORMERR: the header alone */
	check_header_only(out, dns_response_build(&q, &reply, out, sizeof(out)), get16(m),
			  (uint16_t)(0x8000 | (m[2] & 0x01) << 8 | DNS_RCODE_FORMERR));
}

/* A copy of msg with the 16-bit field at off set to v */
static size_t with16(uint8_t *m, const uint8_t *msg, size_t len, size_t off, uint16_t v)
{
	memcpy(m, msg, len);
	m[off] = (uint8_t)(v >> 8);
	m[off + 1] = (uint8_t)v;
	return len;
}

static void test_formerr_counts(void **state)
{
	uint8_t m[512];
	const uint8_t *d = q_dig_webapp;
	size_t dl = sizeof(q_dig_webapp);

	(void)state;
	check_formerr(m, with16(m, d, dl, 4, 0));	/* QDCOUNT 0 */
	check_formerr(m, with16(m, d, dl, 4, 2));	/* QDCOUNT 2 */
	check_formerr(m, with16(m, d, dl, 4, 0xffff));
	check_formerr(m, with16(m, d, dl, 6, 1));	/* an answer */
	check_formerr(m, with16(m, d, dl, 8, 1));	/* an authority record */
	check_formerr(m, with16(m, d, dl, 10, 2));	/* two additional records */
	check_formerr(m, with16(m, d, dl, 10, 0));	/* the OPT record left over */
	/* ARCOUNT 1 and no record */
	check_formerr(m, with16(m, q_glibc_web_a, sizeof(q_glibc_web_a), 10, 1));
}

/* Every cut of a real query is FORMERR (past the header), one byte more too. */
static void test_formerr_lengths(void **state)
{
	uint8_t m[512];

	(void)state;
	for (size_t len = DNS_HEADER_LEN; len < sizeof(q_dig_webapp); len++)
		check_formerr(q_dig_webapp, len);
	for (size_t len = DNS_HEADER_LEN; len < sizeof(q_glibc_web_a); len++)
		check_formerr(q_glibc_web_a, len);
	memcpy(m, q_dig_webapp, sizeof(q_dig_webapp));
	m[sizeof(q_dig_webapp)] = 0;
	check_formerr(m, sizeof(q_dig_webapp) + 1);
	memcpy(m, q_glibc_web_a, sizeof(q_glibc_web_a));
	m[sizeof(q_glibc_web_a)] = 0;
	check_formerr(m, sizeof(q_glibc_web_a) + 1);
}

/* A query for "web" A with these bytes as its additional record (ARCOUNT 1). */
static size_t with_additional(uint8_t *m, const uint8_t *rr, size_t len)
{
	size_t n = query_make(m, 0x1234, "web", DNS_TYPE_A, -1);

	m[11] = 1;
	memcpy(m + n, rr, len);
	return n + len;
}

static void test_formerr_opt(void **state)
{
	/* the owner is web (a pointer to the question), not the root */
	static const uint8_t not_root[] = { 0xc0, 0x0c, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t label_owner[] = { 1, 'a', 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
	/* an A record, not an OPT (a TSIG is not an OPT either) */
	static const uint8_t not_opt[] = { 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1 };
	/* options framed wrong: RDLENGTH 3; an option longer than the RDATA; RDATA missing */
	static const uint8_t short_rdata[] = { 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 3, 0, 10, 0 };
	static const uint8_t long_option[] = { 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 8,
					       0, 10, 0, 8, 1, 2, 3, 4 };
	static const uint8_t no_rdata[] = { 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 4 };
	/* two options, well framed: a COOKIE and an empty unknown one, both ignored */
	static const uint8_t options[] = { 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 16,
					   0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0xfd, 0xe9, 0, 0 };
	uint8_t m[512];
	struct dns_query q;

	(void)state;
	check_formerr(m, with_additional(m, not_root, sizeof(not_root)));
	check_formerr(m, with_additional(m, label_owner, sizeof(label_owner)));
	check_formerr(m, with_additional(m, not_opt, sizeof(not_opt)));
	check_formerr(m, with_additional(m, short_rdata, sizeof(short_rdata)));
	check_formerr(m, with_additional(m, long_option, sizeof(long_option)));
	check_formerr(m, with_additional(m, no_rdata, sizeof(no_rdata)));
	assert_int_equal(dns_query_parse(m, with_additional(m, options, sizeof(options)), &q), 0);
	assert_true(q.edns);
	assert_int_equal(q.edns_size, 1232);
}

static void test_formerr_names(void **state)
{
	/* header, then the question's name bytes as given, then A IN */
	static const struct {
		const char *what;
		uint8_t name[8];
		size_t len;
	} bad[] = {
		{ "pointer to the question itself (a loop)", { 0xc0, 0x0c }, 2 },
		{ "pointer into the header", { 0xc0, 0x00 }, 2 },
		{ "label, then a pointer back to it", { 1, 'a', 0xc0, 0x0c }, 4 },
		{ "pointer ahead", { 0xc0, 0x20, 0 }, 3 },
		{ "extended label type 0x40", { 0x41, 'a', 0 }, 3 },
		{ "reserved label type 0x80", { 0x81, 'a', 0 }, 3 },
		{ "no root label: QTYPE read as one", { 3, 'w', 'e', 'b' }, 4 },
	};
	uint8_t m[600];
	size_t n;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("%s\n", bad[i].what);
		n = query_raw(m, 0x4242, bad[i].name, bad[i].len, DNS_TYPE_A, -1);
		check_formerr(m, n);
	}
}

/* 63-byte labels and 255-byte names parse; 64 and 256 are FORMERR. */
static void test_name_limits(void **state)
{
	char name[300], label[70];
	uint8_t m[600];
	struct dns_query q;
	size_t n;

	(void)state;
	memset(label, 'a', 63);
	label[63] = '\0';
	n = query_make(m, 1, label, DNS_TYPE_A, -1);
	assert_int_equal(dns_query_parse(m, n, &q), 0);
	assert_string_equal(q.question.name, label);
	m[DNS_HEADER_LEN] = 64;		/* 0x40: an extended label type, not a length */
	check_formerr(m, n);

	/* 3 labels of 63 and one of 61: 4 * 64 - 2 + 1 = 255 bytes of wire */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label, label, label, label);
	n = query_make(m, 1, name, DNS_TYPE_A, 1232);
	assert_int_equal(dns_query_parse(m, n, &q), 0);
	assert_int_equal(q.question.wire_len, 255);
	assert_int_equal(strlen(q.question.name), 253);
	assert_string_equal(q.question.name, name);
	/* the largest question, with EDNS and a full 512 of answers, round trip */
	{
		struct dns_reply reply = { .rcode = DNS_RCODE_NOERROR, .addrs = addrs, .ttl = 1,
					   .limit = 512 };
		struct dns_response r;
		int len;

		reply.naddrs = (512 - 12 - 259 - 11) / 16;
		len = dns_response_build(&q, &reply, out, sizeof(out));
		assert_true(len <= 512);
		assert_int_equal(dns_response_parse(out, (size_t)len, &r, addrs, 0), 0);
		assert_int_equal(r.naddrs, reply.naddrs);
		assert_false(r.tc);
	}

	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label, label, label, label);
	n = query_make(m, 1, name, DNS_TYPE_A, -1);
	check_formerr(m, n);
}

/* Bytes no name of ours has: REFUSED, the question echoed as it came. */
static void test_refused_names(void **state)
{
	static const struct {
		uint8_t name[12];
		size_t len;
	} odd[] = {
		{ { 3, 'w', ' ', 'b', 0 }, 5 },
		{ { 3, 'w', '.', 'b', 0 }, 5 },		/* a dot inside a label */
		{ { 3, 'w', 0, 'b', 0 }, 5 },		/* a NUL inside a label */
		{ { 3, 'w', 0xff, 'b', 0 }, 5 },
		{ { 1, '*', 3, 'a', 'p', 'p', 0 }, 7 },
		{ { 4, 'w', 0xc3, 0xa9, 'b', 0 }, 6 },	/* UTF-8 */
		{ { 3, 'a', 'p', 'p', 1, '/', 0 }, 7 },
		{ { 1, '\\', 0 }, 3 },
	};
	uint8_t m[600];
	struct dns_query q;
	struct dns_response r;
	struct dns_reply reply = { .rcode = DNS_RCODE_REFUSED, .limit = 512 };
	size_t n;
	int len;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(odd); i++) {
		n = query_raw(m, 0x0bad, odd[i].name, odd[i].len, DNS_TYPE_A, 1232);
		assert_int_equal(dns_query_parse(m, n, &q), DNS_RCODE_REFUSED);
		assert_true(q.has_question);
		assert_string_equal(q.question.name, "");
		len = dns_response_build(&q, &reply, out, sizeof(out));
		assert_int_equal(len, (int)n);		/* the question and the OPT echoed */
		assert_memory_equal(out + DNS_HEADER_LEN, m + DNS_HEADER_LEN, odd[i].len);
		assert_int_equal(dns_response_parse(out, (size_t)len, &r, addrs, 1), 0);
		assert_int_equal(r.rcode, DNS_RCODE_REFUSED);
		assert_false(r.aa);
	}

	/* letters, digits, '-', '_' pass, lowered; the root is a name (none of ours) */
	n = query_make(m, 1, "Web-1_x.AP9", DNS_TYPE_A, -1);
	assert_int_equal(dns_query_parse(m, n, &q), 0);
	assert_string_equal(q.question.name, "web-1_x.ap9");
	n = query_make(m, 1, "", DNS_TYPE_A, -1);
	assert_int_equal(dns_query_parse(m, n, &q), 0);
	assert_string_equal(q.question.name, "");
	assert_int_equal(q.question.wire_len, 1);
}

/* n addresses for a query; returns the response's length, r parsed back */
static int answer(const struct dns_query *q, size_t naddrs, enum dns_transport t,
		  struct dns_response *r)
{
	struct dns_reply reply = { .rcode = DNS_RCODE_NOERROR, .authoritative = true,
				   .addrs = addrs, .naddrs = naddrs, .ttl = 5,
				   .limit = dns_response_limit(q, t) };
	int len;

	for (size_t i = 0; i < naddrs; i++)
		addrs[i] = IP(10, 210, 1 + i / 250, 2 + i % 250);
	len = dns_response_build(q, &reply, out, sizeof(out));
	assert_true(len > 0);
	assert_true((size_t)len <= reply.limit);
	assert_int_equal(dns_response_parse(out, (size_t)len, r, NULL, 0), 0);
	assert_int_equal(r->id, q->id);
	assert_true(r->aa);
	assert_int_equal(r->rcode, DNS_RCODE_NOERROR);
	assert_memory_equal(r->question.wire, q->question.wire, q->question.wire_len);
	return len;
}

/* Exactly the limit fits; one address more and no answer goes, TC set. */
static void test_truncation(void **state)
{
	uint8_t m[600];
	struct dns_query q;
	struct dns_response r;
	size_t n;

	(void)state;
	/* no EDNS: 12 + 16 (a 14-letter name) + 4 + 30 * 16 = 512 */
	n = query_make(m, 7, "abcdefghijklmn", DNS_TYPE_A, -1);
	assert_int_equal(dns_query_parse(m, n, &q), 0);
	assert_int_equal(answer(&q, 30, DNS_TRANSPORT_UDP, &r), 512);
	assert_false(r.tc);
	assert_int_equal(r.naddrs, 30);
	assert_int_equal(answer(&q, 31, DNS_TRANSPORT_UDP, &r), 12 + 16 + 4);
	assert_true(r.tc);
	assert_int_equal(r.nanswers, 0);
	assert_int_equal(answer(&q, 31, DNS_TRANSPORT_TCP, &r), 12 + 16 + 4 + 31 * 16);
	assert_false(r.tc);

	/* EDNS 1232: 12 + 5 + 4 + 75 * 16 + 11 = 1232 */
	n = query_make(m, 7, "web", DNS_TYPE_A, 1232);
	assert_int_equal(dns_query_parse(m, n, &q), 0);
	assert_int_equal(answer(&q, 75, DNS_TRANSPORT_UDP, &r), 1232);
	assert_false(r.tc);
	assert_int_equal(r.naddrs, 75);
	assert_true(r.edns);
	assert_int_equal(answer(&q, 76, DNS_TRANSPORT_UDP, &r), 12 + 5 + 4 + 11);
	assert_true(r.tc);
	assert_true(r.edns);			/* the OPT record stays in a truncated response */

	/* TCP: 12 + 5 + 4 + 11 + 4093 * 16 = 65520; one more is over 65535 */
	assert_int_equal(answer(&q, 4093, DNS_TRANSPORT_TCP, &r), 65520);
	assert_false(r.tc);
	assert_int_equal(answer(&q, 4094, DNS_TRANSPORT_TCP, &r), 32);
	assert_true(r.tc);

	/* the caller's buffer is a limit too */
	{
		struct dns_reply reply = { .rcode = DNS_RCODE_NOERROR, .addrs = addrs,
					   .naddrs = 2, .limit = 512 };

		assert_int_equal(dns_response_build(&q, &reply, out, 32 + 31), 32);
		assert_true(out[2] & 0x02);
		assert_int_equal(dns_response_build(&q, &reply, out, 32 + 32), 64);
		assert_int_equal(dns_response_build(&q, &reply, out, 31), -EMSGSIZE);
	}
}

static void test_edns_sizes(void **state)
{
	static const struct {
		int edns;
		size_t limit;
	} sizes[] = {
		{ -1, 512 }, { 0, 512 }, { 100, 512 }, { 511, 512 }, { 512, 512 }, { 513, 513 },
		{ 600, 600 }, { 1200, 1200 }, { 1232, 1232 }, { 1233, 1232 }, { 4096, 1232 },
		{ 65535, 1232 },
	};
	uint8_t m[600];
	struct dns_query q;
	struct dns_response r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t n = query_make(m, 9, "web", DNS_TYPE_A, sizes[i].edns);
		size_t base = 12 + 5 + 4 + (sizes[i].edns >= 0 ? 11 : 0);
		size_t fit = (sizes[i].limit - base) / 16;

		assert_int_equal(dns_query_parse(m, n, &q), 0);
		assert_int_equal(dns_response_limit(&q, DNS_TRANSPORT_UDP), sizes[i].limit);
		assert_int_equal(dns_response_limit(&q, DNS_TRANSPORT_TCP), 65535);
		assert_int_equal(answer(&q, fit, DNS_TRANSPORT_UDP, &r), (int)(base + 16 * fit));
		assert_false(r.tc);
		assert_int_equal(answer(&q, fit + 1, DNS_TRANSPORT_UDP, &r), (int)base);
		assert_true(r.tc);
	}
}

/* BADVERS: the question, an OPT of version 0 carrying the upper bits of 16 */
static void test_badvers(void **state)
{
	static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0x01, 0, 0, 0, 0, 0 };
	struct dns_query q;
	struct dns_response r;
	struct dns_reply reply = { .rcode = DNS_RCODE_BADVERS, .limit = 1232 };
	int len;

	(void)state;
	assert_int_equal(dns_query_parse(q_dig_edns1, sizeof(q_dig_edns1), &q), DNS_RCODE_BADVERS);
	assert_int_equal(q.edns_version, 1);
	len = dns_response_build(&q, &reply, out, sizeof(out));
	assert_int_equal(len, 12 + 5 + 4 + 11);
	assert_int_equal(get16(out + 2) & 0xf, 0);	/* 16's lower bits */
	assert_memory_equal(out + len - 11, opt, sizeof(opt));
	assert_int_equal(dns_response_parse(out, (size_t)len, &r, NULL, 0), 0);
	assert_int_equal(r.rcode, DNS_RCODE_BADVERS);
}

/* The question comes back byte for byte: 0x20 resolvers compare the case. */
static void test_case_echo(void **state)
{
	uint8_t m[600];
	struct dns_query q;
	struct dns_response r;
	size_t n;
	int len;

	(void)state;
	assert_int_equal(dns_query_parse(q_dig_noedns_WeB, sizeof(q_dig_noedns_WeB), &q), 0);
	len = answer(&q, 1, DNS_TRANSPORT_UDP, &r);
	assert_memory_equal(out + 12, "\3WeB\0", 5);
	assert_int_equal(len, 21 + 16);
	assert_int_equal(r.naddrs, 1);		/* the owner (a pointer) is the question's name */

	n = query_make(m, 3, "wEb.ApP", DNS_TYPE_A, 1232);
	assert_int_equal(dns_query_parse(m, n, &q), 0);
	assert_string_equal(q.question.name, "web.app");
	answer(&q, 2, DNS_TRANSPORT_UDP, &r);
	assert_memory_equal(out + 12, "\3wEb\3ApP\0", 9);
	assert_memory_equal(r.question.wire, "\3wEb\3ApP\0", 9);
	assert_string_equal(r.question.name, "web.app");
}

/* Several containers behind one name: one A record each, in the order given, exact bytes. */
static void test_multiple_a(void **state)
{
	static const uint32_t three[] = { IP(10, 210, 2, 5), IP(10, 210, 3, 7), IP(10, 210, 4, 9) };
	static const uint8_t records[] = {
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 210, 2, 5,
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 210, 3, 7,
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 210, 4, 9,
	};
	struct dns_query q;
	struct dns_response r;
	struct dns_reply reply = { .rcode = DNS_RCODE_NOERROR, .authoritative = true,
				   .addrs = three, .naddrs = 3, .ttl = 5, .limit = 512 };
	uint32_t back[3];
	int len;

	(void)state;
	assert_int_equal(dns_query_parse(q_glibc_web_a, sizeof(q_glibc_web_a), &q), 0);
	len = dns_response_build(&q, &reply, out, sizeof(out));
	assert_int_equal(len, 21 + 48);
	assert_int_equal(get16(out + 2), 0x8500);	/* QR AA RD NOERROR */
	assert_int_equal(get16(out + 6), 3);
	assert_memory_equal(out + 21, records, sizeof(records));
	assert_int_equal(dns_response_parse(out, (size_t)len, &r, back, 2), 0);
	assert_int_equal(r.naddrs, 3);			/* all counted, the first 2 kept */
	assert_int_equal(back[0], three[0]);
	assert_int_equal(back[1], three[1]);
	assert_int_equal(dns_response_parse(out, (size_t)len, &r, back, 3), 0);
	assert_memory_equal(back, three, sizeof(three));
}

/* Every rcode round trip: ID, question, OPT, AA as given, no answers. */
static void test_round_trip(void **state)
{
	static const enum dns_rcode rcodes[] = {
		DNS_RCODE_NOERROR, DNS_RCODE_NXDOMAIN, DNS_RCODE_REFUSED, DNS_RCODE_SERVFAIL,
		DNS_RCODE_FORMERR, DNS_RCODE_NOTIMP, DNS_RCODE_BADVERS,
	};
	struct dns_query q;
	struct dns_response r;

	(void)state;
	assert_int_equal(dns_query_parse(q_dig_webapp, sizeof(q_dig_webapp), &q), 0);
	for (size_t i = 0; i < ARRAY_SIZE(rcodes); i++) {
		struct dns_reply reply = { .rcode = rcodes[i], .authoritative = i % 2 == 0,
					   .limit = 1232 };
		int len = dns_response_build(&q, &reply, out, sizeof(out));

		assert_int_equal(len, sizeof(q_dig_webapp) - 12);	/* no COOKIE back */
		assert_int_equal(dns_response_parse(out, (size_t)len, &r, addrs, 1), 0);
		assert_int_equal(r.id, 0x9ab0);
		assert_int_equal(r.rcode, rcodes[i]);
		assert_int_equal(r.aa, i % 2 == 0);
		assert_false(r.tc);
		assert_true(r.has_question);
		assert_string_equal(r.question.name, "web.app");
		assert_int_equal(r.question.qtype, DNS_TYPE_A);
		assert_int_equal(r.question.qclass, DNS_CLASS_IN);
		assert_true(r.edns);
		assert_int_equal(r.nanswers, 0);
	}
}

static void test_build_invalid(void **state)
{
	struct dns_query q, bare;
	struct dns_reply reply = { .rcode = DNS_RCODE_NXDOMAIN, .addrs = addrs, .naddrs = 1,
				   .limit = 512 };

	(void)state;
	assert_int_equal(dns_query_parse(q_glibc_web_a, sizeof(q_glibc_web_a), &q), 0);
	assert_int_equal(dns_response_build(&q, &reply, out, sizeof(out)), -EINVAL);
	reply = (struct dns_reply){ .rcode = DNS_RCODE_BADVERS, .limit = 512 };	/* no EDNS */
	assert_int_equal(dns_response_build(&q, &reply, out, sizeof(out)), -EINVAL);
	reply = (struct dns_reply){ .rcode = (enum dns_rcode)6, .limit = 512 };
	assert_int_equal(dns_response_build(&q, &reply, out, sizeof(out)), -EINVAL);
	reply = (struct dns_reply){ .naddrs = 1, .limit = 512 };		/* addrs NULL */
	assert_int_equal(dns_response_build(&q, &reply, out, sizeof(out)), -EINVAL);
	reply = (struct dns_reply){ .addrs = addrs, .naddrs = 65536, .limit = 65535 };
	assert_int_equal(dns_response_build(&q, &reply, out, sizeof(out)), -EINVAL);
	reply = (struct dns_reply){ .ttl = 0x80000000u, .limit = 512 };
	assert_int_equal(dns_response_build(&q, &reply, out, sizeof(out)), -EINVAL);
	reply = (struct dns_reply){ .limit = 20 };				/* 21 needed */
	assert_int_equal(dns_response_build(&q, &reply, out, sizeof(out)), -EMSGSIZE);
	/* addresses need a question to point to */
	assert_int_equal(dns_query_parse(q_dig_status, sizeof(q_dig_status), &bare),
			 DNS_RCODE_NOTIMP);
	reply = (struct dns_reply){ .addrs = addrs, .naddrs = 1, .limit = 512 };
	assert_int_equal(dns_response_build(&bare, &reply, out, sizeof(out)), -EINVAL);
}

static void test_response_real(void **state)
{
	struct dns_response r;
	uint32_t a[2];

	(void)state;
	assert_int_equal(dns_response_parse(r_resolver_deb, sizeof(r_resolver_deb), &r, a, 2), 0);
	assert_int_equal(r.id, 0xbeef);
	assert_int_equal(r.rcode, DNS_RCODE_NOERROR);
	assert_true(r.ra);
	assert_string_equal(r.question.name, "deb.debian.org");
	assert_int_equal(r.nanswers, 1);
	assert_int_equal(r.naddrs, 1);
	assert_int_equal(a[0], IP(203, 0, 113, 80));
	assert_true(r.edns);
	assert_int_equal(r.edns_size, 8192);
	assert_int_equal(dns_response_parse(r_resolver_nxdomain, sizeof(r_resolver_nxdomain), &r,
					    a, 2), 0);
	assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
	assert_int_equal(r.naddrs, 0);
	/* every cut of a response is refused, never read past */
	for (size_t len = 0; len < sizeof(r_resolver_deb); len++)
		assert_int_equal(dns_response_parse(r_resolver_deb, len, &r, a, 2), -EBADMSG);
}

/*
 * A response for "web" (question at 12..20) with two A answers: the first's owner a pointer
 * to the question, the second's owner the given bytes.
 */
static size_t response_with_owner(uint8_t *m, const uint8_t *owner, size_t len)
{
	static const uint8_t head[] = {
		0x12, 0x34, 0x84, 0x00, 0, 1, 0, 2, 0, 0, 0, 0,
		3, 'w', 'e', 'b', 0, 0, 1, 0, 1,
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 210, 1, 2,
	};
	static const uint8_t tail[] = { 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 210, 1, 3 };
	size_t n = sizeof(head);

	memcpy(m, head, n);
	memcpy(m + n, owner, len);
	n += len;
	memcpy(m + n, tail, sizeof(tail));
	return n + sizeof(tail);
}

static void test_compression(void **state)
{
	/* the second owner sits at 37 */
	static const struct {
		const char *what;
		uint8_t owner[8];
		size_t len;
		int rc;
		size_t naddrs;
	} cases[] = {
		{ "pointer to the question", { 0xc0, 0x0c }, 2, 0, 2 },
		{ "pointer to the first owner, a pointer itself", { 0xc0, 21 }, 2, 0, 2 },
		{ "label, then a pointer back", { 1, 'x', 0xc0, 0x0c }, 4, 0, 1 },	/* x.web */
		{ "the name spelt out, other case", { 3, 'W', 'E', 'B', 0 }, 5, 0, 2 },
		{ "pointer to itself", { 0xc0, 37 }, 2, -EBADMSG, 0 },
		{ "label, then a pointer to the label", { 1, 'x', 0xc0, 37 }, 4, -EBADMSG, 0 },
		{ "pointer ahead", { 0xc0, 40, 0 }, 3, -EBADMSG, 0 },
		{ "pointer into the header", { 0xc0, 0x02 }, 2, -EBADMSG, 0 },
		{ "pointer past the end", { 0xff, 0xff }, 2, -EBADMSG, 0 },
		{ "a pointer's first byte alone", { 0xc0 }, 1, -EBADMSG, 0 },
		{ "extended label type", { 0x40, 0 }, 2, -EBADMSG, 0 },
	};
	/* the first owner points ahead, to the second, spelt out: well formed but for that */
	static const uint8_t ahead[] = {
		0x12, 0x34, 0x84, 0x00, 0, 1, 0, 2, 0, 0, 0, 0,
		3, 'w', 'e', 'b', 0, 0, 1, 0, 1,
		0xc0, 37, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 210, 1, 2,
		3, 'w', 'e', 'b', 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 210, 1, 3,
	};
	uint8_t m[600];
	struct dns_response r;
	uint32_t a[2];

	(void)state;
	assert_int_equal(dns_response_parse(ahead, sizeof(ahead), &r, a, 2), -EBADMSG);
	memcpy(m, ahead, sizeof(ahead));
	m[22] = 0x0c;
	assert_int_equal(dns_response_parse(m, sizeof(ahead), &r, a, 2), 0);
	assert_int_equal(r.naddrs, 2);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = response_with_owner(m, cases[i].owner, cases[i].len);

		print_message("%s\n", cases[i].what);
		assert_int_equal(dns_response_parse(m, n, &r, a, 2), cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(r.nanswers, 2);
			assert_int_equal(r.naddrs, cases[i].naddrs);
		}
	}
}

/*
 * A chain of pointers, each 2 bytes before the last, in the RDATA of an answer; the next
 * answer's owner points to its end: 1 + links hops to reach the question.
 */
static size_t response_chain(uint8_t *m, size_t links)
{
	static const uint8_t head[] = { 0x12, 0x34, 0x84, 0x00, 0, 1, 0, 2, 0, 0, 0, 0,
					3, 'w', 'e', 'b', 0, 0, 1, 0, 1 };
	size_t n = sizeof(head), start, prev = DNS_HEADER_LEN;

	memcpy(m, head, n);
	m[n++] = 0xc0;			/* a TXT-typed record holding the chain */
	m[n++] = 0x0c;
	memcpy(m + n, (const uint8_t[]){ 0, 16, 0, 1, 0, 0, 0, 5 }, 8);
	n += 8;
	m[n++] = (uint8_t)((2 * links) >> 8);
	m[n++] = (uint8_t)(2 * links);
	start = n;
	for (size_t i = 0; i < links; i++) {
		m[n] = (uint8_t)(0xc0 | prev >> 8);
		m[n + 1] = (uint8_t)prev;
		prev = start + 2 * i;
		n += 2;
	}
	m[n++] = (uint8_t)(0xc0 | prev >> 8);
	m[n++] = (uint8_t)prev;
	memcpy(m + n, (const uint8_t[]){ 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 0, 0, 1 }, 14);
	return n + 14;
}

static void test_compression_hops(void **state)
{
	uint8_t m[1000];
	struct dns_response r;
	uint32_t a[1];

	(void)state;
	assert_int_equal(dns_response_parse(m, response_chain(m, 1), &r, a, 1), 0);
	assert_int_equal(r.naddrs, 1);		/* followed to "web" */
	assert_int_equal(dns_response_parse(m, response_chain(m, DNS_POINTER_HOPS - 1), &r, a,
					    1), 0);
	assert_int_equal(r.naddrs, 1);
	assert_int_equal(dns_response_parse(m, response_chain(m, DNS_POINTER_HOPS), &r, a, 1),
			 -EBADMSG);
	assert_int_equal(dns_response_parse(m, response_chain(m, 300), &r, a, 1), -EBADMSG);
}

static void test_tcp_frame(void **state)
{
	uint8_t two[2 * sizeof(q_dig_tcp_web)], prefix[2];
	struct dns_query q;
	size_t len = 0;

	(void)state;
	for (size_t got = 0; got < sizeof(q_dig_tcp_web); got++)
		assert_int_equal(dns_tcp_frame(q_dig_tcp_web, got, &len), 0);	/* need more */
	assert_int_equal(dns_tcp_frame(q_dig_tcp_web, sizeof(q_dig_tcp_web), &len), 46);
	assert_int_equal(len, 44);
	assert_int_equal(dns_query_parse(q_dig_tcp_web + 2, len, &q), 0);

	/* two messages in one read: the first, then the second from where it ended */
	memcpy(two, q_dig_tcp_web, sizeof(q_dig_tcp_web));
	memcpy(two + sizeof(q_dig_tcp_web), q_dig_tcp_web, sizeof(q_dig_tcp_web));
	assert_int_equal(dns_tcp_frame(two, sizeof(two) - 1, &len), 46);
	assert_int_equal(dns_tcp_frame(two + 46, sizeof(two) - 1 - 46, &len), 0);
	assert_int_equal(dns_tcp_frame(two + 46, sizeof(two) - 46, &len), 46);

	assert_int_equal(dns_tcp_frame((const uint8_t[]){ 0, 0, 1 }, 3, &len), -EBADMSG);
	assert_int_equal(dns_tcp_frame((const uint8_t[]){ 0xff, 0xff }, 2, &len), 0);

	assert_int_equal(dns_tcp_prefix(prefix, 44), 0);
	assert_memory_equal(prefix, q_dig_tcp_web, 2);
	assert_int_equal(dns_tcp_prefix(prefix, 65535), 0);
	assert_memory_equal(prefix, "\xff\xff", 2);
	assert_int_equal(dns_tcp_prefix(prefix, 65536), -EMSGSIZE);
	assert_int_equal(dns_tcp_prefix(prefix, 0), -EMSGSIZE);
}

static void test_name_match(void **state)
{
	(void)state;
	assert_true(dns_name_match("web", "web", NULL));
	assert_true(dns_name_match("web", "Web.", "app"));
	assert_true(dns_name_match("web.app", "web", "app"));
	assert_true(dns_name_match("web.app", "WEB.", "APP."));
	assert_true(dns_name_match("web.app", "web.app", NULL));	/* a dotted container name */
	assert_true(dns_name_match("web.v1.app", "web.v1", "app"));
	assert_false(dns_name_match("web.app", "web", NULL));
	assert_false(dns_name_match("web.app", "we", "b.app"));
	assert_false(dns_name_match("webapp", "web", "app"));
	assert_false(dns_name_match("web.app.x", "web", "app"));
	assert_false(dns_name_match("web.ap", "web", "app"));
	assert_false(dns_name_match("web.", "web", ""));
	assert_false(dns_name_match("web", "web.app", NULL));
	assert_false(dns_name_match("web", "", NULL));
	assert_false(dns_name_match("", "", NULL));
	assert_false(dns_name_match("", ".", "."));
	assert_false(dns_name_match("db", "web", "app"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_queries),
		cmocka_unit_test(test_notimp),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_formerr_counts),
		cmocka_unit_test(test_formerr_lengths),
		cmocka_unit_test(test_formerr_opt),
		cmocka_unit_test(test_formerr_names),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_refused_names),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_edns_sizes),
		cmocka_unit_test(test_badvers),
		cmocka_unit_test(test_case_echo),
		cmocka_unit_test(test_multiple_a),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_build_invalid),
		cmocka_unit_test(test_response_real),
		cmocka_unit_test(test_compression),
		cmocka_unit_test(test_compression_hops),
		cmocka_unit_test(test_tcp_frame),
		cmocka_unit_test(test_name_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
